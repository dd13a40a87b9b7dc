package pluginhost

// The contract end to end: the host's Host service (this package) and the
// plugin's connection to it (package sdk, reached through wire.ConnectHost),
// over a real gRPC connection.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/mockarty-oss/mockarty/sdk"
	"github.com/mockarty-oss/mockarty/sdk/find"
	"github.com/mockarty-oss/mockarty/sdk/gen/pluginv1"
	"github.com/mockarty-oss/mockarty/sdk/internal/wire"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
)

// serveHost serves srv's Host service on a loopback socket and returns the
// plugin's side of the connection (the Host a listener gets) and the
// connection itself, for raw calls.
func serveHost(t *testing.T, newServer func() *grpc.Server) (sdk.Host, *grpc.ClientConn) {
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
	host, closeHost := wire.ConnectHost(conn)
	t.Cleanup(func() {
		closeHost()
		_ = conn.Close()
		s.Stop()
	})
	return host.(sdk.Host), conn
}

// isNoMatch reports whether err is a miss, and the report.
func isNoMatch(err error) (*sdk.NoMatch, bool) {
	var nm *sdk.NoMatch
	ok := errors.As(err, &nm)
	return nm, ok
}

// refusingHost fails every find the way the host does: a body that says
// "deep" is too deep, one that says "bad" is invalid, one that says "miss"
// matches no mock, anything else the host cannot answer (a change not
// saved).
type refusingHost struct{}

func (refusingHost) fail(protocol string, body []byte) error {
	switch {
	case bytes.Contains(body, []byte("deep")):
		return fmt.Errorf("%s find request: the JSON body is nested more than 512 levels deep: %w", protocol, sdk.ErrBodyTooDeep)
	case bytes.Contains(body, []byte("bad")):
		return fmt.Errorf("%s find request: cannot decode: %w", protocol, sdk.ErrInvalidInput)
	case bytes.Contains(body, []byte("miss")):
		return &sdk.NoMatch{Message: "no " + protocol + " mock matches", Code: "no_match", Namespace: "qa"}
	}
	return errors.New("not saved: the database is read-only")
}

func (h refusingHost) Find(_ context.Context, protocol string, body []byte) (bool, []byte, []byte, error) {
	err := h.fail(protocol, body)
	if nm, ok := isNoMatch(err); ok {
		near, err := json.Marshal(nm)
		return false, nil, near, err
	}
	return false, nil, nil, err
}

func (h refusingHost) FindHTTP(_ context.Context, r *find.HTTPRequest) (*find.HTTPResponse, error) {
	return nil, h.fail("http", r.RawBody())
}

// A find the host refuses for its input reaches the plugin as
// ErrInvalidInput (ErrBodyTooDeep for depth) with the host's message, and a
// miss as *NoMatch, whichever way it travels: typed HTTP or JSON on the
// stream, or the unary Find for a body over wire.StreamMaxBody. An outage
// is none of them.
func TestRefusedFindsAreTypedErrors(t *testing.T) {
	host, _ := serveHost(t, func() *grpc.Server { return newHostGRPCServer(nil, refusingHost{}) })
	ctx := context.Background()
	pad := strings.Repeat(" ", wire.StreamMaxBody) // the unary Find
	for _, c := range []struct {
		name, word      string
		deep, bad, miss bool
		msg             string
	}{
		{"too deep", "deep", true, true, false, "nested more than 512 levels deep"},
		{"invalid", "bad", false, true, false, "cannot decode"},
		{"no match", "miss", false, false, true, "mock matches"},
		{"outage", "fine", false, false, false, "not saved"},
	} {
		for _, big := range []bool{false, true} {
			body := `"` + c.word + `"`
			if big {
				body = `"` + c.word + pad + `"`
			}
			check := func(what, protocol string, err error) {
				t.Helper()
				nm, miss := isNoMatch(err)
				if err == nil || errors.Is(err, sdk.ErrBodyTooDeep) != c.deep || errors.Is(err, sdk.ErrInvalidInput) != c.bad ||
					miss != c.miss || !strings.Contains(err.Error(), c.msg) {
					t.Errorf("%s, %s, big=%v: %v (too deep %v, invalid %v, no match %v)", c.name, what, big, err,
						errors.Is(err, sdk.ErrBodyTooDeep), errors.Is(err, sdk.ErrInvalidInput), miss)
				}
				if miss && (nm.Code != "no_match" || nm.Namespace != "qa" || nm.Message != "no "+protocol+" mock matches") {
					t.Errorf("%s, %s, big=%v: the report %+v", c.name, what, big, nm)
				}
			}
			req := &find.HTTPRequest{Method: "POST", Path: "/x"}
			req.SetBody([]byte(body))
			_, err := host.FindHTTP(ctx, req)
			check("FindHTTP", "http", err)
			_, err = host.FindGRPC(ctx, &find.GRPCRequest{Service: "s", Method: "m", Data: json.RawMessage(body)})
			check("FindGRPC", "grpc", err)
		}
	}
}

