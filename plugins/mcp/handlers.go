package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	"github.com/mockarty-oss/mockarty/sdk"
	"github.com/mockarty-oss/mockarty/sdk/find"
	"github.com/mockarty-oss/mockarty/sdk/listen"
)

// Every call is resolved by the host (FindMCP): the mock that answers is
// chosen there, by the tool, resource or prompt and the conditions on the
// arguments and headers. The answer's result is the MCP result body.

// find asks the host and waits the mock's delay. A miss is an
// *sdk.NoMatch, input the host refuses an sdk.ErrInvalidInput.
func (g *group) find(ctx context.Context, req *find.MCPRequest, header http.Header) (*find.MCPResponse, error) {
	req.Namespace, req.ServerName = g.ns, g.sn
	if len(header) > 0 {
		req.Headers = find.MultiMap(header)
	}
	resp, err := g.host.FindMCP(ctx, req)
	var nm *sdk.NoMatch
	if errors.Is(err, sdk.ErrInvalidInput) || errors.As(err, &nm) {
		return nil, err // the host answered: it refuses the arguments, or no mock matches
	}
	if err != nil {
		return nil, fmt.Errorf("the mock host did not answer: %w", err)
	}
	if !listen.Sleep(ctx, time.Duration(resp.Delay)*time.Millisecond) {
		return nil, ctx.Err()
	}
	return resp, nil
}

// callTool answers tools/call. A call no mock matches is a tool error
// (isError) naming why, so an agent sees it and can correct its arguments;
// so are arguments the host refuses (nested past its MAX_BODY_DEPTH), as
// MCP has input validation errors answered.
func (g *group) callTool(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
	args := req.Params.RawArguments
	if len(args) == 0 && req.Params.Arguments != nil {
		args, _ = json.Marshal(req.Params.Arguments)
	}
	resp, err := g.find(ctx, &find.MCPRequest{Method: "tools/call", Tool: req.Params.Name, Arguments: args}, req.Header)
	var nm *sdk.NoMatch
	switch {
	case errors.As(err, &nm):
		return &mcp.CallToolResult{Content: []mcp.Content{mcp.NewTextContent(noMatchText(nm))}, IsError: true}, nil
	case errors.Is(err, sdk.ErrInvalidInput):
		return &mcp.CallToolResult{Content: []mcp.Content{mcp.NewTextContent("invalid arguments: " + err.Error())}, IsError: true}, nil
	case err != nil:
		return nil, err
	}
	return toolResult(resp.Result, resp.IsError), nil
}

// toolResult turns a mock's payload into a CallToolResult: a result body
// ({"content": [...]}) as it is, any other JSON as a text content holding
// it (an object also as structuredContent), a string as its text.
func toolResult(raw json.RawMessage, isError bool) *mcp.CallToolResult {
	raw = bytes.TrimSpace(raw)
	out := &mcp.CallToolResult{Content: []mcp.Content{}}
	var probe map[string]json.RawMessage
	switch {
	case len(raw) == 0 || string(raw) == "null":
	case raw[0] == '"':
		var s string
		_ = json.Unmarshal(raw, &s)
		out.Content = []mcp.Content{mcp.NewTextContent(s)}
	case json.Unmarshal(raw, &probe) == nil && isArray(probe["content"]):
		var r mcp.CallToolResult
		if err := json.Unmarshal(raw, &r); err == nil {
			if r.Content == nil {
				r.Content = []mcp.Content{}
			}
			out = &r
			break
		}
		out.Content = []mcp.Content{mcp.NewTextContent(string(raw))} // content of unknown kinds: shown as sent
	default:
		out.Content = []mcp.Content{mcp.NewTextContent(string(raw))}
		if probe != nil {
			out.RawStructuredContent = raw
		}
	}
	out.IsError = out.IsError || isError
	return out
}

func isArray(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) > 0 && raw[0] == '['
}

// readResource answers resources/read of one listed resource. No match is
// a JSON-RPC error naming why; so is a mock with mcpIsError.
func (g *group) readResource(def resourceDef) server.ResourceHandlerFunc {
	return func(ctx context.Context, req mcp.ReadResourceRequest) ([]mcp.ResourceContents, error) {
		uri := req.Params.URI
		resp, err := g.find(ctx, &find.MCPRequest{Method: "resources/read", Resource: uri}, req.Header)
		var nm *sdk.NoMatch
		switch {
		case errors.As(err, &nm):
			return nil, errors.New(noMatchText(nm))
		case err != nil:
			return nil, err
		case resp.IsError:
			return nil, fmt.Errorf("resource %s: %s", uri, payloadText(resp.Result))
		}
		return resourceContents(resp.Result, uri, def.MimeType)
	}
}

