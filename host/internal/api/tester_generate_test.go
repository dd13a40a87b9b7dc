package api

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// shopCollection is a Postman collection with saved example responses:
// a query parameter, a path variable with a value and one without, a JSON
// POST, a request saved twice, one without examples, and volatile and
// secret response headers.
const shopCollection = `{
  "info": {"name": "Shop", "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"},
  "variable": [{"key": "baseUrl", "value": "https://api.shop.test/v1"}],
  "item": [
    {"name": "Catalogue", "item": [
      {"name": "List books", "request": {"method": "GET", "url": "{{baseUrl}}/products?category=books"},
       "response": [
         {"name": "Server error", "code": 500, "status": "Internal Server Error", "header": [{"key": "Content-Type", "value": "application/json"}],
          "body": "{\"error\": \"down\"}",
          "originalRequest": {"method": "GET", "url": "{{baseUrl}}/products?category=books"}},
         {"name": "Books", "code": 200, "status": "OK",
          "header": [{"key": "Content-Type", "value": "application/json"}, {"key": "Date", "value": "Mon, 01 Jan 2024 10:00:00 GMT"},
                     {"key": "Set-Cookie", "value": "sid=abc"}, {"key": "X-Request-Id", "value": "r-1"}, {"key": "X-Total", "value": "2"}],
          "body": "[{\"id\": 7, \"title\": \"Dune\"}, {\"id\": 8, \"title\": \"Emma\"}]",
          "originalRequest": {"method": "GET", "url": "{{baseUrl}}/products?category=books"}}
       ]},
      {"name": "List books again", "request": {"method": "GET", "url": "{{baseUrl}}/products?category=books"},
       "response": [{"name": "Books", "code": 200, "header": [{"key": "Content-Type", "value": "application/json"}],
          "body": "[{\"id\": 7, \"title\": \"Dune\"}, {\"id\": 8, \"title\": \"Emma\"}]"}]},
      {"name": "Get product", "request": {"method": "GET", "url": {"raw": "{{baseUrl}}/products/:id", "host": ["{{baseUrl}}"], "path": ["products", ":id"],
          "variable": [{"key": "id", "value": "7"}]}},
       "response": [{"name": "Dune", "code": 200, "_postman_previewlanguage": "json", "body": "{\"id\": 7, \"title\": \"Dune\"}",
          "originalRequest": {"method": "GET", "url": {"raw": "{{baseUrl}}/products/:id", "host": ["{{baseUrl}}"], "path": ["products", ":id"],
            "variable": [{"key": "id", "value": "7"}]}}}]}
    ]},
    {"name": "Get user", "request": {"method": "GET", "url": "{{baseUrl}}/users/:userId"},
     "response": [{"name": "Ann", "code": 200, "header": [{"key": "Content-Type", "value": "application/json"}], "body": "{\"name\": \"Ann\"}"}]},
    {"name": "Create order", "request": {"method": "POST", "url": "{{baseUrl}}/orders",
       "header": [{"key": "Content-Type", "value": "application/json"}],
       "body": {"mode": "raw", "raw": "{\"item\": 7}", "options": {"raw": {"language": "json"}}}},
     "response": [{"name": "Created", "code": 201, "header": [{"key": "Content-Type", "value": "application/json"}], "body": "{\"order\": \"o-1\"}"}]},
    {"name": "Health", "request": {"method": "GET", "url": "{{baseUrl}}/health"}}
  ]
}`

