package graphqlgen

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/mockarty-oss/mockarty/host/internal/generate"
	"github.com/mockarty-oss/mockarty/host/internal/model"
	"github.com/mockarty-oss/mockarty/host/internal/render"
)

// starWars is the graphql.org Star Wars schema, kept once for the
// repository with the GraphQL listener's fixtures.
const starWars = "../../../../plugins/graphql/testdata/starwars.graphql"

func readSDL(t *testing.T, names ...string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, n := range names {
		path := "testdata/" + n
		if n == "starwars.graphql" {
			path = starWars
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		out[n] = string(b)
	}
	return out
}

// rendered is a mock's payload after the host's templates ran: what a
// client gets.
func rendered(t *testing.T, m *model.Mock) any {
	t.Helper()
	if err := render.CheckFakers(m.Response.Payload); err != nil {
		t.Fatalf("%s: %v\n%s", m.ID, err, m.Response.Payload)
	}
	tpl, err := render.CompileJSON(m.Response.Payload)
	if err != nil {
		t.Fatalf("%s: %v", m.ID, err)
	}
	return tpl.Value(&render.Data{})
}

func byID(mocks []*model.Mock) map[string]*model.Mock {
	out := map[string]*model.Mock{}
	for _, m := range mocks {
		out[m.ID] = m
	}
	return out
}

func TestStarWars(t *testing.T) {
	mocks, err := Generate(Input{Namespace: "qa", SDL: readSDL(t, "starwars.graphql")})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, m := range mocks {
		ids = append(ids, m.ID)
		if err := m.Validate(); err != nil {
			t.Fatalf("%s does not validate: %v", m.ID, err)
		}
		if m.Namespace != "qa" || m.GraphQL.Path != "/graphql" || strings.Join(m.Tags, ",") != "generated,graphql" || m.Response == nil {
			t.Fatalf("mock %s: %+v", m.ID, m)
		}
	}
	want := "graphql-query-hero graphql-query-reviews graphql-query-search graphql-query-character graphql-query-droid " +
		"graphql-query-human graphql-query-starship graphql-mutation-createreview graphql-subscription-reviewadded"
	if strings.Join(ids, " ") != want {
		t.Fatalf("ids: %s", strings.Join(ids, " "))
	}
	all := byID(mocks)
	if g := all["graphql-mutation-createreview"].GraphQL; g.Operation != "mutation" || g.Field != "createReview" {
		t.Fatalf("context: %+v", g)
	}

	// hero: Character is an interface: its first type, named.
	var hero map[string]any
	_ = json.Unmarshal(all["graphql-query-hero"].Response.Payload, &hero)
	if hero["__typename"] != "Human" || hero["id"] != "$.fake.UUID" || hero["name"] != "$.fake.Name" ||
		fmt.Sprint(hero["appearsIn"]) != "[NEWHOPE NEWHOPE]" || hero["height"] != "$.fake.FloatRange(0, 1000)" {
		t.Fatalf("hero: %v", hero)
	}
	friends := hero["friends"].([]any)
	if len(friends) != 2 || friends[0].(map[string]any)["__typename"] != "Human" {
		t.Fatalf("friends: %v", hero["friends"])
	}
	// friendsConnection is non-null: present at every depth; pageInfo too.
	conn := hero["friendsConnection"].(map[string]any)
	if _, ok := conn["pageInfo"].(map[string]any)["hasNextPage"]; !ok {
		t.Fatalf("friendsConnection: %v", conn)
	}
	// Depth is limited: friends of friends of friends are left out (nullable).
	deep := friends[0].(map[string]any)["friends"].([]any)[0].(map[string]any)
	if _, ok := deep["friends"]; ok {
		t.Fatalf("not depth-limited: %v", deep)
	}

	// The rendered payloads have real values of the right JSON types.
	h := rendered(t, all["graphql-query-hero"]).(map[string]any)
	if _, ok := h["name"].(string); !ok || h["name"] == "$.fake.Name" {
		t.Fatalf("rendered hero: %v", h)
	}
	if _, ok := h["mass"].(float64); !ok {
		t.Fatalf("mass is not a number: %#v", h["mass"])
	}
	review := rendered(t, all["graphql-mutation-createreview"]).(map[string]any)
	if s, ok := review["stars"].(int); !ok || s < 1 || s > 5 {
		if f, ok := review["stars"].(float64); !ok || f < 1 || f > 5 {
			t.Fatalf("stars: %#v", review["stars"])
		}
	}
	// search: a list of a union; a subscription's payload is its events.
	var search []map[string]any
	_ = json.Unmarshal(all["graphql-query-search"].Response.Payload, &search)
	if len(search) != 2 || search[0]["__typename"] != "Human" {
		t.Fatalf("search: %s", all["graphql-query-search"].Response.Payload)
	}
	var events []map[string]any
	if err := json.Unmarshal(all["graphql-subscription-reviewadded"].Response.Payload, &events); err != nil || len(events) != 2 ||
		events[0]["episode"] != "NEWHOPE" || events[0]["commentary"] != "$.fake.Sentence" {
		t.Fatalf("subscription: %s", all["graphql-subscription-reviewadded"].Response.Payload)
	}
	// starship.coordinates is [[Float!]!]: lists of lists.
	var ship map[string]any
	_ = json.Unmarshal(all["graphql-query-starship"].Response.Payload, &ship)
	if c, ok := ship["coordinates"].([]any); !ok || len(c) != 2 || len(c[0].([]any)) != 2 {
		t.Fatalf("coordinates: %v", ship["coordinates"])
	}

	// Ids are stable, and the prefix and path are the caller's.
	again, _ := Generate(Input{IDPrefix: "sw", Path: "/api/graphql", SDL: readSDL(t, "starwars.graphql")})
	if again[0].ID != "sw-query-hero" || again[0].GraphQL.Path != "/api/graphql" || again[0].ID != generate.MockID("sw", "query", "hero") {
		t.Fatalf("options: %s %s", again[0].ID, again[0].GraphQL.Path)
	}
}

func TestFederationSupergraph(t *testing.T) {
	mocks, err := Generate(Input{SDL: readSDL(t, "supergraph.graphql")})
	if err != nil {
		t.Fatal(err)
	}
	all := byID(mocks)
	if len(mocks) != 5 || all["graphql-query-me"] == nil || all["graphql-mutation-createstudents"] == nil {
		t.Fatalf("mocks: %v", mocks)
	}
	var me map[string]any
	_ = json.Unmarshal(all["graphql-query-me"].Response.Payload, &me)
	// Names pick fakers (avatarURL is a URL, username a user name); the
	// custom scalar Date is a string; a non-null list of objects is filled.
	progress := me["progress"].([]any)[0].(map[string]any)
	if me["avatarURL"] != "$.fake.URL" || me["username"] != "$.fake.Username" || progress["completedOn"] != "$.fake.DateISO" ||
		progress["percent"] != "$.fake.FloatRange(0, 1)" || progress["video"].(map[string]any)["durationSeconds"] == nil {
		t.Fatalf("me: %s", all["graphql-query-me"].Response.Payload)
	}
	for _, m := range mocks {
		rendered(t, m)
	}
}

func TestLargeSchemasGiveSmallMocks(t *testing.T) {
	// 40 types, each with 40 fields pointing at every other type, and lists:
	// without limits one payload would have 40^depth objects.
	var b strings.Builder
	b.WriteString("type Query { root: T0! all: [T0!]! }\n")
	for i := 0; i < 40; i++ {
		fmt.Fprintf(&b, "type T%d { id: ID! name: String!", i)
		for j := 0; j < 40; j++ {
			fmt.Fprintf(&b, " next%d: T%d list%d: [T%d!]!", j, j, j, j)
		}
		b.WriteString(" }\n")
	}
	mocks, err := Generate(Input{SDL: map[string]string{"big.graphql": b.String()}})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range mocks {
		if n := len(m.Response.Payload); n > 100_000 {
			t.Fatalf("%s: a %d-byte payload", m.ID, n)
		}
		rendered(t, m)
	}
}

func TestValidate(t *testing.T) {
	if err := Validate(readSDL(t, "starwars.graphql", "supergraph.graphql")); err == nil ||
		!strings.Contains(err.Error(), "supergraph.graphql:") || !strings.Contains(err.Error(), "Cannot redeclare type") {
		t.Fatalf("two schemas with the same types: %v", err)
	}
	cases := map[string]struct {
		sdl  map[string]string
		want string
	}{
		"unknown type": {map[string]string{"a.graphql": "type Query {\n  hero: Hero\n}"}, "a.graphql:2:9: Undefined type Hero."},
		"syntax":       {map[string]string{"b.graphql": "type Query { hero: }"}, "b.graphql:1:20: Expected Name, found }"},
		"second file": {map[string]string{"a.graphql": "type Query { a: Int }", "b.graphql": "extend type Query { a: Int }"},
			"b.graphql:1:21"},
		"nothing": {map[string]string{}, "no SDL given"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			err := Validate(c.sdl)
			var ie *generate.InputError
			if !errors.As(err, &ie) || ie.Field != "sdl" || !strings.Contains(ie.Message, c.want) {
				t.Fatalf("got %v, want an InputError with %q", err, c.want)
			}
			if _, gerr := Generate(Input{SDL: c.sdl}); gerr == nil {
				t.Fatal("Generate accepted it")
			}
		})
	}
	if err := Validate(readSDL(t, "starwars.graphql")); err != nil {
		t.Fatal(err)
	}
	// A schema with no root field has nothing to mock.
	if _, err := Generate(Input{SDL: map[string]string{"t.graphql": "type Query\ntype Thing { a: Int }"}}); err == nil {
		t.Fatal("a schema without root fields made mocks")
	}
}
