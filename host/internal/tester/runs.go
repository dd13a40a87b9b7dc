package tester

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/hashicorp/go-hclog"
	"github.com/mockarty-oss/mockarty/host/internal/plugins"
	"github.com/mockarty-oss/mockarty/host/internal/store"
	"github.com/mockarty-oss/mockarty/sdk"
	"github.com/mockarty-oss/mockarty/sdk/pluginhost"
	"github.com/mockarty-oss/mockarty/sdk/postman"
)

// PluginName is the tool plugin that runs collections.
const PluginName = "tester"

// ModeFunctional is the test-run mode of collection runs.
const ModeFunctional = "functional"

// Executor runs a job on a tool plugin (the plugin manager).
type Executor interface {
	Run(ctx context.Context, name string, job sdk.Job, host pluginhost.Finder, onProgress func(sdk.Progress)) (json.RawMessage, error)
}

// NetPolicy is where runs may send requests: private and loopback
// addresses only when AllowPrivate, except the server's own listeners
// (AllowHosts, host:port), which a run against this server's mocks needs.
type NetPolicy struct {
	AllowPrivate bool
	AllowHosts   []string
}

// Runs starts collection runs on the tester plugin and records each as a
// task whose steps are stored as they arrive.
type Runs struct {
	svc  *Service
	exec Executor
	log  hclog.Logger
	net  func() NetPolicy
	base context.Context

	mu   sync.Mutex
	live map[string]*liveRun
	wg   sync.WaitGroup
}

type liveRun struct {
	cancel context.CancelFunc
	done   chan struct{}
}

// NewRuns returns the run service. Runs outlive the request that started
// them and end with base; tasks a previous process left running are
// marked failed.
func NewRuns(base context.Context, svc *Service, exec Executor, net func() NetPolicy, log hclog.Logger) *Runs {
	if log == nil {
		log = hclog.NewNullLogger()
	}
	if n, err := svc.st.FailUnfinishedTasks(base, "interrupted: the server stopped during the run"); err != nil {
		log.Warn("marking interrupted runs", "error", err)
	} else if n > 0 {
		log.Info("runs interrupted by the last stop marked failed", "count", n)
	}
	return &Runs{svc: svc, exec: exec, log: log, net: net, base: base, live: map[string]*liveRun{}}
}

// Wait waits for every run to end (after base is cancelled).
func (r *Runs) Wait() { r.wg.Wait() }

// RunSpec is what to run.
type RunSpec struct {
	Namespace     string
	CollectionIDs []string
	// Folder limits each collection's run to these folders or requests.
	Folder        []string
	EnvironmentID string // "": the namespace's active environment, if any
	// Variables override environment variables; Globals are the run's globals.
	Variables     map[string]string
	Globals       map[string]string
	IterationData []map[string]any
	Iterations    int
	Bail          bool
	TimeoutMs     int
	UserID        string
	TriggeredBy   string // api, schedule, cli
	Name          string
	// Adhoc runs this collection instead of stored ones (a single request, a test).
	Adhoc *postman.Collection
	// ReferenceID is stored with the run (a test's or schedule's id).
	ReferenceID string
	// Mode is the run's mode (default functional; ModeRequest for a
	// request executed on its own, which the run lists leave out).
	Mode string
}

// ModeRequest marks the run of one request executed on its own.
const ModeRequest = "request"

// Counts are a run's live counters, stored in the task's summary.
type Counts struct {
	TotalTests             int      `json:"totalTests"`
	PassedTests            int      `json:"passedTests"`
	FailedTests            int      `json:"failedTests"`
	SkippedTests           int      `json:"skippedTests"`
	TotalRequests          int      `json:"totalRequests"`
	CompletedRequests      int      `json:"completedRequests"`
	FailedRequests         int      `json:"failedRequests"`
	ErroredRequests        int      `json:"erroredRequests"`
	Progress               int      `json:"progress"`
	DurationMs             int64    `json:"durationMs"`
	CollectionIDs          []string `json:"collectionIds"`
	CollectionNames        []string `json:"collectionNames"`
	CurrentCollectionIndex int      `json:"currentCollectionIndex"`
	CurrentCollectionName  string   `json:"currentCollectionName"`
	CurrentRequestName     string   `json:"currentRequestName"`
	Environment            string   `json:"environment"`
	// Final are the environment's variables as the scripts left them.
	Final map[string]any `json:"finalEnvironment,omitempty"`
}

