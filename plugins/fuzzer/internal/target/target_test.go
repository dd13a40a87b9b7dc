package target

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/mockarty-oss/mockarty/sdk/listen"
)

func init() {
	// Let kin-openapi check the greet page (text/html) and e-mail formats.
	openapi3filter.RegisterBodyDecoder("text/html", openapi3filter.PlainBodyDecoder)
	openapi3.DefineStringFormat("email", openapi3.FormatOfStringForEmail)
}

// startTwin serves one twin on an httptest server closed with the test.
func startTwin(t *testing.T, vulnerable bool) *httptest.Server {
	t.Helper()
	h, err := New(vulnerable, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

func startTwins(t *testing.T) (vuln, clean *httptest.Server) {
	t.Helper()
	return startTwin(t, true), startTwin(t, false)
}

// waits records the waits a twin was asked for instead of waiting them.
type waits struct {
	mu sync.Mutex
	d  []time.Duration
}

func (w *waits) all() []time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]time.Duration(nil), w.d...)
}

// startRecorded serves one twin whose waits are recorded, not waited.
func startRecorded(t *testing.T, vulnerable bool) (*httptest.Server, *waits) {
	t.Helper()
	h, err := New(vulnerable, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	w := &waits{}
	h.(*server).sleep = func(_ context.Context, d time.Duration) bool {
		w.mu.Lock()
		w.d = append(w.d, d)
		w.mu.Unlock()
		return true
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv, w
}

// jwt makes a compact JWT; key "" leaves the signature empty.
func jwt(alg, claims, key string) string {
	enc := base64.RawURLEncoding
	s := enc.EncodeToString([]byte(`{"alg":"`+alg+`","typ":"JWT"}`)) + "." + enc.EncodeToString([]byte(claims))
	sig := ""
	if key != "" {
		mac := hmac.New(sha256.New, []byte(key))
		mac.Write([]byte(s))
		sig = enc.EncodeToString(mac.Sum(nil))
	}
	return s + "." + sig
}

func bearer(target, token string) request {
	return request{method: http.MethodGet, target: target, header: map[string]string{"Authorization": "Bearer " + token}}
}

type answer struct {
	status int
	header http.Header
	body   string
}

func (a answer) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(a.body), &m); err != nil {
		t.Fatalf("answer is not a JSON object: %v: %q", err, a.body)
	}
	return m
}

type request struct {
	method string
	target string // path and query
	body   string
	header map[string]string
}

func get(target string) request { return request{method: http.MethodGet, target: target} }

func post(target, body string) request {
	return request{method: http.MethodPost, target: target, body: body,
		header: map[string]string{"Content-Type": "application/json"}}
}

func q(path, key, value string) string { return path + "?" + url.Values{key: {value}}.Encode() }

