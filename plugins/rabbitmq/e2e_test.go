package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mockarty-oss/mockarty/sdk/plugintest"
	amqp "github.com/rabbitmq/amqp091-go"
)

// The end-to-end tests run the real host binary with the real plugin
// binary (plugintest.StartHost builds both once), against the real broker.

func TestMain(m *testing.M) {
	code := m.Run()
	plugintest.Cleanup()
	os.Exit(code)
}

// hostProc is a running host with the plugin.
type hostProc struct {
	*plugintest.HostProc
	connName string // the plugin's connection_name prefix
}

// theHost starts the test's host with the plugin on the real broker
// (skipping the test without one, outside CI) and waits until the plugin
// runs.
func theHost(tb testing.TB) *hostProc {
	tb.Helper()
	needBroker(tb)
	connName := uniq("mkt-e2e-")
	return launchHost(tb, connName, fmt.Sprintf(`{"namespace":"sandbox","servers":{"default":{"url":%q}},
"connectionName":%q,"reconnectMinMs":50,"reconnectMaxMs":500,"prefetch":64}`, brokerURL, connName))
}

// launchHost starts a host with the plugin and the given settings, and
// waits until the plugin runs; it stops when the test ends.
func launchHost(tb testing.TB, connName, settings string) *hostProc {
	tb.Helper()
	h := &hostProc{HostProc: plugintest.StartHost(tb, plugintest.HostOptions{Plugins: map[string]plugintest.PluginSpec{
		"rabbitmq": {Dir: ".", Settings: settings}}}), connName: connName}
	if a := h.Addresses(tb, "rabbitmq"); len(a) != 1 {
		tb.Fatalf("plugin status: %+v", h.Plugin(tb, "rabbitmq"))
	}
	return h
}

func (h *hostProc) get(path string, out any) error {
	res, err := http.Get(h.URL + path)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 {
		return fmt.Errorf("GET %s: %d %s", path, res.StatusCode, b)
	}
	return json.Unmarshal(b, out)
}

