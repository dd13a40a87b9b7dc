package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mockarty-oss/mockarty/sdk/plugintest"
)

// sdkPerfTask and sdkPerfResult are the Go SDK's shapes (model-tools §2.3):
// its strict decoding fails on a wrong type.
type sdkPerfTask struct {
	ID        string `json:"id"`
	TaskID    string `json:"taskId"`
	Name      string `json:"name"`
	Status    string `json:"status"`
	ConfigID  string `json:"configId"`
	StartedAt string `json:"startedAt"`
}

type sdkPerfResult struct {
	ID         string                      `json:"id"`
	Name       string                      `json:"name"`
	Status     string                      `json:"status"`
	Duration   int64                       `json:"duration"`
	VUs        int                         `json:"vus"`
	Iterations int                         `json:"iterations"`
	Metrics    sdkMetrics                  `json:"metrics"`
	Thresholds map[string][]map[string]any `json:"thresholds"`
	Tags       []string                    `json:"tags"`
	Errors     []struct {
		Message string
		Count   int
	} `json:"errors"`
	StartedAt string `json:"startedAt"`
	// Java's names.
	TotalRequests int64             `json:"totalRequests"`
	ErrorCount    int64             `json:"errorCount"`
	P95LatencyMs  float64           `json:"p95LatencyMs"`
	RPS           float64           `json:"rps"`
	Message       string            `json:"message"`
	Series        []json.RawMessage `json:"series"`
}

// sdkMetrics are the metrics as the Go SDK keeps them (a free map), read
// here as numbers by k6 name; apdex's per-route scores are flattened as
// "route:<name>".
type sdkMetrics map[string]map[string]float64

func (m *sdkMetrics) UnmarshalJSON(b []byte) error {
	var raw map[string]map[string]any
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	*m = sdkMetrics{}
	for k, vals := range raw {
		(*m)[k] = map[string]float64{}
		for ak, av := range vals {
			switch x := av.(type) {
			case float64:
				(*m)[k][ak] = x
			case map[string]any:
				for rk, rv := range x {
					f, ok := rv.(float64)
					if !ok {
						return fmt.Errorf("metrics.%s.%s.%s: not a number", k, ak, rk)
					}
					(*m)[k]["route:"+rk] = f
				}
			default:
				return fmt.Errorf("metrics.%s.%s: %T", k, ak, av)
			}
		}
	}
	return nil
}

func call(t *testing.T, h *plugintest.HostProc, method, path string, body any, want int, out any) []byte {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, h.URL+path, rd)
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

// finished polls a run until it ends, as the SDK examples do.
func finished(t *testing.T, h *plugintest.HostProc, id string) sdkPerfResult {
	t.Helper()
	var r sdkPerfResult
	plugintest.Eventually(t, 2*time.Minute, func() bool {
		call(t, h, "GET", "/api/v1/perf-results/"+id, nil, http.StatusOK, &r)
		return r.Status != "running"
	}, "run %s ends", id)
	return r
}

