package main

// End-to-end tests of the real binary: TestMain builds it once, and every
// test runs it as a subprocess on its own data folder and loopback port.
//
// PostgreSQL: the durability scenario also runs against
// postgres://postgres@127.0.0.1:5432/test (TEST_PG_DSN overrides it), in a
// fresh schema per run. When the server is unreachable that subtest fails
// under CI=true and is skipped otherwise.

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mockarty-oss/mockarty/host/internal/store"
	"github.com/mockarty-oss/mockarty/sdk/plugintest"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// binPath is the binary built by TestMain.
var binPath string

func TestMain(m *testing.M) { os.Exit(testMain(m)) }

func testMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "mockarty-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e: create temp dir:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	binPath = filepath.Join(dir, "mockarty")
	args := []string{"build", "-o", binPath}
	if plugintest.RaceEnabled() {
		// Run the server under the race detector too when the tests are.
		args = append(args, "-race")
	}
	args = append(args, ".")
	build := exec.Command("go", args...)
	out, err := build.CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "e2e: building the binary failed: go %s: %v\n%s\n", strings.Join(args, " "), err, out)
		return 1
	}
	return m.Run()
}

// configVars are the variables the host reads; the caller's values are not
// passed on, so a developer's shell cannot change what the tests see.
var configVars = map[string]bool{
	"HTTP_BIND_ADDR": true, "HTTP_PORT": true, "HTTP_REQUEST_BODY_SIZE_LIMIT_MB": true,
	"HTTP_KEEP_ALIVE_TIMEOUT": true, "SHUTDOWN_TIMEOUT": true, "MOCKARTY_DATA_DIR": true,
	"DB_USE": true, "DB_DSN": true, "DB_ENABLE_VERSIONING": true, "TEMPLATES_DIR": true,
	"REPO_LOG_LIMIT": true, "LOG_LEVEL": true, "LOG_FORMAT": true, "ENV": true,
	"AUTH_MODE": true, "AUTH_SESSION_EXPIRATION": true, "COOKIE_SECURE": true, "FIRST_ADMIN_LOGIN": true,
	"FIRST_ADMIN_PASSWORD": true, "FIRST_ADMIN_EMAIL": true, "AUTH_RATE_LIMIT_PER_MINUTE": true,
	"AUTH_RATE_LIMIT_BURST": true, "AUTH_LOGIN_ATTEMPTS_PER_MINUTE": true, "AUTH_BCRYPT_COST": true,
}

// childEnv is the process environment without the host's variables, then
// LOG_LEVEL=warn, then extra (later entries win).
func childEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if !configVars[k] {
			env = append(env, kv)
		}
	}
	env = append(env, "LOG_LEVEL=warn")
	return append(env, extra...)
}

// server is one running mockarty process.
type server struct {
	URL    string
	Cmd    *exec.Cmd
	stderr *plugintest.SyncBuffer
	stdout *plugintest.SyncBuffer
	client *http.Client

	done    chan struct{} // closed when the process has exited
	waitErr error         // what cmd.Wait returned; read after done
}

// Stderr is everything the process wrote to stderr so far.
func (s *server) Stderr() string { return s.stderr.String() }

func (s *server) exited() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// kill sends SIGKILL and waits for the process to be gone.
func (s *server) kill(t *testing.T) {
	t.Helper()
	if !s.exited() {
		if err := s.Cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
			t.Errorf("kill mockarty: %v", err)
		}
	}
	<-s.done
	s.client.CloseIdleConnections()
}

// waitExit waits for the process to end on its own; after limit (a guard
// against hanging, not a speed requirement) it kills it and fails the test.
func (s *server) waitExit(t *testing.T, limit time.Duration) *os.ProcessState {
	t.Helper()
	select {
	case <-s.done:
	case <-time.After(limit):
		s.kill(t)
		t.Fatalf("mockarty did not exit within %v; stderr:\n%s", limit, s.Stderr())
	}
	return s.Cmd.ProcessState
}

// freePort asks the kernel for a free loopback port.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("pick a free port: %v", err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	if err := ln.Close(); err != nil {
		t.Fatalf("pick a free port: %v", err)
	}
	return port
}

// launch starts the binary on dataDir and port without waiting for it. The
// process is killed when the test ends, whatever happened.
func launch(t *testing.T, dataDir string, port int, env ...string) *server {
	t.Helper()
	cmd := exec.Command(binPath)
	cmd.Dir = dataDir
	cmd.Env = childEnv(append([]string{
		"MOCKARTY_DATA_DIR=" + dataDir,
		"HTTP_BIND_ADDR=127.0.0.1",
		"HTTP_PORT=" + strconv.Itoa(port),
	}, env...)...)
	s := &server{
		URL:    "http://127.0.0.1:" + strconv.Itoa(port),
		Cmd:    cmd,
		stderr: &plugintest.SyncBuffer{},
		stdout: &plugintest.SyncBuffer{},
		client: &http.Client{Timeout: 30 * time.Second, Transport: http.DefaultTransport.(*http.Transport).Clone()},
		done:   make(chan struct{}),
	}
	cmd.Stderr, cmd.Stdout = s.stderr, s.stdout
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", binPath, err)
	}
	go func() {
		s.waitErr = cmd.Wait()
		close(s.done)
	}()
	t.Cleanup(func() {
		s.kill(t)
		if strings.Contains(s.Stderr(), "WARNING: DATA RACE") {
			t.Errorf("the race detector fired in the mockarty process:\n%s", s.Stderr())
		}
		if t.Failed() && s.Stderr() != "" {
			t.Logf("mockarty (%s) stderr:\n%s", s.URL, s.Stderr())
		}
	})
	return s
}

