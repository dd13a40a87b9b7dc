package engine

import (
	"context"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/mockarty-oss/mockarty/plugins/fuzzer/internal/target"
	"github.com/mockarty-oss/mockarty/sdk/outbound"
)

// rabbitURL is the RabbitMQ the AMQP tests use.
const rabbitURL = "amqp://guest:guest@127.0.0.1:5672/"

// needRabbit skips the test when no RabbitMQ listens at rabbitURL, or
// fails it on CI (CI=true), where one must.
func needRabbit(t *testing.T) {
	t.Helper()
	c, err := net.DialTimeout("tcp", "127.0.0.1:5672", 2*time.Second)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("no RabbitMQ at %s on CI: %v", rabbitURL, err)
		}
		t.Skipf("skipped: no RabbitMQ at %s (%v); start one (docker run -p 5672:5672 rabbitmq) to run it", rabbitURL, err)
	}
	_ = c.Close()
}

// TestAMQPSource: fuzzing an RPC server behind a RabbitMQ exchange finds
// the vulnerable twin's planted bug (a database error in the reply,
// status 500 in its header) as one finding named "amqp <exchange>/search",
// and nothing on the clean twin.
func TestAMQPSource(t *testing.T) {
	needRabbit(t)
	for _, vulnerable := range []bool{true, false} {
		app, err := target.StartAMQP(rabbitURL, vulnerable)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(app.Close)
		a := NewAMQP(plainDial)
		a.ReplyWait = 5 * time.Second // a loaded machine's consumer is no finding
		t.Cleanup(func() { _ = a.Close() })
		seed := AMQPSeed(rabbitURL, app.Exchange, app.RoutingKey, `{"query":"phone"}`, true)
		op := "amqp " + app.Exchange + "/search"
		if seed.Operation != op || seed.Headers[AMQPReplyHeader] == "" || seed.ContentType != "application/json" ||
			seed.URL != rabbitURL+"?exchange="+app.Exchange+"&routingKey=search" {
			t.Fatalf("seed: %+v", seed)
		}
		res, err := Run(context.Background(), Config{Strategy: "security", Categories: []string{"sqli", "xss"}, Seeds: []Seed{seed},
			Transports: Transports{"amqp": a}, Options: Options{MaxRequests: 2000}}, noRedirects(), nil)
		if err != nil {
			t.Fatal(err)
		}
		if res.ErrorCount != 0 {
			t.Fatalf("%d requests failed", res.ErrorCount)
		}
		for _, f := range res.Findings {
			t.Log(f.Fingerprint, " ", f.MutationApplied)
		}
		switch {
		case vulnerable && (len(res.Findings) != 1 || !strings.HasPrefix(res.Findings[0].Fingerprint, op+"|sqli|500|sql-error:unterminated quoted string")):
			t.Fatalf("%d findings on the vulnerable RPC server", len(res.Findings))
		case !vulnerable && len(res.Findings) != 0:
			t.Fatalf("a finding on the clean RPC server: %s", res.Findings[0].Fingerprint)
		}
	}
}

