package main

import (
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/mockarty-oss/mockarty/sdk"
	"github.com/mockarty-oss/mockarty/sdk/find"
	"github.com/mockarty-oss/mockarty/sdk/plugintest"
)

// With the namespace's SDL registered (the fake host's documents): queries
// are validated, types drive the answer, introspection works.

func startWithSchema(t *testing.T, table *mockTable) (*plugintest.FakeHost, string) {
	t.Helper()
	fake := table.fake()
	fake.SetDocuments(sdk.DocumentGraphQL, sdl(t, "starwars.graphql", "extras.graphql")...)
	p := plugintest.Start(t, &Listener{}, json.RawMessage(`{"addresses":["127.0.0.1:0"]}`), fake)
	return fake, "http://" + p.Addresses[0] + "/graphql"
}

func TestValidationAgainstTheSchema(t *testing.T) {
	table := heroTable()
	_, url := startWithSchema(t, table)

	a := post(t, url, "{ hero { name mass } }", nil)
	errs := a.errorsOf()
	if a.status != 200 || len(errs) != 1 || !strings.Contains(errs[0]["message"].(string), `Cannot query field "mass" on type "Character"`) ||
		compact(t, errs[0]["locations"]) != `[{"column":15,"line":1}]` || a.body["data"] != nil {
		t.Fatalf("validation: %d %s", a.status, a.raw)
	}
	if _, has := a.body["data"]; has || errs[0]["extensions"].(map[string]any)["code"] != "GRAPHQL_VALIDATION_FAILED" {
		t.Fatalf("a document that does not validate has no data entry: %s", a.raw)
	}
	// The GraphQL-over-HTTP media type answers it with 400.
	a = send(t, http.MethodPost, url, "application/json", `{"query":"{ hero { name mass } }"}`, "Accept", mediaGraphQLResponse)
	if a.status != 400 || !strings.HasPrefix(a.header.Get("Content-Type"), mediaGraphQLResponse) {
		t.Fatalf("graphql-response+json: %d %v", a.status, a.header)
	}
	// A variable of the wrong type.
	a = post(t, url, "query($ep: Episode) { hero(episode: $ep) { name } }", map[string]any{"ep": "PHANTOM"})
	if errs = a.errorsOf(); len(errs) != 1 || !strings.Contains(errs[0]["message"].(string), "PHANTOM is not a valid Episode") {
		t.Fatalf("variable: %s", a.raw)
	}
	if n := len(table.requests()); n != 0 {
		t.Fatalf("invalid requests reached the host %d times", n)
	}
}

