package mcpgen

import (
	"bytes"
	"encoding/json"

	"github.com/mockarty-oss/mockarty/host/internal/generate"
)

// Tool is a tool a description lists.
type Tool struct {
	Name, Title, Description string
	// InputSchema is the tool's JSON Schema of its arguments, compacted
	// (nil when the description gives none).
	InputSchema json.RawMessage
}

// Tools reads the tools of a JSON description, in the forms Generate
// reads as Spec: {"tools": [...]} (also inside a JSON-RPC response's
// "result") or a bare array of tools. A bad description is a
// *generate.InputError on "spec" or "spec.tools[i]...".
func Tools(spec json.RawMessage) ([]Tool, error) {
	if len(bytes.TrimSpace(spec)) == 0 {
		return nil, generate.Inputf("spec", "is empty: send a tools list ({\"tools\": [...]} or an array of tools)")
	}
	d, err := parseSpec(spec)
	if err != nil {
		return nil, err
	}
	out := make([]Tool, 0, len(d.Tools))
	for _, t := range d.Tools {
		out = append(out, Tool{Name: t.Name, Title: t.Title, Description: t.Description, InputSchema: t.InputSchema})
	}
	return out, nil
}
