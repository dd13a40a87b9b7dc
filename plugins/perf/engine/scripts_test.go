package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestCompileErrorsCarryFileAndLine(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, src string
		files     MapFiles
		want      []string
	}{
		{"syntax error", "import http from 'k6/http';\nexport default function () {\n  let x = ;\n}\n", nil, []string{"main.js:3:", "SyntaxError"}},
		{"unknown module", "import { check } from 'k6';\nimport foo from 'k6/foo';\nexport default function () {}\n", nil, []string{"main.js:2", `unknown module "k6/foo"`}},
		{"remote module", "import x from 'https://jslib.k6.io/x.js';\nexport default function () {}\n", nil, []string{"main.js:1", "remote"}},
		{"missing local file", "import x from './lib.js';\nexport default function () {}\n", nil, []string{"main.js:1", "lib.js"}},
		{"syntax error in an import", "import { f } from './lib.js';\nexport default function () { f(); }\n", MapFiles{"lib.js": []byte("export function f() {\n  return (;\n}\n")}, []string{"lib.js:2:"}},
		{"import of a missing name", "import { nope } from 'k6/http';\nexport default function () {}\n", nil, []string{"nope"}},
		{"init exception", "const a = 1;\nthrow new Error('init broke');\nexport default function () {}\n", nil, []string{"init broke", "main.js:2"}},
		{"bad options", "export const options = { vus: 'many' };\nexport default function () {}\n", nil, []string{"options"}},
		{"bad executor", "export const options = { scenarios: { s: { executor: 'warp' } } };\nexport default function () {}\n", nil, []string{"unknown executor"}},
		{"missing exec", "export const options = { scenarios: { s: { executor: 'per-vu-iterations', exec: 'nothere' } } };\nexport default function () {}\n", nil, []string{"nothere"}},
		{"open outside init", "export default function () { open('x'); }\nexport function setup() {}\nopen('missing.txt');\n", nil, []string{"missing.txt", "main.js:3"}},
		{"typescript error", "let x: number = ;\nexport default function () {}\n", nil, []string{"main.ts:1:", "SyntaxError"}},
	}
	for _, c := range cases {
		name := "main.js"
		if strings.HasPrefix(c.name, "typescript") {
			name = "main.ts"
		}
		_, err := Compile(c.src, name, c.files)
		if err == nil {
			t.Errorf("%s: compiled", c.name)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q does not contain %q", c.name, err, w)
			}
		}
	}
}

func TestRuntimeErrorsAndFail(t *testing.T) {
	t.Parallel()
	res := run(t, `
import { fail } from 'k6';
import { Counter } from 'k6/metrics';
const after = new Counter('after_fail');
export const options = { iterations: 4 };
export default function () {
  if (__ITER % 2 === 0) {
    fail('bad iteration');
  }
  null.boom;
  after.add(1);
}
`, RunConfig{})
	if len(res.Errors) != 2 {
		t.Fatalf("want 2 distinct errors, got %v", res.Errors)
	}
	byMsg := map[string]int64{}
	for _, e := range res.Errors {
		byMsg[e.Message] = e.Count
	}
	var failMsg, typeMsg string
	for m := range byMsg {
		if strings.Contains(m, "bad iteration") {
			failMsg = m
		}
		if strings.Contains(m, "TypeError") {
			typeMsg = m
		}
	}
	if byMsg[failMsg] != 2 || !strings.Contains(failMsg, "main.js:8") {
		t.Errorf("fail(): %q ×%d, want 2 at main.js:8", failMsg, byMsg[failMsg])
	}
	if byMsg[typeMsg] != 2 || !strings.Contains(typeMsg, "main.js:10") {
		t.Errorf("runtime error: %q ×%d, want 2 at main.js:10", typeMsg, byMsg[typeMsg])
	}
	if _, ok := res.Metrics["after_fail"]; ok {
		t.Errorf("code after fail() ran")
	}
	// failed iterations still count as iterations, as in k6
	if got := value(t, res, "iterations", "count"); got != 4 {
		t.Errorf("iterations = %v", got)
	}
}

