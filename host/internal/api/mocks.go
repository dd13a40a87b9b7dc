package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/mockarty-oss/mockarty/host/internal/auth"
	"github.com/mockarty-oss/mockarty/host/internal/catalog"
	"github.com/mockarty-oss/mockarty/host/internal/model"
	"github.com/mockarty-oss/mockarty/host/internal/resolve"
	"github.com/mockarty-oss/mockarty/host/internal/store"
)

func (s *server) mockRoutes(app *fiber.App, v1 fiber.Router) {
	app.Post("/mock/create", s.createMock) // legacy alias (model.md section 9)
	m := v1.Group("/mocks")
	m.Post("/", s.createMock)
	m.Get("/", s.listMocks)
	m.Post("/batch", s.batchCreate)
	m.Delete("/batch", s.batchDelete)
	m.Post("/batch/restore", s.batchRestore)
	m.Patch("/batch/tags", s.batchTags)
	m.Patch("/batch/move", s.batchMove)
	m.Post("/copy-to-namespace", s.copyToNamespace)
	m.Get("/preview", s.previewMock)
	m.Get("/chains/:chainId", s.getChain)
	m.Delete("/chains/:chainId", s.deleteChain)
	m.Get("/:id", s.getMock)
	m.Patch("/:id", s.patchMock)
	m.Delete("/:id", s.deleteMock)
	m.Post("/:id/restore", s.restoreMock)
	m.Get("/:id/restore", s.restoreMock) // the Python SDK's form
	m.Delete("/:id/purge", s.purgeMock)
	m.Get("/:id/logs", s.getLogs)
	m.Delete("/:id/logs", s.deleteLogs)
	m.Get("/:id/versions", s.listVersions)
	m.Get("/:id/versions/:version", s.getVersion)
	m.Post("/:id/versions/:version/restore", s.restoreVersion)
}

// param reads a path parameter, unescaped. A value with control characters
// or invalid UTF-8 cannot name anything stored, so it is kept escaped: the
// lookup then misses cleanly (404) instead of reaching the database with it.
func param(c *fiber.Ctx, name string) string {
	v := c.Params(name)
	if u, err := url.PathUnescape(v); err == nil && model.PlainText(u) {
		return u
	}
	return v
}

// decodeMockBody reads one mock and fills its namespace from the request.
func (s *server) decodeMockBody(c *fiber.Ctx) (*model.Mock, error) {
	b, err := s.body(c)
	if err != nil {
		return nil, err
	}
	m, err := model.DecodeMock(b)
	if err != nil {
		return nil, err
	}
	ns, err := namespaceOf(c, m.Namespace)
	if err != nil {
		return nil, err
	}
	if ferr := catalog.Prepare(m, ns); ferr != nil {
		return nil, ferr
	}
	return m, nil
}

func saveResponse(res *store.SaveResult) fiber.Map {
	msg := "Mock created successfully"
	if res.Overwritten {
		msg = "Mock updated successfully"
	}
	// "isNew" is what the SDKs read, and despite its name it means "an existing mock was replaced".
	return fiber.Map{"id": res.Mock.ID, "overwritten": res.Overwritten, "isNew": res.Overwritten,
		"success": true, "message": msg, "mock": res.Mock}
}

func (s *server) createMock(c *fiber.Ctx) error {
	intent, err := catalog.ParseIntent(c.Query("intent"))
	if err != nil {
		return err
	}
	if raw, err := s.rawBody(c); err == nil && isMapping(raw) {
		// A WireMock stub mapping, as WireMock users and the mock-serve
		// image's clients post them: kept as the admin API keeps it.
		ns, err := s.wmNamespace(c, auth.Write)
		if err != nil {
			return err
		}
		return s.saveMapping(c, ns, raw)
	}
	m, err := s.decodeMockBody(c)
	if err != nil {
		return err
	}
	if err := s.needSave(c, m); err != nil {
		return err
	}
	res, err := s.Catalog.Save(c.UserContext(), m, intent)
	if err != nil {
		return err
	}
	status := http.StatusCreated
	if res.Overwritten {
		status = http.StatusOK
	}
	out := saveResponse(res)
	if w := s.Resolver.ServerWarnings(res.Mock); len(w) > 0 {
		out["warnings"] = w
	}
	return c.Status(status).JSON(out)
}

