package api

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/mockarty-oss/mockarty/host/internal/auth"
	"github.com/mockarty-oss/mockarty/host/internal/objects"
	"github.com/mockarty-oss/mockarty/host/internal/perf"
	"github.com/mockarty-oss/mockarty/host/internal/store"
)

// Load testing (api-reference section 8, model-tools §2): the host keeps
// configs and results, the perf plugin generates the load.
func (s *server) perfRoutes(v1 fiber.Router) {
	v1.Get("/perf-configs", s.listPerfConfigs)
	s.perfConfigs().routes(s, v1, "/perf-configs")
	v1.Post("/perf/run", s.runPerf)
	v1.Post("/perf/run-collection", s.runPerfCollection)
	v1.Post("/perf/stop/:taskId", s.stopPerf)
	v1.Get("/perf-results", s.listPerfResults)
	v1.Get("/perf-results/compare", s.comparePerfResults)
	v1.Get("/perf-results/history/:configId", s.perfHistory)
	v1.Get("/perf-results/trend/:configId", s.perfTrend)
	v1.Get("/perf-results/group/:runGroupId", s.perfGroup)
	v1.Get("/perf-results/:id", s.getPerfResult)
	v1.Delete("/perf-results/:id", s.deletePerfResult)
	s.perfScriptRoutes(v1)
}

func (s *server) perfSvc() *perf.Service { return s.Perf }

// perfConfigs are the perf configs as the API serves them.
func (s *server) perfConfigs() toolObjects[perf.Config] {
	svc := s.perfSvc()
	return toolObjects[perf.Config]{what: "perf config", load: svc.Config, save: svc.SaveConfig, update: svc.UpdateConfig,
		remove: svc.DeleteConfig, ns: func(c *perf.Config) *string { return &c.Namespace }, id: func(c *perf.Config) *string { return &c.ID }}
}

func (s *server) needPerfConfig(c *fiber.Ctx, id string, a auth.Action) (*perf.Config, error) {
	return s.perfConfigs().need(c, id, a)
}

func (s *server) listPerfConfigs(c *fiber.Ctx) error { return listTester(c, s.perfSvc().Configs) }

// runPerf starts a run from any of the five request shapes the SDKs and
// docs send (model-tools §2.2): options override the top level, a
// configId loads a saved config under the request, concurrency is vus.
func (s *server) runPerf(c *fiber.Ctx) error {
	top, err := s.perfBody(c)
	if err != nil {
		return err
	}
	if sc := bytes.TrimSpace(top["script"]); len(sc) > 0 && sc[0] == '{' {
		// {collectionId, environmentId}: the collection runs as the load
		var ref map[string]json.RawMessage
		if err := json.Unmarshal(sc, &ref); err != nil {
			return fieldErr("script", "must be a script or {collectionId, environmentId}")
		}
		for _, k := range []string{"collectionId", "environmentId"} {
			if v, ok := ref[k]; ok {
				top[k] = v
			}
		}
		delete(top, "script")
	}
	return s.startPerf(c, top)
}

// perfBody reads a run request's body, options overriding the top level.
func (s *server) perfBody(c *fiber.Ctx) (map[string]json.RawMessage, error) {
	if s.PerfRuns == nil {
		return nil, apiErr(http.StatusServiceUnavailable, CodeUnavailable, "load testing is not available on this server")
	}
	b, err := s.objectBody(c)
	if err != nil {
		return nil, err
	}
	var top map[string]json.RawMessage
	_ = json.Unmarshal(b, &top)
	if opts, ok := top["options"]; ok {
		var o map[string]json.RawMessage
		if err := json.Unmarshal(opts, &o); err != nil {
			return nil, fieldErr("options", "must be an object")
		}
		for k, v := range o {
			top[k] = v
		}
		delete(top, "options")
	}
	return top, nil
}

