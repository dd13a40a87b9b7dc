package main

// End-to-end tests: TestMain builds the real server (../mockarty) and this
// CLI once, starts one server on a free loopback port with its own data
// folder and no plugins, and the tests run the CLI as a subprocess against
// it, each in its own namespace and with its own $HOME. Effects are
// checked over plain HTTP (the API and /stubs), not through the CLI.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mockarty-oss/mockarty/sdk/plugintest"
)

// testRelease is the release id the CLI under test is built with.
const testRelease = "e2e-cli-1.2.3"

var (
	serverBin string  // the mockarty server built by TestMain
	cliBin    string  // mockarty-cli built by TestMain
	srv       *server // the shared server
)

func TestMain(m *testing.M) { os.Exit(testMain(m)) }

func testMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "mockarty-cli-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e: create temp dir:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	serverBin = filepath.Join(dir, "mockarty")
	cliBin = filepath.Join(dir, "mockarty-cli")
	builds := []struct{ out, pkg, ldflags string }{
		{serverBin, "../mockarty", ""},
		{cliBin, ".", "-X main.releaseID=" + testRelease},
	}
	for _, b := range builds {
		args := []string{"build", "-o", b.out}
		if plugintest.RaceEnabled() {
			// Run the binaries under the race detector too when the tests are.
			args = append(args, "-race")
		}
		if b.ldflags != "" {
			args = append(args, "-ldflags", b.ldflags)
		}
		args = append(args, b.pkg)
		if out, err := exec.Command("go", args...).CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "e2e: go %s: %v\n%s\n", strings.Join(args, " "), err, out)
			return 1
		}
	}
	data := filepath.Join(dir, "data")
	noPlugins := filepath.Join(dir, "no-plugins")
	for _, d := range []string{data, noPlugins} {
		if err := os.Mkdir(d, 0o755); err != nil {
			fmt.Fprintln(os.Stderr, "e2e:", err)
			return 1
		}
	}
	srv, err = startServer(data, "PLUGINS=none", "PLUGINS_DIR="+noPlugins)
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	code := m.Run()
	srv.stop()
	if strings.Contains(srv.stderr.String(), "WARNING: DATA RACE") {
		fmt.Fprintf(os.Stderr, "e2e: the race detector fired in the server:\n%s\n", srv.stderr.String())
		code = 1
	}
	if code != 0 && srv.stderr.String() != "" {
		fmt.Fprintf(os.Stderr, "e2e: server stderr:\n%s\n", srv.stderr.String())
	}
	return code
}

// ---------------------------------------------------------------------------
// The server

// serverVars are variables the server reads (with AUTH_* and FIRST_ADMIN_*);
// the caller's values are not passed on, so a developer's shell cannot
// change what the tests see.
var serverVars = map[string]bool{
	"HTTP_BIND_ADDR": true, "HTTP_PORT": true, "HTTP_REQUEST_BODY_SIZE_LIMIT_MB": true,
	"HTTP_KEEP_ALIVE_TIMEOUT": true, "SHUTDOWN_TIMEOUT": true, "MOCKARTY_DATA_DIR": true,
	"DB_USE": true, "DB_DSN": true, "DB_ENABLE_VERSIONING": true, "TEMPLATES_DIR": true,
	"REPO_LOG_LIMIT": true, "LOG_LEVEL": true, "LOG_FORMAT": true, "ENV": true,
	"PLUGINS": true, "PLUGINS_DIR": true, "PLUGINS_CONFIG": true, "ALLOW_PROXY_TO_PRIVATE_IPS": true,
}

// server is the running mockarty process.
type server struct {
	URL    string
	cmd    *exec.Cmd
	stderr *plugintest.SyncBuffer
	client *http.Client
	done   chan struct{}
}

func (s *server) stop() {
	_ = s.cmd.Process.Kill()
	<-s.done
	s.client.CloseIdleConnections()
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	port := ln.Addr().(*net.TCPAddr).Port
	return port, ln.Close()
}

// startServer starts the server on dataDir and waits until it is ready.
func startServer(dataDir string, env ...string) (*server, error) {
	for attempt := 1; ; attempt++ {
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		cmd := exec.Command(serverBin)
		cmd.Dir = dataDir
		for _, kv := range os.Environ() {
			if k, _, _ := strings.Cut(kv, "="); !serverVars[k] && !strings.HasPrefix(k, "AUTH_") && !strings.HasPrefix(k, "FIRST_ADMIN_") {
				cmd.Env = append(cmd.Env, kv)
			}
		}
		cmd.Env = append(cmd.Env, "LOG_LEVEL=warn", "MOCKARTY_DATA_DIR="+dataDir, "HTTP_BIND_ADDR=127.0.0.1",
			"HTTP_PORT="+strconv.Itoa(port))
		cmd.Env = append(cmd.Env, env...)
		s := &server{URL: "http://127.0.0.1:" + strconv.Itoa(port), cmd: cmd, stderr: &plugintest.SyncBuffer{},
			client: &http.Client{Timeout: 30 * time.Second}, done: make(chan struct{})}
		cmd.Stderr, cmd.Stdout = s.stderr, s.stderr
		if err := cmd.Start(); err != nil {
			return nil, err
		}
		go func() { _ = cmd.Wait(); close(s.done) }()
		err = s.waitReady(30 * time.Second)
		if err == nil {
			return s, nil
		}
		s.stop()
		if attempt < 3 && strings.Contains(s.stderr.String(), "address already in use") {
			continue // another process took the port between freePort and listen
		}
		return nil, fmt.Errorf("the server did not become ready at %s: %v\n%s", s.URL, err, s.stderr.String())
	}
}

