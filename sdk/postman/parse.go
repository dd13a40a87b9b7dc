package postman

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
)

// Error is a document Parse or ParseEnvironment cannot read. Path is the
// JSON path of the offending element ("item[2].item[0].request.url"), ""
// for the document as a whole.
type Error struct {
	Path    string
	Message string
}

// Error is "path: message", or the message alone for the whole document.
func (e *Error) Error() string {
	if e.Path == "" {
		return e.Message
	}
	return e.Path + ": " + e.Message
}

func errorf(path, format string, args ...any) *Error {
	return &Error{Path: path, Message: fmt.Sprintf(format, args...)}
}

// Parse reads a Postman collection: v2.1, v2.0 (normalised to v2.1: auth
// attributes as lists, "variables" as "variable", "enabled": false as
// "disabled": true) or the Postman API's {"collection": {...}} wrapper. It is
// lenient where Postman is (headers written as "K: V" lines, missing
// names, numbers where text is expected) and refuses v1 collections,
// other documents and folders nested deeper than MaxDepth with an *Error.
// The caller bounds the document's size (MaxDocumentBytes).
func Parse(data []byte) (*Collection, error) {
	root, err := decodeDoc(data)
	if err != nil {
		return nil, err
	}
	obj, ok := root.(map[string]any)
	if !ok {
		return nil, errorf("", "the document is %s, not a Postman collection (a JSON object)", kindOf(root))
	}
	path := ""
	if inner, ok := obj["collection"].(map[string]any); ok && obj["item"] == nil && obj["info"] == nil {
		obj, path = inner, "collection" // the Postman API's GET /collections/{id}
	}
	if err := checkCollection(obj, path); err != nil {
		return nil, err
	}
	if info, ok := obj["info"].(map[string]any); ok && strings.Contains(text(info["schema"]), "/v2.0.") {
		enabledToDisabled(obj, 0)
	}
	return collection(obj, path)
}

// UnmarshalJSON reads a collection as Parse does.
func (c *Collection) UnmarshalJSON(data []byte) error {
	p, err := Parse(data)
	if err != nil {
		return err
	}
	*c = *p
	return nil
}

// decodeDoc decodes JSON keeping numbers exact (json.Number), or says
// where it is not JSON.
func decodeDoc(data []byte) (any, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, errorf("", "the document is empty")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, errorf("", "the document is not JSON: %s", jsonWhere(data, err))
	}
	if at := dec.InputOffset(); len(bytes.TrimSpace(data[at:])) > 0 {
		return nil, errorf("", "the document is not JSON: %s", where(data, at+1, "text after the JSON value"))
	}
	return v, nil
}

// jsonWhere is a decoding error as "line L, column C: message".
func jsonWhere(data []byte, err error) string {
	var se *json.SyntaxError
	switch {
	case errors.As(err, &se):
		return where(data, se.Offset, err.Error())
	case errors.Is(err, io.ErrUnexpectedEOF):
		return where(data, int64(len(data)), "the document ends too early")
	}
	return err.Error()
}

// where names the line and column of the byte before offset.
func where(data []byte, offset int64, msg string) string {
	if offset < 0 || offset > int64(len(data)) {
		return msg
	}
	if offset > 0 {
		offset--
	}
	line := 1 + bytes.Count(data[:offset], []byte("\n"))
	col := int(offset) - bytes.LastIndexByte(data[:offset], '\n')
	return fmt.Sprintf("line %d, column %d: %s", line, col, msg)
}

