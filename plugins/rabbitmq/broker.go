package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mockarty-oss/mockarty/sdk/listen"
	amqp "github.com/rabbitmq/amqp091-go"
)

// broker is one AMQP connection, kept up with a reconnect backoff. A
// consuming broker (a server of the settings) consumes the queues its mocks
// need; an output broker (a mock's outputURL) only publishes replies.
type broker struct {
	l       *Listener
	name    string // the server name ("" for an output broker)
	url     string
	tls     *tls.Config
	consume bool

	wake    chan struct{} // desired queues changed, or a consumer ended
	done    chan struct{} // closed when run returns
	counter atomic.Uint64 // consumer tags

	mu        sync.Mutex
	desired   map[string]*queueSpec
	consumers map[string]*consumer
	errs      map[string]string // setup problems by queue
	pub       *publisher        // nil while disconnected
	up        chan struct{}     // closed while connected
	lastErr   string
	connected bool
}

func newBroker(l *Listener, name, url string, tlsCfg *tls.Config, consume bool) *broker {
	return &broker{l: l, name: name, url: url, tls: tlsCfg, consume: consume,
		wake: make(chan struct{}, 1), done: make(chan struct{}),
		consumers: map[string]*consumer{}, errs: map[string]string{}, up: make(chan struct{}),
		lastErr: "not connected yet"}
}

func (b *broker) label() string {
	if b.name != "" {
		return b.name
	}
	return redact(b.url)
}

// setDesired replaces the queues the broker consumes.
func (b *broker) setDesired(qs map[string]*queueSpec) {
	b.mu.Lock()
	b.desired = qs
	b.mu.Unlock()
	b.poke()
}

func (b *broker) poke() {
	select {
	case b.wake <- struct{}{}:
	default:
	}
}

func (b *broker) dial() (*amqp.Connection, error) {
	props := amqp.NewConnectionProperties()
	props.SetClientConnectionName(b.l.settings.ConnectionName + " (" + b.label() + ")")
	cfg := amqp.Config{Heartbeat: 10 * time.Second, Locale: "en_US", Properties: props,
		TLSClientConfig: b.tls, Dial: amqp.DefaultDial(10 * time.Second)}
	return amqp.DialConfig(b.url, cfg)
}

// run keeps the connection up until ctx ends.
func (b *broker) run(ctx context.Context) {
	defer close(b.done)
	minWait, maxWait := b.l.settings.backoff()
	wait := minWait
	failures := 0
	for {
		conn, err := b.dial()
		if err != nil {
			failures++
			b.setDown(err)
			if failures == 1 || failures%20 == 0 {
				b.l.log.Warn("broker unreachable; retrying", "server", b.label(), "error", err, "attempts", failures)
			}
			if !listen.Sleep(ctx, wait) {
				return
			}
			wait = min(wait*2, maxWait)
			continue
		}
		if failures > 0 {
			b.l.log.Info("broker connected", "server", b.label(), "after_attempts", failures)
		}
		failures, wait = 0, minWait
		closed := conn.NotifyClose(make(chan *amqp.Error, 1))
		b.setUp(conn)
		if !b.serve(ctx, conn, closed) {
			return
		}
	}
}

// serve consumes over one connection; false when ctx ended.
func (b *broker) serve(ctx context.Context, conn *amqp.Connection, closed <-chan *amqp.Error) bool {
	minWait, maxWait := b.l.settings.backoff()
	retryWait := minWait
	var retry <-chan time.Time
	reconcile := func() {
		if !b.consume {
			return
		}
		if b.reconcile(ctx, conn) {
			retry, retryWait = nil, minWait
			return
		}
		retry = time.After(retryWait)
		retryWait = min(retryWait*2, maxWait)
	}
	reconcile()
	for {
		select {
		case <-ctx.Done():
			b.shutdown(conn)
			return false
		case e := <-closed:
			err := error(errors.New("connection closed"))
			if e != nil {
				err = e
			}
			b.l.log.Warn("broker connection lost; reconnecting", "server", b.label(), "error", err)
			b.setDown(err)
			b.dropConsumers()
			return true
		case <-b.wake:
			reconcile()
		case <-retry:
			reconcile()
		}
	}
}

func (b *broker) setUp(conn *amqp.Connection) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.pub = newPublisher(b.l, conn)
	b.connected, b.lastErr = true, ""
	close(b.up)
}

func (b *broker) setDown(err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.connected {
		b.up = make(chan struct{})
	}
	b.pub, b.connected = nil, false
	if err != nil {
		b.lastErr = err.Error()
	}
}

