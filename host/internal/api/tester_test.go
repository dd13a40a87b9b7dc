package api

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// list decodes a bare JSON array answer (what the Go SDK decodes into a slice).
func (s *testServer) list(status int, method, path string, body any) []map[string]any {
	s.t.Helper()
	r := s.do(method, path, body)
	if r.Status != status {
		s.t.Fatalf("%s %s: status %d, want %d\n%s", method, path, r.Status, status, r.Body)
	}
	var out []map[string]any
	if err := json.Unmarshal(r.Body, &out); err != nil {
		s.t.Fatalf("%s %s: want a bare JSON array: %v\n%s", method, path, err, r.Body)
	}
	return out
}

func TestCollectionsCRUD(t *testing.T) {
	s := newTestServer(t)
	// The Go SDK sends every field, zero values too (model-tools §0.3).
	goBody := map[string]any{"id": "", "namespace": "sandbox", "userId": "", "name": "Orders", "description": "",
		"protocol": "", "collectionType": "", "isShared": false, "metadata": nil, "createdAt": "", "updatedAt": ""}
	col := s.expect(http.StatusCreated, "POST", "/api/v1/api-tester/collections", goBody)
	id, _ := col["id"].(string)
	if id == "" || col["name"] != "Orders" || col["createdAt"] == "" || col["namespace"] != "sandbox" {
		t.Fatalf("created: %v", col)
	}
	if got := s.list(http.StatusOK, "GET", "/api/v1/api-tester/collections?namespace=sandbox", nil); len(got) != 1 || got[0]["id"] != id {
		t.Fatalf("list: %v", got)
	}
	if got := s.list(http.StatusOK, "GET", "/api/v1/api-tester/collections?namespace=other", nil); len(got) != 0 {
		t.Fatalf("another namespace's list: %v", got)
	}
	// An update with empty strings leaves fields as they are.
	goBody["description"], goBody["name"] = "all order calls", ""
	up := s.expect(http.StatusOK, "PUT", "/api/v1/api-tester/collections/"+id, goBody)
	if up["name"] != "Orders" || up["description"] != "all order calls" {
		t.Fatalf("merge update: %v", up)
	}

	// Folders and requests, order and moves.
	f := s.expect(http.StatusCreated, "POST", "/api/v1/api-tester/collections/"+id+"/folders", map[string]any{"name": "v1"})
	fid, _ := f["id"].(string)
	var rids []string
	for _, name := range []string{"a", "b", "c"} {
		r := s.expect(http.StatusCreated, "POST", "/api/v1/api-tester/collections/"+id+"/requests",
			map[string]any{"name": name, "method": "post", "url": "http://x/" + name, "headers": map[string]any{"X-N": 1},
				"testScript": `mk.test("ok", function(){ mk.response.to.have.status(200); });`})
		if r["method"] != "POST" {
			t.Fatalf("method: %v", r)
		}
		rids = append(rids, r["id"].(string))
	}
	reordered := s.list(http.StatusOK, "POST", "/api/v1/api-tester/collections/"+id+"/requests/reorder", map[string]any{"ids": []string{rids[2], rids[0]}})
	if names := []any{reordered[0]["name"], reordered[1]["name"], reordered[2]["name"]}; names[0] != "c" || names[1] != "a" || names[2] != "b" {
		t.Fatalf("reorder: %v", names)
	}
	s.expect(http.StatusOK, "PATCH", "/api/v1/api-tester/requests/batch/move", map[string]any{"ids": []string{rids[1]}, "folderId": fid})
	if r := s.expect(http.StatusOK, "GET", "/api/v1/api-tester/requests/"+rids[1], nil); r["folderId"] != fid {
		t.Fatalf("moved: %v", r)
	}
	if r := s.expect(http.StatusOK, "PUT", "/api/v1/api-tester/requests/"+rids[0], map[string]any{"url": "http://y/a"}); r["url"] != "http://y/a" || r["name"] != "a" {
		t.Fatalf("request update: %v", r)
	}

	// Export is a Postman v2.1 collection with the folder and scripts.
	r := s.do("GET", "/api/v1/api-tester/collections/"+id+"/export", nil)
	var pc struct {
		Info struct{ Name, Schema string }
		Item []struct {
			Name  string
			Item  []json.RawMessage
			Event []struct {
				Listen string
				Script struct{ Exec []string }
			}
		}
	}
	if err := json.Unmarshal(r.Body, &pc); err != nil || pc.Info.Name != "Orders" || !strings.Contains(pc.Info.Schema, "v2.1.0") {
		t.Fatalf("export: %v %s", err, r.Body)
	}
	if len(pc.Item) != 3 || pc.Item[0].Name != "v1" || len(pc.Item[0].Item) != 1 || pc.Item[1].Name != "c" ||
		pc.Item[1].Event[0].Listen != "test" {
		t.Fatalf("export items: %s", r.Body)
	}

	// Duplicate, delete, restore, batch delete.
	dup := s.expect(http.StatusCreated, "POST", "/api/v1/api-tester/collections/"+id+"/duplicate", nil)
	if dup["name"] != "Orders (copy)" || dup["requestCount"] != float64(3) {
		t.Fatalf("duplicate: %v", dup)
	}
	s.expect(http.StatusOK, "DELETE", "/api/v1/api-tester/collections/"+id, nil)
	s.expectError(http.StatusNotFound, CodeNotFound, "", "GET", "/api/v1/api-tester/collections/"+id, nil)
	restored := s.expect(http.StatusOK, "POST", "/api/v1/api-tester/collections/"+id+"/restore", nil)
	if restored["requestCount"] != float64(3) {
		t.Fatalf("restore brings the requests back: %v", restored)
	}
	s.expect(http.StatusOK, "DELETE", "/api/v1/api-tester/collections/batch", map[string]any{"ids": []string{id, dup["id"].(string)}})
	if got := s.list(http.StatusOK, "GET", "/api/v1/api-tester/collections", nil); len(got) != 0 {
		t.Fatalf("after batch delete: %v", got)
	}

	// Sharing.
	col2 := s.expect(http.StatusCreated, "POST", "/api/v1/api-tester/collections", map[string]any{"name": "Shared"})
	id2 := col2["id"].(string)
	if got := s.list(http.StatusOK, "POST", "/api/v1/api-tester/collections/"+id2+"/share-with-users", map[string]any{"userIds": []string{"u1"}, "role": "editor"}); len(got) != 1 || got[0]["role"] != "editor" {
		t.Fatalf("share with users: %v", got)
	}
	s.list(http.StatusOK, "PUT", "/api/v1/api-tester/collections/"+id2+"/users/u1/role", map[string]any{"role": "viewer"})
	s.expectError(http.StatusUnprocessableEntity, CodeValidation, "role", "PUT", "/api/v1/api-tester/collections/"+id2+"/users/u1/role", map[string]any{"role": "owner"})
	r = s.do("POST", "/api/v1/api-tester/collections/"+id2+"/share-with-spaces", map[string]any{"namespaces": []string{"team-b"}})
	if r.Status != http.StatusOK || !strings.Contains(string(r.Body), "team-b") {
		t.Fatalf("share with namespaces: %d %s", r.Status, r.Body)
	}
	if got := s.expect(http.StatusOK, "GET", "/api/v1/api-tester/collections/"+id2, nil); got["isShared"] != true {
		t.Fatalf("isShared: %v", got)
	}
}

