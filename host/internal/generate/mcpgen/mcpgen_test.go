package mcpgen

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	"github.com/mockarty-oss/mockarty/host/internal/generate"
	"github.com/mockarty-oss/mockarty/host/internal/model"
	"github.com/mockarty-oss/mockarty/host/internal/render"
)

const userOutput = `{"type":"object","properties":{
  "email":{"type":"string","format":"email"},"age":{"type":"integer"},"score":{"type":"number"},
  "active":{"type":"boolean"},"tags":{"type":"array","items":{"type":"string"}},
  "plan":{"type":"string","enum":["free","pro"]},"note":{"type":["string","null"]},
  "address":{"$ref":"#/$defs/address"}},
  "required":["email"],
  "$defs":{"address":{"type":"object","properties":{"city":{"type":"string"},"lat":{"type":"number"}}}}}`

// upstream is a real MCP server (mcp-go) with a tool, a tool with an
// output schema, a resource and a prompt, behind a bearer token.
func upstream(t *testing.T, transport string) string {
	t.Helper()
	s := server.NewMCPServer("upstream", "1.0.0")
	noop := func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		return mcp.NewToolResultText("real"), nil
	}
	s.AddTool(mcp.NewTool("get_weather", mcp.WithDescription("Weather for a city"),
		mcp.WithString("city", mcp.Required(), mcp.Description("the city")), mcp.WithNumber("days")), noop)
	s.AddTool(mcp.Tool{Name: "lookup_user", Title: "Look a user up",
		RawInputSchema:  json.RawMessage(`{"type":"object","properties":{"id":{"type":"string"}},"required":["id"]}`),
		RawOutputSchema: json.RawMessage(userOutput)}, noop)
	s.AddResource(mcp.NewResource("config://app/settings", "settings", mcp.WithMIMEType("application/json"),
		mcp.WithResourceDescription("App settings")),
		func(context.Context, mcp.ReadResourceRequest) ([]mcp.ResourceContents, error) { return nil, nil })
	s.AddPrompt(mcp.NewPrompt("review", mcp.WithPromptDescription("Review code"),
		mcp.WithArgument("code", mcp.RequiredArgument(), mcp.ArgumentDescription("the code")), mcp.WithArgument("tone")),
		func(context.Context, mcp.GetPromptRequest) (*mcp.GetPromptResult, error) { return nil, nil })
	var h http.Handler = server.NewStreamableHTTPServer(s)
	path := "/mcp"
	if transport == TransportSSE {
		sse := server.NewSSEServer(s)
		t.Cleanup(sse.CloseSessions)
		h, path = sse, "/sse"
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer t0ken" {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL + path
}

func byID(list []*model.Mock) map[string]*model.Mock {
	out := map[string]*model.Mock{}
	for _, m := range list {
		out[m.ID] = m
	}
	return out
}

// render renders a mock's payload for a call with args, as the host does.
func renderPayload(t *testing.T, m *model.Mock, args any) map[string]any {
	t.Helper()
	tpl, err := render.CompileJSON(m.Response.Payload)
	if err != nil {
		t.Fatalf("%s: %v", m.ID, err)
	}
	var out map[string]any
	b := tpl.Render(&render.Data{Body: args, Namespace: "qa"})
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("%s rendered %s: %v", m.ID, b, err)
	}
	return out
}

// valid checks the mocks as the API does before saving them.
func valid(t *testing.T, list []*model.Mock) {
	t.Helper()
	for _, m := range list {
		m.Normalise()
		if err := m.Validate(); err != nil {
			t.Fatalf("%s is not a valid mock: %v", m.ID, err)
		}
		if err := render.CheckFakers(m.Response.Payload); err != nil {
			t.Fatalf("%s: %v", m.ID, err)
		}
		if len(m.Tags) != 2 || m.Tags[0] != "generated" || m.Tags[1] != "mcp" {
			t.Fatalf("%s tags: %v", m.ID, m.Tags)
		}
	}
}

