package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/gofiber/fiber/v2"
	"github.com/mockarty-oss/mockarty/host/internal/model"
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
		return pluginErr(name, err)
	}
	return c.JSON(fiber.Map{"name": name, "restarting": true})
}

// getPluginSettings shows a plugin's settings and their JSON Schema. It is
// for admins: settings may hold passwords.
func (s *server) getPluginSettings(c *fiber.Ctx) error {
	name := param(c, "name")
	if err := needAdmin(c); err != nil {
		return err
	}
	if s.Plugins == nil {
		return notFoundErr("plugin %q is not loaded", name)
	}
	ps, err := s.Plugins.Settings(name)
	if err != nil {
		return pluginErr(name, err)
	}
	return c.JSON(ps)
}

// putPluginSettings replaces a plugin's settings (the body is the settings
// object); patchPluginSettings merges a JSON merge patch (RFC 7386) into
// them. Both answer once the plugin runs with them.
func (s *server) putPluginSettings(c *fiber.Ctx) error   { return s.changePluginSettings(c, false) }
func (s *server) patchPluginSettings(c *fiber.Ctx) error { return s.changePluginSettings(c, true) }

func (s *server) changePluginSettings(c *fiber.Ctx, merge bool) error {
	name := param(c, "name")
	if err := needAdmin(c); err != nil {
		return err
	}
	if s.Plugins == nil {
		return notFoundErr("plugin %q is not loaded", name)
	}
	b, err := s.body(c)
	if err != nil {
		return err
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(b, &obj); err != nil || obj == nil {
		what := "the settings"
		if merge {
			what = "a merge patch of the settings"
		}
		return badRequest("the body must be a JSON object: %s", what)
	}
	settings := json.RawMessage(bytes.TrimSpace(b))
	st, err := s.Plugins.ChangeSettings(c.UserContext(), name, func(cur json.RawMessage) (json.RawMessage, error) {
		if merge {
			return model.MergePatch(cur, b)
		}
		return settings, nil
	})
	if err != nil {
		var fe *model.FieldError
		if errors.As(err, &fe) {
			return err
		}
		return pluginErr(name, err)
	}
	ps, err := s.Plugins.Settings(name)
	if err != nil {
		return pluginErr(name, err)
	}
	return c.JSON(fiber.Map{"name": name, "settings": ps.Settings, "plugin": st})
}

// pluginErr maps the plugin manager's errors onto the envelope.
func pluginErr(name string, err error) error {
	var se *plugins.SettingsError
	var ae *plugins.ApplyError
	switch {
	case errors.As(err, &se):
		e := apiErr(http.StatusUnprocessableEntity, CodeValidation, "plugin %q settings: %s", name, se.Message)
		e.Field = se.Field
		return e
	case errors.As(err, &ae):
		status := http.StatusConflict
		code := CodeConflict
		if ae.Refused {
			status, code = http.StatusUnprocessableEntity, CodeValidation
		}
		return apiErr(status, code, "plugin %q: %v", name, ae)
	case errors.Is(err, plugins.ErrUnknown):
		return notFoundErr("plugin %q is not loaded", name)
	case errors.Is(err, plugins.ErrReloadTimeout):
		return apiErr(http.StatusServiceUnavailable, CodeUnavailable, "plugin %q: %v", name, err)
	case errors.Is(err, plugins.ErrNoBinary), errors.Is(err, plugins.ErrNoConfigFile), errors.Is(err, plugins.ErrNoSchema),
		errors.Is(err, plugins.ErrConfig), errors.Is(err, plugins.ErrNotRunning):
		return apiErr(http.StatusConflict, CodeConflict, "plugin %q: %v", name, err)
	}
	return err
}
