package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mockarty-oss/mockarty/sdk/plugintest"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// Kill -9 tests: 8 concurrent clients, the host killed with SIGKILL at a
// random moment, restarted on the same data. Nothing a response
// acknowledged may be lost: store writes from extract, uses of a mock with
// a useLimiter; the request journal loses at most its last moments.

// crashBackends runs fn once on SQLite and once on PostgreSQL; fresh gives
// the environment of an empty database.
func crashBackends(t *testing.T, fn func(t *testing.T, fresh func(t *testing.T) []string)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, func(*testing.T) []string { return nil }) })
	t.Run("postgres", func(t *testing.T) {
		fn(t, func(t *testing.T) []string { return []string{"DB_DSN=" + freshPGSchema(t)} })
	})
}

// hammer runs 8 clients calling one until stop is closed or a call fails
// (the server is gone); one returns false to end its client.
func hammer(stop <-chan struct{}, one func(c *http.Client) bool) *sync.WaitGroup {
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := &http.Client{Timeout: 20 * time.Second}
			for {
				select {
				case <-stop:
					return
				default:
				}
				if !one(c) {
					return
				}
			}
		}()
	}
	return &wg
}

// post sends a JSON body and returns the status and decoded body; ok is
// false when no response came (the server was killed).
func post(c *http.Client, url string, body any) (int, map[string]any, bool) {
	b, _ := json.Marshal(body)
	resp, err := c.Post(url, "application/json", bytes.NewReader(b))
	if err != nil {
		return 0, nil, false
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, nil, false
	}
	var out map[string]any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	_ = dec.Decode(&out)
	return resp.StatusCode, out, true
}

