package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/mockarty-oss/mockarty/host/internal/auth"
	"github.com/mockarty-oss/mockarty/host/internal/generate/hargen"
	"github.com/mockarty-oss/mockarty/host/internal/recorder"
	"github.com/mockarty-oss/mockarty/host/internal/tester/imports"
	"github.com/mockarty-oss/mockarty/sdk"
	"github.com/mockarty-oss/mockarty/sdk/postman"
	"github.com/mockarty-oss/mockarty/sdk/recjob"
)

// The recording proxy (api-reference section 10, model-tools §4): the host
// keeps sessions and entries; the recorder plugin runs the proxies.
func (s *server) recorderRoutes(v1 fiber.Router) {
	r := v1.Group("/recorder")
	r.Post("/start", s.startRecording)
	r.Get("/sessions", s.listRecordings)
	r.Get("/ports", s.recorderPorts)
	r.Post("/port-check", s.recorderPortCheck)
	r.Get("/ca/status", s.recorderCAStatus)
	r.Post("/ca/generate", s.recorderCAGenerate)
	r.Get("/ca/download", s.recorderCADownload)
	r.Get("/configs", func(c *fiber.Ctx) error {
		if err := s.recorderOn(); err != nil {
			return err
		}
		return listTester(c, s.Recorder.Service().Configs)
	})
	r.Post("/configs/import", s.importRecorderConfig)
	r.Get("/configs/:id/export", s.exportRecorderConfig)
	if s.Recorder != nil {
		s.recorderConfigs().routes(s, r, "/configs")
	}
	r.Get("/:id", s.getRecording)
	r.Delete("/:id", s.deleteRecording)
	r.Post("/:id/stop", s.stopRecording)
	r.Post("/:id/restart", s.restartRecording)
	r.Get("/:id/entries", s.recordingEntries)
	r.Patch("/:id/entries/:entryId", s.annotateEntry)
	r.Post("/:id/entries/:entryId/replay", s.replayEntry)
	r.Post("/:id/replay", s.replaySession)
	r.Post("/:id/correlate", s.correlateRecording)
	r.Get("/:id/ws", s.recordingLive)
	r.Post("/:id/export", s.exportRecording)
	r.Post("/:id/mocks", s.recordingMocks)
	r.Post("/:id/export-collection", s.exportRecordingCollection(false))
	r.Post("/:id/export-test", s.exportRecordingCollection(true))
	r.Post("/:id/export-perf", s.exportRecordingPerf)
	r.Get("/:id/modifications", s.getModifications)
	r.Put("/:id/modifications", s.putModifications)
}

func (s *server) recorderOn() error {
	if s.Recorder == nil {
		return apiErr(http.StatusServiceUnavailable, CodeUnavailable, "the recorder is not available on this server")
	}
	return nil
}

// needRecording loads a session the caller may act on.
func (s *server) needRecording(c *fiber.Ctx, a auth.Action) (*recorder.Session, error) {
	if err := s.recorderOn(); err != nil {
		return nil, err
	}
	return needIn(c, "recording session", param(c, "id"), s.Recorder.Service().Session,
		func(sn *recorder.Session) string { return sn.Namespace }, a)
}

// recorderErr is a start's failure: a taken port is 409; the plugin not
// running 503; any other failure to listen 502.
func recorderErr(err error) error {
	switch {
	case errors.Is(err, recorder.ErrPortInUse):
		return apiErr(http.StatusConflict, CodeConflict, "%v", err)
	case isNotFound(err):
		return err
	}
	var ae *Error
	if errors.As(err, &ae) {
		return err
	}
	if ferr := toAPIError(err); ferr.Status < 500 {
		return ferr
	}
	return apiErr(http.StatusBadGateway, CodeUnavailable, "%v", err)
}

// startRecording: {name, targetUrl, port?, namespace, mode?, modifications?, faults?} -> 201 Session.
func (s *server) startRecording(c *fiber.Ctx) error {
	if err := s.recorderOn(); err != nil {
		return err
	}
	var sn recorder.Session
	if err := s.decodeJSON(c, &sn); err != nil {
		return err
	}
	ns, err := namespaceFor(c, sn.Namespace, auth.Write)
	if err != nil {
		return err
	}
	sn.Namespace = ns
	out, err := s.Recorder.Create(c.UserContext(), &sn)
	if err != nil {
		return recorderErr(err)
	}
	v, err := s.Recorder.Service().View(c.UserContext(), out)
	if err != nil {
		return err
	}
	return c.Status(http.StatusCreated).JSON(v)
}

