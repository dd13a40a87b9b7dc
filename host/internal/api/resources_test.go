package api

import (
	"context"
	"encoding/json"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/mockarty-oss/mockarty/host/internal/store"
)

// Helpers of this file carry a "res" prefix so they cannot clash with other test files.

// resStrings turns a JSON array of strings into a []string.
func resStrings(t *testing.T, v any) []string {
	t.Helper()
	list, ok := v.([]any)
	if !ok {
		t.Fatalf("not a JSON array: %#v", v)
	}
	out := make([]string, 0, len(list))
	for _, x := range list {
		s, ok := x.(string)
		if !ok {
			t.Fatalf("array item is not a string: %#v", x)
		}
		out = append(out, s)
	}
	return out
}

// resObjects turns a JSON array of objects into a slice of maps.
func resObjects(t *testing.T, v any) []map[string]any {
	t.Helper()
	list, ok := v.([]any)
	if !ok {
		t.Fatalf("not a JSON array: %#v", v)
	}
	out := make([]map[string]any, 0, len(list))
	for _, x := range list {
		m, ok := x.(map[string]any)
		if !ok {
			t.Fatalf("array item is not an object: %#v", x)
		}
		out = append(out, m)
	}
	return out
}

// resObj returns v as a JSON object.
func resObj(t *testing.T, v any) map[string]any {
	t.Helper()
	m, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("not a JSON object: %#v", v)
	}
	return m
}

// resEqualJSON compares got (decoded JSON) with the JSON text want.
func resEqualJSON(t *testing.T, what string, got any, want string) {
	t.Helper()
	var w any
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("bad want JSON for %s: %v", what, err)
	}
	if !reflect.DeepEqual(got, w) {
		g, _ := json.Marshal(got)
		t.Fatalf("%s = %s, want %s", what, g, want)
	}
}

func resEqualStrings(t *testing.T, what string, got, want []string) {
	t.Helper()
	if len(got) == 0 && len(want) == 0 {
		return
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s = %q, want %q", what, got, want)
	}
}

func resSorted(in []string) []string {
	out := append([]string(nil), in...)
	sort.Strings(out)
	return out
}

func resContains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// resNum reads a JSON number as an int64.
func resNum(t *testing.T, v any) int64 {
	t.Helper()
	f, ok := v.(float64)
	if !ok {
		t.Fatalf("not a JSON number: %#v", v)
	}
	return int64(f)
}

// resMock creates a mock through the API and returns the save envelope.
func resMock(s *testServer, id, route string, extra map[string]any) map[string]any {
	s.t.Helper()
	m := httpMock(id, route)
	for k, v := range extra {
		m[k] = v
	}
	return s.expect(http.StatusCreated, "POST", "/api/v1/mocks", m)
}

func resNamespaces(s *testServer) []string {
	s.t.Helper()
	v := s.expect(http.StatusOK, "GET", "/api/v1/namespaces", nil)
	return resStrings(s.t, v["namespaces"])
}

// ---------------------------------------------------------------------------
// Namespaces

func TestNamespacesListAlwaysHasSandbox(t *testing.T) {
	s := newTestServer(t)
	v := s.expect(http.StatusOK, "GET", "/api/v1/namespaces", nil)
	resEqualStrings(t, "namespaces", resStrings(t, v["namespaces"]), []string{"sandbox"})

	// Recording sandbox itself does not list it twice.
	resMock(s, "in-sandbox", "/a", nil)
	resEqualStrings(t, "namespaces", resNamespaces(s), []string{"sandbox"})
}

func TestNamespacesCreate(t *testing.T) {
	s := newTestServer(t)
	v := s.expect(http.StatusCreated, "POST", "/api/v1/namespaces", map[string]any{"name": "staging"})
	if v["name"] != "staging" {
		t.Fatalf("create answered name %v, want staging", v["name"])
	}
	// Surrounding blanks are trimmed.
	s.expect(http.StatusCreated, "POST", "/api/v1/namespaces", map[string]any{"name": "  qa.team_1-x  "})
	long := strings.Repeat("n", 100)
	s.expect(http.StatusCreated, "POST", "/api/v1/namespaces", map[string]any{"name": long})

	got := resNamespaces(s)
	for _, want := range []string{"sandbox", "staging", "qa.team_1-x", long} {
		if !resContains(got, want) {
			t.Fatalf("namespaces %q lack %q", got, want)
		}
	}
	if len(got) != 4 {
		t.Fatalf("namespaces = %q, want 4 entries", got)
	}

	e := s.expectError(http.StatusConflict, "conflict", "", "POST", "/api/v1/namespaces", map[string]any{"name": "staging"})
	if !strings.Contains(e["error"].(string), "staging") {
		t.Fatalf("conflict message does not name the namespace: %v", e["error"])
	}
	if n := len(resNamespaces(s)); n != 4 {
		t.Fatalf("a refused duplicate changed the list: %d entries", n)
	}
}

func TestNamespacesCreateBadInput(t *testing.T) {
	s := newTestServer(t)
	// Values that are well-formed JSON but not a usable name.
	for _, name := range []string{"", "   ", "a/b", "../x", "-lead", ".hidden", "with space", strings.Repeat("n", 101)} {
		s.expectError(http.StatusUnprocessableEntity, "validation", "name", "POST", "/api/v1/namespaces", map[string]any{"name": name})
	}
	s.expectError(http.StatusUnprocessableEntity, "validation", "name", "POST", "/api/v1/namespaces", map[string]any{})
	// A wrong JSON type is malformed input.
	s.expectError(http.StatusBadRequest, "validation", "name", "POST", "/api/v1/namespaces", `{"name":5}`)
	s.expectError(http.StatusBadRequest, "validation", "name", "POST", "/api/v1/namespaces", `{"name":["a"]}`)
	for _, raw := range []string{`{"name":`, `not json`, `{"name":"a"} {"name":"b"}`, ``, `   `} {
		s.expectError(http.StatusBadRequest, "validation", "", "POST", "/api/v1/namespaces", raw)
	}
	resEqualStrings(t, "namespaces after bad input", resNamespaces(s), []string{"sandbox"})
}

func TestNamespacesAppearWhenUsed(t *testing.T) {
	s := newTestServer(t)
	resMock(s, "team-mock", "/t", map[string]any{"namespace": "team-a"})
	s.expect(http.StatusOK, "POST", "/api/v1/stores/global", map[string]any{"key": "k", "value": 1, "namespace": "from-store"})
	s.expect(http.StatusCreated, "POST", "/api/v1/mock-folders", map[string]any{"name": "f", "namespace": "from-folder"})
	got := resNamespaces(s)
	resEqualStrings(t, "namespaces", resSorted(got), []string{"from-folder", "from-store", "sandbox", "team-a"})
	// The namespace can no longer be created.
	s.expectError(http.StatusConflict, "conflict", "", "POST", "/api/v1/namespaces", map[string]any{"name": "team-a"})
}

// ---------------------------------------------------------------------------
// Stores

