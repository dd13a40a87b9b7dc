package api

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/mockarty-oss/mockarty/host/internal/auth"
	"github.com/mockarty-oss/mockarty/host/internal/objects"
	"github.com/mockarty-oss/mockarty/host/internal/perf"
	"github.com/mockarty-oss/mockarty/host/internal/plugins"
	"github.com/mockarty-oss/mockarty/host/internal/store"
	"github.com/mockarty-oss/mockarty/host/internal/tester"
)

// Runner tasks (api-reference "runner tasks", model-tools §7.2): the one
// task model seen as a runner's queue. This server is its own, local
// runner; remote runner agents come with the distributed mode.
func (s *server) runnerTaskRoutes(v1 fiber.Router) {
	v1.Get("/runner-tasks", s.listRunnerTasks)
	v1.Post("/runner-tasks", s.submitRunnerTask)
	v1.Get("/runner-tasks/:id", s.getRunnerTask)
	v1.Get("/runner-tasks/:id/queue-position", s.runnerTaskPosition)
	v1.Delete("/runner-tasks/:id", s.cancelRunnerTask)
	v1.Get("/runners", s.listRunners)
}

// Capabilities of the local runner, by task mode.
var runnerTypes = map[string]string{tester.ModeFunctional: "api_test", perf.ModeLoad: "performance"}

func runnerTypeOf(mode string) string {
	if t, ok := runnerTypes[mode]; ok {
		return t
	}
	return mode
}

// runnerTask is a task as a runner task.
func runnerTask(t *store.Task) fiber.Map {
	st := t.Status
	progress := 0
	var sum struct {
		Progress int `json:"progress"`
	}
	if json.Unmarshal([]byte(t.Summary), &sum) == nil {
		progress = sum.Progress
	}
	if st != store.TaskRunning && st != store.TaskPending {
		progress = 100
	}
	return fiber.Map{"id": t.ID, "type": runnerTypeOf(t.Mode), "mode": t.Mode, "namespace": t.Namespace, "status": st, "runnerId": "local",
		"labels": fiber.Map{}, "referenceId": t.ReferenceID, "name": t.Name, "progressPct": progress, "message": t.Message,
		"createdAt": objects.ISO(t.CreatedMs), "startedAt": objects.ISO(t.StartedMs), "completedAt": objects.ISO(t.FinishedMs)}
}

func (s *server) listRunnerTasks(c *fiber.Ctx) error {
	ns, err := readNamespace(c)
	if err != nil {
		return err
	}
	f := store.TaskFilter{Namespace: ns, Namespaces: readableNamespaces(c), Limit: 100}
	if st := c.Query("status"); st != "" {
		f.Statuses = strings.Split(st, ",")
	}
	if typ := c.Query("type"); typ != "" {
		for mode, t := range runnerTypes {
			if t == typ {
				f.Mode = mode
			}
		}
		if f.Mode == "" {
			return fieldErr("type", "%q is not a task type (api_test, performance)", typ)
		}
	}
	list, _, err := s.Catalog.Store().Tasks(c.UserContext(), f)
	if err != nil {
		return err
	}
	out := make([]fiber.Map, 0, len(list))
	for i := range list {
		out = append(out, runnerTask(&list[i]))
	}
	return c.JSON(out)
}

