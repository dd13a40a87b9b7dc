package api

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mockarty-oss/mockarty/host/internal/auth"
	"github.com/mockarty-oss/mockarty/sdk/plugintest"
)

func fullServer(t *testing.T, o ...serverOpts) *testServer {
	t.Helper()
	opts := serverOpts{authMode: auth.ModeFull}
	if len(o) > 0 {
		opts = o[0]
		opts.authMode = auth.ModeFull
	}
	return newTestServer(t, opts)
}

// login returns the session cookie header of a user.
func (s *testServer) login(user, pw string) string {
	s.t.Helper()
	r := s.do("POST", "/api/v1/auth/login", map[string]string{"username": user, "password": pw})
	if r.Status != 200 {
		s.t.Fatalf("login %s: %d %s", user, r.Status, r.Body)
	}
	for _, c := range r.Header.Values("Set-Cookie") {
		if strings.HasPrefix(c, SessionCookie+"=") {
			return strings.SplitN(c, ";", 2)[0]
		}
	}
	s.t.Fatalf("login %s set no session cookie: %v", user, r.Header)
	return ""
}

// token creates an API token for the session and returns its secret.
func (s *testServer) token(cookie string, body map[string]any) (secret, id string) {
	s.t.Helper()
	v := s.expect(201, "POST", "/api/v1/auth/tokens", body, "Cookie", cookie)
	return v["token"].(string), v["id"].(string)
}

// user creates a user as admin and returns a token with every permission.
func (s *testServer) user(adminCookie, name string) string {
	s.t.Helper()
	s.expect(201, "POST", "/api/v1/admin/users", map[string]any{"username": name, "password": name + "-pass-1",
		"email": name + "@example.test"}, "Cookie", adminCookie)
	tok, _ := s.token(s.login(name, name+"-pass-1"), map[string]any{"name": name + "-all"})
	return tok
}

func key(tok string) []string { return []string{"X-API-Key", tok} }

func TestAuthRequiredExceptOpenRoutes(t *testing.T) {
	ts := fullServer(t)
	ts.expectError(401, CodeUnauthorized, "", "GET", "/api/v1/mocks", nil)
	ts.expectError(401, CodeUnauthorized, "", "GET", "/api/v1/mocks", nil, key("mk_not-a-real-token")...)
	ts.expectError(401, CodeUnauthorized, "", "GET", "/api/v1/mocks", nil, "Authorization", "Bearer mk_nope")
	ts.expectError(401, CodeUnauthorized, "", "GET", "/api/v1/mocks", nil, key("mki_abc_def")...)
	ts.expectError(401, CodeUnauthorized, "", "GET", "/api/v1/mocks", nil, "Cookie", SessionCookie+"=forged")
	ts.expectError(401, CodeUnauthorized, "", "POST", "/api/v1/auth/login", map[string]string{"username": "admin", "password": "wrong"})
	ts.expectError(401, CodeUnauthorized, "", "POST", "/api/v1/auth/login", map[string]string{"username": "ghost", "password": "wrong"})

	// Mock traffic and the find contract stay open (api-reference section 15), and so do the probes.
	admin := ts.login("admin", "admin-pass-1")
	ts.expect(201, "POST", "/api/v1/mocks", httpMock("open", "/open"), "Cookie", admin)
	if r := ts.do("GET", "/stubs/sandbox/open", nil); r.Status != 200 {
		t.Fatalf("stubs: %d %s", r.Status, r.Body)
	}
	ts.expect(200, "POST", "/mock/findHttp", map[string]any{"method": "GET", "path": "/open"})
	ts.expect(200, "GET", "/health", nil)
	ts.expect(200, "GET", "/health/live", nil)
}

func TestSessionCookieAndLogout(t *testing.T) {
	ts := fullServer(t)
	r := ts.do("POST", "/api/v1/auth/login", map[string]string{"username": "ADMIN", "password": "admin-pass-1"})
	if r.Status != 200 {
		t.Fatalf("login: %d %s", r.Status, r.Body)
	}
	raw := r.Header.Get("Set-Cookie")
	for _, want := range []string{SessionCookie + "=", "HttpOnly", "SameSite=Lax", "expires="} {
		if !strings.Contains(strings.ToLower(raw), strings.ToLower(want)) {
			t.Fatalf("cookie %q lacks %q", raw, want)
		}
	}
	cookie := strings.SplitN(raw, ";", 2)[0]
	me := ts.expect(200, "GET", "/api/v1/auth/me", nil, "Cookie", cookie)
	if me["username"] != "admin" || me["role"] != "admin" || me["via"] != "session" {
		t.Fatalf("me: %v", me)
	}
	ts.expect(200, "POST", "/api/v1/auth/logout", nil, "Cookie", cookie)
	ts.expectError(401, CodeUnauthorized, "", "GET", "/api/v1/auth/me", nil, "Cookie", cookie)
}

