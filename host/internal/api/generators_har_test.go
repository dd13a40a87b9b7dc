package api

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
)

const browserHAR = "../generate/hargen/testdata/browser.har"

// recorded is one entry of the browser's HAR, as the test reads it.
type recorded struct {
	Request struct {
		Method   string `json:"method"`
		URL      string `json:"url"`
		PostData *struct {
			MimeType string `json:"mimeType"`
			Text     string `json:"text"`
		} `json:"postData"`
	} `json:"request"`
	Response struct {
		Status  int `json:"status"`
		Content struct {
			MimeType string `json:"mimeType"`
			Text     string `json:"text"`
			Encoding string `json:"encoding"`
		} `json:"content"`
	} `json:"response"`
}

func readBrowserHAR(t *testing.T) ([]byte, []recorded) {
	t.Helper()
	har, err := os.ReadFile(browserHAR)
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Log struct {
			Entries []recorded `json:"entries"`
		} `json:"log"`
	}
	if err := json.Unmarshal(har, &f); err != nil {
		t.Fatal(err)
	}
	return har, f.Log.Entries
}

// replay sends a recorded request to /stubs/<ns> and checks that the
// recorded status and body come back (JSON by value, the rest byte for
// byte). redacted maps a path to the JSON answer expected in place of the
// recorded one (its secrets replaced).
func replay(t *testing.T, ts *testServer, ns string, e recorded, redacted map[string]string) {
	t.Helper()
	u, err := url.Parse(e.Request.URL)
	if err != nil {
		t.Fatal(err)
	}
	target := "/stubs/" + ns + u.Path
	if u.RawQuery != "" {
		target += "?" + u.RawQuery
	}
	var body any
	var headers []string
	if pd := e.Request.PostData; pd != nil {
		body, headers = []byte(pd.Text), []string{"Content-Type", pd.MimeType}
	}
	r := ts.do(e.Request.Method, target, body, headers...)
	what := e.Request.Method + " " + target
	if r.Status != e.Response.Status || r.Header.Get("X-Mockarty-Mock-Id") == "" {
		t.Fatalf("%s: status %d (mock %q), recorded %d: %s", what, r.Status, r.Header.Get("X-Mockarty-Mock-Id"), e.Response.Status, r.Body)
	}
	want := []byte(e.Response.Content.Text)
	if e.Response.Content.Encoding == "base64" {
		if want, err = base64.StdEncoding.DecodeString(e.Response.Content.Text); err != nil {
			t.Fatal(err)
		}
	}
	if got := r.Header.Get("Content-Type"); got != e.Response.Content.MimeType {
		t.Errorf("%s: Content-Type %q, recorded %q", what, got, e.Response.Content.MimeType)
	}
	if strings.Contains(e.Response.Content.MimeType, "json") {
		if x, ok := redacted[u.Path]; ok {
			want = []byte(x)
		}
		var a, b any
		if err := json.Unmarshal(r.Body, &a); err != nil {
			t.Fatalf("%s: %v: %s", what, err, r.Body)
		}
		if err := json.Unmarshal(want, &b); err != nil {
			t.Fatal(err)
		}
		ja, _ := json.Marshal(a)
		jb, _ := json.Marshal(b)
		if !bytes.Equal(ja, jb) {
			t.Errorf("%s: answered %s, recorded %s", what, ja, jb)
		}
		return
	}
	if !bytes.Equal(r.Body, want) {
		t.Errorf("%s: answered %d bytes %q, recorded %d bytes %q", what, len(r.Body), trim(r.Body), len(want), trim(want))
	}
}

func trim(b []byte) []byte { return b[:min(len(b), 60)] }

// The HAR headless Chromium recorded becomes mocks that answer every
// recorded request, in order, with the recorded status and body: JSON GETs,
// a POST matched on its JSON body, a login whose secrets are redacted, a
// counter answering 1 then 2 (oneOf), a text POST, text holding "$." and a
// PNG.
func TestHARGeneratorReplaysBrowserRecording(t *testing.T) {
	ts := newTestServer(t)
	har, entries := readBrowserHAR(t)
	res := ts.expect(201, "POST", "/api/v1/generators/har", map[string]any{"harContent": string(har), "namespace": "web", "oneOf": true})
	if res["created"].(float64) != 10 || res["count"].(float64) != 10 {
		t.Fatalf("generated: %v", res["message"])
	}
	ws, _ := json.Marshal(res["warnings"])
	if !strings.Contains(string(ws), "secrets redacted") {
		t.Errorf("warnings: %s", ws)
	}
	redacted := map[string]string{"/api/login": `{"user":"ana","token":"REDACTED","expiresIn":3600}`}
	for _, e := range entries {
		replay(t, ts, "web", e, redacted)
	}
	// oneOf answers in turn: after 1 and 2 the counter starts again.
	if v := ts.expect(200, "GET", "/stubs/web/api/counter", nil); v["count"] != float64(1) {
		t.Errorf("third call: %v", v)
	}
	if r := ts.do("GET", "/stubs/web/api/login", nil); r.Status != 404 {
		t.Errorf("a method that was not recorded: %d", r.Status)
	}
	// The login mock asks for a password, whatever it is, and for the user.
	if r := ts.do("POST", "/stubs/web/api/login", `{"user":"ana","password":"other"}`); r.Status != 200 {
		t.Errorf("another password: %d %s", r.Status, r.Body)
	}
	if r := ts.do("POST", "/stubs/web/api/login", `{"user":"rui","password":"hunter2"}`); r.Status != 404 {
		t.Errorf("another user: %d %s", r.Status, r.Body)
	}
	if r := ts.do("POST", "/stubs/web/api/echo", []byte("pong"), "Content-Type", "text/plain"); r.Status != 404 {
		t.Errorf("another text body: %d %s", r.Status, r.Body)
	}

	// Without oneOf: the first answer every time, and a warning.
	res = ts.expect(201, "POST", "/api/v1/generators/har", map[string]any{"spec": string(har), "namespace": "first"})
	ws, _ = json.Marshal(res["warnings"])
	if !strings.Contains(string(ws), "GET /api/counter was recorded 2 times with 2 different answers") {
		t.Errorf("warnings: %s", ws)
	}
	for range 2 {
		if v := ts.expect(200, "GET", "/stubs/first/api/counter", nil); v["count"] != float64(1) {
			t.Errorf("without oneOf: %v", v)
		}
	}

	// A re-run changes nothing and keeps a hand edit.
	ts.expect(200, "PATCH", "/api/v1/mocks/har-web-get-api-users-42", map[string]any{"response": map[string]any{"payload": map[string]any{"name": "Edited"}}})
	again := ts.expect(200, "POST", "/api/v1/generators/har", map[string]any{"harContent": string(har), "namespace": "web", "oneOf": true})
	if again["created"].(float64) != 0 || again["unchanged"].(float64) != 10 {
		t.Errorf("re-run: %v", again["message"])
	}
	if v := ts.expect(200, "GET", "/stubs/web/api/users/42", nil); v["name"] != "Edited" {
		t.Errorf("hand edit lost: %v", v)
	}
}

