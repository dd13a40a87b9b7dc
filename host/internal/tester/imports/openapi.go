package imports

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/mockarty-oss/mockarty/host/internal/openapi"
	"github.com/mockarty-oss/mockarty/sdk/postman"
	"gopkg.in/yaml.v3"
)

// maxExamples bounds the example responses of one operation.
const maxExamples = 10

// methodOrder is the order of operations within a path, as OpenAPI lists
// them.
var methodOrder = []string{http.MethodGet, http.MethodPut, http.MethodPost, http.MethodDelete, http.MethodOptions,
	http.MethodHead, http.MethodPatch, http.MethodTrace, openapi3.MethodQuery}

// OpenAPI imports an OpenAPI 3.0/3.1 or Swagger 2.0 description (JSON or
// YAML, loaded by openapi.Load): a folder per tag (an operation's first),
// a request per operation with {{baseUrl}} (a collection variable, from
// servers[0]) and :name path variables, parameters and bodies from the
// description's examples or else plain sample values, auth from its
// security schemes, a test asserting the documented success status, and
// the documented responses as examples.
func OpenAPI(ctx context.Context, data []byte) (*Result, error) {
	if err := checkSize(data, "an OpenAPI 3 or Swagger 2.0 description (JSON or YAML)"); err != nil {
		return nil, err
	}
	doc, err := openapi.Load(ctx, data)
	if err != nil {
		return nil, inputErr(err)
	}
	im := &oaImport{doc: doc, w: &warner{}, vars: map[string]bool{}}
	for _, warning := range doc.Warnings {
		im.w.warn("%s", warning)
	}
	c := &postman.Collection{Info: postman.Info{Name: "OpenAPI import"}, Item: []*postman.Item{}}
	if doc.Info != nil {
		c.Info.Name = orDefault(doc.Info.Title, c.Info.Name)
		c.Info.Description = postman.Text(doc.Info.Description)
	}
	c.Variable = append(c.Variable, postman.Variable{Key: "baseUrl", Value: im.baseURL(), Type: "string"})
	c.Auth = im.auth(doc.Security, "the description")

	folders := map[string]*postman.Item{}
	var folderOrder []string
	var loose []*postman.Item
	n := 0
	for _, path := range pathOrder(data, doc) {
		item := doc.Paths.Value(path)
		if item == nil {
			continue
		}
		for _, method := range methodOrder {
			op := item.GetOperation(method)
			if op == nil {
				continue
			}
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			if n++; n > MaxRequests {
				im.w.warn("the description has more than %d operations: the first %d are imported", MaxRequests, MaxRequests)
				break
			}
			it := im.operation(path, method, item, op)
			if len(op.Tags) == 0 || op.Tags[0] == "" {
				loose = append(loose, it)
				continue
			}
			tag := op.Tags[0]
			f := folders[tag]
			if f == nil {
				f = &postman.Item{Name: tag, Item: []*postman.Item{}}
				if t := doc.Tags.Get(tag); t != nil {
					f.Description = postman.Text(t.Description)
				}
				folders[tag] = f
				folderOrder = append(folderOrder, tag)
			}
			f.Item = append(f.Item, it)
		}
		if n > MaxRequests {
			break
		}
	}
	// Folders in the order the description lists its tags, then the
	// others as they came.
	rank := map[string]int{}
	for i, t := range doc.Tags {
		if t != nil {
			if _, dup := rank[t.Name]; !dup {
				rank[t.Name] = i
			}
		}
	}
	sort.SliceStable(folderOrder, func(a, b int) bool {
		ra, oka := rank[folderOrder[a]]
		rb, okb := rank[folderOrder[b]]
		switch {
		case oka && okb:
			return ra < rb
		case oka != okb:
			return oka
		}
		return false
	})
	for _, t := range folderOrder {
		c.Item = append(c.Item, folders[t])
	}
	c.Item = append(c.Item, loose...)
	c.Variable = append(c.Variable, im.authVariables()...)
	if im.mixed > 0 {
		im.w.warn("%d path parameters share a path segment with other text: their example values are written into the path", im.mixed)
	}
	return &Result{Collection: c, Warnings: im.w.list()}, nil
}

