// Command oascheck calls every operation of an OpenAPI description on a
// mock server and reports the share of answers whose body validates
// against the operation's response schema (kin-openapi's validator,
// formats included), then measures requests per second over the
// description's GET operations. bench/openapi.sh runs it against
// Mockarty and Prism side by side.
//
//	oascheck -spec trello.json -base http://127.0.0.1:5770/stubs/bench [-load 10s]
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/getkin/kin-openapi/openapi2"
	"github.com/getkin/kin-openapi/openapi2conv"
	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"gopkg.in/yaml.v3"
)

func main() {
	spec := flag.String("spec", "", "OpenAPI description (JSON or YAML)")
	base := flag.String("base", "", "the mock server's base URL (the description's server path is added)")
	load := flag.Duration("load", 0, "measure requests per second over the GET operations for this long")
	conc := flag.Int("c", 32, "concurrent clients for -load")
	name := flag.String("name", "server", "name printed in the report")
	rootPaths := flag.Bool("root", false, "the server serves the paths at its root, without the description's server path (Prism)")
	flag.Parse()
	if *spec == "" || *base == "" {
		flag.Usage()
		os.Exit(2)
	}
	doc, err := loadDoc(*spec)
	if err != nil {
		fmt.Fprintln(os.Stderr, "oascheck:", err)
		os.Exit(1)
	}
	prefix := serverPath(doc)
	if *rootPaths {
		prefix = ""
	}
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: *conc}}
	ops, valid, answered := 0, 0, 0
	var gets []*http.Request
	var failures []string
	for _, path := range sortedPaths(doc) {
		item := doc.Paths.Value(path)
		for _, method := range []string{"GET", "PUT", "POST", "DELETE", "OPTIONS", "HEAD", "PATCH"} {
			op := item.GetOperation(method)
			if op == nil {
				continue
			}
			ops++
			req, body := build(doc, *base+prefix, path, method, item, op)
			if method == http.MethodGet {
				gets = append(gets, req.Clone(context.Background()))
			}
			err := check(client, doc, req, body, path, item, op)
			switch {
			case err == nil:
				valid++
				answered++
			case strings.HasPrefix(err.Error(), "no answer"):
				failures = append(failures, fmt.Sprintf("%s %s: %v", method, path, err))
			default:
				answered++
				failures = append(failures, fmt.Sprintf("%s %s: %v", method, path, err))
			}
		}
	}
	out := map[string]any{"server": *name, "spec": *spec, "operations": ops, "answered": answered, "schemaValid": valid,
		"validShare": float64(valid) / float64(max(ops, 1))}
	if *load > 0 && len(gets) > 0 {
		out["rps"], out["errors"] = measure(client, gets, *load, *conc)
	}
	sort.Strings(failures)
	out["firstFailures"] = failures[:min(len(failures), 5)]
	b, _ := json.Marshal(out)
	fmt.Println(string(b))
}

func loadDoc(file string) (*openapi3.T, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var head struct {
		Swagger string `json:"swagger" yaml:"swagger"`
	}
	if json.Unmarshal(data, &head) != nil {
		// YAML: read it as JSON (Swagger 2.0 is read from JSON only).
		var v any
		if err := yaml.Unmarshal(data, &v); err != nil {
			return nil, err
		}
		data, err = json.Marshal(stringKeys(v))
		if err != nil {
			return nil, err
		}
		_ = json.Unmarshal(data, &head)
	}
	if head.Swagger != "" {
		var v2 openapi2.T
		if err := json.Unmarshal(data, &v2); err != nil {
			return nil, err
		}
		return openapi2conv.ToV3(&v2)
	}
	return openapi3.NewLoader().LoadFromData(data)
}

// stringKeys makes YAML's non-string keys (response codes written as 200)
// strings, as JSON needs.
func stringKeys(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = stringKeys(e)
		}
	case map[any]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[fmt.Sprint(k)] = stringKeys(e)
		}
		return m
	case []any:
		for i, e := range x {
			x[i] = stringKeys(e)
		}
	}
	return v
}