// startServer starts the binary and waits until GET /health/ready answers 200.
func startServer(t *testing.T, dataDir string, env ...string) *server {
	t.Helper()
	for attempt := 1; ; attempt++ {
		s := launch(t, dataDir, freePort(t), env...)
		err := s.waitReady(20 * time.Second)
		if err == nil {
			return s
		}
		s.kill(t)
		// Another process may have taken the port between freePort and listen.
		if attempt < 3 && strings.Contains(s.Stderr(), "address already in use") {
			continue
		}
		t.Fatalf("mockarty did not become ready at %s: %v\nstderr:\n%s", s.URL, err, s.Stderr())
	}
}

// waitReady polls with a loop of its own, not Eventually: it returns the
// failure, so the caller can retry on a port taken in the meantime.
func (s *server) waitReady(limit time.Duration) error {
	deadline := time.Now().Add(limit)
	probe := &http.Client{Timeout: 2 * time.Second, Transport: http.DefaultTransport.(*http.Transport).Clone()}
	defer probe.CloseIdleConnections()
	last := "no answer yet"
	for time.Now().Before(deadline) {
		if s.exited() {
			return fmt.Errorf("the process exited before it was ready: %v", s.waitErr)
		}
		resp, err := probe.Get(s.URL + "/health/ready")
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			last = fmt.Sprintf("status %d: %s", resp.StatusCode, b)
		} else {
			last = err.Error()
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("not ready after %v (last: %s)", limit, last)
}

// response is a finished HTTP exchange.
type response struct {
	Status int
	Header http.Header
	Body   []byte
}

// do sends a request. body is nil, []byte (sent as is with contentType) or
// a value encoded as JSON.
func (s *server) do(t *testing.T, method, path string, body any, contentType string) *response {
	t.Helper()
	var rdr io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rdr = bytes.NewReader(b)
	default:
		enc, err := json.Marshal(b)
		if err != nil {
			t.Fatalf("encode request body: %v", err)
		}
		rdr = bytes.NewReader(enc)
		if contentType == "" {
			contentType = "application/json"
		}
	}
	req, err := http.NewRequest(method, s.URL+path, rdr)
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, path, err)
	}
	return &response{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

// call sends a request and fails the test unless the status is want.
func (s *server) call(t *testing.T, want int, method, path string, body any) *response {
	t.Helper()
	r := s.do(t, method, path, body, "")
	if r.Status != want {
		t.Fatalf("%s %s: status %d, want %d; body: %s", method, path, r.Status, want, r.Body)
	}
	return r
}

// getJSON GETs path, expects 200 and decodes the body (numbers as json.Number).
func (s *server) getJSON(t *testing.T, path string) any {
	t.Helper()
	return decode(t, s.call(t, http.StatusOK, http.MethodGet, path, nil).Body)
}

func decode(t *testing.T, b []byte) any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("invalid JSON: %v\n%s", err, b)
	}
	return v
}

// normalise turns any value into its generic JSON form (numbers as json.Number).
func normalise(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return decode(t, b)
}

func obj(t *testing.T, v any, what string) map[string]any {
	t.Helper()
	m, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("%s: want a JSON object, got %T: %v", what, v, v)
	}
	return m
}

func list(t *testing.T, v any, what string) []any {
	t.Helper()
	l, ok := v.([]any)
	if !ok {
		t.Fatalf("%s: want a JSON array, got %T: %v", what, v, v)
	}
	return l
}

func toJSON(v any) string {
	b, _ := json.MarshalIndent(v, "", "  ")
	return string(b)
}

func num(t *testing.T, v any, what string) int64 {
	t.Helper()
	n, ok := v.(json.Number)
	if !ok {
		t.Fatalf("%s: want a number, got %T: %v", what, v, v)
	}
	i, err := n.Int64()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return i
}

// ---------------------------------------------------------------------------
// Durability after SIGKILL

