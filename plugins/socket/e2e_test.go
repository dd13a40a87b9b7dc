package main

// End-to-end tests: plugintest.StartHost builds the real host
// (host/cmd/mockarty) and this plugin's binary; each test starts the host
// with the plugin as a subprocess and talks to it with real clients:
// gorilla/websocket, TCP and UDP sockets, and the host's REST API.

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/mockarty-oss/mockarty/sdk/plugintest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	plugintest.Cleanup()
	os.Exit(code)
}

func freePort(t *testing.T) int {
	t.Helper()
	return plugintest.FreePort(t) // never the same port twice
}

// freeUDPPort picks a port free for UDP.
func freeUDPPort(t *testing.T) int {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	return pc.LocalAddr().(*net.UDPAddr).Port
}

func addr(port int) string { return "127.0.0.1:" + strconv.Itoa(port) }

// host is a running mockarty process with the socket plugin.
type host struct {
	URL    string
	client *http.Client
	// token or cookie authenticates API calls (full access control).
	token, cookie string
}

// startHost starts the host with the plugin's settings (nil: the plugin is
// not loaded) and waits until the plugin runs.
func startHost(t *testing.T, settings any) *host {
	t.Helper()
	return startHostAs(t, settings, plugintest.Admin{})
}

// startHostAs is startHost with access control (AUTH_MODE=full) and admin
// as the first administrator (when its Login is set).
func startHostAs(t *testing.T, settings any, admin plugintest.Admin) *host {
	t.Helper()
	o := plugintest.HostOptions{Admin: admin}
	if settings != nil {
		b, _ := json.Marshal(settings)
		o.Plugins = map[string]plugintest.PluginSpec{"socket": {Dir: ".", Settings: string(b)}}
	}
	h := plugintest.StartHost(t, o)
	return &host{URL: h.URL, client: &http.Client{Timeout: 30 * time.Second}}
}

type reply struct {
	status int
	body   []byte
}

func (h *host) do(t *testing.T, method, path string, body any) reply {
	t.Helper()
	var rdr io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rdr = strings.NewReader(b)
	default:
		enc, _ := json.Marshal(b)
		rdr = bytes.NewReader(enc)
	}
	req, err := http.NewRequest(method, h.URL+path, rdr)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if h.token != "" {
		req.Header.Set("X-API-Key", h.token)
	}
	if h.cookie != "" {
		req.Header.Set("Cookie", h.cookie)
	}
	res, err := h.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return reply{res.StatusCode, b}
}

// call expects the status and decodes the answer into out (when not nil).
func (h *host) call(t *testing.T, want int, method, path string, body, out any) {
	t.Helper()
	r := h.do(t, method, path, body)
	if r.status != want {
		t.Fatalf("%s %s: %d, want %d: %s", method, path, r.status, want, r.body)
	}
	if out != nil {
		if err := json.Unmarshal(r.body, out); err != nil {
			t.Fatalf("%s %s: %v: %s", method, path, err, r.body)
		}
	}
}

// apiError expects an error in the API's envelope.
func (h *host) apiError(t *testing.T, want int, code, contains, method, path string, body any) {
	t.Helper()
	var e struct{ Error, Code, Field string }
	h.call(t, want, method, path, body, &e)
	if e.Code != code || !strings.Contains(e.Error, contains) {
		t.Fatalf("%s %s: %+v, want code %s and a message with %q", method, path, e, code, contains)
	}
}

func (h *host) createMocks(t *testing.T, mocks ...string) {
	t.Helper()
	for _, m := range mocks {
		h.call(t, http.StatusCreated, http.MethodPost, "/api/v1/mocks", m, nil)
	}
}

type apiConnection struct {
	ID, ServerName, Namespace, Transport, RemoteAddr, ConnectedAt string
}

type apiConnections struct {
	Connections []apiConnection
	Total       int
	Servers     []struct {
		ServerName, Namespace string
		Addresses             []string
	}
}

type apiPush struct {
	ServerName, Namespace string
	Sent                  int
	ConnectionIDs         []string
}

func (h *host) connections(t *testing.T, server string) apiConnections {
	t.Helper()
	var out apiConnections
	h.call(t, http.StatusOK, http.MethodGet, "/api/v1/socket/connections?serverName="+server, nil, &out)
	return out
}