func (s *server) listRecordings(c *fiber.Ctx) error {
	if err := s.recorderOn(); err != nil {
		return err
	}
	return listTester(c, func(ctx context.Context, ns string, readable []string) ([]recorder.Session, error) {
		list, err := s.Recorder.Service().Sessions(ctx, ns, readable)
		if err != nil {
			return nil, err
		}
		return s.Recorder.Service().Views(ctx, list)
	})
}

func (s *server) getRecording(c *fiber.Ctx) error {
	sn, err := s.needRecording(c, auth.Read)
	if err != nil {
		return err
	}
	v, err := s.Recorder.Service().View(c.UserContext(), sn)
	if err != nil {
		return err
	}
	return c.JSON(v)
}

func (s *server) deleteRecording(c *fiber.Ctx) error {
	sn, err := s.needRecording(c, auth.Write)
	if err != nil {
		return err
	}
	if err := s.Recorder.Delete(c.UserContext(), sn.ID); err != nil {
		return err
	}
	return removed(c, sn.ID)
}

// sessionAnswer answers a session after a stop or start.
func (s *server) sessionAnswer(c *fiber.Ctx, sn *recorder.Session, err error) error {
	if err != nil {
		return recorderErr(err)
	}
	v, err := s.Recorder.Service().View(c.UserContext(), sn)
	if err != nil {
		return err
	}
	return c.JSON(v)
}

func (s *server) stopRecording(c *fiber.Ctx) error {
	sn, err := s.needRecording(c, auth.Write)
	if err != nil {
		return err
	}
	out, err := s.Recorder.Stop(c.UserContext(), sn.ID)
	return s.sessionAnswer(c, out, err)
}

func (s *server) restartRecording(c *fiber.Ctx) error {
	sn, err := s.needRecording(c, auth.Write)
	if err != nil {
		return err
	}
	s.Recorder.Live.Cancel(sn.ID)
	out, err := s.Recorder.Start(c.UserContext(), sn.ID, sn.Port)
	return s.sessionAnswer(c, out, err)
}

func (s *server) recordingEntries(c *fiber.Ctx) error {
	sn, err := s.needRecording(c, auth.Read)
	if err != nil {
		return err
	}
	list, err := s.Recorder.Service().Entries(c.UserContext(), sn.ID)
	if err != nil {
		return err
	}
	return c.JSON(list)
}

func (s *server) annotateEntry(c *fiber.Ctx) error {
	sn, err := s.needRecording(c, auth.Write)
	if err != nil {
		return err
	}
	e, err := s.Recorder.Service().Entry(c.UserContext(), param(c, "entryId"))
	if err != nil {
		return err
	}
	if e.SessionID != sn.ID {
		return notFoundErr("session %q has no entry %q", sn.ID, e.ID)
	}
	return updated(s, c, e.ID, s.Recorder.Service().Annotate)
}

// recordingHAR is the session a request names (read access) and its
// entries as a HAR 1.2 document.
func (s *server) recordingHAR(c *fiber.Ctx) (*recorder.Session, []byte, error) {
	sn, err := s.needRecording(c, auth.Read)
	if err != nil {
		return nil, nil, err
	}
	list, err := s.Recorder.Service().Entries(c.UserContext(), sn.ID)
	if err != nil {
		return nil, nil, err
	}
	doc, err := json.MarshalIndent(recorder.ExportHAR(sn, list, s.ReleaseID), "", "  ")
	return sn, doc, err
}

// exportRecording is the session as a HAR 1.2 file.
func (s *server) exportRecording(c *fiber.Ctx) error {
	sn, b, err := s.recordingHAR(c)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "application/json")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+sn.ID+`.har"`)
	return c.Send(b)
}

