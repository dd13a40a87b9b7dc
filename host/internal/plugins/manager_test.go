package plugins

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/mockarty-oss/mockarty/sdk"
	"github.com/mockarty-oss/mockarty/sdk/find"
	"github.com/mockarty-oss/mockarty/sdk/pluginhost"
	"github.com/mockarty-oss/mockarty/sdk/plugintest"
)

var binDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "mockarty-plugins-")
	if err != nil {
		panic(err)
	}
	binDir = dir
	builds := map[string]string{
		"http":     "../../../plugins/http",
		"crasher":  "./testdata/crasher",
		"oldproto": "./testdata/oldproto",
		"lines":    "../../../examples/plugin-lines", // its own module, outside the workspace
	}
	for name, src := range builds {
		out := filepath.Join(dir, BinaryPrefix+name)
		cmd := exec.Command("go", "build", "-o", out, ".")
		cmd.Dir = src
		if name == "lines" {
			cmd.Env = append(os.Environ(), "GOWORK=off")
		}
		if b, err := cmd.CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "build %s: %v\n%s", name, err, b)
			os.RemoveAll(dir)
			os.Exit(1)
		}
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// answering is a host that finds one HTTP mock.
func answering() *plugintest.FakeHost {
	return &plugintest.FakeHost{FindHTTPFunc: func(context.Context, *find.HTTPRequest) (*find.HTTPResponse, error) {
		return &find.HTTPResponse{Found: true, MockID: "m", StatusCode: 200, Body: json.RawMessage(`{"ok":true}`)}, nil
	}}
}

func newManager(t *testing.T, host pluginhost.Finder) *Manager {
	t.Helper()
	m := New(Options{Finder: host, HealthInterval: 200 * time.Millisecond, MaxRestarts: 3, CrashWindow: time.Minute,
		BackoffMin: 20 * time.Millisecond, BackoffMax: 100 * time.Millisecond})
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		m.Stop(ctx)
	})
	return m
}

// waitFor is the status of plugin name once it satisfies cond.
func waitFor(t *testing.T, m *Manager, name string, cond func(Status) bool) Status {
	t.Helper()
	var st Status
	plugintest.EventuallyNoError(t, 20*time.Second, func() error {
		for _, s := range m.List() {
			if s.Name == name && cond(s) {
				st = s
				return nil
			}
		}
		return fmt.Errorf("now %+v", m.List())
	}, "plugin %s to reach the state", name)
	return st
}

func get(addr string) (int, string, error) {
	res, err := http.Get("http://" + addr + "/anything")
	if err != nil {
		return 0, "", err
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b), nil
}

