package mcpgen

import (
	"encoding/json"
	"sort"
	"strings"

	"github.com/mockarty-oss/mockarty/host/internal/generate/fakes"
)

// A tool's sample answer is the JSON text of a value of its outputSchema,
// written as a template: strings are fakers chosen by format and name
// ("$.fake.Email"), numbers and booleans fakers without quotes, so each
// call renders fresh data that still parses as JSON. Values the schema
// fixes (const, enum, example, default) are kept as they are.

// maxDepth keeps recursive or deep schemas small.
const maxDepth = 4

// sampleText writes the template text of a value of schema.
func sampleText(schema json.RawMessage) string {
	var s map[string]any
	if json.Unmarshal(schema, &s) != nil {
		return "{}"
	}
	var sb strings.Builder
	w := &sampler{root: s}
	w.value(&sb, s, "", 0)
	return sb.String()
}

type sampler struct{ root map[string]any }

func (w *sampler) value(sb *strings.Builder, s map[string]any, name string, depth int) {
	s = w.resolve(s, depth)
	for _, key := range []string{"const", "example", "default"} {
		if v, ok := s[key]; ok && safeLiteral(v) {
			writeLiteral(sb, v)
			return
		}
	}
	if ex, ok := s["examples"].([]any); ok && len(ex) > 0 && safeLiteral(ex[0]) {
		writeLiteral(sb, ex[0])
		return
	}
	if enum, ok := s["enum"].([]any); ok && len(enum) > 0 && safeLiteral(enum[0]) {
		writeLiteral(sb, enum[0])
		return
	}
	switch schemaType(s) {
	case "object":
		if depth >= maxDepth {
			sb.WriteString("{}")
			return
		}
		props, _ := s["properties"].(map[string]any)
		names := make([]string, 0, len(props))
		for k := range props {
			names = append(names, k)
		}
		sort.Strings(names)
		sb.WriteByte('{')
		for i, k := range names {
			if i > 0 {
				sb.WriteByte(',')
			}
			writeLiteral(sb, k)
			sb.WriteByte(':')
			ps, _ := props[k].(map[string]any)
			w.value(sb, ps, k, depth+1)
		}
		sb.WriteByte('}')
	case "array":
		if depth >= maxDepth {
			sb.WriteString("[]")
			return
		}
		items, _ := s["items"].(map[string]any)
		sb.WriteByte('[')
		w.value(sb, items, strings.TrimSuffix(name, "s"), depth+1)
		sb.WriteByte(']')
	case "integer":
		sb.WriteString(fakes.Int(name))
	case "number":
		sb.WriteString(fakes.Float(name))
	case "boolean":
		sb.WriteString("$.fake.Bool")
	case "null":
		sb.WriteString("null")
	default:
		sb.WriteString(`"` + stringFaker(name, s) + `"`)
	}
}

// resolve follows a local $ref and takes the first branch of
// oneOf/anyOf, and the merged properties of allOf.
func (w *sampler) resolve(s map[string]any, depth int) map[string]any {
	for range maxDepth {
		if s == nil {
			return map[string]any{}
		}
		if ref, ok := s["$ref"].(string); ok {
			s = w.lookup(ref)
			continue
		}
		for _, k := range []string{"oneOf", "anyOf"} {
			if list, ok := s[k].([]any); ok && len(list) > 0 {
				first, _ := list[0].(map[string]any)
				s = first
			}
		}
		if list, ok := s["allOf"].([]any); ok && len(list) > 0 {
			merged := map[string]any{"type": "object"}
			props := map[string]any{}
			for _, part := range list {
				if depth >= maxDepth {
					break // an allOf that leads back to itself
				}
				p, _ := part.(map[string]any)
				p = w.resolve(p, depth+1)
				if pp, ok := p["properties"].(map[string]any); ok {
					for k, v := range pp {
						props[k] = v
					}
				}
			}
			merged["properties"] = props
			return merged
		}
		return s
	}
	return map[string]any{}
}

func (w *sampler) lookup(ref string) map[string]any {
	if ref == "#" {
		return w.root // recursion ends at maxDepth
	}
	for _, prefix := range []string{"#/$defs/", "#/definitions/"} {
		if name, ok := strings.CutPrefix(ref, prefix); ok {
			defs, _ := w.root[strings.Trim(prefix[2:], "/")].(map[string]any)
			s, _ := defs[name].(map[string]any)
			return s
		}
	}
	return nil
}

// schemaType is the schema's type: the first that is not null of a list,
// else what its keywords imply.
func schemaType(s map[string]any) string {
	switch t := s["type"].(type) {
	case string:
		return t
	case []any:
		for _, x := range t {
			if name, ok := x.(string); ok && name != "null" {
				return name
			}
		}
	}
	switch {
	case s["properties"] != nil:
		return "object"
	case s["items"] != nil:
		return "array"
	}
	return "string"
}

// safeLiteral: a fixed value is written as it is unless it holds text the
// template engine would read as an expression.
func safeLiteral(v any) bool {
	b, err := json.Marshal(v)
	return err == nil && !strings.Contains(string(b), "$.")
}

func writeLiteral(sb *strings.Builder, v any) {
	b, _ := json.Marshal(v)
	sb.Write(b)
}

// stringFaker picks a faker by the string's format, then by its name.
func stringFaker(name string, s map[string]any) string {
	if f, _ := s["format"].(string); f != "" {
		if v := fakes.Format(f); v != "" {
			return v
		}
	}
	return fakes.String(name)
}