func TestAPITokens(t *testing.T) {
	ts := fullServer(t)
	admin := ts.login("admin", "admin-pass-1")
	all, allID := ts.token(admin, map[string]any{"name": "all"})
	if !strings.HasPrefix(all, auth.TokenPrefix) {
		t.Fatalf("token %q", all)
	}
	ro, _ := ts.token(admin, map[string]any{"name": "read-only", "permissions": []string{"read"}})

	// Both headers work.
	ts.expect(201, "POST", "/api/v1/mocks", httpMock("m1", "/m1"), key(all)...)
	ts.expect(200, "GET", "/api/v1/mocks/m1", nil, "Authorization", "Bearer "+all)
	// Permissions: a read token reads but cannot write or delete.
	ts.expect(200, "GET", "/api/v1/mocks/m1", nil, key(ro)...)
	ts.expectError(403, CodeForbidden, "", "POST", "/api/v1/mocks", httpMock("m2", "/m2"), key(ro)...)
	ts.expectError(403, CodeForbidden, "", "DELETE", "/api/v1/mocks/m1", nil, key(ro)...)

	// The secret is shown once: never in a list or a get.
	list := ts.expect(200, "GET", "/api/v1/auth/tokens", nil, "Cookie", admin)
	if n := list["total"].(float64); n != 2 {
		t.Fatalf("tokens: %v", list)
	}
	got := ts.do("GET", "/api/v1/auth/tokens/"+allID, nil, "Cookie", admin)
	for _, body := range []string{string(got.Body), mustJSON(t, list)} {
		if strings.Contains(string(body), all) || strings.Contains(string(body), auth.HashSecret(all)) {
			t.Fatalf("a token's secret or hash leaked: %s", body)
		}
	}
	// Rename, then revoke: it stops working at once.
	ts.expect(200, "PATCH", "/api/v1/auth/tokens/"+allID, map[string]any{"name": "renamed"}, "Cookie", admin)
	ts.expect(200, "GET", "/api/v1/mocks", nil, key(all)...) // cached as valid
	ts.expect(200, "DELETE", "/api/v1/auth/tokens/"+allID, nil, "Cookie", admin)
	v := ts.expectError(401, CodeUnauthorized, "", "GET", "/api/v1/mocks", nil, key(all)...)
	if !strings.Contains(v["error"].(string), "revoked") {
		t.Fatalf("revoked token message: %v", v)
	}

	// Expiry: a token that expires stops working (also when it was cached).
	soon, _ := ts.token(admin, map[string]any{"name": "soon", "expiresAt": time.Now().Add(700 * time.Millisecond).UnixMilli()})
	ts.expect(200, "GET", "/api/v1/mocks", nil, key(soon)...)
	plugintest.Eventually(t, 20*time.Second, func() bool {
		return ts.do("GET", "/api/v1/mocks", nil, key(soon)...).Status == 401
	}, "the token refused once it expired")
	ts.expectError(401, CodeUnauthorized, "", "GET", "/api/v1/mocks", nil, key(soon)...)
	ts.expectError(422, CodeValidation, "expiresAt", "POST", "/api/v1/auth/tokens",
		map[string]any{"name": "past", "expiresAt": 1000}, "Cookie", admin)
	ts.expectError(422, CodeValidation, "permissions", "POST", "/api/v1/auth/tokens",
		map[string]any{"name": "x", "permissions": []string{"admin"}}, "Cookie", admin)
	ts.expectError(422, CodeValidation, "name", "POST", "/api/v1/auth/tokens", map[string]any{}, "Cookie", admin)
	// Another user's token is not found.
	bob := ts.user(admin, "bob")
	ts.expectError(404, CodeNotFound, "", "GET", "/api/v1/auth/tokens/"+allID, nil, key(bob)...)
}

