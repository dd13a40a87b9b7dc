package wiremock

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/mockarty-oss/mockarty/host/internal/generate/imports"
)

// tpl translates WireMock's Handlebars response templates.
type tpl struct {
	s  *stubT
	rc *routeCtx
	// on is set when the stub has the response-template transformer:
	// without it WireMock sends "{{...}}" as written.
	on bool
	// root names the request in templates: "request" in responses,
	// "originalRequest" in webhooks.
	root string
}

// text translates a string that is sent as text.
func (tp *tpl) text(str, where string) string {
	if !tp.on {
		if n := imports.Literal(str); n != "" {
			tp.s.rep.Note("%s: %s", where, n)
		}
		return str
	}
	return tp.build(str, where).S
}

// jsonString translates a string value of a JSON document: one that is
// exactly one expression keeps the type of its value there.
func (tp *tpl) jsonString(str, where string) string {
	if !tp.on {
		if n := imports.Literal(str); n != "" {
			tp.s.rep.Note("%s: %s", where, n)
		}
		return str
	}
	b := tp.build(str, where)
	if b.Whole && typed(b.S) {
		tp.s.rep.Note("%s: %q is exactly one expression, so it keeps the JSON type of its value (a number stays a number; WireMock writes text)", where, str)
	}
	return b.S
}

// typed reports the expressions this translator writes whose value may
// be no string.
func typed(expr string) bool {
	for _, p := range []string{"$.req", "$.fake.IntBetween", "$.fake.FloatRange", "$.fake.Int"} {
		if strings.HasPrefix(expr, p) {
			return true
		}
	}
	return false
}

func (tp *tpl) build(str, where string) imports.Built {
	return imports.Translate(str, where, tp.s.rep, func(m *imports.Mustache) (imports.Translated, bool) {
		o, ok := tp.mustache(m, where)
		return imports.Translated{Text: o.text, Expr: o.expr, Def: o.def}, ok
	})
}

// out is what one mustache becomes: literal text, or an expression with
// an optional default.
type out struct {
	text, expr string
	def        *string
}

// mustache translates one {{...}}; false (reported) when it has no
// Mockarty equivalent, and it is then left in the text as written.
func (tp *tpl) mustache(m *imports.Mustache, where string) (out, bool) {
	if m.Block || m.Bad {
		tp.s.rep.Skip("%s: %s (block helpers and comments are not translated)", where, m.Raw)
		return out{}, false
	}
	var o out
	var ok bool
	switch {
	case m.Simple() && (m.Name == tp.root || strings.HasPrefix(m.Name, tp.root+".")):
		o, ok = tp.requestPath(m, where)
	case m.Name == "jsonPath":
		o, ok = tp.jsonPath(m, where)
	case m.Name == "randomValue":
		o, ok = tp.randomValue(m, where)
	case m.Name == "randomInt", m.Name == "randomDecimal":
		o, ok = tp.randomNumber(m, where)
	default:
		tp.s.rep.Skip("%s: %s has no Mockarty equivalent", where, m.Raw)
		return out{}, false
	}
	if ok && o.expr != "" {
		if err := imports.CheckExpr(o.expr); err != nil {
			tp.s.rep.Skip("%s: %s became %s, which Mockarty refuses (%v)", where, m.Raw, o.expr, err)
			return out{}, false
		}
	}
	return o, ok
}

// hbPath splits a Handlebars path: "path.[0]" is path, 0;
// "headers.[X-Trace]" is headers, X-Trace.
func hbPath(p string) []string {
	var parts []string
	for p != "" {
		if strings.HasPrefix(p, "[") {
			end := strings.IndexByte(p, ']')
			if end < 0 {
				return append(parts, p)
			}
			parts = append(parts, p[1:end])
			p = strings.TrimPrefix(p[end+1:], ".")
			continue
		}
		i := strings.IndexByte(p, '.')
		if i < 0 {
			return append(parts, p)
		}
		parts = append(parts, p[:i])
		p = p[i+1:]
	}
	return parts
}

