package target

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/IBM/sarama"
	amqp "github.com/rabbitmq/amqp091-go"
)

// The headers the message twins read and write: the fuzzer's request id
// (copied onto the reply), the reply topic a request names and the
// HTTP-like status of a reply.
const (
	fuzzIDHeader     = "mockarty-fuzz-id"
	replyTopicHeader = "Kafka-Reply-Topic"
	statusHeader     = "status"
)

// KafkaResponder is the consumer app of a Kafka topic in two twins: it
// reads search requests ({"query": "..."}) from the request topic and
// answers each on the reply topic (the request's Kafka-Reply-Topic
// header, else the one it was started with), with the request's
// mockarty-fuzz-id header, a "status" header and the answer as the value.
// The vulnerable twin's planted bug: an odd number of single quotes in the
// query answers status 500 with a database error; the clean twin treats
// the query as data. Requests that are not a search are answered 400
// {"error":"bad request"} by both.
type KafkaResponder struct {
	client   sarama.Client
	producer sarama.SyncProducer
	consumer sarama.Consumer
	pcs      []sarama.PartitionConsumer
	wg       sync.WaitGroup
	once     sync.Once
}

// StartKafka starts a responder on brokers: it reads every partition of
// requestTopic from its start, so requests produced once it returns are
// answered.
func StartKafka(brokers []string, requestTopic, replyTopic string, vulnerable bool) (*KafkaResponder, error) {
	cfg := sarama.NewConfig()
	cfg.Version = sarama.V2_8_0_0
	cfg.ClientID = "mockarty-fuzz-target"
	cfg.Producer.Return.Successes = true
	cfg.Consumer.MaxWaitTime = 100 * time.Millisecond
	client, err := sarama.NewClient(brokers, cfg)
	if err != nil {
		return nil, fmt.Errorf("kafka responder: %w", err)
	}
	r := &KafkaResponder{client: client}
	if r.producer, err = sarama.NewSyncProducerFromClient(client); err != nil {
		_ = client.Close()
		return nil, fmt.Errorf("kafka responder: %w", err)
	}
	if r.consumer, err = sarama.NewConsumerFromClient(client); err != nil {
		_ = r.producer.Close()
		_ = client.Close()
		return nil, fmt.Errorf("kafka responder: %w", err)
	}
	parts, err := client.Partitions(requestTopic)
	for _, p := range parts {
		if err != nil {
			break
		}
		var pc sarama.PartitionConsumer
		if pc, err = r.consumer.ConsumePartition(requestTopic, p, sarama.OffsetOldest); err == nil {
			r.pcs = append(r.pcs, pc)
		}
	}
	if err == nil && len(parts) == 0 {
		err = errors.New("no partitions")
	}
	if err != nil {
		r.Close()
		return nil, fmt.Errorf("kafka responder on %q: %w", requestTopic, err)
	}
	for _, pc := range r.pcs {
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			for m := range pc.Messages() {
				r.answer(m, replyTopic, vulnerable)
			}
		}()
	}
	return r, nil
}

// answer replies to one request.
func (r *KafkaResponder) answer(m *sarama.ConsumerMessage, replyTopic string, vulnerable bool) {
	status, body, _ := msgSearch(m.Value, vulnerable)
	reply := &sarama.ProducerMessage{Topic: replyTopic, Value: sarama.ByteEncoder(body), Headers: []sarama.RecordHeader{
		{Key: []byte(statusHeader), Value: []byte(strconv.Itoa(status))},
		{Key: []byte("Content-Type"), Value: []byte("application/json")},
	}}
	for _, h := range m.Headers {
		switch {
		case h == nil:
		case string(h.Key) == fuzzIDHeader:
			reply.Headers = append(reply.Headers, sarama.RecordHeader{Key: h.Key, Value: h.Value})
		case strings.EqualFold(string(h.Key), replyTopicHeader) && len(h.Value) > 0:
			reply.Topic = string(h.Value)
		}
	}
	_, _, _ = r.producer.SendMessage(reply)
}

// Close stops the responder and frees its connections.
func (r *KafkaResponder) Close() {
	r.once.Do(func() {
		for _, pc := range r.pcs {
			pc.AsyncClose()
		}
		r.wg.Wait()
		_ = r.consumer.Close()
		_ = r.producer.Close()
		_ = r.client.Close()
	})
}

// AMQPResponder is the RPC server of a RabbitMQ exchange in two twins:
// it reads search requests ({"query": "..."}) from a queue bound to its
// exchange with its routing key and answers each request that names a
// replyTo, with the request's correlationId, an int "status" header and
// the answer as the body. The vulnerable twin's planted bug: an odd
// number of single quotes in the query answers status 500 with a database
// error; the clean twin treats the query as data.
type AMQPResponder struct {
	// Exchange and RoutingKey are where requests go: a direct exchange of
	// a unique name and "search".
	Exchange, RoutingKey string

	conn  *amqp.Connection
	ch    *amqp.Channel
	queue string
	done  chan struct{} // closed when the consumer ends; nil until it starts
	once  sync.Once
}

// StartAMQP declares a unique direct exchange and an exclusive queue bound
// to it on the broker at amqpURL and answers what comes; Close deletes
// both.
func StartAMQP(amqpURL string, vulnerable bool) (*AMQPResponder, error) {
	conn, err := amqp.DialConfig(amqpURL, amqp.Config{Dial: amqp.DefaultDial(5 * time.Second)})
	if err != nil {
		return nil, fmt.Errorf("amqp responder: %w", err)
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	r := &AMQPResponder{Exchange: "mockarty-fuzz-" + hex.EncodeToString(b[:]), RoutingKey: "search", conn: conn}
	fail := func(err error) (*AMQPResponder, error) {
		r.Close()
		return nil, fmt.Errorf("amqp responder: %w", err)
	}
	if r.ch, err = conn.Channel(); err != nil {
		return fail(err)
	}
	if err := r.ch.ExchangeDeclare(r.Exchange, amqp.ExchangeDirect, false, true, false, false, nil); err != nil {
		return fail(err)
	}
	q, err := r.ch.QueueDeclare("", false, true, true, false, nil)
	if err != nil {
		return fail(err)
	}
	r.queue = q.Name
	if err := r.ch.QueueBind(q.Name, r.RoutingKey, r.Exchange, false, nil); err != nil {
		return fail(err)
	}
	deliveries, err := r.ch.Consume(q.Name, "", true, true, false, false, nil)
	if err != nil {
		return fail(err)
	}
	r.done = make(chan struct{})
	go func() {
		defer close(r.done)
		for d := range deliveries {
			if d.ReplyTo == "" {
				continue
			}
			status, body, _ := msgSearch(d.Body, vulnerable)
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			_ = r.ch.PublishWithContext(ctx, "", d.ReplyTo, false, false, amqp.Publishing{CorrelationId: d.CorrelationId,
				ContentType: "application/json", Headers: amqp.Table{statusHeader: int32(status)}, Body: body})
			cancel()
		}
	}()
	return r, nil
}

// Close deletes the responder's queue and exchange and closes its
// connection.
func (r *AMQPResponder) Close() {
	r.once.Do(func() {
		if r.ch != nil {
			if r.queue != "" {
				_, _ = r.ch.QueueDelete(r.queue, false, false, false)
			}
			_ = r.ch.ExchangeDelete(r.Exchange, false, false)
			_ = r.ch.Close()
		}
		_ = r.conn.Close()
		if r.done != nil {
			<-r.done
		}
	})
}
