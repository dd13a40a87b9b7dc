package engine

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

func benchServer(b *testing.B) *httptest.Server {
	b.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"ok":true}`))
	}))
	b.Cleanup(srv.Close)
	return srv
}

// BenchmarkScriptIteration runs b.N iterations of a script doing one
// http.get and one check, on one VU; compare with BenchmarkPlainGoLoop.
func BenchmarkScriptIteration(b *testing.B) {
	srv := benchServer(b)
	p, err := Compile(fmt.Sprintf(`
import http from 'k6/http';
import { check } from 'k6';
export default function () {
  const r = http.get(%q);
  check(r, { 'status is 200': (r) => r.status === 200 });
}
`, srv.URL), "bench.js", nil)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	res, err := Run(context.Background(), p, RunConfig{Outbound: loopback, VUs: 1, Iterations: b.N}, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	if got := res.Metrics["checks"].Values["passes"]; got != float64(b.N) {
		b.Fatalf("checks passed %v of %d", got, b.N)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "iter/s")
}

// BenchmarkPlainGoLoop is the same request and status check in plain Go.
func BenchmarkPlainGoLoop(b *testing.B) {
	srv := benchServer(b)
	client := &http.Client{Transport: &http.Transport{DialContext: loopback.Dialer(), DisableCompression: true}}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		resp, err := client.Get(srv.URL)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("status %d", resp.StatusCode)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "iter/s")
}
