package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/mockarty-oss/mockarty/sdk/plugintest"
)

// wireMockMappings exercise every request matcher and response field the
// compatibility API translates (as WireMock's docs write them).
var wireMockMappings = []string{
	`{"request": {"method": "GET", "url": "/exact?a=1"}, "response": {"status": 200, "body": "exact url"}}`,
	`{"request": {"method": "GET", "urlPath": "/path-only"}, "response": {"status": 200, "jsonBody": {"kind": "urlPath"}}}`,
	`{"request": {"method": "GET", "urlPattern": "/pattern/[0-9]+"}, "response": {"status": 200, "body": "url pattern"}}`,
	`{"request": {"method": "ANY", "urlPathPattern": "/path-pattern/[a-z]+"}, "response": {"status": 201, "body": "path pattern"}}`,
	`{"request": {"method": "GET", "urlPath": "/headers", "headers": {"X-Eq": {"equalTo": "yes"}, "X-Has": {"contains": "mid"}, "X-Re": {"matches": "^v[0-9]$"}, "X-Not": {"absent": true}}},
	  "response": {"status": 200, "body": "headers", "headers": {"X-Served-By": "stub"}}}`,
	`{"request": {"method": "GET", "urlPath": "/query", "queryParameters": {"q": {"equalTo": "x"}, "page": {"matches": "[0-9]+"}, "debug": {"absent": true}}},
	  "response": {"status": 200, "body": "query"}}`,
	`{"request": {"method": "POST", "urlPath": "/body/equal", "bodyPatterns": [{"equalTo": "plain text"}]}, "response": {"status": 200, "body": "body equalTo"}}`,
	`{"request": {"method": "POST", "urlPath": "/body/contains", "bodyPatterns": [{"contains": "needle"}]}, "response": {"status": 200, "body": "body contains"}}`,
	`{"request": {"method": "POST", "urlPath": "/body/matches", "bodyPatterns": [{"matches": ".*id=[0-9]+.*"}]}, "response": {"status": 200, "body": "body matches"}}`,
	`{"request": {"method": "POST", "urlPath": "/body/json", "bodyPatterns": [{"equalToJson": {"name": "ann", "tags": ["a", "b"]}}]}, "response": {"status": 200, "body": "equalToJson"}}`,
	`{"request": {"method": "POST", "urlPath": "/body/jsonpath", "bodyPatterns": [{"matchesJsonPath": "$.order.id"}]}, "response": {"status": 200, "body": "matchesJsonPath"}}`,
	`{"request": {"method": "GET", "urlPath": "/priority"}, "response": {"status": 200, "body": "low"}, "priority": 9}`,
	`{"request": {"method": "GET", "urlPath": "/priority"}, "response": {"status": 200, "body": "high"}, "priority": 1}`,
	`{"request": {"method": "GET", "urlPath": "/delayed"}, "response": {"status": 202, "body": "late", "fixedDelayMilliseconds": 50}}`,
	`{"request": {"method": "DELETE", "urlPath": "/status-only"}, "response": {"status": 204}}`,
}

type wmRequest struct {
	method, path, body string
	headers            map[string]string
}

