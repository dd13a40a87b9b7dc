package main

// In-process tests over the real plugin contract (sdk/plugintest) with a
// fake host. The end-to-end tests with the real host are in e2e_test.go.

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/mockarty-oss/mockarty/sdk"
	"github.com/mockarty-oss/mockarty/sdk/find"
	"github.com/mockarty-oss/mockarty/sdk/plugintest"
)

func TestParse(t *testing.T) {
	s := &server{ServerSettings: ServerSettings{EventField: "event"}}
	nested := &server{ServerSettings: ServerSettings{EventField: "meta.type"}}
	long := strings.Repeat("é", 600) // 1200 bytes
	cases := []struct {
		srv         *server
		msg, event  string
		data        string
		skipped     bool
		description string
	}{
		{s, `{"event":"ping","n":1}`, "ping", `{"event":"ping","n":1}`, false, "the event field"},
		{s, ` {"event":"ping"}` + "\n", "ping", `{"event":"ping"}`, false, "space around JSON"},
		{s, `{"n":1}`, `{"n":1}`, `{"n":1}`, false, "JSON without the field: the whole message"},
		{s, `{"event":7}`, "7", `{"event":7}`, false, "a number names the event as written"},
		{s, `{"event":{"x":1}}`, `{"event":{"x":1}}`, `{"event":{"x":1}}`, false, "an object names no event"},
		{s, `hello world`, "hello world", `"hello world"`, false, "text"},
		{s, `"quoted"`, "quoted", `"quoted"`, false, "a JSON string"},
		{s, `[1,2]`, "[1,2]", `[1,2]`, false, "an array"},
		{s, "\xff\xfeping", "\uFFFDping", `"\uFFFDping"`, false, "bytes that are not UTF-8"},
		{nested, `{"meta":{"type":"join"},"room":"a"}`, "join", `{"meta":{"type":"join"},"room":"a"}`, false, "a dotted event field"},
		{nested, `{"meta":"join"}`, `{"meta":"join"}`, `{"meta":"join"}`, false, "a dotted path through a string"},
		{s, "  \r\n", "", "", true, "an empty message"},
	}
	for _, c := range cases {
		event, data, ok := c.srv.parse([]byte(c.msg))
		if ok == c.skipped {
			t.Errorf("%s: ok=%v", c.description, ok)
			continue
		}
		if c.skipped {
			continue
		}
		var want, got any
		_ = json.Unmarshal([]byte(c.data), &want)
		if err := json.Unmarshal(data, &got); err != nil || fmt.Sprint(got) != fmt.Sprint(want) || event != c.event {
			t.Errorf("%s: event %q data %s, want %q %s", c.description, event, data, c.event, c.data)
		}
	}
	event, _, _ := s.parse([]byte(long))
	if len(event) != 1024 || !strings.HasPrefix(long, event) {
		t.Errorf("a long text event is cut at 1024 bytes on a character boundary: %d bytes", len(event))
	}
}

