package api

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mockarty-oss/mockarty/sdk/plugintest"
)

func TestStubsHelloWorld(t *testing.T) {
	s := newTestServer(t)
	s.expect(http.StatusCreated, "POST", "/api/v1/mocks", helloWorld)
	r := s.do("GET", "/stubs/sandbox/api/greeting", nil)
	if r.Status != 200 || r.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("status %d type %q: %s", r.Status, r.Header.Get("Content-Type"), r.Body)
	}
	v := r.JSON(t)
	if v["message"] != "Hello, World!" {
		t.Fatalf("body: %s", r.Body)
	}
	if _, err := time.Parse(time.RFC3339, v["timestamp"].(string)); err != nil {
		t.Fatalf("$.fake.DateTimeISO must render an ISO time: %v", v["timestamp"])
	}
	// Without the namespace segment the default namespace is used.
	if v := s.expect(200, "GET", "/stubs/api/greeting", nil); v["message"] != "Hello, World!" {
		t.Fatalf("fallback to sandbox: %v", v)
	}
}

func TestStubsPathParams(t *testing.T) {
	s := newTestServer(t)
	s.expect(http.StatusCreated, "POST", "/api/v1/mocks", `{
"id": "get-user-by-id",
"namespace": "sandbox",
"http": {"route": "/api/users/:id", "httpMethod": "GET"},
"response": {"statusCode": 200, "payload": {"userId": "$.pathParam.id", "name": "$.fake.FirstName", "namespace": "$.namespace"}}
}`)
	v := s.expect(200, "GET", "/stubs/sandbox/api/users/42", nil)
	if v["userId"] != "42" || v["namespace"] != "sandbox" || v["name"] == "" || v["name"] == "$.fake.FirstName" {
		t.Fatalf("body: %v", v)
	}
	// A static route beats a parameter route.
	m := httpMock("me", "/api/users/me")
	s.expect(http.StatusCreated, "POST", "/api/v1/mocks", m)
	if r := s.do("GET", "/stubs/sandbox/api/users/me", nil); r.Header.Get("X-Mockarty-Mock-Id") != "me" {
		t.Fatalf("static route must win: %s", r.Header.Get("X-Mockarty-Mock-Id"))
	}
	// A namespace in the query overrides the path.
	other := httpMock("other-ns", "/api/users/:id")
	other["namespace"] = "staging"
	other["response"] = map[string]any{"payload": map[string]any{"ns": "$.namespace"}}
	s.expect(http.StatusCreated, "POST", "/api/v1/mocks", other)
	if v := s.expect(200, "GET", "/stubs/sandbox/api/users/123?namespace=staging", nil); v["ns"] != "staging" {
		t.Fatalf("?namespace= override: %v", v)
	}
}

func TestStubsAdvancedConditions(t *testing.T) {
	s := newTestServer(t)
	s.do("POST", "/api/v1/templates/expected-payload.json", `{"kind":"order","qty":2}`)
	s.expect(http.StatusCreated, "POST", "/api/v1/mocks", `{
"id": "base64-body-mock",
"http": {
"route": "/api/validate",
"httpMethod": "POST",
"conditions": [
{"path": "$.body.encodedData", "assertAction": "contains", "value": "expected-content", "decode": "base64"},
{"path": "$.body.items", "assertAction": "equals", "value": ["b", "a", "c"], "sortArray": true},
{"path": "$.body.payload", "assertAction": "equals", "valueFromFile": "/templates/expected-payload.json"}
]
},
"response": {"statusCode": 200, "payload": {"status": "validated"}}
}`)
	enc := base64.StdEncoding.EncodeToString([]byte("some expected-content here"))
	good := fmt.Sprintf(`{"encodedData":%q,"items":["a","c","b"],"payload":{"qty":2,"kind":"order"}}`, enc)
	if v := s.expect(200, "POST", "/stubs/sandbox/api/validate", good); v["status"] != "validated" {
		t.Fatalf("body: %v", v)
	}
	bad := map[string]string{
		"decoded text lacks the value": fmt.Sprintf(`{"encodedData":%q,"items":["a","b","c"],"payload":{"kind":"order","qty":2}}`, base64.StdEncoding.EncodeToString([]byte("other"))),
		"array differs":                fmt.Sprintf(`{"encodedData":%q,"items":["a","b"],"payload":{"kind":"order","qty":2}}`, enc),
		"file value differs":           fmt.Sprintf(`{"encodedData":%q,"items":["a","b","c"],"payload":{"kind":"order","qty":3}}`, enc),
	}
	for name, body := range bad {
		r := s.do("POST", "/stubs/sandbox/api/validate", body)
		if r.Status != 404 {
			t.Fatalf("%s: status %d", name, r.Status)
		}
		v := r.JSON(t)
		c := v["candidates"].([]any)
		if v["code"] != "no_match" || len(c) != 1 || c[0].(map[string]any)["mockId"] != "base64-body-mock" || c[0].(map[string]any)["failedCondition"] == nil {
			t.Fatalf("%s: near-miss report must name the mock and the failed condition: %s", name, r.Body)
		}
	}
}