// runPerfCollection runs an API-tester collection as load:
// {collectionId, environmentId?, vus, duration, ...} (model-tools §2.2).
func (s *server) runPerfCollection(c *fiber.Ctx) error {
	top, err := s.perfBody(c)
	if err != nil {
		return err
	}
	var id string
	if err := json.Unmarshal(top["collectionId"], &id); err != nil || strings.TrimSpace(id) == "" {
		return fieldErr("collectionId", "name the collection to run as load")
	}
	delete(top, "script")
	return s.startPerf(c, top)
}

// startPerf starts a run from a normalised request body.
func (s *server) startPerf(c *fiber.Ctx, top map[string]json.RawMessage) error {
	var ref struct {
		ConfigID  string `json:"configId"`
		Namespace string `json:"namespace"`
	}
	merged, _ := json.Marshal(top)
	_ = json.Unmarshal(merged, &ref)
	cfg := &perf.Config{}
	if ref.ConfigID != "" {
		saved, err := s.needPerfConfig(c, ref.ConfigID, auth.Read)
		if err != nil {
			return err
		}
		cfg = saved
		ref.Namespace = saved.Namespace
	}
	if err := objects.Merge(cfg, merged, true, "id", "createdAt", "updatedAt", "namespace"); err != nil {
		return err
	}
	ns, err := namespaceFor(c, ref.Namespace, auth.Write)
	if err != nil {
		return err
	}
	cfg.Namespace = ns
	if ref.ConfigID == "" {
		cfg.ID = ""
	}
	task, _, err := s.PerfRuns.Start(c.UserContext(), cfg, principal(c).UserID, "api")
	if err != nil {
		return err
	}
	return c.Status(http.StatusCreated).JSON(perf.Task(task))
}

// needLoadTask loads a load run the caller may act on.
func (s *server) needLoadTask(c *fiber.Ctx, id string, a auth.Action) (*store.Task, error) {
	return s.needModeTask(c, perf.ModeLoad, "perf result", id, a)
}

// needModeTask loads a task of a mode (a tool's run) the caller may act
// on; any other is "<what> not found".
func (s *server) needModeTask(c *fiber.Ctx, mode, what, id string, a auth.Action) (*store.Task, error) {
	t, err := s.Catalog.Store().GetTask(c.UserContext(), id)
	if err != nil || t.Mode != mode || !principal(c).Allows(t.Namespace, auth.Read) {
		return nil, notFoundErr("%s %q not found", what, id)
	}
	return t, need(c, t.Namespace, a)
}

// modeTasks lists the tasks of a mode that f selects, in the caller's
// namespaces (?namespace=), a page of them (?limit= (100, at most 1000),
// ?offset=), newest first, and how many there are.
func (s *server) modeTasks(c *fiber.Ctx, mode string, f store.TaskFilter) ([]store.Task, int64, error) {
	ns, err := optionalNamespace(c)
	if err != nil {
		return nil, 0, err
	}
	if ns != "" {
		if err := need(c, ns, auth.Read); err != nil {
			return nil, 0, err
		}
	}
	limit := c.QueryInt("limit", 100)
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	f.Mode, f.Namespace, f.Namespaces, f.Limit, f.Offset = mode, ns, readableNamespaces(c), limit, max(c.QueryInt("offset", 0), 0)
	return s.Catalog.Store().Tasks(c.UserContext(), f)
}

func (s *server) stopPerf(c *fiber.Ctx) error {
	t, err := s.needLoadTask(c, param(c, "taskId"), auth.Write)
	if err != nil {
		return err
	}
	if s.PerfRuns == nil || !s.PerfRuns.Stop(t.ID) {
		return apiErr(http.StatusConflict, CodeConflict, "perf run %q is not running (status %s)", t.ID, t.Status)
	}
	cur, err := s.Catalog.Store().GetTask(c.UserContext(), t.ID)
	if err != nil {
		return err
	}
	return c.JSON(perf.Task(cur))
}

// loadResults lists load runs, newest first (the Python example takes [0]).
func (s *server) loadResults(c *fiber.Ctx, referenceID string) ([]map[string]any, error) {
	return s.loadResultsWhere(c, store.TaskFilter{ReferenceID: referenceID})
}

