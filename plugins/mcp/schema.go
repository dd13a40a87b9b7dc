package main

import (
	"bytes"
	"encoding/json"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// A tool's input schema is the mock's mcp.inputSchema. Without one it is
// derived from the conditions of the tool's mocks: each path ($.city,
// $.req.address.zip, $.items[0].id) is a property, typed by the condition's
// value, and required when every mock needs it present to match (an
// agent that leaves it out could match none of them).

// explicitSchema returns the first mcp.inputSchema of the group that is a
// JSON object.
func explicitSchema(group []*mockDoc) map[string]any {
	for _, m := range group {
		if len(m.MCP.InputSchema) == 0 {
			continue
		}
		var s map[string]any
		if json.Unmarshal(m.MCP.InputSchema, &s) == nil && s != nil {
			return s
		}
	}
	return nil
}

func toolSchema(group []*mockDoc) json.RawMessage {
	s := explicitSchema(group)
	if s == nil {
		s = deriveSchema(group)
	}
	if _, ok := s["type"]; !ok {
		s["type"] = "object" // MCP requires an object schema
	}
	b, _ := json.Marshal(s)
	return b
}

// promptArgs are a prompt's arguments: the properties of its inputSchema,
// else those derived from the conditions (prompt arguments are strings).
func promptArgs(group []*mockDoc) []promptArg {
	s := explicitSchema(group)
	if s == nil {
		s = deriveSchema(group)
	}
	props, _ := s["properties"].(map[string]any)
	required := map[string]bool{}
	switch list := s["required"].(type) {
	case []any: // read from mcp.inputSchema
		for _, r := range list {
			if name, ok := r.(string); ok {
				required[name] = true
			}
		}
	case []string: // derived
		for _, name := range list {
			required[name] = true
		}
	}
	names := make([]string, 0, len(props))
	for name := range props {
		names = append(names, name)
	}
	sort.Strings(names)
	out := make([]promptArg, 0, len(names))
	for _, name := range names {
		a := promptArg{Name: name, Required: required[name]}
		if p, ok := props[name].(map[string]any); ok {
			a.Description, _ = p["description"].(string)
		}
		out = append(out, a)
	}
	return out
}

// schemaNode is one property of a derived schema.
type schemaNode struct {
	types      map[string]bool // JSON Schema types seen ("" for unknown)
	children   map[string]*schemaNode
	items      *schemaNode  // for [n] segments
	mentioned  map[int]bool // mocks with a condition under this node
	requiredBy map[int]bool // mocks that need this node present
}

func newNode() *schemaNode {
	return &schemaNode{types: map[string]bool{}, mentioned: map[int]bool{}, requiredBy: map[int]bool{}}
}

func deriveSchema(group []*mockDoc) map[string]any {
	root := newNode()
	for i, m := range group {
		root.mentioned[i] = true
		for _, c := range m.MCP.Conditions {
			segs, exact := conditionPath(c.Path)
			if len(segs) == 0 {
				continue
			}
			present := requiresPresence(c.AssertAction)
			n := root
			for j, s := range segs {
				var next *schemaNode
				if s == "[]" {
					if n.items == nil {
						n.items = newNode()
					}
					n.types["array"] = true
					next = n.items
				} else {
					if n.children == nil {
						n.children = map[string]*schemaNode{}
					}
					if n.children[s] == nil {
						n.children[s] = newNode()
					}
					if n != root {
						n.types["object"] = true
					}
					next = n.children[s]
				}
				next.mentioned[i] = true
				if present && exact {
					next.requiredBy[i] = true
				}
				n = next
				if j == len(segs)-1 && exact {
					if t := valueType(c.AssertAction, c.Value); t != "" {
						n.types[t] = true
					}
				}
			}
		}
	}
	root.types["object"] = true
	return root.schema()
}

// schema renders a node: its type when the conditions agree on one.
func (n *schemaNode) schema() map[string]any {
	out := map[string]any{}
	if n.children != nil {
		n.types["object"] = true
		delete(n.types, "string") // a string cannot have fields: a typo, or contains on text
	}
	if len(n.types) == 2 && n.types["integer"] && n.types["number"] {
		delete(n.types, "integer")
	}
	if len(n.types) == 1 {
		for t := range n.types {
			out["type"] = t
		}
	}
	if n.children != nil {
		props := map[string]any{}
		var required []string
		for name, c := range n.children {
			props[name] = c.schema()
			if len(c.requiredBy) > 0 && len(c.requiredBy) == len(n.mentioned) {
				required = append(required, name)
			}
		}
		out["properties"] = props
		if len(required) > 0 {
			sort.Strings(required)
			out["required"] = required
		}
	} else if n.types["object"] {
		out["properties"] = map[string]any{}
	}
	if n.items != nil {
		out["items"] = n.items.schema()
	}
	return out
}

// requiresPresence: the operators that fail on a missing value.
func requiresPresence(action string) bool {
	switch action {
	case "equals", "contains", "matches", "match", "notEmpty":
		return true
	}
	return false
}

// valueType is the JSON Schema type a condition's value implies ("" when
// it implies none).
func valueType(action string, raw json.RawMessage) string {
	switch action {
	case "matches", "match":
		return "string"
	case "equals", "not_equals", "contains", "not_contains":
	default:
		return ""
	}
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return ""
	}
	var v any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if dec.Decode(&v) != nil {
		return ""
	}
	isContains := action == "contains" || action == "not_contains"
	switch x := v.(type) {
	case string:
		return "string" // contains on text, or equals a string
	case json.Number:
		if isContains {
			return "" // an element of an array of numbers, probably
		}
		if _, err := strconv.ParseInt(x.String(), 10, 64); err == nil {
			return "integer"
		}
		return "number"
	case bool:
		if isContains {
			return ""
		}
		return "boolean"
	case map[string]any:
		return "object"
	case []any:
		return "array"
	}
	return ""
}

