package plugins

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mockarty-oss/mockarty/sdk"
)

// settingsManager runs the HTTP plugin with the settings of the plugins
// file it writes (beside another plugin's entry, which must survive).
func settingsManager(t *testing.T, settings string) (*Manager, string) {
	t.Helper()
	cfg := filepath.Join(t.TempDir(), "plugins.json")
	file := `{"http": {"settings": ` + settings + `}, "other": {"enabled": false, "settings": {"keep": "me"}}}`
	if err := os.WriteFile(cfg, []byte(file), 0o640); err != nil {
		t.Fatal(err)
	}
	fc, err := ReadConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	found, _ := Discover(binDir)
	m := newManager(t, answering())
	m.opts.ConfigPath = cfg
	m.Start(Select(found, "http", fc))
	waitFor(t, m, "http", func(s Status) bool { return s.State == StateRunning })
	return m, cfg
}

func readFile(t *testing.T, path string) map[string]map[string]json.RawMessage {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]map[string]json.RawMessage
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	for _, entry := range out {
		for k, v := range entry {
			entry[k] = compactJSON(t, v)
		}
	}
	return out
}

func compactJSON(t *testing.T, raw []byte) json.RawMessage {
	t.Helper()
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestUpdateSettings: new settings are checked against the schema (the
// field of a violation is named), written to the plugins file (the rest of
// it kept), applied by a reload, and the listener's servers follow; settings
// the plugin cannot start with are rolled back.
func TestUpdateSettings(t *testing.T) {
	addr := freeAddr(t)
	m, cfg := settingsManager(t, fmt.Sprintf(`{"addresses":[%q]}`, addr))
	st := m.List()[0]
	if len(st.Servers) != 1 || st.Servers[0] != (sdk.Server{Name: "", Namespace: "sandbox", Protocol: "http", Default: true}) {
		t.Fatalf("servers at start: %+v", st.Servers)
	}
	ctx := context.Background()

	// A schema violation names its field and changes nothing.
	for body, field := range map[string]string{
		`{"bogus": 1}`:        "bogus",
		`{"addresses": [""]}`: "addresses[0]",
		`{"addresses": ["x"], "tls": {"certFile": 1}}`: "tls.certFile",
	} {
		_, err := m.UpdateSettings(ctx, "http", json.RawMessage(body))
		var se *SettingsError
		if !errors.As(err, &se) || se.Field != field {
			t.Errorf("%s: %v (field %q), want field %q", body, err, fieldOf(se), field)
		}
	}
	if got := string(readFile(t, cfg)["http"]["settings"]); got != fmt.Sprintf(`{"addresses":[%q]}`, addr) {
		t.Fatalf("a refused change touched the file: %s", got)
	}

	// A good change: written, reloaded (a new process), its server named.
	before := m.List()[0].PID
	next, err := m.UpdateSettings(ctx, "http", json.RawMessage(fmt.Sprintf(`{"addresses":[%q],"serverName":"shop"}`, addr)))
	if err != nil {
		t.Fatal(err)
	}
	if next.State != StateRunning || next.PID == before || len(next.Servers) != 1 || next.Servers[0].Name != "shop" {
		t.Fatalf("after the change: %+v", next)
	}
	if set := m.ServerSet("http"); !set.Knows("sandbox", "shop") || set.Knows("sandbox", "") {
		t.Fatalf("the directory follows: %v", set.Names("sandbox"))
	}
	file := readFile(t, cfg)
	if !strings.Contains(string(file["http"]["settings"]), `"serverName":"shop"`) || string(file["other"]["settings"]) != `{"keep":"me"}` ||
		string(file["other"]["enabled"]) != "false" {
		t.Fatalf("plugins file: %v", file)
	}
	if fi, err := os.Stat(cfg); err != nil || fi.Mode().Perm() != 0o640 {
		t.Fatalf("the file keeps its mode: %v %v", fi.Mode(), err)
	}
	if ps, err := m.Settings("http"); err != nil || !strings.Contains(string(ps.Settings), "shop") || len(ps.Schema) == 0 {
		t.Fatalf("Settings: %+v %v", ps, err)
	}
	if code, _, err := get(addr); err != nil || code != 200 {
		t.Fatalf("serving after the change: %d %v", code, err)
	}

	// Settings the plugin cannot start with (an address in use): rolled
	// back in the file and in the running plugin.
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	_, err = m.UpdateSettings(ctx, "http", json.RawMessage(fmt.Sprintf(`{"addresses":[%q]}`, taken.Addr().String())))
	var ae *ApplyError
	if !errors.As(err, &ae) || ae.Refused {
		t.Fatalf("unstartable settings: %v", err)
	}
	if got := string(readFile(t, cfg)["http"]["settings"]); !strings.Contains(got, "shop") {
		t.Fatalf("not rolled back in the file: %s", got)
	}
	st = waitFor(t, m, "http", func(s Status) bool { return s.State == StateRunning })
	if len(st.Servers) != 1 || st.Servers[0].Name != "shop" {
		t.Fatalf("not rolled back in the plugin: %+v", st)
	}
	if code, _, err := get(addr); err != nil || code != 200 {
		t.Fatalf("serving after the rollback: %d %v", code, err)
	}

	if _, err := m.UpdateSettings(ctx, "nope", json.RawMessage(`{}`)); !errors.Is(err, ErrUnknown) {
		t.Fatalf("unknown plugin: %v", err)
	}
	m.opts.ConfigPath = ""
	if _, err := m.UpdateSettings(ctx, "http", json.RawMessage(`{}`)); !errors.Is(err, ErrNoConfigFile) {
		t.Fatalf("without a plugins file: %v", err)
	}
}

func fieldOf(se *SettingsError) string {
	if se == nil {
		return ""
	}
	return se.Field
}

// TestRestartReadsTheFile: a restart starts the plugin with what the
// plugins file says now; a file that is not JSON is an error, and the
// plugin keeps running as it was.
func TestRestartReadsTheFile(t *testing.T) {
	addr := freeAddr(t)
	m, cfg := settingsManager(t, fmt.Sprintf(`{"addresses":[%q]}`, addr))
	pid := m.List()[0].PID
	edited := fmt.Sprintf(`{"http": {"settings": {"addresses": [%q], "serverName": "edited"}}}`, addr)
	if err := os.WriteFile(cfg, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := m.Restart("http"); err != nil {
		t.Fatal(err)
	}
	st := waitFor(t, m, "http", func(s Status) bool { return s.State == StateRunning && s.PID != pid })
	if len(st.Servers) != 1 || st.Servers[0].Name != "edited" {
		t.Fatalf("after the restart: %+v", st)
	}
	if err := os.WriteFile(cfg, []byte(`{"http": `), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := m.Restart("http"); !errors.Is(err, ErrConfig) {
		t.Fatalf("a broken file: %v", err)
	}
	if st := m.List()[0]; st.State != StateRunning || st.PID == 0 {
		t.Fatalf("the plugin keeps running: %+v", st)
	}
	// A broken file is never overwritten by a settings change either.
	if _, err := m.UpdateSettings(context.Background(), "http", json.RawMessage(fmt.Sprintf(`{"addresses":[%q]}`, addr))); !errors.Is(err, ErrConfig) {
		t.Fatalf("a change over a broken file: %v", err)
	}
	if b, _ := os.ReadFile(cfg); string(b) != `{"http": ` {
		t.Fatalf("the broken file was rewritten: %s", b)
	}
}

// TestWriteSettings: a missing file is created (mode 0600: settings may
// hold passwords); no temporary file is left beside it.
func TestWriteSettings(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "sub", "plugins.json")
	if err := WriteSettings(cfg, "smtp", json.RawMessage(`{ "servers": [ {"address": ":0"} ] }`)); err != nil {
		t.Fatal(err)
	}
	fc, err := ReadConfig(cfg)
	if err != nil || string(compactJSON(t, fc["smtp"].Settings)) != `{"servers":[{"address":":0"}]}` {
		t.Fatalf("read back: %+v %v", fc, err)
	}
	if fi, _ := os.Stat(cfg); fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v", fi.Mode())
	}
	entries, _ := os.ReadDir(filepath.Dir(cfg))
	if len(entries) != 1 {
		t.Fatalf("files left: %v", entries)
	}
	if err := WriteSettings(cfg, "smtp", json.RawMessage(`{`)); err == nil {
		t.Fatal("settings that are not JSON are refused")
	}
}

// TestWriteNoSettings: putting back the settings of a plugin that had none
// (a rollback) leaves its entry without settings, other keys kept.
func TestWriteNoSettings(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "plugins.json")
	if err := os.WriteFile(cfg, []byte(`{"http": {"enabled": true}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := WriteSettings(cfg, "http", json.RawMessage(`{"serverName":"shop"}`)); err != nil {
		t.Fatal(err)
	}
	for _, none := range []json.RawMessage{nil, json.RawMessage(`null`)} {
		if err := WriteSettings(cfg, "http", none); err != nil {
			t.Fatalf("write %q back: %v", none, err)
		}
		entry := readFile(t, cfg)["http"]
		if _, ok := entry["settings"]; ok || string(entry["enabled"]) != "true" {
			t.Fatalf("after writing %q back: %v", none, entry)
		}
	}
}
