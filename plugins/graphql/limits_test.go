package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mockarty-oss/mockarty/sdk"
	"github.com/mockarty-oss/mockarty/sdk/find"
	"github.com/mockarty-oss/mockarty/sdk/plugintest"
)

// The limits of one request: tokens, depth, root fields (and how many are
// resolved at once), and the values of the answer.

// limitError checks that a is refused before execution with one error of
// code whose message has msg, and returns that error.
func limitError(t *testing.T, a *gqlAnswer, code, msg string) map[string]any {
	t.Helper()
	errs := a.errorsOf()
	if a.status != 200 || len(errs) != 1 || !strings.Contains(errs[0]["message"].(string), msg) {
		t.Fatalf("want one error with %q: %d %.600s", msg, a.status, a.raw)
	}
	if ext, _ := errs[0]["extensions"].(map[string]any); ext["code"] != code {
		t.Fatalf("want extensions.code %s: %.600s", code, a.raw)
	}
	return errs[0]
}

func aliases(n int, field string) string {
	var b strings.Builder
	b.WriteString("{")
	for i := range n {
		fmt.Fprintf(&b, " f%d: %s", i, field)
	}
	b.WriteString(" }")
	return b.String()
}

func nested(depth int) string {
	return strings.Repeat("{ a ", depth) + strings.Repeat("}", depth)
}

func TestSettingsDefaultsAndRefusals(t *testing.T) {
	var schema struct {
		Properties map[string]struct {
			Default any `json:"default"`
		} `json:"properties"`
	}
	if err := json.Unmarshal((&Listener{}).Info().SettingsSchema, &schema); err != nil {
		t.Fatalf("settings schema: %v", err)
	}
	for name, want := range map[string]float64{"maxTokens": 15000, "maxDepth": 20, "maxRootFields": 100,
		"maxResultNodes": 100000, "maxConcurrentRootFields": 8} {
		if got := schema.Properties[name].Default; got != want {
			t.Errorf("default of %s: %v, want %v", name, got, want)
		}
	}
	for _, bad := range []string{`{"maxDepth":0}`, `{"maxRootFields":-1}`, `{"maxConcurrentRootFields":0}`, `{"namespace":"no spaces"}`} {
		if err := (&Listener{}).Configure(context.Background(), json.RawMessage(bad)); err == nil {
			t.Errorf("settings %s accepted", bad)
		}
	}
	l := &Listener{}
	if err := l.Configure(context.Background(), json.RawMessage(`{"maxDepth":7}`)); err != nil {
		t.Fatal(err)
	}
	if lim := l.settings.limits(); lim.maxDepth != 7 || lim.maxTokens != DefaultMaxTokens || lim.maxRootFields != DefaultMaxRootFields ||
		lim.maxResultNodes != DefaultMaxResultNodes || lim.workers != DefaultMaxConcurrentRootFields {
		t.Fatalf("limits: %+v", lim)
	}
}

func TestMaxTokens(t *testing.T) {
	table := &mockTable{mocks: []fakeMock{{op: "query", field: "a", resp: find.GraphQLResponse{MockID: "a", Data: json.RawMessage(`1`)}}}}
	p := plugintest.Start(t, &Listener{}, json.RawMessage(`{"addresses":["127.0.0.1:0"]}`), table.fake())
	url := "http://" + p.Addresses[0] + "/graphql"

	// 8,000 root fields of 2 tokens each: over the default 15,000 tokens.
	a := post(t, url, aliases(8000, "a"), nil)
	limitError(t, a, "QUERY_TOO_LARGE", "exceeded token limit of 15000 (setting maxTokens)")
	if _, has := a.body["data"]; has {
		t.Fatalf("a refused document has no data: %.300s", a.raw)
	}
	a = send(t, http.MethodPost, url, "application/json", `{"query":`+compact(t, aliases(8000, "a"))+`}`, "Accept", mediaGraphQLResponse)
	if a.status != 400 {
		t.Fatalf("graphql-response+json: %d", a.status)
	}
	if n := len(table.requests()); n != 0 {
		t.Fatalf("the host was asked %d times", n)
	}

	small := plugintest.Start(t, &Listener{}, json.RawMessage(`{"addresses":["127.0.0.1:0"],"maxTokens":6}`), table.fake())
	url = "http://" + small.Addresses[0] + "/graphql"
	if a := post(t, url, "{ a b c d }", nil); dataOf(t, a) != `{"a":1,"b":null,"c":null,"d":null}` {
		t.Fatalf("6 tokens: %s", a.raw)
	}
	limitError(t, post(t, url, "{ a b c d e }", nil), "QUERY_TOO_LARGE", "exceeded token limit of 6")
}