var (
	identRE  = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_\-]*`)
	indexRE  = regexp.MustCompile(`^\[(\d+|\*)\]`)
	quotedRE = regexp.MustCompile(`^\[['"]([^'"]+)['"]\]`)
)

// conditionPath splits a condition path into property names ("[]" for an
// array element). exact is false when the path goes on with JSONPath the
// schema cannot say (filters, recursion): the segments read so far are
// still properties, but nothing is known about them.
func conditionPath(p string) (segs []string, exact bool) {
	p = strings.TrimSpace(p)
	p = strings.TrimPrefix(p, "$")
	if strings.HasPrefix(p, "..") { // recursive descent: any depth
		return nil, false
	}
	p = strings.TrimPrefix(p, ".")
	if p == "" {
		return nil, false
	}
	// $.req.x and $.body.x read the arguments like $.x.
	for _, root := range []string{"req", "body"} {
		if p == root {
			return nil, false
		}
		if strings.HasPrefix(p, root+".") || strings.HasPrefix(p, root+"[") {
			p = strings.TrimPrefix(strings.TrimPrefix(p, root), ".")
		}
	}
	for p != "" {
		switch {
		case strings.HasPrefix(p, ".."):
			return segs, false
		case strings.HasPrefix(p, "."):
			p = p[1:]
		case quotedRE.MatchString(p):
			m := quotedRE.FindStringSubmatch(p)
			segs = append(segs, m[1])
			p = p[len(m[0]):]
		case indexRE.MatchString(p):
			if len(segs) == 0 {
				return nil, false // the arguments are an object
			}
			segs = append(segs, "[]")
			p = p[len(indexRE.FindString(p)):]
		case identRE.MatchString(p):
			id := identRE.FindString(p)
			segs = append(segs, id)
			p = p[len(id):]
		default:
			return segs, false
		}
	}
	return segs, true
}
