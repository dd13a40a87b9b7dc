package api

import (
	"errors"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/mockarty-oss/mockarty/host/internal/auth"
	"github.com/mockarty-oss/mockarty/host/internal/model"
	"github.com/mockarty-oss/mockarty/host/internal/store"
)

// SessionCookie is the name of the login cookie.
const SessionCookie = "mockarty_session"

const principalKey = "principal"

// Error codes of access control.
const (
	CodeForbidden = "forbidden"
)

func unauthorized(format string, args ...any) *Error {
	return apiErr(http.StatusUnauthorized, CodeUnauthorized, format, args...)
}

func forbidden(format string, args ...any) *Error {
	return apiErr(http.StatusForbidden, CodeForbidden, format, args...)
}

// openPath: routes that need no credentials (api-reference section 15:
// mock traffic and the find contract stay open by design).
func openPath(path string) bool {
	switch {
	case path == "/health", strings.HasPrefix(path, "/health/"), path == "/metrics",
		strings.HasPrefix(path, "/mock/find"), path == "/api/v1/auth/login", path == "/api/v1/features",
		// a fuzz run's callbacks: the target calls them; the run's secret is the key
		strings.HasPrefix(path, "/api/v1/fuzzing/canary/"), strings.HasPrefix(path, "/api/v1/fuzzing/canary-hits/"):
		return true
	}
	return false
}

// passwordChangePaths stay usable while an account has a one-time password.
func passwordChangePath(path string) bool {
	switch path {
	case "/api/v1/auth/me", "/api/v1/auth/change-password", "/api/v1/auth/logout":
		return true
	}
	return false
}

// tooMany answers 429 with Retry-After.
func tooMany(c *fiber.Ctx, wait time.Duration, what string) error {
	secs := int(math.Ceil(wait.Seconds()))
	if secs < 1 {
		secs = 1
	}
	c.Set(fiber.HeaderRetryAfter, strconv.Itoa(secs))
	return apiErr(http.StatusTooManyRequests, CodeRateLimit, "too many %s; retry in %d s", what, secs)
}

// credentials reads the token (X-API-Key or Authorization: Bearer) and the session cookie.
func credentials(c *fiber.Ctx) (token, session string) {
	token = strings.TrimSpace(c.Get("X-API-Key"))
	if token == "" {
		if h := strings.TrimSpace(c.Get(fiber.HeaderAuthorization)); len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
			token = strings.TrimSpace(h[7:])
		}
	}
	return token, c.Cookies(SessionCookie)
}

// authenticate finds the caller of every management request, applies the
// rate limit and the token's method permissions.
func (s *server) authenticate(c *fiber.Ctx) error {
	if s.Auth == nil || openPath(c.Path()) {
		return c.Next()
	}
	if s.Auth.Local() {
		c.Locals(principalKey, auth.LocalPrincipal)
		if ok, wait := s.RateLimit.Allow("ip:" + c.IP()); !ok {
			return tooMany(c, wait, "requests")
		}
		return c.Next()
	}
	token, session := credentials(c)
	if token == "" && session == "" {
		if ok, wait := s.RateLimit.Allow("ip:" + c.IP()); !ok {
			return tooMany(c, wait, "requests")
		}
		return unauthorized("authentication required: send an API token as X-API-Key or Authorization: Bearer, or log in at POST /api/v1/auth/login")
	}
	p, err := s.Auth.Authenticate(c.UserContext(), session, token)
	if err != nil {
		// Failed attempts count against the client address (token guessing).
		if ok, wait := s.RateLimit.Allow("ip:" + c.IP()); !ok {
			return tooMany(c, wait, "requests")
		}
		if errors.Is(err, auth.ErrUnauthenticated) {
			return unauthorized("%s", strings.TrimPrefix(err.Error(), auth.ErrUnauthenticated.Error()+": "))
		}
		return err
	}
	key := "u:" + p.UserID
	if p.TokenID != "" {
		key = "t:" + p.TokenID
	}
	if ok, wait := s.RateLimit.Allow(key); !ok {
		return tooMany(c, wait, "requests for this credential")
	}
	if p.MustChangePassword && !passwordChangePath(c.Path()) {
		return forbidden("this account has a one-time password: change it first (POST /api/v1/auth/change-password)")
	}
	if !p.AllowsMethod(c.Method()) {
		return forbidden("this API token does not allow %s requests (its permissions: %s)", c.Method(), permList(p))
	}
	c.Locals(principalKey, p)
	return c.Next()
}

