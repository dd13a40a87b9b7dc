package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/mockarty-oss/mockarty/host/internal/auth"
	"github.com/mockarty-oss/mockarty/host/internal/model"
	"github.com/mockarty-oss/mockarty/host/internal/store"
)

func (s *server) namespaceRoutes(v1 fiber.Router) {
	v1.Get("/namespaces", s.listNamespaces)
	v1.Post("/namespaces", s.createNamespace)
}

func (s *server) listNamespaces(c *fiber.Ctx) error {
	names, err := s.Catalog.Store().Namespaces(c.UserContext())
	if err != nil {
		return err
	}
	if !contains(names, model.DefaultNamespace) {
		names = append([]string{model.DefaultNamespace}, names...)
	}
	if readable := readableNamespaces(c); readable != nil {
		visible := names[:0]
		for _, n := range names {
			if contains(readable, n) {
				visible = append(visible, n)
			}
		}
		names = visible
	}
	return c.JSON(fiber.Map{"namespaces": names, "total": len(names)})
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func (s *server) createNamespace(c *fiber.Ctx) error {
	var b struct {
		Name string `json:"name"`
	}
	if err := s.decodeJSON(c, &b); err != nil {
		return err
	}
	b.Name = strings.TrimSpace(b.Name)
	if !model.NamePattern.MatchString(b.Name) {
		return fieldErr("name", "is required: 1-100 letters, digits, '.', '_' or '-', starting with a letter or digit")
	}
	p := principal(c)
	if p.Via == "integration" && p.IntegrationType != "orchestrator" {
		return forbidden("integration %s tokens cannot create namespaces", p.IntegrationType)
	}
	if err := s.Catalog.Store().CreateNamespace(c.UserContext(), b.Name); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return apiErr(http.StatusConflict, CodeConflict, "namespace %q already exists", b.Name)
		}
		return err
	}
	s.Resolver.AddNamespace(b.Name)
	if s.Auth != nil && p.Via != "local" && p.Via != "integration" {
		// The creator owns the new namespace.
		if err := s.Auth.Store().SetMember(c.UserContext(), &store.Member{Namespace: b.Name, UserID: p.UserID,
			Role: auth.RoleOwner, CreatedMs: time.Now().UnixMilli()}); err != nil {
			return err
		}
		s.Auth.Invalidate()
		s.audit(c, "namespace.create", b.Name, b.Name, "owner "+p.Login, true)
	}
	return c.Status(http.StatusCreated).JSON(fiber.Map{"name": b.Name, "namespace": b.Name, "created": true})
}

func (s *server) storeRoutes(v1 fiber.Router) {
	v1.Get("/stores/global", s.getStore(false))
	v1.Post("/stores/global", s.setStore(false))
	v1.Delete("/stores/global/:key", s.deleteStoreKey(false))
	v1.Get("/stores/chain/:chainId", s.getStore(true))
	v1.Post("/stores/chain/:chainId", s.setStore(true))
	v1.Delete("/stores/chain/:chainId/:key", s.deleteStoreKey(true))
}

func chainParam(c *fiber.Ctx, chain bool) (string, error) {
	if !chain {
		return "", nil
	}
	id := param(c, "chainId")
	if !model.NamePattern.MatchString(id) {
		e := badRequest("chain id %q: use 1-100 letters, digits, '.', '_' or '-'", id)
		e.Field = "chainId"
		return "", e
	}
	return id, nil
}

func (s *server) getStore(chain bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		ns, err := namespaceFor(c, "", auth.Read)
		if err != nil {
			return err
		}
		chainID, err := chainParam(c, chain)
		if err != nil {
			return err
		}
		return c.JSON(s.Resolver.Stores.All(ns, chainID))
	}
}

func (s *server) setStore(chain bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		var b struct {
			Key       *string         `json:"key"`
			Value     json.RawMessage `json:"value"`
			Namespace string          `json:"namespace"`
		}
		if err := s.decodeJSON(c, &b); err != nil {
			return err
		}
		if b.Key == nil || strings.TrimSpace(*b.Key) == "" {
			return fieldErr("key", "is required: send {\"key\": \"...\", \"value\": <any JSON>}")
		}
		if len(*b.Key) > 500 {
			return fieldErr("key", "must be at most 500 characters")
		}
		if !model.PlainText(*b.Key) {
			return fieldErr("key", "must not contain control characters")
		}
		if b.Value == nil {
			return fieldErr("value", "is required (any JSON value, null included)")
		}
		ns, err := namespaceFor(c, b.Namespace, auth.Write)
		if err != nil {
			return err
		}
		chainID, err := chainParam(c, chain)
		if err != nil {
			return err
		}
		if err := s.Resolver.Stores.Set(c.UserContext(), ns, chainID, *b.Key, b.Value); err != nil {
			return err
		}
		out := fiber.Map{"key": *b.Key, "value": b.Value, "namespace": ns, "success": true}
		if chain {
			out["chainId"] = chainID
		}
		return c.JSON(out)
	}
}

func (s *server) deleteStoreKey(chain bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		ns, err := namespaceFor(c, "", auth.Delete)
		if err != nil {
			return err
		}
		chainID, err := chainParam(c, chain)
		if err != nil {
			return err
		}
		key := param(c, "key")
		if err := s.Resolver.Stores.Delete(c.UserContext(), ns, chainID, key); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return notFoundErr("key %q is not in the store of namespace %q", key, ns)
			}
			return err
		}
		return c.JSON(fiber.Map{"key": key, "namespace": ns, "deleted": true})
	}
}
