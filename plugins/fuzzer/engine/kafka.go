package engine

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/IBM/sarama"
)

// Headers the message transports read from a request, and the ones they
// put on the messages they send.
const (
	// KafkaKeyHeader is the request header whose value becomes the
	// record's key (it is not sent as a record header).
	KafkaKeyHeader = "Kafka-Key"
	// KafkaReplyTopicHeader names the topic the Kafka transport waits on
	// for the consumer's reply (it is sent on, as a record header, so the
	// consumer knows where to answer).
	KafkaReplyTopicHeader = "Kafka-Reply-Topic"
	// FuzzIDHeader is the record header that pairs a request with its
	// reply: the consumer copies it onto the record it answers with.
	FuzzIDHeader = "mockarty-fuzz-id"
	// ReplyStatusHeader is the header of a reply (a Kafka record header,
	// an AMQP message header) that carries an HTTP-like status the
	// consumer sets; without it a reply is 200.
	ReplyStatusHeader = "status"
)

// The Kafka transport's reply topic frames the request: the run does not
// mutate it (a mutated one names a topic per payload, which a cluster that
// makes topics on demand would create).

// kafkaTimeout bounds the broker calls the Kafka client makes on its own
// (dialling, metadata, a produce's acknowledgement); Send's context
// bounds Send's wait for them.
const kafkaTimeout = 10 * time.Second

// Kafka produces requests to Kafka topics. The URL is
// kafka://broker1:9092,broker2:9092/topic (a broker without a port is
// :9092). Send produces q.Body to the topic, the key from the Kafka-Key
// header, every other header as a record header, and answers:
//
//   - 202, body {"partition":P,"offset":O}: the broker took the record;
//   - with a Kafka-Reply-Topic header, the record also carries
//     mockarty-fuzz-id: <unique> and Send waits (ReplyWait, bounded by
//     the context) for a record on the reply topic with the same header:
//     its value is the body, its "status" header (an HTTP-like code the
//     consumer sets) the status (200 without one), its other headers the
//     reply's headers; no reply in time: the 202 above;
//   - the broker refusing the record for what it is: a 4xx, the broker's
//     error as the body (message too large 413, unknown topic 404,
//     invalid topic or record 400, not authorized 403).
//
// The choice for the rest: a record that was not taken for reasons that
// are the cluster's, not the input's (no broker reachable, no leader,
// not enough replicas, timeouts), is an error, not a reply: nothing came
// back, and the run counts it as a failed request rather than a finding
// about the target.
//
// Connections are made by the dialer given to NewKafka (sarama's
// Net.Proxy.Dialer, so every broker connection, the bootstrap ones and
// the ones metadata names, goes through the network policy). One client
// (producer and reply consumers) is kept per broker list until Close.
type Kafka struct {
	// ReplyWait bounds the wait for a reply record (DefaultReplyWait when
	// zero), shortened to the request's context.
	ReplyWait time.Duration

	dial   func(ctx context.Context, network, addr string) (net.Conn, error)
	prefix string        // of the fuzz ids, unique to the transport
	seq    atomic.Uint64 // of the fuzz ids

	mu      sync.Mutex
	clients map[string]*kafkaClient // by broker list
	closed  bool
}

// NewKafka is a Kafka transport whose broker connections are made by dial
// (the network policy's dialer: outbound.Policy.Dialer()).
func NewKafka(dial func(ctx context.Context, network, addr string) (net.Conn, error)) *Kafka {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return &Kafka{dial: dial, prefix: hex.EncodeToString(b[:]), clients: map[string]*kafkaClient{}}
}

// kafkaClient is the client of one broker list: its producer, its
// consumer and the reply listeners on it.
type kafkaClient struct {
	ready    chan struct{} // closed once made or failed
	err      error         // why it could not be made
	client   sarama.Client
	producer sarama.SyncProducer
	consumer sarama.Consumer
	maxBytes int

	// use is held (read) by every produce in flight: a sarama producer
	// panics when sent to after Close, so Close takes it (write) first.
	use    sync.RWMutex
	closed bool

	mu        sync.Mutex
	listeners map[string]*replyListener // by reply topic
}