func TestTypesShapeTheAnswer(t *testing.T) {
	table := &mockTable{mocks: []fakeMock{
		{op: "query", field: "hero", resp: find.GraphQLResponse{MockID: "hero",
			Data: json.RawMessage(`{"name":"R2-D2","id":"2001","primaryFunction":"Astromech","friends":[{"name":"Luke","homePlanet":"Tatooine"},{"__typename":"Droid","name":"C-3PO"}]}`)}},
		{op: "query", field: "human", resp: find.GraphQLResponse{MockID: "human", Data: json.RawMessage(`{"name":"Han"}`)}},
		{op: "query", field: "search", resp: find.GraphQLResponse{MockID: "search",
			Data: json.RawMessage(`[{"__typename":"Starship","name":"Falcon","length":34.37},{"name":"Leia","homePlanet":"Alderaan"}]`)}},
		{op: "query", field: "reviews", resp: find.GraphQLResponse{MockID: "reviews", Data: json.RawMessage(`{"stars":5}`)}},
		{op: "mutation", field: "createReview", resp: find.GraphQLResponse{MockID: "review",
			Data: json.RawMessage(`{"episode":"JEDI","stars":5,"commentary":"great"}`)}},
	}}
	_, url := startWithSchema(t, table)

	// __typename comes from the SDL: the payload's members tell Droid from
	// Human, or its own __typename does.
	a := post(t, url, `{ hero { __typename name ... on Droid { primaryFunction } friends { __typename name ... on Human { homePlanet } } } }`, nil)
	want := `{"hero":{"__typename":"Droid","name":"R2-D2","primaryFunction":"Astromech",` +
		`"friends":[{"__typename":"Human","name":"Luke","homePlanet":"Tatooine"},{"__typename":"Droid","name":"C-3PO"}]}}`
	if got := dataOf(t, a); got != want || a.body["errors"] != nil {
		t.Fatalf("typename:\n got %s %s\nwant %s", got, a.raw, want)
	}
	// A union, and a field argument's default (length's unit) sent to nobody
	// but there: fields below the root are answered from the payload.
	a = post(t, url, `{ search(text: "a") { __typename ... on Starship { name length } ... on Human { name } } }`, nil)
	if got := dataOf(t, a); got != `{"search":[{"__typename":"Starship","name":"Falcon","length":34.37},{"__typename":"Human","name":"Leia"}]}` {
		t.Fatalf("union: %s", a.raw)
	}
	// A missing non-null field nulls its nearest nullable parent, with an error.
	a = post(t, url, `{ human(id: "1") { id name } }`, nil)
	errs := a.errorsOf()
	if dataOf(t, a) != `{"human":null}` || len(errs) != 1 || errs[0]["message"] != "Cannot return null for non-nullable field Human.id." ||
		compact(t, errs[0]["path"]) != `["human","id"]` {
		t.Fatalf("non-null: %s", a.raw)
	}
	// An object where a list belongs is an error at the field.
	a = post(t, url, `{ reviews(episode: JEDI) { stars } }`, nil)
	if errs = a.errorsOf(); dataOf(t, a) != `{"reviews":null}` || len(errs) != 1 || !strings.Contains(errs[0]["message"].(string), "expects a list") {
		t.Fatalf("list: %s", a.raw)
	}
	// A mutation with an input object variable: the arguments reach the host coerced.
	a = post(t, url, `mutation Add($r: ReviewInput!) { createReview(episode: JEDI, review: $r) { stars commentary } }`,
		map[string]any{"r": map[string]any{"stars": 5, "commentary": "great", "favorite_color": map[string]any{"red": 1, "green": 2, "blue": 3}}})
	if dataOf(t, a) != `{"createReview":{"stars":5,"commentary":"great"}}` {
		t.Fatalf("mutation: %s", a.raw)
	}
	last := table.requests()[len(table.requests())-1]
	if last.Operation != "mutation" || compact(t, args(t, &last)) != `{"episode":"JEDI","review":{"commentary":"great","favorite_color":{"blue":3,"green":2,"red":1},"stars":5}}` {
		t.Fatalf("mutation find: %+v %s", last, last.Arguments)
	}
	// Argument defaults of the SDL are applied at the root.
	table.set(fakeMock{op: "query", field: "planets", resp: find.GraphQLResponse{MockID: "planets", Data: json.RawMessage(`[]`)}})
	a = post(t, url, `{ planets { name } }`, nil)
	last = table.requests()[len(table.requests())-1]
	if dataOf(t, a) != `{"planets":[]}` || compact(t, args(t, &last)) != `{"first":10}` {
		t.Fatalf("defaults: %s / %s", a.raw, last.Arguments)
	}
	// A non-null root field no mock answers makes data null.
	a = post(t, url, `{ planets { name } now }`, nil)
	if errs = a.errorsOf(); dataOf(t, a) != `null` || len(errs) != 1 || compact(t, errs[0]["path"]) != `["now"]` {
		t.Fatalf("non-null root: %s", a.raw)
	}
}

func TestIntrospection(t *testing.T) {
	fake, url := startWithSchema(t, &mockTable{})
	query, err := os.ReadFile("testdata/introspection.graphql")
	if err != nil {
		t.Fatal(err)
	}
	a := post(t, url, string(query), nil)
	if a.status != 200 || a.body["errors"] != nil {
		t.Fatalf("introspection: %d %.2000s", a.status, a.raw)
	}
	var raw struct {
		Data json.RawMessage `json:"data"`
	}
	_ = json.Unmarshal([]byte(a.raw), &raw)
	original := describeSchema(loadSDL(t, map[string]string{
		"starwars.graphql": string(sdl(t, "starwars.graphql")[0].Content),
		"extras.graphql":   string(sdl(t, "extras.graphql")[0].Content)}))

	// Go: the result printed back as SDL by gqlparser loads as the same schema.
	back := sdlFromIntrospection(t, raw.Data)
	if got := describeSchema(loadSDL(t, map[string]string{"back.graphql": back})); got != original {
		t.Fatalf("the schema read back from introspection differs:\n%s\n--- want ---\n%s\n--- SDL ---\n%s", got, original, back)
	}
	// __type and __typename, with variables.
	a = post(t, url, `query($n: String!) { __typename __type(name: $n) { kind name enumValues(includeDeprecated: true) { name } } missing: __type(name: "Nope") { name } }`,
		map[string]any{"n": "Episode"})
	if got := dataOf(t, a); got != `{"__typename":"Query","__type":{"kind":"ENUM","name":"Episode","enumValues":[{"name":"NEWHOPE"},{"name":"EMPIRE"},{"name":"JEDI"}]},"missing":null}` {
		t.Fatalf("__type: %s", a.raw)
	}
	// Deprecated fields are hidden unless asked for.
	a = post(t, url, `{ __type(name: "Planet") { fields { name } all: fields(includeDeprecated: true) { name isDeprecated deprecationReason } } }`, nil)
	if got := dataOf(t, a); got != `{"__type":{"fields":[{"name":"name"},{"name":"population"},{"name":"discoveredAt"}],`+
		`"all":[{"name":"name","isDeprecated":false,"deprecationReason":null},{"name":"population","isDeprecated":false,"deprecationReason":null},`+
		`{"name":"inhabitants","isDeprecated":true,"deprecationReason":"Use `+"`population`"+`."},{"name":"climate","isDeprecated":true,"deprecationReason":"No longer supported"},`+
		`{"name":"discoveredAt","isDeprecated":false,"deprecationReason":null}]}}` {
		t.Fatalf("deprecation: %s", got)
	}

	// graphql-js (when node and the npm package are here) builds a client
	// schema from the same result; its printed SDL loads as the same schema.
	t.Run("graphql-js buildClientSchema", func(t *testing.T) {
		printed := graphqlJS(t, []byte(a.raw[:0]+`{"data":`+string(raw.Data)+`}`))
		if got := describeSchema(loadSDL(t, map[string]string{"printed.graphql": printed})); got != original {
			t.Fatalf("graphql-js's schema differs:\n%s\n--- want ---\n%s", got, original)
		}
	})

	// Without an SDL, introspection says what to do.
	fake.SetDocuments(sdk.DocumentGraphQL)
	plugintest.Eventually(t, 20*time.Second, func() bool {
		a = post(t, url, `{ __schema { queryType { name } } }`, nil)
		errs := a.errorsOf()
		return len(errs) == 1 && strings.Contains(errs[0]["message"].(string), "register an SDL")
	}, "the schema to be dropped")
	if dataOf(t, a) != `{"__schema":null}` {
		t.Fatalf("no schema: %s", a.raw)
	}
}

