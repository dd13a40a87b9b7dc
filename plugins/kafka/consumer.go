package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/IBM/sarama"
)

// groupConsumer is one consumer group of one cluster, consuming the topics
// of the mocks that use it. A change of topics ends the group session and
// joins again with the new ones.
type groupConsumer struct {
	l   *Listener
	c   *cluster
	id  string
	mu  sync.Mutex
	ts  []string
	end context.CancelFunc // ends the current session
	// lifetime
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}
}

func newGroupConsumer(parent context.Context, l *Listener, c *cluster, id string, topics []string) *groupConsumer {
	ctx, cancel := context.WithCancel(parent)
	return &groupConsumer{l: l, c: c, id: id, ts: topics, ctx: ctx, cancel: cancel, done: make(chan struct{})}
}

// setTopics changes the topics; the session in progress ends.
func (g *groupConsumer) setTopics(topics []string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if strings.Join(topics, "\x00") == strings.Join(g.ts, "\x00") {
		return
	}
	g.ts = topics
	if g.end != nil {
		g.end()
	}
	g.l.log.Info("consuming", "cluster", g.c.name, "group", g.id, "topics", strings.Join(topics, ","))
}

func (g *groupConsumer) stop() { g.cancel() }

// run consumes until stop or until the listener stops; offsets marked are
// committed when it returns.
func (g *groupConsumer) run() {
	defer close(g.done)
	ctx := g.ctx
	defer g.cancel()

	var client sarama.Client
	var cg sarama.ConsumerGroup
	backoff := 100 * time.Millisecond
	lastErr := ""
	fail := func(what string, err error) bool {
		if ctx.Err() != nil {
			return false
		}
		if err.Error() != lastErr {
			lastErr = err.Error()
			g.l.log.Warn(what, "cluster", g.c.name, "group", g.id, "error", err)
		}
		select {
		case <-time.After(backoff):
		case <-ctx.Done():
			return false
		}
		backoff = min(backoff*2, 5*time.Second)
		return true
	}
	for ctx.Err() == nil {
		var err error
		if client, err = sarama.NewClient(g.c.brokers, g.c.cfg); err == nil {
			if cg, err = sarama.NewConsumerGroupFromClient(g.id, client); err == nil {
				break
			}
			_ = client.Close()
		}
		if !fail("connect the consumer group", err) {
			return
		}
	}
	if cg == nil {
		return
	}
	defer func() {
		if err := cg.Close(); err != nil {
			g.l.log.Warn("close the consumer group", "cluster", g.c.name, "group", g.id, "error", err)
		}
		_ = client.Close()
	}()
	go func() {
		for err := range cg.Errors() {
			g.l.log.Warn("consumer group", "cluster", g.c.name, "group", g.id, "error", err)
		}
	}()
	h := &groupHandler{g: g, client: client}
	for ctx.Err() == nil {
		g.mu.Lock()
		want := g.ts
		sctx, end := context.WithCancel(ctx)
		g.end = end
		g.mu.Unlock()
		// Topics that do not exist (not created, and the cluster does not
		// create them) are left out, so that they do not hold up the
		// others; the session ends when one of them appears.
		topics, missing := existing(client, want)
		if len(missing) > 0 {
			if err := fmt.Errorf("topics %s do not exist", strings.Join(missing, ",")); err.Error() != lastErr {
				lastErr = err.Error()
				g.l.log.Warn("not consumed until they exist", "cluster", g.c.name, "group", g.id, "error", err)
			}
			go watchTopics(sctx, end, client, missing)
		}
		if len(topics) == 0 {
			<-sctx.Done()
			end()
			continue
		}
		err := cg.Consume(sctx, topics, h)
		end()
		if err != nil && !errors.Is(err, sarama.ErrClosedConsumerGroup) {
			if !fail("consume", err) {
				return
			}
			continue
		}
		backoff = 100 * time.Millisecond
		if len(missing) == 0 {
			lastErr = ""
		}
	}
}

// existing splits topics into those the cluster has and those it lacks.
func existing(client sarama.Client, topics []string) (have, missing []string) {
	_ = client.RefreshMetadata(topics...)
	known, err := client.Topics()
	if err != nil {
		return topics, nil // let Consume report it
	}
	set := make(map[string]bool, len(known))
	for _, t := range known {
		set[t] = true
	}
	for _, t := range topics {
		if set[t] {
			have = append(have, t)
		} else {
			missing = append(missing, t)
		}
	}
	return have, missing
}

// watchTopics ends the session when one of the missing topics appears.
func watchTopics(ctx context.Context, end context.CancelFunc, client sarama.Client, missing []string) {
	tick := time.NewTicker(5 * time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if _, still := existing(client, missing); len(still) < len(missing) {
			end()
			return
		}
	}
}

type groupHandler struct {
	g      *groupConsumer
	client sarama.Client
}

// Setup starts each claimed partition where it was when its topic's mocks
// were saved (startAtSave), before any of its messages is read.
func (h *groupHandler) Setup(sess sarama.ConsumerGroupSession) error {
	h.startAtSave(sess)
	return nil
}

func (h *groupHandler) Cleanup(sarama.ConsumerGroupSession) error { return nil }

// startAtSave moves the start of each claimed partition up to the offset
// it had when the topic's mocks were saved. A group that has no committed
// offset would otherwise start at the newest one, as of when it joined:
// the message a client produces right after creating the mock, while the
// group is still joining, would be neither answered nor recorded. Marking
// only moves forward, so a committed offset past that point is kept, and
// messages from before the mock existed are not answered.
func (h *groupHandler) startAtSave(sess sarama.ConsumerGroupSession) {
	if !h.g.c.cfg.Version.IsAtLeast(sarama.V0_10_1_0) {
		// Older brokers list offsets by segment time, not by message
		// timestamp: that could read a topic from its beginning.
		return
	}
	for topic, parts := range sess.Claims() {
		since := h.g.l.savedSince(h.g.c.name, topic)
		if since <= 0 {
			continue
		}
		for _, p := range parts {
			off, err := offsetAt(h.client, topic, p, since)
			if err != nil {
				h.g.l.log.Warn("find the offset of the time the mock was saved; reading from the newest", "cluster", h.g.c.name,
					"topic", topic, "partition", p, "error", err)
				continue
			}
			sess.MarkOffset(topic, p, off, "")
		}
	}
}

// offsetAt is the offset of partition p at ms (epoch ms): its first message
// stamped at or after ms, else its end as read before that was asked (so
// that a message arriving in between is not skipped).
func offsetAt(client sarama.Client, topic string, p int32, ms int64) (int64, error) {
	end, err := client.GetOffset(topic, p, sarama.OffsetNewest)
	if err != nil {
		return 0, err
	}
	at, err := client.GetOffset(topic, p, ms)
	if err != nil {
		return 0, err
	}
	if at < 0 {
		return end, nil
	}
	return at, nil
}

// ConsumeClaim handles a partition's messages in order: each is resolved,
// its reply handed on (after its delay) and its offset marked, whether a
// mock matched or not, so that no message comes back.
func (h *groupHandler) ConsumeClaim(sess sarama.ConsumerGroupSession, claim sarama.ConsumerGroupClaim) error {
	ctx := sess.Context()
	for {
		select {
		case msg, ok := <-claim.Messages():
			if !ok {
				return nil
			}
			if h.g.l.handle(ctx, h.g.c, h.g.id, msg) {
				sess.MarkMessage(msg, "")
			}
		case <-ctx.Done():
			return nil
		}
	}
}
