package helpers

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"sort"
	"strings"
	"unicode/utf8"
)

// Header is one request header.
type Header struct{ Name, Value string }

// Headers are request headers as clients send them: an object of strings
// ({"Accept": "application/json"}), of lists ({"Accept": ["a", "b"]}) or
// of other scalars, or a list of {key|name, value, disabled|enabled}
// (Postman's shape). Names are checked; disabled entries are dropped.
type Headers []Header

// UnmarshalJSON reads any of the accepted shapes.
func (h *Headers) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	*h = nil
	switch {
	case len(b) == 0 || string(b) == "null":
		return nil
	case b[0] == '{':
		var m map[string]json.RawMessage
		if err := json.Unmarshal(b, &m); err != nil {
			return err
		}
		names := make([]string, 0, len(m))
		for k := range m {
			names = append(names, k)
		}
		sort.Strings(names) // a stable order for a map
		for _, k := range names {
			raw := bytes.TrimSpace(m[k])
			if len(raw) > 0 && raw[0] == '[' {
				var list []json.RawMessage
				if err := json.Unmarshal(raw, &list); err != nil {
					return err
				}
				for _, v := range list {
					s, err := scalarString(v)
					if err != nil {
						return fmt.Errorf("header %q: %w", k, err)
					}
					*h = append(*h, Header{k, s})
				}
				continue
			}
			s, err := scalarString(raw)
			if err != nil {
				return fmt.Errorf("header %q: %w", k, err)
			}
			*h = append(*h, Header{k, s})
		}
		return nil
	case b[0] == '[':
		var list []struct {
			Key, Name string
			Value     json.RawMessage
			Disabled  bool
			Enabled   *bool
		}
		if err := json.Unmarshal(b, &list); err != nil {
			return err
		}
		for _, e := range list {
			if e.Disabled || (e.Enabled != nil && !*e.Enabled) {
				continue
			}
			name := e.Key
			if name == "" {
				name = e.Name
			}
			s, err := scalarString(e.Value)
			if err != nil {
				return fmt.Errorf("header %q: %w", name, err)
			}
			*h = append(*h, Header{name, s})
		}
		return nil
	}
	return fmt.Errorf("headers must be an object of name: value, or a list of {key, value}")
}

// scalarString is a JSON string, number or boolean as text (null: "").
func scalarString(raw json.RawMessage) (string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil
	}
	switch raw[0] {
	case '"':
		var s string
		err := json.Unmarshal(raw, &s)
		return s, err
	case '{', '[':
		return "", fmt.Errorf("a header value must be a string, not %s", raw[:1])
	}
	return string(raw), nil
}

// Map is the headers as {name: value} (repeated names joined by ", ").
func (h Headers) Map() map[string]string {
	out := make(map[string]string, len(h))
	for _, e := range h {
		if v, ok := out[e.Name]; ok {
			out[e.Name] = v + ", " + e.Value
			continue
		}
		out[e.Name] = e.Value
	}
	return out
}

// check refuses header names and values that cannot be sent.
func (h Headers) check(field string) error {
	for _, e := range h {
		if !validHeaderName(e.Name) {
			return Inputf(field, "%q is not a valid header name", e.Name)
		}
		if strings.ContainsAny(e.Value, "\r\n\x00") {
			return Inputf(field, "the value of %q holds a line break or NUL", e.Name)
		}
	}
	return nil
}

// apply sets the headers on an outgoing request; Host sets the request's host.
func (h Headers) apply(r *http.Request) {
	for _, e := range h {
		if strings.EqualFold(e.Name, "Host") {
			r.Host = e.Value
			continue
		}
		r.Header.Add(e.Name, e.Value)
	}
}

// has reports whether a header of that name is set.
func (h Headers) has(name string) bool {
	for _, e := range h {
		if strings.EqualFold(e.Name, name) {
			return true
		}
	}
	return false
}

func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return true
}

// flatHeaders is a response's headers as {name: value}, repeated values
// joined by ", ".
func flatHeaders(h http.Header) map[string]string {
	out := make(map[string]string, len(h))
	for k, v := range h {
		out[k] = strings.Join(v, ", ")
	}
	return out
}

// Body is an answer's body as the helpers return it: the JSON itself when
// the media type says JSON and it parses, else text, else base64 (then
// Encoding is "base64").
type Body struct {
	Value    any
	Encoding string
}

// bodyOf makes the Body of content of media type contentType.
func bodyOf(content []byte, contentType string, truncated bool) Body {
	if !truncated && isJSONType(contentType) && json.Valid(content) {
		return Body{Value: json.RawMessage(content)}
	}
	if utf8.Valid(content) {
		return Body{Value: string(content)}
	}
	return Body{Value: base64.StdEncoding.EncodeToString(content), Encoding: "base64"}
}

func isJSONType(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	return mt == "application/json" || strings.HasSuffix(mt, "+json") || mt == "text/json"
}

// requestBody is a request body as clients send it: a JSON string is the
// body's text, any other JSON value is sent as JSON (isJSON true).
func requestBody(raw json.RawMessage) (content []byte, isJSON bool, err error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, false, nil
	}
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, false, err
		}
		return []byte(s), false, nil
	}
	return raw, true, nil
}
