package render

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/mockarty-oss/mockarty/host/internal/limits"
)

// DefaultMaxOutput is the most bytes one rendering may produce unless
// SetMaxOutput says otherwise.
const DefaultMaxOutput = 16 << 20

var maxOutput = limits.New(DefaultMaxOutput)

// SetMaxOutput sets the most bytes one rendering may produce (n <= 0
// restores the default): a template that repeats $.req can otherwise turn
// one request body into many times its size.
func SetMaxOutput(n int) {
	maxOutput.Set(n)
}

// OutputError is a rendering that would be larger than the limit.
type OutputError struct{ Limit int }

func (e *OutputError) Error() string {
	return fmt.Sprintf("the rendered response is larger than %d bytes (TEMPLATE_MAX_OUTPUT_MB)", e.Limit)
}

// Document is the error as the JSON error document Render gives.
func (e *OutputError) Document() []byte {
	doc, _ := json.Marshal(map[string]string{"error": e.Error(), "code": CodeTooLarge})
	return doc
}

// CodeTooLarge is the error code of the document Render gives in place of
// an oversized rendering.
const CodeTooLarge = "response_too_large"

// output is a rendering in progress; writers stop adding once it is full.
type output struct {
	bytes.Buffer
	limit int
}

func (o *output) full() bool { return o.Len() > o.limit }

// Template is a compiled JSON document whose strings may hold expressions.
// Key order is kept; a document without expressions is encoded once.
type Template struct {
	root   tnode
	static []byte // set when nothing varies per request
	text   bool   // the document is a JSON string: rendered as raw text
}

type tnode interface {
	write(o *output, d *Data)
	value(d *Data) any
	dynamic() bool
}

type tconst struct {
	raw json.RawMessage
	v   any
}

func (c tconst) write(o *output, _ *Data) { o.Write(c.raw) }
func (c tconst) value(*Data) any          { return c.v }
func (c tconst) dynamic() bool            { return false }

type tobject struct {
	keys  [][]byte // encoded keys
	names []string
	vals  []tnode
	dyn   bool
}

func (o *tobject) write(out *output, d *Data) {
	out.WriteByte('{')
	for i, k := range o.keys {
		if out.full() {
			return
		}
		if i > 0 {
			out.WriteByte(',')
		}
		out.Write(k)
		out.WriteByte(':')
		o.vals[i].write(out, d)
	}
	out.WriteByte('}')
}

func (o *tobject) value(d *Data) any {
	m := make(map[string]any, len(o.names))
	for i, k := range o.names {
		m[k] = o.vals[i].value(d)
	}
	return m
}

func (o *tobject) dynamic() bool { return o.dyn }

type tarray struct {
	items []tnode
	dyn   bool
}

func (a *tarray) write(out *output, d *Data) {
	out.WriteByte('[')
	for i, it := range a.items {
		if out.full() {
			return
		}
		if i > 0 {
			out.WriteByte(',')
		}
		it.write(out, d)
	}
	out.WriteByte(']')
}

func (a *tarray) value(d *Data) any {
	out := make([]any, len(a.items))
	for i, it := range a.items {
		out[i] = it.value(d)
	}
	return out
}

func (a *tarray) dynamic() bool { return a.dyn }

// texpr is a string that is exactly one expression: it keeps the JSON type.
type texpr struct{ n node }

func (e texpr) value(d *Data) any {
	v, _ := e.n.eval(d)
	return v
}

func (e texpr) write(o *output, d *Data) { writeJSON(&o.Buffer, e.value(d)) }
func (e texpr) dynamic() bool            { return true }

// tinterp is a string with expressions inside it.
type tinterp struct{ parts []any } // string or node

// text interpolates; it stops adding parts once the text is over limit
// bytes, which the caller then refuses.
func (t tinterp) text(d *Data, limit int) string {
	var sb strings.Builder
	for _, p := range t.parts {
		if sb.Len() > limit {
			break
		}
		switch x := p.(type) {
		case string:
			sb.WriteString(x)
		case node:
			v, _ := x.eval(d)
			sb.WriteString(Stringify(v))
		}
	}
	return sb.String()
}

// value is the interpolated text; text over the output limit has no value
// (a stored or sent value is bounded like a rendered one).
func (t tinterp) value(d *Data) any {
	limit := maxOutput.Get()
	s := t.text(d, limit)
	if len(s) > limit {
		return nil
	}
	return s
}

func (t tinterp) write(o *output, d *Data) { writeJSON(&o.Buffer, t.text(d, o.limit-o.Len())) }
func (t tinterp) dynamic() bool            { return true }

// writeJSON encodes without HTML escaping: mock payloads are not HTML.
func writeJSON(buf *bytes.Buffer, v any) {
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		buf.WriteString("null")
		return
	}
	buf.Truncate(buf.Len() - 1) // Encode adds a newline
}

func marshalNoEscape(v any) []byte {
	var buf bytes.Buffer
	writeJSON(&buf, v)
	return buf.Bytes()
}

