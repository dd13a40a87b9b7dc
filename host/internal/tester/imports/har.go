package imports

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/mockarty-oss/mockarty/host/internal/generate"
	"github.com/mockarty-oss/mockarty/host/internal/generate/hargen"
	"github.com/mockarty-oss/mockarty/sdk/postman"
)

// hopHeaders are request headers the runner's HTTP client writes itself
// (or HTTP/2's pseudo-headers, which start with ":").
var hopHeaders = map[string]bool{
	"host": true, "content-length": true, "connection": true, "keep-alive": true, "proxy-connection": true,
	"transfer-encoding": true, "te": true, "upgrade": true, "trailer": true,
}

// HAR imports a HAR 1.2 recording (read by hargen.Read): one request per
// entry in the order they started, in a folder per host, each with its
// recorded response as an example. Request headers are kept as recorded
// (cookies and tokens too: the requests are replayed as they were made),
// except those the HTTP client sets itself.
func HAR(data []byte) (*Result, error) {
	if err := checkSize(data, "a HAR file (JSON)"); err != nil {
		return nil, err
	}
	entries, skipped, err := hargen.Read(data)
	if err != nil {
		return nil, inputErr(err)
	}
	w := &warner{}
	for _, s := range skipped {
		w.warn("%s", s)
	}
	if len(entries) > MaxRequests {
		w.warn("the file has %d entries: the first %d (by start time) are imported", len(entries), MaxRequests)
		entries = entries[:MaxRequests]
	}
	c := &postman.Collection{Info: postman.Info{Name: "HAR import"}, Item: []*postman.Item{}}
	folders := map[string]*postman.Item{}
	var notHTTP, noResponse, bodiesLeftOut int
	for _, e := range entries {
		at := fmt.Sprintf("log.entries[%d]", e.Index)
		r := e.Entry.Request
		method := strings.ToUpper(strings.TrimSpace(r.Method))
		u, err := url.Parse(r.URL)
		switch {
		case err != nil:
			w.warn("%s: request.url %q is not a URL; skipped", at, r.URL)
			continue
		case u.Scheme != "http" && u.Scheme != "https":
			notHTTP++ // data:, blob:, ws:, chrome-extension: ...
			continue
		case method == "" || strings.ContainsAny(method, " \t/"):
			w.warn("%s: request.method %q is not an HTTP method; skipped", at, r.Method)
			continue
		}
		req := &postman.Request{Method: method, URL: postman.NewURL(r.URL)}
		for _, h := range r.Headers {
			name := strings.TrimSpace(h.Name)
			if name == "" || strings.HasPrefix(name, ":") || hopHeaders[strings.ToLower(name)] {
				continue
			}
			req.Header = append(req.Header, postman.Header{Key: name, Value: h.Value})
		}
		req.Body = harBody(r.PostData, req, at, w)
		it := &postman.Item{Name: requestName(method, r.URL), Request: req}
		if ex, ok, left := harExample(e.Entry.Response, req); ok {
			it.Response = []postman.Response{ex}
			if left {
				bodiesLeftOut++
			}
		} else {
			noResponse++
		}
		f := folders[u.Host]
		if f == nil {
			f = &postman.Item{Name: u.Host, Item: []*postman.Item{}}
			folders[u.Host] = f
			c.Item = append(c.Item, f)
		}
		f.Item = append(f.Item, it)
	}
	if notHTTP > 0 {
		w.warn("%d entries are not http or https requests (data:, blob:, ws: ...); skipped", notHTTP)
	}
	if noResponse > 0 {
		w.warn("%d requests got no response (status 0: aborted, blocked or failed): they have no example response", noResponse)
	}
	if bodiesLeftOut > 0 {
		w.warn("%d example responses leave their body out: binary, over %d bytes, or not kept by the recorder", bodiesLeftOut, hargen.MaxBodyBytes)
	}
	if len(c.Item) == 0 {
		msg := "holds no http or https request"
		if len(w.warnings) > 0 {
			msg += ": " + w.warnings[0]
		}
		return nil, generate.Inputf("log.entries", "%s", msg)
	}
	return &Result{Collection: c, Warnings: w.list()}, nil
}