// Plugins in other languages read the unary Find's status: INVALID_ARGUMENT
// with a google.rpc.ErrorInfo naming the reason, or UNAVAILABLE. A miss is
// no error: found is false and the near-miss report is the body.
func TestUnaryFindStatusOfARefusal(t *testing.T) {
	_, conn := serveHost(t, func() *grpc.Server { return newHostGRPCServer(nil, refusingHost{}) })
	rpc := pluginv1.NewHostClient(conn)
	for body, want := range map[string]struct {
		code   codes.Code
		reason string
	}{
		`"deep"`: {codes.InvalidArgument, "BODY_TOO_DEEP"},
		`"bad"`:  {codes.InvalidArgument, "INVALID_INPUT"},
		`"fine"`: {codes.Unavailable, ""},
	} {
		_, err := rpc.Find(context.Background(), &pluginv1.FindRequest{Protocol: "grpc", Body: []byte(body)})
		st := status.Convert(err)
		reason := ""
		for _, d := range st.Details() {
			if info, ok := d.(*errdetails.ErrorInfo); ok && info.GetDomain() == "mockarty" {
				reason = info.GetReason()
			}
		}
		if st.Code() != want.code || reason != want.reason || (want.reason != "" && !strings.HasPrefix(st.Message(), "grpc find request")) {
			t.Errorf("%s: %v %q, want %v %q", body, st.Code(), reason, want.code, want.reason)
		}
	}
	r, err := rpc.Find(context.Background(), &pluginv1.FindRequest{Protocol: "grpc", Body: []byte(`"miss"`)})
	if err != nil || r.Found || !strings.Contains(string(r.NearMiss), `"error":"no grpc mock matches"`) {
		t.Fatalf("a miss on the wire: %+v %v", r, err)
	}
}

// everyErrorInvalid is a host from before the reasons: every failure was
// INVALID_ARGUMENT, outages included.
type everyErrorInvalid struct{ *hostServer }

func (everyErrorInvalid) Find(context.Context, *pluginv1.FindRequest) (*pluginv1.FindResponse, error) {
	return nil, status.Error(codes.InvalidArgument, "not saved")
}

func TestInvalidArgumentWithoutAReasonIsNoRefusal(t *testing.T) {
	host, _ := serveHost(t, func() *grpc.Server {
		s := grpc.NewServer()
		pluginv1.RegisterHostServer(s, unaryOnlyHost{hostServer: &hostServer{finder: refusingHost{}}})
		return s
	})
	_, err := host.FindGRPC(context.Background(), &find.GRPCRequest{Service: "s", Method: "m", Data: json.RawMessage(`"deep"`)})
	if !errors.Is(err, sdk.ErrBodyTooDeep) {
		t.Fatalf("the unary Find of a host without FindStream: %v", err)
	}
	old, _ := serveHost(t, func() *grpc.Server {
		s := grpc.NewServer()
		pluginv1.RegisterHostServer(s, everyErrorInvalid{&hostServer{finder: refusingHost{}}})
		return s
	})
	req := &find.HTTPRequest{Method: "POST", Path: "/x"}
	req.SetBody([]byte(strings.Repeat("x", wire.StreamMaxBody+1)))
	_, err = old.FindHTTP(context.Background(), req)
	if _, miss := isNoMatch(err); err == nil || errors.Is(err, sdk.ErrInvalidInput) || miss {
		t.Fatalf("an INVALID_ARGUMENT without ErrorInfo: %v", err)
	}
}

// echoHTTP is a host that answers every HTTP call with what it received,
// through the typed path, and counts how it was called.
type echoHTTP struct {
	typed, generic atomic.Int64
	panicOn        string
}

