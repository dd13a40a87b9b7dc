package api

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"

	"github.com/gofiber/fiber/v2"
	"github.com/mockarty-oss/mockarty/host/internal/auth"
	"github.com/mockarty-oss/mockarty/host/internal/fuzz"
)

// Findings in bulk, their analysis, the quarantine and the schedules
// (model-tools §3.1).
func (s *server) fuzzFindingRoutes(f fiber.Router) {
	f.Post("/findings/batch-triage", s.batchTriageFindings)
	f.Post("/findings/batch-manual-triage", s.batchManualTriage)
	f.Post("/findings/batch-analyze", s.batchAnalyzeFindings)
	f.Delete("/findings/batch", s.batchDeleteFindings)
	f.Post("/findings/:id/analyze", s.analyzeFinding)

	f.Get("/quarantine", s.listQuarantine)
	f.Post("/quarantine", s.createQuarantine)
	f.Post("/quarantine/batch-delete", s.batchDeleteQuarantine)
	f.Post("/quarantine/from-finding", s.quarantineFinding)
	f.Post("/quarantine/from-findings", s.quarantineFindings)
	f.Delete("/quarantine/:id", s.deleteQuarantine)

	f.Get("/schedules", func(c *fiber.Ctx) error { return listTester(c, s.Fuzz.Schedules) })
	f.Post("/schedules", s.createFuzzSchedule)
	f.Get("/schedules/:id", s.getFuzzSchedule)
	f.Put("/schedules/:id", s.updateFuzzSchedule)
	f.Delete("/schedules/:id", s.deleteFuzzSchedule)
}

// findingsOf loads the findings of ids the caller may act on; ids that
// name no finding are skipped (and counted), one the caller may not
// change fails the request.
func (s *server) findingsOf(c *fiber.Ctx, ids []string, a auth.Action) ([]*fuzz.Finding, int, error) {
	var out []*fuzz.Finding
	missing := 0
	for _, id := range ids {
		f, err := s.needFinding(c, id, a)
		switch {
		case isNotFound(err):
			missing++
		case err != nil:
			return nil, 0, err
		default:
			out = append(out, f)
		}
	}
	return out, missing, nil
}

// isNotFound says whether err is (or the API answers it as) not found.
func isNotFound(err error) bool {
	return err != nil && toAPIError(err).Status == http.StatusNotFound
}

func idsOfFindings(list []*fuzz.Finding) []string {
	out := make([]string, len(list))
	for i, f := range list {
		out[i] = f.ID
	}
	return out
}

// batchManualTriage gives findings one status: {"ids", "status", "note"?} -> {"updated"}.
func (s *server) batchManualTriage(c *fiber.Ctx) error {
	var b struct {
		idsBody
		Status string  `json:"status"`
		Note   *string `json:"note"`
		Notes  *string `json:"notes"`
	}
	if err := s.decodeJSON(c, &b); err != nil {
		return err
	}
	ids := b.list()
	if len(ids) == 0 {
		return fieldErr("ids", "list at least one finding id")
	}
	list, _, err := s.findingsOf(c, ids, auth.Write)
	if err != nil {
		return err
	}
	if b.Note == nil {
		b.Note = b.Notes
	}
	n, err := s.Fuzz.TriageMany(c.UserContext(), idsOfFindings(list), b.Status, b.Note)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"updated": n})
}

// batchTriageFindings triages findings: with a status, that status for
// all; without, each the status its analysis suggests.
// {"ids", "status"?} -> {"updated", "results": [{id, status, confidence}]}.
func (s *server) batchTriageFindings(c *fiber.Ctx) error {
	var b struct {
		idsBody
		Status string `json:"status"`
	}
	if err := s.decodeJSON(c, &b); err != nil {
		return err
	}
	ids := b.list()
	if len(ids) == 0 {
		return fieldErr("ids", "list at least one finding id")
	}
	list, missing, err := s.findingsOf(c, ids, auth.Write)
	if err != nil {
		return err
	}
	results := make([]fiber.Map, 0, len(list))
	updated := 0
	for _, f := range list {
		status, confidence := b.Status, "manual"
		if status == "" {
			a := fuzz.Analyze(f)
			status, confidence = a.SuggestedStatus, a.Confidence
		}
		n, err := s.Fuzz.TriageMany(c.UserContext(), []string{f.ID}, status, nil)
		if err != nil {
			return err
		}
		updated += n
		results = append(results, fiber.Map{"id": f.ID, "status": status, "confidence": confidence})
	}
	return c.JSON(fiber.Map{"updated": updated, "notFound": missing, "results": results})
}

// batchDeleteFindings: {"ids"} -> {"deleted"}.
func (s *server) batchDeleteFindings(c *fiber.Ctx) error {
	ids, err := s.idsOf(c)
	if err != nil {
		return err
	}
	list, _, err := s.findingsOf(c, ids, auth.Write)
	if err != nil {
		return err
	}
	n := int64(0)
	if len(list) > 0 {
		if n, err = s.Fuzz.DeleteFindings(c.UserContext(), idsOfFindings(list)); err != nil {
			return err
		}
	}
	return c.JSON(fiber.Map{"deleted": n})
}