func TestTesterGenerateFromExamples(t *testing.T) {
	s := newTestServer(t)
	imp := s.expect(http.StatusCreated, "POST", "/api/v1/api-tester/import/postman", map[string]any{"data": shopCollection, "namespace": "shop"})
	colID := imp["collectionId"].(string)

	out := s.expect(http.StatusCreated, "POST", "/api/v1/api-tester/generate-mocks-from-collection", map[string]any{"collectionId": colID})
	ids, _ := out["mockIds"].([]any)
	if out["created"] != float64(4) || len(ids) != 4 || out["updated"] != float64(0) || out["skipped"] != float64(1) || out["namespace"] != "shop" {
		t.Fatalf("one mock per distinct request, the one without examples skipped: %v", out)
	}
	warnings := mustJSON(t, out["warnings"])
	if !strings.Contains(warnings, "1 requests have no example response") ||
		!strings.Contains(warnings, `request \"List books\", example \"Books\": GET /v1/products was recorded 3 times`) {
		t.Errorf("warnings: %s", warnings)
	}
	for _, id := range ids {
		if !strings.HasPrefix(id.(string), "tester-") || strings.Contains(id.(string), "mkparam") {
			t.Errorf("id %v", id)
		}
	}
	mocks := mustJSON(t, out["mocks"])
	for _, gone := range []string{"Date", "Set-Cookie", "X-Request-Id"} {
		if strings.Contains(mocks, `"`+gone+`"`) {
			t.Errorf("volatile header %s is kept: %s", gone, mocks)
		}
	}
	if !strings.Contains(mocks, `"X-Total"`) || !strings.Contains(mocks, `"api-tester"`) {
		t.Errorf("mocks: %s", mocks)
	}

	// The mocks answer through /stubs.
	r := s.do("GET", "/stubs/shop/v1/products?category=books", nil)
	var books []map[string]any
	if r.Status != http.StatusOK || json.Unmarshal(r.Body, &books) != nil || len(books) != 2 || r.Header.Get("X-Total") != "2" {
		t.Fatalf("the success example is served: %d %s %v", r.Status, r.Body, r.Header)
	}
	if r := s.do("GET", "/stubs/shop/v1/products?category=music", nil); r.Status != http.StatusNotFound {
		t.Errorf("the query parameter is a condition: %d %s", r.Status, r.Body)
	}
	if r := s.do("GET", "/stubs/shop/v1/products/7", nil); r.Status != http.StatusOK || !strings.Contains(string(r.Body), "Dune") {
		t.Errorf("path variable with a value: %d %s", r.Status, r.Body)
	}
	if r := s.do("GET", "/stubs/shop/v1/users/u-42", nil); r.Status != http.StatusOK || !strings.Contains(string(r.Body), "Ann") {
		t.Errorf("path variable without a value is a route parameter: %d %s", r.Status, r.Body)
	}
	if r := s.do("POST", "/stubs/shop/v1/orders", `{"item": 99}`); r.Status != http.StatusCreated || !strings.Contains(string(r.Body), "o-1") {
		t.Errorf("a JSON body is not matched: %d %s", r.Status, r.Body)
	}

	// Again: the same ids, nothing new, hand edits kept.
	again := s.expect(http.StatusOK, "POST", "/api/v1/api-tester/generate-mocks-from-collection", map[string]any{"collectionId": colID, "useExamples": true})
	if again["created"] != float64(0) || again["unchanged"] != float64(4) || mustJSON(t, again["mockIds"]) != mustJSON(t, ids) {
		t.Errorf("re-run: %v", again)
	}
	// Another namespace and an id prefix.
	other := s.expect(http.StatusCreated, "POST", "/api/v1/api-tester/generate-mocks-from-collection",
		map[string]any{"collectionId": colID, "namespace": "staging", "prefix": "shop-stage"})
	if other["created"] != float64(4) || !strings.HasPrefix(other["mockIds"].([]any)[0].(string), "shop-stage-") {
		t.Errorf("prefix: %v", other)
	}
	if r := s.do("GET", "/stubs/staging/v1/products/7", nil); r.Status != http.StatusOK {
		t.Errorf("staging: %d %s", r.Status, r.Body)
	}
}