func (s *server) getMock(c *fiber.Ctx) error {
	if _, err := s.needMock(c, param(c, "id"), auth.Read); err != nil {
		return err
	}
	// The counter of the last calls is journalled: write it, then read.
	if err := s.syncJournal(c); err != nil {
		return err
	}
	m, err := s.needMock(c, param(c, "id"), auth.Read)
	if err != nil {
		return err
	}
	return c.JSON(m)
}

// syncJournal writes the request journal before a read of logs, counters
// or unmatched requests, so they show every call answered so far.
func (s *server) syncJournal(c *fiber.Ctx) error {
	if err := s.Resolver.Sync(c.UserContext()); err != nil {
		return apiErr(http.StatusServiceUnavailable, "unavailable", "the request journal could not be read: %v", err)
	}
	return nil
}

func mockNotFound(err error, id string) error {
	if errors.Is(err, store.ErrNotFound) {
		return notFoundErr("mock %q not found", id)
	}
	return err
}

func (s *server) listMocks(c *fiber.Ctx) error {
	offset, limit, err := paging(c, 50, 1000)
	if err != nil {
		return err
	}
	if err := s.syncJournal(c); err != nil {
		return err
	}
	ns, err := readNamespace(c)
	if err != nil {
		return err
	}
	f := store.MockFilter{Namespace: ns, Namespaces: readableNamespaces(c), Tags: csvQuery(c, "tags"), Search: c.Query("search"),
		Protocol: strings.ToLower(c.Query("protocol")), ChainID: c.Query("chainId"), Offset: offset, Limit: limit}
	for name, v := range map[string]string{"search": f.Search, "chainId": f.ChainID, "tags": strings.Join(f.Tags, ",")} {
		if !model.PlainText(v) || len(v) > 1000 {
			e := badRequest("query parameter %s must be plain text of at most 1000 characters", name)
			e.Field = name
			return e
		}
	}
	if f.Protocol != "" && !knownProtocol(f.Protocol) {
		e := badRequest("unknown protocol %q; use one of %s", f.Protocol, strings.Join(model.Protocols, ", "))
		e.Field = "protocol"
		return e
	}
	f.Tags = append(f.Tags, csvQuery(c, "tag")...)
	if v, ok := c.Queries()["folderId"]; ok {
		if !model.PlainText(v) {
			e := badRequest("query parameter folderId must be plain text")
			e.Field = "folderId"
			return e
		}
		if v == "root" {
			v = ""
		}
		f.FolderID = &v
	}
	deleted, _, err := boolQuery(c, "deleted")
	if err != nil {
		return err
	}
	f.Deleted = deleted
	onlyActive, set, err := boolQuery(c, "onlyActive")
	if err != nil {
		return err
	}
	items, total, err := s.Catalog.Store().ListMocks(c.UserContext(), f)
	if err != nil {
		return err
	}
	if set && !onlyActive && !deleted {
		// onlyActive=false also shows soft-deleted mocks.
		f.Deleted = true
		f.Offset, f.Limit = 0, 0
		trash, n, err := s.Catalog.Store().ListMocks(c.UserContext(), f)
		if err != nil {
			return err
		}
		items = append(items, trash...)
		total += n
		if len(items) > limit {
			items = items[:limit]
		}
	}
	if items == nil {
		items = []*model.Mock{}
	}
	return c.JSON(fiber.Map{"items": items, "mocks": items, "total": total, "count": total,
		"offset": offset, "limit": limit, "hasMore": int64(offset+len(items)) < total})
}

func knownProtocol(p string) bool {
	for _, k := range model.Protocols {
		if k == p {
			return true
		}
	}
	return false
}

