package api

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/mockarty-oss/mockarty/host/internal/auth"
	"github.com/mockarty-oss/mockarty/host/internal/model"
	"github.com/mockarty-oss/mockarty/host/internal/tester"
	"github.com/mockarty-oss/mockarty/sdk/postman"
)

// The API tester (api-reference section 7): the host keeps collections,
// environments, tests, schedules and runs; the tester plugin runs them.
func (s *server) testerRoutes(v1 fiber.Router) {
	t := v1.Group("/api-tester")
	s.testerExecRoutes(t) // /requests/history and the like before /requests/:id
	// Static segments first: they must win over :id (model-tools §0.5).
	t.Get("/collections", s.listCollections)
	t.Post("/collections", s.createCollection)
	t.Delete("/collections/batch", s.batchDeleteCollections)
	t.Post("/collections/execute-multiple", s.executeMultiple)
	t.Post("/collections/run-multiple", s.executeMultiple)
	t.Get("/collections/:id", s.getCollection)
	t.Put("/collections/:id", s.updateCollection)
	t.Delete("/collections/:id", s.deleteCollection)
	t.Post("/collections/:id/restore", s.restoreCollection)
	t.Post("/collections/:id/duplicate", s.duplicateCollection)
	t.Get("/collections/:id/export", s.exportCollection)
	t.Post("/collections/:id/execute", s.executeCollection)
	t.Post("/collections/:id/run", s.executeCollection)
	t.Post("/collections/:id/share-with-users", s.shareWithUsers)
	t.Post("/collections/:id/share-with-spaces", s.shareWithSpaces)
	t.Get("/collections/:id/users", s.collectionUsers)
	t.Put("/collections/:id/users/:userId/role", s.setCollectionUserRole)
	t.Delete("/collections/:id/users/:userId", s.removeCollectionUser)
	t.Get("/collections/:id/spaces", s.collectionSpaces)
	t.Delete("/collections/:id/spaces/:namespace", s.removeCollectionSpace)
	t.Get("/collections/:id/requests", s.listRequests)
	t.Post("/collections/:id/requests", s.createRequest)
	t.Post("/collections/:id/requests/reorder", s.reorderRequests)
	t.Get("/collections/:id/folders", s.listTesterFolders)
	t.Post("/collections/:id/folders", s.createTesterFolder)
	t.Get("/folders/:id", s.getTesterFolder)
	t.Put("/folders/:id", s.updateTesterFolder)
	t.Delete("/folders/:id", s.deleteTesterFolder)

	t.Delete("/requests/batch", s.batchDeleteRequests)
	t.Patch("/requests/batch/move", s.batchMoveRequests)
	t.Get("/requests/:id", s.getRequest)
	t.Put("/requests/:id", s.updateRequest)
	t.Delete("/requests/:id", s.deleteRequest)

	t.Get("/environments", s.listEnvironments)
	t.Post("/environments", s.createEnvironment)
	t.Get("/environments/active", s.activeEnvironment)
	t.Get("/environments/:id", s.getEnvironment)
	t.Put("/environments/:id", s.updateEnvironment)
	t.Delete("/environments/:id", s.deleteEnvironment)
	t.Post("/environments/:id/activate", s.activateEnvironment)

	s.testRunRoutes(v1, t)
	s.testerImportRoutes(t)
	s.testerGenerateRoutes(t)
	s.testerHelperRoutes(v1, t)
}

// --- helpers ---

func (s *server) testerSvc() *tester.Service { return s.Tester }

// needCollection loads a live collection the caller may act on: a in its
// namespace, or reading (and running) through a namespace or user it is
// shared with.
func (s *server) needCollection(c *fiber.Ctx, id string, a auth.Action) (*tester.Collection, error) {
	col, err := s.testerSvc().Collection(c.UserContext(), id, false)
	if err != nil {
		return nil, err
	}
	return col, s.mayCollection(c, col, a)
}

