package main

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mockarty-oss/mockarty/sdk"
	"github.com/mockarty-oss/mockarty/sdk/find"
	"github.com/mockarty-oss/mockarty/sdk/handoff"
	"github.com/mockarty-oss/mockarty/sdk/plugintest"
)

// fakeMCP answers FindMCP like the host would for a few mocks, and records
// the requests.
type fakeMCP struct {
	mu   sync.Mutex
	reqs []find.MCPRequest
}

const fakeMocks = `[
 {"id":"weather-paris","namespace":"qa","mcp":{"tool":"get_weather","description":"Weather for a city",
   "conditions":[{"path":"$.city","assertAction":"equals","value":"Paris"},{"path":"$.req.unit","assertAction":"matches","value":"^[CF]$"}]}},
 {"id":"weather-rome","namespace":"qa","mcp":{"tool":"get_weather",
   "conditions":[{"path":"$.city","assertAction":"equals","value":"Rome"}]}},
 {"id":"plain","namespace":"qa","mcp":{"tool":"plain","inputSchema":{"type":"object","properties":{"q":{"type":"string"}},"required":["q"]}}},
 {"id":"broken","namespace":"qa","mcp":{"tool":"broken"}},
 {"id":"settings","namespace":"qa","mcp":{"method":"resources/read","resource":"config://app/settings","mimeType":"application/json","description":"App settings"}},
 {"id":"secret","namespace":"qa","mcp":{"resource":"config://app/secret","header":[{"path":"Authorization","assertAction":"equals","value":"Bearer x"}]}},
 {"id":"greet","namespace":"qa","mcp":{"method":"prompts/get","prompt":"greet","description":"A greeting",
   "conditions":[{"path":"$.name","assertAction":"notEmpty"}]}},
 {"id":"charge","namespace":"qa","serverName":"billing","mcp":{"tool":"charge","conditions":[{"path":"$.amount","assertAction":"equals","value":10}]}}
]`

func mocksOf(t *testing.T, doc string) []json.RawMessage {
	t.Helper()
	var list []json.RawMessage
	if err := json.Unmarshal([]byte(doc), &list); err != nil {
		t.Fatal(err)
	}
	return list
}

func (f *fakeMCP) host(t *testing.T) *plugintest.FakeHost {
	h := &plugintest.FakeHost{FindMCPFunc: func(_ context.Context, req *find.MCPRequest) (*find.MCPResponse, error) {
		f.mu.Lock()
		f.reqs = append(f.reqs, *req)
		f.mu.Unlock()
		var args map[string]any
		_ = json.Unmarshal(req.Arguments, &args)
		found := func(result string, isError bool) (*find.MCPResponse, error) {
			return &find.MCPResponse{MockID: "m", Result: json.RawMessage(result), IsError: isError}, nil
		}
		switch {
		case req.Method == "tools/call" && req.Tool == "get_weather" && args["city"] == "Paris":
			return found(`{"content":[{"type":"text","text":"Sunny in Paris"}]}`, false)
		case req.Method == "tools/call" && req.Tool == "plain":
			return found(`{"temp":21,"q":`+mustJSON(args["q"])+`}`, false)
		case req.Method == "tools/call" && req.Tool == "broken":
			return found(`"the upstream is down"`, true)
		case req.Method == "tools/call" && req.Tool == "charge":
			return found(`{"content":[{"type":"text","text":"charged"}]}`, false)
		case req.Method == "resources/read" && req.Resource == "config://app/settings":
			return found(`{"debug":true}`, false)
		case req.Method == "prompts/get" && req.Prompt == "greet" && args["name"] != nil:
			return found(`{"messages":[{"role":"user","content":{"type":"text","text":"Hello `+fmt.Sprint(args["name"])+`"}}]}`, false)
		}
		// What the host says, expected values included: the plugin must not show them.
		return nil, &sdk.NoMatch{Message: "no mcp mock matches " + req.Tool + req.Resource + req.Prompt + " in namespace " + req.Namespace +
			"; closest: weather-paris (condition failed)", Code: "no_match", Namespace: req.Namespace,
			Candidates: json.RawMessage(`[{"mockId":"weather-paris","reason":"condition failed","where":"conditions",` +
				`"failedCondition":{"path":"$.city","assertAction":"equals","expected":"TOP-SECRET","actual":` + mustJSON(args["city"]) +
				`,"reason":"value does not satisfy equals"}}]`)}
	}}
	h.SetMocks("mcp", mocksOf(t, fakeMocks)...)
	return h
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func (f *fakeMCP) requests() []find.MCPRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]find.MCPRequest(nil), f.reqs...)
}

