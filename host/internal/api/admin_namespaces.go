package api

import (
	"errors"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/mockarty-oss/mockarty/host/internal/store"
)

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
