package main

import (
	"encoding/json"
	"net/url"
	"sort"
	"strings"
)

// What an MCP server lists is read from the mocks (ListMocks): each tool,
// resource and prompt once, however many mocks answer it with different
// conditions.

// mockDoc is the part of a mock's API JSON the catalog reads.
type mockDoc struct {
	ID         string `json:"id"`
	Namespace  string `json:"namespace"`
	ServerName string `json:"serverName"`
	// Description is not a field of the mock model today; a host that adds
	// one describes tools with it.
	Description string  `json:"description"`
	MCP         *mcpDoc `json:"mcp"`
}

type mcpDoc struct {
	Method      string          `json:"method"`
	Tool        string          `json:"tool"`
	Resource    string          `json:"resource"`
	Prompt      string          `json:"prompt"`
	Description string          `json:"description"`
	InputSchema json.RawMessage `json:"inputSchema"`
	MimeType    string          `json:"mimeType"`
	Conditions  []condition     `json:"conditions"`
}

type condition struct {
	Path         string          `json:"path"`
	AssertAction string          `json:"assertAction"`
	Value        json.RawMessage `json:"value"`
}

// The kinds of MCP mock, as the host keys them.
const (
	kindTool     = "tool"
	kindResource = "resource"
	kindPrompt   = "prompt"
)

// kind says what a mock answers and its name ("" for none).
func (m *mockDoc) kind() (string, string) {
	c := m.MCP
	switch {
	case c == nil:
		return "", ""
	case c.Prompt != "" || (c.Method == "prompts/get" && c.Tool == "" && c.Resource == ""):
		return kindPrompt, c.Prompt
	case c.Resource != "":
		return kindResource, c.Resource
	case c.Tool != "":
		return kindTool, c.Tool
	}
	return "", ""
}

func (m *mockDoc) description() string {
	if m.MCP != nil && m.MCP.Description != "" {
		return m.MCP.Description
	}
	return m.Description
}

// parseMocks reads the host's mock documents, skipping any it cannot read.
func parseMocks(raw []json.RawMessage) []*mockDoc {
	out := make([]*mockDoc, 0, len(raw))
	for _, r := range raw {
		var m mockDoc
		if json.Unmarshal(r, &m) != nil || m.ID == "" || m.MCP == nil {
			continue
		}
		out = append(out, &m)
	}
	// By id: the first description or schema found is the same on every
	// read, so a re-read without changes changes nothing.
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// toolDef, resourceDef and promptDef are what a server lists.
type toolDef struct {
	Name        string          `json:"name"`
	Description string          `json:"description,omitempty"`
	InputSchema json.RawMessage `json:"inputSchema"`
}

type resourceDef struct {
	URI         string `json:"uri"`
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	MimeType    string `json:"mimeType,omitempty"`
}

type promptArg struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	Required    bool   `json:"required,omitempty"`
}

type promptDef struct {
	Name        string      `json:"name"`
	Description string      `json:"description,omitempty"`
	Arguments   []promptArg `json:"arguments,omitempty"`
}

type catalog struct {
	Tools     []toolDef     `json:"tools"`
	Resources []resourceDef `json:"resources"`
	Prompts   []promptDef   `json:"prompts"`
}

// buildCatalog lists what the server of serverName offers: every mock for
// the namespace's server (""), else the mocks with that serverName.
func buildCatalog(mocks []*mockDoc, serverName string) *catalog {
	byName := map[string][]*mockDoc{}
	var order []string
	for _, m := range mocks {
		if serverName != "" && m.ServerName != serverName {
			continue
		}
		kind, name := m.kind()
		if kind == "" || name == "" {
			continue
		}
		key := kind + ":" + name
		if _, ok := byName[key]; !ok {
			order = append(order, key)
		}
		byName[key] = append(byName[key], m)
	}
	sort.Strings(order)
	c := &catalog{}
	for _, key := range order {
		group := byName[key]
		kind, name, _ := strings.Cut(key, ":")
		desc, mime := "", ""
		for _, m := range group {
			if desc == "" {
				desc = m.description()
			}
			if mime == "" {
				mime = m.MCP.MimeType
			}
		}
		switch kind {
		case kindTool:
			c.Tools = append(c.Tools, toolDef{Name: name, Description: desc, InputSchema: toolSchema(group)})
		case kindResource:
			c.Resources = append(c.Resources, resourceDef{URI: name, Name: resourceName(name), Description: desc, MimeType: mime})
		case kindPrompt:
			c.Prompts = append(c.Prompts, promptDef{Name: name, Description: desc, Arguments: promptArgs(group)})
		}
	}
	return c
}

// resourceName is a short name for a URI: its last path segment, else the
// URI itself.
func resourceName(uri string) string {
	u, err := url.Parse(uri)
	if err != nil {
		return uri
	}
	p := strings.Trim(u.Path, "/")
	if p == "" {
		p = strings.Trim(u.Opaque, "/")
	}
	if i := strings.LastIndex(p, "/"); i >= 0 {
		p = p[i+1:]
	}
	if p == "" {
		return uri
	}
	return p
}

// serverNames lists the serverNames the mocks use.
func serverNames(mocks []*mockDoc) map[string]bool {
	out := map[string]bool{}
	for _, m := range mocks {
		if m.ServerName != "" {
			out[m.ServerName] = true
		}
	}
	return out
}
