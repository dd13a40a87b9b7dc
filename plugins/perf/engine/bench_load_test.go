package engine

import (
	"context"
	"os"
	"testing"
	"time"
)

// BenchmarkLoadScript runs 32 VUs of the one-request script for 5 s against
// PERF_BENCH_TARGET (a server in another process, e.g. bench/bare), so a CPU
// profile shows the load generator alone. Skipped without the variable.
func BenchmarkLoadScript(b *testing.B) {
	target := os.Getenv("PERF_BENCH_TARGET")
	if target == "" {
		b.Skip("PERF_BENCH_TARGET is not set")
	}
	p, err := Compile(`
import http from 'k6/http';
import { check } from 'k6';
export default function () {
  const r = http.get(__ENV.TARGET);
  check(r, { 'status is 200': (r) => r.status === 200 });
}
`, "bench.js", nil)
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < b.N; i++ {
		res, err := Run(context.Background(), p, RunConfig{Outbound: loopback, VUs: 32, Duration: 5 * time.Second, Env: map[string]string{"TARGET": target}}, nil)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(res.Metrics["http_reqs"].Values["rate"], "req/s")
	}
}

// BenchmarkLoadScriptless is BenchmarkLoadScript without a script: the
// request of a perf config, sent from Go.
func BenchmarkLoadScriptless(b *testing.B) {
	target := os.Getenv("PERF_BENCH_TARGET")
	if target == "" {
		b.Skip("PERF_BENCH_TARGET is not set")
	}
	p, _, err := CompileConfig(ScriptConfig{URL: target, VUs: 32, Duration: 5 * time.Second})
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < b.N; i++ {
		res, err := Run(context.Background(), p, RunConfig{Outbound: loopback}, nil)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(res.Metrics["http_reqs"].Values["rate"], "req/s")
	}
}
