package engine

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestHTTPSGoesThroughNetHTTP: https:// requests take net/http's client,
// which negotiates HTTP/2 and reports TLS; plain http:// takes the HTTP/1.1
// path. Both keep cookies in the VU's jar.
func TestHTTPSGoesThroughNetHTTP(t *testing.T) {
	t.Parallel()
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/set" {
			http.SetCookie(w, &http.Cookie{Name: "s", Value: "tls"})
		}
		c, _ := r.Cookie("s")
		v := ""
		if c != nil {
			v = c.Value
		}
		fmt.Fprintf(w, `{"proto":%q,"cookie":%q}`, r.Proto, v)
	}))
	srv.EnableHTTP2 = true
	srv.StartTLS()
	defer srv.Close()
	res := run(t, fmt.Sprintf(`
import http from 'k6/http';
import { check } from 'k6';
export const options = { iterations: 1, insecureSkipTLSVerify: true };
export default function () {
  const first = http.get(%q + '/set');
  check(first, {
    'h2': (r) => r.status === 200 && r.proto === 'HTTP/2.0' && r.json().proto === 'HTTP/2.0',
    'tls': (r) => r.tls_version === 'tls1.3' && r.timings.tls_handshaking > 0 && r.timings.connecting > 0,
    'cookie set': (r) => r.cookies.s[0].value === 'tls',
  });
  check(http.get(%q + '/see'), {
    'jar sends it': (r) => r.json().cookie === 'tls',
    'connection reused': (r) => r.timings.tls_handshaking === 0 && r.timings.connecting === 0,
  });
}
`, srv.URL, srv.URL), RunConfig{})
	requireChecksPass(t, res, 5)
}

// oneAnswerServer answers one request per connection with answer, then
// closes the connection, and counts the connections it accepted.
func oneAnswerServer(t *testing.T, answer string) (net.Addr, *atomic.Int64) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	conns := &atomic.Int64{}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns.Add(1)
			go func() {
				defer c.Close()
				req, err := http.ReadRequest(bufio.NewReader(c))
				if err != nil {
					return
				}
				_, _ = io.Copy(io.Discard, req.Body)
				_, _ = io.WriteString(c, answer)
			}()
		}
	}()
	return ln.Addr(), conns
}

// TestKeptAliveConnectionClosedByServer: a server that closes a kept-alive
// connection after each answer (without saying so) costs the next GET a new
// connection, not an error.
func TestKeptAliveConnectionClosedByServer(t *testing.T) {
	t.Parallel()
	// no "Connection: close": the client learns of the close by reading
	addr, conns := oneAnswerServer(t, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
	res := run(t, fmt.Sprintf(`
import http from 'k6/http';
import { check } from 'k6';
export const options = { iterations: 1 };
export default function () {
  for (let i = 0; i < 3; i++) {
    const r = http.get('http://%s/');
    check(r, { 'answered': (r) => r.status === 200 && r.body === 'ok' && r.error === '' });
  }
}
`, addr), RunConfig{})
	requireChecksPass(t, res, 1)
	if got := value(t, res, "checks", "passes"); got != 3 {
		t.Errorf("%v of 3 requests answered", got)
	}
	if got := value(t, res, "http_req_failed", "passes"); got != 0 {
		t.Errorf("%v requests failed", got)
	}
	if got := conns.Load(); got != 3 {
		t.Errorf("server saw %d connections, want 3 (one per request)", got)
	}
}

// TestResponseIsAnOrdinaryObject: the lazily built Response behaves as an
// object a script may inspect, serialize, extend and change.
func TestResponseIsAnOrdinaryObject(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-A", "1")
		w.Header().Add("X-M", "a")
		w.Header().Add("X-M", "b")
		_, _ = io.WriteString(w, `{"n":5}`)
	}))
	defer srv.Close()
	res := run(t, fmt.Sprintf(`
import http from 'k6/http';
import { check } from 'k6';
export const options = { iterations: 1 };
export default function () {
  const r = http.get(%q);
  const keys = Object.keys(r);
  const copy = JSON.parse(JSON.stringify(r));
  check(r, {
    'keys in order': () => keys.join() === 'status,status_text,url,proto,remote_ip,remote_port,tls_version,error,error_code,headers,timings,body,cookies,request',
    'serializes': () => copy.status === 200 && copy.body === '{"n":5}' && copy.headers['X-A'] === '1' && copy.timings.duration > 0,
    'in operator': () => 'status' in r && !('nope' in r) && r.hasOwnProperty('body'),
    'json method': (r) => r.json().n === 5 && typeof r.json === 'function' && !keys.includes('json'),
    'same object twice': (r) => r.headers === r.headers && r.timings === r.timings,
    'spread': () => ({ ...r }).status === 200,
    'headers': (r) => r.headers['X-M'] === 'a, b' && r.headers['Content-Type'] === 'text/plain; charset=utf-8' && r.headers['Content-Length'] === '7' && r.headers['Date'] !== undefined,
  });
  r.extra = 'x';
  r.status = 299;
  delete r.cookies;
  check(r, {
    'set own': (r) => r.extra === 'x' && Object.keys(r).pop() === 'extra',
    'replace': (r) => r.status === 299,
    'delete': (r) => r.cookies === undefined && !Object.keys(r).includes('cookies'),
  });
  r.body = '{"n":6}';
  check(r, { 'json reads the body property': (r) => r.json().n === 6 });
}
`, srv.URL), RunConfig{})
	requireChecksPass(t, res, 11)
}