func TestStubsHeaderQueryAndPriority(t *testing.T) {
	s := newTestServer(t)
	s.expect(http.StatusCreated, "POST", "/api/v1/mocks", `{"id":"authed","priority":10,"http":{"route":"/api/orders","httpMethod":"GET",
"header":[{"path":"Authorization","assertAction":"matches","value":"^Bearer .+$"}],
"queryParams":[{"path":"limit","assertAction":"equals","value":10}]},
"response":{"statusCode":200,"payload":{"who":"$.reqHeader.Authorization[0]","limit":"$.queryParams.limit"}}}`)
	s.expect(http.StatusCreated, "POST", "/api/v1/mocks", `{"id":"fallback","http":{"route":"/api/orders","httpMethod":"GET"},
"response":{"statusCode":401,"payload":{"error":"unauthorized"}}}`)
	r := s.do("GET", "/stubs/sandbox/api/orders?limit=10", nil, "authorization", "Bearer t0k")
	if r.Status != 200 {
		t.Fatalf("status %d: %s", r.Status, r.Body)
	}
	if v := r.JSON(t); v["who"] != "Bearer t0k" || v["limit"] != "10" {
		t.Fatalf("templated headers and query: %v", v)
	}
	if r := s.do("GET", "/stubs/sandbox/api/orders?limit=5", nil, "Authorization", "Bearer t0k"); r.Status != 401 {
		t.Fatalf("a failed query condition falls through to the next mock: %d", r.Status)
	}
	if r := s.do("GET", "/stubs/sandbox/api/orders?limit=10", nil); r.Status != 401 {
		t.Fatalf("a missing header falls through: %d", r.Status)
	}
}

func TestStubsOneOfAndHeaders(t *testing.T) {
	s := newTestServer(t)
	s.expect(http.StatusCreated, "POST", "/api/v1/mocks", `{"id":"steps","http":{"route":"/step","httpMethod":"GET"},
"oneOf":{"order":"order","responses":[{"statusCode":200,"payload":{"n":1}},{"statusCode":201,"payload":{"n":2},"headers":{"X-Step":["two"]}},{"statusCode":202,"payload":"three"}]}}`)
	var got []string
	for i := 0; i < 4; i++ {
		r := s.do("GET", "/stubs/sandbox/step", nil)
		got = append(got, fmt.Sprintf("%d:%s:%s", r.Status, strings.TrimSpace(string(r.Body)), r.Header.Get("X-Step")))
	}
	want := []string{`200:{"n":1}:`, `201:{"n":2}:two`, `202:three:`, `200:{"n":1}:`}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("oneOf order steps in turn:\n got %v\nwant %v", got, want)
	}
}