// TestLoadRuns: k6 scripts through the API and the perf plugin, against a
// mock on the same server: metrics, checks and thresholds in the result,
// a failing threshold failing the run, a bad script failing with its
// line, load without a script (Java's shape), configs, stop, compare.
func TestLoadRuns(t *testing.T) {
	h := plugintest.StartHost(t, plugintest.HostOptions{Plugins: map[string]plugintest.PluginSpec{"perf": {Dir: "."}}})
	h.Post(t, "/api/v1/mocks", `{"id":"users","http":{"route":"/api/users","httpMethod":"GET"},"response":{"statusCode":200,"delay":20,"payload":{"ok":true}}}`,
		http.StatusCreated)
	target := h.URL + "/stubs/sandbox/api/users"
	script := `import http from 'k6/http';
import { check, sleep } from 'k6';
export const options = { thresholds: { http_req_duration: ['p(95)<2000'], checks: ['rate>0.99'] } };
export default function () {
  const res = http.get(__ENV.TARGET);
  check(res, { 'status is 200': (r) => r.status === 200, 'ok': (r) => r.json().ok === true });
}`
	// The Go SDK's flat PerfConfig body.
	var task sdkPerfTask
	call(t, h, "POST", "/api/v1/perf/run", map[string]any{"name": "users", "script": script, "duration": "2s", "vus": 2,
		"iterations": 0, "thresholds": map[string]any{}, "tags": []string{"ci"}, "environment": map[string]string{"TARGET": target}},
		http.StatusCreated, &task)
	if task.ID == "" || task.TaskID != task.ID || task.Status != "running" {
		t.Fatalf("task: %+v", task)
	}
	r := finished(t, h, task.ID)
	if r.Status != "completed" || r.TotalRequests == 0 || r.Metrics["checks"]["rate"] != 1 || r.ErrorCount != 0 {
		t.Fatalf("result: %+v", r)
	}
	if p95 := r.Metrics["http_req_duration"]["p(95)"]; p95 < 20 || r.P95LatencyMs != p95 {
		t.Fatalf("a 20 ms mock's p95: %v (%v)", p95, r.P95LatencyMs)
	}
	if th := r.Thresholds["http_req_duration"]; len(th) != 1 || th[0]["ok"] != true {
		t.Fatalf("thresholds: %v", r.Thresholds)
	}
	if len(r.Series) == 0 {
		t.Fatalf("no per-second series")
	}
	var runs struct {
		Runs []struct {
			ID   string `json:"id"`
			Mode string `json:"mode"`
		} `json:"runs"`
	}
	call(t, h, "GET", "/api/v1/api-tester/test-runs?mode=load", nil, http.StatusOK, &runs)
	if len(runs.Runs) != 1 || runs.Runs[0].ID != task.ID {
		t.Fatalf("unified runs: %+v", runs)
	}

	// A threshold that fails fails the run, as in k6.
	call(t, h, "POST", "/api/v1/perf/run", map[string]any{"script": strings.Replace(script, "p(95)<2000", "p(95)<1", 1),
		"options": map[string]any{"vus": 1, "duration": "1s"}, "environment": map[string]string{"TARGET": target}}, http.StatusCreated, &task)
	if r := finished(t, h, task.ID); r.Status != "failed" || !strings.Contains(r.Message, "p(95)<1") {
		t.Fatalf("failing threshold: %s %q", r.Status, r.Message)
	}

	// A bad script fails with its line; the host is unaffected.
	call(t, h, "POST", "/api/v1/perf/run", map[string]any{"script": "import http from 'k6/http';\nexport default function () {\n  http.get(;\n}"},
		http.StatusCreated, &task)
	if r := finished(t, h, task.ID); r.Status != "failed" || !strings.Contains(r.Message, ":3") {
		t.Fatalf("syntax error: %s %q", r.Status, r.Message)
	}
	call(t, h, "POST", "/api/v1/perf/run", map[string]any{"script": "import x from 'k6/nope';\nexport default function () {}"}, http.StatusCreated, &task)
	if r := finished(t, h, task.ID); r.Status != "failed" || !strings.Contains(r.Message, "k6/nope") {
		t.Fatalf("unknown module: %s %q", r.Status, r.Message)
	}

	// Java's URL-based config, saved, then run by configId.
	var cfg map[string]any
	call(t, h, "POST", "/api/v1/perf-configs", map[string]any{"name": "java", "targetUrl": target, "method": "GET", "duration": 1,
		"concurrency": 2}, http.StatusCreated, &cfg)
	if cfg["duration"] != "1s" || cfg["vus"] != float64(2) {
		t.Fatalf("config: %v", cfg)
	}
	call(t, h, "POST", "/api/v1/perf/run", map[string]any{"configId": cfg["id"], "name": "", "script": ""}, http.StatusCreated, &task)
	first := finished(t, h, task.ID)
	if first.Status != "completed" || first.TotalRequests == 0 {
		t.Fatalf("scriptless run: %+v", first)
	}
	call(t, h, "POST", "/api/v1/perf/run", map[string]any{"configId": cfg["id"]}, http.StatusCreated, &task)
	second := finished(t, h, task.ID)
	var history []sdkPerfResult
	call(t, h, "GET", "/api/v1/perf-results/history/"+cfg["id"].(string), nil, http.StatusOK, &history)
	if len(history) != 2 || history[0].ID != second.ID {
		t.Fatalf("history, newest first: %+v", history)
	}
	var cmp struct {
		Results    []sdkPerfResult `json:"results"`
		Comparison map[string]any  `json:"comparison"`
		Diff       map[string]any  `json:"diff"`
	}
	call(t, h, "GET", "/api/v1/perf-results/compare?ids="+first.ID+","+second.ID, nil, http.StatusOK, &cmp)
	if len(cmp.Results) != 2 || cmp.Comparison["p95LatencyMs"] == nil || cmp.Diff["rps"] == nil {
		t.Fatalf("compare: %+v", cmp)
	}
	call(t, h, "GET", "/api/v1/perf-results/compare?id="+first.ID+"&id="+second.ID, nil, http.StatusOK, &cmp)

	// Stop a long run.
	call(t, h, "POST", "/api/v1/perf/run", map[string]any{"targetUrl": target, "duration": "5m", "concurrency": 1}, http.StatusCreated, &task)
	plugintest.Eventually(t, 30*time.Second, func() bool {
		var r sdkPerfResult
		call(t, h, "GET", "/api/v1/perf-results/"+task.ID, nil, http.StatusOK, &r)
		return r.TotalRequests > 0
	}, "the long run sends load")
	call(t, h, "POST", "/api/v1/perf/stop/"+task.ID, nil, http.StatusOK, &task)
	if task.Status != "stopped" {
		t.Fatalf("stopped: %+v", task)
	}
	call(t, h, "POST", "/api/v1/perf/stop/"+task.ID, nil, http.StatusConflict, nil)
	var bad map[string]any
	call(t, h, "POST", "/api/v1/perf/run", map[string]any{"script": "", "duration": "soon"}, http.StatusUnprocessableEntity, &bad)
	if bad["field"] != "duration" {
		t.Fatalf("bad duration: %v", bad)
	}
}
