package api

import (
	"bytes"
	"encoding/csv"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/mockarty-oss/mockarty/host/internal/auth"
	"github.com/mockarty-oss/mockarty/host/internal/model"
	"github.com/mockarty-oss/mockarty/host/internal/store"
)

// Users (admin). The list is a bare array, as the SDKs read it.

func (s *server) adminPrelude(c *fiber.Ctx) error {
	if err := s.needAuthService(); err != nil {
		return err
	}
	return needAdmin(c)
}

func (s *server) listUsers(c *fiber.Ctx) error {
	if err := s.adminPrelude(c); err != nil {
		return err
	}
	users, err := s.Auth.Store().Users(c.UserContext())
	if err != nil {
		return err
	}
	out := make([]fiber.Map, 0, len(users))
	for i := range users {
		out = append(out, userJSON(&users[i]))
	}
	return c.JSON(out)
}

var loginPattern = model.NamePattern

type userBody struct {
	Username *string `json:"username"`
	Login    *string `json:"login"`
	Email    *string `json:"email"`
	Password string  `json:"password"`
	Role     *string `json:"role"`
	Enabled  *bool   `json:"enabled"`
}

func (b *userBody) login() *string {
	if b.Username != nil {
		return b.Username
	}
	return b.Login
}

func checkRole(role *string) (admin bool, err error) {
	if role == nil {
		return false, nil
	}
	switch strings.ToLower(*role) {
	case "admin":
		return true, nil
	case "user", "":
		return false, nil
	}
	return false, fieldErr("role", "unknown role %q: use admin or user", *role)
}

func checkEmail(email string) error {
	if email != "" && (len(email) > 200 || !strings.Contains(email, "@") || !model.PlainText(email)) {
		return fieldErr("email", "%q is not an email address", email)
	}
	return nil
}

func (s *server) createUser(c *fiber.Ctx) error {
	if err := s.adminPrelude(c); err != nil {
		return err
	}
	var b userBody
	if err := s.decodeJSON(c, &b); err != nil {
		return err
	}
	login := ""
	if l := b.login(); l != nil {
		login = strings.TrimSpace(*l)
	}
	if !loginPattern.MatchString(login) {
		return fieldErr("username", "is required: 1-100 letters, digits, '.', '_' or '-'")
	}
	email := ""
	if b.Email != nil {
		email = strings.TrimSpace(*b.Email)
	}
	if err := checkEmail(email); err != nil {
		return err
	}
	if err := checkPassword(b.Password); err != nil {
		return err
	}
	admin, err := checkRole(b.Role)
	if err != nil {
		return err
	}
	u, err := s.Auth.NewUser(login, email, b.Password, admin)
	if err != nil {
		return err
	}
	if b.Enabled != nil && !*b.Enabled {
		u.Disabled = true
	}
	if err := s.Auth.Store().CreateUser(c.UserContext(), u); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return apiErr(http.StatusConflict, CodeConflict, "user %q already exists", login)
		}
		return err
	}
	s.audit(c, "user.create", u.Login, "", "role "+userJSON(u)["role"].(string), true)
	return c.Status(http.StatusCreated).JSON(userJSON(u))
}

func (s *server) loadUser(c *fiber.Ctx) (*store.User, error) {
	u, err := s.Auth.Store().GetUser(c.UserContext(), param(c, "id"))
	if errors.Is(err, store.ErrNotFound) {
		// Also by login, which is what people type.
		if u, err = s.Auth.Store().UserByLogin(c.UserContext(), param(c, "id")); errors.Is(err, store.ErrNotFound) {
			return nil, notFoundErr("user %q not found", param(c, "id"))
		}
	}
	return u, err
}

// keepAnAdmin refuses a change that would leave no enabled admin.
func (s *server) keepAnAdmin(c *fiber.Ctx, u *store.User) error {
	if !u.Admin || u.Disabled {
		return nil
	}
	n, err := s.Auth.Store().CountAdmins(c.UserContext())
	if err != nil {
		return err
	}
	if n <= 1 {
		return apiErr(http.StatusConflict, CodeConflict, "%q is the last enabled admin; make another admin first", u.Login)
	}
	return nil
}

