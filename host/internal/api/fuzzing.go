package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/gofiber/fiber/v2"
	"github.com/mockarty-oss/mockarty/host/internal/auth"
	"github.com/mockarty-oss/mockarty/host/internal/fuzz"
	"github.com/mockarty-oss/mockarty/host/internal/objects"
	"github.com/mockarty-oss/mockarty/host/internal/plugins"
	"github.com/mockarty-oss/mockarty/host/internal/recorder"
	"github.com/mockarty-oss/mockarty/host/internal/store"
	"github.com/mockarty-oss/mockarty/host/internal/tester"
	"github.com/mockarty-oss/mockarty/host/internal/tester/imports"
	"github.com/mockarty-oss/mockarty/sdk"
	"github.com/mockarty-oss/mockarty/sdk/fuzzjob"
	"github.com/mockarty-oss/mockarty/sdk/recjob"
)

// Security fuzzing (api-reference section 9, model-tools §3): the host
// keeps configs, runs and findings; the fuzzer plugin sends and judges.
func (s *server) fuzzRoutes(v1 fiber.Router) {
	f := v1.Group("/fuzzing")
	f.Get("/summary", s.fuzzSummary)
	f.Get("/payload-categories", s.fuzzCategories)
	f.Get("/configs", func(c *fiber.Ctx) error { return listTester(c, s.Fuzz.Configs) })
	s.fuzzConfigs().routes(s, f, "/configs")
	f.Post("/run", s.runFuzz)
	f.Post("/run/:id/stop", s.stopFuzz)
	f.Get("/run/:id/stream", s.fuzzStream)
	f.Post("/configs/reorder", s.reorderFuzzConfigs)
	f.Post("/quick-fuzz", s.quickFuzz)
	f.Get("/results", s.listFuzzResults)
	f.Get("/results/:id", s.getFuzzResult)
	f.Delete("/results/:id", s.deleteFuzzResult)
	f.Get("/findings", s.listFindings)
	f.Post("/findings/export", s.exportFindings)
	f.Get("/findings/:id", s.getFinding)
	f.Put("/findings/:id/triage", s.triageFinding)
	f.Post("/findings/:id/replay", s.replayFinding)
	f.Post("/import/curl", s.fuzzImportCurl)
	f.Post("/import/collection", s.fuzzImportCollection)
	f.Post("/import/openapi", s.fuzzImportOpenAPI)
	f.Post("/import/mock", s.fuzzImportMock)
	f.Post("/import/recorder", s.fuzzImportRecorder)
	f.Post("/introspect/graphql", s.fuzzIntrospectGraphQL)
	f.Post("/discover/grpc", s.fuzzDiscoverGRPC)
	s.fuzzFindingRoutes(f)
	f.All("/canary/:secret/:token", s.fuzzCanary)
	f.Get("/canary-hits/:secret/:token", s.fuzzCanaryHit)
}

// importBody is what every import takes besides its source.
type importBody struct {
	Name          string `json:"name"`
	Namespace     string `json:"namespace"`
	TargetBaseURL string `json:"targetBaseUrl"`
	Strategy      string `json:"strategy"`
}

// saveImported saves the config an import made: 201 {configId, count, config, warnings}.
func (s *server) saveImported(c *fiber.Ctx, b importBody, cfg *fuzz.Config, count int, warnings []string) error {
	ns, err := namespaceFor(c, b.Namespace, auth.Write)
	if err != nil {
		return err
	}
	cfg.Namespace, cfg.TargetBaseURL = ns, b.TargetBaseURL
	if b.Name != "" {
		cfg.Name = b.Name
	}
	cfg.Strategy = b.Strategy
	if cfg.Strategy == "" {
		cfg.Strategy = "all"
	}
	out, err := s.Fuzz.SaveConfig(c.UserContext(), cfg)
	if err != nil {
		return err
	}
	if warnings == nil {
		warnings = []string{}
	}
	return c.Status(http.StatusCreated).JSON(fiber.Map{"configId": out.ID, "id": out.ID, "count": count, "config": out, "warnings": warnings})
}