// e2eMocks are the live mocks of the scenario, in canonical form (what the
// server stores for them), so every field sent can be compared as is.
func e2eMocks() []map[string]any {
	return []map[string]any{
		{
			"id":   "e2e-http-simple",
			"http": map[string]any{"route": "/e2e/simple", "httpMethod": "GET"},
			"response": map[string]any{
				"statusCode": 200,
				"payload":    map[string]any{"ok": true},
			},
		},
		{
			"id":         "e2e-http-rich",
			"namespace":  "e2e-ns",
			"chainId":    "chain-e2e",
			"pathPrefix": "/svc",
			"serverName": "edge",
			"http": map[string]any{
				"route":      "/users/:id/orders",
				"httpMethod": "POST",
				"conditions": []any{
					map[string]any{"path": "$.order.total", "assertAction": "equals", "value": json.RawMessage(`42.5`)},
					map[string]any{"path": "$.items", "assertAction": "contains", "value": map[string]any{"sku": "A-1"}, "sortArray": true},
					map[string]any{"path": "$.note", "assertAction": "matches", "value": "^n.*e$"},
				},
				"queryParams": []any{map[string]any{"path": "page", "assertAction": "notEmpty"}},
				"header": []any{
					map[string]any{"path": "X-Token", "assertAction": "equals", "value": "c2VjcmV0", "decode": "base64"},
					map[string]any{"path": "X-File", "assertAction": "equals", "valueFromFile": "token.txt"},
				},
				"sortArray": true,
			},
			"response": map[string]any{
				"statusCode": 201,
				"headers":    map[string]any{"Content-Type": []any{"application/json"}, "X-Multi": []any{"a", "b"}},
				"payload": json.RawMessage(`{"big": 12345678901234567890, "pi": 3.14159, "neg": -0.125,
					"nested": {"arr": [1, "two", null, true, {"deep": []}]}, "unicode": "héllo ✓ 日本", "esc": "line\nbreak \"quoted\" <tag> &amp;"}`),
				"delay": 15,
			},
			"webhooks": []any{
				map[string]any{"type": "http", "trigger": "on_success", "url": "http://127.0.0.1:9/hook", "method": "POST",
					"headers": map[string]any{"X-Hook": "1"}, "body": map[string]any{"event": "created"}, "async": true,
					"timeout": 1000, "retryCount": 2, "retryDelay": 100, "secret": "s3cr3t"},
				map[string]any{"type": "kafka", "trigger": "always", "kafkaBrokers": "127.0.0.1:9092", "kafkaTopic": "events", "kafkaKey": "k"},
			},
			"ttl":        3600000,
			"useLimiter": 100,
			"priority":   7,
			"tags":       []any{"e2e", "rich", "ünïcödé"},
			"folderId":   "e2e-folder",
			"extract": map[string]any{
				"mStore": map[string]any{"last": "$.req.body.id"},
				"cStore": map[string]any{"step": "$.req.body.step"},
				"gStore": map[string]any{"seen": true},
			},
			"mStore": map[string]any{"counter": 0, "meta": map[string]any{"a": []any{1, 2, 3}}},
		},
		{
			"id":        "e2e-grpc",
			"namespace": "e2e-ns",
			"grpc": map[string]any{
				"service":    "user.v1.UserService",
				"method":     "GetUser",
				"methodType": "unary",
				"conditions": []any{map[string]any{"path": "$.id", "assertAction": "equals", "value": "u-1"}},
				"meta":       []any{map[string]any{"path": "authorization", "assertAction": "any"}},
			},
			"response": map[string]any{
				"statusCode": 5,
				"error":      "user not found",
				"errorDetails": []any{map[string]any{"type": "errorInfo",
					"details": map[string]any{"reason": "NOT_FOUND", "domain": "users", "metadata": map[string]any{"id": "u-1"}}}},
				"payload": map[string]any{"id": "u-1"},
			},
			"tags": []any{"grpc"},
		},
		{
			"id":      "e2e-graphql-oneof",
			"graphql": map[string]any{"operation": "query", "field": "user"},
			"oneOf": map[string]any{
				"order": "random",
				"responses": []any{
					map[string]any{"payload": map[string]any{"data": map[string]any{"user": map[string]any{"id": 1}}}},
					map[string]any{"graphqlErrors": []any{map[string]any{"message": "boom", "path": []any{"user", 0},
						"locations": []any{map[string]any{"line": 1, "column": 3}}, "extensions": map[string]any{"code": "E1"}}}},
				},
			},
		},
		{
			"id":       "e2e-proxy",
			"http":     map[string]any{"routePattern": "^/proxied/.*$", "httpMethod": "ANY"},
			"proxy":    map[string]any{"target": "http://127.0.0.1:9/upstream"},
			"response": map[string]any{"delay": 5, "headers": map[string]any{"X-Via": []any{"mockarty"}}},
		},
	}
}

// deletedMock is soft-deleted right after it is created.
func deletedMock() map[string]any {
	return map[string]any{
		"id":       "e2e-deleted",
		"http":     map[string]any{"route": "/gone", "httpMethod": "DELETE"},
		"response": map[string]any{"statusCode": 410, "payload": "gone"},
		"tags":     []any{"trash"},
	}
}

type templateFile struct {
	namespace, name, contentType string
	content                      []byte
}

func e2eTemplates() []templateFile {
	return []templateFile{
		{"sandbox", "users.json", "application/json",
			[]byte("{\"name\": \"{{ .req.name }}\",\n  \"list\": [1, 2, 3]}\n\n")},
		{"e2e-ns", "greeting.txt", "text/plain",
			append([]byte("Hello, {{ .name }}!\r\n\tünïcode ✓  \n"), 0x00, 0xff, 0xfe, '\n')},
	}
}

// globalValues are the global store keys per namespace, as raw JSON.
func globalValues() map[string]map[string]string {
	return map[string]map[string]string{
		"sandbox": {
			"str":            `"hello"`,
			"int":            `42`,
			"big":            `12345678901234567890`,
			"float":          `-0.125`,
			"exp":            `1.5e+300`,
			"bool":           `false`,
			"null":           `null`,
			"obj":            `{"a":{"b":[1,{"c":"d"}],"e":null}}`,
			"emptyArr":       `[]`,
			"emptyStr":       `""`,
			"unicode key ✓":  `"значение ✓"`,
			"overwritten":    `"second"`,
			"with/slash:and": `{"k":"v"}`,
		},
		"e2e-ns": {
			"str": `"other namespace"`,
		},
	}
}

// chainValues are the keys of the chain store "chain-e2e" in namespace e2e-ns.
func chainValues() map[string]string {
	return map[string]string{"step": `3`, "state": `{"paid":true,"items":["a","b"]}`}
}

func TestDurabilityAfterSIGKILL(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		durabilityScenario(t)
	})
	t.Run("postgres", func(t *testing.T) {
		durabilityScenario(t, "DB_DSN="+freshPGSchema(t))
	})
}