func (s *server) updateUser(c *fiber.Ctx) error {
	if err := s.adminPrelude(c); err != nil {
		return err
	}
	var b userBody
	if err := s.decodeJSON(c, &b); err != nil {
		return err
	}
	u, err := s.loadUser(c)
	if err != nil {
		return err
	}
	if l := b.login(); l != nil {
		login := strings.TrimSpace(*l)
		if !loginPattern.MatchString(login) {
			return fieldErr("username", "must be 1-100 letters, digits, '.', '_' or '-'")
		}
		u.Login = login
	}
	if b.Email != nil {
		email := strings.TrimSpace(*b.Email)
		if err := checkEmail(email); err != nil {
			return err
		}
		u.Email = email
	}
	if b.Role != nil {
		admin, err := checkRole(b.Role)
		if err != nil {
			return err
		}
		if !admin {
			if err := s.keepAnAdmin(c, u); err != nil {
				return err
			}
		}
		u.Admin = admin
	}
	if b.Enabled != nil {
		if !*b.Enabled {
			if err := s.keepAnAdmin(c, u); err != nil {
				return err
			}
		}
		u.Disabled = !*b.Enabled
	}
	if b.Password != "" {
		return fieldErr("password", "set passwords with POST /api/v1/admin/users/{id}/password")
	}
	u.UpdatedMs = time.Now().UnixMilli()
	if err := s.Auth.Store().UpdateUser(c.UserContext(), u); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return apiErr(http.StatusConflict, CodeConflict, "user %q already exists", u.Login)
		}
		return err
	}
	s.Auth.Invalidate()
	s.audit(c, "user.update", u.Login, "", "", true)
	return c.JSON(userJSON(u))
}

func (s *server) deleteUser(c *fiber.Ctx) error {
	if err := s.adminPrelude(c); err != nil {
		return err
	}
	u, err := s.loadUser(c)
	if err != nil {
		return err
	}
	if err := s.keepAnAdmin(c, u); err != nil {
		return err
	}
	if err := s.Auth.Store().DeleteUser(c.UserContext(), u.ID); err != nil {
		return err
	}
	s.Auth.Invalidate()
	s.audit(c, "user.delete", u.Login, "", "", true)
	return c.JSON(fiber.Map{"id": u.ID, "deleted": true, "success": true})
}

func (s *server) setUserPassword(c *fiber.Ctx) error {
	if err := s.adminPrelude(c); err != nil {
		return err
	}
	var b struct {
		Password   string `json:"password"`
		MustChange bool   `json:"mustChange"`
	}
	if err := s.decodeJSON(c, &b); err != nil {
		return err
	}
	if err := checkPassword(b.Password); err != nil {
		return err
	}
	u, err := s.loadUser(c)
	if err != nil {
		return err
	}
	if err := s.Auth.SetPassword(c.UserContext(), u, b.Password, b.MustChange, ""); err != nil {
		return err
	}
	s.audit(c, "user.password.set", u.Login, "", "", true)
	return c.JSON(fiber.Map{"id": u.ID, "success": true, "message": "password set; the user's sessions were ended"})
}

func (s *server) setUserDisabled(disabled bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if err := s.adminPrelude(c); err != nil {
			return err
		}
		u, err := s.loadUser(c)
		if err != nil {
			return err
		}
		if disabled {
			if err := s.keepAnAdmin(c, u); err != nil {
				return err
			}
		}
		u.Disabled, u.UpdatedMs = disabled, time.Now().UnixMilli()
		if err := s.Auth.Store().UpdateUser(c.UserContext(), u); err != nil {
			return err
		}
		if disabled {
			if err := s.Auth.Store().DeleteSessions(c.UserContext(), "", u.ID); err != nil {
				return err
			}
		}
		s.Auth.Invalidate()
		action := "user.enable"
		if disabled {
			action = "user.disable"
		}
		s.audit(c, action, u.Login, "", "", true)
		return c.JSON(userJSON(u))
	}
}

// Namespaces (admin).

