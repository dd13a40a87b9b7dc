// Package collection runs Postman-style collections: requests, variables,
// auth, and pre-request and test scripts in the script sandbox. The API
// tester runs a collection as newman does (Run); a load test's virtual
// users run it pass after pass (Passes).
package collection

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/mockarty-oss/mockarty/plugins/tester/script"
	"github.com/mockarty-oss/mockarty/sdk"
	"github.com/mockarty-oss/mockarty/sdk/postman"
)

// maxSteps bounds a run whose scripts loop with setNextRequest.
const maxSteps = 1_000_000

// planned is a request item with the folders it is in.
type planned struct {
	item    *postman.Item
	parents []*postman.Item
}

// plan lists the request items to run, depth-first, limited to the
// folders and requests job.Folder names.
func plan(c *postman.Collection, only []string) ([]planned, error) {
	var out []planned
	add := func(parents []*postman.Item, items []*postman.Item) error {
		return postman.Walk(items, func(ps []*postman.Item, it *postman.Item) error {
			if !it.IsFolder() {
				out = append(out, planned{item: it, parents: append(append([]*postman.Item{}, parents...), ps...)})
			}
			return nil
		})
	}
	if len(only) == 0 {
		return out, add(nil, c.Item)
	}
	for _, name := range only {
		it, parents := c.Find(name)
		if it == nil {
			return nil, fmt.Errorf("no folder or request %q in collection %q", name, c.Info.Name)
		}
		if it.IsFolder() {
			if err := add(append(append([]*postman.Item{}, parents...), it), it.Item); err != nil {
				return nil, err
			}
			continue
		}
		out = append(out, planned{item: it, parents: append([]*postman.Item{}, parents...)})
	}
	return out, nil
}

// runner is one collection run.
type runner struct {
	job    *postman.Job
	sb     *script.Sandbox
	scopes *script.Scopes
	send   *sender
	onStep func(*postman.Step)
	sum    postman.Summary
	items  []planned
	respMs float64
	skip   bool // the last pre-request event skipped its request
}

// newRunner plans a job's requests and starts its sandbox, sender and
// variable scopes; the caller closes r.sb.
func newRunner(job *postman.Job) (*runner, error) {
	if job.Collection == nil {
		return nil, errors.New("the job has no collection")
	}
	items, err := plan(job.Collection, job.Folder)
	if err != nil {
		return nil, err
	}
	lim := script.Limits{Timeout: time.Duration(job.ScriptTimeoutMs) * time.Millisecond, Memory: job.ScriptMemoryBytes}
	sb, err := script.NewSandbox(lim)
	if err != nil {
		return nil, fmt.Errorf("start the script engine: %w", err)
	}
	r := &runner{job: job, sb: sb, send: newSender(job), items: items, onStep: func(*postman.Step) {}}
	r.scopes = &script.Scopes{Globals: varsOf(job.Globals), Environment: varsOf(job.Environment), Collection: script.NewVars()}
	for _, v := range job.Collection.Variable {
		if !v.Disabled {
			r.scopes.Collection.Set(v.Key, v.Value)
		}
	}
	return r, nil
}

// pass runs the requests of iteration it in order, following
// setNextRequest, with row of the iteration data; iterations is the run's
// count for pm.info (0: unknown). steps counts the requests of the run,
// bounded by maxSteps.
func (r *runner) pass(ctx context.Context, it, row, iterations int, steps *int) (bail bool, err error) {
	r.scopes.Data = script.NewVars()
	if n := len(r.job.IterationData); n > 0 {
		r.scopes.Data = script.VarsFromMap(r.job.IterationData[min(row, n-1)])
	}
	for idx := 0; idx < len(r.items) && ctx.Err() == nil; {
		if *steps++; *steps > maxSteps {
			return false, fmt.Errorf("stopped after %d requests: the scripts' setNextRequest calls loop", maxSteps)
		}
		next, stop, bail := r.step(ctx, it, iterations, r.items[idx])
		if bail {
			return true, nil
		}
		if stop {
			break
		}
		if next != nil {
			j := r.find(*next)
			if j < 0 {
				break // Postman ends the iteration when the name matches nothing
			}
			idx = j
		} else {
			idx++
		}
		if d := r.job.DelayRequestMs; d > 0 && idx < len(r.items) {
			select {
			case <-ctx.Done():
			case <-time.After(time.Duration(d) * time.Millisecond):
			}
		}
	}
	return false, nil
}