func (s *server) patchMock(c *fiber.Ctx) error {
	b, err := s.body(c)
	if err != nil {
		return err
	}
	if _, err := model.MergePatch(nil, b); err != nil {
		return err
	}
	if _, err := s.needMock(c, param(c, "id"), auth.Write); err != nil {
		return err
	}
	var moved struct {
		Namespace string `json:"namespace"`
	}
	if json.Unmarshal(b, &moved) == nil && moved.Namespace != "" {
		if err := need(c, moved.Namespace, auth.Write); err != nil {
			return err
		}
	}
	m, err := s.Catalog.Patch(c.UserContext(), param(c, "id"), b)
	if err != nil {
		return mockNotFound(err, param(c, "id"))
	}
	// Flat mock fields for clients that read a Mock, plus the save envelope for those that read .mock.
	out := mockFields(m)
	out["mock"] = m
	out["overwritten"], out["isNew"], out["success"] = true, true, true
	out["message"] = "Mock updated successfully"
	if w := s.Resolver.ServerWarnings(m); len(w) > 0 {
		out["warnings"] = w
	}
	return c.JSON(out)
}

func mockFields(m *model.Mock) map[string]any {
	b, _ := json.Marshal(m)
	var out map[string]any
	_ = json.Unmarshal(b, &out)
	return out
}

func (s *server) deleteMock(c *fiber.Ctx) error {
	id := param(c, "id")
	m, err := s.needMock(c, id, auth.Delete)
	if err != nil {
		return err
	}
	if m.ClosedAt > 0 {
		return c.JSON(fiber.Map{"id": id, "deleted": false, "message": "mock is already deleted"})
	}
	if _, err := s.Catalog.Delete(c.UserContext(), []string{id}); err != nil {
		return err
	}
	return c.JSON(fiber.Map{"id": id, "deleted": true, "message": "Mock deleted (restore with POST /api/v1/mocks/" + id + "/restore)"})
}

func (s *server) restoreMock(c *fiber.Ctx) error {
	id := param(c, "id")
	if _, err := s.needMock(c, id, auth.Write); err != nil {
		return err
	}
	if _, err := s.Catalog.Restore(c.UserContext(), []string{id}); err != nil {
		return err
	}
	m, err := s.Catalog.Store().GetMock(c.UserContext(), id)
	if err != nil {
		return err
	}
	return c.JSON(m)
}

func (s *server) purgeMock(c *fiber.Ctx) error {
	id := param(c, "id")
	if _, err := s.needMock(c, id, auth.Delete); err != nil {
		return err
	}
	ctx := c.UserContext()
	if err := s.Resolver.DeleteLogs(ctx, id, true, func() error { return s.Catalog.Purge(ctx, id) }); err != nil {
		return mockNotFound(err, id)
	}
	return c.JSON(fiber.Map{"id": id, "purged": true, "message": "Mock permanently deleted"})
}

func (s *server) batchCreate(c *fiber.Ctx) error {
	b, err := s.body(c)
	if err != nil {
		return err
	}
	mocks, err := model.DecodeMocks(b)
	if err != nil {
		return err
	}
	if len(mocks) == 0 {
		return badRequest("mocks must hold at least one mock")
	}
	for i, m := range mocks {
		ns, err := namespaceOf(c, m.Namespace)
		if err != nil {
			return err
		}
		if ferr := catalog.Prepare(m, ns); ferr != nil {
			ferr.Field = joinIndex(i, ferr.Field)
			return ferr
		}
	}
	if err := s.needSave(c, mocks...); err != nil {
		return err
	}
	results, err := s.Catalog.SaveBatch(c.UserContext(), mocks)
	if err != nil {
		return err
	}
	out := make([]fiber.Map, 0, len(results))
	created, overwritten := 0, 0
	var warnings []resolve.ServerWarning
	for _, r := range results {
		one := saveResponse(r)
		if w := s.Resolver.ServerWarnings(r.Mock); len(w) > 0 {
			one["warnings"] = w
			warnings = append(warnings, w...)
		}
		out = append(out, one)
		if r.Overwritten {
			overwritten++
		} else {
			created++
		}
	}
	body := fiber.Map{"success": true, "created": created, "overwritten": overwritten,
		"count": len(results), "results": out, "message": strconv.Itoa(len(results)) + " mocks saved"}
	if len(warnings) > 0 {
		body["warnings"] = warnings
	}
	return c.Status(http.StatusCreated).JSON(body)
}