func TestStubsStoresAndChain(t *testing.T) {
	s := newTestServer(t)
	s.expect(200, "POST", "/api/v1/stores/global", `{"key": "totalUsers", "value": "100", "namespace": "sandbox"}`)
	s.expect(http.StatusCreated, "POST", "/api/v1/mocks", `{"id":"stats","http":{"route":"/api/stats","httpMethod":"GET"},
"extract":{"gStore":{"visits":"$.increment($.gS.visits || 0)"}},
"response":{"payload":{"users":"$.gS.totalUsers","visits":"$.gS.visits"}}}`)
	for i := 1; i <= 3; i++ {
		v := s.expect(200, "GET", "/stubs/sandbox/api/stats", nil)
		if v["users"] != "100" || v["visits"] != float64(i) {
			t.Fatalf("call %d: %v", i, v)
		}
	}
	// The chain workflow: create -> pay -> ship -> status, sharing $.cS.
	for _, m := range []string{
		`{"id":"order-create","chainId":"order-flow","http":{"route":"/orders","httpMethod":"POST"},
"extract":{"cStore":{"orderId":"$.fake.UUID","status":"CREATED","customer":"$.body.customer"}},
"response":{"statusCode":201,"payload":{"orderId":"$.cS.orderId","status":"$.cS.status"}}}`,
		`{"id":"order-pay","chainId":"order-flow","http":{"route":"/orders/:id/pay","httpMethod":"POST"},
"extract":{"cStore":{"status":"PAID"}},"response":{"payload":{"orderId":"$.pathParam.id","status":"$.cS.status"}}}`,
		`{"id":"order-ship","chainId":"order-flow","http":{"route":"/orders/:id/ship","httpMethod":"POST"},
"extract":{"cStore":{"status":"SHIPPED"}},"response":{"payload":{"status":"$.cS.status"}}}`,
		`{"id":"order-status","chainId":"order-flow","http":{"route":"/orders/:id","httpMethod":"GET"},
"response":{"payload":{"orderId":"$.cS.orderId","status":"$.cS.status","customer":"$.cS.customer"}}}`,
	} {
		s.expect(http.StatusCreated, "POST", "/api/v1/mocks", m)
	}
	created := s.expect(201, "POST", "/stubs/sandbox/orders", `{"customer":"cust-1"}`)
	id, _ := created["orderId"].(string)
	if !regexp.MustCompile(`^[0-9a-f-]{36}$`).MatchString(id) || created["status"] != "CREATED" {
		t.Fatalf("create: %v", created)
	}
	if v := s.expect(200, "POST", "/stubs/sandbox/orders/"+id+"/pay", nil); v["status"] != "PAID" || v["orderId"] != id {
		t.Fatalf("pay: %v", v)
	}
	if v := s.expect(200, "POST", "/stubs/sandbox/orders/"+id+"/ship", nil); v["status"] != "SHIPPED" {
		t.Fatalf("ship: %v", v)
	}
	v := s.expect(200, "GET", "/stubs/sandbox/orders/"+id, nil)
	if v["orderId"] != id || v["status"] != "SHIPPED" || v["customer"] != "cust-1" {
		t.Fatalf("status: %v", v)
	}
	// The chain store is visible through the Store API.
	plugintest.EventuallyNoError(t, 20*time.Second, func() error {
		cs := s.expect(200, "GET", "/api/v1/stores/chain/order-flow?namespace=sandbox", nil)
		if cs["status"] == "SHIPPED" && cs["orderId"] == id {
			return nil
		}
		return fmt.Errorf("chain store: %v", cs)
	}, "the chain store through the Store API")
}

// useLimiter: 100 allowed uses, 64 concurrent clients, exactly 100 matches.
func TestStubsUseLimiterExact(t *testing.T) {
	s := newTestServer(t)
	m := httpMock("limited", "/limited")
	m["useLimiter"] = 100
	s.expect(http.StatusCreated, "POST", "/api/v1/mocks", m)
	var ok, miss atomic.Int64
	var wg sync.WaitGroup
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	for w := 0; w < 64; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 4; i++ {
				res, err := client.Get(s.URL + "/stubs/sandbox/limited")
				if err != nil {
					t.Error(err)
					return
				}
				res.Body.Close()
				switch res.StatusCode {
				case 200:
					ok.Add(1)
				case 404:
					miss.Add(1)
				default:
					t.Errorf("status %d", res.StatusCode)
				}
			}
		}()
	}
	wg.Wait()
	if ok.Load() != 100 || miss.Load() != 156 {
		t.Fatalf("matches = %d, misses = %d; want exactly 100 and 156", ok.Load(), miss.Load())
	}
	r := s.do("GET", "/stubs/sandbox/limited", nil)
	var nm struct {
		Candidates []struct{ Reason string } `json:"candidates"`
	}
	_ = json.Unmarshal(r.Body, &nm)
	if len(nm.Candidates) != 1 || !strings.Contains(nm.Candidates[0].Reason, "useLimiter") {
		t.Fatalf("near-miss must say the limit is reached: %s", r.Body)
	}
	// The counter is persisted in the background and reported by the API.
	plugintest.EventuallyNoError(t, 20*time.Second, func() error {
		v := s.expect(200, "GET", "/api/v1/mocks/limited", nil)
		if v["useCounter"] == float64(100) {
			return nil
		}
		return fmt.Errorf("useCounter = %v", v["useCounter"])
	}, "the persisted use counter")
}

