package engine

import (
	"fmt"
	"github.com/mockarty-oss/mockarty/sdk/plugintest"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/mockarty-oss/mockarty/sdk/outbound"
)

// wsTestServer is a gorilla/websocket server with a few behaviours:
// /echo echoes every message, /ping pings the client and closes with 4001
// once it hears the pong, /big sends one message of 4 KiB, /silent never
// sends nor closes. ended counts server-side connections that are over.
type wsTestServer struct {
	*httptest.Server
	ended atomic.Int64
}

func (s *wsTestServer) url(p string) string { return "ws" + strings.TrimPrefix(s.URL, "http") + p }

func newWSTestServer(t *testing.T) *wsTestServer {
	t.Helper()
	return startWSTestServer(t, false)
}

// startWSTestServer starts the server, over TLS (wss://) when secure.
func startWSTestServer(t *testing.T, secure bool) *wsTestServer {
	t.Helper()
	s := &wsTestServer{}
	up := websocket.Upgrader{}
	upgrade := func(w http.ResponseWriter, r *http.Request) *websocket.Conn {
		h := http.Header{"X-Hello-Back": {r.Header.Get("X-Hello")}}
		c, err := up.Upgrade(w, r, h)
		if err != nil {
			return nil
		}
		return c
	}
	drain := func(c *websocket.Conn) {
		defer s.ended.Add(1)
		defer c.Close()
		for {
			if _, _, err := c.ReadMessage(); err != nil {
				return
			}
		}
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
		c := upgrade(w, r)
		if c == nil {
			return
		}
		defer s.ended.Add(1)
		defer c.Close()
		for {
			typ, data, err := c.ReadMessage()
			if err != nil {
				return
			}
			if err := c.WriteMessage(typ, data); err != nil {
				return
			}
		}
	})
	mux.HandleFunc("/ping", func(w http.ResponseWriter, r *http.Request) {
		c := upgrade(w, r)
		if c == nil {
			return
		}
		c.SetPongHandler(func(string) error {
			return c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(4001, "bye"), time.Now().Add(time.Second))
		})
		if err := c.WriteControl(websocket.PingMessage, []byte("srv"), time.Now().Add(time.Second)); err != nil {
			_ = c.Close()
			return
		}
		drain(c)
	})
	mux.HandleFunc("/big", func(w http.ResponseWriter, r *http.Request) {
		c := upgrade(w, r)
		if c == nil {
			return
		}
		_ = c.WriteMessage(websocket.TextMessage, []byte(strings.Repeat("x", 4096)))
		drain(c)
	})
	mux.HandleFunc("/silent", func(w http.ResponseWriter, r *http.Request) {
		if c := upgrade(w, r); c != nil {
			drain(c)
		}
	})
	if secure {
		s.Server = httptest.NewUnstartedServer(mux)
		s.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake is expected
		s.StartTLS()
	} else {
		s.Server = httptest.NewServer(mux)
	}
	t.Cleanup(s.Close)
	return s
}

func TestWebSocketEchoAndMetrics(t *testing.T) {
	t.Parallel()
	srv := newWSTestServer(t)
	res := run(t, fmt.Sprintf(`
import ws from 'k6/ws';
import { check } from 'k6';
export const options = { vus: 2, iterations: 4, summaryTrendStats: ['avg', 'count'] };
export default function () {
  const got = [];
  let bin = null, pongs = 0, ticks = 0, closeCode = 0, opened = false, callbackFirst = false;
  const res = ws.connect(%q, { headers: { 'X-Hello': 'hi' }, tags: { kind: 'echo' } }, function (socket) {
    callbackFirst = !opened;
    socket.on('open', () => {
      opened = true;
      socket.send('hello');
      socket.sendBinary(new Uint8Array([1, 2, 3]).buffer);
      socket.ping();
    });
    socket.on('message', (m) => got.push(m));
    socket.on('binaryMessage', (b) => { bin = Array.from(new Uint8Array(b)); });
    socket.on('pong', () => { pongs++; });
    socket.setInterval(() => {
      ticks++;
      if (got.length === 1 && bin && pongs === 1) socket.close();
    }, 5);
    socket.on('close', (code) => { closeCode = code; });
  });
  check(res, {
    'status 101': (r) => r.status === 101,
    'handshake headers': (r) => r.headers['X-Hello-Back'] === 'hi',
    'no error': (r) => r.error === '',
    'url': (r) => r.url === %q,
  });
  check(null, {
    'callback before open': () => callbackFirst && opened,
    'text echoed': () => got.length === 1 && got[0] === 'hello',
    'binary echoed': () => bin !== null && bin.join(',') === '1,2,3',
    'pong heard': () => pongs === 1,
    'interval ran': () => ticks > 0,
    'closed normally': () => closeCode === 1000,
  });
}
`, srv.url("/echo"), srv.url("/echo")), RunConfig{})
	requireChecksPass(t, res, 10)
	for metric, want := range map[string]float64{
		"ws_sessions":         4,
		"ws_msgs_sent":        8,
		"ws_msgs_received":    8,
		"ws_connecting":       4,
		"ws_session_duration": 4,
		"ws_ping":             4,
	} {
		if got := value(t, res, metric, "count"); got != want {
			t.Errorf("%s count = %v, want %v", metric, got, want)
		}
	}
	if value(t, res, "data_sent", "count") <= 0 || value(t, res, "data_received", "count") <= 0 {
		t.Errorf("the sessions' bytes are not counted")
	}
}

