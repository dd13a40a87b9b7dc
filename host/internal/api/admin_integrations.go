package api

import (
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
