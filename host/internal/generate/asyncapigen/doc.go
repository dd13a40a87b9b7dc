package asyncapigen

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/mockarty-oss/mockarty/host/internal/generate"
	"github.com/mockarty-oss/mockarty/host/internal/openapi"
	"gopkg.in/yaml.v3"
)

// doc is a parsed description: its values (objects as map[string]any)
// and, where the text was YAML or JSON that YAML reads, its node tree,
// which knows the lines and the order of the keys.
type doc struct {
	root  any
	node  *yaml.Node // nil: no line numbers, keys in sorted order
	nodes int        // values made so far (aliases can repeat a subtree)
}

// maxNodes bounds the values of one description, aliases expanded: a
// few YAML aliases can otherwise stand for billions of values.
const maxNodes = 2_000_000

// parse reads a JSON or YAML document. Errors are *generate.InputError on
// "spec" naming the line (and column, for JSON) where the text breaks.
func parse(data []byte) (*doc, error) {
	if len(data) > openapi.MaxSpecBytes {
		return nil, generate.Inputf("spec", "is %d bytes; at most %d (%d MiB) are read", len(data), openapi.MaxSpecBytes, openapi.MaxSpecBytes>>20)
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	if len(trimmed) == 0 {
		return nil, generate.Inputf("spec", "is empty: send an AsyncAPI document (JSON or YAML) or an event list {\"events\": [...]}")
	}
	isJSON := trimmed[0] == '{' || trimmed[0] == '['
	var jsonValue any
	if isJSON {
		if err := json.Unmarshal(data, &jsonValue); err != nil {
			return nil, generate.Inputf("spec", "is not valid JSON: %s", generate.JSONWhere(data, err))
		}
	}
	var node yaml.Node
	if err := yaml.Unmarshal(data, &node); err != nil {
		if isJSON {
			// Valid JSON that YAML refuses (tabs where YAML wants spaces):
			// the values without line numbers.
			return &doc{root: jsonValue}, nil
		}
		return nil, generate.Inputf("spec", "is not valid YAML or JSON: %s", strings.TrimPrefix(err.Error(), "yaml: "))
	}
	d := &doc{node: &node}
	root, err := d.value(&node, "", 0)
	if err != nil {
		return nil, err
	}
	d.root = root
	return d, nil
}

// value converts a YAML node into plain values: objects become
// map[string]any, numbers int or float64, as encoding/json would give.
func (d *doc) value(n *yaml.Node, ptr string, depth int) (any, error) {
	d.nodes++
	if d.nodes > maxNodes || depth > 512 {
		return nil, d.errf(ptr, "is too large or nests too deep (YAML aliases expanding?)")
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		return d.value(n.Content[0], ptr, depth+1)
	case yaml.AliasNode:
		return d.value(n.Alias, ptr, depth+1)
	case yaml.SequenceNode:
		out := make([]any, 0, len(n.Content))
		for i, c := range n.Content {
			v, err := d.value(c, ptr+"/"+strconv.Itoa(i), depth+1)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case yaml.MappingNode:
		out := make(map[string]any, len(n.Content)/2)
		var merges []*yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Tag == "!!merge" {
				merges = append(merges, v)
				continue
			}
			val, err := d.value(v, ptr+"/"+escape(k.Value), depth+1)
			if err != nil {
				return nil, err
			}
			out[k.Value] = val
		}
		// "<<: *base" fills in the keys the mapping does not set itself.
		for _, m := range merges {
			mv, err := d.value(m, ptr, depth+1)
			if err != nil {
				return nil, err
			}
			for _, part := range asList(mv) {
				if pm, ok := part.(map[string]any); ok {
					for k, v := range pm {
						if _, set := out[k]; !set {
							out[k] = v
						}
					}
				}
			}
		}
		return out, nil
	}
	return scalar(n), nil
}

func asList(v any) []any {
	if l, ok := v.([]any); ok {
		return l
	}
	return []any{v}
}

// scalar is a YAML scalar as JSON would hold it; timestamps and other
// tags stay text.
func scalar(n *yaml.Node) any {
	switch n.Tag {
	case "!!null":
		return nil
	case "!!bool":
		var b bool
		if n.Decode(&b) == nil {
			return b
		}
	case "!!int":
		var i int64
		if n.Decode(&i) == nil {
			return int(i)
		}
		var f float64
		if n.Decode(&f) == nil {
			return f
		}
	case "!!float":
		var f float64
		if n.Decode(&f) == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
			return f
		}
	}
	return n.Value
}

// escape is a key as a JSON pointer segment (RFC 6901).
func escape(k string) string {
	return strings.ReplaceAll(strings.ReplaceAll(k, "~", "~0"), "/", "~1")
}

// segments splits a JSON pointer ("/a/b~1c") into its keys.
func segments(ptr string) []string {
	if ptr == "" {
		return nil
	}
	parts := strings.Split(strings.TrimPrefix(ptr, "/"), "/")
	for i, p := range parts {
		parts[i] = strings.ReplaceAll(strings.ReplaceAll(p, "~1", "/"), "~0", "~")
	}
	return parts
}

