package perf

import (
	"context"
	"encoding/json"
	"math"

	"github.com/mockarty-oss/mockarty/host/internal/objects"
	"github.com/mockarty-oss/mockarty/host/internal/store"
	"github.com/mockarty-oss/mockarty/sdk/loadjob"
)

// maxSeries bounds the samples a result carries (a day at one a second).
const maxSeries = 86_400

// status is a task's status as the perf SDKs name it.
func status(t *store.Task) string {
	if t.Status == store.TaskCancelled {
		return "stopped"
	}
	return t.Status
}

func summaryOf(t *store.Task) summary {
	var s summary
	_ = json.Unmarshal([]byte(t.Summary), &s)
	return s
}

// Task is a run as the SDKs' PerfTask reads it (model-tools §2.3).
func Task(t *store.Task) map[string]any {
	return map[string]any{"id": t.ID, "taskId": t.ID, "name": t.Name, "status": status(t), "configId": t.ReferenceID,
		"namespace": t.Namespace, "message": t.Message, "startedAt": objects.ISO(t.StartedMs), "createdAt": objects.ISO(t.CreatedMs)}
}

// metricValues are a result's metrics: {name: {aggregate: value}}.
type metricValues map[string]map[string]float64

// metricsView is a result's metrics as emitted: the k6 metrics by name,
// and "apdex": {score, perRoute, thresholdMs, samples} beside them
// (model-tools §2.4).
type metricsView struct {
	values metricValues
	apdex  json.RawMessage
}

// MarshalJSON writes the metrics and apdex as one object.
func (m metricsView) MarshalJSON() ([]byte, error) {
	out := make(map[string]any, len(m.values)+1)
	for k, v := range m.values {
		out[k] = v
	}
	if len(m.apdex) > 0 && string(m.apdex) != "null" {
		out["apdex"] = m.apdex
	}
	return json.Marshal(out)
}

func (m metricValues) get(metric, agg string) float64 {
	if v, ok := m[metric][agg]; ok && !math.IsNaN(v) {
		return v
	}
	return 0
}

// Result is a run as the SDKs' PerfResult reads it (model-tools §2.3,
// §2.4): the union of the Go, Python and Java names, metrics keyed by k6
// name, thresholds by metric. With series, the per-second samples too.
func (s *Service) Result(ctx context.Context, t *store.Task, series bool) (map[string]any, error) {
	sum := summaryOf(t)
	var res struct {
		Metrics map[string]struct {
			Values map[string]float64 `json:"values"`
		} `json:"metrics"`
		Thresholds []struct {
			Metric    string  `json:"metric"`
			Threshold string  `json:"threshold"`
			OK        bool    `json:"ok"`
			Actual    float64 `json:"actual"`
		} `json:"thresholds"`
		Errors  []map[string]any  `json:"errors"`
		Outputs map[string]string `json:"outputs"`
		Apdex   json.RawMessage   `json:"apdex"`
	}
	_ = json.Unmarshal(sum.Result, &res)
	metrics := metricValues{}
	for k, v := range res.Metrics {
		metrics[k] = v.Values
	}
	thresholds := map[string][]map[string]any{}
	for _, th := range res.Thresholds {
		thresholds[th.Metric] = append(thresholds[th.Metric], map[string]any{"threshold": th.Threshold, "ok": th.OK, "actual": th.Actual})
	}
	total := int64(metrics.get("http_reqs", "count"))
	failed := int64(metrics.get("http_req_failed", "passes")) // a passing http_req_failed sample is a failed request
	if sum.Result == nil {
		total, failed = sum.Live.Requests, sum.Live.FailedRequests
	}
	errorRate := 0.0
	if total > 0 {
		errorRate = float64(failed) * 100 / float64(total)
	}
	d := t.FinishedMs - t.StartedMs
	if t.FinishedMs == 0 {
		d = sum.Live.ElapsedMs
	}
	errs := res.Errors
	if errs == nil {
		errs = []map[string]any{}
	}
	tags := []string{}
	configID := t.ReferenceID
	if sum.Config != nil && sum.Config.Tags != nil {
		tags = sum.Config.Tags
	}
	out := map[string]any{
		"id": t.ID, "taskId": t.ID, "configId": configID, "name": t.Name, "status": status(t), "message": t.Message,
		"namespace": t.Namespace, "duration": d, "durationMs": d, "vus": sum.VUs,
		"iterations": int64(metrics.get("iterations", "count")), "totalRequests": total, "successCount": total - failed,
		"errorCount": failed, "errorRate": errorRate, "rps": metrics.get("http_reqs", "rate"),
		"avgLatencyMs": metrics.get("http_req_duration", "avg"), "p95LatencyMs": metrics.get("http_req_duration", "p(95)"),
		"p99LatencyMs": metrics.get("http_req_duration", "p(99)"), "metrics": metricsView{values: metrics, apdex: res.Apdex},
		"thresholds": thresholds,
		"tags":       tags, "errors": errs, "startedAt": objects.ISO(t.StartedMs), "createdAt": objects.ISO(t.CreatedMs),
		"completedAt": objects.ISO(t.FinishedMs), "finishedAt": objects.ISO(t.FinishedMs),
		"metadata": map[string]any{"live": sum.Live, "outputs": res.Outputs}, "runGroupId": runGroup(t),
	}
	if series {
		points := []json.RawMessage{}
		items, err := s.st.TaskItems(ctx, t.ID, 0, maxSeries)
		if err != nil {
			return nil, err
		}
		for _, it := range items {
			if it.Kind != loadjob.ItemSample {
				continue
			}
			var p struct {
				Point json.RawMessage `json:"point"`
			}
			if json.Unmarshal([]byte(it.Document), &p) == nil && len(p.Point) > 0 {
				points = append(points, p.Point)
			}
		}
		out["series"] = points
	}
	return out, nil
}