// checkCollection tells other documents from a v2 collection, naming what
// they are.
func checkCollection(obj map[string]any, path string) error {
	_, hasItem := obj["item"]
	schema := ""
	if info, ok := obj["info"].(map[string]any); ok {
		schema, _ = info["schema"].(string)
	}
	_, requests := obj["requests"]
	_, order := obj["order"]
	_, folders := obj["folders"]
	switch {
	case strings.Contains(schema, "/v1.") || (!hasItem && (requests || order || folders)):
		return errorf(path, "this is a Postman v1 collection, which is not supported: open it in Postman and export it as Collection v2.1")
	case schema != "" && strings.Contains(schema, "/collection/") && !strings.Contains(schema, "/v2.0.") && !strings.Contains(schema, "/v2.1."):
		return errorf(joinPath(path, "info.schema"), "%q is not a supported collection format: v2.0 and v2.1 are", schema)
	case hasItem:
		return nil
	case obj["_type"] == "export" || obj["__export_format"] != nil:
		return errorf(path, "this is an Insomnia export, not a Postman collection: import it as Insomnia")
	case obj["openapi"] != nil || obj["swagger"] != nil:
		return errorf(path, "this is an OpenAPI description, not a Postman collection: import it as OpenAPI")
	case obj["log"] != nil:
		return errorf(path, "this looks like a HAR file, not a Postman collection: import it as HAR")
	case obj["values"] != nil || obj["_postman_variable_scope"] != nil:
		return errorf(path, "this is a Postman environment or globals file, not a collection")
	}
	return errorf(path, "not a Postman collection: it has no \"item\" list")
}

func joinPath(base, elem string) string {
	if base == "" {
		return elem
	}
	return base + "." + elem
}

func index(base string, i int) string { return base + "[" + strconv.Itoa(i) + "]" }

func collection(obj map[string]any, path string) (*Collection, error) {
	c := &Collection{}
	if v, ok := obj["info"]; ok && v != nil {
		info, err := object(v, joinPath(path, "info"))
		if err != nil {
			return nil, err
		}
		c.Info = Info{PostmanID: text(info["_postman_id"]), Name: text(info["name"]), Version: info["version"],
			Schema: SchemaV21, ExporterID: text(info["_exporter_id"])}
		if c.Info.Description, err = description(info["description"], joinPath(path, "info.description")); err != nil {
			return nil, err
		}
	} else {
		c.Info.Schema = SchemaV21
	}
	var err error
	if c.Item, err = items(obj["item"], joinPath(path, "item"), 1); err != nil {
		return nil, err
	}
	if c.Item == nil {
		c.Item = []*Item{}
	}
	if c.Event, err = events(obj["event"], joinPath(path, "event")); err != nil {
		return nil, err
	}
	if c.Variable, err = variablesOf(obj, path); err != nil {
		return nil, err
	}
	if c.Auth, err = auth(obj["auth"], joinPath(path, "auth")); err != nil {
		return nil, err
	}
	c.ProtocolProfileBehavior = rawJSON(obj["protocolProfileBehavior"])
	return c, nil
}

// variablesOf reads "variable", or v2.0's "variables".
func variablesOf(obj map[string]any, path string) ([]Variable, error) {
	if v, ok := obj["variable"]; ok && v != nil {
		return variables(v, joinPath(path, "variable"))
	}
	return variables(obj["variables"], joinPath(path, "variables"))
}

func items(v any, path string, depth int) ([]*Item, error) {
	if v == nil {
		return nil, nil
	}
	list, err := array(v, path)
	if err != nil {
		return nil, err
	}
	if depth > MaxDepth {
		return nil, errorf(path, "folders nest more than %d deep", MaxDepth)
	}
	out := make([]*Item, 0, len(list))
	for i, e := range list {
		it, err := item(e, index(path, i), depth)
		if err != nil {
			return nil, err
		}
		out = append(out, it)
	}
	return out, nil
}

