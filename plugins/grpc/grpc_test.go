package main

// End-to-end tests: the real host binary runs the real plugin binary; the
// .proto files are grpc-go's own examples (helloworld, route_guide), and
// the clients are the ones generated from them.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mockarty-oss/mockarty/sdk/plugintest"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	hw "google.golang.org/grpc/examples/helloworld/helloworld"
	rg "google.golang.org/grpc/examples/route_guide/routeguide"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	reflectionv1 "google.golang.org/grpc/reflection/grpc_reflection_v1"
	reflectionv1alpha "google.golang.org/grpc/reflection/grpc_reflection_v1alpha"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/descriptorpb"
)

// examplesDir is grpc-go's examples module, which holds the .proto files.
var examplesDir string

func TestMain(m *testing.M) { os.Exit(testMain(m)) }

func testMain(m *testing.M) int {
	defer plugintest.Cleanup()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "google.golang.org/grpc/examples").Output()
	if err != nil {
		fmt.Fprintln(os.Stderr, "locate grpc-go's examples module:", err)
		return 1
	}
	examplesDir = strings.TrimSpace(string(out))
	return m.Run()
}

// env is a host running the gRPC plugin, and a client connection to it.
type env struct {
	t    testing.TB
	host *plugintest.HostProc
	conn *grpc.ClientConn
}

