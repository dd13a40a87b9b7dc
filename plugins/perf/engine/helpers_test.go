package engine

import (
	"context"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mockarty-oss/mockarty/sdk/outbound"
)

// loopback allows the local test servers.
var loopback = outbound.Policy{AllowPrivate: true}

// run compiles and runs src against local targets.
func run(t *testing.T, src string, cfg RunConfig) *Result {
	t.Helper()
	return runFiles(t, src, nil, cfg)
}

func runFiles(t *testing.T, src string, files FileReader, cfg RunConfig) *Result {
	t.Helper()
	p, err := Compile(src, "main.js", files)
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	if cfg.Outbound.Allow == nil && !cfg.Outbound.AllowPrivate {
		cfg.Outbound = loopback
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	res, err := Run(ctx, p, cfg, nil)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	return res
}

// value reads one aggregate of a metric, failing the test when absent.
func value(t *testing.T, res *Result, metric, agg string) float64 {
	t.Helper()
	m, ok := res.Metrics[metric]
	if !ok {
		t.Fatalf("no metric %q in %v", metric, keys(res.Metrics))
	}
	v, ok := m.Values[agg]
	if !ok {
		t.Fatalf("metric %q has no %q: %v", metric, agg, m.Values)
	}
	return v
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

func within(got, want, frac float64) bool {
	return math.Abs(got-want) <= want*frac
}

// allChecks returns every check in the result, flattened by path.
func allChecks(g Group) []Check {
	out := append([]Check(nil), g.Checks...)
	for _, s := range g.Groups {
		out = append(out, allChecks(s)...)
	}
	return out
}

// requireChecksPass fails for every check that failed and when there are
// fewer checks than expected.
func requireChecksPass(t *testing.T, res *Result, atLeast int) {
	t.Helper()
	cs := allChecks(res.RootGroup)
	if len(cs) < atLeast {
		t.Fatalf("want at least %d checks, got %d (errors: %v)", atLeast, len(cs), res.Errors)
	}
	for _, c := range cs {
		if c.Fails > 0 || c.Passes == 0 {
			t.Errorf("check %q: %d passed, %d failed", c.Path, c.Passes, c.Fails)
		}
	}
	if t.Failed() {
		t.Logf("errors: %v; logs: %v", res.Errors, res.Logs)
	}
}

// echoServer answers with the request as JSON and has a few special paths.
func echoServer(t *testing.T) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		hdr := map[string]string{}
		for k, v := range r.Header {
			hdr[k] = strings.Join(v, ",")
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Echo", "yes")
		if r.Method == http.MethodHead {
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"method": r.Method, "path": r.URL.Path, "query": r.URL.RawQuery, "headers": hdr, "body": string(body),
			"items": []map[string]any{{"id": 1}, {"id": 2}, {"id": 3}}})
	})
	mux.HandleFunc("/redirect", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/final", http.StatusFound)
	})
	mux.HandleFunc("/final", func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("final"))
	})
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(2 * time.Second):
		case <-r.Context().Done():
		}
	})
	mux.HandleFunc("/status/", func(w http.ResponseWriter, r *http.Request) {
		code, err := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/status/"))
		if err != nil || code < 100 || code > 999 {
			code = http.StatusBadRequest
		}
		w.WriteHeader(code)
	})
	mux.HandleFunc("/cookie", func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "session", Value: "abc", Path: "/"})
		_, _ = w.Write([]byte("ok"))
	})
	mux.HandleFunc("/bytes", func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte{0, 1, 2, 3, 255})
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}