func item(v any, path string, depth int) (*Item, error) {
	obj, err := object(v, path)
	if err != nil {
		return nil, err
	}
	it := &Item{ID: text(obj["id"]), Name: text(obj["name"])}
	if it.Description, err = description(obj["description"], joinPath(path, "description")); err != nil {
		return nil, err
	}
	if it.Variable, err = variablesOf(obj, path); err != nil {
		return nil, err
	}
	if it.Event, err = events(obj["event"], joinPath(path, "event")); err != nil {
		return nil, err
	}
	if it.Auth, err = auth(obj["auth"], joinPath(path, "auth")); err != nil {
		return nil, err
	}
	it.ProtocolProfileBehavior = rawJSON(obj["protocolProfileBehavior"])
	if sub, ok := obj["item"]; ok && sub != nil {
		if it.Item, err = items(sub, joinPath(path, "item"), depth+1); err != nil {
			return nil, err
		}
		if it.Item == nil {
			it.Item = []*Item{}
		}
		return it, nil
	}
	if r, ok := obj["request"]; ok && r != nil {
		if it.Request, err = request(r, joinPath(path, "request")); err != nil {
			return nil, err
		}
	}
	if it.Response, err = responses(obj["response"], joinPath(path, "response")); err != nil {
		return nil, err
	}
	return it, nil
}

// UnmarshalJSON reads an item (or folder) as Parse does.
func (it *Item) UnmarshalJSON(data []byte) error {
	v, err := decodeDoc(data)
	if err != nil {
		return err
	}
	p, err := item(v, "", 1)
	if err != nil {
		return err
	}
	*it = *p
	return nil
}

func request(v any, path string) (*Request, error) {
	if s, ok := v.(string); ok {
		return &Request{Method: "GET", URL: NewURL(s)}, nil
	}
	obj, err := object(v, path)
	if err != nil {
		return nil, err
	}
	r := &Request{Method: text(obj["method"])}
	if u, ok := obj["url"]; ok && u != nil {
		if r.URL, err = url(u, joinPath(path, "url")); err != nil {
			return nil, err
		}
	}
	if r.Auth, err = auth(obj["auth"], joinPath(path, "auth")); err != nil {
		return nil, err
	}
	if r.Description, err = description(obj["description"], joinPath(path, "description")); err != nil {
		return nil, err
	}
	if r.Header, err = headers(obj["header"], joinPath(path, "header")); err != nil {
		return nil, err
	}
	if b, ok := obj["body"]; ok && b != nil {
		if r.Body, err = body(b, joinPath(path, "body")); err != nil {
			return nil, err
		}
	}
	r.Proxy = rawJSON(obj["proxy"])
	r.Certificate = rawJSON(obj["certificate"])
	return r, nil
}

// UnmarshalJSON reads a request as Parse does (a string is a GET of that
// URL).
func (r *Request) UnmarshalJSON(data []byte) error {
	v, err := decodeDoc(data)
	if err != nil {
		return err
	}
	p, err := request(v, "")
	if err != nil {
		return err
	}
	*r = *p
	return nil
}

// headers reads a header list, or the text form "K: V" a line (a line
// starting with // is a disabled header, as Postman's bulk editor writes).
func headers(v any, path string) ([]Header, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case string:
		return headerLines(x), nil
	}
	list, err := arrayOr(v, path, " (or \"Key: value\" lines)")
	if err != nil {
		return nil, err
	}
	out := make([]Header, 0, len(list))
	for i, e := range list {
		p := index(path, i)
		if s, ok := e.(string); ok {
			out = append(out, headerLines(s)...)
			continue
		}
		obj, err := object(e, p)
		if err != nil {
			return nil, err
		}
		h := Header{Key: text(obj["key"]), Value: text(obj["value"]), Disabled: disabled(obj), Type: text(obj["type"])}
		if h.Description, err = description(obj["description"], joinPath(p, "description")); err != nil {
			return nil, err
		}
		out = append(out, h)
	}
	return nilIfEmpty(out), nil
}

func headerLines(s string) []Header {
	var out []Header
	for _, line := range strings.Split(s, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		off := strings.HasPrefix(line, "//")
		if off {
			line = strings.TrimSpace(line[2:])
		}
		k, val, _ := strings.Cut(line, ":")
		out = append(out, Header{Key: strings.TrimSpace(k), Value: strings.TrimSpace(val), Disabled: off})
	}
	return out
}