// requestPath translates request.path.[n], request.query.x,
// request.headers.X, request.body and the parts a mock's route fixes.
func (tp *tpl) requestPath(m *imports.Mustache, where string) (out, bool) {
	parts := hbPath(strings.TrimPrefix(strings.TrimPrefix(m.Name, tp.root), "."))
	if len(parts) > 0 && parts[0] == "requestLine" { // WireMock 2's spelling
		parts = parts[1:]
	}
	fail := func(why string) (out, bool) {
		tp.s.rep.Skip("%s: %s (%s)", where, m.Raw, why)
		return out{}, false
	}
	if len(parts) == 0 {
		return fail("the whole request has no Mockarty equivalent")
	}
	rc := tp.rc
	switch parts[0] {
	case "path", "pathSegments":
		if len(parts) == 1 {
			if rc.route != "" && !strings.ContainsAny(rc.route, ":*") {
				return out{text: rc.route}, true
			}
			return fail("Mockarty templates have no whole path; only the route's parameters")
		}
		return tp.segment(parts[1], fail)
	case "query":
		if len(parts) < 2 {
			return fail("the whole query has no Mockarty equivalent")
		}
		e := imports.Member("$.queryParams", parts[1])
		if len(parts) == 3 {
			switch parts[2] {
			case "0", "first":
				tp.s.rep.Note("%s: %s reads the value itself: a repeated parameter gives the list", where, m.Raw)
				return out{expr: e}, true
			default:
				if n, err := strconv.Atoi(parts[2]); err == nil {
					return out{expr: fmt.Sprintf("%s[%d]", e, n)}, true
				}
			}
			return fail("no such part of a query parameter")
		}
		if len(parts) > 3 {
			return fail("no such part of a query parameter")
		}
		return out{expr: e}, true
	case "headers", "header":
		if len(parts) < 2 || len(parts) > 3 {
			return fail("only request.headers.<name> is translated")
		}
		idx := "0"
		if len(parts) == 3 {
			if parts[2] == "first" {
				parts[2] = "0"
			}
			if _, err := strconv.Atoi(parts[2]); err != nil {
				return fail("no such part of a header")
			}
			idx = parts[2]
		}
		return out{expr: imports.Member("$.reqHeader", parts[1]) + "[" + idx + "]"}, true
	case "body":
		if len(parts) > 1 {
			return fail("use jsonPath for a value of the body")
		}
		tp.s.rep.Note("%s: %s is $.req, the body as Mockarty decoded it: a JSON body is written re-encoded", where, m.Raw)
		return out{expr: "$.req"}, true
	case "method":
		if rc.method != "" {
			return out{text: rc.method}, true
		}
		return fail("the mock answers several methods, and templates cannot read which")
	}
	return fail(fmt.Sprintf("request.%s has no Mockarty equivalent", parts[0]))
}

// segment is path segment n of the route: its text, or its parameter.
// A name (request.path.id of a urlPathTemplate) is the parameter.
func (tp *tpl) segment(sel string, fail func(string) (out, bool)) (out, bool) {
	rc := tp.rc
	if v, ok := rc.fixed[sel]; ok {
		return out{text: v}, true
	}
	if rc.segs == nil {
		return fail("the route is a pattern, whose parts templates cannot read")
	}
	n, err := strconv.Atoi(sel)
	if err != nil {
		for _, seg := range rc.segs {
			if seg.Param && seg.Text == sel {
				return out{expr: imports.Member("$.pathParam", sel)}, true
			}
		}
		return fail("the route has no parameter " + sel)
	}
	if n < 0 || n >= len(rc.segs) {
		return fail("the route has no such segment")
	}
	seg := rc.segs[n]
	if seg.Param {
		return out{expr: imports.Member("$.pathParam", seg.Text)}, true
	}
	return out{text: seg.Text}, true
}

// jsonPath translates {{jsonPath request.body '$.x'}} into $.req.x.
func (tp *tpl) jsonPath(m *imports.Mustache, where string) (out, bool) {
	if len(m.Args) != 2 || m.Args[0].Text != tp.root+".body" || !m.Args[1].Quoted || !strings.HasPrefix(m.Args[1].Text, "$") {
		tp.s.rep.Skip("%s: %s (only jsonPath %s.body '$...' is translated)", where, m.Raw, tp.root)
		return out{}, false
	}
	o := out{expr: "$.req" + strings.TrimPrefix(m.Args[1].Text, "$")}
	if d, ok := m.Hash["default"]; ok {
		o.def = &d.Text
	}
	return o, true
}

// randomValue: UUID, and NUMERIC of a length, have Mockarty fakers.
func (tp *tpl) randomValue(m *imports.Mustache, where string) (out, bool) {
	kind := strings.ToUpper(m.Hash["type"].Text)
	switch kind {
	case "UUID":
		return out{expr: "$.fake.UUID"}, true
	case "NUMERIC":
		n, err := strconv.Atoi(m.Hash["length"].Text)
		if err == nil && n >= 1 && n <= 15 {
			lo := int64(math.Pow10(n - 1))
			if n == 1 {
				lo = 0
			}
			tp.s.rep.Note("%s: %s is a number of %d digits without leading zeros", where, m.Raw, n)
			return out{expr: fmt.Sprintf("$.fake.IntBetween(%d, %d)", lo, int64(math.Pow10(n))-1)}, true
		}
	}
	tp.s.rep.Skip("%s: %s (Mockarty fakers have no random string of a chosen length and alphabet)", where, m.Raw)
	return out{}, false
}

// randomNumber: randomInt (upper bound excluded, as Java's nextInt) and
// randomDecimal between two bounds.
func (tp *tpl) randomNumber(m *imports.Mustache, where string) (out, bool) {
	lo, errLo := strconv.ParseFloat(m.Hash["lower"].Text, 64)
	hi, errHi := strconv.ParseFloat(m.Hash["upper"].Text, 64)
	if errLo != nil || errHi != nil {
		tp.s.rep.Skip("%s: %s (translated only with both lower and upper)", where, m.Raw)
		return out{}, false
	}
	if m.Name == "randomInt" {
		return out{expr: fmt.Sprintf("$.fake.IntBetween(%d, %d)", int64(lo), int64(hi)-1)}, true
	}
	return out{expr: fmt.Sprintf("$.fake.FloatRange(%v, %v)", lo, hi)}, true
}