// fuzzImportCurl makes a config of cURL commands: {"curl": "curl -X POST ..."}.
func (s *server) fuzzImportCurl(c *fiber.Ctx) error {
	var b struct {
		importBody
		Curl string `json:"curl"`
	}
	if err := s.decodeJSON(c, &b); err != nil {
		return err
	}
	if strings.TrimSpace(b.Curl) == "" {
		return fieldErr("curl", "a curl command line, such as curl -X POST https://api.example.com/users -d '{}'")
	}
	res, err := imports.Curl([]string{b.Curl})
	if err != nil {
		return importErr(err)
	}
	seeds := fuzz.SeedsOf(res.Collection, nil)
	if len(seeds) == 0 {
		return fieldErr("curl", "holds no request with a URL")
	}
	return s.saveImported(c, b.importBody, &fuzz.Config{Name: "curl import", SourceType: "curl", SeedRequests: seeds}, len(seeds), res.Warnings)
}

// fuzzImportCollection makes a config of an API-tester collection's
// requests, {{variables}} from the environment named (else the active one).
func (s *server) fuzzImportCollection(c *fiber.Ctx) error {
	var b struct {
		importBody
		CollectionID  string `json:"collectionId"`
		EnvironmentID string `json:"environmentId"`
	}
	if err := s.decodeJSON(c, &b); err != nil {
		return err
	}
	if b.CollectionID == "" {
		return fieldErr("collectionId", "the API-tester collection whose requests to fuzz")
	}
	if s.TesterRuns == nil {
		return apiErr(http.StatusServiceUnavailable, CodeUnavailable, "the API tester is not available on this server")
	}
	col, err := needIn(c, "collection", b.CollectionID, func(ctx context.Context, id string) (*tester.Collection, error) {
		return s.testerSvc().Collection(ctx, id, false)
	}, func(x *tester.Collection) string { return x.Namespace }, auth.Read)
	if err != nil {
		return err
	}
	job, err := s.TesterRuns.LoadJob(c.UserContext(), col.Namespace, col.ID, b.EnvironmentID)
	if err != nil {
		return err
	}
	vars := map[string]string{}
	if job.Environment != nil {
		for _, v := range job.Environment.Values {
			if v.Enabled {
				vars[v.Key] = fmt.Sprint(v.Value)
			}
		}
	}
	seeds := fuzz.SeedsOf(job.Collection, vars)
	if len(seeds) == 0 {
		return fieldErr("collectionId", "the collection has no request with a URL")
	}
	if b.Namespace == "" {
		b.Namespace = col.Namespace
	}
	return s.saveImported(c, b.importBody, &fuzz.Config{Name: col.Name, SourceType: "collection", SeedRequests: seeds}, len(seeds), nil)
}

// fuzzImportOpenAPI makes a config of an OpenAPI description: {"spec" |
// "specContent" | "specUrl", "paths": [...] (only these), "targetBaseUrl"}.
// Its seeds are made from the description's examples when the run starts.
func (s *server) fuzzImportOpenAPI(c *fiber.Ctx) error {
	var b struct {
		importBody
		Spec        string   `json:"spec"`
		SpecContent string   `json:"specContent"`
		SpecURL     string   `json:"specUrl"`
		Paths       []string `json:"paths"`
	}
	if err := s.decodeJSON(c, &b); err != nil {
		return err
	}
	spec := []byte(b.Spec)
	if len(spec) == 0 {
		spec = []byte(b.SpecContent)
	}
	if len(spec) == 0 && b.SpecURL != "" {
		var err error
		if spec, err = s.fetchSpec(c.UserContext(), b.SpecURL); err != nil {
			return genErr(err)
		}
	}
	if len(bytes.TrimSpace(spec)) == 0 {
		return fieldErr("spec", "an OpenAPI description (spec or specContent), or specUrl to read it from")
	}
	doc, err := openapi3.NewLoader().LoadFromData(spec)
	if err != nil {
		return fieldErr("spec", "not an OpenAPI description: %v", err)
	}
	count := 0
	for path, item := range doc.Paths.Map() {
		if len(b.Paths) == 0 || slices.Contains(b.Paths, path) {
			count += len(item.Operations())
		}
	}
	if count == 0 {
		return fieldErr("paths", "no operation of the description is selected")
	}
	if b.TargetBaseURL == "" && len(doc.Servers) > 0 && strings.HasPrefix(doc.Servers[0].URL, "http") {
		b.TargetBaseURL = doc.Servers[0].URL
	}
	name := "OpenAPI import"
	if doc.Info != nil && doc.Info.Title != "" {
		name = doc.Info.Title
	}
	return s.saveImported(c, b.importBody, &fuzz.Config{Name: name, SourceType: "openapi", OpenAPISpec: string(spec),
		Options: fuzz.Options{IncludeRoutes: b.Paths}}, count, nil)
}

