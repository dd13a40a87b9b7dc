// Package openapigen makes HTTP mocks from an OpenAPI description (2.0,
// 3.0 or 3.1): for every operation a fallback mock, one mock per declared
// response and one per named example, answering the way Prism users
// expect (a Prefer header picks the code, the example or dynamic data),
// and Microcks' convention of request and response examples paired by
// name.
package openapigen

import (
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/mockarty-oss/mockarty/host/internal/generate"
	"github.com/mockarty-oss/mockarty/host/internal/model"
	"github.com/mockarty-oss/mockarty/host/internal/openapi"
)

// Priorities of the generated mocks: a Prefer header beats an example's
// request match, which beats the operation's fallback.
const (
	PriorityFallback      = 0
	PriorityRequestMatch  = 1
	PriorityPreferCode    = 2
	PriorityPreferExample = 3
)

// Input is what to generate from.
type Input struct {
	Namespace string
	// IDPrefix starts every mock id; default "openapi-<namespace>", as
	// mock ids are unique across namespaces and one description may be
	// generated into several.
	IDPrefix   string
	ServerName string
	// PathPrefix is put before every route; empty: the path of the first
	// server (OpenAPI 3) or the basePath (Swagger 2).
	PathPrefix string
	Doc        *openapi.Doc
	// ValidateSpec, when set, is the name the description is registered
	// under in the namespace: every mock then validates its requests
	// against its operation (http.validateRequest).
	ValidateSpec string
}

// Result is the generated mocks and what could not be carried over.
type Result struct {
	Mocks    []*model.Mock
	Warnings []string
}

var methods = []string{"GET", "PUT", "POST", "DELETE", "OPTIONS", "HEAD", "PATCH", "TRACE"}

// Generate makes the mocks, in the order of the paths (sorted) and methods.
func Generate(in Input) (*Result, error) {
	if in.Doc == nil {
		return nil, generate.Inputf("spec", "is required")
	}
	if in.IDPrefix == "" {
		in.IDPrefix = "openapi-" + in.Namespace
	}
	prefix := in.PathPrefix
	if prefix == "" {
		prefix = serverPath(in.Doc.Servers)
	}
	g := &gen{in: in, prefix: strings.TrimRight(prefix, "/"), res: &Result{Warnings: append([]string(nil), in.Doc.Warnings...)}}
	paths := in.Doc.Paths.InMatchingOrder()
	sort.Strings(paths)
	for _, p := range paths {
		item := in.Doc.Paths.Value(p)
		if item == nil {
			continue
		}
		for _, m := range methods {
			if op := item.GetOperation(m); op != nil {
				g.operation(p, m, item, op)
			}
		}
	}
	if len(g.res.Mocks) == 0 {
		return nil, generate.Inputf("spec", "has no operations to mock")
	}
	return g.res, nil
}

type gen struct {
	in     Input
	prefix string
	res    *Result
}

func (g *gen) warn(format string, args ...any) {
	if len(g.res.Warnings) < 200 {
		g.res.Warnings = append(g.res.Warnings, fmt.Sprintf(format, args...))
	}
}

// serverPath is the path part of the first server's URL, its variables
// at their defaults.
func serverPath(servers openapi3.Servers) string {
	if len(servers) == 0 || servers[0] == nil {
		return ""
	}
	s := servers[0]
	raw := s.URL
	for name, v := range s.Variables {
		if v != nil {
			raw = strings.ReplaceAll(raw, "{"+name+"}", v.Default)
		}
	}
	u, err := url.Parse(raw)
	if err != nil || strings.Contains(u.Path, "{") {
		return ""
	}
	p := strings.TrimRight(u.Path, "/")
	if p != "" && !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	return p
}

var paramSeg = regexp.MustCompile(`\{([^{}]+)\}`)

// route turns an OpenAPI path into a mock route (":name" segments), or,
// when a parameter shares a segment with text ("/files/{name}.json"),
// into a routePattern.
func (g *gen) route(path string) (route, pattern string) {
	segs := strings.Split(path, "/")
	mixed := false
	for i, s := range segs {
		if m := paramSeg.FindStringSubmatch(s); m != nil {
			if m[0] == s {
				segs[i] = ":" + m[1]
			} else {
				mixed = true
			}
		}
	}
	if !mixed {
		return strings.Join(segs, "/"), ""
	}
	var b strings.Builder
	b.WriteString("^")
	b.WriteString(regexp.QuoteMeta(g.prefix))
	last := 0
	for _, loc := range paramSeg.FindAllStringIndex(path, -1) {
		b.WriteString(regexp.QuoteMeta(path[last:loc[0]]))
		b.WriteString("[^/]+")
		last = loc[1]
	}
	b.WriteString(regexp.QuoteMeta(path[last:]))
	b.WriteString("$")
	return "", b.String()
}