func startFake(t *testing.T, f *fakeMCP) (*plugintest.FakeHost, string) {
	t.Helper()
	h := f.host(t)
	p := plugintest.Start(t, &Listener{}, json.RawMessage(`{"addresses":["127.0.0.1:0"],"namespace":"qa"}`), h)
	return h, "http://" + p.Addresses[0]
}

// TestToolsResourcesPrompts drives the namespace's server with a real
// client over each transport.
func TestToolsResourcesPrompts(t *testing.T) {
	f := &fakeMCP{}
	_, base := startFake(t, f)
	for _, mode := range allModes {
		t.Run(mode, func(t *testing.T) {
			c := dial(t, mode, endpoint(base, mode), map[string]string{"X-Agent": "tester"})
			tools := c.tools(t)
			if len(tools) != 4 {
				t.Fatalf("tools: %v", tools)
			}
			weather := tools["get_weather"]
			s := schemaOf(t, weather)
			props, _ := s["properties"].(map[string]any)
			if weather.Description != "Weather for a city" || s["type"] != "object" || mustJSON(s["required"]) != `["city"]` ||
				mustJSON(props["city"]) != `{"type":"string"}` || mustJSON(props["unit"]) != `{"type":"string"}` {
				t.Fatalf("get_weather as listed: %q %s", weather.Description, mustJSON(s))
			}
			if s := schemaOf(t, tools["plain"]); mustJSON(s["required"]) != `["q"]` {
				t.Fatalf("plain's explicit schema: %s", mustJSON(s))
			}

			res := c.call(t, "get_weather", map[string]any{"city": "Paris", "unit": "C"})
			if res.IsError || text(res) != "Sunny in Paris" {
				t.Fatalf("a matching call: %+v", res)
			}
			res = c.call(t, "get_weather", map[string]any{"city": "Berlin"})
			if !res.IsError || !strings.Contains(text(res), "weather-paris") || !strings.Contains(text(res), `$.city equals: value does not satisfy equals, got "Berlin"`) ||
				strings.Contains(text(res), "TOP-SECRET") {
				t.Fatalf("a call no mock matches: %+v %q", res, text(res))
			}
			res = c.call(t, "plain", map[string]any{"q": "x"})
			if res.IsError || text(res) != `{"temp":21,"q":"x"}` || mustJSON(res.StructuredContent) != `{"q":"x","temp":21}` {
				t.Fatalf("a plain JSON payload: %+v", res)
			}
			res = c.call(t, "broken", nil)
			if !res.IsError || text(res) != "the upstream is down" {
				t.Fatalf("a tool error: %+v", res)
			}

			rl, err := c.ListResources(ctxT(t), mcp.ListResourcesRequest{})
			if err != nil || len(rl.Resources) != 2 || rl.Resources[1].URI != "config://app/settings" ||
				rl.Resources[1].Name != "settings" || rl.Resources[1].MIMEType != "application/json" {
				t.Fatalf("resources/list: %+v %v", rl, err)
			}
			rr := mcp.ReadResourceRequest{}
			rr.Params.URI = "config://app/settings"
			read, err := c.ReadResource(ctxT(t), rr)
			if err != nil || len(read.Contents) != 1 {
				t.Fatalf("resources/read: %+v %v", read, err)
			}
			if tc, ok := read.Contents[0].(mcp.TextResourceContents); !ok || tc.Text != `{"debug":true}` || tc.URI != rr.Params.URI || tc.MIMEType != "application/json" {
				t.Fatalf("resource contents: %#v", read.Contents[0])
			}

			// No mock answers: a JSON-RPC error that says why.
			rr.Params.URI = "config://app/secret"
			if _, err := c.ReadResource(ctxT(t), rr); err == nil || !strings.Contains(err.Error(), "no mcp mock matches") {
				t.Fatalf("resources/read no mock answers: %v", err)
			}

			pl, err := c.ListPrompts(ctxT(t), mcp.ListPromptsRequest{})
			if err != nil || len(pl.Prompts) != 1 || pl.Prompts[0].Name != "greet" || len(pl.Prompts[0].Arguments) != 1 ||
				!pl.Prompts[0].Arguments[0].Required || pl.Prompts[0].Arguments[0].Name != "name" {
				t.Fatalf("prompts/list: %+v %v", pl, err)
			}
			gp := mcp.GetPromptRequest{}
			gp.Params.Name, gp.Params.Arguments = "greet", map[string]string{"name": "Ada"}
			prompt, err := c.GetPrompt(ctxT(t), gp)
			if err != nil || len(prompt.Messages) != 1 || mcp.GetTextFromContent(prompt.Messages[0].Content) != "Hello Ada" ||
				prompt.Description != "A greeting" {
				t.Fatalf("prompts/get: %+v %v", prompt, err)
			}
			gp.Params.Arguments = nil
			if _, err := c.GetPrompt(ctxT(t), gp); err == nil || !strings.Contains(err.Error(), "weather-paris") {
				t.Fatalf("prompts/get that no mock matches: %v", err)
			}
		})
	}
	// What the host was asked.
	var call *find.MCPRequest
	for _, r := range f.requests() {
		if r.Tool == "get_weather" {
			call = &r
			break
		}
	}
	if call == nil || call.Namespace != "qa" || call.ServerName != "" || call.Method != "tools/call" ||
		mustJSON(call.Headers["X-Agent"]) != `["tester"]` || string(call.Arguments) != `{"city":"Paris","unit":"C"}` {
		t.Fatalf("the FindMCP request: %+v", call)
	}
}

