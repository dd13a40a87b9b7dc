package main

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mockarty-oss/mockarty/sdk/plugintest"
)

// generated is what the script endpoints answer.
type generated struct {
	Script   string   `json:"script"`
	Filename string   `json:"filename"`
	Requests int      `json:"requests"`
	Warnings []string `json:"warnings"`
}

// inOrder reports whether each of parts appears in s after the one before.
func inOrder(s string, parts ...string) bool {
	at := 0
	for _, p := range parts {
		i := strings.Index(s[at:], p)
		if i < 0 {
			return false
		}
		at += i + len(p)
	}
	return true
}

// shopMocks are the mocks the generated scripts call; the users mock
// answers only the collection's bearer token.
func shopMocks(t *testing.T, h *plugintest.HostProc) {
	t.Helper()
	h.Post(t, "/api/v1/mocks", `{"id":"shop-users","http":{"route":"/api/users","httpMethod":"GET",
	  "header":[{"path":"Authorization","assertAction":"equals","value":"Bearer tok-1"}]},"response":{"statusCode":200,"payload":[{"id":1}]}}`,
		http.StatusCreated)
	h.Post(t, "/api/v1/mocks", `{"id":"shop-login","http":{"route":"/api/login","httpMethod":"POST"},"response":{"statusCode":200,"payload":{"token":"tok-1"}}}`,
		http.StatusCreated)
	h.Post(t, "/api/v1/mocks", `{"id":"shop-logout","http":{"route":"/api/logout","httpMethod":"POST"},"response":{"statusCode":204}}`,
		http.StatusCreated)
}

