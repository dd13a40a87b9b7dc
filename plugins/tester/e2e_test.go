package main

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/mockarty-oss/mockarty/sdk/plugintest"
)

// The shapes below are the Go SDK's (model-tools §1.2, §1.3, §1.4, §7.1):
// Go decodes strictly by type, so a string where it wants an int64 (or
// the reverse) fails the whole call, as it would for a real client.
type sdkCollection struct {
	ID             string         `json:"id"`
	Namespace      string         `json:"namespace"`
	UserID         string         `json:"userId"`
	Name           string         `json:"name"`
	Description    string         `json:"description"`
	Protocol       string         `json:"protocol"`
	CollectionType string         `json:"collectionType"`
	IsShared       bool           `json:"isShared"`
	Metadata       map[string]any `json:"metadata"`
	CreatedAt      string         `json:"createdAt"`
	UpdatedAt      string         `json:"updatedAt"`
}

type sdkEnvironment struct {
	ID        string            `json:"id"`
	Namespace string            `json:"namespace"`
	Name      string            `json:"name"`
	Variables map[string]string `json:"variables"`
	IsActive  bool              `json:"isActive"`
}

type sdkAssertion struct {
	Name     string `json:"name"`
	Passed   bool   `json:"passed"`
	Expected string `json:"expected"`
	Actual   string `json:"actual"`
	Message  string `json:"message"`
}

type sdkStepResult struct {
	ID          string         `json:"id"`
	RequestName string         `json:"requestName"`
	Status      string         `json:"status"`
	Duration    int64          `json:"duration"`
	Assertions  []sdkAssertion `json:"assertions"`
	Error       string         `json:"error"`
	Request     map[string]any `json:"request"`
	Response    map[string]any `json:"response"`
	// Test is how the step's test scripts went (Mockarty's own field).
	Test *struct {
		Error string `json:"error"`
	} `json:"test"`
}

type sdkRunResult struct {
	ID           string          `json:"id"`
	CollectionID string          `json:"collectionId"`
	Status       string          `json:"status"`
	TotalTests   int             `json:"totalTests"`
	PassedTests  int             `json:"passedTests"`
	FailedTests  int             `json:"failedTests"`
	SkippedTests int             `json:"skippedTests"`
	Duration     int64           `json:"duration"`
	Results      []sdkStepResult `json:"results"`
	Metadata     map[string]any  `json:"metadata"`
	StartedAt    string          `json:"startedAt"`
	CompletedAt  string          `json:"completedAt"`
	// The names other SDKs read.
	RunID      string `json:"runId"`
	Total      int    `json:"total"`
	Passed     int    `json:"passed"`
	Failed     int    `json:"failed"`
	DurationMs int64  `json:"durationMs"`
}

type sdkTestRun struct {
	ID           string `json:"id"`
	CollectionID string `json:"collectionId"`
	Mode         string `json:"mode"`
	ReferenceID  string `json:"referenceId"`
	Status       string `json:"status"`
	Namespace    string `json:"namespace"`
	TotalTests   int    `json:"totalTests"`
	PassedTests  int    `json:"passedTests"`
	FailedTests  int    `json:"failedTests"`
	SkippedTests int    `json:"skippedTests"`
	Duration     int64  `json:"duration"`
	StartedAt    int64  `json:"startedAt"`
	FinishedAt   int64  `json:"finishedAt"`
	// Java reads the steps of a polled run.
	Results []sdkStepResult `json:"results"`
}

type sdkTestRunList struct {
	Runs  []sdkTestRun `json:"runs"`
	Total int          `json:"total"`
}

// call sends a request the way the Go SDK does (X-API-Key would be its
// credential; local auth needs none) and decodes the answer into out.
func call(t *testing.T, h *plugintest.HostProc, method, path string, body any, want int, out any) []byte {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, h.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	if res.StatusCode != want {
		t.Fatalf("%s %s: status %d, want %d: %s", method, path, res.StatusCode, want, data)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatalf("%s %s: the Go SDK could not decode the answer: %v\n%s", method, path, err, data)
		}
	}
	return data
}

