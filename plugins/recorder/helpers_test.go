package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mockarty-oss/mockarty/sdk"
	"github.com/mockarty-oss/mockarty/sdk/plugintest"
	"github.com/mockarty-oss/mockarty/sdk/recjob"
)

// guard only keeps a broken test from hanging: never a speed requirement.
const guard = 60 * time.Second

// recording is a session running through the plugin contract, its items
// read as they stream in.
type recording struct {
	t      *testing.T
	cancel context.CancelFunc
	done   chan struct{}
	result json.RawMessage
	err    error

	mu      sync.Mutex
	addr    string
	entries []recjob.Entry
	bad     []string
}

// record starts a session on a new in-process plugin and waits until it
// listens (or fails: see err).
func record(t *testing.T, job recjob.Job) *recording {
	t.Helper()
	if job.Address == "" {
		job.Address = "127.0.0.1:0"
	}
	p := plugintest.Start(t, &Recorder{}, nil, nil)
	params, err := json.Marshal(job)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &recording{t: t, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(r.done)
		r.result, r.err = p.Client.Run(ctx, sdk.Job{ID: "rec-1", Kind: recjob.KindSession, Params: params}, nil, r.progress)
	}()
	t.Cleanup(func() { r.stop() })
	plugintest.Eventually(t, guard, func() bool {
		select {
		case <-r.done:
			return true
		default:
		}
		r.mu.Lock()
		defer r.mu.Unlock()
		return r.addr != ""
	}, "the session listens")
	return r
}

func (r *recording) progress(p sdk.Progress) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch p.ItemKind {
	case recjob.ItemListening:
		var l recjob.Listening
		if err := json.Unmarshal(p.Item, &l); err != nil || l.Address == "" {
			r.bad = append(r.bad, "listening: "+string(p.Item))
		}
		if r.addr != "" || len(r.entries) > 0 {
			r.bad = append(r.bad, "a second listening item, or one after an entry")
		}
		r.addr = l.Address
	case recjob.ItemEntry:
		var e recjob.Entry
		if err := json.Unmarshal(p.Item, &e); err != nil {
			r.bad = append(r.bad, "entry: "+err.Error())
			return
		}
		if want := int64(len(r.entries) + 1); e.Sequence != want {
			r.bad = append(r.bad, "entry sequence out of order")
		}
		r.entries = append(r.entries, e)
	}
}

// URL is the proxy's base URL.
func (r *recording) URL() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return "http://" + r.addr
}

// wait returns the entries once there are at least n.
func (r *recording) wait(n int) []recjob.Entry {
	r.t.Helper()
	var got []recjob.Entry
	plugintest.Eventually(r.t, guard, func() bool {
		got = r.snapshot()
		return len(got) >= n
	}, "%d entries", n)
	return got
}

func (r *recording) snapshot() []recjob.Entry {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.bad) > 0 {
		r.t.Errorf("bad items: %v", r.bad)
		r.bad = nil
	}
	return append([]recjob.Entry(nil), r.entries...)
}

// stop cancels the session and returns its result.
func (r *recording) stop() (json.RawMessage, error) {
	r.cancel()
	select {
	case <-r.done:
	case <-time.After(guard):
		r.t.Fatal("the session did not stop")
	}
	return r.result, r.err
}

// failed waits for a session that must not start and returns its error.
func (r *recording) failed() error {
	select {
	case <-r.done:
		return r.err
	case <-time.After(guard):
		r.t.Fatal("the session did not fail")
		return nil
	}
}

// find is the one entry that matches.
func find(t *testing.T, entries []recjob.Entry, what string, match func(e recjob.Entry) bool) recjob.Entry {
	t.Helper()
	var found []recjob.Entry
	for _, e := range entries {
		if match(e) {
			found = append(found, e)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%s: %d entries match, want 1: %+v", what, len(found), entries)
	}
	return found[0]
}

func byPath(path string) func(recjob.Entry) bool {
	return func(e recjob.Entry) bool { return e.Path == path }
}

// send sends a request and returns its status, headers and body.
func send(t *testing.T, c *http.Client, method, url, body string, header map[string]string) (int, http.Header, []byte) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the answer: %v", method, url, err)
	}
	return res.StatusCode, res.Header, b
}
