package engine

import (
	"bytes"
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// More insertion points than query values and JSON leaves: the seed's own
// headers, its path parameters, and the text nodes of an XML body.

// fixedHeaders are headers never mutated: they frame the request (the
// auth checks try credentials on their own; the messaging transports read
// their reply settings from headers).
var fixedHeaders = map[string]bool{"Content-Type": true, "Content-Length": true, "Host": true, "Authorization": true,
	"Accept": true, "Accept-Encoding": true, "Connection": true, "User-Agent": true,
	KafkaReplyTopicHeader: true, AMQPReplyHeader: true}

// morePoints are the header, path and XML insertion points.
func (op *operation) morePoints() []point {
	var out []point
	names := make([]string, 0, len(op.base.header))
	for k := range op.base.header {
		if !fixedHeaders[http.CanonicalHeaderKey(k)] {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	for _, k := range names {
		name := k
		out = append(out, point{name: "header " + k, value: op.base.header.Get(k), set: func(v any) *request {
			c := op.base.clone()
			c.header.Set(name, headerSafe(text(v)))
			return c
		}})
	}
	params := make([]string, 0, len(op.pathParams))
	for k := range op.pathParams {
		params = append(params, k)
	}
	sort.Strings(params)
	for _, k := range params {
		name := k
		out = append(out, point{name: "path " + k, value: op.pathParams[k], set: func(v any) *request { return op.withPath(name, text(v)) }})
	}
	body := op.base.body
	for i, r := range op.xmlText {
		rng := r
		out = append(out, point{name: "xml text " + strconv.Itoa(i+1), value: string(body[rng[0]:rng[1]]), set: func(v any) *request {
			return op.withBody(splice(body, rng, []byte(xmlEscape(text(v)))))
		}})
	}
	return out
}

// headerSafe keeps a header value sendable: no line breaks (Go refuses
// them; request smuggling payloads keep their text, escaped).
func headerSafe(s string) string {
	return strings.NewReplacer("\r", "\\r", "\n", "\\n").Replace(s)
}

// withPath is the operation's request with one path parameter replaced.
func (op *operation) withPath(name, value string) *request {
	params := make(map[string]string, len(op.pathParams))
	for k, v := range op.pathParams {
		params[k] = v
	}
	params[name] = value
	c := op.base.clone()
	raw := withPathParams(op.template, params)
	if u, err := url.Parse(raw); err == nil {
		u.RawQuery = op.rawURL.RawQuery
		if q := op.query.Encode(); q != "" {
			u.RawQuery = q
		}
		c.url = u.String()
	}
	return c
}

// withPathParams puts path parameters in a URL template ({id} or :id).
func withPathParams(template string, params map[string]string) string {
	for k, v := range params {
		template = strings.ReplaceAll(template, "{"+k+"}", url.PathEscape(v))
		template = strings.ReplaceAll(template, ":"+k, url.PathEscape(v))
	}
	return template
}

// withBody is the operation's request with another body.
func (op *operation) withBody(b []byte) *request {
	c := op.base.clone()
	c.body = b
	return c
}

// isXML says whether a body is XML by its type or its first byte.
func isXML(contentType string, body []byte) bool {
	return strings.Contains(contentType, "xml") || bytes.HasPrefix(bytes.TrimSpace(body), []byte("<"))
}

// maxXMLPoints bounds the text nodes of an XML body that are fuzzed.
const maxXMLPoints = 64

// xmlTextRanges are the byte ranges of an XML body's non-blank text
// nodes (nil when it is not well-formed).
func xmlTextRanges(body []byte) [][2]int {
	d := xml.NewDecoder(bytes.NewReader(body))
	d.Strict = false
	var out [][2]int
	start := int64(0)
	for len(out) < maxXMLPoints {
		tok, err := d.RawToken()
		if err == io.EOF {
			return out
		}
		if err != nil {
			return nil
		}
		end := d.InputOffset()
		if cd, ok := tok.(xml.CharData); ok && len(bytes.TrimSpace(cd)) > 0 {
			out = append(out, [2]int{int(start), int(end)})
		}
		start = end
	}
	return out
}

// splice replaces b's range r with v.
func splice(b []byte, r [2]int, v []byte) []byte {
	out := make([]byte, 0, len(b)-(r[1]-r[0])+len(v))
	out = append(out, b[:r[0]]...)
	out = append(out, v...)
	return append(out, b[r[1]:]...)
}

// xmlEscape escapes text for an XML text node, except a payload that is
// markup on purpose (an entity reference or a tag, as the XXE and XSS
// payloads are): those go in as they are.
func xmlEscape(s string) string {
	if strings.HasPrefix(s, "&") || strings.HasPrefix(s, "<") {
		return s
	}
	var b bytes.Buffer
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

// xmlDecl is an XML declaration at the start of a body.
var xmlDecl = regexp.MustCompile(`^\s*<\?xml[^>]*\?>`)

// xxeProbe sends the operation's XML body with a document type that
// declares an external entity at the run's canary, used in the first text
// node: a parser that resolves it fetches the canary (an XXE finding).
func (r *run) xxeProbe(op *operation) {
	token := "x" + strconv.FormatInt(r.seq.Add(1), 10)
	canary := r.cfg.Canary.URL(token)
	body := splice(op.base.body, op.xmlText[0], []byte("&xxe;"))
	body = xmlDecl.ReplaceAll(body, nil)
	doc := append([]byte(`<?xml version="1.0"?><!DOCTYPE r [<!ENTITY xxe SYSTEM "`+canary+`">]>`), bytes.TrimSpace(body)...)
	r.probe(&probe{op: op, req: op.withBody(doc), category: "xxe", token: token, payload: canary,
		mutation: "xml: external entity xxe at " + canary})
}