// publisher waits until the broker is connected (or ctx ends).
func (b *broker) publisher(ctx context.Context) (*publisher, error) {
	for {
		b.mu.Lock()
		p, up, last := b.pub, b.up, b.lastErr
		b.mu.Unlock()
		if p != nil {
			return p, nil
		}
		select {
		case <-up:
		case <-ctx.Done():
			return nil, fmt.Errorf("broker %s is not connected (%s): %w", b.label(), last, errTransient)
		}
	}
}

// dropConsumers forgets the consumers of a lost connection: their
// unacknowledged messages go back to their queues at the broker.
func (b *broker) dropConsumers() {
	b.mu.Lock()
	list := b.consumers
	b.consumers = map[string]*consumer{}
	b.mu.Unlock()
	for _, c := range list {
		c.abandon()
	}
}

// reconcile makes the consumers match the desired queues; false when a
// queue could not be set up (it is retried).
func (b *broker) reconcile(ctx context.Context, conn *amqp.Connection) bool {
	b.mu.Lock()
	desired := b.desired
	current := make(map[string]*consumer, len(b.consumers))
	for k, v := range b.consumers {
		current[k] = v
	}
	b.mu.Unlock()
	ok := true
	for name, c := range current {
		if _, want := desired[name]; !want || c.ended() {
			c.retire()
			b.mu.Lock()
			delete(b.consumers, name)
			delete(b.errs, name)
			b.mu.Unlock()
			if want {
				b.l.log.Warn("consumer ended; subscribing again", "server", b.label(), "queue", name, "reason", c.endReason())
			}
		}
	}
	names := make([]string, 0, len(desired))
	for n := range desired {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		spec := desired[name]
		b.mu.Lock()
		c := b.consumers[name]
		b.mu.Unlock()
		if c != nil {
			c.spec.Store(spec)
			if err := b.bindAll(conn, spec, c.bound); err != nil {
				b.setQueueErr(name, err)
				ok = false
			}
			continue
		}
		c, err := b.subscribe(ctx, conn, spec)
		if err != nil {
			if b.setQueueErr(name, err) {
				b.l.log.Warn("cannot consume queue; retrying", "server", b.label(), "queue", name, "error", err)
			}
			ok = false
			continue
		}
		b.mu.Lock()
		b.consumers[name] = c
		delete(b.errs, name)
		b.mu.Unlock()
	}
	return ok
}

// setQueueErr records a queue's setup problem; true when it is a new one.
func (b *broker) setQueueErr(queue string, err error) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	changed := b.errs[queue] != err.Error()
	b.errs[queue] = err.Error()
	return changed
}

// subscribe declares what a queue needs and starts consuming it.
func (b *broker) subscribe(ctx context.Context, conn *amqp.Connection, spec *queueSpec) (*consumer, error) {
	var args amqp.Table
	if spec.Own && b.l.settings.QueueExpiresMs > 0 {
		args = amqp.Table{"x-expires": b.l.settings.QueueExpiresMs}
	}
	if err := ensureQueue(conn, spec.Name, *b.l.settings.Declare, args); err != nil {
		return nil, err
	}
	bound := map[binding]bool{}
	if err := b.bindAll(conn, spec, bound); err != nil {
		return nil, err
	}
	ch, err := conn.Channel()
	if err != nil {
		return nil, err
	}
	if err := ch.Qos(b.l.settings.Prefetch, 0, false); err != nil {
		_ = ch.Close()
		return nil, fmt.Errorf("qos: %w", err)
	}
	tag := "mockarty-" + strconv.FormatUint(b.counter.Add(1), 10)
	deliveries, err := ch.Consume(spec.Name, tag, false, false, false, false, nil)
	if err != nil {
		_ = ch.Close()
		return nil, fmt.Errorf("consume: %w", err)
	}
	c := newConsumer(context.WithoutCancel(ctx), b, ch, tag, spec, bound)
	go c.loop(deliveries)
	b.l.log.Debug("consuming", "server", b.label(), "queue", spec.Name, "bindings", len(spec.Bindings))
	return c, nil
}