// harBody is a recorded request body: a form's fields where the recorder
// kept them, else its text.
func harBody(pd *hargen.PostData, req *postman.Request, at string, w *warner) *postman.Body {
	if pd == nil || (pd.Text == "" && len(pd.Params) == 0) {
		return nil
	}
	mt := pd.MimeType
	if mt == "" {
		mt = headerValue(req.Header, "Content-Type")
	}
	switch mediaType(mt) {
	case "application/x-www-form-urlencoded":
		if fields, ok := formFields(pd.Text); ok {
			return &postman.Body{Mode: postman.ModeURLEncoded, URLEncoded: fields}
		}
		if pd.Text == "" {
			fields := make([]postman.FormParam, 0, len(pd.Params))
			for _, p := range pd.Params {
				fields = append(fields, postman.FormParam{Key: p.Name, Value: p.Value})
			}
			return &postman.Body{Mode: postman.ModeURLEncoded, URLEncoded: fields}
		}
	case "multipart/form-data":
		if len(pd.Params) > 0 {
			// The recorded Content-Type names the recording's boundary: the
			// runner writes its own.
			kept := req.Header[:0]
			for _, h := range req.Header {
				if !strings.EqualFold(h.Key, "Content-Type") {
					kept = append(kept, h)
				}
			}
			req.Header = kept
			fields := make([]postman.FormParam, 0, len(pd.Params))
			for _, p := range pd.Params {
				f := postman.FormParam{Key: p.Name, Value: p.Value, Type: "text", ContentType: p.ContentType}
				if p.FileName != "" {
					f = postman.FormParam{Key: p.Name, Type: "file", Src: []string{p.FileName}, ContentType: p.ContentType}
					w.warn("%s: form field %q sent the file %s, which a recording does not keep: attach it again", at, p.Name, p.FileName)
				}
				fields = append(fields, f)
			}
			return &postman.Body{Mode: postman.ModeFormData, FormData: fields}
		}
	}
	if !utf8.ValidString(pd.Text) {
		w.warn("%s: the request body is not text: it is left out", at)
		return nil
	}
	return rawBody(pd.Text, mt)
}

// harExample is the recorded response as an example; ok is false when
// there was none, left when its body is left out.
func harExample(r hargen.EntryResponse, req *postman.Request) (ex postman.Response, ok, left bool) {
	if r.Status < 100 || r.Status > 599 {
		return ex, false, false
	}
	orig := *req
	ex = postman.Response{Name: fmt.Sprintf("%d %s", r.Status, statusText(r)), OriginalRequest: &orig,
		Status: statusText(r), Code: r.Status}
	for _, h := range r.Headers {
		if name := strings.TrimSpace(h.Name); name != "" && !strings.HasPrefix(name, ":") {
			ex.Header = append(ex.Header, postman.Header{Key: name, Value: h.Value})
		}
	}
	body, err := r.Content.Bytes()
	switch {
	case err != nil || len(body) > hargen.MaxBodyBytes || !utf8.Valid(body) || strings.ContainsRune(string(body), 0):
		return ex, true, true
	case r.Content.Text == nil && r.Content.Size > 0:
		return ex, true, true
	}
	ex.Body = string(body)
	ct := headerValue(ex.Header, "Content-Type")
	if ct == "" {
		ct = r.Content.MimeType
	}
	switch lang := rawLanguage(ct); lang {
	case "json", "xml", "html":
		ex.PreviewLanguage = lang
	default:
		if len(body) > 0 {
			ex.PreviewLanguage = "text"
		}
	}
	return ex, true, false
}

func statusText(r hargen.EntryResponse) string {
	if t := strings.TrimSpace(r.StatusText); t != "" {
		return t
	}
	return http.StatusText(r.Status)
}
