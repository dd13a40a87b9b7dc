package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"
	"github.com/mockarty-oss/mockarty/host/internal/auth"
	"github.com/mockarty-oss/mockarty/host/internal/catalog"
	"github.com/mockarty-oss/mockarty/host/internal/generate/wiremock"
	"github.com/mockarty-oss/mockarty/host/internal/resolve"
	"github.com/mockarty-oss/mockarty/host/internal/store"
)

// WireMock's admin API (/__admin), for teams that bring their WireMock
// mappings and clients: a mapping posted here is translated into mocks
// (generate/wiremock) and kept as it was sent, so it can be listed and
// deleted as a mapping; the request journal is the mocks' request logs and
// the unmatched requests. A namespace comes from ?namespace=, the
// X-Namespace header, the served root namespace (mock serve), else sandbox.

// docWireMock is the document kind the posted mappings are kept as.
const docWireMock = "wiremock"

func (s *server) wiremockRoutes(app *fiber.App) {
	a := app.Group("/__admin")
	a.Get("/health", s.wmHealth)
	a.Get("/mappings", s.wmListMappings)
	a.Post("/mappings", s.wmCreateMapping)
	a.Delete("/mappings", s.wmDeleteMappings)
	a.Post("/mappings/reset", s.wmDeleteMappings)
	a.Get("/mappings/:id", s.wmGetMapping)
	a.Put("/mappings/:id", s.wmCreateMapping)
	a.Delete("/mappings/:id", s.wmDeleteMapping)
	a.Post("/reset", s.wmReset)
	a.Get("/requests", s.wmListRequests(false))
	a.Get("/requests/unmatched", s.wmListRequests(true))
	a.Delete("/requests", s.wmResetRequests)
	a.Post("/requests/reset", s.wmResetRequests)
	a.Post("/requests/count", s.wmFindRequests(true))
	a.Post("/requests/find", s.wmFindRequests(false))
}

func (s *server) wmNamespace(c *fiber.Ctx, a auth.Action) (string, error) {
	ns := c.Query("namespace")
	if ns == "" {
		ns = c.Get("X-Namespace")
	}
	if ns == "" {
		ns = s.RootNamespace
	}
	ns, err := namespaceFor(c, ns, a)
	if err == nil {
		s.Resolver.JournalHTTP(ns) // a WireMock client will verify its calls
	}
	return ns, err
}

func (s *server) wmHealth(c *fiber.Ctx) error {
	return c.JSON(fiber.Map{"status": "healthy", "message": "Mockarty is ok", "version": s.ReleaseID,
		"uptimeInSeconds": int64(time.Since(s.StartedAt).Seconds()), "timestamp": time.Now().UTC().Format(time.RFC3339)})
}

// wmCreateMapping translates one mapping into mocks and keeps it; a
// mapping with the id of one kept before replaces it.
func (s *server) wmCreateMapping(c *fiber.Ctx) error {
	ns, err := s.wmNamespace(c, auth.Write)
	if err != nil {
		return err
	}
	raw, err := s.rawBody(c)
	if err != nil {
		return err
	}
	return s.saveMapping(c, ns, raw)
}

// isMapping says whether a body posted as a mock is a WireMock stub
// mapping instead (the mock-serve image takes both at /api/v1/mocks).
func isMapping(raw []byte) bool {
	if !bytes.Contains(raw, []byte(`"request"`)) {
		return false // a mock: no second parse of its body
	}
	var probe map[string]json.RawMessage
	if json.Unmarshal(raw, &probe) != nil {
		return false
	}
	_, req := probe["request"]
	_, resp := probe["response"]
	if !req || !resp {
		return false
	}
	for _, ctx := range []string{"http", "grpc", "mcp", "socket", "soap", "graphql", "sse", "kafka", "rabbitmq", "smtp"} {
		if _, ok := probe[ctx]; ok {
			return false
		}
	}
	return true
}

