package hargen

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/mockarty-oss/mockarty/host/internal/model"
)

// answer is a recorded response as a mock's response: the status, the
// headers that describe the content (volatile ones dropped, secrets
// redacted) and the body as /stubs will send it back byte for byte (JSON
// as a payload, text as a string payload, anything else, and text that the
// renderer would read as a template, as base64 with decode: "base64").
func (g *gen) answer(at, method, path string, r EntryResponse, body []byte) model.ContentResponse {
	cr := model.ContentResponse{StatusCode: r.Status, Headers: g.headers(at, method, path, r.Headers)}
	mt := ""
	if v := cr.Headers["Content-Type"]; len(v) > 0 {
		mt = v[0]
	} else if r.Content.MimeType != "" && len(body) > 0 {
		mt = r.Content.MimeType
		cr.Headers["Content-Type"] = []string{mt}
	}
	if len(cr.Headers) == 0 {
		cr.Headers = nil
	}
	if len(body) == 0 || method == http.MethodHead || r.Status == http.StatusNoContent || r.Status == http.StatusNotModified {
		return cr // HTTP sends no body here
	}
	t := bytes.TrimSpace(body)
	switch {
	case jsonMedia(mt) && len(t) > 0 && (t[0] == '{' || t[0] == '[') && json.Valid(t):
		red := g.redactJSON(t, false)
		if isTemplate(red) {
			b64(&cr, red)
		} else {
			cr.Payload = append(json.RawMessage(nil), red...)
		}
	case utf8Text(body) && !strings.Contains(string(body), "$."):
		cr.Payload, _ = json.Marshal(string(body)) // a string payload is sent as its text
	default:
		b64(&cr, body)
	}
	return cr
}

func b64(cr *model.ContentResponse, b []byte) {
	cr.Payload, _ = json.Marshal(base64.StdEncoding.EncodeToString(b))
	cr.Decode = "base64"
}

// isTemplate says whether the renderer would read part of a JSON document
// as an expression ("$." in a string, also written as an escape).
func isTemplate(doc []byte) bool {
	return bytes.Contains(doc, []byte("$.")) || bytes.Contains(bytes.ToLower(doc), []byte(`\u0024`))
}

func utf8Text(b []byte) bool { return utf8.Valid(b) && bytes.IndexByte(b, 0) < 0 }

// jsonMedia is a JSON media type, or none (the body then decides).
func jsonMedia(mt string) bool {
	base := strings.ToLower(strings.TrimSpace(strings.SplitN(mt, ";", 2)[0]))
	return base == "" || base == "application/json" || strings.HasSuffix(base, "+json") || strings.HasSuffix(base, "/json")
}

// dropHeaders are response headers a mock must not replay: set per
// exchange (dates, validators, trace ids, cookies), about the connection
// or the encoding of what was on the wire (HAR content is decoded), or
// about the recording server's network (alt-svc, report-to, nel).
var dropHeaders = map[string]bool{
	"date": true, "set-cookie": true, "cookie": true, "authorization": true, "proxy-authorization": true,
	"content-length": true, "content-encoding": true, "transfer-encoding": true, "connection": true,
	"keep-alive": true, "proxy-connection": true, "upgrade": true, "te": true, "trailer": true,
	"etag": true, "last-modified": true, "age": true, "expires": true, "server-timing": true,
	"alt-svc": true, "report-to": true, "reporting-endpoints": true, "nel": true, "cf-ray": true,
	"cf-cache-status": true, "traceparent": true, "tracestate": true, "b3": true, "via": true,
	"x-cache": true, "x-cache-hits": true, "x-served-by": true, "x-timer": true, "x-runtime": true,
	"x-amz-cf-id": true, "x-amz-cf-pop": true, "x-amz-id-2": true, "x-envoy-upstream-service-time": true,
	"x-mockarty-mock-id": true,
}

// volatileHeader is a header to drop: listed, a trace or request id in
// any vendor's spelling, or an HTTP/2 pseudo-header (":status").
func volatileHeader(lower string) bool {
	if dropHeaders[lower] || strings.HasPrefix(lower, ":") || strings.HasPrefix(lower, "x-b3-") || strings.HasPrefix(lower, "x-datadog-") {
		return true
	}
	for _, s := range []string{"request-id", "requestid", "trace-id", "traceid", "span-id", "spanid", "correlation-id", "correlationid"} {
		if strings.HasSuffix(lower, s) {
			return true
		}
	}
	return false
}

