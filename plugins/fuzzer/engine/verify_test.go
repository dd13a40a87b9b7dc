package engine

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// TestVerifyFindings: with options.verifyFindings a finding is reported
// only when its request, sent again, shows it again: a target that fails
// once per input is not reported, one that fails every time is.
func TestVerifyFindings(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]bool{}
	flaky := func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query().Get("q")
		mu.Lock()
		first := !seen[q]
		seen[q] = true
		mu.Unlock()
		if strings.Contains(q, "'") && first {
			http.Error(w, "transient", http.StatusInternalServerError)
			return
		}
		_, _ = w.Write([]byte(`{"ok":true}`))
	}
	always := func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.Query().Get("q"), "'") {
			http.Error(w, "broken", http.StatusInternalServerError)
			return
		}
		_, _ = w.Write([]byte(`{"ok":true}`))
	}
	for _, c := range []struct {
		name    string
		handler http.HandlerFunc
		verify  bool
		want    int
	}{{"flaky", flaky, false, 1}, {"flaky", flaky, true, 0}, {"always", always, true, 1}} {
		mu.Lock()
		clear(seen)
		mu.Unlock()
		srv := httptest.NewServer(c.handler)
		res, err := Run(context.Background(), Config{TargetBaseURL: srv.URL, Categories: []string{"sqli"},
			Seeds:   []Seed{{ID: "s", Path: "/search", QueryParams: map[string]string{"q": "phone"}}},
			Options: Options{VerifyFindings: c.verify, MaxRequests: 500}}, noRedirects(), nil)
		srv.Close()
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Findings) != c.want || (c.verify && c.want == 0 && res.Unverified == 0) {
			t.Fatalf("%s target, verifyFindings %v: %d findings (want %d), %d unverified", c.name, c.verify, len(res.Findings), c.want, res.Unverified)
		}
	}
}
