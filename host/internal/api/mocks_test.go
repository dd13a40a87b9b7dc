package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/mockarty-oss/mockarty/host/internal/store"
)

// The Hello World mock of the API reference, verbatim.
const helloWorld = `{
"id": "hello-world",
"namespace": "sandbox",
"http": {
"route": "/api/greeting",
"httpMethod": "GET"
},
"response": {
"statusCode": 200,
"payload": {
"message": "Hello, World!",
"timestamp": "$.fake.DateTimeISO"
}
}
}`

func TestCreateAndOverwrite(t *testing.T) {
	s := newTestServer(t)
	v := s.expect(http.StatusCreated, "POST", "/api/v1/mocks", helloWorld)
	if v["overwritten"] != false || v["isNew"] != false || v["success"] != true || v["id"] != "hello-world" {
		t.Fatalf("create response: %v", v)
	}
	m := v["mock"].(map[string]any)
	created := m["createdAt"].(float64)
	if m["namespace"] != "sandbox" || m["useCounter"] != float64(0) || created <= 0 {
		t.Fatalf("saved mock: %v", m)
	}
	payload := m["response"].(map[string]any)["payload"].(map[string]any)
	if payload["timestamp"] != "$.fake.DateTimeISO" {
		t.Fatalf("templates must be stored as written: %v", payload)
	}

	// Same id again: an overwrite that keeps createdAt.
	doc := httpMock("hello-world", "/api/hello")
	v = s.expect(http.StatusOK, "POST", "/api/v1/mocks", doc)
	if v["overwritten"] != true || v["isNew"] != true {
		t.Fatalf("overwrite response: %v", v)
	}
	m = v["mock"].(map[string]any)
	if m["createdAt"].(float64) != created || m["http"].(map[string]any)["route"] != "/api/hello" {
		t.Fatalf("overwritten mock: %v", m)
	}

	// intent=create_new refuses an existing id; intent=overwrite is fine.
	s.expectError(http.StatusConflict, CodeConflict, "", "POST", "/api/v1/mocks?intent=create_new", doc)
	s.expect(http.StatusOK, "POST", "/api/v1/mocks?intent=overwrite", doc)
	s.expect(http.StatusCreated, "POST", "/api/v1/mocks?intent=create_new", httpMock("brand-new", "/x"))
	s.expectError(http.StatusBadRequest, CodeValidation, "", "POST", "/api/v1/mocks?intent=maybe", doc)

	// The legacy alias takes the same body.
	v = s.expect(http.StatusCreated, "POST", "/mock/create", httpMock("legacy", "/legacy"))
	if v["mock"].(map[string]any)["id"] != "legacy" {
		t.Fatalf("legacy create: %v", v)
	}
	s.expect(http.StatusOK, "GET", "/api/v1/mocks/legacy", nil)
}

func TestCreateNamespaceSources(t *testing.T) {
	s := newTestServer(t)
	doc := httpMock("from-header", "/a")
	v := s.expect(http.StatusCreated, "POST", "/api/v1/mocks", doc, "X-Namespace", "team-a")
	if v["mock"].(map[string]any)["namespace"] != "team-a" {
		t.Fatalf("namespace from X-Namespace: %v", v["mock"])
	}
	doc = httpMock("from-body", "/a")
	doc["namespace"] = "team-b"
	v = s.expect(http.StatusCreated, "POST", "/api/v1/mocks", doc, "X-Namespace", "team-a")
	if v["mock"].(map[string]any)["namespace"] != "team-b" {
		t.Fatalf("the body's namespace wins: %v", v["mock"])
	}
	v = s.expect(http.StatusCreated, "POST", "/api/v1/mocks", httpMock("default-ns", "/a"))
	if v["mock"].(map[string]any)["namespace"] != "sandbox" {
		t.Fatalf("default namespace: %v", v["mock"])
	}
}

