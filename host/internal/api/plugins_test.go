package api

import (
	"net/http"
	"testing"
)

// TestPluginSettingsAccess: a plugin's settings may hold passwords, so the
// settings routes are for admins; a plugin that is not loaded is 404.
func TestPluginSettingsAccess(t *testing.T) {
	ts := fullServer(t)
	admin := ts.login("admin", "admin-pass-1")
	dave := ts.user(admin, "dave")
	for _, method := range []string{http.MethodGet, http.MethodPut, http.MethodPatch} {
		ts.expectError(403, CodeForbidden, "", method, "/api/v1/plugins/http/settings", map[string]any{}, key(dave)...)
		ts.expectError(404, CodeNotFound, "", method, "/api/v1/plugins/http/settings", map[string]any{}, "Cookie", admin)
	}
	ts.expectError(401, CodeUnauthorized, "", http.MethodGet, "/api/v1/plugins/http/settings", nil)
}
