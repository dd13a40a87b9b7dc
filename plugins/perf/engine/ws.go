package engine

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/websocket"
	"github.com/grafana/sobek"
	"github.com/mockarty-oss/mockarty/sdk/outbound"
)

// k6/ws, written from k6's public documentation: ws.connect blocks the VU
// in a local event loop until the socket closes, as k6's does.

var wsExports = []string{"connect"}

// Bounds of a WebSocket session. A message larger than the run's
// MaxBodyBytes ends the session with code 1009.
const (
	wsHandshakeTimeout = 60 * time.Second
	wsWriteTimeout     = 10 * time.Second
	// wsCloseWait is how long close() waits for the server's close frame
	// before dropping the connection.
	wsCloseWait = 3 * time.Second
	// wsQueue is how many received events may wait for the script; the
	// reader stops reading (TCP pushes back) while it is full.
	wsQueue           = 64
	maxWSTimers       = 10_000
	maxWSHandlers     = 1_000
	maxWSPendingPings = 1_000
	minWSInterval     = time.Millisecond
	// wsMaxHandshakeErr is how much of a refused handshake's body the
	// response keeps.
	wsMaxHandshakeErr = 1024
)

// Close codes this side sends or reports.
const (
	wsCloseNormal    = websocket.CloseNormalClosure
	wsCloseGoingAway = websocket.CloseGoingAway
	wsCloseAbnormal  = websocket.CloseAbnormalClosure
	wsCloseTooBig    = websocket.CloseMessageTooBig
)

var wsEvents = map[string]bool{"open": true, "message": true, "binaryMessage": true, "close": true, "error": true, "ping": true, "pong": true}

// wsMetrics are k6's WebSocket metrics.
type wsMetrics struct {
	sessions, sent, received, connecting, duration, ping *metric
}

func newWSMetrics(reg *registry) (*wsMetrics, error) {
	m := &wsMetrics{}
	for _, d := range []struct {
		p    **metric
		name string
		t    metricType
		c    valueType
	}{
		{&m.sessions, "ws_sessions", kindCounter, valueDefault},
		{&m.sent, "ws_msgs_sent", kindCounter, valueDefault},
		{&m.received, "ws_msgs_received", kindCounter, valueDefault},
		{&m.connecting, "ws_connecting", kindTrend, valueTime},
		{&m.duration, "ws_session_duration", kindTrend, valueTime},
		{&m.ping, "ws_ping", kindTrend, valueTime},
	} {
		x, err := reg.get(d.name, d.t, d.c)
		if err != nil {
			return nil, err
		}
		*d.p = x
	}
	return m, nil
}

func (v *vu) wsModule() *sobek.Object {
	var m *wsMetrics
	if v.run != nil {
		// registered with the module so that thresholds on them bind
		var err error
		if m, err = newWSMetrics(v.run.reg); err != nil {
			panic(v.rt.NewGoError(err))
		}
	}
	return v.object(map[string]func(sobek.FunctionCall) sobek.Value{
		"connect": func(c sobek.FunctionCall) sobek.Value {
			if v.inInit || m == nil {
				panic(v.rt.NewGoError(errors.New("ws.connect() works only in VU code, not in the init context (move it into a function)")))
			}
			return v.wsConnect(c, m)
		},
	})
}

// wsParams are connect()'s parameters.
type wsParams struct {
	header      http.Header
	tags        map[string]string
	compression bool
}

func (v *vu) wsReadParams(val sobek.Value) wsParams {
	p := wsParams{header: http.Header{}}
	if v.run.opts != nil && v.run.opts.UserAgent != nil {
		p.header.Set("User-Agent", *v.run.opts.UserAgent)
	} else {
		p.header.Set("User-Agent", defaultUserAgent)
	}
	o, ok := val.(*sobek.Object)
	if !ok {
		return p
	}
	for k, h := range v.stringMap(o.Get("headers")) {
		p.header.Set(k, h)
	}
	p.tags = v.stringMap(o.Get("tags"))
	switch c := optString(o.Get("compression")); c {
	case "":
	case "deflate":
		p.compression = true
	default:
		panic(v.rt.NewTypeError("%s", fmt.Sprintf("ws.connect: unsupported compression %q (only \"deflate\")", c)))
	}
	return p
}