type oaImport struct {
	doc *openapi.Doc
	w   *warner
	// vars are the auth variables the requests use.
	vars  map[string]bool
	mixed int
	// warned says which schemes were warned about.
	warned map[string]bool
}

// baseURL is servers[0]'s URL with its variables at their defaults.
func (im *oaImport) baseURL() string {
	if len(im.doc.Servers) == 0 || im.doc.Servers[0] == nil {
		im.w.warn("the description names no server: baseUrl is http://localhost; set it to the API's address")
		return "http://localhost"
	}
	u := serverURL(im.doc.Servers[0])
	if !strings.Contains(u, "://") && !strings.HasPrefix(u, "{{") {
		im.w.warn("servers[0].url %q is relative to where the description is served: baseUrl is http://localhost%s; set it to the API's address", u, u)
		u = "http://localhost" + u
	}
	return u
}

func serverURL(s *openapi3.Server) string {
	u := s.URL
	for name, v := range s.Variables {
		if v != nil {
			u = strings.ReplaceAll(u, "{"+name+"}", v.Default)
		}
	}
	return strings.TrimSuffix(u, "/")
}

// pathOrder is the description's paths in the order written (JSON read
// as a stream, YAML up to a size whose node tree stays small), the
// others sorted.
func pathOrder(data []byte, doc *openapi.Doc) []string {
	var written []string
	if t := bytes.TrimLeft(data, " \t\r\n\xef\xbb\xbf"); len(t) > 0 && t[0] == '{' {
		written = jsonPathKeys(data)
	} else if len(data) <= 4<<20 {
		written = yamlPathKeys(data)
	}
	seen := map[string]bool{}
	out := make([]string, 0, doc.Paths.Len())
	for _, p := range written {
		if doc.Paths.Value(p) != nil && !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	var rest []string
	for p := range doc.Paths.Map() {
		if !seen[p] {
			rest = append(rest, p)
		}
	}
	sort.Strings(rest)
	return append(out, rest...)
}

// jsonPathKeys reads the keys of the top-level "paths" object in order.
func jsonPathKeys(data []byte) []string {
	dec := json.NewDecoder(bytes.NewReader(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil
	}
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			return nil
		}
		if k != "paths" {
			var skip json.RawMessage
			if dec.Decode(&skip) != nil {
				return nil
			}
			continue
		}
		if t, err := dec.Token(); err != nil || t != json.Delim('{') {
			return nil
		}
		var keys []string
		for dec.More() {
			pk, err := dec.Token()
			if err != nil {
				return keys
			}
			s, _ := pk.(string)
			keys = append(keys, s)
			var skip json.RawMessage
			if dec.Decode(&skip) != nil {
				return keys
			}
		}
		return keys
	}
	return nil
}

func yamlPathKeys(data []byte) []string {
	var root yaml.Node
	if yaml.Unmarshal(data, &root) != nil || len(root.Content) == 0 || root.Content[0].Kind != yaml.MappingNode {
		return nil
	}
	top := root.Content[0].Content
	for i := 0; i+1 < len(top); i += 2 {
		if top[i].Value != "paths" || top[i+1].Kind != yaml.MappingNode {
			continue
		}
		var keys []string
		for j := 0; j+1 < len(top[i+1].Content); j += 2 {
			keys = append(keys, top[i+1].Content[j].Value)
		}
		return keys
	}
	return nil
}