// fuzzCanary records a target's fetch of a run's callback URL. It needs
// no credentials: the target calls it; the run's secret is the key.
func (s *server) fuzzCanary(c *fiber.Ctx) error {
	if s.FuzzRuns == nil || s.FuzzRuns.Canary == nil || !s.FuzzRuns.Canary.Record(c.Params("secret"), c.Params("token")) {
		return notFoundErr("no fuzz run has this callback")
	}
	return c.SendStatus(http.StatusNoContent)
}

// fuzzCanaryHit tells the fuzzer whether a callback was fetched.
func (s *server) fuzzCanaryHit(c *fiber.Ctx) error {
	hit := s.FuzzRuns != nil && s.FuzzRuns.Canary != nil && s.FuzzRuns.Canary.Hit(c.Params("secret"), c.Params("token"))
	return c.JSON(fiber.Map{"hit": hit})
}

// fuzzConfigs are the fuzz configs as the API serves them.
func (s *server) fuzzConfigs() toolObjects[fuzz.Config] {
	svc := s.Fuzz
	return toolObjects[fuzz.Config]{what: "fuzz config", load: svc.Config, save: svc.SaveConfig, update: svc.UpdateConfig,
		remove: svc.DeleteConfig, ns: func(c *fuzz.Config) *string { return &c.Namespace }, id: func(c *fuzz.Config) *string { return &c.ID }}
}

func (s *server) needFuzzConfig(c *fiber.Ctx, id string, a auth.Action) (*fuzz.Config, error) {
	return s.fuzzConfigs().need(c, id, a)
}

// runFuzz starts a run of a full config, or of {configId} (with any field
// of the request overriding the saved config's).
func (s *server) runFuzz(c *fiber.Ctx) error {
	if s.FuzzRuns == nil {
		return apiErr(http.StatusServiceUnavailable, CodeUnavailable, "fuzzing is not available on this server")
	}
	b, err := s.objectBody(c)
	if err != nil {
		return err
	}
	var ref struct {
		ConfigID  string `json:"configId"`
		Namespace string `json:"namespace"`
	}
	_ = json.Unmarshal(b, &ref)
	cfg := &fuzz.Config{}
	if ref.ConfigID != "" {
		saved, err := s.needFuzzConfig(c, ref.ConfigID, auth.Read)
		if err != nil {
			return err
		}
		cfg, ref.Namespace = saved, saved.Namespace
	}
	if err := objects.Merge(cfg, b, true, "id", "createdAt", "updatedAt", "namespace", "configId"); err != nil {
		return err
	}
	if ref.ConfigID != "" {
		cfg.ID = ref.ConfigID
	} else {
		cfg.ID = ""
	}
	return s.startFuzz(c, cfg, ref.Namespace)
}

func (s *server) startFuzz(c *fiber.Ctx, cfg *fuzz.Config, namespace string) error {
	ns, err := namespaceFor(c, namespace, auth.Write)
	if err != nil {
		return err
	}
	cfg.Namespace = ns
	t, _, err := s.FuzzRuns.Start(c.UserContext(), cfg, principal(c).UserID, "api")
	if err != nil {
		return err
	}
	return c.Status(http.StatusCreated).JSON(fuzz.Run(t))
}