func (h *host) push(t *testing.T, body any) apiPush {
	t.Helper()
	var out apiPush
	h.call(t, http.StatusOK, http.MethodPost, "/api/v1/socket/push", body, &out)
	return out
}

// The WebSocket, TCP and UDP clients.

func dialWS(t *testing.T, url string) *websocket.Conn {
	t.Helper()
	ws, res, err := websocket.DefaultDialer.Dial(url, nil)
	if err != nil {
		t.Fatalf("dial %s: %v", url, err)
	}
	res.Body.Close()
	t.Cleanup(func() { ws.Close() })
	_ = ws.SetReadDeadline(time.Now().Add(20 * time.Second))
	return ws
}

func sendWS(t *testing.T, ws *websocket.Conn, msg string) {
	t.Helper()
	if err := ws.WriteMessage(websocket.TextMessage, []byte(msg)); err != nil {
		t.Fatal(err)
	}
}

func readWS(t *testing.T, ws *websocket.Conn) string {
	t.Helper()
	kind, msg, err := ws.ReadMessage()
	if err != nil {
		t.Fatalf("websocket read: %v", err)
	}
	if kind != websocket.TextMessage {
		t.Fatalf("frame type %d, want text: %q", kind, msg)
	}
	return string(msg)
}

// readJSON reads one WebSocket message as a JSON object.
func readJSON(t *testing.T, ws *websocket.Conn) map[string]any {
	t.Helper()
	msg := readWS(t, ws)
	var v map[string]any
	if err := json.Unmarshal([]byte(msg), &v); err != nil {
		t.Fatalf("not a JSON object: %q", msg)
	}
	return v
}

func jsonEq(t *testing.T, got, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal([]byte(got), &g); err != nil {
		t.Fatalf("not JSON: %q", got)
	}
	_ = json.Unmarshal([]byte(want), &w)
	gb, _ := json.Marshal(g)
	wb, _ := json.Marshal(w)
	if !bytes.Equal(gb, wb) {
		t.Fatalf("got %s, want %s", gb, wb)
	}
}

func dialTCP(t *testing.T, a string) (net.Conn, *bufio.Reader) {
	t.Helper()
	c, err := net.Dial("tcp", a)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	_ = c.SetDeadline(time.Now().Add(20 * time.Second))
	return c, bufio.NewReader(c)
}

func readLineE2E(t *testing.T, r *bufio.Reader) string {
	t.Helper()
	line, err := r.ReadString('\n')
	if err != nil {
		t.Fatalf("tcp read: %v (%q)", err, line)
	}
	return strings.TrimSuffix(line, "\n")
}

// The scenario's settings and mocks.

type ports struct{ ws, tcp, udp, frames, room, secret int }

func scenarioSettings(p ports) map[string]any {
	return map[string]any{"servers": []any{
		map[string]any{"serverName": "chat", "namespace": "sandbox",
			"websocket": map[string]any{"address": addr(p.ws), "path": "/ws"},
			"tcp":       map[string]any{"address": addr(p.tcp), "framing": "newline"},
			"udp":       map[string]any{"address": addr(p.udp)}},
		map[string]any{"serverName": "frames", "eventField": "type",
			"tcp": map[string]any{"address": addr(p.frames), "framing": "length"}},
		map[string]any{"serverName": "room", "websocket": map[string]any{"address": addr(p.room)}},
		map[string]any{"serverName": "secret", "namespace": "other", "websocket": map[string]any{"address": addr(p.secret)}},
	}}
}

func newPorts(t *testing.T) ports {
	return ports{freePort(t), freePort(t), freeUDPPort(t), freePort(t), freePort(t), freePort(t)}
}