func (im *oaImport) operation(path, method string, item *openapi3.PathItem, op *openapi3.Operation) *postman.Item {
	label := method + " " + path
	name := strings.TrimSpace(op.Summary)
	if name == "" {
		name = op.OperationID
	}
	if name == "" {
		name = label
	}
	base := "{{baseUrl}}"
	if op.Servers != nil && len(*op.Servers) > 0 && (*op.Servers)[0] != nil {
		base = serverURL((*op.Servers)[0])
	} else if len(item.Servers) > 0 && item.Servers[0] != nil {
		base = serverURL(item.Servers[0])
	}
	params := mergeParams(item.Parameters, op.Parameters)
	req := &postman.Request{Method: method, Description: postman.Text(op.Description)}

	// The path: {name} segments as :name variables, others written in.
	segs := strings.Split(strings.TrimPrefix(path, "/"), "/")
	var pathVars []postman.Variable
	for i, seg := range segs {
		for _, p := range params {
			if p.In != openapi3.ParameterInPath || !strings.Contains(seg, "{"+p.Name+"}") {
				continue
			}
			v := paramText(p)
			if seg == "{"+p.Name+"}" {
				segs[i] = ":" + p.Name
				pathVars = append(pathVars, postman.Variable{Key: p.Name, Value: v, Description: postman.Text(p.Description)})
				break
			}
			segs[i] = strings.ReplaceAll(segs[i], "{"+p.Name+"}", v)
			im.mixed++
		}
	}
	u := postman.NewURL(base + "/" + strings.Join(segs, "/"))
	u.Variable = pathVars
	var cookies []string
	for _, p := range params {
		switch p.In {
		case openapi3.ParameterInQuery:
			for _, v := range paramValues(p) {
				v := v
				u.Query = append(u.Query, postman.QueryParam{Key: p.Name, Value: &v, Disabled: !p.Required,
					Description: postman.Text(p.Description)})
			}
		case openapi3.ParameterInHeader:
			switch strings.ToLower(p.Name) {
			case "accept", "content-type", "authorization":
				continue // OpenAPI says these are not described as parameters
			}
			req.Header = append(req.Header, postman.Header{Key: p.Name, Value: paramText(p), Disabled: !p.Required,
				Description: postman.Text(p.Description)})
		case openapi3.ParameterInCookie:
			if p.Required {
				cookies = append(cookies, p.Name+"="+paramText(p))
			}
		}
	}
	if len(u.Query) > 0 {
		u.Raw = u.Build()
	}
	req.URL = u
	if len(cookies) > 0 {
		req.Header = append(req.Header, postman.Header{Key: "Cookie", Value: strings.Join(cookies, "; ")})
	}
	success, accept := im.success(op)
	if accept != "" {
		req.Header = append(req.Header, postman.Header{Key: "Accept", Value: accept})
	}
	if op.RequestBody != nil && op.RequestBody.Value != nil {
		req.Body = im.requestBody(op.RequestBody.Value, req, label)
	}
	if op.Security != nil && !reflect.DeepEqual(*op.Security, im.doc.Security) {
		req.Auth = im.auth(*op.Security, label)
		if req.Auth == nil && len(*op.Security) == 0 {
			req.Auth = postman.NewAuth("noauth")
		}
	}
	it := &postman.Item{Name: name, Request: req}
	if success != "" {
		it.Event = []postman.Event{{Listen: postman.ListenTest, Script: postman.NewScript(success)}}
	}
	it.Response = im.examples(op, req)
	return it
}

// mergeParams is a path item's parameters overridden by an operation's
// (by name and location).
func mergeParams(lists ...openapi3.Parameters) []*openapi3.Parameter {
	var out []*openapi3.Parameter
	at := map[string]int{}
	for _, list := range lists {
		for _, ref := range list {
			if ref == nil || ref.Value == nil {
				continue
			}
			key := ref.Value.In + " " + ref.Value.Name
			if i, ok := at[key]; ok {
				out[i] = ref.Value
				continue
			}
			at[key] = len(out)
			out = append(out, ref.Value)
		}
	}
	return out
}