func (s *server) adminNamespaces(c *fiber.Ctx) error {
	if err := s.adminPrelude(c); err != nil {
		return err
	}
	infos, err := s.Catalog.Store().NamespaceInfos(c.UserContext())
	if err != nil {
		return err
	}
	out := make([]fiber.Map, 0, len(infos))
	for _, n := range infos {
		out = append(out, fiber.Map{"name": n.Name, "mockCount": n.Mocks, "userCount": n.Members,
			"createdAt": n.CreatedMs, "deleted": n.DeletedMs > 0, "deletedAt": n.DeletedMs})
	}
	return c.JSON(out)
}

func (s *server) deleteNamespace(c *fiber.Ctx) error {
	if err := s.adminPrelude(c); err != nil {
		return err
	}
	ns := param(c, "namespace")
	at, err := s.Catalog.Store().NamespaceDeletedAt(c.UserContext(), ns)
	if errors.Is(err, store.ErrNotFound) {
		return notFoundErr("namespace %q not found", ns)
	}
	if err != nil {
		return err
	}
	if at > 0 {
		return c.JSON(fiber.Map{"namespace": ns, "deleted": true, "message": "already deleted"})
	}
	now := time.Now().UnixMilli()
	live, _, err := s.Catalog.Store().ListMocks(c.UserContext(), store.MockFilter{Namespace: ns})
	if err != nil {
		return err
	}
	ids := make([]string, 0, len(live))
	for _, m := range live {
		ids = append(ids, m.ID)
	}
	if err := s.Catalog.Store().SetNamespaceDeleted(c.UserContext(), ns, now); err != nil {
		return err
	}
	if len(ids) > 0 {
		if _, err := s.Catalog.Delete(c.UserContext(), ids); err != nil {
			return err
		}
	}
	s.audit(c, "namespace.delete", ns, ns, strconv.Itoa(len(ids))+" mocks", true)
	return c.JSON(fiber.Map{"namespace": ns, "deleted": true, "mocksDeleted": len(ids),
		"message": "namespace deleted; restore it with PUT /api/v1/admin/namespaces/" + ns + "/restore"})
}

func (s *server) restoreNamespace(c *fiber.Ctx) error {
	if err := s.adminPrelude(c); err != nil {
		return err
	}
	ns := param(c, "namespace")
	at, err := s.Catalog.Store().NamespaceDeletedAt(c.UserContext(), ns)
	if errors.Is(err, store.ErrNotFound) {
		return notFoundErr("namespace %q not found", ns)
	}
	if err != nil {
		return err
	}
	if at == 0 {
		return c.JSON(fiber.Map{"namespace": ns, "restored": false, "message": "namespace is not deleted"})
	}
	// The mocks deleted with the namespace come back; those deleted before it stay in the trash.
	trash, _, err := s.Catalog.Store().ListMocks(c.UserContext(), store.MockFilter{Namespace: ns, Deleted: true})
	if err != nil {
		return err
	}
	var ids []string
	for _, m := range trash {
		if m.ClosedAt >= at {
			ids = append(ids, m.ID)
		}
	}
	if err := s.Catalog.Store().SetNamespaceDeleted(c.UserContext(), ns, 0); err != nil {
		return err
	}
	if len(ids) > 0 {
		if _, err := s.Catalog.Restore(c.UserContext(), ids); err != nil {
			return err
		}
	}
	s.Resolver.AddNamespace(ns)
	s.audit(c, "namespace.restore", ns, ns, strconv.Itoa(len(ids))+" mocks", true)
	return c.JSON(fiber.Map{"namespace": ns, "restored": true, "mocksRestored": len(ids)})
}

// Members: admins under /admin, owners under /namespaces/{ns}/users.

func (s *server) memberPrelude(c *fiber.Ctx, a auth.Action) (string, error) {
	if err := s.needAuthService(); err != nil {
		return "", err
	}
	ns := param(c, "namespace")
	if !model.NamePattern.MatchString(ns) {
		return "", badRequest("namespace %q: use 1-100 letters, digits, '.', '_' or '-'", ns)
	}
	if strings.Contains(c.Path(), "/admin/") {
		return ns, needAdmin(c)
	}
	return ns, need(c, ns, a)
}