// TestScriptEndpoints: the four script endpoints through the host and the
// perf plugin's actions, a generated script run through POST /perf/run,
// and a clear 503 from a host without the plugin.
func TestScriptEndpoints(t *testing.T) {
	h := plugintest.StartHost(t, plugintest.HostOptions{Plugins: map[string]plugintest.PluginSpec{"perf": {Dir: "."}}})
	shopMocks(t, h)
	base := h.URL + "/stubs/sandbox"

	// From a config body (Java's URL shape), and from a saved config.
	var g generated
	call(t, h, "POST", "/api/v1/perf/scripts", map[string]any{"targetUrl": base + "/api/login", "method": "POST",
		"headers": map[string]string{"Content-Type": "application/json"}, "body": map[string]any{"user": "ada"}, "concurrency": 4,
		"duration": 15, "thresholds": map[string]any{"http_req_duration": "p(95)<500"}}, http.StatusOK, &g)
	if g.Filename != "script.js" || !strings.Contains(g.Script, `"vus":4`) || !strings.Contains(g.Script, `"duration":"15s"`) ||
		!strings.Contains(g.Script, `"{\"user\":\"ada\"}"`) || !strings.Contains(g.Script, `"POST"`) {
		t.Fatalf("from a config body: %+v", g)
	}
	var cfg map[string]any
	call(t, h, "POST", "/api/v1/perf-configs", map[string]any{"name": "users", "targetUrl": base + "/api/users", "rps": 5, "duration": "2s"},
		http.StatusCreated, &cfg)
	call(t, h, "POST", "/api/v1/perf/scripts", map[string]any{"configId": cfg["id"], "options": map[string]any{"vus": 2}}, http.StatusOK, &g)
	if !strings.Contains(g.Script, "constant-arrival-rate") || !strings.Contains(g.Script, `"preAllocatedVUs":2`) {
		t.Fatalf("from a saved config with an override: %s", g.Script)
	}
	call(t, h, "POST", "/api/v1/perf/scripts", map[string]any{"script": "export default function () {}", "filename": "mine.js"}, http.StatusOK, &g)
	if g.Script != "export default function () {}" || g.Filename != "mine.js" {
		t.Fatalf("a config with a script answers it: %+v", g)
	}
	var bad map[string]any
	call(t, h, "POST", "/api/v1/perf/scripts", map[string]any{"targetUrl": "ftp://x/y"}, http.StatusUnprocessableEntity, &bad)
	if !strings.Contains(bad["error"].(string), "absolute http or https URL") {
		t.Fatalf("a bad URL: %v", bad)
	}
	call(t, h, "POST", "/api/v1/perf/scripts", map[string]any{"targetUrl": base, "thresholds": map[string]any{"http_req_duration": "fast"}},
		http.StatusUnprocessableEntity, nil)
	call(t, h, "POST", "/api/v1/perf/scripts", map[string]any{"vus": 1}, http.StatusUnprocessableEntity, nil)
	call(t, h, "POST", "/api/v1/perf/scripts", map[string]any{"configId": "nope"}, http.StatusNotFound, nil)

	// From API-tester requests: the collection's variables, overridden by
	// the active environment, its bearer auth, the run order with folders.
	var col map[string]any
	shop := map[string]any{"name": "Shop",
		"variables": []map[string]any{{"key": "base", "value": "http://wrong.invalid"}, {"key": "token", "value": "tok-1"}}}
	shop["auth"] = map[string]any{"type": "bearer", "bearer": []map[string]any{{"key": "token", "value": "{{token}}"}}}
	call(t, h, "POST", "/api/v1/api-tester/collections", shop, http.StatusCreated, &col)
	colID := col["id"].(string)
	var folder, users, login, logout map[string]any
	call(t, h, "POST", "/api/v1/api-tester/collections/"+colID+"/folders", map[string]any{"name": "Browse"}, http.StatusCreated, &folder)
	call(t, h, "POST", "/api/v1/api-tester/collections/"+colID+"/requests", map[string]any{"name": "Users", "method": "GET",
		"url": "{{base}}/api/users", "folderId": folder["id"], "testScript": `mk.test("ok", function(){});`}, http.StatusCreated, &users)
	call(t, h, "POST", "/api/v1/api-tester/collections/"+colID+"/requests", map[string]any{"name": "Login", "method": "POST",
		"url": "{{base}}/api/login", "body": map[string]any{"user": "ada"}, "bodyType": "json"}, http.StatusCreated, &login)
	call(t, h, "POST", "/api/v1/api-tester/collections/"+colID+"/requests", map[string]any{"name": "Logout", "method": "POST",
		"url": "{{base}}/api/logout", "bodyType": "urlencoded", "form": []map[string]any{{"key": "all", "value": "yes & more"}}},
		http.StatusCreated, &logout)
	call(t, h, "POST", "/api/v1/api-tester/environments", map[string]any{"name": "local", "isActive": true,
		"variables": map[string]string{"base": base}}, http.StatusCreated, nil)

	call(t, h, "POST", "/api/v1/perf/scripts/from-request", map[string]any{"requestId": users["id"]}, http.StatusOK, &g)
	if g.Requests != 1 || !strings.Contains(g.Script, `"`+base+`/api/users"`) || !strings.Contains(g.Script, `"Authorization":"Bearer tok-1"`) ||
		strings.Contains(g.Script, "Login") || len(g.Warnings) != 1 || !strings.Contains(g.Warnings[0], "test scripts") {
		t.Fatalf("one request: %+v", g)
	}
	call(t, h, "POST", "/api/v1/perf/scripts/from-request", map[string]any{"collectionId": colID, "vus": 1, "duration": "1s",
		"thresholds": map[string]any{"checks": "rate==1"}}, http.StatusOK, &g)
	if g.Requests != 3 || !inOrder(g.Script, `group("Users"`, `group("Login"`, `"{\"user\":\"ada\"}"`, `group("Logout"`, `"all=yes+%26+more"`) ||
		!strings.Contains(g.Script, `"Content-Type":"application/x-www-form-urlencoded"`) || strings.Contains(g.Script, "wrong.invalid") {
		t.Fatalf("the collection in run order:\n%s\n%v", g.Script, g.Warnings)
	}
	var linked generated
	call(t, h, "POST", "/api/v1/perf/scripts", map[string]any{"collectionId": colID, "vus": 1, "duration": "1s",
		"thresholds": map[string]any{"checks": "rate==1"}}, http.StatusOK, &linked)
	if linked.Script != g.Script {
		t.Fatalf("a config linked to the collection gives another script:\n%s", linked.Script)
	}
	var task sdkPerfTask
	call(t, h, "POST", "/api/v1/perf/run", map[string]any{"name": "shop", "script": g.Script}, http.StatusCreated, &task)
	r := finished(t, h, task.ID)
	iters := r.Metrics["iterations"]["count"]
	if r.Status != "completed" || iters < 1 || r.Metrics["http_reqs"]["count"] != 3*iters || r.Metrics["checks"]["rate"] != 1 {
		t.Fatalf("the generated script's run: %s %q, metrics %v", r.Status, r.Message, r.Metrics)
	}
	call(t, h, "POST", "/api/v1/perf/scripts/from-request", map[string]any{}, http.StatusUnprocessableEntity, nil)
	call(t, h, "POST", "/api/v1/perf/scripts/from-request", map[string]any{"requestId": "nope"}, http.StatusNotFound, nil)
	var unresolved map[string]any
	call(t, h, "POST", "/api/v1/api-tester/collections/"+colID+"/requests", map[string]any{"name": "Orphan", "url": "{{missing}}/x"},
		http.StatusCreated, &unresolved)
	call(t, h, "POST", "/api/v1/perf/scripts/from-request", map[string]any{"requestId": unresolved["id"]}, http.StatusUnprocessableEntity, &bad)
	if !strings.Contains(bad["error"].(string), "{{missing}}") {
		t.Fatalf("an undefined variable in a URL: %v", bad)
	}

	// From a HAR recording: every http(s) entry in start order.
	har := `{"log":{"version":"1.2","entries":[
	  {"startedDateTime":"2026-01-01T10:00:02Z","request":{"method":"POST","url":"` + base + `/api/login","headers":[{"name":"Host","value":"x"},
	    {"name":":authority","value":"x"},{"name":"Content-Type","value":"application/json"}],"postData":{"mimeType":"application/json","text":"{\"user\":\"ada\"}"}},
	    "response":{"status":200}},
	  {"startedDateTime":"2026-01-01T10:00:01Z","request":{"method":"GET","url":"` + base + `/api/users","headers":[{"name":"Authorization","value":"Bearer tok-1"}]},
	    "response":{"status":200}},
	  {"startedDateTime":"2026-01-01T10:00:03Z","request":{"method":"GET","url":"data:image/png;base64,AAAA","headers":[]},"response":{"status":200}}]}}`
	call(t, h, "POST", "/api/v1/perf/scripts/from-har", map[string]any{"har": har, "vus": 1, "duration": "1s"}, http.StatusOK, &g)
	if g.Requests != 2 || !inOrder(g.Script, `/api/users"`, `/api/login"`) || strings.Contains(g.Script, `"Host"`) ||
		strings.Contains(g.Script, ":authority") || len(g.Warnings) != 1 || !strings.Contains(g.Warnings[0], "1 entries are not http") {
		t.Fatalf("from HAR text:\n%s\n%v", g.Script, g.Warnings)
	}
	var harDoc map[string]any
	if err := json.Unmarshal([]byte(har), &harDoc); err != nil {
		t.Fatal(err)
	}
	var fromObject generated
	call(t, h, "POST", "/api/v1/perf/scripts/from-har", map[string]any{"data": harDoc, "vus": 1, "duration": "1s"}, http.StatusOK, &fromObject)
	if fromObject.Script != g.Script {
		t.Fatalf("the HAR as an object gives another script:\n%s", fromObject.Script)
	}
	call(t, h, "POST", "/api/v1/perf/run", map[string]any{"script": g.Script}, http.StatusCreated, &task)
	if r := finished(t, h, task.ID); r.Status != "completed" || r.Metrics["checks"]["rate"] != 1 {
		t.Fatalf("the HAR script's run: %s %q %v", r.Status, r.Message, r.Metrics)
	}
	call(t, h, "POST", "/api/v1/perf/scripts/from-har", map[string]any{"har": `{"nope": 1}`}, http.StatusUnprocessableEntity, &bad)
	if bad["field"] != "har" {
		t.Fatalf("not a HAR: %v", bad)
	}

	// The snippets: a bare array.
	var snips []struct {
		Name, Description, Code string
	}
	call(t, h, "GET", "/api/v1/perf/snippets", nil, http.StatusOK, &snips)
	if len(snips) < 15 || snips[0].Name == "" || !strings.Contains(snips[0].Code, "k6/http") {
		t.Fatalf("snippets: %+v", snips)
	}

	// Without the plugin: 503 that says why.
	bare := plugintest.StartHost(t, plugintest.HostOptions{})
	for _, c := range []struct{ method, path string }{{"POST", "/api/v1/perf/scripts"}, {"GET", "/api/v1/perf/snippets"},
		{"POST", "/api/v1/perf/scripts/from-har"}} {
		var e map[string]any
		var body any
		if c.method == "POST" {
			body = map[string]any{"targetUrl": base, "har": har}
		}
		call(t, bare, c.method, c.path, body, http.StatusServiceUnavailable, &e)
		if !strings.Contains(e["error"].(string), "perf plugin is not running") {
			t.Fatalf("%s %s without the plugin: %v", c.method, c.path, e)
		}
	}
}

