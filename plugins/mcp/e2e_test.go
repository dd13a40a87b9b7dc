package main

// End to end: the real host binary loads the real plugin binary; mocks are
// made through the host's REST API and the MCP servers are driven by
// mcp-go's client over streamable HTTP and SSE, on the plugin's own
// address and through the host's /stubs/<namespace> hand-off.

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mockarty-oss/mockarty/sdk/plugintest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	plugintest.Cleanup()
	os.Exit(code)
}

// The mocks of the end-to-end tests, as a user writes them.
var e2eMocks = []string{
	`{"id":"weather-paris","mcp":{"tool":"get_weather","description":"Weather for a city",
	  "conditions":[{"path":"$.city","assertAction":"equals","value":"Paris"}]},
	  "response":{"payload":{"content":[{"type":"text","text":"Sunny in $.req.city"}]}}}`,
	`{"id":"weather-rome","mcp":{"tool":"get_weather","conditions":[{"path":"$.city","assertAction":"equals","value":"Rome"},
	  {"path":"$.days","assertAction":"equals","value":3}]},
	  "response":{"payload":{"content":[{"type":"text","text":"Rain in $.req.city for $.req.days days"}]}}}`,
	`{"id":"weather-atlantis","mcp":{"tool":"get_weather","conditions":[{"path":"$.city","assertAction":"equals","value":"Atlantis"}]},
	  "response":{"payload":{"content":[{"type":"text","text":"the weather service is under water"}]},"mcpIsError":true}}`,
	`{"id":"forecast","mcp":{"tool":"forecast","inputSchema":{"type":"object","properties":{"city":{"type":"string"},"hours":{"type":"integer"}},"required":["city","hours"]}},
	  "response":{"payload":{"city":"$.req.city","hours":"$.req.hours","temps":[18,19]}}}`,
	`{"id":"settings","mcp":{"resource":"config://app/settings","mimeType":"application/json","description":"App settings"},
	  "response":{"payload":{"contents":[{"uri":"config://app/settings","mimeType":"application/json","text":"{\"debug\":true}"}]}}}`,
	`{"id":"greet","mcp":{"prompt":"greet","description":"Greets someone","conditions":[{"path":"$.name","assertAction":"notEmpty"}]},
	  "response":{"payload":{"messages":[{"role":"user","content":{"type":"text","text":"Say hello to $.req.name"}}]}}}`,
	`{"id":"charge","serverName":"billing","mcp":{"tool":"charge","conditions":[{"path":"$.amount","assertAction":"equals","value":10}]},
	  "response":{"payload":{"content":[{"type":"text","text":"charged $.req.amount"}]}}}`,
}

// startE2E runs the host with this plugin and the mocks; it returns the
// host and the plugin's base URL. Quiet streams are written to every
// second, so every client here meets keep-alives.
func startE2E(t *testing.T) (*plugintest.HostProc, string) {
	t.Helper()
	listen := fmt.Sprintf("127.0.0.1:%d", plugintest.FreePort(t))
	h := plugintest.StartHost(t, plugintest.HostOptions{Plugins: map[string]plugintest.PluginSpec{
		"mcp": {Dir: ".", Settings: fmt.Sprintf(`{"addresses":[%q],"namespace":"sandbox","keepAlive":1}`, listen)},
	}})
	if got := h.Addresses(t, "mcp"); len(got) != 1 || got[0] != listen {
		t.Fatalf("the plugin listens on %v", got)
	}
	for _, m := range e2eMocks {
		h.Post(t, "/api/v1/mocks", m, 0)
	}
	return h, "http://" + listen
}

