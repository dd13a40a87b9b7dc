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
	"github.com/mockarty-oss/mockarty/host/internal/tasks"
	"github.com/mockarty-oss/mockarty/sdk"
	"github.com/mockarty-oss/mockarty/sdk/postman"
)

// PluginName is the tool plugin that runs collections.
const PluginName = "tester"

// ModeFunctional is the test-run mode of collection runs.
const ModeFunctional = "functional"

// Executor runs a job on a tool plugin (the plugin manager).
type Executor = tasks.Executor

// NetPolicy is where runs may send requests (tasks.NetPolicy).
type NetPolicy = tasks.NetPolicy

// Runs starts collection runs on the tester plugin and records each as a
// task whose steps are stored as they arrive.
type Runs struct {
	svc  *Service
	exec Executor
	log  hclog.Logger
	net  func() NetPolicy
	live *tasks.Live
}

// NewRuns returns the run service. Runs outlive the request that started
// them and end with base; tasks a previous process left running are
// marked failed.
func NewRuns(base context.Context, svc *Service, exec Executor, net func() NetPolicy, log hclog.Logger) *Runs {
	if log == nil {
		log = hclog.NewNullLogger()
	}
	if n, err := svc.st.FailUnfinishedTasks(base, tasks.Interrupted); err != nil {
		log.Warn("marking interrupted runs", "error", err)
	} else if n > 0 {
		log.Info("runs interrupted by the last stop marked failed", "count", n)
	}
	return &Runs{svc: svc, exec: exec, log: log, net: net, live: tasks.NewLive(base)}
}

// Wait waits for every run to end (after base is cancelled).
func (r *Runs) Wait() { r.live.Wait() }

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
		c, job, err := r.collectionJob(ctx, spec.Namespace, id)
		if err != nil {
			return nil, nil, fmt.Errorf("collectionIds[%d]: %w", i, err)
		}
		plan = append(plan, plannedJob{id: c.ID, name: c.Name, job: *job})
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
	cp := *t
	done = r.live.Go(t.ID, func(ctx context.Context) { r.execute(ctx, t, spec, env, plan, counts) })
	return &cp, done, nil
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return "{}"
	}
	return string(b)
}

// collectionJob is a collection's job with its settings; the collection
// must be in namespace ("" allows any).
func (r *Runs) collectionJob(ctx context.Context, namespace, id string) (*Collection, *postman.Job, error) {
	c, err := r.svc.Collection(ctx, id, true)
	if err != nil {
		return nil, nil, err
	}
	if namespace != "" && c.Namespace != namespace {
		return nil, nil, fmt.Errorf("%w: collection %q", store.ErrNotFound, id)
	}
	job := &postman.Job{Collection: ToPostman(c, c.Folders, c.Requests)}
	if c.Settings != nil {
		job.Bail = c.Settings.StopOnFailure
		job.TimeoutRequestMs = c.Settings.Timeout
		job.Iterations = c.Settings.Iterations
		job.DelayRequestMs = c.Settings.DelayMs
	}
	return c, job, nil
}

