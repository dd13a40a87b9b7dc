package api

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/mockarty-oss/mockarty/host/internal/auth"
	"github.com/mockarty-oss/mockarty/host/internal/store"
	"github.com/mockarty-oss/mockarty/host/internal/tester"
	"github.com/mockarty-oss/mockarty/sdk/postman"
)

func (s *server) testRunRoutes(v1, t fiber.Router) {
	t.Get("/test-runs", s.listTestRuns)
	t.Get("/test-runs/:id", s.getTestRun)
	t.Delete("/test-runs/:id", s.deleteTestRun)
	t.Post("/test-runs/:id/cancel", s.cancelTestRun)
	t.Get("/test-runs/:id/export", s.exportTestRun)
	t.Get("/test-runs/:id/report", s.exportTestRun)
	t.Get("/test-reports/:id", s.testReport)
	t.Post("/reports/import", s.importTestRun)
	v1.Get("/test-runs/active", s.activeTestRuns)
	// The integrations guide's CI call: POST /ui/api/test-runs/run {collectionId, environmentId}.
	v1.Post("/test-runs/run", s.executeCollection)
}

// runBody is what execute and run accept (all optional).
type runBody struct {
	CollectionID  string          `json:"collectionId"`
	CollectionIDs []string        `json:"collectionIds"`
	EnvironmentID string          `json:"environmentId"`
	Variables     map[string]any  `json:"variables"`
	Globals       map[string]any  `json:"globals"`
	IterationData json.RawMessage `json:"iterationData"`
	Iterations    int             `json:"iterations"`
	Folder        []string        `json:"folder"`
	FolderID      string          `json:"folderId"`
	RequestIDs    []string        `json:"requestIds"`
	Bail          bool            `json:"bail"`
	StopOnFailure bool            `json:"stopOnFailure"`
	TimeoutMs     int             `json:"timeoutMs"`
	Wait          *int            `json:"wait"` // seconds to wait for the end (default 60)
	Namespace     string          `json:"namespace"`
}

const (
	defaultRunWait = 60 * time.Second
	maxRunWait     = 10 * time.Minute
	maxIterations  = 100000
)

func stringMap(m map[string]any) map[string]string {
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		b, _ := json.Marshal(v)
		out[k] = tester.Stringify(b)
	}
	return out
}

// iterationData reads a JSON array of objects, or CSV text, as newman's -d.
func iterationData(raw json.RawMessage) ([]map[string]any, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil, nil
	}
	if raw[0] == '"' {
		var text string
		if err := json.Unmarshal(raw, &text); err != nil {
			return nil, fieldErr("iterationData", "%v", err)
		}
		rows, err := tester.ParseData([]byte(text))
		if err != nil {
			return nil, fieldErr("iterationData", "%v", err)
		}
		return rows, nil
	}
	rows, err := tester.ParseData(raw)
	if err != nil {
		return nil, fieldErr("iterationData", "%v", err)
	}
	return rows, nil
}

func (s *server) runSpec(c *fiber.Ctx, b *runBody, ns string) (tester.RunSpec, error) {
	data, err := iterationData(b.IterationData)
	if err != nil {
		return tester.RunSpec{}, err
	}
	if b.Iterations < 0 || b.Iterations > maxIterations {
		return tester.RunSpec{}, fieldErr("iterations", "must be 0-%d", maxIterations)
	}
	if b.TimeoutMs < 0 {
		return tester.RunSpec{}, fieldErr("timeoutMs", "must not be negative")
	}
	folder := append([]string{}, b.Folder...)
	if b.FolderID != "" {
		folder = append(folder, b.FolderID)
	}
	folder = append(folder, b.RequestIDs...)
	return tester.RunSpec{Namespace: ns, EnvironmentID: b.EnvironmentID, Variables: stringMap(b.Variables),
		Globals: stringMap(b.Globals), IterationData: data, Iterations: b.Iterations, Folder: folder,
		Bail: b.Bail || b.StopOnFailure, TimeoutMs: b.TimeoutMs, UserID: principal(c).UserID, TriggeredBy: "api"}, nil
}