var wireMockRequests = []wmRequest{
	{"GET", "/exact?a=1", "", nil},
	{"GET", "/exact?a=2", "", nil},
	{"GET", "/path-only?any=thing", "", nil},
	{"POST", "/path-only", "", nil},
	{"GET", "/pattern/42", "", nil},
	{"GET", "/pattern/x", "", nil},
	{"PUT", "/path-pattern/abc", "", nil},
	{"GET", "/path-pattern/123", "", nil},
	{"GET", "/headers", "", map[string]string{"X-Eq": "yes", "X-Has": "a-mid-b", "X-Re": "v1"}},
	{"GET", "/headers", "", map[string]string{"X-Eq": "yes", "X-Has": "a-mid-b", "X-Re": "v1", "X-Not": "here"}},
	{"GET", "/headers", "", map[string]string{"X-Eq": "no", "X-Has": "a-mid-b", "X-Re": "v1"}},
	{"GET", "/query?q=x&page=3", "", nil},
	{"GET", "/query?q=x&page=three", "", nil},
	{"GET", "/query?q=x&page=3&debug=1", "", nil},
	{"POST", "/body/equal", "plain text", nil},
	{"POST", "/body/equal", "plain text!", nil},
	{"POST", "/body/contains", "hay needle hay", nil},
	{"POST", "/body/contains", "hay", nil},
	{"POST", "/body/matches", "x=1&id=77&y=2", nil},
	{"POST", "/body/matches", "x=1", nil},
	{"POST", "/body/json", `{"tags": ["a", "b"], "name": "ann"}`, map[string]string{"Content-Type": "application/json"}},
	{"POST", "/body/json", `{"tags": ["b", "a"], "name": "ann"}`, map[string]string{"Content-Type": "application/json"}},
	{"POST", "/body/jsonpath", `{"order": {"id": 7}}`, map[string]string{"Content-Type": "application/json"}},
	{"POST", "/body/jsonpath", `{"order": {}}`, map[string]string{"Content-Type": "application/json"}},
	{"GET", "/priority", "", nil},
	{"GET", "/delayed", "", nil},
	{"DELETE", "/status-only", "", nil},
	{"GET", "/nothing-here", "", nil},
}

