package mockoon

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/mockarty-oss/mockarty/host/internal/generate"
	"github.com/mockarty-oss/mockarty/host/internal/generate/imports/importstest"
	"github.com/mockarty-oss/mockarty/host/internal/model"
)

// The fixtures (see testdata/LICENSE-mockoon.md): demo-environment.json
// is the demo environment @mockoon/commons 9.9.0 builds; environment.json
// was built with that package's builders to use every rule target,
// operator and response mode. cases.json and demo-cases.json hold the
// answers mockoon-cli 9.9.0 gave when serving them.

func translateFile(t *testing.T, name string) *Result {
	t.Helper()
	data, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Translate(data, Options{Namespace: importstest.Namespace})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func report(t *testing.T, res *Result, stub string) *StubReport {
	t.Helper()
	for i := range res.Stubs {
		if res.Stubs[i].Stub == stub {
			return &res.Stubs[i]
		}
	}
	t.Fatalf("no report for %q", stub)
	return nil
}

func mock(t *testing.T, res *Result, id string) *model.Mock {
	t.Helper()
	for _, m := range res.Mocks {
		if m.ID == id {
			return m
		}
	}
	t.Fatalf("no mock %q", id)
	return nil
}

func mentions(list []string, words ...string) bool {
	for _, s := range list {
		all := true
		for _, w := range words {
			all = all && strings.Contains(s, w)
		}
		if all {
			return true
		}
	}
	return false
}

// discardHooks points the webhooks at a server of the test.
func discardHooks(t *testing.T, res *Result) {
	hook := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	t.Cleanup(hook.Close)
	for _, m := range res.Mocks {
		for i := range m.Webhooks {
			m.Webhooks[i].URL = hook.URL
		}
	}
}

// checkReports: every route has its report, and every mock one route.
func checkReports(t *testing.T, res *Result, routes int) {
	t.Helper()
	if len(res.Stubs) != routes+1 || res.Stubs[0].Index != -1 {
		t.Fatalf("%d reports for %d routes and the environment", len(res.Stubs), routes)
	}
	owned := map[string]bool{}
	for _, r := range res.Stubs {
		for _, id := range r.MockIDs {
			if owned[id] {
				t.Errorf("mock %s is in two reports", id)
			}
			owned[id] = true
		}
		if r.Index >= 0 && len(r.MockIDs) == 0 && len(r.Untranslated) == 0 {
			t.Errorf("route %s became no mock and says nothing", r.Stub)
		}
	}
	if len(owned) != len(res.Mocks) {
		t.Errorf("%d mocks, %d in reports", len(res.Mocks), len(owned))
	}
}

// TestEnvironmentAnswersAsRecorded saves every mock of environment.json
// as the API does and replays the exchanges recorded from mockoon-cli.
func TestEnvironmentAnswersAsRecorded(t *testing.T) {
	res := translateFile(t, "environment.json")
	checkReports(t, res, 17)
	discardHooks(t, res)
	srv := importstest.Serve(t, res.Mocks)
	cases := importstest.ReadCases(t, "testdata/cases.json")
	differs := srv.Run(cases)
	t.Logf("%d of %d recorded exchanges answer otherwise than Mockoon, as recorded", differs, len(cases))
	if differs == 0 || differs > len(cases)/3 {
		t.Errorf("%d of %d cases differ from Mockoon", differs, len(cases))
	}
}

// TestDemoEnvironmentAnswersAsRecorded does the same with the demo
// environment Mockoon ships.
func TestDemoEnvironmentAnswersAsRecorded(t *testing.T) {
	res := translateFile(t, "demo-environment.json")
	checkReports(t, res, 7)
	srv := importstest.Serve(t, res.Mocks)
	cases := importstest.ReadCases(t, "testdata/demo-cases.json")
	differs := srv.Run(cases)
	t.Logf("%d of %d recorded exchanges answer otherwise than Mockoon, as recorded", differs, len(cases))
	if differs == 0 || differs > len(cases)/2 {
		t.Errorf("%d of %d cases differ from Mockoon", differs, len(cases))
	}
}

// TestReportsSayWhatIsLost checks the reports of what has no equivalent.
func TestReportsSayWhatIsLost(t *testing.T) {
	res := translateFile(t, "environment.json")
	env := res.Stubs[0]
	for _, words := range [][]string{{"data buckets", "Products"}} {
		if !mentions(env.Untranslated, words...) {
			t.Errorf("environment: %q does not mention %q", env.Untranslated, words)
		}
	}
	for _, words := range [][]string{{"latency, 5 ms"}, {"ignoring case"}, {"priorities keep that order"}} {
		if !mentions(env.Notes, words...) {
			t.Errorf("environment notes %q do not mention %q", env.Notes, words)
		}
	}
	for _, c := range []struct {
		route string
		words [][]string
	}{
		{"GET /search", [][]string{{"inverted regex", "left out"}, {"valid_json_schema", "JSON Schema"}, {"default \"en\""}}},
		{"POST /orders", [][]string{{"default \"none\""}}},
		{"GET /docs/:name.:ext", [][]string{{"urlParam 'name'", "pattern"}}},
		{"GET /fake", [][]string{{"date.past"}}},
		{"GET /file", [][]string{{"body file", "./users.json"}}},
		{"GET /bucket", [][]string{{"data bucket", "prod"}}},
		{"GET /numbered", [][]string{{"request_number"}}},
		{"PROPFIND /dav", [][]string{{"propfind", "no mock made"}}},
		{"ANY /products", [][]string{{"CRUD"}}},
	} {
		r := report(t, res, c.route)
		for _, w := range c.words {
			if !mentions(r.Untranslated, w...) {
				t.Errorf("%s: %q does not mention %q", c.route, r.Untranslated, w)
			}
		}
	}
	for _, route := range []string{"GET /users/:id", "GET /random", "GET /sequence", "ANY /guard/*", "GET /guard/data", "GET /raw"} {
		if r := report(t, res, route); len(r.Untranslated) > 0 {
			t.Errorf("%s: nothing should be lost, the report says %q", route, r.Untranslated)
		}
	}
	demo := translateFile(t, "demo-environment.json")
	r := report(t, demo, "GET /template")
	if !mentions(r.Untranslated, "repeat", "block helpers") {
		t.Errorf("demo template: %q", r.Untranslated)
	}
	if r := report(t, demo, "POST /content/:param1"); !mentions(r.Untranslated, "params param1 regex") {
		t.Errorf("demo content: %q", r.Untranslated)
	}
}

// TestMockShapes checks priorities, the prefix, delays and oneOf.
func TestMockShapes(t *testing.T) {
	res := translateFile(t, "environment.json")
	user1 := mock(t, res, "mockoon-imported-get-users-id-r2")
	admin := mock(t, res, "mockoon-imported-get-users-id-r3-1")
	def := mock(t, res, "mockoon-imported-get-users-id-default")
	orders := mock(t, res, "mockoon-imported-post-orders-default")
	if !(user1.Priority > admin.Priority && admin.Priority > def.Priority && def.Priority > orders.Priority) {
		t.Errorf("priorities %d %d %d %d do not keep Mockoon's order", user1.Priority, admin.Priority, def.Priority, orders.Priority)
	}
	if user1.PathPrefix != "/api/v1" || user1.HTTP.Route != "/users/1" {
		t.Errorf("prefix %q route %q", user1.PathPrefix, user1.HTTP.Route)
	}
	if def.Response.Delay != 15 || user1.Response.Delay != 5 {
		t.Errorf("delays %d %d: the environment's 5 ms plus the response's", def.Response.Delay, user1.Response.Delay)
	}
	if seq := mock(t, res, "mockoon-imported-get-sequence"); seq.OneOf == nil || seq.OneOf.Order != "order" || len(seq.OneOf.Responses) != 3 {
		t.Errorf("sequence: %+v", seq.OneOf)
	}
	if rnd := mock(t, res, "mockoon-imported-get-random"); rnd.OneOf == nil || rnd.OneOf.Order != "random" {
		t.Errorf("random: %+v", rnd.OneOf)
	}
	if len(orders.Webhooks) != 1 || orders.Webhooks[0].Method != "POST" || !orders.Webhooks[0].Async {
		t.Errorf("callback: %+v", orders.Webhooks)
	}
}

// TestCallbackIsSent sends the translated callback to a server of the
// test: its body template reads the request.
func TestCallbackIsSent(t *testing.T) {
	res := translateFile(t, "environment.json")
	got := make(chan string, 1)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- r.Method + " " + string(b)
	}))
	defer hook.Close()
	mock(t, res, "mockoon-imported-post-orders-default").Webhooks[0].URL = hook.URL
	srv := importstest.Serve(t, res.Mocks)
	if a := srv.Do("POST", "/api/v1/orders", map[string]string{"Content-Type": "application/json"}, []byte(`{"id": "o-9"}`)); a.Status != 201 {
		t.Fatalf("status %d", a.Status)
	}
	select {
	case s := <-got:
		if s != `POST {"order": "o-9", "source": "mockoon"}` {
			t.Errorf("callback got %q", s)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no callback arrived")
	}
}

