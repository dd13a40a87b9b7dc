package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mockarty-oss/mockarty/sdk"
	"github.com/mockarty-oss/mockarty/sdk/find"
	"github.com/mockarty-oss/mockarty/sdk/plugintest"
	"go.uber.org/goleak"
)

// chainHost answers FindSSE with a chain per path, and records the requests.
type chainHost struct {
	mu     sync.Mutex
	reqs   []find.SSERequest
	chains map[string]string // path -> sseEventChain JSON
}

func (h *chainHost) fake() *plugintest.FakeHost {
	return &plugintest.FakeHost{FindSSEFunc: func(_ context.Context, req *find.SSERequest) (*find.SSEResponse, error) {
		h.mu.Lock()
		h.reqs = append(h.reqs, *req)
		chain, ok := h.chains[req.Path]
		h.mu.Unlock()
		if !ok {
			return nil, &sdk.NoMatch{Message: "no sse mock matches " + req.Path, Code: "no_match",
				Namespace: req.Namespace, Method: "GET", Path: req.Path,
				Candidates: json.RawMessage(`[{"mockId":"m","reason":"condition failed","where":"headerConditions",` +
					`"failedCondition":{"path":"Authorization","assertAction":"equals","expected":"Bearer s3cret","reason":"no value at this path"}}]`)}
		}
		return &find.SSEResponse{MockID: "mock" + strings.ReplaceAll(req.Path, "/", "-"), StatusCode: 200,
			Headers: map[string][]string{"X-From-Mock": {"yes"}}, EventChain: json.RawMessage(chain)}, nil
	}}
}

func (h *chainHost) requests() []find.SSERequest {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]find.SSERequest(nil), h.reqs...)
}

func TestStreamsThroughTheHost(t *testing.T) {
	h := &chainHost{chains: map[string]string{
		"/events/orders": `{"events":[{"id":"1","data":{"n":1}},{"id":"2","eventName":"paid","data":"line 1\nline 2","delay":50,"retry":1500}]}`,
		"/bad":           `{"events":[{"id":"x\ny"}]}`,
	}}
	fake := h.fake()
	// The mock's sse.eventName names its events that have none (read from ListMocks).
	fake.SetMocks("sse", json.RawMessage(`{"id":"mock-events-orders","sse":{"eventPath":"/events/orders","eventName":"order"}}`))
	p := plugintest.Start(t, &Listener{}, json.RawMessage(`{"addresses":["127.0.0.1:0"],"namespace":"qa"}`), fake)
	base := "http://" + p.Addresses[0]

	res, r := openStream(t, base+"/events/orders?since=5&since=6", map[string]string{"X-Tenant": "acme", "Last-Event-ID": "0"})
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "text/event-stream" || res.Header.Get("X-From-Mock") != "yes" ||
		res.Header.Get("X-Mockarty-Mock-Id") != "mock-events-orders" || res.Header.Get("Cache-Control") != "no-cache" {
		t.Fatalf("stream answer: %d %v", res.StatusCode, res.Header)
	}
	got := r.events(t, 10*time.Second)
	if summary(got) != "1:order={\"n\":1} 2:paid=line 1\nline 2" || got[1].Retry != 1500 {
		t.Fatalf("events: %q", summary(got))
	}
	r.notBefore(t, got, 0, 50*time.Millisecond)
	req := h.requests()[0]
	if req.Namespace != "qa" || req.Path != "/events/orders" || strings.Join(req.Query["since"], ",") != "5,6" ||
		req.Headers["X-Tenant"][0] != "acme" || req.Headers["Last-Event-Id"][0] != "0" || req.Headers["Host"][0] != p.Addresses[0] {
		t.Fatalf("the find request: %+v", req)
	}

	// A mock created after the names were read is found too.
	h.mu.Lock()
	h.chains["/late"] = `{"events":[{"data":"hi"}]}`
	h.mu.Unlock()
	fake.SetMocks("sse", json.RawMessage(`{"id":"mock-late","sse":{"eventPath":"/late","eventName":"late-name"}}`))
	if _, r := openStream(t, base+"/late", nil); summary(r.events(t, 10*time.Second)) != ":late-name=hi" {
		t.Fatal("a new mock's event name is not used")
	}

	// No mock: the host's near-miss report, 404.
	res, err := http.Get(base + "/nothing/here")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	var nm sdk.NoMatch
	if res.StatusCode != 404 || json.Unmarshal(b, &nm) != nil || nm.Code != "no_match" || nm.Path != "/nothing/here" || nm.Namespace != "qa" {
		t.Fatalf("miss: %d %s", res.StatusCode, b)
	}
	if strings.Contains(string(b), "s3cret") || !strings.Contains(string(b), `"assertAction":"equals"`) {
		t.Fatalf("the near-miss report must keep the failed condition but not its expected value: %s", b)
	}

	// A chain the player refuses: 500 naming the field, no stream.
	res, _ = http.Get(base + "/bad")
	b, _ = io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 500 || !strings.Contains(string(b), "events[0].id") || !strings.Contains(string(b), "invalid_mock") {
		t.Fatalf("bad chain: %d %s", res.StatusCode, b)
	}

	// Other methods than GET and POST.
	req2, _ := http.NewRequest(http.MethodDelete, base+"/events/orders", nil)
	res, _ = http.DefaultClient.Do(req2)
	res.Body.Close()
	if res.StatusCode != http.StatusMethodNotAllowed || res.Header.Get("Allow") != "GET, POST" {
		t.Fatalf("DELETE: %d %v", res.StatusCode, res.Header)
	}
	if err := p.Client.Health(t.Context()); err != nil {
		t.Fatalf("health: %v", err)
	}
}

