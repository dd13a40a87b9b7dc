package engine

import (
	"context"
	"fmt"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/mockarty-oss/mockarty/plugins/fuzzer/internal/target"
)

// BenchmarkTenThousandRequests: a run with a budget of 10,000 requests
// against the vulnerable target (its ten operations seeded over and
// over), reporting the request rate and the time to the first finding.
// Its timeoutPerReq (2s) skips the time-based check, which waits on the
// target: nine of the ten planted bugs are found.
//
//	cd plugins/fuzzer && go test -run '^$' -bench TenThousand -benchtime 1x ./engine
func BenchmarkTenThousandRequests(b *testing.B) {
	h, err := target.New(true, b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	spec, err := loadSpec(target.Spec())
	if err != nil {
		b.Fatal(err)
	}
	var seeds []Seed
	for i := 0; len(seeds) < 200; i++ {
		for _, s := range spec.seeds() {
			s.ID = fmt.Sprintf("%s-%d", s.ID, i)
			seeds = append(seeds, s)
		}
	}
	canary := &testCanary{hits: map[string]bool{}}
	canary.srv = httptest.NewServer(canary)
	defer canary.srv.Close()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		var first time.Duration
		var once sync.Once
		res, err := Run(context.Background(), Config{TargetBaseURL: srv.URL, Seeds: seeds, OpenAPISpec: target.Spec(), Canary: canary,
			Options: Options{AuthHeader: "Bearer " + target.Token, MaxRequests: 10_000, Concurrency: 16, TimeoutPerReq: 2 * time.Second}}, noRedirects(),
			func(e Event) {
				if e.Kind == "finding" {
					once.Do(func() { first = time.Since(start) })
				}
			})
		elapsed := time.Since(start)
		if err != nil {
			b.Fatal(err)
		}
		if res.TotalRequests != 10_000 || len(res.Findings) != 9 {
			b.Fatalf("%d requests, %d findings", res.TotalRequests, len(res.Findings))
		}
		b.ReportMetric(float64(res.TotalRequests)/elapsed.Seconds(), "req/s")
		b.ReportMetric(float64(first.Microseconds())/1000, "ms-to-first-finding")
		b.ReportMetric(elapsed.Seconds(), "s-total")
	}
}
