package sse

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"github.com/mockarty-oss/mockarty/sdk/find"
	"github.com/mockarty-oss/mockarty/sdk/plugintest"
	"go.uber.org/goleak"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// The player starts no goroutine of its own: none may be left behind.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestAppendEvent(t *testing.T) {
	for _, c := range []struct {
		name, id, event string
		retry           int64
		data            string
		want            string
	}{
		{"all fields", "7", "order", 3000, `{"a": 1,  "b": [1, 2]}`, "id: 7\nevent: order\nretry: 3000\ndata: {\"a\":1,\"b\":[1,2]}\n\n"},
		{"text", "", "", 0, `"hello"`, "data: hello\n\n"},
		{"multi-line text", "", "", 0, `"line 1\nline 2\r\nline 3\rline 4"`, "data: line 1\ndata: line 2\ndata: line 3\ndata: line 4\n\n"},
		{"trailing newline kept", "", "", 0, `"a\n"`, "data: a\ndata:\n\n"},
		{"no data", "x", "", 0, ``, "id: x\ndata:\n\n"},
		{"empty string", "", "ping", 0, `""`, "event: ping\ndata:\n\n"},
		{"number", "", "", 0, ` 42 `, "data: 42\n\n"},
		{"null", "", "", 0, `null`, "data: null\n\n"},
		{"leading spaces survive", "", "", 0, `"  indented"`, "data:   indented\n\n"},
		{"colon in data", "", "", 0, `"a: b"`, "data: a: b\n\n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := string(AppendEvent(nil, c.id, c.event, c.retry, json.RawMessage(c.data)))
			if got != c.want {
				t.Fatalf("got %q, want %q", got, c.want)
			}
		})
	}
}

func TestParseChecksTheChain(t *testing.T) {
	for _, c := range []struct{ raw, want string }{
		{`{"events":[{"delay":-1}]}`, "sseEventChain.events[0].delay: must not be negative"},
		{`{"events":[{},{"id":"a\nb"}]}`, "sseEventChain.events[1].id: must not contain line breaks"},
		{`{"events":[{"id":"a\u0000"}]}`, "sseEventChain.events[0].id"},
		{`{"events":[{"eventName":"x\ry"}]}`, "sseEventChain.events[0].eventName"},
		{`{"events":[{"retry":-5}]}`, "sseEventChain.events[0].retry"},
		{`{"events":[],"heartbeat":-1}`, "sseEventChain.heartbeat: must not be negative"},
		{`{"events":[],"loopDelay":-100}`, "sseEventChain.loopDelay"},
		{`{"events":[],"maxLoops":-1}`, "sseEventChain.maxLoops"},
		{`{"events":[],"maxTime":-1}`, "sseEventChain.maxTime"},
		{`{"events":{}}`, "sseEventChain: json: cannot unmarshal"},
		{`{"events":[`, "sseEventChain: unexpected EOF"},
	} {
		_, err := Parse([]byte(c.raw))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Parse(%s) = %v, want an error containing %q", c.raw, err, c.want)
		}
	}
	c, err := Parse([]byte(`{"events":[{"eventName":"a","data":{"n":1},"delay":10,"id":"1","retry":1000,"templatePath":"e.json"}],"loop":true,"loopDelay":5,"heartbeat":500,"maxTime":60,"logBatch":3}`))
	if err != nil {
		t.Fatal(err)
	}
	if c.maxLoops() != DefaultMaxLoops || c.loopDelay() != MinLoopDelay || c.maxTime() != time.Minute || c.logBatch() != 3 {
		t.Fatalf("defaults: maxLoops %d loopDelay %v maxTime %v logBatch %d", c.maxLoops(), c.loopDelay(), c.maxTime(), c.logBatch())
	}
	c, _ = Parse([]byte(`{"events":[],"maxLoops":0,"loopDelay":250}`))
	if c.maxLoops() != 0 || c.loopDelay() != 250*time.Millisecond || c.maxTime() != DefaultMaxTime || c.logBatch() != DefaultLogBatch {
		t.Fatalf("an explicit maxLoops 0 is unlimited: %d %v %v", c.maxLoops(), c.loopDelay(), c.maxTime())
	}
	c, _ = Parse([]byte(`{"events":[{"delay":9223372036854775807}],"maxTime":9223372036854775807}`))
	if millis(c.Events[0].Delay) <= 0 || c.maxTime() <= 0 {
		t.Fatal("huge values must not overflow into negative durations")
	}
}

