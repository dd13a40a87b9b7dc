// Package tasks runs tool tasks (a collection run, a load test) in the
// host: Live starts them outside the request that asked, cancels them and
// waits for them; Recorder stores the products a plugin streams as they
// arrive, in batches, with the task's live summary. Every tool's runs are
// rows of the one tasks table (store.Task).
package tasks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/mockarty-oss/mockarty/host/internal/plugins"
	"github.com/mockarty-oss/mockarty/host/internal/store"
	"github.com/mockarty-oss/mockarty/sdk"
	"github.com/mockarty-oss/mockarty/sdk/pluginhost"
)

// Executor runs a job on a tool plugin (the plugin manager).
type Executor interface {
	Run(ctx context.Context, name string, job sdk.Job, host pluginhost.Finder, onProgress func(sdk.Progress)) (json.RawMessage, error)
}

// NetPolicy is where a tool's requests may go: private and loopback
// addresses only when AllowPrivate, except the server's own listeners
// (AllowHosts, host:port), which a run against this server's mocks needs.
type NetPolicy struct {
	AllowPrivate bool
	AllowHosts   []string
}

// Live tracks the running tasks of this process.
type Live struct {
	base context.Context
	mu   sync.Mutex
	runs map[string]*run
	wg   sync.WaitGroup
}

type run struct {
	cancel context.CancelFunc
	done   chan struct{}
}

// NewLive returns a registry whose tasks end with base.
func NewLive(base context.Context) *Live {
	return &Live{base: base, runs: map[string]*run{}}
}

// Base is the context tasks derive from.
func (l *Live) Base() context.Context { return l.base }

// Go runs fn as task id in its own goroutine; done closes when it returns.
func (l *Live) Go(id string, fn func(ctx context.Context)) (done <-chan struct{}) {
	ctx, cancel := context.WithCancel(l.base)
	r := &run{cancel: cancel, done: make(chan struct{})}
	l.mu.Lock()
	l.runs[id] = r
	l.mu.Unlock()
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		defer close(r.done)
		defer cancel()
		fn(ctx)
		l.mu.Lock()
		delete(l.runs, id)
		l.mu.Unlock()
	}()
	return r.done
}

// Cancel stops a live task and waits for it; it reports whether it was live.
func (l *Live) Cancel(id string) bool {
	l.mu.Lock()
	r := l.runs[id]
	l.mu.Unlock()
	if r == nil {
		return false
	}
	r.cancel()
	<-r.done
	return true
}

// Running reports whether task id is live here.
func (l *Live) Running(id string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.runs[id] != nil
}

// Wait waits for every task to end (after base is cancelled).
func (l *Live) Wait() { l.wg.Wait() }

// Ended is how a task ended: cancelled by a user, interrupted by the
// server stopping, or on its own (""): callers pick the status then.
func (l *Live) Ended(ctx context.Context) string {
	switch {
	case ctx.Err() == nil:
		return ""
	case l.base.Err() == nil:
		return store.TaskCancelled
	}
	return store.TaskFailed
}

// Interrupted is the message of a task the server stopped during.
const Interrupted = "interrupted: the server stopped during the run"

// FlushEvery is how often a Recorder writes.
const FlushEvery = 200 * time.Millisecond

// Recorder stores a task's products and its summary. Add is safe from any
// goroutine; the database writes happen on Flush, which Every calls
// regularly, so a long task keeps at most FlushEvery of products in memory.
type Recorder struct {
	st      *store.Store
	task    *store.Task
	summary func() any // the task's live summary (JSON), read at each flush
	mu      sync.Mutex
	pending []store.TaskItem
	seq     int64
	lastErr error
}

// NewRecorder records products for task; summary gives the summary to store.
func NewRecorder(st *store.Store, task *store.Task, summary func() any) *Recorder {
	return &Recorder{st: st, task: task, summary: summary}
}

// Add queues one product.
func (r *Recorder) Add(kind string, doc []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.seq++
	r.pending = append(r.pending, store.TaskItem{TaskID: r.task.ID, Seq: r.seq, Kind: kind, Document: string(doc)})
}

// Flush writes the queued products and the task row with its summary.
// Writes use a context that outlives a cancelled task, so a cancelled run
// still records what it did.
func (r *Recorder) Flush(ctx context.Context) {
	ctx = context.WithoutCancel(ctx)
	r.mu.Lock()
	items := r.pending
	r.pending = nil
	r.mu.Unlock()
	if err := r.st.AddTaskItems(ctx, items); err != nil {
		r.lastErr = err
	}
	if b, err := json.Marshal(r.summary()); err == nil {
		r.task.Summary = string(b)
	}
	if err := r.st.PutTask(ctx, r.task); err != nil {
		r.lastErr = err
	}
}

// Every flushes every FlushEvery until stop is called (which waits for the
// last flush to end).
func (r *Recorder) Every(ctx context.Context) (stop func()) {
	t := time.NewTicker(FlushEvery)
	quit := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-t.C:
				r.Flush(ctx)
			case <-quit:
				return
			}
		}
	}()
	return func() {
		t.Stop()
		close(quit)
		<-done
	}
}

// Err is the last write error (nil when every write landed).
func (r *Recorder) Err() error { return r.lastErr }

// JobError is the message of a job a plugin failed, without the
// sdk.ErrJobFailed prefix.
func JobError(err error) string {
	return strings.TrimPrefix(err.Error(), sdk.ErrJobFailed.Error()+"\n")
}

// Runner is what every tool's run service shares: the plugin it runs on,
// where requests may go, the live runs and the log.
type Runner struct {
	Exec Executor
	Net  func() NetPolicy
	Live *Live
	Log  hclog.Logger
}

// NewRunner returns a Runner whose runs end with base.
func NewRunner(base context.Context, exec Executor, net func() NetPolicy, log hclog.Logger) Runner {
	if log == nil {
		log = hclog.NewNullLogger()
	}
	return Runner{Exec: exec, Net: net, Live: NewLive(base), Log: log}
}

// Wait waits for every run to end (after base is cancelled).
func (r *Runner) Wait() { r.Live.Wait() }

// Stop stops a live run; it reports whether the run was live.
func (r *Runner) Stop(id string) bool { return r.Live.Cancel(id) }

// RunError says why a run on plugin could not go on, in terms a user can act on.
func RunError(plugin string, err error) string {
	switch {
	case errors.Is(err, sdk.ErrJobFailed):
		return JobError(err)
	case errors.Is(err, plugins.ErrUnknown), errors.Is(err, plugins.ErrNotRunning):
		return fmt.Sprintf("the %s plugin is not running (see GET /api/v1/plugins, PLUGINS and PLUGINS_DIR): %v", plugin, err)
	}
	return fmt.Sprintf("the %s plugin could not run: %v", plugin, err)
}