func (s *server) saveMapping(c *fiber.Ctx, ns string, raw []byte) error {
	var mapping map[string]any
	if err := decodeJSONBytes(raw, &mapping); err != nil {
		return err
	}
	id, _ := mapping["id"].(string)
	if id == "" {
		id, _ = mapping["uuid"].(string)
	}
	if p := c.Params("id"); p != "" {
		id = p
	}
	if id == "" {
		id = uuid.NewString()
	}
	if _, err := uuid.Parse(id); err != nil {
		return fieldErr("id", "%q is not a UUID, as WireMock's mapping ids are", id)
	}
	mapping["id"], mapping["uuid"] = id, id
	if meta, ok := mapping["metadata"].(map[string]any); ok {
		delete(meta, "mockarty") // the report of an earlier translation
	}
	body, _ := json.Marshal(mapping)
	// The namespace is part of the mocks' ids: teams loading the same
	// mapping files (same ids) each get their own mocks.
	res, err := wiremock.Translate(body, wiremock.Options{Namespace: ns, IDPrefix: "wm-" + ns + "-" + id})
	if err != nil {
		return genErr(err)
	}
	if len(res.Stubs) != 1 {
		return fieldErr("", "post one stub mapping at a time (this body holds %d)", len(res.Stubs))
	}
	for _, m := range res.Mocks {
		if ferr := catalog.Prepare(m, ns); ferr != nil {
			return fieldErr(ferr.Field, "the mapping's mock %s: %s", m.ID, ferr.Message)
		}
	}
	if err := s.needSave(c, res.Mocks...); err != nil {
		return err
	}
	ctx := c.UserContext()
	old := s.wmMockIDs(c, ns, id)
	if len(res.Mocks) > 0 {
		if _, err := s.Catalog.SaveBatch(ctx, res.Mocks); err != nil {
			if errors.Is(err, store.ErrConflict) {
				return apiErr(http.StatusConflict, CodeConflict, "%v", err)
			}
			return err
		}
	}
	// What the mapping made before and no longer makes goes (after the
	// save: a failed save leaves the old mapping whole).
	made := make(map[string]bool, len(res.Mocks))
	for _, m := range res.Mocks {
		made[m.ID] = true
	}
	for _, mid := range old {
		if !made[mid] {
			if err := s.wmPurge(c, ns, mid); err != nil {
				return err
			}
		}
	}
	meta, _ := mapping["metadata"].(map[string]any)
	if meta == nil {
		meta = map[string]any{}
	}
	meta["mockarty"] = res.Stubs[0]
	mapping["metadata"] = meta
	kept, _ := json.Marshal(mapping)
	if err := s.Catalog.Store().PutDocument(ctx, &store.DocumentRow{Kind: docWireMock, Namespace: ns, Name: id,
		Content: string(kept), UpdatedMs: time.Now().UnixMilli()}); err != nil {
		return err
	}
	return c.Status(http.StatusCreated).Type("json").Send(kept)
}

// wmMockIDs are the mocks a kept mapping made (none when it is not kept).
func (s *server) wmMockIDs(c *fiber.Ctx, ns, id string) []string {
	row, err := s.Catalog.Store().GetDocument(c.UserContext(), docWireMock, ns, id)
	if err != nil {
		return nil
	}
	var kept struct {
		Metadata struct {
			Mockarty struct {
				MockIDs []string `json:"mockIds"`
			} `json:"mockarty"`
		} `json:"metadata"`
	}
	_ = json.Unmarshal([]byte(row.Content), &kept)
	return kept.Metadata.Mockarty.MockIDs
}

// wmPurge removes one mock of the namespace, with its logs; a mock of
// another namespace is left alone.
func (s *server) wmPurge(c *fiber.Ctx, ns, id string) error {
	ctx := c.UserContext()
	m, err := s.Catalog.Store().GetMock(ctx, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && m.Namespace != ns) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := s.Resolver.DeleteLogs(ctx, id, true, func() error { return s.Catalog.Purge(ctx, id) }); err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	return nil
}

// wmDropMapping removes a kept mapping and its mocks (with their logs).
func (s *server) wmDropMapping(c *fiber.Ctx, ns, id string) error {
	if _, err := s.Catalog.Store().GetDocument(c.UserContext(), docWireMock, ns, id); err != nil {
		return err
	}
	for _, mid := range s.wmMockIDs(c, ns, id) {
		if err := s.wmPurge(c, ns, mid); err != nil {
			return err
		}
	}
	return s.Catalog.Store().DeleteDocument(c.UserContext(), docWireMock, ns, id)
}

