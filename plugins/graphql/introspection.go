package main

import (
	"sort"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
)

// Introspection: gqlparser validates queries but has no executor, so the
// __Schema, __Type, __Field, __InputValue, __EnumValue and __Directive
// objects of the spec are computed here over its ast.Schema, as resolvers
// the completion (complete.go) shapes like any other object. They are
// lazy: a type's fields are made only when selected, so the cycles of a
// schema (a type whose field returns itself) cost nothing.

type schemaObject struct{ s *ast.Schema }

func (o *schemaObject) typeName() string { return "__Schema" }

func (o *schemaObject) resolve(field string, _ map[string]any) any {
	switch field {
	case "description":
		return text(o.s.Description)
	case "types":
		names := make([]string, 0, len(o.s.Types))
		for n := range o.s.Types {
			names = append(names, n)
		}
		sort.Strings(names)
		out := make([]any, len(names))
		for i, n := range names {
			out[i] = &typeObject{s: o.s, def: o.s.Types[n]}
		}
		return out
	case "queryType":
		return namedType(o.s, o.s.Query)
	case "mutationType":
		return namedType(o.s, o.s.Mutation)
	case "subscriptionType":
		return namedType(o.s, o.s.Subscription)
	case "directives":
		names := make([]string, 0, len(o.s.Directives))
		for n := range o.s.Directives {
			names = append(names, n)
		}
		sort.Strings(names)
		out := make([]any, len(names))
		for i, n := range names {
			out[i] = &directiveObject{s: o.s, d: o.s.Directives[n]}
		}
		return out
	}
	return nil
}

// typeObject is a __Type: a named type (def), or a list or non-null
// wrapper (wrap).
type typeObject struct {
	s    *ast.Schema
	def  *ast.Definition
	wrap *ast.Type
}

func (o *typeObject) typeName() string { return "__Type" }

// namedType returns a __Type, or an untyped nil (a nil *typeObject in an
// interface would not be null).
func namedType(s *ast.Schema, def *ast.Definition) any {
	if def == nil {
		return nil
	}
	return &typeObject{s: s, def: def}
}

// typeRef is the __Type of a type reference.
func typeRef(s *ast.Schema, t *ast.Type) any {
	switch {
	case t == nil:
		return nil
	case t.NonNull || t.Elem != nil:
		return &typeObject{s: s, wrap: t}
	}
	return namedType(s, s.Types[t.NamedType])
}

func (o *typeObject) resolve(field string, args map[string]any) any {
	if o.wrap != nil {
		switch field {
		case "kind":
			if o.wrap.NonNull {
				return "NON_NULL"
			}
			return "LIST"
		case "ofType":
			if o.wrap.NonNull {
				inner := *o.wrap
				inner.NonNull = false
				return typeRef(o.s, &inner)
			}
			return typeRef(o.s, o.wrap.Elem)
		}
		return nil
	}
	d := o.def
	deprecated, _ := args["includeDeprecated"].(bool)
	switch field {
	case "kind":
		return string(d.Kind)
	case "name":
		return d.Name
	case "description":
		return text(d.Description)
	case "specifiedByURL":
		if dir := d.Directives.ForName("specifiedBy"); dir != nil && d.Kind == ast.Scalar {
			if a := dir.Arguments.ForName("url"); a != nil && a.Value != nil {
				return a.Value.Raw
			}
		}
		return nil
	case "fields":
		if d.Kind != ast.Object && d.Kind != ast.Interface {
			return nil
		}
		out := []any{}
		for _, f := range d.Fields {
			if strings.HasPrefix(f.Name, "__") || (!deprecated && isDeprecated(f.Directives)) {
				continue
			}
			out = append(out, &fieldObject{s: o.s, f: f})
		}
		return out
	case "interfaces":
		if d.Kind != ast.Object && d.Kind != ast.Interface {
			return nil
		}
		out := []any{}
		for _, n := range d.Interfaces {
			if t := namedType(o.s, o.s.Types[n]); t != nil {
				out = append(out, t)
			}
		}
		return out
	case "possibleTypes":
		if !d.IsAbstractType() {
			return nil
		}
		out := []any{}
		for _, p := range o.s.GetPossibleTypes(d) {
			if p.Kind == ast.Object {
				out = append(out, &typeObject{s: o.s, def: p})
			}
		}
		return out
	case "enumValues":
		if d.Kind != ast.Enum {
			return nil
		}
		out := []any{}
		for _, v := range d.EnumValues {
			if deprecated || !isDeprecated(v.Directives) {
				out = append(out, &enumValueObject{v: v})
			}
		}
		return out
	case "inputFields":
		if d.Kind != ast.InputObject {
			return nil
		}
		out := []any{}
		for _, f := range d.Fields {
			if deprecated || !isDeprecated(f.Directives) {
				out = append(out, &inputValueObject{s: o.s, name: f.Name, description: f.Description,
					typ: f.Type, def: f.DefaultValue, dirs: f.Directives})
			}
		}
		return out
	case "isOneOf":
		if d.Kind != ast.InputObject {
			return nil
		}
		return d.Directives.ForName("oneOf") != nil
	}
	return nil
}