func TestNamespaceIsolation(t *testing.T) {
	ts := fullServer(t)
	admin := ts.login("admin", "admin-pass-1")
	alice, bob := ts.user(admin, "alice"), ts.user(admin, "bob")
	ts.expect(201, "POST", "/api/v1/namespaces", map[string]string{"name": "team-a"}, key(alice)...)
	ts.expect(201, "POST", "/api/v1/namespaces", map[string]string{"name": "team-b"}, key(bob)...)
	a := httpMock("a-secret", "/a")
	a["namespace"] = "team-a"
	ts.expect(201, "POST", "/api/v1/mocks", a, key(alice)...)
	b := httpMock("b-own", "/b")
	b["namespace"] = "team-b"
	ts.expect(201, "POST", "/api/v1/mocks", b, key(bob)...)
	ts.expect(200, "POST", "/api/v1/stores/global?namespace=team-a", map[string]any{"key": "k", "value": 1}, key(alice)...)

	// Bob cannot read, list, copy from or into, or preview team-a.
	ts.expectError(404, CodeNotFound, "", "GET", "/api/v1/mocks/a-secret", nil, key(bob)...)
	ts.expectError(403, CodeForbidden, "", "GET", "/api/v1/mocks?namespace=team-a", nil, key(bob)...)
	list := ts.expect(200, "GET", "/api/v1/mocks", nil, key(bob)...)
	if got := ids(list["items"].([]any)); len(got) != 1 || got[0] != "b-own" {
		t.Fatalf("bob lists %v", got)
	}
	ns := ts.expect(200, "GET", "/api/v1/namespaces", nil, key(bob)...)
	if names := ns["namespaces"].([]any); len(names) != 1 || names[0] != "team-b" {
		t.Fatalf("bob sees namespaces %v", names)
	}
	ts.expectError(404, CodeNotFound, "", "POST", "/api/v1/mocks/copy-to-namespace",
		map[string]any{"mockIds": []string{"a-secret"}, "targetNamespace": "team-b"}, key(bob)...)
	ts.expectError(403, CodeForbidden, "", "POST", "/api/v1/mocks/copy-to-namespace",
		map[string]any{"mockIds": []string{"b-own"}, "targetNamespace": "team-a"}, key(bob)...)
	ts.expectError(403, CodeForbidden, "", "GET", "/api/v1/mocks/preview?namespace=team-a&path=/a", nil, key(bob)...)
	ts.expectError(403, CodeForbidden, "", "GET", "/api/v1/stores/global?namespace=team-a", nil, key(bob)...)
	ts.expectError(404, CodeNotFound, "", "GET", "/api/v1/mocks/a-secret/logs", nil, key(bob)...)
	ts.expectError(404, CodeNotFound, "", "DELETE", "/api/v1/mocks/a-secret", nil, key(bob)...)
	ts.expectError(404, CodeNotFound, "", "DELETE", "/api/v1/mocks/batch", map[string]any{"mockIds": []string{"a-secret"}}, key(bob)...)
	// Taking over alice's mock id from his own namespace is refused.
	steal := httpMock("a-secret", "/stolen")
	steal["namespace"] = "team-b"
	ts.expectError(409, CodeConflict, "", "POST", "/api/v1/mocks", steal, key(bob)...)
	// Creating in team-a is refused.
	in := httpMock("b-in-a", "/x")
	in["namespace"] = "team-a"
	ts.expectError(403, CodeForbidden, "", "POST", "/api/v1/mocks", in, key(bob)...)

	// As a viewer of team-a, bob reads but does not write.
	ts.expect(201, "POST", "/api/v1/namespaces/team-a/users", map[string]any{"username": "bob", "role": "viewer"}, key(alice)...)
	ts.expect(200, "GET", "/api/v1/mocks/a-secret", nil, key(bob)...)
	ts.expectError(403, CodeForbidden, "", "POST", "/api/v1/mocks", in, key(bob)...)
	ts.expectError(403, CodeForbidden, "", "DELETE", "/api/v1/mocks/a-secret", nil, key(bob)...)
	ts.expectError(403, CodeForbidden, "", "PATCH", "/api/v1/mocks/a-secret", map[string]any{"priority": 3}, key(bob)...)
	// A viewer cannot manage members; an editor writes.
	ts.expectError(403, CodeForbidden, "", "PUT", "/api/v1/namespaces/team-a/users/"+userID(t, ts, admin, "bob")+"/role",
		map[string]any{"role": "owner"}, key(bob)...)
	ts.expect(200, "PUT", "/api/v1/namespaces/team-a/users/"+userID(t, ts, admin, "bob")+"/role", map[string]any{"role": "editor"}, key(alice)...)
	ts.expect(201, "POST", "/api/v1/mocks", in, key(bob)...)
	// Removed: access ends at once.
	ts.expect(200, "DELETE", "/api/v1/namespaces/team-a/users/"+userID(t, ts, admin, "bob"), nil, key(alice)...)
	ts.expectError(404, CodeNotFound, "", "GET", "/api/v1/mocks/a-secret", nil, key(bob)...)
	// Admins see everything.
	all := ts.expect(200, "GET", "/api/v1/mocks", nil, "Cookie", admin)
	if all["total"].(float64) != 3 {
		t.Fatalf("admin lists %v", all["total"])
	}
}

