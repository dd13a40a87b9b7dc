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
	"github.com/mockarty-oss/mockarty/sdk/gen/pluginv2"
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

// noFinder answers every protocol with no match; the test hosts embed it
// and answer the protocols they test.
type noFinder struct{}

func miss() *sdk.NoMatch { return &sdk.NoMatch{Message: "no mock", Code: "no_match"} }

func (noFinder) FindHTTP(context.Context, *find.HTTPRequest) (*find.HTTPResponse, error) {
	return nil, miss()
}
func (noFinder) FindGRPC(context.Context, *find.GRPCRequest) (*find.GRPCResponse, error) {
	return nil, miss()
}
func (noFinder) FindSocket(context.Context, *find.SocketRequest) (*find.SocketResponse, error) {
	return nil, miss()
}
func (noFinder) FindKafka(context.Context, *find.KafkaRequest) (*find.KafkaResponse, error) {
	return nil, miss()
}
func (noFinder) FindRabbitMQ(context.Context, *find.RabbitMQRequest) (*find.RabbitMQResponse, error) {
	return nil, miss()
}
func (noFinder) FindSMTP(context.Context, *find.SMTPRequest) (*find.SMTPResponse, error) {
	return nil, miss()
}
func (noFinder) FindSOAP(context.Context, *find.SOAPRequest) (*find.SOAPResponse, error) {
	return nil, miss()
}
func (noFinder) FindMCP(context.Context, *find.MCPRequest) (*find.MCPResponse, error) {
	return nil, miss()
}
func (noFinder) FindGraphQL(context.Context, *find.GraphQLRequest) (*find.GraphQLResponse, error) {
	return nil, miss()
}
func (noFinder) FindSSE(context.Context, *find.SSERequest) (*find.SSEResponse, error) {
	return nil, miss()
}

// refusingHost fails every find the way the host does: a body that says
// "deep" is too deep, one that says "bad" is invalid, one that says "miss"
// matches no mock, anything else the host cannot answer (a change not
// saved).
type refusingHost struct{ noFinder }

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

func (h refusingHost) FindGRPC(_ context.Context, r *find.GRPCRequest) (*find.GRPCResponse, error) {
	return nil, h.fail("grpc", r.Data)
}

func (h refusingHost) FindHTTP(_ context.Context, r *find.HTTPRequest) (*find.HTTPResponse, error) {
	return nil, h.fail("http", r.RawBody())
}

