package main

import (
	"context"
	"encoding/json"
	"github.com/mockarty-oss/mockarty/sdk/find"
	"github.com/mockarty-oss/mockarty/sdk/handoff"
	"github.com/mockarty-oss/mockarty/sdk/plugintest"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// Unit tests against the fake host: the plugin runs in-process behind the
// real gRPC contract; requests are real HTTP.

const heroQuery = `
query HeroAndFriends($ep: Episode = JEDI, $withFriends: Boolean!, $id: ID!) {
  main: hero(episode: $ep) {
    ...Who
    friends @include(if: $withFriends) { name }
    ... on Droid { primaryFunction }
  }
  other: human(id: $id) { name, height: mass }
}
fragment Who on Character { id name }
`

func heroTable() *mockTable {
	return &mockTable{mocks: []fakeMock{
		{op: "query", field: "hero", resp: find.GraphQLResponse{MockID: "hero",
			Data: json.RawMessage(`{"name":"R2-D2","id":"2001","friends":[{"name":"Luke","id":"1000"},{"name":"Han"}],"primaryFunction":"Astromech","secret":"x"}`)}},
		{op: "query", field: "human", resp: find.GraphQLResponse{MockID: "human",
			Data: json.RawMessage(`{"name":"Luke Skywalker","mass":77,"homePlanet":"Tatooine"}`)}},
	}}
}

func TestQueryWithoutSchema(t *testing.T) {
	table := heroTable()
	p := plugintest.Start(t, &Listener{}, json.RawMessage(`{"addresses":["127.0.0.1:0"],"namespace":"qa"}`), table.fake())
	url := "http://" + p.Addresses[0] + "/graphql"

	a := post(t, url, heroQuery, map[string]any{"withFriends": true, "id": 1000}, "X-Tenant", "acme")
	if a.status != 200 || !strings.HasPrefix(a.header.Get("Content-Type"), "application/json") || a.body["errors"] != nil {
		t.Fatalf("answer: %d %v %s", a.status, a.header, a.raw)
	}
	// Without an SDL the payload's shape is followed: the fragment on
	// Droid cannot be decided, so its field is answered because the payload
	// has it; unselected members (secret, homePlanet) are left out.
	want := `{"main":{"id":"2001","name":"R2-D2","friends":[{"name":"Luke"},{"name":"Han"}],"primaryFunction":"Astromech"},` +
		`"other":{"name":"Luke Skywalker","height":77}}`
	if got := dataOf(t, a); got != want {
		t.Fatalf("data:\n got %s\nwant %s", got, want)
	}
	reqs := table.requests()
	if len(reqs) != 2 {
		t.Fatalf("finds: %+v", reqs)
	}
	byField := map[string]find.GraphQLRequest{}
	for _, r := range reqs {
		byField[r.Field] = r
	}
	hero, human := byField["hero"], byField["human"]
	if hero.Namespace != "qa" || hero.Path != "/graphql" || hero.Operation != "query" ||
		compact(t, args(t, &hero)) != `{"episode":"JEDI"}` || hero.Headers["X-Tenant"][0] != "acme" {
		t.Fatalf("hero find: %+v args %s", hero, hero.Arguments)
	}
	var vars map[string]any
	_ = json.Unmarshal(hero.Variables, &vars)
	if compact(t, vars) != `{"ep":"JEDI","id":1000,"withFriends":true}` {
		t.Fatalf("variables (with the default applied): %s", hero.Variables)
	}
	if compact(t, args(t, &human)) != `{"id":1000}` {
		t.Fatalf("human arguments: %s", human.Arguments)
	}

	// @include(if: false) drops the field; the same query by GET.
	q := url + "?query=" + urlQuery(heroQuery) + "&variables=" + urlQuery(`{"withFriends":false,"id":"1"}`)
	a = send(t, http.MethodGet, q, "", "")
	if a.status != 200 || dataOf(t, a) != `{"main":{"id":"2001","name":"R2-D2","primaryFunction":"Astromech"},"other":{"name":"Luke Skywalker","height":77}}` {
		t.Fatalf("GET: %d %s", a.status, a.raw)
	}
	// application/graphql: the body is the document.
	a = send(t, http.MethodPost, url, "application/graphql", `{ __typename hero { name } }`)
	if a.status != 200 || dataOf(t, a) != `{"__typename":"Query","hero":{"name":"R2-D2"}}` {
		t.Fatalf("application/graphql: %d %s", a.status, a.raw)
	}
}

func urlQuery(s string) string { return url.QueryEscape(s) }

func TestErrorsAndMissingMocks(t *testing.T) {
	table := &mockTable{mocks: []fakeMock{
		{op: "query", field: "hero", when: func(r *find.GraphQLRequest) bool { return strings.Contains(string(r.Arguments), "JEDI") },
			resp: find.GraphQLResponse{MockID: "hero-jedi", Data: json.RawMessage(`{"name":"Luke"}`)}},
		{op: "query", field: "droid", resp: find.GraphQLResponse{MockID: "droid-gone",
			Errors: []find.GraphQLError{{Message: "droid not found", Extensions: json.RawMessage(`{"code":"NOT_FOUND"}`)}}}},
		{op: "query", field: "partial", resp: find.GraphQLResponse{MockID: "partial", Data: json.RawMessage(`{"a":1}`),
			Errors: []find.GraphQLError{{Message: "b failed", Path: []any{"partial", "b"}, Locations: json.RawMessage(`[{"line":9,"column":9}]`)}}}},
	}}
	p := plugintest.Start(t, &Listener{}, json.RawMessage(`{"addresses":["127.0.0.1:0"]}`), table.fake())
	url := "http://" + p.Addresses[0] + "/graphql"

	a := post(t, url, "{ hero(episode: EMPIRE) { name } droid(id: \"1\") { name } partial { a b } jedi: hero(episode: JEDI) { name } }", nil)
	if a.status != 200 {
		t.Fatalf("status %d: %s", a.status, a.raw)
	}
	if got := dataOf(t, a); got != `{"hero":null,"droid":null,"partial":{"a":1,"b":null},"jedi":{"name":"Luke"}}` {
		t.Fatalf("data: %s", got)
	}
	errs := a.errorsOf()
	if len(errs) != 3 {
		t.Fatalf("errors: %s", a.raw)
	}
	byMsg := map[string]map[string]any{}
	for _, e := range errs {
		byMsg[strings.SplitN(e["message"].(string), " (", 2)[0]] = e
	}
	miss := byMsg[`no mock answers query field "hero"`]
	if miss == nil || compact(t, miss["path"]) != `["hero"]` || compact(t, miss["locations"]) != `[{"column":3,"line":1}]` {
		t.Fatalf("near miss: %s", a.raw)
	}
	ext := miss["extensions"].(map[string]any)
	if ext["code"] != "MOCK_NOT_FOUND" || !strings.Contains(miss["message"].(string), "hero-jedi: condition failed at $.episode (values differ)") ||
		strings.Contains(a.raw, `"expected"`) {
		t.Fatalf("near miss details (the expected value must not show): %s", a.raw)
	}
	gone := byMsg["droid not found"]
	if gone == nil || compact(t, gone["path"]) != `["droid"]` || compact(t, gone["extensions"]) != `{"code":"NOT_FOUND"}` {
		t.Fatalf("mock error: %s", a.raw)
	}
	if b := byMsg["b failed"]; b == nil || compact(t, b["path"]) != `["partial","b"]` || compact(t, b["locations"]) != `[{"column":9,"line":9}]` {
		t.Fatalf("mock error with its own path: %s", a.raw)
	}
}

func TestRequestErrors(t *testing.T) {
	table := heroTable()
	p := plugintest.Start(t, &Listener{}, json.RawMessage(`{"addresses":["127.0.0.1:0"]}`), table.fake())
	url := "http://" + p.Addresses[0] + "/graphql"
	cases := []struct {
		name, method, ctype, body, accept string
		status                            int
		msg                               string
	}{
		{"syntax", "POST", "application/json", `{"query":"{ hero { name "}`, "", 200, "Expected Name"},
		{"syntax, graphql-response", "POST", "application/json", `{"query":"{ hero { name "}`, mediaGraphQLResponse, 400, "Expected Name"},
		{"no query", "POST", "application/json", `{"variables":{}}`, "", 400, "has no query"},
		{"not JSON", "POST", "application/json", `query { hero }`, "", 400, "not a GraphQL request in JSON"},
		{"batch", "POST", "application/json", `[{"query":"{a}"}]`, "", 400, "batched requests"},
		{"variables not an object", "POST", "application/json", `{"query":"{a}","variables":[1]}`, "", 400, "variables must be a JSON object"},
		{"media type", "POST", "text/xml", `<q/>`, "", 415, "application/json or application/graphql"},
		{"method", "PUT", "application/json", `{"query":"{a}"}`, "", 405, "GET or POST"},
		{"two operations, no name", "POST", "application/json", `{"query":"query A { a } query B { b }"}`, "", 200, "Must provide operation name"},
		{"unknown operation", "POST", "application/json", `{"query":"query A { a }","operationName":"B"}`, "", 200, `Unknown operation named "B"`},
		{"unknown fragment", "POST", "application/json", `{"query":"{ a { ...F } }"}`, "", 200, `Unknown fragment "F"`},
		{"fragment cycle", "POST", "application/json", `{"query":"{ a { ...F } } fragment F on A { b { ...G } } fragment G on B { ...F }"}`, "", 200, "within itself"},
		{"required variable", "POST", "application/json", `{"query":"query($id: ID!) { human(id: $id) { name } }"}`, "", 200, `"$id" of required type "ID!" was not provided`},
		{"mutation by GET", "GET", "", "", "", 405, "cannot be sent with GET"},
		{"persisted query", "POST", "application/json", `{"extensions":{"persistedQuery":{"version":1,"sha256Hash":"abc"}}}`, "", 200, "PersistedQueryNotSupported"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			target := url
			if c.method == "GET" {
				target += "?query=" + urlQuery("mutation { a }")
			}
			a := send(t, c.method, target, c.ctype, c.body, "Accept", c.accept)
			errs := a.errorsOf()
			if a.status != c.status || len(errs) == 0 || !strings.Contains(errs[0]["message"].(string), c.msg) {
				t.Fatalf("%d %s", a.status, a.raw)
			}
			if _, hasData := a.body["data"]; hasData {
				t.Fatalf("a request error has no data entry: %s", a.raw)
			}
			if c.accept != "" && !strings.HasPrefix(a.header.Get("Content-Type"), c.accept) {
				t.Fatalf("content type %q", a.header.Get("Content-Type"))
			}
		})
	}
	if n := len(table.requests()); n != 0 {
		t.Fatalf("requests that did not run asked the host %d times", n)
	}
}

