package plugintest

// End-to-end harness: the real host binary loads real plugin binaries, both
// built once per test binary, so a plugin's tests drive its protocol with a
// real client against what users run.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// HostOptions says what StartHost runs.
type HostOptions struct {
	// Plugins maps a plugin name to the folder of its main package
	// (relative to the test's working folder, "." for the plugin under
	// test) and its settings object. Several plugins run side by side;
	// none runs the host without plugins (PLUGINS=none).
	Plugins map[string]PluginSpec
	// Env adds variables to the host's environment (NAME=value). They come
	// after StartHost's own, so they win: LOG_LEVEL=debug, say, shows
	// what a plugin logs at debug.
	Env []string
	// DataDir, when set, is the host's data folder (else a new temporary
	// one): a second host started on it finds what the first stored.
	DataDir string
	// Admin, when its Login is set, runs the host with access control
	// (AUTH_MODE=full) and this first administrator (FIRST_ADMIN_LOGIN,
	// FIRST_ADMIN_PASSWORD: 8 characters at least). StartHost logs in as
	// the administrator to see the plugins run, and Plugin and Addresses
	// use that session; Do, Get and Post send no credentials, so the test
	// logs in, or makes a token, itself.
	Admin Admin
}

// Admin is the first administrator of a host with access control.
type Admin struct {
	Login, Password string
}

// PluginSpec is one plugin for StartHost.
type PluginSpec struct {
	Dir      string
	Settings string // a JSON object, "" for none
}

// HostProc is a running host.
type HostProc struct {
	// URL is the host's base URL (http://127.0.0.1:port).
	URL string
	// DataDir is the host's data folder, which holds the plugins file
	// (plugins.json) the host reads at a plugin's restart and writes when
	// a plugin's settings change through the API.
	DataDir string
	stderr  *SyncBuffer
	stop    func()
	cookie  string // the administrator's session (Admin), for Plugin
}

// Stderr is what the host (and its plugins) wrote so far. When the test
// binary runs with -race the host logs at debug: go-plugin relays a
// plugin's own stderr lines (a race report) at that level only.
func (h *HostProc) Stderr() string { return h.stderr.String() }

var (
	buildMu   sync.Mutex
	built     = map[string]string{} // key -> binary path
	buildDir  string
	buildDirE error
)

// hostVars are the variables the host reads: the caller's are not passed
// on, so a developer's shell cannot change what the test sees.
var hostVars = []string{"HTTP_", "MOCKARTY_", "DB_", "TEMPLATES_DIR", "REPO_LOG_LIMIT", "LOG_", "ENV=", "AUTH_",
	"COOKIE_", "FIRST_ADMIN_", "PLUGINS", "SHUTDOWN_TIMEOUT"}

// repoRoot is the folder holding go.work, above the working folder.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.work")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.work above the working folder")
		}
		dir = parent
	}
}

// binFolder is one temporary folder per test binary holding the builds.
func binFolder() (string, error) {
	if buildDir == "" && buildDirE == nil {
		buildDir, buildDirE = os.MkdirTemp("", "mockarty-e2e-")
	}
	return buildDir, buildDirE
}

// build compiles a main package once per test binary.
func build(t testing.TB, dir, out string, race bool) string {
	t.Helper()
	buildMu.Lock()
	defer buildMu.Unlock()
	abs, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	key := abs + "|" + out
	if p, ok := built[key]; ok {
		return p
	}
	bin, err := binFolder()
	if err != nil {
		t.Fatal(err)
	}
	target := filepath.Join(bin, out)
	args := []string{"build", "-o", target}
	if race {
		args = append(args, "-race")
	}
	cmd := exec.Command("go", append(args, ".")...)
	cmd.Dir = abs
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build %s: %v\n%s", dir, err, b)
	}
	built[key] = target
	return target
}

// Cleanup removes the built binaries; call it from TestMain after m.Run.
func Cleanup() {
	buildMu.Lock()
	defer buildMu.Unlock()
	if buildDir != "" {
		_ = os.RemoveAll(buildDir)
	}
}