// TestCLIPerfRun: `mockarty-cli perf run --script F --wait` exits 0 when
// the thresholds hold and 1 when one fails, with the k6-like summary or
// the JSON result; a saved config runs by name with --vus and --duration
// overriding it; without --wait it prints the id.
func TestCLIPerfRun(t *testing.T) {
	h := plugintest.StartHost(t, plugintest.HostOptions{Plugins: map[string]plugintest.PluginSpec{"perf": {Dir: "."}}})
	shopMocks(t, h)
	dir := t.TempDir()
	script := func(name, threshold string) string {
		src := `import http from 'k6/http';
import { check } from 'k6';
export const options = { vus: 1, duration: '1s', thresholds: { http_req_duration: ['` + threshold + `'], checks: ['rate==1'] } };
export default function () {
  const res = http.post(__ENV.BASE + '/api/login');
  check(res, { 'logged in': (r) => r.json('token') === 'tok-1' });
}
`
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	env := "BASE=" + h.URL + "/stubs/sandbox"

	code, out, errOut := h.CLI(t, "perf", "run", "--script", script("pass.js", "p(95)<5000"), "--env", env, "--wait")
	if code != 0 || !strings.Contains(out, "✓ http_req_duration p(95)<5000") || !strings.Contains(out, "✓ checks rate==1") ||
		!strings.Contains(out, "http_reqs....") || !strings.Contains(out, "completed in ") {
		t.Fatalf("a passing run exits 0: %d\n%s\n%s", code, out, errOut)
	}
	code, out, errOut = h.CLI(t, "perf", "run", "--script", script("fail.js", "p(95)<0"), "--env", env, "--wait", "--format", "json")
	var res sdkPerfResult
	if code != 1 || !strings.Contains(errOut, "thresholds failed") {
		t.Fatalf("a failing threshold exits 1: %d\n%s\n%s", code, out, errOut)
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil || res.Status != "failed" || res.Thresholds["http_req_duration"][0]["ok"] != false {
		t.Fatalf("--format json: %v %+v\n%s", err, res, out)
	}

	// A saved config by name, its duration overridden.
	h.Post(t, "/api/v1/perf-configs", `{"name":"Load Test","targetUrl":"`+h.URL+`/stubs/sandbox/api/login","method":"POST","duration":"1m"}`,
		http.StatusCreated)
	code, out, errOut = h.CLI(t, "perf", "run", "--config", "Load Test", "--duration", "1s", "--vus", "2", "--wait", "-o", "json")
	if err := json.Unmarshal([]byte(out), &res); code != 0 || err != nil || res.Status != "completed" || res.VUs != 2 || res.TotalRequests == 0 {
		t.Fatalf("--config by name, with overrides: %d %v\n%s\n%s", code, err, out, errOut)
	}
	code, out, errOut = h.CLI(t, "perf", "run", "--url", h.URL+"/stubs/sandbox/api/login", "--method", "post", "--duration", "1s")
	id := strings.TrimSpace(out)
	if code != 0 || len(id) != 36 {
		t.Fatalf("without --wait, the id: %d %q %s", code, out, errOut)
	}
	if r := finished(t, h, id); r.Status != "completed" || r.TotalRequests == 0 {
		t.Fatalf("the --url run: %+v", r)
	}
	// An API-tester collection by name, with its environment by name.
	var col struct {
		ID string `json:"id"`
	}
	call(t, h, "POST", "/api/v1/api-tester/collections", map[string]any{"name": "Shop", "namespace": "sandbox"}, http.StatusCreated, &col)
	call(t, h, "POST", "/api/v1/api-tester/collections/"+col.ID+"/requests", map[string]any{"name": "Login", "method": "POST",
		"url": "{{base}}/api/login", "testScript": `pm.test("token", () => pm.expect(pm.response.json().token).to.eql("tok-1"));`},
		http.StatusCreated, nil)
	call(t, h, "POST", "/api/v1/api-tester/environments", map[string]any{"name": "local", "namespace": "sandbox",
		"variables": map[string]string{"base": h.URL + "/stubs/sandbox"}}, http.StatusCreated, nil)
	code, out, errOut = h.CLI(t, "perf", "run", "--collection", "Shop", "--collection-env", "local", "--duration", "1s", "--wait", "-o", "json")
	var cres sdkPerfResult
	if err := json.Unmarshal([]byte(out), &cres); code != 0 || err != nil || cres.Status != "completed" || cres.TotalRequests == 0 ||
		cres.Metrics["checks"]["passes"] != float64(cres.TotalRequests) {
		t.Fatalf("--collection: %d %v %+v\n%s\n%s", code, err, cres.Metrics, out, errOut)
	}
	// A HAR recording, replayed as load.
	harFile := filepath.Join(dir, "session.har")
	harDoc := `{"log":{"version":"1.2","creator":{"name":"test","version":"1"},"entries":[{"startedDateTime":"2026-01-01T00:00:00Z","time":1,
"request":{"method":"POST","url":"` + h.URL + `/stubs/sandbox/api/login","httpVersion":"HTTP/1.1","headers":[],"queryString":[],"cookies":[],"headersSize":-1,"bodySize":0},
"response":{"status":200,"statusText":"OK","httpVersion":"HTTP/1.1","headers":[],"cookies":[],"content":{"size":0,"mimeType":"application/json"},"redirectURL":"","headersSize":-1,"bodySize":0},
"cache":{},"timings":{"send":0,"wait":1,"receive":0}}]}}`
	if err := os.WriteFile(harFile, []byte(harDoc), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = h.CLI(t, "perf", "run", "--har", harFile, "--duration", "1s", "--wait", "-o", "json")
	var hres sdkPerfResult
	if err := json.Unmarshal([]byte(out), &hres); code != 0 || err != nil || hres.Status != "completed" || hres.TotalRequests == 0 ||
		hres.ErrorCount != 0 {
		t.Fatalf("--har: %d %v %+v\n%s\n%s", code, err, hres.Metrics, out, errOut)
	}
	if code, _, errOut := h.CLI(t, "perf", "run", "--collection", "Nope", "--wait"); code != 1 || !strings.Contains(errOut, `no collection "Nope"`) {
		t.Fatalf("an unknown collection: %d %s", code, errOut)
	}
	if code, _, errOut := h.CLI(t, "perf", "run", "--config", "Nope", "--wait"); code != 1 || !strings.Contains(errOut, `no perf config "Nope"`) {
		t.Fatalf("an unknown config: %d %s", code, errOut)
	}
	if code, _, errOut := h.CLI(t, "perf", "run", "--url", "http://x", "--script", "f.js"); code != 2 ||
		!strings.Contains(errOut, "give one of --config, --script, --url, --collection or --har") {
		t.Fatalf("two sources: %d %s", code, errOut)
	}
}
