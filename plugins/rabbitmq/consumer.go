package main

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// consumer consumes one queue on its own channel. Each message is handled
// in its own goroutine; the channel's prefetch bounds how many at once.
type consumer struct {
	b     *broker
	ch    *amqp.Channel
	tag   string
	spec  atomic.Pointer[queueSpec]
	bound map[binding]bool // touched only by the broker's loop

	// ctx is the handlers' context: cancelled when the connection is lost
	// or the plugin stops, so that delays and host calls end early.
	ctx      context.Context
	cancel   context.CancelFunc
	handlers sync.WaitGroup
	loopDone chan struct{}
	retiring atomic.Bool
	closeErr atomic.Pointer[amqp.Error]
}

func newConsumer(parent context.Context, b *broker, ch *amqp.Channel, tag string, spec *queueSpec, bound map[binding]bool) *consumer {
	c := &consumer{b: b, ch: ch, tag: tag, bound: bound, loopDone: make(chan struct{})}
	c.ctx, c.cancel = context.WithCancel(parent)
	c.spec.Store(spec)
	closed := ch.NotifyClose(make(chan *amqp.Error, 1))
	go func() {
		if e, ok := <-closed; ok && e != nil {
			c.closeErr.Store(e)
		}
	}()
	return c
}

func (c *consumer) loop(deliveries <-chan amqp.Delivery) {
	defer close(c.loopDone)
	for d := range deliveries {
		c.handlers.Add(1)
		go func() {
			defer c.handlers.Done()
			c.b.handle(c, d)
		}()
	}
	if !c.retiring.Load() {
		c.b.poke() // the broker cancelled the consumer or closed the channel: subscribe again
	}
}

func (c *consumer) ended() bool {
	select {
	case <-c.loopDone:
		return true
	default:
		return false
	}
}

func (c *consumer) endReason() string {
	if e := c.closeErr.Load(); e != nil {
		return e.Error()
	}
	return "the broker cancelled the consumer"
}

// retire stops deliveries; messages in hand finish, then the channel closes.
func (c *consumer) retire() {
	c.retiring.Store(true)
	go func() {
		_ = c.ch.Cancel(c.tag, false)
		<-c.loopDone
		c.handlers.Wait()
		c.cancel()
		_ = c.ch.Close()
	}()
}

// abandon: the connection is gone, so are the deliveries in hand (the
// broker gives them to the next consumer); their handlers stop early.
func (c *consumer) abandon() {
	c.retiring.Store(true)
	c.cancel()
}

// stopNow stops deliveries, gives the messages in hand grace to finish,
// then cancels the rest (they are requeued) and closes the channel.
func (c *consumer) stopNow(grace time.Duration) {
	c.retiring.Store(true)
	_ = c.ch.Cancel(c.tag, false)
	finished := make(chan struct{})
	go func() {
		c.handlers.Wait()
		close(finished)
	}()
	select {
	case <-finished:
	case <-time.After(grace):
		c.cancel()
		<-finished
	}
	c.cancel()
	_ = c.ch.Close()
}