func permList(p *auth.Principal) string {
	var out []string
	for _, k := range []string{auth.PermRead, auth.PermWrite, auth.PermDelete} {
		if p.Perms[k] {
			out = append(out, k)
		}
	}
	if len(out) == 0 {
		return "none"
	}
	return strings.Join(out, ", ")
}

// principal is the caller (the local admin when access control is off).
func principal(c *fiber.Ctx) *auth.Principal {
	if p, ok := c.Locals(principalKey).(*auth.Principal); ok {
		return p
	}
	return auth.LocalPrincipal
}

// need fails with 403 unless the caller may do a in namespace ns.
func need(c *fiber.Ctx, ns string, a auth.Action) error {
	p := principal(c)
	if p.Allows(ns, a) {
		return nil
	}
	if p.Role(ns) == "" && !p.Admin {
		return forbidden("you have no access to namespace %q", ns)
	}
	return forbidden("%s in namespace %q needs a role you do not have (yours: %s)", a, ns, roleOrToken(p, ns))
}

func roleOrToken(p *auth.Principal, ns string) string {
	if p.TokenNamespaces != nil && !p.TokenNamespaces[ns] {
		return "this token is limited to other namespaces"
	}
	if p.Perms != nil {
		return p.Role(ns) + ", through a token allowing " + permList(p)
	}
	if p.Via == "integration" {
		return "integration " + p.IntegrationType
	}
	return p.Role(ns)
}

// needAdmin fails with 403 unless the caller is an admin.
func needAdmin(c *fiber.Ctx) error {
	if principal(c).Admin {
		return nil
	}
	return forbidden("this needs the admin role")
}

// readableNamespaces is the set the caller may read (nil: every namespace).
func readableNamespaces(c *fiber.Ctx) []string {
	list, all := principal(c).Namespaces()
	if all {
		return nil
	}
	return list
}

// audit records a security-relevant action of the caller.
func (s *server) audit(c *fiber.Ctx, action, target, namespace, detail string, ok bool) {
	if s.Auth == nil {
		return
	}
	s.Auth.Audit(c.UserContext(), principal(c), action, target, namespace, detail, c.IP(), ok)
}

func (s *server) authRoutes(v1 fiber.Router) {
	a := v1.Group("/auth")
	a.Post("/login", s.login)
	a.Post("/logout", s.logout)
	a.Get("/me", s.me)
	a.Post("/change-password", s.changePassword)
	a.Post("/tokens", s.createToken)
	a.Get("/tokens", s.listTokens)
	a.Get("/tokens/:id", s.getToken)
	a.Patch("/tokens/:id", s.updateToken)
	a.Delete("/tokens/:id", s.revokeToken)

	// /ui/api/admin and /ui/api/integrations are served by the /ui/api alias (server.go).
	adm := v1.Group("/admin")
	adm.Get("/users", s.listUsers)
	adm.Post("/users", s.createUser)
	adm.Put("/users/:id", s.updateUser)
	adm.Delete("/users/:id", s.deleteUser)
	adm.Post("/users/:id/password", s.setUserPassword)
	adm.Post("/users/:id/disable", s.setUserDisabled(true))
	adm.Post("/users/:id/enable", s.setUserDisabled(false))
	adm.Get("/namespaces", s.adminNamespaces)
	adm.Delete("/namespaces/:namespace", s.deleteNamespace)
	adm.Put("/namespaces/:namespace/restore", s.restoreNamespace)
	adm.Get("/namespaces/:namespace/users", s.listMembers(true))
	adm.Post("/namespaces/:namespace/users", s.addMember)
	adm.Delete("/namespaces/:namespace/users/:user_id", s.removeMember)
	adm.Put("/namespaces/:namespace/users/:user_id/role", s.setMemberRole)
	adm.Get("/audit", s.listAudit)
	adm.Get("/audit/export", s.exportAudit)

	in := v1.Group("/integrations")
	in.Get("/", s.listIntegrations)
	in.Post("/", s.createIntegration)
	in.Post("/namespace/:ns", s.createIntegration)
	in.Put("/:id", s.updateIntegration)
	in.Delete("/:id", s.deleteIntegration)
	in.Post("/:id/revoke", s.setIntegrationEnabled(false))
	in.Post("/:id/enable", s.setIntegrationEnabled(true))
	in.Post("/:id/rotate", s.rotateIntegration)

	// Owners manage their own namespace's members here.
	v1.Get("/namespaces/:namespace/users", s.listMembers(false))
	v1.Post("/namespaces/:namespace/users", s.addMember)
	v1.Delete("/namespaces/:namespace/users/:user_id", s.removeMember)
	v1.Put("/namespaces/:namespace/users/:user_id/role", s.setMemberRole)
}