// TestAbandonedStreamsStop: a client that goes away mid-stream ends the
// plugin's work on it: no goroutine is left, and the slot is free.
func TestAbandonedStreamsStop(t *testing.T) {
	h := &chainHost{chains: map[string]string{
		// An endless stream: without the client's going, it would run for 20 minutes.
		"/forever": `{"events":[{"id":"1","data":"a"},{"id":"2","data":"b","delay":30}],"loop":true,"maxLoops":0,"heartbeat":10}`,
		// A quiet one: nothing is written after the first event, so only
		// the request's context (net/http sees the connection close) ends it.
		"/quiet": `{"events":[{"id":"1","data":"a"},{"id":"2","data":"b","delay":600000}]}`,
	}}
	l := &Listener{}
	p := plugintest.Start(t, l, json.RawMessage(`{"addresses":["127.0.0.1:0"],"maxStreams":2}`), h.fake())
	url := "http://" + p.Addresses[0] + "/forever"

	// Warm up (the names cache, the watch), then take the baseline.
	_, r := openStream(t, url, nil)
	if it, err := r.next(); err != nil || it.Data != "a" {
		t.Fatalf("first event: %+v %v", it, err)
	}
	r.close()
	plugintest.Eventually(t, 20*time.Second, func() bool { return l.active.Load() == 0 }, "the warm-up stream to end")
	streamClient.CloseIdleConnections()
	baseline := goleak.IgnoreCurrent()
	before := runtime.NumGoroutine()

	var readers []*sseReader
	_, r = openStream(t, url, nil)
	for range 5 { // events and heartbeats flow
		if _, err := r.next(); err != nil {
			t.Fatal(err)
		}
	}
	readers = append(readers, r)
	_, r = openStream(t, "http://"+p.Addresses[0]+"/quiet", nil)
	if it, err := r.next(); err != nil || it.Data != "a" {
		t.Fatalf("quiet stream: %+v %v", it, err)
	}
	readers = append(readers, r)
	// maxStreams is 2: a third is refused while both run.
	res, err := streamClient.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("a stream over maxStreams: %d", res.StatusCode)
	}
	if n := runtime.NumGoroutine(); n <= before {
		t.Fatalf("two open streams yet %d goroutines, as many as with none (%d)", n, before)
	}
	for _, r := range readers {
		r.close()
	}
	plugintest.Eventually(t, 20*time.Second, func() bool { return l.active.Load() == 0 }, "the abandoned streams to end")
	streamClient.CloseIdleConnections()
	if err := goleak.Find(baseline); err != nil {
		t.Fatalf("the abandoned streams left goroutines behind: %v", err)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Fatalf("%d goroutines after the streams ended, %d before", n, before)
	}
	// The freed slots serve new streams.
	_, r = openStream(t, url, nil)
	if it, err := r.next(); err != nil || it.ID != "1" {
		t.Fatalf("a new stream after the abandoned ones: %+v %v", it, err)
	}
}

// TestStopEndsOpenStreams: Stop closes running streams instead of waiting
// for their chains to end.
func TestStopEndsOpenStreams(t *testing.T) {
	h := &chainHost{chains: map[string]string{"/slow": `{"events":[{"data":"a"},{"data":"b","delay":600000}]}`}}
	p := plugintest.Start(t, &Listener{}, json.RawMessage(`{"addresses":["127.0.0.1:0"]}`), h.fake())
	_, r := openStream(t, "http://"+p.Addresses[0]+"/slow", nil)
	if it, err := r.next(); err != nil || it.Data != "a" {
		t.Fatalf("first event: %+v %v", it, err)
	}
	ended := make(chan error, 1)
	go func() {
		_, err := r.next()
		ended <- err
	}()
	if err := p.Client.Stop(t.Context()); err != nil {
		t.Fatalf("stop: %v", err)
	}
	select {
	case err := <-ended:
		if err != io.EOF {
			t.Fatalf("the stream ended with %v, want the server's end of stream", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Stop left the stream open")
	}
	if err := p.Client.Health(t.Context()); err == nil {
		t.Fatal("a stopped listener must not be healthy")
	}
}

func TestSettings(t *testing.T) {
	l := &Listener{}
	if err := l.Configure(t.Context(), json.RawMessage(`{}`)); err != nil {
		t.Fatal(err)
	}
	if l.settings.Addresses[0] != DefaultAddress || l.settings.Namespace != "sandbox" || l.settings.MaxStreams != 10000 {
		t.Fatalf("defaults: %+v", l.settings)
	}
	for _, bad := range []string{`{"addresses":[]}`, `{"namespace":""}`, `{"maxStreams":0}`, `{"addresses":`, `[]`} {
		if err := l.Configure(t.Context(), json.RawMessage(bad)); err == nil {
			t.Errorf("settings %s must be refused", bad)
		}
	}
	var schema map[string]any
	if err := json.Unmarshal(l.Info().SettingsSchema, &schema); err != nil {
		t.Fatalf("the settings schema is not JSON: %v", err)
	}
	// A port that is taken fails Start with the address in the error.
	busy := plugintest.Start(t, &Listener{}, json.RawMessage(`{"addresses":["127.0.0.1:0"]}`), nil)
	l2 := &Listener{}
	if err := l2.Configure(t.Context(), json.RawMessage(`{"addresses":["127.0.0.1:0",`+jsonString(busy.Addresses[0])+`]}`)); err != nil {
		t.Fatal(err)
	}
	if _, err := l2.Start(t.Context(), &plugintest.FakeHost{}); err == nil || !strings.Contains(err.Error(), busy.Addresses[0]) {
		t.Fatalf("start on a busy port: %v", err)
	}
	if err := l2.Health(t.Context()); err == nil {
		t.Fatal("a listener that failed to start is not healthy")
	}
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