func (s *server) wmMappings(c *fiber.Ctx, ns string) ([]json.RawMessage, error) {
	rows, err := s.Catalog.Store().Documents(c.UserContext(), docWireMock, ns)
	if err != nil {
		return nil, err
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].UpdatedMs > rows[j].UpdatedMs })
	out := make([]json.RawMessage, 0, len(rows))
	for _, r := range rows {
		out = append(out, json.RawMessage(r.Content))
	}
	return out, nil
}

func (s *server) wmListMappings(c *fiber.Ctx) error {
	ns, err := s.wmNamespace(c, auth.Read)
	if err != nil {
		return err
	}
	list, err := s.wmMappings(c, ns)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"mappings": list, "meta": fiber.Map{"total": len(list)}})
}

func (s *server) wmGetMapping(c *fiber.Ctx) error {
	ns, err := s.wmNamespace(c, auth.Read)
	if err != nil {
		return err
	}
	row, err := s.Catalog.Store().GetDocument(c.UserContext(), docWireMock, ns, c.Params("id"))
	if errors.Is(err, store.ErrNotFound) {
		return notFoundErr("no stub mapping %q in namespace %q", c.Params("id"), ns)
	}
	if err != nil {
		return err
	}
	return c.Type("json").SendString(row.Content)
}

func (s *server) wmDeleteMapping(c *fiber.Ctx) error {
	ns, err := s.wmNamespace(c, auth.Delete)
	if err != nil {
		return err
	}
	if err := s.wmDropMapping(c, ns, c.Params("id")); errors.Is(err, store.ErrNotFound) {
		return notFoundErr("no stub mapping %q in namespace %q", c.Params("id"), ns)
	} else if err != nil {
		return err
	}
	return c.JSON(fiber.Map{})
}

func (s *server) wmDeleteMappings(c *fiber.Ctx) error {
	ns, err := s.wmNamespace(c, auth.Delete)
	if err != nil {
		return err
	}
	rows, err := s.Catalog.Store().Documents(c.UserContext(), docWireMock, ns)
	if err != nil {
		return err
	}
	for _, r := range rows {
		if err := s.wmDropMapping(c, ns, r.Name); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
	}
	return c.JSON(fiber.Map{})
}

// wmReset is a fresh start of the namespace: no mocks (mappings or not),
// no request journal, no stores.
func (s *server) wmReset(c *fiber.Ctx) error {
	ns, err := s.wmNamespace(c, auth.Delete)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	if err := s.wmDeleteMappings(c); err != nil {
		return err
	}
	mocks, _, err := s.Catalog.Store().ListMocks(ctx, store.MockFilter{Namespace: ns})
	if err != nil {
		return err
	}
	for _, m := range mocks {
		if err := s.Resolver.DeleteLogs(ctx, m.ID, true, func() error { return s.Catalog.Purge(ctx, m.ID) }); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
	}
	if _, err := s.Catalog.Store().DeleteAllUndefined(ctx, ns); err != nil {
		return err
	}
	s.Resolver.ForgetHTTP(ns)
	for key := range s.Resolver.Stores.All(ns, "") {
		if err := s.Resolver.Stores.Delete(ctx, ns, "", key); err != nil {
			return err
		}
	}
	return c.JSON(fiber.Map{})
}

// journalEntry is one served request as WireMock's journal shows it.
type journalEntry struct {
	at      int64
	matched bool
	req     *resolve.HTTPRequest
	status  int
	mockID  string
}

// wmJournal is the namespace's journal, newest first: its unmatched
// requests, and its matched ones since the first /__admin call for it
// (or since mock serve started).
func (s *server) wmJournal(c *fiber.Ctx, ns string, unmatchedOnly bool) ([]journalEntry, error) {
	seen := s.Resolver.RecentHTTP(ns)
	out := make([]journalEntry, 0, len(seen))
	for i := len(seen) - 1; i >= 0; i-- {
		e := seen[i]
		if unmatchedOnly && e.Matched {
			continue
		}
		out = append(out, journalEntry{at: e.At, matched: e.Matched, mockID: e.MockID, status: e.Status,
			req: &resolve.HTTPRequest{Namespace: ns, Method: e.Method, Path: e.Path, Query: e.Query, Header: e.Header, Body: e.Body}})
	}
	return out, nil
}