// needAuthService answers for endpoints that only exist with access control.
func (s *server) needAuthService() error {
	if s.Auth == nil {
		return apiErr(http.StatusConflict, CodeConflict, "access control is not configured on this server")
	}
	return nil
}

func userJSON(u *store.User) fiber.Map {
	role := "user"
	if u.Admin {
		role = "admin"
	}
	return fiber.Map{"id": u.ID, "username": u.Login, "login": u.Login, "email": u.Email, "role": role,
		"enabled": !u.Disabled, "mustChangePassword": u.MustChangePassword, "createdAt": u.CreatedMs,
		"updatedAt": u.UpdatedMs, "lastLoginAt": u.LastLoginMs}
}

func (s *server) login(c *fiber.Ctx) error {
	var b struct {
		Username string `json:"username"`
		Login    string `json:"login"`
		Email    string `json:"email"`
		Password string `json:"password"`
	}
	if err := s.decodeJSON(c, &b); err != nil {
		return err
	}
	if s.Auth == nil || s.Auth.Local() {
		return c.JSON(fiber.Map{"success": true, "authMode": auth.ModeLocal, "user": localUser(),
			"message": "access control is off (AUTH_MODE=local): no login is needed"})
	}
	login := strings.TrimSpace(firstNonEmpty(b.Username, b.Login, b.Email))
	if login == "" || b.Password == "" {
		return badRequest("username and password are required")
	}
	ipKey, loginKey := "login-ip:"+c.IP(), "login-user:"+strings.ToLower(login)
	for _, k := range []string{ipKey, loginKey} {
		if ok, wait := s.LoginLimit.Peek(k); !ok {
			s.audit(c, "auth.login.throttled", login, "", "", false)
			return tooMany(c, wait, "failed logins")
		}
	}
	u, id, expires, err := s.Auth.Login(c.UserContext(), login, b.Password)
	if err != nil {
		if errors.Is(err, auth.ErrBadCredentials) || errors.Is(err, auth.ErrDisabled) {
			s.LoginLimit.Allow(ipKey)
			s.LoginLimit.Allow(loginKey)
			s.audit(c, "auth.login", login, "", err.Error(), false)
			if errors.Is(err, auth.ErrDisabled) {
				return unauthorized("this account is disabled")
			}
			return unauthorized("invalid login or password")
		}
		return err
	}
	c.Cookie(&fiber.Cookie{Name: SessionCookie, Value: id, Path: "/", Expires: expires, HTTPOnly: true,
		Secure: s.CookieSecure, SameSite: fiber.CookieSameSiteLaxMode})
	c.Locals(principalKey, &auth.Principal{UserID: u.ID, Login: u.Login})
	s.audit(c, "auth.login", u.Login, "", "", true)
	return c.JSON(fiber.Map{"success": true, "user": userJSON(u), "expiresAt": expires.UnixMilli()})
}

func firstNonEmpty(vals ...string) string {
	for _, v := range vals {
		if strings.TrimSpace(v) != "" {
			return v
		}
	}
	return ""
}

func localUser() fiber.Map {
	return fiber.Map{"id": "local", "username": "local", "login": "local", "role": "admin", "enabled": true}
}

func (s *server) logout(c *fiber.Ctx) error {
	p := principal(c)
	if p.SessionHash != "" {
		if err := s.Auth.Logout(c.UserContext(), p.SessionHash); err != nil {
			return err
		}
		s.audit(c, "auth.logout", p.Login, "", "", true)
	}
	c.Cookie(&fiber.Cookie{Name: SessionCookie, Value: "", Path: "/", Expires: time.Unix(0, 0), HTTPOnly: true,
		Secure: s.CookieSecure, SameSite: fiber.CookieSameSiteLaxMode})
	return c.JSON(fiber.Map{"success": true})
}