// The preview saves nothing; the multipart form, the raw file and a HAR
// object in harContent work; a broken file is 422 naming where.
func TestHARGeneratorRequestsAndErrors(t *testing.T) {
	ts := newTestServer(t)
	har, entries := readBrowserHAR(t)

	pv := ts.expect(200, "POST", "/api/v1/generators/har/preview", map[string]any{"harContent": string(har), "namespace": "pv"})
	if pv["preview"] != true || pv["count"].(float64) != 10 || pv["created"].(float64) != 10 {
		t.Fatalf("preview: %v", pv["message"])
	}
	items, _ := json.Marshal(pv["items"])
	if !strings.Contains(string(items), `"route":"/api/orders"`) {
		t.Errorf("preview items: %s", items)
	}
	ts.expectError(404, CodeNotFound, "", "GET", "/api/v1/mocks/har-pv-get-api-users-42", nil)
	if r := ts.do("GET", "/stubs/pv/api/users/42", nil); r.Status != 404 || r.Header.Get("X-Mockarty-Mock-Id") != "" {
		t.Errorf("a preview answered: %d %s", r.Status, r.Body)
	}

	// multipart: file and namespace, as curl -F sends them.
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	_ = w.WriteField("namespace", "form")
	_ = w.WriteField("pathPrefix", "/rec")
	fw, _ := w.CreateFormFile("file", "browser.har")
	_, _ = fw.Write(har)
	_ = w.Close()
	req, _ := http.NewRequest("POST", ts.URL+"/api/v1/generators/har", &buf)
	req.Header.Set("Content-Type", w.FormDataContentType())
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 201 {
		t.Fatalf("multipart: %d %s", res.StatusCode, b)
	}
	if v := ts.expect(200, "GET", "/stubs/form/rec/api/users/42", nil); v["name"] != "Rui" {
		t.Errorf("multipart mocks: %v", v)
	}

	// The raw file, the other fields in the query.
	r := ts.do("POST", "/api/v1/generators/har?namespace=raw", har)
	if r.Status != 201 {
		t.Fatalf("raw file: %d %s", r.Status, r.Body)
	}
	replay(t, ts, "raw", entries[1], nil)

	// harContent holding the HAR object itself.
	var obj any
	_ = json.Unmarshal(har, &obj)
	ts.expect(201, "POST", "/api/v1/generators/har", map[string]any{"harContent": obj, "namespace": "obj"})
	replay(t, ts, "obj", entries[2], nil)

	// Errors name the field and the position.
	v := ts.expectError(422, CodeValidation, "spec", "POST", "/api/v1/generators/har",
		map[string]any{"harContent": "{\"log\": {\n  \"entries\": [}}", "namespace": "bad"})
	if msg := v["error"].(string); !strings.Contains(msg, "line 2, column 15") {
		t.Errorf("syntax error: %s", msg)
	}
	v = ts.expectError(422, CodeValidation, "spec", "POST", "/api/v1/generators/har", map[string]any{"spec": `{"log": {"version": "1.2"}}`})
	if !strings.Contains(v["error"].(string), "log.entries is missing") {
		t.Errorf("no entries: %v", v["error"])
	}
	ts.expectError(422, CodeValidation, "spec", "POST", "/api/v1/generators/har", map[string]any{"namespace": "bad"})
	ts.expectError(422, CodeValidation, "harContent", "POST", "/api/v1/generators/har", map[string]any{"spec": string(har), "harContent": string(har)})
	ts.expectError(422, CodeValidation, "pathPrefix", "POST", "/api/v1/generators/har", map[string]any{"spec": string(har), "pathPrefix": "rec"})
	if r := ts.do("GET", "/stubs/bad/api/users/42", nil); r.Status != 404 {
		t.Errorf("a refused file made mocks: %d", r.Status)
	}
}