func newRequest(t *testing.T, base string, r request) *http.Request {
	t.Helper()
	var body io.Reader
	if r.body != "" {
		body = strings.NewReader(r.body)
	}
	req, err := http.NewRequestWithContext(t.Context(), r.method, base+r.target, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range r.header {
		req.Header.Set(k, v)
	}
	return req
}

func do(t *testing.T, srv *httptest.Server, r request) answer {
	t.Helper()
	resp, err := srv.Client().Do(newRequest(t, srv.URL, r))
	if err != nil {
		t.Fatalf("%s %s: %v", r.method, r.target, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return answer{status: resp.StatusCode, header: resp.Header, body: string(b)}
}

func wantStatus(t *testing.T, who string, r request, a answer, want int) {
	t.Helper()
	if a.status != want {
		t.Errorf("%s: %s %s: status %d, want %d (body %q)", who, r.method, r.target, a.status, want, a.body)
	}
}

// examples are the requests built from the spec's examples, with the status
// both twins must give them.
var examples = []struct {
	op   string
	req  request
	want int
}{
	{"searchProducts", get("/api/products?q=phone"), 200},
	{"getItem", get("/api/items?id=1"), 200},
	{"greet", get("/api/greet?name=world"), 200},
	{"getFile", get("/api/files?name=readme.txt"), 200},
	{"testWebhook", post("/api/webhooks/test", `{"url":"https://hooks.example.com/ping"}`), 200},
	{"createOrder", post("/api/orders", `{"sku":"A1","quantity":2}`), 201},
	{"getProfile", get("/api/profile"), 200},
	{"adminStats", request{method: http.MethodGet, target: "/api/admin/stats",
		header: map[string]string{"Authorization": "Bearer " + Token}}, 200},
	{"getAccount", bearer("/api/account", Token), 200},
	{"subscribeNewsletter", post("/api/newsletter", `{"email":"ann@example.com"}`), 200},
}

func TestExamplesSameInBothTwins(t *testing.T) {
	vuln, clean := startTwins(t)
	for _, ex := range examples {
		v, c := do(t, vuln, ex.req), do(t, clean, ex.req)
		wantStatus(t, "vulnerable", ex.req, v, ex.want)
		wantStatus(t, "clean", ex.req, c, ex.want)
		// The profile differs by design; the vulnerable twin really tries to
		// fetch the webhook (and may fail to resolve hooks.example.com).
		if ex.op != "getProfile" && ex.op != "testWebhook" && v.body != c.body {
			t.Errorf("%s: bodies differ: vulnerable %q, clean %q", ex.op, v.body, c.body)
		}
	}
	a := do(t, clean, get("/api/products?q=phone"))
	if strings.TrimSpace(a.body) != `[{"id":1,"name":"phone"}]` {
		t.Errorf("products: %q", a.body)
	}
	a = do(t, clean, get("/api/items?id=1"))
	if strings.TrimSpace(a.body) != `{"id":"1","name":"item one"}` {
		t.Errorf("item: %q", a.body)
	}
	a = do(t, clean, get("/api/files?name=readme.txt"))
	if a.body != "Welcome to the shop.\n" || !strings.HasPrefix(a.header.Get("Content-Type"), "text/plain") {
		t.Errorf("file: %q (%s)", a.body, a.header.Get("Content-Type"))
	}
	a = do(t, startTwin(t, false), post("/api/orders", `{"sku":"A1","quantity":2}`))
	if strings.TrimSpace(a.body) != `{"orderId":"o-1","sku":"A1","quantity":2,"total":19.98}` {
		t.Errorf("order: %q", a.body)
	}
	a = do(t, clean, get("/api/admin/stats"))
	wantStatus(t, "clean", get("/api/admin/stats"), a, 401)
}

func TestSpecServedAndValid(t *testing.T) {
	vuln, clean := startTwins(t)
	for _, srv := range []*httptest.Server{vuln, clean} {
		a := do(t, srv, get("/openapi.json"))
		if a.status != 200 || a.body != string(Spec()) {
			t.Errorf("GET /openapi.json: status %d, body differs from Spec(): %v", a.status, a.body != string(Spec()))
		}
	}
	var raw struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(Spec(), &raw); err != nil {
		t.Fatal(err)
	}
	if raw.OpenAPI != "3.0.3" {
		t.Errorf("openapi = %q", raw.OpenAPI)
	}
	ops := 0
	for _, p := range raw.Paths {
		ops += len(p)
	}
	if ops != 10 {
		t.Errorf("%d operations, want 10", ops)
	}
	doc := loadSpec(t)
	for _, ex := range examples {
		if findOperation(t, doc, ex.req).Operation.OperationID != ex.op {
			t.Errorf("%s %s is not operation %s", ex.req.method, ex.req.target, ex.op)
		}
	}
	sec := doc.Paths.Value("/api/admin/stats").Get.Security
	if sec == nil || len(*sec) != 1 || (*sec)[0]["bearerAuth"] == nil {
		t.Errorf("adminStats security = %v", sec)
	}
	sec = doc.Paths.Value("/api/account").Get.Security
	if sec == nil || len(*sec) != 1 || (*sec)[0]["jwtAuth"] == nil || doc.Components.SecuritySchemes["jwtAuth"].Value.BearerFormat != "JWT" {
		t.Errorf("getAccount security = %v", sec)
	}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			if op.Security != nil && path != "/api/admin/stats" && path != "/api/account" {
				t.Errorf("%s %s has security", method, path)
			}
		}
	}
}

func loadSpec(t *testing.T) *openapi3.T {
	t.Helper()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(Spec())
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(loader.Context, openapi3.EnableExamplesValidation()); err != nil {
		t.Fatalf("spec is invalid: %v", err)
	}
	return doc
}

func findOperation(t *testing.T, doc *openapi3.T, r request) *routers.Route {
	t.Helper()
	u, err := url.Parse(r.target)
	if err != nil {
		t.Fatal(err)
	}
	item := doc.Paths.Value(u.Path)
	if item == nil || item.GetOperation(r.method) == nil {
		t.Fatalf("no operation for %s %s", r.method, u.Path)
	}
	return &routers.Route{Spec: doc, Server: doc.Servers[0], Path: u.Path, PathItem: item,
		Method: r.method, Operation: item.GetOperation(r.method)}
}

// validate checks the request against the spec (when validRequest) and the
// answer always.
func validate(t *testing.T, doc *openapi3.T, base string, r request, validRequest bool, a answer) error {
	t.Helper()
	req := newRequest(t, base, r)
	opts := &openapi3filter.Options{
		IncludeResponseStatus: true,
		MultiError:            true,
		AuthenticationFunc:    openapi3filter.NoopAuthenticationFunc,
	}
	in := &openapi3filter.RequestValidationInput{Request: req, Route: findOperation(t, doc, r), Options: opts}
	ctx := context.Background()
	if validRequest {
		if err := openapi3filter.ValidateRequest(ctx, in); err != nil {
			t.Errorf("%s %s: request does not match the spec: %v", r.method, r.target, err)
		}
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: a.status,
		Header: a.header, Options: opts}
	out.SetBodyBytes([]byte(a.body))
	return openapi3filter.ValidateResponse(ctx, out)
}

func TestCleanTwinConformsToSpec(t *testing.T) {
	doc := loadSpec(t)
	clean := startTwin(t, false)
	cases := []struct {
		req   request
		valid bool // the request itself is valid per the spec
		want  int
	}{
		{get("/api/products?q=phone"), true, 200},
		{get("/api/products"), true, 200},
		{get(q("/api/products", "q", "o' OR '1'='1")), true, 200},
		{get("/api/items?id=1"), true, 200},
		{get("/api/items?id=3"), true, 200},
		{get("/api/items?id=9"), true, 404},
		{get(q("/api/items", "id", "1' AND '1'='1")), true, 404},
		{get("/api/items"), false, 404},
		{get("/api/greet?name=world"), true, 200},
		{get(q("/api/greet", "name", "<script>alert(1)</script>")), true, 200},
		{get("/api/greet"), true, 200},
		{get("/api/files?name=readme.txt"), true, 200},
		{get("/api/files?name=nothing.txt"), true, 404},
		{get(q("/api/files", "name", "../etc/passwd")), true, 400},
		{get("/api/files"), false, 400},
		{post("/api/webhooks/test", `{"url":"https://hooks.example.com/ping"}`), true, 200},
		{post("/api/webhooks/test", `{"url":"http://169.254.169.254/latest/meta-data/"}`), true, 400},
		{post("/api/webhooks/test", `{"url":5}`), false, 400},
		{post("/api/webhooks/test", `not json`), false, 400},
		{post("/api/orders", `{"sku":"A1","quantity":2}`), true, 201},
		{post("/api/orders", `{"sku":"B7","quantity":1000}`), true, 201},
		{post("/api/orders", `{"sku":"A1","quantity":"2"}`), false, 400},
		{post("/api/orders", `{"sku":"A1","quantity":0}`), false, 400},
		{post("/api/orders", `{"sku":"A1","quantity":1.5}`), false, 400},
		{post("/api/orders", `{"sku":"A1"}`), false, 400},
		{post("/api/orders", `{"quantity":2}`), false, 400},
		{post("/api/orders", `[1,2]`), false, 400},
		{post("/api/orders", `{"sku":"A1","quantity":2}`+strings.Repeat(" ", MaxBodyBytes)), true, 413},
		{get("/api/profile"), true, 200},
		{request{method: http.MethodGet, target: "/api/admin/stats",
			header: map[string]string{"Authorization": "Bearer " + Token}}, true, 200},
		{request{method: http.MethodGet, target: "/api/admin/stats",
			header: map[string]string{"Authorization": "Bearer wrong"}}, true, 401},
		{get("/api/admin/stats"), false, 401},
		{bearer("/api/account", Token), true, 200},
		{bearer("/api/account", jwt("none", `{"sub":"ann","role":"admin"}`, "")), true, 401},
		{get("/api/account"), false, 401},
		{post("/api/newsletter", `{"email":"ann@example.com"}`), true, 200},
		{post("/api/newsletter", `{"email":"ann@example.com' AND SLEEP(1)-- "}`), false, 200},
		{post("/api/newsletter", `{"email":""}`), false, 400},
		{post("/api/newsletter", `{"email":1}`), false, 400},
		{post("/api/newsletter", `{}`), false, 400},
	}
	for _, c := range cases {
		a := do(t, clean, c.req)
		wantStatus(t, "clean", c.req, a, c.want)
		if err := validate(t, doc, clean.URL, c.req, c.valid, a); err != nil {
			t.Errorf("%s %s: answer %d %q does not match the spec: %v", c.req.method, c.req.target, a.status, a.body, err)
		}
	}
}

func TestSQLErrorLeak(t *testing.T) {
	vuln, clean := startTwins(t)
	r := get(q("/api/products", "q", "phone' OR 1=1 --"))
	v := do(t, vuln, r)
	wantStatus(t, "vulnerable", r, v, 500)
	want := `SQLITE_ERROR: near " OR 1=1 --": syntax error (SELECT id, name FROM products WHERE name LIKE '%phone' OR 1=1 --%')`
	if got := v.json(t)["error"]; got != want {
		t.Errorf("vulnerable error = %q\nwant %q", got, want)
	}
	long := do(t, vuln, get(q("/api/products", "q", "x'abcdefghijklmnopqrstuvwxyz")))
	if msg, _ := long.json(t)["error"].(string); !strings.HasPrefix(msg, `SQLITE_ERROR: near "abcdefghijklmnopqrst": syntax error`) {
		t.Errorf("near text not cut at 20 characters: %q", msg)
	}
	c := do(t, clean, r)
	wantStatus(t, "clean", r, c, 200)
	if strings.TrimSpace(c.body) != "[]" || strings.Contains(c.body, "SQL") {
		t.Errorf("clean: %q", c.body)
	}
	// Without a quote both twins search normally.
	r = get("/api/products?q=a")
	if v, c := do(t, vuln, r), do(t, clean, r); v.status != 200 || v.body != c.body {
		t.Errorf("q=a: vulnerable %d %q, clean %d %q", v.status, v.body, c.status, c.body)
	}
}

func TestBooleanBlindSQLi(t *testing.T) {
	vuln, clean := startTwins(t)
	pairs := []struct{ truthy, falsy string }{
		{"1' AND '1'='1", "1' AND '1'='2"},
		{"1' AND 'a'='a' --", "1' AND 'a'='b' --"},
		{"1' AND 1=1-- ", "1' AND 1=2-- "},
		{"2' AND '1'='1'", "2' AND '1'='2'"},
		{"9' OR '1'='1", "9' OR '1'='2"},
		{"' OR ''='", "' OR 'x'='"},
		{"1 AND 1=1", "1 AND 1=2"},
		{"9 OR 1=1", "9 OR 1=2"},
	}
	for _, p := range pairs {
		rt, rf := get(q("/api/items", "id", p.truthy)), get(q("/api/items", "id", p.falsy))
		vt, vf := do(t, vuln, rt), do(t, vuln, rf)
		wantStatus(t, "vulnerable", rt, vt, 200)
		wantStatus(t, "vulnerable", rf, vf, 404)
		if vt.status == 200 && vt.json(t)["id"] == nil {
			t.Errorf("vulnerable %q: %q", p.truthy, vt.body)
		}
		ct, cf := do(t, clean, rt), do(t, clean, rf)
		if ct.status != cf.status || ct.body != cf.body {
			t.Errorf("clean distinguishes %q (%d) from %q (%d)", p.truthy, ct.status, p.falsy, cf.status)
		}
		wantStatus(t, "clean", rt, ct, 404)
	}
	// OR with a true condition finds the first row; AND keeps the prefix row.
	if a := do(t, vuln, get(q("/api/items", "id", "3' OR '1'='1"))); a.json(t)["id"] != "1" {
		t.Errorf("OR true: %q", a.body)
	}
	if a := do(t, vuln, get(q("/api/items", "id", "3' AND '1'='1"))); a.json(t)["id"] != "3" {
		t.Errorf("AND true: %q", a.body)
	}
	// Malformed input finds nothing and says nothing.
	for _, id := range []string{"'", "1'", "1''", "1' AND", "1' AND (('1'='1'", "1' UNION SELECT 1 --",
		"1; DROP TABLE items", "((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((1",
		"1' AND '1'='1' ; x", "\xff'"} {
		r := get(q("/api/items", "id", id))
		a := do(t, vuln, r)
		wantStatus(t, "vulnerable", r, a, 404)
		if a.status == 404 && strings.TrimSpace(a.body) != `{"error":"not found"}` {
			t.Errorf("%q: %q", id, a.body)
		}
	}
	for _, id := range []string{"1", "2", "3"} {
		r := get(q("/api/items", "id", id))
		if v, c := do(t, vuln, r), do(t, clean, r); v.status != 200 || v.body != c.body {
			t.Errorf("id=%s: vulnerable %q, clean %q", id, v.body, c.body)
		}
	}
}

func TestReflectedXSS(t *testing.T) {
	vuln, clean := startTwins(t)
	marker := `<script>alert("x7q")</script>`
	r := get(q("/api/greet", "name", marker))
	v, c := do(t, vuln, r), do(t, clean, r)
	wantStatus(t, "vulnerable", r, v, 200)
	wantStatus(t, "clean", r, c, 200)
	if v.body != "<html><body><p>Hello, "+marker+"!</p></body></html>" {
		t.Errorf("vulnerable: %q", v.body)
	}
	if strings.Contains(c.body, marker) || !strings.Contains(c.body, "&lt;script&gt;alert(&#34;x7q&#34;)&lt;/script&gt;") {
		t.Errorf("clean: %q", c.body)
	}
	for _, a := range []answer{v, c} {
		if ct := a.header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
			t.Errorf("Content-Type %q", ct)
		}
	}
}