// replyListener reads a reply topic from where it was when it started and
// hands each record to the Send waiting for its fuzz id.
type replyListener struct {
	ready chan struct{} // closed once every partition is read or it failed
	err   error
	pcs   []sarama.PartitionConsumer

	mu      sync.Mutex
	waiters map[string]chan *sarama.ConsumerMessage
}

// kafkaDialer makes sarama dial through the policy's dialer. Sarama dials
// brokers with Dial, without a context: kafkaTimeout bounds it.
type kafkaDialer struct {
	dial func(ctx context.Context, network, addr string) (net.Conn, error)
}

// Dial dials addr within kafkaTimeout.
func (d kafkaDialer) Dial(network, addr string) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), kafkaTimeout)
	defer cancel()
	return d.dial(ctx, network, addr)
}

// DialContext dials addr within ctx (sarama uses it where it has one).
func (d kafkaDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	return d.dial(ctx, network, addr)
}

// Close closes every client; later Sends fail. It waits for the produces
// in flight (kafkaTimeout at most).
func (k *Kafka) Close() error {
	k.mu.Lock()
	k.closed = true
	clients := k.clients
	k.clients = map[string]*kafkaClient{}
	k.mu.Unlock()
	var wg sync.WaitGroup
	for _, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-c.ready
			c.close()
		}()
	}
	wg.Wait()
	return nil
}

// close frees a client's connections (once made).
func (c *kafkaClient) close() {
	c.use.Lock()
	defer c.use.Unlock()
	if c.closed {
		return
	}
	c.closed = true
	if c.err != nil {
		return
	}
	c.mu.Lock()
	ls := c.listeners
	c.listeners = nil
	c.mu.Unlock()
	for _, l := range ls {
		<-l.ready
		l.close()
	}
	_ = c.producer.Close()
	_ = c.consumer.Close()
	_ = c.client.Close()
}

// close stops a listener's partition consumers.
func (l *replyListener) close() {
	for _, pc := range l.pcs {
		_ = pc.Close()
	}
}

// parseKafkaURL reads kafka://b1:9092,b2:9092/topic.
func parseKafkaURL(raw string) (brokers []string, topic string, err error) {
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok || !strings.EqualFold(scheme, "kafka") {
		return nil, "", fmt.Errorf("kafka: url %q: kafka://broker:9092,.../topic is needed", raw)
	}
	hosts, path, _ := strings.Cut(rest, "/")
	path, _, _ = strings.Cut(path, "?")
	path, _, _ = strings.Cut(path, "#")
	topic, err = url.PathUnescape(path)
	if err != nil || topic == "" {
		return nil, "", fmt.Errorf("kafka: url %q names no topic", raw)
	}
	for _, h := range strings.Split(hosts, ",") {
		h = strings.TrimSpace(h)
		if h == "" {
			continue
		}
		if _, _, err := net.SplitHostPort(h); err != nil {
			h = net.JoinHostPort(strings.Trim(h, "[]"), "9092")
		}
		brokers = append(brokers, h)
	}
	if len(brokers) == 0 {
		return nil, "", fmt.Errorf("kafka: url %q names no broker", raw)
	}
	return brokers, topic, nil
}

