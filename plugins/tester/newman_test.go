package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/mockarty-oss/mockarty/sdk/plugintest"
	"github.com/mockarty-oss/mockarty/sdk/postman"
)

// newmanBin is npm newman 6.2.2 (make clients), the reference runner.
func newmanBin(t *testing.T) string {
	bin := os.Getenv("NEWMAN")
	if bin == "" {
		plugintest.MissingClient(t, "newman (npm newman@6.2.2; make clients sets NEWMAN)")
	}
	return bin
}

// echoMocks answer every method and path of namespace "newman" with what
// they were sent, so scripts have something real to check.
func echoMocks(t *testing.T, h *plugintest.HostProc) {
	for _, m := range []string{"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"} {
		h.Post(t, "/api/v1/mocks", fmt.Sprintf(`{"id":"echo-%s","namespace":"newman","http":{"route":"/*path","httpMethod":%q},
			"response":{"statusCode":200,"payload":{"ok":true,"method":%q,"path":"$.pathParam.path","query":"$.queryParams","body":"$.req"}}}`,
			strings.ToLower(m), m, m), http.StatusCreated)
	}
}

// retarget points every request of a collection at base, keeping path and
// query, so that both runners call this server's mocks.
func retarget(t *testing.T, file, base string) []byte {
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	c, err := postman.Parse(data)
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	err = c.Walk(func(_ []*postman.Item, it *postman.Item) error {
		if it.Request == nil || it.Request.URL == nil {
			return nil
		}
		raw := it.Request.URL.String()
		rest := raw
		switch {
		case strings.HasPrefix(raw, "{{baseUrl}}"):
			return nil // the scripted collection already names its target
		case strings.HasPrefix(raw, "{{"):
			rest = raw[strings.Index(raw, "}}")+2:]
		case strings.Contains(raw, "://"):
			rest = raw[strings.Index(raw, "://")+3:]
			if i := strings.IndexAny(rest, "/?#"); i >= 0 {
				rest = rest[i:]
			} else {
				rest = "/"
			}
		}
		if !strings.HasPrefix(rest, "/") {
			rest = "/" + rest
		}
		u := postman.NewURL(base + rest)
		u.Variable = it.Request.URL.Variable
		it.Request.URL = u
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	out, err := postman.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// exchange is one request item as a runner reports it, with its tests.
type exchange struct {
	Item  string   // iteration and item name
	Tests []string // "name: pass|fail|skip", in order
}

// journal is what the server received in namespace newman, oldest first
// (the WireMock-compatible request journal).
func journal(t *testing.T, h *plugintest.HostProc) []string {
	var j struct {
		Requests []struct {
			Request struct {
				URL        string `json:"url"`
				Method     string `json:"method"`
				LoggedDate int64  `json:"loggedDate"`
			} `json:"request"`
		} `json:"requests"`
	}
	if err := json.Unmarshal(h.Get(t, "/__admin/requests?namespace=newman", http.StatusOK), &j); err != nil {
		t.Fatal(err)
	}
	out := make([]string, 0, len(j.Requests))
	for i := len(j.Requests) - 1; i >= 0; i-- {
		r := j.Requests[i].Request
		out = append(out, requestKey(r.Method, r.URL))
	}
	return out
}

func resetJournal(t *testing.T, h *plugintest.HostProc) {
	h.Do(t, "DELETE", "/__admin/requests?namespace=newman", "", http.StatusOK)
}

func requestKey(method, raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return method + " " + raw
	}
	q := u.Query()
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, k+"="+strings.Join(q[k], ","))
	}
	return strings.ToUpper(method) + " " + u.Path + "?" + strings.Join(parts, "&")
}

// newmanRun runs newman and reads its JSON report.
func newmanRun(t *testing.T, bin, coll string, env map[string]string, dataFile string) (execs []exchange, total, failed int) {
	dir := t.TempDir()
	collFile, envFile, report := filepath.Join(dir, "c.json"), filepath.Join(dir, "env.json"), filepath.Join(dir, "report.json")
	if err := os.WriteFile(collFile, []byte(coll), 0o644); err != nil {
		t.Fatal(err)
	}
	var values []map[string]any
	for k, v := range env {
		values = append(values, map[string]any{"key": k, "value": v, "enabled": true})
	}
	envDoc, _ := json.Marshal(map[string]any{"name": "env", "values": values})
	if err := os.WriteFile(envFile, envDoc, 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"run", collFile, "-e", envFile, "-r", "json", "--reporter-json-export", report, "--timeout-request", "10000"}
	if dataFile != "" {
		args = append(args, "-d", dataFile)
	}
	out, err := exec.Command(bin, args...).CombinedOutput()
	if _, statErr := os.Stat(report); statErr != nil {
		t.Fatalf("newman wrote no report (%v): %s", err, out)
	}
	raw, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Run struct {
			Stats struct {
				Assertions struct{ Total, Failed int }
			}
			Executions []struct {
				Cursor     struct{ Iteration, Position int }
				Item       struct{ Name string }
				Assertions []struct {
					Assertion string
					Skipped   bool
					Error     *struct{ Message string }
				}
			}
		}
	}
	if err := json.Unmarshal(raw, &rep); err != nil {
		t.Fatal(err)
	}
	// newman's JSON reporter lists an item once per request it sent (a
	// pm.sendRequest adds one, with the same cursor and assertions).
	seen := map[[2]int]bool{}
	for _, e := range rep.Run.Executions {
		key := [2]int{e.Cursor.Iteration, e.Cursor.Position}
		if seen[key] {
			continue
		}
		seen[key] = true
		x := exchange{Item: fmt.Sprintf("%d %s", e.Cursor.Iteration, e.Item.Name)}
		for _, a := range e.Assertions {
			x.Tests = append(x.Tests, outcome(a.Assertion, a.Error == nil, a.Skipped))
		}
		execs = append(execs, x)
	}
	return execs, rep.Run.Stats.Assertions.Total, rep.Run.Stats.Assertions.Failed
}

