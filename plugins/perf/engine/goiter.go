package engine

import (
	"context"
	"fmt"
	"strconv"
	"time"
)

// Iterations run a Program's iterations in Go instead of its script's
// default function: the script still gives the options (executors, VUs,
// duration, thresholds), and the engine its scheduling, metrics and
// summary. A perf config's one request (CompileConfig) and an API-tester
// collection's requests with their scripts (the perf plugin) run this way.
type Iterations interface {
	// NewVU makes one VU's iterator, called once per VU before its first
	// iteration.
	NewVU(h *VU) (Iterator, error)
}

// Iterator runs one VU's iterations, one call at a time.
type Iterator interface {
	// Iterate runs one iteration; it returns when ctx ends, and an error
	// counts as the iteration's error (as a script's exception would).
	Iterate(ctx context.Context, h *VU) error
	// Close releases the VU's state when the VU ends.
	Close()
}

// VU is what Go iterations see of their VU: its identity and the metrics
// it records.
type VU struct{ v *vu }

// ID is the VU's number in the run, from 1.
func (h *VU) ID() int64 { return h.v.id }

// Iteration is the VU's iteration count so far, from 0.
func (h *VU) Iteration() int64 { return h.v.iterInInstance }

// Request is an HTTP request sent by Go iterations, for the metrics.
type Request struct {
	// Name tags the request (k6's name tag); Group is its group path
	// (folders, outermost first).
	Name  string
	Group []string
	// Method, URL and Status (0 when no answer came) as sent and answered.
	Method string
	URL    string
	Status int
	// Duration is the time from sending to the end of the answer.
	Duration time.Duration
	// Err, when set, failed the request.
	Err string
	// Sent and Received count the bytes, when known (else 0).
	Sent, Received int64
}

// defaultExpected are k6's default expected statuses; untagged is a
// request without tags of its own.
var (
	defaultExpected = defaultExpectedStatuses()
	untagged        = &preparedRequest{}
)

// RecordRequest records a request's http_reqs, http_req_duration,
// http_req_failed (by the status, as k6's default expected statuses 200-399
// count it) and data metrics. The timing phases are not known, so they are
// not recorded.
func (h *VU) RecordRequest(r Request) {
	v := h.v
	prev := v.group
	v.group = v.groupPath(r.Group)
	defer func() { v.group = prev }()
	reg := v.run.reg
	key := requestTags{name: r.Name, url: r.URL, method: r.Method, status: strconv.Itoa(r.Status)}
	failed := r.Err != "" || r.Status == 0 || !defaultExpected.expected(r.Status)
	key.expected = strconv.FormatBool(!failed)
	if r.Err != "" {
		key.errCode = strconv.Itoa(errCodeGeneric)
		v.run.errs.add(fmt.Sprintf("request failed: %s %s: %s", r.Method, r.URL, r.Err))
	}
	tags := v.requestTagMap(untagged, key)
	f := 0.0
	if failed {
		f = 1
	}
	samples := []sample{
		{m: reg.httpReqs, v: 1, tags: tags},
		{m: reg.httpReqDuration, v: ms(r.Duration), tags: tags},
		{m: reg.httpReqFailed, v: f, tags: tags},
	}
	reg.apdex.add(r.Name, ms(r.Duration), failed)
	base := v.baseTags()
	if r.Sent > 0 {
		samples = append(samples, sample{m: reg.dataSent, v: float64(r.Sent), tags: base})
	}
	if r.Received > 0 {
		samples = append(samples, sample{m: reg.dataReceived, v: float64(r.Received), tags: base})
	}
	reg.push(samples...)
}

// RecordCheck records one check's outcome under a group path, as check()
// does: the checks metric and the group tree of the summary.
func (h *VU) RecordCheck(group []string, name string, passed bool) {
	v := h.v
	prev := v.group
	v.group = v.groupPath(group)
	defer func() { v.group = prev }()
	node := v.run.groups.check(v.group, name)
	b := 0.0
	if passed {
		node.passes.Add(1)
		b = 1
	} else {
		node.fails.Add(1)
	}
	v.run.reg.push(sample{m: v.run.reg.checks, v: b, tags: v.checkTags(name)})
}

// RecordError adds an error to the run's distinct errors (as an exception
// in a script would).
func (h *VU) RecordError(msg string) {
	h.v.run.errs.add(msg)
	h.v.run.logs.add("error", msg)
}

// groupPath makes (and registers) the group path of folder names.
func (v *vu) groupPath(names []string) string {
	path := ""
	for _, n := range names {
		path = v.run.groups.group(path, n)
	}
	return path
}

// goIteration is one iteration of a Program with Go iterations.
func (v *vu) goIteration(ctx context.Context) error {
	if ctx.Err() != nil {
		return errInterrupted
	}
	h := &VU{v: v}
	if v.goIter == nil {
		it, err := v.prog.iterations.NewVU(h)
		if err != nil {
			return err
		}
		v.goIter = it
	}
	err := v.goIter.Iterate(ctx, h)
	if ctx.Err() != nil {
		return errInterrupted
	}
	return err
}

// CompileWith compiles a script for its options (its default function is
// not called) and runs each iteration with its Go iterations.
func CompileWith(src, filename string, its Iterations) (*Program, error) {
	p, err := Compile(src, filename, nil)
	if err != nil {
		return nil, err
	}
	p.iterations = its
	return p, nil
}