// response is one declared response of an operation, as served.
type response struct {
	code      string // as declared: "200", "4XX", "default"
	status    int
	mediaType string
	media     *openapi3.MediaType
	resp      *openapi3.Response
}

func statusOf(code string) int {
	switch {
	case code == "default":
		return 200
	case len(code) == 3 && strings.HasSuffix(strings.ToUpper(code), "XX"):
		n, _ := strconv.Atoi(code[:1])
		return n * 100
	}
	n, err := strconv.Atoi(code)
	if err != nil || n < 100 || n > 599 {
		return 0
	}
	return n
}

// responses lists the operation's responses, the one served by default
// first: the lowest 2xx, else default, else the lowest code.
func (g *gen) responses(op *openapi3.Operation) []response {
	var out []response
	if op.Responses == nil {
		return nil
	}
	codes := make([]string, 0, op.Responses.Len())
	for code := range op.Responses.Map() {
		codes = append(codes, code)
	}
	sort.Slice(codes, func(i, j int) bool {
		if a, b := rank(codes[i]), rank(codes[j]); a != b {
			return a < b
		}
		return codes[i] < codes[j]
	})
	for _, code := range codes {
		ref := op.Responses.Value(code)
		if ref == nil || ref.Value == nil {
			continue
		}
		st := statusOf(code)
		if st == 0 {
			g.warn("%s: response %q is not an HTTP status; left out", op.OperationID, code)
			continue
		}
		r := response{code: code, status: st, resp: ref.Value}
		r.mediaType, r.media = pickMedia(ref.Value.Content)
		out = append(out, r)
	}
	return out
}

// rank orders response codes: 2xx first, then default, then the rest.
func rank(code string) int {
	st := statusOf(code)
	switch {
	case code == "default":
		return 1000
	case st >= 200 && st < 300:
		return st
	}
	return 2000 + st
}

// pickMedia prefers JSON, then text, then whatever comes first.
func pickMedia(c openapi3.Content) (string, *openapi3.MediaType) {
	if len(c) == 0 {
		return "", nil
	}
	types := make([]string, 0, len(c))
	for t := range c {
		types = append(types, t)
	}
	sort.Slice(types, func(i, j int) bool {
		a, b := mediaRank(types[i]), mediaRank(types[j])
		if a != b {
			return a < b
		}
		return types[i] < types[j]
	})
	return types[0], c[types[0]]
}

func mediaRank(t string) int {
	base := strings.ToLower(strings.TrimSpace(strings.SplitN(t, ";", 2)[0]))
	switch {
	case base == "application/json":
		return 0
	case strings.HasSuffix(base, "+json") || strings.HasSuffix(base, "/json"):
		return 1
	case base == "*/*" || base == "application/*":
		return 2
	case strings.HasPrefix(base, "text/"):
		return 3
	}
	return 4
}

func isJSON(mediaType string) bool { return mediaRank(mediaType) <= 2 }

func (g *gen) operation(path, method string, item *openapi3.PathItem, op *openapi3.Operation) {
	name := op.OperationID
	if name == "" {
		name = method + "-" + path
	}
	route, pattern := g.route(path)
	base := func(suffix ...string) *model.Mock {
		m := &model.Mock{
			ID:         generate.MockID(g.in.IDPrefix, append([]string{name}, suffix...)...),
			Namespace:  g.in.Namespace,
			ServerName: g.in.ServerName,
			HTTP:       &model.HTTPContext{Route: route, RoutePattern: pattern, HTTPMethod: method},
			Tags:       append([]string{"openapi"}, op.Tags...),
		}
		if g.in.ValidateSpec != "" {
			m.HTTP.ValidateRequest = &model.RequestValidation{Spec: g.in.ValidateSpec, Path: path, Method: method}
		}
		if pattern == "" {
			m.PathPrefix = g.prefix
		}
		return m
	}
	resps := g.responses(op)
	if len(resps) == 0 {
		m := base()
		m.Response = &model.ContentResponse{StatusCode: 200}
		g.res.Mocks = append(g.res.Mocks, m)
		return
	}
	def := resps[0]
	// The fallback: the default response, its first example that fits.
	fb := base()
	fb.Priority = PriorityFallback
	fb.Response = g.answer(name, def, "", false)
	g.res.Mocks = append(g.res.Mocks, fb)
	// Prefer: dynamic=true, data made from the schema on every call.
	if def.media != nil && def.media.Schema != nil && isJSON(def.mediaType) {
		m := base("dynamic")
		m.Priority = PriorityPreferCode
		m.HTTP.Header = []model.Condition{prefer("dynamic", "true")}
		m.Response = g.answer(name, def, "", true)
		g.res.Mocks = append(g.res.Mocks, m)
	}
	reqExamples := requestExamples(op)
	for _, r := range resps {
		m := base(r.code)
		m.Priority = PriorityPreferCode
		m.HTTP.Header = []model.Condition{prefer("code", r.code)}
		m.Response = g.answer(name, r, "", false)
		g.res.Mocks = append(g.res.Mocks, m)
		if r.media == nil {
			continue
		}
		for _, ex := range exampleNames(r.media.Examples) {
			pm := base(r.code, ex)
			pm.Priority = PriorityPreferExample
			pm.HTTP.Header = []model.Condition{prefer("example", ex)}
			pm.Response = g.answer(name, r, ex, false)
			g.res.Mocks = append(g.res.Mocks, pm)
			if req, ok := reqExamples[ex]; ok {
				rm := base(r.code, ex, "request")
				rm.Priority = PriorityRequestMatch
				g.requestMatch(rm, req)
				rm.Response = pm.Response
				g.res.Mocks = append(g.res.Mocks, rm)
			}
		}
	}
}

