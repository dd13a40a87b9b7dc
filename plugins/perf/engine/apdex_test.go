package engine

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// TestApdex: requests answered within T satisfy, within 4T are tolerated,
// failed ones frustrate; the score is kept overall and per request name.
func TestApdex(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/slow":
			// the answer's delay is what is scored, so it cannot be a condition:
			// between T (500 ms) and 4T, a tolerated request
			time.Sleep(700 * time.Millisecond)
		case "/broken":
			w.WriteHeader(http.StatusInternalServerError)
		}
	}))
	defer srv.Close()
	res := run(t, fmt.Sprintf(`
import http from 'k6/http';
export const options = { iterations: 1 };
export default function () {
  http.get(%q + '/fast', { tags: { name: 'fast' } });
  http.get(%q + '/fast', { tags: { name: 'fast' } });
  http.get(%q + '/slow', { tags: { name: 'slow' } });
  http.get(%q + '/broken', { tags: { name: 'broken' } });
}
`, srv.URL, srv.URL, srv.URL, srv.URL), RunConfig{})
	a := res.Apdex
	if a == nil {
		t.Fatal("no apdex in the result")
	}
	if a.Samples != 4 || a.ThresholdMs != 500 || a.Score != (2+0.5)/4.0 {
		t.Errorf("apdex %+v, want 4 samples scoring (2 + 0.5)/4", a)
	}
	want := map[string]float64{"fast": 1, "slow": 0.5, "broken": 0}
	for route, score := range want {
		if got, ok := a.PerRoute[route]; !ok || got != score {
			t.Errorf("route %s: %v (present %v), want %v", route, got, ok, score)
		}
	}
}
