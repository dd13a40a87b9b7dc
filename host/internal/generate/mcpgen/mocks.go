package mcpgen

import (
	"encoding/json"
	"sort"
	"strings"

	"github.com/mockarty-oss/mockarty/host/internal/generate"
	"github.com/mockarty-oss/mockarty/host/internal/model"
)

// mocks makes one mock per tool, resource and prompt. Ids are stable
// (prefix, serverName, kind and name), so generating again finds the same
// mocks.
func mocks(d *description, in *Input) []*model.Mock {
	prefix := in.IDPrefix
	if in.ServerName != "" {
		prefix += "-" + in.ServerName
	}
	base := func(kind, name string) *model.Mock {
		return &model.Mock{ID: generate.MockID(prefix, kind, name), Namespace: in.Namespace, ServerName: in.ServerName,
			Tags: []string{"generated", "mcp"}}
	}
	out := make([]*model.Mock, 0, len(d.Tools)+len(d.Resources)+len(d.Prompts))
	for _, t := range d.Tools {
		m := base("tool", t.Name)
		m.MCP = &model.MCPContext{Method: model.MCPToolsCall, Tool: t.Name, Description: firstOf(t.Description, t.Title),
			InputSchema: t.InputSchema}
		text := t.Name + " called with $.req"
		if len(t.OutputSchema) > 0 {
			text = sampleText(t.OutputSchema)
		}
		m.Response = &model.ContentResponse{Payload: mustJSON(map[string]any{
			"content": []any{map[string]any{"type": "text", "text": text}},
		})}
		out = append(out, m)
	}
	for _, r := range d.Resources {
		m := base("resource", r.URI)
		m.MCP = &model.MCPContext{Method: model.MCPResourcesRead, Resource: r.URI, Description: firstOf(r.Description, r.Title),
			MimeType: r.MimeType}
		name := firstOf(r.Name, r.URI)
		text := "Contents of " + name
		if strings.Contains(r.MimeType, "json") {
			text = string(mustJSON(map[string]any{"name": name}))
		}
		content := map[string]any{"uri": r.URI, "text": text}
		if r.MimeType != "" {
			content["mimeType"] = r.MimeType
		}
		m.Response = &model.ContentResponse{Payload: mustJSON(map[string]any{"contents": []any{content}})}
		out = append(out, m)
	}
	for _, p := range d.Prompts {
		m := base("prompt", p.Name)
		desc := firstOf(p.Description, p.Title)
		m.MCP = &model.MCPContext{Method: model.MCPPromptsGet, Prompt: p.Name, Description: desc,
			InputSchema: promptSchema(p)}
		// The text names every argument, read from the call.
		text := "Prompt " + p.Name
		for i, a := range p.Arguments {
			sep := ", "
			if i == 0 {
				sep = " with "
			}
			text += sep + a.Name + ": $.req." + a.Name
		}
		body := map[string]any{"messages": []any{map[string]any{"role": "user",
			"content": map[string]any{"type": "text", "text": text}}}}
		if desc != "" {
			body["description"] = desc
		}
		m.Response = &model.ContentResponse{Payload: mustJSON(body)}
		out = append(out, m)
	}
	return out
}

// promptSchema describes a prompt's arguments as the input schema the MCP
// listener lists them from (prompt arguments are strings).
func promptSchema(p promptSpec) json.RawMessage {
	if len(p.Arguments) == 0 {
		return nil
	}
	props := map[string]any{}
	var required []string
	for _, a := range p.Arguments {
		prop := map[string]any{"type": "string"}
		if a.Description != "" {
			prop["description"] = a.Description
		}
		props[a.Name] = prop
		if a.Required {
			required = append(required, a.Name)
		}
	}
	s := map[string]any{"type": "object", "properties": props}
	if len(required) > 0 {
		sort.Strings(required)
		s["required"] = required
	}
	return mustJSON(s)
}

func firstOf(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

// mustJSON encodes values built here: maps, strings and compacted JSON,
// whose encoding cannot fail.
func mustJSON(v any) json.RawMessage {
	b, _ := json.Marshal(v)
	return b
}
