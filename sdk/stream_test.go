package sdk

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/mockarty-oss/mockarty/sdk/gen/pluginv1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
)

// serveHost serves srv's Host service on a loopback socket and returns the
// plugin's side of the connection: the Host a listener gets.
func serveHost(t *testing.T, newServer func() *grpc.Server) (Host, *remoteFinder) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := newServer()
	go func() { _ = s.Serve(ln) }()
	conn, err := grpc.NewClient(ln.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(maxFindMessage), grpc.MaxCallSendMsgSize(maxFindMessage)))
	if err != nil {
		t.Fatal(err)
	}
	f := newRemoteFinder(pluginv1.NewHostClient(conn))
	t.Cleanup(func() {
		f.close()
		_ = conn.Close()
		s.Stop()
	})
	return HostFromFinder(f), f
}

// echoHTTP is a host that answers every HTTP call with what it received,
// through the typed path, and counts how it was called.
type echoHTTP struct {
	typed, generic atomic.Int64
	panicOn        string
}

func (e *echoHTTP) FindHTTP(_ context.Context, r *FindHTTPRequest) (*FindHTTPResponse, *NearMiss, error) {
	e.typed.Add(1)
	switch r.Path {
	case e.panicOn:
		panic("boom")
	case "/missing":
		return nil, &NearMiss{Error: "no mock", Code: "no_match", Path: r.Path}, nil
	}
	resp := &FindHTTPResponse{Found: true, MockID: "echo" + r.Path, StatusCode: 201,
		Headers: map[string][]string{"X-Query": r.Query["q"], "X-Agent": r.Headers["User-Agent"]}}
	kind := PayloadJSON
	switch r.Path {
	case "/text", "/big":
		kind = PayloadText
	case "/binary":
		kind = PayloadBinary
	}
	resp.SetPayload(r.RawBody(), kind)
	return resp, nil, nil
}

func (e *echoHTTP) Find(ctx context.Context, protocol string, body []byte) (bool, []byte, []byte, error) {
	e.generic.Add(1)
	if protocol == "http" { // the JSON form, as a host's unary Find has it
		var req FindHTTPRequest
		if err := json.Unmarshal(body, &req); err != nil {
			return false, nil, nil, err
		}
		resp, nm, err := e.FindHTTP(ctx, &req)
		if err != nil || nm != nil {
			near, _ := json.Marshal(nm)
			return false, nil, near, err
		}
		out, err := json.Marshal(resp)
		return true, out, nil, err
	}
	if protocol != "kafka" {
		return false, nil, nil, fmt.Errorf("unknown protocol %q", protocol)
	}
	return true, body, nil, nil
}

func TestFindStreamCarriesHTTPTyped(t *testing.T) {
	echo := &echoHTTP{}
	host, _ := serveHost(t, func() *grpc.Server { return newHostGRPCServer(nil, echo) })
	ctx := context.Background()
	cases := []struct {
		path string
		body []byte
		kind PayloadKind
	}{
		{"/json", []byte(`{"a":[1,2]}`), PayloadJSON},
		{"/text", []byte("plain words"), PayloadText},
		{"/binary", []byte{0xff, 0x00, 0xfe}, PayloadBinary},
		{"/big", bytes.Repeat([]byte("x"), 5<<20), PayloadText}, // unary Find
	}
	for _, c := range cases {
		req := &FindHTTPRequest{Namespace: "ns", Method: "POST", Path: c.path,
			Query: MultiMap{"q": {"1", "2"}}, Headers: MultiMap{"User-Agent": {"test"}}}
		req.SetBody(c.body)
		resp, nm, err := host.FindHTTP(ctx, req)
		if err != nil || nm != nil {
			t.Fatalf("%s: err %v, near miss %+v", c.path, err, nm)
		}
		body, kind := resp.Payload()
		if !bytes.Equal(body, c.body) || resp.MockID != "echo"+c.path || resp.StatusCode != 201 {
			t.Errorf("%s: got %q (%s, %d)", c.path, body, resp.MockID, resp.StatusCode)
		}
		if kind != c.kind {
			t.Errorf("%s: kind %v, want %v", c.path, kind, c.kind)
		}
		if strings.Join(resp.Headers["X-Query"], ",") != "1,2" || resp.Headers["X-Agent"][0] != "test" {
			t.Errorf("%s: headers %v", c.path, resp.Headers)
		}
	}
	if n := echo.generic.Load(); n != 1 {
		t.Errorf("only the big call travels as JSON (unary Find); JSON calls: %d", n)
	}
	_, nm, err := host.FindHTTP(ctx, &FindHTTPRequest{Method: "GET", Path: "/missing"})
	if err != nil || nm == nil || nm.Code != "no_match" || nm.Path != "/missing" {
		t.Fatalf("near miss: %+v, %v", nm, err)
	}
	// Other protocols travel as JSON on the same stream.
	kr, nm, err := host.FindKafka(ctx, &FindKafkaRequest{Topic: "orders", Data: json.RawMessage(`{"id":7}`)})
	if err != nil || nm != nil || kr == nil {
		t.Fatalf("kafka: %+v %+v %v", kr, nm, err)
	}
	if _, _, err := host.FindGRPC(ctx, &FindGRPCRequest{Service: "s", Method: "m"}); err == nil ||
		!strings.Contains(err.Error(), "unknown protocol") {
		t.Fatalf("an error of the host reaches the plugin: %v", err)
	}
}