func disabled(obj map[string]any) bool { return truthy(obj["disabled"]) }

// enabledToDisabled turns v2.0's "enabled" (of headers, query and form
// fields, variables) into v2.1's "disabled". A v2.1 document's "enabled"
// is left alone, as newman ignores it.
func enabledToDisabled(v any, depth int) {
	if depth > 10000 {
		return
	}
	switch x := v.(type) {
	case map[string]any:
		if en, ok := x["enabled"].(bool); ok {
			if _, set := x["disabled"]; !set {
				x["disabled"] = !en
			}
		}
		for _, e := range x {
			enabledToDisabled(e, depth+1)
		}
	case []any:
		for _, e := range x {
			enabledToDisabled(e, depth+1)
		}
	}
}

func truthy(v any) bool {
	switch x := v.(type) {
	case bool:
		return x
	case string:
		return x == "true"
	case json.Number:
		return x.String() != "0"
	}
	return false
}

func url(v any, path string) (*URL, error) {
	if s, ok := v.(string); ok {
		return NewURL(s), nil
	}
	obj, err := objectOr(v, path, " (or a string)")
	if err != nil {
		return nil, err
	}
	u := &URL{Raw: text(obj["raw"]), Protocol: text(obj["protocol"]), Port: text(obj["port"]), Hash: text(obj["hash"])}
	switch h := obj["host"].(type) {
	case nil:
	case string:
		u.Host = splitHost(h)
	default:
		if u.Host, err = segments(h, joinPath(path, "host")); err != nil {
			return nil, err
		}
	}
	switch p := obj["path"].(type) {
	case nil:
	case string:
		u.Path = splitPath(p)
	default:
		if u.Path, err = segments(p, joinPath(path, "path")); err != nil {
			return nil, err
		}
	}
	switch q := obj["query"].(type) {
	case nil:
	case string:
		u.Query = parseQuery(strings.TrimPrefix(q, "?"))
	default:
		if u.Query, err = queryParams(q, joinPath(path, "query")); err != nil {
			return nil, err
		}
	}
	if u.Variable, err = variables(obj["variable"], joinPath(path, "variable")); err != nil {
		return nil, err
	}
	if u.Raw != "" && u.Protocol == "" && u.Host == nil && u.Path == nil && u.Port == "" && u.Query == nil && u.Hash == "" {
		// Only raw: newman reads the parts, so they are made from it.
		p := NewURL(u.Raw)
		if u.Variable == nil {
			u.Variable = p.Variable
		}
		p.Variable = u.Variable
		u = p
	}
	return u, nil
}

// UnmarshalJSON reads a URL string or object as Parse does.
func (u *URL) UnmarshalJSON(data []byte) error {
	v, err := decodeDoc(data)
	if err != nil {
		return err
	}
	p, err := url(v, "")
	if err != nil {
		return err
	}
	*u = *p
	return nil
}

// segments reads a host or path list: strings, or {"type", "value"}.
func segments(v any, path string) ([]string, error) {
	list, err := arrayOr(v, path, " (or a string)")
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(list))
	for _, e := range list {
		if obj, ok := e.(map[string]any); ok {
			out = append(out, text(obj["value"]))
			continue
		}
		out = append(out, text(e))
	}
	return nilIfEmpty(out), nil
}

func queryParams(v any, path string) ([]QueryParam, error) {
	list, err := array(v, path)
	if err != nil {
		return nil, err
	}
	out := make([]QueryParam, 0, len(list))
	for i, e := range list {
		p := index(path, i)
		obj, err := object(e, p)
		if err != nil {
			return nil, err
		}
		q := QueryParam{Key: text(obj["key"]), Disabled: disabled(obj)}
		if val, ok := obj["value"]; ok && val != nil {
			s := text(val)
			q.Value = &s
		}
		if q.Description, err = description(obj["description"], joinPath(p, "description")); err != nil {
			return nil, err
		}
		out = append(out, q)
	}
	return nilIfEmpty(out), nil
}