func (s *server) mayCollection(c *fiber.Ctx, col *tester.Collection, a auth.Action) error {
	p := principal(c)
	if p.Allows(col.Namespace, a) {
		return nil
	}
	if a == auth.Read {
		for _, ns := range col.SharedNamespaces {
			if p.Allows(ns, auth.Read) {
				return nil
			}
		}
		for _, u := range col.SharedUsers {
			if p.UserID != "" && u.UserID == p.UserID {
				return nil
			}
		}
	}
	if !p.Allows(col.Namespace, auth.Read) {
		return notFoundErr("collection %q not found", col.ID)
	}
	return need(c, col.Namespace, a)
}

// listTester answers a tester list: of the ?namespace= given (which the
// caller must read), else of every namespace the caller reads.
func listTester[T any](c *fiber.Ctx, list func(ctx context.Context, ns string, readable []string) ([]T, error)) error {
	ns, err := readNamespace(c)
	if err != nil {
		return err
	}
	out, err := list(c.UserContext(), ns, readableNamespaces(c))
	if err != nil {
		return err
	}
	return c.JSON(out)
}

// needIn loads a namespaced object and checks the caller may do a in its
// namespace; one it may not even read is not found.
func needIn[T any](c *fiber.Ctx, what, id string, load func(context.Context, string) (*T, error), ns func(*T) string, a auth.Action) (*T, error) {
	v, err := load(c.UserContext(), id)
	if err != nil {
		return nil, err
	}
	if !principal(c).Allows(ns(v), auth.Read) {
		return nil, notFoundErr("%s %q not found", what, id)
	}
	return v, need(c, ns(v), a)
}

// objectBody is the request body, which must be a JSON object.
func (s *server) objectBody(c *fiber.Ctx) ([]byte, error) {
	b, err := s.body(c)
	if err != nil {
		return nil, err
	}
	return b, decodeJSONBytes(b, &map[string]json.RawMessage{})
}

// updated answers an update: the body merged by update into object id.
func updated[T any](s *server, c *fiber.Ctx, id string, update func(ctx context.Context, id string, body []byte) (*T, error)) error {
	b, err := s.objectBody(c)
	if err != nil {
		return err
	}
	out, err := update(c.UserContext(), id, b)
	if err != nil {
		return err
	}
	return c.JSON(out)
}

// removed answers a delete.
func removed(c *fiber.Ctx, id string) error { return c.JSON(fiber.Map{"status": "ok", "id": id}) }

// optionalBody is the request body, or nil when it is empty (every action
// accepts an empty body, even with a JSON content type: model-tools §0.1).
func (s *server) optionalBody(c *fiber.Ctx) ([]byte, error) {
	b, err := s.body(c)
	if err != nil {
		return nil, err
	}
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return nil, nil
	}
	return b, nil
}

// decodeOptional decodes a body that may be empty.
func (s *server) decodeOptional(c *fiber.Ctx, v any) error {
	b, err := s.optionalBody(c)
	if err != nil || b == nil {
		return err
	}
	return decodeJSONBytes(b, v)
}

func (s *server) idsOf(c *fiber.Ctx) ([]string, error) {
	var b idsBody
	if err := s.decodeJSON(c, &b); err != nil {
		return nil, err
	}
	ids := b.list()
	if len(ids) == 0 {
		return nil, fieldErr("ids", "list at least one id")
	}
	if len(ids) > 10000 {
		return nil, fieldErr("ids", "at most 10000 ids")
	}
	return ids, nil
}

// --- collections ---

func (s *server) listCollections(c *fiber.Ctx) error {
	deleted := c.QueryBool("deleted")
	return listTester(c, func(ctx context.Context, ns string, readable []string) ([]tester.Collection, error) {
		return s.testerSvc().Collections(ctx, ns, readable, deleted)
	})
}

func (s *server) getCollection(c *fiber.Ctx) error {
	col, err := s.testerSvc().Collection(c.UserContext(), param(c, "id"), true)
	if err != nil {
		return err
	}
	if err := s.mayCollection(c, col, auth.Read); err != nil {
		return err
	}
	return c.JSON(col)
}

