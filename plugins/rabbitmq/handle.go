package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/mockarty-oss/mockarty/sdk"
	"github.com/mockarty-oss/mockarty/sdk/find"
	"github.com/mockarty-oss/mockarty/sdk/listen"
	amqp "github.com/rabbitmq/amqp091-go"
)

// How a message is handled (the delivery guarantee):
//
//  1. The host resolves it (FindRabbitMQ). No mock: the host records an
//     undefined request and the message is acknowledged, so it is never
//     redelivered. The host unreachable: the message is requeued. The host
//     refusing the message itself (sdk.ErrInvalidInput): it is rejected
//     without requeueing.
//  2. The mock's delay is waited; a mock error rejects the message without
//     requeueing (it goes to the queue's dead-letter exchange, if any).
//  3. The reply is published with a publisher confirm, and only then is the
//     request acknowledged. If the connection drops before the ack reaches
//     the broker, the broker redelivers the request and it is answered
//     again: replies are at least once. A redelivered request whose
//     messageId (or correlationId) this process has already answered is
//     acknowledged without a second reply, and every reply's messageId is
//     derived from the request's, so a consumer that deduplicates by
//     messageId sees each reply once.

const publishAttempts = 3

func (b *broker) handle(c *consumer, d amqp.Delivery) {
	l := b.l
	spec := c.spec.Load()
	key := dedupeKey(b.name, spec.Name, &d)
	if d.Redelivered && key != "" && l.replied.has(key) {
		b.ack(&d, spec.Name)
		return
	}
	ctx := c.ctx
	queue, exchange, routingKey := spec.findKeys()
	req := &find.RabbitMQRequest{Namespace: l.settings.Namespace, ServerName: b.name, Queue: queue,
		Exchange: exchange, RoutingKey: routingKey, Headers: headerStrings(d.Headers), Data: find.DataOf(d.Body)}
	resp, err := l.host.FindRabbitMQ(ctx, req)
	var miss *sdk.NoMatch
	switch {
	case errors.As(err, &miss):
		l.log.Debug("no mock matches the message; it was recorded as an undefined request", "queue", spec.Name, "error", miss.Message)
		b.ack(&d, spec.Name)
		return
	case errors.Is(err, sdk.ErrInvalidInput):
		// The host refuses the message itself (nested too deep, say): it
		// would be refused on every delivery, so it is rejected without
		// requeueing (to the queue's dead-letter exchange, if any).
		l.log.Warn("the host refuses the message; it is rejected", "queue", spec.Name, "error", err)
		if err := d.Nack(false, false); err != nil {
			l.log.Debug("reject failed (the broker redelivers the message)", "queue", spec.Name, "error", err)
		}
		return
	case err != nil:
		if ctx.Err() == nil {
			l.log.Warn("the host did not answer; the message is requeued", "queue", spec.Name, "error", err)
			listen.Sleep(ctx, time.Second)
		}
		b.requeue(&d, spec.Name)
		return
	}
	if resp.Delay > 0 && !listen.Sleep(ctx, time.Duration(resp.Delay)*time.Millisecond) {
		b.requeue(&d, spec.Name)
		return
	}
	if resp.Error != nil {
		l.log.Info("the mock answers with an error: the message is rejected", "queue", spec.Name, "error", resp.Error.Message)
		if err := d.Nack(false, false); err != nil {
			l.log.Debug("reject failed (the broker redelivers the message)", "queue", spec.Name, "error", err)
		}
		return
	}
	// The host's answer names where the reply goes (the matched mock's outputs).
	out := outputFrom(resp.OutputURL, resp.OutputExchange, resp.OutputRoutingKey, resp.OutputQueue)
	target, exchangeOut, keyOut, declareQueue := b, "", "", ""
	switch {
	case !out.none():
		exchangeOut, keyOut = out.Exchange, out.RoutingKey
		if out.Queue {
			declareQueue = keyOut
		}
		if out.URL != "" {
			target = l.outputBroker(out.URL)
		}
	case d.ReplyTo != "":
		keyOut = d.ReplyTo // RPC: the default exchange routes to the reply queue
	default:
		b.ack(&d, spec.Name) // a mock without a reply: consumed
		return
	}
	msg := replyMessage(resp, &d, b.name, spec.Name)
	if err := b.publishReply(ctx, c, target, exchangeOut, keyOut, declareQueue, msg); err != nil {
		switch {
		case ctx.Err() != nil || c.ch.IsClosed():
			// The connection went away: the broker redelivers the request.
			b.requeue(&d, spec.Name)
		case permanent(err):
			l.log.Error("the reply cannot be published: the request is rejected", "queue", spec.Name,
				"exchange", exchangeOut, "routing_key", keyOut, "error", err)
			_ = d.Nack(false, false)
		default:
			l.log.Warn("the reply could not be published; the request is requeued", "queue", spec.Name,
				"exchange", exchangeOut, "routing_key", keyOut, "error", err)
			listen.Sleep(ctx, time.Second)
			b.requeue(&d, spec.Name)
		}
		return
	}
	if key != "" {
		l.replied.add(key)
	}
	b.ack(&d, spec.Name)
}

