package sse

import (
	"context"
	"io"
	"net/http"
	"time"
)

// Stream is where events are written. Flush sends what was written to the
// client; an error from either means the client is gone. A *bufio.Writer
// (fasthttp's body stream writer) is one; HTTPStream makes one of a
// net/http ResponseWriter.
type Stream interface {
	io.Writer
	Flush() error
}

// HTTPStream makes a net/http ResponseWriter a Stream.
func HTTPStream(w http.ResponseWriter) Stream {
	return httpStream{w, http.NewResponseController(w)}
}

type httpStream struct {
	http.ResponseWriter
	rc *http.ResponseController
}

func (s httpStream) Flush() error { return s.rc.Flush() }

// Options are what one request adds to a chain.
type Options struct {
	// LastEventID is the client's Last-Event-ID header: the stream starts
	// after the event with that id.
	LastEventID string
	// DefaultEvent is the event name of events that have none (the mock's
	// sse.eventName); empty leaves them unnamed ("message" events).
	DefaultEvent string
	// Log, when set, is told the progress every chain.logBatch events.
	Log func(msg string, keyvals ...any)
}

// End says why a stream ended.
type End int

// The ends of a stream.
const (
	// Finished: a chain that does not loop played its last event, or a
	// looping one made its maxLoops passes.
	Finished End = iota
	// MaxTime: the chain's maxTime ran out.
	MaxTime
	// Cancelled: the context ended (the client went away, the server stops).
	Cancelled
	// Failed: writing to the stream failed (the client went away).
	Failed
)

func (e End) String() string {
	switch e {
	case Finished:
		return "finished"
	case MaxTime:
		return "maxTime"
	case Cancelled:
		return "cancelled"
	}
	return "failed"
}

// Result tells what a stream sent.
type Result struct {
	Events     int // events written
	Heartbeats int // heartbeat comments written
	Loops      int // passes started, the first (or resumed) one included
	End        End
}

// Player plays one chain for one client.
type Player struct {
	chain  *Chain
	frames [][]byte // every event, encoded
	from   int      // where the first pass starts
	ok     bool     // false: nothing left after LastEventID
	opts   Options
}

// New prepares chain for a client. The chain must be valid (Parse).
func New(chain *Chain, opts Options) *Player {
	p := &Player{chain: chain, opts: opts, frames: make([][]byte, len(chain.Events))}
	for i, e := range chain.Events {
		name := e.EventName
		if name == "" {
			name = opts.DefaultEvent
		}
		p.frames[i] = AppendEvent(nil, e.ID, name, e.Retry, e.Data)
	}
	p.from, p.ok = chain.Resume(opts.LastEventID)
	return p
}

// Exhausted reports that nothing is left to play for this client: its
// Last-Event-ID is the last event of a chain that does not loop. (Over
// HTTP, 204 No Content then tells an EventSource to stop reconnecting.)
func (p *Player) Exhausted() bool { return !p.ok }

// Play writes the chain to w until it ends: the last event of a chain that
// does not loop, maxLoops passes of a looping one, maxTime, the end of ctx,
// or a write error (returned). Every event and heartbeat is flushed at once.
func (p *Player) Play(ctx context.Context, w Stream) (Result, error) {
	s := &session{ctx: ctx, w: w, start: time.Now(), heartbeat: millis(p.chain.Heartbeat)}
	s.deadline = s.start.Add(p.chain.maxTime())
	s.lastWrite = s.start
	s.timer = time.NewTimer(time.Hour)
	s.timer.Stop()
	defer s.timer.Stop()
	if !p.ok {
		s.res.End = Finished
		return s.res, nil
	}
	maxLoops, batch := p.chain.maxLoops(), p.chain.logBatch()
	i := p.from
	for {
		s.res.Loops++
		for ; i < len(p.frames); i++ {
			if !s.wait(millis(p.chain.Events[i].Delay)) {
				return s.res, s.err
			}
			if !s.write(p.frames[i]) {
				return s.res, s.err
			}
			s.res.Events++
			if p.opts.Log != nil && int64(s.res.Events)%batch == 0 {
				p.opts.Log("sse events sent", "events", s.res.Events, "loop", s.res.Loops, "heartbeats", s.res.Heartbeats)
			}
		}
		if !p.chain.Loop || (maxLoops > 0 && int64(s.res.Loops) >= maxLoops) {
			s.res.End = Finished
			return s.res, nil
		}
		if !s.wait(p.chain.loopDelay()) {
			return s.res, s.err
		}
		i = 0
	}
}

// session is the state of one Play.
type session struct {
	ctx       context.Context
	w         Stream
	start     time.Time
	deadline  time.Time     // start + maxTime
	heartbeat time.Duration // 0: none
	lastWrite time.Time
	timer     *time.Timer
	res       Result
	err       error
}

// wait lets d pass, writing a heartbeat whenever the stream has been quiet
// for the heartbeat interval. It returns false when the stream must end
// (res.End and err say why).
func (s *session) wait(d time.Duration) bool {
	until := time.Now().Add(d)
	for {
		if err := s.ctx.Err(); err != nil {
			s.res.End = Cancelled
			return false
		}
		next, beat := until, false
		if s.heartbeat > 0 {
			if h := s.lastWrite.Add(s.heartbeat); h.Before(next) {
				next, beat = h, true
			}
		}
		limit := false
		if !s.deadline.After(next) {
			next, beat, limit = s.deadline, false, true
		}
		if !s.sleepUntil(next) {
			s.res.End = Cancelled
			return false
		}
		switch {
		case limit || !time.Now().Before(s.deadline): // a late wake-up writes nothing after maxTime
			s.res.End = MaxTime
			return false
		case !beat:
			return true
		}
		if !s.write(Heartbeat) {
			return false
		}
		s.res.Heartbeats++
	}
}

// sleepUntil waits for t; false when the context ends first.
func (s *session) sleepUntil(t time.Time) bool {
	d := time.Until(t)
	if d <= 0 {
		return s.ctx.Err() == nil
	}
	s.timer.Reset(d)
	select {
	case <-s.timer.C:
		return true
	case <-s.ctx.Done():
		s.timer.Stop()
		return false
	}
}

// write sends b and flushes it; false (with err set) when that fails.
func (s *session) write(b []byte) bool {
	if _, err := s.w.Write(b); err != nil {
		s.err, s.res.End = err, Failed
		return false
	}
	if err := s.w.Flush(); err != nil {
		s.err, s.res.End = err, Failed
		return false
	}
	s.lastWrite = time.Now()
	return true
}