func durabilityScenario(t *testing.T, env ...string) {
	dataDir := t.TempDir()
	srv := startServer(t, dataDir, env...)

	// Folders and a tag first: the rich mock lives in the folder.
	srv.call(t, http.StatusCreated, http.MethodPost, "/api/v1/mock-folders",
		map[string]any{"id": "e2e-folder", "name": "E2E folder", "namespace": "e2e-ns", "sortOrder": 3})
	srv.call(t, http.StatusCreated, http.MethodPost, "/api/v1/mock-folders",
		map[string]any{"id": "e2e-sub", "name": "Sub ✓", "namespace": "e2e-ns", "parentId": "e2e-folder"})
	srv.call(t, http.StatusCreated, http.MethodPost, "/api/v1/tags",
		map[string]any{"tag": "e2e-standalone", "color": "#12ab34", "namespace": "e2e-ns"})

	// Mocks: what the server says it stored is the reference after restart.
	saved := map[string]map[string]any{}
	sent := map[string]map[string]any{}
	for _, m := range append(e2eMocks(), deletedMock()) {
		r := srv.call(t, http.StatusCreated, http.MethodPost, "/api/v1/mocks", m)
		out := obj(t, decode(t, r.Body), "create response")
		id := m["id"].(string)
		saved[id] = obj(t, out["mock"], "create response .mock")
		sent[id] = obj(t, normalise(t, m), "sent mock")
	}
	r := srv.call(t, http.StatusOK, http.MethodDelete, "/api/v1/mocks/e2e-deleted", nil)
	if del := obj(t, decode(t, r.Body), "delete response"); del["deleted"] != true {
		t.Fatalf("DELETE /api/v1/mocks/e2e-deleted: %s", r.Body)
	}

	// Stores.
	srv.call(t, http.StatusOK, http.MethodPost, "/api/v1/stores/global",
		map[string]any{"key": "overwritten", "value": "first", "namespace": "sandbox"})
	for ns, kv := range globalValues() {
		for k, v := range kv {
			srv.call(t, http.StatusOK, http.MethodPost, "/api/v1/stores/global",
				map[string]any{"key": k, "value": json.RawMessage(v), "namespace": ns})
		}
	}
	for k, v := range chainValues() {
		srv.call(t, http.StatusOK, http.MethodPost, "/api/v1/stores/chain/chain-e2e",
			map[string]any{"key": k, "value": json.RawMessage(v), "namespace": "e2e-ns"})
	}

	// Templates, sent as raw bodies.
	for _, f := range e2eTemplates() {
		r := srv.do(t, http.MethodPost, "/api/v1/templates/"+f.name+"?namespace="+f.namespace, f.content, f.contentType)
		if r.Status != http.StatusCreated {
			t.Fatalf("upload template %s/%s: status %d: %s", f.namespace, f.name, r.Status, r.Body)
		}
	}

	// No reads in between: the last write has just been acknowledged.
	srv.kill(t)
	if ws, ok := srv.Cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("the first process was not ended by SIGKILL: %v", srv.Cmd.ProcessState)
	}

	srv = startServer(t, dataDir, env...)

	t.Run("mocks", func(t *testing.T) {
		for id, want := range saved {
			got := obj(t, srv.getJSON(t, "/api/v1/mocks/"+id), "GET mock "+id)
			// Every field that was sent comes back unchanged.
			for k, v := range sent[id] {
				if !reflect.DeepEqual(got[k], v) {
					t.Errorf("mock %s: field %q after restart:\n got %s\nwant %s", id, k, toJSON(got[k]), toJSON(v))
				}
			}
			if id == "e2e-deleted" {
				closed := num(t, got["closedAt"], "closedAt")
				if closed <= 0 {
					t.Errorf("mock %s: closedAt = %d after restart, want > 0", id, closed)
				}
				if num(t, got["updatedAt"], "updatedAt") < num(t, want["updatedAt"], "updatedAt") {
					t.Errorf("mock %s: updatedAt went back: %v < %v", id, got["updatedAt"], want["updatedAt"])
				}
				want = copyMap(want)
				want["closedAt"], want["updatedAt"] = got["closedAt"], got["updatedAt"]
			}
			// The whole document, server-set fields included, is what was saved.
			if !reflect.DeepEqual(got, want) {
				t.Errorf("mock %s after restart:\n got %s\nwant %s", id, toJSON(got), toJSON(want))
			}
		}
		if ns := obj(t, srv.getJSON(t, "/api/v1/mocks/e2e-http-simple"), "simple mock")["namespace"]; ns != "sandbox" {
			t.Errorf("e2e-http-simple: namespace %v, want the default sandbox", ns)
		}
		exp := obj(t, srv.getJSON(t, "/api/v1/mocks/e2e-http-rich"), "rich mock")
		if num(t, exp["expireAt"], "expireAt") != num(t, exp["createdAt"], "createdAt")+3600000 {
			t.Errorf("e2e-http-rich: expireAt %v, want createdAt %v + ttl", exp["expireAt"], exp["createdAt"])
		}

		live := mockIDs(t, srv.getJSON(t, "/api/v1/mocks?limit=1000"))
		var wantLive []string
		for _, m := range e2eMocks() {
			wantLive = append(wantLive, m["id"].(string))
		}
		sort.Strings(wantLive)
		if !reflect.DeepEqual(live, wantLive) {
			t.Errorf("live mocks after restart: %v, want %v", live, wantLive)
		}
		if trash := mockIDs(t, srv.getJSON(t, "/api/v1/mocks?deleted=true&limit=1000")); !reflect.DeepEqual(trash, []string{"e2e-deleted"}) {
			t.Errorf("soft-deleted mocks after restart: %v, want [e2e-deleted]", trash)
		}
	})

	t.Run("stores", func(t *testing.T) {
		for ns, kv := range globalValues() {
			got := srv.getJSON(t, "/api/v1/stores/global?namespace="+ns)
			if want := rawMap(t, kv); !reflect.DeepEqual(got, want) {
				t.Errorf("global store of %s after restart:\n got %s\nwant %s", ns, toJSON(got), toJSON(want))
			}
		}
		got := srv.getJSON(t, "/api/v1/stores/chain/chain-e2e?namespace=e2e-ns")
		if want := rawMap(t, chainValues()); !reflect.DeepEqual(got, want) {
			t.Errorf("chain store after restart:\n got %s\nwant %s", toJSON(got), toJSON(want))
		}
		// The big integer keeps every digit: it is stored as text, not as a float.
		big := srv.call(t, http.StatusOK, http.MethodGet, "/api/v1/stores/global?namespace=sandbox", nil)
		if !bytes.Contains(big.Body, []byte(`12345678901234567890`)) {
			t.Errorf("global store lost the digits of a big integer: %s", big.Body)
		}
	})

	t.Run("templates", func(t *testing.T) {
		for _, f := range e2eTemplates() {
			r := srv.call(t, http.StatusOK, http.MethodGet, "/api/v1/templates/"+f.name+"?namespace="+f.namespace, nil)
			if !bytes.Equal(r.Body, f.content) {
				t.Errorf("template %s/%s after restart:\n got %q\nwant %q", f.namespace, f.name, r.Body, f.content)
			}
			names := obj(t, srv.getJSON(t, "/api/v1/templates?namespace="+f.namespace), "template list")["templates"]
			if !reflect.DeepEqual(names, []any{f.name}) {
				t.Errorf("templates of %s after restart: %v, want [%s]", f.namespace, names, f.name)
			}
		}
	})

	t.Run("folders and tags", func(t *testing.T) {
		folders := map[string]map[string]any{}
		for _, f := range list(t, obj(t, srv.getJSON(t, "/api/v1/mock-folders?namespace=e2e-ns"), "folders")["folders"], "folders") {
			fm := obj(t, f, "folder")
			folders[fmt.Sprint(fm["id"])] = fm
		}
		checks := []struct {
			id, name, parent string
			sort, mocks      int64
		}{
			{"e2e-folder", "E2E folder", "", 3, 1},
			{"e2e-sub", "Sub ✓", "e2e-folder", 0, 0},
		}
		for _, c := range checks {
			f, ok := folders[c.id]
			if !ok {
				t.Errorf("folder %s is missing after restart; folders: %s", c.id, toJSON(folders))
				continue
			}
			if f["name"] != c.name || f["parentId"] != c.parent || num(t, f["sortOrder"], "sortOrder") != c.sort ||
				num(t, f["mockCount"], "mockCount") != c.mocks || f["namespace"] != "e2e-ns" {
				t.Errorf("folder %s after restart: %s; want name %q parentId %q sortOrder %d mockCount %d",
					c.id, toJSON(f), c.name, c.parent, c.sort, c.mocks)
			}
		}
		if len(folders) != len(checks) {
			t.Errorf("folders of e2e-ns after restart: %s", toJSON(folders))
		}

		tags := obj(t, srv.getJSON(t, "/api/v1/tags?namespace=e2e-ns"), "tags")
		found := false
		for _, it := range list(t, tags["items"], "tag items") {
			item := obj(t, it, "tag item")
			if item["name"] == "e2e-standalone" {
				found = true
				if item["color"] != "#12ab34" {
					t.Errorf("tag e2e-standalone: color %v after restart, want #12ab34", item["color"])
				}
			}
		}
		if !found {
			t.Errorf("tag e2e-standalone is missing after restart: %s", toJSON(tags))
		}
	})

	t.Run("counts", func(t *testing.T) {
		got := obj(t, srv.getJSON(t, "/api/v1/counts"), "counts")
		nGlobal := 0
		for _, kv := range globalValues() {
			nGlobal += len(kv)
		}
		want := map[string]int64{"mocks": int64(len(e2eMocks())), "deletedMocks": 1, "folders": 2, "templates": 2,
			"globalStoreKeys": int64(nGlobal), "chainStoreKeys": int64(len(chainValues()))}
		for k, w := range want {
			if g := num(t, got[k], k); g != w {
				t.Errorf("counts.%s = %d after restart, want %d (%s)", k, g, w, toJSON(got))
			}
		}
	})
}

