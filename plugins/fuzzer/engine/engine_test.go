package engine

import (
	"context"
	"encoding/base64"
	"io"
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

// sleepCounter counts, per path, the requests that ask the database to
// sleep (the time-based probes).
type sleepCounter struct {
	mu sync.Mutex
	n  map[string]int
}

// RoundTrip counts the request and sends it.
func (c *sleepCounter) RoundTrip(req *http.Request) (*http.Response, error) {
	text, _ := url.QueryUnescape(req.URL.RawQuery)
	if req.GetBody != nil {
		if b, err := req.GetBody(); err == nil {
			body, _ := io.ReadAll(b)
			text += string(body)
		}
	}
	if t := strings.ToLower(text); strings.Contains(t, "sleep(") {
		c.mu.Lock()
		c.n[req.URL.Path]++
		c.mu.Unlock()
	}
	return http.DefaultTransport.RoundTrip(req)
}

// fuzz runs the engine with its defaults against one twin of the test
// target; the counter tells the time-based probes sent.
func fuzz(t *testing.T, vulnerable bool) (*Result, *sleepCounter) {
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
	sleeps := &sleepCounter{n: map[string]int{}}
	client := noRedirects()
	client.Transport = sleeps
	res, err := Run(ctx, Config{TargetBaseURL: srv.URL, Strategy: "all", OpenAPISpec: target.Spec(), Canary: newTestCanary(t),
		Options: Options{AuthHeader: "Bearer " + target.Token, MaxRequests: 5000, TimeoutPerReq: 5 * time.Second}},
		client, func(e Event) { mu.Lock(); events = append(events, e); mu.Unlock() })
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
	return res, sleeps
}

// vulnerableRun is the run of the vulnerable twin the tests share: the
// time-based check makes a run take a couple of seconds.
var vulnerableRun struct {
	once   sync.Once
	res    *Result
	sleeps *sleepCounter
}

// fuzzVulnerable is the shared run (made by the first test that asks).
func fuzzVulnerable(t *testing.T) (*Result, *sleepCounter) {
	t.Helper()
	vulnerableRun.once.Do(func() { vulnerableRun.res, vulnerableRun.sleeps = fuzz(t, true) })
	if vulnerableRun.res == nil {
		t.Fatal("the shared run of the vulnerable twin failed")
	}
	return vulnerableRun.res, vulnerableRun.sleeps
}

// The deliberately vulnerable target has ten planted bugs of different
// kinds: each is found, as exactly one finding, by its check (the start
// of the fingerprint's signature).
func TestFindsEveryPlantedBugOnce(t *testing.T) {
	res, sleeps := fuzzVulnerable(t)
	want := map[string]struct{ severity, signature string }{
		"GET /api/products|sqli":            {Critical, "sql-error:"},
		"GET /api/items|sqli":               {High, "boolean-blind"},
		"POST /api/newsletter|sqli":         {High, "time-based"},
		"GET /api/greet|xss":                {High, "reflected"},
		"GET /api/files|path_traversal":     {Critical, "file:"},
		"POST /api/webhooks/test|ssrf":      {Critical, "canary"},
		"POST /api/orders|500_error":        {High, "json:"}, // type confusion
		"GET /api/profile|schema_violation": {Medium, "response:"},
		"GET /api/admin/stats|auth_bypass":  {High, "missing-credential"},
		"GET /api/account|jwt_none_alg":     {Critical, "alg-none"},
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
	for key, w := range want {
		f := got[key]
		if f == nil {
			t.Errorf("not found: %s", key)
			continue
		}
		if f.Severity != w.severity || !strings.HasPrefix(strings.SplitN(f.Fingerprint, "|", 4)[3], w.signature) || f.Title == "" ||
			f.Description == "" || f.RequestURL == "" || f.ResponseStatus == 0 || f.Count < 1 {
			t.Errorf("%s: severity %s, fingerprint %s (want %s, %s...), evidence %+v", key, f.Severity, f.Fingerprint, w.severity, w.signature, f)
		}
	}
	for key := range got {
		if _, ok := want[key]; !ok {
			t.Errorf("unexpected finding: %s", key)
		}
	}
	// The time-based probes: one per dialect until one waits, then a
	// sleep of 0 and the sleep again.
	for path, n := range sleeps.n {
		if (path == "/api/newsletter" && n != 3) || n > len(sqlSleepPayloads) && path != "/api/newsletter" {
			t.Errorf("%d time-based probes to %s", n, path)
		}
	}
	if f := got["GET /api/account|jwt_none_alg"]; f != nil && !strings.Contains(f.RequestHeaders["Authorization"], " "+jwtNoneHeader+".") {
		t.Errorf("the unsigned token is not the finding's evidence: %v", f.RequestHeaders)
	}
	t.Logf("findings (%d requests):\n%s", res.TotalRequests, strings.Join(list, "\n"))
}

// Its clean twin, the same API without the bugs, gets no finding.
func TestCleanTwinHasNoFinding(t *testing.T) {
	res, sleeps := fuzz(t, false)
	for _, f := range res.Findings {
		t.Errorf("finding on the clean twin: %s (%s): %s", f.Fingerprint, f.MutationApplied, f.Description)
	}
	if res.TotalRequests < 100 || res.ErrorCount != 0 {
		t.Errorf("%d requests, %d failed", res.TotalRequests, res.ErrorCount)
	}
	// Nothing waits: one time-based probe per dialect and string value.
	if n := sleeps.n["/api/newsletter"]; n != len(sqlSleepPayloads) {
		t.Errorf("%d time-based probes to /api/newsletter: %v", n, sleeps.n)
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
	cats, unknown := resolveCategories([]string{"sql_injection", "XSS", "boundary", "overflow", "url", "JWT", "smart"})
	got := strings.Join(cats, ",")
	if got != "sqli,xss,boundary_values,path_traversal,ssrf,open_redirect,jwt_none_alg" || len(unknown) != 1 || unknown[0] != "smart" {
		t.Fatalf("categories %s, unknown %v", got, unknown)
	}
	for _, c := range Categories() {
		if c != "type_confusion" && c != "schema_violation" && c != "jwt_none_alg" && len(payloadLists[c]) == 0 {
			t.Errorf("category %s has no payloads", c)
		}
	}
	listed := map[string]CategoryInfo{}
	for _, c := range CategoryList() {
		listed[c.Name] = c
	}
	if c := listed["jwt_none_alg"]; len(listed) != len(Categories()) || c.Group != "security" || c.PayloadCount != 1 {
		t.Errorf("the listed categories: %v", listed)
	}
	if h, _ := base64.RawURLEncoding.DecodeString(jwtNoneHeader); string(h) != `{"alg":"none","typ":"JWT"}` {
		t.Errorf("the unsigned header: %s", h)
	}
}

// The credential checks run when their category is on, the JWT one on a
// bearer JWT from options.authHeader or the seed's own headers.
func TestCredentialChecks(t *testing.T) {
	h, err := target.New(true, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	account := Seed{ID: "account", Method: "GET", Path: "/api/account"}
	stats := Seed{ID: "stats", Method: "GET", Path: "/api/admin/stats"}
	withToken := func(s Seed, tok string) Seed {
		s.Headers = map[string]string{"Authorization": "Bearer " + tok}
		return s
	}
	for _, c := range []struct {
		name       string
		categories []string
		auth       string
		seeds      []Seed
		want       string // the findings' categories
	}{
		{"neither category", []string{"xss", "sqli"}, target.Token, []Seed{account, stats}, ""},
		{"jwt only", []string{"jwt"}, target.Token, []Seed{account, stats}, "jwt_none_alg"},
		{"auth_bypass only", []string{"auth_bypass"}, target.Token, []Seed{account, stats}, "auth_bypass"},
		{"both", []string{"auth_bypass", "jwt_none_alg"}, target.Token, []Seed{account, stats}, "auth_bypass,jwt_none_alg"},
		{"the seed's token", []string{"jwt_none_alg"}, "", []Seed{withToken(account, target.Token)}, "jwt_none_alg"},
		{"not a JWT", []string{"jwt_none_alg"}, "", []Seed{withToken(account, "secret-token")}, ""},
		{"already unsigned", []string{"jwt_none_alg"}, "", []Seed{withToken(account, jwtNoneHeader+".eyJzdWIiOiJhbm4ifQ.")}, ""},
	} {
		o := Options{}
		if c.auth != "" {
			o.AuthHeader = "Bearer " + c.auth
		}
		res, err := Run(context.Background(), Config{TargetBaseURL: srv.URL, Categories: c.categories, Seeds: c.seeds, Options: o},
			noRedirects(), nil)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, f := range res.Findings {
			got = append(got, f.Category)
		}
		sort.Strings(got)
		if strings.Join(got, ",") != c.want {
			t.Errorf("%s: findings %v, want %s (%d requests)", c.name, got, c.want, res.TotalRequests)
		}
	}
}

// The time-based check needs timeoutPerReq to be three times its sleep:
// under it, no probe asks the database to sleep.
func TestTimeCheckNeedsTheTimeout(t *testing.T) {
	h, err := target.New(true, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	sleeps := &sleepCounter{n: map[string]int{}}
	client := noRedirects()
	client.Transport = sleeps
	res, err := Run(context.Background(), Config{TargetBaseURL: srv.URL, Categories: []string{"sqli"}, OpenAPISpec: target.Spec(),
		Options: Options{IncludeRoutes: []string{"/api/newsletter"}, TimeoutPerReq: 3*sleepDelay - time.Millisecond}}, client, nil)
	if err != nil || len(res.Findings) != 0 || len(sleeps.n) != 0 {
		t.Fatalf("%v: %d findings, time-based probes %v", err, len(res.Findings), sleeps.n)
	}
}

// Replaying a finding's stored request says whether it still reproduces:
// on the vulnerable target it does, on the clean twin it does not (the
// unsigned JWT is refused, the time-based SQL injection does not wait).
func TestReplay(t *testing.T) {
	res, _ := fuzzVulnerable(t)
	vuln, err := target.New(true, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	clean, err := target.New(false, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	replayed := map[string]bool{}
	for _, f := range res.Findings {
		if f.Category == "ssrf" || f.Category == "auth_bypass" || f.Category == "schema_violation" {
			continue // the same request answers the same status on the twin: the check was not a status
		}
		replayed[f.Fingerprint[strings.LastIndexByte(f.Fingerprint, '|')+1:]] = true
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
			r := Replay(context.Background(), noRedirects(), nil, &g, 5*time.Second)
			srv.Close()
			if r.StillFails != c.want || r.Error != "" {
				t.Errorf("%s replayed on the %v twin: %+v", f.Fingerprint, c.want, r)
			}
		}
	}
	if !replayed["alg-none"] || !replayed["time-based"] {
		t.Errorf("replayed: %v", replayed)
	}
}
