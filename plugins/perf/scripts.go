package main

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/mockarty-oss/mockarty/plugins/perf/engine"
)

// requestSpec is one request a generated script sends.
type requestSpec struct {
	Name    string            `json:"name"`
	Method  string            `json:"method"`
	URL     string            `json:"url"`
	Headers map[string]string `json:"headers"`
	Body    string            `json:"body"`
}

// requestsScript describes a script that sends its requests in order, each
// in a group with a status check, in every iteration.
type requestsScript struct {
	Requests   []requestSpec
	VUs        int
	Duration   time.Duration
	Thresholds map[string][]string
	// Sleep is the pause after each request, in seconds (think time).
	Sleep float64
}

// Limits of generated scripts: the host refuses run scripts over 4 MiB, and
// the 24 h and 10,000 VUs are those of a run without a script.
const (
	maxScriptRequests = 5000
	maxGeneratedBytes = 4 << 20
	maxScriptVUs      = 10_000
	maxScriptDuration = 24 * time.Hour
	maxSleepSeconds   = 600
	maxGroupName      = 200
	defaultVUs        = 1
	defaultDuration   = 30 * time.Second
)

// lit writes v as a JSON literal, which is valid JavaScript: encoding/json
// escapes <, >, &, U+2028 and U+2029.
func lit(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return "null" // only strings, numbers and maps of them are written
	}
	return string(b)
}

// checkURL accepts absolute http and https URLs.
func checkURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("url must be an absolute http or https URL, got %q", raw)
	}
	return nil
}

// normMethod upper-cases a method; "" is GET.
func normMethod(m string) (string, error) {
	method := strings.ToUpper(strings.TrimSpace(m))
	if method == "" {
		return "GET", nil
	}
	if len(method) > 32 {
		return "", fmt.Errorf("invalid method %q", m)
	}
	for _, c := range method {
		if (c < 'A' || c > 'Z') && c != '-' && c != '_' {
			return "", fmt.Errorf("invalid method %q", m)
		}
	}
	return method, nil
}

// checkHeader refuses what no HTTP client can send: a name that is not a
// token, a value with a line break or NUL.
func checkHeader(name, value string) error {
	if name == "" {
		return fmt.Errorf("a header has no name")
	}
	for _, c := range name {
		if c <= ' ' || c >= 0x7f || strings.ContainsRune(`"(),/:;<=>?@[\]{}`, c) {
			return fmt.Errorf("header name %q is not an HTTP token", name)
		}
	}
	if strings.ContainsAny(value, "\r\n\x00") {
		return fmt.Errorf("header %q: the value holds a line break or NUL", name)
	}
	return nil
}

// checkThresholds validates k6 threshold expressions. The engine's parsers
// are its own; ScriptFromConfig runs them on a stand-in request, so the
// rules stay in one place.
func checkThresholds(th map[string][]string) error {
	if len(th) == 0 {
		return nil
	}
	_, err := engine.ScriptFromConfig(engine.ScriptConfig{URL: "http://localhost/", Thresholds: th})
	return err
}

// groupName is a request's group: its name, else "METHOD /path"; k6
// refuses "::" in group names (it separates group paths).
func groupName(r requestSpec, method string) string {
	name := strings.Join(strings.Fields(r.Name), " ")
	if name == "" {
		p := "/"
		if u, err := url.Parse(r.URL); err == nil && u.Path != "" {
			p = u.Path
		}
		name = method + " " + p
	}
	name = strings.ReplaceAll(name, "::", ":")
	if len(name) > maxGroupName {
		cut := maxGroupName
		for cut > 0 && !utf8Start(name[cut]) {
			cut--
		}
		name = name[:cut] + "…"
	}
	return name
}

// utf8Start reports whether b starts a UTF-8 sequence (so a cut there
// keeps the text valid).
func utf8Start(b byte) bool { return b&0xC0 != 0x80 }

