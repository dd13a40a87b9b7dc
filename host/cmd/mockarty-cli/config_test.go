package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/spf13/cobra"
	"gopkg.in/yaml.v3"
)

// closedAddress is a loopback URL nothing listens on.
func closedAddress(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	return "http://" + addr
}

func TestConfigFileAndPrecedence(t *testing.T) {
	home := t.TempDir()
	dead := closedAddress(t)
	deadHostPort := strings.TrimPrefix(dead, "http://")
	in := func(o cliOpts, args ...string) cliResult {
		t.Helper()
		o.home = home
		return runCLI(t, o, args...)
	}
	okIn := func(o cliOpts, args ...string) string {
		t.Helper()
		r := in(o, args...)
		if r.Code != 0 {
			t.Fatalf("mockarty-cli %s: %s", strings.Join(args, " "), r)
		}
		return r.Stdout
	}
	noEnv := cliOpts{server: "-"}

	// config set writes ~/.mockarty-cli/config.yaml, mode 0600.
	out := okIn(noEnv, "config", "set", "server", deadHostPort) // no scheme: http:// is assumed
	if !strings.Contains(out, "Saved server = "+dead) {
		t.Fatalf("config set server printed:\n%s", out)
	}
	okIn(noEnv, "config", "set", "namespace", "p-cfg")
	out = okIn(noEnv, "config", "set", "token", "mk_config_token_123")
	if strings.Contains(out, "mk_config_token_123") {
		t.Fatalf("config set token printed the whole token:\n%s", out)
	}
	path := filepath.Join(home, ".mockarty-cli", "config.yaml")
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("config file mode %v, want 0600", st.Mode().Perm())
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var file map[string]string
	if err := yaml.Unmarshal(raw, &file); err != nil {
		t.Fatalf("config file is not YAML: %v\n%s", err, raw)
	}
	if file["server"] != dead || file["namespace"] != "p-cfg" || file["token"] != "mk_config_token_123" {
		t.Fatalf("config file: %v", file)
	}

	// config view reports values and sources.
	out = okIn(noEnv, "config", "view")
	if !tableHas(out, "server", dead, "config", "file") || !tableHas(out, "namespace", "p-cfg", "config", "file") ||
		strings.Contains(out, "mk_config_token_123") || !strings.Contains(out, path) {
		t.Fatalf("config view:\n%s", out)
	}
	view := obj(t, decodeJSON(t, []byte(okIn(cliOpts{server: srv.URL, env: []string{envNamespace + "=p-env"}}, "config", "view", "-o", "json", "--namespace", "p-flag", "--show-token"))))
	want := map[string]string{"server": srv.URL + "|env MOCKARTY_SERVER", "namespace": "p-flag|flag --namespace", "token": "mk_config_token_123|config file"}
	for k, w := range want {
		s := obj(t, view[k])
		if got := fmt.Sprint(s["value"], "|", s["source"]); got != w {
			t.Errorf("config view %s = %s, want %s", k, got, w)
		}
	}

	// The server: config file (dead) < env (real) < flag (dead again).
	r := in(noEnv, "health")
	if r.Code != exitFailure || !strings.Contains(r.Stderr, dead) {
		t.Fatalf("with only the config file the CLI should use its server %s: %s", dead, r)
	}
	okIn(cliOpts{server: srv.URL}, "health")
	r = in(cliOpts{server: srv.URL}, "health", "--server", dead)
	if r.Code != exitFailure || !strings.Contains(r.Stderr, dead) {
		t.Fatalf("--server should beat MOCKARTY_SERVER: %s", r)
	}

	// The namespace: default < config file < env < flag, seen in what mock list returns.
	for _, ns := range []string{"sandbox", "p-cfg", "p-env", "p-flag"} {
		ok(t, "-n", ns, "mock", "create", "--id", "prec-"+ns, "--route", "/prec")
	}
	listed := func(o cliOpts, args ...string) []string {
		t.Helper()
		var got []string
		for _, id := range ids(t, obj(t, decodeJSON(t, []byte(okIn(o, append([]string{"mock", "list", "-o", "json"}, args...)...))))["items"]) {
			if strings.HasPrefix(id, "prec-") {
				got = append(got, id)
			}
		}
		return got
	}
	real := cliOpts{server: srv.URL}
	if got := listed(real); fmt.Sprint(got) != "[prec-p-cfg]" {
		t.Errorf("namespace from the config file: %v", got)
	}
	withEnv := cliOpts{server: srv.URL, env: []string{envNamespace + "=p-env"}}
	if got := listed(withEnv); fmt.Sprint(got) != "[prec-p-env]" {
		t.Errorf("MOCKARTY_NAMESPACE should beat the config file: %v", got)
	}
	if got := listed(withEnv, "-n", "p-flag"); fmt.Sprint(got) != "[prec-p-flag]" {
		t.Errorf("-n should beat MOCKARTY_NAMESPACE: %v", got)
	}
	// And with nothing set anywhere, "sandbox".
	if got := ids(t, obj(t, okJSON(t, "mock", "list", "--limit", "1000"))["items"]); !has(got, "prec-sandbox") || has(got, "prec-p-cfg") {
		t.Errorf("the default namespace: %v", got)
	}

	// config unset removes a key; view then shows the default.
	okIn(noEnv, "config", "unset", "namespace")
	if out := okIn(noEnv, "config", "view"); !tableHas(out, "namespace", "sandbox", "default") {
		t.Fatalf("config view after unset:\n%s", out)
	}

	// Bad values are refused and leave the file alone.
	for _, args := range [][]string{
		{"config", "set", "colour", "blue"},
		{"config", "set", "server", "ftp://example.com"},
		{"config", "set", "namespace", "no/slashes"},
		{"config", "set", "token"},
	} {
		if r := in(noEnv, args...); r.Code != exitUsage {
			t.Errorf("%v: want exit 2; %s", args, r)
		}
	}
	after, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(after, []byte("mk_config_token_123")) || !bytes.Contains(after, []byte(dead)) {
		t.Fatalf("a refused config set changed the file:\n%s", after)
	}

	// A bad value from the environment names its source.
	r = in(cliOpts{server: srv.URL, env: []string{envNamespace + "=bad/ns"}}, "mock", "list")
	if r.Code != exitFailure || !strings.Contains(r.Stderr, "from env MOCKARTY_NAMESPACE") {
		t.Fatalf("bad MOCKARTY_NAMESPACE: %s", r)
	}
	// A broken config file is reported, not ignored.
	if err := os.WriteFile(path, []byte("server: [unclosed\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if r := in(noEnv, "config", "view"); r.Code != exitFailure || !strings.Contains(r.Stderr, "not valid YAML") {
		t.Fatalf("broken config file: %s", r)
	}
}

// recorder is a stand-in server that records the auth headers it gets and
// answers with a fixed status and body.
type recorder struct {
	mu      sync.Mutex
	auth    []string
	apiKeys []string
	status  int
	body    string
	header  http.Header
}

func (rec *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec.mu.Lock()
	rec.auth = append(rec.auth, r.Header.Get("Authorization"))
	rec.apiKeys = append(rec.apiKeys, r.Header.Get("X-API-Key"))
	status, body := rec.status, rec.body
	for k, v := range rec.header {
		w.Header()[k] = v
	}
	rec.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}

func (rec *recorder) last() (auth, apiKey string) {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return rec.auth[len(rec.auth)-1], rec.apiKeys[len(rec.apiKeys)-1]
}

func (rec *recorder) set(status int, body string) {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	rec.status, rec.body = status, body
}

// TestTokenPrecedenceAndHeaders: the token goes out as both headers, and
// only when one is set; a recording server shows exactly what is sent
// (TestRealServerAuth checks the same against the real server).
func TestTokenPrecedenceAndHeaders(t *testing.T) {
	rec := &recorder{status: 200, body: `{"plugins":[],"total":0}`}
	ts := httptest.NewServer(rec)
	t.Cleanup(ts.Close)
	home := t.TempDir()
	run := func(env []string, args ...string) {
		t.Helper()
		r := runCLI(t, cliOpts{home: home, server: ts.URL, env: env}, append([]string{"plugins", "list"}, args...)...)
		if r.Code != 0 {
			t.Fatalf("plugins list: %s", r)
		}
	}
	check := func(what, want string) {
		t.Helper()
		auth, key := rec.last()
		wantAuth := ""
		if want != "" {
			wantAuth = "Bearer " + want
		}
		if auth != wantAuth || key != want {
			t.Errorf("%s: Authorization %q, X-API-Key %q; want token %q", what, auth, key, want)
		}
	}
	run(nil)
	check("no token anywhere", "")
	okWith(t, cliOpts{home: home, server: "-"}, "config", "set", "token", "tok-config")
	run(nil)
	check("config file", "tok-config")
	run([]string{envToken + "=tok-env"})
	check("env beats config", "tok-env")
	run([]string{envToken + "=tok-env"}, "--token", "tok-flag")
	check("flag beats env", "tok-flag")
	run([]string{envToken + "=tok-env"}, "--token", "")
	check("an empty --token sends none", "")
}

// TestAuthErrorsHint: answers that are not the API's (a proxy page, a
// server that reports itself down) still give a clear line.
func TestNonAPIErrors(t *testing.T) {
	rec := &recorder{}
	ts := httptest.NewServer(rec)
	t.Cleanup(ts.Close)
	o := cliOpts{server: ts.URL}

	// Something that is not the API (a proxy page) still gives a clear line,
	// with the request id from the header when there is one.
	rec.mu.Lock()
	rec.header = http.Header{"X-Request-Id": {"hdr-502"}}
	rec.mu.Unlock()
	rec.set(502, "<html><body>upstream down</body></html>")
	r := runCLI(t, o, "health")
	if r.Code != exitFailure || !strings.Contains(r.Stderr, "Bad Gateway") || !strings.Contains(r.Stderr, "upstream down") ||
		!strings.Contains(r.Stderr, "(502, request id hdr-502)") {
		t.Fatalf("502 from a proxy: %s", r)
	}

	// health exits non-zero when the server says it is down.
	rec.set(503, `{"status":"down","checks":{"database":{"status":"down","output":"disk full"}}}`)
	r = runCLI(t, o, "health")
	if r.Code != exitFailure || !tableHas(r.Stdout, "database", "down", "disk", "full") || !strings.Contains(r.Stderr, `reports status "down"`) {
		t.Fatalf("health of a server that is down: %s", r)
	}
}

func TestUnreachableServer(t *testing.T) {
	dead := closedAddress(t)
	r := runCLI(t, cliOpts{server: dead}, "mock", "list")
	if r.Code != exitFailure {
		t.Fatalf("want exit 1: %s", r)
	}
	if strings.Count(r.Stderr, "\n") != 1 || !strings.Contains(r.Stderr, "cannot reach the Mockarty server at "+dead) ||
		!strings.Contains(r.Stderr, "connection refused") || !strings.Contains(r.Stderr, "--server") ||
		!strings.Contains(r.Stderr, "MOCKARTY_SERVER") {
		t.Fatalf("unreachable server message: %q", r.Stderr)
	}
	if strings.Contains(r.Stderr, "Usage:") || r.Stdout != "" {
		t.Fatalf("unreachable server printed usage or output: %s", r)
	}
	// The default address is named when nothing is configured.
	r = runCLI(t, cliOpts{server: "-"}, "health", "--timeout", "5s")
	if r.Code != exitFailure || !strings.Contains(r.Stderr, defaultServer) {
		t.Fatalf("default server: %s", r)
	}
}

func TestTimeout(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done() // never answers; the client gives up
	}))
	t.Cleanup(ts.Close)
	r := runCLI(t, cliOpts{server: ts.URL}, "health", "--timeout", "200ms")
	if r.Code != exitFailure || !strings.Contains(r.Stderr, "no answer from the Mockarty server at "+ts.URL+" within 200ms") ||
		!strings.Contains(r.Stderr, "--timeout") {
		t.Fatalf("timeout: %s", r)
	}
}