func userID(t *testing.T, ts *testServer, admin, login string) string {
	t.Helper()
	r := ts.do("GET", "/api/v1/admin/users", nil, "Cookie", admin)
	var users []map[string]any
	if err := json.Unmarshal(r.Body, &users); err != nil {
		t.Fatalf("users is not a bare array: %s", r.Body)
	}
	for _, u := range users {
		if u["username"] == login {
			return u["id"].(string)
		}
	}
	t.Fatalf("no user %s", login)
	return ""
}

func TestTokenLimitedToNamespaces(t *testing.T) {
	ts := fullServer(t)
	admin := ts.login("admin", "admin-pass-1")
	ts.user(admin, "carol")
	carol := ts.login("carol", "carol-pass-1")
	ts.expect(201, "POST", "/api/v1/namespaces", map[string]string{"name": "c1"}, "Cookie", carol)
	ts.expect(201, "POST", "/api/v1/namespaces", map[string]string{"name": "c2"}, "Cookie", carol)
	// A token cannot be limited to a namespace its user cannot read.
	ts.expectError(403, CodeForbidden, "", "POST", "/api/v1/auth/tokens", map[string]any{"name": "x", "namespaces": []string{"team-zz"}}, "Cookie", carol)
	tok, _ := ts.token(carol, map[string]any{"name": "c1-only", "namespaces": []string{"c1"}})
	m := httpMock("in-c1", "/c1")
	m["namespace"] = "c1"
	ts.expect(201, "POST", "/api/v1/mocks", m, key(tok)...)
	m = httpMock("in-c2", "/c2")
	m["namespace"] = "c2"
	ts.expectError(403, CodeForbidden, "", "POST", "/api/v1/mocks", m, key(tok)...)
	ts.expect(201, "POST", "/api/v1/mocks", m, "Cookie", carol)
	ts.expectError(404, CodeNotFound, "", "GET", "/api/v1/mocks/in-c2", nil, key(tok)...)
}

func TestLoginBruteForceIsThrottled(t *testing.T) {
	ts := fullServer(t, serverOpts{loginLimit: 3})
	for i := 0; i < 3; i++ {
		ts.expectError(401, CodeUnauthorized, "", "POST", "/api/v1/auth/login", map[string]string{"username": "admin", "password": "guess" + strconv.Itoa(i)})
	}
	r := ts.do("POST", "/api/v1/auth/login", map[string]string{"username": "admin", "password": "admin-pass-1"})
	if r.Status != http.StatusTooManyRequests || r.Header.Get("Retry-After") == "" {
		t.Fatalf("after 3 failures even the right password waits: %d %v %s", r.Status, r.Header, r.Body)
	}
	checkEnvelope(t, r, r.JSON(t), CodeRateLimit, "")
}

func TestRateLimitPerCredential(t *testing.T) {
	ts := fullServer(t, serverOpts{rateLimit: 60, rateBurst: 5})
	admin := ts.login("admin", "admin-pass-1") // the login route is not rate limited by the API limit
	var last *resp
	for i := 0; i < 7; i++ {
		last = ts.do("GET", "/api/v1/mocks", nil, "Cookie", admin)
	}
	if last.Status != http.StatusTooManyRequests || last.Header.Get("Retry-After") == "" {
		t.Fatalf("7 calls with a burst of 5: %d %v", last.Status, last.Header)
	}
	// Anonymous calls are limited per client address.
	for i := 0; i < 7; i++ {
		last = ts.do("GET", "/api/v1/mocks", nil)
	}
	if last.Status != http.StatusTooManyRequests {
		t.Fatalf("anonymous calls: %d", last.Status)
	}
}