// TestProxyMode: the environment's proxy becomes a catch-all proxy mock
// of the lowest priority.
func TestProxyMode(t *testing.T) {
	env := `{"name": "p", "routes": [], "proxyMode": true, "proxyHost": "https://api.example.test",
		"proxyResHeaders": [{"key": "X-Proxied", "value": "1"}, {"key": "", "value": ""}], "proxyReqHeaders": [{"key": "X-Token", "value": "t"}]}`
	res, err := Translate([]byte(env), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Mocks) != 1 {
		t.Fatalf("%d mocks", len(res.Mocks))
	}
	m := res.Mocks[0]
	if m.Proxy == nil || m.Proxy.Target != "https://api.example.test" || m.HTTP.Route != "/*" || m.Priority >= 0 ||
		m.Response.Headers["X-Proxied"][0] != "1" || len(m.Response.Headers) != 1 {
		t.Errorf("proxy mock: %+v %+v", m, m.Response)
	}
	if !mentions(res.Stubs[0].Untranslated, "proxyReqHeaders") {
		t.Errorf("report: %q", res.Stubs[0].Untranslated)
	}
	importstest.Serve(t, res.Mocks)
}

// TestBadInput refuses what is no environment.
func TestBadInput(t *testing.T) {
	for _, bad := range []string{"", "[]", `{"name": "x"}`, `{"routes": 3}`, "{"} {
		_, err := Translate([]byte(bad), Options{})
		var ie *generate.InputError
		if !errors.As(err, &ie) {
			t.Errorf("%q: want an input error, got %v", bad, err)
		}
	}
}