func (s *server) runWait(c *fiber.Ctx, b *runBody) time.Duration {
	wait := defaultRunWait
	if q := c.Query("wait"); q != "" {
		if n, err := strconv.Atoi(q); err == nil {
			b.Wait = &n
		}
	}
	if b.Wait != nil {
		wait = time.Duration(*b.Wait) * time.Second
	}
	if wait < 0 {
		wait = 0
	}
	if wait > maxRunWait {
		wait = maxRunWait
	}
	return wait
}

// startRun starts a run and answers when it ends or the wait is over
// (status "running": poll GET /api-tester/test-runs/{id}).
func (s *server) startRun(c *fiber.Ctx, spec tester.RunSpec, wait time.Duration) error {
	cur, err := s.waitRun(c, spec, wait)
	if err != nil {
		return err
	}
	out, err := s.testerSvc().RunResult(c.UserContext(), cur)
	if err != nil {
		return err
	}
	return c.JSON(out)
}

// waitRun starts a run and gives its task when the run ends or the wait
// is over, whichever comes first.
func (s *server) waitRun(c *fiber.Ctx, spec tester.RunSpec, wait time.Duration) (*store.Task, error) {
	if s.TesterRuns == nil {
		return nil, apiErr(http.StatusServiceUnavailable, CodeUnavailable, "the API tester is not available on this server")
	}
	task, done, err := s.TesterRuns.Start(c.UserContext(), spec)
	if err != nil {
		return nil, err
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case <-done:
	case <-timer.C:
	}
	return s.testerSvc().Store().GetTask(c.UserContext(), task.ID)
}

func (s *server) executeCollection(c *fiber.Ctx) error {
	var b runBody
	if err := s.decodeOptional(c, &b); err != nil {
		return err
	}
	id := param(c, "id")
	if id == "" {
		id = b.CollectionID
	}
	if id == "" {
		return fieldErr("collectionId", "is required")
	}
	col, err := s.needCollection(c, id, auth.Read)
	if err != nil {
		return err
	}
	spec, err := s.runSpec(c, &b, col.Namespace)
	if err != nil {
		return err
	}
	spec.CollectionIDs = []string{col.ID}
	return s.startRun(c, spec, s.runWait(c, &b))
}

func (s *server) executeMultiple(c *fiber.Ctx) error {
	var b runBody
	if err := s.decodeOptional(c, &b); err != nil {
		return err
	}
	if len(b.CollectionIDs) == 0 {
		return fieldErr("collectionIds", "list at least one collection id")
	}
	if len(b.CollectionIDs) > 100 {
		return fieldErr("collectionIds", "at most 100 collections in one run")
	}
	ns := ""
	for i, id := range b.CollectionIDs {
		col, err := s.needCollection(c, id, auth.Read)
		if err != nil {
			return err
		}
		if i == 0 {
			ns = col.Namespace
		} else if col.Namespace != ns {
			return fieldErr("collectionIds", "collections of one run share a namespace (%q is in %q, not %q)", id, col.Namespace, ns)
		}
	}
	spec, err := s.runSpec(c, &b, ns)
	if err != nil {
		return err
	}
	spec.CollectionIDs = b.CollectionIDs
	return s.startRun(c, spec, s.runWait(c, &b))
}

// --- test runs ---

func (s *server) listTestRuns(c *fiber.Ctx) error {
	ns, err := readNamespace(c)
	if err != nil {
		return err
	}
	limit, offset := c.QueryInt("limit", 50), c.QueryInt("offset", 0)
	if limit <= 0 || limit > 500 {
		limit = 50
	}
	if offset < 0 {
		offset = 0
	}
	mode := c.Query("mode", tester.ModeFunctional)
	if mode == "all" {
		mode = ""
	}
	tasks, total, err := s.testerSvc().Store().Tasks(c.UserContext(), store.TaskFilter{Mode: mode, ReferenceID: c.Query("referenceId"),
		Namespace: ns, Namespaces: readableNamespaces(c), Limit: limit, Offset: offset})
	if err != nil {
		return err
	}
	me := principal(c).UserID
	runs := make([]map[string]any, 0, len(tasks))
	for i := range tasks {
		runs = append(runs, tester.TestRunRow(&tasks[i], me != "" && tasks[i].UserID == me))
	}
	return c.JSON(fiber.Map{"runs": runs, "total": total, "limit": limit, "offset": offset})
}