func TestAdminUsers(t *testing.T) {
	ts := fullServer(t)
	admin := ts.login("admin", "admin-pass-1")
	dave := ts.user(admin, "dave")
	id := userID(t, ts, admin, "dave")
	// Not an admin: 403 on every admin route.
	ts.expectError(403, CodeForbidden, "", "GET", "/api/v1/admin/users", nil, key(dave)...)
	ts.expectError(403, CodeForbidden, "", "POST", "/api/v1/integrations", map[string]any{"name": "x", "type": "test_runner"}, key(dave)...)
	ts.expectError(403, CodeForbidden, "", "POST", "/api/v1/plugins/http/restart", nil, key(dave)...)
	// Validation.
	ts.expectError(422, CodeValidation, "password", "POST", "/api/v1/admin/users", map[string]any{"username": "eve", "password": "short"}, "Cookie", admin)
	ts.expectError(409, CodeConflict, "", "POST", "/api/v1/admin/users", map[string]any{"username": "dave", "password": "long-enough"}, "Cookie", admin)
	ts.expectError(422, CodeValidation, "role", "PUT", "/api/v1/admin/users/"+id, map[string]any{"role": "god"}, "Cookie", admin)
	// Disable: tokens and logins stop at once; enable brings them back.
	ts.expect(200, "POST", "/api/v1/admin/users/"+id+"/disable", nil, "Cookie", admin)
	ts.expectError(401, CodeUnauthorized, "", "GET", "/api/v1/mocks", nil, key(dave)...)
	ts.expectError(401, CodeUnauthorized, "", "POST", "/api/v1/auth/login", map[string]string{"username": "dave", "password": "dave-pass-1"})
	ts.expect(200, "POST", "/api/v1/admin/users/"+id+"/enable", nil, "Cookie", admin)
	ts.expect(200, "GET", "/api/v1/mocks", nil, key(dave)...)
	// Promote, set a password, delete.
	u := ts.expect(200, "PUT", "/api/v1/admin/users/"+id, map[string]any{"role": "admin", "email": "d@example.test"}, "Cookie", admin)
	if u["role"] != "admin" || u["email"] != "d@example.test" {
		t.Fatalf("update: %v", u)
	}
	ts.expect(200, "POST", "/api/v1/admin/users/"+id+"/password", map[string]any{"password": "new-dave-pass"}, "Cookie", admin)
	ts.login("dave", "new-dave-pass")
	ts.expect(200, "DELETE", "/api/v1/admin/users/"+id, nil, "Cookie", admin)
	ts.expectError(401, CodeUnauthorized, "", "GET", "/api/v1/mocks", nil, key(dave)...)
	// The last admin cannot be removed, demoted or disabled.
	adminID := userID(t, ts, admin, "admin")
	ts.expectError(409, CodeConflict, "", "DELETE", "/api/v1/admin/users/"+adminID, nil, "Cookie", admin)
	ts.expectError(409, CodeConflict, "", "PUT", "/api/v1/admin/users/"+adminID, map[string]any{"role": "user"}, "Cookie", admin)
	ts.expectError(409, CodeConflict, "", "POST", "/api/v1/admin/users/"+adminID+"/disable", nil, "Cookie", admin)
	// Change one's own password: the old one stops working.
	ts.expectError(403, CodeForbidden, "", "POST", "/api/v1/auth/change-password",
		map[string]any{"currentPassword": "wrong", "newPassword": "admin-pass-2"}, "Cookie", admin)
	ts.expect(200, "POST", "/api/v1/auth/change-password",
		map[string]any{"currentPassword": "admin-pass-1", "newPassword": "admin-pass-2"}, "Cookie", admin)
	ts.expectError(401, CodeUnauthorized, "", "POST", "/api/v1/auth/login", map[string]string{"username": "admin", "password": "admin-pass-1"})
	ts.login("admin", "admin-pass-2")
}

func TestOneTimePasswordMustBeChanged(t *testing.T) {
	ts := fullServer(t)
	admin := ts.login("admin", "admin-pass-1")
	id := ts.expect(201, "POST", "/api/v1/admin/users", map[string]any{"username": "fred", "password": "temporary-1"}, "Cookie", admin)["id"].(string)
	ts.expect(200, "POST", "/api/v1/admin/users/"+id+"/password", map[string]any{"password": "temporary-2", "mustChange": true}, "Cookie", admin)
	fred := ts.login("fred", "temporary-2")
	ts.expectError(403, CodeForbidden, "", "GET", "/api/v1/mocks", nil, "Cookie", fred)
	me := ts.expect(200, "GET", "/api/v1/auth/me", nil, "Cookie", fred)
	if me["mustChangePassword"] != true {
		t.Fatalf("me: %v", me)
	}
	ts.expect(200, "POST", "/api/v1/auth/change-password", map[string]any{"oldPassword": "temporary-2", "newPassword": "fred-pass-1"}, "Cookie", fred)
	ts.expect(200, "GET", "/api/v1/mocks", nil, "Cookie", fred)
}