func TestNamespaceFromTheHost(t *testing.T) {
	table := heroTable()
	p := plugintest.Start(t, &Listener{}, json.RawMessage(`{"addresses":["127.0.0.1:0"],"namespace":"qa"}`), table.fake())
	// The host hands /stubs/team-a/graphql over as /graphql with the namespace in a header.
	a := post(t, "http://"+p.Addresses[0]+"/graphql", "{ hero { name } }", nil, handoff.HeaderNamespace, "team-a",
		handoff.HeaderSecret, plugintest.HandOffSecret())
	if a.status != 200 || dataOf(t, a) != `{"hero":{"name":"R2-D2"}}` {
		t.Fatalf("%d %s", a.status, a.raw)
	}
	if r := table.requests()[0]; r.Namespace != "team-a" || r.Path != "/graphql" {
		t.Fatalf("find: %+v", r)
	}
}

func TestDelayAndStop(t *testing.T) {
	table := &mockTable{mocks: []fakeMock{
		{op: "query", field: "slow", resp: find.GraphQLResponse{MockID: "slow", Data: json.RawMessage(`"late"`), Delay: 3_600_000}},
		{op: "query", field: "fast", resp: find.GraphQLResponse{MockID: "fast", Data: json.RawMessage(`"now"`)}},
	}}
	l := &Listener{}
	p := plugintest.Start(t, l, json.RawMessage(`{"addresses":["127.0.0.1:0"]}`), table.fake())
	url := "http://" + p.Addresses[0] + "/graphql"
	done := make(chan *http.Response, 1)
	go func() {
		res, err := http.Post(url, "application/json", strings.NewReader(`{"query":"{ slow }"}`))
		if err == nil {
			res.Body.Close()
		}
		done <- res
	}()
	plugintest.Eventually(t, 20*time.Second, func() bool { return len(table.requests()) == 1 }, "the slow field to be asked")
	// The slow mock's hour-long delay holds its answer back; others are served.
	if a := post(t, url, "{ fast }", nil); dataOf(t, a) != `{"fast":"now"}` {
		t.Fatalf("fast: %s", a.raw)
	}
	select {
	case <-done:
		t.Fatal("the delayed answer came before its delay")
	default:
	}
	// Stop ends what its deadline leaves running, and the health check fails.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_ = l.Stop(ctx)
	<-done
	if l.Health(context.Background()) == nil {
		t.Fatal("healthy after Stop")
	}
}
