package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mockarty-oss/mockarty/sdk"
)

func TestDerivedSchemas(t *testing.T) {
	cases := []struct {
		name, mocks, want string
	}{
		{"paths and types", `[{"id":"a","mcp":{"tool":"t","conditions":[
			{"path":"$.city","assertAction":"equals","value":"Paris"},
			{"path":"$.req.days","assertAction":"equals","value":3},
			{"path":"$.body.ratio","assertAction":"equals","value":1.5},
			{"path":"metric","assertAction":"equals","value":true},
			{"path":"$.address.zip","assertAction":"matches","value":"^7"},
			{"path":"$.items[0].sku","assertAction":"notEmpty"},
			{"path":"$['odd key']","assertAction":"any"},
			{"path":"$.tags","assertAction":"contains","value":"x"}]}}]`,
			`{"properties":{"address":{"properties":{"zip":{"type":"string"}},"required":["zip"],"type":"object"},` +
				`"city":{"type":"string"},"days":{"type":"integer"},"items":{"items":{"properties":{"sku":{}},"required":["sku"],"type":"object"},"type":"array"},` +
				`"metric":{"type":"boolean"},"odd key":{},"ratio":{"type":"number"},"tags":{"type":"string"}},` +
				`"required":["address","city","days","items","metric","ratio","tags"],"type":"object"}`},
		// Required only when every mock of the tool needs it.
		{"several mocks", `[{"id":"a","mcp":{"tool":"t","conditions":[{"path":"$.city","assertAction":"equals","value":"Paris"},{"path":"$.unit","assertAction":"equals","value":"C"}]}},
			{"id":"b","mcp":{"tool":"t","conditions":[{"path":"$.city","assertAction":"equals","value":"Rome"},{"path":"$.unit","assertAction":"not_equals","value":"F"},{"path":"$.n","assertAction":"equals","value":2.5}]}},
			{"id":"c","mcp":{"tool":"t","conditions":[{"path":"$.city","assertAction":"notEmpty"},{"path":"$.n","assertAction":"equals","value":2}]}}]`,
			`{"properties":{"city":{"type":"string"},"n":{"type":"number"},"unit":{"type":"string"}},"required":["city"],"type":"object"}`},
		{"nothing to read", `[{"id":"a","mcp":{"tool":"t","conditions":[{"path":"$..id","assertAction":"equals","value":1},{"path":"$.req","assertAction":"notEmpty"},{"path":"$[0]","assertAction":"any"}]}}]`,
			`{"properties":{},"type":"object"}`},
		{"filter keeps the property", `[{"id":"a","mcp":{"tool":"t","conditions":[{"path":"$.items[?(@.price > 100)].id","assertAction":"notEmpty"}]}}]`,
			`{"properties":{"items":{}},"type":"object"}`},
		{"explicit schema wins", `[{"id":"a","mcp":{"tool":"t","conditions":[{"path":"$.x","assertAction":"equals","value":1}]}},
			{"id":"b","mcp":{"tool":"t","inputSchema":{"type":"object","properties":{"q":{"type":"string"}}}}}]`,
			`{"properties":{"q":{"type":"string"}},"type":"object"}`},
		{"a schema that is no object is ignored", `[{"id":"a","mcp":{"tool":"t","inputSchema":"nope","conditions":[{"path":"$.x","assertAction":"equals","value":"1"}]}}]`,
			`{"properties":{"x":{"type":"string"}},"required":["x"],"type":"object"}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cat := buildCatalog(parseMocks(mocksOf(t, c.mocks)), "")
			if len(cat.Tools) != 1 || string(cat.Tools[0].InputSchema) != c.want {
				t.Fatalf("got %+v\nwant %s", cat.Tools, c.want)
			}
		})
	}
}

func TestCatalog(t *testing.T) {
	mocks := parseMocks(mocksOf(t, `[
	 {"id":"b","serverName":"s1","mcp":{"tool":"t1","description":"second"}},
	 {"id":"a","serverName":"s1","mcp":{"tool":"t1","description":"first"}},
	 {"id":"c","serverName":"s2","description":"from the mock","mcp":{"tool":"t2"}},
	 {"id":"d","mcp":{"resource":"file:///etc/app.conf","mimeType":"text/plain"}},
	 {"id":"e","mcp":{"resource":"urn:x"}},
	 {"id":"f","mcp":{"method":"prompts/get","prompt":"p","inputSchema":{"type":"object","properties":{"topic":{"type":"string","description":"what"},"tone":{"type":"string"}},"required":["topic"]}}},
	 {"id":"g","mcp":{"method":"tools/call"}},
	 {"id":"h","http":{"route":"/x"}},
	 "not a mock"]`))
	all := buildCatalog(mocks, "")
	b, _ := json.Marshal(all)
	want := `{"tools":[{"name":"t1","description":"first","inputSchema":{"properties":{},"type":"object"}},` +
		`{"name":"t2","description":"from the mock","inputSchema":{"properties":{},"type":"object"}}],` +
		`"resources":[{"uri":"file:///etc/app.conf","name":"app.conf","mimeType":"text/plain"},{"uri":"urn:x","name":"x"}],` +
		`"prompts":[{"name":"p","arguments":[{"name":"tone"},{"name":"topic","description":"what","required":true}]}]}`
	if string(b) != want {
		t.Fatalf("the namespace's catalog:\n%s\nwant\n%s", b, want)
	}
	s1 := buildCatalog(mocks, "s1")
	if len(s1.Tools) != 1 || s1.Tools[0].Name != "t1" || len(s1.Resources) != 0 || len(s1.Prompts) != 0 {
		t.Fatalf("s1's catalog: %+v", s1)
	}
	if names := serverNames(mocks); len(names) != 2 || !names["s1"] || !names["s2"] {
		t.Fatalf("serverNames: %v", names)
	}
}

func TestRoutes(t *testing.T) {
	cases := map[string]string{
		"/": "|mcp", "": "|mcp", "/mcp": "|mcp", "/mcp/": "|mcp", "/sse": "|sse", "/message": "|message",
		"/billing/mcp": "billing|mcp", "/billing/sse": "billing|sse", "/billing/message": "billing|message",
		"/mcp/mcp": "mcp|mcp", "/billing": "", "/a/b/mcp": "", "//mcp": "|mcp",
	}
	for path, want := range cases {
		sn, kind, ok := parseRoute(path)
		got := ""
		if ok {
			got = sn + "|" + kind
		}
		if got != want {
			t.Errorf("%q: %q, want %q", path, got, want)
		}
	}
	for in, want := range map[string]string{"": "", "/stubs/qa": "/stubs/qa", "/stubs/qa/": "/stubs/qa", "/a b": "/a%20b",
		"//evil": "!", "stubs": "!", "/x?y": "!", "/x\\y": "!", "/x\ny": "!"} {
		got, err := cleanPrefix(in)
		if err != nil {
			got = "!"
		}
		if got != want {
			t.Errorf("prefix %q: %q, want %q", in, got, want)
		}
	}
}

func TestToolResults(t *testing.T) {
	cases := []struct{ payload, want string }{
		{`{"content":[{"type":"text","text":"hi"}]}`, `{"content":[{"type":"text","text":"hi"}]}`},
		{`{"content":[{"type":"text","text":"x"}],"structuredContent":{"a":1},"isError":true}`, `{"content":[{"type":"text","text":"x"}],"isError":true,"structuredContent":{"a":1}}`},
		{`{"content":[{"type":"image","data":"aGk=","mimeType":"image/png"}]}`, `{"content":[{"type":"image","data":"aGk=","mimeType":"image/png"}]}`},
		{`{"content":[{"type":"video"}]}`, `{"content":[{"type":"text","text":"{\"content\":[{\"type\":\"video\"}]}"}]}`},
		{`{"temp":21}`, `{"content":[{"type":"text","text":"{\"temp\":21}"}],"structuredContent":{"temp":21}}`},
		{`[1,2]`, `{"content":[{"type":"text","text":"[1,2]"}]}`},
		{`"plain text"`, `{"content":[{"type":"text","text":"plain text"}]}`},
		{`42`, `{"content":[{"type":"text","text":"42"}]}`},
		{``, `{"content":[]}`},
		{`{"content":[]}`, `{"content":[]}`},
	}
	for _, c := range cases {
		b, err := json.Marshal(toolResult(json.RawMessage(c.payload), false))
		if err != nil || string(b) != c.want {
			t.Errorf("%s:\n got %s %v\nwant %s", c.payload, b, err, c.want)
		}
	}
	if r := toolResult(json.RawMessage(`"down"`), true); !r.IsError {
		t.Fatal("mcpIsError did not set isError")
	}
}

func TestResourceAndPromptResults(t *testing.T) {
	rc := func(payload, mime string) string {
		out, err := resourceContents(json.RawMessage(payload), "config://a", mime)
		if err != nil {
			return "error: " + err.Error()
		}
		b, _ := json.Marshal(out)
		return string(b)
	}
	cases := map[[2]string]string{
		{`{"contents":[{"text":"x"}]}`, "text/plain"}:                              `[{"uri":"config://a","mimeType":"text/plain","text":"x"}]`,
		{`{"contents":[{"uri":"config://b","blob":"aGk=","mimeType":"a/b"}]}`, ""}: `[{"uri":"config://b","mimeType":"a/b","blob":"aGk="}]`,
		{`{"contents":[{"uri":"config://b"}]}`, ""}:                                "error: the mock's contents[0] has neither text nor blob",
		{`{"debug":true}`, ""}:                                                     `[{"uri":"config://a","mimeType":"application/json","text":"{\"debug\":true}"}]`,
		{`"hello"`, ""}:                                                            `[{"uri":"config://a","mimeType":"text/plain","text":"hello"}]`,
		{`"hello"`, "text/markdown"}:                                               `[{"uri":"config://a","mimeType":"text/markdown","text":"hello"}]`,
	}
	for in, want := range cases {
		if got := rc(in[0], in[1]); got != want {
			t.Errorf("%s (%s):\n got %s\nwant %s", in[0], in[1], got, want)
		}
	}
	p, err := promptResult(json.RawMessage(`{"messages":[{"role":"assistant","content":{"type":"text","text":"ok"}}]}`), "d")
	if err != nil || p.Description != "d" || len(p.Messages) != 1 || p.Messages[0].Role != mcp.RoleAssistant {
		t.Fatalf("a prompt body: %+v %v", p, err)
	}
	p, err = promptResult(json.RawMessage(`"Write about cats"`), "")
	if err != nil || len(p.Messages) != 1 || mcp.GetTextFromContent(p.Messages[0].Content) != "Write about cats" || p.Messages[0].Role != mcp.RoleUser {
		t.Fatalf("a text prompt: %+v %v", p, err)
	}
	if _, err := promptResult(json.RawMessage(`{"messages":[{"role":"robot","content":{"type":"text","text":"x"}}]}`), ""); err == nil {
		t.Fatal("a message with a bad role was accepted")
	}
}

func TestNoMatchText(t *testing.T) {
	got := noMatchText(&sdk.NoMatch{Message: "no mcp mock matches t in namespace qa; closest: a (condition failed)",
		Candidates: json.RawMessage(`[{"mockId":"a","reason":"condition failed","where":"header","failedCondition":{"path":"Authorization","assertAction":"equals","expected":"Bearer s3cret","reason":"no value at this path"}},` +
			`{"mockId":"b","reason":"serverName x does not match y"}]`)})
	want := "no mcp mock matches t in namespace qa; closest: a (condition failed)\n" +
		"- a: condition failed (header): Authorization equals: no value at this path\n" +
		"- b: serverName x does not match y"
	if got != want || strings.Contains(got, "s3cret") {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
}

func TestConfigure(t *testing.T) {
	l := &Listener{}
	info := l.Info()
	var schema map[string]any
	if info.Name != "mcp" || info.Kind != sdk.KindListener || mustJSON(info.Protocols) != `["mcp"]` ||
		json.Unmarshal(info.SettingsSchema, &schema) != nil {
		t.Fatalf("info: %+v", info)
	}
	if ka := mustJSON(schema["properties"].(map[string]any)["keepAlive"]); !strings.Contains(ka, `"default":15`) || !strings.Contains(ka, `"minimum":1`) {
		t.Fatalf("keepAlive in the settings schema: %s", ka)
	}
	for raw, ok := range map[string]bool{
		``: true, `{}`: true, `{"addresses":["127.0.0.1:0"],"namespace":"team-a"}`: true,
		`{"addresses":[]}`: false, `{"namespace":"../x"}`: false, `{"namespace":""}`: false, `[1]`: false,
		`{"keepAlive":1}`: true, `{"keepAlive":3600}`: true, `{"keepAlive":0}`: false, `{"keepAlive":-5}`: false,
		`{"keepAlive":3601}`: false, `{"keepAlive":"15"}`: false, `{"keepAlive":1.5}`: false,
	} {
		err := l.Configure(context.Background(), json.RawMessage(raw))
		if (err == nil) != ok {
			t.Errorf("settings %s: %v", raw, err)
		}
	}
	if err := l.Configure(context.Background(), nil); err != nil || l.settings.Addresses[0] != DefaultAddress || l.settings.Namespace != "sandbox" ||
		l.settings.KeepAlive != DefaultKeepAlive {
		t.Fatalf("defaults: %+v %v", l.settings, err)
	}
	if err := l.Health(context.Background()); err == nil {
		t.Fatal("healthy before Start")
	}
}
