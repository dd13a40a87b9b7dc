package engine

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/mockarty-oss/mockarty/plugins/fuzzer/internal/target"
	"github.com/mockarty-oss/mockarty/sdk/outbound"
)

// plainDial dials anything: the tests' targets are on loopback.
var plainDial = (&net.Dialer{Timeout: 5 * time.Second}).DialContext

// wsURL is an httptest server's address as a ws URL.
func wsURL(srv *httptest.Server, path string) string {
	return "ws" + strings.TrimPrefix(srv.URL, "http") + path
}

// TestWebSocketSource: fuzzing a WebSocket search API through the ws
// transport finds the vulnerable twin's two planted bugs (a database error
// in a reply message, a close with 1011 on a message that is not JSON) as
// one finding each, named "ws /chat", and nothing on the clean twin.
func TestWebSocketSource(t *testing.T) {
	for _, vulnerable := range []bool{true, false} {
		srv := httptest.NewServer(target.NewWebSocket(vulnerable))
		t.Cleanup(srv.Close)
		ws := NewWebSocket(plainDial)
		t.Cleanup(func() { _ = ws.Close() })
		search := WebSocketSeed(wsURL(srv, target.WebSocketPath), `{"query":"phone"}`)
		if search.Operation != "ws /chat" || search.ContentType != "application/json" || search.Method != http.MethodPost {
			t.Fatalf("seed: %+v", search)
		}
		text := WebSocketSeed(wsURL(srv, target.WebSocketPath), "hello")
		text.ID += " text"
		if text.ContentType != "" {
			t.Fatalf("a text message's seed says JSON: %+v", text)
		}
		res, err := Run(context.Background(), Config{Strategy: "security", Categories: []string{"sqli", "xss"},
			Seeds: []Seed{search, text}, Transports: Transports{"ws": ws}, Options: Options{MaxRequests: 2000}}, noRedirects(), nil)
		if err != nil {
			t.Fatal(err)
		}
		if res.ErrorCount != 0 {
			t.Fatalf("%d requests failed", res.ErrorCount)
		}
		got := map[string]bool{}
		for _, f := range res.Findings {
			got[f.Fingerprint] = true
			t.Log(f.Fingerprint, " ", f.MutationApplied)
		}
		switch {
		case vulnerable && (len(res.Findings) != 2 || !hasPrefix(got, "ws /chat|sqli|200|sql-error:unterminated quoted string") ||
			!hasPrefix(got, "ws /chat|500_error|500|text:internal error")):
			t.Fatalf("%d findings on the vulnerable WebSocket API", len(res.Findings))
		case !vulnerable && len(res.Findings) != 0:
			t.Fatalf("a finding on the clean WebSocket API: %s", res.Findings[0].Fingerprint)
		}
	}
}

// hasPrefix says whether one of the fingerprints starts with p.
func hasPrefix(fps map[string]bool, p string) bool {
	for fp := range fps {
		if strings.HasPrefix(fp, p) {
			return true
		}
	}
	return false
}