// paramValue is a parameter's example: its own, its first named one, or
// a plain sample of its schema.
func paramValue(p *openapi3.Parameter) any {
	if p.Example != nil {
		return p.Example
	}
	if v, ok := firstExample(p.Examples); ok {
		return v
	}
	schema := p.Schema
	if schema == nil {
		for _, mt := range p.Content {
			if mt != nil {
				schema = mt.Schema
				break
			}
		}
	}
	if schema == nil {
		return ""
	}
	return openapi.SamplePlain(schema, p.Name, openapi.Request)
}

// paramText is a parameter's example as one text (lists comma-joined,
// OpenAPI's "simple" style).
func paramText(p *openapi3.Parameter) string {
	v := paramValue(p)
	if list, ok := v.([]any); ok {
		parts := make([]string, 0, len(list))
		for _, e := range list {
			parts = append(parts, scalar(e))
		}
		return strings.Join(parts, ",")
	}
	return scalar(v)
}

// paramValues is a query parameter's example as the values it sends: a
// list once per item unless explode is false.
func paramValues(p *openapi3.Parameter) []string {
	v := paramValue(p)
	list, ok := v.([]any)
	if !ok {
		return []string{scalar(v)}
	}
	if p.Explode != nil && !*p.Explode {
		return []string{paramText(p)}
	}
	out := make([]string, 0, len(list))
	for _, e := range list {
		out = append(out, scalar(e))
	}
	return out
}

// scalar writes a value as text: strings as they are, others as JSON.
func scalar(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case json.Number:
		return x.String()
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

func firstExample(ex openapi3.Examples) (any, bool) {
	names := make([]string, 0, len(ex))
	for n := range ex {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if e := ex[n]; e != nil && e.Value != nil && e.Value.Value != nil {
			return e.Value.Value, true
		}
	}
	return nil, false
}

// pickMedia is the media type a body is sent as: JSON first, then forms,
// XML, text, and the rest by name.
func pickMedia(c openapi3.Content) (string, *openapi3.MediaType) {
	names := make([]string, 0, len(c))
	for n := range c {
		names = append(names, n)
	}
	rank := func(n string) int {
		switch mt := mediaType(n); {
		case rawLanguage(mt) == "json":
			return 0
		case mt == "application/x-www-form-urlencoded":
			return 1
		case mt == "multipart/form-data":
			return 2
		case rawLanguage(mt) == "xml":
			return 3
		case strings.HasPrefix(mt, "text/"):
			return 4
		}
		return 5
	}
	sort.SliceStable(names, func(a, b int) bool {
		ra, rb := rank(names[a]), rank(names[b])
		if ra != rb {
			return ra < rb
		}
		return names[a] < names[b]
	})
	for _, n := range names {
		if c[n] != nil {
			return n, c[n]
		}
	}
	return "", nil
}

// mediaValue is a media type's example (its own, its first named one),
// or a plain sample of its schema; ok is false when there is neither.
func mediaValue(m *openapi3.MediaType, dir openapi.Direction) (any, bool) {
	if m.Example != nil {
		return m.Example, true
	}
	if v, ok := firstExample(m.Examples); ok {
		return v, true
	}
	if m.Schema == nil {
		return nil, false
	}
	return openapi.SamplePlain(m.Schema, "", dir), true
}

func (im *oaImport) requestBody(rb *openapi3.RequestBody, req *postman.Request, label string) *postman.Body {
	mt, media := pickMedia(rb.Content)
	if media == nil {
		return nil
	}
	v, ok := mediaValue(media, openapi.Request)
	switch base := mediaType(mt); {
	case base == "application/x-www-form-urlencoded" || base == "multipart/form-data":
		fields := formOf(v, media.Schema)
		if base == "application/x-www-form-urlencoded" {
			for i := range fields {
				fields[i].Type = ""
			}
			return &postman.Body{Mode: postman.ModeURLEncoded, URLEncoded: fields}
		}
		for _, f := range fields {
			if f.Type == "file" {
				im.w.warn("%s: form field %q is a file: attach one before running the request", label, f.Key)
			}
		}
		return &postman.Body{Mode: postman.ModeFormData, FormData: fields}
	}
	req.Header = append(req.Header, postman.Header{Key: "Content-Type", Value: mt})
	if !ok {
		return rawBody("", mt)
	}
	text, isText := bodyText(v, mt)
	if !isText {
		im.w.warn("%s: the request body (%s) has no example this import can write: it is left empty", label, mt)
	}
	return rawBody(text, mt)
}

// bodyText writes a body value for a media type: JSON indented, a string
// as it is; ok is false for a value a non-JSON type cannot carry.
func bodyText(v any, mt string) (string, bool) {
	if rawLanguage(mt) == "json" {
		if s, ok := v.(string); ok && json.Valid([]byte(s)) {
			return s, true // an example written as the JSON's text
		}
		b, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			return "", false
		}
		return string(b), true
	}
	switch x := v.(type) {
	case string:
		return x, true
	case json.Number, float64, bool:
		return scalar(x), true
	}
	return "", false
}

