package helpers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mockarty-oss/mockarty/host/internal/generate/mcpgen"
)

// MCPTarget is a live MCP server.
type MCPTarget struct {
	URL string `json:"url"`
	// Transport "http" (streamable HTTP, the default) or "sse".
	Transport string  `json:"transport"`
	Headers   Headers `json:"headers"`
}

// MCPSession is what a server says when a session starts.
type MCPSession struct {
	ProtocolVersion string `json:"protocolVersion"`
	ServerInfo      any    `json:"serverInfo"`
	Capabilities    any    `json:"capabilities"`
	Instructions    string `json:"instructions,omitempty"`
}

// connect starts a session; the caller closes the client.
func (t MCPTarget) connect(ctx context.Context, g *Guard) (*client.Client, *mcp.InitializeResult, error) {
	u, err := parseURL("url", t.URL)
	if err != nil {
		return nil, nil, err
	}
	switch t.Transport {
	case "", mcpgen.TransportHTTP, mcpgen.TransportSSE:
	default:
		return nil, nil, Inputf("transport", "must be %q (streamable HTTP) or %q, not %q", mcpgen.TransportHTTP, mcpgen.TransportSSE, t.Transport)
	}
	if err := t.Headers.check("headers"); err != nil {
		return nil, nil, err
	}
	if err := g.CheckURL(ctx, u); err != nil {
		return nil, nil, Fail(ctx, "url", "MCP "+u.Redacted(), err)
	}
	c, res, err := mcpgen.Connect(ctx, mcpgen.Conn{URL: u.String(), Transport: t.Transport, Headers: t.Headers.Map(),
		HTTPClient: g.LimitedClient(), ClientName: "mockarty-api-tester"})
	if err != nil {
		return nil, nil, Fail(ctx, "url", "MCP "+u.Redacted(), err)
	}
	return c, res, nil
}

// MCPConnect starts a session and returns what the server said of itself.
func MCPConnect(ctx context.Context, g *Guard, t MCPTarget) (*MCPSession, error) {
	c, res, err := t.connect(ctx, g)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	return &MCPSession{ProtocolVersion: res.ProtocolVersion, ServerInfo: res.ServerInfo, Capabilities: res.Capabilities,
		Instructions: res.Instructions}, nil
}

// MCPTools lists the server's tools (every page).
func MCPTools(ctx context.Context, g *Guard, t MCPTarget) ([]mcp.Tool, error) {
	c, res, err := t.connect(ctx, g)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	if res.Capabilities.Tools == nil {
		return []mcp.Tool{}, nil // the server offers no tools
	}
	list, err := c.ListTools(ctx, mcp.ListToolsRequest{})
	if err != nil {
		return nil, Fail(ctx, "url", "MCP tools/list", err)
	}
	if list.Tools == nil {
		return []mcp.Tool{}, nil
	}
	return list.Tools, nil
}

// MCPCallResult is a tool's answer; a JSON-RPC error of the call (an
// unknown tool, bad arguments) is an answer too, in Error.
type MCPCallResult struct {
	Content           any    `json:"content"`
	StructuredContent any    `json:"structuredContent,omitempty"`
	IsError           bool   `json:"isError"`
	Error             string `json:"error,omitempty"`
}

// MCPCall calls the tool name with arguments (a JSON object or nothing).
func MCPCall(ctx context.Context, g *Guard, t MCPTarget, name string, arguments json.RawMessage) (*MCPCallResult, error) {
	if name == "" {
		return nil, Inputf("name", "is required: the tool to call")
	}
	var args map[string]any
	if len(arguments) > 0 && string(arguments) != "null" {
		if err := json.Unmarshal(arguments, &args); err != nil {
			return nil, Inputf("arguments", "must be a JSON object of the tool's arguments")
		}
	}
	c, _, err := t.connect(ctx, g)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	req := mcp.CallToolRequest{}
	req.Params.Name, req.Params.Arguments = name, args
	res, err := c.CallTool(ctx, req)
	if err != nil {
		var te *transport.Error
		if errors.As(err, &te) || ctx.Err() != nil {
			return nil, Fail(ctx, "url", fmt.Sprintf("MCP tools/call %s", name), err)
		}
		return &MCPCallResult{Content: []any{}, IsError: true, Error: err.Error()}, nil
	}
	out := &MCPCallResult{Content: []any{}, StructuredContent: res.StructuredContent, IsError: res.IsError}
	if len(res.Content) > 0 {
		out.Content = res.Content
	}
	if len(res.RawStructuredContent) > 0 {
		out.StructuredContent = res.RawStructuredContent // the server's JSON as it was
	}
	return out, nil
}
