package engine

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sync"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/gorilla/websocket"
)

// DefaultReplyWait is how long a message transport waits for an answer
// (a WebSocket message, a Kafka reply record, an AMQP RPC reply) before it
// says nothing came (WebSocket: 204; Kafka, AMQP: 202), unless the
// request's context ends sooner.
const DefaultReplyWait = 2 * time.Second

// WebSocket sends requests to WebSocket endpoints (URL schemes ws and
// wss): one connection per Send, the body written as one message, one
// message read back. What comes back is read as HTTP:
//
//   - a handshake refused with an HTTP status: that status and its body
//     (the first KiB, what the WebSocket library keeps);
//   - a reply message: 200, the message as the body (Content-Type
//     application/json when it is JSON, text/plain for other text,
//     application/octet-stream for binary);
//   - the server closing with 1011 (internal error): 500, the close reason
//     as the body; 1008, 1003, 1007, 1002: 400; 1009: 413; 1012, 1013:
//     503; 1014: 502; 1000, 1001, 1005: 200, empty; 4400-4599 (the
//     4000+HTTP convention, graphql-ws's): that HTTP status; any other
//     code: 400;
//   - the connection dropped without a close frame (a crash): 502, body
//     "connection closed abnormally";
//   - no message within ReplyWait: 204, empty (many servers answer
//     nothing).
//
// Send's error return means nothing came back: the connection could not
// be made (refused, or the dialer's policy forbids the address) or the
// context ended first.
type WebSocket struct {
	// ReplyWait bounds the wait for the reply message (DefaultReplyWait
	// when zero), shortened to the request's context.
	ReplyWait time.Duration
	// TLS configures wss connections (nil: the system's roots).
	TLS *tls.Config

	dial func(ctx context.Context, network, addr string) (net.Conn, error)

	mu     sync.Mutex
	conns  map[*websocket.Conn]struct{}
	closed bool
}

// NewWebSocket is a WebSocket transport whose connections are made by
// dial (the network policy's dialer: outbound.Policy.Dialer()).
func NewWebSocket(dial func(ctx context.Context, network, addr string) (net.Conn, error)) *WebSocket {
	return &WebSocket{dial: dial, conns: map[*websocket.Conn]struct{}{}}
}

// errTransportClosed: Send after Close.
var errTransportClosed = errors.New("transport closed")

// Close ends the connections in flight; later Sends fail.
func (w *WebSocket) Close() error {
	w.mu.Lock()
	w.closed = true
	conns := w.conns
	w.conns = map[*websocket.Conn]struct{}{}
	w.mu.Unlock()
	for c := range conns {
		_ = c.Close()
	}
	return nil
}

// isClosed says whether Close was called.
func (w *WebSocket) isClosed() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.closed
}

// track adds a live connection (false: the transport is closed).
func (w *WebSocket) track(c *websocket.Conn) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return false
	}
	w.conns[c] = struct{}{}
	return true
}

// untrack forgets a connection.
func (w *WebSocket) untrack(c *websocket.Conn) {
	w.mu.Lock()
	delete(w.conns, c)
	w.mu.Unlock()
}

// wsReservedHeaders are the handshake headers the WebSocket library sets
// itself (and refuses from the caller).
var wsReservedHeaders = []string{"Upgrade", "Connection", "Sec-Websocket-Key", "Sec-Websocket-Version",
	"Sec-Websocket-Extensions", "Content-Length"}