func TestCollectionBadInput(t *testing.T) {
	s := newTestServer(t)
	s.expectError(http.StatusUnprocessableEntity, CodeValidation, "name", "POST", "/api/v1/api-tester/collections", map[string]any{"name": " "})
	s.expectError(http.StatusBadRequest, CodeValidation, "", "POST", "/api/v1/api-tester/collections", "{not json")
	s.expectError(http.StatusUnprocessableEntity, CodeValidation, "requests[1].method", "POST", "/api/v1/api-tester/collections",
		map[string]any{"name": "x", "requests": []map[string]any{{"url": "http://a"}, {"method": "GE T"}}})
	s.expectError(http.StatusUnprocessableEntity, CodeValidation, "requests[0].assertions[0].path", "POST", "/api/v1/api-tester/collections",
		map[string]any{"name": "x", "requests": []map[string]any{{"url": "http://a", "assertions": []map[string]any{{"type": "jsonpath", "path": "$..id"}}}}})
	col := s.expect(http.StatusCreated, "POST", "/api/v1/api-tester/collections", map[string]any{"name": "ok"})
	s.expectError(http.StatusUnprocessableEntity, CodeValidation, "folderId", "POST", "/api/v1/api-tester/collections/"+col["id"].(string)+"/requests",
		map[string]any{"url": "http://a", "folderId": "nope"})
	s.expectError(http.StatusNotFound, CodeNotFound, "", "POST", "/api/v1/api-tester/collections/nope/requests", map[string]any{"url": "http://a"})
	s.expectError(http.StatusUnprocessableEntity, CodeValidation, "ids[0]", "POST", "/api/v1/api-tester/collections/"+col["id"].(string)+"/requests/reorder",
		map[string]any{"ids": []string{"nope"}})
	// Without the tester plugin a run is refused clearly, never a 500.
	s.expectError(http.StatusServiceUnavailable, CodeUnavailable, "", "POST", "/api/v1/api-tester/collections/"+col["id"].(string)+"/execute", nil)
}

