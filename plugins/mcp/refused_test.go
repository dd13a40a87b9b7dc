package main

import (
	"strings"
	"testing"
	"time"

	"github.com/mockarty-oss/mockarty/sdk/plugintest"
)

// TestDeepToolArgumentsAreAToolError: with the real host, tool arguments
// nested past the host's MAX_BODY_DEPTH (512) are refused by the host's
// find; the agent gets a tool error saying so (how MCP answers input
// validation errors), not a JSON-RPC internal error.
func TestDeepToolArgumentsAreAToolError(t *testing.T) {
	_, plugin := startE2E(t)
	c := dial(t, modeHTTP, endpoint(plugin, modeHTTP), nil)
	plugintest.Eventually(t, 20*time.Second, func() bool { return len(c.tools(t)) == 3 }, "the tools")
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
