package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// item is what a client reads from an event stream: a dispatched event or
// a comment, with the time it arrived.
type item struct {
	Comment string // set for a comment line (": heartbeat" -> "heartbeat")
	ID      string // the last event ID after this event
	Event   string // the event type ("message" when the stream named none)
	Data    string
	Retry   int // the reconnection time this event set, 0 if none
	At      time.Time
}

// sseReader reads a net/http response body as the WHATWG event-stream
// parser does (html.spec.whatwg.org, "Interpreting an event stream"), so
// that the tests see what a browser's EventSource sees.
type sseReader struct {
	res    *http.Response
	br     *bufio.Reader
	lastID string
	cancel context.CancelFunc
	opened time.Time // when the request was sent: before the server started the stream

	pending item     // the event being read
	data    []string // its data lines
	hasData bool
}

// openStream sends a GET with the given headers and returns the response;
// the stream's reader when the status is 200.
func openStream(t *testing.T, url string, header map[string]string) (*http.Response, *sseReader) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "text/event-stream")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	opened := time.Now()
	res, err := streamClient.Do(req)
	if err != nil {
		cancel()
		t.Fatalf("GET %s: %v", url, err)
	}
	t.Cleanup(func() { cancel(); res.Body.Close() })
	return res, &sseReader{res: res, br: bufio.NewReader(res.Body), cancel: cancel, opened: opened}
}

// streamClient opens a new connection per stream, so that closing one is
// seen by the server at once.
var streamClient = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}

// close goes away mid-stream, like a browser tab that closes.
func (r *sseReader) close() {
	r.cancel()
	r.res.Body.Close()
}

// next returns the next event or comment; io.EOF when the server ended the
// stream. An event's fields may be split by comments: they are kept in the
// reader until the blank line that dispatches the event.
func (r *sseReader) next() (item, error) {
	for {
		line, err := r.br.ReadString('\n')
		if err != nil {
			if errors.Is(err, io.EOF) && line == "" {
				return item{}, io.EOF
			}
			return item{}, err
		}
		line = strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
		if line == "" {
			ev, data, hasData := r.pending, r.data, r.hasData
			r.pending, r.data, r.hasData = item{}, nil, false
			if !hasData {
				continue // nothing to dispatch (a blank line after a comment)
			}
			ev.Data = strings.Join(data, "\n")
			if ev.Event == "" {
				ev.Event = "message"
			}
			ev.ID = r.lastID
			ev.At = time.Now()
			return ev, nil
		}
		if strings.HasPrefix(line, ":") {
			return item{Comment: strings.TrimPrefix(strings.TrimPrefix(line, ":"), " "), At: time.Now()}, nil
		}
		field, value, _ := strings.Cut(line, ":")
		value = strings.TrimPrefix(value, " ")
		switch field {
		case "event":
			r.pending.Event = value
		case "data":
			r.data, r.hasData = append(r.data, value), true
		case "id":
			if !strings.Contains(value, "\x00") {
				r.lastID = value
			}
		case "retry":
			if n, err := strconv.Atoi(value); err == nil {
				r.pending.Retry = n
			}
		}
	}
}

// events reads the whole stream until the server ends it, and fails the
// test if that takes longer than limit (a guard, not a timing assertion).
func (r *sseReader) events(t *testing.T, limit time.Duration) []item {
	t.Helper()
	timer := time.AfterFunc(limit, r.close)
	defer timer.Stop()
	var out []item
	for {
		it, err := r.next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("reading the stream after %d items (%v): %v", len(out), summary(out), err)
		}
		out = append(out, it)
	}
}

// summary shows items compactly: "1:created", "#heartbeat", ...
func summary(items []item) string {
	var parts []string
	for _, it := range items {
		if it.Comment != "" {
			parts = append(parts, "#"+it.Comment)
			continue
		}
		parts = append(parts, fmt.Sprintf("%s:%s=%s", it.ID, it.Event, it.Data))
	}
	return strings.Join(parts, " ")
}

// onlyEvents drops the comments.
func onlyEvents(items []item) []item {
	var out []item
	for _, it := range items {
		if it.Comment == "" {
			out = append(out, it)
		}
	}
	return out
}

// notBefore checks that event i arrived no earlier than the stream's start
// plus offsets[i], the sum of the delays up to it. Arrival times are the
// client's, so only these lower bounds from the request's start are sure:
// the gap between two arrivals can be shorter than the delay between the
// two sends when the first one is read late.
func (r *sseReader) notBefore(t *testing.T, evs []item, offsets ...time.Duration) {
	t.Helper()
	if len(evs) < len(offsets) {
		t.Fatalf("%d events, want at least %d", len(evs), len(offsets))
	}
	for i, off := range offsets {
		if at := evs[i].At.Sub(r.opened); at < off {
			t.Errorf("event %d (%s) arrived %v after the request, before the %v its delays add up to", i, evs[i].ID, at, off)
		}
	}
}