// bindAll binds the queue with the bindings not bound yet.
func (b *broker) bindAll(conn *amqp.Connection, spec *queueSpec, bound map[binding]bool) error {
	for _, bd := range spec.Bindings {
		if bound[bd] {
			continue
		}
		if err := ensureExchange(conn, bd.Exchange, *b.l.settings.Declare, b.l.settings.ExchangeType); err != nil {
			return err
		}
		ch, err := conn.Channel()
		if err != nil {
			return err
		}
		err = ch.QueueBind(spec.Name, bd.Key, bd.Exchange, false, nil)
		_ = ch.Close()
		if err != nil {
			return fmt.Errorf("bind queue %s to exchange %s with key %q: %w", spec.Name, bd.Exchange, bd.Key, err)
		}
		bound[bd] = true
	}
	return nil
}

// shutdown stops consuming, lets the messages in hand finish (up to a
// bound), and closes the connection.
func (b *broker) shutdown(conn *amqp.Connection) {
	b.mu.Lock()
	list := b.consumers
	b.consumers = map[string]*consumer{}
	b.mu.Unlock()
	var wg sync.WaitGroup
	for _, c := range list {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.stopNow(5 * time.Second)
		}()
	}
	wg.Wait()
	b.setDown(errors.New("stopped"))
	_ = conn.CloseDeadline(time.Now().Add(5 * time.Second))
}

// status is what the status action reports of a broker.
func (b *broker) status() map[string]any {
	b.mu.Lock()
	defer b.mu.Unlock()
	queues := []map[string]any{}
	names := make([]string, 0, len(b.desired))
	for n := range b.desired {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		spec := b.desired[n]
		q := map[string]any{"queue": n, "own": spec.Own, "consuming": b.consumers[n] != nil && !b.consumers[n].ended(),
			"mocks": mockIDs(spec.Mocks)}
		var bs []string
		for _, bd := range spec.Bindings {
			bs = append(bs, bd.Exchange+"/"+bd.Key)
		}
		if len(bs) > 0 {
			q["bindings"] = bs
		}
		if e := b.errs[n]; e != "" {
			q["error"] = e
		}
		queues = append(queues, q)
	}
	out := map[string]any{"url": redact(b.url), "connected": b.connected, "queues": queues}
	if b.lastErr != "" && !b.connected {
		out["lastError"] = b.lastErr
	}
	return out
}

// problem is the broker's trouble, "" when it is fine.
func (b *broker) problem() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.connected {
		return fmt.Sprintf("broker %s (%s) is not connected: %s", b.label(), redact(b.url), b.lastErr)
	}
	names := make([]string, 0, len(b.errs))
	for n := range b.errs {
		names = append(names, n)
	}
	sort.Strings(names)
	if len(names) > 0 {
		return fmt.Sprintf("broker %s: queue %s: %s", b.label(), names[0], b.errs[names[0]])
	}
	return ""
}

// ensureQueue makes sure a queue exists: an existing one is used as it is
// (whatever its arguments), a missing one is declared durable.
func ensureQueue(conn *amqp.Connection, name string, declare bool, args amqp.Table) error {
	ch, err := conn.Channel()
	if err != nil {
		return err
	}
	_, err = ch.QueueDeclarePassive(name, true, false, false, false, nil)
	_ = ch.Close()
	if err == nil {
		return nil
	}
	if !isCode(err, amqp.NotFound) {
		return fmt.Errorf("queue %s: %w", name, err)
	}
	if !declare {
		return fmt.Errorf("queue %s does not exist (declare is off)", name)
	}
	ch, err = conn.Channel()
	if err != nil {
		return err
	}
	defer ch.Close()
	if _, err := ch.QueueDeclare(name, true, false, false, false, args); err != nil {
		return fmt.Errorf("declare queue %s: %w", name, err)
	}
	return nil
}

// ensureExchange makes sure an exchange exists, declaring a missing one
// durable of the given type.
func ensureExchange(conn *amqp.Connection, name string, declare bool, kind string) error {
	if name == "" {
		return nil // the default exchange
	}
	ch, err := conn.Channel()
	if err != nil {
		return err
	}
	err = ch.ExchangeDeclarePassive(name, kind, true, false, false, false, nil)
	_ = ch.Close()
	if err == nil {
		return nil
	}
	if !isCode(err, amqp.NotFound) {
		return fmt.Errorf("exchange %s: %w", name, err)
	}
	if !declare {
		return fmt.Errorf("exchange %s does not exist (declare is off)", name)
	}
	ch, err = conn.Channel()
	if err != nil {
		return err
	}
	defer ch.Close()
	if err := ch.ExchangeDeclare(name, kind, true, false, false, false, nil); err != nil {
		return fmt.Errorf("declare exchange %s: %w", name, err)
	}
	return nil
}

func isCode(err error, code int) bool {
	var e *amqp.Error
	return errors.As(err, &e) && e.Code == code
}