func TestStubsIndexFollowsWrites(t *testing.T) {
	s := newTestServer(t)
	s.expect(http.StatusCreated, "POST", "/api/v1/mocks", httpMock("w", "/w"))
	if r := s.do("GET", "/stubs/sandbox/w", nil); r.Status != 200 {
		t.Fatalf("created: %d", r.Status)
	}
	s.expect(200, "PATCH", "/api/v1/mocks/w", `{"http":{"route":"/w2"}}`)
	if r := s.do("GET", "/stubs/sandbox/w", nil); r.Status != 404 {
		t.Fatalf("old route after patch: %d", r.Status)
	}
	if r := s.do("GET", "/stubs/sandbox/w2", nil); r.Status != 200 {
		t.Fatalf("new route after patch: %d", r.Status)
	}
	s.expect(200, "DELETE", "/api/v1/mocks/w", nil)
	if r := s.do("GET", "/stubs/sandbox/w2", nil); r.Status != 404 {
		t.Fatalf("after delete: %d", r.Status)
	}
	s.expect(200, "POST", "/api/v1/mocks/w/restore", nil)
	if r := s.do("GET", "/stubs/sandbox/w2", nil); r.Status != 200 {
		t.Fatalf("after restore: %d", r.Status)
	}
	s.expect(201, "POST", "/api/v1/mocks/copy-to-namespace", `{"mockIds":["w"],"targetNamespace":"qa"}`)
	if r := s.do("GET", "/stubs/qa/w2", nil); r.Status != 200 {
		t.Fatalf("copy: %d", r.Status)
	}
	s.expect(200, "DELETE", "/api/v1/mocks/w/purge", nil)
	if r := s.do("GET", "/stubs/sandbox/w2", nil); r.Status != 404 {
		t.Fatalf("after purge: %d", r.Status)
	}
	// Unmatched requests are captured, deduplicated, for the undefined-requests API.
	plugintest.EventuallyNoError(t, 20*time.Second, func() error {
		v := s.expect(200, "GET", "/api/v1/undefined-requests?namespace=sandbox", nil)
		counts := map[string]float64{}
		for _, it := range v["requests"].([]any) {
			u := it.(map[string]any)
			counts[u["method"].(string)+" "+u["path"].(string)] = u["count"].(float64)
		}
		if v["total"] == float64(2) && counts["GET /w"] == 1 && counts["GET /w2"] == 2 {
			return nil
		}
		return fmt.Errorf("undefined requests: %v", v)
	}, "the undefined requests captured and deduplicated")
}

func TestStubsTTLExpiry(t *testing.T) {
	s := newTestServer(t)
	m := httpMock("short", "/short")
	m["ttl"] = 300
	s.expect(http.StatusCreated, "POST", "/api/v1/mocks", m)
	if r := s.do("GET", "/stubs/sandbox/short", nil); r.Status != 200 {
		t.Fatalf("before expiry: %d", r.Status)
	}
	plugintest.EventuallyNoError(t, 20*time.Second, func() error {
		v := s.expect(200, "GET", "/api/v1/mocks/short", nil)
		if closed, _ := v["closedAt"].(float64); closed > 0 {
			return nil
		}
		return fmt.Errorf("an expired mock is deleted automatically: %v", v)
	}, "the expired mock closed")
	if r := s.do("GET", "/stubs/sandbox/short", nil); r.Status != 404 {
		t.Fatalf("after expiry: %d", r.Status)
	}
}