// Send dials q.URL (q.Header as the handshake's headers), writes q.Body
// as one message (text when it is valid UTF-8, else binary) and reads one
// message back.
func (w *WebSocket) Send(ctx context.Context, q *Request) (*Reply, error) {
	if w.isClosed() {
		return nil, errTransportClosed
	}
	if w.dial == nil {
		return nil, errors.New("websocket: no dialer")
	}
	u, err := url.Parse(q.URL)
	if err != nil || (u.Scheme != "ws" && u.Scheme != "wss") || u.Host == "" {
		return nil, fmt.Errorf("websocket: url %q: a ws or wss URL with a host is needed", q.URL)
	}
	h := q.Header.Clone()
	if h == nil {
		h = http.Header{}
	}
	for _, k := range wsReservedHeaders {
		h.Del(k)
	}
	d := &websocket.Dialer{NetDialContext: w.dial, TLSClientConfig: w.TLS, Proxy: nil}
	conn, res, err := d.DialContext(ctx, u.String(), h)
	if err != nil {
		if res != nil && errors.Is(err, websocket.ErrBadHandshake) {
			return handshakeReply(res), nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("websocket %s: %w", u.Redacted(), err)
	}
	if !w.track(conn) {
		_ = conn.Close()
		return nil, errTransportClosed
	}
	defer func() {
		w.untrack(conn)
		_ = conn.Close()
	}()
	// The context ends every wait: a deadline in the past fails the
	// read or write in progress as a timeout.
	stop := context.AfterFunc(ctx, func() { _ = conn.NetConn().SetDeadline(time.Now()) })
	defer stop()

	kind := websocket.TextMessage
	if !utf8.Valid(q.Body) {
		kind = websocket.BinaryMessage
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetWriteDeadline(dl)
	}
	// A deadline set here may undo the one the context's end just set:
	// an ended context is checked after each.
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := conn.WriteMessage(kind, q.Body); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if w.isClosed() {
			return nil, errTransportClosed
		}
		if rep := closedReply(err); rep != nil {
			return rep, nil // closed on us before the message went
		}
		return nil, fmt.Errorf("websocket %s: writing the message: %w", u.Redacted(), err)
	}

	wait := w.ReplyWait
	if wait <= 0 {
		wait = DefaultReplyWait
	}
	until := time.Now().Add(wait)
	if dl, ok := ctx.Deadline(); ok && dl.Before(until) {
		until = dl
	}
	_ = conn.SetReadDeadline(until)
	if errors.Is(ctx.Err(), context.Canceled) {
		return nil, ctx.Err()
	}
	mt, r, err := conn.NextReader()
	var body []byte
	if err == nil {
		body, err = io.ReadAll(io.LimitReader(r, maxBody))
	}
	if err != nil {
		if errors.Is(ctx.Err(), context.Canceled) {
			return nil, ctx.Err()
		}
		if w.isClosed() {
			return nil, errTransportClosed
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return &Reply{Status: http.StatusNoContent, Header: http.Header{}}, nil
		}
		if rep := closedReply(err); rep != nil {
			return rep, nil
		}
		return &Reply{Status: http.StatusBadGateway, Header: textHeader(), Body: []byte(err.Error())}, nil
	}
	// A polite goodbye; the answer is not awaited.
	_ = conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""),
		time.Now().Add(100*time.Millisecond))
	hdr := http.Header{}
	switch {
	case mt == websocket.BinaryMessage:
		hdr.Set("Content-Type", "application/octet-stream")
	case json.Valid(body):
		hdr.Set("Content-Type", "application/json")
	default:
		hdr.Set("Content-Type", "text/plain; charset=utf-8")
	}
	return &Reply{Status: http.StatusOK, Header: hdr, Body: body}, nil
}

// handshakeReply is a refused handshake as a reply: its status, headers
// and the start of its body.
func handshakeReply(res *http.Response) *Reply {
	defer res.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(res.Body, maxBody))
	if res.StatusCode == http.StatusSwitchingProtocols {
		// Switched, but not to a WebSocket we can trust (a wrong accept key).
		return &Reply{Status: http.StatusBadGateway, Header: textHeader(), Body: []byte("bad websocket handshake")}
	}
	h := res.Header.Clone()
	if h == nil {
		h = http.Header{}
	}
	return &Reply{Status: res.StatusCode, Header: h, Body: body}
}

// closedReply is a connection's end as a reply (nil: err is not one).
func closedReply(err error) *Reply {
	var ce *websocket.CloseError
	if !errors.As(err, &ce) {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) || isReset(err) {
			return &Reply{Status: http.StatusBadGateway, Header: textHeader(), Body: []byte("connection closed abnormally")}
		}
		return nil
	}
	reason := []byte(ce.Text)
	switch code := ce.Code; {
	case code == websocket.CloseAbnormalClosure:
		return &Reply{Status: http.StatusBadGateway, Header: textHeader(), Body: []byte("connection closed abnormally")}
	case code == websocket.CloseNormalClosure || code == websocket.CloseGoingAway || code == websocket.CloseNoStatusReceived:
		return &Reply{Status: http.StatusOK, Header: http.Header{}}
	case code == websocket.CloseInternalServerErr:
		return &Reply{Status: http.StatusInternalServerError, Header: textHeader(), Body: reason}
	case code == websocket.CloseMessageTooBig:
		return &Reply{Status: http.StatusRequestEntityTooLarge, Header: textHeader(), Body: reason}
	case code == websocket.CloseServiceRestart || code == websocket.CloseTryAgainLater:
		return &Reply{Status: http.StatusServiceUnavailable, Header: textHeader(), Body: reason}
	case code == 1014: // bad gateway
		return &Reply{Status: http.StatusBadGateway, Header: textHeader(), Body: reason}
	case code >= 4400 && code <= 4599:
		return &Reply{Status: code - 4000, Header: textHeader(), Body: reason}
	}
	// 1008 policy violation, 1003 unsupported data, 1007 invalid payload,
	// 1002 protocol error and the codes nobody agrees on: the input refused.
	return &Reply{Status: http.StatusBadRequest, Header: textHeader(), Body: reason}
}

// isReset says whether err is the peer gone mid-way (reset, broken pipe).
func isReset(err error) bool {
	return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// textHeader is the header of a plain-text reply.
func textHeader() http.Header {
	return http.Header{"Content-Type": {"text/plain; charset=utf-8"}}
}

// WebSocketSeed is a WebSocket endpoint and one message as a seed: the run
// mutates the message's JSON leaves (and the URL's query values); its
// findings are named "ws <path>".
func WebSocketSeed(wsURL, message string) Seed {
	path := "/"
	if u, err := url.Parse(wsURL); err == nil && u.Path != "" {
		path = u.Path
	}
	s := Seed{ID: "ws " + path, Name: path, Operation: "ws " + path, Method: http.MethodPost, URL: wsURL, Body: message}
	if json.Valid([]byte(message)) {
		s.ContentType = "application/json"
	}
	return s
}
