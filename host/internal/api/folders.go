package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/mockarty-oss/mockarty/host/internal/auth"
	"github.com/mockarty-oss/mockarty/host/internal/model"
	"github.com/mockarty-oss/mockarty/host/internal/store"
)

func (s *server) folderRoutes(v1 fiber.Router) {
	v1.Get("/mock-folders", s.listFolders)
	v1.Post("/mock-folders", s.createFolder)
	v1.Get("/mock-folders/:id", s.getFolder)
	v1.Put("/mock-folders/:id", s.updateFolder)
	v1.Delete("/mock-folders/:id", s.deleteFolder)
	v1.Patch("/mock-folders/:id/move", s.moveFolder)
}

type folderBody struct {
	ID        string  `json:"id"`
	Namespace string  `json:"namespace"`
	ParentID  *string `json:"parentId"`
	Name      *string `json:"name"`
	SortOrder *int64  `json:"sortOrder"`
}

func folderJSON(f *store.Folder) fiber.Map {
	return fiber.Map{"id": f.ID, "namespace": f.Namespace, "parentId": f.ParentID, "name": f.Name,
		"sortOrder": f.SortOrder, "mockCount": f.MockCount, "createdAt": isoMs(f.CreatedAt), "updatedAt": isoMs(f.UpdatedAt)}
}

func (s *server) listFolders(c *fiber.Ctx) error {
	ns, err := namespaceFor(c, "", auth.Read)
	if err != nil {
		return err
	}
	folders, err := s.Catalog.Store().Folders(c.UserContext(), ns)
	if err != nil {
		return err
	}
	out := make([]fiber.Map, 0, len(folders))
	counts := map[string]int64{}
	for i := range folders {
		out = append(out, folderJSON(&folders[i]))
		counts[folders[i].ID] = folders[i].MockCount
	}
	return c.JSON(fiber.Map{"folders": out, "mockCounts": counts, "total": len(out), "namespace": ns})
}

func (s *server) getFolder(c *fiber.Ctx) error {
	f, err := s.needFolder(c, param(c, "id"), auth.Read)
	if err != nil {
		return err
	}
	return c.JSON(folderJSON(f))
}

func folderErr(err error, id string) error {
	if err == store.ErrNotFound {
		return notFoundErr("folder %q not found", id)
	}
	if errors.Is(err, store.ErrNotFound) {
		e := notFoundErr("%s", strings.TrimPrefix(err.Error(), store.ErrNotFound.Error()+": "))
		e.Field = "parentId"
		return e
	}
	if errors.Is(err, store.ErrConflict) {
		e := apiErr(http.StatusConflict, CodeConflict, "%s", strings.TrimPrefix(err.Error(), store.ErrConflict.Error()+": "))
		return e
	}
	return err
}

func validFolderName(name *string) error {
	if name == nil || strings.TrimSpace(*name) == "" {
		return fieldErr("name", "is required")
	}
	if len(*name) > 200 {
		return fieldErr("name", "must be at most 200 characters")
	}
	if !model.PlainText(*name) {
		return fieldErr("name", "must not contain control characters")
	}
	return nil
}

func (s *server) createFolder(c *fiber.Ctx) error {
	var b folderBody
	if err := s.decodeJSON(c, &b); err != nil {
		return err
	}
	if err := validFolderName(b.Name); err != nil {
		return err
	}
	if b.ID != "" && !model.NamePattern.MatchString(b.ID) {
		return fieldErr("id", "must be 1-100 letters, digits, '.', '_' or '-'")
	}
	ns, err := namespaceFor(c, b.Namespace, auth.Write)
	if err != nil {
		return err
	}
	f := store.Folder{ID: b.ID, Namespace: ns, Name: strings.TrimSpace(*b.Name)}
	if b.ParentID != nil {
		f.ParentID = *b.ParentID
	}
	if b.SortOrder != nil {
		f.SortOrder = *b.SortOrder
	}
	out, err := s.Catalog.Store().CreateFolder(c.UserContext(), f)
	if err != nil {
		return folderErr(err, b.ID)
	}
	return c.Status(http.StatusCreated).JSON(folderJSON(out))
}

func (s *server) updateFolder(c *fiber.Ctx) error {
	id := param(c, "id")
	cur, err := s.needFolder(c, id, auth.Write)
	if err != nil {
		return err
	}
	var b folderBody
	if err := s.decodeJSON(c, &b); err != nil {
		return err
	}
	f := *cur
	if b.Name != nil {
		if err := validFolderName(b.Name); err != nil {
			return err
		}
		f.Name = strings.TrimSpace(*b.Name)
	}
	if b.ParentID != nil {
		f.ParentID = *b.ParentID
	}
	if b.SortOrder != nil {
		f.SortOrder = *b.SortOrder
	}
	out, err := s.Catalog.Store().UpdateFolder(c.UserContext(), f)
	if err != nil {
		return folderErr(err, id)
	}
	return c.JSON(folderJSON(out))
}

