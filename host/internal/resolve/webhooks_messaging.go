package resolve

// Webhooks of type rabbitmq and kafka: the rendered webhook body is
// published to a RabbitMQ exchange/routing key or queue (amqp091-go, with a
// publisher confirm), or produced to a Kafka topic (sarama, acks from all
// in-sync replicas). Retries, timeouts, templated headers and the HMAC
// signature work as for http webhooks; the signature and headers travel as
// message headers. Connections dial through the same address policy as
// http webhooks (private addresses need ALLOW_PROXY_TO_PRIVATE_IPS), and are
// kept for reuse while they are in use, closed after a minute unused.

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/IBM/sarama"
	"github.com/mockarty-oss/mockarty/host/internal/model"
	"github.com/mockarty-oss/mockarty/host/internal/render"
	amqp "github.com/rabbitmq/amqp091-go"
)

// webhookIdle is how long an unused webhook connection is kept.
var webhookIdle = time.Minute

// webhookOnce makes one delivery attempt of a webhook of any type.
func (r *Resolver) webhookOnce(method string, w *model.Callback, body []byte, timeout time.Duration) error {
	switch w.Type {
	case "rabbitmq":
		return r.rabbitOnce(w, body, timeout)
	case "kafka":
		return r.kafkaOnce(w, body, timeout)
	}
	return r.postOnce(method, w, body, timeout)
}

// renderWebhookKey renders the kafkaKey template of a webhook (w is the
// caller's copy).
func renderWebhookKey(w *model.Callback, d *render.Data) {
	if w.KafkaKey == "" {
		return
	}
	if t, err := render.CompileText(w.KafkaKey); err == nil {
		w.KafkaKey = string(t.Render(d))
	}
}

// contentTypeOf: a body that is a JSON document is JSON, other text is
// text (a string template renders as its text).
func contentTypeOf(body []byte) string {
	switch {
	case len(body) == 0:
		return ""
	case json.Valid(body):
		return "application/json"
	}
	return "text/plain; charset=utf-8"
}

