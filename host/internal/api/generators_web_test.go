package api

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
	mcpserver "github.com/mark3labs/mcp-go/server"
)

func readTestdata(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func itemsByID(t *testing.T, v map[string]any) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	for _, it := range v["items"].([]any) {
		m := it.(map[string]any)
		out[m["id"].(string)] = m
	}
	return out
}

func TestGraphQLGenerator(t *testing.T) {
	ts := newTestServer(t)
	sdl := readTestdata(t, "../../../plugins/graphql/testdata/starwars.graphql")
	// Preview saves nothing.
	v := ts.expect(200, "POST", "/api/v1/generators/graphql/preview", map[string]any{"sdl": sdl})
	items := itemsByID(t, v)
	hero := items["graphql-query-hero"]
	if v["preview"] != true || hero == nil || hero["operation"] != "query" || hero["path"] != "/graphql" || hero["action"] != "create" {
		t.Fatalf("preview: %v", v)
	}
	ts.expectError(404, CodeNotFound, "", "GET", "/api/v1/mocks/graphql-query-hero", nil)
	// Without sdl: the namespace's registered schema.
	ts.expectError(422, CodeValidation, "sdl", "POST", "/api/v1/generators/graphql", map[string]any{"namespace": "sw"})
	ts.expect(201, "POST", "/api/v1/graphql/schemas", map[string]any{"name": "starwars.graphql", "content": sdl, "namespace": "sw"})
	v = ts.expect(201, "POST", "/api/v1/generators/graphql", map[string]any{"namespace": "sw"})
	if v["created"].(float64) < 3 || v["updated"] != float64(0) {
		t.Fatalf("generate: %v", v)
	}
	// The mock answers its field through the find contract.
	got := ts.expect(200, "POST", "/mock/findGraphql", `{"namespace":"sw","operation":"query","field":"hero","path":"/graphql"}`)
	if got["mockId"] != "graphql-query-hero" || got["data"] == nil {
		t.Fatalf("find: %v", got)
	}
	// A hand edit survives a re-run; nothing changes.
	ts.expect(200, "PATCH", "/api/v1/mocks/graphql-query-hero", map[string]any{"response": map[string]any{"payload": map[string]any{"name": "R2-D2"}}})
	v = ts.expect(200, "POST", "/api/v1/generators/graphql", map[string]any{"namespace": "sw"})
	if v["created"] != float64(0) || v["updated"] != float64(0) || itemsByID(t, v)["graphql-query-hero"]["action"] != "unchanged" {
		t.Fatalf("re-run: %v", v)
	}
	m := ts.expect(200, "GET", "/api/v1/mocks/graphql-query-hero", nil)
	if !strings.Contains(mustJSON(t, m), `"name":"R2-D2"`) {
		t.Fatalf("hand edit lost: %v", m)
	}
	// A broken SDL names its line.
	e := ts.expectError(422, CodeValidation, "sdl", "POST", "/api/v1/generators/graphql", map[string]any{"sdl": "type Query {\n  a: Nope\n}"})
	if !strings.Contains(e["error"].(string), ":2:") {
		t.Fatalf("bad sdl: %v", e)
	}
	ts.expectError(422, CodeValidation, "path", "POST", "/api/v1/generators/graphql", map[string]any{"sdl": sdl, "path": "graphql"})
}

func TestSOAPGenerator(t *testing.T) {
	ts := newTestServer(t)
	wsdl := readTestdata(t, "../generate/soapgen/testdata/stock.wsdl")
	ts.expectError(422, CodeValidation, "wsdl", "POST", "/api/v1/generators/soap", map[string]any{})
	ts.expect(201, "POST", "/api/v1/soap/wsdls", map[string]any{"name": "stock.wsdl", "content": wsdl})
	v := ts.expect(201, "POST", "/api/v1/generators/soap", map[string]any{}) // the only registered WSDL
	it := itemsByID(t, v)["soap-stockquoteservice-getlasttradeprice"]
	if it == nil || it["action"] != "create" || it["method"] != "TradePriceRequest" {
		t.Fatalf("generate: %v", v)
	}
	got := ts.expect(200, "POST", "/mock/findSoap", `{"operation":"TradePriceRequest","data":{"TradePriceRequest":{"tickerSymbol":"X"}}}`)
	if got["mockId"] != "soap-stockquoteservice-getlasttradeprice" || !strings.Contains(mustJSON(t, got["data"]), "TradePrice") {
		t.Fatalf("find: %v", got)
	}
	ts.expect(201, "POST", "/api/v1/soap/wsdls", map[string]any{"name": "other.wsdl", "content": wsdl})
	ts.expectError(422, CodeValidation, "wsdlName", "POST", "/api/v1/generators/soap", map[string]any{})
	ts.expectError(404, CodeNotFound, "", "POST", "/api/v1/generators/soap", map[string]any{"wsdlName": "none.wsdl"})
	v = ts.expect(200, "POST", "/api/v1/generators/soap/preview", map[string]any{"wsdlName": "stock.wsdl"})
	if v["unchanged"] != float64(1) {
		t.Fatalf("re-run: %v", v)
	}
	ts.expectError(422, CodeValidation, "content", "POST", "/api/v1/generators/soap", map[string]any{"wsdl": "<nope"})
}