func TestRealHostAndPlugin(t *testing.T) {
	h, plugin := startE2E(t)
	bases := map[string]string{"plugin": plugin, "stubs": h.URL + "/stubs/sandbox"}
	for where, base := range bases {
		for _, mode := range allModes {
			t.Run(where+"/"+mode, func(t *testing.T) {
				c := dial(t, mode, endpoint(base, mode), map[string]string{"X-Agent": "e2e"})
				// The tools are listed once the plugin has read the mocks.
				var tools map[string]mcp.Tool
				plugintest.Eventually(t, 20*time.Second, func() bool { tools = c.tools(t); return len(tools) == 3 }, "the tools")
				s := schemaOf(t, tools["get_weather"])
				if tools["get_weather"].Description != "Weather for a city" || mustJSON(s["required"]) != `["city"]` ||
					mustJSON(s["properties"]) != `{"city":{"type":"string"},"days":{"type":"integer"}}` {
					t.Fatalf("get_weather as listed: %s", mustJSON(s))
				}
				if s := schemaOf(t, tools["forecast"]); mustJSON(s["required"]) != `["city","hours"]` {
					t.Fatalf("forecast as listed: %s", mustJSON(s))
				}

				// Conditions on the arguments pick the mock; templates read them.
				if res := c.call(t, "get_weather", map[string]any{"city": "Paris"}); res.IsError || text(res) != "Sunny in Paris" {
					t.Fatalf("Paris: %+v", res)
				}
				if res := c.call(t, "get_weather", map[string]any{"city": "Rome", "days": 3}); res.IsError || text(res) != "Rain in Rome for 3 days" {
					t.Fatalf("Rome: %+v", res)
				}
				// No match: a tool error that says why.
				res := c.call(t, "get_weather", map[string]any{"city": "Berlin"})
				if !res.IsError || !strings.Contains(text(res), "no mcp mock matches get_weather") ||
					!strings.Contains(text(res), "$.city equals: value does not satisfy equals, got \"Berlin\"") {
					t.Fatalf("Berlin: %+v %q", res, text(res))
				}
				if strings.Contains(text(res), "Paris") || strings.Contains(text(res), "Rome") {
					t.Fatalf("the near-miss report shows expected values: %q", text(res))
				}
				// mcpIsError: a tool-level error.
				if res := c.call(t, "get_weather", map[string]any{"city": "Atlantis"}); !res.IsError || text(res) != "the weather service is under water" {
					t.Fatalf("Atlantis: %+v", res)
				}
				// A plain JSON payload: text holding the JSON, and structured content.
				res = c.call(t, "forecast", map[string]any{"city": "Oslo", "hours": 2})
				if res.IsError || mustJSON(res.StructuredContent) != `{"city":"Oslo","hours":2,"temps":[18,19]}` {
					t.Fatalf("forecast: %+v", res)
				}
				var fromText map[string]any
				if err := json.Unmarshal([]byte(text(res)), &fromText); err != nil || fromText["city"] != "Oslo" {
					t.Fatalf("forecast's text: %q %v", text(res), err)
				}

				rl, err := c.ListResources(ctxT(t), mcp.ListResourcesRequest{})
				if err != nil || len(rl.Resources) != 1 || rl.Resources[0].URI != "config://app/settings" || rl.Resources[0].Description != "App settings" {
					t.Fatalf("resources/list: %+v %v", rl, err)
				}
				rr := mcp.ReadResourceRequest{}
				rr.Params.URI = "config://app/settings"
				read, err := c.ReadResource(ctxT(t), rr)
				if err != nil || len(read.Contents) != 1 {
					t.Fatalf("resources/read: %+v %v", read, err)
				}
				if tc, ok := read.Contents[0].(mcp.TextResourceContents); !ok || tc.Text != `{"debug":true}` || tc.MIMEType != "application/json" {
					t.Fatalf("resource contents: %#v", read.Contents[0])
				}

				pl, err := c.ListPrompts(ctxT(t), mcp.ListPromptsRequest{})
				if err != nil || len(pl.Prompts) != 1 || pl.Prompts[0].Name != "greet" || mustJSON(pl.Prompts[0].Arguments) != `[{"name":"name","required":true}]` {
					t.Fatalf("prompts/list: %+v %v", pl, err)
				}
				gp := mcp.GetPromptRequest{}
				gp.Params.Name, gp.Params.Arguments = "greet", map[string]string{"name": "Ada"}
				prompt, err := c.GetPrompt(ctxT(t), gp)
				if err != nil || len(prompt.Messages) != 1 || mcp.GetTextFromContent(prompt.Messages[0].Content) != "Say hello to Ada" {
					t.Fatalf("prompts/get: %+v %v", prompt, err)
				}
				gp.Params.Arguments = nil
				if _, err := c.GetPrompt(ctxT(t), gp); err == nil || !strings.Contains(err.Error(), "greet") || !strings.Contains(err.Error(), "$.name notEmpty") {
					t.Fatalf("prompts/get no mock matches: %v", err)
				}

				// The billing server: only its mocks.
				cb := dial(t, mode, endpoint(base+"/billing", mode), nil)
				if tools := cb.tools(t); len(tools) != 1 || tools["charge"].Name != "charge" {
					t.Fatalf("billing's tools: %v", tools)
				}
				if res := cb.call(t, "charge", map[string]any{"amount": 10}); res.IsError || text(res) != "charged 10" {
					t.Fatalf("charge: %+v", res)
				}
				if res := cb.call(t, "charge", map[string]any{"amount": 11}); !res.IsError || !strings.Contains(text(res), "charge") {
					t.Fatalf("charge 11: %+v", res)
				}
			})
		}
	}
	// The spec's form: a bare JSON-RPC POST to /stubs/<namespace>.
	status, out := rpc(t, h.URL+"/stubs/sandbox", `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_weather","arguments":{"city":"Paris"}}}`)
	if status != 200 || mustJSON(out["result"]) != `{"content":[{"text":"Sunny in Paris","type":"text"}]}` {
		t.Fatalf("a bare JSON-RPC call to /stubs/sandbox: %d %v", status, out)
	}
	// The calls are in the mocks' logs, with the agent's header.
	logs := h.Get(t, "/api/v1/mocks/weather-paris/logs", http.StatusOK)
	if !strings.Contains(string(logs), "x-agent") && !strings.Contains(string(logs), "X-Agent") {
		t.Fatalf("weather-paris's logs: %s", logs)
	}
}