// prefer is a condition on the Prefer header holding key=value among its
// preferences (RFC 7240: "code=404, example=bad").
func prefer(key, value string) model.Condition {
	re := `(^|[,;\s])` + regexp.QuoteMeta(key) + `="?` + regexp.QuoteMeta(value) + `"?\s*($|[,;])`
	v, _ := json.Marshal(re)
	return model.Condition{Path: "Prefer", AssertAction: "matches", Value: v}
}

func exampleNames(ex openapi3.Examples) []string {
	names := make([]string, 0, len(ex))
	for n, e := range ex {
		if e != nil && e.Value != nil && e.Value.Value != nil {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names
}

// answer is the response of r: the named example, else the first example
// that fits the schema, else a sample of the schema (with fakers).
func (g *gen) answer(op string, r response, example string, dynamic bool) *model.ContentResponse {
	cr := &model.ContentResponse{StatusCode: r.status}
	g.headers(cr, r)
	if r.media == nil {
		return cr
	}
	if r.status == 204 || r.status == 304 || r.status < 200 {
		// HTTP sends no body with these, whatever the description declares.
		g.warn("%s: response %s declares content, which HTTP does not send with status %d; answered without a body", op, r.code, r.status)
		return cr
	}
	cr.Headers["Content-Type"] = []string{r.mediaType}
	var schema *openapi3.Schema
	if r.media.Schema != nil {
		schema = r.media.Schema.Value
	}
	var body any
	found := false
	switch {
	case dynamic:
	case example != "":
		body, found = fitting(schema, r.media.Examples[example].Value.Value), true
		if !jsonSafe(body) {
			g.warn("%s: example %q of response %s holds \"$.\", which templates read; served as written", op, example, r.code)
		}
		if schema != nil && !openapi.Fits(schema, body, openapi.Response) {
			g.warn("%s: example %q of response %s does not fit its schema; served as written (Prefer: example=%s)", op, example, r.code, example)
		}
	default:
		exs := mediaExamples(r.media)
		for _, v := range exs {
			v = fitting(schema, v)
			if schema == nil || openapi.Fits(schema, v, openapi.Response) {
				body, found = v, true
				break
			}
		}
		if !found && len(exs) > 0 {
			g.warn("%s: no example of response %s fits its schema; a sample from the schema answers by default", op, r.code)
		}
	}
	if !found {
		if schema == nil {
			return cr
		}
		body = openapi.Sample(r.media.Schema, "", openapi.Response)
	}
	if !isJSON(r.mediaType) {
		switch v := body.(type) {
		case string:
		case nil:
			return cr
		default:
			if mediaRank(r.mediaType) == 3 {
				b, _ := json.Marshal(v)
				body = string(b)
			} else {
				g.warn("%s: response %s is %s only; its body is left empty (JSON samples are made for JSON media types)", op, r.code, r.mediaType)
				return cr
			}
		}
	}
	if str, ok := body.(string); ok && isJSON(r.mediaType) {
		// A string payload is sent as text: the text of a JSON string.
		body = jsonString(str)
	}
	b, err := json.Marshal(body)
	if err != nil {
		g.warn("%s: response %s: %v", op, r.code, err)
		return cr
	}
	cr.Payload = b
	return cr
}

// jsonString is the JSON text of s, which may be a template (a faker's
// output holds no quotes or backslashes to escape).
func jsonString(s string) string {
	if strings.HasPrefix(s, "$.") {
		return `"` + s + `"`
	}
	b, _ := json.Marshal(s)
	return string(b)
}

// fitting reads an example written as the text of a JSON document (as
// some descriptions do: value: '{"name": "Fluffy"}') as that document when
// the text does not fit the schema and the document does.
func fitting(schema *openapi3.Schema, v any) any {
	str, ok := v.(string)
	if !ok || schema == nil || openapi.Fits(schema, v, openapi.Response) {
		return v
	}
	var doc any
	if json.Unmarshal([]byte(str), &doc) != nil || !openapi.Fits(schema, doc, openapi.Response) {
		return v
	}
	return doc
}

func jsonSafe(v any) bool {
	b, err := json.Marshal(v)
	return err == nil && !strings.Contains(string(b), "$.")
}

// mediaExamples lists a media type's examples in order: example, then
// the named ones by name, then the schema's.
func mediaExamples(m *openapi3.MediaType) []any {
	var out []any
	if m.Example != nil {
		out = append(out, m.Example)
	}
	for _, n := range exampleNames(m.Examples) {
		out = append(out, m.Examples[n].Value.Value)
	}
	return out
}

// headers adds the response's declared headers with sample values.
func (g *gen) headers(cr *model.ContentResponse, r response) {
	cr.Headers = map[string][]string{}
	names := make([]string, 0, len(r.resp.Headers))
	for n := range r.resp.Headers {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		h := r.resp.Headers[n]
		if h == nil || h.Value == nil || strings.EqualFold(n, "Content-Type") {
			continue
		}
		var v any
		switch {
		case h.Value.Example != nil:
			v = h.Value.Example
		case h.Value.Schema != nil:
			v = openapi.Sample(h.Value.Schema, n, openapi.Response)
		default:
			continue
		}
		s, ok := v.(string)
		if !ok {
			b, _ := json.Marshal(v)
			s = string(b)
		}
		cr.Headers[n] = []string{s}
	}
}

// requestExample is a named request example: its body and parameters.
type requestExample struct {
	body   any
	params map[string]paramValue // by "in:name"
}

type paramValue struct {
	in, name string
	value    any
}

// requestExamples gathers the operation's named request examples (the
// body's and the parameters'), by name.
func requestExamples(op *openapi3.Operation) map[string]*requestExample {
	out := map[string]*requestExample{}
	get := func(n string) *requestExample {
		if out[n] == nil {
			out[n] = &requestExample{params: map[string]paramValue{}}
		}
		return out[n]
	}
	if op.RequestBody != nil && op.RequestBody.Value != nil {
		_, mt := pickMedia(op.RequestBody.Value.Content)
		if mt != nil {
			for _, n := range exampleNames(mt.Examples) {
				get(n).body = mt.Examples[n].Value.Value
			}
		}
	}
	for _, p := range op.Parameters {
		if p == nil || p.Value == nil {
			continue
		}
		for _, n := range exampleNames(p.Value.Examples) {
			get(n).params[p.Value.In+":"+p.Value.Name] = paramValue{p.Value.In, p.Value.Name, p.Value.Examples[n].Value.Value}
		}
	}
	return out
}

// requestMatch gives m the conditions of a request example: the body's
// top-level fields, query and header values, path parameters as literal
// segments.
func (g *gen) requestMatch(m *model.Mock, ex *requestExample) {
	if obj, ok := ex.body.(map[string]any); ok {
		keys := make([]string, 0, len(obj))
		for k := range obj {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			v, _ := json.Marshal(obj[k])
			m.HTTP.Conditions = append(m.HTTP.Conditions, model.Condition{Path: "$." + k, AssertAction: "equals", Value: v})
		}
	} else if ex.body != nil {
		v, _ := json.Marshal(ex.body)
		m.HTTP.Conditions = append(m.HTTP.Conditions, model.Condition{Path: "$", AssertAction: "equals", Value: v})
	}
	keys := make([]string, 0, len(ex.params))
	for k := range ex.params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		p := ex.params[k]
		text := fmt.Sprint(p.value)
		v, _ := json.Marshal(text)
		switch p.in {
		case "query":
			m.HTTP.QueryParams = append(m.HTTP.QueryParams, model.Condition{Path: p.name, AssertAction: "equals", Value: v})
		case "header":
			m.HTTP.Header = append(m.HTTP.Header, model.Condition{Path: p.name, AssertAction: "equals", Value: v})
		case "path":
			segs := strings.Split(m.HTTP.Route, "/")
			for i, s := range segs {
				if s == ":"+p.name {
					segs[i] = url.PathEscape(text)
				}
			}
			m.HTTP.Route = strings.Join(segs, "/")
		}
	}
}
