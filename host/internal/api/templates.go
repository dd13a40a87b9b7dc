package api

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"

	"github.com/gofiber/fiber/v2"
	"github.com/mockarty-oss/mockarty/host/internal/auth"
	"github.com/mockarty-oss/mockarty/host/internal/model"
	"github.com/mockarty-oss/mockarty/host/internal/templatefiles"
)

func (s *server) templateRoutes(v1 fiber.Router) {
	v1.Get("/templates", s.listTemplates)
	v1.Post("/templates", s.uploadTemplateJSON)
	v1.Get("/templates/:fileName", s.getTemplate)
	v1.Post("/templates/:fileName", s.uploadTemplate)
	v1.Put("/templates/:fileName", s.uploadTemplate)
	v1.Delete("/templates/:fileName", s.deleteTemplate)
}

func templateJSON(f *templatefiles.File) fiber.Map {
	return fiber.Map{"name": f.Name, "namespace": f.Namespace, "size": f.Size, "updatedAt": f.UpdatedAt}
}

func (s *server) listTemplates(c *fiber.Ctx) error {
	ns, err := namespaceFor(c, "", auth.Read)
	if err != nil {
		return err
	}
	offset, limit, err := paging(c, 1000, 10000)
	if err != nil {
		return err
	}
	files, err := s.Templates.List(ns, c.Query("search"))
	if err != nil {
		return err
	}
	total := len(files)
	if offset > len(files) {
		offset = len(files)
	}
	files = files[offset:]
	if len(files) > limit {
		files = files[:limit]
	}
	names := make([]string, 0, len(files))
	items := make([]fiber.Map, 0, len(files))
	for i := range files {
		names = append(names, files[i].Name)
		items = append(items, templateJSON(&files[i]))
	}
	return c.JSON(fiber.Map{"templates": names, "items": items, "total": total, "offset": offset, "limit": limit, "namespace": ns})
}

func (s *server) getTemplate(c *fiber.Ctx) error {
	ns, err := namespaceFor(c, "", auth.Read)
	if err != nil {
		return err
	}
	name := fileParam(c)
	b, err := s.Templates.Read(ns, name)
	if err != nil {
		if err == templatefiles.ErrNotFound {
			return notFoundErr("template %q not found in namespace %q", name, ns)
		}
		return err
	}
	if json.Valid(b) {
		c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSONCharsetUTF8)
	} else {
		c.Set(fiber.HeaderContentType, fiber.MIMETextPlainCharsetUTF8)
	}
	return c.Send(b)
}

// uploadTemplate stores the body as the file content. A JSON body of the
// form {"content": "<string>"} is unwrapped (the documented upload shape);
// any other body is stored as sent.
func (s *server) uploadTemplate(c *fiber.Ctx) error {
	ns, err := namespaceFor(c, "", auth.Write)
	if err != nil {
		return err
	}
	name := fileParam(c)
	raw, err := s.rawBody(c)
	if err != nil {
		return err
	}
	content := append([]byte(nil), raw...)
	if wrapped, ok := contentWrapper(content); ok {
		content = wrapped
	}
	return s.writeTemplate(c, ns, name, content)
}

func contentWrapper(b []byte) ([]byte, bool) {
	t := bytes.TrimSpace(b)
	if len(t) == 0 || t[0] != '{' {
		return nil, false
	}
	var w map[string]json.RawMessage
	if json.Unmarshal(t, &w) != nil {
		return nil, false
	}
	raw, ok := w["content"]
	if !ok {
		return nil, false
	}
	for k := range w {
		if k != "content" && k != "name" && k != "namespace" {
			return nil, false
		}
	}
	var sv string
	if json.Unmarshal(raw, &sv) != nil {
		return nil, false
	}
	return []byte(sv), true
}

// uploadTemplateJSON accepts {"name","content","namespace"} at /templates.
func (s *server) uploadTemplateJSON(c *fiber.Ctx) error {
	var b struct {
		Name      string  `json:"name"`
		Content   *string `json:"content"`
		Namespace string  `json:"namespace"`
	}
	if err := s.decodeJSON(c, &b); err != nil {
		return err
	}
	if b.Name == "" {
		return fieldErr("name", "is required")
	}
	if b.Content == nil {
		return fieldErr("content", "is required")
	}
	if !model.ValidFileName(b.Name) {
		e := badRequest("name %q: use a plain file name such as users.json (no '/', '\\', '..', or leading '.')", b.Name)
		e.Field = "name"
		return e
	}
	ns, err := namespaceFor(c, b.Namespace, auth.Write)
	if err != nil {
		return err
	}
	return s.writeTemplate(c, ns, b.Name, []byte(*b.Content))
}

func (s *server) writeTemplate(c *fiber.Ctx, ns, name string, content []byte) error {
	existed := false
	if _, err := s.Templates.Stat(ns, name); err == nil {
		existed = true
	}
	f, err := s.Templates.Write(ns, name, content)
	if err != nil {
		return err
	}
	status := http.StatusCreated
	if existed {
		status = http.StatusOK
	}
	out := templateJSON(f)
	out["success"] = true
	return c.Status(status).JSON(out)
}

func (s *server) deleteTemplate(c *fiber.Ctx) error {
	ns, err := namespaceFor(c, "", auth.Delete)
	if err != nil {
		return err
	}
	name := fileParam(c)
	if err := s.Templates.Delete(ns, name); err != nil {
		if err == templatefiles.ErrNotFound {
			return notFoundErr("template %q not found in namespace %q", name, ns)
		}
		return err
	}
	return c.JSON(fiber.Map{"name": name, "namespace": ns, "deleted": true})
}

// fileParam is the template name from the path, unescaped as sent: the name
// check refuses anything that is not a plain file name.
func fileParam(c *fiber.Ctx) string {
	v := c.Params("fileName")
	if u, err := url.PathUnescape(v); err == nil {
		return u
	}
	return v
}