var scenarioMocks = []string{
	`{"id":"sock-ping","socket":{"serverName":"chat","event":"ping"},"response":{"payload":{"event":"pong"}}}`,
	`{"id":"sock-echo","socket":{"serverName":"chat","event":"echo"},
	  "response":{"payload":{"event":"echoed","echo":"$.req.text","user":"$.body.user.name","ns":"$.namespace"}}}`,
	`{"id":"sock-order-zero","priority":10,"socket":{"serverName":"chat","event":"order",
	  "conditions":[{"path":"$.qty","assertAction":"equals","value":0}]},"response":{"payload":{"status":"rejected"}}}`,
	`{"id":"sock-order","socket":{"serverName":"chat","event":"order"},"response":{"payload":{"status":"accepted","qty":"$.req.qty"}}}`,
	`{"id":"sock-text","socket":{"serverName":"chat","event":"HELLO"},"response":{"payload":"hi, $.req client"}}`,
	`{"id":"sock-boom","socket":{"serverName":"chat","event":"boom"},"response":{"error":"kaput","statusCode":503,"delay":300}}`,
	`{"id":"sock-frame","socket":{"serverName":"frames","event":"sum"},"response":{"payload":{"type":"result","value":"$.req.value"}}}`,
	// Lifecycle: the disconnect mock first, so that a listener that sees
	// the connect mock has seen both.
	`{"id":"sock-bye","socket":{"serverName":"chat","event":"disconnect"},"response":{"payload":{"bye":"$.req.connectionId"}}}`,
	`{"id":"sock-connect","socket":{"serverName":"chat","event":"connect"},
	  "response":{"payload":{"event":"welcome","connectionId":"$.req.connectionId","transport":"$.req.transport"}}}`,
}

// greeted dials until the connect mock's greeting arrives: the listener
// learns of new mocks through the host's watch, a moment after they are
// created.
func greeted(t *testing.T, url string) (*websocket.Conn, map[string]any) {
	t.Helper()
	var ws *websocket.Conn
	var v map[string]any
	plugintest.Eventually(t, 20*time.Second, func() bool {
		ws = dialWS(t, url)
		_ = ws.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
		_, msg, err := ws.ReadMessage()
		if err != nil {
			ws.Close()
			return false
		}
		if json.Unmarshal(msg, &v) != nil || v["event"] != "welcome" {
			t.Fatalf("greeting: %q", msg)
		}
		return true
	}, "the connect mock's greeting")
	_ = ws.SetReadDeadline(time.Now().Add(20 * time.Second))
	return ws, v
}