func (s *server) createCollection(c *fiber.Ctx) error {
	var col tester.Collection
	if err := s.decodeJSON(c, &col); err != nil {
		return err
	}
	ns, err := namespaceFor(c, col.Namespace, auth.Write)
	if err != nil {
		return err
	}
	col.Namespace, col.UserID = ns, principal(c).UserID
	out, err := s.testerSvc().CreateCollection(c.UserContext(), &col)
	if err != nil {
		return err
	}
	return c.Status(http.StatusCreated).JSON(out)
}

func (s *server) updateCollection(c *fiber.Ctx) error {
	id := param(c, "id")
	if _, err := s.needCollection(c, id, auth.Write); err != nil {
		return err
	}
	return updated(s, c, id, s.testerSvc().UpdateCollection)
}

func (s *server) deleteCollection(c *fiber.Ctx) error {
	id := param(c, "id")
	if _, err := s.needCollection(c, id, auth.Write); err != nil {
		return err
	}
	if _, err := s.testerSvc().DeleteCollections(c.UserContext(), []string{id}); err != nil {
		return err
	}
	return c.JSON(fiber.Map{"status": "ok", "id": id, "deleted": true, "restorable": true})
}

func (s *server) batchDeleteCollections(c *fiber.Ctx) error {
	ids, err := s.idsOf(c)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if _, err := s.needCollection(c, id, auth.Write); err != nil {
			return err
		}
	}
	n, err := s.testerSvc().DeleteCollections(c.UserContext(), ids)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"status": "ok", "deleted": n})
}

func (s *server) restoreCollection(c *fiber.Ctx) error {
	id := param(c, "id")
	col, err := s.testerSvc().CollectionAny(c.UserContext(), id)
	if err != nil {
		return err
	}
	if err := s.mayCollection(c, col, auth.Write); err != nil {
		return err
	}
	out, err := s.testerSvc().RestoreCollection(c.UserContext(), id)
	if err != nil {
		return err
	}
	return c.JSON(out)
}

func (s *server) duplicateCollection(c *fiber.Ctx) error {
	col, err := s.needCollection(c, param(c, "id"), auth.Read)
	if err != nil {
		return err
	}
	if err := need(c, col.Namespace, auth.Write); err != nil {
		return err
	}
	out, err := s.testerSvc().DuplicateCollection(c.UserContext(), col.ID, principal(c).UserID)
	if err != nil {
		return err
	}
	return c.Status(http.StatusCreated).JSON(out)
}

// exportCollection writes the collection as a Postman v2.1 document.
func (s *server) exportCollection(c *fiber.Ctx) error {
	col, err := s.needCollection(c, param(c, "id"), auth.Read)
	if err != nil {
		return err
	}
	full, err := s.testerSvc().Collection(c.UserContext(), col.ID, true)
	if err != nil {
		return err
	}
	b, err := postman.Marshal(tester.ToPostman(full, full.Folders, full.Requests))
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+safeFileName(full.Name)+`.postman_collection.json"`)
	return c.Send(b)
}

func safeFileName(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	if b.Len() == 0 {
		return "collection"
	}
	return b.String()
}

// --- sharing ---

func (s *server) shareWithUsers(c *fiber.Ctx) error {
	col, err := s.needCollection(c, param(c, "id"), auth.Write)
	if err != nil {
		return err
	}
	var b struct {
		UserIDs []string `json:"userIds"`
		UserID  string   `json:"userId"`
		Role    string   `json:"role"`
	}
	if err := s.decodeJSON(c, &b); err != nil {
		return err
	}
	if b.UserID != "" {
		b.UserIDs = append(b.UserIDs, b.UserID)
	}
	if len(b.UserIDs) == 0 {
		return fieldErr("userIds", "list at least one user id")
	}
	role, err := shareRole(b.Role)
	if err != nil {
		return err
	}
	for _, u := range b.UserIDs {
		col.SharedUsers = upsertShare(col.SharedUsers, u, role)
	}
	col.IsShared = true
	if err := s.testerSvc().SaveCollection(c.UserContext(), col); err != nil {
		return err
	}
	return c.JSON(col.SharedUsers)
}

func shareRole(r string) (string, error) {
	switch r {
	case "":
		return "viewer", nil
	case "viewer", "editor", "runner":
		return r, nil
	}
	return "", fieldErr("role", "%q is not a role (viewer, runner, editor)", r)
}

