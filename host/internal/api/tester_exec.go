package api

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/mockarty-oss/mockarty/host/internal/auth"
	"github.com/mockarty-oss/mockarty/host/internal/store"
	"github.com/mockarty-oss/mockarty/host/internal/tester"
	"github.com/mockarty-oss/mockarty/sdk/postman"
)

// Standalone tests, schedules, and requests or scripts run on their own.
func (s *server) testerExecRoutes(t fiber.Router) {
	t.Post("/requests/execute", s.executeRequest)
	t.Post("/requests/execute-client", s.executeRequest)
	t.Post("/requests/execute-with-scripts", s.executeRequest)
	t.Post("/requests/run-script", s.runScript)
	t.Get("/requests/history", s.requestHistory)

	t.Get("/tests", s.listTests)
	t.Post("/tests", s.createTest)
	t.Post("/tests/run", s.runInlineTest)
	t.Get("/tests/:id", s.getTest)
	t.Put("/tests/:id", s.updateTest)
	t.Delete("/tests/:id", s.deleteTest)
	t.Post("/tests/:id/run", s.runTest)

	t.Get("/schedules", s.listSchedules)
	t.Post("/schedules", s.createSchedule)
	t.Get("/schedules/:id", s.getSchedule)
	t.Put("/schedules/:id", s.updateSchedule)
	t.Delete("/schedules/:id", s.deleteSchedule)
	t.Post("/schedules/:id/run", s.runSchedule)
}

// maxHistory is how many executed requests a namespace keeps.
const maxHistory = 200

// execBody is a request run on its own: a stored one (requestId) or one
// given inline, flat or under "request".
type execBody struct {
	tester.Request
	RequestID     string          `json:"requestId"`
	Inline        *tester.Request `json:"request"`
	EnvironmentID string          `json:"environmentId"`
	Variables     map[string]any  `json:"variables"`
	Namespace     string          `json:"namespace"`
	TimeoutMs     int             `json:"timeoutMs"`
}

// runOne runs a one-request collection and answers with its step.
func (s *server) runOne(c *fiber.Ctx, spec tester.RunSpec) (*store.Task, *postman.Step, error) {
	if s.TesterRuns == nil {
		return nil, nil, apiErr(http.StatusServiceUnavailable, CodeUnavailable, "the API tester is not available on this server")
	}
	cur, err := s.waitRun(c, spec, maxRunWait)
	if err != nil {
		return nil, nil, err
	}
	steps, _, err := s.testerSvc().Steps(c.UserContext(), cur.ID, 1, 1)
	if err != nil {
		return nil, nil, err
	}
	if len(steps) == 0 {
		return cur, nil, nil
	}
	return cur, &steps[0], nil
}

// stepAnswer is a request's outcome as the UI and clients read it.
func stepAnswer(t *store.Task, st *postman.Step) fiber.Map {
	out := fiber.Map{"runId": t.ID, "status": t.Status, "message": t.Message}
	if st == nil {
		return out
	}
	passed, failed := 0, 0
	for _, tr := range st.Tests {
		switch {
		case tr.Skipped:
		case tr.Passed:
			passed++
		default:
			failed++
		}
	}
	out["status"], out["error"], out["tests"], out["request"], out["durationMs"] = st.Status, st.Error, st.Tests, st.Request, st.DurationMs
	out["passedTests"], out["failedTests"], out["totalTests"], out["warnings"] = passed, failed, len(st.Tests), st.Warnings
	out["preRequest"], out["test"] = st.PreRequest, st.Test
	if r := st.Response; r != nil {
		headers := map[string]string{}
		for _, h := range r.Headers {
			if v, ok := headers[h.Key]; ok {
				headers[h.Key] = v + ", " + h.Value
			} else {
				headers[h.Key] = h.Value
			}
		}
		var body any = r.Body
		if json.Valid([]byte(r.Body)) && !r.BodyTruncated {
			body = json.RawMessage(r.Body)
		}
		out["response"] = r
		out["statusCode"], out["headers"], out["body"], out["latencyMs"], out["size"] = r.Code, headers, body, r.TimeMs, r.Size
	}
	return out
}