// A default function that never returns is interrupted at the end of the
// duration plus gracefulStop, and the run ends.
func TestEndlessIterationIsInterrupted(t *testing.T) {
	t.Parallel()
	res := run(t, `
export const options = { scenarios: { s: { executor: 'constant-vus', vus: 2, duration: '300ms', gracefulStop: '200ms' } } };
export default function () { while (true) {} }
`, RunConfig{})
	if _, ok := res.Metrics["iterations"]; ok {
		t.Errorf("interrupted iterations must not count: %v", res.Metrics["iterations"].Values)
	}
	if res.Status != StatusPassed || len(res.Errors) != 0 {
		t.Errorf("status %q errors %v", res.Status, res.Errors)
	}
	// a sleep or a request in flight is cut short the same way
	srv := echoServer(t)
	res = run(t, fmt.Sprintf(`
import http from 'k6/http';
import { sleep } from 'k6';
export const options = { scenarios: {
  a: { executor: 'per-vu-iterations', vus: 1, iterations: 1, maxDuration: '200ms', gracefulStop: '100ms', exec: 'sleeper' },
  b: { executor: 'per-vu-iterations', vus: 1, iterations: 1, maxDuration: '200ms', gracefulStop: '100ms', exec: 'slow' },
} };
export function sleeper() { sleep(3600); }
export function slow() { http.get(%q); }
`, srv.URL+"/slow"), RunConfig{})
	if _, ok := res.Metrics["iterations"]; ok {
		t.Errorf("interrupted iterations must not count")
	}
}

func TestThresholdsAbortOnFailStopsEarly(t *testing.T) {
	t.Parallel()
	res := run(t, `
import { check, sleep } from 'k6';
export const options = {
  vus: 2, iterations: 1000000,
  thresholds: { checks: [{ threshold: 'rate>0.9', abortOnFail: true, delayAbortEval: '500ms' }] },
};
export default function () { check(1, { 'always fails': (v) => v === 2 }); sleep(0.01); }
`, RunConfig{})
	if res.Status != StatusAborted || !strings.Contains(res.AbortReason, "rate>0.9") {
		t.Fatalf("status %q reason %q", res.Status, res.AbortReason)
	}
	if got := value(t, res, "iterations", "count"); got >= 1000000 {
		t.Errorf("the run was not stopped early: %v iterations", got)
	}
	if len(res.Thresholds) != 1 || res.Thresholds[0].OK || !res.Thresholds[0].AbortOnFail {
		t.Errorf("thresholds = %+v", res.Thresholds)
	}
}

