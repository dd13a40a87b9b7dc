package main

import (
	"crypto/sha256"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/mockarty-oss/mockarty/sdk/plugintest"
	"github.com/twmb/franz-go/pkg/kfake"
)

// Two Kafka clusters in the test's process (kfake, which speaks the Kafka
// protocol) are the plugin's external brokers: "default" with SASL
// SCRAM-SHA-256 and no automatic topic creation, and "payments" without
// authentication. The real host runs the real plugin binary.
func TestExternalBrokersUnderTheHost(t *testing.T) {
	main, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.EnableSASL(), kfake.Superuser("SCRAM-SHA-256", "mock", "s3cret"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(main.Close)
	payments, err := kfake.NewCluster(kfake.NumBrokers(1))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(payments.Close)
	mainAddr, payAddr := main.ListenAddrs()[0], payments.ListenAddrs()[0]

	h := startHost(t, `{"namespace": "sandbox", "servers": {
	  "default": {"brokers": ["`+mainAddr+`"], "sasl": {"mechanism": "SCRAM-SHA-256", "username": "mock", "password": "s3cret"}},
	  "payments": {"brokers": ["`+payAddr+`"]}}}`)
	if st := h.waitRunning(t, 0); len(st.Addresses) != 0 {
		t.Fatalf("with external brokers the plugin listens on nothing, got %v", st.Addresses)
	}

	h.createMock(t, `{"id": "billing", "namespace": "sandbox",
	  "kafka": {"topic": "in", "consumerGroup": "billing",
	    "conditions": [{"path": "$.ok", "assertAction": "equals", "value": true}],
	    "outputTopic": "out", "outputKey": "$.req.id", "outputHeaders": {"X-Trace": "$.reqHeader.x-trace[0]"}},
	  "response": {"payload": {"id": "$.req.id", "billed": true}}}`)
	h.createMock(t, `{"id": "pay", "namespace": "sandbox", "serverName": "payments",
	  "kafka": {"topic": "pay.in", "outputTopic": "pay.out", "outputKey": "$.req.id"},
	  "response": {"payload": {"id": "$.req.id", "paid": true}}}`)
	h.createMock(t, `{"id": "cross", "namespace": "sandbox",
	  "kafka": {"topic": "cross.in", "outputTopic": "cross.out", "outputBrokers": "`+payAddr+`", "outputKey": "$.req.id"},
	  "response": {"payload": {"id": "$.req.id", "crossed": true}}}`)

	sasl := func(c *sarama.Config) {
		c.Net.SASL.Enable = true
		c.Net.SASL.Mechanism = sarama.SASLTypeSCRAMSHA256
		c.Net.SASL.User, c.Net.SASL.Password = "mock", "s3cret"
		c.Net.SASL.SCRAMClientGeneratorFunc = func() sarama.SCRAMClient { return &scramClient{hash: sha256.New} }
		c.Metadata.AllowAutoTopicCreation = false
	}
	km := newKafkaClient(t, []string{mainAddr}, sasl)
	kp := newKafkaClient(t, []string{payAddr}, func(c *sarama.Config) { c.Metadata.AllowAutoTopicCreation = false })
	// The plugin creates the topics (the clusters do not auto-create):
	// listen waits for them.
	out, payOut, crossOut := km.listen("out"), kp.listen("pay.out"), kp.listen("cross.out")

	t.Run("round trip with SASL, key and header templates, the mock's consumer group", func(t *testing.T) {
		untilReply(t, km, "in", out, func(i int) (string, map[string]string) {
			return fmt.Sprintf(`{"id": "warm-%d", "ok": true}`, i), nil
		}, func(reply) bool { return true })
		p, off := km.produce("in", "", `{"id": "b-1", "ok": true}`, map[string]string{"X-Trace": "trace-1"})
		r := next(t, out, "b-1")
		if string(r.msg.Key) != "b-1" || r.header("X-Trace") != "trace-1" || r.json(t)["billed"] != true {
			t.Fatalf("reply key=%q headers=%v value=%s", r.msg.Key, r.msg.Headers, r.msg.Value)
		}
		plugintest.Eventually(t, 30*time.Second, func() bool {
			return committed(t, []string{mainAddr}, "billing", "in", p, sasl) > off
		}, "group billing commits its offsets")
	})

	t.Run("serverName picks the cluster", func(t *testing.T) {
		untilReply(t, kp, "pay.in", payOut, func(i int) (string, map[string]string) {
			return fmt.Sprintf(`{"id": "warm-%d"}`, i), nil
		}, func(reply) bool { return true })
		kp.produce("pay.in", "", `{"id": "p-1"}`, nil)
		if r := next(t, payOut, "p-1"); string(r.msg.Key) != "p-1" || r.json(t)["paid"] != true {
			t.Fatalf("reply key=%q value=%s", r.msg.Key, r.msg.Value)
		}
	})

	t.Run("outputBrokers sends the reply to another cluster", func(t *testing.T) {
		untilReply(t, km, "cross.in", crossOut, func(i int) (string, map[string]string) {
			return fmt.Sprintf(`{"id": "warm-%d"}`, i), nil
		}, func(reply) bool { return true })
		km.produce("cross.in", "", `{"id": "x-1"}`, nil)
		if r := next(t, crossOut, "x-1"); string(r.msg.Key) != "x-1" || r.json(t)["crossed"] != true {
			t.Fatalf("reply key=%q value=%s", r.msg.Key, r.msg.Value)
		}
		// Nothing was written to the consumed cluster's cross.out.
		if topics, err := km.client.Topics(); err == nil {
			for _, topic := range topics {
				if topic == "cross.out" {
					t.Fatal("cross.out was created on the consumed cluster")
				}
			}
		}
	})

	t.Run("an unmatched message is not redelivered after a restart", func(t *testing.T) {
		before := h.undefinedCount(t, "in")
		km.produce("in", "", `{"id": "b-lost", "ok": false}`, nil)
		plugintest.Eventually(t, 30*time.Second, func() bool { return h.undefinedCount(t, "in") == before+1 }, "the unmatched message is an undefined request")
		if _, body := h.undefined(t, "in"); !strings.Contains(body, "b-lost") {
			t.Fatalf("undefined body %s", body)
		}
		pid := h.waitRunning(t, 0).PID
		if st, b := h.do(t, http.MethodPost, "/api/v1/plugins/kafka/restart", ""); st != http.StatusOK && st != http.StatusAccepted {
			t.Fatalf("restart: %d %s", st, b)
		}
		h.waitRunning(t, pid)
		// The restarted plugin answers on the topic again; the group went on
		// from its committed offset, so the unmatched message did not come
		// back.
		untilReply(t, km, "in", out, func(i int) (string, map[string]string) {
			return fmt.Sprintf(`{"id": "again-%d", "ok": true}`, i), nil
		}, func(reply) bool { return true })
		if n := h.undefinedCount(t, "in"); n != before+1 {
			t.Fatalf("undefined count %d, want %d: the unmatched message was redelivered", n, before+1)
		}
	})
}