func TestFromLiveServer(t *testing.T) {
	for _, tr := range []string{TransportHTTP, TransportSSE} {
		t.Run(tr, func(t *testing.T) {
			url := upstream(t, tr)
			in := Input{Namespace: "qa", ServerName: "weather", URL: url, Transport: tr,
				Headers: map[string]string{"Authorization": "Bearer t0ken"}}
			list, err := Generate(context.Background(), in)
			if err != nil {
				t.Fatal(err)
			}
			valid(t, list)
			got := byID(list)
			if len(list) != 4 {
				t.Fatalf("mocks: %v", got)
			}
			w := got["mcp-weather-tool-get_weather"]
			if w == nil || w.Namespace != "qa" || w.ServerName != "weather" || w.MCP.Method != "tools/call" || w.MCP.Tool != "get_weather" ||
				w.MCP.Description != "Weather for a city" {
				t.Fatalf("get_weather: %+v", w)
			}
			var schema struct {
				Required   []string                  `json:"required"`
				Properties map[string]map[string]any `json:"properties"`
			}
			if err := json.Unmarshal(w.MCP.InputSchema, &schema); err != nil || strings.Join(schema.Required, ",") != "city" ||
				schema.Properties["city"]["description"] != "the city" || schema.Properties["days"]["type"] != "number" {
				t.Fatalf("get_weather's schema: %s", w.MCP.InputSchema)
			}
			out := renderPayload(t, w, map[string]any{"city": "Paris"})
			if text := out["content"].([]any)[0].(map[string]any)["text"]; text != `get_weather called with {"city":"Paris"}` {
				t.Fatalf("get_weather's answer: %v", out)
			}

			// The output schema gives a sample that parses, with fresh fakes.
			u := got["mcp-weather-tool-lookup_user"]
			if u == nil || u.MCP.Description != "Look a user up" {
				t.Fatalf("lookup_user: %+v", u)
			}
			text := renderPayload(t, u, map[string]any{"id": "1"})["content"].([]any)[0].(map[string]any)["text"].(string)
			var user map[string]any
			if err := json.Unmarshal([]byte(text), &user); err != nil {
				t.Fatalf("lookup_user's sample is not JSON: %s (%v)", text, err)
			}
			addr, _ := user["address"].(map[string]any)
			_, age := user["age"].(float64)
			_, score := user["score"].(float64)
			_, active := user["active"].(bool)
			tags, _ := user["tags"].([]any)
			if !strings.Contains(user["email"].(string), "@") || !age || !score || !active || len(tags) != 1 ||
				user["plan"] != "free" || addr == nil || addr["city"] == "" || addr["lat"] == nil {
				t.Fatalf("lookup_user's sample: %s", text)
			}

			r := got["mcp-weather-resource-config-app-settings"]
			if r == nil || r.MCP.Resource != "config://app/settings" || r.MCP.MimeType != "application/json" || r.MCP.Description != "App settings" {
				t.Fatalf("the resource: %+v", r)
			}
			if string(r.Response.Payload) != `{"contents":[{"mimeType":"application/json","text":"{\"name\":\"settings\"}","uri":"config://app/settings"}]}` {
				t.Fatalf("the resource's payload: %s", r.Response.Payload)
			}
			p := got["mcp-weather-prompt-review"]
			if p == nil || p.MCP.Prompt != "review" || p.MCP.Method != "prompts/get" ||
				string(p.MCP.InputSchema) != `{"properties":{"code":{"description":"the code","type":"string"},"tone":{"type":"string"}},"required":["code"],"type":"object"}` {
				t.Fatalf("the prompt: %+v %s", p, p.MCP.InputSchema)
			}
			msg := renderPayload(t, p, map[string]any{"code": "x := 1", "tone": "kind"})["messages"].([]any)[0].(map[string]any)
			if msg["content"].(map[string]any)["text"] != "Prompt review with code: x := 1, tone: kind" {
				t.Fatalf("the prompt's answer: %v", msg)
			}

			// Generating again gives the same ids.
			again, err := Generate(context.Background(), in)
			if err != nil || len(again) != len(list) {
				t.Fatalf("again: %v", err)
			}
			for _, m := range again {
				if got[m.ID] == nil {
					t.Fatalf("a new id the second time: %s", m.ID)
				}
			}
		})
	}
}