func TestCreateBadInput(t *testing.T) {
	s := newTestServer(t)
	s.expectError(http.StatusBadRequest, CodeValidation, "", "POST", "/api/v1/mocks", `{"id": "x",`)
	s.expectError(http.StatusBadRequest, CodeValidation, "", "POST", "/api/v1/mocks", ``)
	s.expectError(http.StatusBadRequest, CodeValidation, "", "POST", "/api/v1/mocks", `["not","an","object"]`)
	s.expectError(http.StatusBadRequest, CodeValidation, "http.route", "POST", "/api/v1/mocks", `{"id":"x","http":{"route":42},"response":{}}`)
	s.expectError(http.StatusBadRequest, CodeValidation, "useLimiter", "POST", "/api/v1/mocks", `{"id":"x","http":{"route":"/a"},"response":{},"useLimiter":"many"}`)
	s.expectError(http.StatusUnprocessableEntity, CodeValidation, "id", "POST", "/api/v1/mocks", `{"http":{"route":"/a"},"response":{}}`)
	v := s.expectError(http.StatusUnprocessableEntity, CodeValidation, "http.conditions[0].assertAction", "POST", "/api/v1/mocks",
		`{"id":"x","http":{"route":"/a","conditions":[{"path":"$.a","assertAction":"roughly","value":1}]},"response":{}}`)
	if !strings.Contains(v["error"].(string), "roughly") {
		t.Fatalf("the message must name the bad value: %v", v)
	}
	s.expectError(http.StatusUnprocessableEntity, CodeValidation, "http.header[0].value", "POST", "/api/v1/mocks",
		`{"id":"x","http":{"route":"/a","header":[{"path":"A","assertAction":"matches","value":"(?<=x)"}]},"response":{}}`)
	s.expectError(http.StatusUnprocessableEntity, CodeValidation, "", "POST", "/api/v1/mocks", `{"id":"x","response":{}}`)
	s.expectError(http.StatusUnprocessableEntity, CodeValidation, "http.route", "POST", "/api/v1/mocks", `{"id":"x","http":{"route":"no-slash"},"response":{}}`)
	s.expectError(http.StatusUnprocessableEntity, CodeValidation, "folderId", "POST", "/api/v1/mocks", `{"id":"x","folderId":"nope","http":{"route":"/a"},"response":{}}`)
	s.expectError(http.StatusUnsupportedMediaType, CodeMediaType, "", "POST", "/api/v1/mocks", helloWorld, "Content-Type", "application/xml")
	s.expectError(http.StatusBadRequest, CodeValidation, "namespace", "POST", "/api/v1/mocks", httpMock("x", "/a"), "X-Namespace", "bad/ns")
	// curl without -H sends a form content type; the JSON body is still read.
	s.expect(http.StatusCreated, "POST", "/api/v1/mocks", helloWorld, "Content-Type", "application/x-www-form-urlencoded")
	// Nothing invalid was stored.
	v = s.expect(http.StatusOK, "GET", "/api/v1/mocks", nil)
	if v["total"] != float64(1) {
		t.Fatalf("only the valid mock is stored: %v", v)
	}
}

func TestOversizeBody(t *testing.T) {
	s := newTestServer(t, serverOpts{bodyLimit: 4096})
	big := httpMock("big", "/big")
	big["response"] = map[string]any{"payload": strings.Repeat("x", 10000)}
	r := s.do("POST", "/api/v1/mocks", big)
	if r.Status != http.StatusRequestEntityTooLarge {
		t.Fatalf("status %d: %s", r.Status, r.Body)
	}
	checkEnvelope(t, r, r.JSON(t), CodeTooLarge, "")
}

func TestGetAndNotFound(t *testing.T) {
	s := newTestServer(t)
	s.expect(http.StatusCreated, "POST", "/api/v1/mocks", helloWorld)
	v := s.expect(http.StatusOK, "GET", "/api/v1/mocks/hello-world", nil)
	if v["id"] != "hello-world" || v["http"].(map[string]any)["httpMethod"] != "GET" {
		t.Fatalf("get: %v", v)
	}
	s.expectError(http.StatusNotFound, CodeNotFound, "", "GET", "/api/v1/mocks/missing", nil)
	s.expectError(http.StatusNotFound, CodeNotFound, "", "PATCH", "/api/v1/mocks/missing", `{"priority":1}`)
	s.expectError(http.StatusNotFound, CodeNotFound, "", "DELETE", "/api/v1/mocks/missing", nil)
	s.expectError(http.StatusNotFound, CodeNotFound, "", "DELETE", "/api/v1/mocks/missing/purge", nil)
	s.expectError(http.StatusNotFound, CodeNotFound, "", "POST", "/api/v1/mocks/missing/restore", nil)
	s.expectError(http.StatusNotFound, CodeNotFound, "", "GET", "/api/v1/mocks/missing/logs", nil)
	s.expectError(http.StatusNotFound, CodeNotFound, "", "GET", "/api/v1/mocks/missing/versions", nil)
}

