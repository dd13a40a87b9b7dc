// Package render evaluates the template language of mock responses:
// $.req/$.body, $.reqHeader, $.queryParams, $.pathParam, $.namespace, the
// stores $.gS/$.cS/$.mS, $.response, $.fake.*, JSONPath with filters, the
// math functions and "|| default". Templates are compiled once per mock and
// rendered per request.
package render

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/mockarty-oss/mockarty/host/internal/jpath"
)

// Data is what a template can read while one request is served.
type Data struct {
	Body       any                 // the request body: decoded JSON, or a string
	Headers    map[string][]string // lower-case names
	Query      map[string][]string
	PathParams map[string]string
	Namespace  string
	Stores     StoreReader
	Response   any // the rendered response, for webhooks
}

// StoreReader reads the three stores. scope is "gS", "cS" or "mS".
type StoreReader interface {
	StoreValue(scope, key string) (any, bool)
	StoreAll(scope string) map[string]any
}

// node is a compiled expression.
type node interface {
	eval(d *Data) (any, bool)
}

type literal struct{ v any }

func (l literal) eval(*Data) (any, bool) { return l.v, true }

// orNode returns the first operand that has a value.
type orNode struct{ alts []node }

func (o orNode) eval(d *Data) (any, bool) {
	for _, a := range o.alts {
		if v, ok := a.eval(d); ok && v != nil {
			return v, true
		}
	}
	return nil, false
}

type fakeNode struct {
	name    string
	args    []float64
	hasArgs bool
}

func (f fakeNode) eval(*Data) (any, bool) {
	v, err := Fake(f.name, f.args, f.hasArgs)
	return v, err == nil
}

type mathNode struct {
	fn   string
	args []node
}

func (m mathNode) eval(d *Data) (any, bool) {
	nums := make([]float64, len(m.args))
	for i, a := range m.args {
		v, _ := a.eval(d)
		n, ok := toNumber(v)
		if !ok {
			if v != nil || m.fn != "increment" {
				return nil, false
			}
		}
		nums[i] = n
	}
	var r float64
	switch m.fn {
	case "increment":
		r = nums[0] + 1
	case "sum":
		for _, n := range nums {
			r += n
		}
	case "multiply":
		r = 1
		for _, n := range nums {
			r *= n
		}
	case "subtract":
		r = nums[0]
		for _, n := range nums[1:] {
			r -= n
		}
	}
	return numberValue(r), true
}

func numberValue(f float64) any {
	if f == math.Trunc(f) && math.Abs(f) < 1<<53 {
		return int64(f)
	}
	return f
}

func toNumber(v any) (float64, bool) {
	switch n := v.(type) {
	case float64:
		return n, true
	case int64:
		return float64(n), true
	case int:
		return float64(n), true
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(n), 64)
		return f, err == nil
	}
	return 0, false
}

// pathNode reads a value from one of the roots, then walks the rest.
type pathNode struct {
	root string      // req, reqHeader, queryParams, pathParam, namespace, gS, cS, mS, response
	path *jpath.Path // nil: the root itself
	src  string
}

func (p pathNode) eval(d *Data) (any, bool) {
	var base any
	switch p.root {
	case "req", "body":
		base = d.Body
	case "reqHeader":
		base = headerMap(d.Headers)
	case "queryParams":
		base = queryMap(d.Query)
	case "pathParam":
		m := make(map[string]any, len(d.PathParams))
		for k, v := range d.PathParams {
			m[k] = v
		}
		base = m
	case "namespace":
		return d.Namespace, true
	case "gS", "cS", "mS":
		if d.Stores == nil {
			return nil, false
		}
		if p.path != nil {
			if keys, simple := p.path.Simple(); simple && len(keys) > 0 {
				v, ok := d.Stores.StoreValue(p.root, keys[0])
				if !ok {
					return nil, false
				}
				return jpath.Walk(v, keys[1:], false)
			}
		}
		base = d.Stores.StoreAll(p.root)
	case "response":
		base = d.Response
	}
	if p.path == nil {
		return base, base != nil
	}
	return p.path.Get(base, p.root == "reqHeader")
}

