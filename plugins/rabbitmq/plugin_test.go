package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mockarty-oss/mockarty/sdk"
	"github.com/mockarty-oss/mockarty/sdk/find"
	"github.com/mockarty-oss/mockarty/sdk/plugintest"
	amqp "github.com/rabbitmq/amqp091-go"
)

// echoHost answers every RabbitMQ find with the request it got.
func echoHost() *plugintest.FakeHost {
	return &plugintest.FakeHost{FindRabbitMQFunc: func(_ context.Context, req *find.RabbitMQRequest) (*find.RabbitMQResponse, error) {
		if strings.Contains(string(req.Data), "unknown") {
			return nil, &sdk.NoMatch{Message: "no rabbitmq mock matches " + req.Queue, Code: "no_match"}
		}
		body, err := json.Marshal(req)
		if err != nil {
			return nil, err
		}
		return &find.RabbitMQResponse{Data: body, OutputHeaders: map[string]string{"x-echo": "1"}}, nil
	}}
}

// TestFindRequestAndRPCReply: a message becomes the find request the
// contract describes, and the answer goes back to replyTo.
func TestFindRequestAndRPCReply(t *testing.T) {
	conn := needBroker(t)
	n := cleanup(t, conn)
	queue, other := n.queue(uniq("mkt-unit-rpc-")), n.queue(uniq("mkt-unit-other-"))
	host := echoHost()
	host.SetMocks("rabbitmq", json.RawMessage(`{"id":"m1","namespace":"qa","rabbitmq":{"queue":"`+queue+`"},"response":{}}`),
		json.RawMessage(`{"id":"m2","namespace":"qa","serverName":"elsewhere","rabbitmq":{"queue":"`+other+`"},"response":{}}`))
	p := plugintest.Start(t, &Listener{}, json.RawMessage(`{"namespace":"qa","reconnectMinMs":20,"reconnectMaxMs":200}`), host)
	if len(p.Addresses) != 1 || !strings.HasPrefix(p.Addresses[0], "amqp://guest:xxxxx@127.0.0.1") {
		t.Fatalf("addresses (redacted broker URLs): %v", p.Addresses)
	}
	waitConsumed(t, conn, queue, true)
	// The mock of a server the settings do not name is consumed on the
	// default broker (the serverName rule), not skipped.
	waitConsumed(t, conn, other, true)

	ch := channel(t, conn)
	replyTo, replies := replyQueue(t, ch)
	publish(t, ch, "", queue, amqp.Publishing{ContentType: "application/json", ReplyTo: replyTo, CorrelationId: "c-1",
		Headers: amqp.Table{"tenant": "acme", "n": int32(7), "nested": amqp.Table{"a": "b"}}, Body: []byte(`{"id":42}`)})
	r := receive(t, replies, "rpc reply")
	if r.CorrelationId != "c-1" || r.ContentType != "application/json" || r.Headers["x-echo"] != "1" || !strings.HasPrefix(r.MessageId, "mockarty-") {
		t.Fatalf("reply properties: %+v", r)
	}
	var req find.RabbitMQRequest
	if err := json.Unmarshal(r.Body, &req); err != nil {
		t.Fatalf("reply body: %s", r.Body)
	}
	if req.Namespace != "qa" || req.ServerName != "default" || req.Queue != queue || string(req.Data) != `{"id":42}` ||
		req.Headers["tenant"] != "acme" || req.Headers["n"] != "7" || req.Headers["nested"] != `{"a":"b"}` {
		t.Fatalf("the find request: %+v", req)
	}

	// A body that is not JSON is sent as a JSON string.
	publish(t, ch, "", queue, amqp.Publishing{ReplyTo: replyTo, CorrelationId: "c-2", Body: []byte("plain words")})
	r = receive(t, replies, "text rpc reply")
	_ = json.Unmarshal(r.Body, &req)
	if r.CorrelationId != "c-2" || string(req.Data) != `"plain words"` {
		t.Fatalf("text request: %s", r.Body)
	}

	// No mock: acknowledged, never redelivered, no reply.
	publish(t, ch, "", queue, amqp.Publishing{ReplyTo: replyTo, CorrelationId: "c-3", Body: []byte(`{"unknown":true}`)})
	none(t, replies, 500*time.Millisecond, "unmatched message")
	misses := 0
	for _, c := range host.Calls() {
		if strings.Contains(string(c.Body), "unknown") {
			misses++
		}
	}
	if messages, _ := queueState(t, conn, queue); misses != 1 || messages != 0 {
		t.Fatalf("the unmatched message was looked up %d times; %d messages wait", misses, messages)
	}

	out, err := p.Client.Call(t.Context(), "status", nil)
	if err != nil || !strings.Contains(string(out), `"skipped":[]`) || !strings.Contains(string(out), other) ||
		!strings.Contains(string(out), `"connected":true`) {
		t.Fatalf("status: %s %v", out, err)
	}
	if _, err := p.Client.Call(t.Context(), "nope", nil); err == nil {
		t.Fatal("an unknown action is refused")
	}

	// Deleting the mock stops the consumer.
	host.SetMocks("rabbitmq")
	waitConsumed(t, conn, queue, false)
	waitConsumed(t, conn, other, false)
}