func (s *server) executeRequest(c *fiber.Ctx) error {
	var b execBody
	if err := s.decodeJSON(c, &b); err != nil {
		return err
	}
	var (
		req    tester.Request
		within *tester.Collection
		ns     = b.Namespace
	)
	switch {
	case b.RequestID != "":
		r, err := s.needRequest(c, b.RequestID, auth.Read)
		if err != nil {
			return err
		}
		col, err := s.testerSvc().Collection(c.UserContext(), r.CollectionID, false)
		if err != nil {
			return err
		}
		req, within, ns = *r, col, col.Namespace
	case b.Inline != nil:
		req = *b.Inline
	default:
		req = b.Request
	}
	if strings.TrimSpace(req.URL) == "" {
		return fieldErr("url", "is required (or requestId)")
	}
	if err := tester.CheckTest(&tester.Test{Name: "request", Request: req}); err != nil {
		return err
	}
	ns, err := namespaceFor(c, ns, auth.Read)
	if err != nil {
		return err
	}
	name := req.Name
	if name == "" {
		name = req.Method + " " + req.URL
	}
	spec := tester.RunSpec{Namespace: ns, EnvironmentID: b.EnvironmentID, Variables: stringMap(b.Variables), TimeoutMs: b.TimeoutMs,
		UserID: principal(c).UserID, TriggeredBy: "api", Name: name, Mode: tester.ModeRequest, ReferenceID: b.RequestID,
		Adhoc: tester.AdhocCollection(name, &req, within)}
	task, st, err := s.runOne(c, spec)
	if err != nil {
		return err
	}
	out := stepAnswer(task, st)
	s.keepHistory(c, ns, &req, out)
	return c.JSON(out)
}

// keepHistory records an executed request (bounded per namespace); a
// failed write is logged, never the caller's failure.
func (s *server) keepHistory(c *fiber.Ctx, ns string, req *tester.Request, out fiber.Map) {
	doc, _ := json.Marshal(fiber.Map{"request": req, "result": fiber.Map{"runId": out["runId"], "status": out["status"],
		"statusCode": out["statusCode"], "latencyMs": out["latencyMs"], "error": out["error"], "totalTests": out["totalTests"],
		"failedTests": out["failedTests"]}})
	o := &store.TesterObject{Kind: store.TesterHistory, Namespace: ns, Name: req.Method + " " + req.URL, UserID: principal(c).UserID,
		Document: string(doc)}
	if len(o.Name) > 300 {
		o.Name = o.Name[:300]
	}
	st := s.testerSvc().Store()
	if err := st.PutTesterObjects(c.UserContext(), o); err != nil {
		s.Logger.Warn("request history not kept", "error", err)
		return
	}
	if err := st.TrimTesterHistory(c.UserContext(), ns, maxHistory); err != nil {
		s.Logger.Warn("request history not trimmed", "error", err)
	}
}

func (s *server) requestHistory(c *fiber.Ctx) error {
	ns, err := namespaceFor(c, "", auth.Read)
	if err != nil {
		return err
	}
	limit, offset := c.QueryInt("limit", 50), c.QueryInt("offset", 0)
	if limit <= 0 || limit > maxHistory {
		limit = 50
	}
	rows, total, err := s.testerSvc().Store().TesterObjects(c.UserContext(), store.TesterFilter{Kind: store.TesterHistory, Namespace: ns,
		Limit: limit, Offset: max(offset, 0)})
	if err != nil {
		return err
	}
	items := make([]fiber.Map, 0, len(rows))
	for _, r := range rows {
		var doc map[string]any
		_ = json.Unmarshal([]byte(r.Document), &doc)
		items = append(items, fiber.Map{"id": r.ID, "executedAt": time.UnixMilli(r.CreatedMs).UTC().Format(time.RFC3339Nano),
			"request": doc["request"], "result": doc["result"], "userId": r.UserID})
	}
	return c.JSON(fiber.Map{"items": items, "total": total, "limit": limit, "offset": offset})
}