func headerMap(h map[string][]string) map[string]any {
	m := make(map[string]any, len(h))
	for k, v := range h {
		vals := make([]any, len(v))
		for i, s := range v {
			vals[i] = s
		}
		m[k] = vals
	}
	return m
}

func queryMap(q map[string][]string) map[string]any {
	m := make(map[string]any, len(q))
	for k, v := range q {
		if len(v) == 1 {
			m[k] = v[0]
			continue
		}
		vals := make([]any, len(v))
		for i, s := range v {
			vals[i] = s
		}
		m[k] = vals
	}
	return m
}

var roots = map[string]bool{"req": true, "body": true, "reqHeader": true, "queryParams": true, "pathParam": true,
	"namespace": true, "gS": true, "cS": true, "mS": true, "response": true, "fake": true}

var mathFuncs = map[string]bool{"increment": true, "sum": true, "multiply": true, "subtract": true}

// parser reads expressions from a string.
type parser struct {
	s   string
	pos int
	// interp: the expression sits inside longer text, where "pre-$.req.a-post"
	// must end at the hyphen (header names, which have hyphens, still work).
	interp bool
	hyphen bool
}

func (p *parser) skipSpace() {
	for p.pos < len(p.s) && (p.s[p.pos] == ' ' || p.s[p.pos] == '\t') {
		p.pos++
	}
}

// parseExpr: alt ('||' alt)*
func (p *parser) parseExpr() (node, error) {
	var alts []node
	for {
		p.skipSpace()
		a, err := p.parseOperand()
		if err != nil {
			return nil, err
		}
		alts = append(alts, a)
		p.skipSpace()
		if strings.HasPrefix(p.s[p.pos:], "||") {
			p.pos += 2
			continue
		}
		break
	}
	if len(alts) == 1 {
		return alts[0], nil
	}
	return orNode{alts}, nil
}

