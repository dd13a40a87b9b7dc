package api

import (
	"net/http"
	"os"
	"strings"
	"testing"
)

func TestTesterImport2Kinds(t *testing.T) {
	s := newTestServer(t)
	read := func(path string) string {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	// importData imports doc in the Go SDK's {"data": text} form and
	// returns the collection's requests.
	importData := func(kind, doc string, minRequests int) []map[string]any {
		t.Helper()
		v := s.expect(http.StatusCreated, "POST", "/api/v1/api-tester/import/"+kind, map[string]any{"data": doc})
		id, _ := v["collectionId"].(string)
		if id == "" || v["imported"].(float64) < float64(minRequests) || v["created"] != v["imported"] {
			t.Fatalf("%s import: %v", kind, v)
		}
		if _, ok := v["warnings"].([]any); !ok {
			t.Fatalf("%s: warnings must be a list: %v", kind, v)
		}
		reqs := s.list(http.StatusOK, "GET", "/api/v1/api-tester/collections/"+id+"/requests", nil)
		if len(reqs) != int(v["imported"].(float64)) {
			t.Fatalf("%s: %d requests stored, %v imported", kind, len(reqs), v["imported"])
		}
		return reqs
	}
	byName := func(reqs []map[string]any, name string) map[string]any {
		t.Helper()
		for _, r := range reqs {
			if r["name"] == name {
				return r
			}
		}
		t.Fatalf("no request %q in %v", name, reqs)
		return nil
	}
	header := func(r map[string]any, key string) map[string]any {
		hs, _ := r["headers"].([]any)
		for _, h := range hs {
			if m, _ := h.(map[string]any); strings.EqualFold(m["key"].(string), key) {
				return m
			}
		}
		return nil
	}

	reqs := importData("wsdl", read("../generate/soapgen/testdata/mnb-exchange.wsdl"), 4)
	rates := byName(reqs, "GetExchangeRates")
	if rates["method"] != "POST" || header(rates, "SOAPAction") == nil || !strings.Contains(mustJSON(t, rates["postmanBody"]), "GetExchangeRates") {
		t.Errorf("wsdl request: %v", rates)
	}

	reqs = importData("grpc", `syntax = "proto3";
package shop.v1;
service Orders { rpc GetOrder(GetOrderRequest) returns (Order); }
message GetOrderRequest { string order_id = 1; }
message Order { string order_id = 1; int32 quantity = 2; }`, 1)
	get := byName(reqs, "GetOrder")
	if get["url"] != "grpc://{{grpcHost}}/shop.v1.Orders/GetOrder" || !strings.Contains(get["description"].(string), "/api/v1/proxy/grpc") {
		t.Errorf("grpc request: %v", get)
	}
	if h := header(get, "x-protocol"); h == nil || h["value"] != "grpc" || h["disabled"] != true {
		t.Errorf("grpc mark: %v", get["headers"])
	}
	if !strings.Contains(mustJSON(t, get["postmanBody"]), `orderId`) {
		t.Errorf("grpc body: %v", get["postmanBody"])
	}

	reqs = importData("graphql", "type Query { book(id: ID!): Book }\ntype Book { id: ID! title: String }\ntype Mutation { like(id: ID!): Boolean }", 2)
	book := byName(reqs, "book")
	if book["url"] != "{{baseUrl}}/graphql" || !strings.Contains(mustJSON(t, book["postmanBody"]), `"mode":"graphql"`) {
		t.Errorf("graphql request: %v", book)
	}

	reqs = importData("mcp", `{"tools": [{"name": "lookup", "inputSchema": {"type": "object", "properties": {"q": {"type": "string"}}}}]}`, 1)
	if l := byName(reqs, "lookup"); l["url"] != "{{mcpUrl}}" || !strings.Contains(mustJSON(t, l["postmanBody"]), `tools/call`) {
		t.Errorf("mcp request: %v", l)
	}

	reqs = importData("soapui", read("../tester/imports/testdata/soapui/library-project.xml"), 9)
	if n := byName(reqs, "Notify the desk"); n["method"] != "POST" || n["url"] != "https://desk.library.example/notify" {
		t.Errorf("soapui request: %v", n)
	}
	folders := s.list(http.StatusOK, "GET", "/api/v1/api-tester/collections/"+reqs[0]["collectionId"].(string)+"/folders", nil)
	if len(folders) != 5 { // three interfaces, one suite, one test case
		t.Errorf("soapui folders: %v", folders)
	}
}

func TestTesterImport2BadDocuments(t *testing.T) {
	s := newTestServer(t)
	for _, c := range []struct{ kind, doc, field, want string }{
		{"wsdl", `<html><body/></html>`, "document", "not a WSDL 1.1 definitions document"},
		{"grpc", "syntax = \"proto3\";\nservice S {\n  rpc M(Nope) returns (Nope);\n}", "document", "line 3"},
		{"graphql", "type Query {\n  a: Missing\n}", "document", "schema.graphql:2"},
		{"graphql", `{"__schema": {"queryType": {"name": "Q"}, "types": [{"kind": "OBJECT", "name": "Q x"}]}}`, "__schema.types[0].name", "not a GraphQL name"},
		{"mcp", `{"tools": [{"description": "no name"}]}`, "tools[0].name", "is required"},
		{"soapui", `<project/>`, "document", "not a SoapUI project"},
	} {
		e := s.expectError(http.StatusUnprocessableEntity, CodeValidation, c.field, "POST", "/api/v1/api-tester/import/"+c.kind, map[string]any{"data": c.doc})
		if !strings.Contains(e["error"].(string), c.want) {
			t.Errorf("%s: %v, want %q", c.kind, e["error"], c.want)
		}
	}
}