// TestRealListChanged: a mock made or deleted through the API reaches
// connected clients of every transport as a list_changed notification.
func TestRealListChanged(t *testing.T) {
	h, plugin := startE2E(t)
	conns := map[string]*conn{}
	for _, mode := range allModes {
		conns[mode] = dial(t, mode, endpoint(plugin, mode), nil)
		conns["stubs-"+mode] = dial(t, mode, endpoint(h.URL+"/stubs/sandbox", mode), nil)
	}
	primeNotes(t, conns, func(i int) {
		h.Post(t, "/api/v1/mocks", fmt.Sprintf(`{"id":"probe-%d","mcp":{"tool":"probe_%d"},"response":{"payload":"x"}}`, i, i), 0)
	}, func() {
		list := h.Get(t, "/api/v1/mocks?search=probe-&limit=1000", http.StatusOK)
		var v struct {
			Items []struct {
				ID string `json:"id"`
			} `json:"items"`
		}
		if err := json.Unmarshal(list, &v); err != nil {
			t.Fatal(err)
		}
		for _, m := range v.Items {
			if strings.HasPrefix(m.ID, "probe-") {
				h.Do(t, http.MethodDelete, "/api/v1/mocks/"+m.ID, "", 0)
			}
		}
	})

	h.Post(t, "/api/v1/mocks", `{"id":"new-tool","mcp":{"tool":"new_tool","description":"made while connected",
	  "conditions":[{"path":"$.q","assertAction":"notEmpty"}]},"response":{"payload":"new: $.req.q"}}`, 0)
	for name, c := range conns {
		c.waitNote(t, "notifications/tools/list_changed")
		plugintest.Eventually(t, 20*time.Second, func() bool { return c.tools(t)["new_tool"].Description == "made while connected" }, "new_tool over %s", name)
		if res := c.call(t, "new_tool", map[string]any{"q": "hi"}); res.IsError || text(res) != "new: hi" {
			t.Fatalf("new_tool over %s: %+v", name, res)
		}
		c.drainNotes()
	}
	h.Do(t, http.MethodDelete, "/api/v1/mocks/new-tool", "", 0)
	for name, c := range conns {
		c.waitNote(t, "notifications/tools/list_changed")
		plugintest.Eventually(t, 20*time.Second, func() bool { _, ok := c.tools(t)["new_tool"]; return !ok }, "new_tool to go over %s", name)
	}
	// Resources and prompts announce their changes too.
	h.Do(t, http.MethodDelete, "/api/v1/mocks/settings", "", 0)
	for _, c := range conns {
		c.waitNote(t, "notifications/resources/list_changed")
	}
	h.Do(t, http.MethodDelete, "/api/v1/mocks/greet", "", 0)
	for _, c := range conns {
		c.waitNote(t, "notifications/prompts/list_changed")
	}
}

// TestRealKeepAlive: behind the host's /stubs hand-off, an idle stream of
// every transport is written to, so the host (and the client) notice when
// the other side is gone.
func TestRealKeepAlive(t *testing.T) {
	h, _ := startE2E(t)
	for _, mode := range allModes {
		t.Run(mode, func(t *testing.T) {
			sn := &sniffer{next: &http.Transport{}}
			c, err := tryDialHC(t, mode, endpoint(h.URL+"/stubs/sandbox", mode), nil, &http.Client{Transport: sn})
			if err != nil {
				t.Fatal(err)
			}
			plugintest.Eventually(t, 20*time.Second, sn.seen.Load, "a keep-alive through the hand-off")
			if len(c.tools(t)) != 3 {
				t.Fatalf("tools after a keep-alive: %v", c.tools(t))
			}
		})
	}
}
