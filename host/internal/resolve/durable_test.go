package resolve

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/mockarty-oss/mockarty/host/internal/model"
	"github.com/mockarty-oss/mockarty/host/internal/store"
	"github.com/mockarty-oss/mockarty/sdk/find"
	"github.com/mockarty-oss/mockarty/sdk/plugintest"
)

func persistFailures(t *testing.T, r *Resolver, what string) float64 {
	t.Helper()
	families, err := r.Metrics.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != "mockarty_persist_failures_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "what" && l.GetValue() == what {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	return 0
}

// A store write or a limited use the database refuses is not acknowledged:
// the request is told so, the host logs a warning and counts it.
// loggedResolver is a resolver on its own SQLite store whose warnings are
// kept in logs.
func loggedResolver(t *testing.T) (r *Resolver, st *store.Store, logs *plugintest.SyncBuffer) {
	t.Helper()
	st, err := store.Open(context.Background(), store.Options{Driver: "sqlite", DSN: filepath.Join(t.TempDir(), "db.sqlite")})
	if err != nil {
		t.Fatal(err)
	}
	logs = &plugintest.SyncBuffer{}
	r, err = New(context.Background(), Options{Store: st, LogLimit: 3,
		Logger: hclog.New(&hclog.LoggerOptions{Output: logs, Level: hclog.Warn})})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r, st, logs
}

func TestUnsavedChangeIsNotAcknowledged(t *testing.T) {
	r, st, logs := loggedResolver(t)
	extract := &model.Mock{ID: "x", Namespace: "sandbox", HTTP: &model.HTTPContext{Route: "/x", HTTPMethod: "GET"},
		Extract:  &model.Extract{GStore: map[string]json.RawMessage{"n": json.RawMessage(`"$.increment($.gS.n || 0)"`)}},
		Response: &model.ContentResponse{StatusCode: 200, Payload: json.RawMessage(`{"n":"$.gS.n"}`)}}
	limited := &model.Mock{ID: "l", Namespace: "sandbox", UseLimiter: 5, HTTP: &model.HTTPContext{Route: "/l", HTTPMethod: "GET"},
		Response: &model.ContentResponse{StatusCode: 200, Payload: json.RawMessage(`{"ok":true}`)}}
	if err := r.Index.Load([]*model.Mock{extract, limited}); err != nil {
		t.Fatal(err)
	}
	res := r.ResolveHTTP(&HTTPRequest{Namespace: "sandbox", Method: "GET", Path: "/x"})
	if !res.Matched || string(res.Rendered.Body) != `{"n":1}` {
		t.Fatalf("with the database up: %+v", res)
	}
	r.Release(res)

	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	defer func(old time.Duration) { retryWait = old }(retryWait)
	retryWait = 200 * time.Millisecond // how long a request waits for a refused change
	for _, path := range []string{"/x", "/l"} {
		res := r.ResolveHTTP(&HTTPRequest{Namespace: "sandbox", Method: "GET", Path: path})
		if res.Matched || !res.NearMiss.NotSaved() {
			t.Errorf("GET %s with the database closed: want a not-saved report, got %+v", path, res)
		} else if !strings.Contains(res.NearMiss.Error, "could not be saved") {
			t.Errorf("GET %s: unclear error %q", path, res.NearMiss.Error)
		}
		r.Release(res)
	}
	if n := persistFailures(t, r, "durable"); n < 1 {
		t.Errorf("mockarty_persist_failures_total{what=durable} = %v, want at least 1", n)
	}
	if !strings.Contains(logs.String(), "[WARN]") || !strings.Contains(logs.String(), "persist store values and use counters") {
		t.Errorf("no warning was logged:\n%s", logs.String())
	}
}