func TestEnvironments(t *testing.T) {
	s := newTestServer(t)
	// Values come back as strings (Go map[string]string); a Postman list works too.
	a := s.expect(http.StatusCreated, "POST", "/api/v1/api-tester/environments", map[string]any{"name": "dev",
		"variables": map[string]any{"baseUrl": "http://localhost", "retries": 3, "debug": true}})
	vars := a["variables"].(map[string]any)
	if vars["retries"] != "3" || vars["debug"] != "true" || a["isActive"] != false {
		t.Fatalf("created: %v", a)
	}
	b := s.expect(http.StatusCreated, "POST", "/api/v1/api-tester/environments", map[string]any{"name": "prod", "isActive": true,
		"values": []map[string]any{{"key": "baseUrl", "value": "https://api", "enabled": true}, {"key": "off", "value": "x", "enabled": false}}})
	if vb := b["variables"].(map[string]any); vb["baseUrl"] != "https://api" || vb["off"] != nil || b["isActive"] != true {
		t.Fatalf("postman values: %v", b)
	}
	if got := s.expect(http.StatusOK, "GET", "/api/v1/api-tester/environments/active", nil); got["id"] != b["id"] {
		t.Fatalf("active: %v", got)
	}
	s.expect(http.StatusOK, "POST", "/api/v1/api-tester/environments/"+a["id"].(string)+"/activate", nil)
	if got := s.expect(http.StatusOK, "GET", "/api/v1/api-tester/environments/"+b["id"].(string), nil); got["isActive"] != false {
		t.Fatalf("activating one deactivates the others: %v", got)
	}
	up := s.expect(http.StatusOK, "PUT", "/api/v1/api-tester/environments/"+a["id"].(string), map[string]any{"variables": map[string]any{"x": "y"}})
	if v := up["variables"].(map[string]any); len(v) != 1 || up["name"] != "dev" {
		t.Fatalf("update: %v", up)
	}
	if got := s.list(http.StatusOK, "GET", "/api/v1/api-tester/environments", nil); len(got) != 2 {
		t.Fatalf("list: %v", got)
	}
	s.expect(http.StatusOK, "DELETE", "/api/v1/api-tester/environments/"+b["id"].(string), nil)
	s.expectError(http.StatusNotFound, CodeNotFound, "", "GET", "/api/v1/api-tester/environments/"+b["id"].(string), nil)
	s.expectError(http.StatusUnprocessableEntity, CodeValidation, "name", "POST", "/api/v1/api-tester/environments", map[string]any{"variables": map[string]any{}})
}

