package engine

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/mockarty-oss/mockarty/sdk/outbound"
)

func TestHTTPModule(t *testing.T) {
	t.Parallel()
	srv := echoServer(t)
	res := run(t, fmt.Sprintf(`
import http from 'k6/http';
import { check } from 'k6';
const base = %q;
export const options = { iterations: 1, thresholds: {
  'http_reqs{name:named}': ['count==1'],
  'http_reqs{name:%s/item/${}}': ['count==1'],
  'http_reqs{method:PATCH}': ['count==1'],
  'http_reqs{status:302}': ['count==2'],
} };
export default function () {
  let r = http.get(base + '/hello?x=1', { headers: { 'X-Test': 'abc' }, tags: { name: 'named' } });
  check(r, {
    'get status': (r) => r.status === 200,
    'get status_text': (r) => r.status_text === '200 OK',
    'get json': (r) => r.json().method === 'GET' && r.json().query === 'x=1',
    'get header sent': (r) => r.json('headers.X-Test') === 'abc',
    'get json selector': (r) => r.json('items.#') === 3 && r.json('items.1.id') === 2 && r.json('items.#.id').join() === '1,2,3',
    'get json missing': (r) => r.json('nope.deeper') === undefined,
    'get response header': (r) => r.headers['X-Echo'] === 'yes',
    'get url': (r) => r.url === base + '/hello?x=1',
    'get no error': (r) => r.error === '' && r.error_code === 0,
    'get timings': (r) => ['blocked','connecting','tls_handshaking','sending','waiting','receiving','duration'].every((k) => typeof r.timings[k] === 'number') && r.timings.duration > 0,
    'get request': (r) => r.request.method === 'GET' && r.request.headers['X-Test'][0] === 'abc',
    'get proto': (r) => r.proto === 'HTTP/1.1',
  });
  r = http.post(base + '/p', JSON.stringify({ a: 1 }), { headers: { 'Content-Type': 'application/json' } });
  check(r, { 'post body': (r) => r.json().method === 'POST' && r.json().body === '{"a":1}' });
  r = http.post(base + '/form', { a: '1', b: 'two words' });
  check(r, { 'post form': (r) => r.json().body === 'a=1&b=two+words' && r.json('headers.Content-Type') === 'application/x-www-form-urlencoded' });
  r = http.post(base + '/upload', { f: http.file('filedata', 'a.txt', 'text/plain'), n: 'v' });
  check(r, { 'multipart': (r) => r.json().body.includes('filename="a.txt"') && r.json().body.includes('filedata') && r.json('headers.Content-Type').startsWith('multipart/form-data') });
  check(http.put(base + '/u', 'x'), { 'put': (r) => r.json().method === 'PUT' && r.json().body === 'x' });
  check(http.patch(base + '/u', 'y'), { 'patch': (r) => r.json().method === 'PATCH' });
  check(http.del(base + '/u'), { 'del': (r) => r.json().method === 'DELETE' });
  check(http.head(base + '/u'), { 'head': (r) => r.status === 200 && r.body === '' && r.headers['X-Echo'] === 'yes' });
  check(http.options(base + '/u'), { 'options': (r) => r.json().method === 'OPTIONS' });
  check(http.request('GET', base + '/req'), { 'request': (r) => r.json().path === '/req' });
  r = http.get(base + '/redirect');
  check(r, { 'redirect followed': (r) => r.status === 200 && r.body === 'final' && r.url === base + '/final' });
  r = http.get(base + '/redirect', { redirects: 0 });
  check(r, { 'redirect not followed': (r) => r.status === 302 && r.headers['Location'] === '/final' });
  r = http.get(base + '/slow', { timeout: '100ms' });
  check(r, { 'timeout': (r) => r.status === 0 && r.error_code === 1050 && r.error !== '' });
  r = http.get(base + '/bytes', { responseType: 'binary' });
  check(r, { 'binary body': (r) => r.body.byteLength === 5 && new Uint8Array(r.body)[4] === 255 });
  r = http.get(base + '/bytes', { responseType: 'none' });
  check(r, { 'no body': (r) => r.body === null && r.status === 200 });
  r = http.get(base + '/cookie');
  check(r, { 'cookies': (r) => r.cookies.session[0].value === 'abc' });
  check(http.get(base + '/see-cookie'), { 'jar sends cookie': (r) => r.json('headers.Cookie') === 'session=abc' });
  const id = 42;
  check(http.get(http.url`+"`%s/item/${id}`"+`), { 'url template': (r) => r.json().path === '/item/42' });
  const rs = http.batch([
    ['GET', base + '/b1'],
    { method: 'POST', url: base + '/b2', body: 'z' },
    base + '/b3',
  ]);
  check(rs, { 'batch array': (rs) => rs.length === 3 && rs[0].json().path === '/b1' && rs[1].json().body === 'z' && rs[2].json().path === '/b3' });
  const ro = http.batch({ one: base + '/o1', two: ['GET', base + '/o2', null, { headers: { 'X-B': '2' } }] });
  check(ro, { 'batch object': (ro) => ro.one.json().path === '/o1' && ro.two.json('headers.X-B') === '2' });
  check(http.get('ftp://nope'), { 'invalid url': (r) => r.error_code === 1020 && r.status === 0 });
  check(http.get(base + '/status/404', { responseCallback: http.expectedStatuses(404) }), { 'per-request callback': (r) => r.status === 404 });
}
`, srv.URL, srv.URL, srv.URL), RunConfig{})
	requireChecksPass(t, res, 30)
	for _, th := range res.Thresholds {
		if !th.OK {
			t.Errorf("threshold %s %s failed (actual %v)", th.Metric, th.Threshold, th.Actual)
		}
	}
	// the /status/404 request was declared expected, the timeout and the invalid URL failed
	if got := value(t, res, "http_req_failed", "passes"); got != 2 {
		t.Errorf("http_req_failed passes = %v, want 2 (timeout, invalid URL)", got)
	}
}