// The journal: a refused batch is a warning and a metric, and is kept.
func TestJournalFailureIsVisible(t *testing.T) {
	r, st, logs := loggedResolver(t)
	if err := r.Index.Load(mocks(1, false)); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	res := r.ResolveHTTP(&HTTPRequest{Namespace: "sandbox", Method: "GET", Path: "/api/v1/resource0/1"})
	if !res.Matched {
		t.Fatalf("the journal is not on the request's path; got %+v", res.NearMiss)
	}
	r.Release(res)
	// A read through the API is told the journal could not be written.
	if err := r.Sync(context.Background()); err == nil || !strings.Contains(err.Error(), "closed") {
		t.Fatalf("Sync with the database closed: %v", err)
	}
	if n := persistFailures(t, r, "journal"); n < 1 {
		t.Errorf("mockarty_persist_failures_total{what=journal} = %v, want at least 1", n)
	}
	if !strings.Contains(logs.String(), "persist the request journal") {
		t.Errorf("no warning was logged:\n%s", logs.String())
	}
	r.journal.mu.Lock()
	kept := len(r.journal.retry.Logs) + len(r.journal.used)
	r.journal.mu.Unlock()
	if kept == 0 {
		t.Error("the refused batch was dropped, not kept for the next flush")
	}
}

// benchDurable resolves one mock from many goroutines at once: the group
// commit's cost per request, against the same mock without durable writes.
func benchDurable(b *testing.B, m *model.Mock) {
	r := newResolver(b)
	if err := r.Index.Load([]*model.Mock{m}); err != nil {
		b.Fatal(err)
	}
	b.SetParallelism(32)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			res := r.ResolveHTTP(&HTTPRequest{Namespace: "sandbox", Method: "POST", Path: "/x", Body: []byte(`{}`)})
			if !res.Matched {
				b.Error("no match")
				return
			}
			r.Release(res)
		}
	})
}

func durableBenchMock() *model.Mock {
	return &model.Mock{ID: "x", Namespace: "sandbox", HTTP: &model.HTTPContext{Route: "/x", HTTPMethod: "POST"},
		Response: &model.ContentResponse{StatusCode: 200, Payload: json.RawMessage(`{"n":1}`)}}
}

func BenchmarkDurableStatic(b *testing.B) { benchDurable(b, durableBenchMock()) }

func BenchmarkDurableExtract(b *testing.B) {
	m := durableBenchMock()
	m.Extract = &model.Extract{GStore: map[string]json.RawMessage{"n": json.RawMessage(`"$.increment($.gS.n || 0)"`)}}
	m.Response.Payload = json.RawMessage(`{"n":"$.gS.n"}`)
	benchDurable(b, m)
}

func BenchmarkDurableLimited(b *testing.B) {
	m := durableBenchMock()
	m.UseLimiter = 1 << 31 / 2
	benchDurable(b, m)
}

// TestKafkaOutputsSeeOwnExtract: a Kafka mock's output key and headers are
// rendered with the view its extract wrote to, so under concurrent
// messages each reply's key shows its own message's value.
func TestKafkaOutputsSeeOwnExtract(t *testing.T) {
	r := newResolver(t)
	m := &model.Mock{ID: "k", Namespace: "sandbox",
		Kafka: &model.KafkaContext{Topic: "in", OutputTopic: "out", OutputKey: "key-$.gS.last",
			OutputHeaders: map[string]string{"x-id": "$.gS.last", "x-literal": "plain"}},
		Extract:  &model.Extract{GStore: map[string]json.RawMessage{"last": json.RawMessage(`"$.req.id"`)}},
		Response: &model.ContentResponse{Payload: json.RawMessage(`{"id":"$.gS.last"}`)}}
	if err := r.Index.Load([]*model.Mock{m}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for w := 0; w < 16; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				id := fmt.Sprintf("m%d-%d", w, i)
				out, nm := r.FindKafka(&find.KafkaRequest{Namespace: "sandbox", Topic: "in", Data: json.RawMessage(`{"id":"` + id + `"}`)})
				if nm != nil {
					t.Errorf("no match: %+v", nm)
					return
				}
				if out.OutputKey != "key-"+id || out.OutputHeaders["x-id"] != id || out.OutputHeaders["x-literal"] != "plain" {
					t.Errorf("message %s: key %q headers %v", id, out.OutputKey, out.OutputHeaders)
					return
				}
			}
		}()
	}
	wg.Wait()
}