func (e *echoHTTP) FindHTTP(_ context.Context, r *find.HTTPRequest) (*find.HTTPResponse, error) {
	e.typed.Add(1)
	switch r.Path {
	case e.panicOn:
		panic("boom")
	case "/missing":
		return nil, &sdk.NoMatch{Message: "no mock", Code: "no_match", Path: r.Path}
	}
	resp := &find.HTTPResponse{Found: true, MockID: "echo" + r.Path, StatusCode: 201,
		Headers: map[string][]string{"X-Query": r.Query["q"], "X-Agent": r.Headers["User-Agent"]}}
	kind := find.PayloadJSON
	switch r.Path {
	case "/text", "/big":
		kind = find.PayloadText
	case "/binary":
		kind = find.PayloadBinary
	}
	resp.SetPayload(r.RawBody(), kind)
	return resp, nil
}

func (e *echoHTTP) Find(ctx context.Context, protocol string, body []byte) (bool, []byte, []byte, error) {
	e.generic.Add(1)
	switch protocol {
	case "http": // the JSON form, as a host's unary Find has it
		var req find.HTTPRequest
		if err := json.Unmarshal(body, &req); err != nil {
			return false, nil, nil, err
		}
		resp, err := e.FindHTTP(ctx, &req)
		if nm, ok := isNoMatch(err); ok {
			near, err := json.Marshal(nm)
			return false, nil, near, err
		}
		if err != nil {
			return false, nil, nil, err
		}
		out, err := json.Marshal(resp)
		return true, out, nil, err
	case "kafka":
		if bytes.Contains(body, []byte("nobody")) {
			return false, nil, []byte(`{"error":"no kafka mock matches","code":"no_match","namespace":"sandbox","candidates":[{"mockId":"k1"}]}`), nil
		}
		return true, body, nil, nil
	}
	return false, nil, nil, fmt.Errorf("unknown protocol %q", protocol)
}