// TestScriptlessRequestSentFromGo: a perf config's request runs without
// calling JavaScript per iteration, with the same request on the wire and
// the same metrics as the generated script.
func TestScriptlessRequestSentFromGo(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var seen []string
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		if len(seen) < 1 {
			seen = append(seen, fmt.Sprintf("%s %s %s ua=%s x=%s ct=%s", r.Method, r.URL.Path, b, r.UserAgent(), r.Header.Get("X-Key"), r.Header.Get("Content-Type")))
		}
		mu.Unlock()
		if n.Add(1)%4 == 0 {
			w.WriteHeader(500)
		}
		_, _ = io.WriteString(w, strings.Repeat("a", 100))
	}))
	defer srv.Close()
	p, script, err := CompileConfig(ScriptConfig{URL: srv.URL + "/load", Method: "post", Body: `{"a":1}`,
		Headers: map[string]string{"X-Key": "k", "Content-Type": "application/json"}, VUs: 1, Duration: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := p.iterations.(*requestIterations); !ok {
		t.Fatalf("the config's iterations are %T: the request is not sent from Go", p.iterations)
	}
	if !strings.Contains(script, "http.request(\"POST\"") {
		t.Errorf("the generated script does not send the request:\n%s", script)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := Run(ctx, p, RunConfig{Outbound: loopback, Iterations: 400}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf(`POST /load {"a":1} ua=%s x=k ct=application/json`, defaultUserAgent); len(seen) != 1 || seen[0] != want {
		t.Errorf("server saw %q, want %q", seen, want)
	}
	if got := value(t, res, "http_reqs", "count"); got != 400 {
		t.Errorf("http_reqs = %v, want 400", got)
	}
	if got := value(t, res, "iterations", "count"); got != 400 {
		t.Errorf("iterations = %v, want 400", got)
	}
	if got := value(t, res, "http_req_failed", "rate"); got != 0.25 {
		t.Errorf("http_req_failed rate = %v, want 0.25", got)
	}
	if got := value(t, res, "data_received", "count"); got < 400*100 {
		t.Errorf("data_received = %v, want at least the bodies (40000)", got)
	}
	if got := value(t, res, "http_req_failed", "passes"); got != 100 {
		t.Errorf("failed requests = %v, want 100", got)
	}
}

// TestStopCutsRequestsInFlight: when a stopped run's gracefulStop ends,
// the requests still waiting for an answer are cut short, long before their
// own timeout.
func TestStopCutsRequestsInFlight(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	defer close(release)
	var started atomic.Int64
	inFlight := make(chan struct{}) // closed when the 3 VUs' requests are in
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if started.Add(1) == 3 {
			close(inFlight)
		}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	p, err := Compile(fmt.Sprintf(`
import http from 'k6/http';
export const options = { scenarios: { s: { executor: 'constant-vus', vus: 3, duration: '1h', gracefulStop: '100ms' } } };
export default function () { http.get(%q, { timeout: '60s' }); }
`, srv.URL), "main.js", nil)
	if err != nil {
		t.Fatal(err)
	}
	// the requests' own timeout (60 s) is beyond this deadline:
	// only the stop can end the run within it
	deadline, cancelDeadline := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancelDeadline()
	ctx, stop := context.WithCancel(deadline)
	go func() {
		select {
		case <-inFlight:
		case <-ctx.Done():
		}
		stop()
	}()
	res, err := Run(ctx, p, RunConfig{Outbound: loopback}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if deadline.Err() != nil {
		t.Fatal("the run outlived its stop: requests in flight were not cut")
	}
	if m, ok := res.Metrics["http_reqs"]; ok && m.Values["count"] != 0 {
		t.Errorf("%v requests completed, want none (each was cut)", m.Values["count"])
	}
}

// TestBodyUntilClose: an answer with neither a length nor chunks ends when
// the server closes the connection; the connection is not kept, so the
// next request (a POST, which is never retried) gets a new one.
func TestBodyUntilClose(t *testing.T) {
	t.Parallel()
	addr, conns := oneAnswerServer(t, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil close")
	res := run(t, fmt.Sprintf(`
import http from 'k6/http';
import { check } from 'k6';
export const options = { iterations: 1 };
export default function () {
  for (let i = 0; i < 3; i++) {
    check(http.post('http://%s/', 'x'), { 'answered': (r) => r.status === 200 && r.body === 'until close' && r.error === '' });
  }
}
`, addr), RunConfig{})
	if got := value(t, res, "checks", "passes"); got != 3 {
		t.Errorf("%v of 3 POSTs answered", got)
	}
	if got := conns.Load(); got != 3 {
		t.Errorf("server saw %d connections, want 3", got)
	}
}

// TestURLCredentials: user:password in an http:// URL is sent as Basic
// auth, as k6 (and net/http) send it, unless the request sets its own.
func TestURLCredentials(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, p, ok := r.BasicAuth()
		fmt.Fprintf(w, "%v %s %s %s", ok, u, p, r.Host)
	}))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	res := run(t, fmt.Sprintf(`
import http from 'k6/http';
import { check } from 'k6';
export const options = { iterations: 1 };
export default function () {
  check(http.get('http://ann:s%%3Acret@%s/'), { 'basic auth': (r) => r.body === 'true ann s:cret %s' });
  check(http.get('http://ann:x@%s/', { headers: { Authorization: 'Basic Ym9iOnk=' } }), { 'own header wins': (r) => r.body === 'true bob y %s' });
}
`, host, host, host, host), RunConfig{})
	requireChecksPass(t, res, 2)
}

// options.userAgent: the default, another, or none at all when empty (as
// in k6), over plain HTTP and over TLS alike.
func TestUserAgentOption(t *testing.T) {
	t.Parallel()
	echo := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, sent := r.Header["User-Agent"]
		fmt.Fprintf(w, "%v:%s", sent, r.UserAgent())
	})
	plain := httptest.NewServer(echo)
	defer plain.Close()
	tls := httptest.NewTLSServer(echo)
	defer tls.Close()
	for _, c := range []struct{ option, want string }{
		{"", "true:" + defaultUserAgent},
		{"userAgent: 'probe/2',", "true:probe/2"},
		{"userAgent: '',", "false:"},
	} {
		res := run(t, fmt.Sprintf(`
import http from 'k6/http';
import { check } from 'k6';
export const options = { iterations: 1, insecureSkipTLSVerify: true, %s };
export default function () {
  check(http.get(%q), { 'plain': (r) => r.body === %q });
  check(http.get(%q), { 'tls': (r) => r.body === %q });
}
`, c.option, plain.URL, c.want, tls.URL, c.want), RunConfig{})
		requireChecksPass(t, res, 2)
	}
}