func TestList(t *testing.T) {
	s := newTestServer(t)
	for i := 0; i < 7; i++ {
		m := httpMock(fmt.Sprintf("m%d", i), fmt.Sprintf("/items/%d", i))
		if i%2 == 0 {
			m["tags"] = []string{"even", "all"}
		} else {
			m["tags"] = []string{"all", "50%_off"}
		}
		if i >= 5 {
			m["namespace"] = "other"
		}
		s.expect(http.StatusCreated, "POST", "/api/v1/mocks", m)
	}
	s.expect(http.StatusCreated, "POST", "/api/v1/mocks", `{"id":"kafka-1","kafka":{"topic":"Orders.Created"},"response":{}}`)

	v := s.expect(http.StatusOK, "GET", "/api/v1/mocks", nil)
	if v["total"] != float64(8) || v["count"] != float64(8) || len(v["items"].([]any)) != 8 || len(v["mocks"].([]any)) != 8 {
		t.Fatalf("all namespaces: total=%v", v["total"])
	}
	v = s.expect(http.StatusOK, "GET", "/api/v1/mocks?namespace=sandbox&limit=2&offset=1", nil)
	if v["total"] != float64(6) || len(v["items"].([]any)) != 2 || v["limit"] != float64(2) || v["offset"] != float64(1) || v["hasMore"] != true {
		t.Fatalf("page: %v", v)
	}
	v = s.expect(http.StatusOK, "GET", "/api/v1/mocks?namespace=sandbox&tags=even,all", nil)
	if got := ids(v["items"].([]any)); !sameSet(got, []string{"m0", "m2", "m4"}) {
		t.Fatalf("tags filter: %v", got)
	}
	v = s.expect(http.StatusOK, "GET", "/api/v1/mocks?tags=50%25_off", nil)
	if got := ids(v["items"].([]any)); !sameSet(got, []string{"m1", "m3", "m5"}) {
		t.Fatalf("tags with %% and _ must match literally: %v", got)
	}
	v = s.expect(http.StatusOK, "GET", "/api/v1/mocks?search=ORDERS.created", nil)
	if got := ids(v["items"].([]any)); !sameSet(got, []string{"kafka-1"}) {
		t.Fatalf("search is case-insensitive over the topic: %v", got)
	}
	v = s.expect(http.StatusOK, "GET", "/api/v1/mocks?protocol=kafka", nil)
	if v["total"] != float64(1) {
		t.Fatalf("protocol filter: %v", v)
	}
	v = s.expect(http.StatusOK, "GET", "/api/v1/mocks", nil, "X-Namespace", "other")
	if v["total"] != float64(2) {
		t.Fatalf("namespace from X-Namespace: %v", v["total"])
	}
	s.expectError(http.StatusBadRequest, CodeValidation, "limit", "GET", "/api/v1/mocks?limit=ten", nil)
	s.expectError(http.StatusBadRequest, CodeValidation, "", "GET", "/api/v1/mocks?offset=-1", nil)
	s.expectError(http.StatusBadRequest, CodeValidation, "protocol", "GET", "/api/v1/mocks?protocol=ftp", nil)
}

func sameSet(a, b []string) bool {
	a, b = append([]string(nil), a...), append([]string(nil), b...)
	sort.Strings(a)
	sort.Strings(b)
	return reflect.DeepEqual(a, b)
}

