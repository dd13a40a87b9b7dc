package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/mockarty-oss/mockarty/sdk/plugintest"
)

// The end-to-end tests run the real host binary with the real plugin
// binary (plugintest.StartHost builds both once).

func TestMain(m *testing.M) {
	code := m.Run()
	plugintest.Cleanup()
	os.Exit(code)
}

// freePort never gives the same port twice (the host's and the embedded
// broker's ports once collided).
func freePort(t testing.TB) int {
	t.Helper()
	return plugintest.FreePort(t)
}

// hostProc is a running host with the kafka plugin.
type hostProc struct {
	*plugintest.HostProc
}

// startHost starts the host with the kafka plugin and its settings, and
// waits for the plugin to run. KAFKA_TEST_LOGS=1 logs the host's and the
// plugin's debug output even when the test passes.
func startHost(t testing.TB, settings string) *hostProc {
	t.Helper()
	o := plugintest.HostOptions{Plugins: map[string]plugintest.PluginSpec{"kafka": {Dir: ".", Settings: settings}}}
	if os.Getenv("KAFKA_TEST_LOGS") != "" {
		o.Env = []string{"LOG_LEVEL=debug"}
	}
	h := &hostProc{plugintest.StartHost(t, o)}
	t.Cleanup(func() {
		if !t.Failed() && os.Getenv("KAFKA_TEST_LOGS") != "" {
			t.Logf("host and plugin log:\n%s", h.Stderr())
		}
	})
	return h
}

// do calls the API and returns the status and body.
func (h *hostProc) do(t testing.TB, method, path, body string) (int, []byte) {
	t.Helper()
	return h.Request(t, method, path, "application/json", body)
}

func (h *hostProc) createMock(t testing.TB, doc string) {
	t.Helper()
	if st, b := h.do(t, http.MethodPost, "/api/v1/mocks", doc); st != http.StatusOK && st != http.StatusCreated {
		t.Fatalf("create mock: %d %s", st, b)
	}
}

// pluginStatus is the kafka plugin's entry in GET /api/v1/plugins.
type pluginStatus struct {
	Name      string   `json:"name"`
	State     string   `json:"state"`
	Addresses []string `json:"addresses"`
	PID       int      `json:"pid"`
	Restarts  int      `json:"restarts"`
	LastError string   `json:"lastError"`
}

// waitRunning waits for the plugin to run with another pid than notPID.
func (h *hostProc) waitRunning(t testing.TB, notPID int) pluginStatus {
	t.Helper()
	var st pluginStatus
	plugintest.EventuallyNoError(t, 60*time.Second, func() error {
		b, _ := json.Marshal(h.Plugin(t, "kafka"))
		st = pluginStatus{}
		if err := json.Unmarshal(b, &st); err != nil {
			return err
		}
		if st.State != "running" || st.PID == notPID {
			return fmt.Errorf("plugin: %s", b)
		}
		return nil
	}, "the kafka plugin to run")
	return st
}

// undefinedCount is the count of the undefined kafka request on topic.
func (h *hostProc) undefinedCount(t testing.TB, topic string) int {
	t.Helper()
	n, _ := h.undefined(t, topic)
	return n
}

