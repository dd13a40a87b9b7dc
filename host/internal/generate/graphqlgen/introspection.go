package graphqlgen

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"github.com/mockarty-oss/mockarty/host/internal/generate"
)

// An introspection result (what a server answers to the standard
// IntrospectionQuery) is turned into SDL so that one loader, gqlparser's,
// reads both forms. Descriptions and directives are left out: neither
// changes what a client sends or gets.

// maxTypeRefDepth bounds NON_NULL/LIST nesting in a type reference.
const maxTypeRefDepth = 16

var graphqlName = regexp.MustCompile(`^[_A-Za-z][_0-9A-Za-z]*$`)

// builtinScalars are declared by every schema; an introspection result
// lists them too.
var builtinScalars = map[string]bool{"String": true, "Int": true, "Float": true, "Boolean": true, "ID": true}

type introType struct {
	Kind          string                  `json:"kind"`
	Name          *string                 `json:"name"`
	Fields        []introField            `json:"fields"`
	InputFields   []introArg              `json:"inputFields"`
	Interfaces    []introRef              `json:"interfaces"`
	EnumValues    []struct{ Name string } `json:"enumValues"`
	PossibleTypes []introRef              `json:"possibleTypes"`
}

type introField struct {
	Name string     `json:"name"`
	Args []introArg `json:"args"`
	Type *introRef  `json:"type"`
}

type introArg struct {
	Name         string    `json:"name"`
	Type         *introRef `json:"type"`
	DefaultValue *string   `json:"defaultValue"`
}

type introRef struct {
	Kind   string    `json:"kind"`
	Name   *string   `json:"name"`
	OfType *introRef `json:"ofType"`
}

type introSchema struct {
	QueryType        *introRef   `json:"queryType"`
	MutationType     *introRef   `json:"mutationType"`
	SubscriptionType *introRef   `json:"subscriptionType"`
	Types            []introType `json:"types"`
}

// IsIntrospection says whether a document is a JSON introspection result
// rather than SDL (it starts with '{').
func IsIntrospection(doc []byte) bool {
	t := bytes.TrimLeft(doc, " \t\r\n\xef\xbb\xbf")
	return len(t) > 0 && t[0] == '{'
}

// FromIntrospection writes the SDL of an introspection result: the
// response ({"data": {"__schema": ...}}) or its data ({"__schema": ...}).
// A result it cannot read is a *generate.InputError naming where
// ("data.__schema.types[3].name").
func FromIntrospection(doc []byte) (string, error) {
	var top struct {
		Data *struct {
			Schema *introSchema `json:"__schema"`
		} `json:"data"`
		Schema *introSchema    `json:"__schema"`
		Errors json.RawMessage `json:"errors"`
	}
	if err := json.Unmarshal(bytes.TrimPrefix(doc, []byte("\xef\xbb\xbf")), &top); err != nil {
		return "", generate.Inputf("document", "is not an introspection result (JSON): %s", generate.JSONWhere(doc, err))
	}
	s, at := top.Schema, "__schema"
	if s == nil && top.Data != nil {
		s, at = top.Data.Schema, "data.__schema"
	}
	if s == nil {
		msg := `has no "__schema": send SDL, or the result of an introspection query ({"data": {"__schema": ...}})`
		if len(top.Errors) > 0 && string(top.Errors) != "null" {
			msg = "is an error response, not an introspection result: " + string(top.Errors)
		}
		return "", generate.Inputf("document", "%s", msg)
	}
	w := &sdlWriter{}
	roots := []string{}
	for _, r := range []struct {
		op  string
		ref *introRef
	}{{"query", s.QueryType}, {"mutation", s.MutationType}, {"subscription", s.SubscriptionType}} {
		if r.ref == nil || r.ref.Name == nil {
			continue
		}
		if !graphqlName.MatchString(*r.ref.Name) {
			return "", generate.Inputf(at+"."+r.op+"Type.name", "%q is not a GraphQL name", *r.ref.Name)
		}
		roots = append(roots, r.op+": "+*r.ref.Name)
	}
	if len(roots) == 0 {
		return "", generate.Inputf(at+".queryType", "is missing: the schema has no query type")
	}
	w.line("schema { " + strings.Join(roots, " ") + " }")
	for i, t := range s.Types {
		if err := w.typeDef(t, fmt.Sprintf("%s.types[%d]", at, i)); err != nil {
			return "", err
		}
	}
	return w.b.String(), nil
}

type sdlWriter struct{ b strings.Builder }

func (w *sdlWriter) line(s string) {
	w.b.WriteString(s)
	w.b.WriteByte('\n')
}