func TestPatch(t *testing.T) {
	s := newTestServer(t)
	s.expect(http.StatusCreated, "POST", "/api/v1/mocks", helloWorld)
	// The API reference's example: the status changes, the payload stays.
	v := s.expect(http.StatusOK, "PATCH", "/api/v1/mocks/hello-world", `{"response": {"statusCode": 201}}`, "Content-Type", "")
	resp := v["response"].(map[string]any)
	if resp["statusCode"] != float64(201) || resp["payload"].(map[string]any)["message"] != "Hello, World!" {
		t.Fatalf("flat patched mock: %v", v)
	}
	if v["mock"].(map[string]any)["response"].(map[string]any)["statusCode"] != float64(201) || v["id"] != "hello-world" {
		t.Fatalf("wrapped patched mock: %v", v["mock"])
	}
	got := s.expect(http.StatusOK, "GET", "/api/v1/mocks/hello-world", nil)
	if got["response"].(map[string]any)["statusCode"] != float64(201) {
		t.Fatalf("patch not stored: %v", got)
	}
	// null removes a field; a new protocol context replaces the old one.
	v = s.expect(http.StatusOK, "PATCH", "/api/v1/mocks/hello-world", `{"tags":["a"],"priority":5}`)
	if v["priority"] != float64(5) {
		t.Fatalf("priority: %v", v)
	}
	v = s.expect(http.StatusOK, "PATCH", "/api/v1/mocks/hello-world", `{"tags":null,"grpc":{"service":"g.S","method":"M"},"response":{"statusCode":0,"payload":{"ok":1}}}`)
	if v["http"] != nil || v["grpc"] == nil || v["tags"] != nil {
		t.Fatalf("context switch: %v", v)
	}
	// A patch that breaks the rules is refused and changes nothing.
	s.expectError(http.StatusUnprocessableEntity, CodeValidation, "grpc.meta[0].assertAction", "PATCH", "/api/v1/mocks/hello-world",
		`{"grpc":{"service":"g.S","method":"M","meta":[{"path":"x","assertAction":"nope"}]}}`)
	s.expectError(http.StatusUnprocessableEntity, CodeValidation, "id", "PATCH", "/api/v1/mocks/hello-world", `{"id":"other"}`)
	s.expectError(http.StatusBadRequest, CodeValidation, "", "PATCH", "/api/v1/mocks/hello-world", `{"priority":`)
	s.expectError(http.StatusBadRequest, CodeValidation, "", "PATCH", "/api/v1/mocks/hello-world", `[1,2]`)
	got = s.expect(http.StatusOK, "GET", "/api/v1/mocks/hello-world", nil)
	if got["grpc"].(map[string]any)["meta"] != nil {
		t.Fatalf("a refused patch must not be stored: %v", got)
	}
}

func TestDeleteRestorePurge(t *testing.T) {
	s := newTestServer(t)
	for _, id := range []string{"a", "b", "c"} {
		s.expect(http.StatusCreated, "POST", "/api/v1/mocks", httpMock(id, "/"+id))
	}
	s.expect(http.StatusOK, "DELETE", "/api/v1/mocks/a", nil)
	v := s.expect(http.StatusOK, "GET", "/api/v1/mocks/a", nil)
	if v["closedAt"] == nil || v["closedAt"].(float64) <= 0 {
		t.Fatalf("soft-deleted mock has closedAt: %v", v)
	}
	v = s.expect(http.StatusOK, "GET", "/api/v1/mocks", nil)
	if got := ids(v["items"].([]any)); !sameSet(got, []string{"b", "c"}) {
		t.Fatalf("live list: %v", got)
	}
	v = s.expect(http.StatusOK, "GET", "/api/v1/mocks?deleted=true", nil)
	if got := ids(v["items"].([]any)); !sameSet(got, []string{"a"}) {
		t.Fatalf("trash: %v", got)
	}
	v = s.expect(http.StatusOK, "GET", "/api/v1/mocks?onlyActive=false", nil)
	if v["total"] != float64(3) {
		t.Fatalf("onlyActive=false shows deleted too: %v", v["total"])
	}
	// Restore, per mock (POST and the GET form) and in batch (mockIds and ids).
	v = s.expect(http.StatusOK, "POST", "/api/v1/mocks/a/restore", nil)
	if v["id"] != "a" || v["closedAt"] != nil {
		t.Fatalf("restored mock: %v", v)
	}
	s.expect(http.StatusOK, "DELETE", "/api/v1/mocks/a", nil)
	s.expect(http.StatusOK, "GET", "/api/v1/mocks/a/restore", nil)
	v = s.expect(http.StatusOK, "DELETE", "/api/v1/mocks/batch", `{"mockIds":["a","b","zzz"]}`)
	if v["deleted"] != float64(2) {
		t.Fatalf("batch delete: %v", v)
	}
	v = s.expect(http.StatusOK, "POST", "/api/v1/mocks/batch/restore", `{"mockIds":["a"]}`)
	if v["restored"] != float64(1) {
		t.Fatalf("batch restore: %v", v)
	}
	v = s.expect(http.StatusOK, "POST", "/api/v1/mocks/batch/restore", `{"ids":["b","a"]}`)
	if v["restored"] != float64(1) || !reflect.DeepEqual(v["ids"], []any{"b"}) {
		t.Fatalf("batch restore by ids: %v", v)
	}
	s.expectError(http.StatusBadRequest, CodeValidation, "mockIds", "DELETE", "/api/v1/mocks/batch", `{"mockIds":[]}`)
	s.expectError(http.StatusBadRequest, CodeValidation, "", "POST", "/api/v1/mocks/batch/restore", `{"mockIds":"a"}`)
	// Purge is permanent.
	s.expect(http.StatusOK, "DELETE", "/api/v1/mocks/c/purge", nil)
	s.expectError(http.StatusNotFound, CodeNotFound, "", "GET", "/api/v1/mocks/c", nil)
	s.expectError(http.StatusNotFound, CodeNotFound, "", "DELETE", "/api/v1/mocks/c/purge", nil)
}