// StartHost builds the host and the plugins, runs the host on a free port
// with an empty data folder, and waits until it is ready and every plugin
// is running (a refused plugin fails the test at once). When the test
// ends the host is interrupted (as Ctrl-C stops it: its plugins shut down
// too) and killed if it has not exited within 15 s; a data race reported
// by the host or a plugin fails the test.
func StartHost(t testing.TB, o HostOptions) *HostProc {
	t.Helper()
	root, err := repoRoot()
	if err != nil {
		t.Fatal(err)
	}
	hostBin := build(t, filepath.Join(root, "host", "cmd", "mockarty"), "mockarty", false)
	binDir := filepath.Dir(hostBin)
	data := o.DataDir
	if data == "" {
		data = t.TempDir()
	}
	cfg := map[string]json.RawMessage{}
	var names []string
	for name, p := range o.Plugins {
		build(t, p.Dir, "mockarty-plugin-"+name, RaceEnabled())
		names = append(names, name)
		s := p.Settings
		if s == "" {
			s = "{}"
		}
		cfg[name] = json.RawMessage(`{"settings": ` + s + `}`)
	}
	sort.Strings(names)
	b, _ := json.Marshal(cfg)
	if err := os.WriteFile(filepath.Join(data, "plugins.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	plugins := strings.Join(names, ",")
	if plugins == "" {
		// An empty list loads every plugin of PLUGINS_DIR, which holds
		// whatever this test binary built.
		plugins = "none"
	}
	logLevel := "warn"
	if RaceEnabled() {
		logLevel = "debug" // where a plugin's race report is relayed
	}
	port := FreePort(t)
	cmd := exec.Command(hostBin)
	cmd.Dir = data
	for _, kv := range os.Environ() {
		keep := true
		for _, p := range hostVars {
			if strings.HasPrefix(kv, p) {
				keep = false
			}
		}
		if keep {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "MOCKARTY_DATA_DIR="+data, "HTTP_BIND_ADDR=127.0.0.1", "HTTP_PORT="+strconv.Itoa(port),
		"AUTH_MODE=local", "PLUGINS="+plugins, "PLUGINS_DIR="+binDir,
		"PLUGINS_CONFIG="+filepath.Join(data, "plugins.json"), "LOG_LEVEL="+logLevel)
	if o.Admin.Login != "" {
		cmd.Env = append(cmd.Env, "AUTH_MODE=full", "FIRST_ADMIN_LOGIN="+o.Admin.Login, "FIRST_ADMIN_PASSWORD="+o.Admin.Password)
	}
	cmd.Env = append(cmd.Env, o.Env...)
	h := &HostProc{URL: "http://127.0.0.1:" + strconv.Itoa(port), DataDir: data, stderr: &SyncBuffer{}}
	cmd.Stderr, cmd.Stdout = h.stderr, io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	var once sync.Once
	h.stop = func() {
		once.Do(func() {
			_ = cmd.Process.Signal(os.Interrupt)
			select {
			case <-done:
			case <-time.After(15 * time.Second):
				_ = cmd.Process.Kill()
				<-done
			}
		})
	}
	t.Cleanup(func() {
		h.stop()
		if strings.Contains(h.stderr.String(), "WARNING: DATA RACE") {
			t.Errorf("the race detector fired:\n%s", h.stderr.String())
		}
		if t.Failed() {
			t.Logf("host stderr:\n%s", h.stderr.String())
		}
	})
	up := false
	EventuallyNoError(t, 90*time.Second, func() error {
		select {
		case <-done:
			t.Fatalf("the host exited:\n%s", h.stderr.String())
		default:
		}
		if !up {
			res, err := http.Get(h.URL + "/health/ready")
			if err != nil {
				return err
			}
			res.Body.Close()
			if res.StatusCode != http.StatusOK {
				return fmt.Errorf("/health/ready: %d", res.StatusCode)
			}
			up = true
			if o.Admin.Login != "" {
				h.login(t, o.Admin)
			}
		}
		for _, name := range names {
			p := h.plugin(name)
			if p == nil {
				return fmt.Errorf("plugin %s is not listed", name)
			}
			if p["state"] == "refused" {
				t.Fatalf("plugin %s was refused: %v", name, p["lastError"])
			}
			if p["state"] != "running" {
				return fmt.Errorf("plugin %s: %v", name, p)
			}
		}
		return nil
	}, "the host ready and its plugins %v running; host stderr:\n%s", names, h.stderr)
	return h
}

// login keeps a session of the administrator for plugin.
func (h *HostProc) login(t testing.TB, a Admin) {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"username": a.Login, "password": a.Password})
	res, err := http.Post(h.URL+"/api/v1/auth/login", "application/json", strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("log in as %s: %d %s", a.Login, res.StatusCode, b)
	}
	var jar []string
	for _, c := range res.Cookies() {
		if c.Value != "" {
			jar = append(jar, c.Name+"="+c.Value)
		}
	}
	if len(jar) == 0 {
		t.Fatalf("log in as %s: no session cookie", a.Login)
	}
	h.cookie = strings.Join(jar, "; ")
}

// Plugin is a plugin's entry of GET /api/v1/plugins (nil if absent).
func (h *HostProc) Plugin(t testing.TB, name string) map[string]any {
	t.Helper()
	p := h.plugin(name)
	if p == nil {
		t.Fatalf("plugin %s is not listed: %s", name, h.Get(t, "/api/v1/plugins", 0))
	}
	return p
}

// Addresses are what a plugin listens on.
func (h *HostProc) Addresses(t testing.TB, name string) []string {
	t.Helper()
	var out []string
	list, _ := h.Plugin(t, name)["addresses"].([]any)
	for _, a := range list {
		if s, ok := a.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

func (h *HostProc) plugin(name string) map[string]any {
	req, err := http.NewRequest(http.MethodGet, h.URL+"/api/v1/plugins", nil)
	if err != nil {
		return nil
	}
	if h.cookie != "" {
		req.Header.Set("Cookie", h.cookie)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil
	}
	defer res.Body.Close()
	var v struct {
		Plugins []map[string]any `json:"plugins"`
	}
	if json.NewDecoder(res.Body).Decode(&v) != nil {
		return nil
	}
	for _, p := range v.Plugins {
		if p["name"] == name {
			return p
		}
	}
	return nil
}

// Do sends a JSON body to the host and checks the status when want is not 0.
func (h *HostProc) Do(t testing.TB, method, path, body string, want int) []byte {
	t.Helper()
	return h.DoType(t, method, path, "application/json", body, want)
}

// DoType is Do with a content type.
func (h *HostProc) DoType(t testing.TB, method, path, contentType, body string, want int) []byte {
	t.Helper()
	status, b := h.Request(t, method, path, contentType, body)
	if want != 0 && status != want {
		t.Fatalf("%s %s: %d %s", method, path, status, b)
	}
	return b
}

// Request sends a body of the content type (none when body is "") to the
// host and returns the status and the answer, for a test that checks the
// status itself.
func (h *HostProc) Request(t testing.TB, method, path, contentType, body string) (int, []byte) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, h.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", contentType)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, b
}

// Metric is the value of an unlabelled metric in the host's /metrics; the
// test fails when there is none.
func (h *HostProc) Metric(t testing.TB, name string) float64 {
	t.Helper()
	for _, line := range strings.Split(string(h.Get(t, "/metrics", http.StatusOK)), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil {
				t.Fatalf("metric %s: %v", name, err)
			}
			return f
		}
	}
	t.Fatalf("no metric %s in /metrics", name)
	return 0
}

// CLI runs mockarty-cli (built once per test binary) against the host,
// in its sandbox namespace, with a fresh home folder: the exit code,
// standard output and standard error.
func (h *HostProc) CLI(t testing.TB, args ...string) (int, string, string) {
	t.Helper()
	root, err := repoRoot()
	if err != nil {
		t.Fatal(err)
	}
	bin := build(t, filepath.Join(root, "host", "cmd", "mockarty-cli"), "mockarty-cli", false)
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir(), "MOCKARTY_SERVER="+h.URL, "MOCKARTY_NAMESPACE=sandbox", "MOCKARTY_TOKEN=")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		return exit.ExitCode(), stdout.String(), stderr.String()
	case err != nil:
		t.Fatal(err)
	}
	return 0, stdout.String(), stderr.String()
}

// Stop stops the host as Ctrl-C does and waits for it to exit (at most
// 15 s, then it is killed); the test's end does it too.
func (h *HostProc) Stop() { h.stop() }

// Get is Do with GET.
func (h *HostProc) Get(t testing.TB, path string, want int) []byte {
	t.Helper()
	return h.Do(t, http.MethodGet, path, "", want)
}

// Post is Do with POST.
func (h *HostProc) Post(t testing.TB, path, body string, want int) []byte {
	t.Helper()
	return h.Do(t, http.MethodPost, path, body, want)
}

// MissingClient stops a test that drives a third-party client which is not
// installed (`make clients` installs them): it fails under CI (CI=true),
// where the client must be there, and skips elsewhere.
func MissingClient(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...) + " (make clients installs it)"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}
