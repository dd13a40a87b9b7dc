package imports

import (
	"strings"
)

// Piece is literal text or one mustache of a Handlebars template.
type Piece struct {
	Text string    // literal text, when M is nil
	M    *Mustache // a {{...}}
}

// Mustache is one {{...}} (or {{{...}}}) of a Handlebars template, split
// into its helper or path, its positional arguments and its key=value
// arguments.
type Mustache struct {
	Raw string // as written, braces included
	// Block marks what is no plain expression: a block ({{#if}}, {{/if}},
	// {{^x}}, {{else}}), a comment ({{!..}}) or a partial ({{>..}}).
	Block bool
	Name  string // the helper or the path: "jsonPath", "request.path.[0]"
	Args  []Arg
	Hash  map[string]Arg
	// Bad marks a mustache whose quotes or parentheses do not close.
	Bad bool
}

// Arg is one argument of a mustache.
type Arg struct {
	Text   string // without its quotes
	Quoted bool   // a string literal
	Sub    bool   // a sub-expression "(...)", Text keeps the parentheses
}

// Simple reports whether the mustache is a plain expression with no
// arguments at all (a path such as request.query.id).
func (m *Mustache) Simple() bool { return !m.Block && !m.Bad && len(m.Args) == 0 && len(m.Hash) == 0 }

// ScanHandlebars splits a template into literal text and mustaches. A
// backslash before "{{" keeps the braces as text, as Handlebars does.
func ScanHandlebars(s string) []Piece {
	var out []Piece
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			out = append(out, Piece{Text: lit.String()})
			lit.Reset()
		}
	}
	for len(s) > 0 {
		i := strings.Index(s, "{{")
		if i < 0 {
			lit.WriteString(s)
			break
		}
		if i > 0 && s[i-1] == '\\' {
			lit.WriteString(s[:i-1])
			lit.WriteString("{{")
			s = s[i+2:]
			continue
		}
		lit.WriteString(s[:i])
		s = s[i:]
		closer := "}}"
		open := 2
		switch {
		case strings.HasPrefix(s, "{{!--"):
			closer = "--}}"
		case strings.HasPrefix(s, "{{{"):
			closer, open = "}}}", 3
		}
		j := strings.Index(s[open:], closer)
		if j < 0 {
			lit.WriteString(s)
			break
		}
		raw := s[:open+j+len(closer)]
		s = s[len(raw):]
		flush()
		out = append(out, Piece{M: parseMustache(raw, raw[open:open+j])})
	}
	flush()
	return out
}

func parseMustache(raw, inner string) *Mustache {
	m := &Mustache{Raw: raw}
	inner = strings.TrimSpace(inner)
	inner = strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(inner, "~"), "~"))
	inner = strings.TrimSpace(strings.TrimPrefix(inner, "&"))
	if inner == "" || strings.ContainsRune("#/^!>", rune(inner[0])) || inner == "else" || strings.HasPrefix(inner, "else ") {
		m.Block = true
		return m
	}
	toks, ok := splitTokens(inner)
	if !ok || len(toks) == 0 {
		m.Bad = true
		return m
	}
	m.Name = toks[0]
	for _, t := range toks[1:] {
		if k, v, isHash := hashArg(t); isHash {
			if m.Hash == nil {
				m.Hash = map[string]Arg{}
			}
			m.Hash[k] = toArg(v)
			continue
		}
		m.Args = append(m.Args, toArg(t))
	}
	return m
}

// splitTokens splits on spaces outside quotes and parentheses.
func splitTokens(s string) ([]string, bool) {
	var toks []string
	var cur strings.Builder
	var quote byte
	depth := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '(':
			depth++
		case c == ')':
			depth--
			if depth < 0 {
				return nil, false
			}
		case (c == ' ' || c == '\t' || c == '\n' || c == '\r') && depth == 0:
			if cur.Len() > 0 {
				toks = append(toks, cur.String())
				cur.Reset()
			}
			continue
		}
		cur.WriteByte(c)
	}
	if quote != 0 || depth != 0 {
		return nil, false
	}
	if cur.Len() > 0 {
		toks = append(toks, cur.String())
	}
	return toks, true
}

// hashArg splits key=value, where key is a plain name.
func hashArg(t string) (string, string, bool) {
	i := strings.IndexByte(t, '=')
	if i <= 0 {
		return "", "", false
	}
	for _, c := range t[:i] {
		if !(c == '_' || c == '-' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
			return "", "", false
		}
	}
	return t[:i], t[i+1:], true
}

func toArg(t string) Arg {
	if len(t) >= 2 && (t[0] == '\'' || t[0] == '"') && t[len(t)-1] == t[0] {
		return Arg{Text: t[1 : len(t)-1], Quoted: true}
	}
	if strings.HasPrefix(t, "(") {
		return Arg{Text: t, Sub: true}
	}
	return Arg{Text: t}
}