func copyMap(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// mockIDs returns the sorted IDs of a mock list response.
func mockIDs(t *testing.T, v any) []string {
	t.Helper()
	body := obj(t, v, "mock list")
	var ids []string
	for _, it := range list(t, body["items"], "mock list items") {
		ids = append(ids, fmt.Sprint(obj(t, it, "mock")["id"]))
	}
	sort.Strings(ids)
	if total := num(t, body["total"], "total"); total != int64(len(ids)) {
		t.Errorf("mock list: total %d but %d items", total, len(ids))
	}
	return ids
}

// rawMap decodes each raw JSON value the way a response body is decoded.
func rawMap(t *testing.T, kv map[string]string) any {
	t.Helper()
	m := map[string]json.RawMessage{}
	for k, v := range kv {
		m[k] = json.RawMessage(v)
	}
	return normalise(t, m)
}

// pgDSN is the test PostgreSQL server; TEST_PG_DSN overrides it.
func pgDSN() string {
	if v := os.Getenv("TEST_PG_DSN"); v != "" {
		return v
	}
	return "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
}

// freshPGSchema creates an empty schema, drops it when the test ends, and
// returns a DSN that uses it. Unreachable PostgreSQL fails the test under
// CI=true and skips it otherwise.
func freshPGSchema(t *testing.T) string {
	t.Helper()
	db, err := gorm.Open(postgres.Open(pgDSN()), &gorm.Config{Logger: logger.Discard, DisableAutomaticPing: true})
	var sqlDB *sql.DB
	if err == nil {
		sqlDB, err = db.DB()
	}
	if err == nil {
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
		err = sqlDB.PingContext(ctx)
		cancel()
		if err != nil {
			_ = sqlDB.Close()
		}
	}
	if err != nil {
		msg := fmt.Sprintf("PostgreSQL at %s is unreachable (%v); start it (pg_ctlcluster --skip-systemctl-redirect <version> main start) or set TEST_PG_DSN", pgDSN(), err)
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s", msg)
		}
		t.Skipf("%s", msg)
	}
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	schema := "e2e_" + hex.EncodeToString(b)
	if err := db.Exec("CREATE SCHEMA " + schema).Error; err != nil {
		_ = sqlDB.Close()
		t.Fatalf("create schema %s: %v", schema, err)
	}
	// Registered before any server starts, so it runs after they are killed.
	t.Cleanup(func() {
		if err := db.Exec("DROP SCHEMA " + schema + " CASCADE").Error; err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
		_ = sqlDB.Close()
	})
	sep := "?"
	if strings.Contains(pgDSN(), "?") {
		sep = "&"
	}
	return pgDSN() + sep + "search_path=" + schema
}