func TestHTTPNotAllowedInInit(t *testing.T) {
	t.Parallel()
	_, err := Compile(`
import http from 'k6/http';
http.get('http://127.0.0.1:1/');
export default function () {}
`, "main.js", nil)
	if err == nil || !strings.Contains(err.Error(), "init context") || !strings.Contains(err.Error(), "main.js:3") {
		t.Fatalf("want an init-context error at main.js:3, got %v", err)
	}
}

func TestHTTPTransportPolicyAndErrors(t *testing.T) {
	t.Parallel()
	srv := echoServer(t)
	// a policy without AllowPrivate refuses loopback: error code 1110
	p, err := Compile(fmt.Sprintf(`
import http from 'k6/http';
import { check } from 'k6';
export default function () {
  check(http.get(%q), { 'refused by policy': (r) => r.status === 0 && r.error_code === 1110 && r.error.includes('private') });
}
`, srv.URL), "main.js", nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(t.Context(), p, RunConfig{Outbound: outbound.Policy{}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	requireChecksPass(t, res, 1)
	if got := value(t, res, "http_req_failed", "rate"); got != 1 {
		t.Errorf("http_req_failed = %v", got)
	}
	if len(res.Errors) == 0 || !strings.Contains(res.Errors[0].Message, "private") {
		t.Errorf("errors should list the refused request: %v", res.Errors)
	}
	// Allow lists the server's own port; a closed port is refused with 1212
	host := strings.TrimPrefix(srv.URL, "http://")
	closed := httptest.NewServer(http.NotFoundHandler())
	closedURL := closed.URL
	closed.Close()
	p, err = Compile(fmt.Sprintf(`
import http from 'k6/http';
import { check } from 'k6';
export default function () {
  check(http.get(%q), { 'allowed': (r) => r.status === 200 });
  check(http.get(%q), { 'connection refused': (r) => r.status === 0 && r.error_code === 1212 });
}
`, srv.URL, closedURL), "main.js", nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err = Run(t.Context(), p, RunConfig{Outbound: outbound.Policy{Allow: []string{host, strings.TrimPrefix(closedURL, "http://")}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	requireChecksPass(t, res, 2)
}

func TestResponseBodyIsBounded(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(strings.Repeat("x", 5000)))
	}))
	defer srv.Close()
	res := run(t, fmt.Sprintf(`
import http from 'k6/http';
import { check } from 'k6';
export default function () {
  const r = http.get(%q);
  check(r, { 'cut at the limit': (r) => r.body.length === 1000 && r.error.includes('larger than') });
}
`, srv.URL), RunConfig{MaxBodyBytes: 1000})
	requireChecksPass(t, res, 1)
}

func TestDiscardResponseBodies(t *testing.T) {
	t.Parallel()
	srv := echoServer(t)
	res := run(t, fmt.Sprintf(`
import http from 'k6/http';
import { check } from 'k6';
export const options = { discardResponseBodies: true };
export default function () {
  check(http.get(%q), { 'discarded': (r) => r.body === null && r.status === 200 });
  check(http.get(%q, { responseType: 'text' }), { 'kept when asked': (r) => r.body.length > 0 });
}
`, srv.URL, srv.URL), RunConfig{})
	requireChecksPass(t, res, 2)
}

func TestK6Module(t *testing.T) {
	t.Parallel()
	res := run(t, `
import { check, group, sleep, fail } from 'k6';
export const options = { iterations: 1, thresholds: { 'checks{kind:tagged}': ['rate==1'], 'group_duration{group:::outer::inner}': ['max>=0'] } };
export default function () {
  const r = group('outer', () => group('inner', () => {
    check(1, { 'tagged check': (v) => v === 1 }, { kind: 'tagged' });
    return 7;
  }));
  check(r, { 'group returns the value': (v) => v === 7, 'plain value check': true });
  check(0, { 'a failing check': (v) => v === 1 });
  sleep(0.01);
  let caught = '';
  try { fail('stop here'); } catch (e) { caught = String(e); }
  check(caught, { 'fail throws': (c) => c.includes('stop here') });
}
`, RunConfig{})
	for _, th := range res.Thresholds {
		if !th.OK {
			t.Errorf("threshold %s %s failed (actual %v)", th.Metric, th.Threshold, th.Actual)
		}
	}
	got := map[string][2]int64{}
	for _, c := range allChecks(res.RootGroup) {
		got[c.Path] = [2]int64{c.Passes, c.Fails}
	}
	want := map[string][2]int64{
		"::outer::inner::tagged check": {1, 0},
		"::group returns the value":    {1, 0},
		"::plain value check":          {1, 0},
		"::a failing check":            {0, 1},
		"::fail throws":                {1, 0},
	}
	for path, w := range want {
		if got[path] != w {
			t.Errorf("check %q: passes/fails %v, want %v", path, got[path], w)
		}
	}
	if r := value(t, res, "checks", "rate"); !within(r, 4.0/5, 1e-9) {
		t.Errorf("checks rate = %v, want 0.8", r)
	}
	if len(res.RootGroup.Groups) != 1 || res.RootGroup.Groups[0].Name != "outer" || res.RootGroup.Groups[0].Groups[0].Path != "::outer::inner" {
		t.Errorf("groups: %+v", res.RootGroup.Groups)
	}
}

func TestMetricsModule(t *testing.T) {
	t.Parallel()
	res := run(t, `
import { Counter, Gauge, Rate, Trend } from 'k6/metrics';
const c = new Counter('my_counter');
const g = new Gauge('my_gauge');
const r = new Rate('my_rate');
const tr = new Trend('my_trend', true);
const plain = new Trend('plain_trend');
export const options = { vus: 2, iterations: 20, thresholds: {
  my_counter: ['count>10', 'count==60'],
  'my_counter{kind:b}': ['count==40'],
  my_gauge: ['value>0'],
  my_rate: ['rate==0.5'],
  my_trend: ['avg<200', 'med<150', 'min>0', 'max<3000', 'p(95)<=20'],
} };
export default function () {
  c.add(1, { kind: 'a' });
  c.add(2, { kind: 'b' });
  g.add(3);
  g.add(8);
  r.add(true);
  r.add(false);
  tr.add(10);
  tr.add(20);
  plain.add(3);
  if (c.name !== 'my_counter') throw new Error('name');
}
`, RunConfig{})
	for _, th := range res.Thresholds {
		if !th.OK {
			t.Errorf("threshold %s %s failed (actual %v)", th.Metric, th.Threshold, th.Actual)
		}
	}
	if len(res.Thresholds) != 10 {
		t.Errorf("want 10 thresholds, got %d", len(res.Thresholds))
	}
	if m := res.Metrics["my_trend"]; m.Contains != "time" || m.Type != "trend" || m.Values["avg"] != 15 || m.Values["min"] != 10 || m.Values["max"] != 20 {
		t.Errorf("my_trend = %+v", m)
	}
	if m := res.Metrics["plain_trend"]; m.Contains != "default" || m.Values["avg"] != 3 {
		t.Errorf("plain_trend = %+v", m)
	}
	if m := res.Metrics["my_gauge"]; m.Values["value"] != 8 || m.Values["max"] != 8 || m.Values["min"] != 3 {
		t.Errorf("my_gauge = %+v", m.Values)
	}
	if m := res.Metrics["my_rate"]; m.Values["passes"] != 20 || m.Values["fails"] != 20 {
		t.Errorf("my_rate = %+v", m.Values)
	}
}

func TestMetricsMustBeDeclaredInInit(t *testing.T) {
	t.Parallel()
	res := run(t, `
import { Counter } from 'k6/metrics';
export default function () { new Counter('late'); }
`, RunConfig{})
	if len(res.Errors) != 1 || !strings.Contains(res.Errors[0].Message, "init context") || !strings.Contains(res.Errors[0].Message, "main.js:3") {
		t.Errorf("errors = %v", res.Errors)
	}
}

func TestSharedArrayBuiltOnce(t *testing.T) {
	t.Parallel()
	res := run(t, `
import { SharedArray } from 'k6/data';
import { check } from 'k6';
const users = new SharedArray('users', function () {
  console.log('building users');
  return [{ name: 'ann' }, { name: 'bob' }, { name: 'cy' }];
});
export const options = { vus: 3, iterations: 9 };
export default function () {
  check(users, {
    'length': (u) => u.length === 3,
    'element': (u) => u[1].name === 'bob',
    'out of range': (u) => u[5] === undefined,
    'iterable': (u) => [...u].map((x) => x.name).join() === 'ann,bob,cy',
  });
  let threw = false;
  try { 'use strict'; users[0] = 1; } catch (e) { threw = true; }
  check(users[0], { 'read-only': (u) => u.name === 'ann' });
}
`, RunConfig{})
	requireChecksPass(t, res, 5)
	builds := 0
	for _, l := range res.Logs {
		if l.Message == "building users" {
			builds++
		}
	}
	if builds != 1 {
		t.Errorf("the SharedArray callback ran %d times for 3 VUs, want once", builds)
	}
}

func TestExecutionModule(t *testing.T) {
	t.Parallel()
	res := run(t, `
import exec from 'k6/execution';
import { vu, scenario } from 'k6/execution';
import { check } from 'k6';
import { Counter } from 'k6/metrics';
const seen = new Counter('seen');
export const options = { scenarios: { main: { executor: 'per-vu-iterations', vus: 2, iterations: 3 } } };
export default function () {
  check(exec, {
    'vu id': (e) => e.vu.idInTest >= 1 && e.vu.idInTest <= 2 && e.vu.idInInstance === e.vu.idInTest,
    'iteration in scenario': (e) => e.vu.iterationInScenario === __ITER && e.vu.iterationInInstance === __ITER,
    'scenario name': (e) => e.scenario.name === 'main' && e.scenario.executor === 'per-vu-iterations',
    'scenario start': (e) => e.scenario.startTime > 1600000000000 && e.scenario.startTime <= Date.now(),
    'iteration in test': (e) => e.scenario.iterationInTest >= 0 && e.scenario.iterationInTest < 6,
    'progress': (e) => e.scenario.progress >= 0 && e.scenario.progress <= 1,
    'instance': (e) => e.instance.vusInitialized >= 2 && e.instance.vusActive >= 1 && e.instance.currentTestRunDuration >= 0,
    'options': (e) => e.test.options.scenarios.main.iterations === 3,
    'named imports': () => vu.idInTest === exec.vu.idInTest && scenario.name === 'main',
  });
  seen.add(1, { it: String(exec.scenario.iterationInTest) });
  exec.vu.tags.mytag = 'v' + exec.vu.idInTest;
  check(exec.vu.tags, { 'vu tags': (t) => t.mytag === 'v' + exec.vu.idInTest && t.scenario === 'main' });
}
`, RunConfig{})
	requireChecksPass(t, res, 10)
	if got := value(t, res, "seen", "count"); got != 6 {
		t.Errorf("seen = %v", got)
	}
}

func TestExecutionTestAbortAndFail(t *testing.T) {
	t.Parallel()
	res := run(t, `
import exec from 'k6/execution';
export const options = { vus: 1, iterations: 1000000 };
export default function () {
  if (exec.scenario.iterationInTest === 5) exec.test.abort('enough');
}
`, RunConfig{})
	if res.Status != StatusAborted || res.AbortReason != "enough" {
		t.Errorf("status %q reason %q", res.Status, res.AbortReason)
	}
	if got := value(t, res, "iterations", "count"); got != 5 {
		t.Errorf("iterations = %v, want the 5 before the abort", got)
	}
	res = run(t, `
import exec from 'k6/execution';
export default function () { exec.test.fail('marked'); }
`, RunConfig{})
	if res.Status != StatusFailed {
		t.Errorf("exec.test.fail: status %q", res.Status)
	}
}

func TestEncodingModule(t *testing.T) {
	t.Parallel()
	in := "hello?>>world"
	res := run(t, fmt.Sprintf(`
import encoding from 'k6/encoding';
import { b64encode, b64decode } from 'k6/encoding';
import { check } from 'k6';
const s = %q;
export default function () {
  check(null, {
    'std': () => b64encode(s) === %q && encoding.b64encode(s, 'std') === %q,
    'rawstd': () => b64encode(s, 'rawstd') === %q,
    'url': () => b64encode(s, 'url') === %q,
    'rawurl': () => b64encode(s, 'rawurl') === %q,
    'decode to string': () => b64decode(%q, 'std', 's') === s && b64decode(%q, 'rawurl', 's') === s,
    'decode to ArrayBuffer': () => b64decode(%q).byteLength === s.length,
    'encode ArrayBuffer': () => b64encode(b64decode(%q)) === %q,
  });
  let threw = false;
  try { b64decode('!!!'); } catch (e) { threw = true; }
  check(threw, { 'bad input throws': (x) => x });
}
`, in, base64.StdEncoding.EncodeToString([]byte(in)), base64.StdEncoding.EncodeToString([]byte(in)),
		base64.RawStdEncoding.EncodeToString([]byte(in)), base64.URLEncoding.EncodeToString([]byte(in)), base64.RawURLEncoding.EncodeToString([]byte(in)),
		base64.StdEncoding.EncodeToString([]byte(in)), base64.RawURLEncoding.EncodeToString([]byte(in)),
		base64.StdEncoding.EncodeToString([]byte(in)), base64.StdEncoding.EncodeToString([]byte(in)), base64.StdEncoding.EncodeToString([]byte(in))), RunConfig{})
	requireChecksPass(t, res, 8)
}

func TestCryptoModule(t *testing.T) {
	t.Parallel()
	in, key := "the quick brown fox", "secret"
	hexOf := func(b []byte) string { return hex.EncodeToString(b) }
	m5, s1, s256, s512 := md5.Sum([]byte(in)), sha1.Sum([]byte(in)), sha256.Sum256([]byte(in)), sha512.Sum512([]byte(in))
	s384 := sha512.Sum384([]byte(in))
	mac := hmac.New(sha256.New, []byte(key))
	mac.Write([]byte(in))
	hm := mac.Sum(nil)
	res := run(t, fmt.Sprintf(`
import crypto from 'k6/crypto';
import { md5, sha1, sha256, sha384, sha512, hmac, randomBytes, createHash, createHMAC } from 'k6/crypto';
import { check } from 'k6';
const s = %q;
export default function () {
  check(null, {
    'md5 hex': () => md5(s, 'hex') === %q,
    'sha1 hex': () => sha1(s, 'hex') === %q,
    'sha256 hex': () => sha256(s, 'hex') === %q && crypto.sha256(s, 'hex') === %q,
    'sha256 base64': () => sha256(s, 'base64') === %q,
    'sha256 base64url': () => sha256(s, 'base64url') === %q,
    'sha256 base64rawurl': () => sha256(s, 'base64rawurl') === %q,
    'sha384': () => sha384(s, 'hex') === %q,
    'sha512 hex': () => sha512(s, 'hex') === %q,
    'sha256 binary': () => sha256(s, 'binary').byteLength === 32,
    'hmac hex': () => hmac('sha256', %q, s, 'hex') === %q,
    'hmac base64': () => hmac('sha256', %q, s, 'base64') === %q,
    'createHash': () => { const h = createHash('sha256'); h.update('the quick '); h.update('brown fox'); return h.digest('hex') === %q; },
    'createHMAC': () => { const h = createHMAC('sha256', %q); h.update(s); return h.digest('hex') === %q; },
    'randomBytes': () => randomBytes(16).byteLength === 16,
  });
  let threw = false;
  try { crypto.hmac('nope', 'k', 'v', 'hex'); } catch (e) { threw = true; }
  check(threw, { 'unknown algorithm throws': (x) => x });
}
`, in, hexOf(m5[:]), hexOf(s1[:]), hexOf(s256[:]), hexOf(s256[:]),
		base64.StdEncoding.EncodeToString(s256[:]), base64.URLEncoding.EncodeToString(s256[:]), base64.RawURLEncoding.EncodeToString(s256[:]),
		hexOf(s384[:]), hexOf(s512[:]), key, hexOf(hm), key, base64.StdEncoding.EncodeToString(hm), hexOf(s256[:]), key, hexOf(hm)), RunConfig{})
	requireChecksPass(t, res, 15)
}

func TestMockartyAliases(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var paths []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		mu.Lock()
		paths = append(paths, r.URL.Path)
		mu.Unlock()
	}))
	defer srv.Close()
	res := run(t, fmt.Sprintf(`
import http from 'mockarty/http';
import { check } from 'mockarty';
export default function () { check(http.get(%q), { 'alias works': (r) => r.status === 200 }); }
`, srv.URL+"/via-alias"), RunConfig{})
	requireChecksPass(t, res, 1)
	mu.Lock()
	defer mu.Unlock()
	if len(paths) != 1 || paths[0] != "/via-alias" {
		t.Errorf("server saw %v", paths)
	}
}