// A find the host refuses for its input reaches the plugin as
// ErrInvalidInput (ErrBodyTooDeep for depth) with the host's message, and a
// miss as *NoMatch, whichever way it travels: on the stream, or on the
// unary Find for a payload over wire.StreamMaxBody. An outage
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
// no error: the answer holds the near-miss report.
func TestUnaryFindStatusOfARefusal(t *testing.T) {
	_, conn := serveHost(t, func() *grpc.Server { return newHostGRPCServer(nil, refusingHost{}) })
	rpc := pluginv2.NewHostClient(conn)
	for body, want := range map[string]struct {
		code   codes.Code
		reason string
	}{
		`"deep"`: {codes.InvalidArgument, "BODY_TOO_DEEP"},
		`"bad"`:  {codes.InvalidArgument, "INVALID_INPUT"},
		`"fine"`: {codes.Unavailable, ""},
	} {
		_, err := rpc.Find(context.Background(), grpcCall(body))
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
	r, err := rpc.Find(context.Background(), grpcCall(`"miss"`))
	if err != nil || r.GetNoMatch().GetError() != "no grpc mock matches" || r.GetGrpc() != nil {
		t.Fatalf("a miss on the wire: %+v %v", r, err)
	}
}

func grpcCall(data string) *pluginv2.FindCall {
	return &pluginv2.FindCall{Call: &pluginv2.FindCall_Grpc{Grpc: &pluginv2.GRPCCall{Service: "s", Method: "m", Data: []byte(data)}}}
}

// everyErrorInvalid is a host from before the reasons: every failure was
// INVALID_ARGUMENT, outages included.
type everyErrorInvalid struct{ *hostServer }

func (everyErrorInvalid) Find(context.Context, *pluginv2.FindCall) (*pluginv2.FindAnswer, error) {
	return nil, status.Error(codes.InvalidArgument, "not saved")
}

func TestInvalidArgumentWithoutAReasonIsNoRefusal(t *testing.T) {
	host, _ := serveHost(t, func() *grpc.Server {
		s := grpc.NewServer()
		pluginv2.RegisterHostServer(s, unaryOnlyHost{hostServer: &hostServer{finder: refusingHost{}}})
		return s
	})
	_, err := host.FindGRPC(context.Background(), &find.GRPCRequest{Service: "s", Method: "m", Data: json.RawMessage(`"deep"`)})
	if !errors.Is(err, sdk.ErrBodyTooDeep) {
		t.Fatalf("the unary Find of a host without FindStream: %v", err)
	}
	old, _ := serveHost(t, func() *grpc.Server {
		s := grpc.NewServer()
		pluginv2.RegisterHostServer(s, everyErrorInvalid{&hostServer{finder: refusingHost{}}})
		return s
	})
	req := &find.HTTPRequest{Method: "POST", Path: "/x"}
	req.SetBody([]byte(strings.Repeat("x", wire.StreamMaxBody+1)))
	_, err = old.FindHTTP(context.Background(), req)
	if _, miss := isNoMatch(err); err == nil || errors.Is(err, sdk.ErrInvalidInput) || miss {
		t.Fatalf("an INVALID_ARGUMENT without ErrorInfo: %v", err)
	}
}

// echoHTTP is a host that answers every HTTP call with what it received
// and counts the calls; it answers Kafka too, and fails gRPC.
type echoHTTP struct {
	noFinder
	typed   atomic.Int64
	panicOn string
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

func (e *echoHTTP) FindKafka(_ context.Context, r *find.KafkaRequest) (*find.KafkaResponse, error) {
	if bytes.Contains(r.Data, []byte("nobody")) {
		return nil, &sdk.NoMatch{Message: "no kafka mock matches", Code: "no_match", Namespace: "sandbox",
			Candidates: json.RawMessage(`[{"mockId":"k1"}]`)}
	}
	return &find.KafkaResponse{MockID: "k1", Data: r.Data}, nil
}

func (e *echoHTTP) FindGRPC(context.Context, *find.GRPCRequest) (*find.GRPCResponse, error) {
	return nil, errors.New("grpc is not served here")
}

// unaryCalls counts the unary Find calls a host server gets.
func unaryCalls(n *atomic.Int64) grpc.ServerOption {
	return grpc.UnaryInterceptor(func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		if strings.HasSuffix(info.FullMethod, "/Find") {
			n.Add(1)
		}
		return h(ctx, req)
	})
}

func TestFindStreamCarriesHTTPTyped(t *testing.T) {
	echo := &echoHTTP{}
	var unary atomic.Int64
	host, _ := serveHost(t, func() *grpc.Server { return newHostGRPCServer([]grpc.ServerOption{unaryCalls(&unary)}, echo) })
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
	if n := unary.Load(); n != 1 {
		t.Errorf("only the big call travels on its own (unary Find); unary calls: %d", n)
	}
	_, err := host.FindHTTP(ctx, &find.HTTPRequest{Method: "GET", Path: "/missing"})
	if nm, ok := isNoMatch(err); !ok || nm.Code != "no_match" || nm.Path != "/missing" || err.Error() != "no mock" {
		t.Fatalf("no match: %+v, %v", nm, err)
	}
	// Other protocols travel on the same stream.
	kr, err := host.FindKafka(ctx, &find.KafkaRequest{Topic: "orders", Data: json.RawMessage(`{"id":7}`)})
	if err != nil || kr == nil || kr.MockID != "k1" || string(kr.Data) != `{"id":7}` {
		t.Fatalf("kafka: %+v %v", kr, err)
	}
	_, err = host.FindKafka(ctx, &find.KafkaRequest{Topic: "orders", Data: json.RawMessage(`"nobody"`)})
	if nm, ok := isNoMatch(err); !ok || nm.Namespace != "sandbox" || string(nm.Candidates) != `[{"mockId":"k1"}]` {
		t.Fatalf("kafka, no match: %+v %v", nm, err)
	}
	if _, err := host.FindGRPC(ctx, &find.GRPCRequest{Service: "s", Method: "m"}); err == nil ||
		!strings.Contains(err.Error(), "grpc is not served here") {
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
	slow := &slowSocket{block: block}
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

// slowSocket holds a socket call whose data is "slow" until block closes.
type slowSocket struct {
	noFinder
	block chan struct{}
}

func (s *slowSocket) FindSocket(_ context.Context, r *find.SocketRequest) (*find.SocketResponse, error) {
	if string(r.Data) == `"slow"` {
		<-s.block
	}
	return &find.SocketResponse{Data: r.Data}, nil
}

// unaryOnlyHost is a host built before FindStream existed; streams counts
// the FindStream calls it refused.
type unaryOnlyHost struct {
	*hostServer
	streams *atomic.Int64
}

func (h unaryOnlyHost) FindStream(pluginv2.Host_FindStreamServer) error {
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
		pluginv2.RegisterHostServer(s, unaryOnlyHost{hostServer: &hostServer{finder: echo}, streams: &streams})
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

// mirror answers every protocol with a reply made of its request's fields,
// so a test can see each field cross the typed wire both ways.
type mirror struct{}

func (mirror) FindHTTP(_ context.Context, r *find.HTTPRequest) (*find.HTTPResponse, error) {
	out := &find.HTTPResponse{MockID: r.Namespace + "/" + r.ServerName, StatusCode: 418, Delay: 3,
		Headers: map[string][]string{"x-path": {r.Method + " " + r.Path}, "x-q": r.Query["q"], "x-h": r.Headers["h"]},
		Proxy:   &find.ProxyTarget{Target: "http://up"}}
	out.SetPayload(r.RawBody(), find.PayloadBinary)
	return out, nil
}

func (mirror) FindGRPC(_ context.Context, r *find.GRPCRequest) (*find.GRPCResponse, error) {
	return &find.GRPCResponse{Data: r.Data, StreamResponses: []json.RawMessage{r.Data, json.RawMessage(`2`)},
		Meta:  map[string]string{"call": r.Namespace + "/" + r.ServerName + "/" + r.Service + "/" + r.Method, "m": r.Meta["m"][0]},
		Error: &find.GRPCError{Code: 5, Message: "nf", Details: []find.ErrorDetails{{Type: "badRequest", Details: json.RawMessage(`{"f":1}`)}}},
		Proxy: &find.ProxyTarget{Target: "up:1"}, Delay: 4}, nil
}

func (mirror) FindSocket(_ context.Context, r *find.SocketRequest) (*find.SocketResponse, error) {
	return &find.SocketResponse{Data: json.RawMessage(`"` + r.Namespace + r.ServerName + r.MockServerName + r.SocketType + r.Event + `"`),
		Error: &find.GRPCError{Code: 3, Message: string(r.Data)}, Delay: 5}, nil
}

func (mirror) FindKafka(_ context.Context, r *find.KafkaRequest) (*find.KafkaResponse, error) {
	return &find.KafkaResponse{MockID: r.Topic + "/" + r.ConsumerGroup, Data: r.Data, OutputHeaders: r.Headers,
		OutputMessageHeaders: map[string]string{"ns": r.Namespace + "/" + r.ServerName}, OutputTopic: "out", OutputBrokers: "b:1",
		OutputKey: "k", Error: &find.MessagingError{Message: "boom"}, Delay: 6}, nil
}

func (mirror) FindRabbitMQ(_ context.Context, r *find.RabbitMQRequest) (*find.RabbitMQResponse, error) {
	return &find.RabbitMQResponse{MockID: r.Queue + "/" + r.Exchange + "/" + r.RoutingKey, Data: r.Data, OutputHeaders: r.Headers,
		OutputProps: &find.RabbitMQOutputProps{DeliveryMode: 2, CorrelationID: "c", ReplyTo: "rt", ContentType: "ct", Priority: 9,
			MessageID: "mid", Type: "t", AppID: r.Namespace + "/" + r.ServerName},
		OutputURL: "amqp://o", OutputExchange: "ox", OutputRoutingKey: "ork", OutputQueue: "oq", Delay: 7}, nil
}

func (mirror) FindSMTP(_ context.Context, r *find.SMTPRequest) (*find.SMTPResponse, error) {
	return &find.SMTPResponse{MockID: r.From + ">" + strings.Join(r.To, ","), StatusCode: 251,
		StatusMessage: r.Subject + "|" + r.Body, AcceptMail: true, StoreEmail: true,
		Headers: map[string]string{"ns": r.Namespace + "/" + r.ServerName, "h": r.Headers["h"]}, Delay: 8}, nil
}

func (mirror) FindSOAP(_ context.Context, r *find.SOAPRequest) (*find.SOAPResponse, error) {
	return &find.SOAPResponse{MockID: r.Action + "|" + r.Operation + "|" + r.Path, StatusCode: 500,
		Headers: map[string][]string{"x": r.Headers["x"], "ns": {r.Namespace + "/" + r.ServerName}}, Data: r.Data,
		Fault: &find.SOAPFault{FaultCode: "soap:Client", FaultString: r.XML, FaultActor: "a", Detail: "d", HTTPStatus: 500},
		Proxy: &find.ProxyTarget{Target: "http://soap"}, Delay: 9}, nil
}

func (mirror) FindMCP(_ context.Context, r *find.MCPRequest) (*find.MCPResponse, error) {
	return &find.MCPResponse{MockID: r.Namespace + "/" + r.ServerName + "/" + r.Method + "/" + r.Tool + r.Resource + r.Prompt + "/" + r.Headers["h"][0],
		Result: r.Arguments, IsError: true, Delay: 10}, nil
}

func (mirror) FindGraphQL(_ context.Context, r *find.GraphQLRequest) (*find.GraphQLResponse, error) {
	return &find.GraphQLResponse{MockID: r.Namespace + r.Path + "/" + r.Operation + "/" + r.Field + "/" + r.Headers["h"][0], Data: r.Arguments,
		Errors: []find.GraphQLError{{Message: string(r.Variables), Path: []any{"a", float64(1)}, Locations: json.RawMessage(`[{"line":1,"column":2}]`),
			Extensions: json.RawMessage(`{"code":"X"}`)}}, Delay: 11}, nil
}

func (mirror) FindSSE(_ context.Context, r *find.SSERequest) (*find.SSEResponse, error) {
	return &find.SSEResponse{MockID: r.Namespace + r.Path, StatusCode: 201, Headers: map[string][]string{"q": r.Query["q"], "h": r.Headers["h"]},
		EventChain: json.RawMessage(`{"events":[]}`), EventName: "tick", Data: json.RawMessage(`{"n":1}`), Delay: 12}, nil
}

// Every protocol's request and reply cross the typed wire whole, field by
// field, in both directions.
func TestEveryProtocolTravelsTyped(t *testing.T) {
	host, _ := serveHost(t, func() *grpc.Server { return newHostGRPCServer(nil, mirror{}) })
	ctx := context.Background()
	js := func(v any) string { b, _ := json.Marshal(v); return string(b) }
	want := func(what string, got any, err error, expect string) {
		t.Helper()
		if err != nil || js(got) != expect {
			t.Errorf("%s:\n got  %s (%v)\n want %s", what, js(got), err, expect)
		}
	}
	hr := &find.HTTPRequest{Namespace: "ns", ServerName: "srv", Method: "PUT", Path: "/p", Query: find.MultiMap{"q": {"1", "2"}},
		Headers: find.MultiMap{"h": {"v"}}}
	hr.SetBody([]byte{0xff, 0x00})
	h, err := host.FindHTTP(ctx, hr)
	if body, kind := h.Payload(); err != nil || !bytes.Equal(body, []byte{0xff, 0x00}) || kind != find.PayloadBinary {
		t.Errorf("http body %q %v %v", body, kind, err)
	}
	want("http", h, err, `{"found":true,"mockId":"ns/srv","statusCode":418,"headers":{"x-h":["v"],"x-path":["PUT /p"],"x-q":["1","2"]},"bodyBase64":"/wA=","delay":3,"proxy":{"target":"http://up"}}`)
	g, err := host.FindGRPC(ctx, &find.GRPCRequest{Namespace: "ns", ServerName: "srv", Service: "S", Method: "M",
		Meta: find.MultiMap{"m": {"mv"}}, Data: json.RawMessage(`{"a":1}`)})
	want("grpc", g, err, `{"data":{"a":1},"streamResponses":[{"a":1},2],"meta":{"call":"ns/srv/S/M","m":"mv"},"error":{"code":5,"message":"nf","details":[{"type":"badRequest","details":{"f":1}}]},"proxy":{"target":"up:1"},"delay":4}`)
	so, err := host.FindSocket(ctx, &find.SocketRequest{Namespace: "n", ServerName: "s", MockServerName: "m", SocketType: "tcp", Event: "e",
		Data: json.RawMessage(`"d"`)})
	want("socket", so, err, `{"data":"nsmtcpe","error":{"code":3,"message":"\"d\""},"delay":5}`)
	k, err := host.FindKafka(ctx, &find.KafkaRequest{Namespace: "ns", ServerName: "srv", Topic: "t", ConsumerGroup: "g",
		Headers: map[string]string{"h": "v"}, Data: json.RawMessage(`[1]`)})
	want("kafka", k, err, `{"mockId":"t/g","data":[1],"outputHeaders":{"h":"v"},"outputMessageHeaders":{"ns":"ns/srv"},"outputTopic":"out","outputBrokers":"b:1","outputKey":"k","error":{"message":"boom"},"delay":6}`)
	r, err := host.FindRabbitMQ(ctx, &find.RabbitMQRequest{Namespace: "ns", ServerName: "srv", Queue: "q", Exchange: "x", RoutingKey: "rk",
		Headers: map[string]string{"h": "v"}, Data: json.RawMessage(`true`)})
	want("rabbitmq", r, err, `{"mockId":"q/x/rk","outputURL":"amqp://o","outputExchange":"ox","outputRoutingKey":"ork","outputQueue":"oq","data":true,"outputHeaders":{"h":"v"},"outputProps":{"deliveryMode":2,"correlationId":"c","replyTo":"rt","contentType":"ct","priority":9,"messageId":"mid","type":"t","appId":"ns/srv"},"delay":7}`)
	m, err := host.FindSMTP(ctx, &find.SMTPRequest{Namespace: "ns", ServerName: "srv", From: "a@x", To: []string{"b@x", "c@x"},
		Subject: "s", Body: "b", Headers: map[string]string{"h": "v"}})
	want("smtp", m, err, `{"found":true,"mockId":"a@x\u003eb@x,c@x","statusCode":251,"statusMessage":"s|b","acceptMail":true,"storeEmail":true,"headers":{"h":"v","ns":"ns/srv"},"delay":8}`)
	sp, err := host.FindSOAP(ctx, &find.SOAPRequest{Namespace: "ns", ServerName: "srv", Path: "/ws", Action: "urn:A", Operation: "Op",
		Headers: find.MultiMap{"x": {"1"}}, Data: json.RawMessage(`{"Op":{}}`), XML: "<e/>"})
	want("soap", sp, err, `{"mockId":"urn:A|Op|/ws","statusCode":500,"headers":{"ns":["ns/srv"],"x":["1"]},"data":{"Op":{}},"soapFault":{"faultCode":"soap:Client","faultString":"\u003ce/\u003e","faultActor":"a","detail":"d","httpStatus":500},"proxy":{"target":"http://soap"},"delay":9}`)
	mc, err := host.FindMCP(ctx, &find.MCPRequest{Namespace: "ns", ServerName: "srv", Method: "tools/call", Tool: "t",
		Arguments: json.RawMessage(`{"x":1}`), Headers: find.MultiMap{"h": {"v"}}})
	want("mcp", mc, err, `{"mockId":"ns/srv/tools/call/t/v","result":{"x":1},"isError":true,"delay":10}`)
	gq, err := host.FindGraphQL(ctx, &find.GraphQLRequest{Namespace: "ns", Path: "/gql", Operation: "query", Field: "f",
		Arguments: json.RawMessage(`{"id":1}`), Variables: json.RawMessage(`{"v":2}`), Headers: find.MultiMap{"h": {"v"}}})
	want("graphql", gq, err, `{"mockId":"ns/gql/query/f/v","data":{"id":1},"errors":[{"message":"{\"v\":2}","path":["a",1],"locations":[{"line":1,"column":2}],"extensions":{"code":"X"}}],"delay":11}`)
	ss, err := host.FindSSE(ctx, &find.SSERequest{Namespace: "ns", Path: "/ev", Query: find.MultiMap{"q": {"1"}}, Headers: find.MultiMap{"h": {"v"}}})
	want("sse", ss, err, `{"mockId":"ns/ev","statusCode":201,"headers":{"h":["v"],"q":["1"]},"sseEventChain":{"events":[]},"eventName":"tick","data":{"n":1},"delay":12}`)
}
