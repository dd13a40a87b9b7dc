package imports

import (
	"encoding/json"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/mockarty-oss/mockarty/host/internal/generate"
	"github.com/mockarty-oss/mockarty/host/internal/generate/mcpgen"
	"github.com/mockarty-oss/mockarty/host/internal/openapi"
	"github.com/mockarty-oss/mockarty/sdk/postman"
)

// MCP imports an MCP server's tools list (read by mcpgen: {"tools": [...]},
// a tools/list JSON-RPC response, or a bare array of tools): a request per
// tool, a JSON-RPC "tools/call" POSTed to {{mcpUrl}} (streamable HTTP)
// whose arguments are a sample of the tool's inputSchema, with a test that
// the answer is no JSON-RPC error and no tool error.
func MCP(data []byte) (*Result, error) {
	if err := checkSize(data, "an MCP tools list (JSON)"); err != nil {
		return nil, err
	}
	tools, err := mcpgen.Tools(data)
	if err != nil {
		if ie, ok := err.(*generate.InputError); ok {
			field := strings.TrimPrefix(strings.TrimPrefix(ie.Field, "spec"), ".")
			if field == "" {
				field = DocumentField
			}
			return nil, generate.Inputf(field, "%s", ie.Message)
		}
		return nil, err
	}
	if len(tools) == 0 {
		return nil, generate.Inputf("tools", "is empty: the list has no tool to call")
	}
	w := &warner{}
	c := &postman.Collection{Info: postman.Info{Name: "MCP import"}, Item: []*postman.Item{},
		Variable: []postman.Variable{{Key: "mcpUrl", Value: "http://localhost/mcp", Type: "string"}}}
	for i, t := range tools {
		if i >= MaxRequests {
			w.warn("the list has more than %d tools: the first %d are imported", MaxRequests, MaxRequests)
			break
		}
		c.Item = append(c.Item, mcpItem(t, w))
	}
	return &Result{Collection: c, Warnings: w.list()}, nil
}

func mcpItem(t mcpgen.Tool, w *warner) *postman.Item {
	args := map[string]any{}
	if len(t.InputSchema) > 0 {
		var s openapi3.Schema
		if err := json.Unmarshal(t.InputSchema, &s); err != nil {
			w.warn("tool %q: inputSchema cannot be sampled (%v): its arguments are left empty", t.Name, err)
		} else if v, ok := openapi.SamplePlain(&openapi3.SchemaRef{Value: &s}, "", openapi.Request).(map[string]any); ok {
			args = v
		}
	}
	call := map[string]any{"jsonrpc": "2.0", "id": 1, "method": "tools/call",
		"params": map[string]any{"name": t.Name, "arguments": args}}
	body, _ := json.MarshalIndent(call, "", "  ")
	req := &postman.Request{Method: "POST", URL: postman.NewURL("{{mcpUrl}}"),
		Header: []postman.Header{
			{Key: "Content-Type", Value: "application/json"},
			// Streamable HTTP servers answer JSON or an SSE stream; the
			// client must accept both.
			{Key: "Accept", Value: "application/json, text/event-stream"},
		},
		Body: &postman.Body{Mode: postman.ModeRaw, Raw: string(body), Options: &postman.BodyOptions{Raw: &postman.RawOptions{Language: "json"}}}}
	name := t.Name
	if t.Title != "" {
		name = t.Title + " (" + t.Name + ")"
	}
	test := "pm.test(\"Status code is 200\", function () {\n    pm.response.to.have.status(200);\n});\n" +
		"pm.test(\"No JSON-RPC or tool error\", function () {\n" +
		"    var text = pm.response.text();\n" +
		"    var data = text.indexOf(\"data:\") === 0 ? text.split(\"\\n\").filter(function (l) { return l.indexOf(\"data:\") === 0; }).map(function (l) { return l.slice(5); }).join(\"\") : text;\n" +
		"    var body = JSON.parse(data);\n" +
		"    pm.expect(body.error).to.be.undefined;\n" +
		"    pm.expect(body.result && body.result.isError).to.not.be.true;\n" +
		"});"
	return &postman.Item{Name: name, Description: postman.Text(t.Description), Request: req,
		Event: []postman.Event{{Listen: postman.ListenTest, Script: postman.NewScript(test)}}}
}