func TestCrashKeepsExtractWritesAndJournal(t *testing.T) {
	crashBackends(t, func(t *testing.T, fresh func(t *testing.T) []string) {
		dataDir, env := t.TempDir(), fresh(t)
		srv := startServer(t, dataDir, env...)
		srv.call(t, http.StatusCreated, http.MethodPost, "/api/v1/mocks", map[string]any{
			"id": "inc", "namespace": "sandbox", "http": map[string]any{"route": "/inc", "httpMethod": "POST"},
			"extract":  map[string]any{"gStore": map[string]any{"n": "$.increment($.gS.n || 0)"}},
			"response": map[string]any{"statusCode": 200, "payload": map[string]any{"n": "$.gS.n"}},
		})
		srv.call(t, http.StatusCreated, http.MethodPost, "/api/v1/mocks", map[string]any{
			"id": "tick", "namespace": "sandbox", "http": map[string]any{"route": "/tick", "httpMethod": "POST"},
			"response": map[string]any{"statusCode": 200, "payload": map[string]any{"ok": true}},
		})
		// A mock with a ttl that runs out while the clients run: expired
		// before the crash, it stays expired after it.
		srv.call(t, http.StatusCreated, http.MethodPost, "/api/v1/mocks", map[string]any{
			"id": "short", "namespace": "sandbox", "ttl": 700, "http": map[string]any{"route": "/short", "httpMethod": "GET"},
			"response": map[string]any{"statusCode": 200, "payload": map[string]any{"ok": true}},
		})
		srv.call(t, http.StatusOK, http.MethodGet, "/stubs/sandbox/short", nil)

		var mu sync.Mutex
		handedOut := map[int64]int{} // n -> how many responses showed it
		var maxN int64
		type ack struct{ at time.Time }
		var ticks []ack
		stop := make(chan struct{})
		var calls atomic.Int64
		wg := hammer(stop, func(c *http.Client) bool {
			if calls.Add(1)%2 == 0 {
				st, _, ok := post(c, srv.URL+"/stubs/sandbox/tick", map[string]any{})
				if !ok {
					return false
				}
				if st == http.StatusOK {
					mu.Lock()
					ticks = append(ticks, ack{time.Now()})
					mu.Unlock()
				}
				return true
			}
			st, body, ok := post(c, srv.URL+"/stubs/sandbox/inc", map[string]any{})
			if !ok {
				return false
			}
			if st != http.StatusOK {
				t.Errorf("POST /inc: status %d: %v", st, body)
				return false
			}
			n, err := body["n"].(json.Number).Int64()
			if err != nil {
				t.Errorf("POST /inc: n is not an integer: %v", body)
				return false
			}
			mu.Lock()
			handedOut[n]++
			maxN = max(maxN, n)
			mu.Unlock()
			return true
		})
		start := time.Now()
		// Kill at a random moment once the clients are well under way: this
		// paces the load (and outlasts the 700 ms ttl below), it waits for
		// no condition.
		time.Sleep(time.Duration(1500+rand.IntN(1000)) * time.Millisecond)
		if r := srv.do(t, http.MethodGet, "/stubs/sandbox/short", nil, ""); r.Status != http.StatusNotFound {
			t.Errorf("the mock with ttl 700 ms still answers %d after %v", r.Status, time.Since(start))
		}
		killedAt := time.Now()
		srv.kill(t)
		close(stop)
		wg.Wait()

		mu.Lock()
		defer mu.Unlock()
		for n, k := range handedOut {
			if k > 1 {
				t.Errorf("before the crash, %d responses showed n=%d", k, n)
			}
		}
		if maxN < 10 {
			t.Fatalf("only %d increments were answered before the kill; the test did not load the server", maxN)
		}

		srv = startServer(t, dataDir, env...)
		stores := obj(t, srv.getJSON(t, "/api/v1/stores/global?namespace=sandbox"), "global store")
		stored := num(t, stores["n"], "stored n")
		t.Logf("extract writes: %d acknowledged before the kill, %d in the database after the restart", maxN, stored)
		if stored < maxN {
			t.Errorf("the database has n=%d after the crash, but a response had already shown n=%d: %d acknowledged increments lost",
				stored, maxN, maxN-stored)
		}
		if r := srv.do(t, http.MethodGet, "/stubs/sandbox/short", nil, ""); r.Status != http.StatusNotFound {
			t.Errorf("the mock that expired before the crash answers %d after the restart", r.Status)
		}
		st, body, ok := post(srv.client, srv.URL+"/stubs/sandbox/inc", map[string]any{})
		if !ok || st != http.StatusOK {
			t.Fatalf("POST /inc after the restart: %d %v", st, body)
		}
		if next := num(t, body["n"], "n after the restart"); next <= maxN {
			t.Errorf("after the restart the counter handed out n=%d again (already shown before the crash)", next)
		}

		// The journal: calls answered more than a moment before the kill are
		// on disk (it is written every 100 ms; the margin is for a slow
		// machine, the figure logged is what was lost).
		mock := obj(t, srv.getJSON(t, "/api/v1/mocks/tick"), "tick mock")
		persisted := num(t, mock["useCounter"], "tick useCounter")
		var old int64
		for _, a := range ticks {
			if killedAt.Sub(a.at) > 300*time.Millisecond {
				old++
			}
		}
		lost := int64(len(ticks)) - persisted
		window := time.Duration(0)
		if lost > 0 && lost <= int64(len(ticks)) {
			window = killedAt.Sub(ticks[int64(len(ticks))-lost].at)
		}
		t.Logf("journal: %d calls answered, %d counted after the restart (%d lost: the last %v of traffic); %d answered more than 300 ms before the kill",
			len(ticks), persisted, lost, window.Round(time.Millisecond), old)
		if persisted < old {
			t.Errorf("the journal lost calls answered more than 300 ms before the kill: %d counted, %d such calls", persisted, old)
		}
		if persisted > int64(len(ticks))+8 {
			t.Errorf("the journal counted %d calls, more than the %d answered (+8 in flight)", persisted, len(ticks))
		}
	})
}

func TestCrashKeepsUseLimiterExact(t *testing.T) {
	crashBackends(t, func(t *testing.T, fresh func(t *testing.T) []string) {
		for _, mode := range []string{"after the 100th answer", "at a random moment"} {
			t.Run(mode, func(t *testing.T) {
				dataDir, env := t.TempDir(), fresh(t)
				srv := startServer(t, dataDir, env...)
				srv.call(t, http.StatusCreated, http.MethodPost, "/api/v1/mocks", map[string]any{
					"id": "lim", "namespace": "sandbox", "useLimiter": 100,
					"http":     map[string]any{"route": "/lim", "httpMethod": "POST"},
					"response": map[string]any{"statusCode": 200, "payload": map[string]any{"ok": true}},
				})
				killAfter := int64(100)
				if mode != "after the 100th answer" {
					killAfter = int64(20 + rand.IntN(70))
				}
				var served atomic.Int64
				var killOnce sync.Once
				stop := make(chan struct{})
				wg := hammer(stop, func(c *http.Client) bool {
					st, _, ok := post(c, srv.URL+"/stubs/sandbox/lim", map[string]any{})
					if !ok {
						return false
					}
					if st == http.StatusOK && served.Add(1) >= killAfter {
						killOnce.Do(func() { srv.kill(t) })
						return false
					}
					return st == http.StatusOK
				})
				wg.Wait()
				close(stop)
				before := served.Load()

				srv = startServer(t, dataDir, env...)
				var after int64
				for i := 0; i < 150; i++ {
					st, _, ok := post(srv.client, srv.URL+"/stubs/sandbox/lim", map[string]any{})
					if !ok {
						t.Fatal("no answer after the restart")
					}
					if st == http.StatusOK {
						after++
					}
				}
				t.Logf("useLimiter 100: %d answers before the kill, %d after the restart", before, after)
				if before+after > 100 {
					t.Errorf("a mock with useLimiter 100 answered %d times across a crash (%d before, %d after)", before+after, before, after)
				}
				if mode == "after the 100th answer" && before+after != 100 {
					t.Errorf("killed right after the 100th answer, the mock answered %d times in all", before+after)
				}
				// A use taken for a request whose answer the kill cut off is
				// the only one that may go missing: at most one per client.
				if before+after < 100-8 {
					t.Errorf("the limit lost more uses than requests were in flight: %d answers in all", before+after)
				}
			})
		}
	})
}