func TestEndToEnd(t *testing.T) {
	p := newPorts(t)
	h := startHost(t, scenarioSettings(p))
	h.createMocks(t, scenarioMocks...)
	chatWS := "ws://" + addr(p.ws) + "/ws"
	ws, greeting := greeted(t, chatWS)

	t.Run("connect mock greets with the connection's id", func(t *testing.T) {
		list := h.connections(t, "chat")
		var found bool
		for _, c := range list.Connections {
			found = found || (c.ID == greeting["connectionId"] && c.Transport == "websocket" && c.ServerName == "chat" && c.Namespace == "sandbox")
		}
		if !found || greeting["transport"] != "websocket" {
			t.Fatalf("greeting %v; connections %+v", greeting, list)
		}
	})

	t.Run("websocket routing and templates", func(t *testing.T) {
		sendWS(t, ws, `{"event":"ping"}`)
		sendWS(t, ws, `{"event":"echo","text":"hello there","user":{"name":"ann"}}`)
		jsonEq(t, readWS(t, ws), `{"event":"pong"}`)
		jsonEq(t, readWS(t, ws), `{"event":"echoed","echo":"hello there","user":"ann","ns":"sandbox"}`)
		// One event, two replies chosen by the conditions on the message.
		sendWS(t, ws, `{"event":"order","qty":0}`)
		jsonEq(t, readWS(t, ws), `{"status":"rejected"}`)
		sendWS(t, ws, `{"event":"order","qty":3}`)
		jsonEq(t, readWS(t, ws), `{"status":"accepted","qty":3}`)
		// Text that is not JSON is its own event and its data ($.req); a text payload is sent as text.
		sendWS(t, ws, "HELLO")
		if got := readWS(t, ws); got != "hi, HELLO client" {
			t.Fatalf("text reply: %q", got)
		}
		// An error mock answers with its error, after its delay.
		began := time.Now()
		sendWS(t, ws, `{"event":"boom"}`)
		jsonEq(t, readWS(t, ws), `{"error":"kaput","statusCode":503}`)
		if gap := time.Since(began); gap < 300*time.Millisecond {
			t.Fatalf("the reply came %v after the message, before the mock's delay of 300ms", gap)
		}
	})

	t.Run("unmatched message", func(t *testing.T) {
		sendWS(t, ws, `{"event":"nope","x":1}`)
		nm := readJSON(t, ws)
		if nm["code"] != "no_match" || !strings.Contains(fmt.Sprint(nm["error"]), "chat/nope") {
			t.Fatalf("near-miss reply: %v", nm)
		}
		plugintest.EventuallyNoError(t, 20*time.Second, func() error {
			var out struct{ Items []map[string]any }
			h.call(t, http.StatusOK, http.MethodGet, "/api/v1/undefined-requests?protocol=socket", nil, &out)
			for _, u := range out.Items {
				if u["path"] == "chat/nope" && u["namespace"] == "sandbox" {
					if b, _ := json.Marshal(u["body"]); string(b) != `{"event":"nope","x":1}` {
						return errors.New("body: " + string(b))
					}
					return nil
				}
			}
			return fmt.Errorf("not listed: %v", out.Items)
		}, "the unmatched message in /api/v1/undefined-requests")
	})

	t.Run("socketType routes by transport", func(t *testing.T) {
		h.createMocks(t,
			`{"id":"kind-tcp","socket":{"serverName":"chat","event":"kind","socketType":"tcp"},"response":{"payload":{"via":"tcp"}}}`,
			`{"id":"kind-ws","socket":{"serverName":"chat","event":"kind","socketType":"websocket"},"response":{"payload":{"via":"websocket"}}}`)
		sendWS(t, ws, `{"event":"kind"}`)
		jsonEq(t, readWS(t, ws), `{"via":"websocket"}`)
		c, r := dialTCP(t, addr(p.tcp))
		readLineE2E(t, r) // the greeting
		fmt.Fprint(c, "{\"event\":\"kind\"}\n")
		jsonEq(t, readLineE2E(t, r), `{"via":"tcp"}`)
	})

	t.Run("tcp newline framing", func(t *testing.T) {
		c, r := dialTCP(t, addr(p.tcp))
		var welcome map[string]any
		if line := readLineE2E(t, r); json.Unmarshal([]byte(line), &welcome) != nil || welcome["transport"] != "tcp" {
			t.Fatalf("tcp greeting: %q", line)
		}
		fmt.Fprint(c, "{\"event\":\"ping\"}\r\n{\"event\":\"echo\",\"text\":\"over tcp\"}\nHELLO\n")
		jsonEq(t, readLineE2E(t, r), `{"event":"pong"}`)
		jsonEq(t, readLineE2E(t, r), `{"event":"echoed","echo":"over tcp","user":null,"ns":"sandbox"}`)
		if got := readLineE2E(t, r); got != "hi, HELLO client" {
			t.Fatalf("text reply: %q", got)
		}
	})

	t.Run("tcp length-prefix framing", func(t *testing.T) {
		c, r := dialTCP(t, addr(p.frames))
		msg := "{\"type\":\"sum\",\n\"value\":\"line 1\\nline 2\"}" // a newline inside the frame
		if _, err := c.Write(append(binary.BigEndian.AppendUint32(nil, uint32(len(msg))), msg...)); err != nil {
			t.Fatal(err)
		}
		var head [4]byte
		if _, err := io.ReadFull(r, head[:]); err != nil {
			t.Fatal(err)
		}
		body := make([]byte, binary.BigEndian.Uint32(head[:]))
		if _, err := io.ReadFull(r, body); err != nil {
			t.Fatal(err)
		}
		jsonEq(t, string(body), `{"type":"result","value":"line 1\nline 2"}`)
	})

	t.Run("udp replies to the sender", func(t *testing.T) {
		c, err := net.Dial("udp", addr(p.udp))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(20 * time.Second))
		buf := make([]byte, 4096)
		for msg, want := range map[string]string{`{"event":"ping"}`: `{"event":"pong"}`,
			`{"event":"echo","text":"by datagram"}`: `{"event":"echoed","echo":"by datagram","user":null,"ns":"sandbox"}`} {
			if _, err := c.Write([]byte(msg)); err != nil {
				t.Fatal(err)
			}
			n, err := c.Read(buf)
			if err != nil {
				t.Fatal(err)
			}
			jsonEq(t, string(buf[:n]), want)
		}
		var udp *apiConnection
		for _, one := range h.connections(t, "chat").Connections {
			if one.Transport == "udp" && one.RemoteAddr == c.LocalAddr().String() {
				udp = &one
			}
		}
		if udp == nil {
			t.Fatal("the UDP sender is not listed")
		}
		if got := h.push(t, map[string]any{"serverName": "chat", "connectionId": udp.ID, "data": "to the datagram client"}); got.Sent != 1 {
			t.Fatalf("push to the UDP sender: %+v", got)
		}
		n, err := c.Read(buf)
		if err != nil || string(buf[:n]) != "to the datagram client" {
			t.Fatalf("pushed datagram: %q %v", buf[:n], err)
		}
	})

	t.Run("push to all and to one", func(t *testing.T) {
		url := "ws://" + addr(p.room) + "/ws"
		var list apiConnections
		listed := func(n int) {
			plugintest.EventuallyNoError(t, 20*time.Second, func() error {
				list = h.connections(t, "room")
				if list.Total != n || len(list.Connections) != n {
					return fmt.Errorf("%+v", list)
				}
				return nil
			}, "connections listed")
		}
		a := dialWS(t, url)
		listed(1) // a is listed before b connects: the list is oldest first
		b := dialWS(t, url)
		listed(2)
		got := h.push(t, map[string]any{"serverName": "room", "data": map[string]any{"event": "news", "n": 1}})
		if got.Sent != 2 || got.Namespace != "sandbox" || len(got.ConnectionIDs) != 2 {
			t.Fatalf("push to all: %+v", got)
		}
		jsonEq(t, readWS(t, a), `{"event":"news","n":1}`)
		jsonEq(t, readWS(t, b), `{"event":"news","n":1}`)

		// Only b gets this one.
		bID := list.Connections[1].ID
		if got := h.push(t, map[string]any{"serverName": "room", "connectionId": bID, "data": "just for b"}); got.Sent != 1 || got.ConnectionIDs[0] != bID {
			t.Fatalf("push to one: %+v", got)
		}
		if msg := readWS(t, b); msg != "just for b" {
			t.Fatalf("b: %q", msg)
		}
		// a did not get it: the next thing a reads is the push after it.
		h.push(t, map[string]any{"serverName": "room", "connectionId": list.Connections[0].ID, "data": "for a"})
		if msg := readWS(t, a); msg != "for a" {
			t.Fatalf("a: %q", msg)
		}
	})

	t.Run("disconnect is resolved", func(t *testing.T) {
		extra, hello := greeted(t, chatWS)
		id := fmt.Sprint(hello["connectionId"])
		if err := extra.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, "bye")); err != nil {
			t.Fatal(err)
		}
		extra.Close()
		plugintest.EventuallyNoError(t, 20*time.Second, func() error {
			var out struct {
				Requests []struct {
					Req      map[string]any
					Response map[string]any
				}
			}
			h.call(t, http.StatusOK, http.MethodGet, "/api/v1/mocks/sock-bye/logs", nil, &out)
			for _, r := range out.Requests {
				body, _ := r.Req["body"].(map[string]any)
				if body["connectionId"] == id && body["event"] == "disconnect" && body["transport"] == "websocket" {
					return nil
				}
			}
			return fmt.Errorf("no log of connection %s: %+v", id, out)
		}, "the disconnect mock's log")
		plugintest.EventuallyNoError(t, 20*time.Second, func() error {
			for _, c := range h.connections(t, "chat").Connections {
				if c.ID == id {
					return errors.New("still listed")
				}
			}
			return nil
		}, "the closed connection leaves the list")
	})

	t.Run("api errors", func(t *testing.T) {
		h.apiError(t, http.StatusNotFound, "not_found", `no socket server named "nope"`, http.MethodPost, "/api/v1/socket/push",
			map[string]any{"serverName": "nope", "data": "x"})
		h.apiError(t, http.StatusNotFound, "not_found", `no socket server named "nope"`, http.MethodGet, "/api/v1/socket/connections?serverName=nope", nil)
		h.apiError(t, http.StatusNotFound, "not_found", `connection "gone" is not open on socket server "room"`, http.MethodPost,
			"/api/v1/socket/push", map[string]any{"serverName": "room", "connectionId": "gone", "data": "x"})
		h.apiError(t, http.StatusUnprocessableEntity, "validation", "data: is required", http.MethodPost, "/api/v1/socket/push",
			map[string]any{"serverName": "room"})
		h.apiError(t, http.StatusUnprocessableEntity, "validation", "serverName: is required", http.MethodPost, "/api/v1/socket/push",
			map[string]any{"data": 1})
		h.apiError(t, http.StatusBadRequest, "validation", "malformed JSON", http.MethodPost, "/api/v1/socket/push", `{"serverName":`)
		var all apiConnections
		h.call(t, http.StatusOK, http.MethodGet, "/api/v1/socket/connections", nil, &all)
		if len(all.Servers) != 4 {
			t.Fatalf("every server is listed: %+v", all.Servers)
		}
	})
}