// TestAMQPStatus: what the broker and the RPC server do, as statuses; the
// message a request makes; many Sends at once; the network policy; Close.
func TestAMQPStatus(t *testing.T) {
	needRabbit(t)
	app, err := target.StartAMQP(rabbitURL, true)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(app.Close)
	// Two more queues on the app's exchange: one nobody reads ("idle"),
	// one that refuses every message ("full").
	conn, err := amqp.Dial(rabbitURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() }) // its exclusive queues go with it
	ch, err := conn.Channel()
	if err != nil {
		t.Fatal(err)
	}
	idle, err := ch.QueueDeclare("", false, true, true, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	full, err := ch.QueueDeclare("", false, true, true, false, amqp.Table{"x-max-length": int32(0), "x-overflow": "reject-publish"})
	if err != nil {
		t.Fatal(err)
	}
	for q, key := range map[string]string{idle.Name: "idle", full.Name: "full"} {
		if err := ch.QueueBind(q, key, app.Exchange, false, nil); err != nil {
			t.Fatal(err)
		}
	}

	a := NewAMQP(plainDial) // replies are waited for as long as a loaded machine needs
	a.ReplyWait = time.Minute
	t.Cleanup(func() { _ = a.Close() })
	quick := NewAMQP(plainDial) // no reply is waited for briefly
	quick.ReplyWait = 50 * time.Millisecond
	t.Cleanup(func() { _ = quick.Close() })
	at := func(exchange, key string) string {
		return rabbitURL + "?exchange=" + exchange + "&routingKey=" + key
	}
	rpc := http.Header{AMQPReplyHeader: {"1"}}
	for _, c := range []struct {
		name   string
		tr     *AMQP
		url    string
		header http.Header
		body   string
		status int
		want   string // in the body
	}{
		{"reply", a, at(app.Exchange, "search"), rpc, `{"query":"phone"}`, 200, `{"results":["phone","phone case"]}`},
		{"reply status header", a, at(app.Exchange, "search"), rpc, `{"query":"o'brien"}`, 500, "unterminated quoted string"},
		{"no reply", quick, at(app.Exchange, "idle"), rpc, "x", 202, ""},
		{"published", a, at(app.Exchange, "idle"), nil, "x", 202, ""},
		{"unroutable", a, at(app.Exchange, "nowhere"), rpc, "x", 404, "NO_ROUTE"},
		{"no exchange", a, at(app.Exchange+"-gone", "search"), nil, "x", 404, "NOT_FOUND"},
		{"nack", a, at(app.Exchange, "full"), nil, "x", 503, "nack"},
	} {
		rep, err := c.tr.Send(context.Background(), &Request{Method: http.MethodPost, URL: c.url, Header: c.header, Body: []byte(c.body)})
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if rep.Status != c.status || !strings.Contains(string(rep.Body), c.want) {
			t.Errorf("%s: %d %q, want %d with %q", c.name, rep.Status, rep.Body, c.status, c.want)
		}
	}
	// The message: the body, the content type, the other headers, a correlation id.
	if _, err := a.Send(context.Background(), &Request{URL: at(app.Exchange, "idle"), Body: []byte(`{"a":1}`),
		Header: http.Header{"Content-Type": {"application/json"}, "X-Trace": {"t1"}}}); err != nil {
		t.Fatal(err)
	}
	var got amqp.Delivery
	for {
		d, ok, err := ch.Get(idle.Name, true)
		if err != nil || !ok {
			t.Fatalf("the published message: %v %v", ok, err)
		}
		if string(d.Body) == `{"a":1}` {
			got = d
			break
		}
	}
	if got.ContentType != "application/json" || got.Headers["X-Trace"] != "t1" || got.CorrelationId == "" || got.ReplyTo != "" {
		t.Fatalf("the message: %q %v %q %q", got.ContentType, got.Headers, got.CorrelationId, got.ReplyTo)
	}

	// Many at once, each with its own reply.
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rep, err := a.Send(context.Background(), &Request{URL: at(app.Exchange, "search"), Header: rpc,
				Body: []byte(`{"query":"` + strconv.Itoa(i) + `"}`)})
			if err != nil || rep.Status != 200 || string(rep.Body) != `{"results":[]}` {
				t.Errorf("concurrent send %d: %v %v", i, rep, err)
			}
		}()
	}
	wg.Wait()

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := a.Send(ctx, &Request{URL: at(app.Exchange, "idle"), Header: rpc}); err == nil {
		t.Fatal("sent with a cancelled context")
	}
	// The network policy's dialer decides: loopback is refused by default.
	policed := NewAMQP(outbound.Dialer(false))
	t.Cleanup(func() { _ = policed.Close() })
	if _, err := policed.Send(context.Background(), &Request{URL: at(app.Exchange, "idle")}); err == nil || !strings.Contains(err.Error(), "refusing") {
		t.Fatalf("a private broker through the policy: %v", err)
	}
	for _, bad := range []string{"amqp://", "http://127.0.0.1:5672/", "amqp://guest:guest@127.0.0.1:5672/a/b/c"} {
		if _, err := a.Send(context.Background(), &Request{URL: bad}); err == nil {
			t.Errorf("%q was sent", bad)
		}
	}
	_ = a.Close()
	if _, err := a.Send(context.Background(), &Request{URL: at(app.Exchange, "idle")}); err == nil {
		t.Fatal("sent after Close")
	}
}
