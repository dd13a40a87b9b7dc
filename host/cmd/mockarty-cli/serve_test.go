package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mockarty-oss/mockarty/sdk/plugintest"
)

// mockServe is a running `mockarty-cli mock serve`.
type mockServe struct {
	URL, HealthURL string
	stderr         *plugintest.SyncBuffer
}

// imageCommand reads the ENTRYPOINT, CMD and ENV of Dockerfile.mock-serve,
// so the test runs what the image runs.
func imageCommand(t *testing.T) (args []string, env []string) {
	t.Helper()
	f, err := os.Open("../../../Dockerfile.mock-serve")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		word, rest, _ := strings.Cut(line, " ")
		var list []string
		switch word {
		case "ENTRYPOINT", "CMD":
			if err := json.Unmarshal([]byte(rest), &list); err != nil {
				t.Fatalf("%s is not in exec form: %v", line, err)
			}
			args = append(args, list...)
		case "ENV":
			env = append(env, strings.Fields(rest)...)
		}
	}
	if len(args) < 3 || args[0] != "mockarty-cli" {
		t.Fatalf("the image's command: %q", args)
	}
	return args, env
}

// startMockServe runs the image's command with its stub folder and ports
// swapped for a test's.
func startMockServe(t *testing.T, stubs string, env ...string) *mockServe {
	t.Helper()
	args, imageEnv := imageCommand(t)
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	hport, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	swap := map[string]string{"/data/stubs": stubs, ":8080": fmt.Sprintf("127.0.0.1:%d", port), ":9090": fmt.Sprintf("127.0.0.1:%d", hport)}
	for i, a := range args[1:] {
		if v, ok := swap[a]; ok {
			args[i+1] = v
		}
	}
	cmd := exec.Command(cliBin, args[1:]...)
	cmd.Env = append(append(append(os.Environ(), "HOME="+t.TempDir()), imageEnv...), env...)
	s := &mockServe{URL: fmt.Sprintf("http://127.0.0.1:%d", port), HealthURL: fmt.Sprintf("http://127.0.0.1:%d/health", hport), stderr: &plugintest.SyncBuffer{}}
	cmd.Stderr = s.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("mock serve said:\n%s", s.stderr.String())
		}
	})
	// The Testcontainers wait strategy: GET /health on the health port answers exactly 200.
	plugintest.EventuallyNoError(t, 30*time.Second, func() error {
		res, err := http.Get(s.HealthURL)
		if err != nil {
			return err
		}
		res.Body.Close()
		if res.StatusCode != 200 {
			return fmt.Errorf("status %d", res.StatusCode)
		}
		return nil
	}, "mock serve ready")
	return s
}

