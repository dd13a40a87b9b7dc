package perf

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/hashicorp/go-hclog"
	"github.com/mockarty-oss/mockarty/host/internal/model"
	"github.com/mockarty-oss/mockarty/host/internal/store"
	"github.com/mockarty-oss/mockarty/host/internal/tasks"
	"github.com/mockarty-oss/mockarty/sdk"
	"github.com/mockarty-oss/mockarty/sdk/loadjob"
	"github.com/mockarty-oss/mockarty/sdk/postman"
)

// PluginName is the tool plugin that generates load.
const PluginName = "perf"

// ModeLoad is the test-run mode of load runs.
const ModeLoad = "load"

// ParamRunGroup is the task param that holds a run's group.
const ParamRunGroup = "runGroupId"

func newID() string { return uuid.NewString() }

// Runs starts load runs on the perf plugin and records each as a task of
// mode load, its per-second samples stored as they arrive.
type Runs struct {
	// Collections builds the job of an API-tester collection with its
	// environment (nil: runs from collections are not available).
	Collections func(ctx context.Context, namespace, collectionID, environmentID string) (*postman.Job, error)

	tasks.Runner
	svc *Service
}

// NewRuns returns the run service; runs end with base.
func NewRuns(base context.Context, svc *Service, exec tasks.Executor, net func() tasks.NetPolicy, log hclog.Logger) *Runs {
	return &Runs{Runner: tasks.NewRunner(base, exec, net, log), svc: svc}
}

// Live is a run's summary while it goes: the last sample.
type Live struct {
	ElapsedMs      int64 `json:"elapsedMs"`
	VUs            int64 `json:"vus"`
	Iterations     int64 `json:"iterations"`
	Requests       int64 `json:"requests"`
	FailedRequests int64 `json:"failedRequests"`
}

// summary is what a load task's row keeps: the live counters, the run's
// config and, at the end, the engine's result without its series (the
// samples hold that).
type summary struct {
	Live     Live            `json:"live"`
	Config   *Config         `json:"config"`
	Duration string          `json:"duration"`
	VUs      int             `json:"vus"`
	Result   json.RawMessage `json:"result,omitempty"`
}

// Start starts a run of c (a saved config overlaid with the request).
func (r *Runs) Start(ctx context.Context, c *Config, userID, by string) (*store.Task, <-chan struct{}, error) {
	if err := checkConfig(c); err != nil {
		return nil, nil, err
	}
	j, err := job(c)
	if err != nil {
		return nil, nil, err
	}
	if j.Script == "" && c.CollectionID != "" {
		if r.Collections == nil {
			return nil, nil, &model.FieldError{Field: "collectionId", Message: "running a collection as load is not available on this server"}
		}
		if j.Collection, err = r.Collections(ctx, c.Namespace, c.CollectionID, c.EnvironmentID); err != nil {
			return nil, nil, err
		}
	}
	netp := r.Net()
	j.AllowPrivate, j.AllowHosts = netp.AllowPrivate, netp.AllowHosts
	params, err := json.Marshal(j)
	if err != nil {
		return nil, nil, err
	}
	name := c.Name
	if name == "" {
		name = "load test"
	}
	sum := &summary{Config: c, Duration: j.Duration, VUs: j.VUs}
	taskParams := "{}"
	if c.RunGroupID != "" {
		b, _ := json.Marshal(map[string]string{ParamRunGroup: c.RunGroupID})
		taskParams = string(b)
	}
	t := &store.Task{ID: newID(), Namespace: c.Namespace, Mode: ModeLoad, ReferenceID: c.ID, Name: name, Status: store.TaskRunning,
		UserID: userID, TriggeredBy: by, Params: taskParams, StartedMs: time.Now().UnixMilli()}
	if b, err := json.Marshal(sum); err == nil {
		t.Summary = string(b)
	}
	if err := r.svc.st.PutTask(ctx, t); err != nil {
		return nil, nil, err
	}
	cp := *t
	done := r.Live.Go(t.ID, func(ctx context.Context) { r.execute(ctx, t, sum, params) })
	return &cp, done, nil
}

// engineResult is what the host reads of the plugin's result.
type engineResult struct {
	Status      string `json:"status"`
	AbortReason string `json:"abortReason"`
	Thresholds  []struct {
		Metric    string `json:"metric"`
		Threshold string `json:"threshold"`
		OK        bool   `json:"ok"`
	} `json:"thresholds"`
}

func (r *Runs) execute(ctx context.Context, t *store.Task, sum *summary, params []byte) {
	var mu sync.Mutex
	rec := tasks.NewRecorder(r.svc.st, t, func() any {
		mu.Lock()
		defer mu.Unlock()
		return *sum
	})
	stop := rec.Every(ctx)
	res, err := r.Exec.Run(ctx, PluginName, sdk.Job{ID: t.ID, Kind: loadjob.KindRun, Params: params}, nil, func(p sdk.Progress) {
		if p.ItemKind != loadjob.ItemSample {
			return
		}
		var l Live
		if json.Unmarshal(p.Item, &l) != nil {
			return
		}
		rec.Add(loadjob.ItemSample, p.Item)
		mu.Lock()
		sum.Live = l
		mu.Unlock()
	})
	stop()
	t.FinishedMs = time.Now().UnixMilli()
	switch ended := r.Live.Ended(ctx); {
	case ended == store.TaskCancelled:
		t.Status, t.Message = store.TaskCancelled, "stopped"
	case ended != "":
		t.Status, t.Message = store.TaskFailed, tasks.Interrupted
	case err != nil:
		t.Status, t.Message = store.TaskFailed, tasks.RunError(PluginName, err)
	default:
		t.Status, t.Message = outcome(res)
		mu.Lock()
		sum.Result = withoutSeries(res)
		mu.Unlock()
	}
	rec.Flush(ctx)
	if err := rec.Err(); err != nil {
		r.Log.Warn("recording a load run", "run", t.ID, "error", err)
	}
}

// outcome is a finished run's status and message: thresholds that fail
// fail the run, as in k6.
func outcome(res json.RawMessage) (string, string) {
	var er engineResult
	if err := json.Unmarshal(res, &er); err != nil {
		return store.TaskFailed, "unreadable result from the perf plugin"
	}
	var failed []string
	for _, th := range er.Thresholds {
		if !th.OK {
			failed = append(failed, th.Metric+" "+th.Threshold)
		}
	}
	switch {
	case er.Status == "aborted":
		msg := "aborted"
		if er.AbortReason != "" {
			msg += ": " + er.AbortReason
		}
		return store.TaskFailed, msg
	case len(failed) > 0:
		return store.TaskFailed, fmt.Sprintf("thresholds failed: %v", failed)
	case er.Status == "failed":
		return store.TaskFailed, "the script failed the test"
	}
	return store.TaskCompleted, "passed"
}

// withoutSeries drops the per-second series from a result (the samples
// hold it), so a task row stays small however long the run.
func withoutSeries(res json.RawMessage) json.RawMessage {
	var m map[string]json.RawMessage
	if json.Unmarshal(res, &m) != nil {
		return res
	}
	delete(m, "series")
	b, err := json.Marshal(m)
	if err != nil {
		return res
	}
	return b
}