func TestStoreGlobalValuesOfEveryJSONType(t *testing.T) {
	s := newTestServer(t)
	resEqualJSON(t, "empty store", s.expect(http.StatusOK, "GET", "/api/v1/stores/global", nil), `{}`)

	values := map[string]string{
		"str":    `"100"`,
		"num":    `42`,
		"float":  `1.5`,
		"bool":   `true`,
		"obj":    `{"a":[1,2],"b":{"c":null}}`,
		"arr":    `[1,"x",{"y":false}]`,
		"null":   `null`,
		"empty":  `""`,
		"a/b c?": `"odd key"`,
	}
	for k, raw := range values {
		body := `{"key":` + mustJSON(t, k) + `,"value":` + raw + `}`
		v := s.expect(http.StatusOK, "POST", "/api/v1/stores/global", body)
		if v["key"] != k || v["namespace"] != "sandbox" || v["success"] != true {
			t.Fatalf("set %q answered %v", k, v)
		}
		resEqualJSON(t, "echoed value of "+k, v["value"], raw)
		if _, ok := v["chainId"]; ok {
			t.Fatalf("global set answered a chainId: %v", v)
		}
	}
	want := "{"
	i := 0
	for k, raw := range values {
		if i > 0 {
			want += ","
		}
		want += mustJSON(t, k) + ":" + raw
		i++
	}
	want += "}"
	resEqualJSON(t, "global store", s.expect(http.StatusOK, "GET", "/api/v1/stores/global", nil), want)
	resEqualJSON(t, "global store ?namespace=sandbox", s.expect(http.StatusOK, "GET", "/api/v1/stores/global?namespace=sandbox", nil), want)

	// Overwrite keeps one key.
	s.expect(http.StatusOK, "POST", "/api/v1/stores/global", map[string]any{"key": "num", "value": map[string]any{"n": 43}})
	got := s.expect(http.StatusOK, "GET", "/api/v1/stores/global", nil)
	resEqualJSON(t, "overwritten num", got["num"], `{"n":43}`)
	if len(got) != len(values) {
		t.Fatalf("store has %d keys after an overwrite, want %d", len(got), len(values))
	}

	// Delete, with the key escaped in the path.
	v := s.expect(http.StatusOK, "DELETE", "/api/v1/stores/global/a%2Fb%20c%3F?namespace=sandbox", nil)
	if v["key"] != "a/b c?" || v["deleted"] != true || v["namespace"] != "sandbox" {
		t.Fatalf("delete answered %v", v)
	}
	s.expect(http.StatusOK, "DELETE", "/api/v1/stores/global/null", nil)
	got = s.expect(http.StatusOK, "GET", "/api/v1/stores/global", nil)
	if _, ok := got["a/b c?"]; ok {
		t.Fatal("deleted key still listed")
	}
	if _, ok := got["null"]; ok {
		t.Fatal("deleted key null still listed")
	}
	if len(got) != len(values)-2 {
		t.Fatalf("store has %d keys, want %d", len(got), len(values)-2)
	}
	s.expectError(http.StatusNotFound, "not_found", "", "DELETE", "/api/v1/stores/global/null", nil)
	s.expectError(http.StatusNotFound, "not_found", "", "DELETE", "/api/v1/stores/global/never-set?namespace=sandbox", nil)
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestStoreNamespacePrecedence(t *testing.T) {
	s := newTestServer(t)
	set := func(path string, body map[string]any, headers ...string) {
		t.Helper()
		v := s.expect(http.StatusOK, "POST", path, body, headers...)
		if v["success"] != true {
			t.Fatalf("set answered %v", v)
		}
	}
	// Query beats body and header.
	set("/api/v1/stores/global?namespace=nsq", map[string]any{"key": "k", "value": "q", "namespace": "nsb"}, "X-Namespace", "nsh")
	// Body beats header.
	set("/api/v1/stores/global", map[string]any{"key": "k", "value": "b", "namespace": "nsb"}, "X-Namespace", "nsh")
	// Header alone.
	set("/api/v1/stores/global", map[string]any{"key": "k", "value": "h"}, "X-Namespace", "nsh")
	// Nothing: sandbox.
	set("/api/v1/stores/global", map[string]any{"key": "k", "value": "s"})

	for ns, want := range map[string]string{"nsq": `{"k":"q"}`, "nsb": `{"k":"b"}`, "nsh": `{"k":"h"}`, "sandbox": `{"k":"s"}`} {
		resEqualJSON(t, "store of "+ns, s.expect(http.StatusOK, "GET", "/api/v1/stores/global?namespace="+ns, nil), want)
		resEqualJSON(t, "store of "+ns+" by header", s.expect(http.StatusOK, "GET", "/api/v1/stores/global", nil, "X-Namespace", ns), want)
	}
	// GET: query beats header.
	resEqualJSON(t, "query over header", s.expect(http.StatusOK, "GET", "/api/v1/stores/global?namespace=nsq", nil, "X-Namespace", "nsh"), `{"k":"q"}`)
	resEqualJSON(t, "unused namespace", s.expect(http.StatusOK, "GET", "/api/v1/stores/global?namespace=unused", nil), `{}`)

	// DELETE by header only touches that namespace.
	s.expect(http.StatusOK, "DELETE", "/api/v1/stores/global/k", nil, "X-Namespace", "nsh")
	resEqualJSON(t, "nsh after delete", s.expect(http.StatusOK, "GET", "/api/v1/stores/global?namespace=nsh", nil), `{}`)
	resEqualJSON(t, "nsq after delete in nsh", s.expect(http.StatusOK, "GET", "/api/v1/stores/global?namespace=nsq", nil), `{"k":"q"}`)
	// DELETE: query beats header.
	s.expect(http.StatusOK, "DELETE", "/api/v1/stores/global/k?namespace=nsb", nil, "X-Namespace", "nsq")
	resEqualJSON(t, "nsb after delete", s.expect(http.StatusOK, "GET", "/api/v1/stores/global?namespace=nsb", nil), `{}`)
	resEqualJSON(t, "nsq untouched", s.expect(http.StatusOK, "GET", "/api/v1/stores/global?namespace=nsq", nil), `{"k":"q"}`)
	s.expectError(http.StatusNotFound, "not_found", "", "DELETE", "/api/v1/stores/global/k?namespace=nsb", nil)
}

func TestStoreChainIsolation(t *testing.T) {
	s := newTestServer(t)
	v := s.expect(http.StatusOK, "POST", "/api/v1/stores/chain/order-1", map[string]any{"key": "status", "value": "paid"})
	if v["chainId"] != "order-1" || v["namespace"] != "sandbox" || v["key"] != "status" {
		t.Fatalf("chain set answered %v", v)
	}
	s.expect(http.StatusOK, "POST", "/api/v1/stores/chain/order-1", map[string]any{"key": "items", "value": []any{1, 2}})
	s.expect(http.StatusOK, "POST", "/api/v1/stores/chain/order-2", map[string]any{"key": "status", "value": "new"})
	s.expect(http.StatusOK, "POST", "/api/v1/stores/chain/order-1?namespace=other", map[string]any{"key": "status", "value": "other-ns"})
	s.expect(http.StatusOK, "POST", "/api/v1/stores/chain/order-1", map[string]any{"key": "status", "value": "body-ns", "namespace": "bodyns"})
	s.expect(http.StatusOK, "POST", "/api/v1/stores/global", map[string]any{"key": "status", "value": "global"})

	resEqualJSON(t, "chain order-1", s.expect(http.StatusOK, "GET", "/api/v1/stores/chain/order-1", nil), `{"status":"paid","items":[1,2]}`)
	resEqualJSON(t, "chain order-2", s.expect(http.StatusOK, "GET", "/api/v1/stores/chain/order-2?namespace=sandbox", nil), `{"status":"new"}`)
	resEqualJSON(t, "chain order-1 in other", s.expect(http.StatusOK, "GET", "/api/v1/stores/chain/order-1?namespace=other", nil), `{"status":"other-ns"}`)
	resEqualJSON(t, "chain order-1 in bodyns", s.expect(http.StatusOK, "GET", "/api/v1/stores/chain/order-1", nil, "X-Namespace", "bodyns"), `{"status":"body-ns"}`)
	resEqualJSON(t, "chain order-3", s.expect(http.StatusOK, "GET", "/api/v1/stores/chain/order-3", nil), `{}`)
	resEqualJSON(t, "global", s.expect(http.StatusOK, "GET", "/api/v1/stores/global", nil), `{"status":"global"}`)
	resEqualJSON(t, "global of other", s.expect(http.StatusOK, "GET", "/api/v1/stores/global?namespace=other", nil), `{}`)

	// A chain key is not a global key, and the reverse.
	s.expectError(http.StatusNotFound, "not_found", "", "DELETE", "/api/v1/stores/global/items", nil)
	v = s.expect(http.StatusOK, "DELETE", "/api/v1/stores/chain/order-1/items", nil)
	if v["key"] != "items" || v["deleted"] != true {
		t.Fatalf("chain delete answered %v", v)
	}
	s.expectError(http.StatusNotFound, "not_found", "", "DELETE", "/api/v1/stores/chain/order-1/items", nil)
	s.expectError(http.StatusNotFound, "not_found", "", "DELETE", "/api/v1/stores/chain/order-9/status", nil)
	s.expect(http.StatusOK, "DELETE", "/api/v1/stores/chain/order-1/status?namespace=other", nil)
	resEqualJSON(t, "chain order-1 after deletes", s.expect(http.StatusOK, "GET", "/api/v1/stores/chain/order-1", nil), `{"status":"paid"}`)
	resEqualJSON(t, "chain order-1 in other after delete", s.expect(http.StatusOK, "GET", "/api/v1/stores/chain/order-1?namespace=other", nil), `{}`)
	resEqualJSON(t, "global untouched", s.expect(http.StatusOK, "GET", "/api/v1/stores/global", nil), `{"status":"global"}`)
}

func TestStoreBadInput(t *testing.T) {
	s := newTestServer(t)
	for _, path := range []string{"/api/v1/stores/global", "/api/v1/stores/chain/c1"} {
		s.expectError(http.StatusUnprocessableEntity, "validation", "key", "POST", path, map[string]any{"value": 1})
		s.expectError(http.StatusUnprocessableEntity, "validation", "key", "POST", path, map[string]any{"key": "", "value": 1})
		s.expectError(http.StatusUnprocessableEntity, "validation", "key", "POST", path, map[string]any{"key": "  ", "value": 1})
		s.expectError(http.StatusUnprocessableEntity, "validation", "key", "POST", path, map[string]any{"key": strings.Repeat("k", 501), "value": 1})
		s.expectError(http.StatusUnprocessableEntity, "validation", "value", "POST", path, map[string]any{"key": "k"})
		s.expectError(http.StatusBadRequest, "validation", "key", "POST", path, `{"key":5,"value":1}`)
		s.expectError(http.StatusBadRequest, "validation", "", "POST", path, `{"key":"k","value":}`)
		s.expectError(http.StatusBadRequest, "validation", "", "POST", path, ``)
		s.expectError(http.StatusBadRequest, "validation", "namespace", "POST", path+"?namespace=a%2Fb", map[string]any{"key": "k", "value": 1})
		s.expectError(http.StatusBadRequest, "validation", "namespace", "POST", path, map[string]any{"key": "k", "value": 1, "namespace": "../etc"})
		s.expectError(http.StatusBadRequest, "validation", "namespace", "POST", path, map[string]any{"key": "k", "value": 1}, "X-Namespace", "bad ns")
		s.expectError(http.StatusBadRequest, "validation", "namespace", "GET", path+"?namespace=..", nil)
		s.expectError(http.StatusBadRequest, "validation", "namespace", "GET", path, nil, "X-Namespace", "a/b")
		s.expectError(http.StatusBadRequest, "validation", "namespace", "DELETE", path+"/k?namespace=%20-x", nil)
	}
	// 500 characters is still a key.
	s.expect(http.StatusOK, "POST", "/api/v1/stores/global", map[string]any{"key": strings.Repeat("k", 500), "value": 1})
	// Bad chain ids.
	s.expectError(http.StatusBadRequest, "validation", "chainId", "POST", "/api/v1/stores/chain/bad%20id", map[string]any{"key": "k", "value": 1})
	s.expectError(http.StatusBadRequest, "validation", "chainId", "GET", "/api/v1/stores/chain/..", nil)
	s.expectError(http.StatusBadRequest, "validation", "chainId", "DELETE", "/api/v1/stores/chain/a%2Fb/k", nil)

	// Nothing was stored by the refused requests.
	resEqualJSON(t, "global", s.expect(http.StatusOK, "GET", "/api/v1/stores/global", nil), `{"`+strings.Repeat("k", 500)+`":1}`)
	resEqualJSON(t, "chain", s.expect(http.StatusOK, "GET", "/api/v1/stores/chain/c1", nil), `{}`)
	resEqualStrings(t, "namespaces", resNamespaces(s), []string{"sandbox"})
}

// ---------------------------------------------------------------------------
// Templates

func TestTemplatesUploadReadList(t *testing.T) {
	s := newTestServer(t)
	v := s.expect(http.StatusOK, "GET", "/api/v1/templates", nil)
	resEqualJSON(t, "empty templates", v["templates"], `[]`)
	resEqualJSON(t, "empty items", v["items"], `[]`)
	if resNum(t, v["total"]) != 0 || v["namespace"] != "sandbox" {
		t.Fatalf("empty list answered %v", v)
	}

	// Raw body (the Go/Python SDK form, sent as application/json).
	users := `{"users":[1,2]}`
	v = s.expect(http.StatusCreated, "POST", "/api/v1/templates/users.json", users)
	if v["name"] != "users.json" || v["namespace"] != "sandbox" || resNum(t, v["size"]) != int64(len(users)) || v["success"] != true {
		t.Fatalf("upload answered %v", v)
	}
	r := s.do("GET", "/api/v1/templates/users.json", nil)
	if r.Status != http.StatusOK || string(r.Body) != users {
		t.Fatalf("GET template: %d %q", r.Status, r.Body)
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("JSON template served as %q", ct)
	}

	// A plain-text template keeps its bytes and is served as text.
	text := "Hello {{ $.req.name }}\nline 2"
	s.expect(http.StatusCreated, "POST", "/api/v1/templates/greeting.txt", text, "Content-Type", "text/plain")
	r = s.do("GET", "/api/v1/templates/greeting.txt", nil)
	if r.Status != http.StatusOK || string(r.Body) != text {
		t.Fatalf("GET text template: %d %q", r.Status, r.Body)
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Fatalf("text template served as %q", ct)
	}

	// The documented {"content": "..."} wrapper is unwrapped; an existing file answers 200.
	v = s.expect(http.StatusOK, "POST", "/api/v1/templates/users.json", map[string]any{"content": `{"v":2}`})
	if resNum(t, v["size"]) != int64(len(`{"v":2}`)) {
		t.Fatalf("overwrite answered %v", v)
	}
	r = s.do("GET", "/api/v1/templates/users.json", nil)
	if string(r.Body) != `{"v":2}` {
		t.Fatalf("wrapped upload stored %q", r.Body)
	}

	// PUT, wrapped and raw.
	s.expect(http.StatusCreated, "PUT", "/api/v1/templates/page.xml", map[string]any{"content": "<a>1</a>", "name": "page.xml"})
	r = s.do("GET", "/api/v1/templates/page.xml", nil)
	if string(r.Body) != "<a>1</a>" || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("PUT template stored %q (%s)", r.Body, r.Header.Get("Content-Type"))
	}
	s.expect(http.StatusOK, "PUT", "/api/v1/templates/page.xml", "<b/>", "Content-Type", "application/xml")
	if r = s.do("GET", "/api/v1/templates/page.xml", nil); string(r.Body) != "<b/>" {
		t.Fatalf("PUT raw stored %q", r.Body)
	}

	// JSON that only looks like the wrapper is stored as sent.
	for name, raw := range map[string]string{
		"doc.json":     `{"content":"x","extra":1}`,
		"numeric.json": `{"content":5}`,
	} {
		s.expect(http.StatusCreated, "POST", "/api/v1/templates/"+name, raw)
		if r = s.do("GET", "/api/v1/templates/"+name, nil); string(r.Body) != raw {
			t.Fatalf("%s stored %q, want %q", name, r.Body, raw)
		}
	}

	// The JSON form at /templates.
	v = s.expect(http.StatusCreated, "POST", "/api/v1/templates", map[string]any{"name": "j.json", "content": "[1]"})
	if v["name"] != "j.json" || resNum(t, v["size"]) != 3 {
		t.Fatalf("JSON-form upload answered %v", v)
	}
	if r = s.do("GET", "/api/v1/templates/j.json", nil); string(r.Body) != "[1]" {
		t.Fatalf("JSON-form upload stored %q", r.Body)
	}
	s.expect(http.StatusOK, "POST", "/api/v1/templates", map[string]any{"name": "j.json", "content": ""})
	if r = s.do("GET", "/api/v1/templates/j.json", nil); r.Status != http.StatusOK || len(r.Body) != 0 {
		t.Fatalf("empty content stored %d %q", r.Status, r.Body)
	}
	s.expectError(http.StatusUnprocessableEntity, "validation", "name", "POST", "/api/v1/templates", map[string]any{"content": "x"})
	s.expectError(http.StatusUnprocessableEntity, "validation", "content", "POST", "/api/v1/templates", map[string]any{"name": "c.json"})
	s.expectError(http.StatusBadRequest, "validation", "", "POST", "/api/v1/templates", `{"name":`)

	// Listing.
	v = s.expect(http.StatusOK, "GET", "/api/v1/templates", nil)
	wantNames := []string{"doc.json", "greeting.txt", "j.json", "numeric.json", "page.xml", "users.json"}
	resEqualStrings(t, "templates", resStrings(t, v["templates"]), wantNames)
	if resNum(t, v["total"]) != int64(len(wantNames)) {
		t.Fatalf("total = %v", v["total"])
	}
	sizes := map[string]int64{"doc.json": int64(len(`{"content":"x","extra":1}`)), "greeting.txt": int64(len(text)),
		"j.json": 0, "numeric.json": int64(len(`{"content":5}`)), "page.xml": 4, "users.json": int64(len(`{"v":2}`))}
	items := resObjects(t, v["items"])
	if len(items) != len(wantNames) {
		t.Fatalf("items = %v", v["items"])
	}
	for i, it := range items {
		if it["name"] != wantNames[i] || resNum(t, it["size"]) != sizes[wantNames[i]] || resNum(t, it["updatedAt"]) <= 0 {
			t.Fatalf("item %d = %v", i, it)
		}
	}
	v = s.expect(http.StatusOK, "GET", "/api/v1/templates?search=JSON", nil)
	resEqualStrings(t, "search", resStrings(t, v["templates"]), []string{"doc.json", "j.json", "numeric.json", "users.json"})
	v = s.expect(http.StatusOK, "GET", "/api/v1/templates?offset=1&limit=2", nil)
	resEqualStrings(t, "page", resStrings(t, v["templates"]), []string{"greeting.txt", "j.json"})
	if resNum(t, v["total"]) != 6 || resNum(t, v["offset"]) != 1 || resNum(t, v["limit"]) != 2 {
		t.Fatalf("page answered %v", v)
	}
	s.expectError(http.StatusBadRequest, "validation", "limit", "GET", "/api/v1/templates?limit=x", nil)

	// Delete.
	v = s.expect(http.StatusOK, "DELETE", "/api/v1/templates/doc.json", nil)
	if v["deleted"] != true || v["name"] != "doc.json" {
		t.Fatalf("delete answered %v", v)
	}
	s.expectError(http.StatusNotFound, "not_found", "", "GET", "/api/v1/templates/doc.json", nil)
	s.expectError(http.StatusNotFound, "not_found", "", "DELETE", "/api/v1/templates/doc.json", nil)
	s.expectError(http.StatusNotFound, "not_found", "", "GET", "/api/v1/templates/never.json", nil)
	v = s.expect(http.StatusOK, "GET", "/api/v1/templates", nil)
	if resNum(t, v["total"]) != 5 || resContains(resStrings(t, v["templates"]), "doc.json") {
		t.Fatalf("list after delete: %v", v)
	}

	// The files are where the list says.
	if b, err := os.ReadFile(filepath.Join(s.TemplateDir, "sandbox", "users.json")); err != nil || string(b) != `{"v":2}` {
		t.Fatalf("file on disk: %q %v", b, err)
	}
}