// Stringify renders a value for interpolation into text.
func Stringify(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case json.Number:
		return x.String()
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case int64:
		return strconv.FormatInt(x, 10)
	case int:
		return strconv.Itoa(x)
	case bool:
		return strconv.FormatBool(x)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// CompileJSON compiles a JSON document (a mock payload).
func CompileJSON(doc json.RawMessage) (*Template, error) {
	doc = bytes.TrimSpace(doc)
	if len(doc) == 0 {
		return &Template{static: nil}, nil
	}
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	root, err := compileValue(dec)
	if err != nil {
		return nil, err
	}
	t := &Template{root: root, text: doc[0] == '"'}
	if !root.dynamic() {
		buf := output{limit: math.MaxInt} // the mock's own constants
		root.write(&buf, nil)
		t.static = buf.Bytes()
		if t.text {
			t.static = []byte(root.value(nil).(string))
		}
	}
	return t, nil
}

// CompileText compiles a plain text document (a template file that is not JSON).
func CompileText(s string) (*Template, error) {
	n, err := compileString(s)
	if err != nil {
		return nil, err
	}
	t := &Template{root: n, text: true}
	if !n.dynamic() {
		t.static = []byte(s)
	}
	return t, nil
}

func compileValue(dec *json.Decoder) (tnode, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch v := tok.(type) {
	case json.Delim:
		switch v {
		case '{':
			o := &tobject{}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				k, _ := kt.(string)
				kb := marshalNoEscape(k)
				val, err := compileValue(dec)
				if err != nil {
					return nil, err
				}
				o.keys, o.names, o.vals = append(o.keys, kb), append(o.names, k), append(o.vals, val)
				o.dyn = o.dyn || val.dynamic()
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			return o, nil
		case '[':
			a := &tarray{}
			for dec.More() {
				val, err := compileValue(dec)
				if err != nil {
					return nil, err
				}
				a.items = append(a.items, val)
				a.dyn = a.dyn || val.dynamic()
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			return a, nil
		}
	case string:
		return compileString(v)
	}
	raw := marshalNoEscape(tok)
	if n, ok := tok.(json.Number); ok {
		raw = []byte(n.String())
	}
	return tconst{raw: raw, v: tok}, nil
}

// compileString turns a string into a constant, a whole-string expression,
// or an interpolation. Text that only looks like an expression stays text.
func compileString(s string) (tnode, error) {
	raw := marshalNoEscape(s)
	if !strings.Contains(s, "$.") {
		return tconst{raw: raw, v: s}, nil
	}
	if strings.HasPrefix(strings.TrimSpace(s), "$.") {
		if n, err := Compile(s); err == nil {
			return texpr{n}, nil
		}
	}
	var parts []any
	lit := strings.Builder{}
	i := 0
	found := false
	for i < len(s) {
		j := strings.Index(s[i:], "$.")
		if j < 0 {
			lit.WriteString(s[i:])
			break
		}
		lit.WriteString(s[i : i+j])
		i += j
		p := &parser{s: s, pos: i, interp: true}
		n, err := p.parseOperand()
		if err != nil || p.pos == i {
			lit.WriteString("$.")
			i += 2
			continue
		}
		if lit.Len() > 0 {
			parts = append(parts, lit.String())
			lit.Reset()
		}
		parts = append(parts, n)
		found = true
		i = p.pos
	}
	if lit.Len() > 0 {
		parts = append(parts, lit.String())
	}
	if !found {
		return tconst{raw: raw, v: s}, nil
	}
	return tinterp{parts}, nil
}

// Render writes the document for one request. Text documents are raw
// text. A rendering over the output limit gives, in its place, the error
// as a document of the same kind: {"error","code":"response_too_large"},
// or the message as text. RenderChecked reports it as an error instead.
func (t *Template) Render(d *Data) []byte {
	b, err := t.RenderChecked(d)
	if oe, ok := err.(*OutputError); ok {
		if t.text {
			return []byte(oe.Error())
		}
		return oe.Document()
	}
	return b
}

// RenderChecked writes the document for one request, or an *OutputError
// when it would be larger than the limit (SetMaxOutput). Writing stops
// soon after the limit is passed, so the work is bounded by the limit plus
// one value.
func (t *Template) RenderChecked(d *Data) ([]byte, error) {
	if t.static != nil || t.root == nil {
		return t.static, nil
	}
	limit := maxOutput.Get()
	if t.text {
		var s string
		if ti, ok := t.root.(tinterp); ok {
			s = ti.text(d, limit)
		} else {
			s = Stringify(t.root.value(d))
		}
		if len(s) > limit {
			return nil, &OutputError{Limit: limit}
		}
		return []byte(s), nil
	}
	buf := output{limit: limit}
	t.root.write(&buf, d)
	if buf.full() {
		return nil, &OutputError{Limit: limit}
	}
	return buf.Bytes(), nil
}

// Value renders the document as a Go value (for $.response and webhooks).
func (t *Template) Value(d *Data) any {
	if t.root == nil {
		return nil
	}
	return t.root.value(d)
}

// IsText reports whether the document renders as raw text rather than JSON.
func (t *Template) IsText() bool { return t.text }

// Dynamic reports whether rendering depends on the request.
func (t *Template) Dynamic() bool { return t.root != nil && t.root.dynamic() }

// CompileAny compiles a JSON or text document: JSON when it parses.
func CompileAny(content []byte) (*Template, error) {
	if json.Valid(content) {
		return CompileJSON(content)
	}
	return CompileText(string(content))
}