// ---------------------------------------------------------------------------
// Process lifecycle and configuration

func TestGracefulShutdown(t *testing.T) {
	srv := startServer(t, t.TempDir(), "LOG_LEVEL=info")
	// An idle keep-alive connection must not hold the shutdown up.
	srv.call(t, http.StatusOK, http.MethodGet, "/api/v1/mocks", nil)

	if err := srv.Cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("send SIGTERM: %v", err)
	}
	st := srv.waitExit(t, 60*time.Second)
	if !st.Exited() || st.ExitCode() != 0 {
		t.Fatalf("after SIGTERM: %v, want exit status 0; stderr:\n%s", st, srv.Stderr())
	}
	logs := srv.Stderr()
	for _, want := range []string{"mockarty started", "shutting down", "mockarty: stopped"} {
		if !strings.Contains(logs, want) {
			t.Errorf("the log does not say %q; stderr:\n%s", want, logs)
		}
	}
	if strings.Contains(logs, "did not finish cleanly") {
		t.Errorf("shutdown was not clean; stderr:\n%s", logs)
	}
}

// runBinary runs the binary to completion with args and env and returns its
// output and exit code. The 60 s limit only guards against a hang.
func runBinary(t *testing.T, dataDir string, env []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binPath, args...)
	cmd.Dir = dataDir
	cmd.Env = childEnv(append([]string{"MOCKARTY_DATA_DIR=" + dataDir, "HTTP_BIND_ADDR=127.0.0.1"}, env...)...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("mockarty %v did not exit (killed); stdout:\n%s\nstderr:\n%s", args, out.String(), errOut.String())
	}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
	default:
		t.Fatalf("run mockarty %v: %v", args, err)
	}
	if strings.Contains(errOut.String(), "WARNING: DATA RACE") {
		t.Errorf("the race detector fired in the mockarty process:\n%s", errOut.String())
	}
	return out.String(), errOut.String(), cmd.ProcessState.ExitCode()
}

func TestBadConfigFailsClearly(t *testing.T) {
	cases := []struct {
		name string
		env  []string
		want []string // all must appear in stderr
	}{
		{"port not a number", []string{"HTTP_PORT=notaport"}, []string{"HTTP_PORT", "notaport"}},
		{"port out of range", []string{"HTTP_PORT=70000"}, []string{"HTTP_PORT", "70000"}},
		{"mysql", []string{"DB_USE=mysql"}, []string{"DB_USE=mysql is not supported"}},
		{"unknown driver", []string{"DB_USE=oracle"}, []string{"DB_USE", "oracle"}},
		{"pg without DSN", []string{"DB_USE=pg"}, []string{"DB_USE=pg needs DB_DSN"}},
		{"body limit", []string{"HTTP_REQUEST_BODY_SIZE_LIMIT_MB=0"}, []string{"HTTP_REQUEST_BODY_SIZE_LIMIT_MB"}},
		{"log level", []string{"LOG_LEVEL=loud"}, []string{"LOG_LEVEL", "loud"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			env := append([]string{"HTTP_PORT=" + strconv.Itoa(freePort(t))}, c.env...)
			_, stderr, code := runBinary(t, t.TempDir(), env)
			if code == 0 {
				t.Fatalf("%v: exit status 0, want a failure; stderr:\n%s", c.env, stderr)
			}
			for _, w := range c.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("%v: stderr does not mention %q:\n%s", c.env, w, stderr)
				}
			}
		})
	}

	t.Run("port in use", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
		_, stderr, code := runBinary(t, t.TempDir(), []string{"HTTP_PORT=" + port})
		if code == 0 {
			t.Fatalf("exit status 0 on a port in use; stderr:\n%s", stderr)
		}
		if !strings.Contains(stderr, "listen on 127.0.0.1:"+port) {
			t.Errorf("stderr does not name the address it could not listen on:\n%s", stderr)
		}
	})
}

func TestOversizeBody(t *testing.T) {
	srv := startServer(t, t.TempDir(), "HTTP_REQUEST_BODY_SIZE_LIMIT_MB=1")

	bigMock := func(size int) []byte {
		head := []byte(`{"id":"big","http":{"route":"/big"},"response":{"payload":"`)
		tail := []byte(`"}}`)
		b := append(head, bytes.Repeat([]byte("x"), size-len(head)-len(tail))...)
		return append(b, tail...)
	}

	// Over a raw connection: the server answers 413 as soon as it has read
	// Content-Length and closes without reading the body, and Go's
	// http.Client then reports the failed body write ("connection reset by
	// peer") instead of the response it was sent.
	r := postRaw(t, srv, "/api/v1/mocks", bigMock(2<<20), "application/json")
	if r.Status != http.StatusRequestEntityTooLarge {
		t.Fatalf("2 MiB body with a 1 MiB limit: status %d, want 413; body: %s", r.Status, r.Body)
	}
	env := obj(t, decode(t, r.Body), "413 body")
	if msg, _ := env["error"].(string); msg == "" {
		t.Errorf("413 body has no error message: %s", r.Body)
	}
	if env["code"] != "payload_too_large" {
		t.Errorf("413 body: code %v, want payload_too_large: %s", env["code"], r.Body)
	}
	rid, _ := env["request_id"].(string)
	if rid == "" {
		t.Errorf("413 body has no request_id: %s", r.Body)
	}
	if h := r.Header.Get("X-Request-Id"); h != rid {
		t.Errorf("413: X-Request-Id header %q, want the body's request_id %q", h, rid)
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("413: Content-Type %q, want application/json", ct)
	}

	// The server keeps working, and a body under the limit is accepted.
	if err := srv.waitReady(20 * time.Second); err != nil {
		t.Fatalf("after the oversize request: %v", err)
	}
	r = srv.do(t, http.MethodPost, "/api/v1/mocks", bigMock(512<<10), "application/json")
	if r.Status != http.StatusCreated {
		t.Fatalf("512 KiB body with a 1 MiB limit: status %d, want 201; body: %.300s", r.Status, r.Body)
	}
}

