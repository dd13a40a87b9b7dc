package plugintest

// End-to-end harness: the real host binary loads real plugin binaries, both
// built once per test binary, so a plugin's tests drive its protocol with a
// real client against what users run.

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
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
	// test) and its settings object.
	Plugins map[string]PluginSpec
	// Env adds variables to the host's environment (NAME=value).
	Env []string
}

// PluginSpec is one plugin for StartHost.
type PluginSpec struct {
	Dir      string
	Settings string // a JSON object, "" for none
}

// HostProc is a running host.
type HostProc struct {
	URL    string
	stderr *SyncBuffer
}

// Stderr is what the host (and its plugins) wrote so far.
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
// with an empty data folder, and waits until every plugin is running. The
// host is killed when the test ends; a data race reported by a plugin
// fails the test.
func StartHost(t testing.TB, o HostOptions) *HostProc {
	t.Helper()
	root, err := repoRoot()
	if err != nil {
		t.Fatal(err)
	}
	hostBin := build(t, filepath.Join(root, "host", "cmd", "mockarty"), "mockarty", false)
	binDir := filepath.Dir(hostBin)
	data := t.TempDir()
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
	b, _ := json.Marshal(cfg)
	if err := os.WriteFile(filepath.Join(data, "plugins.json"), b, 0o644); err != nil {
		t.Fatal(err)
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
		"AUTH_MODE=local", "PLUGINS="+strings.Join(names, ","), "PLUGINS_DIR="+binDir,
		"PLUGINS_CONFIG="+filepath.Join(data, "plugins.json"), "LOG_LEVEL=warn")
	cmd.Env = append(cmd.Env, o.Env...)
	h := &HostProc{URL: "http://127.0.0.1:" + strconv.Itoa(port), stderr: &SyncBuffer{}}
	cmd.Stderr, cmd.Stdout = h.stderr, io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-done
		if strings.Contains(h.stderr.String(), "WARNING: DATA RACE") {
			t.Errorf("the race detector fired:\n%s", h.stderr.String())
		}
		if t.Failed() {
			t.Logf("host stderr:\n%s", h.stderr.String())
		}
	})
	deadline := time.Now().Add(90 * time.Second)
	for {
		select {
		case <-done:
			t.Fatalf("the host exited:\n%s", h.stderr.String())
		default:
		}
		ready := true
		for _, name := range names {
			if p := h.plugin(name); p == nil || p["state"] != "running" {
				ready = false
			}
		}
		if ready {
			return h
		}
		if time.Now().After(deadline) {
			t.Fatalf("the plugins never ran: %s\n%s", h.Get(t, "/api/v1/plugins", 0), h.stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
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
	res, err := http.Get(h.URL + "/api/v1/plugins")
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
	if want != 0 && res.StatusCode != want {
		t.Fatalf("%s %s: %d %s", method, path, res.StatusCode, b)
	}
	return b
}

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
