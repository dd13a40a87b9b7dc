package engine

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// The schema_aware strategy: from the description's constraints, values
// just inside the bounds (valid: rejecting one is a finding) and just
// outside (invalid: accepting one is a finding) of each query parameter
// and JSON body field, and each required body field left out.

// boundary is one value a schema constrains, and whether it fits.
type boundary struct {
	value any
	valid bool
	why   string // "maximum 1000 + 1"
}

// maxBoundaryString bounds the strings made for maxLength.
const maxBoundaryString = 10_000

// boundaries are the values at a schema's edges.
func boundaries(s *openapi3.Schema) []boundary {
	if s == nil {
		return nil
	}
	var out []boundary
	add := func(v any, valid bool, format string, args ...any) {
		out = append(out, boundary{value: v, valid: valid, why: fmt.Sprintf(format, args...)})
	}
	typ := ""
	if s.Type != nil && len(*s.Type) == 1 {
		typ = (*s.Type)[0]
	}
	switch typ {
	case openapi3.TypeInteger, openapi3.TypeNumber:
		step := 1.0
		if typ == openapi3.TypeNumber && !isWhole(s.Min) && !isWhole(s.Max) {
			step = 0.01
		}
		lo, loEx := s.Min, s.ExclusiveMin.IsTrue()
		if v := s.ExclusiveMin.Value; v != nil { // 3.1: the bound itself
			lo, loEx = v, true
		}
		hi, hiEx := s.Max, s.ExclusiveMax.IsTrue()
		if v := s.ExclusiveMax.Value; v != nil {
			hi, hiEx = v, true
		}
		if lo != nil {
			if loEx {
				add(*lo+step, true, "exclusiveMinimum %v + %v", *lo, step)
				add(*lo, false, "exclusiveMinimum %v", *lo)
			} else {
				add(*lo, true, "minimum %v", *lo)
				add(*lo-step, false, "minimum %v - %v", *lo, step)
			}
		}
		if hi != nil {
			if hiEx {
				add(*hi-step, true, "exclusiveMaximum %v - %v", *hi, step)
				add(*hi, false, "exclusiveMaximum %v", *hi)
			} else {
				add(*hi, true, "maximum %v", *hi)
				add(*hi+step, false, "maximum %v + %v", *hi, step)
			}
		}
	case openapi3.TypeString:
		if len(s.Enum) == 0 && s.Pattern == "" && s.Format == "" {
			if s.MinLength > 0 && s.MinLength <= maxBoundaryString {
				add(strings.Repeat("a", int(s.MinLength)), true, "minLength %d", s.MinLength)
				add(strings.Repeat("a", int(s.MinLength)-1), false, "minLength %d - 1", s.MinLength)
			}
			if s.MaxLength != nil && *s.MaxLength < maxBoundaryString {
				add(strings.Repeat("a", int(*s.MaxLength)), true, "maxLength %d", *s.MaxLength)
				add(strings.Repeat("a", int(*s.MaxLength)+1), false, "maxLength %d + 1", *s.MaxLength)
			}
		}
		switch s.Format {
		case "email":
			add("not-an-email", false, "format email")
		case "uuid":
			add("not-a-uuid", false, "format uuid")
		case "date-time":
			add("not-a-date", false, "format date-time")
		}
	}
	if len(s.Enum) > 0 {
		for i, v := range s.Enum {
			if i == 5 {
				break
			}
			add(v, true, "enum value %v", v)
		}
		if typ == openapi3.TypeString || typ == "" {
			add("mockarty-not-in-enum", false, "not one of the enum")
		}
	}
	return out
}

func isWhole(f *float64) bool { return f == nil || *f == math.Trunc(*f) }

// schemaProbes are the schema_aware requests of an operation.
func (r *run) schemaProbes(op *operation) []*probe {
	if op.spec == nil {
		return nil
	}
	var out []*probe
	add := func(name string, b boundary, req *request) {
		shown, _ := json.Marshal(b.value)
		if b.value == nil {
			shown = []byte("left out")
		}
		out = append(out, &probe{op: op, req: req, category: "schema_violation", invalid: !b.valid, valid: b.valid,
			mutation: fmt.Sprintf("%s: %s (%s)", name, shown, b.why)})
	}
	params := append(openapi3.Parameters{}, op.spec.item.Parameters...)
	params = append(params, op.spec.op.Parameters...)
	for _, pr := range params {
		p := pr.Value
		if p == nil || p.In != openapi3.ParameterInQuery || p.Schema == nil || op.query.Get(p.Name) == "" {
			continue
		}
		for _, b := range boundaries(p.Schema.Value) {
			add("query "+p.Name, b, op.withQuery(p.Name, text(b.value)))
		}
	}
	if rb := op.spec.op.RequestBody; rb != nil && rb.Value != nil && op.jsonBody != nil {
		if mt := rb.Value.Content.Get("application/json"); mt != nil && mt.Schema != nil {
			bodyProbes(op, mt.Schema.Value, nil, 0, add)
		}
	}
	return out
}

// bodyProbes walks an object schema beside the body: boundaries of each
// field the body has, and each required field left out.
func bodyProbes(op *operation, s *openapi3.Schema, path []string, depth int, add func(string, boundary, *request)) {
	if s == nil || depth > 3 {
		return
	}
	cur, ok := walkJSON(op.jsonBody, path)
	obj, isObj := cur.(map[string]any)
	if !ok || !isObj {
		return
	}
	names := make([]string, 0, len(s.Properties))
	for name := range s.Properties {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		prop := s.Properties[name]
		if _, there := obj[name]; !there || prop == nil || prop.Value == nil {
			continue
		}
		p := append(append([]string{}, path...), name)
		field := "body $." + strings.Join(p, ".")
		if slices.Contains(s.Required, name) {
			add(field, boundary{why: "required"}, op.withoutJSON(p))
		}
		if prop.Value.Type != nil && prop.Value.Type.Is(openapi3.TypeObject) {
			bodyProbes(op, prop.Value, p, depth+1, add)
			continue
		}
		for _, b := range boundaries(prop.Value) {
			add(field, b, op.withJSON(p, b.value))
		}
	}
}