func (s *server) analyzeFinding(c *fiber.Ctx) error {
	f, err := s.needFinding(c, param(c, "id"), auth.Read)
	if err != nil {
		return err
	}
	return c.JSON(fuzz.Analyze(f))
}

// batchAnalyzeFindings: {"ids"} -> {"analyses", "total", "notFound"}.
func (s *server) batchAnalyzeFindings(c *fiber.Ctx) error {
	ids, err := s.idsOf(c)
	if err != nil {
		return err
	}
	list, missing, err := s.findingsOf(c, ids, auth.Read)
	if err != nil {
		return err
	}
	out := make([]fuzz.Analysis, 0, len(list))
	for _, f := range list {
		out = append(out, fuzz.Analyze(f))
	}
	return c.JSON(fiber.Map{"analyses": out, "total": len(out), "notFound": missing})
}

// listQuarantine: ?limit=&offset= -> {"entries", "total", "limit", "offset"}.
func (s *server) listQuarantine(c *fiber.Ctx) error {
	ns, err := readNamespace(c)
	if err != nil {
		return err
	}
	limit, offset := c.QueryInt("limit", 50), c.QueryInt("offset", 0)
	if limit < 1 || limit > 1000 {
		return fieldErr("limit", "1 to 1000")
	}
	if offset < 0 {
		return fieldErr("offset", "cannot be negative")
	}
	list, total, err := s.Fuzz.Quarantine(c.UserContext(), ns, readableNamespaces(c), limit, offset)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"entries": list, "total": total, "limit": limit, "offset": offset})
}

func (s *server) createQuarantine(c *fiber.Ctx) error {
	var q fuzz.QuarantineEntry
	if err := s.decodeJSON(c, &q); err != nil {
		return err
	}
	ns, err := namespaceFor(c, q.Namespace, auth.Write)
	if err != nil {
		return err
	}
	q.Namespace = ns
	if q.CreatedBy == "" {
		q.CreatedBy = principal(c).UserID
	}
	out, err := s.Fuzz.AddQuarantine(c.UserContext(), &q)
	if err != nil {
		return err
	}
	return c.Status(http.StatusCreated).JSON(out)
}

func (s *server) needQuarantine(c *fiber.Ctx, id string) (*fuzz.QuarantineEntry, error) {
	return needIn(c, "quarantine entry", id, s.Fuzz.QuarantineEntry, func(q *fuzz.QuarantineEntry) string { return q.Namespace }, auth.Write)
}

func (s *server) deleteQuarantine(c *fiber.Ctx) error {
	q, err := s.needQuarantine(c, param(c, "id"))
	if err != nil {
		return err
	}
	if _, err := s.Fuzz.DeleteQuarantine(c.UserContext(), []string{q.ID}); err != nil {
		return err
	}
	return removed(c, q.ID)
}

// batchDeleteQuarantine: {"ids"} -> {"deleted"}.
func (s *server) batchDeleteQuarantine(c *fiber.Ctx) error {
	ids, err := s.idsOf(c)
	if err != nil {
		return err
	}
	var mine []string
	for _, id := range ids {
		q, err := s.needQuarantine(c, id)
		switch {
		case isNotFound(err):
		case err != nil:
			return err
		default:
			mine = append(mine, q.ID)
		}
	}
	n := int64(0)
	if len(mine) > 0 {
		if n, err = s.Fuzz.DeleteQuarantine(c.UserContext(), mine); err != nil {
			return err
		}
	}
	return c.JSON(fiber.Map{"deleted": n})
}

// quarantineFinding: {"findingId", "reason"} -> the entry.
func (s *server) quarantineFinding(c *fiber.Ctx) error {
	var b struct {
		FindingID string `json:"findingId"`
		Reason    string `json:"reason"`
	}
	if err := s.decodeJSON(c, &b); err != nil {
		return err
	}
	if b.FindingID == "" {
		return fieldErr("findingId", "the finding to quarantine")
	}
	f, err := s.needFinding(c, b.FindingID, auth.Write)
	if err != nil {
		return err
	}
	q, err := s.Fuzz.QuarantineFinding(c.UserContext(), f, b.Reason, principal(c).UserID)
	if err != nil {
		return err
	}
	return c.Status(http.StatusCreated).JSON(q)
}

