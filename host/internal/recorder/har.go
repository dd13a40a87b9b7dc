package recorder

import (
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"
)

// HAR 1.2 (http://www.softwareishard.com/blog/har-12-spec/), as the export
// writes it: every field the format requires, and the recorder's own in
// fields starting with "_".
type (
	HAR struct {
		Log HARLog `json:"log"`
	}
	HARLog struct {
		Version string     `json:"version"`
		Creator HARCreator `json:"creator"`
		Pages   []any      `json:"pages"`
		Entries []HAREntry `json:"entries"`
		Comment string     `json:"comment,omitempty"`
	}
	HARCreator struct {
		Name    string `json:"name"`
		Version string `json:"version"`
	}
	HAREntry struct {
		StartedDateTime string      `json:"startedDateTime"`
		Time            float64     `json:"time"`
		Request         HARRequest  `json:"request"`
		Response        HARResponse `json:"response"`
		Cache           struct{}    `json:"cache"`
		Timings         HARTimings  `json:"timings"`
		Comment         string      `json:"comment,omitempty"`
		ID              string      `json:"_id"`
		Error           string      `json:"_error,omitempty"`
	}
	HARRequest struct {
		Method      string       `json:"method"`
		URL         string       `json:"url"`
		HTTPVersion string       `json:"httpVersion"`
		Cookies     []HARCookie  `json:"cookies"`
		Headers     []HARNV      `json:"headers"`
		QueryString []HARNV      `json:"queryString"`
		PostData    *HARPostData `json:"postData,omitempty"`
		HeadersSize int          `json:"headersSize"`
		BodySize    int64        `json:"bodySize"`
	}
	HARResponse struct {
		Status      int         `json:"status"`
		StatusText  string      `json:"statusText"`
		HTTPVersion string      `json:"httpVersion"`
		Cookies     []HARCookie `json:"cookies"`
		Headers     []HARNV     `json:"headers"`
		Content     HARContent  `json:"content"`
		RedirectURL string      `json:"redirectURL"`
		HeadersSize int         `json:"headersSize"`
		BodySize    int64       `json:"bodySize"`
	}
	HARNV struct {
		Name  string `json:"name"`
		Value string `json:"value"`
	}
	HARCookie struct {
		Name  string `json:"name"`
		Value string `json:"value"`
	}
	HARPostData struct {
		MimeType string  `json:"mimeType"`
		Params   []HARNV `json:"params"`
		Text     string  `json:"text"`
	}
	HARContent struct {
		Size     int64  `json:"size"`
		MimeType string `json:"mimeType"`
		Text     string `json:"text,omitempty"`
		Encoding string `json:"encoding,omitempty"`
		Comment  string `json:"comment,omitempty"`
	}
	HARTimings struct {
		Blocked float64 `json:"blocked"`
		DNS     float64 `json:"dns"`
		Connect float64 `json:"connect"`
		Send    float64 `json:"send"`
		Wait    float64 `json:"wait"`
		Receive float64 `json:"receive"`
		SSL     float64 `json:"ssl"`
	}
)

// ExportHAR is a session's entries as a HAR 1.2 log.
func ExportHAR(sn *Session, list []Entry, version string) *HAR {
	h := &HAR{Log: HARLog{Version: "1.2", Creator: HARCreator{Name: "Mockarty recorder", Version: version}, Pages: []any{},
		Entries: make([]HAREntry, 0, len(list)), Comment: sn.Name}}
	for i := range list {
		h.Log.Entries = append(h.Log.Entries, harEntry(&list[i]))
	}
	return h
}

func harEntry(e *Entry) HAREntry {
	proto := e.Proto
	if proto == "" {
		proto = "HTTP/1.1"
	}
	out := HAREntry{StartedDateTime: time.UnixMilli(e.Timestamp).UTC().Format("2006-01-02T15:04:05.000Z07:00"), Time: float64(e.Duration),
		ID: e.ID, Error: e.Error, Comment: e.Note}
	req := HARRequest{Method: e.Method, URL: e.URL, HTTPVersion: proto, Cookies: cookiesOf(e.RequestHeaders["Cookie"]),
		Headers: nameValues(e.RequestHeaders), QueryString: []HARNV{}, HeadersSize: -1, BodySize: e.RequestBodySize}
	if u, err := url.Parse(e.URL); err == nil {
		for k, vs := range u.Query() {
			for _, v := range vs {
				req.QueryString = append(req.QueryString, HARNV{Name: k, Value: v})
			}
		}
		sort.Slice(req.QueryString, func(i, j int) bool { return req.QueryString[i].Name < req.QueryString[j].Name })
	}
	if e.RequestBodySize > 0 || e.RequestBody != "" {
		pd := &HARPostData{MimeType: e.RequestHeaders["Content-Type"], Params: []HARNV{}, Text: e.RequestBody}
		if pd.MimeType == "" {
			pd.MimeType = "application/octet-stream"
		}
		req.PostData = pd
	}
	res := HARResponse{Status: e.StatusCode, StatusText: http.StatusText(e.StatusCode), HTTPVersion: proto, Cookies: []HARCookie{},
		Headers: nameValues(e.ResponseHeaders), RedirectURL: e.ResponseHeaders["Location"], HeadersSize: -1, BodySize: e.ResponseBodySize,
		Content: HARContent{Size: e.ResponseBodySize, MimeType: e.ResponseHeaders["Content-Type"], Text: e.ResponseBody, Encoding: e.ResponseBodyEncoding}}
	if res.Content.MimeType == "" {
		res.Content.MimeType = "application/octet-stream"
	}
	if e.ResponseTruncated {
		res.Content.Comment = "truncated: only the first bytes of the body were kept"
	}
	if e.StatusCode == 0 {
		res.BodySize = -1
	}
	out.Request, out.Response = req, res
	t := e.Timings
	wait := t.TTFB
	if wait < 0 {
		wait = float64(e.Duration)
	}
	receive := t.Total - t.TTFB
	if t.TTFB < 0 || receive < 0 {
		receive = 0
	}
	out.Timings = HARTimings{Blocked: -1, DNS: orMinus(t.DNS), Connect: orMinus(t.Connect), SSL: orMinus(t.TLS), Send: 0, Wait: wait, Receive: receive}
	return out
}

// orMinus is a phase's time, -1 when it did not happen (as HAR says).
func orMinus(ms float64) float64 {
	if ms < 0 {
		return -1
	}
	return ms
}

// nameValues are headers as HAR's list, sorted by name.
func nameValues(h map[string]string) []HARNV {
	out := make([]HARNV, 0, len(h))
	for k, v := range h {
		out = append(out, HARNV{Name: k, Value: v})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// cookiesOf are a Cookie header's cookies.
func cookiesOf(header string) []HARCookie {
	out := []HARCookie{}
	for _, part := range strings.Split(header, ";") {
		if name, value, ok := strings.Cut(strings.TrimSpace(part), "="); ok && name != "" {
			out = append(out, HARCookie{Name: name, Value: value})
		}
	}
	return out
}
