package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mockarty-oss/mockarty/sdk/plugintest"
	hw "google.golang.org/grpc/examples/helloworld/helloworld"

	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	reflectionv1 "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/descriptorpb"
)

// fileContaining asks reflection (v1, as grpcurl does) for the file that
// defines symbol and returns the file names it sent, the defining one first.
func fileContaining(t *testing.T, e *env, symbol string) ([]*descriptorpb.FileDescriptorProto, error) {
	t.Helper()
	s, err := reflectionv1.NewServerReflectionClient(e.conn).ServerReflectionInfo(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = s.CloseSend() }()
	if err := s.Send(&reflectionv1.ServerReflectionRequest{MessageRequest: &reflectionv1.ServerReflectionRequest_FileContainingSymbol{
		FileContainingSymbol: symbol}}); err != nil {
		t.Fatal(err)
	}
	r, err := s.Recv()
	if err != nil {
		t.Fatal(err)
	}
	if e := r.GetErrorResponse(); e != nil {
		return nil, fmt.Errorf("%s: %s (%d)", symbol, e.GetErrorMessage(), e.GetErrorCode())
	}
	var out []*descriptorpb.FileDescriptorProto
	for _, raw := range r.GetFileDescriptorResponse().GetFileDescriptorProto() {
		fd := &descriptorpb.FileDescriptorProto{}
		if err := proto.Unmarshal(raw, fd); err != nil {
			t.Fatal(err)
		}
		out = append(out, fd)
	}
	return out, nil
}

func hasMessage(fds []*descriptorpb.FileDescriptorProto, file, msg string) bool {
	for _, fd := range fds {
		if fd.GetName() != file {
			continue
		}
		for _, m := range fd.GetMessageType() {
			if m.GetName() == msg {
				return true
			}
		}
	}
	return false
}

// A generic client decodes an error's google.rpc.* details by asking
// reflection for their types: they are served with no .proto uploaded.
func TestReflectionServesErrorDetailAndWellKnownTypes(t *testing.T) {
	e := start(t, "")
	for _, tc := range []struct{ symbol, file, msg string }{
		{"google.rpc.ErrorInfo", "google/rpc/error_details.proto", "ErrorInfo"},
		{"google.rpc.BadRequest", "google/rpc/error_details.proto", "BadRequest"},
		{"google.rpc.DebugInfo", "google/rpc/error_details.proto", "DebugInfo"},
		{"google.rpc.Status", "google/rpc/status.proto", "Status"},
		{"google.protobuf.Timestamp", "google/protobuf/timestamp.proto", "Timestamp"},
		{"google.protobuf.Any", "google/protobuf/any.proto", "Any"},
		{"google.protobuf.Empty", "google/protobuf/empty.proto", "Empty"},
		{"grpc.health.v1.HealthCheckRequest", "grpc/health/v1/health.proto", "HealthCheckRequest"},
	} {
		fds, err := fileContaining(t, e, tc.symbol)
		if err != nil {
			t.Fatal(err)
		}
		if len(fds) == 0 || fds[0].GetName() != tc.file || !hasMessage(fds, tc.file, tc.msg) {
			t.Fatalf("%s: got files %v, want %s first defining %s", tc.symbol, names(fds), tc.file, tc.msg)
		}
	}
	// error_details.proto imports duration.proto: the dependency comes along.
	fds, _ := fileContaining(t, e, "google.rpc.RetryInfo")
	if !hasMessage(fds, "google/protobuf/duration.proto", "Duration") {
		t.Fatalf("RetryInfo's dependencies: %v", names(fds))
	}
	// An unknown symbol stays an error (no catch-all answer).
	if _, err := fileContaining(t, e, "google.rpc.NoSuchThing"); err == nil || !strings.Contains(err.Error(), "(5)") {
		t.Fatalf("unknown symbol: %v", err)
	}
	// The registry's services and the listener's own are listed together.
	e.proto("helloworld/helloworld.proto", "helloworld/helloworld/helloworld.proto")
	plugintest.EventuallyNoError(t, 30*time.Second, func() error {
		got := "," + strings.Join(reflectionServices(t, e.conn, false), ",") + ","
		for _, want := range []string{"helloworld.Greeter", "grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection"} {
			if !strings.Contains(got, ","+want+",") {
				return fmt.Errorf("services %s lack %s", got, want)
			}
		}
		return nil
	}, "the reflection listing the registry and the listener services")
}

func names(fds []*descriptorpb.FileDescriptorProto) []string {
	var out []string
	for _, fd := range fds {
		out = append(out, fd.GetName())
	}
	return out
}