// formOf is an object value as form fields, in key order; binary
// properties are file fields.
func formOf(v any, schema *openapi3.SchemaRef) []postman.FormParam {
	obj, _ := v.(map[string]any)
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []postman.FormParam
	for _, k := range keys {
		f := postman.FormParam{Key: k, Value: scalar(obj[k]), Type: "text"}
		if schema != nil && schema.Value != nil {
			if p := schema.Value.Properties[k]; p != nil && p.Value != nil && p.Value.Format == "binary" {
				f = postman.FormParam{Key: k, Type: "file"}
			}
		}
		out = append(out, f)
	}
	return out
}

// success is the test script asserting the documented success status
// (the lowest 2xx, or the 2XX range) and the media type to accept.
func (im *oaImport) success(op *openapi3.Operation) (script, accept string) {
	if op.Responses == nil {
		return "", ""
	}
	best := 0
	ranged := false
	for _, code := range op.Responses.Keys() {
		if n, err := strconv.Atoi(code); err == nil && n >= 200 && n < 300 && (best == 0 || n < best) {
			best = n
		}
		if strings.EqualFold(code, "2XX") {
			ranged = true
		}
	}
	var r *openapi3.ResponseRef
	switch {
	case best > 0:
		r = op.Responses.Value(strconv.Itoa(best))
		script = fmt.Sprintf("pm.test(\"Status code is %d\", function () {\n    pm.response.to.have.status(%d);\n});", best, best)
	case ranged:
		for _, k := range op.Responses.Keys() {
			if strings.EqualFold(k, "2XX") {
				r = op.Responses.Value(k)
			}
		}
		script = "pm.test(\"Status code is 2xx\", function () {\n    pm.expect(pm.response.code).to.be.within(200, 299);\n});"
	}
	if r != nil && r.Value != nil {
		accept, _ = pickMedia(r.Value.Content)
	}
	return script, accept
}