func lowerKeys(h map[string][]string) map[string][]string {
	out := make(map[string][]string, len(h))
	for k, v := range h {
		out[strings.ToLower(k)] = v
	}
	return out
}

func bodyBytes(v any) []byte {
	switch b := v.(type) {
	case nil:
		return nil
	case string:
		return []byte(b)
	}
	out, _ := json.Marshal(v)
	return out
}

func (e journalEntry) wire() fiber.Map {
	u := e.req.Path
	if len(e.req.Query) > 0 {
		u += "?" + url.Values(e.req.Query).Encode()
	}
	headers := fiber.Map{}
	for k, v := range e.req.Header {
		if len(v) == 1 {
			headers[k] = v[0]
		} else {
			headers[k] = v
		}
	}
	at := time.UnixMilli(e.at).UTC()
	out := fiber.Map{"request": fiber.Map{"url": u, "method": e.req.Method, "headers": headers, "body": string(e.req.Body),
		"loggedDate": e.at, "loggedDateString": at.Format(time.RFC3339)},
		"responseDefinition": fiber.Map{"status": e.status}, "wasMatched": e.matched}
	if e.mockID != "" {
		out["mockId"] = e.mockID
	}
	return out
}

func (s *server) wmListRequests(unmatched bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		ns, err := s.wmNamespace(c, auth.Read)
		if err != nil {
			return err
		}
		j, err := s.wmJournal(c, ns, unmatched)
		if err != nil {
			return err
		}
		list := make([]any, 0, len(j))
		for _, e := range j {
			if unmatched {
				// WireMock answers this one with logged requests, not
				// serve events.
				list = append(list, e.wire()["request"])
			} else {
				list = append(list, e.wire())
			}
		}
		return c.JSON(fiber.Map{"requests": list, "meta": fiber.Map{"total": len(list)}, "requestJournalDisabled": false})
	}
}

func (s *server) wmResetRequests(c *fiber.Ctx) error {
	ns, err := s.wmNamespace(c, auth.Delete)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	mocks, _, err := s.Catalog.Store().ListMocks(ctx, store.MockFilter{Namespace: ns})
	if err != nil {
		return err
	}
	for _, m := range mocks {
		if err := s.Resolver.DeleteLogs(ctx, m.ID, false, func() error { return nil }); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
	}
	if _, err := s.Catalog.Store().DeleteAllUndefined(ctx, ns); err != nil {
		return err
	}
	s.Resolver.ForgetHTTP(ns)
	return c.JSON(fiber.Map{})
}

// wmFindRequests counts (or lists) the journal's requests that a request
// pattern matches, using the same translation and selection as a mapping.
func (s *server) wmFindRequests(count bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		ns, err := s.wmNamespace(c, auth.Read)
		if err != nil {
			return err
		}
		raw, err := s.rawBody(c)
		if err != nil {
			return err
		}
		var pattern map[string]any
		if err := decodeJSONBytes(raw, &pattern); err != nil {
			return err
		}
		probe, _ := json.Marshal(map[string]any{"request": pattern, "response": map[string]any{"status": 200}})
		res, err := wiremock.Translate(probe, wiremock.Options{Namespace: ns, IDPrefix: "pattern"})
		if err != nil {
			return genErr(err)
		}
		if len(res.Stubs) != 1 || len(res.Mocks) == 0 {
			return fieldErr("", "the request pattern cannot be matched")
		}
		if u := res.Stubs[0].Untranslated; len(u) > 0 {
			return fieldErr("request", "not supported in a request pattern: %s", strings.Join(u, "; "))
		}
		j, err := s.wmJournal(c, ns, false)
		if err != nil {
			return err
		}
		n, found := int64(0), []fiber.Map{}
		for _, e := range j {
			hit := false
			for _, m := range res.Mocks {
				ok, err := s.Resolver.MatchesHTTP(m, e.req)
				if err != nil {
					return fieldErr("", "the request pattern: %v", err)
				}
				hit = hit || ok
			}
			if hit {
				n++
				found = append(found, e.wire()["request"].(fiber.Map)) // logged requests, as WireMock's find
			}
		}
		if count {
			return c.JSON(fiber.Map{"count": n, "requestJournalDisabled": false})
		}
		return c.JSON(fiber.Map{"requests": found, "requestJournalDisabled": false})
	}
}