// quarantineFindings: {"findingIds", "reason"} -> {"created", "triaged",
// "failed"}; each finding gets an entry and is triaged false_positive.
func (s *server) quarantineFindings(c *fiber.Ctx) error {
	var b struct {
		FindingIDs []string `json:"findingIds"`
		Reason     string   `json:"reason"`
	}
	if err := s.decodeJSON(c, &b); err != nil {
		return err
	}
	ids := idsBody{IDs: b.FindingIDs}.list()
	if len(ids) == 0 {
		return fieldErr("findingIds", "list at least one finding id")
	}
	if len(ids) > 10000 {
		return fieldErr("findingIds", "at most 10000 ids")
	}
	list, failed, err := s.findingsOf(c, ids, auth.Write)
	if err != nil {
		return err
	}
	created, triaged := 0, 0
	for _, f := range list {
		if _, err := s.Fuzz.QuarantineFinding(c.UserContext(), f, b.Reason, principal(c).UserID); err != nil {
			failed++
			continue
		}
		created++
		if n, err := s.Fuzz.TriageMany(c.UserContext(), []string{f.ID}, "false_positive", nil); err == nil {
			triaged += n
		}
	}
	return c.JSON(fiber.Map{"created": created, "triaged": triaged, "failed": failed})
}

// --- schedules ---

func (s *server) needFuzzSchedule(c *fiber.Ctx, a auth.Action) (*fuzz.Schedule, error) {
	return needIn(c, "fuzz schedule", param(c, "id"), s.Fuzz.Schedule, func(sc *fuzz.Schedule) string { return sc.Namespace }, a)
}

func (s *server) createFuzzSchedule(c *fiber.Ctx) error {
	var sc fuzz.Schedule
	if err := s.decodeJSON(c, &sc); err != nil {
		return err
	}
	ns := sc.Namespace
	if ns == "" {
		if cfg, err := s.Fuzz.Config(c.UserContext(), sc.ConfigID); err == nil {
			ns = cfg.Namespace // the Go SDK may send none: the config's
		}
	}
	ns, err := namespaceFor(c, ns, auth.Write)
	if err != nil {
		return err
	}
	sc.Namespace = ns
	out, err := s.Fuzz.CreateSchedule(c.UserContext(), &sc)
	if err != nil {
		return err
	}
	s.FuzzScheduler.Sync(out)
	return c.Status(http.StatusCreated).JSON(out)
}

func (s *server) getFuzzSchedule(c *fiber.Ctx) error {
	sc, err := s.needFuzzSchedule(c, auth.Read)
	if err != nil {
		return err
	}
	return c.JSON(sc)
}

func (s *server) updateFuzzSchedule(c *fiber.Ctx) error {
	sc, err := s.needFuzzSchedule(c, auth.Write)
	if err != nil {
		return err
	}
	return updated(s, c, sc.ID, func(ctx context.Context, id string, body []byte) (*fuzz.Schedule, error) {
		out, err := s.Fuzz.UpdateSchedule(ctx, id, body)
		if err == nil {
			s.FuzzScheduler.Sync(out)
		}
		return out, err
	})
}

func (s *server) deleteFuzzSchedule(c *fiber.Ctx) error {
	sc, err := s.needFuzzSchedule(c, auth.Write)
	if err != nil {
		return err
	}
	if err := s.Fuzz.DeleteSchedule(c.UserContext(), sc.ID); err != nil {
		return err
	}
	s.FuzzScheduler.Forget(sc.ID)
	return removed(c, sc.ID)
}

// reorderFuzzConfigs: {"ids"} (a namespace's configs, first ones first)
// -> the namespace's configs in their new order.
func (s *server) reorderFuzzConfigs(c *fiber.Ctx) error {
	var b struct {
		idsBody
		ConfigIDs []string `json:"configIds"`
		Namespace string   `json:"namespace"`
	}
	if err := s.decodeJSON(c, &b); err != nil {
		return err
	}
	b.IDs = append(b.IDs, b.ConfigIDs...)
	ids := b.list()
	if len(ids) == 0 {
		return fieldErr("ids", "list at least one config id, in the order wanted")
	}
	if len(ids) > 10000 {
		return fieldErr("ids", "at most 10000 ids")
	}
	ns := b.Namespace
	if ns == "" {
		if cfg, err := s.Fuzz.Config(c.UserContext(), ids[0]); err == nil {
			ns = cfg.Namespace
		}
	}
	ns, err := namespaceFor(c, ns, auth.Write)
	if err != nil {
		return err
	}
	out, err := s.Fuzz.ReorderConfigs(c.UserContext(), ns, ids)
	if err != nil {
		return err
	}
	return c.JSON(out)
}

// fuzzStream is GET /fuzzing/run/:id/stream (model-tools §3.5): server-sent
// events, one JSON Event a data line, kinds progress (each second),
// finding (each new finding), complete (then the stream ends) and error.
func (s *server) fuzzStream(c *fiber.Ctx) error {
	t, err := s.needFuzzTask(c, param(c, "id"), auth.Read)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "text/event-stream")
	c.Set(fiber.HeaderCacheControl, "no-cache")
	c.Set("X-Accel-Buffering", "no")
	base, id := s.streams(), t.ID
	c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
		ctx, cancel := context.WithCancel(base)
		defer cancel()
		s.Fuzz.Stream(ctx, id, func(e fuzz.Event) error {
			b, err := json.Marshal(e)
			if err != nil {
				return err
			}
			if _, err := w.WriteString("data: " + string(b) + "\n\n"); err != nil {
				return err
			}
			return w.Flush() // a client that left fails here and ends the stream
		})
	})
	return nil
}
