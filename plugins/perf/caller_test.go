package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mockarty-oss/mockarty/plugins/perf/engine"
	"github.com/mockarty-oss/mockarty/sdk"
	"github.com/mockarty-oss/mockarty/sdk/outbound"
)

// seen is one request a test server received.
type seen struct {
	Method, Path, Body string
	Header             http.Header
}

// recorder is a JSON API that answers every request with 200 and records
// what it got, in order.
type recorder struct {
	mu   sync.Mutex
	reqs []seen
}

func (rc *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	rc.reqs = append(rc.reqs, seen{Method: r.Method, Path: r.URL.RequestURI(), Body: string(b), Header: r.Header.Clone()})
	rc.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte(`{"id": 1, "token": "t-1", "ok": true}`))
}

func (rc *recorder) list() []seen {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]seen(nil), rc.reqs...)
}

func startRecorder(t *testing.T) (*recorder, string) {
	t.Helper()
	rc := &recorder{}
	srv := httptest.NewServer(rc)
	t.Cleanup(srv.Close)
	return rc, srv.URL
}

// callAction runs one action as the host does.
func callAction(t *testing.T, action string, params any) (json.RawMessage, error) {
	t.Helper()
	b, err := json.Marshal(params)
	if err != nil {
		t.Fatal(err)
	}
	return (&Perf{}).Call(context.Background(), action, b)
}

// scriptOf calls a generator and returns its script.
func scriptOf(t *testing.T, action string, params any) string {
	t.Helper()
	out, err := callAction(t, action, params)
	if err != nil {
		t.Fatalf("%s: %v", action, err)
	}
	var a struct {
		Script string `json:"script"`
	}
	if err := json.Unmarshal(out, &a); err != nil || a.Script == "" {
		t.Fatalf("%s answered %s (%v)", action, out, err)
	}
	return a.Script
}

// runOnce compiles a script and runs one iteration of one VU against
// local servers.
func runOnce(t *testing.T, src string, files engine.MapFiles, env map[string]string) *engine.Result {
	t.Helper()
	prog, err := engine.Compile(src, "script.js", files)
	if err != nil {
		t.Fatalf("compile: %v\n%s", err, src)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := engine.Run(ctx, prog, engine.RunConfig{VUs: 1, Iterations: 1, Env: env, Outbound: outbound.Policy{AllowPrivate: true}}, nil)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, src)
	}
	return res
}

// checkCounts sums the passes and fails of every check of a group tree.
func checkCounts(g engine.Group) (passes, fails int64) {
	for _, c := range g.Checks {
		passes += c.Passes
		fails += c.Fails
	}
	for _, s := range g.Groups {
		p, f := checkCounts(s)
		passes, fails = passes+p, fails+f
	}
	return passes, fails
}

// TestCallerScriptFromConfig: the one-request generator through the
// action, with the duration as a string or seconds, runs as configured.
func TestCallerScriptFromConfig(t *testing.T) {
	rc, base := startRecorder(t)
	src := scriptOf(t, actionScriptFromConfig, map[string]any{"url": base + "/api/users?x=1", "method": "post",
		"headers": map[string]string{"Content-Type": "application/json", "X-Key": `v'"</script>`}, "body": `{"a":1}`,
		"vus": 3, "duration": 90, "thresholds": map[string][]string{"http_req_duration": {"p(95)<5000"}}})
	for _, want := range []string{`"duration":"1m30s"`, `"vus":3`, `"p(95)\u003c5000"`} {
		if !strings.Contains(src, want) {
			t.Errorf("script lacks %s:\n%s", want, src)
		}
	}
	res := runOnce(t, src, nil, nil)
	got := rc.list()
	if len(got) != 1 || got[0].Method != "POST" || got[0].Path != "/api/users?x=1" || got[0].Body != `{"a":1}` ||
		got[0].Header.Get("X-Key") != `v'"</script>` {
		t.Fatalf("requests: %+v", got)
	}
	if len(res.Thresholds) != 1 || !res.Thresholds[0].OK {
		t.Fatalf("thresholds: %+v", res.Thresholds)
	}
	src = scriptOf(t, actionScriptFromConfig, map[string]any{"url": base, "rps": 20, "duration": "2s"})
	if !strings.Contains(src, "constant-arrival-rate") {
		t.Fatalf("rps makes an arrival-rate scenario:\n%s", src)
	}
	for _, bad := range []map[string]any{
		{"url": "ftp://x/"}, {"url": "/relative"}, {"url": base, "method": "GE T"}, {"url": base, "duration": "soon"},
		{"url": base, "duration": "-1s"}, {"url": base, "vus": -1}, {"url": base, "thresholds": map[string][]string{"http_req_duration": {"fast"}}},
	} {
		if _, err := callAction(t, actionScriptFromConfig, bad); err == nil {
			t.Errorf("%v: no error", bad)
		}
	}
	if _, err := (&Perf{}).Call(context.Background(), actionScriptFromConfig, json.RawMessage(`{"vus": "many"}`)); err == nil ||
		!strings.Contains(err.Error(), "unreadable parameters") {
		t.Errorf("wrong type: %v", err)
	}
}