func TestMaxDepth(t *testing.T) {
	table := &mockTable{mocks: []fakeMock{{op: "query", field: "a", resp: find.GraphQLResponse{MockID: "a", Data: json.RawMessage(`{"a":{"a":null}}`)}}}}
	p := plugintest.Start(t, &Listener{}, json.RawMessage(`{"addresses":["127.0.0.1:0"]}`), table.fake())
	url := "http://" + p.Addresses[0] + "/graphql"

	if a := post(t, url, nested(20), nil); a.status != 200 || dataOf(t, a) != `{"a":{"a":{"a":null}}}` {
		t.Fatalf("20 deep: %s", a.raw)
	}
	e := limitError(t, post(t, url, nested(21), nil), "QUERY_TOO_DEEP", "the query nests fields 21 deep, more than the 20 allowed (setting maxDepth)")
	if compact(t, e["locations"]) != `[{"column":83,"line":1}]` { // the deepest field
		t.Fatalf("location: %v", e["locations"])
	}
	if n := len(table.requests()); n != 1 {
		t.Fatalf("the host was asked %d times (only the allowed query may ask)", n)
	}

	// Fragments count where they are spread, however often they are.
	p = plugintest.Start(t, &Listener{}, json.RawMessage(`{"addresses":["127.0.0.1:0"],"maxDepth":3}`), table.fake())
	url = "http://" + p.Addresses[0] + "/graphql"
	ok := `{ a { ...F ...F } x: a { ... { ...F } } } fragment F on T { a { a } }`
	if a := post(t, url, ok, nil); a.status != 200 || a.body["errors"] != nil {
		t.Fatalf("3 deep with fragments: %s", a.raw)
	}
	limitError(t, post(t, url, `{ a { ...F } } fragment F on T { a { ...G } } fragment G on T { a { a } }`, nil),
		"QUERY_TOO_DEEP", "4 deep, more than the 3 allowed")
}

func TestMaxRootFields(t *testing.T) {
	table := &mockTable{mocks: []fakeMock{{op: "query", field: "a", resp: find.GraphQLResponse{MockID: "a", Data: json.RawMessage(`1`)}},
		{op: "mutation", field: "m", resp: find.GraphQLResponse{MockID: "m", Data: json.RawMessage(`2`)}}}}
	p := plugintest.Start(t, &Listener{}, json.RawMessage(`{"addresses":["127.0.0.1:0"]}`), table.fake())
	url := "http://" + p.Addresses[0] + "/graphql"

	a := post(t, url, aliases(100, "a"), nil)
	if a.status != 200 || a.body["errors"] != nil || !strings.HasPrefix(dataOf(t, a), `{"f0":1,"f1":1,`) {
		t.Fatalf("100 root fields: %.300s", a.raw)
	}
	if n := len(table.requests()); n != 100 {
		t.Fatalf("100 root fields, %d host calls", n)
	}
	limitError(t, post(t, url, aliases(101, "a"), nil), "TOO_MANY_ROOT_FIELDS",
		"the query selects 101 root fields, more than the 100 allowed (setting maxRootFields)")
	if n := len(table.requests()); n != 100 {
		t.Fatalf("a refused query asked the host (%d calls)", n-100)
	}

	// Counted after fragments and @skip; mutations too.
	p = plugintest.Start(t, &Listener{}, json.RawMessage(`{"addresses":["127.0.0.1:0"],"maxRootFields":2}`), table.fake())
	url = "http://" + p.Addresses[0] + "/graphql"
	if a := post(t, url, `{ a b: a @skip(if: true) c: a @include(if: false) ...F } fragment F on Query { a d: a }`, nil); dataOf(t, a) != `{"a":1,"d":1}` {
		t.Fatalf("2 root fields: %s", a.raw)
	}
	limitError(t, post(t, url, `{ a ...F } fragment F on Query { b: a c: a }`, nil), "TOO_MANY_ROOT_FIELDS", "selects 3 root fields")
	limitError(t, post(t, url, `mutation { m n: m o: m }`, nil), "TOO_MANY_ROOT_FIELDS", "the mutation selects 3 root fields")
}

