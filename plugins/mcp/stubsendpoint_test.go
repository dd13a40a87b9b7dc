package main

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mockarty-oss/mockarty/sdk/plugintest"
)

// TestStubsMCPEndpointForStandardClients: the URL the docs give standard
// MCP clients, http://<host>/stubs/<namespace>/mcp, is a streamable HTTP
// MCP server of that namespace on the real host and plugin, for a
// namespace other than the one the plugin's own address serves, in both
// protocol generations (the session one the Inspector and the TypeScript
// SDK speak, and mcp-go's sessionless one), and per serverName below it.
func TestStubsMCPEndpointForStandardClients(t *testing.T) {
	h, _ := startE2E(t) // the plugin's own address serves sandbox
	h.Post(t, "/api/v1/mocks", `{"id":"team-lookup","namespace":"team","mcp":{"tool":"lookup","description":"Looks a user up",
	  "conditions":[{"path":"$.user","assertAction":"notEmpty"}]},
	  "response":{"payload":{"content":[{"type":"text","text":"found $.req.user"}]}}}`, http.StatusCreated)
	h.Post(t, "/api/v1/mocks", `{"id":"team-refund","namespace":"team","serverName":"billing","mcp":{"tool":"refund"},
	  "response":{"payload":{"content":[{"type":"text","text":"refunded"}]}}}`, http.StatusCreated)
	endpoint := h.URL + "/stubs/team/mcp"
	for _, mode := range []string{modeHTTPLegacy, modeHTTP} {
		c := dial(t, mode, endpoint, nil)
		// The namespace's server lists every MCP mock of it, and nothing of sandbox's.
		var tools map[string]mcp.Tool
		plugintest.Eventually(t, 20*time.Second, func() bool { tools = c.tools(t); return len(tools) == 2 }, "team's tools over %s", mode)
		if tools["lookup"].Description != "Looks a user up" || tools["refund"].Name != "refund" {
			t.Fatalf("%s: team's tools are %v", mode, tools)
		}
		if res := c.call(t, "lookup", map[string]any{"user": "ada"}); res.IsError || text(res) != "found ada" {
			t.Fatalf("%s: lookup: %+v", mode, res)
		}
		if res := c.call(t, "lookup", map[string]any{}); !res.IsError || !strings.Contains(text(res), "$.user notEmpty") {
			t.Fatalf("%s: lookup without a user: %+v", mode, res)
		}
		cb := dial(t, mode, h.URL+"/stubs/team/billing/mcp", nil)
		if tools := cb.tools(t); len(tools) != 1 || tools["refund"].Name != "refund" {
			t.Fatalf("%s: billing's tools: %v", mode, tools)
		}
		if res := cb.call(t, "refund", nil); res.IsError || text(res) != "refunded" {
			t.Fatalf("%s: refund: %+v", mode, res)
		}
	}

	// What the Inspector sends first: initialize of a session protocol; the
	// session id comes back through the hand-off and is honoured after it.
	req, _ := http.NewRequest(http.MethodPost, endpoint, strings.NewReader(`{"jsonrpc":"2.0","id":0,"method":"initialize",
	  "params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"inspector-like","version":"1"}}}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	session := res.Header.Get("Mcp-Session-Id")
	if res.StatusCode != http.StatusOK || session == "" {
		t.Fatalf("initialize at %s: %d, Mcp-Session-Id %q", endpoint, res.StatusCode, session)
	}
	req, _ = http.NewRequest(http.MethodPost, endpoint, strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"lookup","arguments":{"user":"bo"}}}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("Mcp-Session-Id", session)
	req.Header.Set("Mcp-Protocol-Version", "2025-06-18")
	res, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil || res.StatusCode != http.StatusOK || !strings.Contains(string(body), "found bo") {
		t.Fatalf("tools/call in the session: %d %s %v", res.StatusCode, body, err)
	}
}