func start(t testing.TB, settings string) *env {
	t.Helper()
	grpcAddr := fmt.Sprintf("127.0.0.1:%d", plugintest.FreePort(t))
	if settings == "" {
		settings = "{}"
	}
	var s map[string]any
	if err := json.Unmarshal([]byte(settings), &s); err != nil {
		t.Fatal(err)
	}
	s["addresses"] = []string{grpcAddr}
	b, _ := json.Marshal(s)
	h := plugintest.StartHost(t, plugintest.HostOptions{Plugins: map[string]plugintest.PluginSpec{"grpc": {Dir: ".", Settings: string(b)}}})
	conn, err := grpc.NewClient(grpcAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return &env{t: t, host: h, conn: conn}
}

// call sends body (JSON-encoded when not nil) to the host's API.
func (e *env) call(method, path string, body any) (int, []byte) {
	e.t.Helper()
	js := ""
	if body != nil {
		b, _ := json.Marshal(body)
		js = string(b)
	}
	return e.host.Request(e.t, method, path, "application/json", js)
}

func (e *env) must(status int, method, path string, body any) []byte {
	e.t.Helper()
	got, b := e.call(method, path, body)
	if got != status {
		e.t.Fatalf("%s %s: %d, want %d: %s", method, path, got, status, b)
	}
	return b
}

// proto registers one of grpc-go's example files.
func (e *env) proto(name, file string) {
	e.t.Helper()
	src, err := os.ReadFile(filepath.Join(examplesDir, file))
	if err != nil {
		e.t.Fatal(err)
	}
	e.must(201, "POST", "/api/v1/protos", map[string]any{"name": name, "content": string(src)})
}

func (e *env) mock(doc string) {
	e.t.Helper()
	var v any
	if err := json.Unmarshal([]byte(doc), &v); err != nil {
		e.t.Fatalf("mock JSON: %v", err)
	}
	e.must(201, "POST", "/api/v1/mocks", v)
}

func TestAllFourCallKinds(t *testing.T) {
	e := start(t, "")
	ctx := context.Background()
	// Before any proto: UNIMPLEMENTED with a hint.
	_, err := hw.NewGreeterClient(e.conn).SayHello(ctx, &hw.HelloRequest{Name: "world"})
	if status.Code(err) != codes.Unimplemented || !strings.Contains(err.Error(), "/api/v1/protos") {
		t.Fatalf("no protos yet: %v", err)
	}
	e.proto("helloworld/helloworld.proto", "helloworld/helloworld/helloworld.proto")
	e.proto("routeguide/route_guide.proto", "route_guide/routeguide/route_guide.proto")
	e.mock(`{"id":"hello-world","grpc":{"service":"helloworld.Greeter","method":"SayHello",
	  "conditions":[{"path":"$.name","assertAction":"equals","value":"world"}]},
	  "response":{"payload":{"message":"$.req.name"},"headers":{"x-mock":["hello"]}}}`)
	e.mock(`{"id":"hello-vip","priority":5,"grpc":{"service":"helloworld.Greeter","method":"SayHello",
	  "meta":[{"path":"x-tier","assertAction":"equals","value":"vip"}]},
	  "response":{"payload":{"message":"welcome, vip"}}}`)
	e.mock(`{"id":"feature","grpc":{"service":"routeguide.RouteGuide","method":"GetFeature",
	  "conditions":[{"path":"$.latitude","assertAction":"equals","value":409146138}]},
	  "response":{"payload":{"name":"Berkshire Valley Management Area Trail","location":{"latitude":409146138,"longitude":-746188906}}}}`)
	e.mock(`{"id":"features","grpc":{"service":"routeguide.RouteGuide","method":"ListFeatures","methodType":"server-stream"},
	  "response":{"payload":[{"name":"one","location":{"latitude":1}},{"name":"two","location":{"latitude":2}},{"name":"three","location":{"latitude":3}}]}}`)
	e.mock(`{"id":"record","grpc":{"service":"routeguide.RouteGuide","method":"RecordRoute","methodType":"client-stream"},
	  "response":{"payload":{"pointCount":3,"featureCount":1,"distance":42,"elapsedTime":7}}}`)
	e.mock(`{"id":"chat","grpc":{"service":"routeguide.RouteGuide","method":"RouteChat","methodType":"bidirectional"},
	  "response":{"payload":{"message":"$.req.message","location":{"latitude":5}}}}`)

	var hdr metadata.MD
	var reply *hw.HelloReply
	plugintest.EventuallyNoError(t, 30*time.Second, func() error {
		var err error
		reply, err = hw.NewGreeterClient(e.conn).SayHello(ctx, &hw.HelloRequest{Name: "world"}, grpc.Header(&hdr))
		return err
	}, "the unary mock served")
	if reply.GetMessage() != "world" || strings.Join(hdr.Get("x-mock"), ",") != "hello" {
		t.Fatalf("unary: %v, header %v", reply, hdr)
	}
	vip, err := hw.NewGreeterClient(e.conn).SayHello(metadata.AppendToOutgoingContext(ctx, "x-tier", "vip"), &hw.HelloRequest{Name: "anyone"})
	if err != nil || vip.GetMessage() != "welcome, vip" {
		t.Fatalf("metadata condition: %v %v", vip, err)
	}

	guide := rg.NewRouteGuideClient(e.conn)
	f, err := guide.GetFeature(ctx, &rg.Point{Latitude: 409146138, Longitude: -746188906})
	if err != nil || !strings.HasPrefix(f.GetName(), "Berkshire") || f.GetLocation().GetLongitude() != -746188906 {
		t.Fatalf("GetFeature: %v %v", f, err)
	}
	ls, err := guide.ListFeatures(ctx, &rg.Rectangle{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for {
		f, err := ls.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, f.GetName())
	}
	if strings.Join(names, ",") != "one,two,three" {
		t.Fatalf("server stream: %v", names)
	}
	rec, err := guide.RecordRoute(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i := int32(1); i <= 3; i++ {
		if err := rec.Send(&rg.Point{Latitude: i}); err != nil {
			t.Fatal(err)
		}
	}
	sum, err := rec.CloseAndRecv()
	if err != nil || sum.GetPointCount() != 3 || sum.GetDistance() != 42 {
		t.Fatalf("client stream: %v %v", sum, err)
	}
	chat, err := guide.RouteChat(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []string{"first", "second"} {
		if err := chat.Send(&rg.RouteNote{Message: m}); err != nil {
			t.Fatal(err)
		}
		got, err := chat.Recv()
		if err != nil || got.GetMessage() != m || got.GetLocation().GetLatitude() != 5 {
			t.Fatalf("bidi reply to %q: %v %v", m, got, err)
		}
	}
	_ = chat.CloseSend()
	if _, err := chat.Recv(); !errors.Is(err, io.EOF) {
		t.Fatalf("bidi end: %v", err)
	}
}

func TestErrorsDelayAndNearMiss(t *testing.T) {
	e := start(t, "")
	ctx := context.Background()
	e.proto("helloworld/helloworld.proto", "helloworld/helloworld/helloworld.proto")
	e.mock(`{"id":"denied","grpc":{"service":"helloworld.Greeter","method":"SayHello",
	  "conditions":[{"path":"$.name","assertAction":"equals","value":"bad"}]},
	  "response":{"statusCode":3,"error":"name is not allowed",
	    "errorDetails":[{"type":"badRequest","details":{"fieldViolations":[{"field":"name","description":"reserved"}]}},
	                    {"type":"retryInfo","details":{"retryDelay":"2s"}}]}}`)
	e.mock(`{"id":"slow","grpc":{"service":"helloworld.Greeter","method":"SayHello",
	  "conditions":[{"path":"$.name","assertAction":"equals","value":"slow"}]},
	  "response":{"delay":300,"payload":{"message":"finally"}}}`)
	client := hw.NewGreeterClient(e.conn)
	var err error
	plugintest.EventuallyNoError(t, 30*time.Second, func() error {
		_, err = client.SayHello(ctx, &hw.HelloRequest{Name: "bad"})
		if status.Code(err) == codes.Unimplemented {
			return err
		}
		return nil
	}, "the method known to the plugin")
	st := status.Convert(err)
	if st.Code() != codes.InvalidArgument || st.Message() != "name is not allowed" || len(st.Details()) != 2 {
		t.Fatalf("error: %v %v", st, st.Details())
	}
	br, ok := st.Details()[0].(*errdetails.BadRequest)
	if !ok || br.GetFieldViolations()[0].GetField() != "name" {
		t.Fatalf("badRequest detail: %v", st.Details()[0])
	}
	if ri, ok := st.Details()[1].(*errdetails.RetryInfo); !ok || ri.GetRetryDelay().GetSeconds() != 2 {
		t.Fatalf("retryInfo detail: %v", st.Details()[1])
	}
	begin := time.Now()
	r, err := client.SayHello(ctx, &hw.HelloRequest{Name: "slow"})
	if err != nil || r.GetMessage() != "finally" || time.Since(begin) < 300*time.Millisecond {
		t.Fatalf("delay: %v %v after %v", r, err, time.Since(begin))
	}
	_, err = client.SayHello(ctx, &hw.HelloRequest{Name: "nobody"})
	st = status.Convert(err)
	if st.Code() != codes.NotFound || !strings.Contains(st.Message(), "mockarty") || len(st.Details()) != 2 {
		t.Fatalf("no mock: %v %v", st, st.Details())
	}
	if info, ok := st.Details()[0].(*errdetails.ErrorInfo); !ok || info.GetReason() != "NO_MOCK" {
		t.Fatalf("ErrorInfo: %v", st.Details()[0])
	}
	if dbg, ok := st.Details()[1].(*errdetails.DebugInfo); !ok || !strings.Contains(dbg.GetDetail(), "denied") {
		t.Fatalf("the near-miss report names the candidates: %v", st.Details()[1])
	}
	// The unmatched call is an undefined request.
	_, b := e.call("GET", "/api/v1/undefined-requests", nil)
	if !strings.Contains(string(b), "helloworld.Greeter/SayHello") {
		plugintest.EventuallyNoError(t, 30*time.Second, func() error {
			_, b = e.call("GET", "/api/v1/undefined-requests", nil)
			if !strings.Contains(string(b), "helloworld.Greeter/SayHello") {
				return fmt.Errorf("no undefined request: %s", b)
			}
			return nil
		}, "the unmatched call recorded")
	}
}

// reflectionServices lists services through server reflection (v1 or v1alpha).
func reflectionServices(t *testing.T, conn *grpc.ClientConn, alpha bool) []string {
	t.Helper()
	ctx := context.Background()
	var names []string
	if alpha {
		s, err := reflectionv1alpha.NewServerReflectionClient(conn).ServerReflectionInfo(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Send(&reflectionv1alpha.ServerReflectionRequest{MessageRequest: &reflectionv1alpha.ServerReflectionRequest_ListServices{}}); err != nil {
			t.Fatal(err)
		}
		r, err := s.Recv()
		if err != nil {
			t.Fatal(err)
		}
		for _, svc := range r.GetListServicesResponse().GetService() {
			names = append(names, svc.GetName())
		}
		return names
	}
	s, err := reflectionv1.NewServerReflectionClient(conn).ServerReflectionInfo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Send(&reflectionv1.ServerReflectionRequest{MessageRequest: &reflectionv1.ServerReflectionRequest_ListServices{}}); err != nil {
		t.Fatal(err)
	}
	r, err := s.Recv()
	if err != nil {
		t.Fatal(err)
	}
	for _, svc := range r.GetListServicesResponse().GetService() {
		names = append(names, svc.GetName())
	}
	// A generic client fetches the file that defines a symbol.
	if err := s.Send(&reflectionv1.ServerReflectionRequest{MessageRequest: &reflectionv1.ServerReflectionRequest_FileContainingSymbol{
		FileContainingSymbol: "helloworld.Greeter"}}); err != nil {
		t.Fatal(err)
	}
	r, err = s.Recv()
	if err != nil {
		t.Fatal(err)
	}
	if fds := r.GetFileDescriptorResponse().GetFileDescriptorProto(); len(fds) > 0 {
		var fd descriptorpb.FileDescriptorProto
		if err := proto.Unmarshal(fds[0], &fd); err != nil || fd.GetService()[0].GetName() != "Greeter" {
			t.Fatalf("file containing helloworld.Greeter: %v %v", fd.GetName(), err)
		}
	}
	return names
}

func TestReflectionAndLiveReload(t *testing.T) {
	e := start(t, "")
	e.proto("helloworld/helloworld.proto", "helloworld/helloworld/helloworld.proto")
	e.mock(`{"id":"chat","grpc":{"service":"routeguide.RouteGuide","method":"RouteChat","methodType":"bidirectional"},
	  "response":{"payload":{"message":"ack"}}}`)
	plugintest.EventuallyNoError(t, 30*time.Second, func() error {
		if got := strings.Join(reflectionServices(t, e.conn, false), ","); !strings.Contains(got, "helloworld.Greeter") {
			return fmt.Errorf("v1 services: %s", got)
		}
		return nil
	}, "the reflection listing the v1 services")
	if got := strings.Join(reflectionServices(t, e.conn, true), ","); !strings.Contains(got, "helloworld.Greeter") {
		t.Fatalf("v1alpha services: %s", got)
	}
	// Add route_guide while a stream on it does not exist yet, then open one,
	// change the registry again, and the open stream keeps working.
	e.proto("routeguide/route_guide.proto", "route_guide/routeguide/route_guide.proto")
	var chat rg.RouteGuide_RouteChatClient
	plugintest.EventuallyNoError(t, 30*time.Second, func() error {
		c, err := rg.NewRouteGuideClient(e.conn).RouteChat(context.Background())
		if err != nil {
			return err
		}
		if err := c.Send(&rg.RouteNote{Message: "hi"}); err != nil {
			return err
		}
		if _, err := c.Recv(); err != nil {
			return err
		}
		chat = c
		return nil
	}, "the chat stream open")
	e.must(201, "POST", "/api/v1/protos", map[string]any{"name": "extra/ping.proto", "content": "syntax = \"proto3\";\npackage extra;\nservice Ping { rpc Ping (P) returns (P); }\nmessage P {}\n"})
	plugintest.EventuallyNoError(t, 30*time.Second, func() error {
		if got := strings.Join(reflectionServices(t, e.conn, false), ","); !strings.Contains(got, "extra.Ping") {
			return fmt.Errorf("after reload: %s", got)
		}
		return nil
	}, "the reflection listing the reloaded registry")
	if err := chat.Send(&rg.RouteNote{Message: "still there"}); err != nil {
		t.Fatal(err)
	}
	if got, err := chat.Recv(); err != nil || got.GetMessage() != "ack" {
		t.Fatalf("the open stream after a reload: %v %v", got, err)
	}
}

// greeter is a real upstream server for proxy mocks.
type greeter struct {
	hw.UnimplementedGreeterServer
}

func (greeter) SayHello(_ context.Context, r *hw.HelloRequest) (*hw.HelloReply, error) {
	return &hw.HelloReply{Message: "upstream says hi to " + r.GetName()}, nil
}

func TestProxyToARealBackend(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	hw.RegisterGreeterServer(srv, greeter{})
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(srv.Stop)

	e := start(t, `{"allowPrivateProxy": true}`)
	e.proto("helloworld/helloworld.proto", "helloworld/helloworld/helloworld.proto")
	e.mock(fmt.Sprintf(`{"id":"to-upstream","grpc":{"service":"helloworld.Greeter","method":"SayHello"},
	  "proxy":{"target":%q},"response":{}}`, ln.Addr().String()))
	var r *hw.HelloReply
	plugintest.EventuallyNoError(t, 30*time.Second, func() error {
		var err error
		r, err = hw.NewGreeterClient(e.conn).SayHello(context.Background(), &hw.HelloRequest{Name: "proxy"})
		return err
	}, "the proxied call answered")
	if r.GetMessage() != "upstream says hi to proxy" {
		t.Fatalf("proxied: %v", r)
	}
}
