package main

import (
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/mockarty-oss/mockarty/sdk/plugintest"
	"github.com/mockarty-oss/mockarty/sdk/plugintest/schematest"
)

// sdkSession is a recording session as the SDKs decode it (model-tools
// §4.2: createdAt is epoch ms).
type sdkSession struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	TargetURL  string `json:"targetUrl"`
	Port       int    `json:"port"`
	Status     string `json:"status"`
	Namespace  string `json:"namespace"`
	EntryCount int    `json:"entryCount"`
	CreatedAt  int64  `json:"createdAt"`
	StoppedAt  int64  `json:"stoppedAt"`
	Error      string `json:"error"`
}

// sdkEntry is an entry as the SDKs decode it (headers single strings).
type sdkEntry struct {
	ID              string            `json:"id"`
	SessionID       string            `json:"sessionId"`
	Method          string            `json:"method"`
	URL             string            `json:"url"`
	Path            string            `json:"path"`
	StatusCode      int               `json:"statusCode"`
	Duration        int64             `json:"duration"`
	Timestamp       int64             `json:"timestamp"`
	RequestHeaders  map[string]string `json:"requestHeaders"`
	RequestBody     any               `json:"requestBody"`
	ResponseHeaders map[string]string `json:"responseHeaders"`
	ResponseBody    any               `json:"responseBody"`
	Error           string            `json:"error"`
	Note            string            `json:"note"`
}

func decode[T any](t *testing.T, b []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("the SDK could not decode the answer: %v\n%s", err, b)
	}
	return v
}

// shop is the upstream a recording proxies to.
func shop() *httptest.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/users", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"users":[{"id":1,"name":"Ann"}]}`)
	})
	mux.HandleFunc("POST /api/orders", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		_, _ = fmt.Fprintf(w, `{"id":"o1","order":%s}`, b)
	})
	return httptest.NewServer(mux)
}

