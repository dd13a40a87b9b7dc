package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mockarty-oss/mockarty/sdk/recjob"
)

// exchange is one request through the proxy, becoming one entry.
type exchange struct {
	s        *session
	start    time.Time
	upstream *url.URL // where the request goes
	entry    recjob.Entry

	reqBody  *teeBody
	respBody *respBody
	ws       *wsRecorder
	// A fault's answer (no upstream) is kept as it is written.
	faultBody []byte

	timer    *time.Timer // the upstream timeout, until its headers come
	timedOut atomic.Bool
	times    timings
	faults   []string
}

type exchangeKey struct{}

func exchangeOf(ctx context.Context) *exchange {
	x, _ := ctx.Value(exchangeKey{}).(*exchange)
	return x
}

// serveExchange forwards r to upstream, answers w and reports the entry.
func (s *session) serveExchange(w http.ResponseWriter, r *http.Request, upstream *url.URL) {
	x := &exchange{s: s, start: time.Now(), upstream: upstream}
	x.times.reset()
	x.entry = recjob.Entry{Method: r.Method, URL: upstream.String(), Path: r.URL.Path, Proto: r.Proto,
		Timestamp: x.start.UnixMilli(), RequestHeaders: flatHeaders(r.Header), ResponseHeaders: map[string]string{}}
	if isWebSocket(r.Header) {
		x.entry.URL = wsURL(upstream)
	}
	if r.Body != nil && r.Body != http.NoBody {
		x.reqBody = &teeBody{rc: r.Body, c: capture{max: s.maxBody}}
		r.Body = x.reqBody
	}
	ctx := r.Context()

	f := s.job.Faults
	if f.LatencyMs > 0 || f.JitterMs > 0 {
		d := time.Duration(f.LatencyMs) * time.Millisecond
		if f.JitterMs > 0 {
			d += time.Duration(rand.Int64N(f.JitterMs+1)) * time.Millisecond
		}
		x.faults = append(x.faults, "latency")
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			x.entry.Error = "the client went away during the injected latency"
			x.finish()
			return
		}
	}
	if f.ErrorRate > 0 && rand.Float64() < f.ErrorRate {
		x.answerFault(w, r)
		x.finish()
		return
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ctx = context.WithValue(ctx, exchangeKey{}, x)
	ctx = httptrace.WithClientTrace(ctx, x.times.trace())
	x.timer = time.AfterFunc(s.timeout, func() {
		x.timedOut.Store(true)
		cancel()
	})
	defer x.timer.Stop()
	defer func() {
		// The proxy panics with http.ErrAbortHandler when the answer
		// cannot be finished (the upstream or the client went away
		// mid-body): record what got through, then let the server abort.
		if v := recover(); v != nil {
			if x.entry.Error == "" {
				x.entry.Error = "the answer was cut off"
				if err := x.respBody.readError(); err != nil {
					x.entry.Error += ": " + err.Error()
				} else if ctx.Err() != nil {
					x.entry.Error += ": the client went away"
				}
			}
			x.finish()
			panic(v)
		}
	}()
	x.times.begin()
	s.proxy.ServeHTTP(w, r.WithContext(ctx))
	x.finish()
}

// rewrite points the outbound request at the upstream and applies the
// request header rules.
func (s *session) rewrite(pr *httputil.ProxyRequest) {
	x := exchangeOf(pr.In.Context())
	u := *x.upstream
	pr.Out.URL = &u
	pr.Out.Host = ""
	// The client's forwarding headers pass through as they are (Rewrite
	// starts without them).
	for _, h := range []string{"X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto"} {
		if v, ok := pr.In.Header[h]; ok {
			pr.Out.Header[h] = v
		}
	}
	rules := s.job.Modifications.RequestHeaders
	for _, k := range rules.Remove {
		pr.Out.Header.Del(k)
	}
	for k, v := range rules.Add {
		if strings.EqualFold(k, "Host") {
			pr.Out.Host = v
			continue
		}
		pr.Out.Header.Set(k, v)
	}
	x.entry.RequestHeaders = flatHeaders(pr.Out.Header)
}