func TestResume(t *testing.T) {
	c := &Chain{Events: []Event{{ID: "a"}, {}, {ID: "b"}, {ID: "c"}}}
	for _, tc := range []struct {
		last string
		from int
		ok   bool
	}{{"", 0, true}, {"a", 1, true}, {"b", 3, true}, {"unknown", 0, true}, {"c", 0, false}} {
		from, ok := c.Resume(tc.last)
		if from != tc.from || ok != tc.ok {
			t.Errorf("Resume(%q) = %d %v, want %d %v", tc.last, from, ok, tc.from, tc.ok)
		}
	}
	c.Loop = true
	if from, ok := c.Resume("c"); from != 0 || !ok {
		t.Fatalf("a looping chain resumed after its last event starts the next pass: %d %v", from, ok)
	}
}

// recorder is a Stream that keeps every flushed write with its time.
type recorder struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	writes []write
	fail   error // returned by Write once set
}

type write struct {
	at   time.Time
	text string
}

func (w write) String() string { return w.text }

func (r *recorder) Write(b []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		return 0, r.fail
	}
	return r.buf.Write(b)
}

func (r *recorder) Flush() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.buf.Len() > 0 {
		r.writes = append(r.writes, write{time.Now(), r.buf.String()})
		r.buf.Reset()
	}
	return nil
}

func (r *recorder) all() []write {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]write(nil), r.writes...)
}