// LoadJob is one collection's job as a run sends it, with its environment
// (the one named, else the namespace's active one), for a load test whose
// virtual users run the collection pass after pass. The collection must be
// in namespace.
func (r *Runs) LoadJob(ctx context.Context, namespace, collectionID, environmentID string) (*postman.Job, error) {
	env, err := r.environment(ctx, RunSpec{Namespace: namespace, EnvironmentID: environmentID})
	if err != nil {
		return nil, err
	}
	if namespace == "" {
		return nil, fmt.Errorf("collectionId: %w: collection %q", store.ErrNotFound, collectionID)
	}
	_, job, err := r.collectionJob(ctx, namespace, collectionID)
	if err != nil {
		return nil, fmt.Errorf("collectionId: %w", err)
	}
	job.Bail, job.Iterations = false, 0 // a load test's passes go on after failures, as long as it runs
	if env != nil {
		job.Environment = postmanEnv(env.Name, env.Variables)
	}
	netp := r.net()
	job.AllowPrivate, job.AllowHosts = netp.AllowPrivate, netp.AllowHosts
	return job, nil
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

// counter keeps a run's counters from the steps the plugin streams.
type counter struct {
	mu     sync.Mutex
	counts Counts
	// total is the current collection's request count; before is that of
	// the collections run before it.
	total, before int
}

// add counts one step.
func (k *counter) add(s *postman.Step, collection int) {
	k.mu.Lock()
	defer k.mu.Unlock()
	c := &k.counts
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

// snapshot is the counters with the total and progress worked out.
func (k *counter) snapshot() any {
	k.mu.Lock()
	defer k.mu.Unlock()
	c := &k.counts
	if k.total > 0 {
		c.TotalRequests = k.before + k.total
	}
	if c.TotalRequests < c.CompletedRequests {
		c.TotalRequests = c.CompletedRequests
	}
	if c.TotalRequests > 0 {
		c.Progress = c.CompletedRequests * 100 / c.TotalRequests
	}
	return *c
}

func (r *Runs) execute(ctx context.Context, t *store.Task, spec RunSpec, env *Environment, plan []plannedJob, counts Counts) {
	k := &counter{counts: counts}
	rec := tasks.NewRecorder(r.svc.st, t, k.snapshot)
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
	for i, p := range plan {
		k.mu.Lock()
		k.counts.CurrentCollectionIndex, k.counts.CurrentCollectionName = i, p.name
		k.before += k.total
		k.total = 0
		k.mu.Unlock()
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
		stop := rec.Every(ctx)
		res, err := r.exec.Run(ctx, PluginName, sdk.Job{ID: t.ID, Kind: postman.JobRun, Params: params}, nil,
			func(pr sdk.Progress) {
				if pr.Total > 0 {
					k.mu.Lock()
					k.total = int(pr.Total)
					k.mu.Unlock()
				}
				var st postman.Step
				if pr.ItemKind != postman.ItemStep || json.Unmarshal(pr.Item, &st) != nil {
					return
				}
				rec.Add(postman.ItemStep, pr.Item)
				k.add(&st, i)
			})
		stop()
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
	k.mu.Lock()
	k.counts.DurationMs = time.Since(started).Milliseconds()
	k.counts.Final = envVars
	if k.counts.FailedTests > 0 || k.counts.FailedRequests > 0 || k.counts.ErroredRequests > 0 {
		failed = true
	}
	k.mu.Unlock()
	t.FinishedMs = time.Now().UnixMilli()
	switch ended := r.live.Ended(ctx); {
	case ended == store.TaskCancelled:
		t.Status, t.Message = store.TaskCancelled, "cancelled"
	case ended != "":
		t.Status, t.Message = store.TaskFailed, tasks.Interrupted
	case runErr != nil:
		t.Status, t.Message = store.TaskFailed, runError(runErr)
	case failed:
		t.Status, t.Message = store.TaskFailed, "some tests failed"
	default:
		t.Status, t.Message = store.TaskCompleted, "all tests passed"
	}
	rec.Flush(ctx)
	if err := rec.Err(); err != nil {
		r.log.Warn("recording a run", "run", t.ID, "error", err)
	}
}

// runError says why a run could not go on, in terms a user can act on.
func runError(err error) string {
	msg := err.Error()
	switch {
	case errors.Is(err, sdk.ErrJobFailed):
		return "the run failed: " + tasks.JobError(err)
	case errors.Is(err, plugins.ErrUnknown), errors.Is(err, plugins.ErrNotRunning):
		return fmt.Sprintf("the %s plugin is not running (see GET /api/v1/plugins, PLUGINS and PLUGINS_DIR): %s", PluginName, msg)
	}
	return fmt.Sprintf("the %s plugin could not run the collection: %s", PluginName, msg)
}

// Cancel stops a live run; it reports whether the run was live.
func (r *Runs) Cancel(id string) bool { return r.live.Cancel(id) }

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