// modifyResponse records the answer's head, applies the response header
// rules and starts recording the body (or the WebSocket).
func (s *session) modifyResponse(res *http.Response) error {
	x := exchangeOf(res.Request.Context())
	x.timer.Stop()
	encoding := res.Header.Get("Content-Encoding")
	applyRules(res.Header, s.job.Modifications.ResponseHeaders)
	x.entry.StatusCode = res.StatusCode
	x.entry.ResponseHeaders = flatHeaders(res.Header)
	if res.StatusCode == http.StatusSwitchingProtocols {
		if rwc, ok := res.Body.(io.ReadWriteCloser); ok && strings.EqualFold(res.Header.Get("Upgrade"), "websocket") {
			x.ws = newWSRecorder(s.maxBody)
			res.Body = &wsConn{ReadWriteCloser: rwc, rec: x.ws}
		}
		return nil
	}
	var thr *throttle
	if kbps := s.job.Faults.BandwidthKBps; kbps > 0 {
		thr = newThrottle(kbps)
		x.faults = append(x.faults, "bandwidth")
	}
	x.respBody = newRespBody(res.Request.Context(), res.Body, encoding, s.maxBody, thr)
	res.Body = x.respBody
	return nil
}

// proxyError answers a failed upstream: 504 for a timeout, else 502.
func (s *session) proxyError(w http.ResponseWriter, r *http.Request, err error) {
	x := exchangeOf(r.Context())
	x.timer.Stop()
	status := http.StatusBadGateway
	msg := err.Error()
	var ne net.Error
	switch {
	case x.timedOut.Load():
		status, msg = http.StatusGatewayTimeout, fmt.Sprintf("the upstream did not answer within %v", s.timeout)
	case errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()):
		status = http.StatusGatewayTimeout
	case errors.Is(err, context.Canceled) && r.Context().Err() != nil:
		msg = "the client went away: " + msg
	}
	x.entry.Error = msg
	x.writeOwn(w, status, "recorder: the upstream failed: "+msg+"\n", nil)
}

// answerFault answers an injected error without calling the upstream.
func (x *exchange) answerFault(w http.ResponseWriter, r *http.Request) {
	if x.reqBody != nil {
		_, _ = io.Copy(io.Discard, io.LimitReader(x.reqBody, 64<<20)) // record the request as sent
	}
	status := x.s.job.Faults.ErrorStatus
	if status == 0 {
		status = http.StatusServiceUnavailable
	}
	x.faults = []string{"error"}
	x.writeOwn(w, status, fmt.Sprintf("recorder: injected fault (%d %s)\n", status, http.StatusText(status)),
		&x.s.job.Modifications.ResponseHeaders)
}