func upsertShare(list []tester.Share, user, role string) []tester.Share {
	for i := range list {
		if list[i].UserID == user {
			list[i].Role = role
			return list
		}
	}
	return append(list, tester.Share{UserID: user, Role: role})
}

func (s *server) shareWithSpaces(c *fiber.Ctx) error {
	col, err := s.needCollection(c, param(c, "id"), auth.Write)
	if err != nil {
		return err
	}
	var b struct {
		Namespaces []string `json:"namespaces"`
		Spaces     []string `json:"spaces"`
		Namespace  string   `json:"namespace"`
	}
	if err := s.decodeJSON(c, &b); err != nil {
		return err
	}
	list := append(append(b.Namespaces, b.Spaces...), b.Namespace)
	added := 0
	for _, ns := range list {
		if ns == "" {
			continue
		}
		if _, err := namespaceFromValue(ns); err != nil {
			return err
		}
		if !containsString(col.SharedNamespaces, ns) {
			col.SharedNamespaces = append(col.SharedNamespaces, ns)
		}
		added++
	}
	if added == 0 {
		return fieldErr("namespaces", "list at least one namespace")
	}
	col.IsShared = true
	if err := s.testerSvc().SaveCollection(c.UserContext(), col); err != nil {
		return err
	}
	return c.JSON(col.SharedNamespaces)
}

