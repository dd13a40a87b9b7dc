package script

import (
	"context"
	"fmt"
	"testing"
)

// BenchmarkRun1000Scripts runs 1,000 distinct test scripts of five assertions
// each, one Run per script, in one Sandbox: a 1,000-request collection run.
func BenchmarkRun1000Scripts(b *testing.B) {
	sb := newTestSandbox(b, Limits{})
	scripts := make([]string, 1000)
	for i := range scripts {
		scripts[i] = fmt.Sprintf(`
pm.test("status %d", function () { pm.response.to.have.status(200); });
pm.test("json %d", function () { var j = pm.response.json(); pm.expect(j.id).to.equal(7); pm.expect(j.tags).to.include("b"); });
pm.test("header %d", function () { pm.response.to.have.header("Content-Type"); });
pm.test("time %d", function () { pm.expect(pm.response.responseTime).to.be.below(1000); });
pm.environment.set("last", %d);
`, i, i, i, i, i)
	}
	resp := jsonResponse(`{"id":7,"name":"Ada","tags":["a","b"]}`)
	scopes := &Scopes{Environment: NewVars()}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		for i, src := range scripts {
			res := sb.Run(ctx, &Exec{
				Scripts: []string{src}, Scopes: scopes, Response: resp,
				Request: &Request{Method: "GET", URL: "http://api.test/things/7"},
				Info:    Info{EventName: "test", RequestName: "r", Iteration: i},
			})
			if res.Error != "" || len(res.Tests) != 4 || !res.Tests[3].Passed {
				b.Fatalf("script %d: %+v", i, res)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(scripts)), "ns/script")
}