func body(v any, path string) (*Body, error) {
	obj, err := object(v, path)
	if err != nil {
		return nil, err
	}
	b := &Body{Mode: text(obj["mode"]), Disabled: truthy(obj["disabled"])}
	switch r := obj["raw"].(type) {
	case nil:
	case string:
		b.Raw = r
	default:
		b.Raw = string(rawJSON(r)) // a JSON body written as JSON, not as its text
	}
	if b.URLEncoded, err = formParams(obj["urlencoded"], joinPath(path, "urlencoded")); err != nil {
		return nil, err
	}
	if b.FormData, err = formParams(obj["formdata"], joinPath(path, "formdata")); err != nil {
		return nil, err
	}
	if f, ok := obj["file"]; ok && f != nil {
		fo, err := object(f, joinPath(path, "file"))
		if err != nil {
			return nil, err
		}
		b.File = &BodyFile{Src: text(fo["src"]), Content: text(fo["content"])}
	}
	if g, ok := obj["graphql"]; ok && g != nil {
		gobj, err := object(g, joinPath(path, "graphql"))
		if err != nil {
			return nil, err
		}
		b.GraphQL = &GraphQL{Query: text(gobj["query"])}
		switch vars := gobj["variables"].(type) {
		case nil:
		case string:
			b.GraphQL.Variables = vars
		default:
			b.GraphQL.Variables = string(rawJSON(vars))
		}
	}
	if o, ok := obj["options"].(map[string]any); ok {
		if raw, ok := o["raw"].(map[string]any); ok && text(raw["language"]) != "" {
			b.Options = &BodyOptions{Raw: &RawOptions{Language: text(raw["language"])}}
		}
	}
	if b.Mode == "" && b.Raw == "" && b.URLEncoded == nil && b.FormData == nil && b.File == nil && b.GraphQL == nil {
		return nil, nil // "body": {} says nothing
	}
	return b, nil
}

func formParams(v any, path string) ([]FormParam, error) {
	if v == nil {
		return nil, nil
	}
	list, err := array(v, path)
	if err != nil {
		return nil, err
	}
	out := make([]FormParam, 0, len(list))
	for i, e := range list {
		p := index(path, i)
		obj, err := object(e, p)
		if err != nil {
			return nil, err
		}
		f := FormParam{Key: text(obj["key"]), Value: text(obj["value"]), Disabled: disabled(obj), Type: text(obj["type"]),
			ContentType: text(obj["contentType"])}
		switch src := obj["src"].(type) {
		case nil:
		case []any:
			for _, s := range src {
				if s != nil {
					f.Src = append(f.Src, text(s))
				}
			}
		default:
			f.Src = []string{text(src)}
		}
		if f.Description, err = description(obj["description"], joinPath(p, "description")); err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return nilIfEmpty(out), nil
}

// auth reads {"type": T, T: [...]} with v2.1's attribute lists or v2.0's
// attribute objects.
func auth(v any, path string) (*Auth, error) {
	if v == nil {
		return nil, nil
	}
	obj, err := object(v, path)
	if err != nil {
		return nil, err
	}
	a := &Auth{Type: text(obj["type"]), Params: map[string][]AuthParam{}}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		if k != "type" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		p := joinPath(path, k)
		switch x := obj[k].(type) {
		case nil:
			if k == a.Type {
				a.Params[k] = []AuthParam{}
			}
		case []any:
			ps := make([]AuthParam, 0, len(x))
			for i, e := range x {
				o, err := object(e, index(p, i))
				if err != nil {
					return nil, err
				}
				ps = append(ps, AuthParam{Key: text(o["key"]), Value: o["value"], Type: text(o["type"])})
			}
			a.Params[k] = ps
		case map[string]any:
			// v2.0: {"username": "u", "password": "p"}.
			names := make([]string, 0, len(x))
			for n := range x {
				names = append(names, n)
			}
			sort.Strings(names)
			ps := make([]AuthParam, 0, len(x))
			for _, n := range names {
				ps = append(ps, AuthParam{Key: n, Value: x[n], Type: attrType(x[n])})
			}
			a.Params[k] = ps
		default:
			if k == "noauth" {
				continue // v2.0 wrote "noauth": {} or even "noauth": true
			}
			return nil, errorf(p, "is %s, want a list of {key, value} attributes", kindOf(x))
		}
	}
	delete(a.Params, "noauth")
	if a.Type == "" {
		if len(a.Params) == 0 {
			return nil, nil // "auth": {} says nothing
		}
		if len(a.Params) > 1 {
			return nil, errorf(joinPath(path, "type"), "is missing and the auth has attributes of several types")
		}
		for k := range a.Params {
			a.Type = k
		}
	}
	return a, nil
}

