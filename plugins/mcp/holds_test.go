package main

// The listen requests held for SSE sessions: only for sessions that exist,
// capped, and let go of when they end.

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mockarty-oss/mockarty/sdk/plugintest"
)

// rawSSE is an SSE session driven by hand, to send what a client library
// would not.
type rawSSE struct {
	base     string // scheme://host:port
	endpoint string // the message endpoint announced
	events   chan sseEvent
	close    func()
}

type sseEvent struct{ name, data string }

// openSSE opens the event stream at url and waits for its endpoint event.
func openSSE(t *testing.T, base, path string, header http.Header) *rawSSE {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+path, nil)
	for k, v := range header {
		req.Header[k] = v
	}
	tr := &http.Transport{}
	res, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK {
		cancel()
		res.Body.Close()
		t.Fatalf("GET %s: %d", path, res.StatusCode)
	}
	s := &rawSSE{base: base, events: make(chan sseEvent, 256)}
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer close(s.events)
		br := bufio.NewReader(res.Body)
		var ev sseEvent
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				return
			}
			line = strings.TrimRight(line, "\r\n")
			switch {
			case line == "":
				if ev.data != "" {
					select {
					case s.events <- ev:
					case <-ctx.Done():
						return
					}
				}
				ev = sseEvent{}
			case strings.HasPrefix(line, "event:"):
				ev.name = strings.TrimSpace(strings.TrimPrefix(line, "event:"))
			case strings.HasPrefix(line, "data:"):
				ev.data += strings.TrimSpace(strings.TrimPrefix(line, "data:"))
			}
		}
	}()
	var once sync.Once
	s.close = func() {
		once.Do(func() {
			cancel()
			res.Body.Close()
			<-done
			tr.CloseIdleConnections()
		})
	}
	t.Cleanup(s.close)
	s.endpoint = s.next(t, "the endpoint event", func(e sseEvent) bool { return e.name == "endpoint" }).data
	return s
}

// next waits for an event that match accepts, skipping others.
func (s *rawSSE) next(t *testing.T, what string, match func(sseEvent) bool) sseEvent {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		select {
		case e, ok := <-s.events:
			if !ok {
				t.Fatalf("the stream ended before %s", what)
			}
			if match(e) {
				return e
			}
		case <-deadline:
			t.Fatalf("no %s on the stream", what)
		}
	}
}

// reply waits for the answer to the request with id (its JSON).
func (s *rawSSE) reply(t *testing.T, id string) map[string]any {
	t.Helper()
	var out map[string]any
	s.next(t, "the answer to "+id, func(e sseEvent) bool {
		var m map[string]json.RawMessage
		if json.Unmarshal([]byte(e.data), &m) != nil || string(m["id"]) != id || m["method"] != nil {
			return false
		}
		_ = json.Unmarshal([]byte(e.data), &out)
		return true
	})
	return out
}

// post sends a message to the session's endpoint.
func (s *rawSSE) post(t *testing.T, body string) int {
	t.Helper()
	return postMessage(t, s.base+s.endpoint, body)
}