// wsConnect is ws.connect(url, [params], callback).
func (v *vu) wsConnect(c sobek.FunctionCall, m *wsMetrics) sobek.Value {
	rawURL := c.Argument(0).String()
	paramsV, cbV := c.Argument(1), c.Argument(2)
	if _, ok := sobek.AssertFunction(paramsV); ok && sobek.IsUndefined(cbV) {
		paramsV, cbV = sobek.Undefined(), paramsV
	}
	callback, ok := sobek.AssertFunction(cbV)
	if !ok {
		panic(v.rt.NewTypeError("ws.connect(url, [params], callback) needs a callback function"))
	}
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "ws" && u.Scheme != "wss") || u.Host == "" {
		panic(v.rt.NewTypeError("%s", fmt.Sprintf("ws.connect: invalid URL %q: a ws:// or wss:// URL with a host is needed", rawURL)))
	}
	params := v.wsReadParams(paramsV)

	var meter outbound.Meter
	dialer := &websocket.Dialer{
		NetDialContext:    meter.Dialer(v.run.cfg.Outbound.Dialer()),
		TLSClientConfig:   &tls.Config{InsecureSkipVerify: v.run.opts != nil && v.run.opts.InsecureSkipTLSVerify}, //nolint:gosec // the script's own insecureSkipTLSVerify option
		HandshakeTimeout:  wsHandshakeTimeout,
		EnableCompression: params.compression,
		Jar:               v.client().client.Jar,
	}
	start := time.Now()
	conn, resp, err := dialer.DialContext(v.ctx, rawURL, params.header)
	connected := time.Now()
	if err != nil {
		if v.stopIfDone() {
			return sobek.Undefined()
		}
		v.run.errs.add(fmt.Sprintf("websocket connect failed: %s: %v", rawURL, err))
		return v.wsResponse(rawURL, resp, err)
	}
	s := &wsSession{
		v:        v,
		conn:     conn,
		m:        m,
		handlers: map[string][]sobek.Callable{},
		events:   make(chan wsEvent, wsQueue),
		done:     make(chan struct{}),
		pings:    map[string]time.Time{},
	}
	s.tags = v.tags(params.tags)
	s.tags["url"] = rawURL
	s.tags["status"] = strconv.Itoa(resp.StatusCode)
	if sp := conn.Subprotocol(); sp != "" {
		s.tags["subproto"] = sp
	}
	if s.tags["name"] == "" {
		s.tags["name"] = rawURL
	}
	v.run.reg.push(sample{m: m.sessions, v: 1, tags: s.tags}, sample{m: m.connecting, v: ms(connected.Sub(start)), tags: s.tags})

	conn.SetReadLimit(v.run.cfg.MaxBodyBytes)
	conn.SetPingHandler(func(app string) error {
		// answer at once, as the protocol asks; the script hears of it in turn
		_ = conn.WriteControl(websocket.PongMessage, []byte(app), time.Now().Add(wsWriteTimeout))
		s.push(wsEvent{kind: wsPing})
		return nil
	})
	conn.SetPongHandler(func(app string) error {
		s.push(wsEvent{kind: wsPong, data: []byte(app), at: time.Now()})
		return nil
	})
	readerDone := make(chan struct{})
	go s.read(readerDone)

	s.obj = s.socketObject()
	if _, err := callback(sobek.Undefined(), s.obj); err != nil {
		s.scriptErr = err
	}
	if s.scriptErr == nil {
		s.emit("open")
	}
	s.loop(v.ctx)

	// the session is over: stop the reader and account for it
	s.ended = true
	_ = conn.Close()
	close(s.done)
	<-readerDone
	v.run.reg.push(sample{m: m.duration, v: ms(time.Since(start)), tags: s.tags})
	base := v.tags(params.tags)
	var samples []sample
	if n := meter.Sent.Load(); n > 0 {
		samples = append(samples, sample{m: v.run.reg.dataSent, v: float64(n), tags: base})
	}
	if n := meter.Received.Load(); n > 0 {
		samples = append(samples, sample{m: v.run.reg.dataReceived, v: float64(n), tags: base})
	}
	v.run.reg.push(samples...)
	if s.scriptErr != nil {
		panic(s.scriptErr)
	}
	if v.stopIfDone() {
		return sobek.Undefined()
	}
	return v.wsResponse(rawURL, resp, nil)
}

