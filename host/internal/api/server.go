// Package api holds the Fiber handlers of the management REST API, one file
// per resource; errors.go holds the one error envelope.
package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"mime"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"
	"github.com/hashicorp/go-hclog"
	"github.com/mockarty-oss/mockarty/host/internal/auth"
	"github.com/mockarty-oss/mockarty/host/internal/catalog"
	"github.com/mockarty-oss/mockarty/host/internal/fuzz"
	"github.com/mockarty-oss/mockarty/host/internal/jpath"
	"github.com/mockarty-oss/mockarty/host/internal/model"
	"github.com/mockarty-oss/mockarty/host/internal/perf"
	"github.com/mockarty-oss/mockarty/host/internal/plugins"
	"github.com/mockarty-oss/mockarty/host/internal/recorder"
	"github.com/mockarty-oss/mockarty/host/internal/resolve"
	"github.com/mockarty-oss/mockarty/host/internal/templatefiles"
	"github.com/mockarty-oss/mockarty/host/internal/tester"
)

// Deps is what the handlers need.
type Deps struct {
	Catalog          *catalog.Catalog
	Templates        *templatefiles.Dir
	Logger           hclog.Logger
	BodyLimit        int
	IdleTimeout      time.Duration
	ReleaseID        string
	StartedAt        time.Time
	DBDriver         string
	ShutdownDeadline time.Duration
	// Resolver serves /stubs and owns the in-memory stores.
	Resolver *resolve.Resolver
	// Plugins is the plugin manager (nil: no plugins).
	Plugins *plugins.Manager
	// AllowPrivateProxy lets proxy mocks reach private and loopback addresses.
	AllowPrivateProxy bool
	// Auth is access control (nil: off, every caller is the local admin).
	Auth *auth.Service
	// RateLimit throttles management calls per credential or client
	// address; LoginLimit throttles failed logins (nil: no limit).
	RateLimit, LoginLimit *auth.Limiter
	// CookieSecure marks the session cookie Secure.
	CookieSecure bool
	// Streams ends the event streams under /stubs: cancel it before
	// shutting the server down, or open streams hold the shutdown.
	Streams context.Context
	// Tester keeps the API tester's objects; TesterRuns runs collections
	// on the tester plugin (nil: the API tester answers 503).
	Tester          *tester.Service
	TesterRuns      *tester.Runs
	TesterScheduler *tester.Scheduler
	// Perf keeps perf configs; PerfRuns runs load on the perf plugin (nil:
	// runs answer 503).
	Perf          *perf.Service
	PerfRuns      *perf.Runs
	PerfScheduler *perf.Scheduler
	// Fuzz keeps fuzz configs and findings; FuzzRuns runs the fuzzer
	// plugin (nil: runs answer 503).
	Fuzz     *fuzz.Service
	FuzzRuns *fuzz.Runs
	// Recorder runs recording sessions on the recorder plugin (nil: no
	// recorder).
	Recorder *recorder.Runs
	// FuzzScheduler fires fuzz schedules (nil: saved but not fired).
	FuzzScheduler *fuzz.Scheduler
	// RootNamespace, when set, serves that namespace's mocks at the root
	// path too (`mockarty-cli mock serve`): a request for any path the API
	// does not own is mock traffic, as if sent to /stubs/<namespace>.
	RootNamespace string
}

type server struct {
	Deps
	ready func() bool
	// streams is the context of long answers (event streams).
	streams   func() context.Context
	proxyOnce sync.Once
	proxyHTTP *http.Client
	// registryMu makes a registry change's check and write one step.
	registryMu sync.Mutex
	// outboundOnce/outbound: the client generators read live sources with.
	outboundOnce sync.Once
	outbound     *http.Client
}

const requestIDKey = "requestID"

