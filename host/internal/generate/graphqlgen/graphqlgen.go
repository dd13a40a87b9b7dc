// Package graphqlgen makes GraphQL mocks from SDL: one mock per root field
// of Query, Mutation and Subscription, whose payload is a sample value of
// the field's type (objects with their fields filled by type and name,
// lists of two, enums with their first value), so every operation a client
// sends is answered before anyone writes a mock by hand.
package graphqlgen

import (
	"encoding/json"
	"errors"
	"sort"
	"strings"

	"github.com/mockarty-oss/mockarty/host/internal/generate"
	"github.com/mockarty-oss/mockarty/host/internal/model"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// Input is what to generate from.
type Input struct {
	Namespace string
	// IDPrefix starts every mock id (default "graphql").
	IDPrefix string
	// Path is the endpoint path of the mocks (default "/graphql").
	Path string
	// SDL maps a file name to its source; the files form one schema.
	SDL map[string]string
}

// DefaultPath is where generated mocks are served when Input names none.
const DefaultPath = "/graphql"

// Generate makes one mock per root field.
func Generate(in Input) ([]*model.Mock, error) {
	if in.IDPrefix == "" {
		in.IDPrefix = "graphql"
	}
	if in.Path == "" {
		in.Path = DefaultPath
	}
	schema, err := load(in.SDL)
	if err != nil {
		return nil, err
	}
	var out []*model.Mock
	for _, root := range []struct {
		op  string
		def *ast.Definition
	}{{"query", schema.Query}, {"mutation", schema.Mutation}, {"subscription", schema.Subscription}} {
		if root.def == nil {
			continue
		}
		for _, f := range root.def.Fields {
			if strings.HasPrefix(f.Name, "__") {
				continue // __schema and __type: introspection, answered by the listener
			}
			out = append(out, fieldMock(schema, root.op, f, in))
		}
	}
	if len(out) == 0 {
		return nil, generate.Inputf("sdl", "the schema has no Query, Mutation or Subscription field to mock")
	}
	return out, nil
}

// Validate checks that SDL files form a schema; the error names the file,
// line and column.
func Validate(sdl map[string]string) error {
	_, err := load(sdl)
	return err
}

// load reads the files together, in name order.
func load(sdl map[string]string) (*ast.Schema, error) {
	if len(sdl) == 0 {
		return nil, generate.Inputf("sdl", "no SDL given: send the schema's source, or register SDL files for the namespace")
	}
	names := make([]string, 0, len(sdl))
	for n := range sdl {
		names = append(names, n)
	}
	sort.Strings(names)
	src := make([]*ast.Source, len(names))
	for i, n := range names {
		src[i] = &ast.Source{Name: n, Input: sdl[n]}
	}
	schema, err := gqlparser.LoadSchema(src...)
	if err != nil {
		var ge *gqlerror.Error
		if errors.As(err, &ge) {
			return nil, generate.Inputf("sdl", "%s", position(ge))
		}
		return nil, generate.Inputf("sdl", "%v", err)
	}
	return schema, nil
}

// position is "file:line:col: message" (gqlerror's own text names the
// file "input" when the source has none, and adds a path).
func position(e *gqlerror.Error) string {
	file, _ := e.Extensions["file"].(string)
	if file == "" {
		file = "schema.graphql"
	}
	if len(e.Locations) == 0 || e.Locations[0].Line <= 0 {
		return file + ": " + e.Message
	}
	return file + ":" + e.Locations[0].String() + ": " + e.Message
}

func fieldMock(schema *ast.Schema, op string, f *ast.FieldDefinition, in Input) *model.Mock {
	s := &sampler{schema: schema, budget: valueBudget}
	var payload any = s.value(f.Type, f.Name, 0)
	if op == "subscription" {
		// The GraphQL listener plays an array payload as a subscription's
		// events, one per element: two events of the field's type.
		payload = []any{payload, s.value(f.Type, f.Name, 0)}
	}
	b, _ := json.Marshal(payload)
	return &model.Mock{
		ID:        generate.MockID(in.IDPrefix, op, f.Name),
		Namespace: in.Namespace,
		Tags:      []string{"generated", "graphql"},
		GraphQL:   &model.GraphQLContext{Operation: op, Field: f.Name, Path: in.Path},
		Response:  &model.ContentResponse{Payload: b},
	}
}
