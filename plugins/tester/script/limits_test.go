package script

import (
	"context"
	"strings"
	"testing"
	"time"
)

// afterwards checks that the sandbox still runs scripts normally.
func afterwards(t *testing.T, sb *Sandbox) {
	t.Helper()
	res := runTest(t, sb, jsonResponse(`{"ok":true}`), `pm.test("still works", function () { pm.expect(pm.response.json().ok).to.be.true; });`)
	expectClean(t, res)
	if tr := testByName(t, res, "still works"); !tr.Passed {
		t.Fatalf("next run failed: %s", tr.Error)
	}
}

func TestInfiniteLoopTimesOut(t *testing.T) {
	sb := newTestSandbox(t, Limits{Timeout: 200 * time.Millisecond})
	res := runTest(t, sb, jsonResponse(`{}`),
		`pm.test("before", function () {}); while (true) {}`,
		`pm.test("next script still runs", function () {});`)
	if !strings.Contains(res.Error, "test script 1 of 2: script timed out after 200ms") {
		t.Fatalf("error = %q", res.Error)
	}
	if len(res.Tests) != 2 || res.Tests[1].Name != "next script still runs" {
		t.Errorf("tests %+v", res.Tests)
	}
	afterwards(t, sb)
}

func TestEndlessIntervalTimesOut(t *testing.T) {
	sb := newTestSandbox(t, Limits{Timeout: 200 * time.Millisecond})
	res := runTest(t, sb, jsonResponse(`{}`), `setInterval(function () {}, 10);`)
	if !strings.Contains(res.Error, "script timed out after 200ms") {
		t.Fatalf("error = %q", res.Error)
	}
	afterwards(t, sb)
}

func TestTimeoutInsideTest(t *testing.T) {
	// the interrupt cannot be caught by pm.test's try/catch or the script's own
	sb := newTestSandbox(t, Limits{Timeout: 200 * time.Millisecond})
	res := runTest(t, sb, jsonResponse(`{}`), `try { pm.test("spins", function () { for (;;) {} }); } catch (e) {} pm.test("unreached", function () {});`)
	if !strings.Contains(res.Error, "timed out") || len(res.Tests) != 0 {
		t.Fatalf("result %+v", res)
	}
	afterwards(t, sb)
}

func TestMemoryLimit(t *testing.T) {
	sb := newTestSandbox(t, Limits{Memory: 64 << 20, Timeout: 30 * time.Second})
	res := runTest(t, sb, jsonResponse(`{}`),
		`let a = []; while (true) a.push('x'.repeat(1e6))`,
		`pm.test("not reached: the run stops", function () {});`)
	if !strings.Contains(res.Error, "test script 1 of 2: script stopped: it exceeded the memory limit of 64 MiB") {
		t.Fatalf("error = %q", res.Error)
	}
	if len(res.Tests) != 0 {
		t.Errorf("tests after a memory stop: %+v", res.Tests)
	}
	afterwards(t, sb)
}

func TestMemoryLimitKeptInGlobal(t *testing.T) {
	// the hog keeps its data in an implicit global; replacing the runtime frees it
	sb := newTestSandbox(t, Limits{Memory: 64 << 20, Timeout: 30 * time.Second})
	res := runTest(t, sb, jsonResponse(`{}`), `hog = []; for (;;) hog.push('y'.repeat(1e6));`)
	if !strings.Contains(res.Error, "exceeded the memory limit") {
		t.Fatalf("error = %q", res.Error)
	}
	res = runTest(t, sb, jsonResponse(`{}`), `pm.test("fresh runtime", function () { pm.expect(typeof hog).to.equal("undefined"); });`)
	expectClean(t, res)
	if tr := testByName(t, res, "fresh runtime"); !tr.Passed {
		t.Fatal(tr.Error)
	}
}

func TestSyntaxErrorReportsLine(t *testing.T) {
	sb := newTestSandbox(t, Limits{})
	res := runTest(t, sb, jsonResponse(`{}`), "pm.test('a', function () {});\nvar x = ;\n", `pm.test("second script runs", function () {});`)
	if !strings.Contains(res.Error, "test script 1 of 2: SyntaxError") || !strings.Contains(res.Error, "line 2") {
		t.Fatalf("error = %q", res.Error)
	}
	if len(res.Tests) != 1 || res.Tests[0].Name != "second script runs" {
		t.Errorf("tests %+v", res.Tests)
	}
	res = runTest(t, sb, jsonResponse(`{}`), "var ok = 1;\n\n  undefinedCall();")
	if !strings.Contains(res.Error, "ReferenceError: undefinedCall is not defined") || !strings.Contains(res.Error, "line 3") {
		t.Errorf("runtime error = %q", res.Error)
	}
	if res.Errors[0].Async {
		t.Error("a plain thrown error is not async")
	}
	afterwards(t, sb)
}

func TestTopLevelReturn(t *testing.T) {
	sb := newTestSandbox(t, Limits{})
	res := runTest(t, sb, jsonResponse(`{}`), `if (pm.response.code === 200) { return; } pm.test("unreached", function () {});`)
	expectClean(t, res)
	if len(res.Tests) != 0 {
		t.Errorf("tests %+v", res.Tests)
	}
}

func TestCancelInterrupts(t *testing.T) {
	sb := newTestSandbox(t, Limits{Timeout: time.Minute})
	// The context ends while the endless loop runs (no sleep: its deadline).
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	res := sb.Run(ctx, &Exec{Scripts: []string{`for (;;) {}`, `pm.test("skipped", function () {});`}, Request: &Request{URL: "http://x"}, Response: jsonResponse(`{}`)})
	if !strings.Contains(res.Error, "canceled") || len(res.Tests) != 0 {
		t.Fatalf("result %+v", res)
	}
	afterwards(t, sb)
}

func TestClosedAndNil(t *testing.T) {
	sb, err := NewSandbox(Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if res := sb.Run(context.Background(), nil); !strings.Contains(res.Error, "nil Exec") {
		t.Errorf("nil exec: %q", res.Error)
	}
	sb.Close()
	if res := sb.Run(context.Background(), &Exec{Scripts: []string{"1"}}); !strings.Contains(res.Error, "closed") {
		t.Errorf("closed: %q", res.Error)
	}
}

func TestTooManyTimers(t *testing.T) {
	sb := newTestSandbox(t, Limits{})
	res := runTest(t, sb, jsonResponse(`{}`), `for (var i = 0; i < 5000; i++) setTimeout(function () {}, 0);`)
	if !strings.Contains(res.Error, "too many timers") {
		t.Fatalf("error = %q", res.Error)
	}
	afterwards(t, sb)
}

func TestSyntaxErrorFirstLineColumn(t *testing.T) {
	sb := newTestSandbox(t, Limits{})
	res := runTest(t, sb, jsonResponse(`{}`), "var = 1;")
	if !strings.Contains(res.Error, "(line 1, column 5)") {
		t.Fatalf("error = %q", res.Error)
	}
}
