package main

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mockarty-oss/mockarty/sdk/plugintest"
)

// cliRun runs mockarty-cli against h and returns its exit code and output.
func cliRun(t *testing.T, bin string, h *plugintest.HostProc, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir(), "MOCKARTY_SERVER="+h.URL, "MOCKARTY_NAMESPACE=ci", "MOCKARTY_TOKEN=")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		return exit.ExitCode(), stdout.String(), stderr.String()
	case err != nil:
		t.Fatal(err)
	}
	return 0, stdout.String(), stderr.String()
}

// TestCLIRunCollection: api-reference 6.1's CLI flow. A collection
// imported with `import postman` runs with `run collection --wait`, which
// exits 1 because a test fails and writes the JUnit report a CI reads.
func TestCLIRunCollection(t *testing.T) {
	h := startTester(t)
	bin := filepath.Join(t.TempDir(), "mockarty-cli")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/mockarty-oss/mockarty/host/cmd/mockarty-cli").CombinedOutput(); err != nil {
		t.Fatalf("build mockarty-cli: %v\n%s", err, out)
	}
	h.Post(t, "/api/v1/mocks", `{"id":"cli-users","namespace":"ci","http":{"route":"/users","httpMethod":"GET"},"response":{"statusCode":200,"payload":[{"id":1}]}}`, 201)
	coll := `{"info":{"name":"CI Tests","schema":"https://schema.getpostman.com/json/collection/v2.1.0/collection.json"},
	  "item":[{"name":"Get Users","request":{"method":"GET","url":"{{base}}/stubs/ci/users"},
	  "event":[{"listen":"test","script":{"exec":["mk.test(\"Status is 200\", function() { mk.response.to.have.status(200); });",
	  "mk.test(\"two users\", function() { mk.expect(mk.response.json()).to.have.lengthOf(2); });"]}}]}]}`
	file := filepath.Join(t.TempDir(), "c.json")
	if err := os.WriteFile(file, []byte(coll), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := cliRun(t, bin, h, "import", "postman", "--file", file); code != 0 || !strings.Contains(out, "imported 1 requests") {
		t.Fatalf("import postman: %d %s %s", code, out, errOut)
	}
	h.Post(t, "/api/v1/api-tester/environments", `{"name":"local","namespace":"ci","variables":{"base":"`+h.URL+`"}}`, 201)

	junit := filepath.Join(t.TempDir(), "results.xml")
	code, out, errOut := cliRun(t, bin, h, "run", "collection", "CI Tests", "--env", "local", "--wait", "--format", "json", "--junit-report", junit)
	if code != 1 || !strings.Contains(errOut, "1 of 2 tests failed") {
		t.Fatalf("a failing run exits 1: %d\n%s\n%s", code, out, errOut)
	}
	var run struct {
		Status      string `json:"status"`
		PassedTests int    `json:"passedTests"`
		FailedTests int    `json:"failedTests"`
	}
	if err := json.Unmarshal([]byte(out), &run); err != nil || run.Status != "failed" || run.PassedTests != 1 || run.FailedTests != 1 {
		t.Fatalf("--format json: %v %+v\n%s", err, run, out)
	}
	raw, err := os.ReadFile(junit)
	if err != nil {
		t.Fatal(err)
	}
	var suites struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
	}
	if err := xml.Unmarshal(raw, &suites); err != nil || suites.Tests != 2 || suites.Failures != 1 {
		t.Fatalf("JUnit report: %v %+v\n%s", err, suites, raw)
	}
	// A passing run exits 0; an unknown collection is a clear failure.
	h.Post(t, "/api/v1/mocks", `{"id":"cli-users","namespace":"ci","http":{"route":"/users","httpMethod":"GET"},"response":{"statusCode":200,"payload":[{"id":1},{"id":2}]}}`, 200)
	if code, out, errOut := cliRun(t, bin, h, "run", "collection", "CI Tests", "--env", "local", "--wait"); code != 0 || !strings.Contains(out, "completed: 2 passed") {
		t.Fatalf("a passing run: %d\n%s\n%s", code, out, errOut)
	}
	if code, _, errOut := cliRun(t, bin, h, "run", "collection", "Nope", "--wait"); code != 1 || !strings.Contains(errOut, `no collection "Nope"`) {
		t.Fatalf("unknown collection: %d %s", code, errOut)
	}
}