func (s *server) needTask(c *fiber.Ctx, a auth.Action) (*store.Task, error) {
	id := param(c, "id")
	t, err := s.testerSvc().Store().GetTask(c.UserContext(), id)
	if err != nil {
		if err == store.ErrNotFound {
			return nil, notFoundErr("test run %q not found", id)
		}
		return nil, err
	}
	if !principal(c).Allows(t.Namespace, auth.Read) {
		return nil, notFoundErr("test run %q not found", id)
	}
	return t, need(c, t.Namespace, a)
}

func (s *server) getTestRun(c *fiber.Ctx) error {
	t, err := s.needTask(c, auth.Read)
	if err != nil {
		return err
	}
	out, err := s.testerSvc().RunResult(c.UserContext(), t)
	if err != nil {
		return err
	}
	for k, v := range tester.TestRunRow(t, principal(c).UserID != "" && principal(c).UserID == t.UserID) {
		if _, ok := out[k]; !ok || k == "startedAt" {
			out[k] = v // the row's epoch-ms startedAt (§0.4), its progress fields
		}
	}
	return c.JSON(out)
}

func (s *server) deleteTestRun(c *fiber.Ctx) error {
	t, err := s.needTask(c, auth.Write)
	if err != nil {
		return err
	}
	s.stopRun(t.ID)
	if err := s.testerSvc().Store().DeleteTask(c.UserContext(), t.ID); err != nil {
		return err
	}
	return removed(c, t.ID)
}

func (s *server) cancelTestRun(c *fiber.Ctx) error {
	t, err := s.needTask(c, auth.Write)
	if err != nil {
		return err
	}
	if !s.stopRun(t.ID) {
		return apiErr(http.StatusConflict, CodeConflict, "test run %q is not running (status %s)", t.ID, t.Status)
	}
	cur, err := s.testerSvc().Store().GetTask(c.UserContext(), t.ID)
	if err != nil {
		return err
	}
	return c.JSON(tester.TestRunRow(cur, false))
}

func (s *server) exportTestRun(c *fiber.Ctx) error {
	t, err := s.needTask(c, auth.Read)
	if err != nil {
		return err
	}
	format := c.Query("format", "json")
	ct := tester.ReportContentType(format)
	if ct == "" {
		return fieldErr("format", "%q is not a report format (%s)", format, tester.ReportFormats)
	}
	var buf bytes.Buffer
	if err := s.testerSvc().WriteReport(c.UserContext(), t, format, &buf); err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, ct)
	return c.Send(buf.Bytes())
}