// grpc-go's health client: the server and each registered service report
// SERVING; an unknown service is NOT_FOUND; Watch follows the registry.
func TestHealthService(t *testing.T) {
	e := start(t, "")
	ctx := context.Background()
	client := healthpb.NewHealthClient(e.conn)
	r, err := client.Check(ctx, &healthpb.HealthCheckRequest{})
	if err != nil || r.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("server health: %v %v", r, err)
	}
	if _, err := client.Check(ctx, &healthpb.HealthCheckRequest{Service: "helloworld.Greeter"}); status.Code(err) != codes.NotFound {
		t.Fatalf("a service not registered yet: %v", err)
	}
	// The deadline only keeps a broken Watch from hanging the suite.
	wctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	watch, err := client.Watch(wctx, &healthpb.HealthCheckRequest{Service: "helloworld.Greeter"})
	if err != nil {
		t.Fatal(err)
	}
	first, err := watch.Recv()
	if err != nil || first.GetStatus() != healthpb.HealthCheckResponse_SERVICE_UNKNOWN {
		t.Fatalf("watch before the proto: %v %v", first, err)
	}
	e.proto("helloworld/helloworld.proto", "helloworld/helloworld/helloworld.proto")
	next, err := watch.Recv()
	if err != nil || next.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("watch after the proto: %v %v", next, err)
	}
	r, err = client.Check(ctx, &healthpb.HealthCheckRequest{Service: "helloworld.Greeter"})
	if err != nil || r.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("registered service health: %v %v", r, err)
	}
	// Dropping the file makes its service NOT_SERVING.
	e.must(200, "DELETE", "/api/v1/protos/helloworld/helloworld.proto", nil)
	next, err = watch.Recv()
	if err != nil || next.GetStatus() != healthpb.HealthCheckResponse_NOT_SERVING {
		t.Fatalf("watch after the proto is deleted: %v %v", next, err)
	}
}

// grpcurl, the client the issue names: it decodes the error details of a
// failed call through reflection alone, and checks health.
func TestGrpcurlDecodesErrorDetails(t *testing.T) {
	bin := grpcurlBinary()
	if bin == "" {
		plugintest.MissingClient(t, "grpcurl is not installed")
	}
	e := start(t, "")
	e.proto("helloworld/helloworld.proto", "helloworld/helloworld/helloworld.proto")
	e.mock(`{"id":"denied","grpc":{"service":"helloworld.Greeter","method":"SayHello",
	  "conditions":[{"path":"$.name","assertAction":"equals","value":"bad"}]},
	  "response":{"statusCode":3,"error":"name is not allowed",
	    "errorDetails":[{"type":"errorInfo","details":{"reason":"RESERVED_NAME","domain":"example.com"}},
	                    {"type":"badRequest","details":{"fieldViolations":[{"field":"name","description":"reserved"}]}},
	                    {"type":"debugInfo","details":{"detail":"see the mock 'denied'"}}]}}`)
	plugintest.EventuallyNoError(t, 30*time.Second, func() error {
		_, err := hw.NewGreeterClient(e.conn).SayHello(context.Background(), &hw.HelloRequest{Name: "bad"})
		if status.Code(err) != codes.InvalidArgument {
			return fmt.Errorf("mock not served yet: %v", err)
		}
		return nil
	}, "the error mock served")
	target := e.conn.Target()
	out, err := exec.Command(bin, "-plaintext", "-format-error", "-d", `{"name":"bad"}`, target, "helloworld.Greeter/SayHello").CombinedOutput()
	if err == nil {
		t.Fatalf("grpcurl succeeded on an error mock:\n%s", out)
	}
	text := string(out)
	if strings.Contains(text, "not recognized") {
		t.Fatalf("grpcurl could not decode the details:\n%s", text)
	}
	for _, want := range []string{`"@type": "type.googleapis.com/google.rpc.ErrorInfo"`, `"reason": "RESERVED_NAME"`,
		`"@type": "type.googleapis.com/google.rpc.BadRequest"`, `"field": "name"`,
		`"@type": "type.googleapis.com/google.rpc.DebugInfo"`, `see the mock 'denied'`} {
		if !strings.Contains(text, want) {
			t.Fatalf("grpcurl output lacks %s:\n%s", want, text)
		}
	}
	out, err = exec.Command(bin, "-plaintext", target, "grpc.health.v1.Health/Check").CombinedOutput()
	if err != nil || !strings.Contains(string(out), `"status": "SERVING"`) {
		t.Fatalf("grpcurl health check: %v\n%s", err, out)
	}
}

// grpcurlBinary finds grpcurl: GRPCURL, then PATH, then `go install`'s folder.
func grpcurlBinary() string {
	if p := os.Getenv("GRPCURL"); p != "" {
		return p
	}
	if p, err := exec.LookPath("grpcurl"); err == nil {
		return p
	}
	out, err := exec.Command("go", "env", "GOPATH").Output()
	if err != nil {
		return ""
	}
	p := filepath.Join(strings.TrimSpace(string(out)), "bin", "grpcurl")
	if _, err := os.Stat(p); err != nil {
		return ""
	}
	return p
}