func (s *mockServe) do(t *testing.T, method, path, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, s.URL+path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func TestMockServeAsTheImageRunsIt(t *testing.T) {
	stubs := t.TempDir()
	for name, content := range map[string]string{
		"hello.json": `{"id":"hello","http":{"route":"/hello/:name","httpMethod":"GET"},"response":{"payload":{"hi":"$.pathParam.name"}}}`,
		"list.json":  `[{"id":"a","http":{"route":"/a"},"response":{"payload":"a"}},{"id":"b","http":{"route":"/b"},"response":{"payload":"b"}}]`,
		"notes.txt":  `not a stub`,
	} {
		if err := os.WriteFile(filepath.Join(stubs, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	s := startMockServe(t, stubs)
	if st, body := s.do(t, "GET", "/hello/ann", ""); st != 200 || !strings.Contains(body, `"hi":"ann"`) {
		t.Fatalf("a stub file's mock at the root: %d %s", st, body)
	}
	if st, body := s.do(t, "GET", "/b", ""); st != 200 || body != "b" {
		t.Fatalf("a list file's mock: %d %s", st, body)
	}
	// Apply(stub): POST /api/v1/mocks with no credentials.
	if st, body := s.do(t, "POST", "/api/v1/mocks", `{"id":"applied","http":{"route":"/applied"},"response":{"payload":{"ok":true}}}`); st != 201 {
		t.Fatalf("apply: %d %s", st, body)
	}
	if st, body := s.do(t, "GET", "/applied", ""); st != 200 || body != `{"ok":true}` {
		t.Fatalf("the applied mock: %d %s", st, body)
	}
	if st, body := s.do(t, "GET", "/nothing", ""); st != 404 || !strings.Contains(body, `"code":"no_match"`) {
		t.Fatalf("no mock: %d %s", st, body)
	}
	// The health port has /health and /metrics only.
	healthBase := strings.TrimSuffix(s.HealthURL, "/health")
	for path, want := range map[string]int{"/metrics": 200, "/hello/ann": 404, "/api/v1/mocks": 404} {
		res, err := http.Get(healthBase + path)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != want {
			t.Errorf("health port %s: %d, want %d", path, res.StatusCode, want)
		}
	}
}

// A stub file that is not valid stops the server with its name.
func TestMockServeRefusesABadStubFile(t *testing.T) {
	stubs := t.TempDir()
	if err := os.WriteFile(filepath.Join(stubs, "bad.json"), []byte(`{"id":"x","http":{"route":"/x"},"response":{"statusCode":"two hundred"}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	r := runCLI(t, cliOpts{}, "mock", "serve", "--dir", stubs, "--addr", "127.0.0.1:0", "--health-addr", "")
	if r.Code != 1 || !strings.Contains(r.Stderr, "bad.json") {
		t.Fatalf("a bad stub file: %s", r)
	}
}

// Every stub format the image reads, every mock body its clients post,
// and the reset its Testcontainers modules call.
func TestMockServeFormatsAndReset(t *testing.T) {
	stubs := t.TempDir()
	mockoonEnv, err := os.ReadFile("../../internal/generate/mockoon/testdata/demo-environment.json")
	if err != nil {
		t.Fatal(err)
	}
	for name, content := range map[string]string{
		"native.json":   `{"id":"native","http":{"route":"/native"},"response":{"payload":"native"}}`,
		"mapping.json":  `{"request":{"method":"GET","urlPath":"/wm/file"},"response":{"status":200,"jsonBody":{"from":"wiremock file"}}}`,
		"mappings.json": `{"mappings":[{"request":{"method":"GET","url":"/wm/list?x=1"},"response":{"status":202,"body":"listed"}}]}`,
		"mockoon.json":  string(mockoonEnv),
	} {
		if err := os.WriteFile(filepath.Join(stubs, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	s := startMockServe(t, stubs)
	for path, want := range map[string]string{"/native": "native", "/wm/file": `{"from":"wiremock file"}`, "/wm/list?x=1": "listed"} {
		if st, body := s.do(t, "GET", path, ""); st >= 300 || body != want {
			t.Errorf("%s: %d %s", path, st, body)
		}
	}
	if st, body := s.do(t, "GET", "/protected/path", ""); st != 401 || !strings.Contains(body, "Unauthorized") {
		t.Errorf("the Mockoon environment's guard route: %d %s", st, body)
	}
	// The bodies the SDKs' container tests post to /api/v1/mocks.
	for body, check := range map[string][2]string{
		`{"request":{"method":"GET","url":"/stage3-int/hello"},"response":{"status":200,"body":"{\"hi\":\"from-container\"}","headers":{"Content-Type":"application/json"}}}`: {"/stage3-int/hello", `{"hi":"from-container"}`},
		`{"http":{"request":{"method":"GET","path":"/ping"}},"response":{"status":200,"body":"hello from /api/v1/ping"}}`:                                                     {"/ping", "hello from /api/v1/ping"},
		`{"id":"py-mock","http":{"route":"/py","http_method":"GET"},"response":{"status_code":203,"payload":{"user_name":"x"}},"use_limiter":5}`:                              {"/py", `{"user_name":"x"}`},
	} {
		if st, b := s.do(t, "POST", "/api/v1/mocks", body); st != 201 {
			t.Fatalf("apply %s: %d %s", body, st, b)
		}
		if st, b := s.do(t, "GET", check[0], ""); st >= 300 || b != check[1] {
			t.Errorf("%s: %d %s", check[0], st, b)
		}
	}
	// Reset: no stubs, no journal.
	if st, b := s.do(t, "POST", "/__admin/reset", ""); st != 200 {
		t.Fatalf("reset: %d %s", st, b)
	}
	for _, path := range []string{"/native", "/wm/file", "/ping", "/py"} {
		if st, _ := s.do(t, "GET", path, ""); st != 404 {
			t.Errorf("%s after reset: %d", path, st)
		}
	}
	if _, b := s.do(t, "GET", "/__admin/requests", ""); !strings.Contains(b, `"total":4`) {
		t.Errorf("the journal after reset holds only the 4 requests since: %s", b)
	}
}