// testReport is a run as the swagger CollectionTestReport (durations in ns).
func (s *server) testReport(c *fiber.Ctx) error {
	t, err := s.needTask(c, auth.Read)
	if err != nil {
		return err
	}
	cnt := tester.CountsOf(t)
	reports := []map[string]any{}
	err = s.testerSvc().EachStep(c.UserContext(), t.ID, func(i int, st *postman.Step) error {
		if len(reports) >= tester.MaxInlineResults {
			return nil
		}
		tests := make([]map[string]any, 0, len(st.Tests))
		passed, failed := 0, 0
		for _, tr := range st.Tests {
			tests = append(tests, map[string]any{"name": tr.Name, "passed": tr.Passed, "skipped": tr.Skipped, "error": tr.Error, "message": tr.Error})
			if tr.Passed {
				passed++
			} else if !tr.Skipped {
				failed++
			}
		}
		script := func(r *postman.ScriptRun) map[string]any {
			if r == nil {
				return nil
			}
			return map[string]any{"success": r.Error == "", "error": r.Error, "logs": r.Logs, "duration": int64(r.DurationMs * 1e6)}
		}
		reports = append(reports, map[string]any{"id": st.ItemID, "requestId": st.ItemID, "requestName": st.Name, "protocol": "http",
			"executedAt": time.UnixMilli(st.StartedAt).UTC().Format(time.RFC3339Nano), "requestData": st.Request, "responseData": st.Response,
			"preRequestResult": script(st.PreRequest), "testResult": script(st.Test), "tests": tests,
			"totalTests": len(st.Tests), "passedTests": passed, "failedTests": failed, "duration": st.DurationMs * 1e6, "status": st.Status})
		return nil
	})
	if err != nil {
		return err
	}
	collectionID := ""
	if len(cnt.CollectionIDs) > 0 {
		collectionID = cnt.CollectionIDs[0]
	}
	return c.JSON(fiber.Map{"id": t.ID, "name": t.Name, "collectionId": collectionID, "collectionName": t.Name,
		"executedAt": time.UnixMilli(t.StartedMs).UTC().Format(time.RFC3339Nano), "executorId": t.UserID, "status": t.Status,
		"summary":        fiber.Map{"total": cnt.TotalTests, "passed": cnt.PassedTests, "failed": cnt.FailedTests, "skipped": cnt.SkippedTests},
		"requestReports": reports, "duration": cnt.DurationMs * 1e6, "totalRequests": cnt.TotalRequests,
		"passedRequests": cnt.CompletedRequests - cnt.FailedRequests - cnt.ErroredRequests, "failedRequests": cnt.FailedRequests + cnt.ErroredRequests,
		"totalTests": cnt.TotalTests, "passedTests": cnt.PassedTests, "failedTests": cnt.FailedTests})
}

func (s *server) importTestRun(c *fiber.Ctx) error {
	b, err := s.body(c)
	if err != nil {
		return err
	}
	var wrapper struct {
		Data      json.RawMessage `json:"data"`
		Namespace string          `json:"namespace"`
	}
	if err := decodeJSONBytes(b, &wrapper); err != nil {
		return err
	}
	doc := b
	if len(wrapper.Data) > 0 {
		var text string
		if json.Unmarshal(wrapper.Data, &text) == nil {
			doc = []byte(text)
		} else {
			doc = wrapper.Data
		}
	}
	ns, err := namespaceFor(c, wrapper.Namespace, auth.Write)
	if err != nil {
		return err
	}
	t, err := s.testerSvc().ImportReport(c.UserContext(), ns, principal(c).UserID, doc)
	if err != nil {
		return err
	}
	return c.Status(http.StatusCreated).JSON(tester.TestRunRow(t, true))
}

// activeTestRuns lists what is running, across tools.
func (s *server) activeTestRuns(c *fiber.Ctx) error {
	ns, err := optionalNamespace(c)
	if err != nil {
		return err
	}
	tasks, _, err := s.testerSvc().Store().Tasks(c.UserContext(), store.TaskFilter{Namespace: ns, Namespaces: readableNamespaces(c),
		Statuses: []string{store.TaskPending, store.TaskRunning}, Limit: 500})
	if err != nil {
		return err
	}
	runs := make([]map[string]any, 0, len(tasks))
	for i := range tasks {
		runs = append(runs, tester.TestRunRow(&tasks[i], tasks[i].UserID == principal(c).UserID))
	}
	return c.JSON(fiber.Map{"runs": runs, "fuzz": []any{}, "chaos": []any{}})
}

// stopRun stops a running run of any mode (collection, perf or fuzz) and
// says whether one was running.
func (s *server) stopRun(id string) bool {
	stopped := false
	if s.TesterRuns != nil {
		stopped = s.TesterRuns.Cancel(id) || stopped
	}
	if s.PerfRuns != nil {
		stopped = s.PerfRuns.Stop(id) || stopped
	}
	if s.FuzzRuns != nil {
		stopped = s.FuzzRuns.Stop(id) || stopped
	}
	return stopped
}
