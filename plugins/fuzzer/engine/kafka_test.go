package engine

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/mockarty-oss/mockarty/plugins/fuzzer/internal/target"
	"github.com/mockarty-oss/mockarty/sdk/outbound"
)

// kafkaCluster is an in-process Kafka cluster with topics (two
// partitions each) and no topic made on demand.
func kafkaCluster(t *testing.T, topics ...string) []string {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(2, topics...))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c.ListenAddrs()
}

// TestKafkaSource: fuzzing a topic whose consumer app answers on a reply
// topic finds the vulnerable twin's planted bug (a database error in the
// reply, status 500 set by the app) as one finding named "kafka orders",
// and nothing on the clean twin.
func TestKafkaSource(t *testing.T) {
	for _, vulnerable := range []bool{true, false} {
		brokers := kafkaCluster(t, "orders", "orders.reply")
		app, err := target.StartKafka(brokers, "orders", "orders.reply", vulnerable)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(app.Close)
		k := NewKafka(plainDial)
		k.ReplyWait = 5 * time.Second // a loaded machine's consumer is no finding
		t.Cleanup(func() { _ = k.Close() })
		seed := KafkaSeed(strings.Join(brokers, ", "), "orders", `{"query":"phone"}`, "orders.reply")
		if seed.Operation != "kafka orders" || seed.URL != "kafka://"+strings.Join(brokers, ",")+"/orders" ||
			seed.Headers[KafkaReplyTopicHeader] != "orders.reply" || seed.ContentType != "application/json" {
			t.Fatalf("seed: %+v", seed)
		}
		tr := &failures{Transport: k}
		res, err := Run(context.Background(), Config{Strategy: "security", Categories: []string{"sqli", "xss"}, Seeds: []Seed{seed},
			Transports: Transports{"kafka": tr}, Options: Options{MaxRequests: 2000}}, noRedirects(), nil)
		if err != nil {
			t.Fatal(err)
		}
		if res.ErrorCount != 0 {
			t.Fatalf("%d requests failed: %v", res.ErrorCount, tr.errs())
		}
		for _, f := range res.Findings {
			t.Log(f.Fingerprint, " ", f.MutationApplied)
		}
		switch {
		case vulnerable && (len(res.Findings) != 1 ||
			!strings.HasPrefix(res.Findings[0].Fingerprint, "kafka orders|sqli|500|sql-error:unterminated quoted string")):
			t.Fatalf("%d findings on the vulnerable consumer", len(res.Findings))
		case !vulnerable && len(res.Findings) != 0:
			t.Fatalf("a finding on the clean consumer: %s", res.Findings[0].Fingerprint)
		}
	}
}