func serverPath(doc *openapi3.T) string {
	if len(doc.Servers) == 0 {
		return ""
	}
	raw := doc.Servers[0].URL
	for n, v := range doc.Servers[0].Variables {
		raw = strings.ReplaceAll(raw, "{"+n+"}", v.Default)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return strings.TrimRight(u.Path, "/")
}

func sortedPaths(doc *openapi3.T) []string {
	ps := doc.Paths.InMatchingOrder()
	sort.Strings(ps)
	return ps
}

// build makes a request a validating mock server accepts: parameters and
// a body from examples or minimal samples of their schemas.
func build(doc *openapi3.T, base, path, method string, item *openapi3.PathItem, op *openapi3.Operation) (*http.Request, []byte) {
	q := url.Values{}
	hdr := http.Header{}
	params := append(openapi3.Parameters{}, item.Parameters...)
	params = append(params, op.Parameters...)
	for _, p := range params {
		if p == nil || p.Value == nil {
			continue
		}
		v := fmt.Sprint(scalar(p.Value))
		switch p.Value.In {
		case "path":
			path = strings.ReplaceAll(path, "{"+p.Value.Name+"}", url.PathEscape(v))
		case "query":
			if p.Value.Required {
				q.Set(p.Value.Name, v)
			}
		case "header":
			if p.Value.Required {
				hdr.Set(p.Value.Name, v)
			}
		}
	}
	for strings.Contains(path, "{") { // a parameter the description forgot
		i, j := strings.Index(path, "{"), strings.Index(path, "}")
		if j < i {
			break
		}
		path = path[:i] + "1" + path[j+1:]
	}
	u := base + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	var body []byte
	if op.RequestBody != nil && op.RequestBody.Value != nil {
		if mt := op.RequestBody.Value.Content.Get("application/json"); mt != nil {
			switch {
			case mt.Example != nil:
				body, _ = json.Marshal(mt.Example)
			case mt.Schema != nil:
				body, _ = json.Marshal(minimal(mt.Schema, 0))
			}
			hdr.Set("Content-Type", "application/json")
		}
	}
	req, _ := http.NewRequest(method, u, bytes.NewReader(body))
	credentials(req, hdr, doc, op)
	req.Header = hdr
	req.Header.Set("Accept", "application/json")
	return req, body
}

// credentials fills every security requirement that applies, so a
// server that checks them (Prism) answers.
func credentials(req *http.Request, hdr http.Header, doc *openapi3.T, op *openapi3.Operation) {
	reqs := doc.Security
	if op.Security != nil {
		reqs = *op.Security
	}
	if len(reqs) == 0 || doc.Components == nil {
		return
	}
	q := req.URL.Query()
	names := map[string]bool{}
	for _, r := range reqs {
		for name := range r {
			names[name] = true
		}
	}
	for name := range names {
		ref := doc.Components.SecuritySchemes[name]
		if ref == nil || ref.Value == nil {
			continue
		}
		s := ref.Value
		switch {
		case s.Type == "apiKey" && s.In == "query":
			q.Set(s.Name, "bench")
		case s.Type == "apiKey" && s.In == "header":
			hdr.Set(s.Name, "bench")
		case s.Type == "apiKey" && s.In == "cookie":
			hdr.Add("Cookie", s.Name+"=bench")
		case s.Type == "http" && strings.EqualFold(s.Scheme, "basic"):
			hdr.Set("Authorization", "Basic YmVuY2g6YmVuY2g=")
		default:
			hdr.Set("Authorization", "Bearer bench")
		}
	}
	req.URL.RawQuery = q.Encode()
}

func scalar(p *openapi3.Parameter) any {
	if p.Example != nil {
		return p.Example
	}
	if p.Schema == nil || p.Schema.Value == nil {
		return "1"
	}
	return minimal(p.Schema, 0)
}

// minimal is the smallest value of a schema: required properties only.
func minimal(ref *openapi3.SchemaRef, depth int) any {
	if ref == nil || ref.Value == nil || depth > 8 {
		return nil
	}
	s := ref.Value
	switch {
	case s.Example != nil:
		return s.Example
	case s.Default != nil:
		return s.Default
	case len(s.Enum) > 0:
		return s.Enum[0]
	case len(s.AllOf) > 0:
		out := map[string]any{}
		for _, p := range s.AllOf {
			if m, ok := minimal(p, depth+1).(map[string]any); ok {
				for k, v := range m {
					out[k] = v
				}
			}
		}
		return out
	case len(s.OneOf) > 0:
		return minimal(s.OneOf[0], depth+1)
	case len(s.AnyOf) > 0:
		return minimal(s.AnyOf[0], depth+1)
	}
	t := ""
	if s.Type != nil && len(s.Type.Slice()) > 0 {
		t = s.Type.Slice()[0]
	}
	switch {
	case t == "object" || len(s.Properties) > 0:
		out := map[string]any{}
		for _, r := range s.Required {
			out[r] = minimal(s.Properties[r], depth+1)
		}
		return out
	case t == "array":
		return []any{}
	case t == "integer" || t == "number":
		if s.Min != nil {
			return *s.Min
		}
		return 1
	case t == "boolean":
		return true
	}
	switch s.Format {
	case "uuid":
		return "3fa85f64-5717-4562-b3fc-2c963f66afa6"
	case "date-time":
		return "2024-01-15T10:30:00Z"
	case "date":
		return "2024-01-15"
	case "email":
		return "user@example.com"
	case "uri", "url":
		return "https://example.com/"
	}
	return strings.Repeat("a", int(max(s.MinLength, 1)))
}

func check(client *http.Client, doc *openapi3.T, req *http.Request, body []byte, path string, item *openapi3.PathItem, op *openapi3.Operation) error {
	req.Body = io.NopCloser(bytes.NewReader(body))
	res, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("no answer: %v", err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode == http.StatusNotFound && op.Responses.Value("404") == nil {
		return fmt.Errorf("no answer: 404 %.200s", b)
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req,
			Route: &routers.Route{Spec: doc, Path: path, PathItem: item, Method: req.Method, Operation: op}},
		Status: res.StatusCode, Header: res.Header, Body: io.NopCloser(bytes.NewReader(b)),
		Options: &openapi3filter.Options{IncludeResponseStatus: true, ExcludeResponseBody: req.Method == http.MethodHead,
			SchemaValidationOptions: []openapi3.SchemaValidationOption{openapi3.EnableFormatValidation()}},
	}
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		msg := err.Error()
		if i := strings.IndexByte(msg, '\n'); i > 0 {
			msg = msg[:i]
		}
		return fmt.Errorf("%d: %.300s", res.StatusCode, msg)
	}
	return nil
}

// measure sends the GET requests round robin from conc clients for d.
func measure(client *http.Client, reqs []*http.Request, d time.Duration, conc int) (float64, int64) {
	var n, errs atomic.Int64
	deadline := time.Now().Add(d)
	var wg sync.WaitGroup
	for w := range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; time.Now().Before(deadline); i++ {
				res, err := client.Do(reqs[i%len(reqs)].Clone(context.Background()))
				if err != nil {
					errs.Add(1)
					continue
				}
				_, _ = io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode >= 500 {
					errs.Add(1)
				}
				n.Add(1)
			}
		}()
	}
	wg.Wait()
	rps, _ := strconv.ParseFloat(fmt.Sprintf("%.0f", float64(n.Load())/d.Seconds()), 64)
	return rps, errs.Load()
}
