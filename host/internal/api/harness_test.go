package api

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/mockarty-oss/mockarty/host/internal/auth"
	"github.com/mockarty-oss/mockarty/host/internal/catalog"
	"github.com/mockarty-oss/mockarty/host/internal/resolve"
	"github.com/mockarty-oss/mockarty/host/internal/store"
	"github.com/mockarty-oss/mockarty/host/internal/templatefiles"
	"github.com/mockarty-oss/mockarty/sdk/plugintest"
)

// testServer is the real API on a loopback port over a fresh SQLite database.
type testServer struct {
	t     *testing.T
	URL   string
	Store *store.Store
	// Auth is access control (nil unless serverOpts.authMode is set).
	Auth *auth.Service
	// Logs holds everything the server logged (authMode servers only).
	Logs *plugintest.SyncBuffer
	// Dir is the test's temporary folder; TemplateDir is the template folder inside it.
	Dir, TemplateDir string
}

type serverOpts struct {
	versioning  bool
	denyPrivate bool
	bodyLimit   int
	// authMode turns access control on ("full" or "local"); the first
	// admin is admin / admin-pass-1.
	authMode             string
	rateLimit, rateBurst int
	loginLimit           int
	// rootNamespace serves that namespace's mocks at the root path.
	rootNamespace string
}

func newTestServer(t *testing.T, opts ...serverOpts) *testServer {
	t.Helper()
	o := serverOpts{bodyLimit: 1 << 20}
	if len(opts) > 0 {
		o = opts[0]
		if o.bodyLimit == 0 {
			o.bodyLimit = 1 << 20
		}
	}
	dir := t.TempDir()
	ctx := context.Background()
	st, err := store.Open(ctx, store.Options{Driver: "sqlite", DSN: filepath.Join(dir, "db.sqlite")})
	if err != nil {
		t.Fatal(err)
	}
	tplDir := filepath.Join(dir, "templates")
	tpl, err := templatefiles.Open(tplDir)
	if err != nil {
		t.Fatal(err)
	}
	res, err := resolve.New(ctx, resolve.Options{Store: st, Templates: tpl, LogLimit: 3, AllowPrivate: !o.denyPrivate})
	if err != nil {
		t.Fatal(err)
	}
	deps := Deps{}
	var logs *plugintest.SyncBuffer
	var access *auth.Service
	if o.authMode != "" {
		logs = &plugintest.SyncBuffer{}
		deps.Logger = hclog.New(&hclog.LoggerOptions{Output: logs, Level: hclog.Trace})
		access = auth.New(auth.Options{Store: st, Mode: o.authMode, Logger: deps.Logger, BcryptCost: 4})
		if o.authMode == auth.ModeFull {
			if _, _, err := access.EnsureFirstAdmin(ctx, "admin", "admin-pass-1", "admin@example.test"); err != nil {
				t.Fatal(err)
			}
		}
		deps.Auth = access
		deps.RateLimit = auth.NewLimiter(o.rateLimit, o.rateBurst)
		deps.LoginLimit = auth.NewLimiter(max(o.loginLimit, 1000), max(o.loginLimit, 1000))
		if o.loginLimit > 0 {
			deps.LoginLimit = auth.NewLimiter(o.loginLimit, o.loginLimit)
		}
	} else {
		deps.Logger = hclog.NewNullLogger()
	}
	app := New(Deps{
		Auth:              deps.Auth,
		RateLimit:         deps.RateLimit,
		LoginLimit:        deps.LoginLimit,
		Catalog:           catalog.New(st, o.versioning, res),
		Resolver:          res,
		AllowPrivateProxy: !o.denyPrivate,
		Templates:         tpl,
		Logger:            deps.Logger,
		BodyLimit:         o.bodyLimit,
		ReleaseID:         "test",
		StartedAt:         time.Now(),
		DBDriver:          "sqlite",
		RootNamespace:     o.rootNamespace,
	}, func() bool { return true })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = app.Listener(ln) }()
	t.Cleanup(func() {
		_ = app.ShutdownWithTimeout(5 * time.Second)
		res.Close()
		_ = tpl.Close()
		_ = st.Close()
	})
	return &testServer{t: t, URL: "http://" + ln.Addr().String(), Store: st, Dir: dir, TemplateDir: tplDir, Auth: access, Logs: logs}
}