func TestFindStreamConcurrentCallsGetTheirOwnAnswers(t *testing.T) {
	echo := &echoHTTP{}
	host, _ := serveHost(t, func() *grpc.Server { return newHostGRPCServer(nil, echo) })
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := 0; g < 32; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				path := fmt.Sprintf("/g%d/i%d", g, i)
				req := &FindHTTPRequest{Method: "GET", Path: path}
				req.SetBody([]byte(`"` + path + `"`))
				resp, _, err := host.FindHTTP(context.Background(), req)
				if err != nil {
					errs <- err
					return
				}
				if body, _ := resp.Payload(); resp.MockID != "echo"+path || string(body) != `"`+path+`"` {
					errs <- fmt.Errorf("call %s got the answer of %s (%s)", path, resp.MockID, body)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := echo.typed.Load(); n != 32*50 {
		t.Errorf("typed calls: %d", n)
	}
}

func TestFindStreamSurvivesAPanickingHost(t *testing.T) {
	echo := &echoHTTP{panicOn: "/panic"}
	host, _ := serveHost(t, func() *grpc.Server { return newHostGRPCServer(nil, echo) })
	_, _, err := host.FindHTTP(context.Background(), &FindHTTPRequest{Method: "GET", Path: "/panic"})
	if err == nil || !strings.Contains(err.Error(), "boom") {
		t.Fatalf("want the panic reported as an error, got %v", err)
	}
	if resp, _, err := host.FindHTTP(context.Background(), &FindHTTPRequest{Method: "GET", Path: "/after"}); err != nil ||
		resp.MockID != "echo/after" {
		t.Fatalf("the stream keeps working: %+v %v", resp, err)
	}
}

func TestFindStreamCancelledCall(t *testing.T) {
	block := make(chan struct{})
	slow := finderFunc(func(ctx context.Context, protocol string, body []byte) (bool, []byte, []byte, error) {
		if string(body) == `"slow"` {
			<-block
		}
		return true, body, nil, nil
	})
	host, _ := serveHost(t, func() *grpc.Server { return newHostGRPCServer(nil, slow) })
	defer close(block)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, _, err := host.FindSocket(ctx, &FindSocketRequest{Event: "e", Data: json.RawMessage(`"slow"`)})
		done <- err
	}()
	cancel()
	if err := <-done; err == nil {
		t.Fatal("a cancelled call returns its context's error")
	}
	// Other calls are not held up by the slow one.
	if r, _, err := host.FindSocket(context.Background(), &FindSocketRequest{Event: "e", Data: json.RawMessage(`"fast"`)}); err != nil || r == nil {
		t.Fatalf("fast call: %+v %v", r, err)
	}
}

type finderFunc func(ctx context.Context, protocol string, body []byte) (bool, []byte, []byte, error)

func (f finderFunc) Find(ctx context.Context, protocol string, body []byte) (bool, []byte, []byte, error) {
	return f(ctx, protocol, body)
}

// unaryOnlyHost is a host built before FindStream existed.
type unaryOnlyHost struct{ *hostServer }

func (unaryOnlyHost) FindStream(pluginv1.Host_FindStreamServer) error {
	return status.Error(codes.Unimplemented, "unknown method FindStream")
}

func TestPluginFallsBackToUnaryFindOnAnOlderHost(t *testing.T) {
	echo := &echoHTTP{}
	host, f := serveHost(t, func() *grpc.Server {
		s := grpc.NewServer()
		pluginv1.RegisterHostServer(s, unaryOnlyHost{&hostServer{finder: echo}})
		return s
	})
	for i := 0; i < 3; i++ {
		req := &FindHTTPRequest{Method: "GET", Path: "/text"}
		req.SetBody([]byte("hello"))
		resp, nm, err := host.FindHTTP(context.Background(), req)
		if err != nil || nm != nil {
			t.Fatalf("call %d: %v %+v", i, err, nm)
		}
		if body, kind := resp.Payload(); string(body) != "hello" || kind != PayloadText {
			t.Fatalf("call %d: %q %v", i, body, kind)
		}
	}
	if !f.unsupported.Load() {
		t.Fatal("the plugin should have noted that the host has no FindStream")
	}
	if echo.typed.Load() != 3 {
		t.Fatalf("every call reaches the host: %d", echo.typed.Load())
	}
}