// scriptFromRequests writes a k6 script that sends the requests in order
// in each iteration, each in a group(name) with a check that its status is
// below 400. Values are embedded as JSON literals.
func scriptFromRequests(cfg requestsScript) (string, error) {
	switch {
	case len(cfg.Requests) == 0:
		return "", fmt.Errorf("requests: give at least one request")
	case len(cfg.Requests) > maxScriptRequests:
		return "", fmt.Errorf("requests: at most %d requests, got %d", maxScriptRequests, len(cfg.Requests))
	case cfg.VUs < 0 || cfg.VUs > maxScriptVUs:
		return "", fmt.Errorf("vus must be 0..%d", maxScriptVUs)
	case cfg.Duration < 0 || cfg.Duration > maxScriptDuration:
		return "", fmt.Errorf("duration must be between 0 and %s", maxScriptDuration)
	case cfg.Sleep < 0 || cfg.Sleep > maxSleepSeconds || cfg.Sleep != cfg.Sleep:
		return "", fmt.Errorf("sleep must be 0..%d seconds", maxSleepSeconds)
	}
	if err := checkThresholds(cfg.Thresholds); err != nil {
		return "", fmt.Errorf("thresholds: %w", err)
	}
	vus, dur := cfg.VUs, cfg.Duration
	if vus == 0 {
		vus = defaultVUs
	}
	if dur == 0 {
		dur = defaultDuration
	}
	options := map[string]any{"vus": vus, "duration": dur.String()}
	if len(cfg.Thresholds) > 0 {
		options["thresholds"] = cfg.Thresholds
	}
	var b strings.Builder
	fmt.Fprintf(&b, "// Generated by Mockarty: each iteration sends %d request(s) in order.\n", len(cfg.Requests))
	b.WriteString("import http from 'k6/http';\n")
	if cfg.Sleep > 0 {
		b.WriteString("import { check, group, sleep } from 'k6';\n\n")
	} else {
		b.WriteString("import { check, group } from 'k6';\n\n")
	}
	fmt.Fprintf(&b, "export const options = %s;\n\n", lit(options))
	b.WriteString("export default function () {\n")
	for i, r := range cfg.Requests {
		at := fmt.Sprintf("requests[%d]", i)
		if n := strings.TrimSpace(r.Name); n != "" {
			at += fmt.Sprintf(" (%q)", n)
		}
		if err := checkURL(r.URL); err != nil {
			return "", fmt.Errorf("%s: %w", at, err)
		}
		method, err := normMethod(r.Method)
		if err != nil {
			return "", fmt.Errorf("%s: %w", at, err)
		}
		headers := map[string]string{}
		for k, v := range r.Headers {
			if err := checkHeader(k, v); err != nil {
				return "", fmt.Errorf("%s: %w", at, err)
			}
			headers[k] = v
		}
		body := "null"
		if r.Body != "" {
			body = lit(r.Body)
		}
		fmt.Fprintf(&b, "  group(%s, function () {\n", lit(groupName(r, method)))
		fmt.Fprintf(&b, "    const res = http.request(%s, %s, %s, { headers: %s });\n", lit(method), lit(r.URL), body, lit(headers))
		b.WriteString("    check(res, { 'status < 400': (r) => r.status < 400 });\n")
		b.WriteString("  });\n")
		if cfg.Sleep > 0 {
			fmt.Fprintf(&b, "  sleep(%s);\n", strconv.FormatFloat(cfg.Sleep, 'f', -1, 64))
		}
		if b.Len() > maxGeneratedBytes {
			return "", fmt.Errorf("the script would be larger than %d MiB: send fewer requests or smaller bodies", maxGeneratedBytes>>20)
		}
	}
	b.WriteString("}\n")
	return b.String(), nil
}

// snippet is a k6 example a script editor offers. Files are what its
// open() calls read, as a run's files.
type snippet struct {
	Name        string            `json:"name"`
	Description string            `json:"description"`
	Code        string            `json:"code"`
	Files       map[string]string `json:"files,omitempty"`
}

// snippetBase is how the snippets find the system under test: k6's -e
// BASE_URL=..., a run's environment here.
const snippetBase = "const BASE = __ENV.BASE_URL || 'http://localhost:5770/stubs/sandbox';\n"