func outcome(name string, passed, skipped bool) string {
	switch {
	case skipped:
		return name + ": skip"
	case passed:
		return name + ": pass"
	}
	return name + ": fail"
}

// ourRun imports the same collection, runs it and reads every step.
func ourRun(t *testing.T, h *plugintest.HostProc, coll string, env map[string]string, data []map[string]any) (execs []exchange, total, failed int) {
	var imp struct {
		CollectionID string `json:"collectionId"`
	}
	call(t, h, "POST", "/api/v1/api-tester/import/postman", map[string]any{"data": coll}, http.StatusCreated, &imp)
	body := map[string]any{"variables": env, "wait": 300}
	if data != nil {
		body["iterationData"] = data
	}
	var run sdkRunResult
	call(t, h, "POST", "/api/v1/api-tester/collections/"+imp.CollectionID+"/execute", body, http.StatusOK, &run)
	var rep struct {
		Results []postman.Step `json:"results"`
	}
	if err := json.Unmarshal(h.Get(t, "/api/v1/api-tester/test-runs/"+run.ID+"/export", http.StatusOK), &rep); err != nil {
		t.Fatal(err)
	}
	for _, st := range rep.Results {
		if st.Status == postman.StepSkipped {
			continue // newman lists no execution for a skipped request
		}
		x := exchange{Item: fmt.Sprintf("%d %s", st.Iteration, st.Name)}
		for _, tr := range st.Tests {
			x.Tests = append(x.Tests, outcome(tr.Name, tr.Passed, tr.Skipped))
			total++ // newman counts skipped tests among its assertions
			if !tr.Passed {
				failed++
			}
		}
		execs = append(execs, x)
	}
	return execs, total, failed
}

// TestNewmanDifferential runs the Postman collections npm
// insomnia-importers ships, and one whose scripts cover every pm.* area,
// through newman 6.2.2 and through Mockarty against the same mocks: the
// same requests go out in the same order, and the same tests pass and fail.
func TestNewmanDifferential(t *testing.T) {
	bin := newmanBin(t)
	h := startTester(t)
	echoMocks(t, h)
	base := h.URL + "/stubs/newman"
	fixtures, err := filepath.Glob("../../sdk/postman/testdata/insomnia-importers/postman/*-input.json")
	if err != nil || len(fixtures) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	type tc struct {
		name, file, data string
	}
	cases := []tc{{name: "pm-api", file: "testdata/pm-api.postman_collection.json", data: "testdata/pm-api.data.json"}}
	for _, f := range fixtures {
		cases = append(cases, tc{name: strings.TrimSuffix(filepath.Base(f), "-input.json"), file: f})
	}
	env := map[string]string{"baseUrl": base, "base_url": base, "shadow": "env"}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			coll := string(retarget(t, c.file, base))
			var data []map[string]any
			dataFile := ""
			if c.data != "" {
				dataFile, _ = filepath.Abs(c.data)
				raw, err := os.ReadFile(c.data)
				if err != nil {
					t.Fatal(err)
				}
				if err := json.Unmarshal(raw, &data); err != nil {
					t.Fatal(err)
				}
			}
			resetJournal(t, h)
			want, wantTotal, wantFailed := newmanRun(t, bin, coll, env, dataFile)
			wantSent := journal(t, h)
			resetJournal(t, h)
			got, gotTotal, gotFailed := ourRun(t, h, coll, env, data)
			gotSent := journal(t, h)
			if len(want) == 0 {
				t.Fatalf("newman ran no item")
			}
			if strings.Join(wantSent, "\n") != strings.Join(gotSent, "\n") {
				t.Errorf("the server received different requests\nfrom newman:   %q\nfrom Mockarty: %q", wantSent, gotSent)
			}
			for i := 0; i < max(len(want), len(got)); i++ {
				var w, g exchange
				if i < len(want) {
					w = want[i]
				}
				if i < len(got) {
					g = got[i]
				}
				if w.Item != g.Item || strings.Join(w.Tests, "\n") != strings.Join(g.Tests, "\n") {
					t.Errorf("item %d: newman %q %q\nMockarty %q %q", i, w.Item, w.Tests, g.Item, g.Tests)
				}
			}
			if wantTotal != gotTotal || wantFailed != gotFailed {
				t.Errorf("assertions: newman %d total, %d failed; Mockarty %d total, %d failed", wantTotal, wantFailed, gotTotal, gotFailed)
			}
		})
	}
}