func TestMetrics(t *testing.T) {
	s := newTestServer(t)
	s.expect(http.StatusCreated, "POST", "/api/v1/mocks", helloWorld)
	s.do("GET", "/stubs/sandbox/api/greeting", nil)
	s.do("GET", "/stubs/sandbox/api/greeting", nil)
	s.do("GET", "/stubs/sandbox/nope", nil)
	s.expect(200, "POST", "/api/v1/stores/global", `{"key":"k","value":1}`)
	r := s.do("GET", "/metrics", nil)
	body := string(r.Body)
	for _, want := range []string{
		`mockarty_mock_resolutions_total{namespace="sandbox",protocol="http",result="matched"} 2`,
		`mockarty_mock_resolutions_total{namespace="sandbox",protocol="http",result="unmatched"} 1`,
		`mockarty_active_mocks 1`,
		`mockarty_store_operations_total{op="write",source="api",store="global"} 1`,
		`mockarty_request_duration_seconds_count{protocol="http"} 3`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}

func TestStubsRequestIDsAndLogs(t *testing.T) {
	s := newTestServer(t)
	s.expect(http.StatusCreated, "POST", "/api/v1/mocks", helloWorld)
	r := s.do("GET", "/stubs/sandbox/api/greeting?x=1", nil, "X-Trace", "abc")
	if r.Header.Get("X-Mockarty-Mock-Id") != "hello-world" {
		t.Fatalf("matched replies name their mock: %v", r.Header)
	}
	r = s.do("GET", "/stubs/sandbox/api/missing", nil, "X-Request-Id", "client-id-1")
	v := r.JSON(t)
	if r.Status != 404 || v["request_id"] != "client-id-1" || r.Header.Get("X-Request-Id") != "client-id-1" {
		t.Fatalf("a near-miss keeps the caller's request id: %d %v %v", r.Status, v["request_id"], r.Header.Get("X-Request-Id"))
	}
	r = s.do("GET", "/stubs/sandbox/api/missing", nil)
	if id := r.JSON(t)["request_id"]; id == "" || id != r.Header.Get("X-Request-Id") {
		t.Fatalf("a near-miss gets a request id: %v / %q", id, r.Header.Get("X-Request-Id"))
	}
	// Calls are logged per mock, newest first, with the request's parts.
	for i := 0; i < 4; i++ {
		s.do("GET", fmt.Sprintf("/stubs/sandbox/api/greeting?n=%d", i), nil, "X-Trace", "abc")
	}
	plugintest.EventuallyNoError(t, 20*time.Second, func() error {
		v := s.expect(200, "GET", "/api/v1/mocks/hello-world/logs", nil)
		reqs := v["requests"].([]any)
		var ns []any
		for _, r := range reqs {
			ns = append(ns, r.(map[string]any)["req"].(map[string]any)["queryParam"].(map[string]any)["n"])
		}
		if len(reqs) == 3 && fmt.Sprint(ns) == "[[3] [2] [1]]" {
			first := reqs[0].(map[string]any)["req"].(map[string]any)
			h := first["header"].(map[string]any)
			if first["url"] != "/api/greeting" || first["method"] != "GET" || h["x-trace"].([]any)[0] != "abc" {
				t.Fatalf("newest log: %v", first)
			}
			return nil
		}
		return fmt.Errorf("logs: %v", v)
	}, "the mock's logs, newest first")
}

func TestPreview(t *testing.T) {
	s := newTestServer(t)
	limited := httpMock("limited", "/api/users/:id")
	limited["useLimiter"] = 1
	limited["priority"] = 9
	s.expect(http.StatusCreated, "POST", "/api/v1/mocks", limited)
	s.expect(http.StatusCreated, "POST", "/api/v1/mocks", `{"id":"admin","priority":5,"http":{"route":"/api/users/:id","httpMethod":"GET",
"header":[{"path":"X-Role","assertAction":"equals","value":"admin"}]},"response":{"statusCode":200}}`)
	s.expect(http.StatusCreated, "POST", "/api/v1/mocks", httpMock("any-user", "/api/users/:id"))
	v := s.expect(200, "GET", "/api/v1/mocks/preview?route=/api/users/42&method=GET", nil)
	if v["mockId"] != "limited" || v["found"] != true || len(v["candidates"].([]any)) != 3 {
		t.Fatalf("preview: %v", v)
	}
	// Previewing takes nothing: the limited mock still answers the real call once.
	s.expect(200, "GET", "/stubs/sandbox/api/users/42", nil)
	v = s.expect(200, "GET", "/api/v1/mocks/preview?route=/api/users/42", nil)
	c := v["candidates"].([]any)
	if v["mockId"] != "any-user" || c[0].(map[string]any)["reason"] != "use limit reached (useLimiter)" ||
		c[1].(map[string]any)["where"] != "header" {
		t.Fatalf("after the limit: %v", v)
	}
	v = s.expect(200, "GET", "/api/v1/mocks/preview?route=/api/users/42&header.X-Role=admin", nil)
	if v["mockId"] != "admin" {
		t.Fatalf("header fed to conditions: %v", v)
	}
	s.expectError(http.StatusBadRequest, CodeValidation, "route", "GET", "/api/v1/mocks/preview", nil)
}

func gz(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	if _, err := w.Write(b); err != nil {
		t.Fatal(err)
	}
	w.Close()
	return buf.Bytes()
}

func TestCompressedBodies(t *testing.T) {
	s := newTestServer(t, serverOpts{bodyLimit: 64 << 10})
	s.expect(http.StatusCreated, "POST", "/api/v1/mocks", `{"id":"gz","http":{"route":"/gz","httpMethod":"POST",
"conditions":[{"path":"$.kind","assertAction":"equals","value":"ok"}]},"response":{"payload":{"got":"$.req.kind"}}}`)
	r := s.do("POST", "/stubs/sandbox/gz", gz(t, []byte(`{"kind":"ok"}`)), "Content-Encoding", "gzip")
	if r.Status != 200 || r.JSON(t)["got"] != "ok" {
		t.Fatalf("gzip body: %d %s", r.Status, r.Body)
	}
	// A small compressed body that expands past the limit is refused, not inflated.
	bomb := gz(t, bytes.Repeat([]byte("a"), 10<<20))
	if len(bomb) > 64<<10 {
		t.Fatalf("test bomb too large: %d", len(bomb))
	}
	r = s.do("POST", "/stubs/sandbox/gz", bomb, "Content-Encoding", "gzip")
	checkEnvelope(t, r, r.JSON(t), CodeTooLarge, "")
	r = s.do("POST", "/api/v1/mocks", bomb, "Content-Encoding", "gzip")
	if r.Status != 413 {
		t.Fatalf("api bomb: %d", r.Status)
	}
	s.expectError(http.StatusBadRequest, CodeValidation, "", "POST", "/stubs/sandbox/gz", "not gzip", "Content-Encoding", "gzip")
	s.expectError(http.StatusUnsupportedMediaType, CodeMediaType, "", "POST", "/stubs/sandbox/gz", "x", "Content-Encoding", "gzip, gzip")
}

// $.increment in extract counts every one of many concurrent requests.
func TestStubsIncrementIsAtomic(t *testing.T) {
	s := newTestServer(t)
	s.expect(http.StatusCreated, "POST", "/api/v1/mocks", `{"id":"count","http":{"route":"/count"},
"extract":{"gStore":{"n":"$.increment($.gS.n || 0)"}},"response":{"payload":{"n":"$.gS.n"}}}`)
	var wg sync.WaitGroup
	for w := 0; w < 16; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 25; i++ {
				res, err := http.Get(s.URL + "/stubs/sandbox/count")
				if err != nil {
					t.Error(err)
					return
				}
				res.Body.Close()
			}
		}()
	}
	wg.Wait()
	if v := s.expect(200, "GET", "/api/v1/stores/global", nil); v["n"] != float64(400) {
		t.Fatalf("n = %v, want 400", v["n"])
	}
}

