package main

import (
	"net/http"
	"testing"
	"time"

	"github.com/mockarty-oss/mockarty/sdk/plugintest"
)

// TestPerfSchedules: a perf config on a cron expression runs by itself;
// the schedule in the Go SDK's shape (cron, enabled, createdAt in ms).
func TestPerfSchedules(t *testing.T) {
	h := plugintest.StartHost(t, plugintest.HostOptions{Plugins: map[string]plugintest.PluginSpec{"perf": {Dir: "."}}})
	h.Post(t, "/api/v1/mocks", `{"id":"ping","http":{"route":"/ping","httpMethod":"GET"},"response":{"statusCode":200}}`, http.StatusCreated)
	var cfg map[string]any
	call(t, h, "POST", "/api/v1/perf-configs", map[string]any{"name": "nightly", "targetUrl": h.URL + "/stubs/sandbox/ping", "duration": "1s",
		"vus": 1}, http.StatusCreated, &cfg)
	var sched struct {
		ID        string `json:"id"`
		ConfigID  string `json:"configId"`
		Cron      string `json:"cron"`
		Enabled   bool   `json:"enabled"`
		CreatedAt int64  `json:"createdAt"`
		NextRunAt string `json:"nextRunAt"`
	}
	call(t, h, "POST", "/api/v1/perf-schedules", map[string]any{"configId": cfg["id"], "cron": "@every 1s", "enabled": true}, http.StatusCreated, &sched)
	if sched.ID == "" || sched.CreatedAt == 0 || sched.NextRunAt == "" || !sched.Enabled {
		t.Fatalf("schedule: %+v", sched)
	}
	plugintest.Eventually(t, 60*time.Second, func() bool {
		var history []sdkPerfResult
		call(t, h, "GET", "/api/v1/perf-results/history/"+cfg["id"].(string), nil, http.StatusOK, &history)
		return len(history) > 0 && history[len(history)-1].Status == "completed" && history[len(history)-1].TotalRequests > 0
	}, "the schedule runs its config")
	id := sched.ID
	sched.NextRunAt = "" // omitted when disabled
	call(t, h, "PUT", "/api/v1/perf-schedules/"+id, map[string]any{"enabled": false}, http.StatusOK, &sched)
	if sched.Enabled || sched.NextRunAt != "" {
		t.Fatalf("disabled: %+v", sched)
	}
	var list []map[string]any
	call(t, h, "GET", "/api/v1/perf-schedules", nil, http.StatusOK, &list)
	if len(list) != 1 {
		t.Fatalf("list: %v", list)
	}
	var bad map[string]any
	call(t, h, "POST", "/api/v1/perf-schedules", map[string]any{"configId": cfg["id"], "cron": "every day", "enabled": true},
		http.StatusUnprocessableEntity, &bad)
	if bad["field"] != "cron" {
		t.Fatalf("bad cron: %v", bad)
	}
	call(t, h, "DELETE", "/api/v1/perf-schedules/"+sched.ID, nil, http.StatusOK, nil)
	call(t, h, "GET", "/api/v1/perf-schedules/"+sched.ID, nil, http.StatusNotFound, nil)
}

// TestRunnerTasks: a load run submitted as a runner task, seen in the
// queue and on the local runner.
func TestRunnerTasks(t *testing.T) {
	h := plugintest.StartHost(t, plugintest.HostOptions{Plugins: map[string]plugintest.PluginSpec{"perf": {Dir: "."}}})
	h.Post(t, "/api/v1/mocks", `{"id":"ping","http":{"route":"/ping","httpMethod":"GET"},"response":{"statusCode":200}}`, http.StatusCreated)
	var runners []struct {
		ID           string   `json:"id"`
		Capabilities []string `json:"capabilities"`
	}
	call(t, h, "GET", "/api/v1/runners", nil, http.StatusOK, &runners)
	if len(runners) != 1 || len(runners[0].Capabilities) != 1 || runners[0].Capabilities[0] != "performance" {
		t.Fatalf("runners: %+v", runners)
	}
	var task struct {
		ID     string `json:"id"`
		Type   string `json:"type"`
		Status string `json:"status"`
	}
	call(t, h, "POST", "/api/v1/runner-tasks", map[string]any{"type": "performance",
		"payload": map[string]any{"targetUrl": h.URL + "/stubs/sandbox/ping", "duration": "1s"}}, http.StatusCreated, &task)
	if task.Type != "performance" || task.Status != "running" {
		t.Fatalf("task: %+v", task)
	}
	var pos map[string]any
	call(t, h, "GET", "/api/v1/runner-tasks/"+task.ID+"/queue-position", nil, http.StatusOK, &pos)
	if pos["position"] != float64(0) {
		t.Fatalf("queue position: %v", pos)
	}
	plugintest.Eventually(t, 60*time.Second, func() bool {
		call(t, h, "GET", "/api/v1/runner-tasks/"+task.ID, nil, http.StatusOK, &task)
		return task.Status == "completed"
	}, "the runner task completes")
	var list []map[string]any
	call(t, h, "GET", "/api/v1/runner-tasks?type=performance", nil, http.StatusOK, &list)
	if len(list) != 1 {
		t.Fatalf("list: %v", list)
	}
	var bad map[string]any
	call(t, h, "POST", "/api/v1/runner-tasks", map[string]any{"type": "chaos"}, http.StatusUnprocessableEntity, &bad)
	call(t, h, "DELETE", "/api/v1/runner-tasks/"+task.ID, nil, http.StatusConflict, &bad)
}
