package imports

import (
	"encoding/json"
	"strings"

	"github.com/mockarty-oss/mockarty/host/internal/generate"
	"github.com/mockarty-oss/mockarty/host/internal/generate/graphqlgen"
	"github.com/mockarty-oss/mockarty/sdk/postman"
	"github.com/vektah/gqlparser/v2/ast"
)

// Bounds on a generated GraphQL operation: how deep object fields are
// followed below the root field, how many fields one query selects, and
// how deep input objects are filled in variables.
const (
	maxSelectionDepth = 3
	maxSelections     = 200
	maxInputDepth     = 4
	// maxUnionMembers is how many members of a union get an inline fragment.
	maxUnionMembers = 10
)

// GraphQL imports a GraphQL schema, as SDL or as the JSON result of an
// introspection query: a folder each for queries and mutations, a request
// per root field POSTing to {{baseUrl}}/graphql a graphql-mode body whose
// query passes every argument as a variable and selects the leaf fields
// (object fields followed a few levels down, unions by inline fragments),
// with sample variables. Subscriptions are counted in a warning: they do
// not run over a plain POST.
func GraphQL(data []byte) (*Result, error) {
	if err := checkSize(data, "a GraphQL schema (SDL) or an introspection result (JSON)"); err != nil {
		return nil, err
	}
	sdl := string(data)
	if graphqlgen.IsIntrospection(data) {
		s, err := graphqlgen.FromIntrospection(data)
		if err != nil {
			return nil, err
		}
		sdl = s
	}
	schema, err := graphqlgen.Load(map[string]string{"schema.graphql": sdl})
	if err != nil {
		if ie, ok := err.(*generate.InputError); ok && ie.Field == "sdl" {
			return nil, generate.Inputf(DocumentField, "is not a valid schema: %s", ie.Message)
		}
		return nil, err
	}
	w := &warner{}
	c := &postman.Collection{Info: postman.Info{Name: "GraphQL import"}, Item: []*postman.Item{},
		Variable: []postman.Variable{{Key: "baseUrl", Value: "http://localhost", Type: "string"}}}
	n := 0
	for _, root := range []struct {
		op, folder string
		def        *ast.Definition
	}{{"query", "Queries", schema.Query}, {"mutation", "Mutations", schema.Mutation}} {
		if root.def == nil {
			continue
		}
		f := &postman.Item{Name: root.folder, Item: []*postman.Item{}}
		for _, fd := range root.def.Fields {
			if strings.HasPrefix(fd.Name, "__") {
				continue // introspection fields
			}
			if n++; n > MaxRequests {
				w.warn("the schema has more than %d root fields: the first %d are imported", MaxRequests, MaxRequests)
				break
			}
			f.Item = append(f.Item, graphqlItem(schema, root.op, fd))
		}
		if len(f.Item) > 0 {
			c.Item = append(c.Item, f)
		}
	}
	if schema.Subscription != nil && len(schema.Subscription.Fields) > 0 {
		w.warn("%d subscription fields are not imported: subscriptions run over WebSocket or SSE, not a plain POST", len(schema.Subscription.Fields))
	}
	if len(c.Item) == 0 {
		return nil, generate.Inputf(DocumentField, "has no Query or Mutation field to call")
	}
	return &Result{Collection: c, Warnings: w.list()}, nil
}