func TestBatchCreate(t *testing.T) {
	s := newTestServer(t)
	// The API reference sends a bare array; the SDKs send {"mocks": [...]}.
	v := s.expect(http.StatusCreated, "POST", "/api/v1/mocks/batch", `[
{"id": "mock-1", "namespace": "sandbox", "http": {"route": "/api/a", "httpMethod": "GET"}, "response": {"statusCode": 200}},
{"id": "mock-2", "namespace": "sandbox", "http": {"route": "/api/b", "httpMethod": "GET"}, "response": {"statusCode": 200}}
]`)
	if v["created"] != float64(2) || len(v["results"].([]any)) != 2 {
		t.Fatalf("batch: %v", v)
	}
	v = s.expect(http.StatusCreated, "POST", "/api/v1/mocks/batch", map[string]any{"mocks": []any{httpMock("mock-2", "/b2"), httpMock("mock-3", "/c")}})
	if v["created"] != float64(1) || v["overwritten"] != float64(1) {
		t.Fatalf("batch overwrite: %v", v)
	}
	// One invalid mock refuses the whole batch and names it.
	s.expectError(http.StatusUnprocessableEntity, CodeValidation, "[1].http.route", "POST", "/api/v1/mocks/batch",
		`[{"id":"ok-1","http":{"route":"/a"},"response":{}},{"id":"bad","http":{"route":"x"},"response":{}}]`)
	s.expectError(http.StatusUnprocessableEntity, CodeValidation, "[1].id", "POST", "/api/v1/mocks/batch",
		`[{"id":"dup","http":{"route":"/a"},"response":{}},{"id":"dup","http":{"route":"/b"},"response":{}}]`)
	s.expectError(http.StatusBadRequest, CodeValidation, "[0].id", "POST", "/api/v1/mocks/batch", `[{"id":1}]`)
	s.expectError(http.StatusBadRequest, CodeValidation, "", "POST", "/api/v1/mocks/batch", `[]`)
	s.expectError(http.StatusNotFound, CodeNotFound, "", "GET", "/api/v1/mocks/ok-1", nil)
}

