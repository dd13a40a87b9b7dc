package imports

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/mockarty-oss/mockarty/sdk/postman"
)

const librarySDL = `
scalar DateTime

enum Genre { FICTION SCIENCE }

interface Node { id: ID! }

type Author implements Node { id: ID! name: String! books: [Book!]! }

type Book implements Node {
  id: ID!
  title: String!
  genre: Genre
  author: Author!
  published: DateTime
  related(limit: Int!): [Book!]!
}

type Magazine { issue: Int! }

union SearchHit = Book | Magazine

input BookInput { title: String! genre: Genre = FICTION authorId: ID! tags: [String!] }

type Query {
  "One book by id."
  book(id: ID!): Book
  search(text: String!, first: Int = 10): [SearchHit!]!
  node(id: ID!): Node
  count: Int!
}

type Mutation { addBook(input: BookInput!): Book! }

type Subscription { bookAdded: Book! }
`

// gqlBody reads a graphql-mode body and its variables.
func gqlBody(t *testing.T, it *postman.Item) (string, map[string]any) {
	t.Helper()
	b := it.Request.Body
	if b == nil || b.Mode != postman.ModeGraphQL || b.GraphQL == nil {
		t.Fatalf("%s: not a graphql body: %+v", it.Name, b)
	}
	vars := map[string]any{}
	if b.GraphQL.Variables != "" {
		if err := json.Unmarshal([]byte(b.GraphQL.Variables), &vars); err != nil {
			t.Fatalf("%s: variables: %v", it.Name, err)
		}
	}
	return b.GraphQL.Query, vars
}

func TestGraphQLFromSDL(t *testing.T) {
	r, err := GraphQL([]byte(librarySDL))
	if err != nil {
		t.Fatal(err)
	}
	valid(t, "library.graphql", r)
	c := r.Collection
	if got := names(c.Item); strings.Join(got, ",") != "Queries,Mutations" {
		t.Fatalf("folders: %v", got)
	}
	if got := names(c.Item[0].Item); strings.Join(got, ",") != "book,search,node,count" {
		t.Fatalf("queries: %v", got)
	}
	if !hasWarning(r, "1 subscription fields are not imported") {
		t.Errorf("warnings: %v", r.Warnings)
	}
	book := c.Item[0].Item[0]
	if book.Request.Method != "POST" || book.Request.URL.String() != "{{baseUrl}}/graphql" || book.Request.Description.String() != "One book by id." {
		t.Errorf("request: %s %s", book.Request.Method, book.Request.URL)
	}
	q, vars := gqlBody(t, book)
	for _, want := range []string{"query Book($id: ID!) {", "book(id: $id) {", "title", "genre", "published", "author {", "books {"} {
		if !strings.Contains(q, want) {
			t.Errorf("book query lacks %q:\n%s", want, q)
		}
	}
	if strings.Contains(q, "related") || vars["id"] != "1" {
		t.Errorf("a field needing arguments is left out; variables %v:\n%s", vars, q)
	}
	q, vars = gqlBody(t, c.Item[0].Item[1])
	if !strings.Contains(q, "... on Book {") || !strings.Contains(q, "... on Magazine {") || !strings.Contains(q, "__typename") ||
		vars["first"] != float64(10) || vars["text"] != "text" {
		t.Errorf("union search %v:\n%s", vars, q)
	}
	q, _ = gqlBody(t, c.Item[0].Item[2])
	if !strings.Contains(q, "__typename") || !strings.Contains(q, "    id") {
		t.Errorf("interface node:\n%s", q)
	}
	if q, vars := gqlBody(t, c.Item[0].Item[3]); q != "query Count {\n  count\n}" || len(vars) != 0 {
		t.Errorf("scalar root field: %q %v", q, vars)
	}
	q, vars = gqlBody(t, c.Item[1].Item[0])
	in, _ := vars["input"].(map[string]any)
	if !strings.HasPrefix(q, "mutation AddBook($input: BookInput!)") || in["genre"] != "FICTION" || in["authorId"] != "1" ||
		in["title"] != "title" || len(in["tags"].([]any)) != 1 {
		t.Errorf("mutation %v:\n%s", vars, q)
	}
}

