package sse

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/mockarty-oss/mockarty/sdk/find"
)

// ContentType is the content type of an event stream.
const ContentType = "text/event-stream"

// Reply is the answer to one SSE request, made from the host's FindSSE
// answer, for any HTTP server: wait Delay, write Status and Header, then
// either write Body (Streaming is false) or flush the headers and Play.
type Reply struct {
	Status int
	Header http.Header
	// Body is the whole answer of a reply that does not stream.
	Body []byte
	// Delay is the mock's response.delay, to wait before answering.
	Delay time.Duration
	// MockID is the mock that answers (also in the X-Mockarty-Mock-Id header).
	MockID string

	player *Player
}

// NewReply makes the answer to a request the host resolved to resp:
//
//   - a status of 204 or 300-599 is a plain HTTP answer whose body is
//     the mock's payload (JSON, or text for a string), with no stream;
//   - otherwise the mock's sseEventChain is streamed; a mock without a chain
//     streams its payload as one event, a mock with neither streams nothing;
//   - a client whose Last-Event-ID is the last event of a chain that does
//     not loop gets 204 No Content, which tells an EventSource to stop
//     reconnecting.
//
// The error names what is wrong with the chain; answer it with a 500.
func NewReply(resp *find.SSEResponse, opts Options) (*Reply, error) {
	r := &Reply{Status: resp.StatusCode, Header: http.Header{}, MockID: resp.MockID, Delay: millis(max(resp.Delay, 0))}
	if r.Status == 0 {
		r.Status = http.StatusOK
	}
	if r.Status < 200 || r.Status > 599 {
		return nil, fmt.Errorf("mock %s: statusCode %d is not a final HTTP status (200-599)", resp.MockID, r.Status)
	}
	for k, vals := range resp.Headers {
		for _, v := range vals {
			r.Header.Add(k, v)
		}
	}
	r.Header.Set("X-Mockarty-Mock-Id", resp.MockID)
	if r.Status > 299 || r.Status == http.StatusNoContent {
		r.Body = DataText(resp.Data)
		if len(r.Body) > 0 && r.Header.Get("Content-Type") == "" {
			if isJSONString(resp.Data) {
				r.Header.Set("Content-Type", "text/plain; charset=utf-8")
			} else {
				r.Header.Set("Content-Type", "application/json")
			}
		}
		return r, nil
	}
	var chain *Chain
	switch {
	case len(resp.EventChain) > 0 && string(resp.EventChain) != "null":
		c, err := Parse(resp.EventChain)
		if err != nil {
			return nil, fmt.Errorf("mock %s: %w", resp.MockID, err)
		}
		chain = c
	case len(resp.Data) > 0:
		chain = &Chain{Events: []Event{{Data: resp.Data}}}
	default:
		chain = &Chain{}
	}
	r.player = New(chain, opts)
	if r.player.Exhausted() {
		r.Status, r.player = http.StatusNoContent, nil
		return r, nil
	}
	if r.Header.Get("Content-Type") == "" {
		r.Header.Set("Content-Type", ContentType)
	}
	if r.Header.Get("Cache-Control") == "" {
		r.Header.Set("Cache-Control", "no-cache")
	}
	// Reverse proxies (nginx) would otherwise buffer the stream.
	r.Header.Set("X-Accel-Buffering", "no")
	return r, nil
}

// Streaming reports that the reply is an event stream (Play it).
func (r *Reply) Streaming() bool { return r.player != nil }

// Play streams the events (see Player.Play); a reply that does not stream
// plays nothing.
func (r *Reply) Play(ctx context.Context, w Stream) (Result, error) {
	if r.player == nil {
		return Result{End: Finished}, nil
	}
	return r.player.Play(ctx, w)
}

func isJSONString(b json.RawMessage) bool {
	for _, c := range b {
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		}
		return c == '"'
	}
	return false
}