// writeOwn answers with the proxy's own text, recorded as the answer.
func (x *exchange) writeOwn(w http.ResponseWriter, status int, body string, rules *recjob.HeaderRules) {
	h := w.Header()
	for k := range h {
		delete(h, k)
	}
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	if rules != nil {
		applyRules(h, *rules)
	}
	x.entry.StatusCode = status
	x.entry.ResponseHeaders = flatHeaders(h)
	if x.respBody != nil {
		x.respBody.result() // ends its decoder
		x.respBody = nil
	}
	x.faultBody = []byte(body)
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

// applyRules removes, then adds, headers.
func applyRules(h http.Header, rules recjob.HeaderRules) {
	for _, k := range rules.Remove {
		h.Del(k)
	}
	for k, v := range rules.Add {
		h.Set(k, v)
	}
}

// finish fills in the entry's bodies, times and faults and reports it.
func (x *exchange) finish() {
	total := time.Since(x.start)
	x.entry.Duration = total.Milliseconds()
	x.entry.Timings = x.times.result(total)
	bodies := x.bodies()
	bodies.fill(&x.entry, x.s.maxBody, x.s.maxBody)
	if x.ws != nil {
		x.entry.WebSocketFrames, x.entry.WebSocketFramesMissed = x.ws.snapshot()
	}
	if len(x.faults) > 0 {
		x.entry.FaultInjected = strings.Join(x.faults, ",")
	}
	reqCap, respCap := x.s.maxBody, x.s.maxBody
	x.s.emit(&x.entry, func(e *recjob.Entry) {
		// Too big for one item: keep less of the bodies, then of the
		// frames.
		reqCap, respCap = reqCap/2, respCap/2
		bodies.fill(e, reqCap, respCap)
		if n := len(e.WebSocketFrames); n > 0 && reqCap < 1024 {
			e.WebSocketFramesMissed += int64(n - n/2)
			e.WebSocketFrames = e.WebSocketFrames[:n/2]
		}
	})
}

// keptBodies are an exchange's bodies as kept, before they are encoded.
type keptBodies struct {
	req, resp           []byte
	reqSize, respSize   int64
	reqTrunc, respTrunc bool
	respDecompressed    bool
}

func (x *exchange) bodies() *keptBodies {
	b := &keptBodies{}
	if x.reqBody != nil {
		b.req, b.reqSize, b.reqTrunc = x.reqBody.result()
	}
	switch {
	case x.faultBody != nil:
		b.resp, b.respSize = x.faultBody, int64(len(x.faultBody))
	case x.respBody != nil:
		b.resp, b.respSize, b.respTrunc, b.respDecompressed = x.respBody.result()
	}
	return b
}

// fill sets e's bodies from b, each cut to its cap.
func (b *keptBodies) fill(e *recjob.Entry, reqCap, respCap int) {
	req, reqTrunc := cut(b.req, reqCap, b.reqTrunc)
	e.RequestBody, e.RequestBodyEncoding = bodyText(req, reqTrunc)
	e.RequestBodySize, e.RequestTruncated = b.reqSize, reqTrunc
	resp, respTrunc := cut(b.resp, respCap, b.respTrunc)
	e.ResponseBody, e.ResponseBodyEncoding = bodyText(resp, respTrunc)
	e.ResponseBodySize, e.ResponseTruncated, e.ResponseDecompressed = b.respSize, respTrunc, b.respDecompressed
}

func cut(b []byte, max int, truncated bool) ([]byte, bool) {
	if len(b) > max {
		return b[:max], true
	}
	return b, truncated
}

// timings are an exchange's phases as httptrace tells them.
type timings struct {
	mu                            sync.Mutex
	begun                         time.Time
	dnsStart, connStart, tlsStart time.Time
	dns, connect, tls, ttfb       time.Duration
}

const notYet = time.Duration(-1)

func (t *timings) reset() {
	t.dns, t.connect, t.tls, t.ttfb = notYet, notYet, notYet, notYet
}

func (t *timings) begin() {
	t.mu.Lock()
	t.begun = time.Now()
	t.mu.Unlock()
}

func (t *timings) trace() *httptrace.ClientTrace {
	at := func(f func(now time.Time)) {
		t.mu.Lock()
		defer t.mu.Unlock()
		f(time.Now())
	}
	return &httptrace.ClientTrace{
		DNSStart: func(httptrace.DNSStartInfo) { at(func(now time.Time) { t.dnsStart = now }) },
		DNSDone: func(httptrace.DNSDoneInfo) {
			at(func(now time.Time) {
				if !t.dnsStart.IsZero() && t.dns == notYet {
					t.dns = now.Sub(t.dnsStart)
				}
			})
		},
		ConnectStart: func(string, string) {
			at(func(now time.Time) {
				if t.connStart.IsZero() {
					t.connStart = now
				}
			})
		},
		ConnectDone: func(_, _ string, err error) {
			at(func(now time.Time) {
				if err == nil && !t.connStart.IsZero() && t.connect == notYet {
					t.connect = now.Sub(t.connStart)
				}
			})
		},
		TLSHandshakeStart: func() { at(func(now time.Time) { t.tlsStart = now }) },
		TLSHandshakeDone: func(_ tls.ConnectionState, err error) {
			at(func(now time.Time) {
				if err == nil && !t.tlsStart.IsZero() && t.tls == notYet {
					t.tls = now.Sub(t.tlsStart)
				}
			})
		},
		GotFirstResponseByte: func() {
			at(func(now time.Time) {
				if !t.begun.IsZero() && t.ttfb == notYet {
					t.ttfb = now.Sub(t.begun)
				}
			})
		},
	}
}

// result is the timings in ms (-1 for a phase that did not happen).
func (t *timings) result(total time.Duration) recjob.Timings {
	t.mu.Lock()
	defer t.mu.Unlock()
	ms := func(d time.Duration) float64 {
		if d < 0 {
			return -1
		}
		return float64(d.Microseconds()) / 1000
	}
	return recjob.Timings{DNS: ms(t.dns), Connect: ms(t.connect), TLS: ms(t.tls), TTFB: ms(t.ttfb), Total: ms(total)}
}

// isWebSocket reports a WebSocket upgrade request.
func isWebSocket(h http.Header) bool {
	return strings.EqualFold(h.Get("Upgrade"), "websocket")
}

// wsURL is u with the WebSocket scheme.
func wsURL(u *url.URL) string {
	c := *u
	switch c.Scheme {
	case "http":
		c.Scheme = "ws"
	case "https":
		c.Scheme = "wss"
	}
	return c.String()
}