func TestSettings(t *testing.T) {
	s, err := parseSettings(json.RawMessage(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	d := s.Servers[0]
	if len(s.Servers) != 1 || d.ServerName != "default" || d.Namespace != "sandbox" || d.WebSocket.Address != "127.0.0.1:5784" ||
		d.WebSocket.Path != "/ws" || d.TCP.Address != "127.0.0.1:5785" || d.TCP.Framing != "newline" || d.UDP.Address != "127.0.0.1:5786" ||
		d.EventField != "event" || d.Unmatched != "error" || s.MaxMessageBytes != 1<<20 {
		t.Fatalf("defaults: %+v %+v", s, d)
	}
	bad := map[string]string{
		`{"servers":[]}`: "must not be empty",
		`{"servers":[{"serverName":"a","tcp":{"address":":0"}},{"serverName":"a","udp":{"address":":0"}}]}`: "another server has this name",
		`{"servers":[{"serverName":"a"}]}`:                                               "no transport",
		`{"servers":[{"serverName":"a/b","tcp":{"address":":0"}}]}`:                      "serverName",
		`{"servers":[{"serverName":"a","tcp":{"address":":0","framing":"crlf"}}]}`:       "framing",
		`{"servers":[{"serverName":"a","tcp":{"address":""}}]}`:                          "address is required",
		`{"servers":[{"serverName":"a","websocket":{"address":":0","path":"ws"}}]}`:      "must start with /",
		`{"servers":[{"serverName":"a","namespace":"no space","udp":{"address":":0"}}]}`: "namespace",
		`{"servers":[{"serverName":"a","eventField":"a..b","udp":{"address":":0"}}]}`:    "eventField",
		`{"servers":[{"serverName":"a","unmatched":"drop","udp":{"address":":0"}}]}`:     "unmatched",
		`{"maxMessageBytes":1073741824}`:                                                 "maxMessageBytes",
		`{"port":1}`:                                                                     "unknown field",
		`{"servers":`:                                                                    "settings",
	}
	for raw, want := range bad {
		if err := (&Listener{}).Configure(t.Context(), json.RawMessage(raw)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want one mentioning %q", raw, err, want)
		}
	}
}

// echoHost answers like the real host would for a few events.
func echoHost() *plugintest.FakeHost {
	return &plugintest.FakeHost{FindSocketFunc: func(_ context.Context, req *find.SocketRequest) (*find.SocketResponse, error) {
		switch req.Event {
		case "ping":
			return &find.SocketResponse{Data: json.RawMessage(`{"event":"pong","server":"` + req.ServerName + `"}`)}, nil
		case "hello":
			return &find.SocketResponse{Data: json.RawMessage(`"hi there"`)}, nil
		case "echo":
			return &find.SocketResponse{Data: req.Data}, nil
		case "boom":
			return &find.SocketResponse{Error: &find.GRPCError{Code: 13, Message: "kaput"}}, nil
		case "silent":
			return &find.SocketResponse{}, nil
		case "connect":
			return &find.SocketResponse{Data: json.RawMessage(`{"event":"welcome"}`)}, nil
		}
		return nil, &sdk.NoMatch{Message: "no socket mock matches " + req.ServerName + "/" + req.Event, Code: "no_match", Namespace: req.Namespace}
	}}
}

func lineClient(t *testing.T, addr string) (net.Conn, *bufio.Reader) {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(addr, "tcp://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	return c, bufio.NewReader(c)
}

func readLineT(t *testing.T, r *bufio.Reader) string {
	t.Helper()
	line, err := r.ReadString('\n')
	if err != nil {
		t.Fatalf("read a line: %v (got %q)", err, line)
	}
	return strings.TrimSuffix(line, "\n")
}

func TestTCPNewlineFraming(t *testing.T) {
	host := echoHost()
	p := plugintest.Start(t, &Listener{}, json.RawMessage(`{"servers":[{"serverName":"chat","namespace":"qa","tcp":{"address":"127.0.0.1:0"}}]}`), host)
	if len(p.Addresses) != 1 || !strings.HasPrefix(p.Addresses[0], "tcp://127.0.0.1:") {
		t.Fatalf("addresses: %v", p.Addresses)
	}
	c, r := lineClient(t, p.Addresses[0])
	fmt.Fprint(c, "{\"event\":\"ping\"}\r\nhello\n{\"event\":\"boom\"}\n\n{\"event\":\"silent\"}\n{\"event\":\"nope\"}\n{\"event\":\"echo\",\"x\":1}\n")
	want := []string{`{"event":"pong","server":"chat"}`, "hi there", `{"error":"kaput","statusCode":13}`}
	for _, w := range want {
		if got := readLineT(t, r); got != w {
			t.Fatalf("reply %q, want %q", got, w)
		}
	}
	var nm sdk.NoMatch
	if line := readLineT(t, r); json.Unmarshal([]byte(line), &nm) != nil || nm.Code != "no_match" || nm.Namespace != "qa" {
		t.Fatalf("unmatched: %q", line)
	}
	if got := readLineT(t, r); got != `{"event":"echo","x":1}` {
		t.Fatalf("echo (the silent mock sent nothing before it): %q", got)
	}
	var events []string
	for _, call := range host.Calls() {
		var req find.SocketRequest
		_ = json.Unmarshal(call.Body, &req)
		if req.Namespace != "qa" || req.ServerName != "chat" {
			t.Errorf("find request: %s", call.Body)
		}
		events = append(events, req.Event)
	}
	// No connect: the host lists no connect mock, so none is resolved.
	if got := strings.Join(events, ","); got != "ping,hello,boom,silent,nope,echo" {
		t.Fatalf("events resolved, in order: %s", got)
	}
}

func TestTCPLengthFramingAndLimits(t *testing.T) {
	p := plugintest.Start(t, &Listener{}, json.RawMessage(`{"maxMessageBytes":64,
		"servers":[{"serverName":"bin","eventField":"type","tcp":{"address":"127.0.0.1:0","framing":"length"}}]}`), echoHost())
	c, r := lineClient(t, p.Addresses[0])
	write := func(msg string) {
		frame := binary.BigEndian.AppendUint32(nil, uint32(len(msg)))
		if _, err := c.Write(append(frame, msg...)); err != nil {
			t.Fatal(err)
		}
	}
	read := func() string {
		var head [4]byte
		if _, err := io.ReadFull(r, head[:]); err != nil {
			t.Fatalf("read a length: %v", err)
		}
		msg := make([]byte, binary.BigEndian.Uint32(head[:]))
		if _, err := io.ReadFull(r, msg); err != nil {
			t.Fatal(err)
		}
		return string(msg)
	}
	write(`{"type":"ping"}`)
	write("line one\nline two") // newlines are part of a length-prefixed message
	if got := read(); got != `{"event":"pong","server":"bin"}` {
		t.Fatalf("reply: %q", got)
	}
	var nm sdk.NoMatch
	if got := read(); json.Unmarshal([]byte(got), &nm) != nil || !strings.HasSuffix(nm.Message, "bin/line one\nline two") {
		t.Fatalf("the second message is one event: %q", got)
	}
	write(strings.Repeat("x", 65))
	var e struct{ Error, Code string }
	if got := read(); json.Unmarshal([]byte(got), &e) != nil || e.Code != "payload_too_large" {
		t.Fatalf("oversize: %q", got)
	}
	if _, err := r.ReadByte(); !errors.Is(err, io.EOF) {
		t.Fatalf("the connection is closed after an oversize message: %v", err)
	}
}

func TestUDP(t *testing.T) {
	host := echoHost()
	p := plugintest.Start(t, &Listener{}, json.RawMessage(`{"servers":[{"serverName":"dg","udp":{"address":"127.0.0.1:0"}}]}`), host)
	c, err := net.Dial("udp", strings.TrimPrefix(p.Addresses[0], "udp://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 2048)
	for msg, want := range map[string]string{`{"event":"ping"}`: `{"event":"pong","server":"dg"}`, "hello": "hi there"} {
		if _, err := c.Write([]byte(msg)); err != nil {
			t.Fatal(err)
		}
		n, err := c.Read(buf)
		if err != nil || string(buf[:n]) != want {
			t.Fatalf("%s: reply %q %v, want %q", msg, buf[:n], err, want)
		}
	}
	// The sender is listed while it keeps sending, and a push reaches it.
	res, err := p.Client.Call(t.Context(), "connections", json.RawMessage(`{"serverName":"dg"}`))
	if err != nil {
		t.Fatal(err)
	}
	var list ConnectionsResult
	_ = json.Unmarshal(res, &list)
	if len(list.Connections) != 1 || list.Connections[0].Transport != "udp" || list.Connections[0].RemoteAddr != c.LocalAddr().String() {
		t.Fatalf("connections: %s", res)
	}
	if _, err := p.Client.Call(t.Context(), "push", json.RawMessage(`{"serverName":"dg","connectionId":"`+list.Connections[0].ID+`","data":"pushed"}`)); err != nil {
		t.Fatal(err)
	}
	if n, err := c.Read(buf); err != nil || string(buf[:n]) != "pushed" {
		t.Fatalf("push: %q %v", buf[:n], err)
	}
	for _, call := range host.Calls() {
		var req find.SocketRequest
		_ = json.Unmarshal(call.Body, &req)
		if req.Event == "connect" || req.Event == "disconnect" {
			t.Fatalf("UDP has no lifecycle events: %s", call.Body)
		}
	}
}

func wsDial(t *testing.T, url string) *websocket.Conn {
	t.Helper()
	ws, res, err := websocket.DefaultDialer.Dial(url, nil)
	if err != nil {
		t.Fatalf("dial %s: %v", url, err)
	}
	res.Body.Close()
	t.Cleanup(func() { ws.Close() })
	_ = ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	return ws
}

func wsRead(t *testing.T, ws *websocket.Conn) string {
	t.Helper()
	kind, msg, err := ws.ReadMessage()
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	if kind != websocket.TextMessage {
		t.Fatalf("a %d frame, want text: %q", kind, msg)
	}
	return string(msg)
}

func TestWebSocketPushAndLifecycle(t *testing.T) {
	host := echoHost()
	p := plugintest.Start(t, &Listener{}, json.RawMessage(`{"servers":[
		{"serverName":"chat","websocket":{"address":"127.0.0.1:0","path":"/live"}},
		{"serverName":"other","unmatched":"ignore","tcp":{"address":"127.0.0.1:0"}}]}`), host)
	url := p.Addresses[0]
	if !strings.HasPrefix(url, "ws://127.0.0.1:") || !strings.HasSuffix(url, "/live") {
		t.Fatalf("addresses: %v", p.Addresses)
	}
	// Another path is not the endpoint.
	page, err := http.Get("http://" + strings.TrimSuffix(strings.TrimPrefix(url, "ws://"), "/live") + "/elsewhere")
	if err != nil {
		t.Fatal(err)
	}
	page.Body.Close()
	if page.StatusCode != http.StatusNotFound {
		t.Fatalf("GET /elsewhere: %d", page.StatusCode)
	}

	// The fake host lists no mocks: lifecycle events are resolved only
	// once the listener knows a mock may answer them.
	a := wsDial(t, url+"?room=1")
	if err := a.WriteMessage(websocket.TextMessage, []byte(`{"event":"ping"}`)); err != nil {
		t.Fatal(err)
	}
	if got := wsRead(t, a); got != `{"event":"pong","server":"chat"}` {
		t.Fatalf("first message without a connect mock: %q", got)
	}
	host.SetMocks("socket", json.RawMessage(`{"id":"c","namespace":"sandbox","socket":{"serverName":"chat","event":"connect"}}`))
	var b *websocket.Conn
	plugintest.Eventually(t, 10*time.Second, func() bool {
		b = wsDial(t, url)
		_ = b.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
		_, msg, err := b.ReadMessage()
		if err != nil {
			b.Close()
			return false
		}
		if string(msg) != `{"event":"welcome"}` {
			t.Fatalf("greeting: %q", msg)
		}
		return true
	}, "the connect mock's answer")
	_ = b.SetReadDeadline(time.Now().Add(10 * time.Second))
	var connects []map[string]any
	for _, call := range host.Calls() {
		var req find.SocketRequest
		_ = json.Unmarshal(call.Body, &req)
		if req.Event == "connect" {
			var d map[string]any
			_ = json.Unmarshal(req.Data, &d)
			connects = append(connects, d)
		}
	}
	if len(connects) == 0 || connects[0]["transport"] != "websocket" || connects[0]["path"] != "/live" || connects[0]["connectionId"] == "" {
		t.Fatalf("connect data: %v", connects)
	}

	res, err := p.Client.Call(t.Context(), "connections", json.RawMessage(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	var list ConnectionsResult
	_ = json.Unmarshal(res, &list)
	if len(list.Servers) != 2 || len(list.Connections) != 2 || list.Connections[0].Transport != "websocket" {
		t.Fatalf("connections: %s", res)
	}
	res, err = p.Client.Call(t.Context(), "push", json.RawMessage(`{"serverName":"chat","data":{"event":"news","n":1}}`))
	var pr PushResult
	if err != nil || json.Unmarshal(res, &pr) != nil || pr.Sent != 2 {
		t.Fatalf("push to all: %s %v", res, err)
	}
	for _, ws := range []*websocket.Conn{a, b} {
		if got := wsRead(t, ws); got != `{"event":"news","n":1}` {
			t.Fatalf("pushed: %q", got)
		}
	}
	bID := list.Connections[1].ID
	if _, err := p.Client.Call(t.Context(), "push", json.RawMessage(`{"serverName":"chat","connectionId":"`+bID+`","data":"to b only"}`)); err != nil {
		t.Fatal(err)
	}
	if got := wsRead(t, b); got != "to b only" {
		t.Fatalf("push to one: %q", got)
	}
	_ = a.WriteMessage(websocket.TextMessage, []byte("hello"))
	if got := wsRead(t, a); got != "hi there" {
		t.Fatalf("a got no push before its reply: %q", got)
	}

	res, err = p.Client.Call(t.Context(), "push", json.RawMessage(`{"serverName":"chat","connectionId":"gone","data":1}`))
	if err != nil || json.Unmarshal(res, &pr) != nil || !pr.NotOpen || pr.Sent != 0 {
		t.Fatalf("push to a closed connection: %s %v", res, err)
	}
	for params, want := range map[string]string{
		`{"serverName":"nope","data":1}`:              `no socket server named "nope" (servers: chat, other)`,
		`{"serverName":"chat"}`:                       "data is required",
		`{"data":1}`:                                  "serverName is required",
		`{"serverName":"chat","data":1,"extra":true}`: "unknown field",
	} {
		if _, err := p.Client.Call(t.Context(), "push", json.RawMessage(params)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("push %s: %v, want %q", params, err, want)
		}
	}
	if _, err := p.Client.Call(t.Context(), "kick", nil); !errors.Is(err, sdk.ErrUnknownAction) {
		t.Fatalf("unknown action: %v", err)
	}

	// The server with unmatched "ignore" sends nothing for a miss.
	c, r := lineClient(t, p.Addresses[1])
	fmt.Fprint(c, "nope\nping\n")
	if got := readLineT(t, r); got != `{"event":"pong","server":"other"}` {
		t.Fatalf("after an ignored miss: %q", got)
	}

	// Closing a connection resolves its disconnect (once a mock may answer).
	host.SetMocks("socket", json.RawMessage(`{"id":"d","namespace":"sandbox","serverName":"chat","socket":{"event":"disconnect"}}`))
	plugintest.Eventually(t, 10*time.Second, func() bool {
		ws := wsDial(t, url)
		ws.Close()
		return disconnects(host) > 0
	}, "a resolved disconnect")
	if err := p.Client.Health(t.Context()); err != nil {
		t.Fatal(err)
	}
}

func disconnects(h *plugintest.FakeHost) int {
	n := 0
	for _, call := range h.Calls() {
		var req find.SocketRequest
		_ = json.Unmarshal(call.Body, &req)
		if req.Event == "disconnect" {
			n++
		}
	}
	return n
}

func TestStopClosesConnections(t *testing.T) {
	l := &Listener{}
	if err := l.Configure(t.Context(), json.RawMessage(`{"servers":[{"serverName":"s","websocket":{"address":"127.0.0.1:0"},"tcp":{"address":"127.0.0.1:0"}}]}`)); err != nil {
		t.Fatal(err)
	}
	host := echoHost()
	host.SetMocks("socket", json.RawMessage(`{"namespace":"sandbox","socket":{"event":"connect"}}`))
	addrs, err := l.Start(t.Context(), host)
	if err != nil {
		t.Fatal(err)
	}
	ws := wsDial(t, addrs[0])
	if got := wsRead(t, ws); got != `{"event":"welcome"}` {
		t.Fatalf("greeting: %q", got)
	}
	c, r := lineClient(t, addrs[1])
	if got := readLineT(t, r); got != `{"event":"welcome"}` {
		t.Fatalf("greeting: %q", got)
	}
	if err := l.Stop(t.Context()); err != nil {
		t.Fatal(err)
	}
	_, _, err = ws.ReadMessage()
	var ce *websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != websocket.CloseGoingAway {
		t.Fatalf("the WebSocket client is told the server is going away: %v", err)
	}
	if _, err := r.ReadByte(); !errors.Is(err, io.EOF) {
		t.Fatalf("the TCP connection is closed: %v", err)
	}
	c.Close()
	if err := l.Health(t.Context()); err == nil {
		t.Fatal("a stopped listener is not healthy")
	}
	if _, err := net.Dial("tcp", strings.TrimPrefix(addrs[1], "tcp://")); err == nil {
		t.Fatal("the TCP port is closed after Stop")
	}
}

func TestStartFailureReleasesPorts(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	free, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	freeAddr := free.Addr().String()
	free.Close()
	l := &Listener{}
	settings := fmt.Sprintf(`{"servers":[{"serverName":"a","websocket":{"address":%q,"path":"/ws/{id} x"}},
		{"serverName":"b","tcp":{"address":%q}}]}`, freeAddr, busy.Addr().String())
	if err := l.Configure(t.Context(), json.RawMessage(settings)); err != nil {
		t.Fatal(err)
	}
	_, err = l.Start(t.Context(), echoHost())
	if err == nil || !strings.Contains(err.Error(), "server b: listen tcp") || !strings.Contains(err.Error(), "address already in use") {
		t.Fatalf("start with a busy port: %v", err)
	}
	if err := l.Health(t.Context()); err == nil {
		t.Fatal("a listener that failed to start is not healthy")
	}
	again, err := net.Listen("tcp", freeAddr)
	if err != nil {
		t.Fatalf("server a's port is released after the failed start: %v", err)
	}
	again.Close()
	// A path that a ServeMux would read as a pattern is served as it is.
	if err := l.Configure(t.Context(), json.RawMessage(fmt.Sprintf(`{"servers":[{"serverName":"a","websocket":{"address":%q,"path":"/ws/{id} x"}}]}`, freeAddr))); err != nil {
		t.Fatal(err)
	}
	addrs, err := l.Start(t.Context(), echoHost())
	if err != nil {
		t.Fatal(err)
	}
	defer l.Stop(t.Context())
	ws, res, err := websocket.DefaultDialer.Dial("ws://"+freeAddr+"/ws/%7Bid%7D%20x", nil)
	if err != nil {
		t.Fatalf("dial %v: %v", addrs, err)
	}
	res.Body.Close()
	ws.Close()
}