func joinIndex(i int, field string) string {
	p := "[" + strconv.Itoa(i) + "]"
	if field == "" {
		return p
	}
	return p + "." + field
}

func (s *server) readIDs(c *fiber.Ctx) ([]string, error) {
	var b idsBody
	if err := s.decodeJSON(c, &b); err != nil {
		return nil, err
	}
	ids := b.list()
	if len(ids) == 0 {
		e := badRequest("no mock IDs provided: send {\"mockIds\": [...]}")
		e.Field = "mockIds"
		return nil, e
	}
	return ids, nil
}

func (s *server) batchDelete(c *fiber.Ctx) error {
	ids, err := s.readIDs(c)
	if err != nil {
		return err
	}
	if err := s.needMocks(c, ids, auth.Delete); err != nil {
		return err
	}
	changed, err := s.Catalog.Delete(c.UserContext(), ids)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"deleted": len(changed), "ids": nonNil(changed), "message": strconv.Itoa(len(changed)) + " mocks deleted"})
}

func (s *server) batchRestore(c *fiber.Ctx) error {
	ids, err := s.readIDs(c)
	if err != nil {
		return err
	}
	if err := s.needMocks(c, ids, auth.Write); err != nil {
		return err
	}
	changed, err := s.Catalog.Restore(c.UserContext(), ids)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"restored": len(changed), "ids": nonNil(changed), "message": strconv.Itoa(len(changed)) + " mocks restored"})
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func (s *server) batchTags(c *fiber.Ctx) error {
	var b struct {
		idsBody
		TagsToAdd    []string  `json:"tagsToAdd"`
		TagsToRemove []string  `json:"tagsToRemove"`
		AddTags      []string  `json:"addTags"`
		RemoveTags   []string  `json:"removeTags"`
		Tags         *[]string `json:"tags"`
	}
	if err := s.decodeJSON(c, &b); err != nil {
		return err
	}
	ids := b.list()
	if len(ids) == 0 {
		e := badRequest("no mock IDs provided: send {\"mockIds\": [...], \"tagsToAdd\": [...]}")
		e.Field = "mockIds"
		return e
	}
	ch := catalog.TagChange{Add: append(b.TagsToAdd, b.AddTags...), Remove: append(b.TagsToRemove, b.RemoveTags...)}
	if b.Tags != nil {
		ch.Replace, ch.ReplaceSet = *b.Tags, true
	}
	if len(ch.Add) == 0 && len(ch.Remove) == 0 && !ch.ReplaceSet {
		return badRequest("nothing to change: give tagsToAdd, tagsToRemove or tags")
	}
	if err := s.needMocks(c, ids, auth.Write); err != nil {
		return err
	}
	mocks, err := s.Catalog.UpdateTags(c.UserContext(), ids, ch)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"updated": len(mocks), "mocks": nonNilMocks(mocks)})
}

func nonNilMocks(m []*model.Mock) []*model.Mock {
	if m == nil {
		return []*model.Mock{}
	}
	return m
}

func (s *server) batchMove(c *fiber.Ctx) error {
	var b struct {
		idsBody
		FolderID *string `json:"folderId"`
	}
	if err := s.decodeJSON(c, &b); err != nil {
		return err
	}
	ids := b.list()
	if len(ids) == 0 {
		e := badRequest("no mock IDs provided: send {\"mockIds\": [...], \"folderId\": \"...\"}")
		e.Field = "mockIds"
		return e
	}
	folder := ""
	if b.FolderID != nil && *b.FolderID != "root" {
		folder = *b.FolderID
	}
	if err := s.needMocks(c, ids, auth.Write); err != nil {
		return err
	}
	mocks, err := s.Catalog.Move(c.UserContext(), ids, folder)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"moved": len(mocks), "folderId": folder, "mocks": nonNilMocks(mocks)})
}

