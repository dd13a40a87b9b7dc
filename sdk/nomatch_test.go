package sdk

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"
)

// NoMatch is the host's near-miss report: its JSON is what plugins show to
// callers, with the same fields as the host's own 404.
func TestNoMatchIsTheNearMissReport(t *testing.T) {
	in := `{"error":"no mock matches GET /x","code":"no_match","namespace":"qa","method":"GET","path":"/x","candidates":[{"mockId":"a","reason":"condition failed"}]}`
	var nm NoMatch
	if err := json.Unmarshal([]byte(in), &nm); err != nil {
		t.Fatal(err)
	}
	if nm.Message != "no mock matches GET /x" || nm.Code != "no_match" || nm.Namespace != "qa" || nm.Method != "GET" ||
		nm.Path != "/x" || string(nm.Candidates) != `[{"mockId":"a","reason":"condition failed"}]` {
		t.Fatalf("decoded %+v", nm)
	}
	out, err := json.Marshal(&nm)
	if err != nil || string(out) != in {
		t.Fatalf("encoded %s %v", out, err)
	}
	var err2 error = fmt.Errorf("find: %w", &nm)
	var got *NoMatch
	if !errors.As(err2, &got) || got.Error() != "no mock matches GET /x" || errors.Is(err2, ErrInvalidInput) {
		t.Fatalf("a wrapped NoMatch: %v", err2)
	}
	if (&NoMatch{}).Error() == "" {
		t.Fatal("a report without a message still says what happened")
	}
	if min, _ := json.Marshal(&NoMatch{Code: "no_match"}); string(min) != `{"error":"","code":"no_match","namespace":""}` {
		t.Fatalf("the fields a report always has: %s", min)
	}
}