// New builds the Fiber application with every route of the management API.
// ready reports whether the host has finished starting (for /health/ready).
func New(d Deps, ready func() bool) *fiber.App {
	if d.Tester == nil && d.Catalog != nil {
		d.Tester = tester.NewService(d.Catalog.Store()) // the API tester's objects, even where nothing runs them
	}
	if d.Perf == nil && d.Catalog != nil {
		d.Perf = perf.NewService(d.Catalog.Store())
	}
	if d.Fuzz == nil && d.Catalog != nil {
		d.Fuzz = fuzz.NewService(d.Catalog.Store())
	}
	s := &server{Deps: d, ready: ready}
	streamCtx := d.Streams
	if streamCtx == nil {
		streamCtx = context.Background()
	}
	s.streams = func() context.Context { return streamCtx }
	app := fiber.New(fiber.Config{
		AppName:     "mockarty",
		BodyLimit:   d.BodyLimit,
		IdleTimeout: d.IdleTimeout,
		// A request must arrive whole within a minute (slow senders hold no connection forever).
		ReadTimeout: 60 * time.Second,
		// Long JWTs and cookies: headers up to 64 KiB.
		ReadBufferSize:        64 << 10,
		DisableStartupMessage: true,
		ErrorHandler:          s.handleError,
		// Route matching for /stubs must see the raw path.
		UnescapePath: false,
		// Values from params, queries and headers outlive the request (store
		// keys, cached namespaces), so they must not alias fasthttp's buffers.
		Immutable: true,
		// Multipart bodies are not parsed before the handler, so a bad one
		// gets the handler's 415 instead of a parse error.
		DisablePreParseMultipartForm: true,
	})
	// Mock traffic takes a short path: it is registered before the API's
	// middleware and does its own request id and panic recovery.
	app.All("/stubs", s.stubsEntry)
	app.All("/stubs/*", s.stubsEntry)
	if d.RootNamespace != "" {
		app.Use(s.rootStubs)
	}
	app.Use(uiAPIPrefix, uiAPIAlias)
	app.Use(s.requestID, s.recoverPanic, s.accessLog, s.authenticate, s.settleCaches)
	s.routes(app)
	app.Use(func(c *fiber.Ctx) error {
		path, _, _ := strings.Cut(c.OriginalURL(), "?") // as the caller wrote it (/ui/api/...)
		return notFoundErr("no route for %s %s", c.Method(), path)
	})
	return app
}

// apiPrefixes are the paths the API owns when mocks are served at the
// root (RootNamespace): everything else is mock traffic.
var apiPrefixes = []string{"/api/", "/ui/api", "/__admin", "/health", "/metrics", "/mock/", "/stubs"}

// rootStubs serves a request for a path the API does not own as mock
// traffic of the root namespace.
func (s *server) rootStubs(c *fiber.Ctx) error {
	p := c.Path()
	for _, prefix := range apiPrefixes {
		if strings.HasPrefix(p, prefix) && (len(p) == len(prefix) || prefix[len(prefix)-1] == '/' || p[len(prefix)] == '/') {
			return c.Next()
		}
	}
	c.Path("/stubs/" + s.RootNamespace + p)
	return s.stubsEntry(c)
}

// uiAPIPrefix is an alias of /api/v1: the integrations guide's CI examples
// call /ui/api/....
const uiAPIPrefix = "/ui/api"

// uiAPIAlias serves /ui/api/<rest> as /api/v1/<rest>: the same middleware
// (request id, authentication, limits) and handlers run on the rewritten
// path, so the alias can never differ from the API.
func uiAPIAlias(c *fiber.Ctx) error {
	p := c.Path()
	rest := p[len(uiAPIPrefix):] // fiber matched the prefix, in any case
	if rest != "" && rest[0] != '/' {
		return c.Next() // /ui/apix is no alias
	}
	c.Path("/api/v1" + rest)
	return c.RestartRouting()
}

func (s *server) routes(app *fiber.App) {
	app.Get("/health", s.health)
	app.Get("/health/live", s.healthLive)
	app.Get("/health/ready", s.healthReady)
	app.Get("/metrics", s.metricsHandler())

	v1 := app.Group("/api/v1")
	v1.Get("/status", s.status)
	v1.Get("/features", s.features)
	v1.Get("/counts", s.counts)
	v1.Get("/stats", s.stats)

	s.mockRoutes(app, v1)
	s.namespaceRoutes(v1)
	s.storeRoutes(v1)
	s.templateRoutes(v1)
	s.folderRoutes(v1)
	s.tagRoutes(v1)
	s.undefinedRoutes(v1)
	s.mailRoutes(v1)
	s.protoRoutes(v1)
	s.registryRoutes(v1)
	s.generatorRoutes(v1)
	s.socketRoutes(v1)
	s.authRoutes(v1)
	s.testerRoutes(v1)
	s.perfRoutes(v1)
	s.fuzzRoutes(v1)
	s.recorderRoutes(v1)
	s.perfScheduleRoutes(v1)
	s.runnerTaskRoutes(v1)
	v1.Get("/plugins", s.listPlugins)
	v1.Post("/plugins/:name/restart", s.restartPlugin)
	v1.Get("/plugins/:name/settings", s.getPluginSettings)
	v1.Put("/plugins/:name/settings", s.putPluginSettings)
	v1.Patch("/plugins/:name/settings", s.patchPluginSettings)

	s.findRoutes(app)
	s.wiremockRoutes(app)
}

// requestIDs are a random per-process prefix and a counter: unique, and
// cheap enough for every stub request.
var (
	requestIDPrefix = uuid.NewString()[:8]
	requestIDSeq    atomic.Uint64
)

func newRequestID() string {
	var b [32]byte
	out := append(b[:0], requestIDPrefix...)
	out = append(out, '-')
	out = strconv.AppendUint(out, requestIDSeq.Add(1), 36)
	return string(out)
}

