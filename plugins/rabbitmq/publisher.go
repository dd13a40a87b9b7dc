package main

import (
	"context"
	"errors"
	"fmt"
	"sync"

	amqp "github.com/rabbitmq/amqp091-go"
)

// errTransient marks failures worth retrying (the broker or channel went
// away, a confirm timed out or was negative).
var errTransient = errors.New("transient")

// publisher publishes replies on one connection through a channel in
// confirm mode, shared by every handler (amqp091 serialises publishes on a
// channel; confirms are waited for one by one).
type publisher struct {
	l    *Listener
	conn *amqp.Connection

	mu       sync.Mutex
	ch       *amqp.Channel
	chClosed chan *amqp.Error
	ensured  map[string]bool // exchanges and queues known to exist
}

func newPublisher(l *Listener, conn *amqp.Connection) *publisher {
	return &publisher{l: l, conn: conn, ensured: map[string]bool{}}
}

func (p *publisher) channel() (*amqp.Channel, chan *amqp.Error, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ch != nil && !p.ch.IsClosed() {
		return p.ch, p.chClosed, nil
	}
	ch, err := p.conn.Channel()
	if err != nil {
		return nil, nil, fmt.Errorf("open a channel: %v: %w", err, errTransient)
	}
	if err := ch.Confirm(false); err != nil {
		_ = ch.Close()
		return nil, nil, fmt.Errorf("confirm mode: %v: %w", err, errTransient)
	}
	returns := ch.NotifyReturn(make(chan amqp.Return, 16))
	go func() {
		for r := range returns {
			p.l.log.Warn("a reply was unroutable: no queue is bound for it", "exchange", r.Exchange, "routing_key", r.RoutingKey,
				"reply", r.ReplyText, "correlation_id", r.CorrelationId, "message_id", r.MessageId)
		}
	}()
	p.ch, p.chClosed = ch, ch.NotifyClose(make(chan *amqp.Error, 1))
	return ch, p.chClosed, nil
}

// ensure makes sure a destination exists once per connection.
func (p *publisher) ensure(key string, fn func() error) error {
	p.mu.Lock()
	ok := p.ensured[key]
	p.mu.Unlock()
	if ok {
		return nil
	}
	if err := fn(); err != nil {
		return err
	}
	p.mu.Lock()
	p.ensured[key] = true
	p.mu.Unlock()
	return nil
}

// publish sends msg and waits for the broker's confirm. An output queue
// (declareQueue) or exchange is created first when missing and allowed.
func (p *publisher) publish(ctx context.Context, exchange, key, declareQueue string, msg amqp.Publishing) error {
	s := p.l.settings
	if exchange != "" {
		if err := p.ensure("x:"+exchange, func() error { return ensureExchange(p.conn, exchange, *s.Declare, s.ExchangeType) }); err != nil {
			return err
		}
	}
	if declareQueue != "" {
		if err := p.ensure("q:"+declareQueue, func() error { return ensureQueue(p.conn, declareQueue, *s.Declare, nil) }); err != nil {
			return err
		}
	}
	ch, closed, err := p.channel()
	if err != nil {
		return err
	}
	dc, err := ch.PublishWithDeferredConfirmWithContext(ctx, exchange, key, true, false, msg)
	if err != nil {
		return fmt.Errorf("publish: %v: %w", err, errTransient)
	}
	acked, err := dc.WaitContext(ctx)
	if err != nil {
		return fmt.Errorf("no confirm from the broker: %v: %w", err, errTransient)
	}
	if !acked {
		// A channel error (an exchange deleted meanwhile) nacks what was in flight.
		select {
		case e := <-closed:
			if e != nil {
				return fmt.Errorf("publish: %w", e)
			}
		default:
		}
		return fmt.Errorf("the broker did not confirm the reply: %w", errTransient)
	}
	return nil
}

// permanent reports a failure no retry will fix (access refused, a missing
// destination with declare off, a precondition failed).
func permanent(err error) bool {
	if errors.Is(err, errTransient) {
		return false
	}
	var e *amqp.Error
	if errors.As(err, &e) {
		switch e.Code {
		case amqp.AccessRefused, amqp.NotFound, amqp.PreconditionFailed, amqp.ResourceLocked, amqp.NotAllowed:
			return true
		}
		return false
	}
	return err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded)
}
