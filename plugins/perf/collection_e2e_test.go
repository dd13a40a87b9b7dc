package main

import (
	"math"
	"net/http"
	"testing"

	"github.com/mockarty-oss/mockarty/sdk/plugintest"
)

// TestRunCollectionAsLoad: an API-tester collection runs as load, each
// VU passing through its requests with their scripts: a token a test
// script stores is sent by the next request, each pm.test is a check, and
// each request is measured under its name.
func TestRunCollectionAsLoad(t *testing.T) {
	h := plugintest.StartHost(t, plugintest.HostOptions{Plugins: map[string]plugintest.PluginSpec{"perf": {Dir: "."}}})
	h.Post(t, "/api/v1/mocks", `{"id":"login","http":{"route":"/api/login","httpMethod":"POST"},"response":{"statusCode":200,"payload":{"token":"abc"}}}`,
		http.StatusCreated)
	h.Post(t, "/api/v1/mocks", `{"id":"users","http":{"route":"/api/users","httpMethod":"GET"},"response":{"statusCode":200,"payload":{"users":[{"name":"Ann"}]}}}`,
		http.StatusCreated)
	var col struct {
		ID string `json:"id"`
	}
	call(t, h, "POST", "/api/v1/api-tester/collections", map[string]any{"name": "Shop", "namespace": "sandbox"}, http.StatusCreated, &col)
	call(t, h, "POST", "/api/v1/api-tester/collections/"+col.ID+"/requests", map[string]any{
		"name": "Login", "method": "POST", "url": "{{baseUrl}}/stubs/sandbox/api/login", "body": `{"user":"ann"}`,
		"testScript": `pm.test("logged in", function () { pm.response.to.have.status(200); });
pm.environment.set("token", pm.response.json().token);`,
	}, http.StatusCreated, nil)
	call(t, h, "POST", "/api/v1/api-tester/collections/"+col.ID+"/requests", map[string]any{
		"name": "Get Users", "method": "GET", "url": "{{baseUrl}}/stubs/sandbox/api/users",
		"headers": []map[string]any{{"key": "Authorization", "value": "Bearer {{token}}", "enabled": true}},
		"testScript": `pm.test("token sent", function () { pm.expect(pm.request.headers.get("Authorization")).to.eql("Bearer abc"); });
pm.test("wrong on purpose", function () { pm.expect(pm.response.json().users).to.have.lengthOf(2); });`,
	}, http.StatusCreated, nil)
	var env struct {
		ID string `json:"id"`
	}
	call(t, h, "POST", "/api/v1/api-tester/environments", map[string]any{"name": "local", "namespace": "sandbox",
		"variables": map[string]string{"baseUrl": h.URL}}, http.StatusCreated, &env)

	// the Go SDK example's shape, with a threshold on one request's submetric
	var task sdkPerfTask
	call(t, h, "POST", "/api/v1/perf/run-collection", map[string]any{"collectionId": col.ID, "environmentId": env.ID, "vus": 2,
		"duration": "1s", "thresholds": map[string]any{"http_reqs{name:Login}": "count>0", "checks": "rate>0.9"}}, http.StatusCreated, &task)
	r := finished(t, h, task.ID)
	if r.Status != "failed" { // checks at 2/3 fail the 0.9 threshold
		t.Fatalf("status %q (%s), want failed by the checks threshold", r.Status, r.Message)
	}
	iters := r.Metrics["iterations"]["count"]
	if iters < 2 || r.Metrics["http_reqs"]["count"] != 2*iters {
		t.Fatalf("%v iterations, %v requests: want two requests an iteration", iters, r.Metrics["http_reqs"]["count"])
	}
	if c := r.Metrics["checks"]; c["passes"] != 2*iters || c["fails"] != iters || math.Abs(c["rate"]-2.0/3) > 1e-9 {
		t.Fatalf("checks %v for %v iterations: want 2 passes and 1 failure each", c, iters)
	}
	if r.Metrics["http_req_failed"]["rate"] != 0 || r.Metrics["http_req_duration"]["max"] <= 0 {
		t.Fatalf("requests: failed %v, duration %v", r.Metrics["http_req_failed"], r.Metrics["http_req_duration"])
	}
	// Bytes on the wire: a request line and headers at least (30 bytes) each way.
	if reqs := r.Metrics["http_reqs"]["count"]; r.Metrics["data_sent"]["count"] < 30*reqs || r.Metrics["data_received"]["count"] < 30*reqs {
		t.Fatalf("data_sent %v, data_received %v for %v requests", r.Metrics["data_sent"], r.Metrics["data_received"], reqs)
	}
	byName := map[string]bool{}
	for _, th := range r.Thresholds["http_reqs{name:Login}"] {
		byName[th["threshold"].(string)] = th["ok"].(bool)
	}
	if !byName["count>0"] {
		t.Fatalf("the Login request's submetric: %v", r.Thresholds)
	}
	if len(r.Errors) != 0 {
		t.Fatalf("errors: %+v", r.Errors)
	}
	if a := r.Metrics["apdex"]; a["score"] != 1 || a["route:Login"] != 1 || a["route:Get Users"] != 1 || a["samples"] != r.Metrics["http_reqs"]["count"] {
		t.Fatalf("apdex of fast mocks: %v", a)
	}

	// the integrations guide's shape: script {collectionId, environmentId}
	call(t, h, "POST", "/api/v1/perf/run", map[string]any{"script": map[string]string{"collectionId": col.ID, "environmentId": env.ID},
		"options": map[string]any{"duration": "1s", "concurrency": 1}}, http.StatusCreated, &task)
	if r := finished(t, h, task.ID); r.Status != "completed" || r.Metrics["checks"]["fails"] == 0 || r.Metrics["http_reqs"]["count"] == 0 {
		t.Fatalf("script-object run: %s %v", r.Status, r.Metrics)
	}

	call(t, h, "POST", "/api/v1/perf/run-collection", map[string]any{"vus": 1}, http.StatusUnprocessableEntity, nil)
	call(t, h, "POST", "/api/v1/perf/run-collection", map[string]any{"collectionId": "nope"}, http.StatusNotFound, nil)
}