func TestPathTraversal(t *testing.T) {
	vuln, clean := startTwins(t)
	for _, name := range []string{
		"../etc/passwd",
		"../../../../etc/passwd",
		"..%2fetc%2fpasswd",
		"..%2F..%2F..%2Fetc%2Fpasswd",
		`..\..\etc\passwd`,
		"/../../etc/passwd",
	} {
		r := get(q("/api/files", "name", name))
		v := do(t, vuln, r)
		wantStatus(t, "vulnerable", r, v, 200)
		if !strings.HasPrefix(v.body, "root:x:0:0:root:/root:/bin/bash\n") {
			t.Errorf("vulnerable %q: %q", name, v.body)
		}
		c := do(t, clean, r)
		wantStatus(t, "clean", r, c, 400)
		if strings.Contains(c.body, "root:") || c.json(t)["error"] != "bad file name" {
			t.Errorf("clean %q: %q", name, c.body)
		}
	}
	for _, srv := range []*httptest.Server{vuln, clean} {
		for name, want := range map[string]int{"missing.txt": 404, "": 400, "..": 0} {
			r := get(q("/api/files", "name", name))
			a := do(t, srv, r)
			if want == 0 { // ".." is a folder for one twin, refused by the other
				if a.status != 404 && a.status != 400 {
					t.Errorf("%q: %d", name, a.status)
				}
				continue
			}
			wantStatus(t, srv.URL, r, a, want)
		}
	}
}