// upstreamMCP is a live MCP server (mcp-go, streamable HTTP).
func upstreamMCP(t *testing.T) string {
	t.Helper()
	s := mcpserver.NewMCPServer("upstream", "1.0.0")
	s.AddTool(mcp.NewTool("get_weather", mcp.WithDescription("Weather for a city"), mcp.WithString("city", mcp.Required())),
		func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			return mcp.NewToolResultText("real"), nil
		})
	s.AddResource(mcp.NewResource("config://app", "app config", mcp.WithMIMEType("application/json")),
		func(context.Context, mcp.ReadResourceRequest) ([]mcp.ResourceContents, error) { return nil, nil })
	srv := httptest.NewServer(mcpserver.NewStreamableHTTPServer(s))
	t.Cleanup(srv.Close)
	return srv.URL + "/mcp"
}

func TestMCPGenerator(t *testing.T) {
	ts := newTestServer(t)
	url := upstreamMCP(t)
	v := ts.expect(201, "POST", "/api/v1/generators/mcp", map[string]any{"url": url, "serverName": "weather"})
	items := itemsByID(t, v)
	if len(items) != 2 {
		t.Fatalf("generate: %v", v)
	}
	var toolID string
	for id, it := range items {
		if it["tool"] == "get_weather" {
			toolID = id
		}
	}
	if toolID == "" {
		t.Fatalf("no tool mock: %v", v)
	}
	m := ts.expect(200, "GET", "/api/v1/mocks/"+toolID, nil)
	if m["serverName"] != "weather" || !strings.Contains(mustJSON(t, m["mcp"]), `"required":["city"]`) {
		t.Fatalf("tool mock: %v", m)
	}
	got := ts.expect(200, "POST", "/mock/findMcp", `{"serverName":"weather","method":"tools/call","tool":"get_weather","arguments":{"city":"Oslo"}}`)
	if got["mockId"] != toolID || got["result"] == nil {
		t.Fatalf("find: %v", got)
	}
	// From a JSON description (a tools/list result).
	v = ts.expect(200, "POST", "/api/v1/generators/mcp/preview", map[string]any{"namespace": "kit",
		"spec": map[string]any{"tools": []any{map[string]any{"name": "search", "inputSchema": map[string]any{"type": "object"}}}}})
	if len(v["items"].([]any)) != 1 {
		t.Fatalf("spec: %v", v)
	}
	// Names that make the same id get numbered, and save.
	v = ts.expect(201, "POST", "/api/v1/generators/mcp", map[string]any{"namespace": "kit",
		"spec": []any{map[string]any{"name": "getUser"}, map[string]any{"name": "GetUser"}}})
	if v["created"] != float64(2) {
		t.Fatalf("colliding names: %v", v)
	}
	ts.expectError(422, CodeValidation, "url", "POST", "/api/v1/generators/mcp", map[string]any{})
	ts.expectError(422, CodeValidation, "url", "POST", "/api/v1/generators/mcp", map[string]any{"url": url, "spec": []any{}})
	ts.expectError(422, CodeValidation, "transport", "POST", "/api/v1/generators/mcp", map[string]any{"url": url, "transport": "ws"})
	// A server that is not there: 502 naming it.
	r := ts.do("POST", "/api/v1/generators/mcp", map[string]any{"url": "http://127.0.0.1:1/mcp"})
	if r.Status != http.StatusBadGateway || !strings.Contains(string(r.Body), "127.0.0.1:1") {
		t.Fatalf("unreachable: %d %s", r.Status, r.Body)
	}
	// Private addresses are refused unless allowed.
	guarded := newTestServer(t, serverOpts{denyPrivate: true, bodyLimit: 1 << 20})
	if r := guarded.do("POST", "/api/v1/generators/mcp", map[string]any{"url": url}); r.Status == 201 || r.Status == 200 {
		t.Fatalf("private address allowed: %d %s", r.Status, r.Body)
	}
}
