package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/mockarty-oss/mockarty/plugins/fuzzer/internal/target"
	"github.com/mockarty-oss/mockarty/sdk/plugintest"
	"github.com/mockarty-oss/mockarty/sdk/plugintest/schematest"
	"github.com/twmb/franz-go/pkg/kfake"
)

func TestMain(m *testing.M) {
	code := m.Run()
	plugintest.Cleanup()
	os.Exit(code)
}

// withTarget starts the host with the fuzzer plugin (private targets
// allowed) and the vulnerable test target; opts may add to the host's.
func withTarget(t *testing.T, opts plugintest.HostOptions) (plugintest.HostOptions, *plugintest.HostProc, string) {
	t.Helper()
	opts.Plugins = map[string]plugintest.PluginSpec{"fuzzer": {Dir: "."}}
	opts.Env = append(opts.Env, "ALLOW_PROXY_TO_PRIVATE_IPS=true")
	h := plugintest.StartHost(t, opts)
	th, err := target.New(true, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(th)
	t.Cleanup(srv.Close)
	return opts, h, srv.URL
}

// The fuzzing API on the real host with the real plugin: a config saved
// with an SDK's annotations, a run of it, its findings stored as they come
// and triaged, the result in the SDKs' shape.
func TestFuzzingAPI(t *testing.T) {
	opts, h, base := withTarget(t, plugintest.HostOptions{DataDir: t.TempDir()})

	var cats []map[string]any
	if err := json.Unmarshal(h.Get(t, "/api/v1/fuzzing/payload-categories", http.StatusOK), &cats); err != nil || len(cats) < 19 {
		t.Fatalf("payload categories: %v %v", err, cats)
	}
	h.Post(t, "/api/v1/fuzzing/configs", `{"name": "x"}`, http.StatusUnprocessableEntity)

	spec, _ := json.Marshal(string(target.Spec()))
	body := fmt.Sprintf(`{"name": "shop", "targetBaseUrl": %q, "strategy": "all", "openapiSpec": %s, "protocol": "http",
	  "options": {"authHeader": "Bearer %s", "maxRequests": 5000, "timeoutPerReq": "5s", "concurrency": 8, "grpcAddress": "localhost:1"}}`,
		base, spec, target.Token)
	var cfg map[string]any
	if err := json.Unmarshal(h.Post(t, "/api/v1/fuzzing/configs", body, http.StatusCreated), &cfg); err != nil || cfg["id"] == "" || cfg["protocol"] != "http" {
		t.Fatalf("saved config: %v %v", err, cfg)
	}
	// What the server does not read is kept as sent, at the top and in options.
	_ = json.Unmarshal(h.Get(t, "/api/v1/fuzzing/configs/"+cfg["id"].(string), http.StatusOK), &cfg)
	if o, _ := cfg["options"].(map[string]any); cfg["protocol"] != "http" || o["grpcAddress"] != "localhost:1" || o["concurrency"] != float64(8) {
		t.Fatalf("config read back: %v", cfg)
	}
	var run map[string]any
	if err := json.Unmarshal(h.Post(t, "/api/v1/fuzzing/run", fmt.Sprintf(`{"configId": %q}`, cfg["id"]), http.StatusCreated), &run); err != nil {
		t.Fatal(err)
	}
	id, _ := run["id"].(string)
	if id == "" || run["runId"] != id || run["resultId"] != id || run["status"] != "running" || run["findings"] != nil {
		t.Fatalf("run: %v", run)
	}
	var runs struct {
		Runs []map[string]any `json:"runs"`
	}
	if err := json.Unmarshal(h.Get(t, "/api/v1/api-tester/test-runs?mode=fuzz", http.StatusOK), &runs); err != nil ||
		len(runs.Runs) != 1 || runs.Runs[0]["id"] != id || runs.Runs[0]["mode"] != "fuzz" {
		t.Fatalf("the unified test runs, mode fuzz: %v %v", err, runs)
	}
	var res map[string]any
	plugintest.Eventually(t, 2*time.Minute, func() bool {
		_ = json.Unmarshal(h.Get(t, "/api/v1/fuzzing/results/"+id, http.StatusOK), &res)
		return res["status"] != "running"
	}, "the run ends")
	if res["status"] != "completed" || res["totalFindings"].(float64) != 10 || res["totalRequests"].(float64) < 100 || res["completedAt"] == nil {
		t.Fatalf("result: %v", res)
	}

	var findings []map[string]any
	if err := json.Unmarshal(h.Get(t, "/api/v1/fuzzing/findings?runId="+id, http.StatusOK), &findings); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range findings {
		got = append(got, fmt.Sprint(f["category"], " ", f["requestMethod"], " ", strings.TrimPrefix(fmt.Sprint(f["requestUrl"]), base)))
		if f["runId"] != id || f["triagedStatus"] != "new" || f["reproduceCount"].(float64) < 1 || f["createdAt"] == "" {
			t.Errorf("finding: %v", f)
		}
	}
	sort.Strings(got)
	// Every planted bug, the SSRF one through the host's canary.
	if len(findings) != 10 {
		t.Fatalf("%d findings:\n%s", len(findings), strings.Join(got, "\n"))
	}

	fid := findings[0]["id"].(string)
	var tri map[string]any
	_ = json.Unmarshal(h.Do(t, http.MethodPut, "/api/v1/fuzzing/findings/"+fid+"/triage", `{"status": "confirmed", "notes": "real"}`, http.StatusOK), &tri)
	if tri["triagedStatus"] != "confirmed" || tri["notes"] != "real" {
		t.Fatalf("triaged: %v", tri)
	}
	h.Do(t, http.MethodPut, "/api/v1/fuzzing/findings/"+fid+"/triage", `{"status": "maybe"}`, http.StatusUnprocessableEntity)
	h.Get(t, "/api/v1/fuzzing/findings/nope", http.StatusNotFound)

	// Replay re-sends a finding's request: it still reproduces.
	var traversal string
	for _, f := range findings {
		if f["category"] == "path_traversal" {
			traversal = f["id"].(string)
		}
	}
	var rep map[string]any
	_ = json.Unmarshal(h.Post(t, "/api/v1/fuzzing/findings/"+traversal+"/replay", "", http.StatusOK), &rep)
	if rep["stillFails"] != true || rep["statusCode"] != float64(200) || !strings.Contains(fmt.Sprint(rep["response"]), "root:x:0:0") {
		t.Fatalf("replay: %v", rep)
	}

	// Exports: JSON, CSV, JUnit, and SARIF that validates against the SARIF 2.1.0 schema.
	exp := func(format string) []byte {
		return h.Post(t, "/api/v1/fuzzing/findings/export", fmt.Sprintf(`{"format": %q, "runId": %q}`, format, id), http.StatusOK)
	}
	var asJSON []map[string]any
	if err := json.Unmarshal(exp("json"), &asJSON); err != nil || len(asJSON) != 10 {
		t.Fatalf("JSON export: %v %d", err, len(asJSON))
	}
	if rows := strings.Count(strings.TrimSpace(string(exp("csv"))), "\n"); rows != 10 {
		t.Fatalf("CSV export: %d rows", rows)
	}
	if j := string(exp("junit")); !strings.Contains(j, `<testsuite name="mockarty fuzzing" tests="10" failures="10">`) {
		t.Fatalf("JUnit export: %s", j)
	}
	h.Post(t, "/api/v1/fuzzing/findings/export", `{"format": "pdf"}`, http.StatusUnprocessableEntity)
	if b := h.Post(t, "/api/v1/fuzzing/findings/export", `{"format": "json", "severity": ["critical"], "runId": "`+id+`"}`, http.StatusOK); strings.Count(string(b), `"severity": "critical"`) != 4 {
		t.Fatalf("critical findings: %s", b)
	}
	sarifLog := exp("sarif")
	t.Run("sarif schema", func(t *testing.T) { validSARIF(t, sarifLog) })

	// Everything survives a restart of the host.
	h.Stop()
	h = plugintest.StartHost(t, opts)
	var again []map[string]any
	if err := json.Unmarshal(h.Get(t, "/api/v1/fuzzing/findings?runId="+id, http.StatusOK), &again); err != nil || len(again) != 10 {
		t.Fatalf("findings after a restart: %v %d", err, len(again))
	}
	var tf map[string]any
	_ = json.Unmarshal(h.Get(t, "/api/v1/fuzzing/findings/"+fid, http.StatusOK), &tf)
	if tf["triagedStatus"] != "confirmed" || tf["notes"] != "real" {
		t.Fatalf("the triaged finding after a restart: %v", tf)
	}
	_ = json.Unmarshal(h.Post(t, "/api/v1/fuzzing/findings/"+traversal+"/replay", "", http.StatusOK), &rep)
	if rep["stillFails"] != true {
		t.Fatalf("replay after a restart: %v", rep)
	}
	var results []map[string]any
	if err := json.Unmarshal(h.Get(t, "/api/v1/fuzzing/results", http.StatusOK), &results); err != nil || len(results) != 1 || results[0]["status"] != "completed" {
		t.Fatalf("results: %v %v", err, results)
	}
	h.Post(t, "/api/v1/fuzzing/run/"+id+"/stop", "", http.StatusConflict)
	h.Do(t, http.MethodDelete, "/api/v1/fuzzing/results/"+id, "", http.StatusOK)
	if b := h.Get(t, "/api/v1/fuzzing/findings?namespace=sandbox", http.StatusOK); string(b) != "[]" {
		t.Fatalf("findings after the run was deleted: %s", b)
	}
}

// validSARIF checks a log against the SARIF 2.1.0 schema (SARIF_SCHEMA,
// which make clients installs).
func validSARIF(t *testing.T, log []byte) {
	files := schematest.Files(t, "SARIF_SCHEMA", "the SARIF 2.1.0 schema")
	schematest.Valid(t, log, files, filepath.Base(files[0]))
	var l struct {
		Runs []struct {
			Results []map[string]any `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(log, &l); err != nil || len(l.Runs) != 1 || len(l.Runs[0].Results) != 10 {
		t.Fatalf("SARIF results: %v %+v", err, l)
	}
}

// TestCLIFuzz: `mockarty-cli fuzz quick|run --wait` exits 1 on findings at
// or above --fail-on and 0 below it; without --wait it prints the run's id.
func TestCLIFuzz(t *testing.T) {
	_, h, base := withTarget(t, plugintest.HostOptions{})
	greet := base + "/api/greet?name=world"

	code, out, errOut := h.CLI(t, "fuzz", "quick", "--url", greet, "--categories", "xss", "--wait")
	if code != 1 || !strings.Contains(out, "high      xss") || !strings.Contains(errOut, "1 findings at or above high") {
		t.Fatalf("a reflected XSS fails the default --fail-on high: %d\n%s\n%s", code, out, errOut)
	}
	if code, out, errOut = h.CLI(t, "fuzz", "quick", "--url", greet, "--categories", "xss", "--wait", "--fail-on", "critical"); code != 0 {
		t.Fatalf("nothing critical passes --fail-on critical: %d\n%s\n%s", code, out, errOut)
	}
	if code, out, _ = h.CLI(t, "fuzz", "quick", "--url", greet, "--categories", "xss"); code != 0 || len(strings.TrimSpace(out)) != 36 {
		t.Fatalf("without --wait, the run's id: %d %q", code, out)
	}
	if code, _, errOut = h.CLI(t, "fuzz", "quick", "--url", greet, "--fail-on", "bogus"); code == 0 || !strings.Contains(errOut, "--fail-on") {
		t.Fatalf("a bad --fail-on: %d %s", code, errOut)
	}

	h.Post(t, "/api/v1/fuzzing/configs", fmt.Sprintf(`{"name": "search", "targetBaseUrl": %q, "strategy": "security",
	  "seedRequests": [{"id": "s", "method": "GET", "path": "/api/products", "queryParams": {"q": "phone"}}]}`, base), http.StatusCreated)
	code, out, errOut = h.CLI(t, "fuzz", "run", "--config", "search", "--wait", "--format", "json")
	var got struct {
		Result   map[string]any   `json:"result"`
		Findings []map[string]any `json:"findings"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil || code != 1 || got.Result["status"] != "completed" ||
		len(got.Findings) != 1 || got.Findings[0]["category"] != "sqli" {
		t.Fatalf("fuzz run --config: %d %v\n%s\n%s", code, err, out, errOut)
	}
	if code, _, errOut = h.CLI(t, "fuzz", "run", "--config", "nope", "--wait"); code == 0 || !strings.Contains(errOut, "nope") {
		t.Fatalf("an unknown config: %d %s", code, errOut)
	}

	// A config file, as the SDKs' fuzz.Runner.LocalSpawn runs it: stdout is the FuzzResult.
	file := filepath.Join(t.TempDir(), "search.yaml")
	cfgYAML := fmt.Sprintf("name: search file\ntargetBaseUrl: %s\nstrategy: security\npayloadCategories: [sqli]\n"+
		"seedRequests:\n  - {id: s, method: GET, path: /api/products, queryParams: {q: phone}}\n", base)
	if err := os.WriteFile(file, []byte(cfgYAML), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = h.CLI(t, "fuzz", "run", file, "--json", "--fail-on", "none")
	var fr map[string]any
	if err := json.Unmarshal([]byte(out), &fr); err != nil || code != 0 || fr["status"] != "completed" || fr["totalFindings"] != float64(1) {
		t.Fatalf("fuzz run <file> --json: %d %v\n%s\n%s", code, err, out, errOut)
	}
	if code, _, errOut = h.CLI(t, "fuzz", "run", "--config", file, "--wait"); code != 1 || !strings.Contains(errOut, "1 findings at or above high") {
		t.Fatalf("fuzz run --config <file>: %d %s", code, errOut)
	}
}

// TestFuzzImports: configs made from a cURL command, an API-tester
// collection and an OpenAPI description (a chosen path) each run and
// find the bug of what they seed.
func TestFuzzImports(t *testing.T) {
	_, h, base := withTarget(t, plugintest.HostOptions{})
	// runOne runs a config and returns its findings' categories.
	runOne := func(configID string) []string {
		var run map[string]any
		_ = json.Unmarshal(h.Post(t, "/api/v1/fuzzing/run", fmt.Sprintf(`{"configId": %q}`, configID), http.StatusCreated), &run)
		id := run["id"].(string)
		plugintest.Eventually(t, 2*time.Minute, func() bool {
			var res map[string]any
			_ = json.Unmarshal(h.Get(t, "/api/v1/fuzzing/results/"+id, http.StatusOK), &res)
			return res["status"] == "completed"
		}, "run %s completes", id)
		var fs []map[string]any
		_ = json.Unmarshal(h.Get(t, "/api/v1/fuzzing/findings?runId="+id, http.StatusOK), &fs)
		var cats []string
		for _, f := range fs {
			cats = append(cats, fmt.Sprint(f["category"]))
		}
		sort.Strings(cats)
		return cats
	}
	var imp struct {
		ConfigID string         `json:"configId"`
		Count    int            `json:"count"`
		Config   map[string]any `json:"config"`
	}

	curl := fmt.Sprintf(`{"curl": "curl -H 'Accept: text/html' '%s/api/greet?name=world'", "strategy": "security"}`, base)
	if err := json.Unmarshal(h.Post(t, "/api/v1/fuzzing/import/curl", curl, http.StatusCreated), &imp); err != nil || imp.Count != 1 ||
		imp.Config["sourceType"] != "curl" {
		t.Fatalf("curl import: %v %+v", err, imp)
	}
	if got := runOne(imp.ConfigID); strings.Join(got, ",") != "xss" {
		t.Fatalf("the curl config's findings: %v", got)
	}
	h.Post(t, "/api/v1/fuzzing/import/curl", `{"curl": "ls -la"}`, http.StatusUnprocessableEntity)

	var col map[string]any
	_ = json.Unmarshal(h.Post(t, "/api/v1/api-tester/collections", fmt.Sprintf(`{"name": "shop", "requests": [
	  {"name": "files", "url": "%s/api/files?name=readme.txt"}]}`, base), http.StatusCreated), &col)
	if err := json.Unmarshal(h.Post(t, "/api/v1/fuzzing/import/collection", fmt.Sprintf(`{"collectionId": %q, "strategy": "security"}`, col["id"]),
		http.StatusCreated), &imp); err != nil || imp.Count != 1 || imp.Config["name"] != "shop" {
		t.Fatalf("collection import: %v %+v", err, imp)
	}
	if got := runOne(imp.ConfigID); strings.Join(got, ",") != "path_traversal" {
		t.Fatalf("the collection config's findings: %v", got)
	}
	h.Post(t, "/api/v1/fuzzing/import/collection", `{"collectionId": "nope"}`, http.StatusNotFound)

	spec, _ := json.Marshal(string(target.Spec()))
	body := fmt.Sprintf(`{"spec": %s, "paths": ["/api/items"], "targetBaseUrl": %q}`, spec, base)
	if err := json.Unmarshal(h.Post(t, "/api/v1/fuzzing/import/openapi", body, http.StatusCreated), &imp); err != nil || imp.Count != 1 ||
		imp.Config["sourceType"] != "openapi" {
		t.Fatalf("OpenAPI import: %v %+v", err, imp)
	}
	if got := runOne(imp.ConfigID); strings.Join(got, ",") != "sqli" {
		t.Fatalf("the OpenAPI config's findings (only /api/items): %v", got)
	}
	h.Post(t, "/api/v1/fuzzing/import/openapi", `{"spec": "not a spec"}`, http.StatusUnprocessableEntity)
}

// TestFuzzGraphQL: a GraphQL source on the real host and plugin: the
// endpoint's operations listed by /introspect/graphql, and a config of
// sourceType graphql that introspects at run start and finds the
// planted injection.
func TestFuzzGraphQL(t *testing.T) {
	_, h, _ := withTarget(t, plugintest.HostOptions{})
	srv := httptest.NewServer(target.NewGraphQL(true))
	t.Cleanup(srv.Close)

	var intro struct {
		Count      int              `json:"count"`
		Operations []map[string]any `json:"operations"`
	}
	if err := json.Unmarshal(h.Post(t, "/api/v1/fuzzing/introspect/graphql", fmt.Sprintf(`{"endpoint": %q}`, srv.URL+"/graphql"), http.StatusOK),
		&intro); err != nil || intro.Count != 3 || intro.Operations[1]["field"] != "products" {
		t.Fatalf("introspection: %v %+v", err, intro)
	}
	h.Post(t, "/api/v1/fuzzing/introspect/graphql", `{"endpoint": "ftp://x"}`, http.StatusUnprocessableEntity)
	h.Post(t, "/api/v1/fuzzing/introspect/graphql", fmt.Sprintf(`{"endpoint": %q}`, srv.URL+"/nope"), http.StatusUnprocessableEntity)
	h.Post(t, "/api/v1/fuzzing/configs", `{"name": "g", "sourceType": "graphql"}`, http.StatusUnprocessableEntity)

	var run map[string]any
	_ = json.Unmarshal(h.Post(t, "/api/v1/fuzzing/run", fmt.Sprintf(`{"name": "gql", "sourceType": "graphql", "targetBaseUrl": %q,
	  "strategy": "security", "payloadCategories": ["sqli"]}`, srv.URL), http.StatusCreated), &run)
	id := run["id"].(string)
	var res map[string]any
	plugintest.Eventually(t, 2*time.Minute, func() bool {
		_ = json.Unmarshal(h.Get(t, "/api/v1/fuzzing/results/"+id, http.StatusOK), &res)
		return res["status"] != "running"
	}, "the run ends")
	var fs []map[string]any
	_ = json.Unmarshal(h.Get(t, "/api/v1/fuzzing/findings?runId="+id, http.StatusOK), &fs)
	if res["status"] != "completed" || len(fs) != 1 || fs[0]["category"] != "sqli" || !strings.Contains(fmt.Sprint(fs[0]["title"]), "query products") {
		t.Fatalf("the GraphQL run: %v %v", res, fs)
	}
}

// TestFuzzGRPC: a gRPC source on the real host and plugin: the server's
// methods listed by /discover/grpc through reflection, a config of
// sourceType grpc that finds both planted bugs, and their replay.
func TestFuzzGRPC(t *testing.T) {
	_, h, _ := withTarget(t, plugintest.HostOptions{})
	srv, err := target.StartGRPC(true)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)

	var disc struct {
		Count int              `json:"count"`
		Seeds []map[string]any `json:"seeds"`
	}
	if err := json.Unmarshal(h.Post(t, "/api/v1/fuzzing/discover/grpc", fmt.Sprintf(`{"address": %q, "methods": ["Search"]}`, srv.Addr), http.StatusOK),
		&disc); err != nil || disc.Count != 1 || disc.Seeds[0]["operation"] != "grpc shop.v1.Catalog/Search" {
		t.Fatalf("discovery: %v %+v", err, disc)
	}
	h.Post(t, "/api/v1/fuzzing/discover/grpc", `{"address": "no port"}`, http.StatusUnprocessableEntity)
	if b := h.Post(t, "/api/v1/fuzzing/discover/grpc", `{"address": "127.0.0.1:1"}`, http.StatusUnprocessableEntity); !strings.Contains(string(b), "127.0.0.1:1") {
		t.Fatalf("an unreachable server: %s", b)
	}
	h.Post(t, "/api/v1/fuzzing/configs", `{"name": "g", "sourceType": "grpc"}`, http.StatusUnprocessableEntity)

	var run map[string]any
	_ = json.Unmarshal(h.Post(t, "/api/v1/fuzzing/run", fmt.Sprintf(`{"name": "catalog", "sourceType": "grpc", "targetBaseUrl": "grpc://%s",
	  "strategy": "all", "payloadCategories": ["sqli", "type_confusion", "boundary_values"]}`, srv.Addr), http.StatusCreated), &run)
	id := run["id"].(string)
	var res map[string]any
	plugintest.Eventually(t, 2*time.Minute, func() bool {
		_ = json.Unmarshal(h.Get(t, "/api/v1/fuzzing/results/"+id, http.StatusOK), &res)
		return res["status"] != "running"
	}, "the run ends")
	var fs []map[string]any
	_ = json.Unmarshal(h.Get(t, "/api/v1/fuzzing/findings?runId="+id, http.StatusOK), &fs)
	var got []string
	for _, f := range fs {
		got = append(got, fmt.Sprint(f["category"], " ", f["requestUrl"]))
	}
	sort.Strings(got)
	want := fmt.Sprintf("500_error grpc://%[1]s/shop.v1.Catalog/GetItem,sqli grpc://%[1]s/shop.v1.Catalog/Search", srv.Addr)
	if res["status"] != "completed" || strings.Join(got, ",") != want {
		t.Fatalf("the gRPC run: %v\n%v", res, got)
	}
	var rep map[string]any
	_ = json.Unmarshal(h.Post(t, "/api/v1/fuzzing/findings/"+fs[0]["id"].(string)+"/replay", "", http.StatusOK), &rep)
	if rep["stillFails"] != true || rep["statusCode"] != float64(500) {
		t.Fatalf("replay of a gRPC finding: %v", rep)
	}
}

// TestFuzzMessageSources: WebSocket, Kafka and RabbitMQ sources on the
// real host and plugin, each seed's body a message: the vulnerable
// consumers' planted bugs are found through the messages' answers.
func TestFuzzMessageSources(t *testing.T) {
	_, h, _ := withTarget(t, plugintest.HostOptions{})
	run := func(body string) []string {
		t.Helper()
		var r map[string]any
		_ = json.Unmarshal(h.Post(t, "/api/v1/fuzzing/run", body, http.StatusCreated), &r)
		id := r["id"].(string)
		var res map[string]any
		plugintest.Eventually(t, 3*time.Minute, func() bool {
			_ = json.Unmarshal(h.Get(t, "/api/v1/fuzzing/results/"+id, http.StatusOK), &res)
			return res["status"] != "running"
		}, "run %s ends", id)
		if res["status"] != "completed" {
			t.Fatalf("run: %v", res)
		}
		var fs []map[string]any
		_ = json.Unmarshal(h.Get(t, "/api/v1/fuzzing/findings?runId="+id, http.StatusOK), &fs)
		var got []string
		for _, f := range fs {
			parts := strings.Split(fmt.Sprint(f["fingerprint"]), "|")
			got = append(got, strings.Join(parts[:2], "|"))
		}
		sort.Strings(got)
		return got
	}

	ws := httptest.NewServer(target.NewWebSocket(true))
	t.Cleanup(ws.Close)
	wsURL := "ws" + strings.TrimPrefix(ws.URL, "http") + target.WebSocketPath
	if got := run(fmt.Sprintf(`{"name": "chat", "sourceType": "websocket", "strategy": "security", "payloadCategories": ["sqli"],
	  "options": {"websocketUrl": %q}, "seedRequests": [{"id": "search", "body": "{\"query\":\"phone\"}"}]}`, wsURL)); strings.Join(got, ",") !=
		"ws /chat|sqli" {
		t.Fatalf("WebSocket findings: %v", got)
	}

	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(2, "orders", "orders.reply"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cluster.Close)
	app, err := target.StartKafka(cluster.ListenAddrs(), "orders", "orders.reply", true)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(app.Close)
	if got := run(fmt.Sprintf(`{"name": "orders", "targetBaseUrl": "kafka://%s", "strategy": "security", "payloadCategories": ["sqli"],
	  "options": {"kafkaTopic": "orders", "kafkaReplyTopic": "orders.reply"}, "seedRequests": [{"id": "q", "body": "{\"query\":\"phone\"}"}]}`,
		strings.Join(cluster.ListenAddrs(), ","))); strings.Join(got, ",") != "kafka orders|sqli" {
		t.Fatalf("Kafka findings: %v", got)
	}

	const rabbitURL = "amqp://guest:guest@127.0.0.1:5672/"
	rpc, err := target.StartAMQP(rabbitURL, true)
	if err != nil {
		msg := fmt.Sprintf("RabbitMQ is not reachable at %s (%v); start it with `rabbitmq-server -detached`", rabbitURL, err)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	t.Cleanup(rpc.Close)
	if got := run(fmt.Sprintf(`{"name": "search rpc", "sourceType": "rabbitmq", "strategy": "security", "payloadCategories": ["sqli"],
	  "options": {"amqpUrl": %q, "amqpExchange": %q, "amqpRoutingKey": %q, "amqpRpc": true},
	  "seedRequests": [{"id": "q", "body": "{\"query\":\"phone\"}"}]}`, rabbitURL, rpc.Exchange, rpc.RoutingKey)); strings.Join(got, ",") !=
		"amqp "+rpc.Exchange+"/search|sqli" {
		t.Fatalf("RabbitMQ findings: %v", got)
	}
}
