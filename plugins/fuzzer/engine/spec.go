package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
)

// specDoc is the OpenAPI description of the target: where seeds come from
// when a config has none, and what answers are checked against.
type specDoc struct {
	doc *openapi3.T
	ops []*specOp
}

// specOp is one operation of the description.
type specOp struct {
	doc     *openapi3.T
	method  string
	path    string // as written, with {params}
	item    *openapi3.PathItem
	op      *openapi3.Operation
	pattern *regexp.Regexp
}

var registerText sync.Once

// loadSpec reads and checks a description (JSON or YAML, 3.0 or 3.1).
func loadSpec(b []byte) (*specDoc, error) {
	registerText.Do(func() {
		text := func(r io.Reader, _ http.Header, _ *openapi3.SchemaRef, _ openapi3filter.EncodingFn) (any, error) {
			b, err := io.ReadAll(r)
			return string(b), err
		}
		for _, ct := range []string{"text/plain", "text/html"} {
			if openapi3filter.RegisteredBodyDecoder(ct) == nil {
				openapi3filter.RegisterBodyDecoder(ct, text)
			}
		}
	})
	l := openapi3.NewLoader()
	doc, err := l.LoadFromData(b)
	if err != nil {
		return nil, fmt.Errorf("openapiSpec: %w", err)
	}
	if err := doc.Validate(context.Background(), openapi3.DisableExamplesValidation()); err != nil {
		return nil, fmt.Errorf("openapiSpec: %w", err)
	}
	s := &specDoc{doc: doc}
	paths := doc.Paths.InMatchingOrder()
	sort.Strings(paths)
	for _, p := range paths {
		item := doc.Paths.Value(p)
		methods := make([]string, 0, len(item.Operations()))
		for m := range item.Operations() {
			methods = append(methods, m)
		}
		sort.Strings(methods)
		for _, m := range methods {
			s.ops = append(s.ops, &specOp{doc: doc, method: m, path: p, item: item, op: item.Operations()[m], pattern: pathPattern(p)})
		}
	}
	return s, nil
}

var paramRe = regexp.MustCompile(`\{[^}/]+\}`)

func pathPattern(p string) *regexp.Regexp {
	parts := paramRe.Split(p, -1)
	for i := range parts {
		parts[i] = regexp.QuoteMeta(parts[i])
	}
	return regexp.MustCompile("^" + strings.Join(parts, "[^/]+") + "/?$")
}

// find is the operation of a request (nil: the description has none).
func (s *specDoc) find(method, path string) *specOp {
	for _, o := range s.ops {
		if o.method == method && o.pattern.MatchString(path) {
			return o
		}
	}
	return nil
}

// seeds are one request per operation, from the description's examples.
func (s *specDoc) seeds() []Seed {
	var out []Seed
	for _, o := range s.ops {
		id := o.op.OperationID
		if id == "" {
			id = o.method + " " + o.path
		}
		sd := Seed{ID: id, Name: o.op.Summary, Method: o.method, Path: o.path, QueryParams: map[string]string{},
			PathParams: map[string]string{}, Headers: map[string]string{}}
		params := append(openapi3.Parameters{}, o.item.Parameters...)
		params = append(params, o.op.Parameters...)
		for _, pr := range params {
			p := pr.Value
			if p == nil {
				continue
			}
			v := exampleText(p.Example, p.Schema)
			switch p.In {
			case openapi3.ParameterInQuery:
				sd.QueryParams[p.Name] = v
			case openapi3.ParameterInPath:
				sd.PathParams[p.Name] = v
			case openapi3.ParameterInHeader:
				if p.Required {
					sd.Headers[p.Name] = v
				}
			}
		}
		if rb := o.op.RequestBody; rb != nil && rb.Value != nil {
			if mt := rb.Value.Content.Get("application/json"); mt != nil {
				if b, err := json.Marshal(exampleValue(mt.Example, mt.Examples, mt.Schema)); err == nil {
					sd.Body, sd.ContentType = string(b), "application/json"
				}
			}
		}
		out = append(out, sd)
	}
	return out
}

// exampleValue is a media type's example, or one made from its schema.
func exampleValue(ex any, exs openapi3.Examples, schema *openapi3.SchemaRef) any {
	if ex != nil {
		return ex
	}
	names := make([]string, 0, len(exs))
	for n := range exs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if e := exs[n]; e != nil && e.Value != nil && e.Value.Value != nil {
			return e.Value.Value
		}
	}
	return fromSchema(schema, 0)
}

func exampleText(ex any, schema *openapi3.SchemaRef) string {
	if ex == nil {
		ex = fromSchema(schema, 0)
	}
	return text(ex)
}

// fromSchema makes a value that fits a schema.
func fromSchema(ref *openapi3.SchemaRef, depth int) any {
	if ref == nil || ref.Value == nil || depth > 8 {
		return "test"
	}
	s := ref.Value
	switch {
	case s.Example != nil:
		return s.Example
	case s.Default != nil:
		return s.Default
	case len(s.Enum) > 0:
		return s.Enum[0]
	}
	switch {
	case s.Type.Is("integer"), s.Type.Is("number"):
		if s.Min != nil {
			return *s.Min
		}
		return 1
	case s.Type.Is("boolean"):
		return true
	case s.Type.Is("array"):
		return []any{fromSchema(s.Items, depth+1)}
	case s.Type.Is("object") || len(s.Properties) > 0:
		obj := map[string]any{}
		for name, p := range s.Properties {
			obj[name] = fromSchema(p, depth+1)
		}
		return obj
	}
	if s.Format == "email" {
		return "user@example.com"
	}
	return "test"
}

// checkResponse says how an answer breaks the description ("": it does not).
func (o *specOp) checkResponse(q *request, res *response) string {
	req, err := http.NewRequest(q.method, q.url, bytes.NewReader(q.body))
	if err != nil {
		return ""
	}
	req.Header = q.header
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req,
			Route: &routers.Route{Spec: o.doc, Path: o.path, PathItem: o.item, Method: o.method, Operation: o.op}},
		Status: res.status, Header: res.header, Body: io.NopCloser(bytes.NewReader(res.body)),
		Options: &openapi3filter.Options{IncludeResponseStatus: true},
	}
	err = openapi3filter.ValidateResponse(context.Background(), in)
	if err == nil {
		return ""
	}
	var re *openapi3filter.ResponseError
	if errors.As(err, &re) {
		msg := re.Reason
		var se *openapi3.SchemaError
		if errors.As(re.Err, &se) {
			msg += ": " + strings.Join(se.JSONPointer(), "/") + ": " + se.Reason
		} else if re.Err != nil {
			msg += ": " + re.Err.Error()
		}
		return fmt.Sprintf("status %d: %s", res.status, msg)
	}
	return fmt.Sprintf("status %d: %v", res.status, err)
}