// resourceContents turns a payload into resource contents: a result body
// ({"contents": [...]}, a missing uri filled in), else one text content
// holding the payload.
func resourceContents(raw json.RawMessage, uri, mimeType string) ([]mcp.ResourceContents, error) {
	raw = bytes.TrimSpace(raw)
	var body struct {
		Contents []map[string]any `json:"contents"`
	}
	if len(raw) > 0 && raw[0] == '{' && json.Unmarshal(raw, &body) == nil && body.Contents != nil {
		out := make([]mcp.ResourceContents, 0, len(body.Contents))
		for i, c := range body.Contents {
			if s, _ := c["uri"].(string); s == "" {
				c["uri"] = uri
			}
			if _, ok := c["mimeType"]; !ok && mimeType != "" {
				c["mimeType"] = mimeType
			}
			if _, text := c["text"].(string); !text {
				if _, blob := c["blob"].(string); !blob {
					return nil, fmt.Errorf("the mock's contents[%d] has neither text nor blob", i)
				}
			}
			rc, err := mcp.ParseResourceContents(c)
			if err != nil {
				return nil, fmt.Errorf("the mock's contents[%d]: %w", i, err)
			}
			out = append(out, rc)
		}
		return out, nil
	}
	if mimeType == "" {
		mimeType = "text/plain"
		if len(raw) > 0 && raw[0] != '"' {
			mimeType = "application/json"
		}
	}
	return []mcp.ResourceContents{mcp.TextResourceContents{URI: uri, MIMEType: mimeType, Text: payloadText(raw)}}, nil
}

// getPrompt answers prompts/get of one listed prompt.
func (g *group) getPrompt(def promptDef) server.PromptHandlerFunc {
	return func(ctx context.Context, req mcp.GetPromptRequest) (*mcp.GetPromptResult, error) {
		var args json.RawMessage
		if req.Params.Arguments != nil {
			args, _ = json.Marshal(req.Params.Arguments)
		}
		resp, err := g.find(ctx, &find.MCPRequest{Method: "prompts/get", Prompt: req.Params.Name, Arguments: args}, req.Header)
		var nm *sdk.NoMatch
		switch {
		case errors.As(err, &nm):
			return nil, errors.New(noMatchText(nm))
		case err != nil:
			return nil, err
		case resp.IsError:
			return nil, fmt.Errorf("prompt %s: %s", req.Params.Name, payloadText(resp.Result))
		}
		return promptResult(resp.Result, def.Description)
	}
}

// promptResult turns a payload into a prompt: a result body ({"messages":
// [...]}) as it is, else one user message holding the payload's text.
func promptResult(raw json.RawMessage, description string) (*mcp.GetPromptResult, error) {
	raw = bytes.TrimSpace(raw)
	var probe map[string]json.RawMessage
	if len(raw) > 0 && raw[0] == '{' && json.Unmarshal(raw, &probe) == nil && isArray(probe["messages"]) {
		r, err := mcp.ParseGetPromptResult(&raw)
		if err != nil {
			return nil, fmt.Errorf("the mock's prompt: %w", err)
		}
		if r.Description == "" {
			r.Description = description
		}
		return r, nil
	}
	return mcp.NewGetPromptResult(description, []mcp.PromptMessage{
		mcp.NewPromptMessage(mcp.RoleUser, mcp.NewTextContent(payloadText(raw))),
	}), nil
}

// payloadText is a payload as text: a string's text, other JSON as sent.
func payloadText(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	var s string
	if len(raw) > 0 && raw[0] == '"' && json.Unmarshal(raw, &s) == nil {
		return s
	}
	return string(raw)
}

// noMatchText says why no mock matched: the host's summary, then each
// candidate and the check it failed. Expected values are dropped (the host
// drops them too): a condition may hold a secret.
func noMatchText(nm *sdk.NoMatch) string {
	var sb strings.Builder
	sb.WriteString(nm.Message)
	if sb.Len() == 0 {
		sb.WriteString("no mock matches")
	}
	var cands []struct {
		MockID string `json:"mockId"`
		Reason string `json:"reason"`
		Where  string `json:"where"`
		Failed *struct {
			Path   string `json:"path"`
			Action string `json:"assertAction"`
			Actual any    `json:"actual"`
			Reason string `json:"reason"`
		} `json:"failedCondition"`
	}
	if len(nm.Candidates) > 0 && json.Unmarshal(nm.Candidates, &cands) == nil {
		for _, c := range cands {
			fmt.Fprintf(&sb, "\n- %s: %s", c.MockID, c.Reason)
			if f := c.Failed; f != nil {
				where := ""
				if c.Where != "" {
					where = " (" + c.Where + ")"
				}
				fmt.Fprintf(&sb, "%s: %s %s: %s", where, f.Path, f.Action, f.Reason)
				if f.Actual != nil {
					b, _ := json.Marshal(f.Actual)
					fmt.Fprintf(&sb, ", got %s", b)
				}
			}
		}
	}
	return sb.String()
}