// startWireMock runs WireMock's standalone jar (npm wiremock, `make
// clients`) on a free port.
func startWireMock(t *testing.T) string {
	t.Helper()
	jar := os.Getenv("WIREMOCK_JAR")
	if jar == "" {
		plugintest.MissingClient(t, "WireMock 3.13.2 (WIREMOCK_JAR)")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	cmd := exec.Command("java", "-jar", jar, "--port", fmt.Sprint(port), "--bind-address", "127.0.0.1", "--disable-banner")
	var out plugintest.SyncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	plugintest.EventuallyNoError(t, 60*time.Second, func() error {
		res, err := http.Get(base + "/__admin/health")
		if err != nil {
			return err
		}
		res.Body.Close()
		if res.StatusCode != 200 {
			return fmt.Errorf("status %d", res.StatusCode)
		}
		return nil
	}, "WireMock up")
	return base
}

func send(t *testing.T, base string, r wmRequest) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(r.method, base+r.path, strings.NewReader(r.body))
	for k, v := range r.headers {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func post(t *testing.T, url, body string) (int, []byte) {
	t.Helper()
	res, err := http.Post(url, "application/json", bytes.NewReader([]byte(body)))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, b
}

// The same mappings posted to WireMock 3.13.2 and to /__admin answer the
// same requests the same way (status, and body where a stub answered),
// and the journal's verification counts agree.
func TestWireMockMappingsBehaveTheSame(t *testing.T) {
	wm := startWireMock(t)
	ts := newTestServer(t, serverOpts{rootNamespace: "sandbox"})
	for _, m := range wireMockMappings {
		for _, base := range []string{wm, ts.URL} {
			if st, b := post(t, base+"/__admin/mappings", m); st != 201 {
				t.Fatalf("%s: POST mapping: %d %s\n%s", base, st, b, m)
			}
		}
	}
	for _, r := range wireMockRequests {
		ws, wb := send(t, wm, r)
		ms, mb := send(t, ts.URL, r)
		if ws != ms || (ws < 400 && wb != mb) {
			t.Errorf("%s %s %v: WireMock %d %q, Mockarty %d %q", r.method, r.path, r.headers, ws, wb, ms, mb)
		}
	}
	// Verification: POST /__admin/requests/count.
	for _, pattern := range []string{
		`{"method": "GET", "urlPath": "/headers"}`,
		`{"method": "POST", "urlPathPattern": "/body/.*"}`,
		`{"method": "GET", "url": "/nothing-here"}`,
		`{"method": "GET", "urlPath": "/query", "queryParameters": {"page": {"matches": "[0-9]+"}}}`,
	} {
		var wc, mc struct {
			Count int `json:"count"`
		}
		_, wb := post(t, wm+"/__admin/requests/count", pattern)
		_, mb := post(t, ts.URL+"/__admin/requests/count", pattern)
		if json.Unmarshal(wb, &wc) != nil || json.Unmarshal(mb, &mc) != nil || wc.Count != mc.Count {
			t.Errorf("count %s: WireMock %s, Mockarty %s", pattern, wb, mb)
		}
	}
	un := ts.expect(200, "GET", "/__admin/requests/unmatched", nil)["requests"].([]any)
	unmatched := 0
	for _, r := range wireMockRequests {
		if st, _ := send(t, wm, r); st == 404 {
			unmatched++
		}
	}
	if len(un) != unmatched || ts.expect(200, "GET", "/__admin/health", nil)["status"] != "healthy" {
		t.Fatalf("unmatched requests: %d listed, %d sent", len(un), unmatched)
	}
	// Listing, deleting one mapping, and reset.
	v := ts.expect(200, "GET", "/__admin/mappings", nil)
	if n := len(v["mappings"].([]any)); n != len(wireMockMappings) {
		t.Fatalf("mappings listed: %d", n)
	}
	first := v["mappings"].([]any)[0].(map[string]any)
	ts.expect(200, "DELETE", "/__admin/mappings/"+first["id"].(string), nil)
	ts.expectError(404, CodeNotFound, "", "GET", "/__admin/mappings/"+first["id"].(string), nil)
	ts.expect(200, "POST", "/__admin/reset", nil)
	if v := ts.expect(200, "GET", "/__admin/mappings", nil); len(v["mappings"].([]any)) != 0 {
		t.Fatalf("after reset: %v", v)
	}
	if v := ts.expect(200, "GET", "/__admin/requests", nil); len(v["requests"].([]any)) != 0 {
		t.Fatalf("journal after reset: %v", v)
	}
	if st, _ := send(t, ts.URL, wmRequest{"GET", "/priority", "", nil}); st != 404 {
		t.Fatalf("a mock survived the reset: %d", st)
	}
}

// A mapping id used in two namespaces makes two sets of mocks; deleting one
// leaves the other; a body with several mappings or an untranslatable
// pattern is refused with a 4xx; verification counts every call.
func TestWireMockAdminNamespacesAndRefusals(t *testing.T) {
	ts := newTestServer(t)
	m := `{"id": "8f1c7c2e-4d7b-4c55-9a55-0d9d2f1e7a10", "request": {"urlPath": "/shared"}, "response": {"body": "shared"}}`
	for _, ns := range []string{"team-a", "team-b"} {
		if st, b := post(t, ts.URL+"/__admin/mappings?namespace="+ns, m); st != 201 {
			t.Fatalf("%s: %d %s", ns, st, b)
		}
	}
	ts.expect(200, "DELETE", "/__admin/mappings/8f1c7c2e-4d7b-4c55-9a55-0d9d2f1e7a10?namespace=team-a", nil)
	if st, _ := send(t, ts.URL, wmRequest{"GET", "/stubs/team-a/shared", "", nil}); st != 404 {
		t.Fatalf("team-a's mock after its delete: %d", st)
	}
	for range 5 {
		if st, b := send(t, ts.URL, wmRequest{"GET", "/stubs/team-b/shared", "", nil}); st != 200 || b != "shared" {
			t.Fatalf("team-b's mock: %d %s", st, b)
		}
	}
	_, b := post(t, ts.URL+"/__admin/requests/count?namespace=team-b", `{"urlPath": "/shared"}`)
	if !strings.Contains(string(b), `"count":5`) {
		t.Fatalf("five calls counted: %s", b)
	}
	ts.expectError(422, CodeValidation, "", "POST", "/__admin/mappings", `{"mappings": []}`)
	ts.expectError(422, CodeValidation, "", "POST", "/__admin/mappings", `{"mappings": [{"request": {"url": "/a"}, "response": {}}, {"request": {"url": "/b"}, "response": {}}]}`)
	ts.expectError(422, CodeValidation, "request", "POST", "/__admin/requests/count", `{"urlPath": "/x", "headers": {"A": {"doesNotMatch": "y"}}}`)
	v := ts.expect(200, "POST", "/__admin/requests/find?namespace=team-b", `{"urlPath": "/shared"}`)
	if reqs := v["requests"].([]any); len(reqs) != 5 || reqs[0].(map[string]any)["url"] != "/shared" {
		t.Fatalf("find answers logged requests: %v", v)
	}
}