func startTester(t *testing.T) *plugintest.HostProc {
	return plugintest.StartHost(t, plugintest.HostOptions{Plugins: map[string]plugintest.PluginSpec{"tester": {Dir: "."}}})
}

// TestGoSDKFlow is api-reference 6.1 through the Go SDK's calls: create a
// collection, add a request with an mk.test script, execute, poll the run,
// export it as JUnit.
func TestGoSDKFlow(t *testing.T) {
	h := startTester(t)
	// The system under test: a mock on this server.
	h.Post(t, "/api/v1/mocks", `{"id":"users","http":{"route":"/api/users","httpMethod":"GET"},
		"response":{"statusCode":200,"payload":{"users":[{"id":1,"name":"Ann"}]}}}`, http.StatusCreated)

	var col sdkCollection
	// Go marshals every field, zero values included (model-tools §0.3).
	call(t, h, "POST", "/api/v1/api-tester/collections", sdkCollection{Name: "CI Tests", Description: "Automated test suite",
		Namespace: "sandbox"}, http.StatusCreated, &col)
	if col.ID == "" || col.Name != "CI Tests" || col.CreatedAt == "" {
		t.Fatalf("created collection: %+v", col)
	}
	call(t, h, "POST", "/api/v1/api-tester/collections/"+col.ID+"/requests", map[string]any{
		"name": "Get Users", "method": "GET", "url": "{{baseUrl}}/stubs/sandbox/api/users",
		"testScript": `mk.test("Status is 200", function() { mk.response.to.have.status(200); });
mk.test("Has Ann", function() { mk.expect(mk.response.json().users[0].name).to.eql("Ann"); });
mk.test("Wrong on purpose", function() { mk.expect(mk.response.json().users).to.have.lengthOf(2); });
mk.environment.set("seen", mk.response.json().users.length);`,
	}, http.StatusCreated, nil)

	var env sdkEnvironment
	call(t, h, "POST", "/api/v1/api-tester/environments", sdkEnvironment{Name: "local", Namespace: "sandbox",
		Variables: map[string]string{"baseUrl": h.URL}}, http.StatusCreated, &env)
	call(t, h, "POST", "/api/v1/api-tester/environments/"+env.ID+"/activate", nil, http.StatusOK, nil)
	var active sdkEnvironment
	call(t, h, "GET", "/api/v1/api-tester/environments/active", nil, http.StatusOK, &active)
	if active.ID != env.ID || !active.IsActive {
		t.Fatalf("active environment: %+v", active)
	}

	// Execute with no body, as the Go SDK does.
	var run sdkRunResult
	call(t, h, "POST", "/api/v1/api-tester/collections/"+col.ID+"/execute", nil, http.StatusOK, &run)
	if run.ID == "" || run.RunID != run.ID || run.CollectionID != col.ID {
		t.Fatalf("run ids: %+v", run)
	}
	if run.Status != "failed" || run.TotalTests != 3 || run.PassedTests != 2 || run.FailedTests != 1 ||
		run.Total != 3 || run.Passed != 2 || run.Failed != 1 || run.DurationMs != run.Duration {
		t.Fatalf("run counts: %+v", run)
	}
	if len(run.Results) != 1 || run.Results[0].RequestName != "Get Users" || len(run.Results[0].Assertions) != 3 ||
		run.Results[0].Assertions[2].Passed || !strings.Contains(run.Results[0].Assertions[2].Message, "length") {
		t.Fatalf("step results: %+v", run.Results)
	}
	if run.Results[0].Response["code"] != float64(200) {
		t.Fatalf("step response: %v", run.Results[0].Response)
	}

	// Poll, as the reference's curl does, and list with the Go SDK's envelope.
	var got sdkTestRun
	call(t, h, "GET", "/api/v1/api-tester/test-runs/"+run.ID, nil, http.StatusOK, &got)
	if got.Status != "failed" || got.StartedAt == 0 || got.FinishedAt < got.StartedAt || got.Mode != "functional" {
		t.Fatalf("polled run: %+v", got)
	}
	var list sdkTestRunList
	call(t, h, "GET", "/api/v1/api-tester/test-runs?mode=functional&limit=10", nil, http.StatusOK, &list)
	if list.Total != 1 || len(list.Runs) != 1 || list.Runs[0].ID != run.ID || list.Runs[0].FailedTests != 1 {
		t.Fatalf("run list: %+v", list)
	}
	var none sdkTestRunList
	body := call(t, h, "GET", "/api/v1/api-tester/test-runs?mode=fuzz", nil, http.StatusOK, &none)
	if !strings.Contains(string(body), `"runs":[]`) {
		t.Fatalf("an empty list must be [] for the Go SDK: %s", body)
	}

	// The scripts' environment changes are kept with the run.
	if fe, _ := run.Metadata["finalEnvironment"].(map[string]any); fmt.Sprint(fe["seen"]) != "1" {
		t.Fatalf("final environment: %v", run.Metadata)
	}

	// JUnit a CI system reads: one suite per request, one case per test.
	junitXML := h.Get(t, "/api/v1/api-tester/test-runs/"+run.ID+"/export?format=junit", http.StatusOK)
	var suites struct {
		XMLName xml.Name `xml:"testsuites"`
		Suites  []struct {
			Name     string `xml:"name,attr"`
			Tests    int    `xml:"tests,attr"`
			Failures int    `xml:"failures,attr"`
			Cases    []struct {
				Name    string    `xml:"name,attr"`
				Failure *struct{} `xml:"failure"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(junitXML, &suites); err != nil {
		t.Fatalf("JUnit does not parse: %v\n%s", err, junitXML)
	}
	if len(suites.Suites) != 1 || suites.Suites[0].Tests != 3 || suites.Suites[0].Failures != 1 ||
		suites.Suites[0].Cases[2].Failure == nil || suites.Suites[0].Cases[0].Failure != nil {
		t.Fatalf("JUnit content: %+v\n%s", suites, junitXML)
	}

	// Python and Java spell the run path /run.
	var again sdkRunResult
	call(t, h, "POST", "/api/v1/api-tester/collections/"+col.ID+"/run", map[string]any{}, http.StatusOK, &again)
	if again.ID == run.ID || again.TotalTests != 3 {
		t.Fatalf("second run: %+v", again)
	}
}

// TestRunGoesOnAfterBadScripts: scripts that throw, loop forever or
// allocate without bound fail their own test with a clear message, and
// the next request still runs.
func TestRunGoesOnAfterBadScripts(t *testing.T) {
	h := startTester(t)
	h.Post(t, "/api/v1/mocks", `{"id":"ok","http":{"route":"/ok","httpMethod":"GET"},"response":{"statusCode":200,"payload":{"ok":true}}}`,
		http.StatusCreated)
	target := h.URL + "/stubs/sandbox/ok"
	var col sdkCollection
	call(t, h, "POST", "/api/v1/api-tester/collections", map[string]any{"name": "bad scripts", "requests": []map[string]any{
		{"name": "throws", "url": target, "testScript": `throw new Error("boom")`},
		{"name": "loops", "url": target, "testScript": `pm.test("never ends", function(){ while(true){} });`},
		{"name": "allocates", "url": target, "testScript": `var s="x"; for (var i = 0; i < 24; i++) s += s; var a=[]; while(true) a.push(s + a.length);`},
		{"name": "fine", "url": target, "testScript": `pm.test("ok", function(){ pm.response.to.have.status(200); });`},
	}}, http.StatusCreated, &col)
	var run sdkRunResult
	call(t, h, "POST", "/api/v1/api-tester/collections/"+col.ID+"/execute", map[string]any{"wait": 120}, http.StatusOK, &run)
	if len(run.Results) != 4 {
		t.Fatalf("every request ran: %+v", run)
	}
	byName := map[string]sdkStepResult{}
	for _, r := range run.Results {
		byName[r.RequestName] = r
	}
	if r := byName["fine"]; r.Status != "passed" || len(r.Assertions) != 1 || !r.Assertions[0].Passed {
		t.Fatalf("the request after the bad scripts: %+v", r)
	}
	for name, want := range map[string]string{"throws": "boom", "loops": "timed out", "allocates": "memory"} {
		r := byName[name]
		if r.Status != "failed" {
			t.Errorf("%s: status %s, want failed", name, r.Status)
		}
		if r.Test == nil || !strings.Contains(r.Test.Error, want) {
			t.Errorf("%s: the test script's error does not say %q: %+v", name, want, r.Test)
		}
	}
	if run.Status != "failed" {
		t.Fatalf("run status: %s", run.Status)
	}
}

// TestCancelAndPoll: a long run answers "running" when the wait is over,
// can be polled and cancelled, and keeps the steps it finished.
func TestCancelAndPoll(t *testing.T) {
	h := startTester(t)
	h.Post(t, "/api/v1/mocks", `{"id":"slow","http":{"route":"/slow","httpMethod":"GET"},"response":{"statusCode":200,"delay":200}}`,
		http.StatusCreated)
	var reqs []map[string]any
	for i := 0; i < 50; i++ {
		reqs = append(reqs, map[string]any{"name": fmt.Sprintf("r%d", i), "url": h.URL + "/stubs/sandbox/slow"})
	}
	var col sdkCollection
	call(t, h, "POST", "/api/v1/api-tester/collections", map[string]any{"name": "slow", "requests": reqs}, http.StatusCreated, &col)
	var run sdkRunResult
	call(t, h, "POST", "/api/v1/api-tester/collections/"+col.ID+"/execute?wait=0", nil, http.StatusOK, &run)
	if run.Status != "running" {
		t.Fatalf("with wait=0 the run is still going: %+v", run)
	}
	var active struct {
		Runs []sdkTestRun `json:"runs"`
	}
	call(t, h, "GET", "/api/v1/test-runs/active", nil, http.StatusOK, &active)
	if len(active.Runs) != 1 || active.Runs[0].ID != run.ID {
		t.Fatalf("active runs: %+v", active)
	}
	plugintest.Eventually(t, 30*time.Second, func() bool {
		var r sdkTestRun
		call(t, h, "GET", "/api/v1/api-tester/test-runs/"+run.ID, nil, http.StatusOK, &r)
		return r.TotalTests == 0 && strings.Contains(string(h.Get(t, "/api/v1/api-tester/test-runs/"+run.ID, http.StatusOK)), `"completedRequests":`) &&
			!strings.Contains(string(h.Get(t, "/api/v1/api-tester/test-runs/"+run.ID, http.StatusOK)), `"completedRequests":0`)
	}, "the run reports progress")
	var cancelled sdkTestRun
	call(t, h, "POST", "/api/v1/api-tester/test-runs/"+run.ID+"/cancel", nil, http.StatusOK, &cancelled)
	if cancelled.Status != "cancelled" {
		t.Fatalf("cancelled run: %+v", cancelled)
	}
	var final sdkTestRun
	call(t, h, "GET", "/api/v1/api-tester/test-runs/"+run.ID, nil, http.StatusOK, &final)
	if final.Status != "cancelled" || len(final.Results) == 0 || len(final.Results) >= 50 {
		t.Fatalf("a cancelled run keeps what it did: %s, %d results", final.Status, len(final.Results))
	}
	h.Do(t, "POST", "/api/v1/api-tester/test-runs/"+run.ID+"/cancel", "", http.StatusConflict)
}

// TestRequestsTestsSchedules: a request run on its own (kept in the
// history), a script run against a given response, a standalone test, and
// a schedule that fires by itself and on demand.
func TestRequestsTestsSchedules(t *testing.T) {
	h := startTester(t)
	h.Post(t, "/api/v1/mocks", `{"id":"hello","http":{"route":"/hello","httpMethod":"GET"},"response":{"statusCode":200,"payload":{"hi":"there"}}}`,
		http.StatusCreated)
	target := h.URL + "/stubs/sandbox/hello"

	var one map[string]any
	call(t, h, "POST", "/api/v1/api-tester/requests/execute", map[string]any{"method": "GET", "url": target,
		"testScript": `pm.test("hi", function(){ pm.expect(pm.response.json().hi).to.eql("there"); });`}, http.StatusOK, &one)
	if one["statusCode"] != float64(200) || one["passedTests"] != float64(1) || one["body"].(map[string]any)["hi"] != "there" {
		t.Fatalf("executed request: %v", one)
	}
	var hist struct {
		Items []map[string]any `json:"items"`
		Total int              `json:"total"`
	}
	call(t, h, "GET", "/api/v1/api-tester/requests/history", nil, http.StatusOK, &hist)
	if hist.Total != 1 || !strings.Contains(fmt.Sprint(hist.Items[0]["request"]), target) {
		t.Fatalf("history: %+v", hist)
	}
	// A single request is not a functional run.
	var runs sdkTestRunList
	call(t, h, "GET", "/api/v1/api-tester/test-runs", nil, http.StatusOK, &runs)
	if runs.Total != 0 {
		t.Fatalf("functional runs after a single request: %+v", runs)
	}

	var scr map[string]any
	call(t, h, "POST", "/api/v1/api-tester/requests/run-script", map[string]any{"type": "test",
		"script":   `pm.test("code", function(){ pm.response.to.have.status(201); }); pm.environment.set("seen", pm.response.json().id); console.log("done");`,
		"response": map[string]any{"code": 201, "body": `{"id":7}`, "headers": []map[string]string{{"key": "Content-Type", "value": "application/json"}}}},
		http.StatusOK, &scr)
	if scr["success"] != true || fmt.Sprint(scr["variables"].(map[string]any)["seen"]) != "7" || len(scr["logs"].([]any)) != 1 {
		t.Fatalf("run-script: %v", scr)
	}
	call(t, h, "POST", "/api/v1/api-tester/requests/run-script", map[string]any{"script": "throw new Error('nope')"}, http.StatusOK, &scr)
	if scr["success"] != false || !strings.Contains(fmt.Sprint(scr["error"]), "nope") {
		t.Fatalf("a throwing script: %v", scr)
	}

	var test map[string]any
	call(t, h, "POST", "/api/v1/api-tester/tests", map[string]any{"name": "hello works", "request": map[string]any{"url": target,
		"testScript": `pm.test("ok", function(){ pm.response.to.be.ok; });`}}, http.StatusCreated, &test)
	var tr sdkRunResult
	call(t, h, "POST", "/api/v1/api-tester/tests/"+test["id"].(string)+"/run", nil, http.StatusOK, &tr)
	if tr.Status != "completed" || tr.PassedTests != 1 {
		t.Fatalf("standalone test run: %+v", tr)
	}
	call(t, h, "GET", "/api/v1/api-tester/test-runs?referenceId="+test["id"].(string), nil, http.StatusOK, &runs)
	if runs.Total != 1 || runs.Runs[0].ReferenceID != test["id"] {
		t.Fatalf("the test's runs: %+v", runs)
	}

	var col sdkCollection
	call(t, h, "POST", "/api/v1/api-tester/collections", map[string]any{"name": "scheduled", "requests": []map[string]any{{"name": "hello", "url": target,
		"expectedStatus": 200, "assertions": []map[string]any{{"type": "jsonpath", "path": "$.hi", "expected": "there"}}}}}, http.StatusCreated, &col)
	var sched map[string]any
	call(t, h, "POST", "/api/v1/api-tester/schedules", map[string]any{"name": "often", "collectionId": col.ID, "cronExpression": "@every 1s"},
		http.StatusCreated, &sched)
	if sched["enabled"] != true || sched["nextRunAt"] == "" {
		t.Fatalf("schedule: %v", sched)
	}
	plugintest.Eventually(t, 30*time.Second, func() bool {
		var l sdkTestRunList
		call(t, h, "GET", "/api/v1/api-tester/test-runs?referenceId="+sched["id"].(string), nil, http.StatusOK, &l)
		return l.Total > 0 && l.Runs[len(l.Runs)-1].Status == "completed" && l.Runs[len(l.Runs)-1].PassedTests == 2
	}, "the schedule fires and its run passes (status and jsonpath assertions)")
	call(t, h, "PUT", "/api/v1/api-tester/schedules/"+sched["id"].(string), map[string]any{"enabled": false}, http.StatusOK, &sched)
	if sched["enabled"] != false || sched["lastRunId"] == "" {
		t.Fatalf("disabled schedule: %v", sched)
	}
	var now sdkTestRun
	call(t, h, "POST", "/api/v1/api-tester/schedules/"+sched["id"].(string)+"/run", nil, http.StatusAccepted, &now)
	if now.ReferenceID != sched["id"] {
		t.Fatalf("run now: %+v", now)
	}
	var bad map[string]any
	call(t, h, "POST", "/api/v1/api-tester/schedules", map[string]any{"name": "bad", "collectionId": col.ID, "cronExpression": "61 * * * *"},
		http.StatusUnprocessableEntity, &bad)
	if bad["field"] != "cronExpression" {
		t.Fatalf("bad cron: %v", bad)
	}
}

// TestPluginCrashKeepsSteps: a tester plugin killed in the middle of a run
// fails the run with a message, keeping every step stored before the crash;
// the plugin comes back and the next run works.
func TestPluginCrashKeepsSteps(t *testing.T) {
	h := startTester(t)
	h.Post(t, "/api/v1/mocks", `{"id":"slow","http":{"route":"/slow","httpMethod":"GET"},"response":{"statusCode":200,"delay":100}}`,
		http.StatusCreated)
	var reqs []map[string]any
	for i := 0; i < 100; i++ {
		reqs = append(reqs, map[string]any{"name": fmt.Sprintf("r%d", i), "url": h.URL + "/stubs/sandbox/slow", "expectedStatus": 200})
	}
	var col sdkCollection
	call(t, h, "POST", "/api/v1/api-tester/collections", map[string]any{"name": "crash", "requests": reqs}, http.StatusCreated, &col)
	var run sdkRunResult
	call(t, h, "POST", "/api/v1/api-tester/collections/"+col.ID+"/execute?wait=0", nil, http.StatusOK, &run)
	var r sdkTestRun
	plugintest.Eventually(t, 30*time.Second, func() bool {
		call(t, h, "GET", "/api/v1/api-tester/test-runs/"+run.ID, nil, http.StatusOK, &r)
		return len(r.Results) >= 3
	}, "some steps stored")
	pid := int(h.Plugin(t, "tester")["pid"].(float64))
	proc, err := os.FindProcess(pid)
	if err != nil {
		t.Fatal(err)
	}
	if err := proc.Kill(); err != nil {
		t.Fatal(err)
	}
	plugintest.Eventually(t, 30*time.Second, func() bool {
		call(t, h, "GET", "/api/v1/api-tester/test-runs/"+run.ID, nil, http.StatusOK, &r)
		return r.Status != "running"
	}, "the run ends")
	body := string(h.Get(t, "/api/v1/api-tester/test-runs/"+run.ID, http.StatusOK))
	if r.Status != "failed" || len(r.Results) < 3 || len(r.Results) >= 100 || !strings.Contains(body, "tester plugin") {
		t.Fatalf("after the crash: %s with %d steps: %.300s", r.Status, len(r.Results), body)
	}
	plugintest.Eventually(t, 60*time.Second, func() bool {
		p := h.Plugin(t, "tester")
		return p["state"] == "running" && p["restarts"].(float64) > 0
	}, "the plugin restarts")
	var again sdkRunResult
	call(t, h, "POST", "/api/v1/api-tester/collections/"+col.ID+"/execute", map[string]any{"requestIds": []string{"r0", "r1"}}, http.StatusOK, &again)
	if again.Status != "completed" || again.PassedTests != 2 {
		t.Fatalf("a run after the restart: %+v", again)
	}
}