// waitReady polls with a loop of its own, not Eventually: TestMain starts
// the server with no testing.TB, and the caller retries on a taken port.
func (s *server) waitReady(limit time.Duration) error {
	deadline := time.Now().Add(limit)
	last := "no answer yet"
	for time.Now().Before(deadline) {
		select {
		case <-s.done:
			return errors.New("the process exited")
		default:
		}
		resp, err := s.client.Get(s.URL + "/health/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			last = resp.Status
		} else {
			last = err.Error()
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("not ready after %v (last: %s)", limit, last)
}

// api sends a request straight to the server (not through the CLI).
func api(t *testing.T, method, path string, body string) (int, []byte) {
	t.Helper()
	var rdr io.Reader
	if body != "" {
		rdr = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, srv.URL+path, rdr)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := srv.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b
}

// apiJSON GETs path, wants 200 and decodes the body.
func apiJSON(t *testing.T, path string) any {
	t.Helper()
	status, b := api(t, http.MethodGet, path, "")
	if status != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, status, b)
	}
	return decodeJSON(t, b)
}

func decodeJSON(t *testing.T, b []byte) any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, b)
	}
	return v
}

// stub calls a mock through /stubs.
func stub(t *testing.T, ns, path string) (int, []byte) {
	t.Helper()
	return api(t, http.MethodGet, "/stubs/"+ns+path, "")
}

// ---------------------------------------------------------------------------
// Running the CLI

type cliResult struct {
	Stdout, Stderr string
	Code           int
}

func (r cliResult) String() string {
	return fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s", r.Code, r.Stdout, r.Stderr)
}

// cliOpts tune one CLI run.
type cliOpts struct {
	home   string   // $HOME; a fresh temp dir when empty
	env    []string // extra KEY=VALUE
	stdin  string
	server string // MOCKARTY_SERVER; the shared server when empty, unset when "-"
}

// cliVars are the CLI's own variables: never inherited from the caller.
var cliVars = map[string]bool{"HOME": true, "GORACE": true, envServer: true, envToken: true, envNamespace: true}

func runCLI(t *testing.T, o cliOpts, args ...string) cliResult {
	t.Helper()
	if o.home == "" {
		o.home = t.TempDir()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute) // a guard against hanging only
	defer cancel()
	cmd := exec.CommandContext(ctx, cliBin, args...)
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); !cliVars[k] {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "HOME="+o.home)
	if plugintest.RaceEnabled() {
		// The race runtime sleeps a second at exit by default; the CLI runs
		// hundreds of times here.
		cmd.Env = append(cmd.Env, "GORACE="+strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=0"))
	}
	switch o.server {
	case "":
		cmd.Env = append(cmd.Env, envServer+"="+srv.URL)
	case "-":
	default:
		cmd.Env = append(cmd.Env, envServer+"="+o.server)
	}
	cmd.Env = append(cmd.Env, o.env...)
	cmd.Stdin = strings.NewReader(o.stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		code = exit.ExitCode()
	case err != nil:
		t.Fatalf("run mockarty-cli %s: %v", strings.Join(args, " "), err)
	}
	if strings.Contains(stderr.String(), "WARNING: DATA RACE") {
		t.Errorf("the race detector fired in mockarty-cli %s:\n%s", strings.Join(args, " "), stderr.String())
	}
	return cliResult{Stdout: stdout.String(), Stderr: stderr.String(), Code: code}
}

// cli runs the CLI against the shared server with a fresh $HOME.
func cli(t *testing.T, args ...string) cliResult {
	t.Helper()
	return runCLI(t, cliOpts{}, args...)
}

// ok runs the CLI and fails the test unless it exits 0.
func ok(t *testing.T, args ...string) string {
	t.Helper()
	return okWith(t, cliOpts{}, args...)
}

func okWith(t *testing.T, o cliOpts, args ...string) string {
	t.Helper()
	r := runCLI(t, o, args...)
	if r.Code != 0 {
		t.Fatalf("mockarty-cli %s: %s", strings.Join(args, " "), r)
	}
	return r.Stdout
}

// fails runs the CLI and wants the exit code code.
func fails(t *testing.T, code int, args ...string) cliResult {
	t.Helper()
	r := cli(t, args...)
	if r.Code != code {
		t.Fatalf("mockarty-cli %s: want exit %d; %s", strings.Join(args, " "), code, r)
	}
	return r
}

// okJSON runs the CLI with -o json and decodes what it printed.
func okJSON(t *testing.T, args ...string) any {
	t.Helper()
	return decodeJSON(t, []byte(ok(t, append(args, "-o", "json")...)))
}

func obj(t *testing.T, v any) map[string]any {
	t.Helper()
	m, isObj := v.(map[string]any)
	if !isObj {
		t.Fatalf("want a JSON object, got %T: %v", v, v)
	}
	return m
}

func list(t *testing.T, v any) []any {
	t.Helper()
	l, isList := v.([]any)
	if !isList {
		t.Fatalf("want a JSON array, got %T: %v", v, v)
	}
	return l
}

// ids are the "id" fields of a list of objects.
func ids(t *testing.T, v any) []string {
	t.Helper()
	var out []string
	for _, x := range list(t, v) {
		out = append(out, fmt.Sprint(obj(t, x)["id"]))
	}
	return out
}

func has(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// tableHas reports whether some line of a table holds every one of cells
// as a whole word.
func tableHas(out string, cells ...string) bool {
	for _, line := range strings.Split(out, "\n") {
		fields := strings.Fields(line)
		all := true
		for _, c := range cells {
			if !has(fields, c) {
				all = false
				break
			}
		}
		if all {
			return true
		}
	}
	return false
}