// loadResultsWhere lists the load runs f selects (namespace, paging and
// the caller's namespaces are added), newest first.
func (s *server) loadResultsWhere(c *fiber.Ctx, f store.TaskFilter) ([]map[string]any, error) {
	list, _, err := s.modeTasks(c, perf.ModeLoad, f)
	if err != nil {
		return nil, err
	}
	out := make([]map[string]any, 0, len(list))
	for i := range list {
		r, err := s.perfSvc().Result(c.UserContext(), &list[i], false)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

func (s *server) listPerfResults(c *fiber.Ctx) error {
	out, err := s.loadResults(c, "")
	if err != nil {
		return err
	}
	return c.JSON(out)
}

// perfGroup lists the runs of a run group (runGroupId on their run
// requests), newest first, with their totals.
func (s *server) perfGroup(c *fiber.Ctx) error {
	id := param(c, "runGroupId")
	out, err := s.loadResultsWhere(c, store.TaskFilter{Param: &[2]string{perf.ParamRunGroup, id}})
	if err != nil {
		return err
	}
	return c.JSON(perf.Group(id, out))
}

func (s *server) perfHistory(c *fiber.Ctx) error {
	out, err := s.loadResults(c, param(c, "configId"))
	if err != nil {
		return err
	}
	return c.JSON(out)
}

// perfTrend is a config's runs as points, oldest first, for a chart.
func (s *server) perfTrend(c *fiber.Ctx) error {
	id := param(c, "configId")
	out, err := s.loadResults(c, id)
	if err != nil {
		return err
	}
	points := make([]fiber.Map, 0, len(out))
	for i := len(out) - 1; i >= 0; i-- {
		r := out[i]
		points = append(points, fiber.Map{"id": r["id"], "startedAt": r["startedAt"], "status": r["status"], "avgLatencyMs": r["avgLatencyMs"],
			"p95LatencyMs": r["p95LatencyMs"], "p99LatencyMs": r["p99LatencyMs"], "rps": r["rps"], "errorRate": r["errorRate"]})
	}
	return c.JSON(fiber.Map{"configId": id, "points": points, "count": len(points)})
}

func (s *server) getPerfResult(c *fiber.Ctx) error {
	t, err := s.needLoadTask(c, param(c, "id"), auth.Read)
	if err != nil {
		return err
	}
	out, err := s.perfSvc().Result(c.UserContext(), t, true)
	if err != nil {
		return err
	}
	return c.JSON(out)
}

func (s *server) deletePerfResult(c *fiber.Ctx) error {
	t, err := s.needLoadTask(c, param(c, "id"), auth.Write)
	if err != nil {
		return err
	}
	if s.PerfRuns != nil {
		s.PerfRuns.Stop(t.ID)
	}
	if err := s.Catalog.Store().DeleteTask(c.UserContext(), t.ID); err != nil {
		return err
	}
	return removed(c, t.ID)
}

// comparePerfResults sets runs side by side: ?ids=a,b (Go, Python) or
// ?id=a&id=b (Java).
func (s *server) comparePerfResults(c *fiber.Ctx) error {
	var ids []string
	for _, v := range c.Context().QueryArgs().PeekMulti("ids") {
		for _, id := range strings.Split(string(v), ",") {
			if id = strings.TrimSpace(id); id != "" {
				ids = append(ids, id)
			}
		}
	}
	for _, v := range c.Context().QueryArgs().PeekMulti("id") {
		ids = append(ids, string(v))
	}
	if len(ids) < 2 || len(ids) > 20 {
		return fieldErr("ids", "name 2 to 20 results (?ids=a,b or ?id=a&id=b)")
	}
	results := make([]map[string]any, 0, len(ids))
	for _, id := range ids {
		t, err := s.needLoadTask(c, id, auth.Read)
		if err != nil {
			return err
		}
		r, err := s.perfSvc().Result(c.UserContext(), t, false)
		if err != nil {
			return err
		}
		results = append(results, r)
	}
	cmp := perf.Compare(results)
	return c.JSON(fiber.Map{"results": results, "comparison": cmp, "diff": cmp})
}
