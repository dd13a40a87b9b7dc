package engine

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/mockarty-oss/mockarty/plugins/fuzzer/internal/target"
)

// TestGRPCSource: server reflection gives a seed per method with sample
// values; fuzzing the request messages through the gRPC transport finds
// the two planted bugs of the vulnerable twin (an SQL error in a status
// message, an Internal on a non-numeric id) as one finding each, named by
// their method, and nothing on the clean twin.
func TestGRPCSource(t *testing.T) {
	for _, vulnerable := range []bool{true, false} {
		srv, err := target.StartGRPC(vulnerable)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(srv.Stop)
		g := NewGRPC(nil)
		t.Cleanup(g.Close)
		seeds, skipped, err := g.GRPCSeeds(context.Background(), srv.Addr, false, nil, nil)
		if err != nil || len(skipped) != 0 {
			t.Fatal(err, skipped)
		}
		if len(seeds) != 2 || seeds[0].Operation != "grpc shop.v1.Catalog/GetItem" || seeds[0].Body != `{"id":"1"}` ||
			seeds[1].URL != "grpc://"+srv.Addr+"/shop.v1.Catalog/Search" || seeds[1].Body != `{"query":"fuzz","limit":1}` {
			t.Fatalf("seeds: %+v", seeds)
		}
		res, err := Run(context.Background(), Config{Strategy: "all", Categories: []string{"sqli", "type_confusion", "boundary_values"}, Seeds: seeds,
			Transports: Transports{"grpc": g}, Options: Options{MaxRequests: 3000}}, http.DefaultClient, nil)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, f := range res.Findings {
			parts := strings.Split(f.Fingerprint, "|")
			got = append(got, strings.Join(parts[:3], "|"))
		}
		want := ""
		if vulnerable {
			want = "grpc shop.v1.Catalog/GetItem|500_error|500,grpc shop.v1.Catalog/Search|sqli|500"
		}
		slices.Sort(got)
		if strings.Join(got, ",") != want {
			for _, f := range res.Findings {
				t.Log(f.Fingerprint, " ", f.MutationApplied)
			}
			t.Fatalf("vulnerable %v: findings %v", vulnerable, got)
		}
		if res.TotalRequests < 20 {
			t.Fatalf("only %d requests", res.TotalRequests)
		}
		// Replay through the transport says whether it still fails.
		for _, f := range res.Findings {
			if r := Replay(context.Background(), http.DefaultClient, Transports{"grpc": g}, f, 0); !r.StillFails || r.StatusCode != 500 {
				t.Fatalf("replay of %s: %+v", f.Fingerprint, r)
			}
		}
	}
	g := NewGRPC(nil)
	if _, _, err := g.GRPCSeeds(context.Background(), "127.0.0.1:1", false, nil, nil); err == nil {
		t.Fatal("a server that is not there gives seeds")
	}
}