// wsResponse is connect()'s result: the handshake's HTTP response.
func (v *vu) wsResponse(rawURL string, resp *http.Response, err error) sobek.Value {
	o := v.rt.NewObject()
	_ = o.Set("url", rawURL)
	status := 0
	headers := v.rt.NewObject()
	body := ""
	if resp != nil {
		status = resp.StatusCode
		keys := make([]string, 0, len(resp.Header))
		for k := range resp.Header {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			_ = headers.Set(k, strings.Join(resp.Header[k], ", "))
		}
		if resp.Body != nil && err != nil {
			b, _ := io.ReadAll(io.LimitReader(resp.Body, wsMaxHandshakeErr))
			body = string(b)
		}
	}
	_ = o.Set("status", status)
	_ = o.Set("headers", headers)
	_ = o.Set("body", body)
	if err != nil {
		_ = o.Set("error", err.Error())
	} else {
		_ = o.Set("error", "")
	}
	return o
}

type wsEventKind int

const (
	wsText wsEventKind = iota
	wsBinary
	wsPing
	wsPong
	wsEnd // the connection ended; err says how
)

// wsEvent is something the reader saw, for the VU's loop to hand to the script.
type wsEvent struct {
	kind wsEventKind
	data []byte
	err  error
	at   time.Time
}

type wsTimer struct {
	at    time.Time
	every time.Duration // 0 for a timeout
	fn    sobek.Callable
}

// wsSession is one open socket. Everything but read() and the ping and
// pong handlers runs on the VU's goroutine, so the script's handlers never
// run concurrently.
type wsSession struct {
	v         *vu
	conn      *websocket.Conn
	obj       *sobek.Object
	m         *wsMetrics
	tags      map[string]string
	handlers  map[string][]sobek.Callable
	nHandlers int
	events    chan wsEvent
	done      chan struct{}
	timers    []*wsTimer
	pings     map[string]time.Time
	pingSeq   uint64

	closing   bool // our close frame is sent; waiting for the server's
	closeCode int
	closeBy   time.Time
	ended     bool
	writeErr  error
	scriptErr error // a handler threw: connect() rethrows it
}

// push hands an event to the loop, giving up when the session is over.
func (s *wsSession) push(ev wsEvent) bool {
	select {
	case s.events <- ev:
		return true
	case <-s.done:
		return false
	}
}

// read runs on its own goroutine until the connection fails or closes.
func (s *wsSession) read(done chan<- struct{}) {
	defer close(done)
	for {
		typ, data, err := s.conn.ReadMessage()
		if err != nil {
			s.push(wsEvent{kind: wsEnd, err: err})
			return
		}
		kind := wsText
		if typ == websocket.BinaryMessage {
			kind = wsBinary
		}
		if !s.push(wsEvent{kind: kind, data: data}) {
			return
		}
	}
}

// loop delivers events and timers until the socket closes, a handler
// throws or the iteration is interrupted.
func (s *wsSession) loop(ctx context.Context) {
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	for !s.ended && s.scriptErr == nil {
		var tick <-chan time.Time
		if next, ok := s.nextDeadline(); ok {
			timer.Reset(max(0, time.Until(next)))
			tick = timer.C
		}
		select {
		case ev := <-s.events:
			s.handle(ev)
		case <-tick:
			s.fireTimers()
		case <-ctx.Done():
			// the run is ending: no handler may run any more
			_ = s.conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(wsCloseGoingAway, ""), time.Now().Add(100*time.Millisecond))
			s.ended = true
		}
		timer.Stop()
	}
}

func (s *wsSession) nextDeadline() (time.Time, bool) {
	var next time.Time
	ok := false
	if s.closing {
		next, ok = s.closeBy, true
	}
	for _, t := range s.timers {
		if !ok || t.at.Before(next) {
			next, ok = t.at, true
		}
	}
	return next, ok
}

