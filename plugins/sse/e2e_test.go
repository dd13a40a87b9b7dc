package main

// End to end: the real host binary loads the real plugin binary; mocks are
// made through the host's REST API and the streams are read with net/http
// (a WHATWG event-stream parser on top, sseclient_test.go).

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/mockarty-oss/mockarty/sdk/plugintest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	plugintest.Cleanup()
	os.Exit(code)
}

// hostProc is the real host running this plugin, and the plugin's base URL.
type hostProc struct {
	*plugintest.HostProc
	sse string
}

// startHost runs the host with only this plugin and waits until it runs.
func startHost(t *testing.T) *hostProc {
	t.Helper()
	listen := fmt.Sprintf("127.0.0.1:%d", plugintest.FreePort(t))
	h := plugintest.StartHost(t, plugintest.HostOptions{Plugins: map[string]plugintest.PluginSpec{
		"sse": {Dir: ".", Settings: fmt.Sprintf(`{"addresses": [%q], "namespace": "sandbox"}`, listen)}}})
	if addrs := h.Addresses(t, "sse"); len(addrs) != 1 || addrs[0] != listen {
		t.Fatalf("plugin addresses: %v", addrs)
	}
	return &hostProc{HostProc: h, sse: "http://" + listen}
}

// plugin returns the sse plugin's entry of GET /api/v1/plugins.
func (h *hostProc) plugin(t *testing.T) map[string]any { return h.Plugin(t, "sse") }

// post sends a JSON body to the host's API and checks the status.
func (h *hostProc) post(t *testing.T, path, body string, want int) {
	t.Helper()
	h.Post(t, path, body, want)
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
		before := h.plugin(t)
		for range 5 {
			_, r := openStream(t, h.sse+"/events/endless", nil)
			for range 3 {
				if _, err := r.next(); err != nil {
					t.Fatal(err)
				}
			}
			r.close()
		}
		// The plugin serves new streams, and is still the same process, with
		// no restart and no error: a new stream answered after the abandoned
		// ones closed, not a fixed pause, is what puts the check after them.
		_, r := openStream(t, h.sse+"/events/orders/s3?since=9", nil)
		if it, err := r.next(); err != nil || it.ID != "1" {
			t.Fatalf("a new stream: %+v %v", it, err)
		}
		after := h.plugin(t)
		if after["state"] != "running" || after["pid"] != before["pid"] || after["restarts"] != before["restarts"] || after["lastError"] != before["lastError"] {
			t.Fatalf("plugin after abandoned streams: %v (before: %v)", after, before)
		}
	})
}