// jobs are the collections of a run, built before it starts so that a
// missing collection is a 404, not a failed run.
type plannedJob struct {
	id   string
	name string
	job  postman.Job
}

// Start validates spec, records the run and starts it; done closes when
// it ends.
func (r *Runs) Start(ctx context.Context, spec RunSpec) (task *store.Task, done <-chan struct{}, err error) {
	env, err := r.environment(ctx, spec)
	if err != nil {
		return nil, nil, err
	}
	var plan []plannedJob
	if spec.Adhoc != nil {
		plan = append(plan, plannedJob{name: spec.Adhoc.Info.Name, job: postman.Job{Collection: spec.Adhoc}})
	}
	for i, id := range spec.CollectionIDs {
		c, err := r.svc.Collection(ctx, id, true)
		if err != nil {
			return nil, nil, fmt.Errorf("collectionIds[%d]: %w", i, err)
		}
		if c.Namespace != spec.Namespace && spec.Namespace != "" {
			return nil, nil, fmt.Errorf("%w: collection %q", store.ErrNotFound, id)
		}
		job := postman.Job{Collection: ToPostman(c, c.Folders, c.Requests)}
		if c.Settings != nil {
			job.Bail = c.Settings.StopOnFailure
			job.TimeoutRequestMs = c.Settings.Timeout
			job.Iterations = c.Settings.Iterations
			job.DelayRequestMs = c.Settings.DelayMs
		}
		plan = append(plan, plannedJob{id: c.ID, name: c.Name, job: job})
	}
	if len(plan) == 0 {
		return nil, nil, fieldErr("collectionIds", "name at least one collection")
	}
	counts := Counts{CollectionIDs: []string{}, CollectionNames: []string{}}
	for _, p := range plan {
		if p.id != "" {
			counts.CollectionIDs = append(counts.CollectionIDs, p.id)
		}
		counts.CollectionNames = append(counts.CollectionNames, p.name)
	}
	if env != nil {
		counts.Environment = env.Name
	}
	name := spec.Name
	if name == "" {
		name = plan[0].name
		if len(plan) > 1 {
			name = fmt.Sprintf("%s and %d more", name, len(plan)-1)
		}
	}
	params, _ := json.Marshal(map[string]any{"collectionIds": spec.CollectionIDs, "environmentId": spec.EnvironmentID,
		"folder": spec.Folder, "iterations": spec.Iterations, "bail": spec.Bail})
	mode := spec.Mode
	if mode == "" {
		mode = ModeFunctional
	}
	t := &store.Task{ID: uuid.NewString(), Namespace: spec.Namespace, Mode: mode, ReferenceID: spec.ReferenceID, Name: name,
		Status: store.TaskRunning, UserID: spec.UserID, TriggeredBy: spec.TriggeredBy, Params: string(params), StartedMs: time.Now().UnixMilli()}
	t.Summary = mustJSON(counts)
	if err := r.svc.st.PutTask(ctx, t); err != nil {
		return nil, nil, err
	}
	runCtx, cancel := context.WithCancel(r.base)
	lr := &liveRun{cancel: cancel, done: make(chan struct{})}
	r.mu.Lock()
	r.live[t.ID] = lr
	r.mu.Unlock()
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		defer close(lr.done)
		defer cancel()
		r.execute(runCtx, t, spec, env, plan, counts)
		r.mu.Lock()
		delete(r.live, t.ID)
		r.mu.Unlock()
	}()
	cp := *t
	return &cp, lr.done, nil
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return "{}"
	}
	return string(b)
}

// environment is the run's environment: the one named, else the active one.
func (r *Runs) environment(ctx context.Context, spec RunSpec) (*Environment, error) {
	var env *Environment
	if spec.EnvironmentID != "" {
		e, err := r.svc.Environment(ctx, spec.EnvironmentID)
		if err != nil {
			return nil, fmt.Errorf("environmentId: %w", err)
		}
		env = e
	} else if e, err := r.svc.ActiveEnvironment(ctx, spec.Namespace); err == nil {
		env = e
	} else if !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	if len(spec.Variables) > 0 {
		if env == nil {
			env = &Environment{Name: "run variables", Variables: map[string]string{}}
		} else {
			cp := *env
			cp.Variables = map[string]string{}
			for k, v := range env.Variables {
				cp.Variables[k] = v
			}
			env = &cp
		}
		for k, v := range spec.Variables {
			env.Variables[k] = v
		}
	}
	return env, nil
}

