package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"github.com/twmb/franz-go/pkg/kfake"
)

// TestServerNameRuleClusters: with two external clusters, a mock naming a
// server no cluster has is accepted with a warning and consumed on the
// default cluster ("default"), and a mock without a serverName on every
// cluster; replies are read with sarama.
func TestServerNameRuleClusters(t *testing.T) {
	var addrs []string
	for range 2 {
		c, err := kfake.NewCluster(kfake.NumBrokers(1))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(c.Close)
		addrs = append(addrs, c.ListenAddrs()[0])
	}
	h := startHost(t, fmt.Sprintf(`{"namespace": "sandbox", "servers": {"default": {"brokers": [%q]}, "payments": {"brokers": [%q]}}}`,
		addrs[0], addrs[1]))

	st, b := h.do(t, http.MethodPost, "/api/v1/mocks", `{"id": "sn-orders", "serverName": "kafka-main",
	  "kafka": {"topic": "sn.in", "outputTopic": "sn.out"}, "response": {"payload": {"via": "default"}}}`)
	var created struct {
		Warnings []struct {
			ServerName, ServedBy string
			Servers              []string
		}
	}
	if err := json.Unmarshal(b, &created); st != http.StatusCreated || err != nil || len(created.Warnings) != 1 ||
		created.Warnings[0].ServedBy != "default" || fmt.Sprint(created.Warnings[0].Servers) != "[default payments]" {
		t.Fatalf("create: %d %s", st, b)
	}
	h.createMock(t, `{"id": "sn-any", "kafka": {"topic": "any.in", "outputTopic": "any.out"}, "response": {"payload": {"any": true}}}`)

	main := newKafkaClient(t, addrs[:1], nil)
	pay := newKafkaClient(t, addrs[1:], nil)
	probe := func(i int) (string, map[string]string) { return fmt.Sprintf(`{"n": %d}`, i), nil }
	untilReply(t, main, "sn.in", main.listen("sn.out"), probe, func(r reply) bool { return r.json(t)["via"] == "default" })
	for _, k := range []*kafkaClient{main, pay} {
		untilReply(t, k, "any.in", k.listen("any.out"), probe, func(r reply) bool { return r.json(t)["any"] == true })
	}
	// The payments cluster never got the default cluster's topic.
	topics, err := pay.client.Topics()
	if err != nil {
		t.Fatal(err)
	}
	for _, topic := range topics {
		if topic == "sn.in" || topic == "sn.out" {
			t.Fatalf("the mock of an unknown server was consumed on payments too: %v", topics)
		}
	}
}