// undefined is the count and last body of the undefined kafka request on
// topic.
func (h *hostProc) undefined(t testing.TB, topic string) (int, string) {
	t.Helper()
	st, b := h.do(t, http.MethodGet, "/api/v1/undefined-requests?namespace=sandbox&protocol=kafka", "")
	if st != http.StatusOK {
		t.Fatalf("undefined requests: %d %s", st, b)
	}
	var v struct {
		Requests []struct {
			Protocol string `json:"protocol"`
			Method   string `json:"method"`
			Path     string `json:"path"`
			Count    int    `json:"count"`
			Body     any    `json:"body"`
			RawBody  string `json:"rawBody"`
		} `json:"requests"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("undefined requests: %v: %s", err, b)
	}
	for _, r := range v.Requests {
		if r.Protocol == "kafka" && r.Path == topic {
			if r.Method != "consume" {
				t.Fatalf("undefined request of %s: method %q", topic, r.Method)
			}
			body := r.RawBody
			if body == "" && r.Body != nil {
				b, _ := json.Marshal(r.Body)
				body = string(b)
			}
			return r.Count, body
		}
	}
	return 0, ""
}

// kafkaClient is a real Kafka client (sarama) for the tests.
type kafkaClient struct {
	t        testing.TB
	brokers  []string
	cfg      *sarama.Config
	client   sarama.Client
	producer sarama.SyncProducer
	consumer sarama.Consumer
}

func newKafkaClient(t testing.TB, brokers []string, tune func(*sarama.Config)) *kafkaClient {
	t.Helper()
	cfg := sarama.NewConfig()
	cfg.Version = sarama.V2_8_0_0
	cfg.ClientID = "kafka-test"
	cfg.Producer.Return.Successes = true
	cfg.Producer.RequiredAcks = sarama.WaitForAll
	cfg.Consumer.MaxWaitTime = 50 * time.Millisecond
	cfg.Metadata.AllowAutoTopicCreation = true
	if tune != nil {
		tune(cfg)
	}
	var client sarama.Client
	plugintest.EventuallyNoError(t, 20*time.Second, func() (err error) {
		client, err = sarama.NewClient(brokers, cfg)
		return err
	}, "a kafka client for %v", brokers)
	// The producer has its own connections: a broker handles a
	// connection's requests in order, so sharing them with the
	// consumer's long-polling fetches would hold each produce up.
	p, err := sarama.NewSyncProducer(brokers, cfg)
	if err != nil {
		t.Fatal(err)
	}
	c, err := sarama.NewConsumerFromClient(client)
	if err != nil {
		t.Fatal(err)
	}
	k := &kafkaClient{t: t, brokers: brokers, cfg: cfg, client: client, producer: p, consumer: c}
	t.Cleanup(func() {
		_ = c.Close()
		_ = p.Close()
		_ = client.Close()
	})
	return k
}

// produce sends a message and returns its partition and offset.
func (k *kafkaClient) produce(topic, key, value string, headers map[string]string) (int32, int64) {
	k.t.Helper()
	m := &sarama.ProducerMessage{Topic: topic, Value: sarama.StringEncoder(value)}
	if key != "" {
		m.Key = sarama.StringEncoder(key)
	}
	for n, v := range headers {
		m.Headers = append(m.Headers, sarama.RecordHeader{Key: []byte(n), Value: []byte(v)})
	}
	p, off, err := k.producer.SendMessage(m)
	if err != nil {
		k.t.Fatalf("produce to %s: %v", topic, err)
	}
	return p, off
}

// reply is a message read from an output topic, with when it was read.
type reply struct {
	msg *sarama.ConsumerMessage
	at  time.Time
}

func (r reply) header(name string) string {
	for _, h := range r.msg.Headers {
		if string(h.Key) == name {
			return string(h.Value)
		}
	}
	return ""
}

func (r reply) json(t testing.TB) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(r.msg.Value, &v); err != nil {
		t.Fatalf("reply value %q: %v", r.msg.Value, err)
	}
	return v
}

// listen reads every partition of topic from the start (waiting for the
// topic to exist) and sends what arrives.
func (k *kafkaClient) listen(topic string) <-chan reply {
	k.t.Helper()
	out := make(chan reply, 1000)
	var parts []int32
	plugintest.EventuallyNoError(k.t, 30*time.Second, func() error {
		_ = k.client.RefreshMetadata(topic)
		ps, err := k.client.Partitions(topic)
		if err == nil && len(ps) == 0 {
			err = errors.New("no partitions")
		}
		parts = ps
		return err
	}, "topic %s to appear", topic)
	for _, p := range parts {
		pc, err := k.consumer.ConsumePartition(topic, p, sarama.OffsetOldest)
		if err != nil {
			k.t.Fatalf("consume %s/%d: %v", topic, p, err)
		}
		k.t.Cleanup(func() { _ = pc.Close() })
		go func() {
			for m := range pc.Messages() {
				out <- reply{msg: m, at: time.Now()}
			}
		}()
	}
	return out
}

// next waits for the next reply (a guard, not a speed requirement).
func next(t testing.TB, ch <-chan reply, what string) reply {
	t.Helper()
	select {
	case r := <-ch:
		return r
	case <-time.After(30 * time.Second):
		t.Fatalf("no reply: %s", what)
	}
	return reply{}
}

// none checks that nothing is waiting on ch.
func none(t testing.TB, ch <-chan reply, what string) {
	t.Helper()
	select {
	case r := <-ch:
		t.Fatalf("%s: unexpected reply key=%q value=%s", what, r.msg.Key, r.msg.Value)
	default:
	}
}

// untilReply produces probe(i) to topic until a reply for which ok holds
// arrives on replies: the plugin consumes the topic from then on (a mock
// without a save time, as a fake host lists them, is read from the newest
// offset when its group joins, so earlier messages may be missed). Replies
// that do not satisfy ok are dropped.
func untilReply(t testing.TB, k *kafkaClient, topic string, replies <-chan reply, probe func(i int) (string, map[string]string), ok func(reply) bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for i := 0; time.Now().Before(deadline); i++ {
		v, h := probe(i)
		k.produce(topic, "", v, h)
		wait := time.After(500 * time.Millisecond)
	drain:
		for {
			select {
			case r := <-replies:
				if ok(r) {
					// Drop the replies of earlier probes still on their way.
					for {
						select {
						case <-replies:
						case <-time.After(300 * time.Millisecond):
							return
						}
					}
				}
			case <-wait:
				break drain
			}
		}
	}
	t.Fatalf("the plugin never consumed %s", topic)
}

// committed is the group's committed offset of topic/partition (-1: none).
func committed(t testing.TB, brokers []string, group, topic string, partition int32, tune ...func(*sarama.Config)) int64 {
	t.Helper()
	cfg := sarama.NewConfig()
	cfg.Version = sarama.V2_8_0_0
	for _, f := range tune {
		f(cfg)
	}
	admin, err := sarama.NewClusterAdmin(brokers, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	res, err := admin.ListConsumerGroupOffsets(group, map[string][]int32{topic: {partition}})
	if err != nil {
		t.Fatal(err)
	}
	b := res.GetBlock(topic, partition)
	if b == nil {
		return -1
	}
	if !errors.Is(b.Err, sarama.ErrNoError) {
		t.Fatalf("committed offset of %s/%d: %v", topic, partition, b.Err)
	}
	return b.Offset
}
