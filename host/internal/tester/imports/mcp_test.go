package imports

import (
	"encoding/json"
	"strings"
	"testing"
)

const mcpTools = `{"tools": [
  {"name": "search_books", "title": "Search books", "description": "Full-text search of the catalogue",
   "inputSchema": {"type": "object", "properties": {
     "query": {"type": "string"},
     "limit": {"type": "integer", "default": 20},
     "genre": {"type": "string", "enum": ["fiction", "science"]},
     "filters": {"type": "object", "properties": {"available": {"type": "boolean"}}}},
    "required": ["query"]}},
  {"name": "ping"}
]}`

// mcpCall reads an item's JSON-RPC body.
func mcpCall(t *testing.T, raw string) (method, name string, args map[string]any) {
	t.Helper()
	var call struct {
		JSONRPC string `json:"jsonrpc"`
		ID      int    `json:"id"`
		Method  string `json:"method"`
		Params  struct {
			Name      string         `json:"name"`
			Arguments map[string]any `json:"arguments"`
		} `json:"params"`
	}
	if err := json.Unmarshal([]byte(raw), &call); err != nil || call.JSONRPC != "2.0" || call.ID != 1 {
		t.Fatalf("not a JSON-RPC call: %v %s", err, raw)
	}
	return call.Method, call.Params.Name, call.Params.Arguments
}

func TestMCPTools(t *testing.T) {
	r, err := MCP([]byte(mcpTools))
	if err != nil {
		t.Fatal(err)
	}
	valid(t, "tools", r)
	c := r.Collection
	if got := names(c.Item); strings.Join(got, ",") != "Search books (search_books),ping" || len(c.Variable) != 1 || c.Variable[0].Key != "mcpUrl" {
		t.Fatalf("items: %v %v", got, c.Variable)
	}
	search := c.Item[0]
	req := search.Request
	if req.Method != "POST" || req.URL.String() != "{{mcpUrl}}" || !strings.Contains(header(req, "Accept"), "text/event-stream") ||
		search.Description.String() != "Full-text search of the catalogue" {
		t.Errorf("request: %s %s %v", req.Method, req.URL, req.Header)
	}
	method, name, args := mcpCall(t, req.Body.Raw)
	filters, _ := args["filters"].(map[string]any)
	if method != "tools/call" || name != "search_books" || args["limit"] != float64(20) || args["genre"] != "fiction" ||
		args["query"] == nil || filters["available"] != true {
		t.Errorf("call: %s %s %v", method, name, args)
	}
	if _, _, args := mcpCall(t, c.Item[1].Request.Body.Raw); len(args) != 0 {
		t.Errorf("a tool without a schema gets no arguments: %v", args)
	}
	if !strings.Contains(search.Event[0].Script.Source(), "isError") {
		t.Errorf("test: %s", search.Event[0].Script.Source())
	}

	// A bare array and a tools/list response read the same.
	for _, doc := range []string{`[{"name": "ping"}]`, `{"jsonrpc": "2.0", "id": 1, "result": {"tools": [{"name": "ping"}]}}`} {
		r, err := MCP([]byte(doc))
		if err != nil || len(r.Collection.Item) != 1 || r.Collection.Item[0].Name != "ping" {
			t.Errorf("%s: %v %v", doc, err, r)
		}
	}
}

func TestMCPBadLists(t *testing.T) {
	for name, c := range map[string]struct{ doc, field, want string }{
		"no name":    {`{"tools": [{"name": "a"}, {"description": "x"}]}`, "tools[1].name", "is required"},
		"twice":      {`[{"name": "a"}, {"name": "a"}]`, "tools[1].name", "described twice"},
		"bad schema": {`[{"name": "a", "inputSchema": [1]}]`, "tools[0].inputSchema", "JSON Schema object"},
		"not json":   {`{"tools": `, DocumentField, "not a JSON object"},
		"no tools":   {`{"resources": [{"uri": "file:///a"}]}`, "tools", "is empty"},
		"empty":      {"", DocumentField, "is empty"},
	} {
		_, err := MCP([]byte(c.doc))
		wantInputErr(t, name, err, c.field, c.want)
	}
}
