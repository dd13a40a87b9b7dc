package engine

import (
	"context"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestCrashesAndEmptyAnswers: a handler that panics on an input (net/http
// drops the connection) and one that answers 200 with nothing are each
// one finding of category empty_response; their replays still fail.
func TestCrashesAndEmptyAnswers(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if strings.ContainsAny(q.Get("name"), "%'") {
			panic("unexpected input") // net/http recovers and closes the connection
		}
		if strings.Contains(q.Get("tag"), "'") {
			return // 200 with no body
		}
		_, _ = w.Write([]byte(`{"ok":true}`))
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the planted panics
	srv.Start()
	defer srv.Close()
	res, err := Run(context.Background(), Config{TargetBaseURL: srv.URL, Categories: []string{"sqli"},
		Seeds:   []Seed{{ID: "s", Path: "/x", QueryParams: map[string]string{"name": "ann", "tag": "a"}}},
		Options: Options{MaxRequests: 500}}, noRedirects(), nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range res.Findings {
		got = append(got, strings.Join(strings.Split(f.Fingerprint, "|")[1:], "|"))
		if r := Replay(context.Background(), noRedirects(), nil, f, 0); !r.StillFails {
			t.Errorf("replay of %s: %+v", f.Fingerprint, r)
		}
	}
	if strings.Join(got, ",") != "empty_response|0|dropped,empty_response|200|empty" && strings.Join(got, ",") != "empty_response|200|empty,empty_response|0|dropped" {
		for _, f := range res.Findings {
			t.Log(f.Fingerprint, " ", f.MutationApplied, " ", f.Description)
		}
		t.Fatalf("findings: %v", got)
	}
}
