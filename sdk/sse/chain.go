// Package sse plays a mock's server-sent event chain (the mock's
// response.sseEventChain) onto a stream: the timing of the events, loops,
// heartbeat comments, Last-Event-ID resumption and the maxLoops and maxTime
// limits, written in the text/event-stream format.
//
// It imports nothing but the standard library and the sdk, so that the SSE
// plugin and the host's /stubs can answer SSE requests with the same code:
// NewReply turns a FindSSE answer into the status, headers and stream of
// one request, whatever the HTTP server.
package sse

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// The defaults of a chain (model.md 1.4, from the Mockarty SDK's comments).
const (
	// DefaultMaxLoops is how many passes a looping chain makes when its
	// maxLoops is not set.
	DefaultMaxLoops = 100
	// DefaultMaxTime is how long a stream lasts at most when maxTime is 0.
	DefaultMaxTime = 1200 * time.Second
	// MinLoopDelay is the shortest pause between two passes of a loop.
	MinLoopDelay = 100 * time.Millisecond
	// DefaultLogBatch is how many events are sent between two progress logs.
	DefaultLogBatch = 10
)

// maxMillis caps every millisecond field so that a huge value cannot
// overflow a time.Duration (a stream never lasts that long anyway: maxTime
// ends it first).
const maxMillis = int64(30 * 24 * time.Hour / time.Millisecond)

// Chain is a mock's sseEventChain, as the host's FindSSE returns it (the
// data of every event already rendered, template files included).
type Chain struct {
	Events []Event `json:"events"`
	// Loop plays the events again after the last one.
	Loop bool `json:"loop,omitempty"`
	// LoopDelay is the pause between two passes, in ms; shorter values
	// (0 included) mean MinLoopDelay.
	LoopDelay int64 `json:"loopDelay,omitempty"`
	// Heartbeat, in ms, sends the comment ": heartbeat" whenever the
	// stream has been quiet that long (0: never).
	Heartbeat int64 `json:"heartbeat,omitempty"`
	// MaxLoops limits the passes of a looping chain: absent means
	// DefaultMaxLoops, an explicit 0 means no limit but maxTime.
	MaxLoops *int64 `json:"maxLoops,omitempty"`
	// MaxTime limits the whole stream, in seconds (0: DefaultMaxTime).
	MaxTime int64 `json:"maxTime,omitempty"`
	// LogBatch is how many events pass between two progress logs.
	LogBatch int64 `json:"logBatch,omitempty"`
}

// Event is one event of a chain.
type Event struct {
	EventName string          `json:"eventName,omitempty"`
	Data      json.RawMessage `json:"data,omitempty"`
	// Delay is the wait before the event, in ms after the previous one
	// (after the start of the stream for the first).
	Delay int64  `json:"delay,omitempty"`
	ID    string `json:"id,omitempty"`
	// Retry tells the client how long to wait before reconnecting, in ms.
	Retry int64 `json:"retry,omitempty"`
	// TemplatePath names the template file the host rendered into Data.
	TemplatePath string `json:"templatePath,omitempty"`
}

// Parse reads and checks a chain (the sseEventChain of a FindSSE answer).
// Its errors name the offending field, as "events[2].id: ...".
func Parse(raw []byte) (*Chain, error) {
	var c Chain
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("sseEventChain: %w", err)
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return &c, nil
}

// Validate reports the first problem of the chain, naming its field.
func (c *Chain) Validate() error {
	for _, f := range []struct {
		name string
		v    int64
	}{{"loopDelay", c.LoopDelay}, {"heartbeat", c.Heartbeat}, {"maxTime", c.MaxTime}, {"logBatch", c.LogBatch}} {
		if f.v < 0 {
			return fmt.Errorf("sseEventChain.%s: must not be negative", f.name)
		}
	}
	if c.MaxLoops != nil && *c.MaxLoops < 0 {
		return fmt.Errorf("sseEventChain.maxLoops: must not be negative")
	}
	for i, e := range c.Events {
		switch {
		case e.Delay < 0:
			return fmt.Errorf("sseEventChain.events[%d].delay: must not be negative", i)
		case e.Retry < 0:
			return fmt.Errorf("sseEventChain.events[%d].retry: must not be negative", i)
		case strings.ContainsAny(e.ID, "\r\n\x00"):
			// A line break would end the field early; a NUL makes clients ignore it.
			return fmt.Errorf("sseEventChain.events[%d].id: must not contain line breaks or NUL", i)
		case strings.ContainsAny(e.EventName, "\r\n"):
			return fmt.Errorf("sseEventChain.events[%d].eventName: must not contain line breaks", i)
		}
	}
	return nil
}

// maxLoops is the number of passes of a looping chain (0: unlimited).
func (c *Chain) maxLoops() int64 {
	if c.MaxLoops == nil {
		return DefaultMaxLoops
	}
	return *c.MaxLoops
}

func (c *Chain) maxTime() time.Duration {
	if c.MaxTime == 0 {
		return DefaultMaxTime
	}
	return millis(min(c.MaxTime, maxMillis/1000) * 1000)
}

func (c *Chain) loopDelay() time.Duration {
	return max(millis(c.LoopDelay), MinLoopDelay)
}

func (c *Chain) logBatch() int64 {
	if c.LogBatch == 0 {
		return DefaultLogBatch
	}
	return c.LogBatch
}

// millis is a count of milliseconds as a duration, capped (see maxMillis).
func millis(ms int64) time.Duration {
	return time.Duration(min(ms, maxMillis)) * time.Millisecond
}

// Resume returns the index of the event to play first for a client that
// last saw the event with id lastEventID: the one after it, or 0 when no
// event has that id (or lastEventID is empty). ok is false when there is
// nothing left to play: the id is the last event's and the chain does not
// loop.
func (c *Chain) Resume(lastEventID string) (from int, ok bool) {
	if lastEventID == "" {
		return 0, true
	}
	for i, e := range c.Events {
		if e.ID == lastEventID {
			if i+1 < len(c.Events) {
				return i + 1, true
			}
			return 0, c.Loop // after the last event: the next pass, if any
		}
	}
	return 0, true
}