func TestTestRunsEmptyAndImport(t *testing.T) {
	s := newTestServer(t)
	r := s.do("GET", "/api/v1/api-tester/test-runs", nil)
	if r.Status != http.StatusOK || !strings.Contains(string(r.Body), `"runs":[]`) {
		t.Fatalf("empty list must carry runs: []: %s", r.Body)
	}
	report := `{"format":"mockarty-test-run","run":{"name":"nightly","status":"failed","startedAt":1700000000000,"finishedAt":1700000001000,"duration":1000},
		"results":[{"iteration":0,"itemId":"r1","name":"get","status":"failed","startedAt":1700000000000,"durationMs":12,
		"tests":[{"name":"ok","passed":true},{"name":"bad","passed":false,"error":"expected 1 to equal 2"}]}]}`
	doc, _ := json.Marshal(map[string]string{"data": report}) // the Go SDK's {"data": text}
	imported := s.expect(http.StatusCreated, "POST", "/api/v1/api-tester/reports/import", doc)
	id := imported["id"].(string)
	if imported["failedTests"] != float64(1) || imported["passedTests"] != float64(1) || imported["startedAt"] != float64(1700000000000) {
		t.Fatalf("imported: %v", imported)
	}
	junit := s.do("GET", "/api/v1/api-tester/test-runs/"+id+"/export?format=junit", nil)
	if junit.Status != http.StatusOK || !strings.Contains(string(junit.Body), `<failure message="expected 1 to equal 2"`) {
		t.Fatalf("junit: %s", junit.Body)
	}
	s.expectError(http.StatusUnprocessableEntity, CodeValidation, "format", "GET", "/api/v1/api-tester/test-runs/"+id+"/export?format=pdf", nil)
	// Allure: one result per test, byte-stable.
	allure := s.do("GET", "/api/v1/api-tester/test-runs/"+id+"/report?format=allure_json", nil)
	var results []struct{ Name, Status, UUID string }
	if err := json.Unmarshal(allure.Body, &results); err != nil || len(results) != 2 || results[0].Status != "passed" || results[1].Status != "failed" {
		t.Fatalf("allure_json: %v %s", err, allure.Body)
	}
	if again := s.do("GET", "/api/v1/api-tester/test-runs/"+id+"/report?format=allure_json", nil); !bytes.Equal(again.Body, allure.Body) {
		t.Fatalf("allure_json is not byte-stable")
	}
	az := s.do("GET", "/api/v1/api-tester/test-runs/"+id+"/report?format=allure_zip", nil)
	zr, err := zip.NewReader(bytes.NewReader(az.Body), int64(len(az.Body)))
	if err != nil || len(zr.File) != 2 || zr.File[0].Name != results[0].UUID+"-result.json" {
		t.Fatalf("allure_zip: %v", err)
	}
	html := s.do("GET", "/api/v1/api-tester/test-runs/"+id+"/export?format=html", nil)
	if !strings.Contains(string(html.Body), "nightly") || !strings.Contains(html.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("html: %s", html.Body)
	}
	// The JSON export imports back as the same run.
	exported := s.do("GET", "/api/v1/api-tester/test-runs/"+id+"/export", nil)
	again := s.expect(http.StatusCreated, "POST", "/api/v1/api-tester/reports/import", exported.Body)
	if again["failedTests"] != float64(1) || again["id"] == id {
		t.Fatalf("round trip: %v", again)
	}
	s.expectError(http.StatusUnprocessableEntity, CodeValidation, "data", "POST", "/api/v1/api-tester/reports/import", map[string]any{"data": `{"x":1}`})
	s.expect(http.StatusOK, "DELETE", "/api/v1/api-tester/test-runs/"+id, nil)
	s.expectError(http.StatusNotFound, CodeNotFound, "", "GET", "/api/v1/api-tester/test-runs/"+id, nil)
}