// TestCallerScriptFromRequests: a generated script sends its requests in
// order in one iteration, each in its group with a passing status check;
// names and bodies that would break JavaScript are data, not code.
func TestCallerScriptFromRequests(t *testing.T) {
	rc, base := startRecorder(t)
	nasty := "`${globalThis.x}` '); fail('x'); ('</script>\u2028"
	reqs := []map[string]any{
		{"name": "Login", "method": "POST", "url": base + "/login", "headers": map[string]string{"Content-Type": "application/json"},
			"body": `{"user":"ada"}`},
		{"name": "List users", "method": "get", "url": base + "/users?page=2", "headers": map[string]string{"Authorization": "Bearer t"}},
		{"name": "a::b \"quoted\"\nname", "method": "PUT", "url": base + "/users/1", "body": nasty},
		{"method": "DELETE", "url": base + "/users/1"},
	}
	src := scriptOf(t, actionScriptFromRequests, map[string]any{"requests": reqs, "vus": 2, "duration": "10s", "sleep": 0.01,
		"thresholds": map[string][]string{"checks": {"rate==1"}, "http_req_failed": {"rate<0.01"}}})
	if !strings.Contains(src, "sleep(0.01)") || !strings.Contains(src, `"vus":2`) {
		t.Errorf("options and sleep:\n%s", src)
	}
	res := runOnce(t, src, nil, nil)
	got := rc.list()
	want := []seen{{Method: "POST", Path: "/login", Body: `{"user":"ada"}`}, {Method: "GET", Path: "/users?page=2"},
		{Method: "PUT", Path: "/users/1", Body: nasty}, {Method: "DELETE", Path: "/users/1"}}
	if len(got) != len(want) {
		t.Fatalf("sent %d requests, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		if got[i].Method != w.Method || got[i].Path != w.Path || got[i].Body != w.Body {
			t.Errorf("request %d: %s %s %q, want %s %s %q", i, got[i].Method, got[i].Path, got[i].Body, w.Method, w.Path, w.Body)
		}
	}
	if got[0].Header.Get("Content-Type") != "application/json" || got[1].Header.Get("Authorization") != "Bearer t" {
		t.Errorf("headers: %v / %v", got[0].Header, got[1].Header)
	}
	var names []string
	for _, g := range res.RootGroup.Groups {
		names = append(names, g.Name)
		if len(g.Checks) != 1 || g.Checks[0].Name != "status < 400" || g.Checks[0].Passes != 1 || g.Checks[0].Fails != 0 {
			t.Errorf("group %q checks: %+v", g.Name, g.Checks)
		}
	}
	if strings.Join(names, "|") != `Login|List users|a:b "quoted" name|DELETE /users/1` {
		t.Errorf("groups in order: %q", names)
	}
	if res.Status != engine.StatusPassed || len(res.Errors) != 0 {
		t.Errorf("status %s, errors %+v, thresholds %+v", res.Status, res.Errors, res.Thresholds)
	}

	for name, bad := range map[string]map[string]any{
		"no requests":   {"requests": []any{}},
		"relative url":  {"requests": []map[string]any{{"url": "/x"}}},
		"bad method":    {"requests": []map[string]any{{"url": base, "method": "G T"}}},
		"header break":  {"requests": []map[string]any{{"url": base, "headers": map[string]string{"X": "a\r\nEvil: 1"}}}},
		"header name":   {"requests": []map[string]any{{"url": base, "headers": map[string]string{"X Y": "a"}}}},
		"bad threshold": {"requests": []map[string]any{{"url": base}}, "thresholds": map[string][]string{"checks": {"mostly"}}},
		"bad duration":  {"requests": []map[string]any{{"url": base}}, "duration": "48h"},
		"bad sleep":     {"requests": []map[string]any{{"url": base}}, "sleep": -1},
		"too many vus":  {"requests": []map[string]any{{"url": base}}, "vus": maxScriptVUs + 1},
	} {
		if _, err := callAction(t, actionScriptFromRequests, bad); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	_, err := callAction(t, actionScriptFromRequests, map[string]any{"requests": []map[string]any{{"url": base}, {"name": "Second", "url": "nope"}}})
	if err == nil || !strings.Contains(err.Error(), `requests[1] ("Second")`) {
		t.Errorf("the error names the request: %v", err)
	}
	many := make([]map[string]any, maxScriptRequests+1)
	for i := range many {
		many[i] = map[string]any{"url": base}
	}
	if _, err := callAction(t, actionScriptFromRequests, map[string]any{"requests": many}); err == nil {
		t.Errorf("more than %d requests: no error", maxScriptRequests)
	}
	big := strings.Repeat("x", 1<<20)
	huge := []map[string]any{{"url": base, "body": big}, {"url": base, "body": big}, {"url": base, "body": big}, {"url": base, "body": big}, {"url": base, "body": big}}
	if _, err := callAction(t, actionScriptFromRequests, map[string]any{"requests": huge}); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("a script over the size limit: %v", err)
	}
}