func TestBatchTagsAndCopy(t *testing.T) {
	s := newTestServer(t)
	a := httpMock("a", "/a")
	a["tags"] = []string{"old"}
	a["chainId"] = "flow"
	s.expect(http.StatusCreated, "POST", "/api/v1/mocks", a)
	s.expect(http.StatusCreated, "POST", "/api/v1/mocks", httpMock("b", "/b"))
	v := s.expect(http.StatusOK, "PATCH", "/api/v1/mocks/batch/tags", `{"mockIds":["a","b"],"tagsToAdd":["x","y"],"tagsToRemove":["old"]}`)
	if v["updated"] != float64(2) {
		t.Fatalf("batch tags: %v", v)
	}
	got := s.expect(http.StatusOK, "GET", "/api/v1/mocks/a", nil)
	if !reflect.DeepEqual(got["tags"], []any{"x", "y"}) {
		t.Fatalf("tags after batch: %v", got["tags"])
	}
	s.expect(http.StatusOK, "PATCH", "/api/v1/mocks/batch/tags", `{"ids":["b"],"addTags":["z"],"removeTags":["x"]}`)
	got = s.expect(http.StatusOK, "GET", "/api/v1/mocks/b", nil)
	if !reflect.DeepEqual(got["tags"], []any{"y", "z"}) {
		t.Fatalf("tags with the documented names: %v", got["tags"])
	}
	s.expect(http.StatusOK, "PATCH", "/api/v1/mocks/batch/tags", `{"ids":["b"],"tags":["only"]}`)
	got = s.expect(http.StatusOK, "GET", "/api/v1/mocks/b", nil)
	if !reflect.DeepEqual(got["tags"], []any{"only"}) {
		t.Fatalf("tags replaced: %v", got["tags"])
	}
	s.expectError(http.StatusBadRequest, CodeValidation, "", "PATCH", "/api/v1/mocks/batch/tags", `{"mockIds":["a"]}`)

	// Copy keeps the original and makes new mocks in the target namespace.
	v = s.expect(http.StatusCreated, "POST", "/api/v1/mocks/copy-to-namespace", `{"sourceNamespace":"sandbox","targetNamespace":"production","mockIds":["a","b"]}`)
	copies := v["mocks"].([]any)
	if v["copied"] != float64(2) || len(copies) != 2 {
		t.Fatalf("copy: %v", v)
	}
	for _, c := range copies {
		cm := c.(map[string]any)
		if cm["namespace"] != "production" || cm["id"] == "a" || cm["id"] == "b" {
			t.Fatalf("copy must be a new mock in the target: %v", cm)
		}
	}
	v = s.expect(http.StatusOK, "GET", "/api/v1/mocks?namespace=production", nil)
	if v["total"] != float64(2) {
		t.Fatalf("copies listed: %v", v["total"])
	}
	if s.expect(http.StatusOK, "GET", "/api/v1/mocks/a", nil)["namespace"] != "sandbox" {
		t.Fatal("the original must stay")
	}
	// Copying again makes distinct ids.
	v = s.expect(http.StatusCreated, "POST", "/api/v1/mocks/copy-to-namespace", `{"targetNamespace":"production","ids":["a"]}`)
	if id := v["mocks"].([]any)[0].(map[string]any)["id"]; id == copies[0].(map[string]any)["id"] {
		t.Fatalf("second copy reused an id: %v", id)
	}
	s.expectError(http.StatusBadRequest, CodeValidation, "targetNamespace", "POST", "/api/v1/mocks/copy-to-namespace", `{"mockIds":["a"]}`)
	s.expectError(http.StatusNotFound, CodeNotFound, "", "POST", "/api/v1/mocks/copy-to-namespace", `{"mockIds":["nope"],"targetNamespace":"x"}`)
	s.expectError(http.StatusUnprocessableEntity, CodeValidation, "sourceNamespace", "POST", "/api/v1/mocks/copy-to-namespace", `{"sourceNamespace":"other","mockIds":["a"],"targetNamespace":"x"}`)

	// Chains: GET returns a bare array; DELETE removes the chain's mocks.
	r := s.do("GET", "/api/v1/mocks/chains/flow", nil)
	var chain []map[string]any
	if err := json.Unmarshal(r.Body, &chain); err != nil || len(chain) != 3 {
		t.Fatalf("chain (the original and its two copies in production): %s", r.Body)
	}
	r = s.do("GET", "/api/v1/mocks/chains/flow?namespace=sandbox", nil)
	if err := json.Unmarshal(r.Body, &chain); err != nil || len(chain) != 1 || chain[0]["id"] != "a" {
		t.Fatalf("chain in one namespace: %s", r.Body)
	}
	s.expect(http.StatusOK, "DELETE", "/api/v1/mocks/chains/flow", nil)
	r = s.do("GET", "/api/v1/mocks/chains/flow", nil)
	if strings.TrimSpace(string(r.Body)) != "[]" {
		t.Fatalf("chain after delete: %s", r.Body)
	}
	s.expectError(http.StatusNotFound, CodeNotFound, "", "DELETE", "/api/v1/mocks/chains/flow", nil)
}

func TestLogs(t *testing.T) {
	s := newTestServer(t)
	s.expect(http.StatusCreated, "POST", "/api/v1/mocks", helloWorld)
	ctx := context.Background()
	for i := 1; i <= 5; i++ {
		err := s.Store.AppendMockLog(ctx, "hello-world", store.RequestLog{
			CalledAt: int64(1700000000000 + i),
			Req:      json.RawMessage(fmt.Sprintf(`{"url":"/stubs/sandbox/api/greeting","queryParam":{"n":"%d"}}`, i)),
			Response: json.RawMessage(`{"statusCode":200}`),
		}, 3)
		if err != nil {
			t.Fatal(err)
		}
	}
	v := s.expect(http.StatusOK, "GET", "/api/v1/mocks/hello-world/logs", nil)
	reqs := v["requests"].([]any)
	if v["id"] != "hello-world" || len(reqs) != 3 || v["total"] != float64(3) {
		t.Fatalf("logs keep the newest 3: %v", v)
	}
	first := reqs[0].(map[string]any)
	if first["calledAt"] != "2023-11-14T22:13:20.005Z" || first["req"].(map[string]any)["queryParam"].(map[string]any)["n"] != "5" {
		t.Fatalf("newest first, calledAt as a timestamp string: %v", first)
	}
	v = s.expect(http.StatusOK, "GET", "/api/v1/mocks/hello-world/logs?limit=1&offset=1", nil)
	if n := v["requests"].([]any)[0].(map[string]any)["req"].(map[string]any)["queryParam"].(map[string]any)["n"]; n != "4" {
		t.Fatalf("paging: %v", v)
	}
	v = s.expect(http.StatusOK, "DELETE", "/api/v1/mocks/hello-world/logs", nil)
	if v["deleted"] != float64(3) {
		t.Fatalf("delete logs: %v", v)
	}
	v = s.expect(http.StatusOK, "GET", "/api/v1/mocks/hello-world/logs", nil)
	if len(v["requests"].([]any)) != 0 {
		t.Fatalf("logs after delete: %v", v)
	}
}