// TestServerNames: /<serverName>/... serves that server's mocks only.
func TestServerNames(t *testing.T) {
	f := &fakeMCP{}
	_, base := startFake(t, f)
	for _, mode := range allModes {
		t.Run(mode, func(t *testing.T) {
			c := dial(t, mode, endpoint(base+"/billing", mode), nil)
			tools := c.tools(t)
			if len(tools) != 1 || tools["charge"].Name != "charge" {
				t.Fatalf("billing's tools: %v", tools)
			}
			if s := schemaOf(t, tools["charge"]); mustJSON(s) != `{"properties":{"amount":{"type":"integer"}},"required":["amount"],"type":"object"}` {
				t.Fatalf("charge's schema: %s", mustJSON(s))
			}
			if res := c.call(t, "charge", map[string]any{"amount": 10}); res.IsError || text(res) != "charged" {
				t.Fatalf("charge: %+v", res)
			}
			if _, err := tryDial(t, mode, endpoint(base+"/nobody", mode), nil); err == nil {
				t.Fatal("a serverName no mock has was served")
			}
		})
	}
	for _, r := range f.requests() {
		if r.Tool == "charge" && r.ServerName != "billing" {
			t.Fatalf("charge was resolved without its serverName: %+v", r)
		}
	}
	res, err := http.Post(base+"/nobody/mcp", "application/json", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"tools/list"}`))
	if err != nil {
		t.Fatal(err)
	}
	var body struct {
		Error struct {
			Message string `json:"message"`
		} `json:"error"`
	}
	_ = json.NewDecoder(res.Body).Decode(&body)
	res.Body.Close()
	if res.StatusCode != 404 || !strings.Contains(body.Error.Message, `serverName "nobody"`) {
		t.Fatalf("unknown serverName: %d %+v", res.StatusCode, body)
	}
}

// TestListChanged: a mock added or deleted reaches connected clients as
// notifications/tools/list_changed, and the next tools/list shows it.
func TestListChanged(t *testing.T) {
	f := &fakeMCP{}
	h, base := startFake(t, f)
	conns := map[string]*conn{}
	for _, mode := range allModes {
		conns[mode] = dial(t, mode, endpoint(base, mode), nil)
		if _, ok := conns[mode].tools(t)["new_tool"]; ok {
			t.Fatal("new_tool before it was made")
		}
	}
	primeFake(t, h, conns)
	more := strings.TrimSuffix(fakeMocks, "]") + `,{"id":"new","namespace":"qa","mcp":{"tool":"new_tool","description":"fresh"}}]`
	h.SetMocks("mcp", mocksOf(t, more)...)
	for _, mode := range allModes {
		c := conns[mode]
		c.waitNote(t, "notifications/tools/list_changed")
		plugintest.Eventually(t, 20*time.Second, func() bool { return c.tools(t)["new_tool"].Description == "fresh" }, "new_tool over %s", mode)
		c.drainNotes()
	}
	h.SetMocks("mcp", mocksOf(t, fakeMocks)...)
	for _, mode := range allModes {
		c := conns[mode]
		c.waitNote(t, "notifications/tools/list_changed")
		plugintest.Eventually(t, 20*time.Second, func() bool { _, ok := c.tools(t)["new_tool"]; return !ok }, "new_tool to go over %s", mode)
	}
	// Deleting the resource and the prompt is announced as well.
	var rest []json.RawMessage
	for _, m := range mocksOf(t, fakeMocks) {
		if !strings.Contains(string(m), `"resource"`) && !strings.Contains(string(m), `"greet"`) {
			rest = append(rest, m)
		}
	}
	h.SetMocks("mcp", rest...)
	for _, mode := range allModes {
		conns[mode].waitNote(t, "notifications/resources/list_changed")
		conns[mode].waitNote(t, "notifications/prompts/list_changed")
	}
}

// primeNotes waits until every client's notification stream is open (the
// legacy streamable client opens its GET stream after initialize, in the
// background): change(i) makes a probe tool i, until each client has heard
// of one; reset() removes the probe, and that is waited for too.
func primeNotes(t *testing.T, conns map[string]*conn, change func(i int), reset func()) {
	t.Helper()
	pending := map[string]*conn{}
	for m, c := range conns {
		pending[m] = c
	}
	deadline := time.Now().Add(30 * time.Second)
	for i := 0; len(pending) > 0; i++ {
		if time.Now().After(deadline) {
			t.Fatalf("no list change reached %v", slices.Collect(maps.Keys(pending)))
		}
		change(i)
		for m, c := range pending {
			select {
			case <-c.notes:
				delete(pending, m)
			case <-time.After(300 * time.Millisecond):
			}
		}
	}
	reset()
	for _, c := range conns {
		plugintest.Eventually(t, 20*time.Second, func() bool {
			for name := range c.tools(t) {
				if strings.HasPrefix(name, "probe_") {
					return false
				}
			}
			return true
		}, "the probe to go")
	}
	for _, c := range conns {
		c.drainNotes()
	}
}

// primeFake is primeNotes for the fake host.
func primeFake(t *testing.T, h *plugintest.FakeHost, conns map[string]*conn) {
	primeNotes(t, conns, func(i int) {
		probe := strings.TrimSuffix(fakeMocks, "]") + fmt.Sprintf(`,{"id":"probe","mcp":{"tool":"probe_%d"}}]`, i)
		h.SetMocks("mcp", mocksOf(t, probe)...)
	}, func() { h.SetMocks("mcp", mocksOf(t, fakeMocks)...) })
}

// hostProxy stands for the host's /stubs/<ns> hand-off: it strips the
// prefix and passes the namespace and the prefix in headers, keeping the
// client's Host.
func hostProxy(t *testing.T, plugin string) *httptest.Server {
	target, _ := url.Parse(plugin)
	rp := &httputil.ReverseProxy{
		FlushInterval: -1,
		Rewrite: func(r *httputil.ProxyRequest) {
			rest := strings.TrimPrefix(r.In.URL.Path, "/stubs/")
			ns, route, _ := strings.Cut(rest, "/")
			r.SetURL(target)
			r.Out.URL.Path = "/" + route
			r.Out.URL.RawPath = ""
			r.Out.Host = r.In.Host
			plugintest.HandOff(r.Out.Header, ns, "/stubs/"+ns)
		},
	}
	srv := httptest.NewServer(rp)
	t.Cleanup(srv.Close)
	return srv
}

// TestHandOff: behind the host's /stubs/<ns>, the namespace comes from the
// header and the SSE endpoint announced starts with the public prefix.
func TestHandOff(t *testing.T) {
	f := &fakeMCP{}
	_, base := startFake(t, f)
	proxy := hostProxy(t, base)
	for _, mode := range allModes {
		t.Run(mode, func(t *testing.T) {
			c := dial(t, mode, endpoint(proxy.URL+"/stubs/team", mode), nil)
			if mode == modeSSE || mode == modeSSELegacy {
				ep := mcpEndpoint(c)
				if !strings.HasPrefix(ep, "/stubs/team/message?sessionId=") {
					t.Fatalf("the SSE endpoint event: %s", ep)
				}
			}
			if res := c.call(t, "get_weather", map[string]any{"city": "Paris"}); res.IsError {
				t.Fatalf("call through the hand-off: %+v", res)
			}
			// A serverName's server behind the hand-off.
			cb := dial(t, mode, endpoint(proxy.URL+"/stubs/team/billing", mode), nil)
			if (mode == modeSSE || mode == modeSSELegacy) && !strings.HasPrefix(mcpEndpoint(cb), "/stubs/team/billing/message?sessionId=") {
				t.Fatalf("billing's SSE endpoint: %s", mcpEndpoint(cb))
			}
			if res := cb.call(t, "charge", map[string]any{"amount": 10}); res.IsError {
				t.Fatalf("charge through the hand-off: %+v", res)
			}
		})
	}
	var spaces []string
	for _, r := range f.requests() {
		if !slices.Contains(spaces, r.Namespace) {
			spaces = append(spaces, r.Namespace)
		}
	}
	if mustJSON(spaces) != `["team"]` {
		t.Fatalf("namespaces resolved: %v", spaces)
	}

	// A prefix that would send the client elsewhere, and a bad namespace.
	for hdr, val := range map[string]string{handoff.HeaderPrefix: "//evil.example/x", handoff.HeaderNamespace: "../x"} {
		req, _ := http.NewRequest(http.MethodGet, base+"/sse", nil)
		plugintest.HandOff(req.Header, "team", "/stubs/team")
		req.Header.Set(hdr, val)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusBadRequest {
			t.Fatalf("%s: %s answered %d", hdr, val, res.StatusCode)
		}
	}
}

func mcpEndpoint(c *conn) string {
	u := clientEndpoint(c)
	return u.RequestURI()
}

// TestBadRequests: what is not MCP gets a JSON-RPC error, not a panic.
func TestBadRequests(t *testing.T) {
	_, base := startFake(t, &fakeMCP{})
	cases := []struct {
		method, path, ctype, body string
		status                    int
	}{
		{"GET", "/nowhere/at/all", "", "", 404},
		{"PUT", "/mcp", "application/json", "{}", 405},
		{"POST", "/sse", "application/json", "{}", 405},
		{"GET", "/message", "", "", 405},
		{"POST", "/mcp", "application/json", "{not json", 400},
		{"POST", "/mcp", "text/plain", "{}", 400},
		{"POST", "/message?sessionId=nope", "application/json", `{"jsonrpc":"2.0","id":1,"method":"ping"}`, 400},
	}
	for _, c := range cases {
		req, _ := http.NewRequest(c.method, base+c.path, strings.NewReader(c.body))
		if c.ctype != "" {
			req.Header.Set("Content-Type", c.ctype)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		buf := make([]byte, 4096)
		n, _ := res.Body.Read(buf)
		b.Write(buf[:n])
		res.Body.Close()
		if res.StatusCode != c.status {
			t.Fatalf("%s %s: %d %s", c.method, c.path, res.StatusCode, b.String())
		}
	}
}

// TestDelayEndsWithTheCall: a mock's delay is waited, and a client that
// gives up ends the wait.
func TestDelayEndsWithTheCall(t *testing.T) {
	h := &plugintest.FakeHost{FindMCPFunc: func(context.Context, *find.MCPRequest) (*find.MCPResponse, error) {
		return &find.MCPResponse{MockID: "slow", Result: json.RawMessage(`"late"`), Delay: 600000}, nil
	}}
	h.SetMocks("mcp", json.RawMessage(`{"id":"slow","mcp":{"tool":"slow"}}`))
	p := plugintest.Start(t, &Listener{}, json.RawMessage(`{"addresses":["127.0.0.1:0"]}`), h)
	c := dial(t, modeHTTP, "http://"+p.Addresses[0]+"/mcp", nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		req := mcp.CallToolRequest{}
		req.Params.Name = "slow"
		_, err := c.CallTool(ctx, req)
		done <- err
	}()
	plugintest.Eventually(t, 20*time.Second, func() bool { return len(h.Calls()) == 1 }, "the call to reach the host")
	select {
	case err := <-done:
		t.Fatalf("the call returned before its delay: %v", err)
	default:
	}
	cancel()
	if err := <-done; err == nil {
		t.Fatal("a cancelled call succeeded")
	}
}

// rpc posts one JSON-RPC request, without a session, and decodes the answer.
func rpc(t *testing.T, url, body string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(res.Body).Decode(&out)
	return res.StatusCode, out
}

// TestPlainJSONRPC: a bare JSON-RPC POST, with no initialize before it, is
// answered (the spec's "POST /stubs/<namespace> speaking JSON-RPC 2.0").
func TestPlainJSONRPC(t *testing.T) {
	_, base := startFake(t, &fakeMCP{})
	for _, path := range []string{"", "/", "/mcp"} {
		status, out := rpc(t, base+path, `{"jsonrpc":"2.0","id":1,"method":"tools/list"}`)
		tools, _ := out["result"].(map[string]any)["tools"].([]any)
		if status != 200 || len(tools) != 4 {
			t.Fatalf("tools/list at %q: %d %v", path, status, out)
		}
	}
	status, out := rpc(t, base+"/mcp", `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"get_weather","arguments":{"city":"Paris"}}}`)
	if status != 200 || mustJSON(out["result"]) != `{"content":[{"text":"Sunny in Paris","type":"text"}]}` {
		t.Fatalf("tools/call: %d %v", status, out)
	}
	// A session id the server never gave is refused.
	req, _ := http.NewRequest(http.MethodPost, base+"/mcp", strings.NewReader(`{"jsonrpc":"2.0","id":3,"method":"tools/list"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Mcp-Session-Id", "made-up")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNotFound {
		t.Fatalf("a made-up session: %d", res.StatusCode)
	}
}
