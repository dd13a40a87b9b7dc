package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
)

// introspectionQuery asks a GraphQL server for its schema: the root types
// and every type's fields, arguments and input fields, types unwrapped
// four levels deep (enough for [T!]!).
const introspectionQuery = `query IntrospectionQuery { __schema {
  queryType { name } mutationType { name }
  types { kind name
    fields(includeDeprecated: true) { name args { name type { ...T } } type { ...T } }
    inputFields { name type { ...T } }
    enumValues(includeDeprecated: true) { name } } } }
fragment T on __Type { kind name ofType { kind name ofType { kind name ofType { kind name } } } }`

// gqlType is a type reference of the introspection answer.
type gqlType struct {
	Kind   string   `json:"kind"`
	Name   string   `json:"name"`
	OfType *gqlType `json:"ofType"`
}

// named is the type under the list and non-null wrappers.
func (t *gqlType) named() *gqlType {
	for t != nil && t.OfType != nil && (t.Kind == "NON_NULL" || t.Kind == "LIST") {
		t = t.OfType
	}
	return t
}

// String is the type as a variable declaration writes it ("[ID!]!").
func (t *gqlType) String() string {
	switch {
	case t == nil:
		return "String"
	case t.Kind == "NON_NULL" && t.OfType != nil:
		return t.OfType.String() + "!"
	case t.Kind == "LIST" && t.OfType != nil:
		return "[" + t.OfType.String() + "]"
	}
	return t.Name
}

type gqlField struct {
	Name string `json:"name"`
	Args []struct {
		Name string   `json:"name"`
		Type *gqlType `json:"type"`
	} `json:"args"`
	Type *gqlType `json:"type"`
}

type gqlFullType struct {
	Kind        string     `json:"kind"`
	Name        string     `json:"name"`
	Fields      []gqlField `json:"fields"`
	InputFields []struct {
		Name string   `json:"name"`
		Type *gqlType `json:"type"`
	} `json:"inputFields"`
	EnumValues []struct {
		Name string `json:"name"`
	} `json:"enumValues"`
}

// GraphQLSchema is what introspection found.
type GraphQLSchema struct {
	QueryType    string
	MutationType string
	types        map[string]*gqlFullType
}

// maxGraphQLAnswer bounds the introspection answer read.
const maxGraphQLAnswer = 16 << 20