func TestTemplatesNamespaces(t *testing.T) {
	s := newTestServer(t)
	s.expect(http.StatusCreated, "POST", "/api/v1/templates/a.json", `{"ns":"sandbox"}`)
	s.expect(http.StatusCreated, "POST", "/api/v1/templates/a.json?namespace=team", `{"ns":"team"}`)
	s.expect(http.StatusCreated, "POST", "/api/v1/templates", map[string]any{"name": "b.json", "content": "{}", "namespace": "team"})
	s.expect(http.StatusCreated, "PUT", "/api/v1/templates/c.json", "{}", "X-Namespace", "hdr")

	if r := s.do("GET", "/api/v1/templates/a.json?namespace=team", nil); string(r.Body) != `{"ns":"team"}` {
		t.Fatalf("team a.json = %q", r.Body)
	}
	if r := s.do("GET", "/api/v1/templates/a.json", nil); string(r.Body) != `{"ns":"sandbox"}` {
		t.Fatalf("sandbox a.json = %q", r.Body)
	}
	v := s.expect(http.StatusOK, "GET", "/api/v1/templates?namespace=team", nil)
	resEqualStrings(t, "team templates", resStrings(t, v["templates"]), []string{"a.json", "b.json"})
	if v["namespace"] != "team" {
		t.Fatalf("namespace = %v", v["namespace"])
	}
	v = s.expect(http.StatusOK, "GET", "/api/v1/templates", nil, "X-Namespace", "hdr")
	resEqualStrings(t, "hdr templates", resStrings(t, v["templates"]), []string{"c.json"})
	v = s.expect(http.StatusOK, "GET", "/api/v1/templates", nil)
	resEqualStrings(t, "sandbox templates", resStrings(t, v["templates"]), []string{"a.json"})

	s.expectError(http.StatusNotFound, "not_found", "", "GET", "/api/v1/templates/b.json", nil)
	s.expect(http.StatusOK, "DELETE", "/api/v1/templates/a.json?namespace=team", nil)
	if r := s.do("GET", "/api/v1/templates/a.json", nil); r.Status != http.StatusOK {
		t.Fatalf("deleting team's a.json removed sandbox's: %d", r.Status)
	}
	s.expectError(http.StatusBadRequest, "validation", "namespace", "GET", "/api/v1/templates?namespace=..", nil)
	s.expectError(http.StatusBadRequest, "validation", "namespace", "POST", "/api/v1/templates/x.json?namespace=a%2F..", "{}")
	s.expectError(http.StatusBadRequest, "validation", "namespace", "POST", "/api/v1/templates", map[string]any{"name": "x.json", "content": "{}", "namespace": "../.."})
}