func (s *server) requestID(c *fiber.Ctx) error {
	id := c.Get(fiber.HeaderXRequestID)
	if id == "" || !resolve.ValidRequestID(id) {
		id = newRequestID()
	}
	c.Locals(requestIDKey, id)
	c.Set(fiber.HeaderXRequestID, id)
	return c.Next()
}

func requestIDOf(c *fiber.Ctx) string {
	if id, ok := c.Locals(requestIDKey).(string); ok {
		return id
	}
	if raw := c.Response().Header.Peek(fiber.HeaderXRequestID); len(raw) > 0 {
		return string(raw)
	}
	// Errors raised before the middleware ran (oversize bodies) get an id here.
	id := c.Get(fiber.HeaderXRequestID)
	if !resolve.ValidRequestID(id) {
		id = newRequestID()
	}
	c.Locals(requestIDKey, id)
	c.Set(fiber.HeaderXRequestID, id)
	return id
}

// stubsEntry is the whole middleware chain of /stubs in one frame. A mock's
// reply carries only what the mock says (plus X-Mockarty-Mock-Id); a request
// id is made only when the reply is ours (a near-miss report or an error),
// keeping an incoming X-Request-Id.
func (s *server) stubsEntry(c *fiber.Ctx) (err error) {
	defer func() {
		if r := recover(); r != nil {
			s.Logger.Error("panic serving a stub", "path", c.Path(), "request_id", requestIDOf(c), "panic", r, "stack", string(debug.Stack()))
			err = apiErr(http.StatusInternalServerError, CodeInternal, "internal error")
		}
	}()
	if s.Logger.IsDebug() {
		return s.timed(c, func() error { return s.stubs(c) })
	}
	return s.stubs(c)
}

func (s *server) recoverPanic(c *fiber.Ctx) (err error) {
	defer func() {
		if r := recover(); r != nil {
			s.Logger.Error("panic in handler", "method", c.Method(), "path", c.Path(), "request_id", requestIDOf(c), "panic", r, "stack", string(debug.Stack()))
			err = apiErr(http.StatusInternalServerError, CodeInternal, "internal error")
		}
	}()
	return c.Next()
}

func (s *server) accessLog(c *fiber.Ctx) error {
	if !s.Logger.IsDebug() {
		return c.Next()
	}
	return s.timed(c, c.Next)
}

// settleCaches keeps the plugins' reply caches out of sight of the API
// (resolve.Resolver.SettleCaches). Before a request, the calls plugins
// answered from their caches so far are in the journal and counters it
// reads; after a request that may change how mocks answer (any write but a
// find), no plugin answers from a reply it cached before, so a call made
// once the API has answered sees the change. Both cost nothing while no
// plugin holds a cached reply.
func (s *server) settleCaches(c *fiber.Ctx) error {
	if s.Resolver == nil || strings.HasPrefix(c.Path(), "/mock/") || strings.HasPrefix(c.Path(), "/health") {
		return c.Next()
	}
	ctx := context.Background() // bounded by the caches' own timeout
	s.Resolver.SettleCaches(ctx, false)
	err := c.Next()
	switch c.Method() {
	case fiber.MethodGet, fiber.MethodHead, fiber.MethodOptions:
	default:
		s.Resolver.SettleCaches(ctx, true)
	}
	return err
}

// timed runs next and writes one debug line about the request.
func (s *server) timed(c *fiber.Ctx, next func() error) error {
	start := time.Now()
	err := next()
	status := c.Response().StatusCode()
	if err != nil {
		status = toAPIError(err).Status
	}
	s.Logger.Debug("request", "method", c.Method(), "path", c.Path(), "status", status,
		"elapsed", time.Since(start), "request_id", requestIDOf(c))
	return err
}

// handleError writes every error in the one envelope.
func (s *server) handleError(c *fiber.Ctx, err error) error {
	e := toAPIError(err)
	e.RequestID = requestIDOf(c)
	if e.Status >= 500 {
		s.Logger.Error("request failed", "method", c.Method(), "path", c.Path(), "request_id", e.RequestID, "error", err)
	}
	return c.Status(e.Status).JSON(e)
}

// body returns the request body after checking that its media type can hold JSON.
// curl's default form type is accepted because the spec's own examples send JSON with it.
func (s *server) body(c *fiber.Ctx) ([]byte, error) {
	b, err := s.rawBody(c)
	if err != nil {
		return nil, err
	}
	if ct := c.Get(fiber.HeaderContentType); ct != "" && len(bytes.TrimSpace(b)) > 0 {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil {
			return nil, apiErr(http.StatusUnsupportedMediaType, CodeMediaType, "unreadable Content-Type %q", ct)
		}
		switch {
		case mt == "application/json", strings.HasSuffix(mt, "+json"), mt == "text/plain",
			mt == "application/x-www-form-urlencoded", mt == "text/json", mt == "*/*":
		default:
			return nil, apiErr(http.StatusUnsupportedMediaType, CodeMediaType, "Content-Type %q is not supported; send application/json", mt)
		}
	}
	return b, nil
}