func TestUpstreamErrors(t *testing.T) {
	closed := func() string {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		return "http://" + addr + "/mcp"
	}()
	notMCP := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(notMCP.Close)
	empty := httptest.NewServer(server.NewStreamableHTTPServer(server.NewMCPServer("empty", "1")))
	t.Cleanup(empty.Close)
	cases := []struct {
		name string
		in   Input
	}{
		{"no token", Input{URL: upstream(t, TransportHTTP)}},
		{"no token over sse", Input{URL: upstream(t, TransportSSE), Transport: TransportSSE}},
		{"nothing listens", Input{URL: closed}},
		{"not an MCP server", Input{URL: notMCP.URL + "/mcp"}},
		{"not an MCP server over sse", Input{URL: notMCP.URL + "/sse", Transport: TransportSSE}},
		{"offers nothing", Input{URL: empty.URL + "/mcp"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			_, err := Generate(ctx, c.in)
			var up *generate.UpstreamError
			if !errors.As(err, &up) || up.Source != c.in.URL {
				t.Fatalf("got %T %v", err, err)
			}
		})
	}
}

func TestFromSpec(t *testing.T) {
	cases := map[string]struct {
		spec string
		ids  []string
	}{
		"lists": {`{"tools":[{"name":"search","description":"Search","inputSchema":{"type":"object","properties":{"q":{"type":"string"}},"required":["q"]},
		  "outputSchema":{"type":"object","properties":{"hits":{"type":"array","items":{"type":"object","properties":{"title":{"type":"string"},"url":{"type":"string"}}}}}}}],
		  "resources":[{"uri":"file:///readme.md","name":"readme","mimeType":"text/markdown"}],
		  "prompts":[{"name":"summarize","arguments":[{"name":"text","required":true}]}]}`,
			[]string{"mcp-tool-search", "mcp-resource-file-readme.md", "mcp-prompt-summarize"}},
		"a bare array": {`[{"name":"a"},{"name":"b","input_schema":{"type":"object","properties":{"x":{"type":"integer"}}}}]`,
			[]string{"mcp-tool-a", "mcp-tool-b"}},
		"a tools/list response": {`{"jsonrpc":"2.0","id":1,"result":{"tools":[{"name":"ping","inputSchema":{"type":"object"}}]}}`,
			[]string{"mcp-tool-ping"}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			list, err := Generate(context.Background(), Input{Spec: json.RawMessage(c.spec)})
			if err != nil {
				t.Fatal(err)
			}
			valid(t, list)
			got := byID(list)
			if len(got) != len(c.ids) {
				t.Fatalf("mocks: %v", got)
			}
			for _, id := range c.ids {
				if got[id] == nil {
					t.Fatalf("no %s in %v", id, got)
				}
			}
		})
	}
	list, _ := Generate(context.Background(), Input{Spec: json.RawMessage(cases["a bare array"].spec), IDPrefix: "kit"})
	if b := byID(list)["kit-tool-b"]; b == nil || string(b.MCP.InputSchema) != `{"type":"object","properties":{"x":{"type":"integer"}}}` {
		t.Fatalf("input_schema was not read: %+v", list)
	}
	list, _ = Generate(context.Background(), Input{Spec: json.RawMessage(cases["lists"].spec)})
	search := byID(list)["mcp-tool-search"]
	text := renderPayload(t, search, map[string]any{"q": "go"})["content"].([]any)[0].(map[string]any)["text"].(string)
	var out struct {
		Hits []struct{ Title, URL string }
	}
	if err := json.Unmarshal([]byte(text), &out); err != nil || len(out.Hits) != 1 || out.Hits[0].Title == "" || !strings.Contains(out.Hits[0].URL, "http") {
		t.Fatalf("search's sample: %s %v", text, err)
	}
}

