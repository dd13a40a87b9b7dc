package api

import (
	"encoding/json"
	"strings"
	"testing"
)

const shopProto = `syntax = "proto3";
package shop;
import "google/protobuf/timestamp.proto";
service Orders {
  rpc GetOrder (GetOrderRequest) returns (Order);
  rpc WatchOrders (GetOrderRequest) returns (stream Order);
}
message GetOrderRequest { string order_id = 1; }
message Order {
  string id = 1;
  string customer_email = 2;
  string city = 3;
  int32 item_count = 4;
  double total_price = 5;
  Status status = 6;
  google.protobuf.Timestamp created_at = 7;
  repeated Line lines = 8;
  map<string, string> labels = 9;
}
message Line { string sku = 1; int64 quantity = 2; }
enum Status { STATUS_UNKNOWN = 0; PAID = 1; SHIPPED = 2; }
`

func TestGRPCGeneratorSmartMerge(t *testing.T) {
	ts := newTestServer(t)
	ts.expect(201, "POST", "/api/v1/protos", map[string]any{"name": "shop.proto", "content": shopProto})
	prev := ts.expect(200, "POST", "/api/v1/generators/grpc/preview", map[string]any{"protoName": "shop.proto"})
	if prev["created"].(float64) != 2 || prev["preview"] != true {
		t.Fatalf("preview: %v", prev)
	}
	ts.expectError(404, CodeNotFound, "", "GET", "/api/v1/mocks/grpc-shop.orders-getorder", nil) // preview saves nothing

	run := ts.expect(201, "POST", "/api/v1/generators/grpc", map[string]any{"protoName": "shop.proto"})
	if run["created"].(float64) != 2 {
		t.Fatalf("run: %v", run)
	}
	m := ts.expect(200, "GET", "/api/v1/mocks/grpc-shop.orders-getorder", nil)
	payload, _ := json.Marshal(m["response"].(map[string]any)["payload"])
	for _, want := range []string{`"customerEmail":"$.fake.Email"`, `"city":"$.fake.City"`, `"status":"PAID"`,
		`"createdAt":"$.fake.DateTimeISO"`, `"lines":[{`, `"labels":{"key":`} {
		if !strings.Contains(string(payload), want) {
			t.Errorf("sample payload lacks %s: %s", want, payload)
		}
	}
	if ts.expect(200, "GET", "/api/v1/mocks/grpc-shop.orders-watchorders", nil)["grpc"].(map[string]any)["methodType"] != "server-stream" {
		t.Fatal("the streaming method's kind")
	}
	// The generated mock answers (its fakers render) through the find contract.
	found := ts.expect(200, "POST", "/mock/findGrpc", map[string]any{"service": "shop.Orders", "method": "GetOrder", "data": map[string]any{"orderId": "1"}})
	data, _ := json.Marshal(found["data"])
	if !strings.Contains(string(data), "@") || strings.Contains(string(data), "$.fake") {
		t.Fatalf("rendered sample: %s", data)
	}

	// A hand edit survives a re-run; a new method is added; nothing is duplicated.
	ts.expect(200, "PATCH", "/api/v1/mocks/grpc-shop.orders-getorder", map[string]any{
		"grpc":     map[string]any{"conditions": []any{map[string]any{"path": "$.orderId", "assertAction": "equals", "value": "42"}}},
		"response": map[string]any{"payload": map[string]any{"id": "42"}}})
	changed := strings.Replace(shopProto, "rpc WatchOrders", "rpc CancelOrder (GetOrderRequest) returns (Order);\n  rpc WatchOrders", 1)
	ts.expect(200, "POST", "/api/v1/protos", map[string]any{"name": "shop.proto", "content": changed})
	again := ts.expect(201, "POST", "/api/v1/generators/grpc", map[string]any{})
	if again["created"].(float64) != 1 || again["unchanged"].(float64) != 2 {
		t.Fatalf("re-run: %v", again)
	}
	kept := ts.expect(200, "GET", "/api/v1/mocks/grpc-shop.orders-getorder", nil)
	if conds := kept["grpc"].(map[string]any)["conditions"].([]any); len(conds) != 1 ||
		kept["response"].(map[string]any)["payload"].(map[string]any)["id"] != "42" {
		t.Fatalf("hand edits lost: %v", kept)
	}
	if n := ts.expect(200, "GET", "/api/v1/mocks?tags=generated", nil)["total"].(float64); n != 3 {
		t.Fatalf("generated mocks: %v", n)
	}
	// Errors: a bad proto in content, an unknown file.
	v := ts.expectError(422, CodeValidation, "content", "POST", "/api/v1/generators/grpc/preview", map[string]any{"content": "syntax = \"proto3\";\nservice S {\n rpc M (Nope) returns (Nope);\n}\n", "name": "x.proto"})
	if !strings.Contains(v["error"].(string), "x.proto:3:") {
		t.Fatalf("compile error: %v", v)
	}
	ts.expectError(404, CodeNotFound, "", "POST", "/api/v1/generators/grpc", map[string]any{"protoName": "nope.proto"})
	ts.expectError(400, CodeValidation, "", "POST", "/api/v1/generators/grpc", map[string]any{"namespace": "empty-ns"})
}