// TestKafkaStatus: what the broker and the consumer do, as statuses; the
// key and headers a request's record carries; many Sends at once; the
// network policy; Close.
func TestKafkaStatus(t *testing.T) {
	brokers := kafkaCluster(t, "orders", "orders.reply", "quiet.reply", "plain")
	app, err := target.StartKafka(brokers, "orders", "orders.reply", true)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(app.Close)
	k := NewKafka(plainDial) // replies are waited for as long as a loaded machine needs
	k.ReplyWait = time.Minute
	t.Cleanup(func() { _ = k.Close() })
	quick := NewKafka(plainDial) // no reply is waited for briefly
	quick.ReplyWait = 50 * time.Millisecond
	t.Cleanup(func() { _ = quick.Close() })
	base := "kafka://" + strings.Join(brokers, ",") + "/"
	send := func(topic string, h http.Header, body string) *Reply {
		t.Helper()
		tr := k
		if h.Get(KafkaReplyTopicHeader) == "quiet.reply" {
			tr = quick
		}
		rep, err := tr.Send(context.Background(), &Request{Method: http.MethodPost, URL: base + topic, Header: h, Body: []byte(body)})
		if err != nil {
			t.Fatalf("%s: %v", topic, err)
		}
		return rep
	}

	// Taken, no reply asked for: 202 and where it went.
	rep := send("plain", http.Header{KafkaKeyHeader: {"k1"}, "X-Trace": {"t1"}}, `{"a":1}`)
	var where struct{ Partition, Offset *int64 }
	if rep.Status != http.StatusAccepted || json.Unmarshal(rep.Body, &where) != nil || where.Partition == nil || where.Offset == nil {
		t.Fatalf("produce: %d %s", rep.Status, rep.Body)
	}
	// The record: the body, the key, the other headers (no fuzz id without a reply topic).
	msg := readRecord(t, brokers, "plain", int32(*where.Partition), *where.Offset)
	hdr := map[string]string{}
	for _, h := range msg.Headers {
		hdr[string(h.Key)] = string(h.Value)
	}
	if string(msg.Value) != `{"a":1}` || string(msg.Key) != "k1" || hdr["X-Trace"] != "t1" || hdr[KafkaKeyHeader] != "" || hdr[FuzzIDHeader] != "" {
		t.Fatalf("the record: %s key %q headers %v", msg.Value, msg.Key, hdr)
	}

	// The consumer's reply: its body, its status header as the status.
	if rep := send("orders", http.Header{KafkaReplyTopicHeader: {"orders.reply"}}, `{"query":"phone"}`); rep.Status != 200 ||
		string(rep.Body) != `{"results":["phone","phone case"]}` || rep.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("reply: %d %s %v", rep.Status, rep.Body, rep.Header)
	}
	if rep := send("orders", http.Header{KafkaReplyTopicHeader: {"orders.reply"}}, `{"query":"o'brien"}`); rep.Status != 500 ||
		!strings.Contains(string(rep.Body), "unterminated quoted string") {
		t.Fatalf("error reply: %d %s", rep.Status, rep.Body)
	}
	// Nobody answers on the reply topic: 202 once the wait is over.
	if rep := send("plain", http.Header{KafkaReplyTopicHeader: {"quiet.reply"}}, "x"); rep.Status != http.StatusAccepted {
		t.Fatalf("no reply: %d %s", rep.Status, rep.Body)
	}
	// The reply topic is the request topic: the request, read back with its
	// fuzz id, is not its own reply.
	same := NewKafka(plainDial)
	same.ReplyWait = time.Second
	t.Cleanup(func() { _ = same.Close() })
	if rep, err := same.Send(context.Background(), &Request{URL: base + "plain", Header: http.Header{KafkaReplyTopicHeader: {"plain"}},
		Body: []byte("x")}); err != nil || rep.Status != http.StatusAccepted {
		t.Fatalf("the request read as its reply: %v %v", rep, err)
	}

	// The broker refusing the record for what it is.
	if rep := send("no-such-topic", nil, "x"); rep.Status != http.StatusNotFound {
		t.Fatalf("unknown topic: %d %s", rep.Status, rep.Body)
	}
	if rep := send("plain", nil, strings.Repeat("x", 2<<20)); rep.Status != http.StatusRequestEntityTooLarge {
		t.Fatalf("too large: %d %s", rep.Status, rep.Body)
	}
	// The reply topic does not exist: nothing was sent.
	if _, err := k.Send(context.Background(), &Request{URL: base + "plain", Header: http.Header{KafkaReplyTopicHeader: {"nowhere"}}}); err == nil ||
		!strings.Contains(err.Error(), "reply topic") {
		t.Fatalf("unknown reply topic: %v", err)
	}

	// Many at once, each with its own reply.
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			q := `{"query":"` + strconv.Itoa(i) + `"}`
			rep, err := k.Send(context.Background(), &Request{URL: base + "orders", Header: http.Header{KafkaReplyTopicHeader: {"orders.reply"}}, Body: []byte(q)})
			if err != nil || rep.Status != 200 || string(rep.Body) != `{"results":[]}` {
				t.Errorf("concurrent send %d: %v %v", i, rep, err)
			}
		}()
	}
	wg.Wait()

	// A cancelled context: an error, not a reply.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := k.Send(ctx, &Request{URL: base + "plain", Header: http.Header{KafkaReplyTopicHeader: {"quiet.reply"}}}); err == nil {
		t.Fatal("sent with a cancelled context")
	}
	// The network policy's dialer decides: loopback is refused by default.
	policed := NewKafka(outbound.Dialer(false))
	t.Cleanup(func() { _ = policed.Close() })
	if _, err := policed.Send(context.Background(), &Request{URL: base + "plain"}); err == nil || !strings.Contains(err.Error(), "refusing") {
		t.Fatalf("a private broker through the policy: %v", err)
	}
	for _, bad := range []string{"kafka://", "kafka://host:9092", "kafka:///topic", "http://host/topic"} {
		if _, err := k.Send(context.Background(), &Request{URL: bad}); err == nil {
			t.Errorf("%q was sent", bad)
		}
	}
	_ = k.Close()
	if _, err := k.Send(context.Background(), &Request{URL: base + "plain"}); err == nil {
		t.Fatal("sent after Close")
	}
}

// failures is a transport that keeps its errors, for a test to show.
type failures struct {
	Transport
	mu   sync.Mutex
	seen []string
}

// Send sends and keeps the error, if any.
func (f *failures) Send(ctx context.Context, q *Request) (*Reply, error) {
	rep, err := f.Transport.Send(ctx, q)
	if err != nil {
		f.mu.Lock()
		f.seen = append(f.seen, err.Error())
		f.mu.Unlock()
	}
	return rep, err
}

// errs are the errors kept (the first few).
func (f *failures) errs() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.seen[:min(len(f.seen), 5)]
}

// readRecord reads the record at topic/partition/offset.
func readRecord(t *testing.T, brokers []string, topic string, partition int32, offset int64) *sarama.ConsumerMessage {
	t.Helper()
	cfg := sarama.NewConfig()
	cfg.Version = sarama.V2_8_0_0
	c, err := sarama.NewConsumer(brokers, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	pc, err := c.ConsumePartition(topic, partition, offset)
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	select {
	case m := <-pc.Messages():
		return m
	case <-time.After(10 * time.Second):
		t.Fatal("the record was not there")
	}
	return nil
}
