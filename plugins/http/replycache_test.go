package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"

	"github.com/mockarty-oss/mockarty/sdk/plugintest"
)

// The listener answers a static mock's repeated calls from its reply
// cache, and nothing a user can see tells: every call is in the mock's
// log and counter as soon as the API is asked, a change through the API
// is served by the very next call, and a mock whose answer varies is
// never cached.
func TestReplyCacheIsInvisible(t *testing.T) {
	h := plugintest.StartHost(t, plugintest.HostOptions{Plugins: map[string]plugintest.PluginSpec{
		"http": {Dir: ".", Settings: `{"addresses": ["127.0.0.1:0"]}`}}, Env: []string{"REPO_LOG_LIMIT=1000"}})
	addr := "http://" + h.Addresses(t, "http")[0]
	get := func(path string) (int, string) {
		t.Helper()
		res, err := http.Get(addr + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	h.Post(t, "/api/v1/mocks", `{"id":"fixed","http":{"route":"/fixed","httpMethod":"GET"},"response":{"statusCode":200,"payload":{"v":1}}}`, http.StatusCreated)
	h.Post(t, "/api/v1/mocks", `{"id":"varies","http":{"route":"/varies","httpMethod":"GET"},"response":{"statusCode":200,"payload":{"id":"$.fake.UUID"}}}`, http.StatusCreated)

	const calls = 200
	var wg sync.WaitGroup
	errs := make(chan string, calls)
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < calls/4; j++ {
				res, err := http.Get(addr + "/fixed")
				if err != nil {
					errs <- err.Error()
					return
				}
				b, _ := io.ReadAll(res.Body)
				res.Body.Close()
				if res.StatusCode != 200 || string(b) != `{"v":1}` {
					errs <- fmt.Sprintf("%d %s", res.StatusCode, b)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Fatalf("a call of the static mock: %s", e)
	}
	if hits := int(h.Metric(t, "mockarty_plugin_reply_cache_hits_total")); hits < calls/2 {
		t.Fatalf("%d of %d calls answered from the reply cache; want most", hits, calls)
	}

	// Every call is in the log and the counter the moment the API is asked.
	var logs struct{ Total int }
	if err := json.Unmarshal(h.Get(t, "/api/v1/mocks/fixed/logs", http.StatusOK), &logs); err != nil || logs.Total != calls {
		t.Fatalf("logs of the static mock: %d, want %d (%v)", logs.Total, calls, err)
	}
	var m struct{ UseCounter int }
	if err := json.Unmarshal(h.Get(t, "/api/v1/mocks/fixed", http.StatusOK), &m); err != nil || m.UseCounter != calls {
		t.Fatalf("use counter: %d, want %d (%v)", m.UseCounter, calls, err)
	}

	// A change is served by the next call.
	for v := 2; v <= 6; v++ {
		// Saved again (an upsert) and patched, in turn.
		method, path := http.MethodPost, "/api/v1/mocks"
		if v%2 == 1 {
			method, path = http.MethodPatch, "/api/v1/mocks/fixed"
		}
		if st, b := h.Request(t, method, path, "application/json", fmt.Sprintf(`{"id":"fixed","http":{"route":"/fixed","httpMethod":"GET"},"response":{"statusCode":200,"payload":{"v":%d}}}`, v)); st/100 != 2 {
			t.Fatalf("%s %s: %d %s", method, path, st, b)
		}
		for i := 0; i < 3; i++ {
			if st, b := get("/fixed"); st != 200 || b != fmt.Sprintf(`{"v":%d}`, v) {
				t.Fatalf("after the change to v=%d: %d %s", v, st, b)
			}
		}
	}
	h.Do(t, http.MethodDelete, "/api/v1/mocks/fixed", "", http.StatusOK)
	if st, b := get("/fixed"); st != http.StatusNotFound {
		t.Fatalf("after the delete: %d %s", st, b)
	}

	// A template answers anew every time.
	seen := map[string]bool{}
	for i := 0; i < 5; i++ {
		st, b := get("/varies")
		if st != 200 || seen[b] {
			t.Fatalf("templated mock, call %d: %d %s (seen before: %v)", i, st, b, seen[b])
		}
		seen[b] = true
	}
}
