package main

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/mockarty-oss/mockarty/sdk/plugintest"
)

// The real host runs the real plugin binary, which serves its own
// embedded broker; sarama produces the requests and reads the replies.
func TestEmbeddedBrokerUnderTheHost(t *testing.T) {
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	h := startHost(t, `{"namespace": "sandbox", "embedded": {"address": "`+addr+`"}}`)
	if st := h.waitRunning(t, 0); len(st.Addresses) != 1 || st.Addresses[0] != addr {
		t.Fatalf("plugin addresses %v, want [%s]", st.Addresses, addr)
	}

	// Two mocks on one topic, told apart by a condition on the value; the
	// first also needs a header.
	h.createMock(t, `{"id": "order-approved", "namespace": "sandbox",
	  "kafka": {"topic": "orders",
	    "conditions": [{"path": "$.status", "assertAction": "equals", "value": "new"}],
	    "headers": [{"path": "X-Kind", "assertAction": "equals", "value": "order"}],
	    "outputTopic": "orders.approved", "outputKey": "$.req.orderId",
	    "outputHeaders": {"X-Order": "$.req.orderId", "X-Source": "mockarty"}},
	  "response": {"payload": {"orderId": "$.req.orderId", "approved": true, "amount": "$.req.amount"},
	    "headers": {"X-Resp": ["r1"]}}}`)
	h.createMock(t, `{"id": "order-rejected", "namespace": "sandbox",
	  "kafka": {"topic": "orders",
	    "conditions": [{"path": "$.status", "assertAction": "equals", "value": "fraud"}],
	    "outputTopic": "orders.rejected", "outputKey": "rej-$.req.orderId"},
	  "response": {"payload": {"orderId": "$.req.orderId", "approved": false}}}`)
	// A delayed reply, and an error that produces nothing.
	h.createMock(t, `{"id": "slow", "namespace": "sandbox",
	  "kafka": {"topic": "slow", "outputTopic": "slow.out", "outputKey": "$.req.n"},
	  "response": {"payload": {"n": "$.req.n"}, "delay": 400}}`)
	h.createMock(t, `{"id": "fail", "namespace": "sandbox", "priority": 10,
	  "kafka": {"topic": "pay", "conditions": [{"path": "$.fail", "assertAction": "equals", "value": true}],
	    "outputTopic": "pay.out"},
	  "response": {"error": "payment gateway down"}}`)
	h.createMock(t, `{"id": "pay", "namespace": "sandbox",
	  "kafka": {"topic": "pay", "outputTopic": "pay.out"},
	  "response": {"payload": "paid $.req.n"}}`)

	k := newKafkaClient(t, []string{addr}, nil)
	approved, rejected := k.listen("orders.approved"), k.listen("orders.rejected")
	slowOut, payOut := k.listen("slow.out"), k.listen("pay.out")

	untilReply(t, k, "orders", approved, func(i int) (string, map[string]string) {
		return fmt.Sprintf(`{"orderId": "warm-%d", "status": "new"}`, i), map[string]string{"X-Kind": "order"}
	}, func(reply) bool { return true })

	t.Run("conditions on value and headers, key and header templates", func(t *testing.T) {
		k.produce("orders", "", `{"orderId": "o-1", "status": "new", "amount": 42.5}`, map[string]string{"X-Kind": "order"})
		r := next(t, approved, "approved order")
		if string(r.msg.Key) != "o-1" {
			t.Fatalf("key %q, want o-1", r.msg.Key)
		}
		v := r.json(t)
		if v["orderId"] != "o-1" || v["approved"] != true || v["amount"] != 42.5 {
			t.Fatalf("reply %s", r.msg.Value)
		}
		if r.header("X-Order") != "o-1" || r.header("X-Source") != "mockarty" || r.header("X-Resp") != "r1" {
			t.Fatalf("reply headers %v", r.msg.Headers)
		}

		k.produce("orders", "", `{"orderId": "o-2", "status": "fraud"}`, nil)
		r = next(t, rejected, "rejected order")
		if string(r.msg.Key) != "rej-o-2" || r.json(t)["approved"] != false || r.json(t)["orderId"] != "o-2" {
			t.Fatalf("rejected reply key=%q value=%s", r.msg.Key, r.msg.Value)
		}
		// The same value without the header matches neither mock; the next
		// approved order is the next approved reply.
		k.produce("orders", "", `{"orderId": "o-3", "status": "new"}`, nil)
		k.produce("orders", "", `{"orderId": "o-4", "status": "new"}`, map[string]string{"x-kind": "order"})
		if r = next(t, approved, "o-4"); string(r.msg.Key) != "o-4" {
			t.Fatalf("after a message without the header, got key %q, want o-4", r.msg.Key)
		}
		none(t, rejected, "o-3 matches no mock")
	})

	t.Run("delay", func(t *testing.T) {
		untilReply(t, k, "slow", slowOut, func(i int) (string, map[string]string) {
			return fmt.Sprintf(`{"n": "warm-%d"}`, i), nil
		}, func(reply) bool { return true })
		// The plugin may read the message before its producer has the
		// acknowledgement: the clock starts before the produce call.
		sent := time.Now()
		k.produce("slow", "", `{"n": "timed"}`, nil)
		var r reply
		for r = next(t, slowOut, "delayed reply"); string(r.msg.Key) != "timed"; r = next(t, slowOut, "delayed reply") {
		}
		if gap := r.at.Sub(sent); gap < 400*time.Millisecond {
			t.Fatalf("the reply came %v after the request, before the 400 ms delay", gap)
		}
		if !r.msg.Timestamp.IsZero() && r.msg.Timestamp.Before(sent.Add(-time.Second)) {
			t.Fatalf("reply timestamp %v before the request %v", r.msg.Timestamp, sent)
		}
	})

	t.Run("error produces nothing", func(t *testing.T) {
		untilReply(t, k, "pay", payOut, func(i int) (string, map[string]string) {
			return fmt.Sprintf(`{"n": "warm-%d"}`, i), nil
		}, func(reply) bool { return true })
		// One partition: the messages are handled in order, so once the
		// second one's reply is there, the first has been handled.
		k.produce("pay", "", `{"n": "bad", "fail": true}`, nil)
		k.produce("pay", "", `{"n": "good"}`, nil)
		r := next(t, payOut, "the reply after the error")
		if string(r.msg.Value) != "paid good" {
			t.Fatalf("first reply after the error mock: %q, want the text reply \"paid good\"", r.msg.Value)
		}
		if r.msg.Key != nil {
			t.Fatalf("a mock without outputKey sent key %q", r.msg.Key)
		}
	})

	t.Run("unmatched is recorded once and committed", func(t *testing.T) {
		// Undefined requests are counted per topic; o-3 above was one.
		before := h.undefinedCount(t, "orders")
		p, off := k.produce("orders", "", `{"orderId": "o-9", "status": "lost"}`, nil)
		plugintest.Eventually(t, 30*time.Second, func() bool { return h.undefinedCount(t, "orders") == before+1 }, "the unmatched message is an undefined request")
		if _, body := h.undefined(t, "orders"); !strings.Contains(body, "o-9") {
			t.Fatalf("the undefined request's body %s is not the message", body)
		}
		plugintest.Eventually(t, 30*time.Second, func() bool {
			return committed(t, []string{addr}, "mockarty-sandbox", "orders", p) > off
		}, "the group commits past the unmatched message")
		// Another round trip on the topic: the message did not come back.
		k.produce("orders", "", `{"orderId": "o-10", "status": "new"}`, map[string]string{"X-Kind": "order"})
		if r := next(t, approved, "o-10"); string(r.msg.Key) != "o-10" {
			t.Fatalf("key %q", r.msg.Key)
		}
		if n := h.undefinedCount(t, "orders"); n != before+1 {
			t.Fatalf("undefined count went from %d to %d: the message was redelivered", before+1, n)
		}
	})

	t.Run("a mock added after start is consumed, and a removed one is not", func(t *testing.T) {
		h.createMock(t, `{"id": "late", "namespace": "sandbox",
		  "kafka": {"topic": "late", "outputTopic": "late.out", "outputKey": "$.req.n"},
		  "response": {"payload": {"late": true, "n": "$.req.n"}}}`)
		lateOut := k.listen("late.out")
		untilReply(t, k, "late", lateOut, func(i int) (string, map[string]string) {
			return fmt.Sprintf(`{"n": "late-%d"}`, i), nil
		}, func(r reply) bool { return r.json(t)["late"] == true })

		if st, b := h.do(t, http.MethodDelete, "/api/v1/mocks/late", ""); st != http.StatusOK && st != http.StatusNoContent {
			t.Fatalf("delete: %d %s", st, b)
		}
		admin, err := sarama.NewClusterAdmin([]string{addr}, k.cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer admin.Close()
		plugintest.Eventually(t, 30*time.Second, func() bool {
			groups, err := admin.DescribeConsumerGroups([]string{"mockarty-sandbox"})
			if err != nil || len(groups) != 1 || len(groups[0].Members) == 0 {
				return false
			}
			for _, m := range groups[0].Members {
				meta, err := m.GetMemberMetadata()
				if err != nil {
					return false
				}
				for _, topic := range meta.Topics {
					if topic == "late" {
						return false
					}
				}
			}
			return true
		}, "the group no longer consumes late")
		// The group still answers its other topics.
		k.produce("orders", "", `{"orderId": "o-11", "status": "new"}`, map[string]string{"X-Kind": "order"})
		if r := next(t, approved, "o-11"); string(r.msg.Key) != "o-11" {
			t.Fatalf("key %q", r.msg.Key)
		}
	})

	t.Run("non-JSON values are matched as text", func(t *testing.T) {
		h.createMock(t, `{"id": "text", "namespace": "sandbox",
		  "kafka": {"topic": "text", "conditions": [{"path": "$", "assertAction": "contains", "value": "ping"}],
		    "outputTopic": "text.out"},
		  "response": {"payload": "pong"}}`)
		textOut := k.listen("text.out")
		untilReply(t, k, "text", textOut, func(i int) (string, map[string]string) {
			return fmt.Sprintf("ping %d", i), nil
		}, func(r reply) bool { return strings.HasPrefix(string(r.msg.Value), "pong") })
		k.produce("text", "", "plain ping, not JSON", nil)
		if r := next(t, textOut, "text reply"); string(r.msg.Value) != "pong" {
			t.Fatalf("text reply %q", r.msg.Value)
		}
	})
}
