package engine

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// AMQPReplyHeader, on a request (any value), makes the AMQP transport
// wait for an RPC reply.
const AMQPReplyHeader = "Amqp-Reply"

// The AMQP transport's RPC switch frames the request: the run does not
// mutate it (any value means the same).

// amqpDirectReplyTo is RabbitMQ's direct reply-to pseudo-queue.
const amqpDirectReplyTo = "amq.rabbitmq.reply-to"

// amqpTimeout bounds what the AMQP client does on its own (dialling and
// the connection's handshake); Send's context bounds Send's wait for it.
const amqpTimeout = 10 * time.Second

// AMQP publishes requests to RabbitMQ (AMQP 0-9-1). The URL is
// amqp://user:pass@host:5672/vhost?exchange=X&routingKey=Y (amqps too;
// no exchange: the default one, where the routing key is a queue's name).
// Send publishes q.Body there, mandatory and with publisher confirms, its
// Content-Type header as the message's content type and its other headers
// as message headers, and answers:
//
//   - 202, empty: the broker confirmed the message;
//   - 404, the return's reply text as the body: the message could not be
//     routed (returned);
//   - 503: the broker nacked it;
//   - the broker closing the channel over it: 404 (no such exchange), 403
//     (access refused), 413 (content too large), 409 (resource locked),
//     400 (precondition failed), the broker's reason as the body;
//   - with an Amqp-Reply header (any value), the RPC pattern: the message
//     carries replyTo (RabbitMQ's direct reply-to, amq.rabbitmq.reply-to:
//     no queue to declare or delete) and a unique correlationId, and Send
//     waits (ReplyWait, bounded by the context) for the reply: its body is
//     the body, its int header "status" the status (200 without one), its
//     content type and other headers the reply's headers; no reply in
//     time: 202.
//
// An error return means nothing came back: no connection (refused, or the
// dialer's policy forbids the address), the context ended, the connection
// failed. One connection per URL (without its exchange and routing key) is
// kept until Close; each Send uses a channel of its own.
type AMQP struct {
	// ReplyWait bounds the wait for an RPC reply (DefaultReplyWait when
	// zero), shortened to the request's context.
	ReplyWait time.Duration
	// TLS configures amqps connections (nil: the system's roots, the
	// URL's host as the server name).
	TLS *tls.Config

	dial   func(ctx context.Context, network, addr string) (net.Conn, error)
	prefix string        // of the correlation ids, unique to the transport
	seq    atomic.Uint64 // of the correlation ids

	mu     sync.Mutex
	conns  map[string]*amqpConn // by URL without exchange and routing key
	closed bool
}

// amqpConn is one URL's connection, made in the background.
type amqpConn struct {
	ready chan struct{} // closed once made or failed
	err   error
	conn  *amqp.Connection
}

// NewAMQP is an AMQP transport whose connections are made by dial (the
// network policy's dialer: outbound.Policy.Dialer()).
func NewAMQP(dial func(ctx context.Context, network, addr string) (net.Conn, error)) *AMQP {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return &AMQP{dial: dial, prefix: hex.EncodeToString(b[:]), conns: map[string]*amqpConn{}}
}

// Close closes the connections (the Sends on them fail); later Sends fail.
func (a *AMQP) Close() error {
	a.mu.Lock()
	a.closed = true
	conns := a.conns
	a.conns = map[string]*amqpConn{}
	a.mu.Unlock()
	for _, c := range conns {
		<-c.ready
		if c.conn != nil {
			_ = c.conn.Close()
		}
	}
	return nil
}

// parseAMQPURL splits a request URL into the URL to dial and where to
// publish.
func parseAMQPURL(raw string) (dialURL, exchange, key string, err error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "amqp" && u.Scheme != "amqps") || u.Host == "" {
		return "", "", "", fmt.Errorf("amqp: url %q: amqp://user:pass@host:5672/vhost?exchange=X&routingKey=Y is needed", redactURL(raw))
	}
	q := u.Query()
	exchange, key = q.Get("exchange"), q.Get("routingKey")
	q.Del("exchange")
	q.Del("routingKey")
	u.RawQuery = q.Encode()
	dialURL = u.String()
	if _, err := amqp.ParseURI(dialURL); err != nil {
		return "", "", "", fmt.Errorf("amqp: url %q: %w", redactURL(raw), err)
	}
	return dialURL, exchange, key, nil
}

// redactURL is a URL without its password, for errors.
func redactURL(raw string) string {
	if u, err := url.Parse(raw); err == nil {
		return u.Redacted()
	}
	return "(invalid URL)"
}