// recordingMocks makes mocks of a session with the HAR generator:
// {"namespace", "prefix" (a path prefix), "idPrefix", "oneOf"} -> the bare
// array of mocks (the Go SDK's []Mock).
func (s *server) recordingMocks(c *fiber.Ctx) error {
	sn, doc, err := s.recordingHAR(c)
	if err != nil {
		return err
	}
	var b struct {
		Namespace  string `json:"namespace"`
		Prefix     string `json:"prefix"`
		PathPrefix string `json:"pathPrefix"`
		IDPrefix   string `json:"idPrefix"`
		ServerName string `json:"serverName"`
		OneOf      bool   `json:"oneOf"`
	}
	if err := s.optionalJSON(c, &b); err != nil {
		return err
	}
	if b.Namespace == "" {
		b.Namespace = sn.Namespace
	}
	ns, err := namespaceFor(c, b.Namespace, auth.Write)
	if err != nil {
		return err
	}
	if b.PathPrefix == "" {
		b.PathPrefix = b.Prefix
	}
	if b.IDPrefix == "" {
		b.IDPrefix = "rec-" + sn.ID[:8]
	}
	res, err := hargen.Generate(hargen.Input{Namespace: ns, IDPrefix: b.IDPrefix, ServerName: b.ServerName, PathPrefix: b.PathPrefix,
		OneOf: b.OneOf, HAR: doc})
	if err != nil {
		return genErr(err)
	}
	m, err := s.mergeMocks(c, ns, res.Mocks, false, harIdentity)
	if err != nil {
		return err
	}
	return c.Status(m.status).JSON(m.mocks)
}

func (s *server) getModifications(c *fiber.Ctx) error {
	sn, err := s.needRecording(c, auth.Read)
	if err != nil {
		return err
	}
	return c.JSON(sn.Modifications)
}

// putModifications saves a session's header rules; a recording session's
// proxy restarts on its port with them.
func (s *server) putModifications(c *fiber.Ctx) error {
	sn, err := s.needRecording(c, auth.Write)
	if err != nil {
		return err
	}
	var m recjob.Modifications
	if err := s.decodeJSON(c, &m); err != nil {
		return err
	}
	out, err := s.Recorder.SetModifications(c.UserContext(), sn.ID, m)
	if err != nil {
		return recorderErr(err)
	}
	return c.JSON(out.Modifications)
}

// recorderPorts: {"range": {"start", "end"}, "used": [...], "available"}.
func (s *server) recorderPorts(c *fiber.Ctx) error {
	if err := s.recorderOn(); err != nil {
		return err
	}
	used := s.Recorder.UsedPorts()
	sort.Ints(used)
	return c.JSON(fiber.Map{"range": fiber.Map{"start": recorder.PortMin, "end": recorder.PortMax}, "used": used,
		"available": recorder.PortMax - recorder.PortMin + 1 - len(used)})
}

// recorderPortCheck: {"port"} -> {"port", "available", "error"?}.
func (s *server) recorderPortCheck(c *fiber.Ctx) error {
	if err := s.recorderOn(); err != nil {
		return err
	}
	var b struct {
		Port int `json:"port"`
	}
	if err := s.decodeJSON(c, &b); err != nil {
		return err
	}
	if b.Port < recorder.PortMin || b.Port > recorder.PortMax {
		return fieldErr("port", "%d to %d", recorder.PortMin, recorder.PortMax)
	}
	out := fiber.Map{"port": b.Port, "available": true}
	ln, err := net.Listen("tcp", net.JoinHostPort(s.Recorder.BindHost, strconv.Itoa(b.Port)))
	if err != nil {
		out["available"], out["error"] = false, err.Error()
	} else {
		_ = ln.Close()
	}
	return c.JSON(out)
}

func (s *server) recorderCAStatus(c *fiber.Ctx) error {
	if err := s.recorderOn(); err != nil {
		return err
	}
	st, err := s.Recorder.CA.Status()
	if err != nil {
		return err
	}
	return c.JSON(st)
}

func (s *server) recorderCAGenerate(c *fiber.Ctx) error {
	if err := s.recorderOn(); err != nil {
		return err
	}
	if err := needAdmin(c); err != nil { // every namespace's forward proxies sign with it
		return err
	}
	st, err := s.Recorder.CA.Generate()
	if err != nil {
		return err
	}
	return c.JSON(st)
}