// client is the broker list's client, made on first use.
func (k *Kafka) client(ctx context.Context, brokers []string) (*kafkaClient, error) {
	key := strings.Join(brokers, ",")
	k.mu.Lock()
	if k.closed {
		k.mu.Unlock()
		return nil, errTransportClosed
	}
	c := k.clients[key]
	if c == nil {
		c = &kafkaClient{ready: make(chan struct{}), listeners: map[string]*replyListener{}}
		k.clients[key] = c
		go k.open(c, key, brokers)
	}
	k.mu.Unlock()
	select {
	case <-c.ready:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if c.err != nil {
		return nil, c.err
	}
	return c, nil
}

// open makes a client (in the background: it waits on the brokers). One
// that fails is forgotten, so the next Send tries again.
func (k *Kafka) open(c *kafkaClient, key string, brokers []string) {
	defer close(c.ready)
	cfg := sarama.NewConfig()
	cfg.Version = sarama.V2_8_0_0
	cfg.ClientID = "mockarty-fuzzer"
	cfg.Producer.Return.Successes = true
	cfg.Producer.RequiredAcks = sarama.WaitForAll
	cfg.Producer.Timeout = kafkaTimeout
	cfg.Producer.Retry.Max = 1
	cfg.Producer.Retry.Backoff = 100 * time.Millisecond
	cfg.Metadata.Retry.Max = 1
	cfg.Metadata.Retry.Backoff = 100 * time.Millisecond
	cfg.Consumer.Return.Errors = false
	cfg.Consumer.MaxWaitTime = 100 * time.Millisecond
	cfg.Net.DialTimeout, cfg.Net.ReadTimeout, cfg.Net.WriteTimeout = kafkaTimeout, kafkaTimeout, kafkaTimeout
	cfg.Net.Proxy.Enable = true
	cfg.Net.Proxy.Dialer = kafkaDialer{dial: k.dial}
	c.maxBytes = cfg.Producer.MaxMessageBytes
	client, err := sarama.NewClient(brokers, cfg)
	if err == nil {
		c.client = client
		if c.producer, err = sarama.NewSyncProducerFromClient(client); err == nil {
			if c.consumer, err = sarama.NewConsumerFromClient(client); err != nil {
				_ = c.producer.Close()
			}
		}
		if err != nil {
			_ = client.Close()
		}
	}
	if err != nil {
		c.err = fmt.Errorf("kafka %s: %w", key, err)
		k.mu.Lock()
		if k.clients[key] == c {
			delete(k.clients, key)
		}
		k.mu.Unlock()
	}
}

// listener is the reply topic's listener, started on first use: it reads
// from the end each partition had then (the reply comes later).
func (c *kafkaClient) listener(ctx context.Context, topic string) (*replyListener, error) {
	c.mu.Lock()
	if c.listeners == nil {
		c.mu.Unlock()
		return nil, errTransportClosed
	}
	l := c.listeners[topic]
	if l == nil {
		l = &replyListener{ready: make(chan struct{}), waiters: map[string]chan *sarama.ConsumerMessage{}}
		c.listeners[topic] = l
		go c.listen(l, topic)
	}
	c.mu.Unlock()
	select {
	case <-l.ready:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if l.err != nil {
		return nil, l.err
	}
	return l, nil
}

// listen starts a listener's partition consumers and hands out what they
// read. One that fails is forgotten, so the next Send tries again.
func (c *kafkaClient) listen(l *replyListener, topic string) {
	parts, err := c.client.Partitions(topic)
	if err == nil && len(parts) == 0 {
		err = errors.New("no partitions")
	}
	for _, p := range parts {
		if err != nil {
			break
		}
		var pc sarama.PartitionConsumer
		if pc, err = c.consumer.ConsumePartition(topic, p, sarama.OffsetNewest); err == nil {
			l.pcs = append(l.pcs, pc)
		}
	}
	if err != nil {
		l.close()
		l.pcs = nil
		l.err = fmt.Errorf("kafka reply topic %q: %w", topic, err)
		c.mu.Lock()
		if c.listeners[topic] == l {
			delete(c.listeners, topic)
		}
		c.mu.Unlock()
	}
	close(l.ready)
	for _, pc := range l.pcs {
		go func() {
			for m := range pc.Messages() {
				l.deliver(m)
			}
		}()
	}
}

// deliver hands a record to the Send waiting for its fuzz id, if any.
func (l *replyListener) deliver(m *sarama.ConsumerMessage) {
	var id string
	for _, h := range m.Headers {
		if h != nil && string(h.Key) == FuzzIDHeader {
			id = string(h.Value)
		}
	}
	if id == "" {
		return
	}
	l.mu.Lock()
	ch := l.waiters[id]
	l.mu.Unlock()
	if ch != nil {
		select {
		case ch <- m:
		default:
		}
	}
}

// wait registers a Send waiting for id's reply.
func (l *replyListener) wait(id string) chan *sarama.ConsumerMessage {
	ch := make(chan *sarama.ConsumerMessage, 4)
	l.mu.Lock()
	l.waiters[id] = ch
	l.mu.Unlock()
	return ch
}

// forget drops a waiter.
func (l *replyListener) forget(id string) {
	l.mu.Lock()
	delete(l.waiters, id)
	l.mu.Unlock()
}

// produced is what a produce came to.
type produced struct {
	partition int32
	offset    int64
	err       error
}

// Send produces q.Body to the URL's topic and, with a reply topic, waits
// for the consumer's answer.
func (k *Kafka) Send(ctx context.Context, q *Request) (*Reply, error) {
	if k.dial == nil {
		return nil, errors.New("kafka: no dialer")
	}
	brokers, topic, err := parseKafkaURL(q.URL)
	if err != nil {
		return nil, err
	}
	c, err := k.client(ctx, brokers)
	if err != nil {
		return nil, err
	}
	body := q.Body
	if body == nil {
		body = []byte{} // an empty value, not a tombstone
	}
	msg := &sarama.ProducerMessage{Topic: topic, Value: sarama.ByteEncoder(body)}
	for name, vs := range q.Header {
		if strings.EqualFold(name, KafkaKeyHeader) {
			if len(vs) > 0 {
				msg.Key = sarama.StringEncoder(vs[0])
			}
			continue
		}
		if strings.EqualFold(name, FuzzIDHeader) {
			continue
		}
		for _, v := range vs {
			msg.Headers = append(msg.Headers, sarama.RecordHeader{Key: []byte(name), Value: []byte(v)})
		}
	}
	var (
		replies chan *sarama.ConsumerMessage
		id      string
	)
	if rt := q.Header.Get(KafkaReplyTopicHeader); rt != "" {
		l, err := c.listener(ctx, rt)
		if err != nil {
			return nil, err
		}
		id = k.prefix + "-" + strconv.FormatUint(k.seq.Add(1), 10)
		msg.Headers = append(msg.Headers, sarama.RecordHeader{Key: []byte(FuzzIDHeader), Value: []byte(id)})
		replies = l.wait(id) // before the request goes: the reply may be quick
		defer l.forget(id)
	}
	if size := msg.ByteSize(2); size > c.maxBytes {
		return kafkaRefused(http.StatusRequestEntityTooLarge,
			fmt.Sprintf("kafka: the record (%d bytes) is larger than the producer's limit (%d bytes)", size, c.maxBytes)), nil
	}

	done := make(chan produced, 1)
	go func() {
		c.use.RLock()
		defer c.use.RUnlock()
		if c.closed {
			done <- produced{err: errTransportClosed}
			return
		}
		p, o, err := c.producer.SendMessage(msg)
		done <- produced{p, o, err}
	}()
	var res produced
	select {
	case res = <-done:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if res.err != nil {
		if rep := kafkaErrorReply(res.err); rep != nil {
			return rep, nil
		}
		return nil, fmt.Errorf("kafka produce to %s: %w", topic, res.err)
	}
	accepted, _ := json.Marshal(map[string]int64{"partition": int64(res.partition), "offset": res.offset})
	acceptedReply := &Reply{Status: http.StatusAccepted, Header: http.Header{"Content-Type": {"application/json"}}, Body: accepted}
	if replies == nil {
		return acceptedReply, nil
	}
	wait := k.ReplyWait
	if wait <= 0 {
		wait = DefaultReplyWait
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	for {
		select {
		case m := <-replies:
			if m.Topic == topic && m.Partition == res.partition && m.Offset == res.offset {
				continue // the request itself, when the reply topic is the request topic
			}
			return kafkaReply(m), nil
		case <-timer.C:
			return acceptedReply, nil
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return acceptedReply, nil // the reply wait ran to the request's deadline
			}
			return nil, ctx.Err()
		}
	}
}

// kafkaReply is a reply record as a reply.
func kafkaReply(m *sarama.ConsumerMessage) *Reply {
	rep := &Reply{Status: http.StatusOK, Header: http.Header{}, Body: m.Value}
	if len(rep.Body) > maxBody {
		rep.Body = rep.Body[:maxBody]
	}
	for _, h := range m.Headers {
		if h == nil {
			continue
		}
		name, value := string(h.Key), string(h.Value)
		switch {
		case name == FuzzIDHeader:
		case strings.EqualFold(name, ReplyStatusHeader):
			if s, err := strconv.Atoi(strings.TrimSpace(value)); err == nil && s >= 100 && s <= 599 {
				rep.Status = s
			}
		default:
			rep.Header.Add(name, value)
		}
	}
	if rep.Header.Get("Content-Type") == "" && json.Valid(rep.Body) {
		rep.Header.Set("Content-Type", "application/json")
	}
	return rep
}

// kafkaErrorReply is a broker's refusal of the record for what it is, as
// a reply (nil: the error is the cluster's, or the connection's).
func kafkaErrorReply(err error) *Reply {
	var ke sarama.KError
	if !errors.As(err, &ke) {
		return nil
	}
	switch ke {
	case sarama.ErrMessageSizeTooLarge, sarama.ErrMessageSetSizeTooLarge:
		return kafkaRefused(http.StatusRequestEntityTooLarge, ke.Error())
	case sarama.ErrUnknownTopicOrPartition:
		return kafkaRefused(http.StatusNotFound, ke.Error())
	case sarama.ErrInvalidTopic, sarama.ErrInvalidMessage, sarama.ErrInvalidRecord, sarama.ErrInvalidTimestamp,
		sarama.ErrUnsupportedForMessageFormat:
		return kafkaRefused(http.StatusBadRequest, ke.Error())
	case sarama.ErrTopicAuthorizationFailed, sarama.ErrClusterAuthorizationFailed, sarama.ErrPolicyViolation:
		return kafkaRefused(http.StatusForbidden, ke.Error())
	}
	return nil
}

// kafkaRefused is a refusal reply: status, the reason as text.
func kafkaRefused(status int, why string) *Reply {
	return &Reply{Status: status, Header: textHeader(), Body: []byte(why)}
}

// KafkaSeed is a topic and one message as a seed: the run mutates the
// message's JSON leaves; its findings are named "kafka <topic>". brokers
// is "host:port,host:port"; a replyTopic makes the transport wait for the
// consumer's answer there (Kafka-Reply-Topic).
func KafkaSeed(brokers, topic, message, replyTopic string) Seed {
	var hosts []string
	for _, b := range strings.Split(brokers, ",") {
		if b = strings.TrimSpace(b); b != "" {
			hosts = append(hosts, b)
		}
	}
	s := Seed{ID: "kafka " + topic, Name: topic, Operation: "kafka " + topic, Method: http.MethodPost,
		URL: "kafka://" + strings.Join(hosts, ",") + "/" + url.PathEscape(topic), Body: message}
	if json.Valid([]byte(message)) {
		s.ContentType = "application/json"
	}
	if replyTopic != "" {
		s.Headers = map[string]string{KafkaReplyTopicHeader: replyTopic}
	}
	return s
}