// TestRecorderAPI: a reverse-proxy session on the real host and plugin:
// exchanges through it become entries, a HAR export that validates, mocks
// that answer the recorded requests, a fuzz config; a taken port is 409;
// stop, restart, a failed upstream recorded, the session kept across a
// restart of the server.
func TestRecorderAPI(t *testing.T) {
	up := shop()
	defer up.Close()
	opts := plugintest.HostOptions{DataDir: t.TempDir(), Env: []string{"ALLOW_PROXY_TO_PRIVATE_IPS=true"},
		Plugins: map[string]plugintest.PluginSpec{"recorder": {Dir: "."}, "http": {Dir: "../http", Settings: `{"addresses": ["127.0.0.1:0"], "namespace": "rec"}`}}}
	h := plugintest.StartHost(t, opts)

	sn := decode[sdkSession](t, h.Post(t, "/api/v1/recorder/start", fmt.Sprintf(`{"name": "shop", "targetUrl": %q, "namespace": "sandbox"}`, up.URL),
		http.StatusCreated))
	if sn.ID == "" || sn.Status != "recording" || sn.Port < 8081 || sn.Port > 8999 || sn.CreatedAt == 0 {
		t.Fatalf("session: %+v", sn)
	}
	proxy := "http://127.0.0.1:" + strconv.Itoa(sn.Port)
	res, err := http.Get(proxy + "/api/users")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || string(body) != `{"users":[{"id":1,"name":"Ann"}]}` {
		t.Fatalf("through the proxy: %d %s", res.StatusCode, body)
	}
	res, err = http.Post(proxy+"/api/orders", "application/json", strings.NewReader(`{"sku":"A1"}`))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()

	var entries []sdkEntry
	plugintest.Eventually(t, 30*time.Second, func() bool {
		entries = decode[[]sdkEntry](t, h.Get(t, "/api/v1/recorder/"+sn.ID+"/entries", http.StatusOK))
		return len(entries) == 2
	}, "two entries")
	if e := entries[0]; e.Method != "GET" || e.Path != "/api/users" || e.StatusCode != 200 || e.SessionID != sn.ID ||
		e.ResponseHeaders["Content-Type"] != "application/json" || !strings.Contains(fmt.Sprint(e.ResponseBody), "Ann") || e.Timestamp == 0 {
		t.Fatalf("first entry: %+v", e)
	}
	if e := entries[1]; e.Method != "POST" || e.StatusCode != 201 || fmt.Sprint(e.RequestBody) != `{"sku":"A1"}` {
		t.Fatalf("second entry: %+v", e)
	}
	got := decode[sdkSession](t, h.Get(t, "/api/v1/recorder/"+sn.ID, http.StatusOK))
	if got.EntryCount != 2 {
		t.Fatalf("entry count: %+v", got)
	}
	// Annotations.
	ann := decode[sdkEntry](t, h.Do(t, http.MethodPatch, "/api/v1/recorder/"+sn.ID+"/entries/"+entries[0].ID, `{"note": "the list", "tags": ["smoke"]}`, http.StatusOK))
	if ann.Note != "the list" {
		t.Fatalf("annotated: %+v", ann)
	}

	// The port is taken: 409.
	h.Post(t, "/api/v1/recorder/start", fmt.Sprintf(`{"name": "again", "targetUrl": %q, "port": %d}`, up.URL, sn.Port), http.StatusConflict)
	h.Post(t, "/api/v1/recorder/start", `{"name": "bad", "targetUrl": "ftp://x"}`, http.StatusUnprocessableEntity)
	var ports map[string]any
	_ = json.Unmarshal(h.Get(t, "/api/v1/recorder/ports", http.StatusOK), &ports)
	if used, _ := ports["used"].([]any); len(used) != 1 || used[0] != float64(sn.Port) {
		t.Fatalf("ports: %v", ports)
	}

	// HAR 1.2 that validates against the schema.
	har := h.Post(t, "/api/v1/recorder/"+sn.ID+"/export", "", http.StatusOK)
	t.Run("har schema", func(t *testing.T) {
		schematest.Valid(t, har, schematest.Files(t, "HAR_SCHEMA", "the HAR 1.2 JSON schema (npm har-schema)"), "har.json")
	})

	// Mocks of the session answer the recorded requests, through /stubs and the HTTP plugin.
	mocks := decode[[]map[string]any](t, h.Post(t, "/api/v1/recorder/"+sn.ID+"/mocks", `{"namespace": "rec"}`, http.StatusCreated))
	if len(mocks) != 2 {
		t.Fatalf("mocks: %v", mocks)
	}
	for _, base := range []string{h.URL + "/stubs/rec", "http://" + h.Addresses(t, "http")[0]} {
		res, err := http.Get(base + "/api/users")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 || !strings.Contains(string(b), `"name":"Ann"`) {
			t.Fatalf("%s/api/users from the mocks: %d %s", base, res.StatusCode, b)
		}
	}

	// The session's requests as a fuzz config.
	imp := decode[map[string]any](t, h.Post(t, "/api/v1/fuzzing/import/recorder", fmt.Sprintf(`{"sessionId": %q}`, sn.ID), http.StatusCreated))
	if imp["count"] != float64(2) {
		t.Fatalf("fuzz import: %v", imp)
	}

	// Stop answers the session; restart records again on the same port.
	stopped := decode[sdkSession](t, h.Post(t, "/api/v1/recorder/"+sn.ID+"/stop", "", http.StatusOK))
	if stopped.Status != "stopped" || stopped.StoppedAt == 0 {
		t.Fatalf("stopped: %+v", stopped)
	}
	h.Post(t, "/api/v1/recorder/"+sn.ID+"/stop", "", http.StatusConflict)
	again := decode[sdkSession](t, h.Post(t, "/api/v1/recorder/"+sn.ID+"/restart", "", http.StatusOK))
	if again.Status != "recording" || again.Port != sn.Port {
		t.Fatalf("restarted: %+v", again)
	}
	if res, err := http.Get(proxy + "/api/users"); err == nil {
		res.Body.Close()
	}
	plugintest.Eventually(t, 30*time.Second, func() bool {
		return len(decode[[]sdkEntry](t, h.Get(t, "/api/v1/recorder/"+sn.ID+"/entries", http.StatusOK))) == 3
	}, "a third entry after the restart")

	// A failed upstream is a failed entry, not a lost one.
	down := decode[sdkSession](t, h.Post(t, "/api/v1/recorder/start", `{"name": "down", "targetUrl": "http://127.0.0.1:1"}`, http.StatusCreated))
	res, err = http.Get("http://127.0.0.1:" + strconv.Itoa(down.Port) + "/x")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusBadGateway {
		t.Fatalf("a refused upstream through the proxy: %d", res.StatusCode)
	}
	plugintest.Eventually(t, 30*time.Second, func() bool {
		list := decode[[]sdkEntry](t, h.Get(t, "/api/v1/recorder/"+down.ID+"/entries", http.StatusOK))
		return len(list) == 1 && list[0].StatusCode == 502 && list[0].Error != ""
	}, "the failed exchange is an entry")

	// Sessions survive a restart of the server; the ones recording are stopped.
	h.Stop()
	h = plugintest.StartHost(t, opts)
	list := decode[[]sdkSession](t, h.Get(t, "/api/v1/recorder/sessions", http.StatusOK))
	if len(list) != 2 {
		t.Fatalf("sessions after a restart: %+v", list)
	}
	for _, s := range list {
		if s.Status != "stopped" || s.Error == "" {
			t.Fatalf("a session that was recording, after a restart: %+v", s)
		}
	}
	if n := len(decode[[]sdkEntry](t, h.Get(t, "/api/v1/recorder/"+sn.ID+"/entries", http.StatusOK))); n != 3 {
		t.Fatalf("entries after a restart: %d", n)
	}
	h.Do(t, http.MethodDelete, "/api/v1/recorder/"+sn.ID, "", http.StatusOK)
	h.Get(t, "/api/v1/recorder/"+sn.ID, http.StatusNotFound)
}