// fireTimers runs the timers due now, each at most once.
func (s *wsSession) fireTimers() {
	now := time.Now()
	if s.closing && !now.Before(s.closeBy) {
		s.finish(s.closeCode, nil)
		return
	}
	for !s.ended && s.scriptErr == nil {
		idx := -1
		for i, t := range s.timers {
			if !t.at.After(now) && (idx < 0 || t.at.Before(s.timers[idx].at)) {
				idx = i
			}
		}
		if idx < 0 {
			return
		}
		t := s.timers[idx]
		if t.every > 0 {
			t.at = t.at.Add(t.every)
			if !t.at.After(now) {
				t.at = now.Add(t.every) // a slow handler skips ticks instead of bursting
			}
		} else {
			s.timers = append(s.timers[:idx], s.timers[idx+1:]...)
		}
		s.call(t.fn)
	}
}

func (s *wsSession) handle(ev wsEvent) {
	rt := s.v.rt
	switch ev.kind {
	case wsText:
		s.v.run.reg.push(sample{m: s.m.received, v: 1, tags: s.tags})
		s.emit("message", rt.ToValue(string(ev.data)))
	case wsBinary:
		s.v.run.reg.push(sample{m: s.m.received, v: 1, tags: s.tags})
		s.emit("binaryMessage", rt.ToValue(rt.NewArrayBuffer(ev.data)))
	case wsPing:
		s.emit("ping")
	case wsPong:
		if t, ok := s.pings[string(ev.data)]; ok {
			delete(s.pings, string(ev.data))
			s.v.run.reg.push(sample{m: s.m.ping, v: ms(ev.at.Sub(t)), tags: s.tags})
		}
		s.emit("pong")
	case wsEnd:
		var ce *websocket.CloseError
		switch {
		case errors.As(ev.err, &ce):
			s.finish(ce.Code, nil)
		case s.closing:
			s.finish(s.closeCode, nil)
		case s.writeErr != nil:
			s.finish(wsCloseAbnormal, s.writeErr)
		case errors.Is(ev.err, websocket.ErrReadLimit):
			s.finish(wsCloseTooBig, fmt.Errorf("received a message larger than %d bytes", s.v.run.cfg.MaxBodyBytes))
		default:
			s.finish(wsCloseAbnormal, ev.err)
		}
	}
}

// finish ends the session and tells the script: error (if any), then close.
func (s *wsSession) finish(code int, err error) {
	if s.ended {
		return
	}
	s.ended = true
	_ = s.conn.Close()
	if err != nil {
		s.emit("error", s.errorValue(err))
	}
	s.emit("close", s.v.rt.ToValue(code))
}

func (s *wsSession) errorValue(err error) sobek.Value {
	o := s.v.rt.NewObject()
	msg := err.Error()
	_ = o.Set("error", func(sobek.FunctionCall) sobek.Value { return s.v.rt.ToValue(msg) })
	_ = o.Set("toString", func(sobek.FunctionCall) sobek.Value { return s.v.rt.ToValue(msg) })
	return o
}

func (s *wsSession) emit(event string, args ...sobek.Value) {
	for _, fn := range s.handlers[event] {
		if s.scriptErr != nil {
			return
		}
		s.call(fn, args...)
	}
}

func (s *wsSession) call(fn sobek.Callable, args ...sobek.Value) {
	if _, err := fn(s.obj, args...); err != nil {
		s.scriptErr = err
	}
}

// open reports whether the script may still write.
func (s *wsSession) open() bool { return !s.ended && !s.closing && s.writeErr == nil }

// write sends a data message; a failure ends the session through the reader.
func (s *wsSession) write(typ int, data []byte) {
	if !s.open() {
		return
	}
	_ = s.conn.SetWriteDeadline(time.Now().Add(wsWriteTimeout))
	if err := s.conn.WriteMessage(typ, data); err != nil {
		s.writeErr = err
		_ = s.conn.NetConn().Close() // the reader sees it and ends the loop
		return
	}
	s.v.run.reg.push(sample{m: s.m.sent, v: 1, tags: s.tags})
}