// Run runs a job's collection as newman does and returns its summary;
// each request's step is reported as it completes.
func Run(ctx context.Context, job *postman.Job, report func(sdk.Progress)) (*postman.Summary, error) {
	r, err := newRunner(job)
	if err != nil {
		return nil, err
	}
	defer r.sb.Close()
	iterations := job.Iterations
	if iterations <= 0 {
		iterations = len(job.IterationData)
	}
	if iterations <= 0 {
		iterations = 1
	}
	total, done := len(r.items)*iterations, 0
	r.onStep = func(st *postman.Step) {
		done++
		b, err := json.Marshal(st)
		if err != nil {
			return
		}
		report(sdk.Progress{Percent: float64(done) * 100 / float64(max(total, done)), Message: st.Name, Done: int64(done),
			Total: int64(max(total, done)), ItemKind: postman.ItemStep, Item: b})
	}
	started := time.Now()
	steps := 0
	for it := 0; it < iterations && ctx.Err() == nil; it++ {
		r.sum.Iterations++
		bail, err := r.pass(ctx, it, it, iterations, &steps)
		if err != nil {
			return nil, err
		}
		if bail {
			r.sum.Bailed = true
			return r.finish(started), nil
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return r.finish(started), nil
}

// Passes runs a collection pass after pass, as one virtual user of a load
// test: variables the scripts set carry from one pass to the next, and
// pass i reads row i (cycling) of the iteration data. Not safe for
// concurrent use: each virtual user has its own.
type Passes struct {
	r     *runner
	steps int
}

// NewPasses prepares a job's collection for passes; Close releases it.
func NewPasses(job *postman.Job) (*Passes, error) {
	r, err := newRunner(job)
	if err != nil {
		return nil, err
	}
	return &Passes{r: r}, nil
}

// Pass runs the collection's requests once (the iteration-th pass, from
// 0), calling onStep with each request's step as it completes. It stops
// early when ctx ends, and reports an error only when the scripts'
// setNextRequest calls loop without end.
func (p *Passes) Pass(ctx context.Context, iteration int, onStep func(*postman.Step)) error {
	p.r.onStep = onStep
	row := 0
	if n := len(p.r.job.IterationData); n > 0 {
		row = iteration % n
	}
	p.steps = 0
	_, err := p.r.pass(ctx, iteration, row, 0, &p.steps)
	return err
}

// Bytes are the bytes the passes' connections have sent and received so
// far, on the wire.
func (p *Passes) Bytes() (sent, received int64) {
	return p.r.send.meter.Sent.Load(), p.r.send.meter.Received.Load()
}

// Requests is the number of requests in one pass (without setNextRequest).
func (p *Passes) Requests() int { return len(p.r.items) }

// Close releases the sandbox.
func (p *Passes) Close() { p.r.sb.Close() }

func (r *runner) finish(started time.Time) *postman.Summary {
	r.sum.DurationMs = time.Since(started).Milliseconds()
	if r.sum.Requests > 0 {
		r.sum.AvgResponseMs = r.respMs / float64(r.sum.Requests)
	}
	r.sum.Environment = r.scopes.Environment.Map()
	r.sum.Globals = r.scopes.Globals.Map()
	return &r.sum
}

// find is the index of the item setNextRequest names (id, then name).
func (r *runner) find(name string) int {
	for i, p := range r.items {
		if p.item.ID != "" && p.item.ID == name {
			return i
		}
	}
	for i, p := range r.items {
		if p.item.Name == name {
			return i
		}
	}
	return -1
}

func varsOf(e *postman.Environment) *script.Vars {
	v := script.NewVars()
	if e == nil {
		return v
	}
	for _, x := range e.Values {
		if x.Enabled {
			v.Set(x.Key, x.Value)
		}
	}
	return v
}

// scriptsOf lists the scripts of an event: the collection's, each
// folder's outermost first, then the item's.
func (r *runner) scriptsOf(listen string, p planned) []string {
	var out []string
	add := func(evs []postman.Event) {
		for _, e := range evs {
			if e.Listen == listen && !e.Disabled && e.Script != nil {
				if src := e.Script.Source(); strings.TrimSpace(src) != "" {
					out = append(out, src)
				}
			}
		}
	}
	add(r.job.Collection.Event)
	for _, f := range p.parents {
		add(f.Event)
	}
	add(p.item.Event)
	return out
}

// step runs one request item: pre-request scripts, the request, test
// scripts; it reports the step and says where to go next.
func (r *runner) step(ctx context.Context, iteration, iterations int, p planned) (next *string, stop, bail bool) {
	start := time.Now()
	st := postman.Step{Iteration: iteration, ItemID: p.item.ID, Name: p.item.Name, StartedAt: start.UnixMilli(), Tests: []postman.TestResult{}}
	for _, f := range p.parents {
		st.Path = append(st.Path, f.Name)
	}
	req := scriptRequest(p.item)
	r.scopes.Local = script.NewVars() // local variables live for one request
	info := script.Info{Iteration: iteration, IterationCount: iterations, RequestName: p.item.Name, RequestID: p.item.ID}
	sendFn := func(ctx context.Context, sr *script.Request) (*script.Response, error) {
		return r.send.script(ctx, sr)
	}
	failed := false
	if pre := r.scriptsOf(postman.ListenPrerequest, p); len(pre) > 0 {
		res := r.event(ctx, &st, &script.Exec{Scripts: pre, Request: req, Scopes: r.scopes, Info: info, Send: sendFn}, &next, &stop, &failed)
		st.PreRequest = res
		if r.skip {
			st.Status = postman.StepSkipped
			r.sum.Skipped++
			r.emit(&st, start)
			return next, stop, false
		}
	}
	r.send.warnings = nil
	resp, sent, err := r.send.item(ctx, r.job.Collection, p, req, r.scopes)
	st.Request, st.Warnings = sent, r.send.warnings
	var sresp *script.Response
	if err != nil {
		st.Error = err.Error()
		sresp = &script.Response{}
	} else {
		st.Response = resp.step
		sresp = resp.script
		r.respMs += resp.step.TimeMs
	}
	r.sum.Requests++
	if test := r.scriptsOf(postman.ListenTest, p); len(test) > 0 {
		st.Test = r.event(ctx, &st, &script.Exec{Scripts: test, Request: req, Response: sresp, Scopes: r.scopes, Info: info, Send: sendFn},
			&next, &stop, &failed)
	}
	for _, t := range st.Tests {
		if !t.Passed && !t.Skipped {
			failed = true
		}
	}
	switch {
	case st.Error != "":
		st.Status = postman.StepError
		r.sum.FailedRequests++
	case failed:
		st.Status = postman.StepFailed
	default:
		st.Status = postman.StepPassed
	}
	r.emit(&st, start)
	return next, stop, r.job.Bail && st.Status != postman.StepPassed
}

// event runs one event's scripts (Info.EventName is set from whether the
// exec has a response), adds their tests to the step, and records where
// they asked to go next; r.skip says a pre-request script skipped the request.
func (r *runner) event(ctx context.Context, st *postman.Step, e *script.Exec, next **string, stop, failed *bool) *postman.ScriptRun {
	e.Info.EventName = postman.ListenPrerequest
	if e.Response != nil {
		e.Info.EventName = postman.ListenTest
	}
	t0 := time.Now()
	res := r.sb.Run(ctx, e)
	r.addTests(st, res.Tests)
	if res.Error != "" {
		r.sum.ScriptErrors++
		*failed = true
	}
	if res.NextRequest != nil {
		*next = res.NextRequest
	}
	*stop = *stop || res.Stop
	r.skip = res.Skip
	return &postman.ScriptRun{Error: res.Error, Logs: res.Logs, DurationMs: ms(time.Since(t0))}
}

func (r *runner) addTests(st *postman.Step, tests []script.TestResult) {
	for _, t := range tests {
		st.Tests = append(st.Tests, postman.TestResult{Name: t.Name, Passed: t.Passed, Skipped: t.Skipped, Error: t.Error})
		r.sum.Tests++
		switch {
		case t.Skipped:
			r.sum.SkippedTests++
		case !t.Passed:
			r.sum.FailedTests++
		}
	}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func (r *runner) emit(st *postman.Step, start time.Time) {
	st.DurationMs = time.Since(start).Milliseconds()
	r.onStep(st)
}