// TestRecorderCLI: mockarty-cli recorder start | entries | export --har |
// mocks --namespace | stop against the real host and plugin.
func TestRecorderCLI(t *testing.T) {
	up := shop()
	defer up.Close()
	h := plugintest.StartHost(t, plugintest.HostOptions{Env: []string{"ALLOW_PROXY_TO_PRIVATE_IPS=true"},
		Plugins: map[string]plugintest.PluginSpec{"recorder": {Dir: "."}}})
	code, out, errOut := h.CLI(t, "recorder", "start", "--target", up.URL, "-o", "json")
	sn := decode[sdkSession](t, []byte(out))
	if code != 0 || sn.Status != "recording" {
		t.Fatalf("recorder start: %d %s %s", code, out, errOut)
	}
	res, err := http.Get("http://127.0.0.1:" + strconv.Itoa(sn.Port) + "/api/users")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	plugintest.Eventually(t, 30*time.Second, func() bool {
		_, out, _ := h.CLI(t, "recorder", "entries", sn.ID)
		return strings.Contains(out, "/api/users") && strings.Contains(out, "200")
	}, "the entry in recorder entries")
	file := t.TempDir() + "/shop.har"
	if code, _, errOut = h.CLI(t, "recorder", "export", sn.ID, "--har", file); code != 0 {
		t.Fatalf("recorder export: %d %s", code, errOut)
	}
	raw, err := os.ReadFile(file)
	if err != nil || !strings.Contains(string(raw), `"version": "1.2"`) {
		t.Fatalf("the HAR file: %v %.200s", err, raw)
	}
	if code, out, errOut = h.CLI(t, "recorder", "mocks", sn.ID, "--namespace", "cli"); code != 0 || !strings.Contains(out, "/api/users") {
		t.Fatalf("recorder mocks: %d %s %s", code, out, errOut)
	}
	if code, out, _ = h.CLI(t, "recorder", "stop", sn.ID); code != 0 || !strings.Contains(out, "stopped") {
		t.Fatalf("recorder stop: %d %s", code, out)
	}
	if code, _, errOut = h.CLI(t, "recorder", "start"); code == 0 || !strings.Contains(errOut, "--target") {
		t.Fatalf("recorder start without a target: %d %s", code, errOut)
	}
}