// runScript runs a script on its own, against a response the caller gives.
func (s *server) runScript(c *fiber.Ctx) error {
	if s.TesterRuns == nil {
		return apiErr(http.StatusServiceUnavailable, CodeUnavailable, "the API tester is not available on this server")
	}
	var b struct {
		Script      string                `json:"script"`
		Type        string                `json:"type"`
		Listen      string                `json:"listen"`
		Request     *postman.StepRequest  `json:"request"`
		Response    *postman.StepResponse `json:"response"`
		Environment map[string]any        `json:"environment"`
		Variables   map[string]any        `json:"variables"`
		Globals     map[string]any        `json:"globals"`
		Namespace   string                `json:"namespace"`
	}
	if err := s.decodeJSON(c, &b); err != nil {
		return err
	}
	if strings.TrimSpace(b.Script) == "" {
		return fieldErr("script", "is required")
	}
	listen := firstNonEmpty(b.Listen, b.Type)
	switch listen {
	case "", postman.ListenPrerequest, postman.ListenTest:
	case "pre-request", "preRequest":
		listen = postman.ListenPrerequest
	default:
		return fieldErr("type", "%q is not a script type (prerequest, test)", listen)
	}
	if _, err := namespaceFor(c, b.Namespace, auth.Read); err != nil {
		return err
	}
	env := b.Environment
	if env == nil {
		env = b.Variables
	}
	job := &postman.ScriptJob{Script: b.Script, Listen: listen, Request: b.Request, Response: b.Response,
		Environment: envOf("environment", env), Globals: envOf("globals", b.Globals)}
	res, err := s.TesterRuns.Script(c.UserContext(), job)
	if err != nil {
		return err
	}
	passed, failed := 0, 0
	for _, t := range res.Tests {
		if t.Passed && !t.Skipped {
			passed++
		} else if !t.Passed {
			failed++
		}
	}
	return c.JSON(fiber.Map{"success": res.Error == "" && failed == 0, "error": res.Error, "logs": res.Logs, "tests": res.Tests,
		"passedTests": passed, "failedTests": failed, "variables": res.Environment, "environment": res.Environment,
		"globals": res.Globals, "durationMs": res.DurationMs, "nextRequest": res.NextRequest, "skipRequest": res.Skip})
}

func envOf(name string, vars map[string]any) *postman.Environment {
	e := &postman.Environment{Name: name}
	for k, v := range vars {
		e.Values = append(e.Values, postman.EnvValue{Key: k, Value: v, Enabled: true})
	}
	return e
}

// --- standalone tests ---

func (s *server) needTest(c *fiber.Ctx, a auth.Action) (*tester.Test, error) {
	return needIn(c, "test", param(c, "id"), s.testerSvc().Test, func(t *tester.Test) string { return t.Namespace }, a)
}

func (s *server) listTests(c *fiber.Ctx) error { return listTester(c, s.testerSvc().Tests) }

func (s *server) createTest(c *fiber.Ctx) error {
	var t tester.Test
	if err := s.decodeJSON(c, &t); err != nil {
		return err
	}
	ns, err := namespaceFor(c, t.Namespace, auth.Write)
	if err != nil {
		return err
	}
	t.Namespace = ns
	out, err := s.testerSvc().CreateTest(c.UserContext(), &t)
	if err != nil {
		return err
	}
	return c.Status(http.StatusCreated).JSON(out)
}

func (s *server) getTest(c *fiber.Ctx) error {
	t, err := s.needTest(c, auth.Read)
	if err != nil {
		return err
	}
	return c.JSON(t)
}

func (s *server) updateTest(c *fiber.Ctx) error {
	t, err := s.needTest(c, auth.Write)
	if err != nil {
		return err
	}
	return updated(s, c, t.ID, s.testerSvc().UpdateTest)
}

func (s *server) deleteTest(c *fiber.Ctx) error {
	t, err := s.needTest(c, auth.Write)
	if err != nil {
		return err
	}
	if err := s.testerSvc().DeleteObject(c.UserContext(), store.TesterTest, t.ID); err != nil {
		return err
	}
	return removed(c, t.ID)
}