func (w *sdlWriter) typeDef(t introType, at string) error {
	if t.Name == nil || !graphqlName.MatchString(*t.Name) {
		name := "null"
		if t.Name != nil {
			name = fmt.Sprintf("%q", *t.Name)
		}
		return generate.Inputf(at+".name", "%s is not a GraphQL name", name)
	}
	name := *t.Name
	if strings.HasPrefix(name, "__") || builtinScalars[name] {
		return nil // introspection's own types and the built-in scalars
	}
	switch t.Kind {
	case "SCALAR":
		w.line("scalar " + name)
	case "OBJECT", "INTERFACE":
		kw := "type "
		if t.Kind == "INTERFACE" {
			kw = "interface "
		}
		head := kw + name
		var ifaces []string
		for i, r := range t.Interfaces {
			if r.Name == nil || !graphqlName.MatchString(*r.Name) {
				return generate.Inputf(fmt.Sprintf("%s.interfaces[%d].name", at, i), "is not a GraphQL name")
			}
			ifaces = append(ifaces, *r.Name)
		}
		if len(ifaces) > 0 {
			head += " implements " + strings.Join(ifaces, " & ")
		}
		w.line(head + " {")
		for i, f := range t.Fields {
			fat := fmt.Sprintf("%s.fields[%d]", at, i)
			if !graphqlName.MatchString(f.Name) {
				return generate.Inputf(fat+".name", "%q is not a GraphQL name", f.Name)
			}
			args, err := argList(f.Args, fat+".args")
			if err != nil {
				return err
			}
			typ, err := typeRef(f.Type, fat+".type", 0)
			if err != nil {
				return err
			}
			w.line("  " + f.Name + args + ": " + typ)
		}
		w.line("}")
	case "UNION":
		var members []string
		for i, r := range t.PossibleTypes {
			if r.Name == nil || !graphqlName.MatchString(*r.Name) {
				return generate.Inputf(fmt.Sprintf("%s.possibleTypes[%d].name", at, i), "is not a GraphQL name")
			}
			members = append(members, *r.Name)
		}
		w.line("union " + name + " = " + strings.Join(members, " | "))
	case "ENUM":
		w.line("enum " + name + " {")
		for i, v := range t.EnumValues {
			if !graphqlName.MatchString(v.Name) {
				return generate.Inputf(fmt.Sprintf("%s.enumValues[%d].name", at, i), "%q is not a GraphQL name", v.Name)
			}
			w.line("  " + v.Name)
		}
		w.line("}")
	case "INPUT_OBJECT":
		w.line("input " + name + " {")
		for i, f := range t.InputFields {
			s, err := argText(f, fmt.Sprintf("%s.inputFields[%d]", at, i))
			if err != nil {
				return err
			}
			w.line("  " + s)
		}
		w.line("}")
	default:
		return generate.Inputf(at+".kind", "%q is not a type kind (SCALAR, OBJECT, INTERFACE, UNION, ENUM, INPUT_OBJECT)", t.Kind)
	}
	return nil
}

func argList(args []introArg, at string) (string, error) {
	if len(args) == 0 {
		return "", nil
	}
	parts := make([]string, 0, len(args))
	for i, a := range args {
		s, err := argText(a, fmt.Sprintf("%s[%d]", at, i))
		if err != nil {
			return "", err
		}
		parts = append(parts, s)
	}
	return "(" + strings.Join(parts, ", ") + ")", nil
}

func argText(a introArg, at string) (string, error) {
	if !graphqlName.MatchString(a.Name) {
		return "", generate.Inputf(at+".name", "%q is not a GraphQL name", a.Name)
	}
	typ, err := typeRef(a.Type, at+".type", 0)
	if err != nil {
		return "", err
	}
	s := a.Name + ": " + typ
	if a.DefaultValue != nil && strings.TrimSpace(*a.DefaultValue) != "" {
		s += " = " + *a.DefaultValue // a GraphQL literal, as introspection writes it
	}
	return s, nil
}

// typeRef writes a type reference: Name, [T], T!.
func typeRef(r *introRef, at string, depth int) (string, error) {
	switch {
	case r == nil:
		return "", generate.Inputf(at, "is missing")
	case depth > maxTypeRefDepth:
		return "", generate.Inputf(at, "nests deeper than %d levels", maxTypeRefDepth)
	case r.Kind == "NON_NULL" || r.Kind == "LIST":
		inner, err := typeRef(r.OfType, at+".ofType", depth+1)
		if err != nil {
			return "", err
		}
		if r.Kind == "LIST" {
			return "[" + inner + "]", nil
		}
		return inner + "!", nil
	case r.Name == nil || !graphqlName.MatchString(*r.Name):
		return "", generate.Inputf(at+".name", "is not a GraphQL name")
	}
	return *r.Name, nil
}
