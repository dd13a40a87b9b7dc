package imports

import (
	"fmt"
	"strings"

	"github.com/mockarty-oss/mockarty/host/internal/render"
)

// Text builds a Mockarty template string out of literal text and template
// expressions ($.req.id, $.fake.UUID...), and checks what Mockarty's
// template language would read differently from what was meant.
type Text struct {
	parts []textPart
}

type textPart struct {
	lit    string
	expr   string
	def    *string
	src    string // what the expression translates (for messages)
	isExpr bool
}

// Lit adds literal text.
func (t *Text) Lit(s string) {
	if s == "" {
		return
	}
	if n := len(t.parts); n > 0 && !t.parts[n-1].isExpr {
		t.parts[n-1].lit += s
		return
	}
	t.parts = append(t.parts, textPart{lit: s})
}

// Expr adds an expression; src is what it stands for.
func (t *Text) Expr(expr, src string) {
	t.parts = append(t.parts, textPart{expr: expr, src: src, isExpr: true})
}

// ExprOr adds an expression with a default for when it has no value.
func (t *Text) ExprOr(expr, def, src string) {
	t.parts = append(t.parts, textPart{expr: expr, def: &def, src: src, isExpr: true})
}

// Built is a finished template string.
type Built struct {
	S string
	// Whole is set when S is exactly one expression: in a JSON document it
	// keeps the JSON type of its value (a number stays a number).
	Whole bool
	// Dynamic is set when S holds an expression.
	Dynamic bool
	// Skipped and Notes are what the template does differently: parts
	// that are lost, and differences worth knowing.
	Skipped, Notes []string
}

// Build joins the parts.
func (t *Text) Build() Built {
	var b Built
	if len(t.parts) == 1 && t.parts[0].isExpr {
		p := t.parts[0]
		b.S, b.Whole, b.Dynamic = p.expr, true, true
		if p.def != nil {
			if q, ok := quoteLiteral(*p.def); ok {
				b.S += " || " + q
			} else {
				b.Skipped = append(b.Skipped, fmt.Sprintf("the default %q of %s (it holds both kinds of quotes)", *p.def, p.src))
			}
		}
		return b
	}
	var sb strings.Builder
	for i, p := range t.parts {
		if !p.isExpr {
			if readsAsExpression(p.lit) {
				b.Notes = append(b.Notes, fmt.Sprintf("the text %q holds what Mockarty reads as a template expression ($.<name>)", clip(p.lit)))
			}
			sb.WriteString(p.lit)
			continue
		}
		b.Dynamic = true
		sb.WriteString(p.expr)
		if p.def != nil {
			b.Skipped = append(b.Skipped, fmt.Sprintf("the default %q of %s (Mockarty takes a default only when the expression is the whole string)", *p.def, p.src))
		}
		if i+1 < len(t.parts) && !t.parts[i+1].isExpr && continues(p.expr, t.parts[i+1].lit) {
			b.Skipped = append(b.Skipped, fmt.Sprintf("%s followed by %q: Mockarty would read the text as part of the expression %s", p.src, clip(t.parts[i+1].lit), p.expr))
		}
	}
	b.S = sb.String()
	return b
}

// quoteLiteral writes s as a string literal of the template language,
// which has no escapes: single quotes, else double quotes.
func quoteLiteral(s string) (string, bool) {
	switch {
	case !strings.Contains(s, "'"):
		return "'" + s + "'", true
	case !strings.Contains(s, `"`):
		return `"` + s + `"`, true
	}
	return "", false
}

// readsAsExpression reports whether Mockarty would render part of a
// literal text as an expression.
func readsAsExpression(s string) bool {
	if !strings.Contains(s, "$.") {
		return false
	}
	t, err := render.CompileText(s)
	return err == nil && t.Dynamic()
}

// Literal reports what a plain string (no template meant) would lose: the
// note to file when Mockarty reads part of it as an expression, or "".
func Literal(s string) string {
	if readsAsExpression(s) {
		return fmt.Sprintf("the text %q holds what Mockarty reads as a template expression ($.<name>)", clip(s))
	}
	return ""
}

// continues reports whether Mockarty's parser, reading expr inside longer
// text, would go on into next: an expression ends where its path ends, and
// the path takes letters, digits, "_", ".name" and "[...]" (and "-" in a
// header name).
func continues(expr, next string) bool {
	if next == "" || strings.HasSuffix(expr, ")") {
		return false
	}
	root := strings.TrimPrefix(expr, "$.")
	if i := strings.IndexAny(root, ".["); i >= 0 {
		root = root[:i]
	}
	c := next[0]
	dotPath := c == '[' || (c == '.' && len(next) > 1 && (isIdentByte(next[1]) || next[1] == '*' || next[1] == '.'))
	if root == "fake" {
		return c == '(' || (isIdentByte(c) && c != '-')
	}
	if strings.HasSuffix(expr, "]") {
		return dotPath
	}
	return dotPath || (isIdentByte(c) && (c != '-' || root == "reqHeader"))
}

func isIdentByte(c byte) bool {
	return c == '_' || c == '-' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
}

func clip(s string) string {
	if r := []rune(s); len(r) > 40 {
		return string(r[:40]) + "..."
	}
	return s
}

// CheckExpr reports whether Mockarty compiles expr (a known root, a known
// faker, a path that parses).
func CheckExpr(expr string) error {
	_, err := render.Compile(expr)
	return err
}

// Translated is what one Handlebars expression became: literal Text, or a
// Mockarty Expr with an optional default.
type Translated struct {
	Text, Expr string
	Def        *string
}

// Translate writes a string of the source tool with each Handlebars
// expression translated by tr (false: kept as written), and tells rep what
// could not be carried over or differs, as being in where.
func Translate(str, where string, rep *StubReport, tr func(m *Mustache) (Translated, bool)) Built {
	var t Text
	for _, p := range ScanHandlebars(str) {
		if p.M == nil {
			t.Lit(p.Text)
			continue
		}
		o, ok := tr(p.M)
		switch {
		case !ok:
			t.Lit(p.M.Raw)
		case o.Expr == "":
			t.Lit(o.Text)
		case o.Def != nil:
			t.ExprOr(o.Expr, *o.Def, p.M.Raw)
		default:
			t.Expr(o.Expr, p.M.Raw)
		}
	}
	b := t.Build()
	rep.Problems(where, b.Skipped)
	for _, n := range b.Notes {
		rep.Note("%s: %s", where, n)
	}
	return b
}

// Member is root.name, or root['name'] for a name Mockarty's path syntax
// would read differently.
func Member(root, name string) string {
	plain := name != ""
	for i := 0; i < len(name); i++ {
		c := name[i]
		ok := c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			(c == '-' && root == "$.reqHeader" && i > 0)
		if !ok {
			plain = false
		}
	}
	if plain {
		return root + "." + name
	}
	return root + "['" + name + "']"
}