func (s *server) listMembers(bare bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		ns, err := s.memberPrelude(c, auth.Read)
		if err != nil {
			return err
		}
		members, err := s.Auth.Store().Members(c.UserContext(), ns, "")
		if err != nil {
			return err
		}
		out := make([]fiber.Map, 0, len(members))
		for _, m := range members {
			entry := fiber.Map{"userId": m.UserID, "role": m.Role, "addedAt": m.CreatedMs, "namespace": ns}
			if u, err := s.Auth.Store().GetUser(c.UserContext(), m.UserID); err == nil {
				entry["username"], entry["email"] = u.Login, u.Email
			}
			out = append(out, entry)
		}
		if bare {
			return c.JSON(out)
		}
		return c.JSON(fiber.Map{"users": out, "total": len(out)})
	}
}

func (s *server) addMember(c *fiber.Ctx) error {
	ns, err := s.memberPrelude(c, auth.Manage)
	if err != nil {
		return err
	}
	var b struct {
		UserID   string `json:"userId"`
		Username string `json:"username"`
		Role     string `json:"role"`
	}
	if err := s.decodeJSON(c, &b); err != nil {
		return err
	}
	if b.Role == "" {
		b.Role = auth.RoleViewer
	}
	if !auth.ValidRole(b.Role) {
		return fieldErr("role", "unknown role %q: use owner, editor or viewer", b.Role)
	}
	var u *store.User
	switch {
	case b.UserID != "":
		u, err = s.Auth.Store().GetUser(c.UserContext(), b.UserID)
	case b.Username != "":
		u, err = s.Auth.Store().UserByLogin(c.UserContext(), b.Username)
	default:
		return fieldErr("userId", "is required (or username)")
	}
	if errors.Is(err, store.ErrNotFound) {
		return notFoundErr("user %q not found", firstNonEmpty(b.UserID, b.Username))
	}
	if err != nil {
		return err
	}
	if err := s.Catalog.Store().EnsureNamespace(c.UserContext(), ns); err != nil {
		return err
	}
	m := &store.Member{Namespace: ns, UserID: u.ID, Role: b.Role, CreatedMs: time.Now().UnixMilli()}
	if err := s.Auth.Store().SetMember(c.UserContext(), m); err != nil {
		return err
	}
	s.Resolver.AddNamespace(ns)
	s.Auth.Invalidate()
	s.audit(c, "member.add", u.Login, ns, b.Role, true)
	return c.Status(http.StatusCreated).JSON(fiber.Map{"userId": u.ID, "username": u.Login, "email": u.Email,
		"role": b.Role, "namespace": ns, "addedAt": m.CreatedMs, "success": true})
}

func (s *server) removeMember(c *fiber.Ctx) error {
	ns, err := s.memberPrelude(c, auth.Manage)
	if err != nil {
		return err
	}
	uid := param(c, "user_id")
	if err := s.Auth.Store().RemoveMember(c.UserContext(), ns, uid); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return notFoundErr("user %q is not a member of namespace %q", uid, ns)
		}
		return err
	}
	s.Auth.Invalidate()
	s.audit(c, "member.remove", uid, ns, "", true)
	return c.JSON(fiber.Map{"userId": uid, "namespace": ns, "removed": true, "success": true})
}

func (s *server) setMemberRole(c *fiber.Ctx) error {
	ns, err := s.memberPrelude(c, auth.Manage)
	if err != nil {
		return err
	}
	var b struct {
		Role string `json:"role"`
	}
	if err := s.decodeJSON(c, &b); err != nil {
		return err
	}
	if !auth.ValidRole(b.Role) {
		return fieldErr("role", "unknown role %q: use owner, editor or viewer", b.Role)
	}
	uid := param(c, "user_id")
	members, err := s.Auth.Store().Members(c.UserContext(), ns, uid)
	if err != nil {
		return err
	}
	if len(members) == 0 {
		return notFoundErr("user %q is not a member of namespace %q", uid, ns)
	}
	m := members[0]
	m.Role = b.Role
	if err := s.Auth.Store().SetMember(c.UserContext(), &m); err != nil {
		return err
	}
	s.Auth.Invalidate()
	s.audit(c, "member.role", uid, ns, b.Role, true)
	return c.JSON(fiber.Map{"userId": uid, "namespace": ns, "role": b.Role, "success": true})
}