func TestSSRF(t *testing.T) {
	var hits atomic.Int64
	internal := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if r.URL.Path == "/loop" {
			http.Redirect(w, r, "/loop", http.StatusFound)
			return
		}
		w.WriteHeader(http.StatusTeapot)
		_, _ = w.Write(bytes.Repeat([]byte("x"), 200<<10))
	}))
	t.Cleanup(internal.Close)
	vuln, clean := startTwins(t)

	body := `{"url":"` + internal.URL + `/admin"}`
	r := post("/api/webhooks/test", body)
	c := do(t, clean, r)
	wantStatus(t, "clean", r, c, 400)
	if c.json(t)["error"] != "url not allowed" || hits.Load() != 0 {
		t.Errorf("clean: %q, %d hits", c.body, hits.Load())
	}
	v := do(t, vuln, r)
	wantStatus(t, "vulnerable", r, v, 200)
	if m := v.json(t); m["ok"] != true || m["status"] != float64(418) || hits.Load() != 1 {
		t.Errorf("vulnerable: %q, %d hits", v.body, hits.Load())
	}

	// At most 3 redirects are followed; the 4th is reported.
	hits.Store(0)
	v = do(t, vuln, post("/api/webhooks/test", `{"url":"`+internal.URL+`/loop"}`))
	if m := v.json(t); v.status != 200 || m["status"] != float64(302) || hits.Load() != 4 {
		t.Errorf("redirects: %d %q, %d hits", v.status, v.body, hits.Load())
	}

	// A failed fetch is a 200 with ok=false, never a 5xx.
	down := httptest.NewServer(http.NotFoundHandler())
	down.Close()
	for _, u := range []string{down.URL, "gopher://localhost/", "::"} {
		r := post("/api/webhooks/test", `{"url":"`+u+`"}`)
		v = do(t, vuln, r)
		wantStatus(t, "vulnerable", r, v, 200)
		if m := v.json(t); m["ok"] != false || m["error"] == "" {
			t.Errorf("%s: %q", u, v.body)
		}
	}

	// The allowed host is never fetched by the clean twin.
	c = do(t, clean, post("/api/webhooks/test", `{"url":"https://hooks.example.com/ping"}`))
	if strings.TrimSpace(c.body) != `{"ok":true,"status":204}` {
		t.Errorf("clean allowed: %q", c.body)
	}
	for _, srv := range []*httptest.Server{vuln, clean} {
		for _, b := range []string{`{}`, `{"url":null}`, `{"url":1}`, `nope`, ``, `{"url":"x"} {}`} {
			r := post("/api/webhooks/test", b)
			wantStatus(t, srv.URL, r, do(t, srv, r), 400)
		}
	}
}