func TestWebSocketOverTLS(t *testing.T) {
	t.Parallel()
	srv := startWSTestServer(t, true)
	src := fmt.Sprintf(`
import ws from 'k6/ws';
import { check } from 'k6';
export const options = { iterations: 1, insecureSkipTLSVerify: %%s };
export default function () {
  let got = '';
  const res = ws.connect(%q, (socket) => {
    socket.on('open', () => socket.send('secure'));
    socket.on('message', (m) => { got = m; socket.close(); });
  });
  check(res, { 'outcome': (r) => %%s });
}
`, srv.url("/echo"))
	// the test server's certificate is self-signed: refused unless the script skips verification
	res := run(t, fmt.Sprintf(src, "false", "r.status === 0 && r.error.includes('certificate')"), RunConfig{})
	requireChecksPass(t, res, 1)
	res = run(t, fmt.Sprintf(src, "true", "r.status === 101 && got === 'secure'"), RunConfig{})
	requireChecksPass(t, res, 1)
}

func TestWebSocketTagsReachThresholds(t *testing.T) {
	t.Parallel()
	srv := newWSTestServer(t)
	u := srv.url("/echo")
	res := run(t, fmt.Sprintf(`
import ws from 'k6/ws';
export const options = {
  iterations: 3,
  thresholds: {
    'ws_sessions{kind:echo}': ['count==3'],
    'ws_msgs_received{url:%s}': ['count==3'],
    'ws_msgs_sent{status:101}': ['count==3'],
  },
};
export default function () {
  ws.connect(%q, { tags: { kind: 'echo' } }, (socket) => {
    socket.on('open', () => socket.send('x'));
    socket.on('message', () => socket.close());
  });
}
`, u, u), RunConfig{})
	if res.Status != StatusPassed {
		t.Fatalf("status %q, thresholds %+v, errors %v", res.Status, res.Thresholds, res.Errors)
	}
	if got := value(t, res, "ws_sessions{kind:echo}", "count"); got != 3 {
		t.Errorf("tagged sessions = %v", got)
	}
}

func TestWebSocketServerPingCloseAndTimeout(t *testing.T) {
	t.Parallel()
	srv := newWSTestServer(t)
	res := run(t, fmt.Sprintf(`
import ws from 'k6/ws';
import { check } from 'k6';
export const options = { iterations: 2 };
export default function () {
  let pings = 0, code = 0, timeouts = 0;
  ws.connect(%q, (socket) => {
    socket.on('ping', () => { pings++; });
    socket.on('close', (c) => { code = c; });
  });
  // the server closes the session with its own code once it hears the pong
  check(null, { 'server ping heard': () => pings === 1, 'server close code': () => code === 4001 });
  ws.connect(%q, (socket) => {
    socket.setTimeout(() => { timeouts++; socket.close(4002); }, 10);
    socket.on('close', (c) => { code = c; });
  });
  check(null, { 'timeout fired once': () => timeouts === 1, 'own close code echoed': () => code === 4002 });
}
`, srv.url("/ping"), srv.url("/echo")), RunConfig{})
	requireChecksPass(t, res, 4)
}

func TestWebSocketMessageSizeCap(t *testing.T) {
	t.Parallel()
	srv := newWSTestServer(t)
	res := run(t, fmt.Sprintf(`
import ws from 'k6/ws';
import { check } from 'k6';
export const options = { iterations: 1 };
export default function () {
  let err = '', code = 0, msgs = 0;
  ws.connect(%q, (socket) => {
    socket.on('message', () => { msgs++; });
    socket.on('error', (e) => { err = e.error(); });
    socket.on('close', (c) => { code = c; });
  });
  check(null, { 'no message': () => msgs === 0, 'error names the cap': () => err.includes('larger than 1024 bytes'), 'closed as too big': () => code === 1009 });
}
`, srv.url("/big")), RunConfig{MaxBodyBytes: 1024})
	requireChecksPass(t, res, 3)
	if _, ok := res.Metrics["ws_msgs_received"]; ok {
		t.Errorf("an oversized message was counted")
	}
}

