package fuzz

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/mockarty-oss/mockarty/sdk/postman"
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
