package main

import (
	"strings"
	"testing"
)

// TestDeepToolArgumentsAreAToolError: with the real host, tool arguments
// nested past the host's MAX_BODY_DEPTH (512) are refused by the host's
// find; the agent gets a tool error saying so (how MCP answers input
// validation errors), not a JSON-RPC internal error.
func TestDeepToolArgumentsAreAToolError(t *testing.T) {
	_, plugin := startE2E(t)
	c := dial(t, modeHTTP, endpoint(plugin, modeHTTP), nil)
	waitFor(t, "the tools", func() bool { return len(c.tools(t)) == 3 })
	var deep any = "leaf"
	for i := 0; i < 1000; i++ {
		deep = []any{deep}
	}
	res := c.call(t, "get_weather", map[string]any{"city": deep})
	if !res.IsError || !strings.HasPrefix(text(res), "invalid arguments: ") || !strings.Contains(text(res), "nested more than 512 levels deep") {
		t.Fatalf("deep arguments: %+v %q", res, text(res))
	}
	if res := c.call(t, "get_weather", map[string]any{"city": "Paris"}); res.IsError || text(res) != "Sunny in Paris" {
		t.Fatalf("the server keeps serving: %+v", res)
	}
}
