package main

// The hand-off headers are the host's, and the host proxies from this
// machine: from any other peer they are ignored.

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mockarty-oss/mockarty/sdk"
	"github.com/mockarty-oss/mockarty/sdk/plugintest"
)

// foreignListener accepts connections as if they came from peer: the
// listener's routing and mcp-go see a remote client, while the test still
// connects over loopback.
type foreignListener struct {
	net.Listener
	peer net.Addr
}

func (l foreignListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return foreignConn{Conn: c, peer: l.peer}, nil
}

type foreignConn struct {
	net.Conn
	peer net.Addr
}

func (c foreignConn) RemoteAddr() net.Addr { return c.peer }

// serveForeign serves the fake host's MCP mocks (namespace qa) on a
// loopback address whose every client looks like peer.
func serveForeign(t *testing.T, f *fakeMCP, peer string) string {
	t.Helper()
	addr, err := net.ResolveTCPAddr("tcp", peer)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	reg := newRegistry(sdk.HostFromFinder(f.host(t)), "qa", time.Hour)
	srv := &http.Server{Handler: &router{reg: reg}, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(foreignListener{Listener: ln, peer: addr}) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		reg.closeSessions(ctx)
		_ = srv.Shutdown(ctx)
	})
	return "http://" + ln.Addr().String()
}

// callWeather posts a plain tools/call with headers (and Host, when not
// empty), and says what status came back and which namespace the host was
// asked about.
func callWeather(t *testing.T, f *fakeMCP, url, host string, headers map[string]string) (int, *sdk.FindMCPRequest) {
	t.Helper()
	before := len(f.requests())
	req, _ := http.NewRequest(http.MethodPost, url+"/mcp",
		strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_weather","arguments":{"city":"Paris"}}}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	if host != "" {
		req.Host = host
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if reqs := f.requests(); len(reqs) > before {
		return res.StatusCode, &reqs[len(reqs)-1]
	}
	return res.StatusCode, nil
}

var handOffHeaders = map[string]string{headerNamespace: "team", headerPrefix: "/stubs/team"}

// TestHandOffOnlyFromThisMachine: from a peer elsewhere the hand-off
// headers neither pick the namespace, nor shape the SSE endpoint, nor turn
// the DNS-rebinding check off, nor reach the mocks' header conditions;
// from this machine they do all of it.
func TestHandOffOnlyFromThisMachine(t *testing.T) {
	for _, peer := range []string{"203.0.113.7:40000", "[2001:db8::7]:40000", "[::ffff:203.0.113.7]:40000"} {
		t.Run("foreign "+peer, func(t *testing.T) {
			f := &fakeMCP{}
			base := serveForeign(t, f, peer)
			// The listener is on loopback: a public Host is refused (DNS
			// rebinding), hand-off headers or not.
			if st, _ := callWeather(t, f, base, "mocks.example.com", handOffHeaders); st != http.StatusForbidden {
				t.Fatalf("a public Host with hand-off headers from %s: %d", peer, st)
			}
			st, got := callWeather(t, f, base, "", handOffHeaders)
			if st != http.StatusOK || got == nil || got.Namespace != "qa" {
				t.Fatalf("hand-off headers from %s: %d %+v", peer, st, got)
			}
			if _, ok := got.Headers[headerNamespace]; ok {
				t.Fatalf("the mocks saw %s from %s: %v", headerNamespace, peer, got.Headers)
			}
			// Values that the host would never send are ignored, not refused.
			bad := map[string]string{headerNamespace: "../x", headerPrefix: "//evil.example/x"}
			if st, got := callWeather(t, f, base, "", bad); st != http.StatusOK || got == nil || got.Namespace != "qa" {
				t.Fatalf("bad hand-off headers from %s: %d %+v", peer, st, got)
			}
			hdr := http.Header{}
			for k, v := range handOffHeaders {
				hdr.Set(k, v)
			}
			if ep := openSSE(t, base, "/sse", hdr).endpoint; !strings.HasPrefix(ep, "/message?sessionId=") {
				t.Fatalf("the SSE endpoint announced to %s: %s", peer, ep)
			}
		})
	}

	t.Run("loopback", func(t *testing.T) {
		f := &fakeMCP{}
		_, base := startFake(t, f)
		st, got := callWeather(t, f, base, "mocks.example.com", handOffHeaders)
		if st != http.StatusOK || got == nil || got.Namespace != "team" {
			t.Fatalf("a hand-off from loopback: %d %+v", st, got)
		}
		hdr := http.Header{}
		for k, v := range handOffHeaders {
			hdr.Set(k, v)
		}
		if ep := openSSE(t, base, "/sse", hdr).endpoint; !strings.HasPrefix(ep, "/stubs/team/message?sessionId=") {
			t.Fatalf("the SSE endpoint of a hand-off: %s", ep)
		}
	})

	// The host dials a plugin listening on one of the machine's own
	// addresses from that address.
	t.Run("own address", func(t *testing.T) {
		ip := ownAddress()
		if ip == "" {
			t.Skip("this machine has no address but loopback")
		}
		f := &fakeMCP{}
		p := plugintest.Start(t, &Listener{}, json.RawMessage(`{"addresses":["`+net.JoinHostPort(ip, "0")+`"],"namespace":"qa"}`), f.host(t))
		st, got := callWeather(t, f, "http://"+p.Addresses[0], "", handOffHeaders)
		if st != http.StatusOK || got == nil || got.Namespace != "team" {
			t.Fatalf("a hand-off from %s to itself: %d %+v", ip, st, got)
		}
	})
}

// ownAddress is a non-loopback unicast address of this machine ("" when
// it has none).
func ownAddress() string {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return ""
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.IsGlobalUnicast() && !n.IP.IsLoopback() {
			return n.IP.String()
		}
	}
	return ""
}

// TestHandOffNamespaceChecked: a hand-off naming something that is not a
// namespace is refused with a JSON-RPC error.
func TestHandOffNamespaceChecked(t *testing.T) {
	_, base := startFake(t, &fakeMCP{})
	for _, ns := range []string{"../x", ".hidden", "-x", "a/b", "a b", "a%2Fb", strings.Repeat("n", 101), "ns\u00e9"} {
		req, _ := http.NewRequest(http.MethodPost, base+"/mcp", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"tools/list"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(headerNamespace, ns)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var body struct {
			JSONRPC string `json:"jsonrpc"`
			Error   struct {
				Code    int    `json:"code"`
				Message string `json:"message"`
			} `json:"error"`
		}
		_ = json.NewDecoder(res.Body).Decode(&body)
		res.Body.Close()
		if res.StatusCode != http.StatusBadRequest || body.JSONRPC != "2.0" || body.Error.Code != -32600 ||
			!strings.Contains(body.Error.Message, "is not a namespace name") {
			t.Fatalf("namespace %q: %d %+v", ns, res.StatusCode, body)
		}
	}
	// The longest name there may be is served.
	f := &fakeMCP{}
	_, base = startFake(t, f)
	long := "n" + strings.Repeat("a.b_c-", 16) + "xyz"
	if st, got := callWeather(t, f, base, "", map[string]string{headerNamespace: long}); st != http.StatusOK || got == nil || got.Namespace != long {
		t.Fatalf("namespace %q (%d characters): %d %+v", long, len(long), st, got)
	}
}