// TestRunGroups: runs started with the same runGroupId are listed together
// by /perf-results/group/:runGroupId, with their totals.
func TestRunGroups(t *testing.T) {
	h := plugintest.StartHost(t, plugintest.HostOptions{Plugins: map[string]plugintest.PluginSpec{"perf": {Dir: "."}}})
	h.Post(t, "/api/v1/mocks", `{"id":"users","http":{"route":"/api/users","httpMethod":"GET"},"response":{"statusCode":200,"payload":{"ok":true}}}`,
		http.StatusCreated)
	target := h.URL + "/stubs/sandbox/api/users"
	var ids []string
	for _, g := range []string{"ci-7", "ci-7", "ci-70"} {
		var task sdkPerfTask
		call(t, h, "POST", "/api/v1/perf/run", map[string]any{"targetUrl": target, "duration": "1s", "concurrency": 1, "runGroupId": g},
			http.StatusCreated, &task)
		ids = append(ids, task.ID)
	}
	var want int64
	for i, id := range ids {
		if r := finished(t, h, id); i < 2 {
			want += r.TotalRequests
		}
	}
	var group struct {
		RunGroupID string `json:"runGroupId"`
		Results    []struct {
			ID         string `json:"id"`
			RunGroupID string `json:"runGroupId"`
		} `json:"results"`
		Summary struct {
			Runs          int     `json:"runs"`
			Status        string  `json:"status"`
			TotalRequests int64   `json:"totalRequests"`
			RPS           float64 `json:"rps"`
		} `json:"summary"`
	}
	call(t, h, "GET", "/api/v1/perf-results/group/ci-7", nil, http.StatusOK, &group)
	if group.RunGroupID != "ci-7" || len(group.Results) != 2 || group.Results[0].ID != ids[1] || group.Results[1].ID != ids[0] ||
		group.Results[0].RunGroupID != "ci-7" {
		t.Fatalf("group ci-7: %+v (runs %v)", group, ids)
	}
	if group.Summary.Runs != 2 || group.Summary.Status != "completed" || group.Summary.TotalRequests != want || want == 0 || group.Summary.RPS <= 0 {
		t.Fatalf("group summary: %+v, want %d requests", group.Summary, want)
	}
	call(t, h, "GET", "/api/v1/perf-results/group/none", nil, http.StatusOK, &group)
	if len(group.Results) != 0 || group.Summary.Runs != 0 {
		t.Fatalf("an empty group: %+v", group)
	}
	call(t, h, "POST", "/api/v1/perf/run", map[string]any{"targetUrl": target, "runGroupId": "bad\x01id"}, http.StatusUnprocessableEntity, nil)
}
