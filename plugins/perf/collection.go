package main

import (
	"context"
	"time"

	"github.com/mockarty-oss/mockarty/plugins/perf/engine"
	"github.com/mockarty-oss/mockarty/plugins/tester/collection"
	"github.com/mockarty-oss/mockarty/sdk/postman"
)

// collectionIterations run an API-tester collection as load: each
// iteration of a VU is one pass through the collection's requests, with
// their pre-request and test scripts, by the tester's own runner. Each
// request is recorded as http_reqs, http_req_duration and http_req_failed
// (tagged with the request's name, grouped by its folders and name), each
// pm.test as a check in that group, and script errors as run errors.
type collectionIterations struct {
	job *postman.Job
}

// NewVU gives the VU its own runner: its sandbox, connections and
// variables, which carry from one pass to the next.
func (c *collectionIterations) NewVU(*engine.VU) (engine.Iterator, error) {
	p, err := collection.NewPasses(c.job)
	if err != nil {
		return nil, err
	}
	return &collectionIterator{passes: p}, nil
}

// collectionIterator is one VU's runner.
type collectionIterator struct {
	passes     *collection.Passes
	sent, recv int64 // the passes' bytes counted so far
}

// Iterate runs one pass, recording each request as it completes.
func (it *collectionIterator) Iterate(ctx context.Context, h *engine.VU) error {
	return it.passes.Pass(ctx, int(h.Iteration()), func(st *postman.Step) {
		if st.Status == postman.StepSkipped {
			return
		}
		group := append(append([]string{}, st.Path...), st.Name)
		r := engine.Request{Name: st.Name, Group: group, Err: st.Error}
		if st.Request != nil {
			r.Method, r.URL = st.Request.Method, st.Request.URL
		}
		if st.Response != nil {
			r.Status = st.Response.Code
			r.Duration = time.Duration(st.Response.TimeMs * float64(time.Millisecond))
		}
		// The bytes on the wire since the last request: this one's.
		sent, recv := it.passes.Bytes()
		r.Sent, r.Received = sent-it.sent, recv-it.recv
		it.sent, it.recv = sent, recv
		h.RecordRequest(r)
		for _, t := range st.Tests {
			if !t.Skipped {
				h.RecordCheck(group, t.Name, t.Passed)
			}
		}
		for _, sr := range []*postman.ScriptRun{st.PreRequest, st.Test} {
			if sr != nil && sr.Error != "" {
				h.RecordError(st.Name + ": " + sr.Error)
			}
		}
	})
}

// Close releases the VU's sandbox.
func (it *collectionIterator) Close() { it.passes.Close() }
