package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/mockarty-oss/mockarty/sdk"
	"github.com/mockarty-oss/mockarty/sdk/find"
	"github.com/mockarty-oss/mockarty/sdk/plugintest"
	"github.com/twmb/franz-go/pkg/kfake"
)

// The plugin in-process over the real gRPC contract, with a fake host:
// what the find requests carry, and how answers become replies.
func TestFindRequestsAndReplies(t *testing.T) {
	var mu sync.Mutex
	var reqs []find.KafkaRequest
	host := &plugintest.FakeHost{FindKafkaFunc: func(_ context.Context, r *find.KafkaRequest) (*find.KafkaResponse, error) {
		mu.Lock()
		reqs = append(reqs, *r)
		mu.Unlock()
		switch {
		case strings.Contains(string(r.Data), "miss"):
			return nil, &sdk.NoMatch{Message: "no kafka mock matches q", Code: "no_match"}
		case strings.Contains(string(r.Data), "boom"):
			return &find.KafkaResponse{Error: &find.MessagingError{Message: "boom"}}, nil
		}
		// What the host renders from the mock's outputKey "k-$.req.id-$.reqHeader.x-id[0]-$.namespace".
		var doc map[string]any
		_ = json.Unmarshal(r.Data, &doc)
		id := ""
		if v, ok := doc["id"]; ok {
			id = fmt.Sprint(v)
		}
		return &find.KafkaResponse{MockID: "q", Data: json.RawMessage(`{"echo":` + string(r.Data) + `}`),
			OutputTopic: "q.out", OutputKey: "k-" + id + "-" + r.Headers["X-Id"] + "-" + r.Namespace,
			OutputHeaders: map[string]string{"X-Out": "o"}, OutputMessageHeaders: map[string]string{"X-Out": "overridden", "X-Msg": "m"}}, nil
	}}
	host.SetMocks("kafka", json.RawMessage(`{"id": "q", "namespace": "team", "kafka": {"topic": "q", "consumerGroup": "g1",
	  "outputTopic": "q.out", "outputKey": "k-$.req.id-$.reqHeader.x-id[0]-$.namespace", "outputHeaders": {"X-Out": "$.req.id"}}}`))
	p := plugintest.Start(t, &Listener{}, json.RawMessage(`{"namespace": "team", "embedded": {"address": "127.0.0.1:0", "partitions": 2}}`), host)
	if len(p.Addresses) != 1 {
		t.Fatalf("addresses %v", p.Addresses)
	}
	k := newKafkaClient(t, p.Addresses, nil)
	out := k.listen("q.out")
	untilReply(t, k, "q", out, func(int) (string, map[string]string) { return `{"id": "warm"}`, nil }, func(reply) bool { return true })

	k.produce("q", "", "not json", map[string]string{"X-Id": "7"})
	r := next(t, out, "text message")
	if string(r.msg.Value) != `{"echo":"not json"}` {
		t.Fatalf("reply value %s", r.msg.Value)
	}
	if string(r.msg.Key) != "k--7-team" {
		t.Fatalf("key %q", r.msg.Key)
	}
	if r.header("X-Out") != "o" || r.header("X-Msg") != "m" {
		t.Fatalf("headers %v: outputHeaders win over the response's headers", r.msg.Headers)
	}
	mu.Lock()
	last := reqs[len(reqs)-1]
	mu.Unlock()
	if last.Namespace != "team" || last.Topic != "q" || last.ConsumerGroup != "g1" || last.ServerName != "" ||
		last.Headers["X-Id"] != "7" || string(last.Data) != `"not json"` {
		t.Fatalf("find request %+v data=%s", last, last.Data)
	}

	// A miss and an error produce nothing; the next message is answered.
	k.produce("q", "", `{"id": "miss"}`, nil)
	k.produce("q", "", `{"id": "boom"}`, nil)
	k.produce("q", "", `{"id": 5}`, map[string]string{"X-Id": "a"})
	deadline := time.After(30 * time.Second)
	for {
		select {
		case r := <-out:
			if strings.Contains(string(r.msg.Value), "miss") || strings.Contains(string(r.msg.Value), "boom") {
				t.Fatalf("a reply to a miss or an error: %s", r.msg.Value)
			}
			if string(r.msg.Key) != "k-5-a-team" {
				t.Fatalf("key %q", r.msg.Key)
			}
			return
		case <-deadline:
			t.Fatal("no reply to the message after the miss and the error")
		}
	}
}

func TestMocksWithoutOutputTopicAreConsumedButNotAnswered(t *testing.T) {
	calls := make(chan struct{}, 100)
	host := &plugintest.FakeHost{FindKafkaFunc: func(context.Context, *find.KafkaRequest) (*find.KafkaResponse, error) {
		calls <- struct{}{}
		return &find.KafkaResponse{Data: json.RawMessage(`{"x":1}`)}, nil
	}}
	host.SetMocks("kafka", json.RawMessage(`{"id": "sink", "kafka": {"topic": "sink"}}`))
	p := plugintest.Start(t, &Listener{}, json.RawMessage(`{"embedded": {"address": "127.0.0.1:0"}}`), host)
	k := newKafkaClient(t, p.Addresses, nil)
	deadline := time.Now().Add(60 * time.Second)
	for len(calls) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the sink topic was never consumed")
		}
		k.produce("sink", "", `{"n": 1}`, nil)
		// Paces the re-sending while the group joins, not a wait on a
		// condition: every round adds a message the joined group will
		// consume, and each consumed one takes a slot of the calls buffer
		// the fake host's FindKafkaFunc blocks on, so the pace must stay slow.
		time.Sleep(300 * time.Millisecond)
	}
	topics, err := k.client.Topics()
	if err != nil {
		t.Fatal(err)
	}
	for _, topic := range topics {
		if topic != "sink" {
			t.Fatalf("unexpected topic %q (no mock has an output topic)", topic)
		}
	}
}