// connection is dialURL's open connection, made (again) when there is none.
func (a *AMQP) connection(ctx context.Context, dialURL string) (*amqp.Connection, error) {
	a.mu.Lock()
	if a.closed {
		a.mu.Unlock()
		return nil, errTransportClosed
	}
	c := a.conns[dialURL]
	if c != nil {
		select {
		case <-c.ready:
			if c.err != nil || c.conn.IsClosed() {
				c = nil // failed, or lost since: dial again
			}
		default: // being made
		}
	}
	if c == nil {
		c = &amqpConn{ready: make(chan struct{})}
		a.conns[dialURL] = c
		go a.open(c, dialURL)
	}
	a.mu.Unlock()
	select {
	case <-c.ready:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if c.err != nil {
		return nil, c.err
	}
	return c.conn, nil
}

// open dials a connection (in the background: it waits on the broker).
func (a *AMQP) open(c *amqpConn, dialURL string) {
	defer close(c.ready)
	props := amqp.NewConnectionProperties()
	props.SetClientConnectionName("mockarty fuzzer")
	cfg := amqp.Config{Heartbeat: 10 * time.Second, Locale: "en_US", Properties: props,
		Dial: func(network, addr string) (net.Conn, error) {
			ctx, cancel := context.WithTimeout(context.Background(), amqpTimeout)
			defer cancel()
			conn, err := a.dial(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			_ = conn.SetDeadline(time.Now().Add(amqpTimeout)) // the handshakes; cleared once open
			return conn, nil
		}}
	if a.TLS != nil {
		cfg.TLSClientConfig = a.TLS.Clone()
	}
	conn, err := amqp.DialConfig(dialURL, cfg)
	if err != nil {
		c.err = fmt.Errorf("amqp %s: %w", redactURL(dialURL), err)
		return
	}
	a.mu.Lock()
	closed := a.closed
	a.mu.Unlock()
	if closed {
		_ = conn.Close()
		c.err = errTransportClosed
		return
	}
	c.conn = conn
}

// amqpOutcome is what a publish came to.
type amqpOutcome struct {
	rep *Reply
	err error
}

// Send publishes q.Body to the URL's exchange and routing key and, with
// an Amqp-Reply header, waits for the RPC reply.
func (a *AMQP) Send(ctx context.Context, q *Request) (*Reply, error) {
	if a.dial == nil {
		return nil, errors.New("amqp: no dialer")
	}
	dialURL, exchange, key, err := parseAMQPURL(q.URL)
	if err != nil {
		return nil, err
	}
	conn, err := a.connection(ctx, dialURL)
	if err != nil {
		return nil, err
	}
	// The client's channel calls take no context: they run apart, and
	// Send waits for them no longer than ctx.
	done := make(chan amqpOutcome, 1)
	go func() {
		rep, err := a.publish(ctx, conn, exchange, key, q)
		done <- amqpOutcome{rep, err}
	}()
	select {
	case o := <-done:
		return o.rep, o.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// publish does one Send's work on a channel of its own.
func (a *AMQP) publish(ctx context.Context, conn *amqp.Connection, exchange, key string, q *Request) (*Reply, error) {
	ch, err := conn.Channel()
	if err != nil {
		return nil, fmt.Errorf("amqp channel: %w", err)
	}
	defer ch.Close()
	closes := ch.NotifyClose(make(chan *amqp.Error, 1))
	returns := ch.NotifyReturn(make(chan amqp.Return, 1))
	if err := ch.Confirm(false); err != nil {
		return nil, fmt.Errorf("amqp confirm mode: %w", err)
	}
	_, rpc := q.Header[http.CanonicalHeaderKey(AMQPReplyHeader)]
	corr := a.prefix + "-" + strconv.FormatUint(a.seq.Add(1), 10)
	var replies <-chan amqp.Delivery
	if rpc {
		// Direct reply-to: consume (no-ack) on this channel before publishing.
		if replies, err = ch.Consume(amqpDirectReplyTo, "", true, false, false, false, nil); err != nil {
			return nil, fmt.Errorf("amqp direct reply-to: %w", err)
		}
	}
	msg := amqp.Publishing{Body: q.Body, CorrelationId: corr, MessageId: corr, AppId: "mockarty-fuzzer", Timestamp: time.Now()}
	for name, vs := range q.Header {
		switch {
		case strings.EqualFold(name, "Content-Type"):
			msg.ContentType = strings.Join(vs, ", ")
		case strings.EqualFold(name, AMQPReplyHeader):
		default:
			if msg.Headers == nil {
				msg.Headers = amqp.Table{}
			}
			msg.Headers[name] = strings.Join(vs, ", ")
		}
	}
	if rpc {
		msg.ReplyTo = amqpDirectReplyTo
	}
	dc, err := ch.PublishWithDeferredConfirmWithContext(ctx, exchange, key, true, false, msg)
	if err != nil {
		if rep := amqpClosedReply(closes); rep != nil {
			return rep, nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("amqp publish: %w", err)
	}
	acked, err := dc.WaitContext(ctx)
	if err != nil {
		return nil, err
	}
	if !acked {
		// A channel closed over the message unblocks its confirm as a nack.
		if rep := amqpClosedReply(closes); rep != nil {
			return rep, nil
		}
		if ch.IsClosed() {
			return nil, errors.New("amqp: the channel closed before the broker confirmed the message")
		}
		return &Reply{Status: http.StatusServiceUnavailable, Header: textHeader(),
			Body: []byte("the broker refused the message (nack)")}, nil
	}
	select {
	case ret, ok := <-returns:
		if ok {
			return &Reply{Status: http.StatusNotFound, Header: textHeader(), Body: []byte(ret.ReplyText)}, nil
		}
	default:
	}
	accepted := &Reply{Status: http.StatusAccepted, Header: http.Header{}}
	if !rpc {
		return accepted, nil
	}
	wait := a.ReplyWait
	if wait <= 0 {
		wait = DefaultReplyWait
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	for {
		select {
		case d, ok := <-replies:
			if !ok {
				if rep := amqpClosedReply(closes); rep != nil {
					return rep, nil
				}
				return nil, errors.New("amqp: the channel closed while waiting for the reply")
			}
			if d.CorrelationId != corr {
				continue
			}
			return amqpReply(d), nil
		case <-timer.C:
			return accepted, nil
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return accepted, nil // the reply wait ran to the request's deadline
			}
			return nil, ctx.Err()
		}
	}
}

// amqpClosedReply is the broker's closing of the channel as a reply, when
// it closed it over the message (nil: not closed, or not over the
// message).
func amqpClosedReply(closes <-chan *amqp.Error) *Reply {
	var e *amqp.Error
	select {
	case e = <-closes:
	default:
	}
	if e == nil {
		return nil
	}
	status := 0
	switch e.Code {
	case amqp.NotFound, amqp.NoRoute:
		status = http.StatusNotFound
	case amqp.AccessRefused:
		status = http.StatusForbidden
	case amqp.ContentTooLarge:
		status = http.StatusRequestEntityTooLarge
	case amqp.ResourceLocked:
		status = http.StatusConflict
	case amqp.PreconditionFailed:
		status = http.StatusBadRequest
	default:
		return nil // the connection's trouble, not the message's
	}
	return &Reply{Status: status, Header: textHeader(), Body: []byte(e.Reason)}
}

// amqpReply is an RPC reply as a reply.
func amqpReply(d amqp.Delivery) *Reply {
	rep := &Reply{Status: http.StatusOK, Header: http.Header{}, Body: d.Body}
	if len(rep.Body) > maxBody {
		rep.Body = rep.Body[:maxBody]
	}
	for name, v := range d.Headers {
		if strings.EqualFold(name, ReplyStatusHeader) {
			if s, ok := tableInt(v); ok && s >= 100 && s <= 599 {
				rep.Status = int(s)
			}
			continue
		}
		rep.Header.Set(name, fmt.Sprint(v))
	}
	switch {
	case d.ContentType != "":
		rep.Header.Set("Content-Type", d.ContentType)
	case json.Valid(rep.Body):
		rep.Header.Set("Content-Type", "application/json")
	}
	return rep
}

// tableInt is an AMQP table value as an integer, when it is one (or a
// whole number, or a decimal string).
func tableInt(v any) (int64, bool) {
	switch x := v.(type) {
	case int8:
		return int64(x), true
	case int16:
		return int64(x), true
	case int32:
		return int64(x), true
	case int64:
		return x, true
	case int:
		return int64(x), true
	case uint8:
		return int64(x), true
	case uint16:
		return int64(x), true
	case uint32:
		return int64(x), true
	case float32:
		return tableInt(float64(x))
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1e9 {
			return int64(x), true
		}
	case string:
		if n, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64); err == nil {
			return n, true
		}
	case []byte:
		return tableInt(string(x))
	}
	return 0, false
}

// AMQPSeed is an exchange, a routing key and one message as a seed: the
// run mutates the message's JSON leaves; its findings are named "amqp
// <exchange>/<routingKey>". With rpc the transport waits for the reply
// (Amqp-Reply).
//
// The exchange and the routing key travel in the URL's query, which the
// run also mutates: the mutated ones name nothing, and are answered 404.
func AMQPSeed(amqpURL, exchange, routingKey, message string, rpc bool) Seed {
	target := amqpURL
	if u, err := url.Parse(amqpURL); err == nil {
		q := u.Query()
		q.Set("exchange", exchange)
		q.Set("routingKey", routingKey)
		u.RawQuery = q.Encode()
		target = u.String()
	}
	name := exchange + "/" + routingKey
	s := Seed{ID: "amqp " + name, Name: name, Operation: "amqp " + name, Method: http.MethodPost, URL: target, Body: message}
	if json.Valid([]byte(message)) {
		s.ContentType = "application/json"
	}
	if rpc {
		s.Headers = map[string]string{AMQPReplyHeader: "1"}
	}
	return s
}
