package api

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/mockarty-oss/mockarty/host/internal/auth"
	"github.com/mockarty-oss/mockarty/host/internal/model"
	"github.com/mockarty-oss/mockarty/host/internal/store"
)

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