// fragmentPointer is the JSON pointer of a $ref's fragment, which is a
// URI fragment and so may be percent-encoded ("#/channels/user%2Fsignup").
func fragmentPointer(frag string) string {
	parts := strings.Split(frag, "/")
	for i, p := range parts {
		if u, err := url.PathUnescape(p); err == nil {
			parts[i] = strings.ReplaceAll(u, "/", "~1")
		}
	}
	return strings.Join(parts, "/")
}

// at is the value at a JSON pointer, and whether there is one.
func (d *doc) at(ptr string) (any, bool) {
	cur := d.root
	for _, s := range segments(ptr) {
		switch c := cur.(type) {
		case map[string]any:
			v, ok := c[s]
			if !ok {
				return nil, false
			}
			cur = v
		case []any:
			i, err := strconv.Atoi(s)
			if err != nil || i < 0 || i >= len(c) {
				return nil, false
			}
			cur = c[i]
		default:
			return nil, false
		}
	}
	return cur, true
}

// yamlAt is the node of the value at ptr (nil when unknown).
func (d *doc) yamlAt(ptr string) (key, value *yaml.Node) {
	if d.node == nil || len(d.node.Content) == 0 {
		return nil, nil
	}
	cur := d.node.Content[0]
	for _, s := range segments(ptr) {
		for cur.Kind == yaml.AliasNode {
			cur = cur.Alias
		}
		switch cur.Kind {
		case yaml.MappingNode:
			found := false
			for i := 0; i+1 < len(cur.Content); i += 2 {
				if cur.Content[i].Value == s {
					key, cur, found = cur.Content[i], cur.Content[i+1], true
					break
				}
			}
			if !found {
				return nil, nil
			}
		case yaml.SequenceNode:
			i, err := strconv.Atoi(s)
			if err != nil || i < 0 || i >= len(cur.Content) {
				return nil, nil
			}
			key, cur = cur.Content[i], cur.Content[i]
		default:
			return nil, nil
		}
	}
	for cur.Kind == yaml.AliasNode {
		cur = cur.Alias
	}
	return key, cur
}

// where names a place of the document: its line, when known, and its
// JSON pointer.
func (d *doc) where(ptr string) string {
	p := "#" + ptr
	switch {
	case ptr == "":
		p = "the document"
	case len(p) > 200:
		p = p[:200] + "…"
	}
	for q := ptr; ; {
		if key, _ := d.yamlAt(q); key != nil {
			return fmt.Sprintf("line %d (%s)", key.Line, p)
		}
		i := strings.LastIndexByte(q, '/')
		if i < 0 {
			return p
		}
		q = q[:i]
	}
}

// errf is a bad input at ptr.
func (d *doc) errf(ptr, format string, args ...any) error {
	return generate.Inputf("spec", "%s: %s", d.where(ptr), fmt.Sprintf(format, args...))
}

// keys are an object's keys in the order the document writes them
// (sorted when the order is not known).
func (d *doc) keys(ptr string, m map[string]any) []string {
	out := make([]string, 0, len(m))
	if _, n := d.yamlAt(ptr); n != nil && n.Kind == yaml.MappingNode {
		seen := make(map[string]bool, len(m))
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i].Value
			if _, ok := m[k]; ok && !seen[k] {
				seen[k] = true
				out = append(out, k)
			}
		}
		if len(out) == len(m) {
			return out
		}
		out = out[:0]
	}
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// maxRefHops bounds a chain of $refs (a $ref to a $ref ...).
const maxRefHops = 32

// target is the pointer a $ref names; only references inside the
// document are followed.
func (d *doc) target(ref, at string) (string, error) {
	if !strings.HasPrefix(ref, "#") {
		return "", d.errf(at, "$ref %q points into another document: upload one self-contained file (bundle it first, e.g. with `asyncapi bundle`)", ref)
	}
	ptr := fragmentPointer(strings.TrimPrefix(ref, "#"))
	if _, ok := d.at(ptr); !ok {
		return "", d.errf(at, "$ref %q points to nothing in the document", ref)
	}
	return ptr, nil
}

// object is the object at ptr with its $refs followed: the object and
// where it really is. A value that is not an object is an error naming
// what was expected.
func (d *doc) object(v any, ptr, what string) (map[string]any, string, error) {
	for hop := 0; ; hop++ {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, ptr, d.errf(ptr, "%s must be an object", what)
		}
		ref, isRef := m["$ref"].(string)
		if !isRef {
			return m, ptr, nil
		}
		if hop == maxRefHops {
			return nil, ptr, d.errf(ptr, "$ref %q: too many references in a row (a loop?)", ref)
		}
		next, err := d.target(ref, ptr+"/$ref")
		if err != nil {
			return nil, ptr, err
		}
		v, _ = d.at(next)
		ptr = next
	}
}