// introspection is what a server answers to the introspection query for a
// small schema (descriptions and directives trimmed).
const introspection = `{"data": {"__schema": {
  "queryType": {"name": "Root"}, "mutationType": null, "subscriptionType": null,
  "types": [
    {"kind": "OBJECT", "name": "Root", "fields": [
      {"name": "user", "args": [{"name": "id", "type": {"kind": "NON_NULL", "name": null, "ofType": {"kind": "SCALAR", "name": "ID", "ofType": null}}, "defaultValue": null}],
       "type": {"kind": "OBJECT", "name": "User", "ofType": null}},
      {"name": "users", "args": [{"name": "role", "type": {"kind": "ENUM", "name": "Role", "ofType": null}, "defaultValue": "ADMIN"}],
       "type": {"kind": "NON_NULL", "name": null, "ofType": {"kind": "LIST", "name": null, "ofType": {"kind": "OBJECT", "name": "User", "ofType": null}}}}
    ], "inputFields": null, "interfaces": [], "enumValues": null, "possibleTypes": null},
    {"kind": "OBJECT", "name": "User", "fields": [
      {"name": "id", "args": [], "type": {"kind": "NON_NULL", "name": null, "ofType": {"kind": "SCALAR", "name": "ID", "ofType": null}}},
      {"name": "email", "args": [], "type": {"kind": "SCALAR", "name": "Email", "ofType": null}},
      {"name": "role", "args": [], "type": {"kind": "ENUM", "name": "Role", "ofType": null}}
    ], "inputFields": null, "interfaces": [], "enumValues": null, "possibleTypes": null},
    {"kind": "SCALAR", "name": "Email", "fields": null},
    {"kind": "ENUM", "name": "Role", "enumValues": [{"name": "ADMIN"}, {"name": "READER"}]},
    {"kind": "SCALAR", "name": "ID"},
    {"kind": "SCALAR", "name": "String"},
    {"kind": "OBJECT", "name": "__Schema", "fields": []}
  ]}}}`

func TestGraphQLFromIntrospection(t *testing.T) {
	r, err := GraphQL([]byte(introspection))
	if err != nil {
		t.Fatal(err)
	}
	valid(t, "introspection", r)
	if got := names(r.Collection.Item[0].Item); strings.Join(got, ",") != "user,users" {
		t.Fatalf("queries: %v", got)
	}
	q, vars := gqlBody(t, r.Collection.Item[0].Item[1])
	if !strings.Contains(q, "query Users($role: Role)") || !strings.Contains(q, "email") || vars["role"] != "ADMIN" {
		t.Errorf("users %v:\n%s", vars, q)
	}
}

func TestGraphQLBadSchemas(t *testing.T) {
	for name, c := range map[string]struct{ doc, field, want string }{
		"sdl":         {"type Query {\n  a: Nope\n}", DocumentField, "schema.graphql:2"},
		"no fields":   {"type Query { __typename: String } type Mutation { __x: Int }", DocumentField, ""},
		"not json":    {`{"data": `, DocumentField, "not an introspection result"},
		"no schema":   {`{"errors": [{"message": "introspection is disabled"}]}`, DocumentField, "introspection is disabled"},
		"bad name":    {`{"__schema": {"queryType": {"name": "Q"}, "types": [{"kind": "OBJECT", "name": "Q x", "fields": []}]}}`, "__schema.types[0].name", "not a GraphQL name"},
		"bad kind":    {`{"__schema": {"queryType": {"name": "Q"}, "types": [{"kind": "THING", "name": "Q"}]}}`, "__schema.types[0].kind", "not a type kind"},
		"no query":    {`{"__schema": {"types": []}}`, "__schema.queryType", "is missing"},
		"deep type":   {`{"__schema": {"queryType": {"name": "Q"}, "types": [{"kind": "OBJECT", "name": "Q", "fields": [{"name": "a", "args": [], "type": ` + strings.Repeat(`{"kind": "LIST", "ofType": `, 20) + `null` + strings.Repeat("}", 20) + `}]}]}}`, "__schema.types[0].fields[0].type" + strings.Repeat(".ofType", 17), "nests deeper"},
		"empty input": {"  ", DocumentField, "is empty"},
	} {
		_, err := GraphQL([]byte(c.doc))
		wantInputErr(t, name, err, c.field, c.want)
	}
}

func TestGraphQLLargeSchema(t *testing.T) {
	r, err := GraphQL(read(t, "..", "..", "generate", "graphqlgen", "testdata", "supergraph.graphql"))
	if err != nil {
		t.Fatal(err)
	}
	valid(t, "supergraph.graphql", r)
	for _, f := range r.Collection.Item {
		for _, it := range f.Item {
			if q, _ := gqlBody(t, it); strings.Count(q, "\n") > maxSelections+10 {
				t.Errorf("%s: the query is not bounded: %d lines", it.Name, strings.Count(q, "\n"))
			}
		}
	}
}