func TestBadSettingsAreRefused(t *testing.T) {
	cases := map[string]string{
		`{"embedded": {"address": "nope"}}`:                                                                "embedded.address",
		`{"servers": {"default": {"brokers": []}}}`:                                                        "brokers must not be empty",
		`{"servers": {"default": {"brokers": ["no-port"]}}}`:                                               "not host:port",
		`{"servers": {"default": {"brokers": ["h:1"], "version": "x.y"}}}`:                                 "version",
		`{"servers": {"default": {"brokers": ["h:1"], "sasl": {"mechanism": "GSSAPI", "username": "u"}}}}`: "mechanism",
		`{"servers": {"default": {"brokers": ["h:1"], "sasl": {"password": "p"}}}}`:                        "username",
		`{"servers": {"default": {"brokers": ["h:1"], "tls": {"caFile": "/does/not/exist"}}}}`:             "caFile",
		`{"servers": {"default": {"brokers": ["h:1"], "tls": {"certFile": "c.pem"}}}}`:                     "go together",
		`{"namespace": 5}`: "settings",
	}
	for in, want := range cases {
		err := (&Listener{}).Configure(context.Background(), json.RawMessage(in))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want one about %q", in, err, want)
		}
	}
	l := &Listener{}
	if err := l.Configure(context.Background(), json.RawMessage(`{}`)); err != nil {
		t.Fatal(err)
	}
	if l.settings.Namespace != "sandbox" || l.settings.Embedded.Address != defaultEmbeddedAddress || l.settings.Embedded.Partitions != 1 {
		t.Fatalf("defaults %+v", l.settings)
	}
	if err := l.Health(context.Background()); err == nil {
		t.Fatal("healthy before Start")
	}
}

func TestServerFor(t *testing.T) {
	s, err := parseSettings(json.RawMessage(`{"servers": {"main": {"brokers": ["a:1"]}, "payments": {"brokers": ["b:1"]}}}`))
	if err != nil {
		t.Fatal(err)
	}
	// The serverName rule: the named server, every server for a mock
	// without one, the default (no "default": the first by name) for a
	// name no server has.
	set := s.serverSet()
	for mock, want := range map[string]string{"payments": "[payments]", "": "[main payments]", "nope": "[main]"} {
		if got := fmt.Sprint(set.ServersFor("sandbox", mock)); got != want {
			t.Errorf("serverName %q is consumed on %s, want %s", mock, got, want)
		}
	}
	embedded, _ := parseSettings(json.RawMessage(`{}`))
	if got := embedded.serverSet().ServersFor("sandbox", "anything"); len(got) != 1 || got[0] != "" {
		t.Fatalf("the embedded broker's unnamed server serves every mock: %q", got)
	}
	for _, mech := range []string{"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"} {
		s, err := parseSettings(json.RawMessage(`{"servers": {"default": {"brokers": ["a:1"], "sasl": {"mechanism": "` + mech + `", "username": "u", "password": "p"}, "tls": {"insecureSkipVerify": true}}}}`))
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := saramaConfig(s.Servers["default"])
		if err != nil || !cfg.Net.SASL.Enable || string(cfg.Net.SASL.Mechanism) != mech || !cfg.Net.TLS.Enable {
			t.Fatalf("%s: %v %+v", mech, err, cfg.Net.SASL)
		}
	}
}

// With createTopics off, a topic that does not exist is left out until it
// appears; the group's other topics are consumed meanwhile. A cluster that
// cannot be reached does not stop the plugin.
func TestMissingTopicsAndUnreachableBrokers(t *testing.T) {
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, "here", "here.out"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	host := &plugintest.FakeHost{FindKafkaFunc: func(_ context.Context, r *find.KafkaRequest) (*find.KafkaResponse, error) {
		return &find.KafkaResponse{Data: json.RawMessage(`{"from":"` + r.Topic + `"}`), OutputTopic: "here.out"}, nil
	}}
	host.SetMocks("kafka",
		json.RawMessage(`{"id": "a", "kafka": {"topic": "here", "outputTopic": "here.out"}}`),
		json.RawMessage(`{"id": "b", "kafka": {"topic": "later", "outputTopic": "here.out"}}`),
		json.RawMessage(`{"id": "c", "serverName": "down", "kafka": {"topic": "x", "outputTopic": "y"}}`))
	down := freePort(t)
	settings := fmt.Sprintf(`{"servers": {"default": {"brokers": [%q], "createTopics": false},
	  "down": {"brokers": ["127.0.0.1:%d"]}}}`, c.ListenAddrs()[0], down)
	p := plugintest.Start(t, &Listener{}, json.RawMessage(settings), host)
	if err := p.Client.Health(context.Background()); err != nil {
		t.Fatalf("health with a cluster down: %v", err)
	}
	k := newKafkaClient(t, c.ListenAddrs(), func(c *sarama.Config) { c.Metadata.AllowAutoTopicCreation = false })
	out := k.listen("here.out")
	untilReply(t, k, "here", out, func(int) (string, map[string]string) { return `{}`, nil },
		func(r reply) bool { return r.json(t)["from"] == "here" })

	admin, err := sarama.NewClusterAdmin(c.ListenAddrs(), k.cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if err := admin.CreateTopic("later", &sarama.TopicDetail{NumPartitions: 1, ReplicationFactor: 1}, false); err != nil {
		t.Fatal(err)
	}
	untilReply(t, k, "later", out, func(int) (string, map[string]string) { return `{}`, nil },
		func(r reply) bool { return r.json(t)["from"] == "later" })
}
