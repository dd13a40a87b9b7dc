package api

import (
	"errors"
	"net/http"

	"github.com/gofiber/fiber/v2"
	"github.com/mockarty-oss/mockarty/host/internal/plugins"
)

func (s *server) listPlugins(c *fiber.Ctx) error {
	list := []plugins.Status{}
	if s.Plugins != nil {
		list = s.Plugins.List()
	}
	return c.JSON(fiber.Map{"plugins": list, "total": len(list)})
}

func (s *server) restartPlugin(c *fiber.Ctx) error {
	name := param(c, "name")
	if err := needAdmin(c); err != nil {
		return err
	}
	if s.Plugins == nil {
		return notFoundErr("plugin %q is not loaded", name)
	}
	if err := s.Plugins.Restart(name); err != nil {
		if errors.Is(err, plugins.ErrUnknown) {
			return notFoundErr("plugin %q is not loaded", name)
		}
		if errors.Is(err, plugins.ErrNoBinary) {
			return apiErr(http.StatusConflict, CodeConflict, "plugin %q: %v", name, err)
		}
		return err
	}
	return c.JSON(fiber.Map{"name": name, "restarting": true})
}
