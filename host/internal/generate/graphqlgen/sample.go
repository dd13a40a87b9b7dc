package graphqlgen

import (
	"strings"

	"github.com/mockarty-oss/mockarty/host/internal/generate/fakes"
	"github.com/vektah/gqlparser/v2/ast"
)

// Sample payloads: leaves are $.fake.* templates chosen by the field's
// type and name (rendered afresh on every call), objects have every field,
// lists two elements. Object nesting stops at maxDepth and the whole
// payload at valueBudget values, so a large schema (a GitHub-sized one,
// whose types all point at each other) still gives small mocks; past
// either limit a nullable object field is left out (null) and a non-null
// one gets only its leaf fields.

const (
	maxDepth    = 3
	valueBudget = 1500
)

type sampler struct {
	schema *ast.Schema
	budget int
}

// value is a sample of type t for a field called name.
func (s *sampler) value(t *ast.Type, name string, depth int) any {
	s.budget--
	if t.Elem != nil {
		n := 2
		if s.budget <= 0 {
			n = 1
		}
		out := make([]any, n)
		for i := range out {
			out[i] = s.value(t.Elem, name, depth)
		}
		return out
	}
	def := s.schema.Types[t.NamedType]
	if def == nil {
		return nil
	}
	switch def.Kind {
	case ast.Scalar:
		return scalar(def.Name, name)
	case ast.Enum:
		if len(def.EnumValues) > 0 {
			return def.EnumValues[0].Name
		}
		return nil
	case ast.Object, ast.Interface, ast.Union:
		return s.object(def, depth, false)
	}
	return nil // input objects are never output
}

// object samples an object type; for an interface or a union, its first
// object type, with __typename so the listener knows which it is. leaves
// keeps only the leaf fields.
func (s *sampler) object(def *ast.Definition, depth int, leaves bool) map[string]any {
	concrete, abstract := def, def.IsAbstractType()
	if abstract {
		concrete = s.firstObject(def)
		if concrete == nil {
			return map[string]any{}
		}
	}
	out := make(map[string]any, len(concrete.Fields)+1)
	if abstract {
		out["__typename"] = concrete.Name
	}
	for _, f := range concrete.Fields {
		if strings.HasPrefix(f.Name, "__") {
			continue
		}
		s.budget-- // every member counts, empty lists too
		fd := s.schema.Types[f.Type.Name()]
		if fd == nil || !fd.IsCompositeType() {
			out[f.Name] = s.value(f.Type, f.Name, depth)
			continue
		}
		switch {
		case !leaves && depth+1 < maxDepth && s.budget > 0:
			out[f.Name] = s.value(f.Type, f.Name, depth+1)
		case f.Type.NonNull && f.Type.Elem != nil:
			out[f.Name] = []any{} // an empty list is a valid non-null list
		case f.Type.NonNull:
			out[f.Name] = s.object(fd, depth+1, true)
		}
	}
	return out
}

// firstObject is the first object type of an interface or union (in SDL
// order).
func (s *sampler) firstObject(def *ast.Definition) *ast.Definition {
	if def.Kind == ast.Union {
		for _, n := range def.Types {
			if t := s.schema.Types[n]; t != nil && t.Kind == ast.Object {
				return t
			}
		}
		return nil
	}
	for _, p := range s.schema.GetPossibleTypes(def) {
		if p.Kind == ast.Object {
			return p
		}
	}
	return nil
}

// scalar is a leaf value: a faker by type and field name; custom scalars
// are strings, chosen by the scalar's name, else the field's.
func scalar(typeName, field string) any {
	switch typeName {
	case "ID":
		return "$.fake.UUID"
	case "Boolean":
		return "$.fake.Bool"
	case "Int":
		return fakes.Int(field)
	case "Float":
		return fakes.Float(field)
	case "String":
		return fakes.String(field)
	}
	if v := fakes.Custom(typeName); v != "" {
		return v
	}
	return fakes.String(field)
}
