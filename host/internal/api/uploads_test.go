package api

import (
	"bytes"
	"mime/multipart"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// multipartForm is a multipart/form-data body as curl -F sends it: the
// fields, then (when fileName is set) the document in the part filePart.
func multipartForm(t *testing.T, fields [][2]string, filePart, fileName, content string) ([]byte, string) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for _, f := range fields {
		if err := w.WriteField(f[0], f[1]); err != nil {
			t.Fatal(err)
		}
	}
	if fileName != "" {
		fw, err := w.CreateFormFile(filePart, fileName)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := fw.Write([]byte(content)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), w.FormDataContentType()
}

// TestUploadsRegistriesThreeWays: each registry takes its document as the
// JSON request whatever the Content-Type (the docs' `curl -d`, a form
// type), as a multipart form with a file part, and as the raw file with
// its name in the query; each stored source reads back as sent.
func TestUploadsRegistriesThreeWays(t *testing.T) {
	ts := newTestServer(t)
	for _, r := range []struct{ base, name, content string }{
		{"/api/v1/graphql/schemas", "starwars.graphql", starWarsSDL},
		{"/api/v1/soap/wsdls", "bank.wsdl", tinyWSDL},
		{"/api/v1/protos", "common/tag.proto", tagProto},
	} {
		readBack := func(ns string) {
			t.Helper()
			got := ts.expect(200, "GET", r.base+"/"+r.name+"?namespace="+ns, nil)
			if got["content"] != r.content || got["namespace"] != ns {
				t.Fatalf("%s in %s reads back as %v", r.name, ns, got)
			}
		}
		// JSON sent as curl -d sends it: application/x-www-form-urlencoded.
		body := mustJSON(t, map[string]any{"name": r.name, "content": r.content, "namespace": "as-json"})
		ts.expect(201, "POST", r.base, body, "Content-Type", "application/x-www-form-urlencoded")
		readBack("as-json")
		// The same JSON under a type that names the document's format.
		ts.expect(200, "POST", r.base, body, "Content-Type", "text/plain")

		// Multipart: the file part's name is the file name unless a field
		// gives one (a .proto in a folder needs it).
		fields := [][2]string{{"namespace", "as-form"}}
		if strings.Contains(r.name, "/") {
			fields = append(fields, [2]string{"name", r.name})
		}
		form, ct := multipartForm(t, fields, "file", filepath.Base(r.name), r.content)
		ts.expect(201, "POST", r.base, form, "Content-Type", ct)
		readBack("as-form")
		// PUT to the file's path: the path names it.
		form, ct = multipartForm(t, nil, "file", "other-name.txt", r.content)
		ts.expect(200, "PUT", r.base+"/"+r.name+"?namespace=as-form", form, "Content-Type", ct)

		// The raw file, named in the query, with or without a Content-Type.
		ts.expect(201, "POST", r.base+"?name="+r.name+"&namespace=as-raw", r.content, "Content-Type", "application/octet-stream")
		readBack("as-raw")
		ts.expect(200, "POST", r.base+"?name="+r.name+"&namespace=as-raw", r.content, "Content-Type", "")
	}
	// A checked document keeps being checked in every form: a broken SDL
	// in a form is the validator's 422 naming the file and line.
	form, ct := multipartForm(t, [][2]string{{"namespace", "as-form"}}, "file", "broken.graphql", "type Thing {\n  x: Unknown\n}\n")
	v := ts.expectError(422, CodeValidation, "content", "POST", "/api/v1/graphql/schemas", form, "Content-Type", ct)
	if !strings.Contains(v["error"].(string), "broken.graphql:2:") {
		t.Fatalf("broken SDL: %v", v)
	}
}

// TestUploadsGeneratorsThreeWays: the generators take their document as a
// multipart form (curl -F file=@...) and as the raw document with the
// other fields in the query, besides their JSON request.
func TestUploadsGeneratorsThreeWays(t *testing.T) {
	ts := newTestServer(t)
	sdl := readTestdata(t, "../../../plugins/graphql/testdata/starwars.graphql")
	wsdl := readTestdata(t, "../generate/soapgen/testdata/stock.wsdl")
	tools := `{"tools":[{"name":"search","inputSchema":{"type":"object"}}]}`
	for _, g := range []struct {
		path, fileName, content, wantID string
	}{
		{"/api/v1/generators/grpc", "shop.proto", shopProto, "grpc-shop.orders-getorder"},
		{"/api/v1/generators/graphql", "starwars.graphql", sdl, "graphql-query-hero"},
		{"/api/v1/generators/soap", "stock.wsdl", wsdl, "soap-stockquoteservice-getlasttradeprice"},
		{"/api/v1/generators/mcp", "tools.json", tools, "mcp-tool-search"},
	} {
		// ids are made of the prefix and the operation; every form gets its own prefix.
		want := func(v map[string]any, ns, prefix string) {
			t.Helper()
			items := itemsByID(t, v)
			id := prefix + g.wantID[strings.IndexByte(g.wantID, '-'):]
			if v["namespace"] != ns || items[id] == nil {
				t.Fatalf("%s: no %s generated in %s: %v", g.path, id, ns, v)
			}
		}
		form, ct := multipartForm(t, [][2]string{{"namespace", "form-ns"}, {"idPrefix", "x"}, {"unknownField", "ignored"}}, "file", g.fileName, g.content)
		v := ts.expect(200, "POST", g.path+"/preview", form, "Content-Type", ct)
		want(v, "form-ns", "x")
		if v["preview"] != true {
			t.Fatalf("%s preview: %v", g.path, v)
		}
		form, ct = multipartForm(t, [][2]string{{"namespace", "form-ns"}, {"idPrefix", "form"}}, "file", g.fileName, g.content)
		want(ts.expect(201, "POST", g.path, form, "Content-Type", ct), "form-ns", "form")
		// Raw, the other fields in the query.
		want(ts.expect(201, "POST", g.path+"?namespace=raw-ns&idPrefix=raw", g.content, "Content-Type", "application/octet-stream"), "raw-ns", "raw")
		// A re-run of the same document merges: nothing new.
		v = ts.expect(200, "POST", g.path+"?namespace=raw-ns&idPrefix=raw", g.content, "Content-Type", "text/plain")
		if v["created"] != float64(0) || v["unchanged"] == float64(0) {
			t.Fatalf("%s re-run: %v", g.path, v)
		}
	}
	// The graphql generator names the uploaded SDL after the file: its
	// errors say which file.
	form, ct := multipartForm(t, nil, "file", "mine.graphql", "type Query {\n  a: Nope\n}")
	v := ts.expectError(422, CodeValidation, "sdl", "POST", "/api/v1/generators/graphql/preview", form, "Content-Type", ct)
	if !strings.Contains(v["error"].(string), "mine.graphql:2:") {
		t.Fatalf("bad sdl: %v", v)
	}
	// A field other than the document that holds JSON is read as JSON.
	form, ct = multipartForm(t, [][2]string{{"headers", `{"Authorization":"Bearer x"}`}, {"url", "http://127.0.0.1:1/mcp"}}, "", "", "")
	if r := ts.do("POST", "/api/v1/generators/mcp/preview", form, "Content-Type", ct); r.Status != 502 || !strings.Contains(string(r.Body), "127.0.0.1:1") {
		t.Fatalf("mcp from form fields: %d %s", r.Status, r.Body)
	}
}

// TestUploadsBadForms: what cannot be read gets a 4xx in the error shape.
func TestUploadsBadForms(t *testing.T) {
	ts := newTestServer(t)
	ts.expectError(400, CodeValidation, "", "POST", "/api/v1/protos", "--x--", "Content-Type", "multipart/form-data")
	ts.expectError(400, CodeValidation, "", "POST", "/api/v1/protos", "not multipart at all", "Content-Type", "multipart/form-data; boundary=zzz")
	ts.expectError(415, CodeMediaType, "", "POST", "/api/v1/protos", tagProto, "Content-Type", "text/plain; =broken")
	// JSON that says it is JSON and breaks is a JSON error, not a document.
	v := ts.expectError(400, CodeValidation, "", "POST", "/api/v1/graphql/schemas", `{"name":"a.graphql","content":`)
	if !strings.Contains(v["error"].(string), "malformed JSON") {
		t.Fatalf("broken JSON: %v", v)
	}
	ts.expectError(400, CodeValidation, "content", "POST", "/api/v1/protos", `{"name":"a.proto","content":5}`, "Content-Type", "text/plain")

	// Two documents, or a document in a part of another name.
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for _, n := range []string{"a.proto", "b.proto"} {
		fw, _ := w.CreateFormFile("file", n)
		_, _ = fw.Write([]byte(tagProto))
	}
	_ = w.Close()
	ts.expectError(422, CodeValidation, "file", "POST", "/api/v1/protos", buf.Bytes(), "Content-Type", w.FormDataContentType())
	form, ct := multipartForm(t, nil, "upload", "a.proto", tagProto)
	v = ts.expectError(422, CodeValidation, "file", "POST", "/api/v1/protos", form, "Content-Type", ct)
	if !strings.Contains(v["error"].(string), `"upload"`) {
		t.Fatalf("wrong part: %v", v)
	}
	// A form without the document.
	form, ct = multipartForm(t, [][2]string{{"name", "a.proto"}}, "", "", "")
	ts.expectError(422, CodeValidation, "content", "POST", "/api/v1/protos", form, "Content-Type", ct)
	// The MCP generator's document is JSON.
	form, ct = multipartForm(t, nil, "file", "tools.yaml", "tools:\n  - name: x\n")
	ts.expectError(422, CodeValidation, "spec", "POST", "/api/v1/generators/mcp/preview", form, "Content-Type", ct)
	// A form field of the wrong type.
	form, ct = multipartForm(t, [][2]string{{"headers", "not json"}, {"url", "http://127.0.0.1:1/mcp"}}, "", "", "")
	ts.expectError(400, CodeValidation, "headers", "POST", "/api/v1/generators/mcp/preview", form, "Content-Type", ct)
	// A name that is no file name, from the upload's file name.
	form, ct = multipartForm(t, nil, "file", "notes.txt", tagProto)
	ts.expectError(422, CodeValidation, "name", "POST", "/api/v1/protos", form, "Content-Type", ct)
}

// TestUploadsWithCurl runs the docs' commands as written (curl -d with a
// jq-built body) and the spec's curl -F form against the real server.
func TestUploadsWithCurl(t *testing.T) {
	for _, tool := range []string{"bash", "curl", "jq"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed: the net/http tests above cover the same requests", tool)
		}
	}
	ts := newTestServer(t)
	dir := t.TempDir()
	sdl := readTestdata(t, "../../../plugins/graphql/testdata/starwars.graphql")
	files := map[string]string{"schema.graphql": sdl, "accounts.wsdl": tinyWSDL, "helloworld.proto": tagProto, "shop.proto": shopProto}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	run := func(script string) string {
		t.Helper()
		cmd := exec.Command("bash", "-c", "set -euo pipefail; "+script)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "BASE="+ts.URL)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v\n%s", script, err, out)
		}
		return string(out)
	}
	// docs/plugins.md, word for word but the address.
	for _, c := range []struct{ cmd, want string }{
		{`curl -sS -X POST $BASE/api/v1/protos -d "{\"name\":\"helloworld.proto\",\"content\":$(jq -Rs . helloworld.proto)}"`, `"name":"helloworld.proto"`},
		{`curl -sS -X POST $BASE/api/v1/graphql/schemas -d "$(jq -Rs '{name:"schema.graphql",content:.}' schema.graphql)"`, `"name":"schema.graphql"`},
		{`curl -sS -X POST $BASE/api/v1/soap/wsdls -d "$(jq -n --rawfile c accounts.wsdl '{name:"accounts.wsdl",content:$c}')"`, `"name":"accounts.wsdl"`},
		// The spec's multipart form (api-reference 6.4), on a registry and a generator.
		{`curl -sS -X POST $BASE/api/v1/protos -F "file=@shop.proto" -F "namespace=ci"`, `"namespace":"ci"`},
		{`curl -sS -X POST $BASE/api/v1/generators/grpc -F "file=@shop.proto" -F "namespace=ci"`, `"created":2`},
		{`curl -sS -X POST $BASE/api/v1/generators/graphql/preview -F "file=@schema.graphql"`, `"graphql-query-hero"`},
		// The raw file.
		{`curl -sS -X POST "$BASE/api/v1/soap/wsdls?name=raw.wsdl" --data-binary @accounts.wsdl -H 'Content-Type: text/xml'`, `"name":"raw.wsdl"`},
	} {
		if out := run(c.cmd + ` -w '\n%{http_code}'`); !strings.Contains(out, c.want) || !(strings.HasSuffix(out, "200") || strings.HasSuffix(out, "201")) {
			t.Fatalf("%s:\n%s", c.cmd, out)
		}
	}
	got := ts.expect(200, "GET", "/api/v1/graphql/schemas/schema.graphql", nil)
	if got["content"] != sdl {
		t.Fatalf("the SDL as stored: %v", got["content"])
	}
	if m := ts.expect(200, "GET", "/api/v1/mocks/grpc-shop.orders-getorder", nil); m["namespace"] != "ci" {
		t.Fatalf("generated mock: %v", m)
	}
}
