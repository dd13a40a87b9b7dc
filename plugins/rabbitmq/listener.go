package main

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/mockarty-oss/mockarty/sdk"
	"github.com/mockarty-oss/mockarty/sdk/listen"
	amqp "github.com/rabbitmq/amqp091-go"
)

// Listener consumes the queues of a namespace's RabbitMQ mocks and
// publishes their replies.
type Listener struct {
	mu       sync.Mutex
	settings *Settings
	host     sdk.Host
	log      hclog.Logger
	replied  *replied

	base     context.Context
	cancel   context.CancelFunc
	brokers  map[string]*broker // consuming brokers by server name
	outputs  map[string]*runningBroker
	skipped  []string
	listErr  string
	watchers sync.WaitGroup
}

// runningBroker is an output broker with its own stop.
type runningBroker struct {
	b    *broker
	stop context.CancelFunc
}

// Info describes the plugin.
func (l *Listener) Info() sdk.Info {
	return sdk.Info{Name: "rabbitmq", Kind: sdk.KindListener, Version: "1.0.0", Protocols: []string{"rabbitmq"},
		Description: "Consumes the queues of a namespace's RabbitMQ mocks and publishes their replies " +
			"(to the mock's output, or to the request's replyTo).",
		SettingsSchema: json.RawMessage(settingsSchema)}
}

// Configure reads the settings (validated by the host against the schema).
func (l *Listener) Configure(_ context.Context, raw json.RawMessage) error {
	s, err := parseSettings(raw)
	if err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.base != nil {
		return errors.New("the plugin is already started")
	}
	l.settings = s
	return nil
}

// Start connects to the brokers in the background (an unreachable broker
// is retried; the plugin starts anyway), reads the mocks and follows their
// changes.
func (l *Listener) Start(_ context.Context, host sdk.Host) ([]string, error) {
	l.mu.Lock()
	if l.base != nil {
		l.mu.Unlock()
		return nil, errors.New("the plugin is already started")
	}
	if l.settings == nil {
		s, err := parseSettings(nil)
		if err != nil {
			l.mu.Unlock()
			return nil, err
		}
		l.settings = s
	}
	l.host, l.log, l.replied = host, sdk.Logger().Named("rabbitmq"), newReplied(10_000)
	l.base, l.cancel = context.WithCancel(context.Background())
	l.brokers, l.outputs = map[string]*broker{}, map[string]*runningBroker{}
	var addrs []string
	for _, name := range l.settings.serverNames() {
		srv := l.settings.Servers[name]
		b := newBroker(l, name, srv.URL, amqpTLS(srv), true)
		l.brokers[name] = b
		addrs = append(addrs, redact(srv.URL))
		go b.run(l.base)
	}
	base := l.base
	l.mu.Unlock()

	// Watch before listing: no change between the two is missed.
	changes, err := host.Watch(base, []string{sdk.MocksTopic("rabbitmq")})
	if err != nil {
		l.cancel()
		return nil, fmt.Errorf("watch the mocks: %w", err)
	}
	if err := l.refresh(base); err != nil {
		l.cancel()
		return nil, fmt.Errorf("list the mocks: %w", err)
	}
	l.watchers.Add(1)
	go l.follow(base, changes)
	return addrs, nil
}

func amqpTLS(srv ServerSettings) *tls.Config {
	if srv.TLS == nil {
		return nil
	}
	cfg, err := srv.TLS.Config() // checked in Configure
	if err != nil {
		return nil
	}
	return cfg
}

// follow re-reads the mocks on every change until ctx ends; a broken watch
// is opened again.
func (l *Listener) follow(ctx context.Context, changes <-chan []string) {
	defer l.watchers.Done()
	var retry <-chan time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case _, ok := <-changes:
			if !ok {
				changes = l.rewatch(ctx)
				if changes == nil {
					return
				}
			}
			if l.refresh(ctx) != nil {
				retry = time.After(time.Second)
			}
		case <-retry:
			retry = nil
			if l.refresh(ctx) != nil {
				retry = time.After(time.Second)
			}
		}
	}
}

func (l *Listener) rewatch(ctx context.Context) <-chan []string {
	wait := 100 * time.Millisecond
	for {
		if !listen.Sleep(ctx, wait) {
			return nil
		}
		ch, err := l.host.Watch(ctx, []string{sdk.MocksTopic("rabbitmq")})
		if err == nil {
			return ch
		}
		l.log.Warn("watching the mocks failed; retrying", "error", err)
		wait = min(wait*2, 10*time.Second)
	}
}