func TestIntegrationTokens(t *testing.T) {
	ts := fullServer(t)
	admin := ts.login("admin", "admin-pass-1")
	ts.expect(201, "POST", "/api/v1/mocks", httpMock("for-nodes", "/n"), "Cookie", admin)
	ts.expectError(422, CodeValidation, "type", "POST", "/api/v1/integrations", map[string]any{"name": "x", "type": "root"}, "Cookie", admin)
	created := ts.expect(201, "POST", "/ui/api/integrations", map[string]any{"name": "resolver-1", "type": "mock_resolver"}, "Cookie", admin)
	tok := created["token"].(string)
	id := created["integration"].(map[string]any)["id"].(string)
	if !strings.HasPrefix(tok, auth.IntegrationPrefix) {
		t.Fatalf("token %q", tok)
	}
	ts.expect(200, "GET", "/api/v1/mocks/for-nodes", nil, "Authorization", "Bearer "+tok)
	ts.expectError(403, CodeForbidden, "", "POST", "/api/v1/mocks", httpMock("x", "/x"), "Authorization", "Bearer "+tok)
	ts.expectError(403, CodeForbidden, "", "GET", "/api/v1/admin/users", nil, "Authorization", "Bearer "+tok)
	// Disable (revoke) and enable.
	ts.expect(200, "POST", "/api/v1/integrations/"+id+"/revoke", nil, "Cookie", admin)
	ts.expectError(401, CodeUnauthorized, "", "GET", "/api/v1/mocks", nil, key(tok)...)
	ts.expect(200, "PUT", "/ui/api/integrations/"+id, map[string]any{"enabled": true}, "Cookie", admin)
	ts.expect(200, "GET", "/api/v1/mocks", nil, key(tok)...)
	// Rotate: the old token dies, the new one works.
	rotated := ts.expect(200, "POST", "/api/v1/integrations/"+id+"/rotate", nil, "Cookie", admin)["token"].(string)
	ts.expectError(401, CodeUnauthorized, "", "GET", "/api/v1/mocks", nil, key(tok)...)
	ts.expect(200, "GET", "/api/v1/mocks", nil, key(rotated)...)
	// The list never shows a token or its hash.
	list := ts.do("GET", "/api/v1/integrations", nil, "Cookie", admin)
	row, err := ts.Store.GetIntegration(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(list.Body), rotated) || strings.Contains(string(list.Body), row.Hash) {
		t.Fatalf("integration list leaks the token: %s", list.Body)
	}
	ts.expect(200, "DELETE", "/api/v1/integrations/"+id, nil, "Cookie", admin)
	ts.expectError(401, CodeUnauthorized, "", "GET", "/api/v1/mocks", nil, key(rotated)...)
}