// decodeJSON reads the body into v with a clear error for bad input.
func (s *server) decodeJSON(c *fiber.Ctx, v any) error {
	b, err := s.body(c)
	if err != nil {
		return err
	}
	return decodeJSONBytes(b, v)
}

// decodeJSONBytes decodes one JSON value into v with a clear error for bad input.
func decodeJSONBytes(b []byte, v any) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return badRequest("request body is empty; expected JSON")
	}
	if err := jpath.CheckDepth(b); err != nil {
		return err // 413 body_too_deep, before any decoding
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			e := badRequest("%s: wrong type: got JSON %s", te.Field, te.Value)
			e.Field = te.Field
			return e
		}
		return badRequest("malformed JSON: %v", err)
	}
	if dec.More() {
		return badRequest("malformed JSON: unexpected data after the top-level value")
	}
	return nil
}

// namespaceOf picks the namespace of a request: query, then body, then the
// X-Namespace header, then the default.
func namespaceOf(c *fiber.Ctx, fromBody string) (string, error) {
	ns := strings.TrimSpace(c.Query("namespace"))
	if ns == "" {
		ns = strings.TrimSpace(fromBody)
	}
	if ns == "" {
		ns = strings.TrimSpace(c.Get("X-Namespace"))
	}
	if ns == "" {
		ns = model.DefaultNamespace
	}
	if !model.NamePattern.MatchString(ns) {
		e := badRequest("namespace %q: use 1-100 letters, digits, '.', '_' or '-'", ns)
		e.Field = "namespace"
		return "", e
	}
	return ns, nil
}

// optionalNamespace is like namespaceOf but "" when none is given at all.
func optionalNamespace(c *fiber.Ctx) (string, error) {
	if c.Query("namespace") == "" && c.Get("X-Namespace") == "" {
		return "", nil
	}
	return namespaceOf(c, "")
}

// readNamespace is the request's optional namespace ("" when it names
// none), which the caller must be allowed to read.
func readNamespace(c *fiber.Ctx) (string, error) {
	ns, err := optionalNamespace(c)
	if err != nil || ns == "" {
		return ns, err
	}
	return ns, need(c, ns, auth.Read)
}

// paging reads offset and limit with defaults and bounds.
func paging(c *fiber.Ctx, defLimit, maxLimit int) (offset, limit int, err error) {
	offset, err = intQuery(c, "offset", 0)
	if err != nil {
		return 0, 0, err
	}
	limit, err = intQuery(c, "limit", defLimit)
	if err != nil {
		return 0, 0, err
	}
	if offset < 0 {
		return 0, 0, badRequest("offset must not be negative")
	}
	if limit < 0 {
		return 0, 0, badRequest("limit must not be negative")
	}
	if limit == 0 {
		limit = defLimit
	}
	if limit > maxLimit {
		limit = maxLimit
	}
	return offset, limit, nil
}

func intQuery(c *fiber.Ctx, name string, def int) (int, error) {
	v := c.Query(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		e := badRequest("query parameter %s=%q is not an integer", name, v)
		e.Field = name
		return 0, e
	}
	return n, nil
}

func boolQuery(c *fiber.Ctx, name string) (value, set bool, err error) {
	v := c.Query(name)
	if v == "" {
		return false, false, nil
	}
	b, perr := strconv.ParseBool(v)
	if perr != nil {
		e := badRequest("query parameter %s=%q must be true or false", name, v)
		e.Field = name
		return false, false, e
	}
	return b, true, nil
}

// csv splits a comma list and drops empty items; repeated parameters are joined too.
func csvQuery(c *fiber.Ctx, name string) []string {
	var out []string
	for _, raw := range c.Context().QueryArgs().PeekMulti(name) {
		for _, p := range strings.Split(string(raw), ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

// ids reads the list of IDs of a batch request: "mockIds" (the SDKs) or "ids" (the docs).
type idsBody struct {
	MockIDs []string `json:"mockIds"`
	IDs     []string `json:"ids"`
}

func (b idsBody) list() []string {
	out := append([]string{}, b.MockIDs...)
	out = append(out, b.IDs...)
	seen := map[string]bool{}
	uniq := out[:0]
	for _, id := range out {
		if id = strings.TrimSpace(id); id != "" && !seen[id] {
			seen[id] = true
			uniq = append(uniq, id)
		}
	}
	return uniq
}

func isoMs(ms int64) string {
	if ms == 0 {
		return ""
	}
	return time.UnixMilli(ms).UTC().Format(time.RFC3339Nano)
}