// runTestSpec runs a standalone test as a functional run referencing it.
func (s *server) runTestSpec(c *fiber.Ctx, t *tester.Test) error {
	spec := tester.RunSpec{Namespace: t.Namespace, EnvironmentID: t.EnvironmentID, UserID: principal(c).UserID, TriggeredBy: "api",
		Name: t.Name, ReferenceID: t.ID, Adhoc: tester.AdhocCollection(t.Name, &t.Request, nil)}
	return s.startRun(c, spec, maxRunWait)
}

func (s *server) runTest(c *fiber.Ctx) error {
	t, err := s.needTest(c, auth.Read)
	if err != nil {
		return err
	}
	return s.runTestSpec(c, t)
}

func (s *server) runInlineTest(c *fiber.Ctx) error {
	var t tester.Test
	if err := s.decodeJSON(c, &t); err != nil {
		return err
	}
	if t.Request.URL == "" && t.Request.Method == "" {
		var r tester.Request // the request given flat
		if err := decodeJSONBytes(c.Body(), &r); err == nil {
			t.Request = r
		}
	}
	ns, err := namespaceFor(c, t.Namespace, auth.Read)
	if err != nil {
		return err
	}
	t.Namespace = ns
	if err := tester.CheckTest(&t); err != nil {
		return err
	}
	return s.runTestSpec(c, &t)
}

// --- schedules ---

func (s *server) needSchedule(c *fiber.Ctx, a auth.Action) (*tester.Schedule, error) {
	return needIn(c, "schedule", param(c, "id"), s.testerSvc().Schedule, func(sc *tester.Schedule) string { return sc.Namespace }, a)
}

func (s *server) listSchedules(c *fiber.Ctx) error { return listTester(c, s.testerSvc().Schedules) }

func (s *server) createSchedule(c *fiber.Ctx) error {
	var b struct {
		tester.Schedule
		Enabled *bool `json:"enabled"`
	}
	if err := s.decodeJSON(c, &b); err != nil {
		return err
	}
	sc := b.Schedule
	sc.Enabled = b.Enabled == nil || *b.Enabled // a new schedule runs unless told not to
	ns, err := namespaceFor(c, sc.Namespace, auth.Write)
	if err != nil {
		return err
	}
	sc.Namespace = ns
	out, err := s.testerSvc().CreateSchedule(c.UserContext(), &sc)
	if err != nil {
		return err
	}
	s.TesterScheduler.Sync(out)
	return c.Status(http.StatusCreated).JSON(out)
}

func (s *server) getSchedule(c *fiber.Ctx) error {
	sc, err := s.needSchedule(c, auth.Read)
	if err != nil {
		return err
	}
	return c.JSON(sc)
}

func (s *server) updateSchedule(c *fiber.Ctx) error {
	sc, err := s.needSchedule(c, auth.Write)
	if err != nil {
		return err
	}
	return updated(s, c, sc.ID, func(ctx context.Context, id string, body []byte) (*tester.Schedule, error) {
		out, err := s.testerSvc().UpdateSchedule(ctx, id, body)
		if err == nil {
			s.TesterScheduler.Sync(out)
		}
		return out, err
	})
}

func (s *server) deleteSchedule(c *fiber.Ctx) error {
	sc, err := s.needSchedule(c, auth.Write)
	if err != nil {
		return err
	}
	if err := s.testerSvc().DeleteObject(c.UserContext(), store.TesterSchedule, sc.ID); err != nil {
		return err
	}
	s.TesterScheduler.Forget(sc.ID)
	return removed(c, sc.ID)
}

// runSchedule runs a schedule's collections now; it answers at once with
// the run to poll.
func (s *server) runSchedule(c *fiber.Ctx) error {
	sc, err := s.needSchedule(c, auth.Read)
	if err != nil {
		return err
	}
	if s.TesterRuns == nil {
		return apiErr(http.StatusServiceUnavailable, CodeUnavailable, "the API tester is not available on this server")
	}
	task, err := s.TesterRuns.RunSchedule(c.UserContext(), sc, "api")
	if err != nil {
		return err
	}
	return c.Status(http.StatusAccepted).JSON(tester.TestRunRow(task, true))
}