func namespaceFromValue(ns string) (string, error) {
	if !model.NamePattern.MatchString(ns) {
		return "", fieldErr("namespaces", "%q: use 1-100 letters, digits, '.', '_' or '-'", ns)
	}
	return ns, nil
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (s *server) collectionUsers(c *fiber.Ctx) error {
	col, err := s.needCollection(c, param(c, "id"), auth.Read)
	if err != nil {
		return err
	}
	return c.JSON(col.SharedUsers)
}

func (s *server) setCollectionUserRole(c *fiber.Ctx) error {
	col, err := s.needCollection(c, param(c, "id"), auth.Write)
	if err != nil {
		return err
	}
	var b struct {
		Role string `json:"role"`
	}
	if err := s.decodeJSON(c, &b); err != nil {
		return err
	}
	role, err := shareRole(b.Role)
	if err != nil {
		return err
	}
	user := param(c, "userId")
	found := false
	for _, u := range col.SharedUsers {
		found = found || u.UserID == user
	}
	if !found {
		return notFoundErr("collection %q is not shared with user %q", col.ID, user)
	}
	col.SharedUsers = upsertShare(col.SharedUsers, user, role)
	if err := s.testerSvc().SaveCollection(c.UserContext(), col); err != nil {
		return err
	}
	return c.JSON(col.SharedUsers)
}

func (s *server) removeCollectionUser(c *fiber.Ctx) error {
	col, err := s.needCollection(c, param(c, "id"), auth.Write)
	if err != nil {
		return err
	}
	user := param(c, "userId")
	out := col.SharedUsers[:0]
	for _, u := range col.SharedUsers {
		if u.UserID != user {
			out = append(out, u)
		}
	}
	col.SharedUsers = out
	col.IsShared = len(col.SharedUsers)+len(col.SharedNamespaces) > 0
	if err := s.testerSvc().SaveCollection(c.UserContext(), col); err != nil {
		return err
	}
	return c.JSON(col.SharedUsers)
}

func (s *server) collectionSpaces(c *fiber.Ctx) error {
	col, err := s.needCollection(c, param(c, "id"), auth.Read)
	if err != nil {
		return err
	}
	return c.JSON(col.SharedNamespaces)
}

func (s *server) removeCollectionSpace(c *fiber.Ctx) error {
	col, err := s.needCollection(c, param(c, "id"), auth.Write)
	if err != nil {
		return err
	}
	ns := param(c, "namespace")
	out := col.SharedNamespaces[:0]
	for _, x := range col.SharedNamespaces {
		if x != ns {
			out = append(out, x)
		}
	}
	col.SharedNamespaces = out
	col.IsShared = len(col.SharedUsers)+len(col.SharedNamespaces) > 0
	if err := s.testerSvc().SaveCollection(c.UserContext(), col); err != nil {
		return err
	}
	return c.JSON(col.SharedNamespaces)
}

// --- folders ---

func (s *server) listTesterFolders(c *fiber.Ctx) error {
	col, err := s.needCollection(c, param(c, "id"), auth.Read)
	if err != nil {
		return err
	}
	folders, _, err := s.testerSvc().Tree(c.UserContext(), col.ID)
	if err != nil {
		return err
	}
	return c.JSON(folders)
}

func (s *server) createTesterFolder(c *fiber.Ctx) error {
	col, err := s.needCollection(c, param(c, "id"), auth.Write)
	if err != nil {
		return err
	}
	var f tester.Folder
	if err := s.decodeJSON(c, &f); err != nil {
		return err
	}
	out, err := s.testerSvc().CreateFolder(c.UserContext(), col, &f)
	if err != nil {
		return err
	}
	return c.Status(http.StatusCreated).JSON(out)
}

// needTesterFolder loads a folder and checks its collection's rights.
func (s *server) needTesterFolder(c *fiber.Ctx, a auth.Action) (*tester.Folder, error) {
	f, err := s.testerSvc().Folder(c.UserContext(), param(c, "id"))
	if err != nil {
		return nil, err
	}
	_, err = s.needCollection(c, f.CollectionID, a)
	return f, err
}

func (s *server) getTesterFolder(c *fiber.Ctx) error {
	f, err := s.needTesterFolder(c, auth.Read)
	if err != nil {
		return err
	}
	return c.JSON(f)
}

func (s *server) updateTesterFolder(c *fiber.Ctx) error {
	f, err := s.needTesterFolder(c, auth.Write)
	if err != nil {
		return err
	}
	return updated(s, c, f.ID, s.testerSvc().UpdateFolder)
}

func (s *server) deleteTesterFolder(c *fiber.Ctx) error {
	f, err := s.needTesterFolder(c, auth.Write)
	if err != nil {
		return err
	}
	if err := s.testerSvc().DeleteFolder(c.UserContext(), f.ID); err != nil {
		return err
	}
	return removed(c, f.ID)
}

// --- requests ---

func (s *server) listRequests(c *fiber.Ctx) error {
	col, err := s.needCollection(c, param(c, "id"), auth.Read)
	if err != nil {
		return err
	}
	list, err := s.testerSvc().Requests(c.UserContext(), col.ID)
	if err != nil {
		return err
	}
	return c.JSON(list)
}

func (s *server) createRequest(c *fiber.Ctx) error {
	col, err := s.needCollection(c, param(c, "id"), auth.Write)
	if err != nil {
		return err
	}
	var r tester.Request
	if err := s.decodeJSON(c, &r); err != nil {
		return err
	}
	out, err := s.testerSvc().CreateRequest(c.UserContext(), col, &r)
	if err != nil {
		return err
	}
	return c.Status(http.StatusCreated).JSON(out)
}

func (s *server) reorderRequests(c *fiber.Ctx) error {
	col, err := s.needCollection(c, param(c, "id"), auth.Write)
	if err != nil {
		return err
	}
	ids, err := s.idsOf(c)
	if err != nil {
		return err
	}
	out, err := s.testerSvc().ReorderRequests(c.UserContext(), col, ids)
	if err != nil {
		return err
	}
	return c.JSON(out)
}

// needRequest loads a request and checks its collection's rights.
func (s *server) needRequest(c *fiber.Ctx, id string, a auth.Action) (*tester.Request, error) {
	r, err := s.testerSvc().Request(c.UserContext(), id)
	if err != nil {
		return nil, err
	}
	_, err = s.needCollection(c, r.CollectionID, a)
	return r, err
}

func (s *server) getRequest(c *fiber.Ctx) error {
	r, err := s.needRequest(c, param(c, "id"), auth.Read)
	if err != nil {
		return err
	}
	return c.JSON(r)
}

func (s *server) updateRequest(c *fiber.Ctx) error {
	r, err := s.needRequest(c, param(c, "id"), auth.Write)
	if err != nil {
		return err
	}
	return updated(s, c, r.ID, s.testerSvc().UpdateRequest)
}

func (s *server) deleteRequest(c *fiber.Ctx) error {
	r, err := s.needRequest(c, param(c, "id"), auth.Write)
	if err != nil {
		return err
	}
	if _, err := s.testerSvc().DeleteRequests(c.UserContext(), []string{r.ID}); err != nil {
		return err
	}
	return removed(c, r.ID)
}

func (s *server) batchDeleteRequests(c *fiber.Ctx) error {
	ids, err := s.idsOf(c)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if _, err := s.needRequest(c, id, auth.Write); err != nil {
			return err
		}
	}
	n, err := s.testerSvc().DeleteRequests(c.UserContext(), ids)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"status": "ok", "deleted": n})
}