func TestVersions(t *testing.T) {
	s := newTestServer(t, serverOpts{versioning: true})
	s.expect(http.StatusCreated, "POST", "/api/v1/mocks", helloWorld)
	s.expect(http.StatusOK, "PATCH", "/api/v1/mocks/hello-world", `{"response":{"statusCode":404}}`)
	v := s.expect(http.StatusOK, "GET", "/api/v1/mocks/hello-world/versions", nil)
	vs := v["versions"].([]any)
	if v["mock_id"] != "hello-world" || v["count"] != float64(2) || len(vs) != 2 {
		t.Fatalf("versions: %v", v)
	}
	newest := vs[0].(map[string]any)
	if newest["version"] != float64(2) || newest["change"] != "patch" || newest["mock_id"] != "hello-world" || newest["created_at"].(float64) <= 0 {
		t.Fatalf("newest first: %v", newest)
	}
	v = s.expect(http.StatusOK, "GET", "/api/v1/mocks/hello-world/versions/1", nil)
	if v["previous_version"] != nil || v["version"].(map[string]any)["mock"].(map[string]any)["response"].(map[string]any)["statusCode"] != float64(200) {
		t.Fatalf("version 1: %v", v)
	}
	v = s.expect(http.StatusOK, "GET", "/api/v1/mocks/hello-world/versions/2", nil)
	if v["previous_version"].(map[string]any)["version"] != float64(1) {
		t.Fatalf("version 2 links its predecessor: %v", v)
	}
	s.expect(http.StatusOK, "POST", "/api/v1/mocks/hello-world/versions/1/restore", nil)
	got := s.expect(http.StatusOK, "GET", "/api/v1/mocks/hello-world", nil)
	if got["response"].(map[string]any)["statusCode"] != float64(200) {
		t.Fatalf("restored version 1: %v", got)
	}
	v = s.expect(http.StatusOK, "GET", "/api/v1/mocks/hello-world/versions", nil)
	if v["count"] != float64(3) || v["versions"].([]any)[0].(map[string]any)["change"] != "restore" {
		t.Fatalf("a restore is a new version: %v", v)
	}
	s.expectError(http.StatusNotFound, CodeNotFound, "", "GET", "/api/v1/mocks/hello-world/versions/99", nil)
	s.expectError(http.StatusBadRequest, CodeValidation, "version", "GET", "/api/v1/mocks/hello-world/versions/first", nil)

	// Without DB_ENABLE_VERSIONING no history is kept.
	off := newTestServer(t)
	off.expect(http.StatusCreated, "POST", "/api/v1/mocks", helloWorld)
	v = off.expect(http.StatusOK, "GET", "/api/v1/mocks/hello-world/versions", nil)
	if v["count"] != float64(0) || v["versioning"] != false {
		t.Fatalf("versioning off: %v", v)
	}
	off.expectError(http.StatusNotFound, CodeNotFound, "", "GET", "/api/v1/mocks/hello-world/versions/1", nil)
	off.expectError(http.StatusNotFound, CodeNotFound, "", "POST", "/api/v1/mocks/hello-world/versions/1/restore", nil)
}

func TestTTLSetsExpireAt(t *testing.T) {
	s := newTestServer(t)
	m := httpMock("ttl", "/ttl")
	m["ttl"] = 3600000
	v := s.expect(http.StatusCreated, "POST", "/api/v1/mocks", m)["mock"].(map[string]any)
	if v["expireAt"].(float64)-v["createdAt"].(float64) != 3600000 || v["ttl"] != float64(3600000) {
		t.Fatalf("expireAt = createdAt + ttl (ms): %v", v)
	}
}