// postRaw sends one POST over a plain TCP connection, writing the body while
// it reads the response, and returns the response even when the server closed
// the connection before it had read the whole body.
func postRaw(t *testing.T, srv *server, path string, body []byte, contentType string) *response {
	t.Helper()
	addr := strings.TrimPrefix(srv.URL, "http://")
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
	head := fmt.Sprintf("POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: %s\r\nContent-Length: %d\r\nConnection: close\r\n\r\n",
		path, addr, contentType, len(body))
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		// A write error is expected once the server has answered and closed.
		if _, err := conn.Write([]byte(head)); err == nil {
			_, _ = conn.Write(body)
		}
	}()
	defer func() {
		conn.Close()
		wg.Wait()
	}()
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("POST %s: read response: %v", path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("POST %s: read response body: %v", path, err)
	}
	return &response{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

func TestVersionFlag(t *testing.T) {
	stdout, stderr, code := runBinary(t, t.TempDir(), nil, "--version")
	if code != 0 {
		t.Fatalf("--version: exit status %d; stderr:\n%s", code, stderr)
	}
	if !strings.HasPrefix(stdout, "mockarty ") {
		t.Errorf("--version printed %q, want \"mockarty <release>\"", stdout)
	}
}

func TestMigrateFlag(t *testing.T) {
	dir := t.TempDir()
	latest := store.LatestSchemaVersion()
	step := func(arg string, want int) {
		t.Helper()
		stdout, stderr, code := runBinary(t, dir, nil, "--migrate", arg)
		if code != 0 {
			t.Fatalf("--migrate %s: exit status %d; stderr:\n%s", arg, code, stderr)
		}
		if w := fmt.Sprintf("schema version %d (this build: %d)", want, latest); !strings.Contains(stdout, w) {
			t.Errorf("--migrate %s printed %q, want %q", arg, stdout, w)
		}
	}
	step("version", 0) // an empty data folder has no schema yet
	step("up", latest)
	step("version", latest)
	step("up", latest) // nothing left to apply

	_, stderr, code := runBinary(t, dir, nil, "--migrate", "sideways")
	if code == 0 || !strings.Contains(stderr, "use up or version") {
		t.Errorf("--migrate sideways: exit status %d, stderr:\n%s", code, stderr)
	}

	// The migrated folder serves.
	startServer(t, dir)
}

// TestReadmeTour runs the README's 30-second tour against the real binary,
// with the mock JSON taken from the README itself.
func TestReadmeTour(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?s)curl -X POST http://localhost:5770/api/v1/mocks \\\n-H "Content-Type: application/json" \\\n-d '(\{.*?\n\})'`).FindSubmatch(readme)
	if m == nil {
		t.Fatal("the README's Hello World curl command was not found")
	}
	if !strings.Contains(string(readme), "curl http://localhost:5770/stubs/sandbox/api/greeting") {
		t.Fatal("the README no longer calls the stub")
	}
	s := startServer(t, t.TempDir())
	r := s.do(t, http.MethodPost, "/api/v1/mocks", m[1], "application/json")
	if r.Status != http.StatusCreated {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	got := obj(t, s.getJSON(t, "/stubs/sandbox/api/greeting"), "greeting")
	if got["message"] != "Hello, World!" {
		t.Fatalf("stub: %v", got)
	}
	if _, err := time.Parse(time.RFC3339, fmt.Sprint(got["timestamp"])); err != nil {
		t.Fatalf("timestamp %v: %v", got["timestamp"], err)
	}
	// The rest of the tour: patch, store, health.
	s.call(t, http.StatusOK, http.MethodPatch, "/api/v1/mocks/hello-world", []byte(`{"response": {"statusCode": 201}}`))
	if r := s.do(t, http.MethodGet, "/stubs/sandbox/api/greeting", nil, ""); r.Status != 201 {
		t.Fatalf("after patch: %d", r.Status)
	}
	s.call(t, http.StatusOK, http.MethodPost, "/api/v1/stores/global", []byte(`{"key": "totalUsers", "value": 100, "namespace": "sandbox"}`))
	if st := obj(t, s.getJSON(t, "/api/v1/stores/global?namespace=sandbox"), "store"); fmt.Sprint(st["totalUsers"]) != "100" {
		t.Fatalf("store: %v", st)
	}
	if h := obj(t, s.getJSON(t, "/health"), "health"); h["status"] != "up" {
		t.Fatalf("health: %v", h)
	}
}

// TestFullModeFirstAdmin: in full mode the first admin gets a one-time
// password printed once in the log; the API is closed until a login, and
// the password must be changed before anything else.
func TestFullModeFirstAdmin(t *testing.T) {
	dir := t.TempDir()
	s := startServer(t, dir, "AUTH_MODE=full", "AUTH_BCRYPT_COST=4")
	m := regexp.MustCompile(`one-time password.*login=admin password=(\S+)`).FindStringSubmatch(s.Stderr())
	if m == nil {
		t.Fatalf("no one-time password in the log:\n%s", s.Stderr())
	}
	pw := m[1]
	srv := s // the server the helpers talk to
	if r := s.do(t, http.MethodGet, "/api/v1/mocks", nil, ""); r.Status != http.StatusUnauthorized {
		t.Fatalf("without login: %d %s", r.Status, r.Body)
	}
	login := func(pw string) string {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/api/v1/auth/login", strings.NewReader(`{"username":"admin","password":"`+pw+`"}`))
		res, err := srv.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Fatalf("login: %d", res.StatusCode)
		}
		return strings.SplitN(res.Header.Get("Set-Cookie"), ";", 2)[0]
	}
	withCookie := func(cookie, method, path, body string) int {
		t.Helper()
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		req.Header.Set("Cookie", cookie)
		res, err := srv.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	cookie := login(pw)
	if st := withCookie(cookie, http.MethodGet, "/api/v1/mocks", ""); st != http.StatusForbidden {
		t.Fatalf("before changing the one-time password: %d", st)
	}
	if st := withCookie(cookie, http.MethodPost, "/api/v1/auth/change-password",
		`{"currentPassword":"`+pw+`","newPassword":"a-better-password"}`); st != http.StatusOK {
		t.Fatalf("change password: %d", st)
	}
	if st := withCookie(cookie, http.MethodGet, "/api/v1/mocks", ""); st != http.StatusOK {
		t.Fatalf("after the change: %d", st)
	}
	// /stubs stays open.
	if r := s.do(t, http.MethodGet, "/stubs/sandbox/nothing", nil, ""); r.Status != http.StatusNotFound {
		t.Fatalf("stubs: %d", r.Status)
	}
	// The password is printed once: a restart creates no admin and prints none.
	s.kill(t)
	s2 := startServer(t, dir, "AUTH_MODE=full", "AUTH_BCRYPT_COST=4")
	if strings.Contains(s2.Stderr(), "one-time password") || strings.Contains(s2.Stderr(), pw) {
		t.Fatalf("the second start printed a password:\n%s", s2.Stderr())
	}
	srv = s2
	if st := withCookie(login("a-better-password"), http.MethodGet, "/api/v1/auth/me", ""); st != http.StatusOK {
		t.Fatalf("me after restart: %d", st)
	}
	if strings.Contains(s.Stderr()+s2.Stderr(), "$2a$") {
		t.Fatal("a password hash appeared in the log")
	}
}

// TestHostRunsTheHTTPPlugin: the host loads the HTTP listener plugin, a mock
// made through the API answers on the plugin's port, and a host killed with
// SIGKILL leaves no plugin process behind.
func TestHostRunsTheHTTPPlugin(t *testing.T) {
	pluginDir := t.TempDir()
	build := exec.Command("go", "build", "-o", filepath.Join(pluginDir, "mockarty-plugin-http"), ".")
	build.Dir = filepath.Join("..", "..", "..", "plugins", "http")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build the http plugin: %v\n%s", err, out)
	}
	data := t.TempDir()
	listen := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	cfg := fmt.Sprintf(`{"http": {"settings": {"addresses": [%q], "namespace": "sandbox"}}}`, listen)
	if err := os.WriteFile(filepath.Join(data, "plugins.json"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	s := startServer(t, data, "PLUGINS_DIR="+pluginDir)
	s.call(t, http.StatusCreated, http.MethodPost, "/api/v1/mocks", []byte(`{"id":"p1","http":{"route":"/hello/:name","httpMethod":"GET"},
"response":{"statusCode":200,"payload":{"hi":"$.pathParam.name"}}}`))

	var pid int
	plugintest.Eventually(t, 60*time.Second, func() bool { // a bound for a loaded machine, not a speed
		ps := list(t, obj(t, s.getJSON(t, "/api/v1/plugins"), "plugins")["plugins"], "plugins")
		if len(ps) != 1 {
			return false
		}
		p := obj(t, ps[0], "plugin")
		if p["state"] != "running" {
			return false
		}
		addrs := list(t, p["addresses"], "addresses")
		if p["name"] != "http" || p["kind"] != "listener" || len(addrs) != 1 || addrs[0] != listen {
			t.Fatalf("plugin status: %v", p)
		}
		pid = int(num(t, p["pid"], "pid"))
		return true
	}, "the http plugin to run")
	res, err := http.Get("http://" + listen + "/hello/ann")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || string(b) != `{"hi":"ann"}` {
		t.Fatalf("mock through the plugin: %d %s", res.StatusCode, b)
	}
	s.call(t, http.StatusNotFound, http.MethodPost, "/api/v1/plugins/nope/restart", nil)

	// SIGKILL the plugin: /stubs keeps serving, and the plugin comes back.
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if got := obj(t, s.getJSON(t, "/stubs/sandbox/hello/bob"), "stub"); got["hi"] != "bob" {
		t.Fatalf("/stubs while the plugin restarts: %v", got)
	}
	plugintest.Eventually(t, 20*time.Second, func() bool {
		p := obj(t, list(t, obj(t, s.getJSON(t, "/api/v1/plugins"), "plugins")["plugins"], "plugins")[0], "plugin")
		if p["state"] != "running" || int(num(t, p["pid"], "pid")) == pid {
			return false
		}
		if num(t, p["restarts"], "restarts") < 1 {
			t.Fatalf("restarts: %v", p)
		}
		pid = int(num(t, p["pid"], "pid"))
		return true
	}, "the plugin to come back")
	if res, err := http.Get("http://" + listen + "/hello/eve"); err != nil || res.StatusCode != 200 {
		t.Fatalf("the restarted plugin serves: %v %v", res, err)
	} else {
		res.Body.Close()
	}

	// Kill the host: the plugin dies with it.
	s.kill(t)
	// Kill the plugin left behind if the check fails, so it outlives no test.
	defer func() { _ = syscall.Kill(pid, syscall.SIGKILL) }()
	plugintest.Eventually(t, 10*time.Second, func() bool { return syscall.Kill(pid, 0) != nil }, "plugin %d to die with the host", pid)
}