func attrType(v any) string {
	switch v.(type) {
	case string:
		return "string"
	case bool:
		return "boolean"
	case json.Number:
		return "number"
	}
	return "any"
}

func events(v any, path string) ([]Event, error) {
	if v == nil {
		return nil, nil
	}
	list, err := array(v, path)
	if err != nil {
		return nil, err
	}
	out := make([]Event, 0, len(list))
	for i, e := range list {
		p := index(path, i)
		obj, err := object(e, p)
		if err != nil {
			return nil, err
		}
		ev := Event{ID: text(obj["id"]), Listen: text(obj["listen"]), Disabled: truthy(obj["disabled"])}
		switch s := obj["script"].(type) {
		case nil:
		case string:
			ev.Script = &Script{Type: "text/javascript", Exec: splitLines(s)}
		default:
			so, err := object(s, joinPath(p, "script"))
			if err != nil {
				return nil, err
			}
			ev.Script = &Script{ID: text(so["id"]), Type: text(so["type"]), Name: text(so["name"]), Src: rawJSON(so["src"])}
			switch x := so["exec"].(type) {
			case nil:
			case string:
				ev.Script.Exec = splitLines(x)
			case []any:
				for _, l := range x {
					ev.Script.Exec = append(ev.Script.Exec, text(l))
				}
			default:
				return nil, errorf(joinPath(p, "script.exec"), "is %s, want lines of code (a list of strings, or a string)", kindOf(x))
			}
		}
		out = append(out, ev)
	}
	return nilIfEmpty(out), nil
}

func variables(v any, path string) ([]Variable, error) {
	if v == nil {
		return nil, nil
	}
	list, err := array(v, path)
	if err != nil {
		return nil, err
	}
	out := make([]Variable, 0, len(list))
	for i, e := range list {
		p := index(path, i)
		obj, err := object(e, p)
		if err != nil {
			return nil, err
		}
		vr := Variable{ID: text(obj["id"]), Key: text(obj["key"]), Value: obj["value"], Type: text(obj["type"]),
			Name: text(obj["name"]), System: truthy(obj["system"]), Disabled: disabled(obj)}
		if vr.Key == "" {
			vr.Key = vr.ID // older exports name path variables by id
		}
		if vr.Description, err = description(obj["description"], joinPath(p, "description")); err != nil {
			return nil, err
		}
		out = append(out, vr)
	}
	return nilIfEmpty(out), nil
}