func TestBadInput(t *testing.T) {
	cases := []struct {
		in    Input
		field string
	}{
		{Input{}, "url"},
		{Input{URL: "http://x/mcp", Spec: json.RawMessage(`[]`)}, "spec"},
		{Input{URL: "http://x/mcp", Transport: "websocket"}, "transport"},
		{Input{URL: "ftp://x/mcp"}, "url"},
		{Input{URL: "/mcp"}, "url"},
		{Input{Spec: json.RawMessage(`{not json`)}, "spec"},
		{Input{Spec: json.RawMessage(`"tools"`)}, "spec"},
		{Input{Spec: json.RawMessage(`{}`)}, "spec"},
		{Input{Spec: json.RawMessage(`[]`)}, "spec"},
		{Input{Spec: json.RawMessage(`{"tools":{"name":"a"}}`)}, "spec"},
		{Input{Spec: json.RawMessage(`[{"description":"nameless"}]`)}, "spec.tools[0].name"},
		{Input{Spec: json.RawMessage(`[{"name":"a"},{"name":"a"}]`)}, "spec.tools[1].name"},
		{Input{Spec: json.RawMessage(`[{"name":"a","inputSchema":"string"}]`)}, "spec.tools[0].inputSchema"},
		{Input{Spec: json.RawMessage(`[{"name":"a","outputSchema":[1]}]`)}, "spec.tools[0].outputSchema"},
		{Input{Spec: json.RawMessage(`{"resources":[{"name":"r"}]}`)}, "spec.resources[0].uri"},
		{Input{Spec: json.RawMessage(`{"prompts":[{"name":"p","arguments":[{"required":true}]}]}`)}, "spec.prompts[0].arguments[0].name"},
	}
	for _, c := range cases {
		_, err := Generate(context.Background(), c.in)
		var ie *generate.InputError
		if !errors.As(err, &ie) || ie.Field != c.field {
			t.Errorf("%+v: got %v, want a problem with %s", c.in, err, c.field)
		}
	}
}

func TestSampleText(t *testing.T) {
	cases := map[string]string{
		`{"type":"object","properties":{"id":{"type":"string","format":"uuid"},"n":{"type":"integer","example":7},"s":{"const":"$.fake.Name"}}}`: `{"id":"$.fake.UUID","n":7,"s":"$.fake.Word"}`,
		`{"type":"array","items":{"type":"integer"}}`:                                             `[$.fake.IntBetween(1, 1000)]`,
		`{"oneOf":[{"type":"boolean"},{"type":"string"}]}`:                                        `$.fake.Bool`,
		`{"$ref":"#/definitions/x","definitions":{"x":{"type":"null"}}}`:                          `null`,
		`{"allOf":[{"properties":{"a":{"type":"number"}}},{"properties":{"b":{"default":"d"}}}]}`: `{"a":$.fake.FloatRange(0, 1000),"b":"d"}`,
		`{"type":"object","properties":{"self":{"$ref":"#"}}}`:                                    `{"self":{"self":{"self":{"self":{}}}}}`,
		`not json`: `{}`,
		// allOf that leads back to itself ends at the depth limit, never a stack overflow.
		`{"allOf":[{"$ref":"#"}]}`: `{}`,
		`{"$ref":"#/$defs/a","$defs":{"a":{"allOf":[{"$ref":"#/$defs/a"},{"properties":{"x":{"type":"boolean"}}}]}}}`: `{"x":$.fake.Bool}`,
	}
	for schema, want := range cases {
		if got := sampleText(json.RawMessage(schema)); got != want {
			t.Errorf("%s:\n got %s\nwant %s", schema, got, want)
		}
	}
}