// examples are the documented responses, each with its example body (or
// a plain sample of its schema).
func (im *oaImport) examples(op *openapi3.Operation, req *postman.Request) []postman.Response {
	if op.Responses == nil {
		return nil
	}
	type coded struct {
		key  string
		code int
	}
	var codes []coded
	for _, k := range op.Responses.Keys() {
		n, err := strconv.Atoi(k)
		if err != nil && len(k) == 3 && strings.HasSuffix(strings.ToUpper(k), "XX") && k[0] >= '1' && k[0] <= '5' {
			n, err = int(k[0]-'0')*100, nil
		}
		if err != nil || n < 100 || n > 599 {
			continue // "default" names no status
		}
		codes = append(codes, coded{k, n})
	}
	sort.Slice(codes, func(a, b int) bool { return codes[a].code < codes[b].code })
	var out []postman.Response
	for _, c := range codes {
		if len(out) >= maxExamples {
			break
		}
		ref := op.Responses.Value(c.key)
		if ref == nil || ref.Value == nil {
			continue
		}
		orig := *req
		desc := ""
		if ref.Value.Description != nil {
			desc = *ref.Value.Description
		}
		ex := postman.Response{Name: firstLine(desc), OriginalRequest: &orig, Code: c.code,
			Status: http.StatusText(c.code)}
		if ex.Name == "" {
			ex.Name = fmt.Sprintf("%d %s", c.code, ex.Status)
		}
		if mt, media := pickMedia(ref.Value.Content); media != nil {
			ex.Header = []postman.Header{{Key: "Content-Type", Value: mt}}
			if v, ok := mediaValue(media, openapi.Response); ok {
				if text, ok := bodyText(v, mt); ok {
					ex.Body = text
					ex.PreviewLanguage = orDefault(rawLanguage(mt), "text")
				}
			}
		}
		out = append(out, ex)
	}
	return out
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = strings.TrimSpace(s[:i])
	}
	if len(s) > 120 {
		s = s[:120] + "…"
	}
	return s
}

// auth maps the first requirement of a security list to an auth; nil
// when there is none (or none that maps).
func (im *oaImport) auth(reqs openapi3.SecurityRequirements, where string) *postman.Auth {
	if len(reqs) == 0 {
		return nil
	}
	names := make([]string, 0, len(reqs[0]))
	for n := range reqs[0] {
		names = append(names, n)
	}
	sort.Strings(names)
	if len(names) == 0 {
		return postman.NewAuth("noauth") // {} : anonymous access allowed
	}
	var schemes openapi3.SecuritySchemes
	if im.doc.Components != nil {
		schemes = im.doc.Components.SecuritySchemes
	}
	ref := schemes[names[0]]
	if ref == nil || ref.Value == nil {
		im.warnOnce(names[0], "%s: security scheme %q is not defined: requests are sent without it", where, names[0])
		return nil
	}
	s := ref.Value
	switch strings.ToLower(s.Type) {
	case "http":
		switch strings.ToLower(s.Scheme) {
		case "basic":
			im.vars["username"], im.vars["password"] = true, true
			return postman.NewAuth("basic", "username", "{{username}}", "password", "{{password}}")
		case "digest":
			im.vars["username"], im.vars["password"] = true, true
			return postman.NewAuth("digest", "username", "{{username}}", "password", "{{password}}")
		case "bearer":
			im.vars["bearerToken"] = true
			return postman.NewAuth("bearer", "token", "{{bearerToken}}")
		}
	case "apikey":
		in := s.In
		if in == "cookie" {
			break
		}
		im.vars["apiKey"] = true
		return postman.NewAuth("apikey", "key", s.Name, "value", "{{apiKey}}", "in", in)
	case "oauth2", "openidconnect":
		im.vars["bearerToken"] = true
		im.warnOnce(names[0], "security scheme %q (%s): requests send the token in {{bearerToken}}; get one and set the variable", names[0], s.Type)
		return postman.NewAuth("bearer", "token", "{{bearerToken}}")
	}
	im.warnOnce(names[0], "security scheme %q (%s %s%s) has no counterpart here: requests are sent without it", names[0], s.Type, s.Scheme, s.In)
	return nil
}

func (im *oaImport) warnOnce(key, format string, args ...any) {
	if im.warned == nil {
		im.warned = map[string]bool{}
	}
	if !im.warned[key] {
		im.warned[key] = true
		im.w.warn(format, args...)
	}
}

// authVariables are the (empty) variables the auth settings refer to.
func (im *oaImport) authVariables() []postman.Variable {
	var out []postman.Variable
	for _, k := range []string{"username", "password", "bearerToken", "apiKey"} {
		if im.vars[k] {
			out = append(out, postman.Variable{Key: k, Value: "", Type: "string"})
		}
	}
	return out
}
