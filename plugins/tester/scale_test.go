package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mockarty-oss/mockarty/sdk/plugintest"
)

// heapInUse reads the host's live heap from its /metrics.
func heapInUse(t *testing.T, h *plugintest.HostProc) float64 {
	sc := bufio.NewScanner(bytes.NewReader(h.Get(t, "/metrics", http.StatusOK)))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "go_memstats_heap_inuse_bytes "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatal(err)
			}
			return f
		}
	}
	t.Fatal("no go_memstats_heap_inuse_bytes in /metrics")
	return 0
}

// bigCollection is a Postman collection of n requests, each with a test.
func bigCollection(name, target string, n int) string {
	var items []string
	for i := 0; i < n; i++ {
		items = append(items, fmt.Sprintf(`{"name":"r%d","request":{"method":"GET","url":"%s?i=%d"},
			"event":[{"listen":"test","script":{"exec":["pm.test(\"ok\", function () { pm.response.to.have.status(200); });"]}}]}`, i, target, i))
	}
	return `{"info":{"name":"` + name + `","schema":"https://schema.getpostman.com/json/collection/v2.1.0/collection.json"},"item":[` +
		strings.Join(items, ",") + `]}`
}

// TestTenThousandRequestsFlatMemory: a 10,000-request run is stored step
// by step as it goes; the host's heap does not grow with the run.
func TestTenThousandRequestsFlatMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("a 10,000-request run")
	}
	h := startTester(t)
	h.Post(t, "/api/v1/mocks", `{"id":"fast","http":{"route":"/fast","httpMethod":"GET"},"response":{"statusCode":200,"payload":{"ok":true}}}`,
		http.StatusCreated)
	target := h.URL + "/stubs/sandbox/fast"
	var imp struct {
		CollectionID string `json:"collectionId"`
		Imported     int    `json:"imported"`
	}
	const n = 10000
	call(t, h, "POST", "/api/v1/api-tester/import/postman", map[string]any{"data": bigCollection("big", target, n)}, http.StatusCreated, &imp)
	if imp.Imported != n {
		t.Fatalf("imported %d requests", imp.Imported)
	}
	var run sdkRunResult
	call(t, h, "POST", "/api/v1/api-tester/collections/"+imp.CollectionID+"/execute?wait=0", nil, http.StatusOK, &run)
	// Sample the heap while the run goes.
	var mu sync.Mutex
	var samples []float64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		for {
			select {
			case <-stop:
				return
			case <-time.After(250 * time.Millisecond):
			}
			v := heapInUse(t, h)
			mu.Lock()
			samples = append(samples, v)
			mu.Unlock()
		}
	}()
	var done sdkTestRun
	plugintest.Eventually(t, 10*time.Minute, func() bool {
		call(t, h, "GET", "/api/v1/api-tester/test-runs/"+run.ID, nil, http.StatusOK, &done)
		return done.Status == "completed" || done.Status == "failed"
	}, "the 10,000-request run ends")
	close(stop)
	<-sampled
	if done.Status != "completed" || done.TotalTests != n || done.PassedTests != n {
		t.Fatalf("run: %s, %d of %d tests passed: %s", done.Status, done.PassedTests, done.TotalTests, strings.SplitAfter(string(h.Get(t, "/api/v1/api-tester/test-runs/"+run.ID, 200)), "\"message\"")[1][:300])
	}
	if len(done.Results) != 1000 {
		t.Fatalf("a polled run carries at most 1,000 steps inline, got %d", len(done.Results))
	}
	// Every step is stored: the JSON export has all of them.
	var rep struct {
		Results []json.RawMessage `json:"results"`
	}
	if err := json.Unmarshal(h.Get(t, "/api/v1/api-tester/test-runs/"+run.ID+"/export", http.StatusOK), &rep); err != nil || len(rep.Results) != n {
		t.Fatalf("export: %v, %d steps", err, len(rep.Results))
	}
	// Flat: the heap late in the run is not above the heap early in it by
	// more than a bound far below what keeping 10,000 steps would take
	// (each step is about 1 KiB of JSON and several KiB decoded).
	mu.Lock()
	defer mu.Unlock()
	if len(samples) < 8 {
		t.Logf("only %d heap samples; the run was quick", len(samples))
		return
	}
	early, late := maxOf(samples[:len(samples)/4]), maxOf(samples[len(samples)*3/4:])
	t.Logf("host heap in use: early %.1f MiB, late %.1f MiB, %d samples", early/(1<<20), late/(1<<20), len(samples))
	if late-early > 24<<20 {
		t.Fatalf("the host's heap grew with the run: early %.1f MiB, late %.1f MiB", early/(1<<20), late/(1<<20))
	}
}

func maxOf(v []float64) float64 {
	m := 0.0
	for _, x := range v {
		m = max(m, x)
	}
	return m
}