// mock creates (or replaces) a mock through the API.
func (h *hostProc) mock(tb testing.TB, doc string) {
	tb.Helper()
	res, err := http.Post(h.URL+"/api/v1/mocks", "application/json", strings.NewReader(doc))
	if err != nil {
		tb.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 201 && res.StatusCode != 200 {
		tb.Fatalf("create mock: %d %s\n%s", res.StatusCode, b, doc)
	}
	var created struct{ Mock struct{ ID string } }
	_ = json.Unmarshal(b, &created)
	tb.Cleanup(func() {
		req, _ := http.NewRequest(http.MethodDelete, h.URL+"/api/v1/mocks/"+created.Mock.ID, nil)
		if res, err := http.DefaultClient.Do(req); err == nil {
			res.Body.Close()
		}
	})
}

// undefined is the host's record of unmatched RabbitMQ messages for path.
func (h *hostProc) undefined(tb testing.TB, path string) (count int64, found bool) {
	tb.Helper()
	var list struct {
		Requests []struct {
			Protocol, Method, Path string
			Count                  int64
		}
	}
	if err := h.get("/api/v1/undefined-requests?protocol=rabbitmq", &list); err != nil {
		tb.Fatal(err)
	}
	for _, r := range list.Requests {
		if r.Path == path {
			if r.Protocol != "rabbitmq" || r.Method != "consume" {
				tb.Fatalf("undefined request: %+v", r)
			}
			return r.Count, true
		}
	}
	return 0, false
}

func TestE2EQueueAndExchangeRouting(t *testing.T) {
	h := theHost(t)
	conn := needBroker(t)
	n := cleanup(t, conn)
	ch := channel(t, conn)

	// A queue mock replies to its outputQueue.
	in, out := n.queue(uniq("mkt-e2e-orders-")), n.queue(uniq("mkt-e2e-orders-out-"))
	h.mock(t, fmt.Sprintf(`{"id":%q,"rabbitmq":{"queue":%q,"outputQueue":%q},
"response":{"payload":{"ok":true,"id":"$.body.id","tenant":"$.reqHeader.tenant[0]"}}}`, uniq("q-"), in, out))
	waitConsumed(t, conn, in, true)
	if _, err := ch.QueueDeclare(out, true, false, false, false, nil); err != nil {
		t.Fatal(err)
	}
	outs := consume(t, ch, out)
	publish(t, ch, "", in, amqp.Publishing{ContentType: "application/json", Headers: amqp.Table{"tenant": "acme"}, Body: []byte(`{"id":7}`)})
	r := receive(t, outs, "queue mock reply")
	if got := jsonOf(t, r.Body); got["ok"] != true || got["id"] != float64(7) || got["tenant"] != "acme" || r.ContentType != "application/json" {
		t.Fatalf("reply: %s %+v", r.Body, r)
	}

	// An exchange mock: the plugin binds its own queue to the exchange with
	// the routing key, and replies to the output exchange and routing key.
	events, replies := n.exchange(uniq("mkt-e2e-events-")), n.exchange(uniq("mkt-e2e-replies-"))
	own := n.queue(ownQueueName("sandbox", events, "order.created"))
	h.mock(t, fmt.Sprintf(`{"id":%q,"rabbitmq":{"exchange":%q,"routingKey":"order.created","outputExchange":%q,"outputRoutingKey":"order.done"},
"response":{"payload":{"done":"$.body.order"}}}`, uniq("x-"), events, replies))
	waitConsumed(t, conn, own, true)
	if err := ch.ExchangeDeclare(replies, "topic", true, false, false, false, nil); err != nil {
		t.Fatal(err)
	}
	done := n.queue(uniq("mkt-e2e-done-"))
	if _, err := ch.QueueDeclare(done, false, false, false, false, nil); err != nil {
		t.Fatal(err)
	}
	if err := ch.QueueBind(done, "order.#", replies, false, nil); err != nil {
		t.Fatal(err)
	}
	dones := consume(t, ch, done)
	publish(t, ch, events, "order.other", amqp.Publishing{Body: []byte(`{"order":"o-0"}`)}) // not bound: no reply
	publish(t, ch, events, "order.created", amqp.Publishing{Body: []byte(`{"order":"o-1"}`)})
	r = receive(t, dones, "exchange mock reply")
	if r.RoutingKey != "order.done" || r.Exchange != replies || jsonOf(t, r.Body)["done"] != "o-1" {
		t.Fatalf("reply: %s %+v", r.Body, r)
	}
	none(t, dones, 300*time.Millisecond, "a message with another routing key")

	// A queue bound to an exchange by the mock, with a wildcard key.
	bound := n.queue(uniq("mkt-e2e-bound-"))
	h.mock(t, fmt.Sprintf(`{"id":%q,"rabbitmq":{"queue":%q,"exchange":%q,"routingKey":"invoice.*"},
"response":{"payload":{"invoice":"$.body.n"}}}`, uniq("b-"), bound, events))
	waitConsumed(t, conn, bound, true)
	replyTo, rpc := replyQueue(t, ch)
	publish(t, ch, events, "invoice.paid", amqp.Publishing{ReplyTo: replyTo, CorrelationId: "inv-1", Body: []byte(`{"n":5}`)})
	r = receive(t, rpc, "bound queue reply")
	if r.CorrelationId != "inv-1" || jsonOf(t, r.Body)["invoice"] != float64(5) {
		t.Fatalf("reply: %s %+v", r.Body, r)
	}
}

func TestE2ERPCAndOutputProps(t *testing.T) {
	h := theHost(t)
	conn := needBroker(t)
	n := cleanup(t, conn)
	ch := channel(t, conn)

	// RPC: the reply goes to replyTo with the request's correlationId.
	rpcQ := n.queue(uniq("mkt-e2e-rpc-"))
	h.mock(t, fmt.Sprintf(`{"id":%q,"rabbitmq":{"queue":%q},"response":{"payload":{"sum":"$.body.a"}}}`, uniq("rpc-"), rpcQ))
	waitConsumed(t, conn, rpcQ, true)
	replyTo, replies := replyQueue(t, ch)
	for i := range 3 {
		publish(t, ch, "", rpcQ, amqp.Publishing{ReplyTo: replyTo, CorrelationId: fmt.Sprintf("corr-%d", i), MessageId: fmt.Sprintf("req-%d", i),
			Body: []byte(fmt.Sprintf(`{"a":%d}`, i))})
	}
	seen := map[string]bool{}
	for range 3 {
		r := receive(t, replies, "rpc reply")
		want := "corr-" + fmt.Sprint(jsonOf(t, r.Body)["sum"])
		if r.CorrelationId != want || seen[r.CorrelationId] || !strings.HasPrefix(r.MessageId, "mockarty-") {
			t.Fatalf("reply %s: correlation %q message id %q (seen %v)", r.Body, r.CorrelationId, r.MessageId, seen)
		}
		seen[r.CorrelationId] = true
	}

	// Direct reply-to: the client consumes amq.rabbitmq.reply-to on the
	// channel it publishes from.
	direct := channel(t, conn)
	drs, err := direct.Consume("amq.rabbitmq.reply-to", "", true, false, false, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	publish(t, direct, "", rpcQ, amqp.Publishing{ReplyTo: "amq.rabbitmq.reply-to", CorrelationId: "direct-1", Body: []byte(`{"a":9}`)})
	if r := receive(t, drs, "direct reply-to"); r.CorrelationId != "direct-1" || jsonOf(t, r.Body)["sum"] != float64(9) {
		t.Fatalf("direct reply: %s %+v", r.Body, r)
	}

	// Output properties and headers.
	propsQ, propsOut := n.queue(uniq("mkt-e2e-props-")), n.queue(uniq("mkt-e2e-props-out-"))
	h.mock(t, fmt.Sprintf(`{"id":%q,"rabbitmq":{"queue":%q,"outputQueue":%q,"outputProps":{"deliveryMode":2,"correlationId":"fixed-corr",
"replyTo":"somewhere","contentType":"application/vnd.test+json","priority":7,"messageId":"msg-1","type":"order.reply","appId":"mock-app"}},
"response":{"headers":{"X-Trace":["t-$.body.id"]},"payload":{"id":"$.body.id"}}}`, uniq("props-"), propsQ, propsOut))
	waitConsumed(t, conn, propsQ, true)
	if _, err := ch.QueueDeclare(propsOut, true, false, false, false, nil); err != nil {
		t.Fatal(err)
	}
	outs := consume(t, ch, propsOut)
	publish(t, ch, "", propsQ, amqp.Publishing{CorrelationId: "ignored", Body: []byte(`{"id":"p1"}`)})
	r := receive(t, outs, "props reply")
	if r.DeliveryMode != 2 || r.CorrelationId != "fixed-corr" || r.ReplyTo != "somewhere" || r.ContentType != "application/vnd.test+json" ||
		r.Priority != 7 || r.MessageId != "msg-1" || r.Type != "order.reply" || r.AppId != "mock-app" || r.Headers["X-Trace"] != "t-p1" {
		t.Fatalf("reply properties: %+v", r)
	}

	// outputURL: the reply goes to another broker (here another vhost).
	vhost := uniq("mkt-e2e-vhost-")
	for _, args := range [][]string{{"add_vhost", vhost}, {"set_permissions", "-p", vhost, "guest", ".*", ".*", ".*"}} {
		if out, err := exec.Command("rabbitmqctl", append([]string{"-q"}, args...)...).CombinedOutput(); err != nil {
			t.Fatalf("rabbitmqctl %v: %v\n%s", args, err, out)
		}
	}
	t.Cleanup(func() { _ = exec.Command("rabbitmqctl", "-q", "delete_vhost", vhost).Run() })
	otherURL := "amqp://guest:guest@127.0.0.1:5672/" + vhost
	other, err := amqp.Dial(otherURL)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	urlQ, urlOut := n.queue(uniq("mkt-e2e-url-")), uniq("mkt-e2e-url-out-")
	h.mock(t, fmt.Sprintf(`{"id":%q,"rabbitmq":{"queue":%q,"outputURL":%q,"outputQueue":%q},"response":{"payload":{"via":"other"}}}`,
		uniq("url-"), urlQ, otherURL, urlOut))
	waitConsumed(t, conn, urlQ, true)
	publish(t, ch, "", urlQ, amqp.Publishing{Body: []byte(`{}`)})
	plugintest.Eventually(t, 20*time.Second, func() bool {
		och := channel(t, other)
		m, ok, _ := och.Get(urlOut, true) // the plugin declared the output queue there
		if ok && jsonOf(t, m.Body)["via"] != "other" {
			t.Fatalf("reply on the other broker: %s", m.Body)
		}
		return ok
	}, "a reply on the outputURL's broker")
}

func TestE2EConditionsUnmatchedDelayError(t *testing.T) {
	h := theHost(t)
	conn := needBroker(t)
	n := cleanup(t, conn)
	ch := channel(t, conn)
	replyTo, replies := replyQueue(t, ch)

	// Two mocks on one queue, told apart by conditions.
	q := n.queue(uniq("mkt-e2e-cond-"))
	for _, kind := range []string{"a", "b"} {
		h.mock(t, fmt.Sprintf(`{"id":%q,"rabbitmq":{"queue":%q,"conditions":[{"path":"$.kind","assertAction":"equals","value":%q}]},
"response":{"payload":{"who":%q}}}`, uniq("cond-"+kind+"-"), q, kind, strings.ToUpper(kind)))
	}
	waitConsumed(t, conn, q, true)
	for i, kind := range []string{"b", "a", "b"} {
		publish(t, ch, "", q, amqp.Publishing{ReplyTo: replyTo, CorrelationId: strconv.Itoa(i), Body: []byte(`{"kind":"` + kind + `"}`)})
		r := receive(t, replies, "conditional reply")
		if r.CorrelationId != strconv.Itoa(i) || jsonOf(t, r.Body)["who"] != strings.ToUpper(kind) {
			t.Fatalf("kind %s: %s %+v", kind, r.Body, r)
		}
	}

	// An unmatched message: recorded as an undefined request, acknowledged
	// (not redelivered), no reply.
	publish(t, ch, "", q, amqp.Publishing{ReplyTo: replyTo, CorrelationId: "nobody", Body: []byte(`{"kind":"z"}`)})
	plugintest.Eventually(t, 10*time.Second, func() bool {
		count, ok := h.undefined(t, q)
		if ok && count != 1 {
			t.Fatalf("undefined request count %d", count)
		}
		return ok
	}, "the unmatched message in /api/v1/undefined-requests")
	// A later message is answered, and by then the unmatched one has not
	// come back (the host writes undefined requests every 100 ms).
	publish(t, ch, "", q, amqp.Publishing{ReplyTo: replyTo, CorrelationId: "after", Body: []byte(`{"kind":"a"}`)})
	if r := receive(t, replies, "reply after the unmatched one"); r.CorrelationId != "after" {
		t.Fatalf("got %q: the unmatched message had a reply", r.CorrelationId)
	}
	// A window in which a redelivery would show, not a wait on a condition:
	// the test proves something does not happen (a redelivered message
	// would be recorded again within the host's 100 ms flushes).
	time.Sleep(time.Second)
	if count, _ := h.undefined(t, q); count != 1 {
		t.Fatalf("the unmatched message was redelivered: count %d", count)
	}
	if messages, _ := queueState(t, conn, q); messages != 0 {
		t.Fatalf("%d messages wait in the queue", messages)
	}

	// delay: the reply comes no sooner than the delay.
	slow := n.queue(uniq("mkt-e2e-slow-"))
	h.mock(t, fmt.Sprintf(`{"id":%q,"rabbitmq":{"queue":%q},"response":{"delay":400,"payload":{"slow":true}}}`, uniq("slow-"), slow))
	waitConsumed(t, conn, slow, true)
	sent := time.Now()
	publish(t, ch, "", slow, amqp.Publishing{ReplyTo: replyTo, CorrelationId: "slow", Body: []byte(`{}`)})
	if r := receive(t, replies, "delayed reply"); r.CorrelationId != "slow" || time.Since(sent) < 400*time.Millisecond {
		t.Fatalf("delayed reply %q after %v", r.CorrelationId, time.Since(sent))
	}

	// error: the message is rejected (dead-lettered), no reply.
	errQ, dlq := deadLettered(t, ch, n, "err")
	h.mock(t, fmt.Sprintf(`{"id":%q,"rabbitmq":{"queue":%q},"response":{"error":"payment service down"}}`, uniq("err-"), errQ))
	waitConsumed(t, conn, errQ, true)
	dead := consume(t, ch, dlq)
	publish(t, ch, "", errQ, amqp.Publishing{ReplyTo: replyTo, CorrelationId: "err", Body: []byte(`{"pay":1}`)})
	if d := receive(t, dead, "dead-lettered message"); string(d.Body) != `{"pay":1}` {
		t.Fatalf("dead letter: %s", d.Body)
	}
	none(t, replies, 300*time.Millisecond, "a reply to a mock error")
}

// TestE2EReconnect: the broker closes the plugin's connection; the plugin
// reconnects and consumes again. A request in hand when the connection
// drops is redelivered and answered once; requests after it are answered
// once each.
func TestE2EReconnect(t *testing.T) {
	h := theHost(t)
	conn := needBroker(t)
	n := cleanup(t, conn)
	ch := channel(t, conn)
	replyTo, replies := replyQueue(t, ch)
	q, slow := n.queue(uniq("mkt-e2e-rc-")), n.queue(uniq("mkt-e2e-rc-slow-"))
	h.mock(t, fmt.Sprintf(`{"id":%q,"rabbitmq":{"queue":%q},"response":{"payload":{"n":"$.body.n"}}}`, uniq("rc-"), q))
	h.mock(t, fmt.Sprintf(`{"id":%q,"rabbitmq":{"queue":%q},"response":{"delay":1500,"payload":{"slow":"$.body.n"}}}`, uniq("rcs-"), slow))
	waitConsumed(t, conn, q, true)
	waitConsumed(t, conn, slow, true)
	publish(t, ch, "", q, amqp.Publishing{ReplyTo: replyTo, CorrelationId: "before", Body: []byte(`{"n":0}`)})
	if r := receive(t, replies, "reply before the drop"); r.CorrelationId != "before" {
		t.Fatalf("reply: %+v", r)
	}

	// A slow request is in hand when the connection is closed.
	publish(t, ch, "", slow, amqp.Publishing{ReplyTo: replyTo, CorrelationId: "in-hand", MessageId: "in-hand", Body: []byte(`{"n":1}`)})
	// In hand: the broker has delivered it (none ready), and the mock's
	// 1.5 s delay keeps it unanswered while the connection is closed.
	plugintest.Eventually(t, 20*time.Second, func() bool {
		messages, _ := queueState(t, conn, slow)
		return messages == 0
	}, "the slow request delivered to the plugin")
	if closed := closeConnections(t, h.connName); closed < 1 {
		t.Fatalf("no plugin connection named %s* to close", h.connName)
	}
	for i := range 5 {
		publish(t, ch, "", q, amqp.Publishing{ReplyTo: replyTo, CorrelationId: fmt.Sprintf("after-%d", i), Body: []byte(fmt.Sprintf(`{"n":%d}`, i))})
	}
	got := map[string]int{}
	for range 6 {
		r := receive(t, replies, "reply after the reconnect")
		got[r.CorrelationId]++
	}
	none(t, replies, time.Second, "a duplicate reply")
	for _, id := range []string{"in-hand", "after-0", "after-1", "after-2", "after-3", "after-4"} {
		if got[id] != 1 {
			t.Fatalf("replies by correlation id: %v", got)
		}
	}
	waitConsumed(t, conn, q, true)

	// And again: a new request still gets its reply.
	if closed := closeConnections(t, h.connName); closed < 1 {
		t.Fatal("the plugin did not reconnect")
	}
	publish(t, ch, "", q, amqp.Publishing{ReplyTo: replyTo, CorrelationId: "second", Body: []byte(`{"n":9}`)})
	if r := receive(t, replies, "reply after the second drop"); r.CorrelationId != "second" {
		t.Fatalf("reply: %+v", r)
	}
}

// TestE2EDeepMessageIsRejected: a message the host refuses (nested deeper
// than MAX_BODY_DEPTH) is rejected without requeueing: it goes to the
// queue's dead-letter exchange once, instead of coming back every second.
func TestE2EDeepMessageIsRejected(t *testing.T) {
	h := theHost(t)
	conn := needBroker(t)
	n := cleanup(t, conn)
	ch := channel(t, conn)
	replyTo, replies := replyQueue(t, ch)
	q, dlq := deadLettered(t, ch, n, "deep")
	h.mock(t, fmt.Sprintf(`{"id":%q,"rabbitmq":{"queue":%q},"response":{"payload":{"ok":true}}}`, uniq("deep-"), q))
	waitConsumed(t, conn, q, true)
	dead := consume(t, ch, dlq)
	deep := strings.Repeat("[", 5000) + strings.Repeat("]", 5000)
	publish(t, ch, "", q, amqp.Publishing{ReplyTo: replyTo, CorrelationId: "deep", Body: []byte(deep)})
	if d := receive(t, dead, "dead-lettered deep message"); string(d.Body) != deep {
		t.Fatalf("dead letter: %d bytes", len(d.Body))
	}
	none(t, replies, 300*time.Millisecond, "a reply to a refused message")
	// A normal message on the same queue is still answered.
	publish(t, ch, "", q, amqp.Publishing{ReplyTo: replyTo, CorrelationId: "flat", Body: []byte(`{"a":1}`)})
	if r := receive(t, replies, "reply after the refused one"); r.CorrelationId != "flat" {
		t.Fatalf("got %q", r.CorrelationId)
	}
	if messages, _ := queueState(t, conn, q); messages != 0 {
		t.Fatalf("%d messages wait in the queue: the refused one came back", messages)
	}
}

// deadLettered declares a queue whose rejected messages go, through a
// fanout dead-letter exchange, to a second queue; it returns both names.
func deadLettered(t *testing.T, ch *amqp.Channel, n *names, what string) (queue, dead string) {
	t.Helper()
	queue, dlx, dead := n.queue(uniq("mkt-e2e-"+what+"-")), n.exchange(uniq("mkt-e2e-"+what+"dlx-")), n.queue(uniq("mkt-e2e-"+what+"dlq-"))
	if err := ch.ExchangeDeclare(dlx, "fanout", false, true, false, false, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := ch.QueueDeclare(dead, false, false, false, false, nil); err != nil {
		t.Fatal(err)
	}
	if err := ch.QueueBind(dead, "", dlx, false, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := ch.QueueDeclare(queue, true, false, false, false, amqp.Table{"x-dead-letter-exchange": dlx}); err != nil {
		t.Fatal(err)
	}
	return queue, dead
}