func TestThresholdGrammar(t *testing.T) {
	t.Parallel()
	good := map[string][3]any{
		"p(95)<500":      {"p(95)", "<", 500.0},
		"p(99.9) <= 1.5": {"p(99.9)", "<=", 1.5},
		"rate<0.01":      {"rate", "<", 0.01},
		"count>10":       {"count", ">", 10.0},
		"avg<200":        {"avg", "<", 200.0},
		"med<150":        {"med", "<", 150.0},
		"min>0":          {"min", ">", 0.0},
		"max<3000":       {"max", "<", 3000.0},
		"value===3":      {"value", "===", 3.0},
		"count!=-1":      {"count", "!=", -1.0},
	}
	for expr, w := range good {
		agg, op, v, err := parseThreshold(expr)
		if err != nil || agg != w[0] || op != w[1] || v != w[2] {
			t.Errorf("%q: got %q %q %v %v", expr, agg, op, v, err)
		}
	}
	for _, bad := range []string{"", "p95<500", "p(95)", "avg<", "avg<abc", "foo>1", "p(101)<1x"} {
		if _, _, _, err := parseThreshold(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
	// an aggregation that does not fit the metric, and an unknown metric
	for _, src := range []string{
		`export const options = { thresholds: { http_reqs: ['p(95)<1'] } }; export default function () {}`,
		`export const options = { thresholds: { nope: ['count>1'] } }; export default function () {}`,
		`export const options = { thresholds: { 'http_reqs{bad}': ['count>1'] } }; export default function () {}`,
	} {
		p, err := Compile(src, "main.js", nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Run(context.Background(), p, RunConfig{Outbound: loopback}, nil); err == nil || !strings.Contains(err.Error(), "thresholds") {
			t.Errorf("%s: want a thresholds error, got %v", src, err)
		}
	}
}

func TestLifecycleSetupTeardownAndSummary(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		mu.Lock()
		seen = append(seen, r.URL.Path)
		mu.Unlock()
		_, _ = w.Write([]byte(`{"token":"t-123"}`))
	}))
	defer srv.Close()
	res := run(t, fmt.Sprintf(`
import http from 'k6/http';
import { check } from 'k6';
const base = %q;
export const options = { vus: 2, iterations: 4, thresholds: { http_req_duration: ['p(95)<5000'] } };
export function setup() {
  return { token: http.get(base + '/login').json().token, vu: __VU };
}
export default function (data) {
  check(data, { 'setup data': (d) => d.token === 't-123' && d.vu === 0 });
  data.mutated = true; // each VU has its own copy
  http.get(base + '/work');
}
export function teardown(data) {
  check(data, { 'teardown data is the original': (d) => d.token === 't-123' && d.mutated === undefined });
  http.get(base + '/logout');
}
export function handleSummary(data) {
  return {
    'stdout': 'reqs=' + data.metrics.http_reqs.values.count,
    'summary.json': JSON.stringify(data),
    'raw': { n: data.root_group.checks.length },
  };
}
`, srv.URL), RunConfig{})
	requireChecksPass(t, res, 2)
	mu.Lock()
	joined := strings.Join(seen, ",")
	mu.Unlock()
	if !strings.HasPrefix(joined, "/login,") || !strings.HasSuffix(joined, ",/logout") || strings.Count(joined, "/work") != 4 {
		t.Errorf("request order %s", joined)
	}
	if res.Outputs["stdout"] != "reqs=6" {
		t.Errorf("stdout output %q", res.Outputs["stdout"])
	}
	if res.Outputs["raw"] != `{"n":2}` {
		t.Errorf("object output %q", res.Outputs["raw"])
	}
	var data struct {
		Metrics map[string]struct {
			Type       string                     `json:"type"`
			Values     map[string]float64         `json:"values"`
			Thresholds map[string]map[string]bool `json:"thresholds"`
		} `json:"metrics"`
		State struct {
			TestRunDurationMs float64 `json:"testRunDurationMs"`
		} `json:"state"`
	}
	if err := json.Unmarshal([]byte(res.Outputs["summary.json"]), &data); err != nil {
		t.Fatalf("summary.json: %v", err)
	}
	d := data.Metrics["http_req_duration"]
	if d.Type != "trend" || d.Values["p(95)"] <= 0 || !d.Thresholds["p(95)<5000"]["ok"] {
		t.Errorf("summary http_req_duration = %+v", d)
	}
	if data.State.TestRunDurationMs <= 0 {
		t.Errorf("state = %+v", data.State)
	}
	if res.SummaryError != "" {
		t.Errorf("summary error %q", res.SummaryError)
	}
}

func TestDefaultTextSummaryAndHandleSummaryErrors(t *testing.T) {
	t.Parallel()
	res := run(t, `
import { check } from 'k6';
export const options = { iterations: 2, thresholds: { checks: ['rate==1'] } };
export default function () { check(1, { 'one is one': (v) => v === 1 }); }
`, RunConfig{})
	out := res.Outputs["stdout"]
	for _, w := range []string{"THRESHOLDS", "'rate==1'", "✓ one is one (2 passed, 0 failed)", "iterations", "status: passed"} {
		if !strings.Contains(out, w) {
			t.Errorf("text summary lacks %q:\n%s", w, out)
		}
	}
	res = run(t, `
export default function () {}
export function handleSummary() { throw new Error('summary broke'); }
`, RunConfig{})
	if !strings.Contains(res.SummaryError, "summary broke") || !strings.Contains(res.Outputs["stdout"], "METRICS") {
		t.Errorf("summary error %q, outputs %v", res.SummaryError, keys(res.Outputs))
	}
}

