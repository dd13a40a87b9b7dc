package resolve

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/hashicorp/go-hclog"
	"github.com/mockarty-oss/mockarty/host/internal/model"
	"github.com/mockarty-oss/mockarty/host/internal/store"
	"github.com/mockarty-oss/mockarty/sdk/plugintest"
	amqp "github.com/rabbitmq/amqp091-go"
	"github.com/twmb/franz-go/pkg/kfake"
)

const testBrokerURL = "amqp://guest:guest@127.0.0.1:5672/"

// webhookResolver is a resolver whose webhooks may reach private
// addresses (allowPrivate) and whose log the test reads.
func webhookResolver(t *testing.T, allowPrivate bool) (*Resolver, *plugintest.SyncBuffer) {
	t.Helper()
	st, err := store.Open(context.Background(), store.Options{Driver: "sqlite", DSN: filepath.Join(t.TempDir(), "db.sqlite")})
	if err != nil {
		t.Fatal(err)
	}
	logs := &plugintest.SyncBuffer{}
	r, err := New(context.Background(), Options{Store: st, LogLimit: 3, AllowPrivate: allowPrivate,
		Logger: hclog.New(&hclog.LoggerOptions{Output: logs, Level: hclog.Warn})})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close(); st.Close() })
	return r, logs
}

// hookMock is an HTTP mock POST /hook with the given webhooks.
func hookMock(t *testing.T, webhooks string) *model.Mock {
	t.Helper()
	var m model.Mock
	doc := `{"id":"hooked","namespace":"sandbox","http":{"route":"/hook","httpMethod":"POST"},
"response":{"statusCode":201,"payload":{"status":"accepted","order":"$.body.id"}},"webhooks":` + webhooks + `}`
	if err := json.Unmarshal([]byte(doc), &m); err != nil {
		t.Fatalf("mock: %v", err)
	}
	if err := m.Validate(); err != nil {
		t.Fatalf("mock: %v", err)
	}
	return &m
}

func callHook(t *testing.T, r *Resolver, id string) {
	t.Helper()
	res := r.ResolveHTTP(&HTTPRequest{Namespace: "sandbox", Method: "POST", Path: "/hook", Body: []byte(`{"id":"` + id + `"}`),
		Header: map[string][]string{"content-type": {"application/json"}}, Query: map[string][]string{}})
	if !res.Matched || res.Rendered.Status != 201 {
		t.Fatalf("resolve: %+v", res)
	}
	r.Release(res)
}

func uniqName(prefix string) string {
	var b [5]byte
	_, _ = rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}

// getMessage waits for a message on a queue.
func getMessage(t *testing.T, ch *amqp.Channel, queue string) amqp.Delivery {
	t.Helper()
	var m amqp.Delivery
	plugintest.Eventually(t, 20*time.Second, func() bool {
		var ok bool
		var err error
		m, ok, err = ch.Get(queue, true)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}, "a message on %s", queue)
	return m
}