func TestRootFieldsResolvedByFewWorkers(t *testing.T) {
	const fields, workers = 10, 3
	var mu sync.Mutex
	inflight, entered, peak := 0, 0, 0
	release, stop := make(chan struct{}), make(chan struct{})
	fake := &plugintest.FakeHost{FindGraphQLFunc: func(context.Context, *find.GraphQLRequest) (*find.GraphQLResponse, error) {
		mu.Lock()
		inflight++
		entered++
		peak = max(peak, inflight)
		mu.Unlock()
		select {
		case <-release:
		case <-stop:
		}
		mu.Lock()
		inflight--
		mu.Unlock()
		return &find.GraphQLResponse{MockID: "slow", Data: json.RawMessage(`"done"`)}, nil
	}}
	p := plugintest.Start(t, &Listener{}, json.RawMessage(fmt.Sprintf(`{"addresses":["127.0.0.1:0"],"maxConcurrentRootFields":%d}`, workers)), fake)
	t.Cleanup(func() { close(stop) }) // runs before the listener stops: a failed test must not hang it
	url := "http://" + p.Addresses[0] + "/graphql"

	type answer struct {
		status int
		err    error
	}
	done := make(chan answer, 1)
	go func() {
		res, err := http.Post(url, "application/json", strings.NewReader(`{"query":"`+aliases(fields, "slow")+`"}`))
		if err != nil {
			done <- answer{err: err}
			return
		}
		res.Body.Close()
		done <- answer{status: res.StatusCode}
	}()
	// Each field waits to be released: with a pool, exactly `workers` of
	// them are in flight until fewer are left; one released lets one more in.
	for released := 0; released < fields; released++ {
		want := min(workers, fields-released)
		plugintest.Eventually(t, 20*time.Second, func() bool {
			mu.Lock()
			defer mu.Unlock()
			return inflight == want && entered == released+want
		}, "%d fields in flight, %d asked", want, released+want)
		release <- struct{}{}
	}
	if a := <-done; a.err != nil || a.status != 200 {
		t.Fatalf("answer: %+v", a)
	}
	mu.Lock()
	defer mu.Unlock()
	if peak != workers {
		t.Fatalf("%d fields were resolved at once, want %d", peak, workers)
	}
}

