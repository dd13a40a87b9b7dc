package protos

import (
	"context"
	"errors"
	"strings"
	"testing"
)

const greeter = `syntax = "proto3";
package helloworld;
import "google/protobuf/timestamp.proto";
import "google/rpc/status.proto";
import "common/types.proto";
service Greeter {
  rpc SayHello (HelloRequest) returns (HelloReply) {}
  rpc Chat (stream HelloRequest) returns (stream HelloReply) {}
}
message HelloRequest { string name = 1; common.Tag tag = 2; }
message HelloReply { string message = 1; google.protobuf.Timestamp at = 2; google.rpc.Status status = 3; }
`

const types = `syntax = "proto3";
package common;
message Tag { string value = 1; }
`

func TestCompileWithImports(t *testing.T) {
	fds, err := Compile(context.Background(), map[string]string{"helloworld.proto": greeter, "common/types.proto": types})
	if err != nil {
		t.Fatal(err)
	}
	svcs := Services(fds)
	ms := svcs["helloworld.Greeter"]
	if len(ms) != 2 || ms[0].Name() != "SayHello" || !ms[1].IsStreamingClient() || !ms[1].IsStreamingServer() {
		t.Fatalf("services: %v", svcs)
	}
	reg, err := Files(fds)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := reg.FindDescriptorByName("helloworld.HelloReply"); err != nil {
		t.Fatal(err)
	}
}

func TestCompileErrorsHaveAPlace(t *testing.T) {
	_, err := Compile(context.Background(), map[string]string{"bad.proto": "syntax = \"proto3\";\nmessage A {\n  strin name = 1;\n}\n"})
	var e *Error
	if !errors.As(err, &e) || e.File != "bad.proto" || e.Line != 3 || !strings.Contains(e.Error(), "bad.proto:3:") {
		t.Fatalf("want bad.proto line 3, got %v", err)
	}
	_, err = Compile(context.Background(), map[string]string{"a.proto": "syntax = \"proto3\";\nimport \"missing.proto\";\n"})
	if err == nil || !strings.Contains(err.Error(), "missing.proto") {
		t.Fatalf("a missing import: %v", err)
	}
	for _, bad := range []string{"../x.proto", "/abs.proto", "x.txt", "a//b.proto", "a b.proto"} {
		if ValidName(bad) {
			t.Errorf("%q accepted", bad)
		}
		if _, err := Compile(context.Background(), map[string]string{bad: types}); err == nil {
			t.Errorf("compiling %q", bad)
		}
	}
}