type fieldObject struct {
	s *ast.Schema
	f *ast.FieldDefinition
}

func (o *fieldObject) typeName() string { return "__Field" }

func (o *fieldObject) resolve(field string, args map[string]any) any {
	switch field {
	case "name":
		return o.f.Name
	case "description":
		return text(o.f.Description)
	case "args":
		deprecated, _ := args["includeDeprecated"].(bool)
		return inputValues(o.s, o.f.Arguments, deprecated)
	case "type":
		return typeRef(o.s, o.f.Type)
	case "isDeprecated":
		return isDeprecated(o.f.Directives)
	case "deprecationReason":
		return deprecationReason(o.f.Directives)
	}
	return nil
}

func inputValues(s *ast.Schema, list ast.ArgumentDefinitionList, deprecated bool) []any {
	out := []any{}
	for _, a := range list {
		if deprecated || !isDeprecated(a.Directives) {
			out = append(out, &inputValueObject{s: s, name: a.Name, description: a.Description,
				typ: a.Type, def: a.DefaultValue, dirs: a.Directives})
		}
	}
	return out
}

type inputValueObject struct {
	s           *ast.Schema
	name        string
	description string
	typ         *ast.Type
	def         *ast.Value
	dirs        ast.DirectiveList
}

func (o *inputValueObject) typeName() string { return "__InputValue" }

func (o *inputValueObject) resolve(field string, _ map[string]any) any {
	switch field {
	case "name":
		return o.name
	case "description":
		return text(o.description)
	case "type":
		return typeRef(o.s, o.typ)
	case "defaultValue":
		if o.def == nil {
			return nil
		}
		return o.def.String() // GraphQL syntax, as the spec wants
	case "isDeprecated":
		return isDeprecated(o.dirs)
	case "deprecationReason":
		return deprecationReason(o.dirs)
	}
	return nil
}

type enumValueObject struct{ v *ast.EnumValueDefinition }

func (o *enumValueObject) typeName() string { return "__EnumValue" }

func (o *enumValueObject) resolve(field string, _ map[string]any) any {
	switch field {
	case "name":
		return o.v.Name
	case "description":
		return text(o.v.Description)
	case "isDeprecated":
		return isDeprecated(o.v.Directives)
	case "deprecationReason":
		return deprecationReason(o.v.Directives)
	}
	return nil
}

type directiveObject struct {
	s *ast.Schema
	d *ast.DirectiveDefinition
}

func (o *directiveObject) typeName() string { return "__Directive" }

func (o *directiveObject) resolve(field string, args map[string]any) any {
	switch field {
	case "name":
		return o.d.Name
	case "description":
		return text(o.d.Description)
	case "isRepeatable":
		return o.d.IsRepeatable
	case "locations":
		out := make([]any, len(o.d.Locations))
		for i, l := range o.d.Locations {
			out[i] = string(l)
		}
		return out
	case "args":
		deprecated, _ := args["includeDeprecated"].(bool)
		return inputValues(o.s, o.d.Arguments, deprecated)
	}
	return nil
}

func isDeprecated(dirs ast.DirectiveList) bool { return dirs.ForName("deprecated") != nil }

// deprecationReason is @deprecated's reason, or the spec's default.
func deprecationReason(dirs ast.DirectiveList) any {
	d := dirs.ForName("deprecated")
	if d == nil {
		return nil
	}
	if a := d.Arguments.ForName("reason"); a != nil && a.Value != nil && a.Value.Kind != ast.NullValue {
		return a.Value.Raw
	}
	return "No longer supported"
}

// text is a description: null when there is none.
func text(s string) any {
	if s == "" {
		return nil
	}
	return s
}