func (s *server) copyToNamespace(c *fiber.Ctx) error {
	var b struct {
		idsBody
		TargetNamespace string `json:"targetNamespace"`
		SourceNamespace string `json:"sourceNamespace"`
	}
	if err := s.decodeJSON(c, &b); err != nil {
		return err
	}
	ids := b.list()
	if len(ids) == 0 {
		e := badRequest("no mock IDs provided: send {\"mockIds\": [...], \"targetNamespace\": \"...\"}")
		e.Field = "mockIds"
		return e
	}
	if !model.NamePattern.MatchString(b.TargetNamespace) {
		e := badRequest("targetNamespace is required: 1-100 letters, digits, '.', '_' or '-'")
		e.Field = "targetNamespace"
		return e
	}
	if err := s.needMocks(c, ids, auth.Read); err != nil {
		return err
	}
	if err := need(c, b.TargetNamespace, auth.Write); err != nil {
		return err
	}
	if b.SourceNamespace != "" {
		mocks, err := s.Catalog.Store().MocksByIDs(c.UserContext(), ids)
		if err != nil {
			return err
		}
		for _, m := range mocks {
			if m.Namespace != b.SourceNamespace {
				e := fieldErr("sourceNamespace", "mock %q is in namespace %q, not %q", m.ID, m.Namespace, b.SourceNamespace)
				return e
			}
		}
	}
	copies, err := s.Catalog.CopyToNamespace(c.UserContext(), ids, b.TargetNamespace)
	if err != nil {
		return err
	}
	mapping := map[string]string{}
	for i, cp := range copies {
		if i < len(ids) {
			mapping[ids[i]] = cp.ID
		}
	}
	return c.Status(http.StatusCreated).JSON(fiber.Map{"copied": len(copies), "targetNamespace": b.TargetNamespace, "idMap": mapping, "mocks": copies})
}

func (s *server) getChain(c *fiber.Ctx) error {
	ns, err := readNamespace(c)
	if err != nil {
		return err
	}
	mocks, err := s.Catalog.Store().ChainMocks(c.UserContext(), param(c, "chainId"), ns)
	if err != nil {
		return err
	}
	visible := mocks[:0]
	for _, m := range mocks {
		if principal(c).Allows(m.Namespace, auth.Read) {
			visible = append(visible, m)
		}
	}
	return c.JSON(nonNilMocks(visible))
}

func (s *server) deleteChain(c *fiber.Ctx) error {
	ns, err := optionalNamespace(c)
	if err != nil {
		return err
	}
	chain := param(c, "chainId")
	if ns != "" {
		if err := need(c, ns, auth.Delete); err != nil {
			return err
		}
	}
	live, err := s.Catalog.Store().ChainMocks(c.UserContext(), chain, ns)
	if err != nil {
		return err
	}
	for _, m := range live {
		if err := need(c, m.Namespace, auth.Delete); err != nil {
			return err
		}
	}
	deleted, err := s.Catalog.DeleteChain(c.UserContext(), chain, ns)
	if err != nil {
		return err
	}
	if len(deleted) == 0 {
		return notFoundErr("chain %q has no live mocks", chain)
	}
	return c.JSON(fiber.Map{"chainId": chain, "deleted": len(deleted), "ids": deleted})
}