func postMessage(t *testing.T, url, body string) int {
	t.Helper()
	res, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

// listenMsg is a subscriptions/listen request of the 2026-07-28 protocol.
func listenMsg(id string) string {
	return `{"jsonrpc":"2.0","id":` + id + `,"method":"subscriptions/listen","params":{"_meta":{` +
		`"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}},` +
		`"notifications":{"toolsListChanged":true}}}`
}

// holdCounts sums the live SSE sessions and held listen requests of every
// server of l.
func holdCounts(l *Listener) (live, open int) {
	l.mu.Lock()
	reg := l.reg
	l.mu.Unlock()
	reg.mu.Lock()
	defer reg.mu.Unlock()
	for _, sp := range reg.spaces {
		sp.mu.Lock()
		for _, g := range sp.groups {
			lv, op := g.holds.counts()
			live, open = live+lv, open+op
		}
		sp.mu.Unlock()
	}
	return live, open
}

func waitHolds(t *testing.T, l *Listener, live, open int) {
	t.Helper()
	plugintest.Eventually(t, 20*time.Second, func() bool {
		lv, op := holdCounts(l)
		return lv == live && op == open
	}, "%d live SSE sessions holding %d listen requests", live, open)
}

// TestMadeUpSessionsHoldNothing: listen requests posted with session ids
// no stream was opened for (an unauthenticated POST can name any) are
// refused and leave nothing behind, however long their ids.
func TestMadeUpSessionsHoldNothing(t *testing.T) {
	l := &Listener{}
	p := plugintest.Start(t, l, json.RawMessage(`{"addresses":["127.0.0.1:0"],"namespace":"qa"}`), (&fakeMCP{}).host(t))
	base := "http://" + p.Addresses[0]
	// The servers exist and a real client listens over SSE.
	c := dial(t, modeSSE, endpoint(base, modeSSE), nil)
	cb := dial(t, modeSSE, endpoint(base+"/billing", modeSSE), nil)
	waitHolds(t, l, 2, 2)

	bigID := `"` + strings.Repeat("x", 64<<10)
	for i := range 200 {
		for _, path := range []string{"/message", "/billing/message"} {
			url := fmt.Sprintf("%s%s?sessionId=%08x-made-up", base, path, i)
			if st := postMessage(t, url, listenMsg(fmt.Sprintf(`%s%d"`, bigID, i))); st != http.StatusBadRequest {
				t.Fatalf("a listen request for a made-up session: %d", st)
			}
		}
	}
	if live, open := holdCounts(l); live != 2 || open != 2 {
		t.Fatalf("after the made-up sessions: %d live sessions, %d held listen requests", live, open)
	}
	c.close()
	cb.close()
	waitHolds(t, l, 0, 0)
}

// TestListenCaps: a real SSE session holds a bounded number of listen
// requests with short ids; ended ones are let go of, and so is everything
// when the stream closes.
func TestListenCaps(t *testing.T) {
	l := &Listener{}
	p := plugintest.Start(t, l, json.RawMessage(`{"addresses":["127.0.0.1:0"],"namespace":"qa"}`), (&fakeMCP{}).host(t))
	s := openSSE(t, "http://"+p.Addresses[0], "/sse", nil)
	errorOf := func(out map[string]any) string {
		e, _ := out["error"].(map[string]any)
		msg, _ := e["message"].(string)
		return msg
	}
	acked := func(id string) {
		t.Helper()
		s.next(t, "the acknowledgement of "+id, func(e sseEvent) bool {
			var n struct {
				Method string `json:"method"`
				Params struct {
					Meta map[string]json.RawMessage `json:"_meta"`
				} `json:"params"`
			}
			return json.Unmarshal([]byte(e.data), &n) == nil && n.Method == "notifications/subscriptions/acknowledged" &&
				string(n.Params.Meta["io.modelcontextprotocol/subscriptionId"]) == id
		})
	}

	if st := s.post(t, listenMsg(`1`)); st != http.StatusAccepted {
		t.Fatalf("listen: %d", st)
	}
	acked("1")
	waitHolds(t, l, 1, 1)

	long := `"` + strings.Repeat("y", maxListenID) + `"`
	s.post(t, listenMsg(long))
	if msg := errorOf(s.reply(t, long)); !strings.Contains(msg, "at most 256 bytes") {
		t.Fatalf("a long id: %q", msg)
	}
	for i := 2; i <= maxListens; i++ {
		s.post(t, listenMsg(fmt.Sprint(i)))
		acked(fmt.Sprint(i))
	}
	waitHolds(t, l, 1, maxListens)
	s.post(t, listenMsg(`99`))
	if msg := errorOf(s.reply(t, `99`)); !strings.Contains(msg, "open already") {
		t.Fatalf("one listen request too many: %q", msg)
	}

	// The client cancels one: it ends, and is let go of.
	s.post(t, `{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":2}}`)
	if out := s.reply(t, `2`); out["result"] == nil {
		t.Fatalf("the cancelled listen request: %v", out)
	}
	waitHolds(t, l, 1, maxListens-1)
	s.post(t, listenMsg(`1`))
	if msg := errorOf(s.reply(t, `1`)); !strings.Contains(msg, "with id 1 is open already") {
		t.Fatalf("an id already open: %q", msg)
	}
	s.post(t, listenMsg(`99`))
	acked("99")
	waitHolds(t, l, 1, maxListens)

	s.close()
	waitHolds(t, l, 0, 0)
}