func TestUsageErrors(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"mock", "list", "--bogus"}, "unknown flag: --bogus"},
		{[]string{"mock", "list", "--limit", "many"}, `invalid argument "many"`},
		{[]string{"mok"}, `unknown command "mok" for "mockarty-cli"; did you mean mock?`},
		{[]string{"mock", "lst"}, `unknown command "lst" for "mockarty-cli mock"; did you mean`},
		{[]string{"mock", "get"}, `"mockarty-cli mock get" takes <id>, got 0 argument(s)`},
		{[]string{"mock", "get", "a", "b"}, "got 2 argument(s)"},
		{[]string{"store", "global", "get", "a", "b"}, "takes [key]"},
		{[]string{"mock", "list", "-o", "xml"}, `--output "xml": use table, json or yaml`},
		{[]string{"health", "--timeout", "0s"}, "--timeout must be positive"},
		{[]string{"mock", "list", "-n", "bad/ns"}, `namespace "bad/ns"`},
		{[]string{"mock", "list", "--server", "ftp://x"}, "use http:// or https://"},
		{[]string{"namespace", "copy", "--ids", "a"}, `required flag(s) "to" not set`},
	}
	for _, c := range cases {
		r := cli(t, c.args...)
		if r.Code != exitUsage || !strings.Contains(r.Stderr, c.want) || !strings.Contains(r.Stderr, "Usage:") || r.Stdout != "" {
			t.Errorf("%v: want exit 2, %q and the usage on stderr; %s", c.args, c.want, r)
		}
	}
	// A group alone shows its help and succeeds.
	r := cli(t, "mock")
	if r.Code != 0 || !strings.Contains(r.Stdout, "Available Commands:") || !strings.Contains(r.Stdout, "restore") {
		t.Fatalf("mockarty-cli mock: %s", r)
	}
}