// resp is a finished HTTP exchange.
type resp struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into a generic value.
func (r *resp) JSON(t *testing.T) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(r.Body, &v); err != nil {
		t.Fatalf("body is not a JSON object: %v\n%s", err, r.Body)
	}
	return v
}

// do sends a request; body may be nil, a string, []byte, or a value to encode as JSON.
func (s *testServer) do(method, path string, body any, headers ...string) *resp {
	s.t.Helper()
	var rdr io.Reader
	ct := ""
	switch b := body.(type) {
	case nil:
	case string:
		rdr, ct = strings.NewReader(b), "application/json"
	case []byte:
		rdr, ct = bytes.NewReader(b), "application/json"
	default:
		enc, err := json.Marshal(b)
		if err != nil {
			s.t.Fatal(err)
		}
		rdr, ct = bytes.NewReader(enc), "application/json"
	}
	req, err := http.NewRequest(method, s.URL+path, rdr)
	if err != nil {
		s.t.Fatal(err)
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i+1] == "" {
			req.Header.Del(headers[i])
			continue
		}
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		s.t.Fatal(err)
	}
	return &resp{Status: res.StatusCode, Header: res.Header, Body: b}
}

// expect checks the status and returns the decoded JSON object.
func (s *testServer) expect(status int, method, path string, body any, headers ...string) map[string]any {
	s.t.Helper()
	r := s.do(method, path, body, headers...)
	if r.Status != status {
		s.t.Fatalf("%s %s: status %d, want %d\n%s", method, path, r.Status, status, r.Body)
	}
	return r.JSON(s.t)
}

// expectError checks that a request fails with the one error envelope.
func (s *testServer) expectError(status int, code, field, method, path string, body any, headers ...string) map[string]any {
	s.t.Helper()
	r := s.do(method, path, body, headers...)
	if r.Status != status {
		s.t.Fatalf("%s %s: status %d, want %d\n%s", method, path, r.Status, status, r.Body)
	}
	v := r.JSON(s.t)
	checkEnvelope(s.t, r, v, code, field)
	return v
}

func checkEnvelope(t *testing.T, r *resp, v map[string]any, code, field string) {
	t.Helper()
	msg, _ := v["error"].(string)
	if msg == "" {
		t.Fatalf("error envelope has no message: %s", r.Body)
	}
	if v["code"] != code {
		t.Fatalf("code = %v, want %q: %s", v["code"], code, r.Body)
	}
	rid, _ := v["request_id"].(string)
	if rid == "" || rid != r.Header.Get("X-Request-Id") {
		t.Fatalf("request_id %q must equal the X-Request-Id header %q", rid, r.Header.Get("X-Request-Id"))
	}
	if field != "" && v["field"] != field {
		t.Fatalf("field = %v, want %q: %s", v["field"], field, r.Body)
	}
	for k := range v {
		switch k {
		case "error", "code", "request_id", "field":
		default:
			t.Fatalf("unexpected key %q in error envelope: %s", k, r.Body)
		}
	}
}

// httpMock returns a minimal valid HTTP mock document.
func httpMock(id, route string) map[string]any {
	return map[string]any{
		"id":       id,
		"http":     map[string]any{"route": route, "httpMethod": "GET"},
		"response": map[string]any{"statusCode": 200, "payload": map[string]any{"ok": true}},
	}
}

func ids(list []any) []string {
	out := make([]string, 0, len(list))
	for _, v := range list {
		m, _ := v.(map[string]any)
		id, _ := m["id"].(string)
		out = append(out, id)
	}
	return out
}