func (s *wsSession) socketObject() *sobek.Object {
	v, rt := s.v, s.v.rt
	return v.object(map[string]func(sobek.FunctionCall) sobek.Value{
		"on": func(c sobek.FunctionCall) sobek.Value {
			event := c.Argument(0).String()
			if !wsEvents[event] {
				panic(rt.NewTypeError("%s", fmt.Sprintf("socket.on: unknown event %q (open, message, binaryMessage, ping, pong, close, error)", event)))
			}
			fn, ok := sobek.AssertFunction(c.Argument(1))
			if !ok {
				panic(rt.NewTypeError("socket.on(event, handler) needs a function"))
			}
			if s.nHandlers >= maxWSHandlers {
				panic(rt.NewGoError(fmt.Errorf("socket.on: more than %d handlers", maxWSHandlers)))
			}
			s.nHandlers++
			s.handlers[event] = append(s.handlers[event], fn)
			return sobek.Undefined()
		},
		"send": func(c sobek.FunctionCall) sobek.Value {
			s.write(websocket.TextMessage, []byte(c.Argument(0).String()))
			return sobek.Undefined()
		},
		"sendBinary": func(c sobek.FunctionCall) sobek.Value {
			var data []byte
			switch x := c.Argument(0).Export().(type) {
			case sobek.ArrayBuffer:
				data = x.Bytes()
			case []byte:
				data = x
			default:
				panic(rt.NewTypeError("socket.sendBinary needs an ArrayBuffer or a typed array"))
			}
			s.write(websocket.BinaryMessage, data)
			return sobek.Undefined()
		},
		"ping": func(sobek.FunctionCall) sobek.Value {
			if !s.open() {
				return sobek.Undefined()
			}
			s.pingSeq++
			payload := strconv.FormatUint(s.pingSeq, 10)
			if len(s.pings) < maxWSPendingPings {
				s.pings[payload] = time.Now()
			}
			if err := s.conn.WriteControl(websocket.PingMessage, []byte(payload), time.Now().Add(wsWriteTimeout)); err != nil {
				delete(s.pings, payload)
			}
			return sobek.Undefined()
		},
		"close": func(c sobek.FunctionCall) sobek.Value {
			if s.ended || s.closing {
				return sobek.Undefined()
			}
			code := wsCloseNormal
			if a := c.Argument(0); !sobek.IsUndefined(a) && !sobek.IsNull(a) {
				code = int(a.ToInteger())
				if code != wsCloseNormal && (code < 3000 || code > 4999) {
					panic(rt.NewTypeError("%s", fmt.Sprintf("socket.close: code %d: use 1000 or an application code 3000-4999", code)))
				}
			}
			s.closing, s.closeCode, s.closeBy = true, code, time.Now().Add(wsCloseWait)
			if err := s.conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, ""), time.Now().Add(wsWriteTimeout)); err != nil {
				s.finish(code, nil)
			}
			return sobek.Undefined()
		},
		"setTimeout": func(c sobek.FunctionCall) sobek.Value {
			s.addTimer(c, false)
			return sobek.Undefined()
		},
		"setInterval": func(c sobek.FunctionCall) sobek.Value {
			s.addTimer(c, true)
			return sobek.Undefined()
		},
	})
}

func (s *wsSession) addTimer(c sobek.FunctionCall, repeat bool) {
	rt := s.v.rt
	name := "setTimeout"
	if repeat {
		name = "setInterval"
	}
	fn, ok := sobek.AssertFunction(c.Argument(0))
	if !ok {
		panic(rt.NewTypeError("%s", "socket."+name+"(handler, ms) needs a function"))
	}
	msV := c.Argument(1).ToFloat()
	if math.IsNaN(msV) || msV < 0 {
		msV = 0
	}
	d := time.Duration(math.Min(msV, 1e12) * float64(time.Millisecond))
	if repeat && d <= 0 {
		panic(rt.NewTypeError("socket.setInterval needs an interval above 0 ms"))
	}
	if len(s.timers) >= maxWSTimers {
		panic(rt.NewGoError(fmt.Errorf("socket.%s: more than %d pending timers", name, maxWSTimers)))
	}
	t := &wsTimer{at: time.Now().Add(d), fn: fn}
	if repeat {
		t.every = max(d, minWSInterval)
	}
	s.timers = append(s.timers, t)
}
