package fuzz

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"regexp"
	"strconv"
	"strings"

	"github.com/mockarty-oss/mockarty/host/internal/jpath"
	"github.com/mockarty-oss/mockarty/host/internal/model"
	"github.com/mockarty-oss/mockarty/sdk/postman"
	"github.com/mockarty-oss/mockarty/sdk/recjob"
)

// SeedsOf are a collection's requests as seed requests, folders walked in
// order, with {{variables}} replaced from vars (the environment, then the
// collection's own variables); requests without a URL are skipped.
func SeedsOf(c *postman.Collection, vars map[string]string) []Seed {
	all := map[string]string{}
	for _, v := range c.Variable {
		all[v.Key] = fmt.Sprint(v.Value)
	}
	for k, v := range vars {
		all[k] = v
	}
	sub := func(s string) string {
		return varRe.ReplaceAllStringFunc(s, func(m string) string {
			if v, ok := all[strings.TrimSpace(m[2:len(m)-2])]; ok {
				return v
			}
			return m
		})
	}
	var out []Seed
	var walk func(items []*postman.Item)
	walk = func(items []*postman.Item) {
		for _, it := range items {
			if it.Request == nil {
				walk(it.Item)
				continue
			}
			r := it.Request
			if r.URL == nil {
				continue
			}
			raw := sub(r.URL.String())
			if raw == "" {
				continue
			}
			s := Seed{ID: fmt.Sprintf("%s-%d", slug(it.Name), len(out)+1), Name: it.Name, Method: strings.ToUpper(r.Method), URL: raw,
				Headers: map[string]string{}}
			if s.Method == "" {
				s.Method = "GET"
			}
			for _, h := range r.Header {
				if !h.Disabled && h.Key != "" {
					s.Headers[h.Key] = sub(h.Value)
				}
			}
			if b := r.Body; b != nil && !b.Disabled && b.Mode == "raw" {
				s.Body = sub(b.Raw)
			}
			for k, v := range s.Headers {
				if strings.EqualFold(k, "Content-Type") {
					s.ContentType = v
				}
			}
			out = append(out, s)
		}
	}
	walk(c.Item)
	return out
}

var (
	varRe  = regexp.MustCompile(`\{\{[^{}]+\}\}`)
	slugRe = regexp.MustCompile(`[^a-z0-9]+`)
)

func slug(s string) string {
	s = strings.Trim(slugRe.ReplaceAllString(strings.ToLower(s), "-"), "-")
	if s == "" {
		return "request"
	}
	if len(s) > 40 {
		s = s[:40]
	}
	return s
}

// SeedOfMock is the request an HTTP mock stands for: its method and route
// (path parameters given the value "1"), the query and header values its
// conditions expect, and a JSON body built from its body conditions. It
// says why when the mock gives no seed.
func SeedOfMock(m *model.Mock) (Seed, string) {
	h := m.HTTP
	if h == nil {
		return Seed{}, fmt.Sprintf("mock %q is not an HTTP mock: only HTTP mocks can be fuzzed from their definition", m.ID)
	}
	route := h.Route
	if route == "" {
		return Seed{}, fmt.Sprintf("mock %q has only a routePattern: give it a route to fuzz it", m.ID)
	}
	route = path.Join("/", m.PathPrefix, route)
	segs := strings.Split(route, "/")
	params := map[string]string{}
	for i, seg := range segs {
		switch {
		case strings.HasPrefix(seg, ":"):
			params[seg[1:]] = "1"
			segs[i] = "1"
		case strings.HasPrefix(seg, "*"):
			segs[i] = "x"
		}
	}
	s := Seed{ID: slug(m.ID), Name: m.ID, Method: strings.ToUpper(h.HTTPMethod), Path: strings.Join(segs, "/"),
		Headers: map[string]string{}, QueryParams: map[string]string{}, PathParams: params}
	if s.Method == "" {
		s.Method = "GET"
	}
	for _, c := range h.QueryParams {
		s.QueryParams[strings.TrimPrefix(c.Path, "$.")] = exampleOf(c)
	}
	for _, c := range h.Header {
		s.Headers[strings.TrimPrefix(c.Path, "$.")] = exampleOf(c)
	}
	var body any
	for _, c := range h.Conditions {
		keys, ok := jpath.Keys(strings.TrimPrefix(c.Path, "$"))
		if !ok || len(keys) == 0 {
			continue
		}
		var v any = exampleOf(c)
		if c.AssertAction == model.AssertEquals && len(c.Value) > 0 {
			_ = json.Unmarshal(c.Value, &v)
		}
		body = setPath(body, keys, v)
	}
	if body != nil {
		b, _ := json.Marshal(body)
		s.Body, s.ContentType = string(b), "application/json"
	}
	return s, ""
}

// exampleOf is a value a condition accepts, as text.
func exampleOf(c model.Condition) string {
	var v any
	if (c.AssertAction == model.AssertEquals || c.AssertAction == model.AssertContains) && json.Unmarshal(c.Value, &v) == nil && v != nil {
		if s, ok := v.(string); ok {
			return s
		}
		return string(c.Value)
	}
	return "fuzz"
}

// setPath puts v at keys in doc (a numeric key indexes an array, as
// jpath.Keys writes "[0]").
func setPath(doc any, keys []string, v any) any {
	if len(keys) == 0 {
		return v
	}
	k := keys[0]
	if n, err := strconv.Atoi(k); err == nil && n >= 0 && n < 100 {
		if arr, ok := doc.([]any); ok || doc == nil {
			for len(arr) <= n {
				arr = append(arr, nil)
			}
			arr[n] = setPath(arr[n], keys[1:], v)
			return arr
		}
	}
	obj, _ := doc.(map[string]any)
	if obj == nil {
		obj = map[string]any{}
	}
	obj[k] = setPath(obj[k], keys[1:], v)
	return obj
}

// droppedHeaders are recorded request headers a seed leaves out: the
// transport's, which the fuzzer sets itself.
var droppedHeaders = map[string]bool{"Host": true, "Content-Length": true, "Connection": true, "Accept-Encoding": true,
	"Keep-Alive": true, "Proxy-Connection": true, "Proxy-Authorization": true, "Te": true, "Trailer": true, "Transfer-Encoding": true,
	"Upgrade": true}

// SeedsOfExchanges are recorded exchanges as seed requests: one per
// method and path (the first recorded), with its query, headers and text
// body; failed exchanges and binary bodies are left out. base, when set,
// replaces the recorded scheme and host.
func SeedsOfExchanges(list []recjob.Entry, base string) []Seed {
	var out []Seed
	seen := map[string]bool{}
	for _, e := range list {
		key := e.Method + " " + e.Path
		if seen[key] || e.StatusCode == 0 || e.Method == "" || e.Method == "CONNECT" {
			continue
		}
		seen[key] = true
		u, err := url.Parse(e.URL)
		if err != nil || u.Host == "" {
			continue
		}
		if b, err := url.Parse(base); err == nil && b.Host != "" {
			u.Scheme, u.Host = b.Scheme, b.Host
		}
		s := Seed{ID: fmt.Sprintf("%s-%d", slug(key), len(out)+1), Name: key, Method: e.Method, URL: u.String(), Headers: map[string]string{}}
		for k, v := range e.RequestHeaders {
			if !droppedHeaders[http.CanonicalHeaderKey(k)] {
				s.Headers[k] = v
			}
		}
		if e.RequestBodyEncoding == "" && !e.RequestTruncated {
			s.Body = e.RequestBody
		}
		s.ContentType = e.RequestHeaders["Content-Type"]
		out = append(out, s)
	}
	return out
}
