package main

// End to end: the real host binary loads the real plugin binary; mocks are
// made through the host's REST API and the streams are read with net/http
// (a WHATWG event-stream parser on top, sseclient_test.go).

import (
	"bytes"
	"encoding/json"
	"fmt"
	"github.com/mockarty-oss/mockarty/sdk/plugintest"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

var (
	buildOnce sync.Once
	buildErr  error
	binDir    string // mockarty and mockarty-plugin-sse, built once
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "mockarty-sse-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// buildBinaries builds the host and this plugin (with -race when the tests
// run with it: the plugin is what is under test).
func buildBinaries(t *testing.T) {
	t.Helper()
	buildOnce.Do(func() {
		host := exec.Command("go", "build", "-o", filepath.Join(binDir, "mockarty"), "./cmd/mockarty")
		host.Dir = filepath.Join("..", "..", "host")
		if out, err := host.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("build the host: %v\n%s", err, out)
			return
		}
		args := []string{"build", "-o", filepath.Join(binDir, "mockarty-plugin-sse")}
		if raceEnabled() {
			args = append(args, "-race")
		}
		plugin := exec.Command("go", append(args, ".")...)
		if out, err := plugin.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("build the plugin: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
}

func raceEnabled() bool {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return false
	}
	for _, s := range bi.Settings {
		if s.Key == "-race" && s.Value == "true" {
			return true
		}
	}
	return false
}

// hostVars are the variables the host reads: the caller's are not passed
// on, so a developer's shell cannot change what the test sees.
var hostVars = []string{"HTTP_", "MOCKARTY_", "DB_", "TEMPLATES_DIR", "REPO_LOG_LIMIT", "LOG_", "ENV=", "AUTH_",
	"COOKIE_", "FIRST_ADMIN_", "PLUGINS", "SHUTDOWN_TIMEOUT"}

// syncBuffer collects a process's output while the test reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

type hostProc struct {
	url    string
	sse    string // the plugin's base URL
	stderr *syncBuffer
}

func freePort(t *testing.T) int {
	t.Helper()
	return plugintest.FreePort(t) // never the same port twice
}

// startHost runs the host with only this plugin and waits until the plugin
// is running.
func startHost(t *testing.T) *hostProc {
	t.Helper()
	buildBinaries(t)
	data := t.TempDir()
	listen := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	cfg := fmt.Sprintf(`{"sse": {"settings": {"addresses": [%q], "namespace": "sandbox"}}}`, listen)
	if err := os.WriteFile(filepath.Join(data, "plugins.json"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	cmd := exec.Command(filepath.Join(binDir, "mockarty"))
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
		"AUTH_MODE=local", "PLUGINS=sse", "PLUGINS_DIR="+binDir, "PLUGINS_CONFIG="+filepath.Join(data, "plugins.json"),
		"LOG_LEVEL=warn")
	h := &hostProc{url: "http://127.0.0.1:" + strconv.Itoa(port), sse: "http://" + listen, stderr: &syncBuffer{}}
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
	deadline := time.Now().Add(60 * time.Second)
	for {
		select {
		case <-done:
			t.Fatalf("the host exited:\n%s", h.stderr.String())
		default:
		}
		if p := h.plugin(t, false); p != nil && p["state"] == "running" {
			addrs, _ := p["addresses"].([]any)
			if len(addrs) != 1 || addrs[0] != listen {
				t.Fatalf("plugin addresses: %v", p)
			}
			return h
		}
		if time.Now().After(deadline) {
			t.Fatalf("the sse plugin never ran: %v\n%s", h.plugin(t, false), h.stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// plugin returns the sse plugin's entry of GET /api/v1/plugins (nil while
// the host does not answer, unless must).
func (h *hostProc) plugin(t *testing.T, must bool) map[string]any {
	t.Helper()
	res, err := http.Get(h.url + "/api/v1/plugins")
	if err != nil {
		if must {
			t.Fatal(err)
		}
		return nil
	}
	defer res.Body.Close()
	var v struct {
		Plugins []map[string]any `json:"plugins"`
	}
	if err := json.NewDecoder(res.Body).Decode(&v); err != nil || len(v.Plugins) != 1 || v.Plugins[0]["name"] != "sse" {
		if must {
			t.Fatalf("plugins: %v %v", v, err)
		}
		return nil
	}
	return v.Plugins[0]
}

// post sends a JSON body to the host's API and checks the status.
func (h *hostProc) post(t *testing.T, path, body string, want int) {
	t.Helper()
	res, err := http.Post(h.url+path, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != want {
		t.Fatalf("POST %s: %d %s", path, res.StatusCode, b)
	}
}

func TestRealHostAndPlugin(t *testing.T) {
	h := startHost(t)

	// A template file for an event's templatePath.
	h.post(t, "/api/v1/templates/order-done.json", `{"content": "{\"done\": true, \"shop\": \"$.pathParam.shop\"}"}`, http.StatusCreated)
	h.post(t, "/api/v1/mocks", `{"id":"orders","sse":{"eventPath":"/events/orders/:shop","eventName":"order"},
"response":{"headers":{"X-Stream":["orders"]},"sseEventChain":{"events":[
{"id":"1","data":{"shop":"$.pathParam.shop","n":1}},
{"id":"2","eventName":"paid","data":"paid since $.queryParams.since","delay":150,"retry":2000},
{"id":"3","eventName":"note","data":"line one\nline two","delay":100},
{"id":"4","eventName":"done","templatePath":"order-done.json","delay":50}]}}}`, http.StatusCreated)

	t.Run("order, ids, names, data, delays and retry", func(t *testing.T) {
		res, r := openStream(t, h.sse+"/events/orders/s1?since=5", nil)
		if res.StatusCode != 200 || res.Header.Get("Content-Type") != "text/event-stream" || res.Header.Get("X-Stream") != "orders" ||
			res.Header.Get("X-Mockarty-Mock-Id") != "orders" {
			t.Fatalf("answer: %d %v", res.StatusCode, res.Header)
		}
		evs := r.events(t, 30*time.Second) // a chain that does not loop ends the stream
		want := `1:order={"shop":"s1","n":1} 2:paid=paid since 5 3:note=line one` + "\n" + `line two 4:done={"done":true,"shop":"s1"}`
		if summary(evs) != want {
			t.Fatalf("events:\n%s\nwant:\n%s", summary(evs), want)
		}
		if evs[1].Retry != 2000 || evs[0].Retry != 0 {
			t.Fatalf("retry: %+v", evs)
		}
		r.notBefore(t, evs, 0, 150*time.Millisecond, 250*time.Millisecond, 300*time.Millisecond)
	})

	t.Run("Last-Event-ID resumes after that event", func(t *testing.T) {
		_, r := openStream(t, h.sse+"/events/orders/s2?since=1", map[string]string{"Last-Event-ID": "2"})
		if got := summary(r.events(t, 30*time.Second)); got != "3:note=line one\nline two 4:done={\"done\":true,\"shop\":\"s2\"}" {
			t.Fatalf("resumed: %s", got)
		}
		// After the last event of a chain that does not loop: 204, which
		// tells an EventSource to stop reconnecting.
		res, r := openStream(t, h.sse+"/events/orders/s2?since=1", map[string]string{"Last-Event-ID": "4"})
		if res.StatusCode != http.StatusNoContent || len(r.events(t, 10*time.Second)) != 0 {
			t.Fatalf("after the end: %d", res.StatusCode)
		}
	})

	t.Run("loops, loopDelay, maxLoops and heartbeats", func(t *testing.T) {
		h.post(t, "/api/v1/mocks", `{"id":"ticker","sse":{"eventPath":"/events/ticker"},
"response":{"sseEventChain":{"events":[{"id":"t1","eventName":"tick","data":{"n":1}},{"id":"t2","eventName":"tock","data":{"n":2},"delay":20}],
"loop":true,"loopDelay":250,"heartbeat":80,"maxLoops":3}}}`, http.StatusCreated)
		_, r := openStream(t, h.sse+"/events/ticker", nil)
		items := r.events(t, 30*time.Second) // maxLoops ends the stream
		evs := onlyEvents(items)
		var ids []string
		for _, e := range evs {
			ids = append(ids, e.ID+":"+e.Event)
		}
		if strings.Join(ids, " ") != "t1:tick t2:tock t1:tick t2:tock t1:tick t2:tock" {
			t.Fatalf("three passes, then the end: %s", summary(items))
		}
		// Passes are 250 ms apart (loopDelay), the second event 20 ms after the first.
		r.notBefore(t, evs, 0, 20*time.Millisecond, 270*time.Millisecond, 290*time.Millisecond, 540*time.Millisecond, 560*time.Millisecond)
		// Heartbeats fill the pauses: the n-th after an event comes at least
		// n heartbeat intervals after that event's earliest time.
		beats, sinceEvent, offsets := 0, 0, []time.Duration{0, 20, 270, 290, 540, 560}
		ev := -1
		for i, it := range items {
			if it.Comment == "" {
				ev, sinceEvent = ev+1, 0
				continue
			}
			if it.Comment != "heartbeat" || i == 0 || i == len(items)-1 {
				t.Fatalf("comment %q at %d: %s", it.Comment, i, summary(items))
			}
			sinceEvent++
			least := (offsets[ev] + time.Duration(sinceEvent)*80) * time.Millisecond
			if at := it.At.Sub(r.opened); at < least {
				t.Errorf("heartbeat %d after event %d arrived %v after the request, before %v", sinceEvent, ev, at, least)
			}
			beats++
		}
		if beats == 0 {
			t.Fatalf("no heartbeat in two 250 ms pauses with an 80 ms heartbeat: %s", summary(items))
		}
	})

	t.Run("conditions on query and headers choose the mock", func(t *testing.T) {
		h.post(t, "/api/v1/mocks", `{"id":"feed-full","sse":{"eventPath":"/events/feed",
"conditions":[{"path":"format","assertAction":"equals","value":"full"}]},
"response":{"sseEventChain":{"events":[{"id":"f","data":"full feed"}]}}}`, http.StatusCreated)
		h.post(t, "/api/v1/mocks", `{"id":"feed-acme","sse":{"eventPath":"/events/feed",
"headerConditions":[{"path":"X-Tenant","assertAction":"equals","value":"acme"}]},
"response":{"sseEventChain":{"events":[{"id":"a","data":"acme feed"}]}}}`, http.StatusCreated)
		res, r := openStream(t, h.sse+"/events/feed?format=full", nil)
		if got := summary(r.events(t, 10*time.Second)); got != "f:message=full feed" || res.Header.Get("X-Mockarty-Mock-Id") != "feed-full" {
			t.Fatalf("?format=full: %s %v", got, res.Header)
		}
		res, r = openStream(t, h.sse+"/events/feed?format=short", map[string]string{"X-Tenant": "acme"})
		if got := summary(r.events(t, 10*time.Second)); got != "a:message=acme feed" || res.Header.Get("X-Mockarty-Mock-Id") != "feed-acme" {
			t.Fatalf("X-Tenant: acme: %s %v", got, res.Header)
		}
		// Neither: the near-miss report names both mocks and what failed.
		res, _ = openStream(t, h.sse+"/events/feed?format=short", map[string]string{"X-Tenant": "other"})
		b, _ := io.ReadAll(res.Body)
		var nm struct {
			Error, Code, Namespace, Path string
			Candidates                   []struct{ MockID, Reason, Where string }
		}
		if res.StatusCode != 404 || json.Unmarshal(b, &nm) != nil || nm.Code != "no_match" || nm.Path != "/events/feed" || nm.Namespace != "sandbox" {
			t.Fatalf("no condition holds: %d %s", res.StatusCode, b)
		}
		where := map[string]string{}
		for _, c := range nm.Candidates {
			where[c.MockID] = c.Where
		}
		if where["feed-full"] != "conditions" || where["feed-acme"] != "headerConditions" {
			t.Fatalf("near-miss candidates: %s", b)
		}
		// The report is open to anyone: the expected values (a condition may
		// hold a token) are not in it, as on the host's /stubs.
		if strings.Contains(string(b), `"expected"`) || !strings.Contains(string(b), `"failedCondition"`) {
			t.Fatalf("near-miss shows expected values: %s", b)
		}
	})

	t.Run("an unmatched path is a 404 with the near-miss report", func(t *testing.T) {
		res, err := http.Get(h.sse + "/events/nowhere")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		var nm map[string]any
		if res.StatusCode != 404 || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") || json.Unmarshal(b, &nm) != nil ||
			nm["code"] != "no_match" || nm["path"] != "/events/nowhere" || !strings.Contains(nm["error"].(string), "/events/nowhere") {
			t.Fatalf("unmatched: %d %s", res.StatusCode, b)
		}
	})

	t.Run("maxTime ends an endless stream", func(t *testing.T) {
		h.post(t, "/api/v1/mocks", `{"id":"timed","sse":{"eventPath":"/events/timed"},
"response":{"sseEventChain":{"events":[{"data":"tick","delay":100}],"loop":true,"maxLoops":0,"maxTime":1}}}`, http.StatusCreated)
		start := time.Now()
		_, r := openStream(t, h.sse+"/events/timed", nil)
		evs := r.events(t, 30*time.Second) // the server ends it: the read sees EOF
		if len(evs) == 0 || time.Since(start) < time.Second {
			t.Fatalf("%d events, ended after %v", len(evs), time.Since(start))
		}
	})

	t.Run("a client that goes away mid-stream", func(t *testing.T) {
		h.post(t, "/api/v1/mocks", `{"id":"endless","sse":{"eventPath":"/events/endless"},
"response":{"sseEventChain":{"events":[{"id":"e","data":"x","delay":30}],"loop":true,"maxLoops":0,"heartbeat":20}}}`, http.StatusCreated)
		before := h.plugin(t, true)
		for range 5 {
			_, r := openStream(t, h.sse+"/events/endless", nil)
			for range 3 {
				if _, err := r.next(); err != nil {
					t.Fatal(err)
				}
			}
			r.close()
		}
		// The plugin keeps running (same process, no restart, healthy) and
		// serves new streams.
		time.Sleep(100 * time.Millisecond)
		after := h.plugin(t, true)
		if after["state"] != "running" || after["pid"] != before["pid"] || after["restarts"] != before["restarts"] || after["lastError"] != before["lastError"] {
			t.Fatalf("plugin after abandoned streams: %v (before: %v)", after, before)
		}
		_, r := openStream(t, h.sse+"/events/orders/s3?since=9", nil)
		if it, err := r.next(); err != nil || it.ID != "1" {
			t.Fatalf("a new stream: %+v %v", it, err)
		}
	})
}