func responses(v any, path string) ([]Response, error) {
	if v == nil {
		return nil, nil
	}
	list, err := array(v, path)
	if err != nil {
		return nil, err
	}
	out := make([]Response, 0, len(list))
	for i, e := range list {
		p := index(path, i)
		obj, err := object(e, p)
		if err != nil {
			return nil, err
		}
		r := Response{ID: text(obj["id"]), Name: text(obj["name"]), Status: text(obj["status"]),
			ResponseTime: obj["responseTime"], PreviewLanguage: text(obj["_postman_previewlanguage"])}
		if code := text(obj["code"]); code != "" {
			n, err := strconv.Atoi(code)
			if err != nil {
				return nil, errorf(joinPath(p, "code"), "%q is not an HTTP status code", code)
			}
			r.Code = n
		}
		if or, ok := obj["originalRequest"]; ok && or != nil {
			if r.OriginalRequest, err = request(or, joinPath(p, "originalRequest")); err != nil {
				return nil, err
			}
		}
		if r.Header, err = headers(obj["header"], joinPath(p, "header")); err != nil {
			return nil, err
		}
		if c, ok := obj["cookie"].([]any); ok && len(c) > 0 {
			r.Cookie = c
		}
		switch b := obj["body"].(type) {
		case nil:
		case string:
			r.Body = b
		default:
			r.Body = string(rawJSON(b))
		}
		out = append(out, r)
	}
	return nilIfEmpty(out), nil
}

func description(v any, path string) (*Description, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case string:
		return Text(x), nil
	case map[string]any:
		d := &Description{Content: text(x["content"]), Type: text(x["type"]), Version: x["version"]}
		if d.Content == "" && d.Type == "" && d.Version == nil {
			return nil, nil
		}
		return d, nil
	}
	return nil, errorf(path, "is %s, want a string or {content, type}", kindOf(v))
}

func object(v any, path string) (map[string]any, error) { return objectOr(v, path, "") }

// objectOr is v as an object, else an error saying what else would do.
func objectOr(v any, path, alternative string) (map[string]any, error) {
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, errorf(path, "is %s, want an object%s", kindOf(v), alternative)
	}
	return obj, nil
}

func array(v any, path string) ([]any, error) { return arrayOr(v, path, "") }

func arrayOr(v any, path, alternative string) ([]any, error) {
	list, ok := v.([]any)
	if !ok {
		return nil, errorf(path, "is %s, want a list%s", kindOf(v), alternative)
	}
	return list, nil
}

// nilIfEmpty makes an empty list nil, as it is written (omitted), so that
// a document reads the same after a round trip.
func nilIfEmpty[T any](s []T) []T {
	if len(s) == 0 {
		return nil
	}
	return s
}

func kindOf(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case json.Number, float64:
		return "a number"
	case bool:
		return "true/false"
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

// text reads a value written where text is expected: numbers and
// booleans as written, null as "", objects and lists as JSON.
func text(v any) string {
	if v == nil {
		return ""
	}
	return scalarText(v)
}

func scalarText(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	case bool:
		return strconv.FormatBool(x)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case int:
		return strconv.Itoa(x)
	}
	return string(rawJSON(v))
}

// rawJSON is a decoded value written back as JSON (nil for none).
func rawJSON(v any) json.RawMessage {
	if v == nil {
		return nil
	}
	b, err := marshalNoEscape(v)
	if err != nil {
		return nil
	}
	return b
}

// splitLines splits code into lines as Postman stores exec.
func splitLines(code string) []string {
	return strings.Split(strings.ReplaceAll(code, "\r\n", "\n"), "\n")
}

func joinLines(lines []string) string { return strings.Join(lines, "\n") }

// ParseAuth reads an auth object as Parse does (v2.1 attribute lists or
// v2.0 attribute objects); nil for an empty one.
func ParseAuth(data []byte) (*Auth, error) {
	v, err := decodeDoc(data)
	if err != nil {
		return nil, err
	}
	return auth(v, "")
}

// UnmarshalJSON reads an auth object as ParseAuth does.
func (a *Auth) UnmarshalJSON(data []byte) error {
	p, err := ParseAuth(data)
	if err != nil {
		return err
	}
	if p == nil {
		p = &Auth{}
	}
	*a = *p
	return nil
}