// TestRecorderExports: a session as an API-tester collection whose tests
// check the recorded answers (run by the tester plugin: they pass against
// the same upstream), and as a k6 script (written by the perf plugin).
func TestRecorderExports(t *testing.T) {
	up := shop()
	defer up.Close()
	h := plugintest.StartHost(t, plugintest.HostOptions{Env: []string{"ALLOW_PROXY_TO_PRIVATE_IPS=true"},
		Plugins: map[string]plugintest.PluginSpec{"recorder": {Dir: "."}, "tester": {Dir: "../tester"}, "perf": {Dir: "../perf"}}})
	sn := decode[sdkSession](t, h.Post(t, "/api/v1/recorder/start", fmt.Sprintf(`{"name": "shop", "targetUrl": %q}`, up.URL), http.StatusCreated))
	proxy := "http://127.0.0.1:" + strconv.Itoa(sn.Port)
	if res, err := http.Get(proxy + "/api/users"); err == nil {
		res.Body.Close()
	}
	if res, err := http.Post(proxy+"/api/orders", "application/json", strings.NewReader(`{"sku":"A1"}`)); err == nil {
		res.Body.Close()
	}
	plugintest.Eventually(t, 30*time.Second, func() bool {
		return len(decode[[]sdkEntry](t, h.Get(t, "/api/v1/recorder/"+sn.ID+"/entries", http.StatusOK))) == 2
	}, "two entries")

	col := decode[map[string]any](t, h.Post(t, "/api/v1/recorder/"+sn.ID+"/export-collection", "", http.StatusCreated))
	if col["imported"] != float64(2) || col["collectionId"] == "" {
		t.Fatalf("export-collection: %v", col)
	}
	tc := decode[map[string]any](t, h.Post(t, "/api/v1/recorder/"+sn.ID+"/export-test", `{"name": "shop checks"}`, http.StatusCreated))
	run := decode[map[string]any](t, h.Post(t, "/api/v1/api-tester/collections/"+tc["collectionId"].(string)+"/execute", "", http.StatusOK))
	if run["status"] != "passed" && run["status"] != "completed" || run["failedTests"] != float64(0) || run["totalTests"] != float64(4) {
		t.Fatalf("the recorded tests run against the upstream: %v", run)
	}

	script := decode[map[string]any](t, h.Post(t, "/api/v1/recorder/"+sn.ID+"/export-perf", `{"vus": 2, "duration": "5s"}`, http.StatusOK))
	if s, _ := script["script"].(string); !strings.Contains(s, "k6/http") || !strings.Contains(s, up.URL+"/api/users") || script["requests"] != float64(2) {
		t.Fatalf("export-perf: %v", script)
	}
}