// compared are the figures compare sets side by side.
var compared = []struct{ name, metric, agg string }{
	{"avgLatencyMs", "http_req_duration", "avg"}, {"p95LatencyMs", "http_req_duration", "p(95)"},
	{"p99LatencyMs", "http_req_duration", "p(99)"}, {"rps", "http_reqs", "rate"}, {"errorRate", "http_req_failed", "rate"},
}

// runGroup is a run's group ("" for none).
func runGroup(t *store.Task) string {
	var p map[string]any
	_ = json.Unmarshal([]byte(t.Params), &p)
	g, _ := p[ParamRunGroup].(string)
	return g
}

// Group is a run group's runs with their totals: requests and errors
// summed, requests a second summed (runs of a group run side by side),
// the average latency weighted by requests, the worst p95 and p99, and a
// status that is running while any run is, failed when any failed or
// stopped, else completed.
func Group(id string, results []map[string]any) map[string]any {
	var total, failed int64
	var rps, weighted, p95, p99 float64
	status := "completed"
	for _, r := range results {
		n, _ := r["totalRequests"].(int64)
		e, _ := r["errorCount"].(int64)
		total, failed = total+n, failed+e
		if v, ok := r["rps"].(float64); ok {
			rps += v
		}
		if v, ok := r["avgLatencyMs"].(float64); ok {
			weighted += v * float64(n)
		}
		if v, ok := r["p95LatencyMs"].(float64); ok {
			p95 = math.Max(p95, v)
		}
		if v, ok := r["p99LatencyMs"].(float64); ok {
			p99 = math.Max(p99, v)
		}
		switch st, _ := r["status"].(string); {
		case st == "running":
			status = "running"
		case (st == "failed" || st == "stopped") && status != "running":
			status = "failed"
		}
	}
	if len(results) == 0 {
		status = ""
	}
	summary := map[string]any{"runs": len(results), "status": status, "totalRequests": total, "errorCount": failed,
		"errorRate": 0.0, "rps": rps, "avgLatencyMs": 0.0, "maxP95LatencyMs": p95, "maxP99LatencyMs": p99}
	if total > 0 {
		summary["errorRate"] = float64(failed) * 100 / float64(total)
		summary["avgLatencyMs"] = weighted / float64(total)
	}
	return map[string]any{"runGroupId": id, "results": results, "summary": summary}
}

// Compare sets results side by side: each figure per run, and its change
// from the first run (absolute and in percent).
func Compare(results []map[string]any) map[string]any {
	out := map[string]any{}
	for _, f := range compared {
		values := []float64{}
		for _, r := range results {
			m, _ := r["metrics"].(metricsView)
			v := m.values.get(f.metric, f.agg)
			if f.name == "errorRate" {
				v *= 100
			}
			values = append(values, v)
		}
		deltas := []map[string]float64{}
		for _, v := range values {
			d := map[string]float64{"delta": v - values[0]}
			if values[0] != 0 {
				d["percent"] = (v - values[0]) * 100 / values[0]
			}
			deltas = append(deltas, d)
		}
		out[f.name] = map[string]any{"values": values, "changes": deltas}
	}
	return out
}