// IntrospectGraphQL asks endpoint for its schema, with headers.
func IntrospectGraphQL(ctx context.Context, client *http.Client, endpoint string, headers map[string]string) (*GraphQLSchema, error) {
	body, _ := json.Marshal(map[string]string{"query": introspectionQuery})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("graphql endpoint %q: %w", endpoint, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	res, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("introspecting %s: %w", endpoint, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(res.Body, maxGraphQLAnswer+1))
	if err != nil {
		return nil, fmt.Errorf("introspecting %s: %w", endpoint, err)
	}
	if len(raw) > maxGraphQLAnswer {
		return nil, fmt.Errorf("introspecting %s: the schema is larger than %d MiB", endpoint, maxGraphQLAnswer>>20)
	}
	var out struct {
		Data *struct {
			Schema *struct {
				QueryType    *struct{ Name string } `json:"queryType"`
				MutationType *struct{ Name string } `json:"mutationType"`
				Types        []*gqlFullType         `json:"types"`
			} `json:"__schema"`
		} `json:"data"`
		Errors []struct {
			Message string `json:"message"`
		} `json:"errors"`
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, fmt.Errorf("introspecting %s: answered %d, not GraphQL JSON", endpoint, res.StatusCode)
	}
	if out.Data == nil || out.Data.Schema == nil {
		msg := fmt.Sprintf("answered %d without a schema", res.StatusCode)
		if len(out.Errors) > 0 {
			msg = "introspection refused: " + out.Errors[0].Message
		}
		return nil, fmt.Errorf("introspecting %s: %s", endpoint, msg)
	}
	s := &GraphQLSchema{types: map[string]*gqlFullType{}}
	for _, t := range out.Data.Schema.Types {
		if t != nil {
			s.types[t.Name] = t
		}
	}
	if q := out.Data.Schema.QueryType; q != nil {
		s.QueryType = q.Name
	}
	if m := out.Data.Schema.MutationType; m != nil {
		s.MutationType = m.Name
	}
	if s.QueryType == "" && s.MutationType == "" {
		return nil, errors.New("introspecting " + endpoint + ": the schema has no query or mutation type")
	}
	return s, nil
}

// GraphQLOperation is one root field made into a request.
type GraphQLOperation struct {
	Kind      string         `json:"kind"` // query or mutation
	Field     string         `json:"field"`
	Query     string         `json:"query"`
	Variables map[string]any `json:"variables"`
}

// Operations are a request for every root field: its arguments as
// variables with sample values, scalar fields of its result selected.
func (s *GraphQLSchema) Operations() []GraphQLOperation {
	var out []GraphQLOperation
	for _, root := range []struct{ kind, name string }{{"query", s.QueryType}, {"mutation", s.MutationType}} {
		t := s.types[root.name]
		if t == nil {
			continue
		}
		fields := append([]gqlField(nil), t.Fields...)
		sort.Slice(fields, func(i, j int) bool { return fields[i].Name < fields[j].Name })
		for _, f := range fields {
			if strings.HasPrefix(f.Name, "__") {
				continue
			}
			var decl, args []string
			vars := map[string]any{}
			for _, a := range f.Args {
				decl = append(decl, "$"+a.Name+": "+a.Type.String())
				args = append(args, a.Name+": $"+a.Name)
				vars[a.Name] = s.sample(a.Type, 0)
			}
			q := root.kind + " Fuzz_" + f.Name
			if len(decl) > 0 {
				q += "(" + strings.Join(decl, ", ") + ")"
			}
			q += " { " + f.Name
			if len(args) > 0 {
				q += "(" + strings.Join(args, ", ") + ")"
			}
			q += s.selection(f.Type, 0) + " }"
			out = append(out, GraphQLOperation{Kind: root.kind, Field: f.Name, Query: q, Variables: vars})
		}
	}
	return out
}

// selection selects the scalar fields of an object result (its nested
// objects' too, two levels down), or __typename when it has none.
func (s *GraphQLSchema) selection(t *gqlType, depth int) string {
	n := t.named()
	if n == nil || (n.Kind != "OBJECT" && n.Kind != "INTERFACE" && n.Kind != "UNION") {
		return ""
	}
	full := s.types[n.Name]
	var parts []string
	if full != nil && n.Kind != "UNION" {
		for _, f := range full.Fields {
			if len(parts) >= 20 {
				break
			}
			if hasRequiredArg(f) {
				continue
			}
			switch k := f.Type.named(); {
			case k == nil:
			case k.Kind == "SCALAR" || k.Kind == "ENUM":
				parts = append(parts, f.Name)
			case depth < 2 && (k.Kind == "OBJECT" || k.Kind == "INTERFACE"):
				if sub := s.selection(f.Type, depth+1); sub != "" && !strings.Contains(sub, "__typename") {
					parts = append(parts, f.Name+sub)
				}
			}
		}
	}
	if len(parts) == 0 {
		parts = []string{"__typename"}
	}
	return " { " + strings.Join(parts, " ") + " }"
}

func hasRequiredArg(f gqlField) bool {
	for _, a := range f.Args {
		if a.Type != nil && a.Type.Kind == "NON_NULL" {
			return true
		}
	}
	return false
}

// sample is a value of a GraphQL input type.
func (s *GraphQLSchema) sample(t *gqlType, depth int) any {
	switch {
	case t == nil:
		return "fuzz"
	case t.Kind == "NON_NULL":
		return s.sample(t.OfType, depth)
	case t.Kind == "LIST":
		return []any{s.sample(t.OfType, depth)}
	}
	switch t.Name {
	case "Int":
		return 1
	case "Float":
		return 1.5
	case "Boolean":
		return true
	case "ID":
		return "1"
	case "String":
		return "fuzz"
	}
	full := s.types[t.Name]
	switch {
	case full == nil:
		return "fuzz"
	case full.Kind == "ENUM" && len(full.EnumValues) > 0:
		return full.EnumValues[0].Name
	case full.Kind == "INPUT_OBJECT" && depth < 4:
		obj := map[string]any{}
		for _, f := range full.InputFields {
			obj[f.Name] = s.sample(f.Type, depth+1)
		}
		return obj
	}
	return "fuzz"
}

// GraphQLSeeds introspects endpoint and makes a seed of every root field:
// a POST of {query, variables} whose variables the run mutates.
func GraphQLSeeds(ctx context.Context, client *http.Client, endpoint string, headers map[string]string) ([]Seed, error) {
	s, err := IntrospectGraphQL(ctx, client, endpoint, headers)
	if err != nil {
		return nil, err
	}
	var out []Seed
	for _, op := range s.Operations() {
		out = append(out, GraphQLSeed(endpoint, op.Kind+" "+op.Field, op.Query, op.Variables, headers))
	}
	if len(out) == 0 {
		return nil, errors.New("introspecting " + endpoint + ": no query or mutation field to fuzz")
	}
	return out, nil
}

// GraphQLSeed is one GraphQL request as a seed; its operation names it in
// findings ("query user"), since every request goes to the same URL.
func GraphQLSeed(endpoint, name, query string, vars map[string]any, headers map[string]string) Seed {
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	h := map[string]string{}
	for k, v := range headers {
		h[k] = v
	}
	return Seed{ID: "graphql " + name, Name: name, Operation: name, Method: http.MethodPost, URL: endpoint, Body: string(body),
		ContentType: "application/json", Headers: h, Fixed: []string{"query"}}
}