func TestWebSocketRefusedByPolicy(t *testing.T) {
	t.Parallel()
	srv := newWSTestServer(t)
	p, err := Compile(fmt.Sprintf(`
import ws from 'k6/ws';
import { check } from 'k6';
export default function () {
  let called = false;
  const res = ws.connect(%q, () => { called = true; });
  check(res, {
    'refused': (r) => r.status === 0 && r.error.includes('private'),
    'callback not run': () => !called,
  });
}
`, srv.url("/echo")), "main.js", nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(t.Context(), p, RunConfig{Outbound: outbound.Policy{}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	requireChecksPass(t, res, 2)
	if _, ok := res.Metrics["ws_sessions"]; ok {
		t.Errorf("a refused connection counted as a session")
	}
	if len(res.Errors) == 0 || !strings.Contains(res.Errors[0].Message, "private") {
		t.Errorf("errors should list the refused connection: %v", res.Errors)
	}
}

// A server that never closes: the session ends with the run's duration and
// gracefulStop, and the server sees its connection closed.
func TestWebSocketSessionEndsWithTheRun(t *testing.T) {
	t.Parallel()
	srv := newWSTestServer(t)
	res := run(t, fmt.Sprintf(`
import ws from 'k6/ws';
export const options = { scenarios: { s: { executor: 'constant-vus', vus: 2, duration: '300ms', gracefulStop: '200ms' } } };
export default function () {
  ws.connect(%q, (socket) => {
    socket.on('open', () => socket.send('anyone?'));
    socket.setInterval(() => {}, 20);
  });
}
`, srv.url("/silent")), RunConfig{})
	if _, ok := res.Metrics["iterations"]; ok {
		t.Errorf("interrupted iterations must not count")
	}
	if got := value(t, res, "ws_sessions", "count"); got != 2 {
		t.Errorf("ws_sessions = %v, want 2", got)
	}
	if _, ok := res.Metrics["ws_session_duration"]; !ok {
		t.Errorf("the cut sessions have no ws_session_duration")
	}
	if res.Status != StatusPassed || len(res.Errors) != 0 {
		t.Errorf("status %q errors %v", res.Status, res.Errors)
	}
	plugintest.Eventually(t, 5*time.Second, func() bool { return srv.ended.Load() >= 2 }, "the server sees both connections end")
	if got := srv.ended.Load(); got != 2 {
		t.Errorf("the server saw %d of 2 connections end", got)
	}
}

func TestWebSocketScriptErrors(t *testing.T) {
	t.Parallel()
	srv := newWSTestServer(t)
	// a handler that throws ends the session and the iteration with its error
	res := run(t, fmt.Sprintf(`
import ws from 'k6/ws';
export const options = { iterations: 1 };
export default function () {
  ws.connect(%q, (socket) => {
    socket.on('open', () => socket.send('x'));
    socket.on('message', () => { throw new Error('handler broke'); });
  });
}
`, srv.url("/echo")), RunConfig{})
	if len(res.Errors) != 1 || !strings.Contains(res.Errors[0].Message, "handler broke") || !strings.Contains(res.Errors[0].Message, "main.js:7") {
		t.Errorf("errors = %v", res.Errors)
	}
	plugintest.Eventually(t, 5*time.Second, func() bool { return srv.ended.Load() >= 1 }, "the session is closed")
	if srv.ended.Load() != 1 {
		t.Errorf("the session was left open")
	}
	// bad arguments are clear errors, not panics
	for _, c := range []struct{ body, want string }{
		{`ws.connect('http://127.0.0.1:1/', () => {})`, "ws:// or wss://"},
		{`ws.connect('` + srv.url("/echo") + `', {})`, "callback"},
		{`ws.connect('` + srv.url("/echo") + `', { compression: 'brotli' }, () => {})`, "compression"},
		{`ws.connect('` + srv.url("/echo") + `', (s) => { s.on('nope', () => {}); })`, "unknown event"},
		{`ws.connect('` + srv.url("/echo") + `', (s) => { s.setInterval(() => {}, 0); })`, "above 0"},
		{`ws.connect('` + srv.url("/echo") + `', (s) => { s.close(1); })`, "3000-4999"},
	} {
		res := run(t, "import ws from 'k6/ws';\nexport const options = { iterations: 1 };\nexport default function () { "+c.body+"; }\n", RunConfig{})
		if len(res.Errors) != 1 || !strings.Contains(res.Errors[0].Message, c.want) {
			t.Errorf("%s: errors %v, want one containing %q", c.body, res.Errors, c.want)
		}
	}
	if _, err := Compile("import ws from 'k6/ws';\nws.connect('ws://127.0.0.1:1/', () => {});\nexport default function () {}\n", "main.js", nil); err == nil || !strings.Contains(err.Error(), "init context") {
		t.Errorf("connect in the init context: %v", err)
	}
}
