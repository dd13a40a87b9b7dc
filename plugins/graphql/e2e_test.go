package main

// End to end: the real host binary loads the real plugin binary; mocks and
// SDL files are made through the host's REST API and queries are real
// HTTP requests to the plugin's address (and to the host's /stubs, which
// hands GraphQL over to the plugin).

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	genql "github.com/Khan/genqlient/graphql"
	"github.com/mockarty-oss/mockarty/sdk/handoff"
	"github.com/mockarty-oss/mockarty/sdk/plugintest"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

func TestMain(m *testing.M) {
	code := m.Run()
	plugintest.Cleanup()
	os.Exit(code)
}

func startHost(t *testing.T) (*plugintest.HostProc, string) {
	t.Helper()
	return startHostWith(t, `{"addresses":["127.0.0.1:0"],"namespace":"sandbox"}`)
}

func startHostWith(t *testing.T, settings string) (*plugintest.HostProc, string) {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end: builds and runs the host")
	}
	h := plugintest.StartHost(t, plugintest.HostOptions{Plugins: map[string]plugintest.PluginSpec{
		"graphql": {Dir: ".", Settings: settings},
	}})
	addrs := h.Addresses(t, "graphql")
	if len(addrs) == 0 {
		t.Fatalf("the plugin lists no address: %v", h.Plugin(t, "graphql"))
	}
	return h, "http://" + addrs[0] + "/graphql"
}

func TestE2EQueries(t *testing.T) {
	h, url := startHost(t)
	for _, m := range []string{
		// The example mock of the docs.
		`{"id":"hero","graphql":{"operation":"query","field":"hero"},
		  "response":{"payload":{"name":"R2-D2","id":"2001","friends":[{"name":"Luke"}]}}}`,
		// Conditions on the field's arguments pick a mock.
		`{"id":"hero-empire","priority":10,"graphql":{"operation":"query","field":"hero",
		  "conditions":[{"path":"$.episode","assertAction":"equals","value":"EMPIRE"}]},
		  "response":{"payload":{"name":"Luke Skywalker","id":"1000","friends":[{"name":"Han"},{"name":"Leia"}]}}}`,
		// Templates read the arguments ($.req.id) and the variables ($.req.variables.*).
		`{"id":"human","graphql":{"operation":"query","field":"human",
		  "conditions":[{"path":"$.id","assertAction":"equals","value":"1000"}]},
		  "response":{"payload":{"name":"Luke Skywalker","id":"$.req.id","note":"$.req.variables.note"}}}`,
		`{"id":"droid-gone","graphql":{"operation":"query","field":"droid"},
		  "response":{"payload":null,"graphqlErrors":[{"message":"droid not found","extensions":{"code":"NOT_FOUND"}}]}}`,
		`{"id":"review","graphql":{"operation":"mutation","field":"createReview"},
		  "response":{"payload":{"stars":"$.req.review.stars","commentary":"$.req.variables.r.commentary"}}}`,
	} {
		h.Post(t, "/api/v1/mocks", m, 201)
	}

	q := `query Heroes($ep: Episode = EMPIRE, $id: ID!, $note: String) {
  luke: hero(episode: $ep) { ...Who friends { name } }
  r2: hero { ... { name } friends { friend: name } }
  human(id: $id) { ...Who note }
}
fragment Who on Character { name id }`
	a := post(t, url, q, map[string]any{"id": "1000", "note": "from a variable"})
	want := `{"luke":{"name":"Luke Skywalker","id":"1000","friends":[{"name":"Han"},{"name":"Leia"}]},` +
		`"r2":{"name":"R2-D2","friends":[{"friend":"Luke"}]},` +
		`"human":{"name":"Luke Skywalker","id":"1000","note":"from a variable"}}`
	if a.status != 200 || a.body["errors"] != nil || dataOf(t, a) != want {
		t.Fatalf("query: %d\n got %s\nwant {\"data\":%s}", a.status, a.raw, want)
	}

	// The same through a GraphQL client library (genqlient's runtime, what
	// its generated code calls), by POST and by GET.
	type who struct {
		Name string `json:"name"`
		ID   string `json:"id"`
	}
	var out struct {
		Luke  who `json:"luke"`
		Human who `json:"human"`
	}
	for _, client := range []genql.Client{genql.NewClient(url, http.DefaultClient), genql.NewClientUsingGet(url, http.DefaultClient)} {
		out.Luke, out.Human = who{}, who{}
		err := client.MakeRequest(context.Background(), &genql.Request{Query: q, OpName: "Heroes",
			Variables: map[string]any{"id": "1000"}}, &genql.Response{Data: &out})
		if err != nil || out.Luke != (who{"Luke Skywalker", "1000"}) || out.Human.ID != "1000" {
			t.Fatalf("genqlient: %v %+v", err, out)
		}
	}
	var gone struct{ Droid *who }
	err := genql.NewClient(url, http.DefaultClient).MakeRequest(context.Background(),
		&genql.Request{Query: `query Gone { droid(id: "1") { name } }`, OpName: "Gone"}, &genql.Response{Data: &gone})
	var list gqlerror.List
	if !errors.As(err, &list) || len(list) != 1 || list[0].Message != "droid not found" || list[0].Path.String() != "droid" || gone.Droid != nil {
		t.Fatalf("genqlient errors: %v", err)
	}

	// The mock's graphqlErrors, a field no mock answers, and a good one.
	a = post(t, url, `{ droid(id: "9") { name } human(id: "2") { name } hero { name } }`, nil)
	errs := a.errorsOf()
	if dataOf(t, a) != `{"droid":null,"human":null,"hero":{"name":"R2-D2"}}` || len(errs) != 2 {
		t.Fatalf("errors: %s", a.raw)
	}
	if errs[0]["message"] != "droid not found" || compact(t, errs[0]["path"]) != `["droid"]` ||
		compact(t, errs[0]["extensions"]) != `{"code":"NOT_FOUND"}` {
		t.Fatalf("graphqlErrors: %s", a.raw)
	}
	miss := errs[1]
	if !strings.HasPrefix(miss["message"].(string), `no mock answers query field "human"`) || compact(t, miss["path"]) != `["human"]` ||
		!strings.Contains(miss["message"].(string), "human: condition failed") ||
		miss["extensions"].(map[string]any)["code"] != "MOCK_NOT_FOUND" || strings.Contains(a.raw, `"expected"`) {
		t.Fatalf("missing mock: %s", a.raw)
	}

	// A mutation, its input object read by the mock's templates.
	a = post(t, url, `mutation Add($r: ReviewInput!) { createReview(episode: JEDI, review: $r) { stars commentary } }`,
		map[string]any{"r": map[string]any{"stars": 5, "commentary": "great"}})
	if dataOf(t, a) != `{"createReview":{"stars":5,"commentary":"great"}}` {
		t.Fatalf("mutation: %s", a.raw)
	}

	// Without an SDL: introspection asks for one.
	a = post(t, url, `{ __schema { types { name } } }`, nil)
	if errs := a.errorsOf(); len(errs) != 1 || !strings.Contains(errs[0]["message"].(string), "register an SDL") {
		t.Fatalf("introspection without SDL: %s", a.raw)
	}
}

