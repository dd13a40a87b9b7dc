package main

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/mockarty-oss/mockarty/sdk/plugintest"
	amqp "github.com/rabbitmq/amqp091-go"
)

// brokerURL is the real RabbitMQ the tests use.
const brokerURL = "amqp://guest:guest@127.0.0.1:5672/"

// needBroker connects a test client to the real broker: outside CI a test
// without one is skipped, in CI it fails.
func needBroker(tb testing.TB) *amqp.Connection {
	tb.Helper()
	conn, err := amqp.Dial(brokerURL)
	if err != nil {
		msg := fmt.Sprintf("RabbitMQ is not reachable at %s (%v); start it with `rabbitmq-server -detached`", brokerURL, err)
		if os.Getenv("CI") == "true" {
			tb.Fatal(msg)
		}
		tb.Skip(msg)
	}
	tb.Cleanup(func() { _ = conn.Close() })
	return conn
}

// uniq is a name no other test run uses.
func uniq(prefix string) string {
	var b [5]byte
	_, _ = rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}

// names collects the queues and exchanges a test makes, and deletes them
// when it ends.
type names struct {
	conn      *amqp.Connection
	queues    []string
	exchanges []string
}

func cleanup(tb testing.TB, conn *amqp.Connection) *names {
	n := &names{conn: conn}
	tb.Cleanup(func() {
		c, err := amqp.Dial(brokerURL) // the test's own connection may be closed by now
		if err != nil {
			tb.Logf("cleanup: %v", err)
			return
		}
		defer c.Close()
		// Deferred: the names are deleted even when a wait below fails.
		defer n.delete(c)
		// The plugin stops consuming once the test's mocks are deleted
		// (their cleanups run first); a queue deleted before that could be
		// declared again by a consumer that resubscribes. A queue still
		// consumed long after its mocks are gone fails the test.
		for _, q := range n.queues {
			plugintest.Eventually(tb, 30*time.Second, func() bool {
				ch, err := c.Channel()
				if err != nil {
					return true
				}
				st, err := ch.QueueDeclarePassive(q, true, false, false, false, nil)
				_ = ch.Close()
				return err != nil || st.Consumers == 0
			}, "the plugin to stop consuming %s once the test's mocks are deleted", q)
		}
	})
	return n
}

// delete removes the queues and exchanges.
func (n *names) delete(c *amqp.Connection) {
	for _, q := range n.queues {
		if ch, err := c.Channel(); err == nil {
			_, _ = ch.QueueDelete(q, false, false, false)
			_ = ch.Close()
		}
	}
	for _, x := range n.exchanges {
		if ch, err := c.Channel(); err == nil {
			_ = ch.ExchangeDelete(x, false, false)
			_ = ch.Close()
		}
	}
}

func (n *names) queue(q string) string    { n.queues = append(n.queues, q); return q }
func (n *names) exchange(x string) string { n.exchanges = append(n.exchanges, x); return x }

// channel opens a channel of the test client.
func channel(tb testing.TB, conn *amqp.Connection) *amqp.Channel {
	tb.Helper()
	ch, err := conn.Channel()
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = ch.Close() })
	return ch
}

// queueState is a queue's ready messages and consumers (-1, -1 when the
// queue does not exist).
func queueState(tb testing.TB, conn *amqp.Connection, name string) (messages, consumers int) {
	tb.Helper()
	ch, err := conn.Channel()
	if err != nil {
		tb.Fatal(err)
	}
	defer ch.Close()
	q, err := ch.QueueDeclarePassive(name, true, false, false, false, nil)
	if err != nil {
		return -1, -1
	}
	return q.Messages, q.Consumers
}

// waitConsumed waits until the plugin consumes a queue (or stops to).
func waitConsumed(tb testing.TB, conn *amqp.Connection, name string, want bool) {
	tb.Helper()
	plugintest.Eventually(tb, 30*time.Second, func() bool {
		_, consumers := queueState(tb, conn, name)
		return (consumers > 0) == want
	}, "queue %s consumed=%v", name, want)
}

// replyQueue declares an exclusive queue the test reads replies from.
func replyQueue(tb testing.TB, ch *amqp.Channel) (string, <-chan amqp.Delivery) {
	tb.Helper()
	q, err := ch.QueueDeclare("", false, true, true, false, nil)
	if err != nil {
		tb.Fatal(err)
	}
	d, err := ch.Consume(q.Name, "", true, true, false, false, nil)
	if err != nil {
		tb.Fatal(err)
	}
	return q.Name, d
}

// consume reads a queue with auto-ack.
func consume(tb testing.TB, ch *amqp.Channel, queue string) <-chan amqp.Delivery {
	tb.Helper()
	d, err := ch.Consume(queue, "", true, false, false, false, nil)
	if err != nil {
		tb.Fatal(err)
	}
	return d
}

func publish(tb testing.TB, ch *amqp.Channel, exchange, key string, msg amqp.Publishing) {
	tb.Helper()
	if err := ch.Publish(exchange, key, false, false, msg); err != nil {
		tb.Fatal(err)
	}
}

// receive waits for one message.
func receive(tb testing.TB, d <-chan amqp.Delivery, what string) amqp.Delivery {
	tb.Helper()
	select {
	case m, ok := <-d:
		if !ok {
			tb.Fatalf("%s: the consumer closed", what)
		}
		return m
	case <-time.After(20 * time.Second):
		tb.Fatalf("%s: no message", what)
	}
	return amqp.Delivery{}
}

// none checks that no message arrives for a while.
func none(tb testing.TB, d <-chan amqp.Delivery, wait time.Duration, what string) {
	tb.Helper()
	select {
	case m := <-d:
		tb.Fatalf("%s: unexpected message %s (correlation %q)", what, m.Body, m.CorrelationId)
	case <-time.After(wait):
	}
}

func jsonOf(tb testing.TB, b []byte) map[string]any {
	tb.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		tb.Fatalf("not a JSON object: %s", b)
	}
	return m
}

// closeConnections force-closes the broker connections whose
// connection_name starts with prefix (rabbitmqctl close_connection), and
// returns how many it closed.
func closeConnections(tb testing.TB, prefix string) int {
	tb.Helper()
	out, err := exec.Command("rabbitmqctl", "-q", "--no-table-headers", "list_connections", "pid", "client_properties").Output()
	if err != nil {
		tb.Fatalf("rabbitmqctl list_connections: %v", err)
	}
	closed := 0
	for _, line := range strings.Split(string(out), "\n") {
		pid, props, ok := strings.Cut(line, "\t")
		if !ok || !strings.Contains(props, `{"connection_name","`+prefix) {
			continue
		}
		if out, err := exec.Command("rabbitmqctl", "-q", "close_connection", pid, "test").CombinedOutput(); err != nil {
			tb.Fatalf("rabbitmqctl close_connection %s: %v\n%s", pid, err, out)
		}
		closed++
	}
	return closed
}