func TestTypeConfusion(t *testing.T) {
	vuln, clean := startTwins(t)
	for body, typ := range map[string]string{
		`{"sku":"A1","quantity":"2"}`:     "string",
		`{"sku":"A1","quantity":true}`:    "bool",
		`{"sku":"A1","quantity":null}`:    "nil",
		`{"sku":"A1","quantity":[2]}`:     "[]interface {}",
		`{"sku":"A1","quantity":{"n":2}}`: "map[string]interface {}",
		`{"quantity":"lots"}`:             "string",
	} {
		r := post("/api/orders", body)
		v := do(t, vuln, r)
		wantStatus(t, "vulnerable", r, v, 500)
		want := "internal error: interface conversion: interface {} is " + typ + ", not float64"
		if got := v.json(t)["error"]; got != want {
			t.Errorf("vulnerable %s: %q, want %q", body, got, want)
		}
		c := do(t, clean, r)
		wantStatus(t, "clean", r, c, 400)
		if c.json(t)["error"] != "quantity must be a number" {
			t.Errorf("clean %s: %q", body, c.body)
		}
	}
	for _, body := range []string{`{"sku":"A1"}`, `{"quantity":2}`, `{"sku":"","quantity":2}`,
		`{"sku":"A1","quantity":0}`, `{"sku":"A1","quantity":1001}`, `{"sku":"A1","quantity":2.5}`,
		`{"sku":"A1","quantity":1e999}`, `{"sku":1,"quantity":2}`, `not json`, `null`, `[]`} {
		r := post("/api/orders", body)
		v, c := do(t, vuln, r), do(t, clean, r)
		wantStatus(t, "vulnerable", r, v, 400)
		wantStatus(t, "clean", r, c, 400)
		if v.body != c.body {
			t.Errorf("%s: vulnerable %q, clean %q", body, v.body, c.body)
		}
	}
}