func (p *parser) parseOperand() (node, error) {
	rest := p.s[p.pos:]
	switch {
	case strings.HasPrefix(rest, "$."):
		return p.parseDollar()
	case len(rest) > 0 && (rest[0] == '"' || rest[0] == '\''):
		q := rest[0]
		end := strings.IndexByte(rest[1:], q)
		if end < 0 {
			return nil, fmt.Errorf("unterminated string")
		}
		p.pos += end + 2
		return literal{rest[1 : end+1]}, nil
	default:
		i := 0
		for i < len(rest) && (rest[i] == '-' || rest[i] == '.' || rest[i] == '+' || rest[i] == 'e' || rest[i] == 'E' || (rest[i] >= '0' && rest[i] <= '9')) {
			i++
		}
		if i > 0 {
			if f, err := strconv.ParseFloat(rest[:i], 64); err == nil {
				p.pos += i
				return literal{numberValue(f)}, nil
			}
		}
		for _, w := range []string{"true", "false", "null"} {
			if strings.HasPrefix(rest, w) {
				p.pos += len(w)
				var v any
				_ = json.Unmarshal([]byte(w), &v)
				return literal{v}, nil
			}
		}
		// A bare word is a string default: $.req.mode || fallback
		if w := p.ident(); w != "" {
			return literal{w}, nil
		}
	}
	return nil, fmt.Errorf("unexpected %q", truncate(rest, 20))
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

func isIdent(c byte) bool {
	return c == '_' || c == '-' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
}

func (p *parser) ident() string {
	start := p.pos
	for p.pos < len(p.s) && isIdent(p.s[p.pos]) {
		if p.s[p.pos] == '-' && (p.pos == start || (p.interp && !p.hyphen)) {
			break
		}
		p.pos++
	}
	return p.s[start:p.pos]
}

// parseDollar reads $.<root>..., $.fake.X(args) and $.fn(args).
func (p *parser) parseDollar() (node, error) {
	p.pos += 2
	name := p.ident()
	if name == "" {
		return nil, fmt.Errorf("expected a name after $.")
	}
	if mathFuncs[name] && p.pos < len(p.s) && p.s[p.pos] == '(' {
		p.pos++
		var args []node
		for {
			p.skipSpace()
			if p.pos < len(p.s) && p.s[p.pos] == ')' {
				p.pos++
				break
			}
			a, err := p.parseExpr()
			if err != nil {
				return nil, err
			}
			args = append(args, a)
			p.skipSpace()
			if p.pos < len(p.s) && p.s[p.pos] == ',' {
				p.pos++
				continue
			}
			if p.pos < len(p.s) && p.s[p.pos] == ')' {
				p.pos++
				break
			}
			return nil, fmt.Errorf("$.%s(...): expected ',' or ')'", name)
		}
		want := 2
		if name == "increment" {
			want = 1
		}
		if len(args) < want || (name == "increment" && len(args) != 1) {
			return nil, fmt.Errorf("$.%s takes %d argument(s)", name, want)
		}
		return mathNode{fn: name, args: args}, nil
	}
	if !roots[name] {
		return nil, fmt.Errorf("unknown prefix $.%s", name)
	}
	p.hyphen = name == "reqHeader"
	if name == "fake" {
		if p.pos >= len(p.s) || p.s[p.pos] != '.' {
			return nil, fmt.Errorf("expected $.fake.<Name>")
		}
		p.pos++
		fn := p.ident()
		if fn == "" {
			return nil, fmt.Errorf("expected $.fake.<Name>")
		}
		if p.pos < len(p.s) && p.s[p.pos] == '(' {
			end := strings.IndexByte(p.s[p.pos:], ')')
			if end < 0 {
				return nil, fmt.Errorf("$.fake.%s( has no ')'", fn)
			}
			args, err := parseArgs(p.s[p.pos+1 : p.pos+end])
			if err != nil {
				return nil, fmt.Errorf("$.fake.%s: %v", fn, err)
			}
			p.pos += end + 1
			if _, err := Fake(fn, args, true); err != nil {
				return nil, err
			}
			return fakeNode{name: fn, args: args, hasArgs: true}, nil
		}
		if _, err := Fake(fn, nil, false); err != nil {
			return nil, err
		}
		return fakeNode{name: fn}, nil
	}
	start := p.pos
	p.scanPathRest()
	rest := p.s[start:p.pos]
	return newPathNode(name, rest)
}

// scanPathRest advances over .key, [index], ['key'] and [?(filter)] parts.
func (p *parser) scanPathRest() {
	for p.pos < len(p.s) {
		c := p.s[p.pos]
		switch {
		case c == '.' && p.pos+1 < len(p.s) && (isIdent(p.s[p.pos+1]) || p.s[p.pos+1] == '*' || p.s[p.pos+1] == '.'):
			p.pos++
			if p.s[p.pos] == '*' {
				p.pos++
				continue
			}
			if p.s[p.pos] == '.' {
				continue
			}
			p.ident()
		case c == '[':
			depth := 0
			i := p.pos
			for ; i < len(p.s); i++ {
				if p.s[i] == '[' {
					depth++
				} else if p.s[i] == ']' {
					depth--
					if depth == 0 {
						break
					}
				}
			}
			if i >= len(p.s) {
				return
			}
			p.pos = i + 1
		default:
			return
		}
	}
}

func newPathNode(root, rest string) (node, error) {
	n := pathNode{root: root, src: rest}
	if rest == "" {
		return n, nil
	}
	p, err := jpath.Compile(rest)
	if err != nil {
		return nil, fmt.Errorf("JSONPath $.%s%s: %v", root, rest, err)
	}
	n.path = p
	return n, nil
}

// Compile parses one expression that must span the whole string.
func Compile(expr string) (node, error) {
	p := &parser{s: strings.TrimSpace(expr)}
	n, err := p.parseExpr()
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	if p.pos != len(p.s) {
		return nil, fmt.Errorf("unexpected %q after the expression", truncate(p.s[p.pos:], 20))
	}
	return n, nil
}

func b64url(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }
