package match

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/mockarty-oss/mockarty/host/internal/model"
)

const envelope = `<?xml version="1.0"?>
<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:b="urn:bank">
  <soap:Header><b:Auth>token-1</b:Auth></soap:Header>
  <soap:Body>
    <b:GetAccount currency="EUR"><b:id>42</b:id><b:tag>a</b:tag><b:tag>b</b:tag></b:GetAccount>
  </soap:Body>
</soap:Envelope>`

func TestXPathConditions(t *testing.T) {
	in := &Input{Body: map[string]any{"GetAccount": map[string]any{"id": "42"}}, XML: &XMLDoc{Text: envelope}}
	yes := []model.Condition{
		cond("//*[local-name()='id']", "equals", 42),
		cond("/*[local-name()='Envelope']/*[local-name()='Body']/*[local-name()='GetAccount']/@currency", "equals", "EUR"),
		cond("count(//*[local-name()='tag'])", "equals", 2),
		cond("/Envelope/Body/GetAccount/id", "equals", "42"), // prefixes need not be written
		cond("//GetAccount/@currency", "equals", "EUR"),
		cond("//*[local-name()='Auth']", "matches", "^token-"),
		cond("//*[local-name()='missing']", "empty", nil),
		cond("$.GetAccount.id", "equals", "42"), // JSONPath on the Body as JSON still works
	}
	for _, c := range yes {
		cs, err := CompileConditions([]model.Condition{c}, SourceSOAP, false)
		if err != nil {
			t.Fatalf("%s: %v", c.Path, err)
		}
		if ok, f := CheckAll(cs, in, nil, "ns"); !ok {
			t.Errorf("%s %s should hold: %+v", c.Path, c.AssertAction, f)
		}
	}
	no := []model.Condition{
		cond("//*[local-name()='id']", "equals", 43),
		cond("//*[local-name()='missing']", "notEmpty", nil),
	}
	for _, c := range no {
		cs, _ := CompileConditions([]model.Condition{c}, SourceSOAP, false)
		if ok, f := CheckAll(cs, in, nil, "ns"); ok || f == nil || f.Path != c.Path {
			t.Errorf("%s %s should fail with a report: %+v", c.Path, c.AssertAction, f)
		}
	}
	// A bad expression is refused when the mock is saved.
	if _, err := CompileConditions([]model.Condition{cond("//*[", "equals", 1)}, SourceSOAP, false); err == nil {
		t.Fatal("a broken XPath compiled")
	}
	// A body that is no XML: the value is missing, never a panic.
	cs, _ := CompileConditions([]model.Condition{cond("//id", "equals", 1)}, SourceSOAP, false)
	if ok, _ := CheckAll(cs, &Input{XML: &XMLDoc{Text: "not xml <"}}, nil, "ns"); ok {
		t.Fatal("matched a body that is no XML")
	}
	if ok, _ := CheckAll(cs, &Input{}, nil, "ns"); ok {
		t.Fatal("matched without a document")
	}
}

func TestHandOff(t *testing.T) {
	ix := NewIndex(nil)
	mocks := []*model.Mock{
		{ID: "s", Namespace: "ns", SOAP: &model.SOAPContext{Action: "urn:Get", Path: "/bank"}},
		{ID: "g", Namespace: "ns", GraphQL: &model.GraphQLContext{Operation: "query", Field: "hero"}},
		{ID: "g2", Namespace: "ns", PathPrefix: "/v2", GraphQL: &model.GraphQLContext{Field: "hero", Path: "/gql"}},
		{ID: "m", Namespace: "tools", MCP: &model.MCPContext{Tool: "get_weather"}},
		{ID: "m2", Namespace: "tools", ServerName: "weather", MCP: &model.MCPContext{Tool: "forecast"}},
	}
	for _, m := range mocks {
		if err := ix.Upsert(m); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct{ ns, route, want string }{
		{"ns", "/bank", model.ProtoSOAP},
		{"ns", "/graphql", model.ProtoGraphQL},
		{"ns", "/v2/gql", model.ProtoGraphQL},
		{"ns", "/gql", ""},
		{"ns", "/", ""}, // no MCP mock in ns
		{"tools", "/", model.ProtoMCP},
		{"tools", "/sse", model.ProtoMCP},
		{"tools", "/message", model.ProtoMCP},
		{"tools", "/weather/mcp", model.ProtoMCP},
		{"tools", "/weather/other", ""},
		{"tools", "/chat/message", ""}, // no MCP server of that name: plain HTTP
		{"tools", "/a/b/mcp", ""},
		{"tools", "/graphql", ""},
		{"other", "/bank", ""},
	}
	for _, c := range cases {
		if got := ix.HandOff(c.ns, c.route); got != c.want {
			t.Errorf("HandOff(%s, %s) = %q, want %q", c.ns, c.route, got, c.want)
		}
	}
	// Keys never answer a request: the SOAP mock is found by its action, not "at:".
	if len(ix.LookupKey("ns", model.ProtoSOAP, "action:urn:Get")) != 1 {
		t.Fatal("soap action key")
	}
	ix.Remove("m")
	ix.Remove("m2")
	if ix.HandOff("tools", "/") != "" || ix.HasKeyed("tools", model.ProtoMCP) {
		t.Fatal("the last MCP mock is gone, the namespace still hands off")
	}
}

// Compiled XPath conditions are shared by every request of a mock: run
// them from many goroutines at once (the race detector watches).
func TestXPathConcurrent(t *testing.T) {
	cs, err := CompileConditions([]model.Condition{cond("//amount > 100", "equals", true), cond("count(//tag)", "equals", 2)}, SourceSOAP, false)
	if err != nil {
		t.Fatal(err)
	}
	docs := []string{
		`<e><amount>150</amount><tag/><tag/></e>`,
		`<e><amount>50</amount><tag/><tag/></e>`,
	}
	var wg sync.WaitGroup
	errs := make(chan string, 64)
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				want := (g+i)%2 == 0
				ok, _ := CheckAll(cs, &Input{XML: &XMLDoc{Text: docs[(g+i)%2]}}, nil, "ns")
				if ok != want {
					errs <- fmt.Sprintf("goroutine %d round %d: got %v", g, i, ok)
					return
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

// A deeply nested document is read without recursion.
func TestXPathDeepDocument(t *testing.T) {
	const depth = 100000
	doc := strings.Repeat("<a>", depth) + "<id>7</id>" + strings.Repeat("</a>", depth)
	cs, _ := CompileConditions([]model.Condition{cond("//id", "equals", 7)}, SourceSOAP, false)
	if ok, f := CheckAll(cs, &Input{XML: &XMLDoc{Text: doc}}, nil, "ns"); !ok {
		t.Fatalf("deep document: %+v", f)
	}
}