// submitRunnerTask starts a task: api_test runs collections (payload as
// execute's body plus collectionId(s)), performance runs load (payload as
// /perf/run's body).
func (s *server) submitRunnerTask(c *fiber.Ctx) error {
	var b struct {
		Type      string          `json:"type"`
		Namespace string          `json:"namespace"`
		Payload   json.RawMessage `json:"payload"`
	}
	if err := s.decodeJSON(c, &b); err != nil {
		return err
	}
	if len(b.Payload) == 0 {
		b.Payload = json.RawMessage("{}")
	}
	switch b.Type {
	case "api_test":
		if s.TesterRuns == nil {
			return apiErr(http.StatusServiceUnavailable, CodeUnavailable, "the API tester is not available on this server")
		}
		var rb runBody
		if err := decodeJSONBytes(b.Payload, &rb); err != nil {
			return err
		}
		ids := rb.CollectionIDs
		if rb.CollectionID != "" {
			ids = append([]string{rb.CollectionID}, ids...)
		}
		if len(ids) == 0 {
			return fieldErr("payload.collectionId", "is required")
		}
		ns := b.Namespace
		for _, id := range ids {
			col, err := s.needCollection(c, id, auth.Read)
			if err != nil {
				return err
			}
			ns = col.Namespace
		}
		spec, err := s.runSpec(c, &rb, ns)
		if err != nil {
			return err
		}
		spec.CollectionIDs, spec.TriggeredBy = ids, "runner-task"
		t, _, err := s.TesterRuns.Start(c.UserContext(), spec)
		if err != nil {
			return err
		}
		return c.Status(http.StatusCreated).JSON(runnerTask(t))
	case "performance":
		if s.PerfRuns == nil {
			return apiErr(http.StatusServiceUnavailable, CodeUnavailable, "load testing is not available on this server")
		}
		cfg := &perf.Config{}
		if err := objects.Merge(cfg, b.Payload, true, "id", "createdAt", "updatedAt", "namespace"); err != nil {
			return err
		}
		ns, err := namespaceFor(c, b.Namespace, auth.Write)
		if err != nil {
			return err
		}
		cfg.Namespace = ns
		t, _, err := s.PerfRuns.Start(c.UserContext(), cfg, principal(c).UserID, "runner-task")
		if err != nil {
			return err
		}
		return c.Status(http.StatusCreated).JSON(runnerTask(t))
	}
	return fieldErr("type", "%q is not a task type this runner takes (api_test, performance)", b.Type)
}

func (s *server) needRunnerTask(c *fiber.Ctx, a auth.Action) (*store.Task, error) {
	id := param(c, "id")
	t, err := s.Catalog.Store().GetTask(c.UserContext(), id)
	if err != nil || !principal(c).Allows(t.Namespace, auth.Read) {
		return nil, notFoundErr("runner task %q not found", id)
	}
	return t, need(c, t.Namespace, a)
}

func (s *server) getRunnerTask(c *fiber.Ctx) error {
	t, err := s.needRunnerTask(c, auth.Read)
	if err != nil {
		return err
	}
	return c.JSON(runnerTask(t))
}

// runnerTaskPosition: the local runner starts every task at once, so a
// task is never behind another.
func (s *server) runnerTaskPosition(c *fiber.Ctx) error {
	t, err := s.needRunnerTask(c, auth.Read)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"id": t.ID, "status": t.Status, "position": 0, "ahead": 0})
}

func (s *server) cancelRunnerTask(c *fiber.Ctx) error {
	t, err := s.needRunnerTask(c, auth.Write)
	if err != nil {
		return err
	}
	stopped := false
	switch t.Mode {
	case perf.ModeLoad:
		stopped = s.PerfRuns != nil && s.PerfRuns.Stop(t.ID)
	default:
		stopped = s.TesterRuns != nil && s.TesterRuns.Cancel(t.ID)
	}
	if !stopped {
		return apiErr(http.StatusConflict, CodeConflict, "runner task %q is not running (status %s)", t.ID, t.Status)
	}
	cur, err := s.Catalog.Store().GetTask(c.UserContext(), t.ID)
	if err != nil {
		return err
	}
	return c.JSON(runnerTask(cur))
}

// listRunners lists this server as the one local runner, with what it runs.
func (s *server) listRunners(c *fiber.Ctx) error {
	active, _, err := s.Catalog.Store().Tasks(c.UserContext(), store.TaskFilter{Namespaces: readableNamespaces(c),
		Statuses: []string{store.TaskPending, store.TaskRunning}, Limit: 1000})
	if err != nil {
		return err
	}
	// What the runner can do is what its running tool plugins do.
	caps := []string{}
	if s.Plugins != nil {
		for _, p := range s.Plugins.List() {
			if p.State != plugins.StateRunning {
				continue
			}
			switch p.Name {
			case tester.PluginName:
				caps = append(caps, "api_test")
			case perf.PluginName:
				caps = append(caps, "performance")
			}
		}
	}
	return c.JSON([]fiber.Map{{"id": "local", "name": "local", "status": "ok", "coordinator": "local", "releaseId": s.ReleaseID,
		"activeTasks": len(active), "capabilities": caps, "labels": fiber.Map{}}})
}