func (s *server) getLogs(c *fiber.Ctx) error {
	id := param(c, "id")
	if _, err := s.needMock(c, id, auth.Read); err != nil {
		return err
	}
	offset, limit, err := paging(c, 50, 1000)
	if err != nil {
		return err
	}
	if err := s.syncJournal(c); err != nil {
		return err
	}
	logs, total, err := s.Catalog.Store().MockLogs(c.UserContext(), id, offset, limit)
	if err != nil {
		return err
	}
	reqs := make([]fiber.Map, 0, len(logs))
	for _, l := range logs {
		entry := fiber.Map{"id": l.ID, "calledAt": isoMs(l.CalledAt), "calledAtMs": l.CalledAt, "req": l.Req}
		if len(l.Response) > 0 {
			entry["response"] = l.Response
		}
		reqs = append(reqs, entry)
	}
	return c.JSON(fiber.Map{"id": id, "requests": reqs, "total": total, "offset": offset, "limit": limit})
}

func (s *server) deleteLogs(c *fiber.Ctx) error {
	id := param(c, "id")
	if _, err := s.needMock(c, id, auth.Delete); err != nil {
		return err
	}
	ctx := c.UserContext()
	var n int64
	err := s.Resolver.DeleteLogs(ctx, id, false, func() (err error) {
		n, err = s.Catalog.Store().DeleteMockLogs(ctx, id)
		return err
	})
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"id": id, "deleted": n})
}

func versionJSON(v *store.MockVersion) fiber.Map {
	return fiber.Map{"id": v.MockID + "@" + strconv.FormatInt(v.Version, 10), "mock_id": v.MockID, "version": v.Version,
		"change": v.Change, "created_at": v.CreatedAt, "lifecycle_state": "active", "mock": v.Mock}
}

func (s *server) listVersions(c *fiber.Ctx) error {
	id := param(c, "id")
	if _, err := s.needMock(c, id, auth.Read); err != nil {
		return err
	}
	vs, err := s.Catalog.Store().MockVersions(c.UserContext(), id)
	if err != nil {
		return err
	}
	out := make([]fiber.Map, 0, len(vs))
	for i := range vs {
		out = append(out, versionJSON(&vs[i]))
	}
	return c.JSON(fiber.Map{"mock_id": id, "versions": out, "count": len(out), "versioning": s.Catalog.Versioning()})
}

func versionParam(c *fiber.Ctx) (int64, error) {
	v, err := strconv.ParseInt(param(c, "version"), 10, 64)
	if err != nil || v < 1 {
		e := badRequest("version %q must be a positive integer", param(c, "version"))
		e.Field = "version"
		return 0, e
	}
	return v, nil
}

func (s *server) getVersion(c *fiber.Ctx) error {
	id := param(c, "id")
	v, err := versionParam(c)
	if err != nil {
		return err
	}
	if !s.Catalog.Versioning() {
		return notFoundErr("versioning is off: set DB_ENABLE_VERSIONING=true to keep mock history")
	}
	if _, err := s.needMock(c, id, auth.Read); err != nil {
		return err
	}
	ver, err := s.Catalog.Store().GetMockVersion(c.UserContext(), id, v)
	if err != nil {
		if err == store.ErrNotFound {
			return notFoundErr("mock %q has no version %d", id, v)
		}
		return err
	}
	out := fiber.Map{"version": versionJSON(ver), "previous_version": nil}
	if prev, err := s.Catalog.Store().GetMockVersion(c.UserContext(), id, v-1); err == nil {
		out["previous_version"] = versionJSON(prev)
	}
	return c.JSON(out)
}

func (s *server) restoreVersion(c *fiber.Ctx) error {
	id := param(c, "id")
	v, err := versionParam(c)
	if err != nil {
		return err
	}
	if _, err := s.needMock(c, id, auth.Write); err != nil {
		return err
	}
	m, err := s.Catalog.RestoreVersion(c.UserContext(), id, v)
	if err != nil {
		if err == store.ErrNotFound {
			return notFoundErr("mock %q has no version %d", id, v)
		}
		return err
	}
	return c.JSON(fiber.Map{"mock": m, "restoredVersion": v, "message": "Mock restored to version " + strconv.FormatInt(v, 10)})
}