func postmanEnv(name string, vars map[string]string) *postman.Environment {
	e := &postman.Environment{Name: name}
	for k, v := range vars {
		e.Values = append(e.Values, postman.EnvValue{Key: k, Value: v, Enabled: true})
	}
	return e
}

func postmanEnvAny(name string, vars map[string]any) *postman.Environment {
	e := &postman.Environment{Name: name}
	for k, v := range vars {
		e.Values = append(e.Values, postman.EnvValue{Key: k, Value: v, Enabled: true})
	}
	return e
}

// recorder stores a run's steps in batches and keeps its counters.
type recorder struct {
	st      *store.Store
	task    *store.Task
	mu      sync.Mutex
	counts  Counts
	pending []store.TaskItem
	seq     int64
	total   int
	lastErr error
}

const flushEvery = 200 * time.Millisecond

func (rc *recorder) add(p sdk.Progress, collection int) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if p.Total > 0 {
		rc.total = int(p.Total)
	}
	if p.ItemKind != postman.ItemStep || len(p.Item) == 0 {
		return
	}
	var s postman.Step
	if json.Unmarshal(p.Item, &s) != nil {
		return
	}
	rc.seq++
	rc.pending = append(rc.pending, store.TaskItem{TaskID: rc.task.ID, Seq: rc.seq, Kind: postman.ItemStep, Document: string(p.Item)})
	c := &rc.counts
	c.CompletedRequests++
	c.CurrentRequestName = s.Name
	c.CurrentCollectionIndex = collection
	for _, t := range s.Tests {
		c.TotalTests++
		switch {
		case t.Skipped:
			c.SkippedTests++
		case t.Passed:
			c.PassedTests++
		default:
			c.FailedTests++
		}
	}
	switch s.Status {
	case postman.StepFailed:
		c.FailedRequests++
	case postman.StepError:
		c.ErroredRequests++
	}
}

// flush writes the pending steps and the counters.
func (rc *recorder) flush(ctx context.Context, totalBefore int) {
	rc.mu.Lock()
	items := rc.pending
	rc.pending = nil
	c := rc.counts
	if rc.total > 0 {
		c.TotalRequests = totalBefore + rc.total
	}
	if c.TotalRequests < c.CompletedRequests {
		c.TotalRequests = c.CompletedRequests
	}
	if c.TotalRequests > 0 {
		c.Progress = c.CompletedRequests * 100 / c.TotalRequests
	}
	rc.counts.TotalRequests, rc.counts.Progress = c.TotalRequests, c.Progress
	rc.mu.Unlock()
	if err := rc.st.AddTaskItems(ctx, items); err != nil {
		rc.lastErr = err
	}
	rc.task.Summary = mustJSON(c)
	if err := rc.st.PutTask(ctx, rc.task); err != nil {
		rc.lastErr = err
	}
}