func TestProfileSchemaViolation(t *testing.T) {
	doc := loadSpec(t)
	vuln, clean := startTwins(t)
	r := get("/api/profile")
	v, c := do(t, vuln, r), do(t, clean, r)
	if _, isString := v.json(t)["id"].(string); v.status != 200 || !isString {
		t.Errorf("vulnerable: %d %q", v.status, v.body)
	}
	if id, isNumber := c.json(t)["id"].(float64); c.status != 200 || !isNumber || id != 42 {
		t.Errorf("clean: %d %q", c.status, c.body)
	}
	if err := validate(t, doc, vuln.URL, r, true, v); err == nil {
		t.Error("vulnerable profile passes schema validation")
	}
	if err := validate(t, doc, clean.URL, r, true, c); err != nil {
		t.Errorf("clean profile fails schema validation: %v", err)
	}
}

func TestMissingCredential(t *testing.T) {
	vuln, clean := startTwins(t)
	r := get("/api/admin/stats")
	v, c := do(t, vuln, r), do(t, clean, r)
	wantStatus(t, "vulnerable", r, v, 200)
	if strings.TrimSpace(v.body) != `{"users":3,"orders":7}` {
		t.Errorf("vulnerable: %q", v.body)
	}
	wantStatus(t, "clean", r, c, 401)
	for _, auth := range []string{"Bearer wrong", "Basic " + Token, Token, "", "Bearer ", "Bearer " + Token + "x"} {
		r := request{method: http.MethodGet, target: "/api/admin/stats", header: map[string]string{"Authorization": auth}}
		for _, srv := range []*httptest.Server{vuln, clean} {
			a := do(t, srv, r)
			wantStatus(t, srv.URL+" "+auth, r, a, 401)
			if a.status == 401 && a.json(t)["error"] != "unauthorized" {
				t.Errorf("%q: %q", auth, a.body)
			}
		}
	}
	r = request{method: http.MethodGet, target: "/api/admin/stats", header: map[string]string{"Authorization": "bearer " + Token}}
	for _, srv := range []*httptest.Server{vuln, clean} {
		wantStatus(t, srv.URL, r, do(t, srv, r), 200)
	}
}

