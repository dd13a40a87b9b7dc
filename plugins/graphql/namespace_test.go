package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mockarty-oss/mockarty/sdk"
	"github.com/mockarty-oss/mockarty/sdk/find"
	"github.com/mockarty-oss/mockarty/sdk/handoff"
	"github.com/mockarty-oss/mockarty/sdk/plugintest"
)

// The namespace a request is served in: the host's header is honoured
// next to the host's secret only, and must name a namespace; the schemas
// of the namespaces asked for are cached in bounded memory.

func TestNamespaceHeaderChecked(t *testing.T) {
	table := heroTable()
	l := &Listener{}
	p := plugintest.Start(t, l, json.RawMessage(`{"addresses":["127.0.0.1:0"],"namespace":"qa"}`), table.fake())
	url := "http://" + p.Addresses[0] + "/graphql"
	secret := plugintest.HandOffSecret()

	for _, bad := range []string{"a b", "-lead", ".", strings.Repeat("n", 101), "ns/../other", "ns\u00e9"} {
		a := post(t, url, "{ hero { name } }", nil, handoff.HeaderNamespace, bad, handoff.HeaderSecret, secret)
		errs := a.errorsOf()
		if a.status != 400 || len(errs) != 1 || !strings.Contains(errs[0]["message"].(string), "is not a namespace name") ||
			errs[0]["extensions"].(map[string]any)["code"] != "BAD_NAMESPACE" {
			t.Fatalf("namespace %q: %d %s", bad, a.status, a.raw)
		}
	}
	if n := len(table.requests()); n != 0 {
		t.Fatalf("bad namespaces reached the host %d times", n)
	}

	// The secret decides, not the TCP peer: without it a request from
	// this machine is served in the configured namespace, header or not,
	// and the mocks do not see the header; with it, from anywhere, the
	// header is the namespace.
	for _, c := range []struct {
		peer, header, want string
		secrets            []string
	}{
		{"127.0.0.1:40000", "team-a", "team-a", []string{secret}},
		{"192.0.2.7:40000", "team-b", "team-b", []string{secret}},
		{"127.0.0.1:40000", "team-c", "qa", nil},
		{"[::1]:40000", "team-d", "qa", []string{"not the secret"}},
		{"127.0.0.1:40000", "team-e", "qa", []string{secret + "0"}},
		{"127.0.0.1:40000", "team-f", "qa", []string{"x", secret}},
		{"127.0.0.1:40000", "not a name", "qa", nil},
	} {
		before := len(table.requests())
		r := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(`{"query":"{ hero { name } }"}`))
		r.RemoteAddr = c.peer
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set(handoff.HeaderNamespace, c.header)
		for _, s := range c.secrets {
			r.Header.Add(handoff.HeaderSecret, s)
		}
		w := httptest.NewRecorder()
		l.ServeHTTP(w, r)
		reqs := table.requests()
		if w.Code != 200 || len(reqs) != before+1 || reqs[before].Namespace != c.want {
			t.Fatalf("from %s with %q: %d %s (finds %+v)", c.peer, c.header, w.Code, w.Body, reqs[before:])
		}
		if _, ok := reqs[before].Headers[handoff.HeaderSecret]; ok {
			t.Fatalf("the mocks saw the secret: %v", reqs[before].Headers)
		}
		if _, ok := reqs[before].Headers[handoff.HeaderNamespace]; ok && c.want == "qa" {
			t.Fatalf("the mocks saw a forged namespace header: %v", reqs[before].Headers)
		}
	}
}

// countingDocs counts the host's ListDocuments calls per namespace.
type countingDocs struct {
	*plugintest.FakeHost
	mu    sync.Mutex
	lists map[string]int
}

func (c *countingDocs) ListDocuments(ctx context.Context, kind, ns string) ([]sdk.Document, error) {
	c.mu.Lock()
	c.lists[ns]++
	c.mu.Unlock()
	return c.FakeHost.ListDocuments(ctx, kind, ns)
}

func (c *countingDocs) count(ns string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lists[ns]
}

func TestSchemaCacheIsBounded(t *testing.T) {
	host := &countingDocs{FakeHost: &plugintest.FakeHost{}, lists: map[string]int{}}
	c := newSchemaCache(host)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go c.watch(ctx)
	plugintest.Eventually(t, 20*time.Second, func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		return c.watching
	}, "the cache to watch")
	const asked = schemaCacheSize + 44
	for i := range asked {
		if _, err := c.get(ctx, fmt.Sprintf("ns-%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	if n := c.size(); n != schemaCacheSize {
		t.Fatalf("%d namespaces asked, %d cached (want %d)", asked, n, schemaCacheSize)
	}
	// The ones used last are still cached; the first were dropped and
	// are read again.
	last := fmt.Sprintf("ns-%d", asked-1)
	if _, err := c.get(ctx, last); err != nil || host.count(last) != 1 {
		t.Fatalf("%s read %d times (%v)", last, host.count(last), err)
	}
	if _, err := c.get(ctx, "ns-0"); err != nil || host.count("ns-0") != 2 {
		t.Fatalf("ns-0 read %d times (%v)", host.count("ns-0"), err)
	}
	if n := c.size(); n != schemaCacheSize {
		t.Fatalf("%d cached", n)
	}
}

func TestSubscriptionOverGET(t *testing.T) {
	table := &mockTable{mocks: []fakeMock{
		{op: "subscription", field: "reviewAdded", resp: find.GraphQLResponse{MockID: "reviews",
			Data: json.RawMessage(`[{"stars":4},{"stars":5}]`)}},
	}}
	_, url := startWithSchema(t, table)
	target := url + "?query=" + urlQuery(`subscription($ep: Episode) { reviewAdded(episode: $ep) { stars } }`) +
		"&variables=" + urlQuery(`{"ep":"JEDI"}`)

	// What a browser's EventSource sends: GET, Accept: text/event-stream.
	req, _ := http.NewRequest(http.MethodGet, target, nil)
	req.Header.Set("Accept", "text/event-stream")
	events := readStream(t, req)
	want := `next {"data":{"reviewAdded":{"stars":4}}}` + "\n" + `next {"data":{"reviewAdded":{"stars":5}}}` + "\ncomplete"
	if got := strings.Join(events, "\n"); got != want {
		t.Fatalf("events:\n%s", got)
	}
	if reqs := table.requests(); len(reqs) != 1 || compact(t, args(t, &reqs[0])) != `{"episode":"JEDI"}` {
		t.Fatalf("finds: %+v", reqs)
	}

	// Without asking for events a GET subscription is refused, saying how.
	a := send(t, http.MethodGet, target, "", "")
	if errs := a.errorsOf(); a.status != 405 || len(errs) != 1 || !strings.Contains(errs[0]["message"].(string), "Accept: text/event-stream") {
		t.Fatalf("GET without SSE: %d %s", a.status, a.raw)
	}
	// A mutation stays POST-only, whatever it accepts.
	a = send(t, http.MethodGet, url+"?query="+urlQuery(`mutation { createReview(review: {stars: 1}) { stars } }`), "", "",
		"Accept", "text/event-stream")
	if a.status != 405 {
		t.Fatalf("mutation by GET: %d %s", a.status, a.raw)
	}
}