func TestVersion(t *testing.T) {
	if got := ok(t, "version"); got != "mockarty-cli "+testRelease+"\n" {
		t.Fatalf("version: %q", got)
	}
	if got := ok(t, "--version"); got != "mockarty-cli "+testRelease+"\n" {
		t.Fatalf("--version: %q", got)
	}
	if got := obj(t, okJSON(t, "version")); got["version"] != testRelease {
		t.Fatalf("version -o json: %v", got)
	}
}

func TestCompletion(t *testing.T) {
	for _, sh := range []string{"bash", "zsh", "fish", "powershell"} {
		out := ok(t, "completion", sh)
		if len(out) < 500 || !strings.Contains(out, "mockarty-cli") {
			t.Errorf("completion %s printed %d bytes", sh, len(out))
		}
	}
	// What the scripts call: sub-commands, and flag values.
	if out := ok(t, "__complete", "mock", "c"); !strings.Contains(out, "create") {
		t.Fatalf("completing mock c: %q", out)
	}
	if out := ok(t, "__complete", "mock", "list", "-o", ""); !strings.Contains(out, "yaml") {
		t.Fatalf("completing -o: %q", out)
	}
	fails(t, exitUsage, "completion", "tcsh")
}

// TestEveryCommandHasExamples walks the command tree: every command has an
// Examples section in its --help.
func TestEveryCommandHasExamples(t *testing.T) {
	root := newApp(nil, &bytes.Buffer{}, &bytes.Buffer{}, func(string) string { return "" }).rootCmd()
	var walk func(c *cobra.Command)
	count := 0
	walk = func(c *cobra.Command) {
		if c.Hidden || c.Name() == cobra.ShellCompRequestCmd {
			return
		}
		count++
		args := append(strings.Fields(c.CommandPath())[1:], "--help")
		var stdout, stderr bytes.Buffer
		code := run(args, strings.NewReader(""), &stdout, &stderr, func(string) string { return "" })
		if code != 0 || !strings.Contains(stdout.String(), "\nExamples:\n  ") {
			t.Errorf("%s --help: exit %d, no Examples section:\n%s%s", c.CommandPath(), code, stdout.String(), stderr.String())
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	if count < 40 {
		t.Fatalf("only %d commands walked", count)
	}
	t.Logf("%d commands have examples", count)
}

// TestRealServerAuth runs the CLI against a server with access control on:
// no token, a read-only token, a revoked token, and the precedence of
// flag, env and config file, all with the server's own answers.
func TestRealServerAuth(t *testing.T) {
	dir := t.TempDir()
	s, err := startServer(dir, "AUTH_MODE=full", "FIRST_ADMIN_LOGIN=admin", "FIRST_ADMIN_PASSWORD=admin-pass-1", "AUTH_BCRYPT_COST=4")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.stop)
	// Tokens come from the API (the CLI has no login command).
	post := func(path, body, token string) map[string]any {
		t.Helper()
		req, _ := http.NewRequest("POST", s.URL+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("X-API-Key", token)
		}
		res, err := s.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var v map[string]any
		_ = json.NewDecoder(res.Body).Decode(&v)
		if res.StatusCode/100 != 2 {
			t.Fatalf("POST %s: %d %v", path, res.StatusCode, v)
		}
		if c := res.Header.Get("Set-Cookie"); c != "" {
			v["cookie"] = strings.SplitN(c, ";", 2)[0]
		}
		return v
	}
	cookie := post("/api/v1/auth/login", `{"username":"admin","password":"admin-pass-1"}`, "")["cookie"].(string)
	newToken := func(body string) (string, string) {
		req, _ := http.NewRequest("POST", s.URL+"/api/v1/auth/tokens", strings.NewReader(body))
		req.Header.Set("Cookie", cookie)
		res, err := s.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var v map[string]any
		_ = json.NewDecoder(res.Body).Decode(&v)
		return v["token"].(string), v["id"].(string)
	}
	full, fullID := newToken(`{"name":"cli"}`)
	readOnly, _ := newToken(`{"name":"ro","permissions":["read"]}`)
	home := t.TempDir()
	o := cliOpts{home: home, server: s.URL}

	// No token: the server's 401, its request id, and a hint.
	r := runCLI(t, o, "mock", "list")
	lines := strings.Split(strings.TrimSpace(r.Stderr), "\n")
	if r.Code != exitFailure || len(lines) != 2 || !strings.HasPrefix(lines[0], "Error: authentication required") ||
		!strings.Contains(lines[0], "(401 unauthorized, request id ") || !strings.Contains(lines[1], "mockarty-cli config set token") {
		t.Fatalf("401 without a token: %s", r)
	}
	// The config file's token works.
	okWith(t, cliOpts{home: home, server: "-"}, "config", "set", "token", full)
	okWith(t, o, "mock", "create", "--id", "authed", "--route", "/authed", "--body", `{"ok":true}`)
	// The env's read-only token beats the config file: it reads, and a delete gets the server's 403.
	ro := cliOpts{home: home, server: s.URL, env: []string{envToken + "=" + readOnly}}
	if out := okWith(t, ro, "mock", "get", "authed", "-o", "json"); !strings.Contains(out, `"authed"`) {
		t.Fatalf("read with a read-only token: %s", out)
	}
	r = runCLI(t, ro, "mock", "delete", "authed")
	if r.Code != exitFailure || !strings.Contains(r.Stderr, "(403 forbidden, request id ") || !strings.Contains(r.Stderr, "refused the token") {
		t.Fatalf("403 with a read-only token: %s", r)
	}
	// A flag beats the env.
	okWith(t, ro, "mock", "delete", "authed", "--token", full)
	// A revoked token stops working at once.
	req, _ := http.NewRequest("DELETE", s.URL+"/api/v1/auth/tokens/"+fullID, nil)
	req.Header.Set("Cookie", cookie)
	res, err := s.client.Do(req)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("revoke: %v %v", res, err)
	}
	res.Body.Close()
	r = runCLI(t, o, "mock", "list")
	if r.Code != exitFailure || !strings.Contains(r.Stderr, "revoked") || !strings.Contains(r.Stderr, "401 unauthorized") {
		t.Fatalf("a revoked token: %s", r)
	}
}