func TestResultTooLarge(t *testing.T) {
	long := strings.Repeat("x", 20*1024)
	table := &mockTable{mocks: []fakeMock{
		{op: "query", field: "hero", resp: find.GraphQLResponse{MockID: "hero", Data: json.RawMessage(`{"name":"R2-D2","friends":[{"name":"Luke"},{"name":"Han"}]}`)}},
		{op: "query", field: "list", resp: find.GraphQLResponse{MockID: "list", Data: json.RawMessage(`[1,2,3,4,5,6,7,8,9,10,11,12]`)}},
		{op: "query", field: "long", resp: find.GraphQLResponse{MockID: "long", Data: json.RawMessage(`"` + long + `"`)}},
	}}
	p := plugintest.Start(t, &Listener{}, json.RawMessage(`{"addresses":["127.0.0.1:0"],"maxResultNodes":10}`), table.fake())
	url := "http://" + p.Addresses[0] + "/graphql"

	// 1 (hero) + 1 (name) + 1 (list) + 2×2 (friends and their names) = 7.
	if a := post(t, url, `{ hero { name friends { name } } }`, nil); a.body["errors"] != nil {
		t.Fatalf("7 values: %s", a.raw)
	}
	for name, q := range map[string]string{
		"aliases":                 `{ hero { a: friends { name } b: friends { name } c: friends { name } } }`,
		"a list passed as it is":  `{ list }`,
		"a long string":           `{ long }`,
		"a long string, aliased":  `{ long x: long }`,
		"a field repeated (work)": `{ hero { name name name name name name name name name name name } }`,
	} {
		t.Run(name, func(t *testing.T) {
			a := post(t, url, q, nil)
			limitError(t, a, "RESULT_TOO_LARGE", "result too large: the answer would have more than 10 values (setting maxResultNodes)")
			if !strings.HasSuffix(strings.TrimSpace(a.raw), `"data":null}`) {
				t.Fatalf("data must be null: %.300s", a.raw)
			}
		})
	}
}

// wideIntrospection is a small query with a large answer: gqlparser's
// validation keeps introspection from nesting deep (fields within fields),
// but aliases multiply: roots × aliases × every field of every type.
func wideIntrospection(roots, aliases int) string {
	var b strings.Builder
	b.WriteString("{")
	for i := range roots {
		fmt.Fprintf(&b, " s%d: __schema { types { ...F } }", i)
	}
	b.WriteString(" } fragment F on __Type {")
	for i := range aliases {
		fmt.Fprintf(&b, " f%d: fields { name type { name } }", i)
	}
	b.WriteString(" }")
	return b.String()
}

func TestIntrospectionCannotExplode(t *testing.T) {
	table := &mockTable{}
	_, url := startWithSchema(t, table)
	// About 1,300 tokens; some 30×30×400 values without the limit.
	q := wideIntrospection(30, 30)
	a := post(t, url, q, nil)
	limitError(t, a, "RESULT_TOO_LARGE", "more than 100000 values")
	if !strings.HasSuffix(strings.TrimSpace(a.raw), `"data":null}`) || len(a.raw) > 4096 {
		t.Fatalf("answer: %.600s", a.raw)
	}
	// A smaller one is answered.
	a = post(t, url, wideIntrospection(2, 2), nil)
	if a.status != 200 || a.body["errors"] != nil || !strings.Contains(a.raw, `"f1":[{"name":"id","type":{"name":null}}`) {
		t.Fatalf("small: %.600s", a.raw)
	}
}

func TestSubscriptionEventTooLarge(t *testing.T) {
	table := &mockTable{mocks: []fakeMock{
		{op: "subscription", field: "reviewAdded", resp: find.GraphQLResponse{MockID: "reviews",
			Data: json.RawMessage(`[{"stars":4},{"stars":5,"commentary":"` + strings.Repeat("y", 10*1024) + `"},{"stars":3}]`)}},
	}}
	fake := table.fake()
	fake.SetDocuments(sdk.DocumentGraphQL, sdl(t, "starwars.graphql", "extras.graphql")...)
	p := plugintest.Start(t, &Listener{}, json.RawMessage(`{"addresses":["127.0.0.1:0"],"maxResultNodes":5}`), fake)
	events := readEvents(t, "http://"+p.Addresses[0]+"/graphql", `{"query":"subscription { reviewAdded { stars commentary } }"}`)
	want := `next {"data":{"reviewAdded":{"stars":4,"commentary":null}}}` + "\n" +
		`next {"errors":[{"message":"result too large: the answer would have more than 5 values (setting maxResultNodes); ` +
		`select fewer fields, use fewer aliases or nest less","extensions":{"code":"RESULT_TOO_LARGE"}}],"data":null}` + "\ncomplete"
	if got := strings.Join(events, "\n"); got != want {
		t.Fatalf("events:\n%s\nwant\n%s", got, want)
	}
}