func (s *server) me(c *fiber.Ctx) error {
	p := principal(c)
	mode := auth.ModeLocal
	if s.Auth != nil {
		mode = s.Auth.Mode()
	}
	out := fiber.Map{"id": p.UserID, "username": p.Login, "login": p.Login, "email": p.Email, "enabled": true,
		"authMode": mode, "via": p.Via, "mustChangePassword": p.MustChangePassword}
	out["role"] = "user"
	if p.Admin {
		out["role"] = "admin"
	}
	if p.Via == "integration" {
		out["role"], out["integrationType"] = "integration", p.IntegrationType
	}
	list, all := p.Namespaces()
	ns := []fiber.Map{}
	for _, n := range list {
		ns = append(ns, fiber.Map{"namespace": n, "role": p.Role(n)})
	}
	out["namespaces"], out["allNamespaces"] = ns, all
	if p.TokenID != "" && p.Via == "token" {
		out["tokenId"], out["tokenPermissions"] = p.TokenID, strings.Split(permList(p), ", ")
	}
	return c.JSON(out)
}

// caller is the user behind the request, for endpoints that act on one's
// own account.
func (s *server) caller(c *fiber.Ctx) (*store.User, error) {
	if err := s.needAuthService(); err != nil {
		return nil, err
	}
	p := principal(c)
	switch p.Via {
	case "local":
		return nil, apiErr(http.StatusConflict, CodeConflict, "access control is off (AUTH_MODE=local): there is no account to act on; start the server with AUTH_MODE=full")
	case "integration":
		return nil, forbidden("an integration token has no user account")
	}
	u, err := s.Auth.Store().GetUser(c.UserContext(), p.UserID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, unauthorized("the account no longer exists")
	}
	return u, err
}

const minPasswordLen = 8

func checkPassword(pw string) error {
	if len(pw) < minPasswordLen {
		return fieldErr("password", "must have at least %d characters", minPasswordLen)
	}
	if len(pw) > 72 {
		return fieldErr("password", "must have at most 72 bytes")
	}
	return nil
}

func (s *server) changePassword(c *fiber.Ctx) error {
	var b struct {
		Current     string `json:"currentPassword"`
		Old         string `json:"oldPassword"`
		NewPassword string `json:"newPassword"`
	}
	if err := s.decodeJSON(c, &b); err != nil {
		return err
	}
	u, err := s.caller(c)
	if err != nil {
		return err
	}
	if _, err := s.Auth.CheckPassword(c.UserContext(), u.Login, firstNonEmpty(b.Current, b.Old)); err != nil {
		s.audit(c, "auth.password.change", u.Login, "", "wrong current password", false)
		return forbidden("the current password is wrong")
	}
	if err := checkPassword(b.NewPassword); err != nil {
		err.(*Error).Field = "newPassword"
		return err
	}
	if err := s.Auth.SetPassword(c.UserContext(), u, b.NewPassword, false, principal(c).SessionHash); err != nil {
		return err
	}
	s.audit(c, "auth.password.change", u.Login, "", "", true)
	return c.JSON(fiber.Map{"success": true, "message": "password changed; other sessions were ended"})
}

// Tokens.

func tokenJSON(t *store.APIToken) fiber.Map {
	out := fiber.Map{"id": t.ID, "name": t.Name, "prefix": t.Prefix, "permissions": splitList(t.Permissions),
		"namespaces": splitList(t.Namespaces), "expiresAt": t.ExpiresMs, "lastUsedAt": t.LastUsedMs,
		"createdAt": t.CreatedMs, "revoked": t.RevokedMs > 0, "revokedAt": t.RevokedMs, "userId": t.UserID}
	state := "active"
	switch {
	case t.RevokedMs > 0:
		state = "revoked"
	case t.ExpiresMs > 0 && t.ExpiresMs <= time.Now().UnixMilli():
		state = "expired"
	}
	out["state"] = state
	return out
}