// TestStoreReadsOwnWrite: 64 clients at once, each response reads the
// value its own request just stored.
func TestStoreReadsOwnWrite(t *testing.T) {
	srv := startServer(t, t.TempDir())
	srv.call(t, http.StatusCreated, http.MethodPost, "/api/v1/mocks", map[string]any{
		"id": "own", "namespace": "sandbox", "http": map[string]any{"route": "/own", "httpMethod": "POST"},
		"extract":  map[string]any{"gStore": map[string]any{"last": "$.req.id"}},
		"response": map[string]any{"statusCode": 200, "payload": map[string]any{"id": "$.gS.last"}},
	})
	var wg sync.WaitGroup
	var wrong, total atomic.Int64
	for w := 0; w < 64; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := &http.Client{Timeout: 30 * time.Second}
			for i := 0; i < 30; i++ {
				id := fmt.Sprintf("c%d-%d", w, i)
				st, body, ok := post(c, srv.URL+"/stubs/sandbox/own", map[string]any{"id": id})
				if !ok || st != http.StatusOK {
					t.Errorf("POST /own: %d %v", st, body)
					return
				}
				total.Add(1)
				if body["id"] != id {
					wrong.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	if n := wrong.Load(); n > 0 {
		t.Errorf("%d of %d responses showed another request's store value", n, total.Load())
	}
	if total.Load() != 64*30 {
		t.Errorf("%d responses, want %d", total.Load(), 64*30)
	}
	// And the last write is what the store holds.
	stores := obj(t, srv.getJSON(t, "/api/v1/stores/global?namespace=sandbox"), "global store")
	if s, _ := stores["last"].(string); s == "" {
		t.Errorf("the store holds no last value: %v", stores)
	}
}

// TestJournalReadAtOnceAndKeptAcrossChanges: a call shows in the mock's
// logs and counter the moment its response was sent, and patching,
// overwriting, deleting and restoring the mock right after calls keeps
// them.
func TestJournalReadAtOnceAndKeptAcrossChanges(t *testing.T) {
	srv := startServer(t, t.TempDir(), "REPO_LOG_LIMIT=50")
	mock := map[string]any{"id": "j", "namespace": "sandbox", "http": map[string]any{"route": "/j", "httpMethod": "GET"},
		"response": map[string]any{"statusCode": 200, "payload": map[string]any{"ok": true}}}
	srv.call(t, http.StatusCreated, http.MethodPost, "/api/v1/mocks", mock)
	calls := 0
	callJ := func() {
		t.Helper()
		calls++
		srv.call(t, http.StatusOK, http.MethodGet, "/stubs/sandbox/j?n="+fmt.Sprint(calls), nil)
	}
	checkLogs := func(when string, wantCounter int64) {
		t.Helper()
		logs := obj(t, srv.getJSON(t, "/api/v1/mocks/j/logs"), "logs")
		if got := num(t, logs["total"], "total"); got != int64(calls) {
			t.Errorf("%s: %d logged calls, want %d", when, got, calls)
		}
		reqs := list(t, logs["requests"], "requests")
		if len(reqs) > 0 {
			q := obj(t, obj(t, obj(t, reqs[0], "log")["req"], "req")["queryParam"], "queryParam")
			if n := list(t, q["n"], "n"); len(n) != 1 || n[0] != fmt.Sprint(calls) {
				t.Errorf("%s: the newest log is of call %v, want %d", when, n, calls)
			}
		}
		m := obj(t, srv.getJSON(t, "/api/v1/mocks/j"), "mock")
		if got := num(t, m["useCounter"], "useCounter"); got != wantCounter {
			t.Errorf("%s: useCounter %d, want %d", when, got, wantCounter)
		}
	}
	for i := 0; i < 3; i++ {
		callJ()
		checkLogs("right after a call", int64(calls))
	}

	callJ()
	callJ()
	srv.call(t, http.StatusOK, http.MethodPatch, "/api/v1/mocks/j", map[string]any{"response": map[string]any{"statusCode": 200, "payload": map[string]any{"patched": true}}})
	checkLogs("after a patch", int64(calls))

	callJ()
	srv.call(t, http.StatusOK, http.MethodPost, "/api/v1/mocks", mock)
	checkLogs("after an overwrite", 0) // a new definition: its counter starts again

	callJ()
	callJ()
	srv.call(t, http.StatusOK, http.MethodDelete, "/api/v1/mocks/j", nil)
	srv.call(t, http.StatusOK, http.MethodPost, "/api/v1/mocks/j/restore", nil)
	checkLogs("after a delete and a restore", 2)

	// Unmatched requests, at once too.
	srv.do(t, http.MethodGet, "/stubs/sandbox/nothing-here", nil, "")
	u := obj(t, srv.getJSON(t, "/api/v1/undefined-requests?namespace=sandbox"), "undefined")
	found := false
	for _, it := range list(t, u["requests"], "requests") {
		if fmt.Sprint(obj(t, it, "request")["path"]) == "/nothing-here" {
			found = true
		}
	}
	if !found {
		t.Errorf("the unmatched request is not listed right after it was answered: %v", u)
	}
}

// TestDatabaseOutageDuringWrites: while the database refuses writes, a
// request whose change cannot be saved is held, then acknowledged once a
// retry succeeds; held past the server's wait, it is answered 503
// (unavailable) and the change is still saved when the database is back.
// Every refusal is a warning and a metric.
func TestDatabaseOutageDuringWrites(t *testing.T) {
	dsn := freshPGSchema(t)
	db, err := gorm.Open(postgres.Open(dsn), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if sqlDB, err := db.DB(); err == nil {
			_ = sqlDB.Close()
		}
	})
	srv := startServer(t, t.TempDir(), "DB_DSN="+dsn)
	srv.call(t, http.StatusCreated, http.MethodPost, "/api/v1/mocks", map[string]any{
		"id": "inc", "namespace": "sandbox", "http": map[string]any{"route": "/inc", "httpMethod": "POST"},
		"extract":  map[string]any{"gStore": map[string]any{"n": "$.increment($.gS.n || 0)"}},
		"response": map[string]any{"statusCode": 200, "payload": map[string]any{"n": "$.gS.n"}},
	})
	srv.call(t, http.StatusOK, http.MethodPost, "/stubs/sandbox/inc", map[string]any{})
	outage := func(on bool) {
		t.Helper()
		stmt := "ALTER TABLE store_values RENAME TO store_values_away"
		if !on {
			stmt = "ALTER TABLE store_values_away RENAME TO store_values"
		}
		if err := db.Exec(stmt).Error; err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}

	// A short outage: the request waits and is acknowledged after it.
	outage(true)
	back := time.AfterFunc(time.Second, func() { outage(false) })
	r := srv.do(t, http.MethodPost, "/stubs/sandbox/inc", map[string]any{}, "")
	back.Stop()
	if r.Status != http.StatusOK || !strings.Contains(string(r.Body), `"n":2`) {
		t.Fatalf("during a short outage: %d %s", r.Status, r.Body)
	}

	// A long one: 503 in the one error shape, and the change is kept.
	outage(true)
	r = srv.do(t, http.MethodPost, "/stubs/sandbox/inc", map[string]any{}, "")
	if r.Status != http.StatusServiceUnavailable {
		t.Fatalf("during a long outage: %d %s, want 503", r.Status, r.Body)
	}
	e := obj(t, decode(t, r.Body), "error")
	if e["code"] != "unavailable" || e["request_id"] == nil || !strings.Contains(fmt.Sprint(e["error"]), "retries") {
		t.Errorf("the 503 is not in the error shape or does not say what happens: %s", r.Body)
	}
	outage(false)
	plugintest.Eventually(t, 10*time.Second, func() bool {
		var v string
		if err := db.Raw("SELECT value FROM store_values WHERE namespace = 'sandbox' AND key = 'n'").Scan(&v).Error; err != nil {
			return false
		}
		n, err := strconv.ParseInt(v, 10, 64)
		return err == nil && n == 3
	}, "the change refused during the outage saved once the database was back")
	metrics := string(srv.call(t, http.StatusOK, http.MethodGet, "/metrics", nil).Body)
	if !strings.Contains(metrics, `mockarty_persist_failures_total{what="durable"}`) {
		t.Errorf("no mockarty_persist_failures_total{what=\"durable\"} in /metrics")
	}
	if !strings.Contains(srv.Stderr(), "persist store values and use counters") {
		t.Errorf("no warning was logged; stderr:\n%s", srv.Stderr())
	}
}