func TestAdminNamespacesAndAudit(t *testing.T) {
	ts := fullServer(t)
	admin := ts.login("admin", "admin-pass-1")
	m := httpMock("gone-with-ns", "/g")
	m["namespace"] = "old-team"
	ts.expect(201, "POST", "/api/v1/mocks", m, "Cookie", admin)
	r := ts.do("GET", "/api/v1/admin/namespaces", nil, "Cookie", admin)
	var list []map[string]any
	if err := json.Unmarshal(r.Body, &list); err != nil {
		t.Fatalf("admin namespaces is not a bare array: %s", r.Body)
	}
	found := false
	for _, n := range list {
		if n["name"] == "old-team" && n["mockCount"].(float64) == 1 {
			found = true
		}
	}
	if !found {
		t.Fatalf("old-team with 1 mock not listed: %s", r.Body)
	}
	ts.expect(200, "DELETE", "/api/v1/admin/namespaces/old-team", nil, "Cookie", admin)
	if r := ts.do("GET", "/stubs/old-team/g", nil); r.Status == 200 {
		t.Fatal("a deleted namespace's mocks must stop answering")
	}
	ts.expect(200, "PUT", "/api/v1/admin/namespaces/old-team/restore", nil, "Cookie", admin)
	if r := ts.do("GET", "/stubs/old-team/g", nil); r.Status != 200 {
		t.Fatalf("restored namespace: %d %s", r.Status, r.Body)
	}
	ts.expectError(404, CodeNotFound, "", "DELETE", "/api/v1/admin/namespaces/never-was", nil, "Cookie", admin)

	// Members through the admin routes (bare arrays, as the SDKs read them).
	ts.user(admin, "gina")
	gid := userID(t, ts, admin, "gina")
	ts.expect(201, "POST", "/api/v1/admin/namespaces/old-team/users", map[string]any{"userId": gid, "role": "editor"}, "Cookie", admin)
	r = ts.do("GET", "/api/v1/admin/namespaces/old-team/users", nil, "Cookie", admin)
	var members []map[string]any
	if err := json.Unmarshal(r.Body, &members); err != nil || len(members) != 1 || members[0]["username"] != "gina" || members[0]["role"] != "editor" {
		t.Fatalf("members: %s", r.Body)
	}
	ts.expectError(422, CodeValidation, "role", "PUT", "/api/v1/admin/namespaces/old-team/users/"+gid+"/role", map[string]any{"role": "boss"}, "Cookie", admin)

	// The audit trail has the security-relevant actions, and no secrets.
	tok, tid := ts.token(admin, map[string]any{"name": "audited"})
	ts.expect(200, "DELETE", "/api/v1/auth/tokens/"+tid, nil, "Cookie", admin)
	if r := ts.do("POST", "/api/v1/auth/login", map[string]string{"username": "gina", "password": "nope"}); r.Status != 401 {
		t.Fatalf("wrong password: %d %s", r.Status, r.Body)
	}
	events := ts.expect(200, "GET", "/api/v1/admin/audit?limit=100", nil, "Cookie", admin)["events"].([]any)
	seen := map[string]bool{}
	for _, e := range events {
		ev := e.(map[string]any)
		seen[ev["action"].(string)+"/"+strconv.FormatBool(ev["success"].(bool))] = true
	}
	for _, want := range []string{"auth.login/true", "auth.login/false", "user.create/true", "token.create/true",
		"token.revoke/true", "member.add/true", "namespace.delete/true", "namespace.restore/true"} {
		if !seen[want] {
			t.Errorf("audit lacks %s (has %v)", want, seen)
		}
	}
	csv := ts.do("GET", "/api/v1/admin/audit/export?format=csv", nil, "Cookie", admin)
	if csv.Status != 200 || !strings.HasPrefix(string(csv.Body), "id,time,actor,action") {
		t.Fatalf("csv export: %d %s", csv.Status, csv.Body)
	}

	// No hash of any secret appears in any response or log line.
	users, _ := ts.Store.Users(t.Context())
	toks, _ := ts.Store.APITokens(t.Context(), "")
	secrets := []string{tok, auth.HashSecret(tok)}
	for _, u := range users {
		secrets = append(secrets, u.PasswordHash)
	}
	for _, tk := range toks {
		secrets = append(secrets, tk.Hash)
	}
	bodies := []string{ts.Logs.String(), string(csv.Body), mustJSON(t, events),
		string(ts.do("GET", "/api/v1/admin/users", nil, "Cookie", admin).Body),
		string(ts.do("GET", "/api/v1/auth/tokens?all=true", nil, "Cookie", admin).Body),
		string(ts.do("GET", "/api/v1/auth/me", nil, "Cookie", admin).Body)}
	for _, sec := range secrets {
		for _, b := range bodies {
			if sec != "" && strings.Contains(b, sec) {
				t.Fatalf("a secret or its hash (%.12s...) appears in a response or log line", sec)
			}
		}
	}
}

func TestLocalModeNeedsNoLogin(t *testing.T) {
	ts := newTestServer(t, serverOpts{authMode: auth.ModeLocal})
	ts.expect(201, "POST", "/api/v1/mocks", httpMock("local", "/local"), nil...)
	me := ts.expect(200, "GET", "/api/v1/auth/me", nil)
	if me["authMode"] != "local" || me["role"] != "admin" {
		t.Fatalf("me in local mode: %v", me)
	}
	ts.expect(200, "POST", "/api/v1/auth/login", map[string]string{"username": "x", "password": "y"})
	ts.expectError(409, CodeConflict, "", "POST", "/api/v1/auth/tokens", map[string]any{"name": "t"})
}

