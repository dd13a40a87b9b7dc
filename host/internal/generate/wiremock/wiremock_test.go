package wiremock

import (
	"encoding/json"
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

// translateFile translates testdata/mappings.json: stub mappings written
// as WireMock's documentation shows them, one or more per matcher, loaded
// and answered by WireMock 3.13.2 to record testdata/cases.json.
func translateFile(t *testing.T) *Result {
	t.Helper()
	data, err := os.ReadFile("testdata/mappings.json")
	if err != nil {
		t.Fatal(err)
	}
	res, err := Translate(data, Options{Namespace: importstest.Namespace})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// byStub finds the report and the first mock of a stub by its name.
func byStub(t *testing.T, res *Result, name string) (*StubReport, *model.Mock) {
	t.Helper()
	for i := range res.Stubs {
		r := &res.Stubs[i]
		if r.Stub != name {
			continue
		}
		for _, m := range res.Mocks {
			if len(r.MockIDs) > 0 && m.ID == r.MockIDs[0] {
				return r, m
			}
		}
		return r, nil
	}
	t.Fatalf("no report for stub %q", name)
	return nil, nil
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

// TestMappingsAnswerAsRecorded saves every translated mock the way the API
// does (each must pass catalog.Prepare) and replays the exchanges recorded
// from WireMock: the mocks answer the same, except where cases.json says
// how they differ (and the report says why).
func TestMappingsAnswerAsRecorded(t *testing.T) {
	res := translateFile(t)
	var raw struct {
		Mappings []json.RawMessage `json:"mappings"`
	}
	data, _ := os.ReadFile("testdata/mappings.json")
	if err := json.Unmarshal(data, &raw); err != nil {
		t.Fatal(err)
	}
	if len(res.Stubs) != len(raw.Mappings) {
		t.Fatalf("%d reports for %d mappings", len(res.Stubs), len(raw.Mappings))
	}
	ids := map[string]bool{}
	for _, m := range res.Mocks {
		if ids[m.ID] {
			t.Fatalf("mock id %s twice", m.ID)
		}
		ids[m.ID] = true
	}
	for _, r := range res.Stubs {
		if len(r.MockIDs) == 0 && len(r.Untranslated) == 0 {
			t.Errorf("stub %s became no mock and says nothing", r.Stub)
		}
		for _, id := range r.MockIDs {
			if !ids[id] {
				t.Errorf("stub %s names mock %s, which is not in the result", r.Stub, id)
			}
		}
	}
	srv := importstest.Serve(t, res.Mocks)
	cases := importstest.ReadCases(t, "testdata/cases.json")
	differs := srv.Run(cases)
	t.Logf("%d of %d recorded exchanges answer otherwise than WireMock, as recorded", differs, len(cases))
	if differs == 0 || differs > len(cases)/4 {
		t.Errorf("%d of %d cases differ from WireMock", differs, len(cases))
	}
}

// TestReportsSayWhatIsLost checks that what Mockarty cannot do is named
// in the stub's report, and that what it can is not.
func TestReportsSayWhatIsLost(t *testing.T) {
	res := translateFile(t)
	for _, c := range []struct {
		stub  string
		skips [][]string
	}{
		{"xml body", [][]string{{"equalToXml"}, {"matchesXPath"}}},
		{"untranslatable matchers", [][]string{{"X-Trace", "doesNotMatch"}, {"X-Or", "or"}}},
		{"templated body", [][]string{{"randomValue length=8 type='ALPHANUMERIC'"}, {"{{now}}"}}},
		{"fault", [][]string{{"fault CONNECTION_RESET_BY_PEER", "500"}}},
		{"body file", [][]string{{"bodyFileName", "users/list.json"}, {"statusMessage"}}},
		{"todo list after", [][]string{{"requiredScenarioState", "Cancel newspaper item added"}}},
		{"todo list", [][]string{{"requiredScenarioState Started"}}},
	} {
		rep, _ := byStub(t, res, c.stub)
		for _, words := range c.skips {
			if !mentions(rep.Untranslated, words...) {
				t.Errorf("stub %q: untranslated %q does not mention %q", c.stub, rep.Untranslated, words)
			}
		}
	}
	for _, name := range []string{"exact url with query", "query parameter matchers", "path template", "header matchers",
		"cookie matchers", "basic auth", "equal to json", "json path matchers", "logical matchers", "random numbers",
		"delays", "any method", "proxied", "webhook", "light on", "light off"} {
		if rep, _ := byStub(t, res, name); len(rep.Untranslated) > 0 {
			t.Errorf("stub %q: nothing should be lost, the report says %q", name, rep.Untranslated)
		}
	}
	for _, c := range []struct{ stub, note string }{
		{"exact url with query", "further query parameters"},
		{"url pattern on the path", "path alone"},
		{"url pattern with a query", "name by name"},
		{"delays", "midpoint, 20 ms"},
		{"lognormal delay", "median, 15 ms"},
		{"dribble", "not in chunks"},
		{"random numbers", "keeps the JSON type"},
		{"text body matchers", "raw body only when it is not JSON"},
		{"equal to json with placeholders", "extra fields are accepted"},
		{"5f1f1c9e-7c4a-4a3e-9b59-3c8b2b1d4a01", "useLimiter 1"},
		{"light off", "response 2"},
		{"path parameters", "became a routePattern"},
	} {
		if rep, _ := byStub(t, res, c.stub); !mentions(rep.Notes, c.note) {
			t.Errorf("stub %q: notes %q do not mention %q", c.stub, rep.Notes, c.note)
		}
	}
}

// TestMockShapes checks what the replay cannot see: priorities, delays,
// proxies, webhooks and the scenario forms.
func TestMockShapes(t *testing.T) {
	res := translateFile(t)
	if _, m := byStub(t, res, "high priority"); m.Priority != Priority(1) || Priority(1) != 40 {
		t.Errorf("priority 1 became %d", m.Priority)
	}
	if _, m := byStub(t, res, "low priority"); m.Priority != 0 {
		t.Errorf("priority 5 became %d", m.Priority)
	}
	if _, m := byStub(t, res, "delays"); m.Response.Delay != 40 {
		t.Errorf("fixed 20 + uniform 10-30 became delay %d", m.Response.Delay)
	}
	if _, m := byStub(t, res, "url pattern with a query"); m.HTTP.Route != "/api/find" || len(m.HTTP.QueryParams) != 2 {
		t.Errorf("a literal path part should be a route: %+v", m.HTTP)
	}
	_, m := byStub(t, res, "proxied")
	if m.Proxy == nil || m.Proxy.Target != "http://upstream.example.test" || m.Response.Headers["X-Proxied"][0] != "yes" {
		t.Errorf("proxy: %+v %+v", m.Proxy, m.Response)
	}
	_, m = byStub(t, res, "webhook")
	if len(m.Webhooks) != 1 || m.Webhooks[0].URL != "http://hooks.example.test/order-created" || m.Webhooks[0].Method != "POST" ||
		!m.Webhooks[0].Async || string(m.Webhooks[0].Body) != `"{\"order\": \"$.req.id\"}"` {
		t.Errorf("webhook: %+v body %s", m.Webhooks, m.Webhooks[0].Body)
	}
	// A sequence that stops: one mock per step, each used once.
	for i, id := range []string{"5f1f1c9e-7c4a-4a3e-9b59-3c8b2b1d4a01", "5f1f1c9e-7c4a-4a3e-9b59-3c8b2b1d4a02", "5f1f1c9e-7c4a-4a3e-9b59-3c8b2b1d4a03"} {
		_, m := byStub(t, res, id)
		wantLimit := int64(1)
		if i == 2 {
			wantLimit = 0
		}
		if m.UseLimiter != wantLimit || m.Priority != int64(2-i) {
			t.Errorf("job step %d: useLimiter %d priority %d", i+1, m.UseLimiter, m.Priority)
		}
	}
	// A sequence that cycles: one mock answering in turn.
	on, m := byStub(t, res, "light on")
	off, _ := byStub(t, res, "light off")
	if m.OneOf == nil || m.OneOf.Order != "order" || len(m.OneOf.Responses) != 2 || off.MockIDs[0] != on.MockIDs[0] {
		t.Errorf("light: %+v, reports %v %v", m.OneOf, on.MockIDs, off.MockIDs)
	}
	// Anything else: the state is written to the chain store.
	_, m = byStub(t, res, "todo add")
	if m.ChainID != "to-do-list" || string(m.Extract.CStore[StateKey]) != `"Cancel newspaper item added"` {
		t.Errorf("todo add: chain %q extract %+v", m.ChainID, m.Extract)
	}
	_, before := byStub(t, res, "todo list")
	_, after := byStub(t, res, "todo list after")
	if after.Priority >= before.Priority {
		t.Errorf("a later state should rank below Started: %d >= %d", after.Priority, before.Priority)
	}
}

// TestWebhookIsSent sends the translated webhook to a server of the test:
// the body template reads the request that triggered it.
func TestWebhookIsSent(t *testing.T) {
	res := translateFile(t)
	got := make(chan string, 1)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- r.Method + " " + r.URL.Path + " " + string(b)
	}))
	defer hook.Close()
	_, m := byStub(t, res, "webhook")
	m.Webhooks[0].URL = hook.URL + "/order-created"
	srv := importstest.Serve(t, res.Mocks)
	if a := srv.Do("POST", "/api/orders", nil, []byte(`{"id": "o-7"}`)); a.Status != 202 {
		t.Fatalf("status %d", a.Status)
	}
	select {
	case s := <-got:
		if s != `POST /order-created {"order": "o-7"}` {
			t.Errorf("webhook got %q", s)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no webhook arrived")
	}
}

// TestInputShapes reads one mapping, an array, {"mappings": [...]}, and
// refuses what is none of them.
func TestInputShapes(t *testing.T) {
	one := `{"request": {"method": "GET", "url": "/a"}, "response": {"status": 200, "body": "a"}}`
	for _, in := range []string{one, "[" + one + "," + one + "]", `{"mappings": [` + one + `]}`} {
		res, err := Translate([]byte(in), Options{})
		if err != nil || len(res.Mocks) == 0 || !strings.HasPrefix(res.Mocks[0].ID, "wiremock-") {
			t.Fatalf("%s: %v %+v", in, err, res)
		}
	}
	res, err := Translate([]byte(`[`+one+`, 42, {"request": {"url": "/b"}}]`), Options{IDPrefix: "wm"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Mocks) != 1 || res.Mocks[0].ID != "wm-0" || len(res.Stubs) != 3 ||
		!mentions(res.Stubs[1].Untranslated, "not a JSON object") || !mentions(res.Stubs[2].Untranslated, "no response") {
		t.Errorf("mixed input: %+v %+v", res.Mocks, res.Stubs)
	}
	for _, bad := range []string{"", "nope", `{"x": 1}`, `{"mappings": 3}`, `[1,`} {
		_, err := Translate([]byte(bad), Options{})
		var ie *generate.InputError
		if !errors.As(err, &ie) {
			t.Errorf("%q: want an input error, got %v", bad, err)
		}
	}
}
