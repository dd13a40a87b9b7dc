package api

import (
	"strings"
	"testing"
)

const helloProto = `syntax = "proto3";
package helloworld;
import "common/tag.proto";
service Greeter {
  rpc SayHello (HelloRequest) returns (HelloReply) {}
  rpc SayHelloStream (HelloRequest) returns (stream HelloReply) {}
}
message HelloRequest { string name = 1; common.Tag tag = 2; }
message HelloReply { string message = 1; }
`

const tagProto = `syntax = "proto3";
package common;
message Tag { string value = 1; }
`

func TestProtoRegistry(t *testing.T) {
	ts := newTestServer(t)
	// An import that is not registered yet: refused with the compiler's words.
	v := ts.expectError(422, CodeValidation, "content", "POST", "/api/v1/protos", map[string]any{"name": "helloworld.proto", "content": helloProto})
	if !strings.Contains(v["error"].(string), "common/tag.proto") {
		t.Fatalf("missing import: %v", v)
	}
	// As text/plain with ?name=, then the importer as JSON.
	r := ts.do("POST", "/api/v1/protos?name=common/tag.proto", nil, "Content-Type", "text/plain")
	if r.Status != 422 {
		t.Fatalf("empty file: %d %s", r.Status, r.Body)
	}
	ts.expect(201, "PUT", "/api/v1/protos/common/tag.proto", map[string]any{"content": tagProto})
	up := ts.expect(201, "POST", "/api/v1/protos", map[string]any{"name": "helloworld.proto", "content": helloProto})
	svcs := up["services"].([]any)
	if len(svcs) != 1 || svcs[0].(map[string]any)["name"] != "helloworld.Greeter" {
		t.Fatalf("services: %v", up)
	}
	methods := svcs[0].(map[string]any)["methods"].([]any)
	if len(methods) != 2 || methods[1].(map[string]any)["serverStreaming"] != true {
		t.Fatalf("methods: %v", methods)
	}
	ts.expect(200, "POST", "/api/v1/protos", map[string]any{"name": "helloworld.proto", "content": helloProto}) // replace

	// A syntax error: the file and the line.
	bad := "syntax = \"proto3\";\nmessage A {\n  strin name = 1;\n}\n"
	v = ts.expectError(422, CodeValidation, "content", "POST", "/api/v1/protos", map[string]any{"name": "bad.proto", "content": bad})
	if !strings.Contains(v["error"].(string), "bad.proto:3:") {
		t.Fatalf("syntax error: %v", v)
	}
	ts.expectError(422, CodeValidation, "name", "POST", "/api/v1/protos", map[string]any{"name": "../escape.proto", "content": tagProto})
	ts.expectError(422, CodeValidation, "name", "POST", "/api/v1/protos", map[string]any{"name": "notes.txt", "content": tagProto})

	list := ts.expect(200, "GET", "/api/v1/protos", nil)
	if list["total"].(float64) != 2 {
		t.Fatalf("list: %v", list)
	}
	got := ts.expect(200, "GET", "/api/v1/protos/helloworld.proto", nil)
	if got["content"] != helloProto {
		t.Fatalf("get: %v", got)
	}
	if raw := ts.do("GET", "/api/v1/protos/common/tag.proto?raw=true", nil); string(raw.Body) != tagProto {
		t.Fatalf("raw: %s", raw.Body)
	}
	// A file others import cannot go; once the importer is gone it can.
	ts.expectError(409, CodeConflict, "", "DELETE", "/api/v1/protos/common/tag.proto", nil)
	ts.expect(200, "DELETE", "/api/v1/protos/helloworld.proto", nil)
	ts.expect(200, "DELETE", "/api/v1/protos/common/tag.proto", nil)
	ts.expectError(404, CodeNotFound, "", "GET", "/api/v1/protos/common/tag.proto", nil)
	// Namespaces are separate sets.
	ts.expect(201, "POST", "/api/v1/protos?namespace=other", map[string]any{"name": "common/tag.proto", "content": tagProto})
	if n := ts.expect(200, "GET", "/api/v1/protos", nil)["total"].(float64); n != 0 {
		t.Fatalf("sandbox sees other's protos: %v", n)
	}
}