func TestE2ESchema(t *testing.T) {
	h, url := startHost(t)
	h.Post(t, "/api/v1/mocks", `{"id":"hero","graphql":{"operation":"query","field":"hero"},
	  "response":{"payload":{"name":"R2-D2","id":"2001","primaryFunction":"Astromech","friends":[{"name":"Luke","homePlanet":"Tatooine"}]}}}`, 201)
	for _, name := range []string{"starwars.graphql", "extras.graphql"} {
		b, err := os.ReadFile("testdata/" + name)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := json.Marshal(map[string]string{"name": name, "content": string(b)})
		h.Post(t, "/api/v1/graphql/schemas", string(body), 201)
	}

	// The plugin hears of the SDL (Watch) and validates against it.
	var a *gqlAnswer
	plugintest.Eventually(t, 20*time.Second, func() bool {
		a = post(t, url, `{ hero { name mass } }`, nil)
		errs := a.errorsOf()
		return len(errs) == 1 && strings.Contains(errs[0]["message"].(string), `Cannot query field "mass" on type "Character"`)
	}, "the SDL to validate queries")
	if _, has := a.body["data"]; has || compact(t, a.errorsOf()[0]["locations"]) != `[{"column":15,"line":1}]` {
		t.Fatalf("validation error: %s", a.raw)
	}

	a = post(t, url, `{ hero { __typename name ... on Droid { primaryFunction } friends { __typename name } } }`, nil)
	if got := dataOf(t, a); got != `{"hero":{"__typename":"Droid","name":"R2-D2","primaryFunction":"Astromech","friends":[{"__typename":"Human","name":"Luke"}]}}` {
		t.Fatalf("typed answer: %s", a.raw)
	}

	// The standard introspection query; its result turned back into a schema.
	query, err := os.ReadFile("testdata/introspection.graphql")
	if err != nil {
		t.Fatal(err)
	}
	a = post(t, url, string(query), nil)
	if a.status != 200 || a.body["errors"] != nil {
		t.Fatalf("introspection: %.2000s", a.raw)
	}
	var raw struct {
		Data json.RawMessage `json:"data"`
	}
	_ = json.Unmarshal([]byte(a.raw), &raw)
	original := describeSchema(loadSDL(t, map[string]string{
		"starwars.graphql": string(sdl(t, "starwars.graphql")[0].Content),
		"extras.graphql":   string(sdl(t, "extras.graphql")[0].Content)}))
	if got := describeSchema(loadSDL(t, map[string]string{"back.graphql": sdlFromIntrospection(t, raw.Data)})); got != original {
		t.Fatalf("the schema read back differs:\n%s\n--- want ---\n%s", got, original)
	}

	// A subscription, answered as server-sent events: one per element.
	h.Post(t, "/api/v1/mocks", `{"id":"reviews","graphql":{"operation":"subscription","field":"reviewAdded"},
	  "response":{"payload":[{"stars":4,"commentary":"good"},{"stars":5}]}}`, 201)
	events := readEvents(t, url, `{"query":"subscription { reviewAdded(episode: JEDI) { stars commentary } }"}`)
	if strings.Join(events, "\n") != `next {"data":{"reviewAdded":{"stars":4,"commentary":"good"}}}`+"\n"+
		`next {"data":{"reviewAdded":{"stars":5,"commentary":null}}}`+"\ncomplete" {
		t.Fatalf("subscription events:\n%s", strings.Join(events, "\n"))
	}

	t.Run("graphql-js buildClientSchema", func(t *testing.T) {
		printed := graphqlJS(t, []byte(a.raw))
		if got := describeSchema(loadSDL(t, map[string]string{"printed.graphql": printed})); got != original {
			t.Fatalf("graphql-js's schema differs:\n%s\n--- want ---\n%s", got, original)
		}
	})
}