// refresh lists the mocks and gives each broker its queues.
func (l *Listener) refresh(ctx context.Context) error {
	mocks, err := l.host.ListMocks(ctx, "rabbitmq", l.settings.Namespace)
	if err != nil {
		if ctx.Err() == nil {
			l.log.Warn("listing the mocks failed", "error", err)
		}
		l.mu.Lock()
		l.listErr = err.Error()
		l.mu.Unlock()
		return err
	}
	p := buildPlan(l.settings.Namespace, sdk.NewServerSet(l.settings.serverList()), mocks)
	l.mu.Lock()
	before := strings.Join(l.skipped, "\n")
	l.skipped, l.listErr = p.Skipped, ""
	brokers := l.brokers
	used := map[string]bool{}
	for _, queues := range p.Queues {
		for _, q := range queues {
			for _, m := range q.Mocks {
				if m.Out.URL != "" {
					used[m.Out.URL] = true
				}
			}
		}
	}
	var stale []*runningBroker
	for url, ob := range l.outputs {
		if !used[url] {
			stale = append(stale, ob)
			delete(l.outputs, url)
		}
	}
	l.mu.Unlock()
	if strings.Join(p.Skipped, "\n") != before {
		for _, s := range p.Skipped {
			l.log.Warn("mock not consumed", "reason", s)
		}
	}
	for name, b := range brokers {
		b.setDesired(p.Queues[name])
	}
	for _, ob := range stale {
		ob.stop()
	}
	return nil
}

// outputBroker is the broker of a mock's outputURL: a configured server's
// when the URL is one, else a publishing connection of its own.
func (l *Listener) outputBroker(url string) *broker {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, name := range l.settings.serverNames() {
		if sameURL(l.settings.Servers[name].URL, url) {
			return l.brokers[name]
		}
	}
	if ob := l.outputs[url]; ob != nil {
		return ob.b
	}
	ctx, stop := context.WithCancel(l.base)
	b := newBroker(l, "", url, nil, false)
	l.outputs[url] = &runningBroker{b: b, stop: stop}
	go b.run(ctx)
	return b
}

func sameURL(a, b string) bool {
	if a == b {
		return true
	}
	ua, errA := amqp.ParseURI(a)
	ub, errB := amqp.ParseURI(b)
	return errA == nil && errB == nil && ua.String() == ub.String()
}

// Health reports the plugin's trouble. Brokers that are down only count
// with strictHealth: the plugin keeps retrying them, and a failed health
// check makes the host restart it (and give up after a few restarts).
func (l *Listener) Health(context.Context) error {
	l.mu.Lock()
	started, strict := l.base != nil, l.settings != nil && l.settings.StrictHealth
	brokers, listErr := l.brokers, l.listErr
	l.mu.Unlock()
	if !started {
		return errors.New("not started")
	}
	if !strict {
		return nil
	}
	var problems []string
	if listErr != "" {
		problems = append(problems, "listing the mocks: "+listErr)
	}
	for _, name := range l.settings.serverNames() {
		if p := brokers[name].problem(); p != "" {
			problems = append(problems, p)
		}
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "; "))
	}
	return nil
}

// Call offers the "status" action: each broker's connection and queues,
// and the mocks that are not consumed.
func (l *Listener) Call(_ context.Context, action string, _ json.RawMessage) (json.RawMessage, error) {
	if action != "status" {
		return nil, sdk.ErrUnknownAction
	}
	l.mu.Lock()
	if l.base == nil {
		l.mu.Unlock()
		return nil, errors.New("not started")
	}
	brokers := l.brokers
	outputs := make(map[string]*broker, len(l.outputs))
	for url, ob := range l.outputs {
		outputs[redact(url)] = ob.b
	}
	skipped, listErr := append([]string{}, l.skipped...), l.listErr
	l.mu.Unlock()
	servers := map[string]any{}
	for name, b := range brokers {
		servers[name] = b.status()
	}
	outs := map[string]any{}
	for url, b := range outputs {
		st := b.status()
		delete(st, "queues")
		outs[url] = st
	}
	out := map[string]any{"namespace": l.settings.Namespace, "servers": servers, "outputs": outs, "skipped": skipped}
	if listErr != "" {
		out["listError"] = listErr
	}
	return json.Marshal(out)
}

// Stop stops consuming (messages in hand get a few seconds to finish;
// the rest are requeued) and closes the connections.
func (l *Listener) Stop(ctx context.Context) error {
	l.mu.Lock()
	cancel := l.cancel
	var all []*broker
	for _, b := range l.brokers {
		all = append(all, b)
	}
	for _, ob := range l.outputs {
		all = append(all, ob.b)
	}
	l.mu.Unlock()
	if cancel == nil {
		return nil
	}
	cancel()
	l.watchers.Wait()
	for _, b := range all {
		select {
		case <-b.done:
		case <-ctx.Done():
			return fmt.Errorf("stop: %w", ctx.Err())
		}
	}
	return nil
}
