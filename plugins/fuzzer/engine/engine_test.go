package engine

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mockarty-oss/mockarty/plugins/fuzzer/internal/target"
)

// ServeHTTP records a callback.
func (c *testCanary) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c.mu.Lock()
	c.hits[strings.TrimPrefix(r.URL.Path, "/canary/")] = true
	c.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

// testCanary records the callbacks it receives, as the host's canary does.
type testCanary struct {
	srv  *httptest.Server
	mu   sync.Mutex
	hits map[string]bool
}

func newTestCanary(t *testing.T) *testCanary {
	c := &testCanary{hits: map[string]bool{}}
	c.srv = httptest.NewServer(c)
	t.Cleanup(c.srv.Close)
	return c
}

func (c *testCanary) URL(token string) string { return c.srv.URL + "/canary/" + token }

func (c *testCanary) Hit(token string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.hits[token]
}

func noRedirects() *http.Client {
	return &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// fuzz runs the engine with its defaults against one twin of the test target.
func fuzz(t *testing.T, vulnerable bool) *Result {
	t.Helper()
	h, err := target.New(vulnerable, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var events []Event
	var mu sync.Mutex
	res, err := Run(ctx, Config{TargetBaseURL: srv.URL, Strategy: "all", OpenAPISpec: target.Spec(), Canary: newTestCanary(t),
		Options: Options{AuthHeader: "Bearer " + target.Token, MaxRequests: 5000, TimeoutPerReq: 5 * time.Second}},
		noRedirects(), func(e Event) { mu.Lock(); events = append(events, e); mu.Unlock() })
	if err != nil {
		t.Fatal(err)
	}
	if res.StoppedBy != "" {
		t.Fatalf("the run stopped early (%s) after %d requests", res.StoppedBy, res.TotalRequests)
	}
	findings := 0
	for _, e := range events {
		if e.Kind == "finding" {
			findings++
		}
	}
	if last := events[len(events)-1]; last.Kind != "complete" || findings != len(res.Findings) {
		t.Fatalf("events: the last is %q, %d findings streamed for %d found", last.Kind, findings, len(res.Findings))
	}
	return res
}

// The deliberately vulnerable target has eight planted bugs of different
// kinds: each is found, as exactly one finding.
func TestFindsEveryPlantedBugOnce(t *testing.T) {
	res := fuzz(t, true)
	want := map[string]string{
		"GET /api/products|sqli":            Critical, // SQL error leak
		"GET /api/items|sqli":               High,     // boolean-blind
		"GET /api/greet|xss":                High,
		"GET /api/files|path_traversal":     Critical,
		"POST /api/webhooks/test|ssrf":      Critical,
		"POST /api/orders|500_error":        High, // type confusion
		"GET /api/profile|schema_violation": Medium,
		"GET /api/admin/stats|auth_bypass":  High,
	}
	got := map[string]*Finding{}
	var list []string
	for _, f := range res.Findings {
		parts := strings.Split(f.Fingerprint, "|")
		key := parts[0] + "|" + parts[1]
		list = append(list, f.Fingerprint+" ×"+strconv.FormatInt(f.Count, 10)+" "+f.MutationApplied)
		if got[key] != nil {
			t.Errorf("two findings for %s: %s and %s", key, got[key].Fingerprint, f.Fingerprint)
		}
		got[key] = f
	}
	sort.Strings(list)
	for key, sev := range want {
		f := got[key]
		if f == nil {
			t.Errorf("not found: %s", key)
			continue
		}
		if f.Severity != sev || f.Title == "" || f.Description == "" || f.RequestURL == "" || f.ResponseStatus == 0 || f.Count < 1 {
			t.Errorf("%s: severity %s (want %s), evidence %+v", key, f.Severity, sev, f)
		}
	}
	for key := range got {
		if want[key] == "" {
			t.Errorf("unexpected finding: %s", key)
		}
	}
	t.Logf("findings (%d requests):\n%s", res.TotalRequests, strings.Join(list, "\n"))
}

// Its clean twin, the same API without the bugs, gets no finding.
func TestCleanTwinHasNoFinding(t *testing.T) {
	res := fuzz(t, false)
	for _, f := range res.Findings {
		t.Errorf("finding on the clean twin: %s (%s): %s", f.Fingerprint, f.MutationApplied, f.Description)
	}
	if res.TotalRequests < 100 || res.ErrorCount != 0 {
		t.Errorf("%d requests, %d failed", res.TotalRequests, res.ErrorCount)
	}
}

// The budget, stopOnFinding and the caller's context each end a run.
func TestRunStops(t *testing.T) {
	h, err := target.New(true, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	base := Config{TargetBaseURL: srv.URL, OpenAPISpec: target.Spec()}

	c := base
	c.Options.MaxRequests = 40
	res, err := Run(context.Background(), c, noRedirects(), nil)
	if err != nil || res.StoppedBy != "maxRequests" || res.TotalRequests != 40 {
		t.Fatalf("budget of 40: %v %+v", err, res)
	}

	c = base
	c.Options.StopOnFinding = true
	if res, err = Run(context.Background(), c, noRedirects(), nil); err != nil || res.StoppedBy != "stopOnFinding" || len(res.Findings) == 0 {
		t.Fatalf("stopOnFinding: %v %+v", err, res)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if res, err = Run(ctx, base, noRedirects(), nil); err != nil || res.StoppedBy != "cancelled" || res.TotalRequests > int64(DefaultConcurrency) {
		t.Fatalf("cancelled before it began: %v %+v", err, res)
	}
}

// Category names from every vocabulary, and unknown ones said.
func TestCategoryNames(t *testing.T) {
	cats, unknown := resolveCategories([]string{"sql_injection", "XSS", "boundary", "overflow", "url", "smart"})
	got := strings.Join(cats, ",")
	if got != "sqli,xss,boundary_values,path_traversal,ssrf,open_redirect" || len(unknown) != 1 || unknown[0] != "smart" {
		t.Fatalf("categories %s, unknown %v", got, unknown)
	}
	for _, c := range Categories() {
		if c != "type_confusion" && c != "schema_violation" && len(payloadLists[c]) == 0 {
			t.Errorf("category %s has no payloads", c)
		}
	}
}

// Replaying a finding's stored request says whether it still reproduces:
// on the vulnerable target it does, on the clean twin it does not.
func TestReplay(t *testing.T) {
	res := fuzz(t, true)
	vuln, err := target.New(true, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	clean, err := target.New(false, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range res.Findings {
		if f.Category == "ssrf" || f.Category == "auth_bypass" || f.Category == "schema_violation" {
			continue // the same request answers the same status on the twin: the check was not a status
		}
		for _, c := range []struct {
			h    http.Handler
			want bool
		}{{vuln, true}, {clean, false}} {
			srv := httptest.NewServer(c.h)
			g := *f
			u, _ := url.Parse(g.RequestURL)
			s, _ := url.Parse(srv.URL)
			u.Host = s.Host
			g.RequestURL = u.String()
			r := Replay(context.Background(), noRedirects(), &g, 5*time.Second)
			srv.Close()
			if r.StillFails != c.want || r.Error != "" {
				t.Errorf("%s replayed on the %v twin: %+v", f.Fingerprint, c.want, r)
			}
		}
	}
}