func (s *server) recorderCADownload(c *fiber.Ctx) error {
	if err := s.recorderOn(); err != nil {
		return err
	}
	cert, _, err := s.Recorder.CA.PEM()
	if errors.Is(err, recorder.ErrNoCA) {
		return notFoundErr("%v", err)
	}
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "application/x-pem-file")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="mockarty-recorder-ca.pem"`)
	return c.Send(cert)
}

// exportRecordingCollection makes an API-tester collection of a session:
// {"namespace", "name"} -> 201 {collectionId, name, imported, ...}; each
// request has its recorded answer as an example. With tests (the
// export-test endpoint), each request also checks its recorded status
// and, for JSON, the recorded top-level fields.
func (s *server) exportRecordingCollection(tests bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		sn, doc, err := s.recordingHAR(c)
		if err != nil {
			return err
		}
		var b struct {
			Namespace string `json:"namespace"`
			Name      string `json:"name"`
		}
		if err := s.optionalJSON(c, &b); err != nil {
			return err
		}
		if b.Namespace == "" {
			b.Namespace = sn.Namespace
		}
		ns, err := namespaceFor(c, b.Namespace, auth.Write)
		if err != nil {
			return err
		}
		res, err := imports.HAR(doc)
		if err != nil {
			return importErr(err)
		}
		name := sn.Name + " (recorded)"
		if tests {
			addRecordedTests(res.Collection.Item)
			name = sn.Name + " (recorded tests)"
		}
		return s.saveCollectionImport(c, ns, b.Name, name, res)
	}
}

// addRecordedTests gives each request a test of the answer it was
// recorded with: the status, and the top-level fields of a JSON body.
func addRecordedTests(items []*postman.Item) {
	for _, it := range items {
		if it.Request == nil {
			addRecordedTests(it.Item)
			continue
		}
		if len(it.Response) == 0 {
			continue
		}
		r := it.Response[0]
		lines := []string{fmt.Sprintf("mk.test(%q, function () { mk.response.to.have.status(%d); });",
			fmt.Sprintf("status is %d as recorded", r.Code), r.Code)}
		var obj map[string]any
		if json.Unmarshal([]byte(r.Body), &obj) == nil && len(obj) > 0 {
			keys := make([]string, 0, len(obj))
			for k := range obj {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			kj, _ := json.Marshal(keys)
			lines = append(lines, fmt.Sprintf("mk.test(%q, function () { var b = mk.response.json(); %s.forEach(function (k) { mk.expect(b).to.have.property(k); }); });",
				"the recorded fields are there", kj))
		}
		it.Event = append(it.Event, postman.Event{Listen: "test", Script: &postman.Script{Type: "text/javascript", Exec: lines}})
	}
}

// exportRecordingPerf writes a k6 script that replays a session (the
// perf/scripts/from-har options: vus, duration, ...).
func (s *server) exportRecordingPerf(c *fiber.Ctx) error {
	_, doc, err := s.recordingHAR(c)
	if err != nil {
		return err
	}
	var opts loadOptions
	if err := s.optionalJSON(c, &opts); err != nil {
		return err
	}
	return s.scriptOfHAR(c, doc, "id", opts)
}

// recorderConfigs are the saved recorder configs as the API serves them.
func (s *server) recorderConfigs() toolObjects[recorder.Config] {
	svc := s.Recorder.Service()
	return toolObjects[recorder.Config]{what: "recorder config", load: svc.Config, save: svc.SaveConfig, update: svc.UpdateConfig,
		remove: svc.DeleteConfig, ns: func(c *recorder.Config) *string { return &c.Namespace }, id: func(c *recorder.Config) *string { return &c.ID }}
}

// exportRecorderConfig is a config as a JSON file, without the server's
// id and times (import makes a new one of it).
func (s *server) exportRecorderConfig(c *fiber.Ctx) error {
	cfg, err := s.recorderConfigs().need(c, param(c, "id"), auth.Read)
	if err != nil {
		return err
	}
	out := *cfg
	out.ID, out.Namespace, out.CreatedAt, out.UpdatedAt = "", "", 0, 0
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "application/json")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="recorder-config.json"`)
	return c.Send(b)
}

