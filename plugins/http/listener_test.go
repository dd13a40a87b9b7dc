package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/mockarty-oss/mockarty/sdk"
	"github.com/mockarty-oss/mockarty/sdk/find"
	"github.com/mockarty-oss/mockarty/sdk/plugintest"
)

func TestServesThroughTheHost(t *testing.T) {
	host := &plugintest.FakeHost{FindHTTPFunc: func(_ context.Context, req *find.HTTPRequest) (*find.HTTPResponse, error) {
		switch req.Path {
		case "/api/users/42":
			return &find.HTTPResponse{Found: true, MockID: "u42", StatusCode: 201,
				Headers: map[string][]string{"X-Mock": {"yes"}}, Body: json.RawMessage(`{"id":"42","ns":"` + req.Namespace + `"}`)}, nil
		case "/text":
			return &find.HTTPResponse{Found: true, MockID: "t", StatusCode: 200, Body: json.RawMessage(`"plain text"`)}, nil
		}
		return nil, &sdk.NoMatch{Message: "no mock matches " + req.Method + " " + req.Path, Code: "no_match", Namespace: req.Namespace}
	}}
	p := plugintest.Start(t, &Listener{}, json.RawMessage(`{"addresses":["127.0.0.1:0"],"namespace":"qa","serverName":"shop"}`), host)
	if len(p.Addresses) != 1 {
		t.Fatalf("addresses: %v", p.Addresses)
	}
	base := "http://" + p.Addresses[0]

	res, err := http.Post(base+"/api/users/42?x=1", "application/json", strings.NewReader(`{"k":"v"}`))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 201 || res.Header.Get("X-Mock") != "yes" || res.Header.Get("X-Mockarty-Mock-Id") != "u42" || string(b) != `{"id":"42","ns":"qa"}` {
		t.Fatalf("reply: %d %v %s", res.StatusCode, res.Header, b)
	}
	calls := host.Calls()
	var req find.HTTPRequest
	_ = json.Unmarshal(calls[0].Body, &req)
	var sent string
	_ = json.Unmarshal(req.Body, &sent)
	if calls[0].Protocol != "http" || req.Method != "POST" || req.ServerName != "shop" || req.Query["x"][0] != "1" || sent != `{"k":"v"}` {
		t.Fatalf("the find request: %+v body %q", req, sent)
	}

	res, _ = http.Get(base + "/text")
	b, _ = io.ReadAll(res.Body)
	res.Body.Close()
	if string(b) != "plain text" || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("text reply: %q %v", b, res.Header)
	}
	res, _ = http.Get(base + "/missing")
	b, _ = io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 404 || !strings.Contains(string(b), "no_match") {
		t.Fatalf("miss: %d %s", res.StatusCode, b)
	}
	if err := p.Client.Health(t.Context()); err != nil {
		t.Fatalf("health: %v", err)
	}
}

func TestProxyMocks(t *testing.T) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "upstream %s %s", r.URL.Path, r.URL.RawQuery)
	}))
	defer up.Close()
	host := &plugintest.FakeHost{FindHTTPFunc: func(context.Context, *find.HTTPRequest) (*find.HTTPResponse, error) {
		return &find.HTTPResponse{Found: true, MockID: "p", Proxy: &find.ProxyTarget{Target: up.URL},
			Headers: map[string][]string{"X-Added": {"1"}}}, nil
	}}
	open := plugintest.Start(t, &Listener{}, json.RawMessage(`{"addresses":["127.0.0.1:0"],"allowPrivateProxy":true}`), host)
	res, err := http.Get("http://" + open.Addresses[0] + "/a/b?q=1")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if string(b) != "upstream /a/b q=1" || res.Header.Get("X-Added") != "1" {
		t.Fatalf("proxied: %q %v", b, res.Header)
	}
	guarded := plugintest.Start(t, &Listener{}, json.RawMessage(`{"addresses":["127.0.0.1:0"]}`), host)
	res, err = http.Get("http://" + guarded.Addresses[0] + "/a")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusBadGateway {
		t.Fatalf("a loopback upstream is refused by default: %d", res.StatusCode)
	}
}

func TestBadSettings(t *testing.T) {
	l := &Listener{}
	if err := l.Configure(t.Context(), json.RawMessage(`{"addresses":[]}`)); err == nil {
		t.Fatal("empty addresses must be refused")
	}
	if err := l.Configure(t.Context(), json.RawMessage(`{"addresses":`)); err == nil {
		t.Fatal("malformed settings must be refused")
	}
}

func TestBinaryBodiesAndHostHeader(t *testing.T) {
	var got find.HTTPRequest
	host := &plugintest.FakeHost{FindHTTPFunc: func(_ context.Context, req *find.HTTPRequest) (*find.HTTPResponse, error) {
		got = *req
		return &find.HTTPResponse{Found: true, MockID: "b", BodyBase64: []byte{0xff, 0x00, 0xfe}}, nil
	}}
	p := plugintest.Start(t, &Listener{}, json.RawMessage(`{"addresses":["127.0.0.1:0"],"hostRouting":true}`), host)
	req, _ := http.NewRequest("POST", "http://"+p.Addresses[0]+"/bin", strings.NewReader("\xff\xfe\x00\x01"))
	req.Host = "orders.example.test"
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || string(b) != "\xff\x00\xfe" {
		t.Fatalf("binary reply: %d %q", res.StatusCode, b)
	}
	if string(got.RawBody()) != "\xff\xfe\x00\x01" || got.Headers["Host"][0] != "orders.example.test" || got.ServerName != "orders" {
		t.Fatalf("request sent to the host: %+v", got)
	}
}

func TestBodyLimits(t *testing.T) {
	host := &plugintest.FakeHost{FindHTTPFunc: func(_ context.Context, req *find.HTTPRequest) (*find.HTTPResponse, error) {
		resp := &find.HTTPResponse{Found: true, MockID: "echo", StatusCode: 200}
		resp.SetPayload(req.RawBody(), find.PayloadText)
		return resp, nil
	}}
	p := plugintest.Start(t, &Listener{}, json.RawMessage(`{"addresses":["127.0.0.1:0"],"maxBodyBytes":1048576}`), host)
	base := "http://" + p.Addresses[0]
	// A body under the limit but larger than what travels on the find
	// stream goes to the host whole, and comes back whole.
	big := strings.Repeat("0123456789", 60_000)
	res, err := http.Post(base+"/echo", "text/plain", strings.NewReader(big))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || string(b) != big {
		t.Fatalf("echo of %d bytes: %d, %d bytes back", len(big), res.StatusCode, len(b))
	}
	// Over the limit: 413 in the error shape, and the host is not asked.
	calls := len(host.Calls())
	// The declared length alone is refused: the server answers before the
	// body is sent (a client still sending would see the connection close).
	conn, err := net.Dial("tcp", p.Addresses[0])
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 1048577\r\n\r\n")
	res, err = http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(res.Body)
	res.Body.Close()
	var e struct{ Error, Code string }
	if res.StatusCode != http.StatusRequestEntityTooLarge || json.Unmarshal(b, &e) != nil || e.Code != "payload_too_large" {
		t.Fatalf("oversize: %d %s", res.StatusCode, b)
	}
	if len(host.Calls()) != calls {
		t.Fatal("an oversize request must not reach the host")
	}
	if err := (&Listener{}).Configure(t.Context(), json.RawMessage(`{"addresses":["127.0.0.1:0"],"maxBodyBytes":2147483648}`)); err == nil {
		t.Fatal("a maxBodyBytes over the cap must be refused")
	}
}