func TestSchemaChangesAreSeen(t *testing.T) {
	table := heroTable()
	fake := table.fake()
	p := plugintest.Start(t, &Listener{}, json.RawMessage(`{"addresses":["127.0.0.1:0"]}`), fake)
	url := "http://" + p.Addresses[0] + "/graphql"
	// No SDL: any field goes to the host.
	if a := post(t, url, "{ hero { name } }", nil); dataOf(t, a) != `{"hero":{"name":"R2-D2"}}` {
		t.Fatalf("schemaless: %s", a.raw)
	}
	fake.SetDocuments(sdk.DocumentGraphQL, sdk.Document{Name: "a.graphql", Content: []byte("type Query { villain: String }")})
	plugintest.Eventually(t, 20*time.Second, func() bool {
		errs := post(t, url, "{ hero { name } }", nil).errorsOf()
		return len(errs) == 1 && strings.Contains(errs[0]["message"].(string), `Cannot query field "hero"`)
	}, "the new schema to validate")
	// An SDL that does not load (two files declaring one type) is reported.
	fake.SetDocuments(sdk.DocumentGraphQL, sdk.Document{Name: "a.graphql", Content: []byte("type Query { villain: String }")},
		sdk.Document{Name: "b.graphql", Content: []byte("type Query { hero: String }")})
	plugintest.Eventually(t, 20*time.Second, func() bool {
		a := post(t, url, "{ villain }", nil)
		errs := a.errorsOf()
		return a.status == 500 && len(errs) == 1 && strings.Contains(errs[0]["message"].(string), "b.graphql:1:6")
	}, "the broken schema to be reported")
}

func TestSubscriptionOverSSE(t *testing.T) {
	table := &mockTable{mocks: []fakeMock{
		{op: "subscription", field: "reviewAdded", resp: find.GraphQLResponse{MockID: "reviews", Delay: 1,
			Data: json.RawMessage(`[{"stars":4,"commentary":"good"},{"stars":5,"episode":"JEDI"}]`)}},
	}}
	_, url := startWithSchema(t, table)
	body := `{"query":"subscription { reviewAdded(episode: JEDI) { stars episode } }"}`

	// Without Accept: text/event-stream the client is told how.
	a := send(t, http.MethodPost, url, "application/json", body)
	if errs := a.errorsOf(); len(errs) != 1 || !strings.Contains(errs[0]["message"].(string), "text/event-stream") {
		t.Fatalf("no SSE: %s", a.raw)
	}
	events := readEvents(t, url, body)
	want := []string{`next {"data":{"reviewAdded":{"stars":4,"episode":null}}}`, `next {"data":{"reviewAdded":{"stars":5,"episode":"JEDI"}}}`, "complete"}
	if strings.Join(events, "\n") != strings.Join(want, "\n") {
		t.Fatalf("events:\n%s", strings.Join(events, "\n"))
	}
}