func TestRabbitMQWebhook(t *testing.T) {
	conn, err := amqp.Dial(testBrokerURL)
	if err != nil {
		msg := fmt.Sprintf("RabbitMQ is not reachable at %s (%v); start it with `rabbitmq-server -detached`", testBrokerURL, err)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	t.Cleanup(func() { _ = conn.Close() }) // after the deletions below (cleanups run last first)
	ch, err := conn.Channel()
	if err != nil {
		t.Fatal(err)
	}
	queue, bound, exchange := uniqName("mkt-hook-q-"), uniqName("mkt-hook-b-"), uniqName("mkt-hook-x-")
	for _, q := range []string{queue, bound} {
		if _, err := ch.QueueDeclare(q, false, true, false, false, nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := ch.ExchangeDeclare(exchange, "topic", false, true, false, false, nil); err != nil {
		t.Fatal(err)
	}
	if err := ch.QueueBind(bound, "orders.*", exchange, false, nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c, err := conn.Channel()
		if err != nil {
			return
		}
		defer c.Close()
		_, _ = c.QueueDelete(queue, false, false, false)
		_, _ = c.QueueDelete(bound, false, false, false)
		_ = c.ExchangeDelete(exchange, false, false)
	})

	r, logs := webhookResolver(t, true)
	m := hookMock(t, fmt.Sprintf(`[
{"type":"rabbitmq","rabbitURL":%q,"rabbitQueue":%q,"body":{"order":"$.body.id","status":"$.response.status"},
 "headers":{"X-Order":"$.body.id"},"secret":"s3cret"},
{"type":"rabbitmq","rabbitURL":%q,"rabbitExchange":%q,"rabbitRoutingKey":"orders.created","async":true,"body":"order $.body.id done"},
{"type":"rabbitmq","rabbitURL":%q,"rabbitExchange":%q,"rabbitRoutingKey":"nowhere","rabbitMandatory":true,"retryCount":1,"body":{}}]`,
		testBrokerURL, queue, testBrokerURL, exchange, testBrokerURL, exchange))
	if err := r.Index.Load([]*model.Mock{m}); err != nil {
		t.Fatal(err)
	}
	callHook(t, r, "o-1")

	// The synchronous webhook was published (and confirmed) before the reply.
	msg, ok, err := ch.Get(queue, true)
	if err != nil || !ok {
		t.Fatalf("the synchronous webhook is in the queue when the call returns: %v %v", ok, err)
	}
	if string(msg.Body) != `{"order":"o-1","status":"accepted"}` || msg.ContentType != "application/json" || msg.Headers["X-Order"] != "o-1" ||
		msg.Headers[SignatureHeader] != webhookSignature("s3cret", msg.Body) || msg.DeliveryMode != amqp.Persistent {
		t.Fatalf("webhook message: %s %+v", msg.Body, msg)
	}
	// The async one arrives through the exchange.
	if m := getMessage(t, ch, bound); m.RoutingKey != "orders.created" || string(m.Body) != "order o-1 done" || m.ContentType != "text/plain; charset=utf-8" {
		t.Fatalf("async webhook: %s %+v", m.Body, m)
	}
	// A mandatory message that no queue takes is a failure, retried, then logged.
	if out := logs.String(); !strings.Contains(out, "webhook failed") || !strings.Contains(out, "unroutable message") || !strings.Contains(out, "attempts=2") {
		t.Fatalf("log: %s", out)
	}

	// The connection is reused by the next call.
	callHook(t, r, "o-2")
	if m := getMessage(t, ch, queue); !strings.Contains(string(m.Body), "o-2") {
		t.Fatalf("second webhook: %s", m.Body)
	}
	amqpConns.mu.Lock()
	conns := 0
	for k := range amqpConns.entries {
		if strings.HasPrefix(k, fmt.Sprintf("%p\x00", r)) {
			conns++
		}
	}
	amqpConns.mu.Unlock()
	if conns != 1 {
		t.Fatalf("webhook connections kept for the broker: %d", conns)
	}

	// Without ALLOW_PROXY_TO_PRIVATE_IPS a loopback broker is refused.
	strict, strictLogs := webhookResolver(t, false)
	if err := strict.Index.Load([]*model.Mock{hookMock(t, fmt.Sprintf(`[{"type":"rabbitmq","rabbitURL":%q,"rabbitQueue":%q,"body":{}}]`, testBrokerURL, queue))}); err != nil {
		t.Fatal(err)
	}
	callHook(t, strict, "o-3")
	if _, ok, _ := ch.Get(queue, true); ok || !strings.Contains(strictLogs.String(), "webhook failed") {
		t.Fatalf("a private broker was reached: %v\n%s", ok, strictLogs.String())
	}
}

func TestKafkaWebhook(t *testing.T) {
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, "hooks"))
	if err != nil {
		t.Fatal(err)
	}
	defer cluster.Close()
	brokers := cluster.ListenAddrs()

	r, logs := webhookResolver(t, true)
	m := hookMock(t, fmt.Sprintf(`[
{"type":"kafka","kafkaBrokers":%q,"kafkaTopic":"hooks","kafkaKey":"order-$.body.id","body":{"order":"$.body.id","status":"$.response.status"},
 "headers":{"X-Order":"$.body.id"},"secret":"k3y"},
{"type":"kafka","kafkaBrokers":%q,"kafkaTopic":"hooks","async":true,"body":"async $.body.id"}]`,
		strings.Join(brokers, ", "), brokers[0]))
	if err := r.Index.Load([]*model.Mock{m}); err != nil {
		t.Fatal(err)
	}
	callHook(t, r, "k-1")

	cfg := sarama.NewConfig()
	cfg.Version = sarama.V2_8_0_0
	consumer, err := sarama.NewConsumer(brokers, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer consumer.Close()
	pc, err := consumer.ConsumePartition("hooks", 0, sarama.OffsetOldest)
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	got := map[string]*sarama.ConsumerMessage{}
	for len(got) < 2 {
		select {
		case msg := <-pc.Messages():
			got[string(msg.Value)] = msg
		case err := <-pc.Errors():
			t.Fatal(err)
		case <-time.After(10 * time.Second):
			t.Fatalf("messages: %v; log: %s", got, logs.String())
		}
	}
	sync := got[`{"order":"k-1","status":"accepted"}`]
	if sync == nil || string(sync.Key) != "order-k-1" {
		t.Fatalf("webhook messages: %v", got)
	}
	headers := map[string]string{}
	for _, h := range sync.Headers {
		headers[string(h.Key)] = string(h.Value)
	}
	if headers["X-Order"] != "k-1" || headers["Content-Type"] != "application/json" || headers[SignatureHeader] != webhookSignature("k3y", sync.Value) {
		t.Fatalf("headers: %v", headers)
	}
	if async := got["async k-1"]; async == nil || async.Key != nil {
		t.Fatalf("async webhook: %v", got)
	}

	// A broker that is not there: the webhook fails after its retries.
	cluster.Close()
	bad := hookMock(t, `[{"type":"kafka","kafkaBrokers":"127.0.0.1:1","kafkaTopic":"hooks","timeout":500,"retryCount":1,"body":{}}]`)
	if err := r.Index.Load([]*model.Mock{bad}); err != nil {
		t.Fatal(err)
	}
	callHook(t, r, "k-2")
	if !strings.Contains(logs.String(), "webhook failed") || !strings.Contains(logs.String(), "attempts=2") {
		t.Fatalf("log: %s", logs.String())
	}
}