// quickFuzz fuzzes one request: {url, method, body, customHeaders,
// categories | payloadCategories} (model-tools §3.3).
func (s *server) quickFuzz(c *fiber.Ctx) error {
	if s.FuzzRuns == nil {
		return apiErr(http.StatusServiceUnavailable, CodeUnavailable, "fuzzing is not available on this server")
	}
	var q struct {
		URL               string            `json:"url"`
		Method            string            `json:"method"`
		Body              string            `json:"body"`
		CustomHeaders     map[string]string `json:"customHeaders"`
		Categories        []string          `json:"categories"`
		PayloadCategories []string          `json:"payloadCategories"`
		Namespace         string            `json:"namespace"`
	}
	if err := s.decodeJSON(c, &q); err != nil {
		return err
	}
	if strings.TrimSpace(q.URL) == "" {
		return fieldErr("url", "the URL of the request to fuzz")
	}
	cats := q.PayloadCategories
	if len(q.Categories) > 0 {
		cats = q.Categories
	}
	cfg := &fuzz.Config{Name: "quick fuzz " + q.URL, SourceType: "manual", Strategy: "all", PayloadCategories: cats,
		SeedRequests: []fuzz.Seed{{ID: "quick", Method: q.Method, URL: q.URL, Body: q.Body}},
		Options:      fuzz.Options{CustomHeaders: q.CustomHeaders, MaxRequests: 2000}}
	return s.startFuzz(c, cfg, q.Namespace)
}

// needFuzzTask loads a fuzz run the caller may act on.
func (s *server) needFuzzTask(c *fiber.Ctx, id string, a auth.Action) (*store.Task, error) {
	return s.needModeTask(c, fuzz.ModeFuzz, "fuzz run", id, a)
}

func (s *server) stopFuzz(c *fiber.Ctx) error {
	t, err := s.needFuzzTask(c, param(c, "id"), auth.Write)
	if err != nil {
		return err
	}
	if s.FuzzRuns == nil || !s.FuzzRuns.Stop(t.ID) {
		return apiErr(http.StatusConflict, CodeConflict, "fuzz run %q is not running (status %s)", t.ID, t.Status)
	}
	cur, err := s.Catalog.Store().GetTask(c.UserContext(), t.ID)
	if err != nil {
		return err
	}
	return c.JSON(fuzz.Run(cur))
}

func (s *server) listFuzzResults(c *fiber.Ctx) error {
	list, _, err := s.modeTasks(c, fuzz.ModeFuzz, store.TaskFilter{})
	if err != nil {
		return err
	}
	out := make([]map[string]any, 0, len(list))
	for i := range list {
		r, err := s.Fuzz.Result(c.UserContext(), &list[i])
		if err != nil {
			return err
		}
		out = append(out, r)
	}
	return c.JSON(out)
}

func (s *server) getFuzzResult(c *fiber.Ctx) error {
	t, err := s.needFuzzTask(c, param(c, "id"), auth.Read)
	if err != nil {
		return err
	}
	out, err := s.Fuzz.Result(c.UserContext(), t)
	if err != nil {
		return err
	}
	return c.JSON(out)
}

func (s *server) deleteFuzzResult(c *fiber.Ctx) error {
	t, err := s.needFuzzTask(c, param(c, "id"), auth.Write)
	if err != nil {
		return err
	}
	if s.FuzzRuns != nil {
		s.FuzzRuns.Stop(t.ID)
	}
	if err := s.Fuzz.DeleteRunFindings(c.UserContext(), t.ID); err != nil {
		return err
	}
	if err := s.Catalog.Store().DeleteTask(c.UserContext(), t.ID); err != nil {
		return err
	}
	return removed(c, t.ID)
}

// listFindings is a bare array (the Go SDK's shape), a run's with ?runId=.
func (s *server) listFindings(c *fiber.Ctx) error {
	runID := c.Query("runId")
	if runID != "" {
		if _, err := s.needFuzzTask(c, runID, auth.Read); err != nil {
			return err
		}
	}
	ns, err := readNamespace(c)
	if err != nil {
		return err
	}
	out, err := s.Fuzz.Findings(c.UserContext(), runID, ns, readableNamespaces(c))
	if err != nil {
		return err
	}
	return c.JSON(out)
}