func TestUnsignedJWT(t *testing.T) {
	vuln, clean := startTwins(t)
	claims := `{"sub":"ann","role":"admin"}`
	if Token != jwt("HS256", claims, jwtSecret) {
		t.Fatalf("Token is not the HS256 JWT of %s", claims)
	}
	for _, srv := range []*httptest.Server{vuln, clean} {
		a := do(t, srv, bearer("/api/account", Token))
		if a.status != 200 || strings.TrimSpace(a.body) != claims {
			t.Errorf("%s: the valid token: %d %q", srv.URL, a.status, a.body)
		}
	}
	// An unsigned token: the vulnerable twin takes it, whatever its claims.
	for _, tok := range []string{
		jwt("none", claims, ""),
		jwt("None", `{"sub":"root"}`, ""),
		jwt("NONE", claims, "") + "c2ln",
	} {
		r := bearer("/api/account", tok)
		v, c := do(t, vuln, r), do(t, clean, r)
		wantStatus(t, "vulnerable "+tok, r, v, 200)
		if v.status == 200 && v.json(t)["sub"] == "" {
			t.Errorf("vulnerable %s: %q", tok, v.body)
		}
		wantStatus(t, "clean "+tok, r, c, 401)
	}
	// Everything else is refused by both, the alg none token at the admin
	// endpoint too (it compares the token as it is).
	tampered := Token[:strings.LastIndexByte(Token, '.')+1] + "A" + Token[strings.LastIndexByte(Token, '.')+2:]
	for _, r := range []request{
		get("/api/account"),
		bearer("/api/account", tampered),
		bearer("/api/account", jwt("HS256", claims, "another secret")),
		bearer("/api/account", jwt("HS256", `{"sub":"mallory"}`, "")),
		bearer("/api/account", jwt("HS512", claims, jwtSecret)),
		bearer("/api/account", jwt("HS256", `{"role":"admin"}`, jwtSecret)),
		bearer("/api/account", jwt("HS256", `[]`, jwtSecret)),
		bearer("/api/account", Token+"x"),
		bearer("/api/account", "secret-token"),
		bearer("/api/account", "a.b.c"),
		{method: http.MethodGet, target: "/api/account", header: map[string]string{"Authorization": "Basic " + Token}},
		bearer("/api/admin/stats", jwt("none", claims, "")),
	} {
		for _, srv := range []*httptest.Server{vuln, clean} {
			a := do(t, srv, r)
			wantStatus(t, srv.URL+" "+r.header["Authorization"], r, a, 401)
			if a.status == 401 && (a.json(t)["error"] != "unauthorized" || a.header.Get("WWW-Authenticate") == "") {
				t.Errorf("%s: %q", r.header["Authorization"], a.body)
			}
		}
	}
}

func TestTimeBasedSQLi(t *testing.T) {
	vuln, vw := startRecorded(t, true)
	clean, cw := startRecorded(t, false)
	inputs := []struct {
		email string
		wait  time.Duration // the vulnerable twin's
	}{
		{"ann@example.com' AND SLEEP(1)-- ", time.Second},
		{"ann@example.com'; SELECT pg_sleep(2)-- ", 2 * time.Second},
		{"x' OR sleep ( 0.5 ) #", 500 * time.Millisecond},
		{"x' AND SLEEP(3600)-- ", 3 * time.Second},
		{"x' AND SLEEP(99999999999999999999999)-- ", 3 * time.Second},
		{"ann@example.com' AND SLEEP(0)-- ", 0},
		{"ann@example.com'; SELECT pg_sleep(0)-- ", 0},
		{"ann@example.com", 0},
		{"x' AND asleep(2)-- ", 0},
		{"x' AND SLEEP(a)-- ", 0},
	}
	for _, in := range inputs {
		js, _ := json.Marshal(map[string]string{"email": in.email})
		r := post("/api/newsletter", string(js))
		before := len(vw.all())
		v, c := do(t, vuln, r), do(t, clean, r)
		// No error text and no other difference: only the time tells.
		wantStatus(t, "vulnerable", r, v, 200)
		if v.body != c.body || strings.TrimSpace(v.body) != `{"subscribed":true}` {
			t.Errorf("%q: vulnerable %d %q, clean %d %q", in.email, v.status, v.body, c.status, c.body)
		}
		got := vw.all()[before:]
		if (in.wait == 0 && len(got) != 0) || (in.wait != 0 && (len(got) != 1 || got[0] != in.wait)) {
			t.Errorf("%q: the vulnerable twin waited %v, want %v", in.email, got, in.wait)
		}
	}
	if got := cw.all(); len(got) != 0 {
		t.Errorf("the clean twin waited %v", got)
	}
	for _, srv := range []*httptest.Server{vuln, clean} {
		for _, b := range []string{`{"email":""}`, `{"email":1}`, `{"email":null}`, `{}`, `[]`, `nope`,
			`{"email":"` + strings.Repeat("a", 255) + `"}`} {
			r := post("/api/newsletter", b)
			wantStatus(t, srv.URL, r, do(t, srv, r), 400)
		}
	}
	if got := vw.all(); len(got) != 5 {
		t.Errorf("invalid bodies made the vulnerable twin wait: %v", got)
	}
}

