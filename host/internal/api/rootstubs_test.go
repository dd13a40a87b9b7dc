package api

import (
	"net/http"
	"testing"
)

// With RootNamespace (mock serve), mocks answer at the root path while the
// API keeps its own paths.
func TestRootNamespaceServesMocksAtTheRoot(t *testing.T) {
	ts := newTestServer(t, serverOpts{rootNamespace: "sandbox"})
	ts.expect(201, "POST", "/api/v1/mocks", map[string]any{"id": "root-hello", "http": map[string]any{"route": "/hello/:name", "httpMethod": "GET"},
		"response": map[string]any{"payload": map[string]any{"hi": "$.pathParam.name"}}})
	if v := ts.expect(200, "GET", "/hello/ann?x=1", nil); v["hi"] != "ann" {
		t.Fatalf("root: %v", v)
	}
	if v := ts.expect(200, "GET", "/stubs/sandbox/hello/bob", nil); v["hi"] != "bob" {
		t.Fatalf("/stubs still: %v", v)
	}
	if r := ts.do("GET", "/health", nil); r.Status != http.StatusOK {
		t.Fatalf("health: %d", r.Status)
	}
	if r := ts.do("GET", "/nothing", nil); r.Status != http.StatusNotFound || r.JSON(t)["code"] != "no_match" {
		t.Fatalf("a path no mock has: %d %s", r.Status, r.Body)
	}
	ts.expectError(404, CodeNotFound, "", "GET", "/api/v1/nothing", nil)
	// Without it, the root path is no mock's.
	plain := newTestServer(t)
	plain.expect(201, "POST", "/api/v1/mocks", map[string]any{"id": "root-hello", "http": map[string]any{"route": "/hello"}, "response": map[string]any{"payload": "x"}})
	plain.expectError(404, CodeNotFound, "", "GET", "/hello", nil)
}