func TestSetupFailureStopsTheRun(t *testing.T) {
	t.Parallel()
	p, err := Compile(`
export function setup() { throw new Error('no backend'); }
export default function () {}
`, "main.js", nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Run(context.Background(), p, RunConfig{}, nil)
	if err == nil || !strings.Contains(err.Error(), "no backend") || !strings.Contains(err.Error(), "main.js:2") {
		t.Errorf("want the setup error with its line, got %v", err)
	}
}

func TestModulesOpenAndTypeScript(t *testing.T) {
	t.Parallel()
	files := MapFiles{
		"lib/util.js":    []byte("export function twice(x) { return x * 2; }\nexport const greeting = open('../data/hello.txt');\n"),
		"data/hello.txt": []byte("hello file"),
		"data/bin.dat":   []byte{1, 2, 3},
		"types.ts":       []byte("export interface User { name: string }\nexport function nameOf(u: User): string { return u.name; }\n"),
	}
	src := `
import { check } from 'k6';
import { twice, greeting } from './lib/util.js';
import { nameOf, type User } from './types.ts';
const text: string = open('./data/hello.txt');
const bin = open('data/bin.dat', 'b');
enum Color { Red = 'red' }
export const options = { iterations: 1 };
export default function (): void {
  const u: User = { name: 'ann' };
  check(null, {
    'import': () => twice(21) === 42,
    'open in a module resolves from its folder': () => greeting === 'hello file',
    'open text': () => text === 'hello file',
    'open binary': () => bin.byteLength === 3 && new Uint8Array(bin)[2] === 3,
    'typescript': () => nameOf(u) === 'ann' && Color.Red === 'red',
  });
}
`
	p, err := Compile(src, "main.ts", files)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(context.Background(), p, RunConfig{Outbound: loopback}, nil)
	if err != nil {
		t.Fatal(err)
	}
	requireChecksPass(t, res, 5)
	// runtime errors in TypeScript point at the .ts line through the source map
	p, err = Compile("export const options = { iterations: 1 };\nexport default function (): void {\n  const n: number = 1;\n  throw new Error('ts boom ' + n);\n}\n", "main.ts", nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err = Run(context.Background(), p, RunConfig{Outbound: loopback}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Errors) != 1 || !strings.Contains(res.Errors[0].Message, "main.ts:4") {
		t.Errorf("errors = %v", res.Errors)
	}
}

func TestOpenIsBounded(t *testing.T) {
	t.Parallel()
	big := make([]byte, MaxOpenBytes+1)
	_, err := Compile("const x = open('big.bin', 'b');\nexport default function () {}\n", "main.js", MapFiles{"big.bin": big})
	if err == nil || !strings.Contains(err.Error(), "more than") {
		t.Errorf("want a size error, got %v", err)
	}
}

func TestRunConfigOverridesAndEnv(t *testing.T) {
	t.Parallel()
	res := run(t, `
import { check } from 'k6';
export const options = { vus: Number(__ENV.VUS || 1), scenarios: { s: { executor: 'constant-vus', vus: 5, duration: '1h' } } };
export default function () { check(__ENV.MODE, { 'env': (m) => m === 'ci' }); }
`, RunConfig{VUs: 3, Iterations: 9, Env: map[string]string{"MODE": "ci", "VUS": "2"}, Thresholds: map[string][]string{"iterations": {"count==9", "count>100"}}})
	if got := value(t, res, "iterations", "count"); got != 9 {
		t.Errorf("iterations = %v, want the override 9", got)
	}
	if len(res.Thresholds) != 2 || !res.Thresholds[0].OK || res.Thresholds[1].OK || res.Status != StatusFailed {
		t.Errorf("run-config thresholds: %+v, status %q", res.Thresholds, res.Status)
	}
	if got := value(t, res, "vus_max", "value"); got != 3 {
		t.Errorf("vus_max = %v, want the override 3", got)
	}
	requireChecksPass(t, res, 1)
	if len(res.Scenarios) != 1 || res.Scenarios[0] != "default" {
		t.Errorf("scenarios = %v", res.Scenarios)
	}
}

func TestVULimit(t *testing.T) {
	t.Parallel()
	p, err := Compile("export const options = { vus: 50, duration: '1s' };\nexport default function () {}\n", "main.js", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Run(context.Background(), p, RunConfig{MaxVUs: 10}, nil); err == nil || !strings.Contains(err.Error(), "limit") {
		t.Errorf("want a VU limit error, got %v", err)
	}
}

// Cancelling the context ends the run gracefully, and Progress reports
// about once a second with the last series point.
func TestCancelAndProgress(t *testing.T) {
	t.Parallel()
	srv := quickServer(t)
	p, err := Compile(fmt.Sprintf(`
import http from 'k6/http';
import { sleep } from 'k6';
export const options = { vus: 2, duration: '1h' };
export default function () { http.get(%q); sleep(0.05); }
`, srv.URL), "main.js", nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var calls atomic.Int64
	var last atomic.Pointer[Progress]
	res, err := Run(ctx, p, RunConfig{Outbound: loopback}, func(pr Progress) {
		last.Store(&pr)
		if calls.Add(1) == 2 {
			cancel()
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != StatusPassed {
		t.Errorf("status %q", res.Status)
	}
	if calls.Load() < 2 {
		t.Fatalf("progress called %d times", calls.Load())
	}
	pr := last.Load()
	if pr.Requests == 0 || pr.Iterations == 0 || pr.VUsMax != 2 || pr.Elapsed <= 0 {
		t.Errorf("last progress = %+v", *pr)
	}
	if len(res.Series) < 2 || res.Series[0].Requests == 0 || res.Series[0].VUs != 2 || res.Series[0].P95 <= 0 {
		t.Errorf("series = %+v", res.Series)
	}
	if got := value(t, res, "iterations", "count"); got < 2 {
		t.Errorf("iterations = %v", got)
	}
}

func TestScriptFromConfig(t *testing.T) {
	t.Parallel()
	var n atomic.Int64
	var gotBody, gotHeader atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		gotBody.Store(string(b))
		gotHeader.Store(r.Header.Get("X-Key"))
		n.Add(1)
	}))
	defer srv.Close()
	src, err := ScriptFromConfig(ScriptConfig{URL: srv.URL + "/x", Method: "post", Headers: map[string]string{"X-Key": "v'\"</script>"},
		Body: "{\"a\":\"`${x}`\"}", VUs: 2, Duration: time.Second, RPS: 20, Thresholds: map[string][]string{"http_req_failed": {"rate<0.01"}}})
	if err != nil {
		t.Fatal(err)
	}
	res := run(t, src, RunConfig{})
	if got := value(t, res, "iterations", "count"); !within(got, 20, 0.05) {
		t.Errorf("iterations = %v, want 20 (20 rps for 1 s)", got)
	}
	if gotBody.Load() != "{\"a\":\"`${x}`\"}" || gotHeader.Load() != "v'\"</script>" {
		t.Errorf("server got body %q header %q", gotBody.Load(), gotHeader.Load())
	}
	if res.Status != StatusPassed || len(res.Thresholds) != 1 {
		t.Errorf("status %q thresholds %v", res.Status, res.Thresholds)
	}
	// without rps: constant VUs
	src, err = ScriptFromConfig(ScriptConfig{URL: srv.URL, VUs: 3, Duration: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	res = run(t, src, RunConfig{})
	if got := value(t, res, "vus_max", "value"); got != 3 {
		t.Errorf("vus_max = %v", got)
	}
	for _, bad := range []ScriptConfig{{URL: "ftp://x"}, {URL: "http://x", Method: "GE T"}, {URL: "http://x", VUs: -1}, {URL: "http://x", Thresholds: map[string][]string{"a": {"nope"}}}} {
		if _, err := ScriptFromConfig(bad); err == nil {
			t.Errorf("%+v: accepted", bad)
		}
	}
}

func TestAsyncDefaultRecursionAndInitMetrics(t *testing.T) {
	t.Parallel()
	srv := echoServer(t)
	res := run(t, fmt.Sprintf(`
import http from 'k6/http';
import { check } from 'k6';
import { Counter } from 'k6/metrics';
const early = new Counter('early');
early.add(1); // a sample from the init context of each VU
export const options = { vus: 2, iterations: 2 };
export default async function () {
  const r = await http.asyncRequest('GET', %q);
  check(r, { 'awaited response': (r) => r.status === 200 && r.json().path === '/async' });
  check(__VU, { '__VU is the VU id': (n) => n === 1 || n === 2 });
}
`, srv.URL+"/async"), RunConfig{})
	requireChecksPass(t, res, 2)
	if got := value(t, res, "early", "count"); got < 2 {
		t.Errorf("init-context samples = %v, want one per VU", got)
	}
	// a rejected promise is an iteration error with its location
	res = run(t, `
export default async function () {
  await null;
  throw new Error('async boom');
}
`, RunConfig{})
	if len(res.Errors) != 1 || !strings.Contains(res.Errors[0].Message, "async boom") || !strings.Contains(res.Errors[0].Message, "main.js:4") {
		t.Errorf("errors = %v", res.Errors)
	}
	// endless recursion stops at the call-stack limit instead of exhausting memory
	res = run(t, `
const deep = (n) => deep(n + 1);
export default function () {
  deep(0);
}
`, RunConfig{})
	if len(res.Errors) != 1 || !strings.Contains(res.Errors[0].Message, "call stack") || !strings.Contains(res.Errors[0].Message, "main.js:2") {
		t.Errorf("errors = %v", res.Errors)
	}
}

func TestOptionValidation(t *testing.T) {
	t.Parallel()
	for _, opts := range []string{
		`{ scenarios: { s: { executor: 'constant-arrival-rate', rate: 1, timeUnit: '1ns', duration: '1s', preAllocatedVUs: 1 } } }`,
		`{ scenarios: { s: { executor: 'constant-arrival-rate', rate: 10, duration: '1s' } } }`,
		`{ scenarios: { s: { executor: 'ramping-arrival-rate', preAllocatedVUs: 1, stages: [] } } }`,
		`{ scenarios: { s: { executor: 'ramping-vus', stages: [{ duration: '1s', target: -1 }] } } }`,
		`{ scenarios: { s: { executor: 'constant-vus', vus: 0, duration: '1s' } } }`,
		`{ scenarios: { s: { executor: 'per-vu-iterations', iterations: 0 } } }`,
		`{ scenarios: { s: { executor: 'constant-vus', vus: 1, duration: '-1s' } } }`,
		`{ vus: 1, duration: '1s', scenarios: { s: { executor: 'shared-iterations' } } }`,
		`{ duration: 'soon' }`,
	} {
		_, err := Compile("export const options = "+opts+";\nexport default function () {}\n", "main.js", nil)
		if err == nil {
			t.Errorf("%s: accepted", opts)
		}
	}
	for _, d := range []string{"30s", "1m30s", "1.5s", "2d", "1d12h", "250"} {
		if _, err := parseDuration(d); err != nil {
			t.Errorf("duration %q: %v", d, err)
		}
	}
}

// TestScriptMemoryLimit: a script that keeps everything it allocates is
// stopped at the memory limit with a clear reason, and the run ends.
func TestScriptMemoryLimit(t *testing.T) {
	t.Parallel()
	p, err := Compile(`
const kept = [];
export const options = { vus: 1, duration: '10m' };
export default function () {
  for (;;) { kept.push('x'.repeat(1 << 16) + Math.random()); }
}
`, "main.js", nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res, err := Run(ctx, p, RunConfig{Outbound: loopback, MaxMemoryBytes: 256 << 20}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != StatusAborted || !strings.Contains(res.AbortReason, "memory passed the limit of 256 MiB") {
		t.Fatalf("status %q, reason %q", res.Status, res.AbortReason)
	}
	if ctx.Err() != nil {
		t.Fatal("the run went on past the limit")
	}
}