// snippets are the k6 examples, each a whole script the engine runs.
var snippets = []snippet{
	{Name: "http-get", Description: "A GET request with a status check.",
		Code: `import http from 'k6/http';
import { check } from 'k6';

` + snippetBase + `
export default function () {
  const res = http.get(` + "`${BASE}/api/users`" + `);
  check(res, { 'status is 200': (r) => r.status === 200 });
}
`},
	{Name: "http-post-json", Description: "A POST with a JSON body and headers; reads a field of the JSON answer.",
		Code: `import http from 'k6/http';
import { check } from 'k6';

` + snippetBase + `
export default function () {
  const payload = JSON.stringify({ name: 'Ada', email: 'ada@example.com' });
  const params = { headers: { 'Content-Type': 'application/json', Accept: 'application/json' } };
  const res = http.post(` + "`${BASE}/api/users`" + `, payload, params);
  check(res, {
    'created': (r) => r.status === 200 || r.status === 201,
    'has an id': (r) => r.json('id') !== undefined,
  });
}
`},
	{Name: "http-batch", Description: "Several requests sent in parallel with http.batch.",
		Code: `import http from 'k6/http';
import { check } from 'k6';

` + snippetBase + `
export default function () {
  const responses = http.batch([
    ['GET', ` + "`${BASE}/api/users`" + `],
    ['GET', ` + "`${BASE}/api/orders`" + `, null, { tags: { name: 'orders' } }],
  ]);
  check(responses[0], { 'users ok': (r) => r.status === 200 });
  check(responses[1], { 'orders ok': (r) => r.status === 200 });
}
`},
	{Name: "checks", Description: "Several named checks on one response; check() returns whether all passed.",
		Code: `import http from 'k6/http';
import { check, fail } from 'k6';

` + snippetBase + `
export default function () {
  const res = http.get(` + "`${BASE}/api/users/1`" + `);
  const ok = check(res, {
    'status is 200': (r) => r.status === 200,
    'is JSON': (r) => (r.headers['Content-Type'] || '').includes('json'),
    'answers within 500 ms': (r) => r.timings.duration < 500,
  });
  if (!ok) {
    fail('unexpected response: ' + res.status);
  }
}
`},
	{Name: "thresholds", Description: "Pass/fail criteria: latency percentiles, error rate, checks, a tagged submetric and abortOnFail.",
		Code: `import http from 'k6/http';
import { check } from 'k6';

` + snippetBase + `
export const options = {
  vus: 5,
  duration: '30s',
  thresholds: {
    http_req_duration: ['p(95)<500', 'p(99)<1000'],
    http_req_failed: ['rate<0.01'],
    checks: ['rate>0.99'],
    'http_req_duration{name:users}': ['avg<300'],
    http_reqs: [{ threshold: 'count>0', abortOnFail: true, delayAbortEval: '10s' }],
  },
};

export default function () {
  const res = http.get(` + "`${BASE}/api/users`" + `, { tags: { name: 'users' } });
  check(res, { 'status is 200': (r) => r.status === 200 });
}
`},
	{Name: "stages", Description: "Ramp the VUs up, hold, and down again with options.stages.",
		Code: `import http from 'k6/http';
import { sleep } from 'k6';

` + snippetBase + `
export const options = {
  stages: [
    { duration: '30s', target: 20 },
    { duration: '1m', target: 20 },
    { duration: '30s', target: 0 },
  ],
};

export default function () {
  http.get(` + "`${BASE}/api/users`" + `);
  sleep(1);
}
`},
	{Name: "scenario-shared-iterations", Description: "A fixed number of iterations shared by a pool of VUs.",
		Code: scenarioSnippet(`shared: {
      executor: 'shared-iterations',
      vus: 10,
      iterations: 200,
      maxDuration: '1m',
    },`)},
	{Name: "scenario-per-vu-iterations", Description: "Each VU runs the same number of iterations.",
		Code: scenarioSnippet(`perVU: {
      executor: 'per-vu-iterations',
      vus: 10,
      iterations: 20,
      maxDuration: '1m',
    },`)},
	{Name: "scenario-constant-vus", Description: "A fixed number of VUs looping for a duration.",
		Code: scenarioSnippet(`steady: {
      executor: 'constant-vus',
      vus: 10,
      duration: '1m',
    },`)},
	{Name: "scenario-ramping-vus", Description: "VUs ramped through stages (with gracefulRampDown).",
		Code: scenarioSnippet(`ramp: {
      executor: 'ramping-vus',
      startVUs: 0,
      stages: [
        { duration: '30s', target: 20 },
        { duration: '30s', target: 0 },
      ],
      gracefulRampDown: '10s',
    },`)},
	{Name: "scenario-constant-arrival-rate", Description: "A fixed rate of iterations per time unit, whatever the latency (open model).",
		Code: scenarioSnippet(`rate: {
      executor: 'constant-arrival-rate',
      rate: 50,
      timeUnit: '1s',
      duration: '1m',
      preAllocatedVUs: 10,
      maxVUs: 100,
    },`)},
	{Name: "scenario-ramping-arrival-rate", Description: "An iteration rate ramped through stages.",
		Code: scenarioSnippet(`rampRate: {
      executor: 'ramping-arrival-rate',
      startRate: 10,
      timeUnit: '1s',
      preAllocatedVUs: 10,
      maxVUs: 200,
      stages: [
        { duration: '30s', target: 100 },
        { duration: '30s', target: 10 },
      ],
    },`)},
	{Name: "groups", Description: "Steps of a user journey in groups: each group gets its own group_duration and checks.",
		Code: `import http from 'k6/http';
import { check, group, sleep } from 'k6';

` + snippetBase + `
export default function () {
  group('browse', function () {
    const res = http.get(` + "`${BASE}/api/products`" + `);
    check(res, { 'products listed': (r) => r.status === 200 });
  });
  group('checkout', function () {
    const res = http.post(` + "`${BASE}/api/orders`" + `, JSON.stringify({ productId: 1 }), {
      headers: { 'Content-Type': 'application/json' },
    });
    check(res, { 'order placed': (r) => r.status < 400 });
  });
  sleep(1);
}
`},
	{Name: "custom-metrics", Description: "Counter, Gauge, Rate and Trend metrics of your own, with thresholds on them.",
		Code: `import http from 'k6/http';
import { Counter, Gauge, Rate, Trend } from 'k6/metrics';

` + snippetBase + `
const orders = new Counter('orders_created');
const payloadSize = new Gauge('payload_bytes');
const okRate = new Rate('orders_ok');
const orderTime = new Trend('order_time', true);

export const options = {
  thresholds: {
    orders_ok: ['rate>0.95'],
    order_time: ['p(95)<800'],
  },
};

export default function () {
  const res = http.post(` + "`${BASE}/api/orders`" + `, JSON.stringify({ productId: 1 }), {
    headers: { 'Content-Type': 'application/json' },
  });
  orders.add(1);
  payloadSize.add(res.body ? res.body.length : 0);
  okRate.add(res.status < 400);
  orderTime.add(res.timings.duration, { endpoint: 'orders' });
}
`},
	{Name: "shared-array", Description: "Test data read once with open() into a SharedArray that every VU shares; each VU picks its own row.",
		Files: map[string]string{"users.json": `[{"username": "ada", "password": "secret-1"}, {"username": "grace", "password": "secret-2"}]`},
		Code: `import http from 'k6/http';
import { check } from 'k6';
import { SharedArray } from 'k6/data';
import exec from 'k6/execution';

` + snippetBase + `
const users = new SharedArray('users', function () {
  return JSON.parse(open('./users.json'));
});

export default function () {
  const user = users[exec.vu.idInTest % users.length];
  const res = http.post(` + "`${BASE}/api/login`" + `, JSON.stringify(user), {
    headers: { 'Content-Type': 'application/json' },
  });
  check(res, { 'logged in': (r) => r.status === 200 });
}
`},
	{Name: "setup-teardown", Description: "setup() runs once before the load (a login) and hands its data to every iteration; teardown() runs once after.",
		Code: `import http from 'k6/http';
import { check } from 'k6';

` + snippetBase + `
export function setup() {
  const res = http.post(` + "`${BASE}/api/login`" + `, JSON.stringify({ username: 'ada', password: 'secret-1' }), {
    headers: { 'Content-Type': 'application/json' },
  });
  return { token: res.json('token') };
}

export default function (data) {
  const res = http.get(` + "`${BASE}/api/me`" + `, { headers: { Authorization: ` + "`Bearer ${data.token}`" + ` } });
  check(res, { 'authorised': (r) => r.status === 200 });
}

export function teardown(data) {
  http.post(` + "`${BASE}/api/logout`" + `, null, { headers: { Authorization: ` + "`Bearer ${data.token}`" + ` } });
}
`},
	{Name: "handle-summary", Description: "handleSummary() shapes the end-of-test report: text on stdout and the whole summary as JSON.",
		Code: `import http from 'k6/http';

` + snippetBase + `
export default function () {
  http.get(` + "`${BASE}/api/users`" + `);
}

export function handleSummary(data) {
  const m = data.metrics.http_req_duration.values;
  return {
    stdout: ` + "`requests: ${data.metrics.http_reqs.values.count}, p(95): ${m['p(95)'].toFixed(1)} ms\\n`" + `,
    'summary.json': JSON.stringify(data, null, 2),
  };
}
`},
	{Name: "environment", Description: "Settings from the run's environment (__ENV), with defaults.",
		Code: `import http from 'k6/http';
import { sleep } from 'k6';

` + snippetBase + `const THINK = Number(__ENV.THINK_SECONDS || '1');

export default function () {
  http.get(` + "`${BASE}/api/users`" + `, { headers: { 'X-Api-Key': __ENV.API_KEY || '' } });
  sleep(THINK);
}
`},
}

// scenarioSnippet is a script with one scenario running the default
// function.
func scenarioSnippet(scenario string) string {
	return `import http from 'k6/http';
import { check } from 'k6';

` + snippetBase + `
export const options = {
  scenarios: {
    ` + scenario + `
  },
};

export default function () {
  const res = http.get(` + "`${BASE}/api/users`" + `);
  check(res, { 'status is 200': (r) => r.status === 200 });
}
`
}