// Control characters never reach the database (PostgreSQL refuses NUL).
func TestControlCharactersAreRefused(t *testing.T) {
	s := newTestServer(t)
	s.expectError(http.StatusNotFound, CodeNotFound, "", "GET", "/api/v1/mocks/a%00b", nil)
	s.expectError(http.StatusNotFound, CodeNotFound, "", "DELETE", "/api/v1/stores/global/k%00", nil)
	s.expectError(http.StatusBadRequest, CodeValidation, "search", "GET", "/api/v1/mocks?search=a%00", nil)
	s.expectError(http.StatusUnprocessableEntity, CodeValidation, "serverName", "POST", "/api/v1/mocks",
		`{"id":"x","serverName":"a\u0000b","http":{"route":"/a"},"response":{}}`)
	s.expectError(http.StatusUnprocessableEntity, CodeValidation, "tags[0]", "POST", "/api/v1/mocks",
		`{"id":"x","tags":["a\u0000"],"http":{"route":"/a"},"response":{}}`)
	s.expectError(http.StatusUnprocessableEntity, CodeValidation, "key", "POST", "/api/v1/stores/global", `{"key":"a\u0000","value":1}`)
	s.expectError(http.StatusUnprocessableEntity, CodeValidation, "name", "POST", "/api/v1/mock-folders", `{"name":"a\u0000"}`)
}

func TestEngineChecksAtSave(t *testing.T) {
	s := newTestServer(t)
	cases := []struct{ field, doc string }{
		{"response.payload", `{"id":"x","http":{"route":"/a"},"response":{"payload":{"v":"$.fake.Nope"}}}`},
		{"oneOf.responses[1].payload", `{"id":"x","http":{"route":"/a"},"oneOf":{"responses":[{},{"payload":"x-$.fake.Blah-y"}]}}`},
		{"webhooks[0]", `{"id":"x","http":{"route":"/a"},"response":{},"webhooks":[{"url":"http://h.test","body":{"a":"$.fake.IntBetween"}}]}`},
		{"http.conditions[0].path", `{"id":"x","http":{"route":"/a","conditions":[{"path":"$.items[?(@.p >","assertAction":"any"}]},"response":{}}`},
		{"http.conditions[0].valueFromFile", `{"id":"x","http":{"route":"/a","conditions":[{"path":"$.a","assertAction":"equals","valueFromFile":"../../etc/passwd"}]},"response":{}}`},
		{"id", `{"id":"preview","http":{"route":"/a"},"response":{}}`},
		{"useLimiter", `{"id":"x","useLimiter":4294967296,"http":{"route":"/a"},"response":{}}`},
		{"response.delay", `{"id":"x","http":{"route":"/a"},"response":{"delay":99999999999}}`},
		{"ttl", `{"id":"x","ttl":9223372036854775807,"http":{"route":"/a"},"response":{}}`},
	}
	for _, c := range cases {
		s.expectError(http.StatusUnprocessableEntity, CodeValidation, c.field, "POST", "/api/v1/mocks", c.doc)
	}
	s.expect(http.StatusCreated, "POST", "/api/v1/mocks", `{"id":"ok","http":{"route":"/a","conditions":[{"path":"$.a","assertAction":"equals","valueFromFile":"/templates/x.json"}]},"response":{"payload":"$.fake.IntBetween(1, 3)"}}`)
}

func TestLongHeadersAndMissingTemplate(t *testing.T) {
	s := newTestServer(t)
	s.expect(http.StatusCreated, "POST", "/api/v1/mocks", `{"id":"t","http":{"route":"/t"},"response":{"statusCode":200,"payloadTemplatePath":"nope.json"}}`)
	r := s.do("GET", "/stubs/sandbox/t", nil, "Authorization", "Bearer "+strings.Repeat("x", 20000))
	if r.Status != 500 {
		t.Fatalf("a missing template: %d %s", r.Status, r.Body)
	}
	if v := r.JSON(t); v["code"] != "template_not_found" || !strings.Contains(v["error"].(string), `"nope.json"`) {
		t.Fatalf("well-formed error: %v", v)
	}
	v := s.expect(200, "GET", "/api/v1/features", nil)
	if v["versioning"] != false || len(v["protocols"].([]any)) != 10 {
		t.Fatalf("features: %v", v)
	}
}