// Audit trail (admin).

func auditJSON(e *store.AuditEvent) fiber.Map {
	return fiber.Map{"id": e.ID, "at": e.AtMs, "time": time.UnixMilli(e.AtMs).UTC().Format(time.RFC3339Nano),
		"actorId": e.ActorID, "actor": e.Actor, "action": e.Action, "target": e.Target, "namespace": e.Namespace,
		"detail": e.Detail, "ip": e.IP, "success": e.Success}
}

func (s *server) auditEvents(c *fiber.Ctx) ([]store.AuditEvent, error) {
	if err := s.adminPrelude(c); err != nil {
		return nil, err
	}
	limit, err := intQuery(c, "limit", 200)
	if err != nil {
		return nil, err
	}
	if limit <= 0 || limit > 10000 {
		limit = 10000
	}
	since, err := intQuery(c, "since", 0)
	if err != nil {
		return nil, err
	}
	return s.Auth.Store().Audit(c.UserContext(), store.AuditFilter{Action: c.Query("action"),
		ActorID: c.Query("actorId"), Since: int64(since), Limit: limit})
}

func (s *server) listAudit(c *fiber.Ctx) error {
	events, err := s.auditEvents(c)
	if err != nil {
		return err
	}
	out := make([]fiber.Map, 0, len(events))
	for i := range events {
		out = append(out, auditJSON(&events[i]))
	}
	return c.JSON(fiber.Map{"events": out, "total": len(out)})
}

func (s *server) exportAudit(c *fiber.Ctx) error {
	events, err := s.auditEvents(c)
	if err != nil {
		return err
	}
	switch c.Query("format", "json") {
	case "json":
		out := make([]fiber.Map, 0, len(events))
		for i := range events {
			out = append(out, auditJSON(&events[i]))
		}
		return c.JSON(out)
	case "csv":
		var buf bytes.Buffer
		w := csv.NewWriter(&buf)
		_ = w.Write([]string{"id", "time", "actor", "action", "target", "namespace", "detail", "ip", "success"})
		for _, e := range events {
			_ = w.Write([]string{strconv.FormatInt(e.ID, 10), time.UnixMilli(e.AtMs).UTC().Format(time.RFC3339),
				e.Actor, e.Action, e.Target, e.Namespace, e.Detail, e.IP, strconv.FormatBool(e.Success)})
		}
		w.Flush()
		c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
		return c.Send(buf.Bytes())
	}
	return badRequest("format must be json or csv")
}

// Integration tokens (admin).

func integrationJSON(t *store.IntegrationToken) fiber.Map {
	return fiber.Map{"id": t.ID, "name": t.Name, "type": t.Type, "namespace": t.Namespace, "enabled": t.Enabled,
		"createdAt": time.UnixMilli(t.CreatedMs).UTC().Format(time.RFC3339), "updatedAt": t.UpdatedMs,
		"lastUsedAt": t.LastUsedMs, "createdBy": t.CreatedBy, "prefix": auth.IntegrationPrefix + t.Lookup}
}

func (s *server) listIntegrations(c *fiber.Ctx) error {
	if err := s.adminPrelude(c); err != nil {
		return err
	}
	list, err := s.Auth.Store().Integrations(c.UserContext())
	if err != nil {
		return err
	}
	out := make([]fiber.Map, 0, len(list))
	for i := range list {
		out = append(out, integrationJSON(&list[i]))
	}
	return c.JSON(fiber.Map{"integrations": out, "items": out, "total": len(out)})
}

