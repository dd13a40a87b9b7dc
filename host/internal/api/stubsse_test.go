package api

import (
	"bufio"
	"net/http"
	"strings"
	"testing"
	"time"
)

// readEvents reads an event stream until it ends, returning the lines.
func readEvents(t *testing.T, url string, header ...string) (*http.Response, []string) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	client := &http.Client{Timeout: 30 * time.Second}
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var lines []string
	sc := bufio.NewScanner(res.Body)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	return res, lines
}

func TestStubsServeSSE(t *testing.T) {
	ts := newTestServer(t)
	ts.expect(201, "POST", "/api/v1/mocks", map[string]any{"id": "ticks", "sse": map[string]any{"eventPath": "/events/ticks", "eventName": "tick",
		"conditions": []any{map[string]any{"path": "room", "assertAction": "equals", "value": "a"}}},
		"response": map[string]any{"sseEventChain": map[string]any{"events": []any{
			map[string]any{"id": "1", "data": map[string]any{"n": 1}},
			map[string]any{"id": "2", "data": map[string]any{"n": 2}, "delay": 50},
			map[string]any{"id": "3", "eventName": "done", "data": "bye"}}}}})
	start := time.Now()
	res, lines := readEvents(t, ts.URL+"/stubs/sandbox/events/ticks?room=a")
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") || res.Header.Get("X-Mockarty-Mock-Id") != "ticks" {
		t.Fatalf("answer: %d %v", res.StatusCode, res.Header)
	}
	got := strings.Join(lines, "\n")
	want := "id: 1\nevent: tick\ndata: {\"n\":1}\n\nid: 2\nevent: tick\ndata: {\"n\":2}\n\nid: 3\nevent: done\ndata: bye\n"
	if !strings.Contains(got, want) {
		t.Fatalf("stream:\n%s\nwant it to hold:\n%s", got, want)
	}
	if time.Since(start) < 50*time.Millisecond {
		t.Fatal("the second event's delay was not waited")
	}
	// Resume after Last-Event-ID.
	_, lines = readEvents(t, ts.URL+"/stubs/sandbox/events/ticks?room=a", "Last-Event-ID", "2")
	if got := strings.Join(lines, "\n"); strings.Contains(got, "id: 1\n") || !strings.Contains(got, "id: 3") {
		t.Fatalf("resume:\n%s", got)
	}
	// A condition that fails: 404 with the near-miss.
	res, lines = readEvents(t, ts.URL+"/stubs/sandbox/events/ticks?room=b")
	if res.StatusCode != 404 || !strings.Contains(strings.Join(lines, ""), "no_match") {
		t.Fatalf("near miss: %d %v", res.StatusCode, lines)
	}
	// HTTP mocks on other routes are unaffected.
	ts.expect(201, "POST", "/api/v1/mocks", httpMock("plain", "/plain"))
	if r := ts.do("GET", "/stubs/sandbox/plain", nil); r.Status != 200 {
		t.Fatalf("http stub: %d", r.Status)
	}
}