// gate is a TCP proxy to the broker that can be closed and opened: the
// broker "goes away" for the plugin only.
type gate struct {
	addr  string
	mu    sync.Mutex
	ln    net.Listener
	conns []net.Conn
}

func newGate(t *testing.T) *gate {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	g := &gate{addr: ln.Addr().String()}
	_ = ln.Close() // closed: connections are refused until open
	t.Cleanup(g.close)
	return g
}

func (g *gate) open(t *testing.T) {
	ln, err := net.Listen("tcp", g.addr)
	if err != nil {
		t.Fatal(err)
	}
	g.mu.Lock()
	g.ln = ln
	g.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", "127.0.0.1:5672")
			if err != nil {
				_ = c.Close()
				continue
			}
			g.mu.Lock()
			g.conns = append(g.conns, c, up)
			g.mu.Unlock()
			go func() { _, _ = io.Copy(up, c); _ = up.Close() }()
			go func() { _, _ = io.Copy(c, up); _ = c.Close() }()
		}
	}()
}

func (g *gate) close() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.ln != nil {
		_ = g.ln.Close()
		g.ln = nil
	}
	for _, c := range g.conns {
		_ = c.Close()
	}
	g.conns = nil
}

// TestBrokerDownAtStart: the plugin starts without its broker, reports it,
// keeps retrying, and serves once the broker is there; a dropped network
// connection is recovered the same way.
func TestBrokerDownAtStart(t *testing.T) {
	conn := needBroker(t)
	n := cleanup(t, conn)
	queue := n.queue(uniq("mkt-unit-down-"))
	g := newGate(t)
	host := echoHost()
	host.SetMocks("rabbitmq", json.RawMessage(`{"id":"m1","namespace":"sandbox","rabbitmq":{"queue":"`+queue+`"},"response":{}}`))
	settings := fmt.Sprintf(`{"servers":{"default":{"url":"amqp://guest:guest@%s/"}},"strictHealth":true,"reconnectMinMs":20,"reconnectMaxMs":100}`, g.addr)
	p := plugintest.Start(t, &Listener{}, json.RawMessage(settings), host)

	err := p.Client.Health(t.Context())
	if err == nil || !strings.Contains(err.Error(), "not connected") {
		t.Fatalf("health without the broker: %v", err)
	}
	if out, err := p.Client.Call(t.Context(), "status", nil); err != nil || !strings.Contains(string(out), `"connected":false`) {
		t.Fatalf("status without the broker: %s %v", out, err)
	}

	g.open(t)
	waitConsumed(t, conn, queue, true)
	plugintest.EventuallyNoError(t, 10*time.Second, func() error { return p.Client.Health(t.Context()) }, "health once the broker is there")
	ch := channel(t, conn)
	replyTo, replies := replyQueue(t, ch)
	publish(t, ch, "", queue, amqp.Publishing{ReplyTo: replyTo, CorrelationId: "first", Body: []byte(`{}`)})
	first := receive(t, replies, "reply after the broker came")
	if first.CorrelationId != "first" {
		t.Fatalf("reply: %+v", first)
	}

	// The network drops: a request sent meanwhile waits in the queue and is
	// answered once the plugin is back.
	g.close()
	waitConsumed(t, conn, queue, false)
	publish(t, ch, "", queue, amqp.Publishing{ReplyTo: replyTo, CorrelationId: "during", Body: []byte(`{}`)})
	g.open(t)
	// If the network dropped before "first" was acknowledged, the broker
	// redelivers it and it may be answered again (replies to unacknowledged
	// requests are at least once): such a repeat carries the same messageId,
	// so a consumer that deduplicates sees it once. "during" is answered once.
	for {
		r := receive(t, replies, "reply after the network came back")
		if r.CorrelationId == "first" && r.MessageId == first.MessageId {
			continue
		}
		if r.CorrelationId != "during" {
			t.Fatalf("reply: %+v", r)
		}
		break
	}
	quiet := time.After(300 * time.Millisecond)
	for {
		select {
		case r := <-replies:
			if r.CorrelationId != "first" || r.MessageId != first.MessageId {
				t.Fatalf("a second reply: %+v", r)
			}
		case <-quiet:
			return
		}
	}
}
