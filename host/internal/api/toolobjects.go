package api

import (
	"context"
	"net/http"

	"github.com/gofiber/fiber/v2"
	"github.com/mockarty-oss/mockarty/host/internal/auth"
)

// toolObjects are a tool's saved objects (perf configs, fuzz configs) as
// the API serves them: create in a namespace, get, merge-update, delete,
// each checked against the caller's namespaces.
type toolObjects[T any] struct {
	what   string // "perf config", in errors
	load   func(ctx context.Context, id string) (*T, error)
	save   func(ctx context.Context, v *T) (*T, error)
	update func(ctx context.Context, id string, body []byte) (*T, error)
	remove func(ctx context.Context, id string) error
	// ns and id point at the object's namespace and id fields.
	ns, id func(*T) *string
}

// routes serves POST path and GET, PUT and DELETE path/:id.
func (o toolObjects[T]) routes(s *server, r fiber.Router, path string) {
	r.Post(path, func(c *fiber.Ctx) error { return o.create(s, c) })
	r.Get(path+"/:id", func(c *fiber.Ctx) error {
		v, err := o.need(c, param(c, "id"), auth.Read)
		if err != nil {
			return err
		}
		return c.JSON(v)
	})
	r.Put(path+"/:id", func(c *fiber.Ctx) error {
		v, err := o.need(c, param(c, "id"), auth.Write)
		if err != nil {
			return err
		}
		return updated(s, c, *o.id(v), o.update)
	})
	r.Delete(path+"/:id", func(c *fiber.Ctx) error {
		v, err := o.need(c, param(c, "id"), auth.Write)
		if err != nil {
			return err
		}
		if err := o.remove(c.UserContext(), *o.id(v)); err != nil {
			return err
		}
		return removed(c, *o.id(v))
	})
}

// need loads an object the caller may act on.
func (o toolObjects[T]) need(c *fiber.Ctx, id string, a auth.Action) (*T, error) {
	return needIn(c, o.what, id, o.load, func(v *T) string { return *o.ns(v) }, a)
}

// create saves a new object (or replaces the one its id names) in the
// namespace the body or the request names: 201, or 409 when the id is
// another namespace's.
func (o toolObjects[T]) create(s *server, c *fiber.Ctx) error {
	v := new(T)
	if err := s.decodeJSON(c, v); err != nil {
		return err
	}
	ns, err := namespaceFor(c, *o.ns(v), auth.Write)
	if err != nil {
		return err
	}
	*o.ns(v) = ns
	if id := *o.id(v); id != "" {
		if cur, err := o.load(c.UserContext(), id); err == nil && *o.ns(cur) != ns {
			return apiErr(http.StatusConflict, CodeConflict, "%s %q is in namespace %q", o.what, id, *o.ns(cur))
		}
	}
	out, err := o.save(c.UserContext(), v)
	if err != nil {
		return err
	}
	return c.Status(http.StatusCreated).JSON(out)
}