func (s *server) moveFolder(c *fiber.Ctx) error {
	id := param(c, "id")
	cur, err := s.needFolder(c, id, auth.Write)
	if err != nil {
		return err
	}
	var b struct {
		ParentID  *string `json:"parentId"`
		SortOrder *int64  `json:"sortOrder"`
	}
	if err := s.decodeJSON(c, &b); err != nil {
		return err
	}
	raw, _ := s.rawBody(c)
	if !hasJSONKey(raw, "parentId") && b.SortOrder == nil {
		return badRequest("nothing to move: send {\"parentId\": \"<folder id>\"} (null, \"\" or \"root\" for the top level)")
	}
	f := *cur
	if hasJSONKey(raw, "parentId") {
		f.ParentID = ""
		if b.ParentID != nil && *b.ParentID != "root" {
			f.ParentID = *b.ParentID
		}
	}
	if b.SortOrder != nil {
		f.SortOrder = *b.SortOrder
	}
	out, err := s.Catalog.Store().UpdateFolder(c.UserContext(), f)
	if err != nil {
		return folderErr(err, id)
	}
	return c.JSON(folderJSON(out))
}

func (s *server) deleteFolder(c *fiber.Ctx) error {
	id := param(c, "id")
	if _, err := s.needFolder(c, id, auth.Delete); err != nil {
		return err
	}
	if err := s.Catalog.Store().DeleteFolder(c.UserContext(), id); err != nil {
		return folderErr(err, id)
	}
	return c.JSON(fiber.Map{"id": id, "deleted": true})
}

func (s *server) tagRoutes(v1 fiber.Router) {
	v1.Get("/tags", s.listTags)
	v1.Post("/tags", s.createTag)
	v1.Delete("/tags/:name", s.deleteTag)
}

func (s *server) listTags(c *fiber.Ctx) error {
	ns, err := optionalNamespace(c)
	if err != nil {
		return err
	}
	var tags []store.Tag
	if readable := readableNamespaces(c); ns == "" && readable != nil {
		// Only the namespaces the caller may read, merged by name.
		byName := map[string]int{}
		for _, n := range readable {
			list, err := s.Catalog.Store().Tags(c.UserContext(), n)
			if err != nil {
				return err
			}
			for _, t := range list {
				if i, ok := byName[t.Name]; ok {
					tags[i].Count += t.Count
					continue
				}
				byName[t.Name] = len(tags)
				tags = append(tags, t)
			}
		}
	} else {
		if ns != "" {
			if err := need(c, ns, auth.Read); err != nil {
				return err
			}
		}
		if tags, err = s.Catalog.Store().Tags(c.UserContext(), ns); err != nil {
			return err
		}
	}
	names := make([]string, 0, len(tags))
	items := make([]fiber.Map, 0, len(tags))
	for _, t := range tags {
		names = append(names, t.Name)
		item := fiber.Map{"name": t.Name, "count": t.Count}
		if t.Color != "" {
			item["color"] = t.Color
		}
		items = append(items, item)
	}
	return c.JSON(fiber.Map{"tags": names, "items": items, "total": len(names), "namespace": ns})
}

func (s *server) createTag(c *fiber.Ctx) error {
	var b struct {
		Tag       string `json:"tag"`
		Name      string `json:"name"`
		Color     string `json:"color"`
		Namespace string `json:"namespace"`
	}
	if err := s.decodeJSON(c, &b); err != nil {
		return err
	}
	name := strings.TrimSpace(b.Tag)
	if name == "" {
		name = strings.TrimSpace(b.Name)
	}
	if name == "" {
		return fieldErr("tag", "tag name is required: send {\"tag\": \"...\"}")
	}
	if len(name) > 100 {
		return fieldErr("tag", "must be at most 100 characters")
	}
	if !model.PlainText(name) || !model.PlainText(b.Color) || len(b.Color) > 32 {
		return fieldErr("tag", "tag and color must be plain text (color at most 32 characters)")
	}
	ns, err := namespaceFor(c, b.Namespace, auth.Write)
	if err != nil {
		return err
	}
	if err := s.Catalog.Store().CreateTag(c.UserContext(), ns, name, b.Color); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return apiErr(http.StatusConflict, CodeConflict, "tag %q already exists in namespace %q", name, ns)
		}
		return err
	}
	return c.Status(http.StatusCreated).JSON(fiber.Map{"tag": name, "name": name, "namespace": ns, "count": 0})
}

func (s *server) deleteTag(c *fiber.Ctx) error {
	ns, err := namespaceFor(c, "", auth.Delete)
	if err != nil {
		return err
	}
	name := param(c, "name")
	if err := s.Catalog.Store().DeleteTag(c.UserContext(), ns, name); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return notFoundErr("tag %q not found in namespace %q", name, ns)
		}
		return err
	}
	return c.JSON(fiber.Map{"tag": name, "namespace": ns, "deleted": true})
}

// hasJSONKey reports whether a JSON object body has the key (even when null).
func hasJSONKey(body []byte, key string) bool {
	var m map[string]json.RawMessage
	if json.Unmarshal(body, &m) != nil {
		return false
	}
	_, ok := m[key]
	return ok
}
