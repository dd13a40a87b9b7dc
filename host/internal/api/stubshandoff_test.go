package api

import (
	"net/http"
	"strings"
	"testing"
)

// Without the owning plugin, a /stubs request of SOAP, GraphQL or MCP gets
// 503 in the error shape naming what is missing; HTTP mocks at the MCP
// endpoints' paths stay HTTP. (Hand-offs to running plugins are tested
// end to end in plugins/mcp, plugins/graphql and plugins/soap.)
func TestStubsHandOffWithoutPlugins(t *testing.T) {
	ts := newTestServer(t)
	ts.expect(201, "POST", "/api/v1/mocks", `{"id":"tool","namespace":"ai","mcp":{"tool":"search"},"response":{"payload":{"content":[]}}}`)
	ts.expect(201, "POST", "/api/v1/mocks", `{"id":"gql","namespace":"ai","graphql":{"field":"hero"},"response":{"payload":{}}}`)
	ts.expect(201, "POST", "/api/v1/mocks", `{"id":"ws","namespace":"ai","soap":{"action":"urn:Get","path":"/ws/bank"},"response":{"payload":{}}}`)
	ts.expect(201, "POST", "/api/v1/mocks", `{"id":"chat","namespace":"ai","http":{"route":"/chat/message","httpMethod":"POST"},"response":{"payload":{"ok":true}}}`)
	ts.expect(201, "POST", "/api/v1/mocks", `{"id":"sse-path","namespace":"ai","http":{"route":"/sse"},"response":{"payload":{"http":true}}}`)
	for _, c := range []struct{ method, path, proto string }{
		{"POST", "/stubs/ai", "mcp"},
		{"POST", "/stubs/ai/mcp", "mcp"},
		{"POST", "/stubs/ai/graphql", "graphql"},
		{"POST", "/stubs/ai/ws/bank", "soap"},
	} {
		v := ts.expectError(http.StatusServiceUnavailable, CodeUnavailable, "", c.method, c.path, `{}`)
		if msg := v["error"].(string); !strings.Contains(msg, "no "+c.proto+" plugin is loaded") {
			t.Errorf("%s %s: %v", c.method, c.path, v)
		}
	}
	// HTTP mocks keep their paths, including the MCP endpoints' names.
	if v := ts.expect(200, "POST", "/stubs/ai/chat/message", `{}`); v["ok"] != true {
		t.Fatalf("http mock: %v", v)
	}
	if v := ts.expect(200, "GET", "/stubs/ai/sse", nil); v["http"] != true {
		t.Fatalf("http mock at /sse: %v", v)
	}
	// Another namespace is plain HTTP.
	if r := ts.do("POST", "/stubs/other/graphql", `{}`); r.Status != http.StatusNotFound {
		t.Fatalf("other namespace: %d %s", r.Status, r.Body)
	}
}
