package api

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestUIAPIAlias: /ui/api/<rest> is /api/v1/<rest> with the same
// authentication, permissions and handlers, as the integrations guide's
// CI examples call it; a path that exists under neither is the usual 404.
func TestUIAPIAlias(t *testing.T) {
	ts := fullServer(t)
	// No credential: the same 401 as the API.
	ts.expectError(401, CodeUnauthorized, "", "GET", "/ui/api/mocks", nil)
	ts.expectError(401, CodeUnauthorized, "", "POST", "/ui/api/integrations", map[string]any{"name": "x", "type": "mock_resolver"})
	admin := ts.login("admin", "admin-pass-1")
	tok, _ := ts.token(admin, map[string]any{"name": "ci"})
	bearer := []string{"Authorization", "Bearer " + tok}

	// The guide's integration calls, as written there.
	created := ts.expect(201, "POST", "/ui/api/integrations", `{"name": "resolver-prod-1", "type": "mock_resolver"}`, bearer...)
	id := created["integration"].(map[string]any)["id"].(string)
	if !strings.HasPrefix(created["token"].(string), "mki_") || created["integration"].(map[string]any)["enabled"] != true {
		t.Fatalf("created: %v", created)
	}
	// curl -d without a Content-Type header sends a form type.
	ts.expect(200, "PUT", "/ui/api/integrations/"+id, `{"enabled": false}`, append([]string{"Content-Type", "application/x-www-form-urlencoded"}, bearer...)...)
	list := ts.expect(200, "GET", "/api/v1/integrations", nil, bearer...)
	if !strings.Contains(mustJSON(t, list), `"enabled":false`) {
		t.Fatalf("the PUT through the alias did not reach the API: %v", list)
	}
	ts.expect(200, "DELETE", "/ui/api/integrations/"+id, nil, bearer...)

	// Everything else under /api/v1 too: what one side writes the other reads.
	ts.expect(201, "POST", "/ui/api/mocks", httpMock("via-ui", "/via-ui"), bearer...)
	if m := ts.expect(200, "GET", "/api/v1/mocks/via-ui", nil, bearer...); m["id"] != "via-ui" {
		t.Fatalf("mock made through the alias: %v", m)
	}
	ts.expect(200, "GET", "/ui/api/mocks/via-ui", nil, "Cookie", admin)
	if r := ts.do("GET", "/ui/api/admin/users", nil, bearer...); r.Status != 200 || !strings.Contains(string(r.Body), `"username":"admin"`) {
		t.Fatalf("admin users through the alias: %d %s", r.Status, r.Body)
	}

	// A token's permissions hold on the alias.
	readOnly, _ := ts.token(admin, map[string]any{"name": "ro", "permissions": []string{"read"}})
	ts.expect(200, "GET", "/ui/api/mocks", nil, key(readOnly)...)
	ts.expectError(403, CodeForbidden, "", "POST", "/ui/api/mocks", httpMock("ro", "/ro"), key(readOnly)...)

	// The login route is open on both.
	ts.expect(200, "POST", "/ui/api/auth/login", map[string]string{"username": "admin", "password": "admin-pass-1"})

	// The guide's CI run of a collection is served through the alias (it
	// needs a collectionId).
	ts.expectError(422, CodeValidation, "collectionId", "POST", "/ui/api/test-runs/run", `{}`, bearer...)
	// So is its load run (this test server runs no perf plugin: 503).
	ts.expectError(503, CodeUnavailable, "", "POST", "/ui/api/perf/run", `{}`, bearer...)
	// A path this server does not have: the usual 404, naming the path as called.
	if v := ts.expectError(404, CodeNotFound, "", "POST", "/ui/api/perf/nope", `{}`, bearer...); !strings.Contains(v["error"].(string), "/ui/api/perf/nope") {
		t.Fatalf("404: %v", v)
	}
	// Only /ui/api itself and what is below it is the alias.
	ts.expectError(404, CodeNotFound, "", "GET", "/ui/apimocks", nil, bearer...)
	ts.expectError(404, CodeNotFound, "", "GET", "/ui/api", nil, bearer...)
}

// TestUIAPIAliasWithCurl: the guide's CI upload, with curl, through the
// alias onto a registry and a generator.
func TestUIAPIAliasWithCurl(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("curl is not installed: TestUIAPIAlias covers the alias with net/http")
	}
	ts := fullServer(t)
	admin := ts.login("admin", "admin-pass-1")
	tok, _ := ts.token(admin, map[string]any{"name": "ci"})
	dir := t.TempDir()
	proto := filepath.Join(dir, "shop.proto")
	if err := os.WriteFile(proto, []byte(shopProto), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/ui/api/protos", "/ui/api/generators/grpc"} {
		out, err := exec.Command("curl", "-sS", "-X", "POST", ts.URL+path, "-H", "Authorization: Bearer "+tok,
			"-F", "file=@"+proto, "-F", "namespace=ci-tests", "-w", "\n%{http_code}").CombinedOutput()
		if err != nil || !strings.HasSuffix(string(out), "201") || !strings.Contains(string(out), `"namespace":"ci-tests"`) {
			t.Fatalf("curl %s: %v\n%s", path, err, out)
		}
	}
	if m := ts.expect(200, "GET", "/api/v1/mocks/grpc-shop.orders-getorder", nil, key(tok)...); m["namespace"] != "ci-tests" {
		t.Fatalf("generated through the alias: %v", m)
	}
}