func (g *gen) headers(at, method, path string, list []NameValue) map[string][]string {
	out := map[string][]string{}
	for _, h := range list {
		name := strings.TrimSpace(h.Name)
		lower := strings.ToLower(name)
		if name == "" || volatileHeader(lower) {
			continue
		}
		key := http.CanonicalHeaderKey(name)
		v := h.Value
		switch {
		case isSecret(name):
			g.noteRedacted("response header", key)
			v = Redacted
		case strings.Contains(v, "$."):
			// Header values are templates: this one would not be sent as written.
			g.warn("%s: %s %s: response header %s holds \"$.\", which templates read; left out", at, method, path, key)
			continue
		}
		out[key] = append(out[key], v)
	}
	return out
}

// secretWords are what a secret's name holds (lower case, without '-',
// '_' and spaces): x-api-key, access_token, sessionId, password ...
var secretWords = []string{"token", "password", "passwd", "secret", "apikey", "authorization", "cookie", "session"}

func isSecret(name string) bool {
	n := strings.NewReplacer("-", "", "_", "", " ", "", ".", "").Replace(strings.ToLower(name))
	for _, w := range secretWords {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}

// secretValue is a secret-named field holding text (a count such as
// max_tokens: 100 is no secret).
func secretValue(key string, raw []byte) bool {
	return isSecret(key) && bytes.IndexByte(raw, '"') >= 0
}

// mayHoldSecret is a quick look for a secret's name anywhere in a
// document, so that most bodies are never taken apart.
func mayHoldSecret(doc []byte) bool {
	l := bytes.ToLower(doc)
	for _, w := range []string{"token", "passw", "secret", "api", "auth", "cookie", "session"} {
		if bytes.Contains(l, []byte(w)) {
			return true
		}
	}
	return false
}

// redactJSON replaces the text of secret-named fields with Redacted (drop:
// leaves those fields out, for a contains condition), keeping the order of
// keys; a document without secrets comes back as it was.
func (g *gen) redactJSON(doc []byte, drop bool) []byte {
	if !mayHoldSecret(doc) {
		return doc
	}
	out, changed := g.redactValue(bytes.TrimSpace(doc), false, drop)
	if !changed {
		return doc
	}
	return out
}

// redactValue walks one value; under says it sits below a secret's name,
// where every string is a secret.
func (g *gen) redactValue(raw []byte, under, drop bool) ([]byte, bool) {
	if len(raw) == 0 || (!under && !mayHoldSecret(raw)) {
		return raw, false
	}
	switch raw[0] {
	case '"':
		if under {
			return []byte(`"` + Redacted + `"`), true
		}
	case '{':
		var b bytes.Buffer
		changed := false
		b.WriteByte('{')
		n := 0
		for _, f := range objectFields(raw) {
			v, ch := f.raw, false
			switch {
			case !under && secretValue(f.key, f.raw):
				g.noteRedacted("JSON field", f.key)
				if drop {
					changed = true
					continue
				}
				v, ch = g.redactValue(f.raw, true, false)
			default:
				v, ch = g.redactValue(f.raw, under, drop)
			}
			changed = changed || ch
			if n > 0 {
				b.WriteByte(',')
			}
			n++
			b.Write(keyJSON(f.key))
			b.WriteByte(':')
			b.Write(v)
		}
		b.WriteByte('}')
		return b.Bytes(), changed
	case '[':
		var b bytes.Buffer
		changed := false
		b.WriteByte('[')
		for i, e := range arrayElems(raw) {
			v, ch := g.redactValue(e, under, drop)
			changed = changed || ch
			if i > 0 {
				b.WriteByte(',')
			}
			b.Write(v)
		}
		b.WriteByte(']')
		return b.Bytes(), changed
	}
	return raw, false
}

type field struct {
	key string
	raw []byte
}

// objectFields lists a JSON object's members in the document's order.
func objectFields(obj []byte) []field {
	dec := json.NewDecoder(bytes.NewReader(obj))
	if _, err := dec.Token(); err != nil {
		return nil
	}
	var out []field
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			return out
		}
		k, _ := kt.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return out
		}
		out = append(out, field{key: k, raw: bytes.TrimSpace(v)})
	}
	return out
}

func arrayElems(arr []byte) [][]byte {
	dec := json.NewDecoder(bytes.NewReader(arr))
	if _, err := dec.Token(); err != nil {
		return nil
	}
	var out [][]byte
	for dec.More() {
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return out
		}
		out = append(out, bytes.TrimSpace(v))
	}
	return out
}

// keyJSON encodes a key as written (no HTML escaping).
func keyJSON(k string) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(k)
	return bytes.TrimRight(b.Bytes(), "\n")
}