// TestAccess runs the host with access control: pushing needs write access
// to the server's namespace, and listing shows only readable namespaces.
func TestAccess(t *testing.T) {
	p := newPorts(t)
	h := startHostAs(t, scenarioSettings(p), plugintest.Admin{Login: "admin", Password: "a long passphrase 1"})
	h.apiError(t, http.StatusUnauthorized, "unauthorized", "authentication required", http.MethodGet, "/api/v1/socket/connections", nil)

	req, _ := http.NewRequest(http.MethodPost, h.URL+"/api/v1/auth/login", strings.NewReader(`{"username":"admin","password":"a long passphrase 1"}`))
	res, err := h.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("login: %d", res.StatusCode)
	}
	h.cookie = strings.SplitN(res.Header.Get("Set-Cookie"), ";", 2)[0]
	plugintest.EventuallyNoError(t, 20*time.Second, func() error {
		var out struct{ Plugins []struct{ State string } }
		h.call(t, http.StatusOK, http.MethodGet, "/api/v1/plugins", nil, &out)
		if len(out.Plugins) != 1 || out.Plugins[0].State != "running" {
			return fmt.Errorf("%+v", out)
		}
		return nil
	}, "the plugin runs")
	var tok struct{ Token string }
	h.call(t, http.StatusCreated, http.MethodPost, "/api/v1/auth/tokens",
		map[string]any{"name": "sandbox-only", "permissions": []string{"read", "write"}, "namespaces": []string{"sandbox"}}, &tok)
	dialWS(t, "ws://"+addr(p.secret)+"/ws")
	dialWS(t, "ws://"+addr(p.room)+"/ws")

	// The admin sees every server and pushes anywhere.
	plugintest.EventuallyNoError(t, 20*time.Second, func() error {
		var all apiConnections
		h.call(t, http.StatusOK, http.MethodGet, "/api/v1/socket/connections", nil, &all)
		if len(all.Servers) != 4 || all.Total != 2 {
			return fmt.Errorf("%+v", all)
		}
		return nil
	}, "the admin sees both connections")
	if got := h.push(t, map[string]any{"serverName": "secret", "data": "hi"}); got.Sent != 1 || got.Namespace != "other" {
		t.Fatalf("admin push: %+v", got)
	}

	// A token limited to sandbox: other's server is neither listed nor reachable.
	h.cookie, h.token = "", tok.Token
	var mine apiConnections
	h.call(t, http.StatusOK, http.MethodGet, "/api/v1/socket/connections", nil, &mine)
	if len(mine.Servers) != 3 || mine.Total != 1 || mine.Connections[0].ServerName != "room" {
		t.Fatalf("connections through a sandbox token: %+v", mine)
	}
	for _, s := range mine.Servers {
		if s.ServerName == "secret" {
			t.Fatalf("the other namespace's server is listed: %+v", mine.Servers)
		}
	}
	h.apiError(t, http.StatusForbidden, "forbidden", `namespace "other"`, http.MethodGet, "/api/v1/socket/connections?serverName=secret", nil)
	h.apiError(t, http.StatusForbidden, "forbidden", `namespace "other"`, http.MethodPost, "/api/v1/socket/push",
		map[string]any{"serverName": "secret", "data": "x"})
	if got := h.push(t, map[string]any{"serverName": "room", "data": "x"}); got.Sent != 1 {
		t.Fatalf("push within the token's namespace: %+v", got)
	}
}

// TestWithoutThePlugin: the API says the plugin is not loaded.
func TestWithoutThePlugin(t *testing.T) {
	h := startHost(t, nil)
	h.apiError(t, http.StatusNotFound, "not_found", `plugin "socket": no such plugin: it is not loaded`, http.MethodPost, "/api/v1/socket/push",
		map[string]any{"serverName": "chat", "data": "x"})
	h.apiError(t, http.StatusNotFound, "not_found", "not loaded", http.MethodGet, "/api/v1/socket/connections", nil)
}
