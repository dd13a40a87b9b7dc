package fuzz

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/mockarty-oss/mockarty/host/internal/objects"
	"github.com/mockarty-oss/mockarty/host/internal/store"
	"github.com/mockarty-oss/mockarty/host/internal/tasks"
	"github.com/mockarty-oss/mockarty/sdk"
	"github.com/mockarty-oss/mockarty/sdk/fuzzjob"
)

// PluginName is the tool plugin that fuzzes; ModeFuzz the test-run mode
// of fuzz runs.
const (
	PluginName = "fuzzer"
	ModeFuzz   = "fuzz"
)

// Runs starts fuzz runs on the fuzzer plugin and records each as a task of
// mode fuzz; each finding is stored the moment the plugin reports it.
type Runs struct {
	// Canary receives the runs' out-of-band callbacks; APIURL is where
	// the targets reach it (nil or "": runs have no canary, no SSRF check).
	Canary *Canary
	APIURL func() string

	tasks.Runner
	svc *Service
}

// NewRuns returns the run service; runs end with base.
func NewRuns(base context.Context, svc *Service, exec tasks.Executor, net func() tasks.NetPolicy, log hclog.Logger) *Runs {
	return &Runs{Runner: tasks.NewRunner(base, exec, net, log), svc: svc}
}

// Live are a run's counters while it goes.
type Live struct {
	Planned   int64 `json:"planned"`
	Completed int64 `json:"completed"`
}

// summary is what a fuzz task's row keeps.
type summary struct {
	Config *Config        `json:"config"`
	Live   Live           `json:"live"`
	Result *engineSummary `json:"result,omitempty"`
	// Quarantined counts the findings the namespace's quarantine silenced.
	Quarantined int `json:"quarantined,omitempty"`
}

// engineSummary is what the host reads of the plugin's result.
type engineSummary struct {
	TotalRequests int64              `json:"totalRequests"`
	SuccessCount  int64              `json:"successCount"`
	ErrorCount    int64              `json:"errorCount"`
	Unverified    int64              `json:"unverified,omitempty"`
	StoppedBy     string             `json:"stoppedBy,omitempty"`
	Warnings      []string           `json:"warnings,omitempty"`
	Findings      []*fuzzjob.Finding `json:"findings,omitempty"`
}

// Start starts a run of c.
func (r *Runs) Start(ctx context.Context, c *Config, userID, by string) (*store.Task, <-chan struct{}, error) {
	if err := checkConfig(c); err != nil {
		return nil, nil, err
	}
	netp := r.Net()
	cfgJSON, err := json.Marshal(c)
	if err != nil {
		return nil, nil, err
	}
	job := fuzzjob.Job{Config: cfgJSON, AllowPrivate: netp.AllowPrivate, AllowHosts: netp.AllowHosts}
	var secret string
	if r.Canary != nil && r.APIURL != nil {
		if base := strings.TrimRight(r.APIURL(), "/"); base != "" {
			secret = r.Canary.open()
			job.CanaryURL = base + "/api/v1/fuzzing/canary/" + secret + "/"
			job.CanaryCheckURL = base + "/api/v1/fuzzing/canary-hits/" + secret + "/"
		}
	}
	params, err := json.Marshal(job)
	if err != nil {
		return nil, nil, err
	}
	name := c.Name
	if name == "" {
		name = "fuzz run"
	}
	sum := &summary{Config: c}
	t := &store.Task{ID: newID(), Namespace: c.Namespace, Mode: ModeFuzz, ReferenceID: c.ID, Name: name, Status: store.TaskRunning,
		UserID: userID, TriggeredBy: by, Params: "{}", StartedMs: time.Now().UnixMilli()}
	if b, err := json.Marshal(sum); err == nil {
		t.Summary = string(b)
	}
	if err := r.svc.st.PutTask(ctx, t); err != nil {
		return nil, nil, err
	}
	cp := *t
	done := r.Live.Go(t.ID, func(ctx context.Context) {
		r.execute(ctx, t, sum, params)
		if secret != "" {
			r.Canary.close(secret)
		}
	})
	return &cp, done, nil
}

