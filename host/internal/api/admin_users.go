package api

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/mockarty-oss/mockarty/host/internal/model"
	"github.com/mockarty-oss/mockarty/host/internal/store"
)

// Users (admin). The list is a bare array, as the SDKs read it.

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