// TestCurlThroughTheForwardProxy: curl -x with the CA downloaded from the
// server records an HTTPS exchange with a local TLS upstream, decrypted.
func TestCurlThroughTheForwardProxy(t *testing.T) {
	curl, err := exec.LookPath("curl")
	if err != nil {
		plugintest.MissingClient(t, "curl")
	}
	up := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"hello":"tls","path":"`+r.URL.Path+`"}`)
	}))
	defer up.Close()
	dir := t.TempDir()
	upCA := filepath.Join(dir, "upstream.pem")
	if err := os.WriteFile(upCA, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: up.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	h := plugintest.StartHost(t, plugintest.HostOptions{Env: []string{"ALLOW_PROXY_TO_PRIVATE_IPS=true", "RECORDER_UPSTREAM_CA_FILE=" + upCA},
		Plugins: map[string]plugintest.PluginSpec{"recorder": {Dir: "."}}})

	h.Get(t, "/api/v1/recorder/ca/download", http.StatusNotFound)
	st := decode[map[string]any](t, h.Post(t, "/api/v1/recorder/ca/generate", "", http.StatusOK))
	if st["exists"] != true || st["fingerprint"] == "" {
		t.Fatalf("CA: %v", st)
	}
	ca := filepath.Join(dir, "mockarty-ca.pem")
	if err := os.WriteFile(ca, h.Get(t, "/api/v1/recorder/ca/download", http.StatusOK), 0o600); err != nil {
		t.Fatal(err)
	}
	sn := decode[sdkSession](t, h.Post(t, "/api/v1/recorder/start", `{"name": "browser", "mode": "forward"}`, http.StatusCreated))
	target := up.URL + "/hello?x=1"
	out, err := exec.Command(curl, "-sS", "--max-time", "20", "-x", "http://127.0.0.1:"+strconv.Itoa(sn.Port), "--cacert", ca, target).CombinedOutput()
	if err != nil || string(out) != `{"hello":"tls","path":"/hello"}` {
		t.Fatalf("curl through the recorder: %v\n%s", err, out)
	}
	var entries []sdkEntry
	plugintest.Eventually(t, 30*time.Second, func() bool {
		entries = decode[[]sdkEntry](t, h.Get(t, "/api/v1/recorder/"+sn.ID+"/entries", http.StatusOK))
		return len(entries) == 1
	}, "the HTTPS exchange is an entry")
	if e := entries[0]; e.Method != "GET" || e.StatusCode != 200 || e.Path != "/hello" || !strings.Contains(fmt.Sprint(e.ResponseBody), `"hello":"tls"`) {
		t.Fatalf("the decrypted entry: %+v", e)
	}
}

// TestRecorderConfigs: configs saved, listed, exported, imported as new
// ones, updated and deleted; bad ones refused.
func TestRecorderConfigs(t *testing.T) {
	h := plugintest.StartHost(t, plugintest.HostOptions{Plugins: map[string]plugintest.PluginSpec{"recorder": {Dir: "."}}})
	cfg := decode[map[string]any](t, h.Post(t, "/api/v1/recorder/configs", `{"name": "shop", "targetUrl": "http://localhost:8080", "port": 8090,
	  "modifications": {"requestHeaders": {"add": {"X-Env": "test"}}}}`, http.StatusCreated))
	id, _ := cfg["id"].(string)
	if id == "" || cfg["mode"] != "reverse" {
		t.Fatalf("config: %v", cfg)
	}
	h.Post(t, "/api/v1/recorder/configs", `{"name": "bad", "targetUrl": "nope"}`, http.StatusUnprocessableEntity)
	h.Post(t, "/api/v1/recorder/configs", `{"name": "bad", "targetUrl": "http://x", "port": 80}`, http.StatusUnprocessableEntity)
	file := h.Get(t, "/api/v1/recorder/configs/"+id+"/export", http.StatusOK)
	if strings.Contains(string(file), id) || !strings.Contains(string(file), "X-Env") {
		t.Fatalf("export: %s", file)
	}
	imported := decode[map[string]any](t, h.Post(t, "/api/v1/recorder/configs/import", string(file), http.StatusCreated))
	if imported["id"] == id || imported["name"] != "shop" {
		t.Fatalf("import: %v", imported)
	}
	upd := decode[map[string]any](t, h.Do(t, http.MethodPut, "/api/v1/recorder/configs/"+id, `{"port": 8091}`, http.StatusOK))
	if upd["port"] != float64(8091) {
		t.Fatalf("update: %v", upd)
	}
	if list := decode[[]map[string]any](t, h.Get(t, "/api/v1/recorder/configs", http.StatusOK)); len(list) != 2 {
		t.Fatalf("list: %v", list)
	}
	h.Do(t, http.MethodDelete, "/api/v1/recorder/configs/"+id, "", http.StatusOK)
	h.Get(t, "/api/v1/recorder/configs/"+id, http.StatusNotFound)
}

// TestRecorderReplay: a session's requests sent again (all, some, one, or
// to another target) say which answers still match the recorded status.
func TestRecorderReplay(t *testing.T) {
	var broken atomic.Bool
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/users", func(w http.ResponseWriter, r *http.Request) {
		if broken.Load() {
			http.Error(w, "boom", http.StatusInternalServerError)
			return
		}
		_, _ = io.WriteString(w, `{"users":[]}`)
	})
	mux.HandleFunc("POST /api/orders", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write(b)
	})
	up := httptest.NewServer(mux)
	defer up.Close()
	h := plugintest.StartHost(t, plugintest.HostOptions{Env: []string{"ALLOW_PROXY_TO_PRIVATE_IPS=true"},
		Plugins: map[string]plugintest.PluginSpec{"recorder": {Dir: "."}}})
	sn := decode[sdkSession](t, h.Post(t, "/api/v1/recorder/start", fmt.Sprintf(`{"name": "r", "targetUrl": %q}`, up.URL), http.StatusCreated))
	proxy := "http://127.0.0.1:" + strconv.Itoa(sn.Port)
	if res, err := http.Get(proxy + "/api/users"); err == nil {
		res.Body.Close()
	}
	if res, err := http.Post(proxy+"/api/orders", "application/json", strings.NewReader(`{"sku":"A1"}`)); err == nil {
		res.Body.Close()
	}
	var entries []sdkEntry
	plugintest.Eventually(t, 30*time.Second, func() bool {
		entries = decode[[]sdkEntry](t, h.Get(t, "/api/v1/recorder/"+sn.ID+"/entries", http.StatusOK))
		return len(entries) == 2
	}, "two entries")
	h.Post(t, "/api/v1/recorder/"+sn.ID+"/stop", "", http.StatusOK)

	type summary struct {
		TotalEntries, Matched, Mismatched, Failed, Skipped int
		Results                                            []map[string]any
	}
	s := decode[summary](t, h.Post(t, "/api/v1/recorder/"+sn.ID+"/replay", "", http.StatusOK))
	if s.TotalEntries != 2 || s.Matched != 2 || s.Results[1]["responsePreview"] != `{"sku":"A1"}` {
		t.Fatalf("replay: %+v", s)
	}
	broken.Store(true)
	s = decode[summary](t, h.Post(t, "/api/v1/recorder/"+sn.ID+"/replay", `{"concurrency": 2}`, http.StatusOK))
	if s.Matched != 1 || s.Mismatched != 1 || s.Results[0]["newStatus"] != float64(500) || s.Results[0]["statusMatch"] != false {
		t.Fatalf("replay against a broken upstream: %+v", s)
	}
	one := decode[map[string]any](t, h.Post(t, "/api/v1/recorder/"+sn.ID+"/entries/"+entries[1].ID+"/replay", "", http.StatusOK))
	if one["statusMatch"] != true || one["newStatus"] != float64(201) {
		t.Fatalf("one entry: %v", one)
	}
	s = decode[summary](t, h.Post(t, "/api/v1/recorder/"+sn.ID+"/replay", fmt.Sprintf(`{"targetUrl": "http://127.0.0.1:1", "entryIds": [%q]}`,
		entries[0].ID), http.StatusOK))
	if s.TotalEntries != 1 || s.Failed != 1 || !strings.HasPrefix(fmt.Sprint(s.Results[0]["replayedUrl"]), "http://127.0.0.1:1/api/users") {
		t.Fatalf("replay to another target: %+v", s)
	}
	h.Post(t, "/api/v1/recorder/"+sn.ID+"/replay", `{"targetUrl": "ftp://x"}`, http.StatusUnprocessableEntity)

	// Correlation over the stored entries: the order's SKU flows nowhere.
	cr := decode[map[string]any](t, h.Post(t, "/api/v1/recorder/"+sn.ID+"/correlate", `{"minValueLength": 2}`, http.StatusOK))
	if cr["scanned"] != float64(2) || cr["correlations"] == nil {
		t.Fatalf("correlate: %v", cr)
	}
	h.Post(t, "/api/v1/recorder/"+sn.ID+"/correlate", `{"minValueLength": -1}`, http.StatusUnprocessableEntity)
}

// TestRecorderLive: GET /recorder/:id/ws streams the entries as they are
// stored (the ones before first), then says the session stopped.
func TestRecorderLive(t *testing.T) {
	up := shop()
	defer up.Close()
	h := plugintest.StartHost(t, plugintest.HostOptions{Env: []string{"ALLOW_PROXY_TO_PRIVATE_IPS=true"},
		Plugins: map[string]plugintest.PluginSpec{"recorder": {Dir: "."}}})
	sn := decode[sdkSession](t, h.Post(t, "/api/v1/recorder/start", fmt.Sprintf(`{"name": "live", "targetUrl": %q}`, up.URL), http.StatusCreated))
	proxy := "http://127.0.0.1:" + strconv.Itoa(sn.Port)
	get := func(path string) {
		if res, err := http.Get(proxy + path); err == nil {
			res.Body.Close()
		}
	}
	get("/api/users")
	ws, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(h.URL, "http")+"/api/v1/recorder/"+sn.ID+"/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	_ = ws.SetReadDeadline(time.Now().Add(time.Minute))
	next := func() map[string]any {
		var m map[string]any
		if err := ws.ReadJSON(&m); err != nil {
			t.Fatalf("the live stream: %v", err)
		}
		return m
	}
	if m := next(); m["type"] != "entry" || m["entry"].(map[string]any)["path"] != "/api/users" {
		t.Fatalf("the entry before: %v", m)
	}
	get("/api/nope")
	if m := next(); m["type"] != "entry" || m["entry"].(map[string]any)["statusCode"] != float64(404) {
		t.Fatalf("a live entry: %v", m)
	}
	h.Post(t, "/api/v1/recorder/"+sn.ID+"/stop", "", http.StatusOK)
	if m := next(); m["type"] != "stopped" {
		t.Fatalf("the end: %v", m)
	}
	if _, _, err := ws.ReadMessage(); err == nil {
		t.Fatal("the stream goes on after the session stopped")
	}
	// A plain GET is told to use a WebSocket.
	h.Get(t, "/api/v1/recorder/"+sn.ID+"/ws", http.StatusUnprocessableEntity)
}

// TestRecorderPluginCrash: when the recorder plugin goes away (restarted
// by an admin here), its session stops with the reason, and what it had
// recorded is kept; the session records again after a restart.
func TestRecorderPluginCrash(t *testing.T) {
	up := shop()
	defer up.Close()
	h := plugintest.StartHost(t, plugintest.HostOptions{Env: []string{"ALLOW_PROXY_TO_PRIVATE_IPS=true"},
		Plugins: map[string]plugintest.PluginSpec{"recorder": {Dir: "."}}})
	sn := decode[sdkSession](t, h.Post(t, "/api/v1/recorder/start", fmt.Sprintf(`{"name": "crash", "targetUrl": %q}`, up.URL), http.StatusCreated))
	if res, err := http.Get("http://127.0.0.1:" + strconv.Itoa(sn.Port) + "/api/users"); err == nil {
		res.Body.Close()
	}
	plugintest.Eventually(t, 30*time.Second, func() bool {
		return len(decode[[]sdkEntry](t, h.Get(t, "/api/v1/recorder/"+sn.ID+"/entries", http.StatusOK))) == 1
	}, "the entry")
	h.Post(t, "/api/v1/plugins/recorder/restart", "", http.StatusOK)
	var got sdkSession
	plugintest.Eventually(t, 30*time.Second, func() bool {
		got = decode[sdkSession](t, h.Get(t, "/api/v1/recorder/"+sn.ID, http.StatusOK))
		return got.Status == "stopped"
	}, "the session stops with its plugin")
	if got.Error == "" || got.EntryCount != 1 {
		t.Fatalf("after the plugin went away: %+v", got)
	}
	plugintest.EventuallyNoError(t, 30*time.Second, func() error {
		code, body := h.Request(t, http.MethodPost, "/api/v1/recorder/"+sn.ID+"/restart", "application/json", "")
		if code != http.StatusOK {
			return fmt.Errorf("%d %s", code, body)
		}
		return nil
	}, "the session records again once the plugin is back")
}