func (r *Runs) execute(ctx context.Context, t *store.Task, sum *summary, params []byte) {
	var mu sync.Mutex
	rec := tasks.NewRecorder(r.svc.st, t, func() any {
		mu.Lock()
		defer mu.Unlock()
		return *sum
	})
	stop := rec.Every(ctx)
	byPrint := map[string]string{} // fingerprint -> finding id
	silenced := r.svc.silencer(ctx, t.Namespace)
	quiet := map[string]bool{} // fingerprints silenced
	res, err := r.Exec.Run(ctx, PluginName, sdk.Job{ID: t.ID, Kind: fuzzjob.KindRun, Params: params}, nil, func(p sdk.Progress) {
		mu.Lock()
		sum.Live = Live{Planned: p.Total, Completed: p.Done}
		mu.Unlock()
		if p.ItemKind != fuzzjob.ItemFinding {
			return
		}
		var f fuzzjob.Finding
		if json.Unmarshal(p.Item, &f) != nil {
			return
		}
		if silenced(&f) {
			mu.Lock()
			if !quiet[f.Fingerprint] {
				quiet[f.Fingerprint] = true
				sum.Quarantined++
			}
			mu.Unlock()
			return
		}
		id, err := r.svc.putFinding(context.WithoutCancel(ctx), t, &f, byPrint[f.Fingerprint])
		if err != nil {
			r.Log.Warn("storing a finding", "run", t.ID, "error", err)
			return
		}
		byPrint[f.Fingerprint] = id
	})
	stop()
	t.FinishedMs = time.Now().UnixMilli()
	var es engineSummary
	switch ended := r.Live.Ended(ctx); {
	case ended == store.TaskCancelled:
		t.Status, t.Message = store.TaskCancelled, "stopped"
	case ended != "":
		t.Status, t.Message = store.TaskFailed, tasks.Interrupted
	case err != nil:
		t.Status, t.Message = store.TaskFailed, tasks.RunError(PluginName, err)
	case json.Unmarshal(res, &es) != nil:
		t.Status, t.Message = store.TaskFailed, "unreadable result from the fuzzer plugin"
	default:
		t.Status, t.Message = store.TaskCompleted, "completed"
		if es.StoppedBy != "" {
			t.Message = "stopped early: " + es.StoppedBy
		}
		// The final counts: each finding as often as requests showed it.
		for _, f := range es.Findings {
			if silenced(f) {
				continue
			}
			if _, err := r.svc.putFinding(context.WithoutCancel(ctx), t, f, byPrint[f.Fingerprint]); err != nil {
				r.Log.Warn("storing a finding", "run", t.ID, "error", err)
			}
		}
		es.Findings = nil
		mu.Lock()
		sum.Result = &es
		mu.Unlock()
	}
	rec.Flush(ctx)
	if err := rec.Err(); err != nil {
		r.Log.Warn("recording a fuzz run", "run", t.ID, "error", err)
	}
}

// Replay sends a finding's request again through the fuzzer plugin and
// records whether it still reproduces (the finding's reproducible).
func (r *Runs) Replay(ctx context.Context, caller Caller, f *Finding) (json.RawMessage, error) {
	netp := r.Net()
	params, err := json.Marshal(fuzzjob.Replay{Finding: f.Finding, AllowPrivate: netp.AllowPrivate, AllowHosts: netp.AllowHosts})
	if err != nil {
		return nil, err
	}
	out, err := caller.Call(ctx, PluginName, fuzzjob.ActionReplay, params)
	if err != nil {
		return nil, err
	}
	var res struct {
		StillFails bool `json:"stillFails"`
	}
	if err := json.Unmarshal(out, &res); err != nil {
		return nil, fmt.Errorf("unreadable replay from the %s plugin: %w", PluginName, err)
	}
	b, _ := json.Marshal(map[string]any{"reproducible": res.StillFails})
	if _, err := findings.Update(ctx, r.svc, f.ID, b); err != nil {
		return nil, err
	}
	return out, nil
}

// Caller runs a plugin's action (the plugin manager).
type Caller interface {
	Call(ctx context.Context, name, action string, params json.RawMessage) (json.RawMessage, error)
}

// status is a task's status as the fuzzing SDKs name it.
func status(t *store.Task) string {
	if t.Status == store.TaskCancelled {
		return "stopped"
	}
	return t.Status
}

// Run is a run as POST /fuzzing/run answers it (model-tools §3.3).
func Run(t *store.Task) map[string]any {
	return map[string]any{"id": t.ID, "runId": t.ID, "resultId": t.ID, "configId": t.ReferenceID, "status": status(t),
		"namespace": t.Namespace, "startedAt": objects.ISO(t.StartedMs)}
}

// Result is a run as FuzzResult (model-tools §3.4), without findings.
func (s *Service) Result(ctx context.Context, t *store.Task) (map[string]any, error) {
	var sum summary
	_ = json.Unmarshal([]byte(t.Summary), &sum)
	findings, err := s.Findings(ctx, t.ID, "", nil)
	if err != nil {
		return nil, err
	}
	by := map[string]int{}
	for _, f := range findings {
		by[f.Severity]++
	}
	out := map[string]any{"id": t.ID, "runId": t.ID, "configId": t.ReferenceID, "configName": t.Name, "namespace": t.Namespace,
		"status": status(t), "message": t.Message, "totalFindings": len(findings), "criticalFindings": by["critical"],
		"highFindings": by["high"], "mediumFindings": by["medium"], "lowFindings": by["low"], "infoFindings": by["info"],
		"startedAt": objects.ISO(t.StartedMs), "totalRequests": sum.Live.Completed, "successCount": 0, "errorCount": 0,
		"networkErrorCount": 0, "durationMs": time.Now().UnixMilli() - t.StartedMs, "quarantinedFindings": sum.Quarantined,
		"plannedRequests": sum.Live.Planned}
	if sum.Config != nil {
		out["strategy"] = sum.Config.Strategy
	}
	if r := sum.Result; r != nil {
		out["totalRequests"], out["successCount"], out["errorCount"], out["networkErrorCount"] = r.TotalRequests, r.SuccessCount, r.ErrorCount, r.ErrorCount
		out["unverifiedFindings"] = r.Unverified
		if len(r.Warnings) > 0 {
			out["warnings"] = r.Warnings
		}
	}
	if t.FinishedMs > 0 {
		out["completedAt"] = objects.ISO(t.FinishedMs)
		out["durationMs"] = t.FinishedMs - t.StartedMs
	}
	return out, nil
}