func TestE2EStubsHandOff(t *testing.T) {
	h, url := startHost(t)
	h.Post(t, "/api/v1/mocks", `{"id":"team-hero","namespace":"team","graphql":{"operation":"query","field":"hero"},
	  "response":{"payload":{"name":"Rey"}}}`, 201)
	h.Post(t, "/api/v1/mocks", `{"id":"sandbox-hero","graphql":{"operation":"query","field":"hero"},
	  "response":{"payload":{"name":"R2-D2"}}}`, 201)
	// The host's /stubs/<namespace>/graphql is served by the plugin, in that namespace.
	for ns, want := range map[string]string{"team": `{"hero":{"name":"Rey"}}`, "sandbox": `{"hero":{"name":"R2-D2"}}`} {
		a := post(t, h.URL+"/stubs/"+ns+"/graphql", `{ hero { name } }`, nil)
		if a.status != 200 || dataOf(t, a) != want {
			t.Fatalf("/stubs/%s/graphql: %d %s", ns, a.status, a.raw)
		}
	}
	// The same headers sent straight to the plugin's port from this
	// machine, without the host's secret (a page in a local browser could
	// send them), are a direct request in the configured namespace.
	for _, secret := range []string{"", "0123456789abcdef", plugintest.HandOffSecret()} {
		a := post(t, url, `{ hero { name } }`, nil, handoff.HeaderNamespace, "team", handoff.HeaderPrefix, "/stubs/team",
			handoff.HeaderSecret, secret)
		if a.status != 200 || dataOf(t, a) != `{"hero":{"name":"R2-D2"}}` {
			t.Fatalf("forged hand-off (secret %q): %d %s", secret, a.status, a.raw)
		}
	}
}

func TestE2ELimitsAndGETSubscription(t *testing.T) {
	// The limit settings pass the host's check against the plugin's schema.
	h, url := startHostWith(t, `{"addresses":["127.0.0.1:0"],"namespace":"sandbox","maxRootFields":2,"maxDepth":3,"maxResultNodes":50}`)
	h.Post(t, "/api/v1/mocks", `{"id":"hero","graphql":{"operation":"query","field":"hero"},
	  "response":{"payload":{"name":"R2-D2","friends":[{"name":"Luke","friends":[{"name":"Han"}]}]}}}`, 201)
	h.Post(t, "/api/v1/mocks", `{"id":"ticks","graphql":{"operation":"subscription","field":"tick"},
	  "response":{"payload":[{"n":1},{"n":2}]}}`, 201)

	if a := post(t, url, `{ a: hero { name } b: hero { friends { name } } }`, nil); dataOf(t, a) != `{"a":{"name":"R2-D2"},"b":{"friends":[{"name":"Luke"}]}}` {
		t.Fatalf("within the limits: %s", a.raw)
	}
	limitError(t, post(t, url, `{ a: hero { name } b: hero { name } c: hero { name } }`, nil), "TOO_MANY_ROOT_FIELDS", "more than the 2 allowed")
	limitError(t, post(t, url, `{ hero { friends { friends { name } } } }`, nil), "QUERY_TOO_DEEP", "more than the 3 allowed")
	var many strings.Builder
	for i := range 60 { // 61 values
		fmt.Fprintf(&many, " n%d: name", i)
	}
	limitError(t, post(t, url, `{ hero {`+many.String()+` } }`, nil), "RESULT_TOO_LARGE", "more than 50 values")

	// A subscription by GET, as a browser's EventSource sends it: on the
	// plugin's address and through the host's /stubs.
	for _, target := range []string{url, h.URL + "/stubs/sandbox/graphql"} {
		req, _ := http.NewRequest(http.MethodGet, target+"?query="+urlQuery("subscription { tick { n } }"), nil)
		req.Header.Set("Accept", "text/event-stream")
		events := readStream(t, req)
		if got := strings.Join(events, "\n"); got != `next {"data":{"tick":{"n":1}}}`+"\n"+`next {"data":{"tick":{"n":2}}}`+"\ncomplete" {
			t.Fatalf("%s: events:\n%s", target, got)
		}
	}
}