func TestTesterImports(t *testing.T) {
	s := newTestServer(t)
	read := func(path string) string {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	check := func(v map[string]any, minRequests int) string {
		t.Helper()
		id, _ := v["collectionId"].(string)
		if id == "" || v["imported"].(float64) < float64(minRequests) || v["created"] != v["imported"] {
			t.Fatalf("import result: %v", v)
		}
		if _, ok := v["warnings"].([]any); !ok {
			t.Fatalf("warnings must be a list: %v", v)
		}
		return id
	}
	// Go: {"data": text}.
	id := check(s.expect(http.StatusCreated, "POST", "/api/v1/api-tester/import/postman",
		map[string]any{"data": read("../../../sdk/postman/testdata/insomnia-importers/postman/complex-v2_1-input.json")}), 5)
	if reqs := s.list(http.StatusOK, "GET", "/api/v1/api-tester/collections/"+id+"/requests", nil); len(reqs) < 5 {
		t.Fatalf("imported requests: %v", reqs)
	}
	// Python: the raw document; Java: {"content", "namespace"}.
	check(s.expect(http.StatusCreated, "POST", "/api/v1/api-tester/import/har", read("../generate/hargen/testdata/browser.har")), 1)
	v := s.expect(http.StatusCreated, "POST", "/api/v1/api-tester/import/postman",
		map[string]any{"content": read("../../../sdk/postman/testdata/insomnia-importers/postman/basic-auth-v2_1-input.json"), "namespace": "team-j"})
	if v["namespace"] != "team-j" {
		t.Fatalf("Java's namespace: %v", v)
	}
	// Python's cURL import.
	v = s.expect(http.StatusCreated, "POST", "/api/v1/api-tester/import/curl",
		map[string]any{"commands": []string{`curl -X POST https://api.example.com/users -H 'Content-Type: application/json' -d '{"name":"Ann"}'`, "curl https://api.example.com/users?page=2"}})
	check(v, 2)
	reqs := s.list(http.StatusOK, "GET", "/api/v1/api-tester/collections/"+v["collectionId"].(string)+"/requests", nil)
	if reqs[0]["method"] != "POST" || !strings.Contains(reqs[0]["url"].(string), "api.example.com/users") {
		t.Fatalf("curl requests: %v", reqs)
	}
	// Multipart file, as the reference's curl -F.
	specs, _ := filepath.Glob("../generate/openapigen/testdata/oas-examples/3.0/petstore.yaml")
	if len(specs) == 0 {
		t.Fatal("no OpenAPI testdata")
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("file", filepath.Base(specs[0]))
	fw.Write([]byte(read(specs[0])))
	mw.WriteField("namespace", "specs")
	mw.Close()
	r := s.do("POST", "/api/v1/api-tester/import/openapi", body.Bytes(), "Content-Type", mw.FormDataContentType())
	if r.Status != http.StatusCreated || !strings.Contains(string(r.Body), `"namespace":"specs"`) {
		t.Fatalf("OpenAPI multipart import: %d %s", r.Status, r.Body)
	}
	// Insomnia, with its environments.
	check(s.expect(http.StatusCreated, "POST", "/api/v1/api-tester/import/insomnia", read("../tester/imports/testdata/insomnia/export.json")), 1)

	// Bad imports: a clear 4xx naming where.
	e := s.expectError(http.StatusUnprocessableEntity, CodeValidation, "item[0].request.url", "POST", "/api/v1/api-tester/import/postman",
		map[string]any{"data": `{"info":{"name":"x","schema":"https://schema.getpostman.com/json/collection/v2.1.0/collection.json"},"item":[{"request":{"url":42}}]}`})
	if !strings.Contains(e["error"].(string), "item[0].request.url") {
		t.Fatalf("error names the path: %v", e)
	}
	s.expectError(http.StatusUnprocessableEntity, CodeValidation, "", "POST", "/api/v1/api-tester/import/postman", map[string]any{"data": `{"info":{"name":"v1"},"requests":[]}`})
	s.expectError(http.StatusUnprocessableEntity, CodeValidation, "data", "POST", "/api/v1/api-tester/import/postman", map[string]any{"data": ""})
	s.expectError(http.StatusNotFound, CodeNotFound, "", "POST", "/api/v1/api-tester/import/pdf", map[string]any{"data": "x"})
}
