package recorder

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/mockarty-oss/mockarty/sdk/plugintest/schematest"
	"github.com/mockarty-oss/mockarty/sdk/recjob"
)

// validHAR checks a HAR document against the HAR 1.2 JSON schema of npm
// har-schema (HAR_SCHEMA: its lib folder, one file per object; make
// clients installs it).
func validHAR(t *testing.T, doc []byte) {
	t.Helper()
	schematest.Valid(t, doc, schematest.Files(t, "HAR_SCHEMA", "the HAR 1.2 JSON schema (npm har-schema)"), "har.json")
}

// TestHARExport: entries of every kind (a JSON exchange, a binary answer,
// a failed upstream, a form post with cookies) make a HAR 1.2 log that
// validates against the schema and keeps what was recorded.
func TestHARExport(t *testing.T) {
	sn := &Session{ID: "s1", Name: "shop"}
	list := []Entry{
		{ID: "s1-000001", SessionID: "s1", Note: "login", Entry: recjob.Entry{Sequence: 1, Method: "POST", URL: "http://127.0.0.1:8080/api/login?next=%2Fhome&x=1",
			Path: "/api/login", Proto: "HTTP/1.1", StatusCode: 200, Duration: 12, Timestamp: 1765152000000,
			RequestHeaders: map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Cookie": "a=1; b=2"}, RequestBody: "user=ann",
			RequestBodySize: 8, ResponseHeaders: map[string]string{"Content-Type": "application/json", "Set-Cookie": "sid=x"}, ResponseBody: `{"ok":true}`,
			ResponseBodySize: 11, Timings: recjob.Timings{DNS: -1, Connect: 0.4, TLS: -1, TTFB: 10, Total: 12}}},
		{ID: "s1-000002", SessionID: "s1", Entry: recjob.Entry{Sequence: 2, Method: "GET", URL: "http://127.0.0.1:8080/logo.png", Path: "/logo.png",
			StatusCode: 200, Timestamp: 1765152000100, RequestHeaders: map[string]string{}, ResponseHeaders: map[string]string{"Content-Type": "image/png"},
			ResponseBody: "iVBORw0KGgo=", ResponseBodyEncoding: "base64", ResponseBodySize: 8, ResponseTruncated: true,
			Timings: recjob.Timings{DNS: -1, Connect: -1, TLS: -1, TTFB: 1, Total: 2}}},
		{ID: "s1-000003", SessionID: "s1", Entry: recjob.Entry{Sequence: 3, Method: "GET", URL: "http://127.0.0.1:1/down", Path: "/down",
			StatusCode: 502, Timestamp: 1765152000200, Error: "dial tcp 127.0.0.1:1: connect: connection refused",
			Timings: recjob.Timings{DNS: -1, Connect: -1, TLS: -1, TTFB: -1, Total: 1}}},
	}
	h := ExportHAR(sn, list, "test")
	doc, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	validHAR(t, doc)
	e := h.Log.Entries
	if len(e) != 3 || e[0].Request.PostData == nil || e[0].Request.PostData.Text != "user=ann" || len(e[0].Request.Cookies) != 2 ||
		len(e[0].Request.QueryString) != 2 || e[0].Comment != "login" || e[0].StartedDateTime != "2025-12-08T00:00:00.000Z" {
		t.Fatalf("first entry: %+v", e[0])
	}
	if e[1].Response.Content.Encoding != "base64" || !strings.Contains(e[1].Response.Content.Comment, "truncated") {
		t.Fatalf("binary entry: %+v", e[1].Response.Content)
	}
	if e[2].Error == "" || e[2].Response.Status != 502 || e[2].Timings.Wait < 0 {
		t.Fatalf("failed entry: %+v", e[2])
	}
}