func webhookSignature(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// dialContext is the resolver's outbound dialer (the private-address
// policy of http webhooks).
func (r *Resolver) dialContext() func(ctx context.Context, network, addr string) (net.Conn, error) {
	if t, ok := r.client.Transport.(*http.Transport); ok && t.DialContext != nil {
		return t.DialContext
	}
	var d net.Dialer
	return d.DialContext
}

// pool keeps connections by key while they are used, and closes them
// after webhookIdle without use.
type pool[T any] struct {
	mu      sync.Mutex
	entries map[string]*pooled[T]
}

type pooled[T any] struct {
	v     T
	users int
	idle  *time.Timer
}

// get returns the live connection of key, or dials one; release must be
// called after use, with broken=true to drop a connection that failed.
func (p *pool[T]) get(key string, alive func(T) bool, dial func() (T, error), closeFn func(T)) (T, func(broken bool), error) {
	p.mu.Lock()
	if p.entries == nil {
		p.entries = map[string]*pooled[T]{}
	}
	e := p.entries[key]
	if e != nil && !alive(e.v) {
		delete(p.entries, key)
		if e.idle != nil {
			e.idle.Stop()
		}
		if e.users == 0 {
			go closeFn(e.v)
		}
		e = nil
	}
	if e == nil {
		p.mu.Unlock()
		v, err := dial()
		if err != nil {
			var zero T
			return zero, nil, err
		}
		p.mu.Lock()
		if other := p.entries[key]; other != nil { // another caller dialled meanwhile
			go closeFn(v)
			e = other
		} else {
			e = &pooled[T]{v: v}
			p.entries[key] = e
		}
	}
	e.users++
	if e.idle != nil {
		e.idle.Stop()
		e.idle = nil
	}
	p.mu.Unlock()
	release := func(broken bool) {
		p.mu.Lock()
		defer p.mu.Unlock()
		e.users--
		if broken && p.entries[key] == e {
			delete(p.entries, key)
		}
		if p.entries[key] != e {
			if e.users == 0 {
				go closeFn(e.v)
			}
			return
		}
		if e.users == 0 {
			e.idle = time.AfterFunc(webhookIdle, func() {
				p.mu.Lock()
				defer p.mu.Unlock()
				if p.entries[key] == e && e.users == 0 {
					delete(p.entries, key)
					go closeFn(e.v)
				}
			})
		}
	}
	return e.v, release, nil
}

var (
	amqpConns      pool[*amqp.Connection]
	kafkaProducers pool[sarama.SyncProducer]
)

// rabbitOnce publishes the body to rabbitExchange/rabbitRoutingKey, or to
// rabbitQueue through the default exchange, and waits for the confirm.
// With rabbitMandatory an unroutable message is a failure (and retried).
func (r *Resolver) rabbitOnce(w *model.Callback, body []byte, timeout time.Duration) error {
	exchange, key := w.RabbitExchange, w.RabbitRoutingKey
	if exchange == "" {
		key = w.RabbitQueue
		if key == "" {
			key = w.RabbitRoutingKey
		}
	}
	dial := r.dialContext()
	poolKey := fmt.Sprintf("%p\x00%s", r, w.RabbitURL)
	conn, release, err := amqpConns.get(poolKey, func(c *amqp.Connection) bool { return !c.IsClosed() },
		func() (*amqp.Connection, error) {
			props := amqp.NewConnectionProperties()
			props.SetClientConnectionName("mockarty webhooks")
			return amqp.DialConfig(w.RabbitURL, amqp.Config{Heartbeat: 10 * time.Second, Locale: "en_US", Properties: props,
				Dial: func(network, addr string) (net.Conn, error) {
					ctx, cancel := context.WithTimeout(context.Background(), timeout)
					defer cancel()
					c, err := dial(ctx, network, addr)
					if err != nil {
						return nil, err
					}
					_ = c.SetDeadline(time.Now().Add(timeout)) // the handshakes; cleared once open
					return c, nil
				}})
		}, func(c *amqp.Connection) { _ = c.Close() })
	if err != nil {
		return fmt.Errorf("rabbitmq %s: %w", redactAMQP(w.RabbitURL), err)
	}
	broken := false
	defer func() { release(broken) }()
	ch, err := conn.Channel()
	if err != nil {
		broken = true
		return fmt.Errorf("rabbitmq channel: %w", err)
	}
	defer ch.Close()
	if err := ch.Confirm(false); err != nil {
		return fmt.Errorf("rabbitmq confirm mode: %w", err)
	}
	returns := ch.NotifyReturn(make(chan amqp.Return, 1))
	msg := amqp.Publishing{Body: body, ContentType: contentTypeOf(body), DeliveryMode: amqp.Persistent, Timestamp: time.Now(), AppId: "mockarty"}
	if len(w.Headers) > 0 || w.Secret != "" {
		msg.Headers = amqp.Table{}
		for k, v := range w.Headers {
			if strings.EqualFold(k, "Content-Type") {
				msg.ContentType = v
				continue
			}
			msg.Headers[k] = v
		}
		if w.Secret != "" {
			msg.Headers[SignatureHeader] = webhookSignature(w.Secret, body)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	dc, err := ch.PublishWithDeferredConfirmWithContext(ctx, exchange, key, w.RabbitMandatory, false, msg)
	if err != nil {
		return fmt.Errorf("rabbitmq publish: %w", err)
	}
	acked, err := dc.WaitContext(ctx)
	if err != nil {
		return fmt.Errorf("rabbitmq confirm: %w", err)
	}
	if !acked {
		return errors.New("rabbitmq: the broker did not confirm the message (a missing exchange closes the channel)")
	}
	select {
	case ret := <-returns:
		return fmt.Errorf("rabbitmq: unroutable message to exchange %q key %q: %d %s", ret.Exchange, ret.RoutingKey, ret.ReplyCode, ret.ReplyText)
	default:
	}
	return nil
}

// kafkaOnce produces the body to kafkaTopic with kafkaKey and the headers.
func (r *Resolver) kafkaOnce(w *model.Callback, body []byte, timeout time.Duration) error {
	var brokers []string
	for _, b := range strings.Split(w.KafkaBrokers, ",") {
		if b = strings.TrimSpace(b); b != "" {
			brokers = append(brokers, b)
		}
	}
	if len(brokers) == 0 || w.KafkaTopic == "" {
		return errors.New("kafka webhook: kafkaBrokers and kafkaTopic are required")
	}
	dial := r.dialContext()
	poolKey := fmt.Sprintf("%p\x00%s\x00%v\x00%v\x00%s\x00%s\x00%d", r, strings.Join(brokers, ","), w.KafkaUseTLS, w.KafkaUseSASL,
		w.KafkaUsername, w.KafkaPassword, timeout)
	prod, release, err := kafkaProducers.get(poolKey, func(sarama.SyncProducer) bool { return true },
		func() (sarama.SyncProducer, error) {
			cfg := sarama.NewConfig()
			cfg.Version = sarama.V2_8_0_0
			cfg.ClientID = "mockarty-webhooks"
			cfg.Producer.Return.Successes = true
			cfg.Producer.RequiredAcks = sarama.WaitForAll
			cfg.Producer.Timeout = timeout
			cfg.Producer.Retry.Max = 1
			cfg.Metadata.Retry.Max = 1
			cfg.Metadata.Retry.Backoff = 100 * time.Millisecond
			cfg.Net.DialTimeout, cfg.Net.ReadTimeout, cfg.Net.WriteTimeout = timeout, timeout, timeout
			cfg.Net.Proxy.Enable = true
			cfg.Net.Proxy.Dialer = ctxDialer{dial: dial, timeout: timeout}
			if w.KafkaUseTLS {
				cfg.Net.TLS.Enable = true
				cfg.Net.TLS.Config = &tls.Config{MinVersion: tls.VersionTLS12}
			}
			if w.KafkaUseSASL {
				cfg.Net.SASL.Enable = true
				cfg.Net.SASL.Mechanism = sarama.SASLTypePlaintext
				cfg.Net.SASL.User, cfg.Net.SASL.Password = w.KafkaUsername, w.KafkaPassword
			}
			return sarama.NewSyncProducer(brokers, cfg)
		}, func(p sarama.SyncProducer) { _ = p.Close() })
	if err != nil {
		return fmt.Errorf("kafka %s: %w", strings.Join(brokers, ","), err)
	}
	msg := &sarama.ProducerMessage{Topic: w.KafkaTopic, Value: sarama.ByteEncoder(body)}
	if w.KafkaKey != "" {
		msg.Key = sarama.StringEncoder(w.KafkaKey)
	}
	for k, v := range w.Headers {
		msg.Headers = append(msg.Headers, sarama.RecordHeader{Key: []byte(k), Value: []byte(v)})
	}
	if ct := contentTypeOf(body); ct != "" && w.Headers["Content-Type"] == "" {
		msg.Headers = append(msg.Headers, sarama.RecordHeader{Key: []byte("Content-Type"), Value: []byte(ct)})
	}
	if w.Secret != "" {
		msg.Headers = append(msg.Headers, sarama.RecordHeader{Key: []byte(SignatureHeader), Value: []byte(webhookSignature(w.Secret, body))})
	}
	_, _, err = prod.SendMessage(msg)
	release(err != nil)
	if err != nil {
		return fmt.Errorf("kafka produce to %s: %w", w.KafkaTopic, err)
	}
	return nil
}

// ctxDialer adapts a context dialer to sarama's proxy.Dialer.
type ctxDialer struct {
	dial    func(ctx context.Context, network, addr string) (net.Conn, error)
	timeout time.Duration
}

func (d ctxDialer) Dial(network, addr string) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), d.timeout)
	defer cancel()
	return d.dial(ctx, network, addr)
}

// redactAMQP hides the password of an AMQP URL for logs.
func redactAMQP(raw string) string {
	u, err := amqp.ParseURI(raw)
	if err != nil {
		return "(invalid URL)"
	}
	if u.Password != "" {
		u.Password = "xxxxx"
	}
	return u.String()
}
