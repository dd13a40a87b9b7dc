package api

import (
	"bytes"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"strings"
	"testing"
)

// petstoreSpec is the Petstore 3.0 fixture: GET /pet/{petId} (petId an
// int64), GET /pet/findByStatus (status a required query parameter),
// POST /pet (a Pet body: name and photoUrls required, answered 405).
func petstoreSpec(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(oasExamples + "/3.0/petstore.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// violationsOf checks a 422 answer of a mock: the API's error shape plus
// violations, the request id that of the X-Request-Id header, and returns
// the violations as "in field".
func violationsOf(t *testing.T, r *resp) []string {
	t.Helper()
	if r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("status %d, want 422: %s", r.Status, r.Body)
	}
	v := r.JSON(t)
	if v["code"] != CodeValidation || v["error"] == "" || v["request_id"] == "" || v["request_id"] != r.Header.Get("X-Request-Id") {
		t.Fatalf("not the error shape (request_id must be the X-Request-Id header %q): %s", r.Header.Get("X-Request-Id"), r.Body)
	}
	var out []string
	for _, x := range v["violations"].([]any) {
		vi := x.(map[string]any)
		if vi["message"] == "" {
			t.Fatalf("violation without a message: %s", r.Body)
		}
		out = append(out, vi["in"].(string)+" "+vi["field"].(string))
	}
	return out
}

func has(list []string, want string) bool {
	for _, s := range list {
		if s == want {
			return true
		}
	}
	return false
}

// Generated with validateRequests, the Petstore's mocks answer requests
// that fit as before and refuse the others with 422 naming the field;
// without it, or once the spec is deleted, the same requests are answered.
func TestOpenAPIRequestValidation(t *testing.T) {
	ts := newTestServer(t)
	spec := petstoreSpec(t)
	res := ts.expect(201, "POST", "/api/v1/generators/openapi", map[string]any{"spec": spec, "namespace": "pv", "validateRequests": true})
	var addPet string
	for _, m := range res["mocks"].([]any) {
		mock := m.(map[string]any)
		h := mock["http"].(map[string]any)
		vr, _ := h["validateRequest"].(map[string]any)
		if vr == nil || vr["spec"] != "openapi-pv.yaml" || !strings.HasPrefix(vr["path"].(string), "/") || vr["method"] != h["httpMethod"] {
			t.Fatalf("mock %v has no validateRequest of the spec", mock["id"])
		}
		if vr["path"] == "/pet" && vr["method"] == "POST" && mock["priority"] == nil {
			addPet = mock["id"].(string)
		}
	}
	if list := ts.expect(200, "GET", "/api/v1/openapi/specs?namespace=pv", nil); list["total"] != float64(1) {
		t.Fatalf("the spec is registered: %v", list)
	}

	good := func(ns string) {
		t.Helper()
		for _, c := range []struct {
			method, path string
			body         any
			status       int
		}{
			{"GET", "/v2/pet/42", nil, 200},
			{"GET", "/v2/pet/findByStatus?status=available&status=sold", nil, 200},
			{"POST", "/v2/pet", map[string]any{"name": "rex", "photoUrls": []string{"a.png"}}, 405},
		} {
			if r := ts.do(c.method, "/stubs/"+ns+c.path, c.body); r.Status != c.status {
				t.Fatalf("%s %s in %s: %d, want %d: %s", c.method, c.path, ns, r.Status, c.status, r.Body)
			}
		}
	}
	bad := []struct {
		method, path string
		body         any
		violation    string // in field
		unchecked    int    // the status without validation
	}{
		{"GET", "/v2/pet/abc", nil, "path petId", 200},
		{"GET", "/v2/pet/findByStatus", nil, "query status", 200},
		{"GET", "/v2/pet/findByStatus?status=lost", nil, "query status", 200},
		{"POST", "/v2/pet", map[string]any{"photoUrls": []string{"a.png"}}, "body /name", 405},
		{"POST", "/v2/pet", map[string]any{"name": 7, "photoUrls": "a.png"}, "body /photoUrls", 405},
	}
	good("pv")
	for _, c := range bad {
		got := violationsOf(t, ts.do(c.method, "/stubs/pv"+c.path, c.body))
		if !has(got, c.violation) {
			t.Fatalf("%s %s: violations %v, want %q among them", c.method, c.path, got, c.violation)
		}
	}
	// Both wrong fields of the last body are named, and the caller's request id is kept.
	r := ts.do("POST", "/stubs/pv/v2/pet", map[string]any{"name": 7, "photoUrls": "a.png"}, "X-Request-Id", "trace-42")
	if got := violationsOf(t, r); !has(got, "body /name") || !has(got, "body /photoUrls") || r.JSON(t)["request_id"] != "trace-42" {
		t.Fatalf("violations %v: %s", got, r.Body)
	}
	// A refused request is logged as that mock's answer.
	logs := ts.expect(200, "GET", "/api/v1/mocks/"+addPet+"/logs", nil)
	first := logs["requests"].([]any)[0].(map[string]any)
	if status := first["response"].(map[string]any)["statusCode"]; status != float64(422) {
		t.Fatalf("log of %s: %v", addPet, first)
	}
	// A body the validator cannot read (XML: kin-openapi has no decoder)
	// is left unchecked rather than refused.
	if r := ts.do("POST", "/stubs/pv/v2/pet", "<Pet><name>rex</name></Pet>", "Content-Type", "application/xml"); r.Status != 405 {
		t.Fatalf("XML body: %d %s", r.Status, r.Body)
	}

	// Without validateRequests the same requests are answered.
	ts.expect(201, "POST", "/api/v1/generators/openapi", map[string]any{"spec": spec, "namespace": "pn"})
	good("pn")
	for _, c := range bad {
		if r := ts.do(c.method, "/stubs/pn"+c.path, c.body); r.Status != c.unchecked {
			t.Fatalf("unchecked %s %s: %d, want %d: %s", c.method, c.path, r.Status, c.unchecked, r.Body)
		}
	}
	// A re-run with validateRequests brings validateRequest to the mocks
	// (the spec registered under the request's name); one without leaves it.
	rerun := ts.expect(201, "POST", "/api/v1/generators/openapi", map[string]any{"spec": spec, "namespace": "pn",
		"validateRequests": true, "name": "petstore.yaml"})
	if rerun["created"] != float64(0) || rerun["unchanged"] != float64(0) {
		t.Fatalf("re-run with validateRequests: %v", rerun["message"])
	}
	violationsOf(t, ts.do("GET", "/stubs/pn/v2/pet/abc", nil))
	if again := ts.expect(200, "POST", "/api/v1/generators/openapi", map[string]any{"spec": spec, "namespace": "pn"}); again["updated"] != float64(0) {
		t.Fatalf("re-run without validateRequests: %v", again["message"])
	}
	violationsOf(t, ts.do("GET", "/stubs/pn/v2/pet/abc", nil))

	// Once the spec is gone the mocks answer unchecked, and a mock naming
	// a spec that is not registered is saved with a warning.
	ts.expect(200, "DELETE", "/api/v1/openapi/specs/petstore.yaml?namespace=pn", nil)
	if r := ts.do("GET", "/stubs/pn/v2/pet/abc", nil); r.Status != 200 {
		t.Fatalf("spec deleted: %d %s", r.Status, r.Body)
	}
	m := httpMock("vr-orphan", "/orphan/:petId")
	m["namespace"] = "pn"
	m["http"].(map[string]any)["validateRequest"] = map[string]any{"spec": "petstore.yaml", "path": "/pet/{petId}"}
	saved := ts.expect(201, "POST", "/api/v1/mocks", m)
	w, _ := saved["warnings"].([]any)
	if len(w) != 1 || w[0].(map[string]any)["field"] != "http.validateRequest.spec" || w[0].(map[string]any)["servers"] != nil {
		t.Fatalf("warnings: %v", saved["warnings"])
	}
	if vr := saved["mock"].(map[string]any)["http"].(map[string]any)["validateRequest"].(map[string]any); vr["method"] != "GET" {
		t.Fatalf("the method defaults to the mock's: %v", vr)
	}
	if r := ts.do("GET", "/stubs/pn/orphan/abc", nil); r.Status != 200 {
		t.Fatalf("orphan mock: %d %s", r.Status, r.Body)
	}
	// Registered again (under the name the mock names), it checks again.
	ts.expect(201, "POST", "/api/v1/openapi/specs", map[string]any{"name": "petstore.yaml", "namespace": "pn", "content": spec})
	violationsOf(t, ts.do("GET", "/stubs/pn/orphan/abc", nil))

	// The shape of validateRequest is checked when a mock is saved.
	for field, vr := range map[string]map[string]any{
		"http.validateRequest.spec":   {"spec": "../x.yaml", "path": "/a", "method": "GET"},
		"http.validateRequest.path":   {"spec": "x.yaml", "path": "a", "method": "GET"},
		"http.validateRequest.method": {"spec": "x.json", "path": "/a", "method": "FETCH"},
	} {
		m := httpMock("vr-bad", "/bad")
		m["http"].(map[string]any)["validateRequest"] = vr
		ts.expectError(422, CodeValidation, field, "POST", "/api/v1/mocks", m)
	}
}

// The OpenAPI registry: a description that does not load is refused
// naming its line; list, get and delete as the other registries.
func TestOpenAPISpecRegistry(t *testing.T) {
	ts := newTestServer(t)
	spec := petstoreSpec(t)
	ts.expect(201, "POST", "/api/v1/openapi/specs", map[string]any{"name": "petstore.yaml", "content": spec})
	ts.expect(200, "PUT", "/api/v1/openapi/specs/petstore.yaml", map[string]any{"content": spec})
	ts.expect(201, "POST", "/api/v1/openapi/specs?name=apis/tiny.json",
		`{"openapi":"3.0.3","info":{"title":"t","version":"1"},"paths":{"/a":{"get":{"responses":{"200":{"description":"ok"}}}}}}`)
	v := ts.expectError(422, CodeValidation, "content", "POST", "/api/v1/openapi/specs",
		map[string]any{"name": "broken.yaml", "content": "openapi: 3.0.0\ninfo:\n  title: x\n   version: 1\npaths: {}\n"})
	if msg := v["error"].(string); !strings.Contains(msg, "broken.yaml") || !strings.Contains(msg, "line 4") {
		t.Fatalf("broken YAML: %v", v)
	}
	v = ts.expectError(422, CodeValidation, "content", "POST", "/api/v1/openapi/specs",
		map[string]any{"name": "broken.json", "content": "{\"openapi\": \"3.0.0\",\n \"paths\": {,}}"})
	if msg := v["error"].(string); !strings.Contains(msg, "line 2") {
		t.Fatalf("broken JSON: %v", v)
	}
	ts.expectError(422, CodeValidation, "content", "POST", "/api/v1/openapi/specs", map[string]any{"name": "notes.yaml", "content": "title: no spec\n"})
	ts.expectError(422, CodeValidation, "name", "POST", "/api/v1/openapi/specs", map[string]any{"name": "petstore.txt", "content": spec})
	list := ts.expect(200, "GET", "/api/v1/openapi/specs", nil)
	if list["total"] != float64(2) {
		t.Fatalf("list: %v", list)
	}
	if r := ts.do("GET", "/api/v1/openapi/specs/petstore.yaml?raw=true", nil); r.Status != 200 || string(r.Body) != spec {
		t.Fatalf("raw: %d", r.Status)
	}
	if got := ts.expect(200, "GET", "/api/v1/openapi/specs/apis/tiny.json", nil); !strings.Contains(got["content"].(string), `"/a"`) {
		t.Fatalf("get: %v", got)
	}
	ts.expect(200, "DELETE", "/api/v1/openapi/specs/petstore.yaml", nil)
	ts.expectError(404, CodeNotFound, "", "DELETE", "/api/v1/openapi/specs/petstore.yaml", nil)
	ts.expectError(404, CodeNotFound, "", "GET", "/api/v1/openapi/specs/petstore.yaml", nil)
}

// An OpenAPI 3.1 description is checked with JSON Schema 2020-12 rules.
func TestOpenAPIRequestValidation31(t *testing.T) {
	ts := newTestServer(t)
	spec, err := os.ReadFile(oasExamples + "/3.1/train-travel.yaml")
	if err != nil {
		t.Fatal(err)
	}
	ts.expect(201, "POST", "/api/v1/generators/openapi", map[string]any{"spec": string(spec), "namespace": "tt", "validateRequests": true})
	const trip = "/stubs/tt/trips?origin=efdbb9d1-02c2-4bc3-afb7-6788d8782b1e&destination=b2e783e1-c824-4d63-b37a-d8d698862f1d"
	if r := ts.do("GET", trip+"&date=2024-02-01T09:00:00Z", nil); r.Status != 200 {
		t.Fatalf("a request that fits: %d %s", r.Status, r.Body)
	}
	if got := violationsOf(t, ts.do("GET", "/stubs/tt/trips?bicycles=maybe", nil)); !has(got, "query origin") || !has(got, "query destination") ||
		!has(got, "query date") || !has(got, "query bicycles") {
		t.Fatalf("trips: %v", got)
	}
	r := ts.do("POST", "/stubs/tt/bookings", map[string]any{"passenger_name": 5, "trip_id": "not-a-uuid"})
	if got := violationsOf(t, r); len(got) != 2 || !has(got, "body /passenger_name") || !has(got, "body /trip_id") {
		t.Fatalf("bookings: %v", got)
	}
	if strings.Contains(string(r.Body), "at '") {
		t.Fatalf("the field is named once, by field: %s", r.Body)
	}
	if r := ts.do("POST", "/stubs/tt/bookings", map[string]any{"passenger_name": "Ann", "trip_id": "efdbb9d1-02c2-4bc3-afb7-6788d8782b1e"}); r.Status != 201 {
		t.Fatalf("a booking that fits: %d %s", r.Status, r.Body)
	}
}

// The multipart form (curl -F file=@petstore.yaml -F validateRequests=true)
// registers the spec under the uploaded file's name.
func TestOpenAPIRequestValidationFromAForm(t *testing.T) {
	ts := newTestServer(t)
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	_ = w.WriteField("namespace", "pf")
	_ = w.WriteField("validateRequests", "true")
	fw, _ := w.CreateFormFile("file", "petstore.yaml")
	_, _ = fw.Write([]byte(petstoreSpec(t)))
	_ = w.Close()
	req, _ := http.NewRequest("POST", ts.URL+"/api/v1/generators/openapi", &buf)
	req.Header.Set("Content-Type", w.FormDataContentType())
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 201 {
		t.Fatalf("form: %d %s", res.StatusCode, b)
	}
	ts.expect(200, "GET", "/api/v1/openapi/specs/petstore.yaml?namespace=pf", nil)
	if got := violationsOf(t, ts.do("GET", "/stubs/pf/v2/pet/abc", nil)); !has(got, "path petId") {
		t.Fatalf("violations: %v", got)
	}
	// A name the registry cannot take is refused before anything is saved.
	ts.expectError(422, CodeValidation, "name", "POST", "/api/v1/generators/openapi",
		map[string]any{"spec": petstoreSpec(t), "namespace": "pf2", "validateRequests": true, "name": "my spec.txt"})
	ts.expectError(404, CodeNotFound, "", "GET", "/api/v1/mocks/openapi-pf2-getpetbyid", nil)
}