func (s *server) batchMoveRequests(c *fiber.Ctx) error {
	var b struct {
		IDs      []string `json:"ids"`
		FolderID string   `json:"folderId"`
	}
	if err := s.decodeJSON(c, &b); err != nil {
		return err
	}
	if len(b.IDs) == 0 {
		return fieldErr("ids", "list at least one id")
	}
	for _, id := range b.IDs {
		if _, err := s.needRequest(c, id, auth.Write); err != nil {
			return err
		}
	}
	n, err := s.testerSvc().MoveRequests(c.UserContext(), b.IDs, b.FolderID)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"status": "ok", "moved": n, "folderId": b.FolderID})
}

// --- environments ---

func (s *server) listEnvironments(c *fiber.Ctx) error {
	return listTester(c, s.testerSvc().Environments)
}

func (s *server) activeEnvironment(c *fiber.Ctx) error {
	ns, err := namespaceFor(c, "", auth.Read)
	if err != nil {
		return err
	}
	e, err := s.testerSvc().ActiveEnvironment(c.UserContext(), ns)
	if err != nil {
		return err
	}
	return c.JSON(e)
}

func (s *server) needEnvironment(c *fiber.Ctx, a auth.Action) (*tester.Environment, error) {
	return needIn(c, "environment", param(c, "id"), s.testerSvc().Environment, func(e *tester.Environment) string { return e.Namespace }, a)
}

func (s *server) getEnvironment(c *fiber.Ctx) error {
	e, err := s.needEnvironment(c, auth.Read)
	if err != nil {
		return err
	}
	return c.JSON(e)
}

func (s *server) createEnvironment(c *fiber.Ctx) error {
	b, err := s.objectBody(c)
	if err != nil {
		return err
	}
	e, _, err := tester.DecodeEnvironment(b)
	if err != nil {
		return err
	}
	ns, err := namespaceFor(c, e.Namespace, auth.Write)
	if err != nil {
		return err
	}
	e.Namespace = ns
	out, err := s.testerSvc().CreateEnvironment(c.UserContext(), e)
	if err != nil {
		return err
	}
	return c.Status(http.StatusCreated).JSON(out)
}

func (s *server) updateEnvironment(c *fiber.Ctx) error {
	cur, err := s.needEnvironment(c, auth.Write)
	if err != nil {
		return err
	}
	b, err := s.objectBody(c)
	if err != nil {
		return err
	}
	e, hasVars, err := tester.DecodeEnvironment(b)
	if err != nil {
		return err
	}
	out, err := s.testerSvc().UpdateEnvironment(c.UserContext(), cur.ID, e, hasVars)
	if err != nil {
		return err
	}
	return c.JSON(out)
}

func (s *server) deleteEnvironment(c *fiber.Ctx) error {
	e, err := s.needEnvironment(c, auth.Write)
	if err != nil {
		return err
	}
	if err := s.testerSvc().DeleteEnvironment(c.UserContext(), e.ID); err != nil {
		return err
	}
	return removed(c, e.ID)
}

func (s *server) activateEnvironment(c *fiber.Ctx) error {
	e, err := s.needEnvironment(c, auth.Write)
	if err != nil {
		return err
	}
	out, err := s.testerSvc().ActivateEnvironment(c.UserContext(), e.ID)
	if err != nil {
		return err
	}
	return c.JSON(out)
}