// importRecorderConfig saves an exported config as a new one: the file
// as the body, or {"config": {...}}.
func (s *server) importRecorderConfig(c *fiber.Ctx) error {
	b, err := s.objectBody(c)
	if err != nil {
		return err
	}
	var wrapped struct {
		Config json.RawMessage `json:"config"`
	}
	if json.Unmarshal(b, &wrapped) == nil && len(wrapped.Config) > 0 {
		b = wrapped.Config
	}
	var cfg recorder.Config
	if err := decodeJSONBytes(b, &cfg); err != nil {
		return err
	}
	ns, err := namespaceFor(c, cfg.Namespace, auth.Write)
	if err != nil {
		return err
	}
	cfg.ID, cfg.Namespace = "", ns
	out, err := s.Recorder.Service().SaveConfig(c.UserContext(), &cfg)
	if err != nil {
		return err
	}
	return c.Status(http.StatusCreated).JSON(out)
}

// replayRequests are entries as requests to send again; targetURL, when
// set, replaces the recorded scheme and host.
func replayRequests(list []recorder.Entry, targetURL string) ([]recjob.ReplayRequest, error) {
	var base *url.URL
	if targetURL != "" {
		u, err := url.Parse(targetURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fieldErr("targetUrl", "an http or https URL such as http://localhost:8080")
		}
		base = u
	}
	out := make([]recjob.ReplayRequest, 0, len(list))
	for _, e := range list {
		raw := e.URL
		if base != nil {
			if u, err := url.Parse(e.URL); err == nil {
				u.Scheme, u.Host = base.Scheme, base.Host
				raw = u.String()
			}
		}
		q := recjob.ReplayRequest{EntryID: e.ID, Method: e.Method, URL: raw, Headers: e.RequestHeaders, Body: e.RequestBody,
			BodyEncoding: e.RequestBodyEncoding, OriginalStatus: e.StatusCode}
		switch {
		case len(e.WebSocketFrames) > 0 || strings.EqualFold(e.RequestHeaders["Upgrade"], "websocket"):
			q.URL = "ws:" + q.URL // skipped by the plugin: not http
		case e.Method == http.MethodConnect:
			q.URL = "connect:" + q.URL
		}
		out = append(out, q)
	}
	return out, nil
}

// replayEntries sends requests through the recorder plugin.
func (s *server) replayEntries(c *fiber.Ctx, reqs []recjob.ReplayRequest, conc int, timeoutMs int64, follow bool) ([]recjob.ReplayResult, error) {
	netp := s.Recorder.Net()
	params, err := json.Marshal(recjob.Replay{Requests: reqs, Concurrency: conc, TimeoutMs: timeoutMs, FollowRedirects: follow,
		AllowPrivate: netp.AllowPrivate, AllowHosts: netp.AllowHosts})
	if err != nil {
		return nil, err
	}
	if s.Plugins == nil {
		return nil, apiErr(http.StatusServiceUnavailable, CodeUnavailable, "the recorder plugin is not running")
	}
	out, err := s.Plugins.Call(c.UserContext(), recorder.PluginName, recjob.ActionReplay, params)
	if err != nil {
		if errors.Is(err, sdk.ErrInvalidInput) {
			return nil, apiErr(http.StatusUnprocessableEntity, CodeValidation, "%v", err)
		}
		return nil, apiErr(http.StatusServiceUnavailable, CodeUnavailable, "the recorder plugin could not replay: %v", err)
	}
	var res []recjob.ReplayResult
	if err := json.Unmarshal(out, &res); err != nil {
		return nil, apiErr(http.StatusBadGateway, CodeUnavailable, "unreadable replay from the recorder plugin")
	}
	for i := range res {
		if res[i].Skipped && res[i].SkippedReason == "not an http or https request" {
			res[i].ReplayedURL = strings.TrimPrefix(strings.TrimPrefix(res[i].ReplayedURL, "ws:"), "connect:")
			res[i].SkippedReason = "a WebSocket or CONNECT exchange is not replayed"
		}
	}
	return res, nil
}