func graphqlItem(schema *ast.Schema, op string, fd *ast.FieldDefinition) *postman.Item {
	var q strings.Builder
	q.WriteString(op + " " + upperFirst(fd.Name))
	vars := map[string]any{}
	if len(fd.Arguments) > 0 {
		defs := make([]string, 0, len(fd.Arguments))
		for _, a := range fd.Arguments {
			defs = append(defs, "$"+a.Name+": "+a.Type.String())
			vars[a.Name] = argSample(schema, a)
		}
		q.WriteString("(" + strings.Join(defs, ", ") + ")")
	}
	q.WriteString(" {\n  " + fd.Name)
	if len(fd.Arguments) > 0 {
		uses := make([]string, 0, len(fd.Arguments))
		for _, a := range fd.Arguments {
			uses = append(uses, a.Name+": $"+a.Name)
		}
		q.WriteString("(" + strings.Join(uses, ", ") + ")")
	}
	sel := &selector{schema: schema, budget: maxSelections}
	q.WriteString(sel.selection(fd.Type, 1, 2))
	q.WriteString("\n}")
	body := &postman.Body{Mode: postman.ModeGraphQL, GraphQL: &postman.GraphQL{Query: q.String()}}
	if len(vars) > 0 {
		b, _ := json.MarshalIndent(vars, "", "  ")
		body.GraphQL.Variables = string(b)
	}
	req := &postman.Request{Method: "POST", URL: postman.NewURL("{{baseUrl}}/graphql"), Body: body,
		Description: postman.Text(fd.Description)}
	test := "pm.test(\"Status code is 200\", function () {\n    pm.response.to.have.status(200);\n});\n" +
		"pm.test(\"No GraphQL errors\", function () {\n    pm.expect(pm.response.json().errors).to.be.undefined;\n});"
	return &postman.Item{Name: fd.Name, Request: req,
		Event: []postman.Event{{Listen: postman.ListenTest, Script: postman.NewScript(test)}}}
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// selector writes selection sets within a budget of fields.
type selector struct {
	schema *ast.Schema
	budget int
}

// selection is the " { ... }" of a field of type t ("" for a leaf);
// depth counts object levels below the root field, indent is in units of
// two spaces.
func (s *selector) selection(t *ast.Type, depth, indent int) string {
	def := s.schema.Types[t.Name()]
	if def == nil || !def.IsCompositeType() {
		return ""
	}
	pad := strings.Repeat("  ", indent)
	var lines []string
	if def.Kind == ast.Union {
		lines = append(lines, pad+"__typename")
		for i, name := range def.Types {
			member := s.schema.Types[name]
			if member == nil || i >= maxUnionMembers || s.budget <= 0 {
				break
			}
			if inner := s.fields(member, depth+1, indent+1); len(inner) > 0 {
				lines = append(lines, pad+"... on "+name+" {\n"+strings.Join(inner, "\n")+"\n"+pad+"}")
			}
		}
	} else {
		lines = s.fields(def, depth, indent)
		if def.Kind == ast.Interface {
			lines = append([]string{pad + "__typename"}, lines...)
		}
	}
	if len(lines) == 0 {
		lines = []string{pad + "__typename"} // a selection set cannot be empty
	}
	return " {\n" + strings.Join(lines, "\n") + "\n" + strings.Repeat("  ", indent-1) + "}"
}

// fields are the selectable fields of an object or interface: the
// leaves, and object fields while depth allows; fields that require
// arguments are left out (the query has no values for them).
func (s *selector) fields(def *ast.Definition, depth, indent int) []string {
	pad := strings.Repeat("  ", indent)
	var out []string
	for _, f := range def.Fields {
		if strings.HasPrefix(f.Name, "__") || requiresArgs(f) || s.budget <= 0 {
			continue
		}
		fd := s.schema.Types[f.Type.Name()]
		if fd == nil {
			continue
		}
		if !fd.IsCompositeType() {
			s.budget--
			out = append(out, pad+f.Name)
			continue
		}
		if depth >= maxSelectionDepth {
			continue
		}
		s.budget--
		out = append(out, pad+f.Name+s.selection(f.Type, depth+1, indent+1))
	}
	return out
}

func requiresArgs(f *ast.FieldDefinition) bool {
	for _, a := range f.Arguments {
		if a.Type.NonNull && a.DefaultValue == nil {
			return true
		}
	}
	return false
}

// argSample is an argument's default, or a sample of its type.
func argSample(schema *ast.Schema, a *ast.ArgumentDefinition) any {
	if a.DefaultValue != nil {
		if v, err := a.DefaultValue.Value(nil); err == nil {
			return v
		}
	}
	return inputSample(schema, a.Type, a.Name, 0)
}

// inputSample is a plain value of an input type for a field or argument
// called name.
func inputSample(schema *ast.Schema, t *ast.Type, name string, depth int) any {
	if t.Elem != nil {
		return []any{inputSample(schema, t.Elem, name, depth)}
	}
	def := schema.Types[t.NamedType]
	if def == nil {
		return nil
	}
	switch def.Kind {
	case ast.Enum:
		if len(def.EnumValues) > 0 {
			return def.EnumValues[0].Name
		}
		return nil
	case ast.InputObject:
		out := map[string]any{}
		if depth >= maxInputDepth {
			return out
		}
		for _, f := range def.Fields {
			if depth+1 >= maxInputDepth && !f.Type.NonNull {
				continue
			}
			if f.DefaultValue != nil {
				if v, err := f.DefaultValue.Value(nil); err == nil {
					out[f.Name] = v
					continue
				}
			}
			out[f.Name] = inputSample(schema, f.Type, f.Name, depth+1)
		}
		return out
	}
	switch def.Name {
	case "ID":
		return "1"
	case "Int":
		return 1
	case "Float":
		return 1.5
	case "Boolean":
		return true
	case "String":
		return name
	}
	return customScalar(def.Name)
}

// customScalar is a value of a custom scalar, chosen by its name
// (DateTime, UUID, JSON, ...); text otherwise.
func customScalar(name string) any {
	n := strings.ToLower(name)
	switch {
	case strings.Contains(n, "datetime") || strings.Contains(n, "timestamp") || strings.Contains(n, "instant"):
		return "2024-01-15T10:30:00Z"
	case strings.Contains(n, "date"):
		return "2024-01-15"
	case strings.Contains(n, "time"):
		return "10:30:00"
	case strings.Contains(n, "uuid"):
		return "3fa85f64-5717-4562-b3fc-2c963f66afa6"
	case strings.Contains(n, "json") || strings.Contains(n, "object") || n == "map":
		return map[string]any{}
	case strings.Contains(n, "url") || strings.Contains(n, "uri"):
		return "https://example.com"
	case strings.Contains(n, "email"):
		return "user@example.com"
	case strings.Contains(n, "long") || strings.Contains(n, "bigint") || strings.Contains(n, "int"):
		return 1
	case strings.Contains(n, "decimal") || strings.Contains(n, "float") || strings.Contains(n, "money"):
		return 1.5
	}
	return "string"
}