func splitList(csv string) []string {
	out := []string{}
	for _, v := range strings.Split(csv, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// tokenExpiry reads expiresAt (epoch ms or RFC 3339) or expiresInDays.
func tokenExpiry(at any, days int) (int64, error) {
	switch v := at.(type) {
	case nil:
	case float64:
		if v < 0 {
			return 0, fieldErr("expiresAt", "must not be negative")
		}
		if v > 0 && int64(v) <= time.Now().UnixMilli() {
			return 0, fieldErr("expiresAt", "is in the past")
		}
		return int64(v), nil
	case string:
		if v == "" {
			break
		}
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return 0, fieldErr("expiresAt", "must be epoch milliseconds or an RFC 3339 time")
		}
		if !t.After(time.Now()) {
			return 0, fieldErr("expiresAt", "is in the past")
		}
		return t.UnixMilli(), nil
	default:
		return 0, fieldErr("expiresAt", "must be epoch milliseconds or an RFC 3339 time")
	}
	if days < 0 || days > 3650 {
		return 0, fieldErr("expiresInDays", "must be 0 to 3650")
	}
	if days > 0 {
		return time.Now().Add(time.Duration(days) * 24 * time.Hour).UnixMilli(), nil
	}
	return 0, nil
}

func (s *server) createToken(c *fiber.Ctx) error {
	var b struct {
		Name          string   `json:"name"`
		Permissions   []string `json:"permissions"`
		Scopes        []string `json:"scopes"`
		Namespaces    []string `json:"namespaces"`
		ExpiresAt     any      `json:"expiresAt"`
		ExpiresInDays int      `json:"expiresInDays"`
	}
	if err := s.decodeJSON(c, &b); err != nil {
		return err
	}
	u, err := s.caller(c)
	if err != nil {
		return err
	}
	b.Name = strings.TrimSpace(b.Name)
	if b.Name == "" || len(b.Name) > 200 || !model.PlainText(b.Name) {
		return fieldErr("name", "is required: plain text of at most 200 characters")
	}
	perms := append(b.Permissions, b.Scopes...)
	if len(perms) == 0 {
		perms = []string{auth.PermRead, auth.PermWrite, auth.PermDelete}
	}
	seen := map[string]bool{}
	var clean []string
	for _, p := range perms {
		p = strings.ToLower(strings.TrimSpace(p))
		if p != auth.PermRead && p != auth.PermWrite && p != auth.PermDelete {
			return fieldErr("permissions", "unknown permission %q: use read, write or delete", p)
		}
		if !seen[p] {
			seen[p] = true
			clean = append(clean, p)
		}
	}
	for i, ns := range b.Namespaces {
		if !model.NamePattern.MatchString(ns) {
			return fieldErr("namespaces["+strconv.Itoa(i)+"]", "%q is not a namespace name", ns)
		}
		if err := need(c, ns, auth.Read); err != nil {
			return err
		}
	}
	expires, err := tokenExpiry(b.ExpiresAt, b.ExpiresInDays)
	if err != nil {
		return err
	}
	t, secret := s.Auth.NewAPIToken(u.ID, b.Name, clean, b.Namespaces, expires)
	if err := s.Auth.Store().CreateAPIToken(c.UserContext(), t); err != nil {
		return err
	}
	s.audit(c, "token.create", t.ID, "", b.Name, true)
	out := tokenJSON(t)
	out["token"] = secret
	out["message"] = "copy the token now: it is not shown again"
	return c.Status(http.StatusCreated).JSON(out)
}

func (s *server) listTokens(c *fiber.Ctx) error {
	u, err := s.caller(c)
	if err != nil {
		return err
	}
	owner := u.ID
	if c.Query("all") == "true" {
		if err := needAdmin(c); err != nil {
			return err
		}
		owner = ""
	}
	list, err := s.Auth.Store().APITokens(c.UserContext(), owner)
	if err != nil {
		return err
	}
	out := make([]fiber.Map, 0, len(list))
	for i := range list {
		out = append(out, tokenJSON(&list[i]))
	}
	return c.JSON(fiber.Map{"tokens": out, "items": out, "total": len(out)})
}

// ownToken loads a token of the caller's (any token for an admin).
func (s *server) ownToken(c *fiber.Ctx) (*store.APIToken, error) {
	u, err := s.caller(c)
	if err != nil {
		return nil, err
	}
	t, err := s.Auth.Store().GetAPIToken(c.UserContext(), param(c, "id"))
	if err != nil || (t.UserID != u.ID && !u.Admin) {
		if err == nil || errors.Is(err, store.ErrNotFound) {
			return nil, notFoundErr("token %q not found", param(c, "id"))
		}
		return nil, err
	}
	return t, nil
}

func (s *server) getToken(c *fiber.Ctx) error {
	t, err := s.ownToken(c)
	if err != nil {
		return err
	}
	return c.JSON(tokenJSON(t))
}

func (s *server) updateToken(c *fiber.Ctx) error {
	var b struct {
		Name          *string `json:"name"`
		ExpiresAt     any     `json:"expiresAt"`
		ExpiresInDays int     `json:"expiresInDays"`
	}
	if err := s.decodeJSON(c, &b); err != nil {
		return err
	}
	t, err := s.ownToken(c)
	if err != nil {
		return err
	}
	if t.RevokedMs > 0 {
		return apiErr(http.StatusConflict, CodeConflict, "token %q is revoked", t.ID)
	}
	if b.Name != nil {
		n := strings.TrimSpace(*b.Name)
		if n == "" || len(n) > 200 || !model.PlainText(n) {
			return fieldErr("name", "must be plain text of 1-200 characters")
		}
		t.Name = n
	}
	if b.ExpiresAt != nil || b.ExpiresInDays != 0 {
		if t.ExpiresMs, err = tokenExpiry(b.ExpiresAt, b.ExpiresInDays); err != nil {
			return err
		}
	}
	if err := s.Auth.Store().SaveAPIToken(c.UserContext(), t); err != nil {
		return err
	}
	s.Auth.Invalidate()
	s.audit(c, "token.update", t.ID, "", t.Name, true)
	return c.JSON(tokenJSON(t))
}

func (s *server) revokeToken(c *fiber.Ctx) error {
	t, err := s.ownToken(c)
	if err != nil {
		return err
	}
	if t.RevokedMs == 0 {
		t.RevokedMs = time.Now().UnixMilli()
		if err := s.Auth.Store().SaveAPIToken(c.UserContext(), t); err != nil {
			return err
		}
		s.Auth.Invalidate()
		s.audit(c, "token.revoke", t.ID, "", t.Name, true)
	}
	return c.JSON(fiber.Map{"id": t.ID, "revoked": true, "success": true})
}

// needMock loads a mock and checks the caller may do a in its namespace.
// A mock in a namespace the caller cannot read is reported as not found.
func (s *server) needMock(c *fiber.Ctx, id string, a auth.Action) (*model.Mock, error) {
	m, err := s.Catalog.Store().GetMock(c.UserContext(), id)
	if err != nil {
		return nil, mockNotFound(err, id)
	}
	if !principal(c).Allows(m.Namespace, auth.Read) {
		return nil, notFoundErr("mock %q not found", id)
	}
	return m, need(c, m.Namespace, a)
}

// needMocks checks every existing mock of ids (unknown ids are the
// handler's business).
func (s *server) needMocks(c *fiber.Ctx, ids []string, a auth.Action) error {
	if principal(c).Admin && principal(c).Perms == nil && principal(c).TokenNamespaces == nil {
		return nil
	}
	mocks, err := s.Catalog.Store().MocksByIDs(c.UserContext(), ids)
	if err != nil {
		return err
	}
	for _, m := range mocks {
		if !principal(c).Allows(m.Namespace, auth.Read) {
			return notFoundErr("mock %q not found", m.ID)
		}
		if err := need(c, m.Namespace, a); err != nil {
			return err
		}
	}
	return nil
}

// needSave checks that the caller may write m's namespace and, when the id
// is taken, the namespace of the mock it would replace.
func (s *server) needSave(c *fiber.Ctx, mocks ...*model.Mock) error {
	ids := make([]string, 0, len(mocks))
	for _, m := range mocks {
		if err := need(c, m.Namespace, auth.Write); err != nil {
			return err
		}
		if m.ID != "" {
			ids = append(ids, m.ID)
		}
	}
	existing, err := s.Catalog.Store().MocksByIDs(c.UserContext(), ids)
	if err != nil {
		return err
	}
	for _, m := range existing {
		if !principal(c).Allows(m.Namespace, auth.Write) {
			return apiErr(http.StatusConflict, CodeConflict, "mock id %q is taken in a namespace you cannot write; choose another id", m.ID)
		}
	}
	return nil
}

// namespaceFor is namespaceOf plus the check that the caller may do a there.
func namespaceFor(c *fiber.Ctx, fromBody string, a auth.Action) (string, error) {
	ns, err := namespaceOf(c, fromBody)
	if err != nil {
		return "", err
	}
	return ns, need(c, ns, a)
}

// needFolder loads a folder and checks the caller may do a in its namespace.
func (s *server) needFolder(c *fiber.Ctx, id string, a auth.Action) (*store.Folder, error) {
	f, err := s.Catalog.Store().GetFolder(c.UserContext(), id)
	if err != nil {
		return nil, folderErr(err, id)
	}
	if !principal(c).Allows(f.Namespace, auth.Read) {
		return nil, notFoundErr("folder %q not found", id)
	}
	return f, need(c, f.Namespace, a)
}