// replayEntry sends one entry's request again: ReplayResult.
func (s *server) replayEntry(c *fiber.Ctx) error {
	sn, err := s.needRecording(c, auth.Write)
	if err != nil {
		return err
	}
	e, err := s.Recorder.Service().Entry(c.UserContext(), param(c, "entryId"))
	if err != nil {
		return err
	}
	if e.SessionID != sn.ID {
		return notFoundErr("session %q has no entry %q", sn.ID, e.ID)
	}
	reqs, err := replayRequests([]recorder.Entry{*e}, "")
	if err != nil {
		return err
	}
	res, err := s.replayEntries(c, reqs, 1, 0, false)
	if err != nil {
		return err
	}
	return c.JSON(res[0])
}

// replaySession sends a session's requests again: ReplayOptions
// {targetUrl?, entryIds?, concurrency?, timeoutMs?, followRedirects?} ->
// ReplaySummary (model-tools §4.2).
func (s *server) replaySession(c *fiber.Ctx) error {
	sn, err := s.needRecording(c, auth.Write)
	if err != nil {
		return err
	}
	var o struct {
		TargetURL       string   `json:"targetUrl"`
		EntryIDs        []string `json:"entryIds"`
		Concurrency     int      `json:"concurrency"`
		TimeoutMs       int64    `json:"timeoutMs"`
		FollowRedirects bool     `json:"followRedirects"`
	}
	if err := s.optionalJSON(c, &o); err != nil {
		return err
	}
	if o.Concurrency < 0 || o.Concurrency > 32 || o.TimeoutMs < 0 {
		return fieldErr("concurrency", "concurrency 1 to 32 (default 1), timeoutMs not negative")
	}
	list, err := s.Recorder.Service().Entries(c.UserContext(), sn.ID)
	if err != nil {
		return err
	}
	if len(o.EntryIDs) > 0 {
		want := map[string]bool{}
		for _, id := range o.EntryIDs {
			want[id] = true
		}
		kept := list[:0]
		for _, e := range list {
			if want[e.ID] {
				kept = append(kept, e)
			}
		}
		list = kept
	}
	reqs, err := replayRequests(list, o.TargetURL)
	if err != nil {
		return err
	}
	res, err := s.replayEntries(c, reqs, o.Concurrency, o.TimeoutMs, o.FollowRedirects)
	if err != nil {
		return err
	}
	sum := fiber.Map{"sessionId": sn.ID, "totalEntries": len(res), "results": res}
	counts := map[string]int{}
	for _, r := range res {
		switch {
		case r.Skipped:
			counts["skipped"]++
		case r.Error != "":
			counts["failed"]++
		case r.StatusMatch:
			counts["matched"]++
		default:
			counts["mismatched"]++
		}
	}
	for _, k := range []string{"matched", "mismatched", "failed", "skipped"} {
		sum[k] = counts[k]
	}
	return c.JSON(sum)
}

// correlateRecording finds the values that flow from one entry's answer
// into later requests: CorrelationOptions -> CorrelationReport.
func (s *server) correlateRecording(c *fiber.Ctx) error {
	sn, err := s.needRecording(c, auth.Read)
	if err != nil {
		return err
	}
	var o recorder.CorrelationOptions
	if err := s.optionalJSON(c, &o); err != nil {
		return err
	}
	if o.MinValueLength < 0 || o.MaxValueLength < 0 || o.MaxCorrelationsPerSource < 0 || o.MaxValueLength > 65536 {
		return fieldErr("minValueLength", "minValueLength, maxValueLength (up to 65536) and maxCorrelationsPerSource cannot be negative")
	}
	list, err := s.Recorder.Service().Entries(c.UserContext(), sn.ID)
	if err != nil {
		return err
	}
	return c.JSON(recorder.Correlate(sn.ID, list, o))
}

// optionalJSON decodes the request's JSON body into v when there is one
// (an empty body leaves v as it is).
func (s *server) optionalJSON(c *fiber.Ctx, v any) error {
	raw, err := s.optionalBody(c)
	if err != nil || raw == nil {
		return err
	}
	return decodeJSONBytes(raw, v)
}