// scriptedWS is a WebSocket server whose path says how it answers:
// /refuse refuses the handshake (403), /echo sends the message back
// (prefixed with its kind), /mirror sends it back as it is,
// /close/<code>/<reason> closes with that code,
// /drop drops the connection without a close frame, /silent answers
// nothing (and says on got that it has the message).
func scriptedWS(t *testing.T, got chan<- string) *httptest.Server {
	up := websocket.Upgrader{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/refuse" {
			http.Error(w, "no entry for "+r.Header.Get("X-Who"), http.StatusForbidden)
			return
		}
		conn, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer conn.Close()
		kind, msg, err := conn.ReadMessage()
		if err != nil {
			return
		}
		switch path := r.URL.Path; {
		case path == "/mirror":
			_ = conn.WriteMessage(kind, msg)
		case path == "/echo":
			prefix := "text:"
			if kind == websocket.BinaryMessage {
				prefix = "binary:"
			}
			_ = conn.WriteMessage(kind, append([]byte(prefix), msg...))
		case strings.HasPrefix(path, "/close/"):
			parts := strings.SplitN(path, "/", 4)
			code, _ := strconv.Atoi(parts[2])
			_ = conn.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(code, parts[3]))
		case path == "/drop":
			_ = conn.NetConn().Close()
		case path == "/silent":
			got <- string(msg)
			_, _, _ = conn.ReadMessage() // until the client goes
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestWebSocketStatus: how what a WebSocket server does becomes a status
// the checks read, and a 1011 close and a dropped connection become
// 500_error findings through a run.
func TestWebSocketStatus(t *testing.T) {
	got := make(chan string, 4)
	srv := scriptedWS(t, got)
	ws := NewWebSocket(plainDial)
	ws.ReplyWait = 50 * time.Millisecond
	t.Cleanup(func() { _ = ws.Close() })
	send := func(path string, body []byte, h http.Header) *Reply {
		t.Helper()
		rep, err := ws.Send(context.Background(), &Request{Method: http.MethodPost, URL: wsURL(srv, path), Header: h, Body: body})
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		return rep
	}
	for _, c := range []struct {
		path, body string
		status     int
		want       string
	}{
		{"/echo", `{"a":1}`, 200, `text:{"a":1}`},
		{"/echo", "\xff\xfe", 200, "binary:\xff\xfe"},
		{"/close/1011/boom", "x", 500, "boom"},
		{"/close/1008/policy", "x", 400, "policy"},
		{"/close/1003/", "x", 400, ""},
		{"/close/1007/utf8", "x", 400, "utf8"},
		{"/close/1000/bye", "x", 200, ""},
		{"/close/1001/", "x", 200, ""},
		{"/close/4500/graphql-ws", "x", 500, "graphql-ws"},
		{"/drop", "x", 502, "connection closed abnormally"},
		{"/silent", "x", 204, ""},
	} {
		rep := send(c.path, []byte(c.body), nil)
		if rep.Status != c.status || string(rep.Body) != c.want {
			t.Errorf("%s: %d %q, want %d %q", c.path, rep.Status, rep.Body, c.status, c.want)
		}
	}
	<-got
	if rep := send("/mirror", []byte(`{"a":1}`), nil); rep.Header.Get("Content-Type") != "application/json" {
		t.Errorf("a JSON reply's content type: %q", rep.Header.Get("Content-Type"))
	}
	// A refused handshake is its HTTP answer; the request's headers go with the handshake.
	if rep := send("/refuse", nil, http.Header{"X-Who": {"ann"}, "Connection": {"close"}}); rep.Status != 403 || !strings.Contains(string(rep.Body), "no entry for ann") {
		t.Errorf("refused handshake: %d %q", rep.Status, rep.Body)
	}

	// The context ends the wait for a reply: an error, not a reply.
	slow := NewWebSocket(plainDial)
	slow.ReplyWait = time.Hour
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-got; cancel() }()
	if rep, err := slow.Send(ctx, &Request{URL: wsURL(srv, "/silent"), Body: []byte("x")}); err == nil {
		t.Errorf("cancelled while waiting: %d, no error", rep.Status)
	}

	// Many at once.
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rep, err := ws.Send(context.Background(), &Request{URL: wsURL(srv, "/echo"), Body: []byte(strconv.Itoa(i))})
			if err != nil || string(rep.Body) != "text:"+strconv.Itoa(i) {
				t.Errorf("concurrent send %d: %v %v", i, rep, err)
			}
		}()
	}
	wg.Wait()

	// The network policy's dialer decides: loopback is refused by default.
	if _, err := NewWebSocket(outbound.Dialer(false)).Send(context.Background(), &Request{URL: wsURL(srv, "/echo")}); err == nil || !strings.Contains(err.Error(), "refusing") {
		t.Errorf("a private address through the policy: %v", err)
	}
	if _, err := ws.Send(context.Background(), &Request{URL: "http://example.com/"}); err == nil {
		t.Error("an http URL was sent")
	}
	_ = ws.Close()
	if _, err := ws.Send(context.Background(), &Request{URL: wsURL(srv, "/echo")}); err == nil {
		t.Error("sent after Close")
	}

	// Through a run: a close with 1011 and a dropped connection are server errors.
	run := NewWebSocket(plainDial)
	t.Cleanup(func() { _ = run.Close() })
	crash := WebSocketSeed(wsURL(srv, "/close/1011/handler panic"), "x")
	drop := WebSocketSeed(wsURL(srv, "/drop"), "x")
	res, err := Run(context.Background(), Config{Strategy: "security", Categories: []string{"sqli"}, Seeds: []Seed{crash, drop},
		Transports: Transports{"ws": run}, Options: Options{MaxRequests: 100}}, noRedirects(), nil)
	if err != nil {
		t.Fatal(err)
	}
	fps := map[string]bool{}
	for _, f := range res.Findings {
		fps[f.Fingerprint] = true
	}
	if len(fps) != 2 || !fps["ws /close/1011/handler panic|500_error|500|text:handler panic"] || !fps["ws /drop|500_error|502|text:connection closed abnormally"] {
		t.Fatalf("findings: %v", fps)
	}
}