func TestNearMissHidesExpectedValues(t *testing.T) {
	s := newTestServer(t)
	s.expect(http.StatusCreated, "POST", "/api/v1/mocks", `{"id":"secret","http":{"route":"/s",
"header":[{"path":"Authorization","assertAction":"equals","value":"Bearer s3cret-token"}]},"response":{}}`)
	r := s.do("GET", "/stubs/sandbox/s", nil, "Authorization", "Bearer guess")
	if r.Status != 404 || strings.Contains(string(r.Body), "s3cret-token") || !strings.Contains(string(r.Body), "failedCondition") {
		t.Fatalf("the public report must not show the expected value: %s", r.Body)
	}
	v := s.expect(200, "GET", "/api/v1/mocks/preview?route=/s", nil)
	if !strings.Contains(fmt.Sprint(v), "s3cret-token") {
		t.Fatalf("preview (an API call) shows it: %v", v)
	}
	s.expectError(http.StatusBadRequest, CodeValidation, "namespace", "GET", "/stubs/x?namespace=bad/ns", nil)
	// Metrics only label known namespaces.
	for i := 0; i < 5; i++ {
		s.do("GET", fmt.Sprintf("/stubs/sandbox/s?namespace=ns%d", i), nil)
	}
	m := string(s.do("GET", "/metrics", nil).Body)
	if strings.Contains(m, `namespace="ns1"`) || !strings.Contains(m, `namespace="_other"`) {
		t.Fatalf("metrics labels: %s", m)
	}
}