func (s *server) createIntegration(c *fiber.Ctx) error {
	if err := s.adminPrelude(c); err != nil {
		return err
	}
	var b struct {
		Name      string `json:"name"`
		Type      string `json:"type"`
		Namespace string `json:"namespace"`
	}
	if err := s.decodeJSON(c, &b); err != nil {
		return err
	}
	if ns := param(c, "ns"); ns != "" {
		b.Namespace = ns
	}
	b.Name = strings.TrimSpace(b.Name)
	if b.Name == "" || len(b.Name) > 200 || !model.PlainText(b.Name) {
		return fieldErr("name", "is required: plain text of at most 200 characters")
	}
	if !contains(auth.IntegrationTypes, b.Type) {
		return fieldErr("type", "unknown type %q: use %s", b.Type, strings.Join(auth.IntegrationTypes, ", "))
	}
	if b.Namespace != "" && !model.NamePattern.MatchString(b.Namespace) {
		return fieldErr("namespace", "%q is not a namespace name", b.Namespace)
	}
	t, token, err := s.Auth.NewIntegration(b.Name, b.Type, b.Namespace, principal(c).Login)
	if err != nil {
		return err
	}
	if err := s.Auth.Store().CreateIntegration(c.UserContext(), t); err != nil {
		return err
	}
	s.audit(c, "integration.create", t.Name, t.Namespace, t.Type, true)
	return c.Status(http.StatusCreated).JSON(fiber.Map{"integration": integrationJSON(t), "token": token,
		"message": "copy the token now: it is not shown again"})
}

func (s *server) loadIntegration(c *fiber.Ctx) (*store.IntegrationToken, error) {
	if err := s.adminPrelude(c); err != nil {
		return nil, err
	}
	t, err := s.Auth.Store().GetIntegration(c.UserContext(), param(c, "id"))
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFoundErr("integration %q not found", param(c, "id"))
	}
	return t, err
}

func (s *server) updateIntegration(c *fiber.Ctx) error {
	var b struct {
		Name    *string `json:"name"`
		Enabled *bool   `json:"enabled"`
	}
	if err := s.decodeJSON(c, &b); err != nil {
		return err
	}
	t, err := s.loadIntegration(c)
	if err != nil {
		return err
	}
	if b.Name != nil {
		n := strings.TrimSpace(*b.Name)
		if n == "" || len(n) > 200 || !model.PlainText(n) {
			return fieldErr("name", "must be plain text of 1-200 characters")
		}
		t.Name = n
	}
	if b.Enabled != nil {
		t.Enabled = *b.Enabled
	}
	return s.saveIntegration(c, t, "integration.update")
}

func (s *server) saveIntegration(c *fiber.Ctx, t *store.IntegrationToken, action string) error {
	t.UpdatedMs = time.Now().UnixMilli()
	if err := s.Auth.Store().SaveIntegration(c.UserContext(), t); err != nil {
		return err
	}
	s.Auth.Invalidate()
	s.audit(c, action, t.Name, t.Namespace, "enabled="+strconv.FormatBool(t.Enabled), true)
	return c.JSON(fiber.Map{"integration": integrationJSON(t), "success": true})
}

func (s *server) setIntegrationEnabled(enabled bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		t, err := s.loadIntegration(c)
		if err != nil {
			return err
		}
		t.Enabled = enabled
		action := "integration.enable"
		if !enabled {
			action = "integration.revoke"
		}
		return s.saveIntegration(c, t, action)
	}
}

func (s *server) rotateIntegration(c *fiber.Ctx) error {
	t, err := s.loadIntegration(c)
	if err != nil {
		return err
	}
	token, err := s.Auth.Rotate(c.UserContext(), t)
	if err != nil {
		return err
	}
	s.audit(c, "integration.rotate", t.Name, t.Namespace, "", true)
	return c.JSON(fiber.Map{"integration": integrationJSON(t), "token": token,
		"message": "the old token no longer works; copy the new one now"})
}

func (s *server) deleteIntegration(c *fiber.Ctx) error {
	t, err := s.loadIntegration(c)
	if err != nil {
		return err
	}
	if err := s.Auth.Store().DeleteIntegration(c.UserContext(), t.ID); err != nil {
		return err
	}
	s.Auth.Invalidate()
	s.audit(c, "integration.delete", t.Name, t.Namespace, "", true)
	return c.JSON(fiber.Map{"id": t.ID, "deleted": true, "success": true})
}
