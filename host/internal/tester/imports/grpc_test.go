package imports

import (
	"encoding/json"
	"strings"
	"testing"
)

const libraryProto = `syntax = "proto3";
package library.v1;

import "google/protobuf/timestamp.proto";

// Books lends and finds books.
service Books {
  // GetBook finds one book by its ISBN.
  rpc GetBook(GetBookRequest) returns (Book);
  rpc WatchLoans(WatchRequest) returns (stream Loan);
  rpc ImportBooks(stream Book) returns (ImportSummary);
}

service Health {
  rpc Check(WatchRequest) returns (ImportSummary);
}

enum Genre {
  GENRE_UNSPECIFIED = 0;
  GENRE_FICTION = 1;
}

message GetBookRequest {
  string isbn = 1;
  bool include_loans = 2;
}

message Book {
  string isbn = 1;
  string title = 2;
  Genre genre = 3;
  repeated string authors = 4;
  map<string, int32> copies_by_branch = 5;
  google.protobuf.Timestamp published_at = 6;
  int64 page_count = 7;
  Book sequel = 8;
  oneof format {
    string ebook_url = 9;
    double weight_kg = 10;
  }
}

message WatchRequest { string member_id = 1; }
message Loan { string loan_id = 1; Book book = 2; }
message ImportSummary { int32 imported = 1; }
`

func TestProtoServicesAndSamples(t *testing.T) {
	r, err := Proto(t.Context(), []byte(libraryProto))
	if err != nil {
		t.Fatal(err)
	}
	valid(t, "library.proto", r)
	c := r.Collection
	if got := names(c.Item); strings.Join(got, ",") != "library.v1.Books,library.v1.Health" || c.Info.Name != "library.v1" {
		t.Fatalf("a folder per service: %v %q", got, c.Info.Name)
	}
	if len(c.Variable) != 1 || c.Variable[0].Key != "grpcHost" {
		t.Errorf("variables: %v", c.Variable)
	}
	books := c.Item[0]
	if got := names(books.Item); strings.Join(got, ",") != "GetBook,WatchLoans,ImportBooks" ||
		!strings.Contains(books.Description.String(), "lends and finds") {
		t.Fatalf("methods: %v %q", got, books.Description.String())
	}
	get := books.Item[0]
	req := get.Request
	if req.Method != "POST" || req.URL.String() != "grpc://{{grpcHost}}/library.v1.Books/GetBook" || req.Body.Language() != "json" {
		t.Errorf("request: %s %s", req.Method, req.URL)
	}
	if len(req.Header) != 2 || req.Header[1].Key != GRPCProtocolHeader || req.Header[1].Value != "grpc" || !req.Header[1].Disabled {
		t.Errorf("the protocol mark is a disabled header: %+v", req.Header)
	}
	desc := get.Description.String()
	if !strings.Contains(desc, "finds one book") || !strings.Contains(desc, "Protocol: grpc (unary)") ||
		!strings.Contains(desc, "/api/v1/proxy/grpc") {
		t.Errorf("description: %q", desc)
	}
	var in map[string]any
	if err := json.Unmarshal([]byte(req.Body.Raw), &in); err != nil || in["isbn"] != "isbn" || in["includeLoans"] != true {
		t.Errorf("GetBook body (protojson names): %v %s", err, req.Body.Raw)
	}
	var book map[string]any
	if err := json.Unmarshal([]byte(books.Item[2].Request.Body.Raw), &book); err != nil {
		t.Fatal(err)
	}
	copies, _ := book["copiesByBranch"].(map[string]any)
	_, ebook := book["ebookUrl"]
	_, weight := book["weightKg"]
	if book["genre"] != "GENRE_FICTION" || book["publishedAt"] != "2024-01-15T10:30:00Z" || book["pageCount"] != "1" ||
		copies["key"] != float64(1) || !ebook || weight || len(book["authors"].([]any)) != 1 {
		t.Errorf("Book sample: %s", books.Item[2].Request.Body.Raw)
	}
	if !strings.Contains(books.Item[1].Description.String(), "server streaming") ||
		!strings.Contains(books.Item[2].Description.String(), "one message of the client's stream") {
		t.Errorf("streaming descriptions: %q / %q", books.Item[1].Description.String(), books.Item[2].Description.String())
	}
}

func TestProtoBadFiles(t *testing.T) {
	for name, c := range map[string]struct{ doc, want string }{
		"syntax":     {"syntax = \"proto3\";\nmessage A {\n  string x = ;\n}", "line 3"},
		"no service": {`syntax = "proto3"; message A { string x = 1; }`, "declares no service"},
		"import":     {`syntax = "proto3"; import "other.proto"; service S { rpc M(A) returns (A); } message A {}`, "other.proto"},
		"empty":      {"", "is empty"},
	} {
		_, err := Proto(t.Context(), []byte(c.doc))
		wantInputErr(t, name, err, DocumentField, c.want)
	}
}