// TestIsolationOfOtherResources: templates, folders, tags and unmatched
// requests of a namespace are out of reach of a user without a role there.
func TestIsolationOfOtherResources(t *testing.T) {
	ts := fullServer(t)
	admin := ts.login("admin", "admin-pass-1")
	alice, bob := ts.user(admin, "alice"), ts.user(admin, "bob")
	ts.expect(201, "POST", "/api/v1/namespaces", map[string]string{"name": "team-a"}, key(alice)...)
	ts.expect(201, "POST", "/api/v1/namespaces", map[string]string{"name": "team-b"}, key(bob)...)

	// Templates.
	ts.expect(201, "POST", "/api/v1/templates", map[string]any{"name": "a.json", "content": "{}", "namespace": "team-a"}, key(alice)...)
	ts.expectError(403, CodeForbidden, "", "GET", "/api/v1/templates/a.json?namespace=team-a", nil, key(bob)...)
	ts.expectError(403, CodeForbidden, "", "GET", "/api/v1/templates?namespace=team-a", nil, key(bob)...)
	ts.expectError(403, CodeForbidden, "", "DELETE", "/api/v1/templates/a.json?namespace=team-a", nil, key(bob)...)
	ts.expectError(403, CodeForbidden, "", "POST", "/api/v1/templates", map[string]any{"name": "b.json", "content": "{}", "namespace": "team-a"}, key(bob)...)

	// Folders.
	f := ts.expect(201, "POST", "/api/v1/mock-folders", map[string]any{"name": "A stuff", "namespace": "team-a"}, key(alice)...)
	fid := f["id"].(string)
	ts.expectError(404, CodeNotFound, "", "GET", "/api/v1/mock-folders/"+fid, nil, key(bob)...)
	ts.expectError(404, CodeNotFound, "", "PUT", "/api/v1/mock-folders/"+fid, map[string]any{"name": "mine"}, key(bob)...)
	ts.expectError(404, CodeNotFound, "", "DELETE", "/api/v1/mock-folders/"+fid, nil, key(bob)...)
	ts.expectError(403, CodeForbidden, "", "GET", "/api/v1/mock-folders?namespace=team-a", nil, key(bob)...)

	// Tags: a list without a namespace shows only the caller's namespaces.
	ts.expect(201, "POST", "/api/v1/tags", map[string]any{"tag": "a-only", "namespace": "team-a"}, key(alice)...)
	ts.expect(201, "POST", "/api/v1/tags", map[string]any{"tag": "b-only", "namespace": "team-b"}, key(bob)...)
	tags := ts.expect(200, "GET", "/api/v1/tags", nil, key(bob)...)["tags"].([]any)
	if len(tags) != 1 || tags[0] != "b-only" {
		t.Fatalf("bob's tags: %v", tags)
	}
	ts.expectError(403, CodeForbidden, "", "DELETE", "/api/v1/tags/a-only?namespace=team-a", nil, key(bob)...)

	// Unmatched requests.
	ts.do("GET", "/stubs/team-a/secret-path", nil)
	var uid string
	plugintest.Eventually(t, 20*time.Second, func() bool { // recorded in batches
		items := ts.expect(200, "GET", "/api/v1/undefined-requests?namespace=team-a", nil, key(alice)...)["items"].([]any)
		if len(items) > 0 {
			uid = items[0].(map[string]any)["id"].(string)
		}
		return uid != ""
	}, "the unmatched request recorded")
	if items := ts.expect(200, "GET", "/api/v1/undefined-requests", nil, key(bob)...)["items"].([]any); len(items) != 0 {
		t.Fatalf("bob sees team-a's unmatched requests: %v", items)
	}
	ts.expectError(404, CodeNotFound, "", "POST", "/api/v1/undefined-requests/"+uid+"/create-mock", nil, key(bob)...)
	ts.expectError(404, CodeNotFound, "", "PATCH", "/api/v1/undefined-requests/"+uid+"/ignore", nil, key(bob)...)
	ts.expectError(404, CodeNotFound, "", "DELETE", "/api/v1/undefined-requests", map[string]any{"ids": []string{uid}}, key(bob)...)
	ts.expect(200, "DELETE", "/api/v1/undefined-requests/all", nil, key(bob)...) // clears only team-b
	if items := ts.expect(200, "GET", "/api/v1/undefined-requests?namespace=team-a", nil, key(alice)...)["items"].([]any); len(items) != 1 {
		t.Fatalf("bob's clear-all reached team-a: %v", items)
	}
	ts.expect(201, "POST", "/api/v1/undefined-requests/"+uid+"/create-mock", nil, key(alice)...)
}

func TestServerWideFiguresAreForAdmins(t *testing.T) {
	ts := fullServer(t)
	admin := ts.login("admin", "admin-pass-1")
	hana := ts.user(admin, "hana")
	ts.expectError(403, CodeForbidden, "", "GET", "/api/v1/stats", nil, key(hana)...)
	ts.expectError(403, CodeForbidden, "", "GET", "/api/v1/counts", nil, key(hana)...)
	ts.expect(200, "GET", "/api/v1/stats", nil, "Cookie", admin)
	if f := ts.expect(200, "GET", "/api/v1/features", nil); f["auth"] != true || f["authMode"] != "full" {
		t.Fatalf("features: %v", f)
	}
}
