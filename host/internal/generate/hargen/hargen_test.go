package hargen

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/mockarty-oss/mockarty/host/internal/generate"
	"github.com/mockarty-oss/mockarty/host/internal/match"
	"github.com/mockarty-oss/mockarty/host/internal/model"
)

// browserHAR is the file headless Chromium recorded (testdata/README.md).
func browserHAR(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/browser.har")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// harDoc is a HAR taken apart, to change entries for a test.
type harDoc map[string]any

func parseHAR(t *testing.T, b []byte) harDoc {
	t.Helper()
	var d harDoc
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatal(err)
	}
	return d
}

func (d harDoc) entries() []any { return d["log"].(map[string]any)["entries"].([]any) }

func (d harDoc) setEntries(es []any) { d["log"].(map[string]any)["entries"] = es }

func (d harDoc) bytes(t *testing.T) []byte {
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// entry finds the recorded entry of a method and URL suffix.
func (d harDoc) entry(t *testing.T, method, suffix string) map[string]any {
	t.Helper()
	for _, e := range d.entries() {
		req := e.(map[string]any)["request"].(map[string]any)
		if req["method"] == method && strings.HasSuffix(req["url"].(string), suffix) {
			return e.(map[string]any)
		}
	}
	t.Fatalf("no entry %s %s", method, suffix)
	return nil
}

// clone copies an entry through JSON.
func clone(e map[string]any) map[string]any {
	b, _ := json.Marshal(e)
	var c map[string]any
	_ = json.Unmarshal(b, &c)
	return c
}

func generateOK(t *testing.T, in Input) *Result {
	t.Helper()
	res, err := Generate(in)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range res.Mocks {
		m.Normalise()
		if fe := m.Validate(); fe != nil {
			t.Fatalf("mock %s does not validate: %v", m.ID, fe)
		}
	}
	return res
}

func byRoute(t *testing.T, res *Result, method, route string) *model.Mock {
	t.Helper()
	for _, m := range res.Mocks {
		if m.HTTP.HTTPMethod == method && m.PathPrefix+m.HTTP.Route == route {
			return m
		}
	}
	t.Fatalf("no mock for %s %s", method, route)
	return nil
}

func cond(list []model.Condition, path string) *model.Condition {
	for i := range list {
		if list[i].Path == path {
			return &list[i]
		}
	}
	return nil
}

func jsonEqual(t *testing.T, got json.RawMessage, want string) {
	t.Helper()
	var a, b any
	if err := json.Unmarshal(got, &a); err != nil {
		t.Fatalf("%s: %v", got, err)
	}
	if err := json.Unmarshal([]byte(want), &b); err != nil {
		t.Fatal(err)
	}
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if !bytes.Equal(ja, jb) {
		t.Fatalf("got %s, want %s", ja, jb)
	}
}

func decoded(t *testing.T, cr *model.ContentResponse) []byte {
	t.Helper()
	if cr.Decode != "base64" {
		t.Fatalf("decode %q, want base64", cr.Decode)
	}
	var s string
	if err := json.Unmarshal(cr.Payload, &s); err != nil {
		t.Fatal(err)
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The recorded browser session becomes one valid mock per distinct request,
// each matching the request and answering what was recorded.
func TestBrowserHARMocks(t *testing.T) {
	har := browserHAR(t)
	res := generateOK(t, Input{Namespace: "web", HAR: har})
	if len(res.Mocks) != 10 { // 11 entries, the counter called twice
		t.Fatalf("%d mocks, want 10", len(res.Mocks))
	}

	users := byRoute(t, res, "GET", "/api/users")
	if len(users.HTTP.QueryParams) != 2 || string(cond(users.HTTP.QueryParams, "page").Value) != `"1"` ||
		string(cond(users.HTTP.QueryParams, "sort").Value) != `"name"` {
		t.Errorf("query conditions: %+v", users.HTTP.QueryParams)
	}
	jsonEqual(t, users.Response.Payload, `{"page":1,"users":[{"id":7,"name":"Ana","admin":true},{"id":42,"name":"Rui","admin":false,"score":12.5}]}`)
	h := users.Response.Headers
	if h["Content-Type"][0] != "application/json; charset=utf-8" || h["Cache-Control"][0] != "no-store" {
		t.Errorf("kept headers: %v", h)
	}
	for _, gone := range []string{"Date", "Content-Length", "X-Request-Id"} {
		if _, ok := h[gone]; ok {
			t.Errorf("header %s replayed: %v", gone, h)
		}
	}
	if _, ok := byRoute(t, res, "GET", "/api/users/42").Response.Headers["Etag"]; ok {
		t.Error("ETag replayed")
	}
	if nf := byRoute(t, res, "GET", "/api/users/999"); nf.Response.StatusCode != 404 {
		t.Errorf("recorded 404 answers %d", nf.Response.StatusCode)
	}

	// A JSON body: a condition per top-level field.
	orders := byRoute(t, res, "POST", "/api/orders")
	want := map[string]string{"$.item": `"book"`, "$.qty": `2`, "$.tags": `["gift","paper"]`, "$.ship": `{"city":"Lisbon"}`}
	if len(orders.HTTP.Conditions) != len(want) {
		t.Errorf("body conditions: %+v", orders.HTTP.Conditions)
	}
	for p, v := range want {
		c := cond(orders.HTTP.Conditions, p)
		if c == nil || c.AssertAction != "equals" {
			t.Fatalf("no equals condition on %s: %+v", p, orders.HTTP.Conditions)
		}
		jsonEqual(t, c.Value, v)
	}
	if orders.Response.StatusCode != 201 {
		t.Errorf("status %d", orders.Response.StatusCode)
	}

	// Secrets: not in the mocks at all; the request's matched by presence.
	login := byRoute(t, res, "POST", "/api/login")
	if c := cond(login.HTTP.Conditions, "$.password"); c == nil || c.AssertAction != "notEmpty" || len(c.Value) != 0 {
		t.Errorf("password condition: %+v", c)
	}
	jsonEqual(t, login.Response.Payload, `{"user":"ana","token":"REDACTED","expiresIn":3600}`)
	if v := login.Response.Headers["X-Session-Token"]; len(v) != 1 || v[0] != Redacted {
		t.Errorf("secret header: %v", login.Response.Headers)
	}
	if _, ok := login.Response.Headers["Set-Cookie"]; ok {
		t.Error("Set-Cookie replayed")
	}
	all, _ := json.Marshal(res.Mocks[1:]) // the page itself holds the script's request, as text
	for _, secret := range []string{"hunter2", "eyJhbGciOiJIUzI1NiJ9", "sess-0f9a", "abc123"} {
		if bytes.Contains(all, []byte(secret)) {
			t.Errorf("the secret %q is in the mocks", secret)
		}
	}
	if n := countWarnings(res, "secrets redacted"); n != 1 {
		t.Errorf("%d redaction warnings, want 1: %q", n, res.Warnings)
	}

	// Text: a string payload; text with "$." in base64, byte for byte.
	echo := byRoute(t, res, "POST", "/api/echo")
	if c := cond(echo.HTTP.Conditions, "$"); c == nil || c.AssertAction != "equals" || string(c.Value) != `"ping"` {
		t.Errorf("text body condition: %+v", echo.HTTP.Conditions)
	}
	if string(echo.Response.Payload) != `"pong"` || echo.Response.Decode != "" {
		t.Errorf("text answer: %s", echo.Response.Payload)
	}
	notes := byRoute(t, res, "GET", "/notes.txt")
	if got := string(decoded(t, notes.Response)); got != "Price list\nbook: $.99 off with code $.BOOK\nquoted for $.namespace as $.fake.UUID\n" {
		t.Errorf("notes: %q", got)
	}

	// Binary: the recorded base64 content, decoded by the mock.
	logo := byRoute(t, res, "GET", "/logo.png")
	d := parseHAR(t, har)
	content := d.entry(t, "GET", "/logo.png")["response"].(map[string]any)["content"].(map[string]any)
	png, _ := base64.StdEncoding.DecodeString(content["text"].(string))
	if got := decoded(t, logo.Response); !bytes.Equal(got, png) || !bytes.HasPrefix(got, []byte("\x89PNG")) {
		t.Errorf("png: %d bytes, want the %d recorded", len(got), len(png))
	}
	if logo.Response.Headers["Content-Type"][0] != "image/png" {
		t.Errorf("png headers: %v", logo.Response.Headers)
	}

	// Ids: the prefix, method and path, a hash where there is a query or body;
	// the same on every run.
	if users.ID == "har-web-get-api-users" || !strings.HasPrefix(users.ID, "har-web-get-api-users-") || login.ID == "har-web-post-api-login" {
		t.Errorf("ids: %s %s", users.ID, login.ID)
	}
	if id := byRoute(t, res, "GET", "/api/users/42").ID; id != "har-web-get-api-users-42" {
		t.Errorf("id %s", id)
	}
	again := generateOK(t, Input{Namespace: "web", HAR: har})
	for i := range res.Mocks {
		if res.Mocks[i].ID != again.Mocks[i].ID {
			t.Errorf("id %s became %s on a re-run", res.Mocks[i].ID, again.Mocks[i].ID)
		}
	}
	other := generateOK(t, Input{Namespace: "web", IDPrefix: "rec", PathPrefix: "/v1/", ServerName: "edge", HAR: har})
	if m := other.Mocks[1]; !strings.HasPrefix(m.ID, "rec-get-api-users-") || m.PathPrefix != "/v1" || m.ServerName != "edge" {
		t.Errorf("idPrefix, pathPrefix, serverName: %s %q %q", m.ID, m.PathPrefix, m.ServerName)
	}
}

func countWarnings(res *Result, part string) int {
	n := 0
	for _, w := range res.Warnings {
		if strings.Contains(w, part) {
			n++
		}
	}
	return n
}

// A request made twice with different answers: the first answer and a
// warning, or with OneOf every answer in the recorded order.
func TestRepeatedRequest(t *testing.T) {
	har := browserHAR(t)
	res := generateOK(t, Input{Namespace: "web", HAR: har})
	counter := byRoute(t, res, "GET", "/api/counter")
	jsonEqual(t, counter.Response.Payload, `{"count":1}`)
	if n := countWarnings(res, "GET /api/counter was recorded 2 times with 2 different answers: the first is served and 1 later ones are dropped"); n != 1 {
		t.Errorf("dropped-answer warning: %q", res.Warnings)
	}

	res = generateOK(t, Input{Namespace: "web", HAR: har, OneOf: true})
	counter = byRoute(t, res, "GET", "/api/counter")
	if counter.Response != nil || counter.OneOf == nil || len(counter.OneOf.Responses) != 2 || counter.OneOf.Order != "order" {
		t.Fatalf("oneOf: %+v", counter)
	}
	jsonEqual(t, counter.OneOf.Responses[0].Payload, `{"count":1}`)
	jsonEqual(t, counter.OneOf.Responses[1].Payload, `{"count":2}`)
	if n := countWarnings(res, "/api/counter"); n != 0 {
		t.Errorf("warnings with oneOf: %q", res.Warnings)
	}
	// Identical answers stay one response.
	if users := byRoute(t, res, "GET", "/api/users/42"); users.Response == nil {
		t.Errorf("a request answered once got oneOf")
	}

	// Recorders write entries as requests finish: the start time orders them.
	d := parseHAR(t, har)
	es := d.entries()
	var first, second int
	for i, e := range es {
		if strings.HasSuffix(e.(map[string]any)["request"].(map[string]any)["url"].(string), "/api/counter") {
			if first == 0 {
				first = i
			} else {
				second = i
			}
		}
	}
	es[first], es[second] = es[second], es[first]
	res = generateOK(t, Input{Namespace: "web", HAR: d.bytes(t), OneOf: true})
	jsonEqual(t, byRoute(t, res, "GET", "/api/counter").OneOf.Responses[0].Payload, `{"count":1}`)
}

// Requests that differ only in query order, or in a secret, are one
// request; the same path on two hosts is two mocks and a warning.
func TestDistinctRequestsAndHosts(t *testing.T) {
	d := parseHAR(t, browserHAR(t))
	users := d.entry(t, "GET", "/api/users?sort=name&page=1")
	reordered := clone(users)
	reordered["request"].(map[string]any)["url"] = strings.Replace(users["request"].(map[string]any)["url"].(string), "sort=name&page=1", "page=1&sort=name", 1)
	login := d.entry(t, "POST", "/api/login")
	otherPassword := clone(login)
	otherPassword["request"].(map[string]any)["postData"].(map[string]any)["text"] = `{"user":"ana","password":"other"}`
	otherHost := clone(d.entry(t, "GET", "/api/users/42"))
	otherHost["request"].(map[string]any)["url"] = "https://api.example.test/api/users/42"
	d.setEntries(append(d.entries(), reordered, otherPassword, otherHost))

	res := generateOK(t, Input{Namespace: "web", HAR: d.bytes(t)})
	if len(res.Mocks) != 11 {
		t.Fatalf("%d mocks, want 11 (one more host)", len(res.Mocks))
	}
	var ids []string
	for _, m := range res.Mocks {
		if m.HTTP.Route == "/api/users/42" {
			ids = append(ids, m.ID)
		}
	}
	if len(ids) != 2 || ids[0] == ids[1] || !strings.Contains(ids[1], "api.example.test") {
		t.Errorf("two hosts' ids: %v", ids)
	}
	if countWarnings(res, "GET /api/users/42 was recorded from 2 hosts (127.0.0.1:") != 1 {
		t.Errorf("hosts warning: %q", res.Warnings)
	}
	if countWarnings(res, "/api/users was recorded") != 0 || countWarnings(res, "/api/login was recorded") != 0 {
		t.Errorf("the same request counted as different answers: %q", res.Warnings)
	}
}

// What the generator cannot carry over is skipped with a warning that says
// so: huge bodies, failed requests, other schemes, more than MaxEntries.
func TestBoundsAndSkips(t *testing.T) {
	d := parseHAR(t, browserHAR(t))
	big := clone(d.entry(t, "GET", "/notes.txt"))
	big["request"].(map[string]any)["url"] = "http://127.0.0.1/big.txt"
	big["response"].(map[string]any)["content"].(map[string]any)["text"] = strings.Repeat("x", MaxBodyBytes+1)
	failed := clone(d.entry(t, "GET", "/notes.txt"))
	failed["request"].(map[string]any)["url"] = "http://127.0.0.1/failed"
	failed["response"].(map[string]any)["status"] = 0
	data := clone(d.entry(t, "GET", "/notes.txt"))
	data["request"].(map[string]any)["url"] = "data:text/plain,hi"
	d.setEntries(append(d.entries(), big, failed, data))
	res := generateOK(t, Input{Namespace: "web", HAR: d.bytes(t)})
	if len(res.Mocks) != 10 {
		t.Errorf("%d mocks, want the 10 of the recording", len(res.Mocks))
	}
	for _, w := range []string{fmt.Sprintf("1 entries have a request or response body over %d bytes; skipped", MaxBodyBytes),
		"GET /failed has no response (status 0", "1 entries are not http or https requests"} {
		if countWarnings(res, w) != 1 {
			t.Errorf("no warning %q in %q", w, res.Warnings)
		}
	}

	// MaxEntries: 5,001 distinct requests, the last one left out.
	one := clone(d.entry(t, "GET", "/api/users/42"))
	many := make([]any, MaxEntries+1)
	for i := range many {
		e := clone(one)
		e["request"].(map[string]any)["url"] = fmt.Sprintf("http://127.0.0.1/item/%d", i)
		many[i] = e
	}
	d.setEntries(many)
	res = generateOK(t, Input{Namespace: "web", HAR: d.bytes(t)})
	if len(res.Mocks) != MaxEntries || countWarnings(res, "the file has 5001 entries: the first 5000") != 1 {
		t.Errorf("%d mocks; warnings %q", len(res.Mocks), res.Warnings[:min(3, len(res.Warnings))])
	}
}

// Bodies and paths the plain rules do not fit: a form with a password, a
// JSON answer holding "$.", a nested secret, a query secret, route syntax
// in a recorded path, a binary request body.
func TestBodiesAndPaths(t *testing.T) {
	d := parseHAR(t, browserHAR(t))
	base := d.entry(t, "POST", "/api/orders")
	mk := func(url, reqMime, reqText, respMime, respText string) map[string]any {
		e := clone(base)
		req := e["request"].(map[string]any)
		req["url"] = url
		req["postData"] = map[string]any{"mimeType": reqMime, "text": reqText}
		c := e["response"].(map[string]any)["content"].(map[string]any)
		c["mimeType"], c["text"] = respMime, respText
		e["response"].(map[string]any)["headers"] = []any{map[string]any{"name": "content-type", "value": respMime}}
		return e
	}
	d.setEntries([]any{
		mk("http://h/form", "application/x-www-form-urlencoded", "user=ana&password=hunter2&x=a%2Bb", "application/json", `{"price":"$.fake.Price"}`),
		mk("http://h/nested?api_key=k1&q=a&q=b", "application/json", `{"auth":{"user":"ana","secret":"s1"},"n":1}`, "application/json", `[{"session":{"id":"s2","n":3}},"plain"]`),
		mk("http://h/files/:draft/a%20b", "application/octet-stream", "\x00\x01\x02", "text/plain", "ok"),
		mk("http://h/odd?namespace=zz&v=1", "application/json", `{"it's":1,"a\"b":2,"x]y":3,"back\\slash":4,"a.b":5,"plain":6}`, "text/plain", "ok"),
	})
	res := generateOK(t, Input{Namespace: "web", HAR: d.bytes(t)})
	all, _ := json.Marshal(res.Mocks)
	for _, secret := range []string{"hunter2", "s1", "s2", "k1"} {
		if bytes.Contains(all, []byte(`"`+secret+`"`)) || bytes.Contains(all, []byte("="+secret)) {
			t.Errorf("secret %q in the mocks: %s", secret, all)
		}
	}

	form := res.Mocks[0]
	c := cond(form.HTTP.Conditions, "$")
	if c == nil || c.AssertAction != "matches" || string(c.Value) != `"^user=ana\u0026password=[^\u0026]*\u0026x=a%2Bb$"` {
		t.Errorf("form condition: %+v", form.HTTP.Conditions)
	}
	if got := string(decoded(t, form.Response)); got != `{"price":"$.fake.Price"}` {
		t.Errorf("a JSON answer with $. must be served as written: %q", got)
	}

	nested := res.Mocks[1]
	if c := cond(nested.HTTP.Conditions, "$.auth"); c == nil || c.AssertAction != "contains" || string(c.Value) != `{"user":"ana"}` {
		t.Errorf("nested secret: %+v", nested.HTTP.Conditions)
	}
	if c := cond(nested.HTTP.QueryParams, "api_key"); c == nil || c.AssertAction != "notEmpty" {
		t.Errorf("query secret: %+v", nested.HTTP.QueryParams)
	}
	if c := cond(nested.HTTP.QueryParams, "q"); c == nil || string(c.Value) != `["a","b"]` || c.SortArray == nil || !*c.SortArray {
		t.Errorf("repeated query parameter: %+v", nested.HTTP.QueryParams)
	}
	jsonEqual(t, nested.Response.Payload, `[{"session":{"id":"REDACTED","n":3}},"plain"]`)

	odd := res.Mocks[2]
	if odd.HTTP.Route != "" || odd.HTTP.RoutePattern != `^/files/:draft/a b$` || len(odd.HTTP.Conditions) != 0 {
		t.Errorf("route syntax in a path: %+v", odd.HTTP)
	}
	if countWarnings(res, "the request body is binary") != 1 {
		t.Errorf("binary body warning: %q", res.Warnings)
	}

	// Odd field names get paths that read them, checked by the matcher; the
	// namespace query parameter is /stubs', not the mock's.
	odd = res.Mocks[3]
	var body any
	_ = json.Unmarshal([]byte(`{"it's":1,"a\"b":2,"x]y":3,"back\\slash":4,"a.b":5,"plain":6}`), &body)
	if len(odd.HTTP.Conditions) != 6 {
		t.Fatalf("odd names: %+v", odd.HTTP.Conditions)
	}
	for _, c := range odd.HTTP.Conditions {
		cs, err := match.CompileConditions([]model.Condition{c}, match.SourceBody, false)
		if err != nil {
			t.Fatalf("%s: %v", c.Path, err)
		}
		if ok, f := cs[0].Check(&match.Input{Body: body}, nil, "web"); !ok {
			t.Errorf("%s does not hold on the recorded body: %+v", c.Path, f)
		}
	}
	if len(odd.HTTP.QueryParams) != 1 || odd.HTTP.QueryParams[0].Path != "v" || countWarnings(res, `query parameter "namespace" is not matched`) != 1 {
		t.Errorf("namespace parameter: %+v %q", odd.HTTP.QueryParams, res.Warnings)
	}
}

// Files that are not HAR 1.2 JSON are refused on the field "spec", saying
// where.
func TestNotHAR(t *testing.T) {
	for _, tc := range []struct{ doc, want string }{
		{"{\n  \"log\": {\n    \"entries\": [}\n}", "line 3, column 17"},
		{`[1, 2]`, "line 1, column 1"},
		{`{"log": {"version": "1.2", "entries": {"a": 1}}}`, "log.entries is a JSON object, want an array"},
		{`{"info": {}}`, `no "log" object`},
		{`{"log": {"version": "1.2"}}`, "log.entries is missing"},
		{`{"log": {"version": "1.2", "entries": []}}`, "log.entries is empty"},
		{`{"log": {"version": "2.0", "entries": [{}]}}`, `log.version is "2.0"`},
		{`{"log": {"entries": [{"request": "x"}]}}`, "log.entries[0]: request is a JSON string, want an object"},
		{`{"log": {"entries": [{"request": {"method": "GET", "url": "http://h/"}, "response": {"status": 0}}]}}`, "holds no request that can be mocked: log.entries[0]: GET / has no response"},
		{"  ", "is required"},
	} {
		_, err := Generate(Input{Namespace: "web", HAR: []byte(tc.doc)})
		var ie *generate.InputError
		if !errors.As(err, &ie) || ie.Field != "spec" || !strings.Contains(ie.Message, tc.want) {
			t.Errorf("%q: got %v, want spec: ...%s...", tc.doc, err, tc.want)
		}
	}
}
