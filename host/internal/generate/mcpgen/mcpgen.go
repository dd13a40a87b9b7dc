// Package mcpgen makes MCP mocks from a description of an MCP server: one
// mock per tool, resource and prompt, read from a live server (tools/list,
// resources/list, prompts/list over streamable HTTP or SSE) or from a JSON
// description, so the MCP listener serves the same lists with sample
// answers a user then edits.
package mcpgen

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"

	"github.com/mockarty-oss/mockarty/host/internal/generate"
	"github.com/mockarty-oss/mockarty/host/internal/model"
)

// Input says what to read and how to name what is made.
type Input struct {
	Namespace, ServerName, IDPrefix string // IDPrefix default "mcp"
	// URL is a live MCP server whose lists are read.
	URL string
	// Transport of URL: "http" (streamable HTTP, the default) or "sse".
	Transport string
	// Headers are sent to the live server (authentication).
	Headers map[string]string
	// Spec, instead of URL: {"tools":[...], "resources":[...],
	// "prompts":[...]} (the shapes of the list results; a JSON-RPC
	// response's "result" is read too) or a bare array of tools.
	Spec json.RawMessage
	// HTTPClient, when set, is what talks to URL: the API hands one that
	// keeps to the addresses it allows. Nil: a client of this package.
	HTTPClient *http.Client
}

// Transports of a live server.
const (
	TransportHTTP = "http"
	TransportSSE  = "sse"
)

// Generate reads the description and makes the mocks. A bad input is a
// *generate.InputError; a live server that cannot be read is a
// *generate.UpstreamError.
func Generate(ctx context.Context, in Input) ([]*model.Mock, error) {
	if in.IDPrefix == "" {
		in.IDPrefix = "mcp"
	}
	d, err := describe(ctx, &in)
	if err != nil {
		return nil, err
	}
	return mocks(d, &in), nil
}

// describe reads the description from the spec or the live server.
func describe(ctx context.Context, in *Input) (*description, error) {
	hasSpec := len(bytes.TrimSpace(in.Spec)) > 0
	switch {
	case in.URL == "" && !hasSpec:
		return nil, generate.Inputf("url", "give the url of a live MCP server, or a spec")
	case in.URL != "" && hasSpec:
		return nil, generate.Inputf("spec", "give either url or spec, not both")
	case hasSpec:
		d, err := parseSpec(in.Spec)
		if err != nil {
			return nil, err
		}
		if len(d.Tools)+len(d.Resources)+len(d.Prompts) == 0 {
			return nil, generate.Inputf("spec", "describes no tools, resources or prompts")
		}
		return d, nil
	}
	switch in.Transport {
	case "", TransportHTTP, TransportSSE:
	default:
		return nil, generate.Inputf("transport", "must be %q (streamable HTTP) or %q, not %q", TransportHTTP, TransportSSE, in.Transport)
	}
	u, err := url.Parse(in.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, generate.Inputf("url", "must be an http:// or https:// URL, not %q", in.URL)
	}
	d, err := readLive(ctx, in)
	if err != nil {
		return nil, &generate.UpstreamError{Source: in.URL, Err: err}
	}
	return d, nil
}

// description is what a server offers, as its list results have it.
type description struct {
	Tools     []toolSpec     `json:"tools"`
	Resources []resourceSpec `json:"resources"`
	Prompts   []promptSpec   `json:"prompts"`
}

type toolSpec struct {
	Name         string          `json:"name"`
	Title        string          `json:"title"`
	Description  string          `json:"description"`
	InputSchema  json.RawMessage `json:"inputSchema"`
	InputSnake   json.RawMessage `json:"input_schema"` // the mock kits' spelling
	OutputSchema json.RawMessage `json:"outputSchema"`
}

type resourceSpec struct {
	URI         string `json:"uri"`
	Name        string `json:"name"`
	Title       string `json:"title"`
	Description string `json:"description"`
	MimeType    string `json:"mimeType"`
}

type promptSpec struct {
	Name        string `json:"name"`
	Title       string `json:"title"`
	Description string `json:"description"`
	Arguments   []struct {
		Name        string `json:"name"`
		Description string `json:"description"`
		Required    bool   `json:"required"`
	} `json:"arguments"`
}

// parseSpec reads a JSON description.
func parseSpec(raw json.RawMessage) (*description, error) {
	raw = bytes.TrimSpace(raw)
	d := &description{}
	if raw[0] == '[' {
		if err := json.Unmarshal(raw, &d.Tools); err != nil {
			return nil, generate.Inputf("spec", "is not an array of tools: %v", err)
		}
	} else {
		var probe map[string]json.RawMessage
		if err := json.Unmarshal(raw, &probe); err != nil {
			return nil, generate.Inputf("spec", "is not a JSON object or array: %v", err)
		}
		if r, ok := probe["result"]; ok && probe["tools"] == nil && probe["resources"] == nil && probe["prompts"] == nil {
			raw = r // a JSON-RPC response to tools/list
		}
		if err := json.Unmarshal(raw, d); err != nil {
			return nil, generate.Inputf("spec", "%v", err)
		}
	}
	if err := d.check("spec."); err != nil {
		return nil, err
	}
	return d, nil
}

// check refuses entries without names and names given twice, and tool
// schemas that are not objects.
func (d *description) check(prefix string) error {
	seen := map[string]bool{}
	for i := range d.Tools {
		t := &d.Tools[i]
		field := fmt.Sprintf("%stools[%d]", prefix, i)
		if t.Name == "" {
			return generate.Inputf(field+".name", "is required")
		}
		if seen["t:"+t.Name] {
			return generate.Inputf(field+".name", "tool %q is described twice", t.Name)
		}
		seen["t:"+t.Name] = true
		if len(t.InputSchema) == 0 {
			t.InputSchema = t.InputSnake
		}
		for name, s := range map[string]*json.RawMessage{"inputSchema": &t.InputSchema, "outputSchema": &t.OutputSchema} {
			if len(*s) == 0 || string(*s) == "null" {
				*s = nil
				continue
			}
			var obj map[string]any
			if json.Unmarshal(*s, &obj) != nil {
				return generate.Inputf(field+"."+name, "must be a JSON Schema object")
			}
			var buf bytes.Buffer
			_ = json.Compact(&buf, *s)
			*s = buf.Bytes()
		}
	}
	for i, r := range d.Resources {
		field := fmt.Sprintf("%sresources[%d]", prefix, i)
		if r.URI == "" {
			return generate.Inputf(field+".uri", "is required")
		}
		if seen["r:"+r.URI] {
			return generate.Inputf(field+".uri", "resource %q is described twice", r.URI)
		}
		seen["r:"+r.URI] = true
	}
	for i, p := range d.Prompts {
		field := fmt.Sprintf("%sprompts[%d]", prefix, i)
		if p.Name == "" {
			return generate.Inputf(field+".name", "is required")
		}
		if seen["p:"+p.Name] {
			return generate.Inputf(field+".name", "prompt %q is described twice", p.Name)
		}
		seen["p:"+p.Name] = true
		for j, a := range p.Arguments {
			if a.Name == "" {
				return generate.Inputf(fmt.Sprintf("%s.arguments[%d].name", field, j), "is required")
			}
		}
	}
	return nil
}