// publishReply publishes with confirms, retrying transient failures.
func (b *broker) publishReply(ctx context.Context, c *consumer, target *broker, exchange, key, declareQueue string, msg amqp.Publishing) error {
	timeout := time.Duration(b.l.settings.ConfirmTimeoutMs) * time.Millisecond
	var err error
	for attempt := 0; attempt < publishAttempts; attempt++ {
		if attempt > 0 && !listen.Sleep(ctx, time.Duration(attempt)*200*time.Millisecond) {
			return ctx.Err()
		}
		if c.ch.IsClosed() {
			return errors.New("the request's channel closed")
		}
		actx, cancel := context.WithTimeout(ctx, timeout)
		var p *publisher
		if p, err = target.publisher(actx); err == nil {
			err = p.publish(actx, exchange, key, declareQueue, msg)
		}
		cancel()
		if err == nil || permanent(err) {
			return err
		}
	}
	return err
}

func (b *broker) ack(d *amqp.Delivery, queue string) {
	if err := d.Ack(false); err != nil {
		b.l.log.Debug("ack failed (the broker redelivers the message)", "queue", queue, "error", err)
	}
}

func (b *broker) requeue(d *amqp.Delivery, queue string) {
	if err := d.Nack(false, true); err != nil {
		b.l.log.Debug("requeue failed (the broker redelivers the message)", "queue", queue, "error", err)
	}
}

// replyMessage builds the reply from the host's answer and the request.
func replyMessage(resp *find.RabbitMQResponse, d *amqp.Delivery, server, queue string) amqp.Publishing {
	body, contentType := replyBody(resp.Data)
	msg := amqp.Publishing{Body: body, ContentType: contentType, DeliveryMode: d.DeliveryMode,
		CorrelationId: d.CorrelationId, Timestamp: time.Now()}
	if p := resp.OutputProps; p != nil {
		if p.ContentType != "" {
			msg.ContentType = p.ContentType
		}
		if p.DeliveryMode == 1 || p.DeliveryMode == 2 {
			msg.DeliveryMode = uint8(p.DeliveryMode)
		}
		if p.CorrelationID != "" {
			msg.CorrelationId = p.CorrelationID
		}
		if p.Priority > 0 && p.Priority <= 255 {
			msg.Priority = uint8(p.Priority)
		}
		msg.ReplyTo, msg.MessageId, msg.Type, msg.AppId = p.ReplyTo, p.MessageID, p.Type, p.AppID
	}
	if msg.MessageId == "" {
		msg.MessageId = replyID(server, queue, d)
	}
	if len(resp.OutputHeaders) > 0 {
		msg.Headers = amqp.Table{}
		for k, v := range resp.OutputHeaders {
			msg.Headers[k] = v
		}
	}
	return msg
}

// replyBody: a JSON string is sent as its text, other JSON as it is.
func replyBody(data json.RawMessage) ([]byte, string) {
	if len(data) == 0 || string(data) == "null" {
		return nil, ""
	}
	if data[0] == '"' {
		var s string
		if json.Unmarshal(data, &s) == nil {
			return []byte(s), "text/plain"
		}
	}
	return []byte(data), "application/json"
}

// replyID is the reply's messageId: derived from the request's messageId
// or correlationId, so a redelivered request's reply has the same id.
func replyID(server, queue string, d *amqp.Delivery) string {
	var src string
	switch {
	case d.MessageId != "":
		src = "m:" + d.MessageId
	case d.CorrelationId != "":
		src = "c:" + d.CorrelationId
	default:
		var b [16]byte
		_, _ = rand.Read(b[:])
		return "mockarty-" + hex.EncodeToString(b[:])
	}
	sum := sha256.Sum256([]byte(server + "\x00" + queue + "\x00" + src))
	return "mockarty-" + hex.EncodeToString(sum[:16])
}

// dedupeKey identifies a request across redeliveries ("" when it carries
// neither a messageId nor a correlationId).
func dedupeKey(server, queue string, d *amqp.Delivery) string {
	switch {
	case d.MessageId != "":
		return server + "\x00" + queue + "\x00m:" + d.MessageId
	case d.CorrelationId != "":
		return server + "\x00" + queue + "\x00c:" + d.CorrelationId
	}
	return ""
}

// headerStrings turns AMQP headers into the strings the find contract has.
func headerStrings(t amqp.Table) map[string]string {
	if len(t) == 0 {
		return nil
	}
	out := make(map[string]string, len(t))
	for k, v := range t {
		out[k] = headerString(v)
	}
	return out
}

func headerString(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case []byte:
		return string(x)
	case bool:
		return strconv.FormatBool(x)
	case time.Time:
		return x.UTC().Format(time.RFC3339)
	case amqp.Decimal:
		return decimalString(x)
	case amqp.Table, []any:
		b, err := json.Marshal(normalise(x))
		if err != nil {
			return fmt.Sprint(x)
		}
		return string(b)
	}
	return fmt.Sprint(v)
}

// normalise makes nested tables encodable as JSON.
func normalise(v any) any {
	switch x := v.(type) {
	case amqp.Table:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = normalise(e)
		}
		return m
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = normalise(e)
		}
		return out
	case []byte:
		return string(x)
	case amqp.Decimal:
		return decimalString(x)
	}
	return v
}

// decimalString writes an AMQP decimal (value / 10^scale) exactly.
func decimalString(d amqp.Decimal) string {
	neg := d.Value < 0
	digits := strconv.FormatInt(int64(d.Value), 10)
	if neg {
		digits = digits[1:]
	}
	scale := int(d.Scale)
	if scale > 0 {
		for len(digits) <= scale {
			digits = "0" + digits
		}
		digits = digits[:len(digits)-scale] + "." + digits[len(digits)-scale:]
	}
	if neg {
		return "-" + digits
	}
	return digits
}
