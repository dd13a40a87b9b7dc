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