func (s *server) needFinding(c *fiber.Ctx, id string, a auth.Action) (*fuzz.Finding, error) {
	return needIn(c, "finding", id, s.Fuzz.Finding, func(f *fuzz.Finding) string { return f.Namespace }, a)
}

func (s *server) getFinding(c *fiber.Ctx) error {
	f, err := s.needFinding(c, param(c, "id"), auth.Read)
	if err != nil {
		return err
	}
	return c.JSON(f)
}

func (s *server) triageFinding(c *fiber.Ctx) error {
	f, err := s.needFinding(c, param(c, "id"), auth.Write)
	if err != nil {
		return err
	}
	b, err := s.objectBody(c)
	if err != nil {
		return err
	}
	out, err := s.Fuzz.Triage(c.UserContext(), f.ID, b)
	if err != nil {
		return err
	}
	return c.JSON(out)
}

// exportFindings writes the caller's findings (of a run with runId) as a
// file: {"format": json|csv|sarif|junit, "severity": [...], "status": [...]}.
func (s *server) exportFindings(c *fiber.Ctx) error {
	var f fuzz.ExportFilter
	if err := s.optionalJSON(c, &f); err != nil {
		return err
	}
	if err := f.Check(); err != nil {
		return err
	}
	if f.RunID != "" {
		if _, err := s.needFuzzTask(c, f.RunID, auth.Read); err != nil {
			return err
		}
	}
	ns, err := readNamespace(c)
	if err != nil {
		return err
	}
	list, err := s.Fuzz.Findings(c.UserContext(), f.RunID, ns, readableNamespaces(c))
	if err != nil {
		return err
	}
	out, ct, err := fuzz.Export(list, f)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, ct)
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="findings.`+f.Format+`"`)
	return c.Send(out)
}

// replayFinding re-sends a finding's request: {statusCode, stillFails, response, responseTimeMs}.
func (s *server) replayFinding(c *fiber.Ctx) error {
	f, err := s.needFinding(c, param(c, "id"), auth.Write)
	if err != nil {
		return err
	}
	if s.FuzzRuns == nil || s.Plugins == nil {
		return apiErr(http.StatusServiceUnavailable, CodeUnavailable, "fuzzing is not available on this server")
	}
	out, err := s.FuzzRuns.Replay(c.UserContext(), s.Plugins, f)
	if err != nil {
		return fuzzerErr(err)
	}
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	return c.Send(out)
}

// fuzzerErr is the answer when the fuzzer plugin could not do an action.
func fuzzerErr(err error) error {
	if errors.Is(err, plugins.ErrUnknown) || errors.Is(err, plugins.ErrNotRunning) {
		return apiErr(http.StatusServiceUnavailable, CodeUnavailable, "the fuzzer plugin is not running (GET /api/v1/plugins)")
	}
	return apiErr(http.StatusBadGateway, CodeUnavailable, "the fuzzer plugin did not answer: %v", err)
}

// fuzzSummary counts the caller's runs and findings.
func (s *server) fuzzSummary(c *fiber.Ctx) error {
	ns, err := readNamespace(c)
	if err != nil {
		return err
	}
	all, err := s.Fuzz.Findings(c.UserContext(), "", ns, readableNamespaces(c))
	if err != nil {
		return err
	}
	_, runs, err := s.modeTasks(c, fuzz.ModeFuzz, store.TaskFilter{})
	if err != nil {
		return err
	}
	bySev, byStatus, byCat := map[string]int{}, map[string]int{}, map[string]int{}
	for _, f := range all {
		bySev[f.Severity]++
		byStatus[f.TriagedStatus]++
		byCat[f.Category]++
	}
	return c.JSON(fiber.Map{"totalRuns": runs, "totalFindings": len(all), "bySeverity": bySev, "byStatus": byStatus,
		"byCategory": byCat, "openFindings": byStatus["new"] + byStatus["confirmed"]})
}

// fuzzCategories asks the fuzzer plugin for its payload categories.
func (s *server) fuzzCategories(c *fiber.Ctx) error {
	if s.Plugins == nil {
		return apiErr(http.StatusServiceUnavailable, CodeUnavailable, "fuzzing is not available on this server")
	}
	out, err := s.Plugins.Call(c.UserContext(), fuzz.PluginName, fuzzjob.ActionCategories, nil)
	if err != nil {
		return fuzzerErr(err)
	}
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	return c.Send(out)
}

// fuzzImportMock makes a config of HTTP mocks' definitions: {"mockId"} or
// {"mockIds": [...]}, "targetBaseUrl" the real service the mocks stand
// for (none: the mocks themselves, on this server's /stubs).
func (s *server) fuzzImportMock(c *fiber.Ctx) error {
	var b struct {
		importBody
		idsBody
		MockID string `json:"mockId"`
	}
	if err := s.decodeJSON(c, &b); err != nil {
		return err
	}
	b.IDs = append(b.IDs, b.MockID)
	ids := b.list()
	if len(ids) == 0 {
		return fieldErr("mockId", "the mock (mockId) or mocks (mockIds) to fuzz")
	}
	if len(ids) > 1000 {
		return fieldErr("mockIds", "at most 1000 mocks")
	}
	var seeds []fuzz.Seed
	var warnings []string
	ns := b.Namespace
	for _, id := range ids {
		m, err := s.needMock(c, id, auth.Read)
		if err != nil {
			return err
		}
		if ns == "" {
			ns = m.Namespace
		}
		seed, why := fuzz.SeedOfMock(m)
		if why != "" {
			warnings = append(warnings, why)
			continue
		}
		seeds = append(seeds, seed)
	}
	if len(seeds) == 0 {
		return fieldErr("mockIds", "no HTTP mock with a route among them: %s", strings.Join(warnings, "; "))
	}
	b.Namespace = ns
	if b.TargetBaseURL == "" {
		if s.FuzzRuns == nil || s.FuzzRuns.APIURL == nil || s.FuzzRuns.APIURL() == "" {
			return fieldErr("targetBaseUrl", "the base URL of the service the mocks stand for")
		}
		b.TargetBaseURL = strings.TrimRight(s.FuzzRuns.APIURL(), "/") + "/stubs/" + ns
		warnings = append(warnings, "no targetBaseUrl: the mocks themselves are fuzzed, on "+b.TargetBaseURL)
	}
	name := "mock import"
	if len(ids) == 1 {
		name = "mock " + ids[0]
	}
	return s.saveImported(c, b.importBody, &fuzz.Config{Name: name, SourceType: "mock", SeedRequests: seeds}, len(seeds), warnings)
}

// fuzzIntrospectGraphQL lists what a GraphQL endpoint offers to fuzz:
// {"endpoint" | "url", "headers"} -> {"endpoint", "operations": [{kind,
// field, query, variables}], "count"}. The fuzzer plugin asks the
// endpoint, under the outbound network policy.
func (s *server) fuzzIntrospectGraphQL(c *fiber.Ctx) error {
	var b struct {
		Endpoint string            `json:"endpoint"`
		URL      string            `json:"url"`
		Headers  map[string]string `json:"headers"`
	}
	if err := s.decodeJSON(c, &b); err != nil {
		return err
	}
	if b.Endpoint == "" {
		b.Endpoint = b.URL
	}
	if u, err := url.Parse(b.Endpoint); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fieldErr("endpoint", "the GraphQL endpoint's http or https URL, such as http://localhost:8080/graphql")
	}
	if s.FuzzRuns == nil || s.Plugins == nil {
		return apiErr(http.StatusServiceUnavailable, CodeUnavailable, "fuzzing is not available on this server")
	}
	netp := s.FuzzRuns.Net()
	params, _ := json.Marshal(fuzzjob.Introspect{Endpoint: b.Endpoint, Headers: b.Headers, AllowPrivate: netp.AllowPrivate, AllowHosts: netp.AllowHosts})
	out, err := s.Plugins.Call(c.UserContext(), fuzz.PluginName, fuzzjob.ActionIntrospectGraphQL, params)
	if err != nil {
		return sourceErr(err)
	}
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	return c.Send(out)
}

// fuzzDiscoverGRPC lists what a gRPC server offers to fuzz, read by server
// reflection: {"address" | "target" (host:port, grpc:// or grpcs://),
// "useTls", "services", "methods"} -> {"address", "seeds", "skipped",
// "count"}: the seeds a run of the server would start from.
func (s *server) fuzzDiscoverGRPC(c *fiber.Ctx) error {
	var b struct {
		Address  string   `json:"address"`
		Target   string   `json:"target"`
		UseTLS   bool     `json:"useTls"`
		Services []string `json:"services"`
		Methods  []string `json:"methods"`
	}
	if err := s.decodeJSON(c, &b); err != nil {
		return err
	}
	if b.Address == "" {
		b.Address = b.Target
	}
	addr := strings.TrimPrefix(strings.TrimPrefix(b.Address, "grpc://"), "grpcs://")
	if _, port, err := net.SplitHostPort(addr); err != nil || port == "" {
		return fieldErr("address", "the gRPC server as host:port (or grpc://host:port)")
	}
	if s.FuzzRuns == nil || s.Plugins == nil {
		return apiErr(http.StatusServiceUnavailable, CodeUnavailable, "fuzzing is not available on this server")
	}
	netp := s.FuzzRuns.Net()
	params, _ := json.Marshal(fuzzjob.Discover{Address: b.Address, UseTLS: b.UseTLS, Services: b.Services, Methods: b.Methods,
		AllowPrivate: netp.AllowPrivate, AllowHosts: netp.AllowHosts})
	out, err := s.Plugins.Call(c.UserContext(), fuzz.PluginName, fuzzjob.ActionDiscoverGRPC, params)
	if err != nil {
		return sourceErr(err)
	}
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	return c.Send(out)
}

// sourceErr is the answer when the fuzzer could not read a source (a
// GraphQL endpoint or gRPC server that does not answer as one): the
// caller's input, 422; the plugin not there, 503.
func sourceErr(err error) error {
	if errors.Is(err, sdk.ErrInvalidInput) {
		return apiErr(http.StatusUnprocessableEntity, CodeValidation, "%v", err)
	}
	return fuzzerErr(err)
}

// fuzzImportRecorder makes a config of a recording session's exchanges:
// {"sessionId", "targetBaseUrl" (else the recorded hosts)}: one seed per
// method and path.
func (s *server) fuzzImportRecorder(c *fiber.Ctx) error {
	var b struct {
		importBody
		SessionID string `json:"sessionId"`
	}
	if err := s.decodeJSON(c, &b); err != nil {
		return err
	}
	if b.SessionID == "" {
		return fieldErr("sessionId", "the recording session whose requests to fuzz")
	}
	if err := s.recorderOn(); err != nil {
		return err
	}
	sn, err := needIn(c, "recording session", b.SessionID, s.Recorder.Service().Session,
		func(sn *recorder.Session) string { return sn.Namespace }, auth.Read)
	if err != nil {
		return err
	}
	list, err := s.Recorder.Service().Entries(c.UserContext(), sn.ID)
	if err != nil {
		return err
	}
	exchanges := make([]recjob.Entry, len(list))
	for i := range list {
		exchanges[i] = list[i].Entry
	}
	seeds := fuzz.SeedsOfExchanges(exchanges, b.TargetBaseURL)
	if len(seeds) == 0 {
		return fieldErr("sessionId", "session %q has no recorded request to fuzz", sn.ID)
	}
	if b.Namespace == "" {
		b.Namespace = sn.Namespace
	}
	return s.saveImported(c, b.importBody, &fuzz.Config{Name: sn.Name, SourceType: "recorder", SeedRequests: seeds}, len(seeds), nil)
}
