package script

import (
	"context"
	"strings"
	"testing"
	"time"
)

// newTestSandbox returns a Sandbox closed when the test ends.
func newTestSandbox(t testing.TB, l Limits) *Sandbox {
	t.Helper()
	sb, err := NewSandbox(l)
	if err != nil {
		t.Fatalf("NewSandbox: %v", err)
	}
	t.Cleanup(sb.Close)
	return sb
}

// jsonResponse is a typical 200 JSON response for test scripts.
func jsonResponse(body string) *Response {
	return &Response{
		Code: 200, Status: "200 OK",
		Headers: []Header{{Key: "Content-Type", Value: "application/json; charset=utf-8"}, {Key: "X-Trace", Value: "abc"}},
		Body:    []byte(body), Time: 42 * time.Millisecond,
	}
}

// runTest runs one test script against resp.
func runTest(t testing.TB, sb *Sandbox, resp *Response, scripts ...string) Result {
	t.Helper()
	return sb.Run(context.Background(), &Exec{
		Scripts:  scripts,
		Request:  &Request{ID: "r1", Name: "Get thing", Method: "GET", URL: "http://api.test/things/1"},
		Response: resp,
		Scopes:   &Scopes{},
		Info:     Info{EventName: "test", Iteration: 0, IterationCount: 1, RequestName: "Get thing", RequestID: "r1"},
	})
}

// counts returns passed, failed and skipped tests.
func counts(r Result) (passed, failed, skipped int) {
	for _, tr := range r.Tests {
		switch {
		case tr.Skipped:
			skipped++
		case tr.Passed:
			passed++
		default:
			failed++
		}
	}
	return
}

// testByName finds a test result or fails.
func testByName(t testing.TB, r Result, name string) TestResult {
	t.Helper()
	for _, tr := range r.Tests {
		if tr.Name == name {
			return tr
		}
	}
	t.Fatalf("no test %q in %+v", name, r.Tests)
	return TestResult{}
}

// expectClean fails when the run reported a script error.
func expectClean(t testing.TB, r Result) {
	t.Helper()
	if r.Error != "" {
		t.Fatalf("unexpected script error: %s (logs %v)", r.Error, r.Logs)
	}
}

// failedNames lists the failed tests with their errors, for messages.
func failedNames(r Result) string {
	var b strings.Builder
	for _, tr := range r.Tests {
		if !tr.Passed {
			b.WriteString(tr.Name + ": " + tr.Error + "\n")
		}
	}
	return b.String()
}