func TestTesterGenerateFromRun(t *testing.T) {
	s := newTestServer(t)
	imp := s.expect(http.StatusCreated, "POST", "/api/v1/api-tester/import/postman", map[string]any{"data": shopCollection, "namespace": "shop"})
	colID := imp["collectionId"].(string)
	step := func(method, url, reqBody string, code int, body string, truncated bool) map[string]any {
		return map[string]any{"itemId": "i", "name": url, "status": "passed", "tests": []any{},
			"request": map[string]any{"method": method, "url": url, "body": reqBody, "headers": []any{map[string]any{"key": "Content-Type", "value": "application/json"}}},
			"response": map[string]any{"code": code, "status": http.StatusText(code), "body": body, "bodyTruncated": truncated, "size": len(body),
				"headers": []any{map[string]any{"key": "Content-Type", "value": "application/json"}, map[string]any{"key": "Date", "value": "today"}}}}
	}
	report := map[string]any{"format": "mockarty-test-run",
		"run": map[string]any{"name": "nightly", "status": "completed", "collectionId": colID},
		"results": []any{
			step("GET", "https://api.shop.test/v1/stock?sku=a1", "", 200, `{"sku": "a1", "left": 3}`, false),
			step("POST", "https://api.shop.test/v1/carts", `{"sku": "a1"}`, 201, `{"cart": "c-9"}`, false),
			step("GET", "https://api.shop.test/v1/big", "", 200, `{"cut`, true),
			map[string]any{"itemId": "x", "name": "refused", "status": "error", "error": "connection refused", "tests": []any{}},
		}}
	run := s.expect(http.StatusCreated, "POST", "/api/v1/api-tester/reports/import", map[string]any{"data": mustJSON(t, report), "namespace": "shop"})
	out := s.expect(http.StatusCreated, "POST", "/api/v1/api-tester/generate-mocks-from-collection",
		map[string]any{"collectionId": colID, "fromRunId": run["id"], "useExamples": false, "matchBody": true})
	if out["created"] != float64(2) || out["skipped"] != float64(2) || !strings.Contains(mustJSON(t, out["warnings"]), "cut short") {
		t.Fatalf("from the run: %v", out)
	}
	if r := s.do("GET", "/stubs/shop/v1/stock?sku=a1", nil); r.Status != http.StatusOK || !strings.Contains(string(r.Body), `"left"`) {
		t.Errorf("stock: %d %s", r.Status, r.Body)
	}
	// matchBody: the JSON body is a condition.
	if r := s.do("POST", "/stubs/shop/v1/carts", `{"sku": "a1"}`); r.Status != http.StatusCreated {
		t.Errorf("carts, same body: %d %s", r.Status, r.Body)
	}
	if r := s.do("POST", "/stubs/shop/v1/carts", `{"sku": "zz"}`); r.Status != http.StatusNotFound {
		t.Errorf("carts, other body: %d %s", r.Status, r.Body)
	}

	// A run of another collection is refused.
	other := s.expect(http.StatusCreated, "POST", "/api/v1/api-tester/collections", map[string]any{"name": "Other", "namespace": "shop"})
	s.expectError(http.StatusUnprocessableEntity, CodeValidation, "fromRunId", "POST", "/api/v1/api-tester/generate-mocks-from-collection",
		map[string]any{"collectionId": other["id"], "fromRunId": run["id"]})
	s.expectError(http.StatusUnprocessableEntity, CodeValidation, "fromRunId", "POST", "/api/v1/api-tester/generate-mocks-from-collection",
		map[string]any{"collectionId": colID, "fromRunId": "nope"})
	s.expectError(http.StatusUnprocessableEntity, CodeValidation, "collectionId", "POST", "/api/v1/api-tester/generate-mocks-from-collection",
		map[string]any{"collectionId": other["id"]})
	s.expectError(http.StatusUnprocessableEntity, CodeValidation, "collectionId", "POST", "/api/v1/api-tester/generate-mocks-from-collection", map[string]any{})
	s.expectError(http.StatusUnprocessableEntity, CodeValidation, "useExamples", "POST", "/api/v1/api-tester/generate-mocks-from-collection",
		map[string]any{"collectionId": colID, "useExamples": false})
	s.expectError(http.StatusNotFound, CodeNotFound, "", "POST", "/api/v1/api-tester/generate-mocks-from-collection", map[string]any{"collectionId": "nope"})
}