func TestFindStreamCarriesHTTPTyped(t *testing.T) {
	echo := &echoHTTP{}
	host, _ := serveHost(t, func() *grpc.Server { return newHostGRPCServer(nil, echo) })
	ctx := context.Background()
	cases := []struct {
		path string
		body []byte
		kind find.PayloadKind
	}{
		{"/json", []byte(`{"a":[1,2]}`), find.PayloadJSON},
		{"/text", []byte("plain words"), find.PayloadText},
		{"/binary", []byte{0xff, 0x00, 0xfe}, find.PayloadBinary},
		{"/big", bytes.Repeat([]byte("x"), 5<<20), find.PayloadText}, // unary Find
	}
	for _, c := range cases {
		req := &find.HTTPRequest{Namespace: "ns", Method: "POST", Path: c.path,
			Query: find.MultiMap{"q": {"1", "2"}}, Headers: find.MultiMap{"User-Agent": {"test"}}}
		req.SetBody(c.body)
		resp, err := host.FindHTTP(ctx, req)
		if err != nil {
			t.Fatalf("%s: %v", c.path, err)
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
	_, err := host.FindHTTP(ctx, &find.HTTPRequest{Method: "GET", Path: "/missing"})
	if nm, ok := isNoMatch(err); !ok || nm.Code != "no_match" || nm.Path != "/missing" || err.Error() != "no mock" {
		t.Fatalf("no match: %+v, %v", nm, err)
	}
	// Other protocols travel as JSON on the same stream.
	kr, err := host.FindKafka(ctx, &find.KafkaRequest{Topic: "orders", Data: json.RawMessage(`{"id":7}`)})
	if err != nil || kr == nil {
		t.Fatalf("kafka: %+v %v", kr, err)
	}
	_, err = host.FindKafka(ctx, &find.KafkaRequest{Topic: "orders", Data: json.RawMessage(`"nobody"`)})
	if nm, ok := isNoMatch(err); !ok || nm.Namespace != "sandbox" || string(nm.Candidates) != `[{"mockId":"k1"}]` {
		t.Fatalf("kafka, no match: %+v %v", nm, err)
	}
	if _, err := host.FindGRPC(ctx, &find.GRPCRequest{Service: "s", Method: "m"}); err == nil ||
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
				req := &find.HTTPRequest{Method: "GET", Path: path}
				req.SetBody([]byte(`"` + path + `"`))
				resp, err := host.FindHTTP(context.Background(), req)
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
	_, err := host.FindHTTP(context.Background(), &find.HTTPRequest{Method: "GET", Path: "/panic"})
	if err == nil || !strings.Contains(err.Error(), "boom") {
		t.Fatalf("want the panic reported as an error, got %v", err)
	}
	if resp, err := host.FindHTTP(context.Background(), &find.HTTPRequest{Method: "GET", Path: "/after"}); err != nil ||
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
		_, err := host.FindSocket(ctx, &find.SocketRequest{Event: "e", Data: json.RawMessage(`"slow"`)})
		done <- err
	}()
	cancel()
	if err := <-done; err == nil {
		t.Fatal("a cancelled call returns its context's error")
	}
	// Other calls are not held up by the slow one.
	if r, err := host.FindSocket(context.Background(), &find.SocketRequest{Event: "e", Data: json.RawMessage(`"fast"`)}); err != nil || r == nil {
		t.Fatalf("fast call: %+v %v", r, err)
	}
}

type finderFunc func(ctx context.Context, protocol string, body []byte) (bool, []byte, []byte, error)

func (f finderFunc) Find(ctx context.Context, protocol string, body []byte) (bool, []byte, []byte, error) {
	return f(ctx, protocol, body)
}

// A Finder without the typed HTTP path answers HTTP calls as JSON: the
// body set with SetBody arrives whole, and a miss is the Finder's report.
func TestHTTPCallsReachAJSONOnlyFinder(t *testing.T) {
	var got find.HTTPRequest
	var mu sync.Mutex
	jsonOnly := finderFunc(func(_ context.Context, protocol string, body []byte) (bool, []byte, []byte, error) {
		mu.Lock()
		defer mu.Unlock()
		got = find.HTTPRequest{}
		if err := json.Unmarshal(body, &got); err != nil || protocol != "http" {
			return false, nil, nil, fmt.Errorf("%s %s: %v", protocol, body, err)
		}
		if got.Path == "/missing" {
			return false, nil, []byte(`{"error":"no mock matches GET /missing","code":"no_match","namespace":"sandbox"}`), nil
		}
		return true, []byte(`{"found":true,"mockId":"m","statusCode":200,"body":"ok"}`), nil, nil
	})
	host, _ := serveHost(t, func() *grpc.Server { return newHostGRPCServer(nil, jsonOnly) })
	req := &find.HTTPRequest{Method: "POST", Path: "/x"}
	req.SetBody([]byte{0xff, 0x01})
	resp, err := host.FindHTTP(context.Background(), req)
	if err != nil || resp.MockID != "m" {
		t.Fatalf("%+v %v", resp, err)
	}
	if body, kind := resp.Payload(); string(body) != "ok" || kind != find.PayloadText {
		t.Fatalf("reply %q %v", body, kind)
	}
	mu.Lock()
	if !bytes.Equal(got.RawBody(), []byte{0xff, 0x01}) {
		t.Errorf("the body as the Finder got it: %q", got.RawBody())
	}
	mu.Unlock()
	_, err = host.FindHTTP(context.Background(), &find.HTTPRequest{Method: "GET", Path: "/missing"})
	if nm, ok := isNoMatch(err); !ok || nm.Message != "no mock matches GET /missing" || nm.Namespace != "sandbox" {
		t.Fatalf("no match: %+v %v", nm, err)
	}
}

// unaryOnlyHost is a host built before FindStream existed; streams counts
// the FindStream calls it refused.
type unaryOnlyHost struct {
	*hostServer
	streams *atomic.Int64
}

func (h unaryOnlyHost) FindStream(pluginv1.Host_FindStreamServer) error {
	if h.streams != nil {
		h.streams.Add(1)
	}
	return status.Error(codes.Unimplemented, "unknown method FindStream")
}

func TestPluginFallsBackToUnaryFindOnAnOlderHost(t *testing.T) {
	echo := &echoHTTP{}
	var streams atomic.Int64
	host, _ := serveHost(t, func() *grpc.Server {
		s := grpc.NewServer()
		pluginv1.RegisterHostServer(s, unaryOnlyHost{hostServer: &hostServer{finder: echo}, streams: &streams})
		return s
	})
	for i := 0; i < 3; i++ {
		req := &find.HTTPRequest{Method: "GET", Path: "/text"}
		req.SetBody([]byte("hello"))
		resp, err := host.FindHTTP(context.Background(), req)
		if err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
		if body, kind := resp.Payload(); string(body) != "hello" || kind != find.PayloadText {
			t.Fatalf("call %d: %q %v", i, body, kind)
		}
	}
	if n := streams.Load(); n != 1 {
		t.Fatalf("the plugin should have noted that the host has no FindStream: %d attempts", n)
	}
	if echo.typed.Load() != 3 {
		t.Fatalf("every call reaches the host: %d", echo.typed.Load())
	}
}