// Editing a mock keeps its live use counter: a patch cannot reopen a used-up limit.
func TestEditKeepsUsage(t *testing.T) {
	s := newTestServer(t)
	m := httpMock("once", "/once")
	m["useLimiter"] = 1
	s.expect(http.StatusCreated, "POST", "/api/v1/mocks", m)
	if r := s.do("GET", "/stubs/sandbox/once", nil); r.Status != 200 {
		t.Fatalf("first use: %d", r.Status)
	}
	s.expect(200, "PATCH", "/api/v1/mocks/once", `{"tags":["edited"]}`)
	s.expect(200, "PATCH", "/api/v1/mocks/batch/tags", `{"mockIds":["once"],"tagsToAdd":["again"]}`)
	if r := s.do("GET", "/stubs/sandbox/once", nil); r.Status != 404 {
		t.Fatalf("after an edit the limit still holds: %d", r.Status)
	}
	// An overwrite is a new mock: its uses start again.
	s.expect(200, "POST", "/api/v1/mocks", m)
	if r := s.do("GET", "/stubs/sandbox/once", nil); r.Status != 200 {
		t.Fatalf("after an overwrite: %d", r.Status)
	}
}

func TestNearMissSimilarRoutes(t *testing.T) {
	s := newTestServer(t)
	s.expect(http.StatusCreated, "POST", "/api/v1/mocks", helloWorld)
	s.expect(http.StatusCreated, "POST", "/api/v1/mocks", httpMock("users", "/api/users/:id"))
	s.expect(http.StatusCreated, "POST", "/api/v1/mocks", httpMock("far", "/other/thing"))
	r := s.do("GET", "/stubs/sandbox/api/greetin", nil)
	v := r.JSON(t)
	c := v["candidates"].([]any)
	if r.Status != 404 || len(c) == 0 || c[0].(map[string]any)["mockId"] != "hello-world" {
		t.Fatalf("a typo names the closest route first: %s", r.Body)
	}
	for _, x := range c {
		if x.(map[string]any)["mockId"] == "far" {
			t.Fatalf("an unrelated route is not a candidate: %s", r.Body)
		}
	}
}

// TestStubsBase64ContentType: a base64 payload gets the one Content-Type
// rule every listener follows: UTF-8 text is text/plain, other bytes are
// application/octet-stream, and findHttp says the same (bodyBase64).
func TestStubsBase64ContentType(t *testing.T) {
	s := newTestServer(t)
	s.expect(http.StatusCreated, "POST", "/api/v1/mocks", `{"id":"bin","http":{"route":"/bin"},
		"response":{"decode":"base64","payload":"//79AAE="}}`)
	s.expect(http.StatusCreated, "POST", "/api/v1/mocks", `{"id":"txt","http":{"route":"/txt"},
		"response":{"decode":"base64","payload":"aGVsbG8="}}`)
	r := s.do("GET", "/stubs/sandbox/bin", nil)
	if r.Status != 200 || r.Header.Get("Content-Type") != "application/octet-stream" || string(r.Body) != "\xff\xfe\xfd\x00\x01" {
		t.Fatalf("binary: %d %q %q", r.Status, r.Header.Get("Content-Type"), r.Body)
	}
	r = s.do("GET", "/stubs/sandbox/txt", nil)
	if r.Status != 200 || r.Header.Get("Content-Type") != "text/plain; charset=utf-8" || string(r.Body) != "hello" {
		t.Fatalf("text: %d %q %q", r.Status, r.Header.Get("Content-Type"), r.Body)
	}
	v := s.expect(200, "POST", "/mock/findHttp", `{"namespace":"sandbox","method":"GET","path":"/bin"}`)
	if v["bodyBase64"] != "//79AAE=" {
		t.Fatalf("findHttp of the binary mock: %v", v)
	}
}

// TestStubsBodyNumbersExact: /stubs decodes a body as every other find
// does (numbers exact): a large id is matched and echoed as sent.
func TestStubsBodyNumbersExact(t *testing.T) {
	s := newTestServer(t)
	s.expect(http.StatusCreated, "POST", "/api/v1/mocks", `{"id":"big","http":{"route":"/big","httpMethod":"POST",
		"conditions":[{"path":"$.id","assertAction":"equals","value":12345678901234567890}]},
		"response":{"payload":{"id":"$.req.id","next":"$.increment($.req.n)"}}}`)
	r := s.do("POST", "/stubs/sandbox/big", []byte(`{"id":12345678901234567890,"n":9007199254740993}`))
	if r.Status != 200 || !strings.Contains(string(r.Body), `12345678901234567890`) {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
}