// resWalk lists every file and folder under root, relative to it.
func resWalk(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == root {
			return nil
		}
		rel, _ := filepath.Rel(root, p)
		if d.IsDir() {
			rel += "/"
		}
		out = append(out, filepath.ToSlash(rel))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestTemplatesPathTraversalRefused(t *testing.T) {
	s := newTestServer(t)
	// A legitimate file, so that the namespace folder exists for relative tricks.
	s.expect(http.StatusCreated, "POST", "/api/v1/templates/ok.json", `{}`)

	// Path segments as sent on the wire.
	segments := []string{
		"..",
		".",
		"..%2F..%2Fetc%2Fpasswd",
		"..%2F..%2Fescaped.json",
		"..%2F..%2F..%2Fescaped.json",
		"%2e%2e",
		"%2E%2E",
		"%2e%2e%2fescaped.json",
		"a%2Fb",
		"sub%2Fescaped.json",
		".hidden",
		"%2Ehidden",
		".tmp-ok.json",
		"a%5Cb",
		"..%5C..%5Cescaped.json",
		"a%00b",
		"x%0Ay",
		strings.Repeat("n", 201),
	}
	for _, seg := range segments {
		path := "/api/v1/templates/" + seg
		s.expectError(http.StatusBadRequest, "validation", "fileName", "POST", path, `{"pwned":true}`)
		s.expectError(http.StatusBadRequest, "validation", "fileName", "PUT", path, map[string]any{"content": "pwned"})
		s.expectError(http.StatusBadRequest, "validation", "fileName", "GET", path, nil)
		s.expectError(http.StatusBadRequest, "validation", "fileName", "DELETE", path, nil)
	}
	for _, name := range []string{"../x", "..", ".", "../../escaped.json", "a/b", "/etc/passwd", ".hidden", `a\b`, `..\..\escaped.json`, "a\x00b", ""} {
		field := "name"
		status := http.StatusBadRequest
		if name == "" {
			status = http.StatusUnprocessableEntity
		}
		s.expectError(status, "validation", field, "POST", "/api/v1/templates", map[string]any{"name": name, "content": "pwned"})
	}

	// The server's folder holds only the database and the one template;
	// nothing appeared beside the test's folder either.
	var found []string
	for _, f := range resWalk(t, s.Dir) {
		if strings.HasPrefix(f, "db.sqlite") {
			continue
		}
		found = append(found, f)
	}
	resEqualStrings(t, "files in the test folder", found, []string{"templates/", "templates/sandbox/", "templates/sandbox/ok.json"})
	siblings, err := os.ReadDir(filepath.Dir(s.Dir))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range siblings {
		if e.Name() != filepath.Base(s.Dir) {
			t.Fatalf("unexpected %q beside the test folder", e.Name())
		}
	}
	v := s.expect(http.StatusOK, "GET", "/api/v1/templates", nil)
	resEqualStrings(t, "templates", resStrings(t, v["templates"]), []string{"ok.json"})
	if r := s.do("GET", "/api/v1/templates/ok.json", nil); string(r.Body) != `{}` {
		t.Fatalf("ok.json = %q", r.Body)
	}
}

// ---------------------------------------------------------------------------
// Folders

func TestFoldersCRUD(t *testing.T) {
	s := newTestServer(t)
	v := s.expect(http.StatusOK, "GET", "/api/v1/mock-folders", nil)
	resEqualJSON(t, "empty folders", v["folders"], `[]`)
	resEqualJSON(t, "empty counts", v["mockCounts"], `{}`)

	a := s.expect(http.StatusCreated, "POST", "/api/v1/mock-folders", map[string]any{"name": " Root A "})
	aID, _ := a["id"].(string)
	if aID == "" || a["name"] != "Root A" || a["namespace"] != "sandbox" || a["parentId"] != "" || resNum(t, a["sortOrder"]) != 0 {
		t.Fatalf("create answered %v", a)
	}
	for _, k := range []string{"createdAt", "updatedAt"} {
		ts, ok := a[k].(string)
		if !ok {
			t.Fatalf("%s is not a string: %#v", k, a[k])
		}
		if _, err := time.Parse(time.RFC3339Nano, ts); err != nil {
			t.Fatalf("%s = %q is not RFC 3339: %v", k, ts, err)
		}
	}
	child := s.expect(http.StatusCreated, "POST", "/api/v1/mock-folders", map[string]any{"name": "Child", "parentId": aID, "sortOrder": 5})
	childID := child["id"].(string)
	if child["parentId"] != aID || resNum(t, child["sortOrder"]) != 5 || childID == aID {
		t.Fatalf("child answered %v", child)
	}
	fixed := s.expect(http.StatusCreated, "POST", "/api/v1/mock-folders", map[string]any{"id": "fixed-id", "name": "Fixed", "parentId": childID})
	if fixed["id"] != "fixed-id" || fixed["parentId"] != childID {
		t.Fatalf("fixed answered %v", fixed)
	}
	other := s.expect(http.StatusCreated, "POST", "/api/v1/mock-folders?namespace=other", map[string]any{"name": "Elsewhere"})
	if other["namespace"] != "other" {
		t.Fatalf("other answered %v", other)
	}
	hdr := s.expect(http.StatusCreated, "POST", "/api/v1/mock-folders", map[string]any{"name": "By header"}, "X-Namespace", "other")
	if hdr["namespace"] != "other" {
		t.Fatalf("header namespace answered %v", hdr)
	}

	// Bad input.
	s.expectError(http.StatusConflict, "conflict", "", "POST", "/api/v1/mock-folders", map[string]any{"id": "fixed-id", "name": "Again"})
	s.expectError(http.StatusUnprocessableEntity, "validation", "name", "POST", "/api/v1/mock-folders", map[string]any{"parentId": aID})
	s.expectError(http.StatusUnprocessableEntity, "validation", "name", "POST", "/api/v1/mock-folders", map[string]any{"name": "   "})
	s.expectError(http.StatusUnprocessableEntity, "validation", "name", "POST", "/api/v1/mock-folders", map[string]any{"name": strings.Repeat("n", 201)})
	s.expectError(http.StatusUnprocessableEntity, "validation", "id", "POST", "/api/v1/mock-folders", map[string]any{"id": "bad id", "name": "x"})
	s.expectError(http.StatusNotFound, "not_found", "parentId", "POST", "/api/v1/mock-folders", map[string]any{"name": "x", "parentId": "missing"})
	s.expectError(http.StatusConflict, "conflict", "", "POST", "/api/v1/mock-folders?namespace=other", map[string]any{"name": "x", "parentId": aID})
	s.expectError(http.StatusBadRequest, "validation", "sortOrder", "POST", "/api/v1/mock-folders", `{"name":"x","sortOrder":"first"}`)
	s.expectError(http.StatusBadRequest, "validation", "", "POST", "/api/v1/mock-folders", `{"name":`)
	s.expectError(http.StatusBadRequest, "validation", "namespace", "POST", "/api/v1/mock-folders", map[string]any{"name": "x", "namespace": "a/b"})

	// Listing, per namespace.
	v = s.expect(http.StatusOK, "GET", "/api/v1/mock-folders", nil)
	folders := resObjects(t, v["folders"])
	got := map[string]map[string]any{}
	for _, f := range folders {
		got[f["id"].(string)] = f
	}
	if len(folders) != 3 || got[aID] == nil || got[childID] == nil || got["fixed-id"] == nil {
		t.Fatalf("sandbox folders = %v", v["folders"])
	}
	if got[childID]["parentId"] != aID || got["fixed-id"]["parentId"] != childID {
		t.Fatalf("tree lost: %v", v["folders"])
	}
	resEqualJSON(t, "mockCounts", v["mockCounts"], `{"`+aID+`":0,"`+childID+`":0,"fixed-id":0}`)
	v = s.expect(http.StatusOK, "GET", "/api/v1/mock-folders?namespace=other", nil)
	if n := len(resObjects(t, v["folders"])); n != 2 {
		t.Fatalf("other has %d folders: %v", n, v["folders"])
	}

	// Get one.
	g := s.expect(http.StatusOK, "GET", "/api/v1/mock-folders/"+childID, nil)
	if g["name"] != "Child" || g["parentId"] != aID || g["createdAt"] != child["createdAt"] {
		t.Fatalf("get answered %v", g)
	}
	s.expectError(http.StatusNotFound, "not_found", "", "GET", "/api/v1/mock-folders/missing", nil)

	// Update.
	u := s.expect(http.StatusOK, "PUT", "/api/v1/mock-folders/"+aID, map[string]any{"name": "Renamed", "sortOrder": 3})
	if u["name"] != "Renamed" || resNum(t, u["sortOrder"]) != 3 || u["parentId"] != "" || u["id"] != aID || u["createdAt"] != a["createdAt"] {
		t.Fatalf("update answered %v", u)
	}
	// Only the given fields change.
	u = s.expect(http.StatusOK, "PUT", "/api/v1/mock-folders/"+childID, map[string]any{"sortOrder": 9})
	if u["name"] != "Child" || u["parentId"] != aID || resNum(t, u["sortOrder"]) != 9 {
		t.Fatalf("partial update answered %v", u)
	}
	g = s.expect(http.StatusOK, "GET", "/api/v1/mock-folders/"+aID, nil)
	if g["name"] != "Renamed" || resNum(t, g["sortOrder"]) != 3 {
		t.Fatalf("update not stored: %v", g)
	}
	s.expectError(http.StatusUnprocessableEntity, "validation", "name", "PUT", "/api/v1/mock-folders/"+aID, map[string]any{"name": ""})
	s.expectError(http.StatusNotFound, "not_found", "", "PUT", "/api/v1/mock-folders/missing", map[string]any{"name": "x"})
	s.expectError(http.StatusConflict, "conflict", "", "PUT", "/api/v1/mock-folders/"+aID, map[string]any{"parentId": "fixed-id"})
	s.expectError(http.StatusNotFound, "not_found", "parentId", "PUT", "/api/v1/mock-folders/"+aID, map[string]any{"parentId": "missing"})
	s.expectError(http.StatusConflict, "conflict", "", "PUT", "/api/v1/mock-folders/"+aID, map[string]any{"parentId": other["id"]})
	if g = s.expect(http.StatusOK, "GET", "/api/v1/mock-folders/"+aID, nil); g["parentId"] != "" || g["name"] != "Renamed" {
		t.Fatalf("refused updates changed the folder: %v", g)
	}
}

func TestFoldersMove(t *testing.T) {
	s := newTestServer(t)
	mk := func(name, parent string) string {
		t.Helper()
		body := map[string]any{"name": name}
		if parent != "" {
			body["parentId"] = parent
		}
		return s.expect(http.StatusCreated, "POST", "/api/v1/mock-folders", body)["id"].(string)
	}
	a := mk("A", "")
	b := mk("B", a)
	c := mk("C", b)
	x := mk("X", "")
	otherNS := s.expect(http.StatusCreated, "POST", "/api/v1/mock-folders", map[string]any{"name": "O", "namespace": "other"})["id"].(string)

	parentOf := func(id string) any {
		t.Helper()
		return s.expect(http.StatusOK, "GET", "/api/v1/mock-folders/"+id, nil)["parentId"]
	}
	move := func(id string, body any) map[string]any {
		t.Helper()
		return s.expect(http.StatusOK, "PATCH", "/api/v1/mock-folders/"+id+"/move", body)
	}

	if v := move(c, map[string]any{"parentId": x}); v["parentId"] != x || v["id"] != c || v["name"] != "C" {
		t.Fatalf("move answered %v", v)
	}
	if p := parentOf(c); p != x {
		t.Fatalf("C parent = %v, want X", p)
	}
	for _, root := range []string{`{"parentId":null}`, `{"parentId":""}`, `{"parentId":"root"}`} {
		move(c, map[string]any{"parentId": b})
		if p := parentOf(c); p != b {
			t.Fatalf("C parent = %v, want B", p)
		}
		if v := move(c, root); v["parentId"] != "" {
			t.Fatalf("move %s answered %v", root, v)
		}
		if p := parentOf(c); p != "" {
			t.Fatalf("after %s C parent = %v, want root", root, p)
		}
	}
	v := move(c, map[string]any{"parentId": a, "sortOrder": 7})
	if v["parentId"] != a || resNum(t, v["sortOrder"]) != 7 {
		t.Fatalf("move with sortOrder answered %v", v)
	}

	// Cycles.
	move(c, map[string]any{"parentId": b})
	s.expectError(http.StatusConflict, "conflict", "", "PATCH", "/api/v1/mock-folders/"+a+"/move", map[string]any{"parentId": a})
	s.expectError(http.StatusConflict, "conflict", "", "PATCH", "/api/v1/mock-folders/"+a+"/move", map[string]any{"parentId": b})
	s.expectError(http.StatusConflict, "conflict", "", "PATCH", "/api/v1/mock-folders/"+a+"/move", map[string]any{"parentId": c})
	s.expectError(http.StatusConflict, "conflict", "", "PATCH", "/api/v1/mock-folders/"+a+"/move", map[string]any{"parentId": otherNS})
	s.expectError(http.StatusNotFound, "not_found", "parentId", "PATCH", "/api/v1/mock-folders/"+a+"/move", map[string]any{"parentId": "missing"})
	s.expectError(http.StatusNotFound, "not_found", "", "PATCH", "/api/v1/mock-folders/missing/move", map[string]any{"parentId": a})
	s.expectError(http.StatusBadRequest, "validation", "", "PATCH", "/api/v1/mock-folders/"+a+"/move", `{"parentId":`)
	s.expectError(http.StatusBadRequest, "validation", "parentId", "PATCH", "/api/v1/mock-folders/"+a+"/move", `{"parentId":5}`)
	if p := parentOf(a); p != "" {
		t.Fatalf("refused moves changed A: parent %v", p)
	}
	if p := parentOf(c); p != b {
		t.Fatalf("C parent = %v, want B", p)
	}
}

func TestFoldersDeleteMovesChildrenAndMocks(t *testing.T) {
	s := newTestServer(t)
	a := s.expect(http.StatusCreated, "POST", "/api/v1/mock-folders", map[string]any{"name": "A"})["id"].(string)
	b := s.expect(http.StatusCreated, "POST", "/api/v1/mock-folders", map[string]any{"name": "B", "parentId": a})["id"].(string)
	c := s.expect(http.StatusCreated, "POST", "/api/v1/mock-folders", map[string]any{"name": "C", "parentId": b})["id"].(string)

	resMock(s, "in-a", "/a", map[string]any{"folderId": a})
	resMock(s, "in-b", "/b", map[string]any{"folderId": b})
	resMock(s, "in-b2", "/b2", map[string]any{"folderId": b})
	resMock(s, "in-c", "/c", map[string]any{"folderId": c})

	v := s.expect(http.StatusOK, "GET", "/api/v1/mock-folders", nil)
	resEqualJSON(t, "mockCounts", v["mockCounts"], `{"`+a+`":1,"`+b+`":2,"`+c+`":1}`)

	folderOf := func(id string) string {
		t.Helper()
		m := s.expect(http.StatusOK, "GET", "/api/v1/mocks/"+id, nil)
		f, _ := m["folderId"].(string)
		return f
	}

	v = s.expect(http.StatusOK, "DELETE", "/api/v1/mock-folders/"+b, nil)
	if v["id"] != b || v["deleted"] != true {
		t.Fatalf("delete answered %v", v)
	}
	s.expectError(http.StatusNotFound, "not_found", "", "GET", "/api/v1/mock-folders/"+b, nil)
	s.expectError(http.StatusNotFound, "not_found", "", "DELETE", "/api/v1/mock-folders/"+b, nil)
	if p := s.expect(http.StatusOK, "GET", "/api/v1/mock-folders/"+c, nil)["parentId"]; p != a {
		t.Fatalf("C parent after deleting B = %v, want A", p)
	}
	for id, want := range map[string]string{"in-a": a, "in-b": a, "in-b2": a, "in-c": c} {
		if got := folderOf(id); got != want {
			t.Fatalf("%s folder = %q, want %q", id, got, want)
		}
	}
	v = s.expect(http.StatusOK, "GET", "/api/v1/mock-folders", nil)
	resEqualJSON(t, "mockCounts after delete", v["mockCounts"], `{"`+a+`":3,"`+c+`":1}`)
	v = s.expect(http.StatusOK, "GET", "/api/v1/mocks?folderId="+a, nil)
	resEqualStrings(t, "mocks in A", resSorted(ids(v["mocks"].([]any))), []string{"in-a", "in-b", "in-b2"})

	// Deleting a top folder moves everything to the root.
	s.expect(http.StatusOK, "DELETE", "/api/v1/mock-folders/"+a, nil)
	if p := s.expect(http.StatusOK, "GET", "/api/v1/mock-folders/"+c, nil)["parentId"]; p != "" {
		t.Fatalf("C parent after deleting A = %v, want root", p)
	}
	for id, want := range map[string]string{"in-a": "", "in-b": "", "in-b2": "", "in-c": c} {
		if got := folderOf(id); got != want {
			t.Fatalf("%s folder = %q, want %q", id, got, want)
		}
	}
	v = s.expect(http.StatusOK, "GET", "/api/v1/mocks?folderId=root", nil)
	resEqualStrings(t, "mocks at the root", resSorted(ids(v["mocks"].([]any))), []string{"in-a", "in-b", "in-b2"})
}

func TestMocksBatchMoveToFolder(t *testing.T) {
	s := newTestServer(t)
	f := s.expect(http.StatusCreated, "POST", "/api/v1/mock-folders", map[string]any{"name": "F"})["id"].(string)
	g := s.expect(http.StatusCreated, "POST", "/api/v1/mock-folders", map[string]any{"name": "G"})["id"].(string)
	o := s.expect(http.StatusCreated, "POST", "/api/v1/mock-folders", map[string]any{"name": "O", "namespace": "other"})["id"].(string)
	for _, id := range []string{"b1", "b2", "b3"} {
		resMock(s, id, "/"+id, nil)
	}
	inFolder := func(q string) []string {
		t.Helper()
		v := s.expect(http.StatusOK, "GET", "/api/v1/mocks?folderId="+q, nil)
		return resSorted(ids(v["mocks"].([]any)))
	}

	v := s.expect(http.StatusOK, "PATCH", "/api/v1/mocks/batch/move", map[string]any{"mockIds": []string{"b1", "b2"}, "folderId": f})
	if resNum(t, v["moved"]) != 2 || v["folderId"] != f {
		t.Fatalf("move answered %v", v)
	}
	resEqualStrings(t, "in F", inFolder(f), []string{"b1", "b2"})
	resEqualStrings(t, "at root", inFolder("root"), []string{"b3"})
	resEqualStrings(t, "in G", inFolder(g), nil)
	if m := s.expect(http.StatusOK, "GET", "/api/v1/mocks/b1", nil); m["folderId"] != f {
		t.Fatalf("b1 folderId = %v", m["folderId"])
	}
	fl := s.expect(http.StatusOK, "GET", "/api/v1/mock-folders", nil)
	resEqualJSON(t, "mockCounts", fl["mockCounts"], `{"`+f+`":2,"`+g+`":0}`)
	for _, folder := range resObjects(t, fl["folders"]) {
		want := map[string]int64{f: 2, g: 0}[folder["id"].(string)]
		if resNum(t, folder["mockCount"]) != want {
			t.Fatalf("folder %v mockCount = %v, want %d", folder["id"], folder["mockCount"], want)
		}
	}

	// The "ids" spelling works too.
	s.expect(http.StatusOK, "PATCH", "/api/v1/mocks/batch/move", map[string]any{"ids": []string{"b2"}, "folderId": g})
	resEqualStrings(t, "in F", inFolder(f), []string{"b1"})
	resEqualStrings(t, "in G", inFolder(g), []string{"b2"})

	// A folder of another namespace, or none at all, is refused and nothing moves.
	s.expectError(http.StatusUnprocessableEntity, "validation", "folderId", "PATCH", "/api/v1/mocks/batch/move", map[string]any{"mockIds": []string{"b1", "b3"}, "folderId": o})
	s.expectError(http.StatusUnprocessableEntity, "validation", "folderId", "PATCH", "/api/v1/mocks/batch/move", map[string]any{"mockIds": []string{"b1"}, "folderId": "missing"})
	s.expectError(http.StatusUnprocessableEntity, "validation", "folderId", "POST", "/api/v1/mocks", func() map[string]any {
		m := httpMock("b4", "/b4")
		m["folderId"] = o
		return m
	}())
	s.expectError(http.StatusBadRequest, "validation", "mockIds", "PATCH", "/api/v1/mocks/batch/move", map[string]any{"folderId": f})
	resEqualStrings(t, "in F after refusals", inFolder(f), []string{"b1"})
	resEqualStrings(t, "at root after refusals", inFolder("root"), []string{"b3"})
	resEqualStrings(t, "in O", inFolder(o), nil)
	s.expectError(http.StatusNotFound, "not_found", "", "GET", "/api/v1/mocks/b4", nil)

	// Back to the root with null, "" and "root".
	s.expect(http.StatusOK, "PATCH", "/api/v1/mocks/batch/move", `{"mockIds":["b1"],"folderId":null}`)
	s.expect(http.StatusOK, "PATCH", "/api/v1/mocks/batch/move", map[string]any{"mockIds": []string{"b2"}, "folderId": ""})
	resEqualStrings(t, "at root", inFolder("root"), []string{"b1", "b2", "b3"})
	s.expect(http.StatusOK, "PATCH", "/api/v1/mocks/batch/move", map[string]any{"mockIds": []string{"b3"}, "folderId": f})
	s.expect(http.StatusOK, "PATCH", "/api/v1/mocks/batch/move", map[string]any{"mockIds": []string{"b3"}, "folderId": "root"})
	resEqualStrings(t, "in F at the end", inFolder(f), nil)
	if m := s.expect(http.StatusOK, "GET", "/api/v1/mocks/b3", nil); m["folderId"] != nil {
		t.Fatalf("b3 folderId = %v, want none", m["folderId"])
	}
}

// ---------------------------------------------------------------------------
// Tags

func TestTags(t *testing.T) {
	s := newTestServer(t)
	v := s.expect(http.StatusOK, "GET", "/api/v1/tags?namespace=sandbox", nil)
	resEqualJSON(t, "empty tags", v["tags"], `[]`)
	resEqualJSON(t, "empty items", v["items"], `[]`)

	v = s.expect(http.StatusCreated, "POST", "/api/v1/tags", map[string]any{"tag": "alpha"})
	if v["tag"] != "alpha" || v["name"] != "alpha" || v["namespace"] != "sandbox" || resNum(t, v["count"]) != 0 {
		t.Fatalf("create answered %v", v)
	}
	v = s.expect(http.StatusCreated, "POST", "/api/v1/tags", map[string]any{"name": "beta"})
	if v["tag"] != "beta" || v["name"] != "beta" {
		t.Fatalf("create by name answered %v", v)
	}
	s.expect(http.StatusCreated, "POST", "/api/v1/tags", map[string]any{"tag": "alpha", "namespace": "other"})
	s.expect(http.StatusCreated, "POST", "/api/v1/tags?namespace=third", map[string]any{"tag": "q"})

	s.expectError(http.StatusConflict, "conflict", "", "POST", "/api/v1/tags", map[string]any{"tag": "alpha"})
	s.expectError(http.StatusConflict, "conflict", "", "POST", "/api/v1/tags", map[string]any{"name": "alpha"})
	s.expectError(http.StatusConflict, "conflict", "", "POST", "/api/v1/tags", map[string]any{"tag": " beta "})
	s.expectError(http.StatusConflict, "conflict", "", "POST", "/api/v1/tags", map[string]any{"tag": "alpha"}, "X-Namespace", "other")
	s.expectError(http.StatusUnprocessableEntity, "validation", "tag", "POST", "/api/v1/tags", map[string]any{"tag": ""})
	s.expectError(http.StatusUnprocessableEntity, "validation", "tag", "POST", "/api/v1/tags", map[string]any{"tag": "   ", "name": ""})
	s.expectError(http.StatusUnprocessableEntity, "validation", "tag", "POST", "/api/v1/tags", map[string]any{})
	s.expectError(http.StatusUnprocessableEntity, "validation", "tag", "POST", "/api/v1/tags", map[string]any{"tag": strings.Repeat("t", 101)})
	s.expectError(http.StatusBadRequest, "validation", "tag", "POST", "/api/v1/tags", `{"tag":1}`)
	s.expectError(http.StatusBadRequest, "validation", "namespace", "POST", "/api/v1/tags", map[string]any{"tag": "z", "namespace": "a b"})

	resMock(s, "t1", "/t1", map[string]any{"tags": []string{"alpha", "gamma"}})
	resMock(s, "t2", "/t2", map[string]any{"tags": []string{"alpha"}})
	resMock(s, "t3", "/t3", map[string]any{"tags": []string{"alpha", "delta"}, "namespace": "other"})
	resMock(s, "t4", "/t4", map[string]any{"tags": []string{"alpha", "gone"}})
	s.expect(http.StatusOK, "DELETE", "/api/v1/mocks/t4", nil)

	v = s.expect(http.StatusOK, "GET", "/api/v1/tags?namespace=sandbox", nil)
	resEqualStrings(t, "sandbox tags", resStrings(t, v["tags"]), []string{"alpha", "beta", "gamma"})
	resEqualJSON(t, "sandbox items", v["items"], `[{"name":"alpha","count":2},{"name":"beta","count":0},{"name":"gamma","count":1}]`)
	v = s.expect(http.StatusOK, "GET", "/api/v1/tags", nil, "X-Namespace", "other")
	resEqualJSON(t, "other items", v["items"], `[{"name":"alpha","count":1},{"name":"delta","count":1}]`)
	v = s.expect(http.StatusOK, "GET", "/api/v1/tags", nil)
	resEqualStrings(t, "all tags", resStrings(t, v["tags"]), []string{"alpha", "beta", "delta", "gamma", "q"})
	resEqualJSON(t, "all items", v["items"], `[{"name":"alpha","count":3},{"name":"beta","count":0},{"name":"delta","count":1},{"name":"gamma","count":1},{"name":"q","count":0}]`)
	s.expectError(http.StatusBadRequest, "validation", "namespace", "GET", "/api/v1/tags?namespace=..", nil)

	// Delete.
	v = s.expect(http.StatusOK, "DELETE", "/api/v1/tags/beta", nil)
	if v["tag"] != "beta" || v["deleted"] != true {
		t.Fatalf("delete answered %v", v)
	}
	s.expectError(http.StatusNotFound, "not_found", "", "DELETE", "/api/v1/tags/beta", nil)
	s.expectError(http.StatusNotFound, "not_found", "", "DELETE", "/api/v1/tags/q", nil) // q lives in "third"
	s.expect(http.StatusOK, "DELETE", "/api/v1/tags/q?namespace=third", nil)
	s.expect(http.StatusOK, "DELETE", "/api/v1/tags/alpha?namespace=other", nil)
	v = s.expect(http.StatusOK, "GET", "/api/v1/tags?namespace=sandbox", nil)
	resEqualJSON(t, "sandbox after delete", v["items"], `[{"name":"alpha","count":2},{"name":"gamma","count":1}]`)
	// The recorded tag is gone from "other", the one in use on t3 stays listed.
	v = s.expect(http.StatusOK, "GET", "/api/v1/tags?namespace=other", nil)
	resEqualJSON(t, "other after delete", v["items"], `[{"name":"alpha","count":1},{"name":"delta","count":1}]`)
	v = s.expect(http.StatusOK, "GET", "/api/v1/tags?namespace=third", nil)
	resEqualJSON(t, "third after delete", v["tags"], `[]`)
	// The tag can be recorded again.
	s.expect(http.StatusCreated, "POST", "/api/v1/tags", map[string]any{"tag": "beta"})
}

// ---------------------------------------------------------------------------
// Undefined requests

func resRecord(t *testing.T, s *testServer, u store.UndefinedRequest) string {
	t.Helper()
	r, err := s.Store.RecordUndefined(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	return r.ID
}

func resUndefinedByID(t *testing.T, v map[string]any) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	for _, r := range resObjects(t, v["requests"]) {
		out[r["id"].(string)] = r
	}
	return out
}

func TestUndefinedListIgnoreDelete(t *testing.T) {
	s := newTestServer(t)
	v := s.expect(http.StatusOK, "GET", "/api/v1/undefined-requests", nil)
	resEqualJSON(t, "empty list", v["requests"], `[]`)
	if resNum(t, v["total"]) != 0 {
		t.Fatalf("total = %v", v["total"])
	}

	r1 := resRecord(t, s, store.UndefinedRequest{Namespace: "sandbox", Protocol: "http", Method: "GET", Path: "/users/1", Headers: `{"Accept":"text/plain"}`, LastSeen: 1000})
	if again := resRecord(t, s, store.UndefinedRequest{Namespace: "sandbox", Protocol: "http", Method: "GET", Path: "/users/1", Headers: `{"Accept":"application/json"}`, LastSeen: 2000}); again != r1 {
		t.Fatalf("the same request got a second row: %s vs %s", again, r1)
	}
	resRecord(t, s, store.UndefinedRequest{Namespace: "sandbox", Protocol: "http", Method: "GET", Path: "/users/1", LastSeen: 3000, Headers: `{"Accept":"application/json"}`})
	r2 := resRecord(t, s, store.UndefinedRequest{Namespace: "sandbox", Protocol: "http", Method: "POST", Path: "/orders", Body: `{"a":1}`, LastSeen: 2500})
	r3 := resRecord(t, s, store.UndefinedRequest{Namespace: "other", Protocol: "grpc", Method: "unary", Path: "/pkg.Svc/Get", Body: "raw text", LastSeen: 1500})

	v = s.expect(http.StatusOK, "GET", "/api/v1/undefined-requests", nil)
	if resNum(t, v["total"]) != 3 {
		t.Fatalf("total = %v, want 3 (deduplicated)", v["total"])
	}
	list := resObjects(t, v["requests"])
	resEqualStrings(t, "order (last seen first)", []string{list[0]["id"].(string), list[1]["id"].(string), list[2]["id"].(string)}, []string{r1, r2, r3})
	byID := resUndefinedByID(t, v)
	u1 := byID[r1]
	if u1["method"] != "GET" || u1["path"] != "/users/1" || u1["namespace"] != "sandbox" || u1["protocol"] != "http" ||
		resNum(t, u1["count"]) != 3 || resNum(t, u1["hitCount"]) != 3 || u1["ignored"] != false ||
		resNum(t, u1["firstSeen"]) != 1000 || resNum(t, u1["lastSeen"]) != 3000 || resNum(t, u1["timestamp"]) != 3000 {
		t.Fatalf("r1 = %v", u1)
	}
	resEqualJSON(t, "r1 headers", u1["headers"], `{"Accept":"application/json"}`)
	resEqualJSON(t, "r2 body", byID[r2]["body"], `{"a":1}`)
	if byID[r3]["rawBody"] != "raw text" || byID[r3]["protocol"] != "grpc" {
		t.Fatalf("r3 = %v", byID[r3])
	}

	// Filters.
	v = s.expect(http.StatusOK, "GET", "/api/v1/undefined-requests?namespace=sandbox", nil)
	if resNum(t, v["total"]) != 2 || len(resUndefinedByID(t, v)) != 2 {
		t.Fatalf("sandbox list = %v", v)
	}
	v = s.expect(http.StatusOK, "GET", "/api/v1/undefined-requests", nil, "X-Namespace", "other")
	if resNum(t, v["total"]) != 1 || resUndefinedByID(t, v)[r3] == nil {
		t.Fatalf("other list = %v", v)
	}
	v = s.expect(http.StatusOK, "GET", "/api/v1/undefined-requests?protocol=GRPC", nil)
	if resNum(t, v["total"]) != 1 || resUndefinedByID(t, v)[r3] == nil {
		t.Fatalf("grpc list = %v", v)
	}
	v = s.expect(http.StatusOK, "GET", "/api/v1/undefined-requests?limit=1&offset=1", nil)
	if resNum(t, v["total"]) != 3 || len(resObjects(t, v["requests"])) != 1 || resObjects(t, v["requests"])[0]["id"] != r2 {
		t.Fatalf("page = %v", v)
	}
	s.expectError(http.StatusBadRequest, "validation", "includeIgnored", "GET", "/api/v1/undefined-requests?includeIgnored=maybe", nil)
	s.expectError(http.StatusBadRequest, "validation", "offset", "GET", "/api/v1/undefined-requests?offset=x", nil)
	s.expectError(http.StatusBadRequest, "validation", "namespace", "GET", "/api/v1/undefined-requests?namespace=a%2Fb", nil)

	// Ignore.
	v = s.expect(http.StatusOK, "PATCH", "/api/v1/undefined-requests/"+r2+"/ignore", nil)
	if v["id"] != r2 || v["ignored"] != true {
		t.Fatalf("ignore answered %v", v)
	}
	v = s.expect(http.StatusOK, "GET", "/api/v1/undefined-requests?namespace=sandbox", nil)
	if resNum(t, v["total"]) != 1 || resUndefinedByID(t, v)[r2] != nil {
		t.Fatalf("ignored request still listed: %v", v)
	}
	v = s.expect(http.StatusOK, "GET", "/api/v1/undefined-requests?namespace=sandbox&includeIgnored=true", nil)
	if resNum(t, v["total"]) != 2 || resUndefinedByID(t, v)[r2]["ignored"] != true || resUndefinedByID(t, v)[r1]["ignored"] != false {
		t.Fatalf("includeIgnored list = %v", v)
	}
	// Seeing it again keeps it ignored.
	resRecord(t, s, store.UndefinedRequest{Namespace: "sandbox", Protocol: "http", Method: "POST", Path: "/orders", LastSeen: 4000})
	v = s.expect(http.StatusOK, "GET", "/api/v1/undefined-requests?namespace=sandbox", nil)
	if resNum(t, v["total"]) != 1 {
		t.Fatalf("a repeat un-ignored the request: %v", v)
	}
	s.expectError(http.StatusNotFound, "not_found", "", "PATCH", "/api/v1/undefined-requests/missing/ignore", nil)

	// Delete selected.
	r4 := resRecord(t, s, store.UndefinedRequest{Namespace: "sandbox", Protocol: "http", Method: "GET", Path: "/four"})
	r5 := resRecord(t, s, store.UndefinedRequest{Namespace: "sandbox", Protocol: "http", Method: "GET", Path: "/five"})
	v = s.expect(http.StatusOK, "DELETE", "/api/v1/undefined-requests", map[string]any{"ids": []string{r4, "missing"}})
	if resNum(t, v["deleted"]) != 1 {
		t.Fatalf("delete answered %v", v)
	}
	v = s.expect(http.StatusOK, "GET", "/api/v1/undefined-requests?includeIgnored=true", nil)
	byID = resUndefinedByID(t, v)
	if byID[r4] != nil || byID[r5] == nil || resNum(t, v["total"]) != 4 {
		t.Fatalf("after delete: %v", v)
	}
	s.expectError(http.StatusBadRequest, "validation", "ids", "DELETE", "/api/v1/undefined-requests", map[string]any{"ids": []string{}})
	s.expectError(http.StatusBadRequest, "validation", "ids", "DELETE", "/api/v1/undefined-requests", map[string]any{})
	s.expectError(http.StatusBadRequest, "validation", "ids", "DELETE", "/api/v1/undefined-requests", map[string]any{"ids": []string{" "}})
	s.expectError(http.StatusBadRequest, "validation", "", "DELETE", "/api/v1/undefined-requests", nil)
	s.expectError(http.StatusBadRequest, "validation", "", "DELETE", "/api/v1/undefined-requests", `{"ids":`)

	// Delete all of one namespace, then everything (ignored ones included).
	v = s.expect(http.StatusOK, "DELETE", "/api/v1/undefined-requests/all?namespace=other", nil)
	if resNum(t, v["deleted"]) != 1 {
		t.Fatalf("delete all of other answered %v", v)
	}
	v = s.expect(http.StatusOK, "GET", "/api/v1/undefined-requests?includeIgnored=true", nil)
	if resNum(t, v["total"]) != 3 || resUndefinedByID(t, v)[r3] != nil {
		t.Fatalf("after delete all of other: %v", v)
	}
	s.expectError(http.StatusBadRequest, "validation", "namespace", "DELETE", "/api/v1/undefined-requests/all?namespace=..", nil)
	v = s.expect(http.StatusOK, "DELETE", "/api/v1/undefined-requests/all", nil)
	if resNum(t, v["deleted"]) != 3 {
		t.Fatalf("delete all answered %v", v)
	}
	v = s.expect(http.StatusOK, "GET", "/api/v1/undefined-requests?includeIgnored=true", nil)
	if resNum(t, v["total"]) != 0 {
		t.Fatalf("after delete all: %v", v)
	}
}

func TestUndefinedToMock(t *testing.T) {
	s := newTestServer(t)
	r1 := resRecord(t, s, store.UndefinedRequest{Namespace: "team", Protocol: "http", Method: "get", Path: "/users/1"})
	r2 := resRecord(t, s, store.UndefinedRequest{Namespace: "sandbox", Protocol: "http", Method: "POST", Path: "/orders", Body: `{"a":1}`})
	r3 := resRecord(t, s, store.UndefinedRequest{Namespace: "sandbox", Protocol: "http", Method: "DELETE", Path: "/keep"})

	// No body: the generated mock answers the request.
	v := s.expect(http.StatusCreated, "POST", "/api/v1/undefined-requests/"+r1+"/create-mock", nil)
	id, _ := v["id"].(string)
	if id == "" || v["mockId"] != id || v["namespace"] != "team" || v["protocol"] != "http" {
		t.Fatalf("create-mock answered %v", v)
	}
	httpCtx := resObj(t, v["http"])
	if httpCtx["route"] != "/users/1" || httpCtx["httpMethod"] != "GET" {
		t.Fatalf("generated http context = %v", httpCtx)
	}
	inner := resObj(t, v["mock"])
	if inner["id"] != id || resObj(t, inner["http"])["route"] != "/users/1" || inner["namespace"] != "team" {
		t.Fatalf("mock wrapper = %v", inner)
	}
	if resNum(t, resObj(t, v["response"])["statusCode"]) != 200 {
		t.Fatalf("generated response = %v", v["response"])
	}
	m := s.expect(http.StatusOK, "GET", "/api/v1/mocks/"+id, nil)
	if m["namespace"] != "team" || resObj(t, m["http"])["route"] != "/users/1" || resObj(t, m["http"])["httpMethod"] != "GET" {
		t.Fatalf("stored mock = %v", m)
	}
	lv := s.expect(http.StatusOK, "GET", "/api/v1/mocks?namespace=team", nil)
	resEqualStrings(t, "team mocks", ids(lv["mocks"].([]any)), []string{id})
	s.expectError(http.StatusNotFound, "not_found", "", "POST", "/api/v1/undefined-requests/"+r1+"/create-mock", nil)
	s.expectError(http.StatusNotFound, "not_found", "", "POST", "/api/v1/undefined-requests/"+r1+"/convert", nil)

	// With mockData overrides, through /convert.
	v = s.expect(http.StatusCreated, "POST", "/api/v1/undefined-requests/"+r2+"/convert", map[string]any{"mockData": map[string]any{
		"id":       "orders-mock",
		"tags":     []string{"from-undefined"},
		"response": map[string]any{"statusCode": 201, "payload": map[string]any{"created": true}},
	}})
	if v["id"] != "orders-mock" || v["mockId"] != "orders-mock" || resObj(t, v["mock"])["id"] != "orders-mock" {
		t.Fatalf("convert answered %v", v)
	}
	m = s.expect(http.StatusOK, "GET", "/api/v1/mocks/orders-mock", nil)
	resEqualJSON(t, "converted response", m["response"].(map[string]any)["payload"], `{"created":true}`)
	if resNum(t, resObj(t, m["response"])["statusCode"]) != 201 || resObj(t, m["http"])["route"] != "/orders" ||
		resObj(t, m["http"])["httpMethod"] != "POST" || m["namespace"] != "sandbox" {
		t.Fatalf("converted mock = %v", m)
	}
	resEqualStrings(t, "converted tags", resStrings(t, m["tags"]), []string{"from-undefined"})

	// Only the converted requests are gone.
	lv = s.expect(http.StatusOK, "GET", "/api/v1/undefined-requests?includeIgnored=true", nil)
	byID := resUndefinedByID(t, lv)
	if resNum(t, lv["total"]) != 1 || byID[r3] == nil {
		t.Fatalf("undefined after conversions: %v", lv)
	}

	// Bad input leaves the request in place.
	s.expectError(http.StatusNotFound, "not_found", "", "POST", "/api/v1/undefined-requests/missing/convert", nil)
	s.expectError(http.StatusNotFound, "not_found", "", "POST", "/api/v1/undefined-requests/missing/create-mock", map[string]any{"mockData": map[string]any{}})
	s.expectError(http.StatusBadRequest, "validation", "", "POST", "/api/v1/undefined-requests/"+r3+"/convert", `{"mockData":`)
	s.expectError(http.StatusUnsupportedMediaType, "unsupported_media_type", "", "POST", "/api/v1/undefined-requests/"+r3+"/convert", `{"mockData":{"id":"x"}}`, "Content-Type", "application/xml")
	s.expectError(http.StatusUnprocessableEntity, "validation", "", "POST", "/api/v1/undefined-requests/"+r3+"/convert", map[string]any{"mockData": map[string]any{"id": "bad id with spaces"}})
	lv = s.expect(http.StatusOK, "GET", "/api/v1/undefined-requests", nil)
	if resNum(t, lv["total"]) != 1 {
		t.Fatalf("refused conversions removed the request: %v", lv)
	}
	// mockData: null is the same as no body.
	v = s.expect(http.StatusCreated, "POST", "/api/v1/undefined-requests/"+r3+"/create-mock", `{"mockData":null}`)
	if resObj(t, v["http"])["httpMethod"] != "DELETE" {
		t.Fatalf("create-mock with null mockData answered %v", v)
	}
	s.expect(http.StatusOK, "GET", "/api/v1/mocks/"+v["id"].(string), nil)
}

// ---------------------------------------------------------------------------
// Health, status, counts, stats

func TestHealthEndpoints(t *testing.T) {
	s := newTestServer(t)
	v := s.expect(http.StatusOK, "GET", "/health", nil)
	if v["status"] != "up" || v["releaseId"] != "test" {
		t.Fatalf("/health = %v", v)
	}
	checks := resObj(t, v["checks"])
	if resObj(t, checks["database"])["status"] != "up" {
		t.Fatalf("/health checks = %v", checks)
	}
	if v := s.expect(http.StatusOK, "GET", "/health/live", nil); v["status"] != "up" {
		t.Fatalf("/health/live = %v", v)
	}
	if v := s.expect(http.StatusOK, "GET", "/health/ready", nil); v["status"] != "up" {
		t.Fatalf("/health/ready = %v", v)
	}
	v = s.expect(http.StatusOK, "GET", "/api/v1/status", nil)
	db := resObj(t, v["database"])
	if v["status"] != "up" || v["releaseId"] != "test" || db["status"] != "up" || db["driver"] != "sqlite" || resNum(t, db["schemaVersion"]) < 1 || v["versioning"] != false {
		t.Fatalf("/api/v1/status = %v", v)
	}
	if v["runtime"] == nil {
		t.Fatalf("/api/v1/status has no runtime: %v", v)
	}
}

func TestCountsAndStatsFollowChanges(t *testing.T) {
	s := newTestServer(t)
	resEqualJSON(t, "fresh counts", s.expect(http.StatusOK, "GET", "/api/v1/counts", nil),
		`{"mocks":0,"activeMocks":0,"deletedMocks":0,"expiredMocks":0,"namespaces":1,"folders":0,"tags":0,"templates":0,"undefinedRequests":0,"globalStoreKeys":0,"chainStoreKeys":0}`)

	resMock(s, "c1", "/c1", map[string]any{"tags": []string{"x"}})
	resMock(s, "c2", "/c2", nil)
	resMock(s, "c3", "/c3", map[string]any{"namespace": "team"})
	s.expect(http.StatusCreated, "POST", "/api/v1/mocks", map[string]any{
		"id": "g1", "grpc": map[string]any{"service": "pkg.Svc", "method": "Get"}, "response": map[string]any{"payload": map[string]any{}},
	})
	s.expect(http.StatusOK, "DELETE", "/api/v1/mocks/c2", nil)
	s.expect(http.StatusOK, "POST", "/api/v1/stores/global", map[string]any{"key": "a", "value": 1})
	s.expect(http.StatusOK, "POST", "/api/v1/stores/global", map[string]any{"key": "b", "value": 2, "namespace": "team"})
	s.expect(http.StatusOK, "POST", "/api/v1/stores/global", map[string]any{"key": "a", "value": 3}) // overwrite, not a new key
	s.expect(http.StatusOK, "POST", "/api/v1/stores/chain/ch", map[string]any{"key": "k", "value": true})
	s.expect(http.StatusCreated, "POST", "/api/v1/templates/t.json", `{}`)
	s.expect(http.StatusCreated, "POST", "/api/v1/templates/t.json?namespace=team", `{}`)
	s.expect(http.StatusCreated, "POST", "/api/v1/mock-folders", map[string]any{"name": "F"})
	s.expect(http.StatusCreated, "POST", "/api/v1/tags", map[string]any{"tag": "recorded"})
	resRecord(t, s, store.UndefinedRequest{Namespace: "sandbox", Protocol: "http", Method: "GET", Path: "/u1"})
	resRecord(t, s, store.UndefinedRequest{Namespace: "sandbox", Protocol: "http", Method: "GET", Path: "/u1"})
	ignored := resRecord(t, s, store.UndefinedRequest{Namespace: "sandbox", Protocol: "http", Method: "GET", Path: "/u2"})
	s.expect(http.StatusOK, "PATCH", "/api/v1/undefined-requests/"+ignored+"/ignore", nil)

	resEqualJSON(t, "counts", s.expect(http.StatusOK, "GET", "/api/v1/counts", nil),
		`{"mocks":3,"activeMocks":3,"deletedMocks":1,"expiredMocks":0,"namespaces":2,"folders":1,"tags":2,"templates":2,"undefinedRequests":1,"globalStoreKeys":2,"chainStoreKeys":1}`)

	st := s.expect(http.StatusOK, "GET", "/api/v1/stats", nil)
	resEqualJSON(t, "stats.mocks", st["mocks"],
		`{"total":3,"active":3,"deleted":1,"expired":0,"used":0,"unused":3,"byProtocol":{"http":2,"grpc":1},"byNamespace":{"sandbox":2,"team":1}}`)
	resEqualJSON(t, "stats.requests", st["requests"], `{"matched":0,"undefined":1}`)
	resEqualJSON(t, "stats.stores", st["stores"], `{"globalKeys":2,"chainKeys":1}`)
	for k, want := range map[string]int64{"namespaces": 2, "folders": 1, "tags": 2, "templates": 2} {
		if resNum(t, st[k]) != want {
			t.Fatalf("stats.%s = %v, want %d", k, st[k], want)
		}
	}
	if resNum(t, st["generatedAt"]) <= 0 {
		t.Fatalf("stats.generatedAt = %v", st["generatedAt"])
	}

	// Undo some of it and the figures follow.
	s.expect(http.StatusOK, "DELETE", "/api/v1/mocks/c1/purge", nil)
	s.expect(http.StatusOK, "DELETE", "/api/v1/templates/t.json", nil)
	s.expect(http.StatusOK, "DELETE", "/api/v1/stores/chain/ch/k", nil)
	s.expect(http.StatusOK, "DELETE", "/api/v1/undefined-requests/all", nil)
	resEqualJSON(t, "counts after undo", s.expect(http.StatusOK, "GET", "/api/v1/counts", nil),
		`{"mocks":2,"activeMocks":2,"deletedMocks":1,"expiredMocks":0,"namespaces":2,"folders":1,"tags":1,"templates":1,"undefinedRequests":0,"globalStoreKeys":2,"chainStoreKeys":0}`)
}

// ---------------------------------------------------------------------------
// General behaviour of the API

func TestUnknownRouteEnvelope(t *testing.T) {
	s := newTestServer(t)
	for _, p := range []string{"/nope", "/api/v1/nope", "/api/v1/stores", "/api/v2/mocks"} {
		e := s.expectError(http.StatusNotFound, "not_found", "", "GET", p, nil)
		if !strings.Contains(e["error"].(string), p) {
			t.Fatalf("404 message %q does not name the path %s", e["error"], p)
		}
	}
	s.expectError(http.StatusNotFound, "not_found", "", "POST", "/api/v1/nope", map[string]any{"a": 1})
}

func TestRequestIDIsKept(t *testing.T) {
	s := newTestServer(t)
	r := s.do("GET", "/health", nil, "X-Request-Id", "my-req-123")
	if r.Status != http.StatusOK || r.Header.Get("X-Request-Id") != "my-req-123" {
		t.Fatalf("X-Request-Id = %q (status %d)", r.Header.Get("X-Request-Id"), r.Status)
	}
	e := s.expectError(http.StatusNotFound, "not_found", "", "GET", "/api/v1/mock-folders/missing", nil, "X-Request-Id", "trace.id:42_x")
	if e["request_id"] != "trace.id:42_x" {
		t.Fatalf("request_id = %v", e["request_id"])
	}
	e = s.expectError(http.StatusUnprocessableEntity, "validation", "name", "POST", "/api/v1/namespaces", map[string]any{"name": ""}, "X-Request-Id", "abc")
	if e["request_id"] != "abc" {
		t.Fatalf("request_id = %v", e["request_id"])
	}
	// Without one, or with one that is not a plain token, the server makes its own.
	r1 := s.do("GET", "/health", nil)
	r2 := s.do("GET", "/health", nil)
	if a, b := r1.Header.Get("X-Request-Id"), r2.Header.Get("X-Request-Id"); a == "" || a == b {
		t.Fatalf("generated ids %q and %q", a, b)
	}
	r = s.do("GET", "/health", nil, "X-Request-Id", "has space<script>")
	if id := r.Header.Get("X-Request-Id"); id == "" || id == "has space<script>" {
		t.Fatalf("unsafe request id echoed: %q", id)
	}
}

func TestContentTypes(t *testing.T) {
	s := newTestServer(t)
	e := s.expectError(http.StatusUnsupportedMediaType, "unsupported_media_type", "", "POST", "/api/v1/namespaces", `<name>x</name>`, "Content-Type", "application/xml")
	if !strings.Contains(e["error"].(string), "application/xml") {
		t.Fatalf("415 message = %q", e["error"])
	}
	// Even a JSON body is refused under a type that cannot hold it.
	s.expectError(http.StatusUnsupportedMediaType, "unsupported_media_type", "", "POST", "/api/v1/namespaces", `{"name":"xml-ns"}`, "Content-Type", "application/xml")
	s.expectError(http.StatusUnsupportedMediaType, "unsupported_media_type", "", "POST", "/api/v1/stores/global", `{"key":"k","value":1}`, "Content-Type", "text/html")
	s.expectError(http.StatusUnsupportedMediaType, "unsupported_media_type", "", "POST", "/api/v1/mock-folders", `{"name":"f"}`, "Content-Type", "image/png")
	s.expectError(http.StatusUnsupportedMediaType, "unsupported_media_type", "", "POST", "/api/v1/tags", `{"tag":"t"}`, "Content-Type", ";;;")
	resEqualStrings(t, "namespaces", resNamespaces(s), []string{"sandbox"})
	resEqualJSON(t, "store", s.expect(http.StatusOK, "GET", "/api/v1/stores/global", nil), `{}`)

	// curl's default type, JSON-flavoured types and no type at all are read as JSON.
	form := "application/x-www-form-urlencoded"
	s.expect(http.StatusCreated, "POST", "/api/v1/namespaces", `{"name":"curl-ns"}`, "Content-Type", form)
	s.expect(http.StatusOK, "POST", "/api/v1/stores/global", `{"key":"totalUsers","value":"100","namespace":"sandbox"}`, "Content-Type", form)
	s.expect(http.StatusCreated, "POST", "/api/v1/mock-folders", `{"name":"curl-folder"}`, "Content-Type", form)
	s.expect(http.StatusCreated, "POST", "/api/v1/tags", `{"tag":"curl-tag"}`, "Content-Type", "application/json; charset=utf-8")
	s.expect(http.StatusCreated, "POST", "/api/v1/namespaces", `{"name":"plain-ns"}`, "Content-Type", "text/plain")
	s.expect(http.StatusCreated, "POST", "/api/v1/namespaces", `{"name":"vnd-ns"}`, "Content-Type", "application/vnd.api+json")
	s.expect(http.StatusCreated, "POST", "/api/v1/namespaces", `{"name":"none-ns"}`, "Content-Type", "")
	resEqualStrings(t, "namespaces", resSorted(resNamespaces(s)), []string{"curl-ns", "none-ns", "plain-ns", "sandbox", "vnd-ns"})
	resEqualJSON(t, "store", s.expect(http.StatusOK, "GET", "/api/v1/stores/global", nil), `{"totalUsers":"100"}`)
}