func TestTesterGenerateMock(t *testing.T) {
	s := newTestServer(t)
	m := s.expect(http.StatusCreated, "POST", "/api/v1/api-tester/generate-mock", map[string]any{"namespace": "one",
		"request":  map[string]any{"method": "get", "url": "https://status.test/api/ping?verbose=1", "headers": map[string]any{"Accept": "text/plain"}},
		"response": map[string]any{"statusCode": 202, "headers": map[string]any{"Content-Type": "text/plain", "Date": "today", "X-Mode": []string{"a"}}, "body": "pong"}})
	id, _ := m["id"].(string)
	resp := mustJSON(t, m["response"])
	if id == "" || m["namespace"] != "one" || strings.Contains(resp, "Date") || !strings.Contains(resp, "X-Mode") {
		t.Fatalf("the mock: %v", m)
	}
	r := s.do("GET", "/stubs/one/api/ping?verbose=1", nil)
	if r.Status != http.StatusAccepted || string(r.Body) != "pong" || r.Header.Get("X-Mode") != "a" {
		t.Errorf("stub: %d %q %v", r.Status, r.Body, r.Header)
	}
	if r := s.do("GET", "/stubs/one/api/ping?verbose=0", nil); r.Status != http.StatusNotFound {
		t.Errorf("query condition: %d", r.Status)
	}

	// An explicit id, a JSON response object, a body matched on request.
	m = s.expect(http.StatusCreated, "POST", "/api/v1/api-tester/generate-mock", map[string]any{"namespace": "one", "id": "login-ok", "name": "Login works",
		"matchBody": true,
		"request":   map[string]any{"method": "POST", "url": "/auth/login", "body": map[string]any{"user": "ann"}, "headers": []any{map[string]any{"key": "Content-Type", "value": "application/json"}}},
		"response":  map[string]any{"statusCode": 200, "body": map[string]any{"ok": true}}})
	if m["id"] != "login-ok" || !strings.Contains(mustJSON(t, m["tags"]), "Login works") {
		t.Fatalf("explicit id: %v", m)
	}
	if v := s.expect(http.StatusOK, "POST", "/stubs/one/auth/login", `{"user": "ann"}`); v["ok"] != true {
		t.Errorf("login: %v", v)
	}
	if r := s.do("POST", "/stubs/one/auth/login", `{"user": "bob"}`); r.Status != http.StatusNotFound {
		t.Errorf("matchBody: %d %s", r.Status, r.Body)
	}

	// From a stored request: its example answers.
	imp := s.expect(http.StatusCreated, "POST", "/api/v1/api-tester/import/postman", map[string]any{"data": shopCollection, "namespace": "one"})
	reqs := s.list(http.StatusOK, "GET", "/api/v1/api-tester/collections/"+imp["collectionId"].(string)+"/requests", nil)
	var getProduct, health string
	for _, r := range reqs {
		switch r["name"] {
		case "Get product":
			getProduct = r["id"].(string)
		case "Health":
			health = r["id"].(string)
		}
	}
	m = s.expect(http.StatusCreated, "POST", "/api/v1/api-tester/generate-mock", map[string]any{"namespace": "one", "requestId": getProduct})
	if r := s.do("GET", "/stubs/one/v1/products/7", nil); r.Status != http.StatusOK || !strings.Contains(string(r.Body), "Dune") {
		t.Errorf("from a stored request (%v): %d %s", m["id"], r.Status, r.Body)
	}

	s.expectError(http.StatusUnprocessableEntity, CodeValidation, "request", "POST", "/api/v1/api-tester/generate-mock", map[string]any{"namespace": "one"})
	s.expectError(http.StatusUnprocessableEntity, CodeValidation, "response", "POST", "/api/v1/api-tester/generate-mock", map[string]any{"requestId": health})
	s.expectError(http.StatusUnprocessableEntity, CodeValidation, "response.statusCode", "POST", "/api/v1/api-tester/generate-mock",
		map[string]any{"request": map[string]any{"url": "/x"}, "response": map[string]any{"statusCode": 42}})
	s.expectError(http.StatusUnprocessableEntity, CodeValidation, "id", "POST", "/api/v1/api-tester/generate-mock",
		map[string]any{"id": "no spaces", "request": map[string]any{"url": "/x"}, "response": map[string]any{}})
	s.expectError(http.StatusUnprocessableEntity, CodeValidation, "request", "POST", "/api/v1/api-tester/generate-mock",
		map[string]any{"request": map[string]any{"url": "grpc://svc/pkg.S/M"}, "response": map[string]any{}})
	// The id is another namespace's mock: refused, not taken over.
	s.expectError(http.StatusConflict, CodeConflict, "", "POST", "/api/v1/api-tester/generate-mock", map[string]any{"namespace": "two", "id": "login-ok",
		"request": map[string]any{"url": "/auth/login"}, "response": map[string]any{"body": "x"}})
}