// TestCallerSnippets: every snippet compiles and runs one iteration
// against a JSON API without errors or failing checks.
func TestCallerSnippets(t *testing.T) {
	out, err := callAction(t, actionSnippets, nil)
	if err != nil {
		t.Fatal(err)
	}
	var list []snippet
	if err := json.Unmarshal(out, &list); err != nil {
		t.Fatal(err)
	}
	if len(list) < 15 {
		t.Fatalf("only %d snippets", len(list))
	}
	names := map[string]bool{}
	for _, sn := range list {
		if sn.Name == "" || sn.Description == "" || names[sn.Name] {
			t.Errorf("snippet %q: a unique name and a description", sn.Name)
		}
		names[sn.Name] = true
		t.Run(sn.Name, func(t *testing.T) {
			rc, base := startRecorder(t)
			files := engine.MapFiles{}
			for k, v := range sn.Files {
				files[k] = []byte(v)
			}
			res := runOnce(t, sn.Code, files, map[string]string{"BASE_URL": base})
			if len(rc.list()) == 0 {
				t.Fatalf("sent no request")
			}
			if len(res.Errors) != 0 || res.Status == engine.StatusAborted {
				t.Fatalf("status %s, errors %+v, logs %+v", res.Status, res.Errors, res.Logs)
			}
			if _, fails := checkCounts(res.RootGroup); fails != 0 {
				t.Fatalf("%d checks failed: %+v", fails, res.RootGroup)
			}
			switch sn.Name {
			case "handle-summary":
				if !strings.HasPrefix(res.Outputs["stdout"], "requests: 1, p(95): ") || !json.Valid([]byte(res.Outputs["summary.json"])) {
					t.Fatalf("outputs: %v", res.Outputs)
				}
			case "setup-teardown":
				var paths []string
				for _, r := range rc.list() {
					paths = append(paths, r.Method+" "+r.Path+" "+r.Header.Get("Authorization"))
				}
				if strings.Join(paths, "|") != "POST /api/login |GET /api/me Bearer t-1|POST /api/logout Bearer t-1" {
					t.Fatalf("setup, iteration, teardown: %q", paths)
				}
			}
		})
	}
	for _, want := range []string{"constant-vus", "ramping-vus", "per-vu-iterations", "shared-iterations", "constant-arrival-rate",
		"ramping-arrival-rate", "SharedArray", "handleSummary", "setup()", "teardown(", "new Trend", "group(", "stages"} {
		found := false
		for _, sn := range list {
			if strings.Contains(sn.Code, want) {
				found = true
			}
		}
		if !found {
			t.Errorf("no snippet shows %s", want)
		}
	}
}

// TestCallerUnknownAction: the host maps sdk.ErrUnknownAction.
func TestCallerUnknownAction(t *testing.T) {
	if _, err := callAction(t, "nope", nil); !errors.Is(err, sdk.ErrUnknownAction) {
		t.Fatalf("unknown action: %v", err)
	}
}