func TestRunsRestartsAfterSIGKILL(t *testing.T) {
	found, err := Discover(binDir)
	if err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	specs := Select(found, "http", FileConfig{"http": {Settings: json.RawMessage(fmt.Sprintf(`{"addresses":[%q]}`, addr))}})
	if len(specs) != 1 || specs[0].Name != "http" {
		t.Fatalf("selecting a subset: %+v", specs)
	}
	m := newManager(t, answering())
	m.Start(specs)
	st := waitFor(t, m, "http", func(s Status) bool { return s.State == StateRunning })
	if st.Kind != sdk.KindListener || st.Version == "" || st.PID == 0 || len(st.Addresses) != 1 || st.Addresses[0] != addr {
		t.Fatalf("status: %+v", st)
	}
	if code, body, err := get(addr); err != nil || code != 200 || body != `{"ok":true}` {
		t.Fatalf("serving: %d %q %v", code, body, err)
	}
	// SIGKILL the plugin: it is restarted and serves again.
	if err := syscall.Kill(st.PID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	st2 := waitFor(t, m, "http", func(s Status) bool { return s.State == StateRunning && s.PID != st.PID })
	if st2.Restarts < 1 {
		t.Fatalf("restarts: %+v", st2)
	}
	if code, _, err := get(addr); err != nil || code != 200 {
		t.Fatalf("serving after the restart: %d %v", code, err)
	}
	// A requested restart also brings it back.
	if err := m.Restart("http"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, m, "http", func(s Status) bool { return s.State == StateRunning && s.PID != st2.PID })
	if err := m.Restart("nope"); err == nil {
		t.Fatal("restarting an unknown plugin must fail")
	}
}

// TestStopsInReverseOrder: plugins start in name order and stop one by
// one in the reverse order, each gracefully.
func TestStopsInReverseOrder(t *testing.T) {
	found, err := Discover(binDir)
	if err != nil {
		t.Fatal(err)
	}
	specs := Select(found, "lines,http", FileConfig{
		"http":  {Settings: json.RawMessage(fmt.Sprintf(`{"addresses":[%q]}`, freeAddr(t)))},
		"lines": {Settings: json.RawMessage(fmt.Sprintf(`{"address":%q}`, freeAddr(t)))},
	})
	logs := &plugintest.SyncBuffer{}
	m := New(Options{Finder: answering(), Logger: hclog.New(&hclog.LoggerOptions{Output: logs, Level: hclog.Debug})})
	m.Start(specs)
	for _, name := range []string{"http", "lines"} {
		waitFor(t, m, name, func(s Status) bool { return s.State == StateRunning })
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	m.Stop(ctx)
	out := logs.String()
	first, second := strings.Index(out, "plugin stopped: plugin=lines"), strings.Index(out, "plugin stopped: plugin=http")
	if first < 0 || second < 0 || first > second {
		t.Fatalf("want lines stopped before http (the reverse of the start order):\n%s", out)
	}
	for _, s := range m.List() {
		if s.State != StateStopped || s.PID != 0 {
			t.Fatalf("after Stop: %+v", s)
		}
	}
}

func TestCrashLoopIsGivenUp(t *testing.T) {
	found, _ := Discover(binDir)
	m := newManager(t, answering())
	m.Start(Select(found, "crasher", nil))
	st := waitFor(t, m, "crasher", func(s Status) bool { return s.State == StateFailed })
	if st.Restarts != 3 || st.LastError == "" {
		t.Fatalf("gave up after the cap: %+v", st)
	}
}

func TestRefusals(t *testing.T) {
	found, _ := Discover(binDir)
	m := newManager(t, answering())
	m.Start(Select(found, "oldproto,http,missing", FileConfig{"http": {Settings: json.RawMessage(`{"addresses":"not-a-list"}`)}}))
	old := waitFor(t, m, "oldproto", func(s Status) bool { return s.State == StateRefused })
	if !strings.Contains(old.LastError, "protocol version") {
		t.Fatalf("wrong protocol version: %+v", old)
	}
	bad := waitFor(t, m, "http", func(s Status) bool { return s.State == StateRefused })
	if !strings.Contains(bad.LastError, "invalid settings") || !strings.Contains(bad.LastError, "addresses") {
		t.Fatalf("invalid settings: %+v", bad)
	}
	missing := waitFor(t, m, "missing", func(s Status) bool { return s.State == StateRefused })
	if !strings.Contains(missing.LastError, "no binary") {
		t.Fatalf("missing: %+v", missing)
	}
	if bad.PID != 0 || old.PID != 0 {
		t.Fatalf("refused plugins leave no process: %+v %+v", bad, old)
	}
}

func TestSHA256Pin(t *testing.T) {
	found, _ := Discover(binDir)
	m := newManager(t, answering())
	m.Start(Select(found, "http", FileConfig{"http": {SHA256: strings.Repeat("0", 64),
		Settings: json.RawMessage(fmt.Sprintf(`{"addresses":[%q]}`, freeAddr(t)))}}))
	st := waitFor(t, m, "http", func(s Status) bool { return s.State == StateRefused })
	if !strings.Contains(st.LastError, "sha256") {
		t.Fatalf("pin: %+v", st)
	}
}