func mustParse(t *testing.T, raw string) *Chain {
	t.Helper()
	c, err := Parse([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestPlayInOrderWithDelays(t *testing.T) {
	c := mustParse(t, `{"events":[
{"id":"1","eventName":"created","data":{"n":1}},
{"id":"2","eventName":"paid","data":"two","delay":120},
{"id":"3","data":"three","delay":60,"retry":2500}]}`)
	rec := &recorder{}
	start := time.Now()
	res, err := New(c, Options{DefaultEvent: "order"}).Play(t.Context(), rec)
	if err != nil || res.End != Finished || res.Events != 3 || res.Loops != 1 || res.Heartbeats != 0 {
		t.Fatalf("result %+v %v", res, err)
	}
	w := rec.all()
	want := []string{
		"id: 1\nevent: created\ndata: {\"n\":1}\n\n",
		"id: 2\nevent: paid\ndata: two\n\n",
		"id: 3\nevent: order\nretry: 2500\ndata: three\n\n",
	}
	if len(w) != len(want) {
		t.Fatalf("writes: %q", w)
	}
	for i := range want {
		if w[i].text != want[i] {
			t.Errorf("write %d: %q, want %q", i, w[i].text, want[i])
		}
	}
	// Delays are minimum gaps after the previous event.
	if gap := w[1].at.Sub(w[0].at); gap < 120*time.Millisecond {
		t.Errorf("event 2 came %v after event 1, before its 120 ms delay", gap)
	}
	if gap := w[2].at.Sub(w[1].at); gap < 60*time.Millisecond {
		t.Errorf("event 3 came %v after event 2, before its 60 ms delay", gap)
	}
	if w[0].at.Before(start) {
		t.Error("clock went backwards")
	}
}

func TestPlayLoopsUpToMaxLoops(t *testing.T) {
	c := mustParse(t, `{"events":[{"id":"a","data":"A"},{"id":"b","data":"B","delay":10}],"loop":true,"loopDelay":100,"maxLoops":3}`)
	rec := &recorder{}
	var logged []int
	res, err := New(c, Options{Log: func(_ string, kv ...any) {
		for i := 0; i+1 < len(kv); i += 2 {
			if kv[i] == "events" {
				logged = append(logged, kv[i+1].(int))
			}
		}
	}}).Play(t.Context(), rec)
	if err != nil || res.End != Finished || res.Events != 6 || res.Loops != 3 {
		t.Fatalf("result %+v %v", res, err)
	}
	w := rec.all()
	var ids []string
	for _, x := range w {
		ids = append(ids, strings.TrimPrefix(strings.SplitN(x.text, "\n", 2)[0], "id: "))
	}
	if strings.Join(ids, ",") != "a,b,a,b,a,b" {
		t.Fatalf("order: %v", ids)
	}
	for _, i := range []int{2, 4} {
		if gap := w[i].at.Sub(w[i-1].at); gap < MinLoopDelay {
			t.Errorf("pass started %v after the previous one ended, before loopDelay", gap)
		}
	}
	if len(logged) != 0 {
		t.Errorf("6 events are under the default log batch of 10, yet logged %v", logged)
	}
}

func TestPlayLogsInBatches(t *testing.T) {
	c := mustParse(t, `{"events":[{"data":1},{"data":2},{"data":3}],"loop":true,"maxLoops":3,"logBatch":4}`)
	var logged []int
	res, _ := New(c, Options{Log: func(_ string, kv ...any) { logged = append(logged, kv[1].(int)) }}).Play(t.Context(), &recorder{})
	if res.Events != 9 || len(logged) != 2 || logged[0] != 4 || logged[1] != 8 {
		t.Fatalf("events %d, logged at %v; want logs at 4 and 8", res.Events, logged)
	}
}

func TestHeartbeatsFillQuietTime(t *testing.T) {
	c := mustParse(t, `{"events":[{"id":"1","data":"first"},{"id":"2","data":"second","delay":450}],"heartbeat":100}`)
	rec := &recorder{}
	res, err := New(c, Options{}).Play(t.Context(), rec)
	if err != nil || res.End != Finished || res.Events != 2 || res.Heartbeats < 1 {
		t.Fatalf("result %+v %v", res, err)
	}
	w := rec.all()
	if len(w) != 2+res.Heartbeats || w[0].text != "id: 1\ndata: first\n\n" || w[len(w)-1].text != "id: 2\ndata: second\n\n" {
		t.Fatalf("writes: %q", w)
	}
	for i := 1; i < len(w)-1; i++ {
		if w[i].text != ": heartbeat\n\n" {
			t.Fatalf("write %d between the events: %q", i, w[i].text)
		}
		if gap := w[i].at.Sub(w[i-1].at); gap < 100*time.Millisecond {
			t.Errorf("heartbeat %d came %v after the previous write, before the 100 ms interval", i, gap)
		}
	}
	if gap := w[len(w)-1].at.Sub(w[0].at); gap < 450*time.Millisecond {
		t.Errorf("heartbeats must not hurry the event: %v", gap)
	}
}

func TestMaxTimeEndsAnEndlessLoop(t *testing.T) {
	c := mustParse(t, `{"events":[{"data":"tick","delay":150}],"loop":true,"loopDelay":100,"maxLoops":0,"maxTime":1}`)
	rec := &recorder{}
	start := time.Now()
	res, err := New(c, Options{}).Play(t.Context(), rec)
	if err != nil || res.End != MaxTime || res.Events < 1 {
		t.Fatalf("result %+v %v", res, err)
	}
	if el := time.Since(start); el < time.Second {
		t.Fatalf("ended after %v, before maxTime", el)
	}
	// Each pass takes at least 250 ms (150 ms delay, 100 ms loopDelay) and
	// nothing is written after maxTime: at most 4 events fit in 1 s.
	if res.Events > 4 || len(rec.all()) != res.Events {
		t.Fatalf("%d events in a 1 s stream of one event every 250 ms or more", res.Events)
	}
}

func TestLastEventIDResumes(t *testing.T) {
	c := mustParse(t, `{"events":[{"id":"1","data":"a"},{"id":"2","data":"b"},{"id":"3","data":"c"}]}`)
	rec := &recorder{}
	res, err := New(c, Options{LastEventID: "1"}).Play(t.Context(), rec)
	if err != nil || res.Events != 2 {
		t.Fatalf("result %+v %v", res, err)
	}
	if w := rec.all(); w[0].text != "id: 2\ndata: b\n\n" || w[1].text != "id: 3\ndata: c\n\n" {
		t.Fatalf("resumed: %q", w)
	}
	p := New(c, Options{LastEventID: "3"})
	if !p.Exhausted() {
		t.Fatal("nothing is left after the last event of a chain that does not loop")
	}
	if res, err := p.Play(t.Context(), rec); err != nil || res.Events != 0 {
		t.Fatalf("an exhausted player plays nothing: %+v %v", res, err)
	}
}

func TestCancelStopsAtOnce(t *testing.T) {
	c := mustParse(t, `{"events":[{"data":"a"},{"data":"b","delay":60000}],"heartbeat":20}`)
	ctx, cancel := context.WithCancel(t.Context())
	rec := &recorder{}
	done := make(chan Result)
	go func() {
		res, _ := New(c, Options{}).Play(ctx, rec)
		done <- res
	}()
	// Wait for the first event and a heartbeat, then go away.
	plugintest.Eventually(t, 10*time.Second, func() bool { return len(rec.all()) >= 2 }, "the first event and a heartbeat")
	cancel()
	select {
	case res := <-done:
		if res.End != Cancelled || res.Events != 1 {
			t.Fatalf("result %+v", res)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Play did not return after its context ended")
	}
}

func TestWriteErrorEndsTheStream(t *testing.T) {
	c := mustParse(t, `{"events":[{"data":"a"},{"data":"b"}],"loop":true,"maxLoops":0}`)
	gone := errors.New("broken pipe")
	rec := &recorder{fail: gone}
	res, err := New(c, Options{}).Play(t.Context(), rec)
	if !errors.Is(err, gone) || res.End != Failed || res.Events != 0 {
		t.Fatalf("result %+v %v", res, err)
	}
}

func TestNewReply(t *testing.T) {
	r, err := NewReply(&find.SSEResponse{MockID: "m", Headers: map[string][]string{"x-extra": {"1", "2"}},
		EventChain: json.RawMessage(`{"events":[{"id":"1","data":{"a":1}}]}`)}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !r.Streaming() || r.Status != 200 || r.Header.Get("Content-Type") != ContentType || r.Header.Get("Cache-Control") != "no-cache" ||
		r.Header.Get("X-Mockarty-Mock-Id") != "m" || len(r.Header.Values("X-Extra")) != 2 {
		t.Fatalf("reply: %+v", r)
	}
	rec := &recorder{}
	if res, err := r.Play(t.Context(), rec); err != nil || res.Events != 1 || rec.all()[0].text != "id: 1\ndata: {\"a\":1}\n\n" {
		t.Fatalf("play: %+v %v %q", res, err, rec.all())
	}

	// A mock with a payload and no chain streams the payload as one event.
	r, _ = NewReply(&find.SSEResponse{MockID: "p", StatusCode: 200, Data: json.RawMessage(`"hello\nworld"`)}, Options{DefaultEvent: "greeting"})
	rec = &recorder{}
	if _, err := r.Play(t.Context(), rec); err != nil || rec.all()[0].text != "event: greeting\ndata: hello\ndata: world\n\n" {
		t.Fatalf("payload event: %q %v", rec.all(), err)
	}

	// An error status is a plain answer.
	r, _ = NewReply(&find.SSEResponse{MockID: "e", StatusCode: 401, Data: json.RawMessage(`{"error":"no token"}`),
		EventChain: json.RawMessage(`{"events":[{"data":"never"}]}`)}, Options{})
	if r.Streaming() || r.Status != 401 || string(r.Body) != `{"error":"no token"}` || r.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("error reply: %+v %s", r, r.Body)
	}
	r, _ = NewReply(&find.SSEResponse{MockID: "e", StatusCode: 503, Data: json.RawMessage(`"busy"`), Delay: 30}, Options{})
	if r.Streaming() || string(r.Body) != "busy" || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/plain") || r.Delay != 30*time.Millisecond {
		t.Fatalf("text error reply: %+v", r)
	}

	// After the last event of a chain that does not loop: 204, no stream.
	r, _ = NewReply(&find.SSEResponse{MockID: "m", EventChain: json.RawMessage(`{"events":[{"id":"1"},{"id":"2"}]}`)}, Options{LastEventID: "2"})
	if r.Streaming() || r.Status != http.StatusNoContent {
		t.Fatalf("exhausted: %+v", r)
	}

	// Bad chains and statuses are errors that name the mock and the field.
	if _, err := NewReply(&find.SSEResponse{MockID: "bad", EventChain: json.RawMessage(`{"events":[{"delay":-3}]}`)}, Options{}); err == nil ||
		!strings.Contains(err.Error(), "mock bad: sseEventChain.events[0].delay") {
		t.Fatalf("bad chain: %v", err)
	}
	if _, err := NewReply(&find.SSEResponse{MockID: "s", StatusCode: 101}, Options{}); err == nil || !strings.Contains(err.Error(), "statusCode 101") {
		t.Fatalf("bad status: %v", err)
	}
	// A mock with neither chain nor payload streams nothing and ends.
	r, _ = NewReply(&find.SSEResponse{MockID: "empty"}, Options{})
	if res, err := r.Play(t.Context(), &recorder{}); !r.Streaming() || err != nil || res.Events != 0 || res.End != Finished {
		t.Fatalf("empty: %+v %v", res, err)
	}
}