func (r *Runs) execute(ctx context.Context, t *store.Task, spec RunSpec, env *Environment, plan []plannedJob, counts Counts) {
	rc := &recorder{st: r.svc.st, task: t, counts: counts}
	// The database writes of a run use a context that outlives a cancel,
	// so a cancelled run still records what it did.
	dbctx := context.WithoutCancel(ctx)
	started := time.Now()
	netp := r.net()
	envVars := map[string]any{}
	if env != nil {
		for k, v := range env.Variables {
			envVars[k] = v
		}
	}
	globals := map[string]any{}
	for k, v := range spec.Globals {
		globals[k] = v
	}
	var runErr error
	failed := false
	totalBefore := 0
	for i, p := range plan {
		rc.mu.Lock()
		rc.counts.CurrentCollectionIndex, rc.counts.CurrentCollectionName = i, p.name
		rc.total = 0
		rc.mu.Unlock()
		job := p.job
		job.Environment = postmanEnvAny(counts.Environment, envVars)
		job.Globals = postmanEnvAny("globals", globals)
		job.IterationData, job.Folder = spec.IterationData, spec.Folder
		if spec.Iterations > 0 {
			job.Iterations = spec.Iterations
		}
		if spec.Bail {
			job.Bail = true
		}
		if spec.TimeoutMs > 0 {
			job.TimeoutRequestMs = spec.TimeoutMs
		}
		job.AllowPrivate, job.AllowHosts = netp.AllowPrivate, netp.AllowHosts
		params, err := json.Marshal(&job)
		if err != nil {
			runErr = err
			break
		}
		ticker := time.NewTicker(flushEvery)
		stop := make(chan struct{})
		flushed := make(chan struct{})
		go func() {
			defer close(flushed)
			for {
				select {
				case <-ticker.C:
					rc.flush(dbctx, totalBefore)
				case <-stop:
					return
				}
			}
		}()
		res, err := r.exec.Run(ctx, PluginName, sdk.Job{ID: t.ID, Kind: postman.JobRun, Params: params}, nil,
			func(pr sdk.Progress) { rc.add(pr, i) })
		ticker.Stop()
		close(stop)
		<-flushed
		rc.mu.Lock()
		totalBefore += rc.total
		rc.mu.Unlock()
		if err != nil {
			runErr = err
			break
		}
		var sum postman.Summary
		if json.Unmarshal(res, &sum) == nil {
			if sum.Environment != nil {
				envVars = sum.Environment
			}
			if sum.Globals != nil {
				globals = sum.Globals
			}
			if sum.FailedTests > 0 || sum.FailedRequests > 0 || sum.ScriptErrors > 0 {
				failed = true
				if sum.Bailed {
					break
				}
			}
		}
	}
	rc.mu.Lock()
	rc.counts.DurationMs = time.Since(started).Milliseconds()
	rc.counts.Final = envVars
	if rc.counts.FailedTests > 0 || rc.counts.FailedRequests > 0 || rc.counts.ErroredRequests > 0 {
		failed = true
	}
	rc.mu.Unlock()
	t.FinishedMs = time.Now().UnixMilli()
	switch {
	case ctx.Err() != nil && r.base.Err() == nil:
		t.Status, t.Message = store.TaskCancelled, "cancelled"
	case ctx.Err() != nil:
		t.Status, t.Message = store.TaskFailed, "interrupted: the server stopped during the run"
	case runErr != nil:
		t.Status, t.Message = store.TaskFailed, runError(runErr)
	case failed:
		t.Status, t.Message = store.TaskFailed, "some tests failed"
	default:
		t.Status, t.Message = store.TaskCompleted, "all tests passed"
	}
	rc.flush(dbctx, totalBefore-rc.total)
	if rc.lastErr != nil {
		r.log.Warn("recording a run", "run", t.ID, "error", rc.lastErr)
	}
}

// runError says why a run could not go on, in terms a user can act on.
func runError(err error) string {
	msg := err.Error()
	switch {
	case errors.Is(err, sdk.ErrJobFailed):
		return "the run failed: " + msg
	case errors.Is(err, plugins.ErrUnknown), errors.Is(err, plugins.ErrNotRunning):
		return fmt.Sprintf("the %s plugin is not running (see GET /api/v1/plugins, PLUGINS and PLUGINS_DIR): %s", PluginName, msg)
	}
	return fmt.Sprintf("the %s plugin could not run the collection: %s", PluginName, msg)
}

// Cancel stops a live run; it reports whether the run was live.
func (r *Runs) Cancel(id string) bool {
	r.mu.Lock()
	lr := r.live[id]
	r.mu.Unlock()
	if lr == nil {
		return false
	}
	lr.cancel()
	<-lr.done
	return true
}

// Live lists the ids of running runs.
func (r *Runs) Live() map[string]bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[string]bool, len(r.live))
	for id := range r.live {
		out[id] = true
	}
	return out
}

// Script runs one script on its own in the tester plugin (nothing is stored).
func (r *Runs) Script(ctx context.Context, j *postman.ScriptJob) (*postman.ScriptResult, error) {
	netp := r.net()
	j.AllowPrivate, j.AllowHosts = netp.AllowPrivate, netp.AllowHosts
	params, err := json.Marshal(j)
	if err != nil {
		return nil, err
	}
	res, err := r.exec.Run(ctx, PluginName, sdk.Job{ID: uuid.NewString(), Kind: postman.JobScript, Params: params}, nil, nil)
	if err != nil {
		if errors.Is(err, sdk.ErrJobFailed) {
			return nil, fieldErr("script", "%v", err)
		}
		return nil, err // a missing plugin is the API's "not loaded"
	}
	var out postman.ScriptResult
	if err := json.Unmarshal(res, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