// The vulnerable twin's wait ends when the client goes away.
func TestTimeBasedSQLiStopsWithTheClient(t *testing.T) {
	h, err := New(true, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	started, whole := make(chan struct{}), make(chan bool, 1)
	h.(*server).sleep = func(ctx context.Context, d time.Duration) bool {
		close(started)
		ok := listen.Sleep(ctx, d)
		whole <- ok
		return ok
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	r := post("/api/newsletter", `{"email":"x' AND SLEEP(3)-- "}`)
	req := newRequest(t, srv.URL, r).WithContext(ctx)
	done := make(chan error, 1)
	go func() {
		resp, err := srv.Client().Do(req)
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	select {
	case <-started:
	case err := <-done:
		t.Fatalf("answered without waiting: %v", err)
	}
	cancel()
	if err := <-done; err == nil {
		t.Fatal("the request was answered")
	}
	if <-whole {
		t.Error("the wait went on after the client left")
	}
}

func TestRoutingAndLimits(t *testing.T) {
	vuln, clean := startTwins(t)
	for _, srv := range []*httptest.Server{vuln, clean} {
		for _, c := range []struct {
			req  request
			want int
		}{
			{get("/nope"), 404},
			{get("/api/products/"), 404},
			{get("/api"), 404},
			{post("/api/products", `{}`), 405},
			{get("/api/orders"), 405},
			{request{method: http.MethodDelete, target: "/api/admin/stats"}, 405},
			{post("/api/webhooks/test", `{"url":"`+strings.Repeat("a", MaxBodyBytes)+`"}`), 413},
			{request{method: http.MethodGet, target: "/api/profile", body: strings.Repeat("a", MaxBodyBytes+1)}, 413},
		} {
			a := do(t, srv, c.req)
			wantStatus(t, srv.URL, c.req, a, c.want)
			if _, ok := a.json(t)["error"].(string); !ok || a.header.Get("Content-Type") != "application/json" {
				t.Errorf("%s %s: not a JSON error: %q", c.req.method, c.req.target, a.body)
			}
		}
		if a := do(t, srv, get("/api/orders")); a.header.Get("Allow") != "POST" {
			t.Errorf("Allow = %q", a.header.Get("Allow"))
		}
	}
}

// TestNoUnexpectedServerErrorsOrReflection throws a small set of hostile
// inputs at every operation: the clean twin never answers 5xx nor echoes the
// input unescaped into HTML; the vulnerable one answers 5xx only for its two
// planted 500s. (Its waits are recorded, not waited: see TestTimeBasedSQLi.)
func TestNoUnexpectedServerErrorsOrReflection(t *testing.T) {
	vuln, _ := startRecorded(t, true)
	clean, _ := startRecorded(t, false)
	payloads := []string{
		"", "'", `"`, "<svg/onload=alert(1)>", "../../../../etc/passwd", "%00", "\x00", "%2e%2e%2f",
		"' OR 1=1 --", "1;SELECT pg_sleep(5)", "{{7*7}}", "${jndi:ldap://x}", strings.Repeat("A", 5000),
		"\xff\xfe", "1e309", "-1", "null", "true", "[]", "{}", "http://127.0.0.1:1/", "file:///etc/passwd",
	}
	planted500 := func(path string, p string) bool {
		return path == "/api/products" && strings.Contains(p, "'")
	}
	for _, p := range payloads {
		js, _ := json.Marshal(p)
		auth := "Bearer " + strings.ToValidUTF8(strings.Map(func(r rune) rune {
			if r < 0x20 || r == 0x7f {
				return -1
			}
			return r
		}, p), "")
		reqs := []request{
			get(q("/api/products", "q", p)),
			get(q("/api/items", "id", p)),
			get(q("/api/greet", "name", p)),
			get(q("/api/files", "name", p)),
			post("/api/webhooks/test", `{"url":`+string(js)+`}`),
			post("/api/webhooks/test", p),
			post("/api/orders", `{"sku":`+string(js)+`,"quantity":1}`),
			post("/api/orders", p),
			post("/api/newsletter", `{"email":`+string(js)+`}`),
			post("/api/newsletter", p),
			request{method: http.MethodGet, target: "/api/admin/stats", header: map[string]string{"Authorization": auth}},
			request{method: http.MethodGet, target: "/api/account", header: map[string]string{"Authorization": auth}},
		}
		for _, r := range reqs {
			for _, srv := range []*httptest.Server{vuln, clean} {
				a := do(t, srv, r)
				u, _ := url.Parse(r.target)
				if a.status >= 500 && (srv != vuln || !planted500(u.Path, p)) {
					t.Errorf("%s %s: %d %q", r.method, r.target, a.status, a.body)
				}
				if srv == clean && html.EscapeString(p) != p && strings.Contains(a.body, p) &&
					strings.Contains(a.header.Get("Content-Type"), "html") {
					t.Errorf("clean reflects %q into HTML", p)
				}
			}
		}
	}
}
