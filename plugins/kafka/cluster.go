package main

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/IBM/sarama"
)

// cluster is one Kafka cluster the listener consumes from or replies to.
type cluster struct {
	name    string
	brokers []string
	srv     *Server // nil: brokers named by a mock's outputBrokers
	cfg     *sarama.Config
	// findServer is the serverName of the find requests of messages
	// consumed here ("" for the embedded broker, which serves every mock).
	findServer string
	create     bool // create missing topics

	mu       sync.RWMutex
	producer sarama.AsyncProducer
	closed   bool
	known    map[string]bool // topics seen to exist
	lastErr  string
}

// send hands a reply to the cluster's producer (made on first use);
// failures are logged.
func (c *cluster) send(ctx context.Context, m *sarama.ProducerMessage) {
	p, err := c.producerFor()
	if err != nil {
		c.logOnce("no reply can be produced to "+c.name, err)
		return
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.closed {
		return
	}
	select {
	case p.Input() <- m:
	case <-ctx.Done():
	}
}

func (c *cluster) producerFor() (sarama.AsyncProducer, error) {
	c.mu.RLock()
	p, closed := c.producer, c.closed
	c.mu.RUnlock()
	if p != nil {
		return p, nil
	}
	if closed {
		return nil, errors.New("stopped")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.producer != nil {
		return c.producer, nil
	}
	if c.closed {
		return nil, errors.New("stopped")
	}
	p, err := sarama.NewAsyncProducer(c.brokers, c.cfg)
	if err != nil {
		return nil, err
	}
	c.producer = p
	go func() {
		for e := range p.Errors() {
			topic := ""
			if e.Msg != nil {
				topic = e.Msg.Topic
			}
			pluginLog.Warn("a reply could not be produced", "cluster", c.name, "topic", topic, "error", e.Err)
		}
	}()
	return p, nil
}

// close sends what the producer holds and closes it.
func (c *cluster) close() {
	c.mu.Lock()
	p := c.producer
	c.producer, c.closed = nil, true
	c.mu.Unlock()
	if p != nil {
		if err := p.Close(); err != nil {
			pluginLog.Warn("close the producer", "cluster", c.name, "error", err)
		}
	}
}

// ensureTopics creates the topics that do not exist yet (when the
// cluster's settings allow it).
func (c *cluster) ensureTopics(ctx context.Context, topics map[string]bool) error {
	if !c.create || ctx.Err() != nil {
		return nil
	}
	c.mu.Lock()
	var missing []string
	for t := range topics {
		if !c.known[t] {
			missing = append(missing, t)
		}
	}
	c.mu.Unlock()
	if len(missing) == 0 {
		return nil
	}
	sort.Strings(missing)
	cfg := *c.cfg // fewer retries: the next change of mocks tries again
	cfg.Metadata.Retry.Max = 1
	cfg.Admin.Retry.Max = 1
	cfg.Net.DialTimeout = 5 * time.Second
	admin, err := sarama.NewClusterAdmin(c.brokers, &cfg)
	if err != nil {
		return fmt.Errorf("cluster %s: create topics %s: %w", c.name, strings.Join(missing, ","), err)
	}
	defer admin.Close()
	existing, err := admin.ListTopics()
	if err != nil {
		return fmt.Errorf("cluster %s: list topics: %w", c.name, err)
	}
	partitions, replication := int32(1), int16(1)
	if c.srv != nil {
		partitions, replication = c.srv.Partitions, c.srv.ReplicationFactor
	}
	var errs []error
	var made []string
	for _, t := range missing {
		if _, ok := existing[t]; !ok {
			err := admin.CreateTopic(t, &sarama.TopicDetail{NumPartitions: partitions, ReplicationFactor: replication}, false)
			var te *sarama.TopicError
			if err != nil && !(errors.As(err, &te) && te.Err == sarama.ErrTopicAlreadyExists) {
				errs = append(errs, fmt.Errorf("cluster %s: create topic %s: %w", c.name, t, err))
				continue
			}
			made = append(made, t)
		}
		c.mu.Lock()
		if c.known == nil {
			c.known = map[string]bool{}
		}
		c.known[t] = true
		c.mu.Unlock()
	}
	if len(made) > 0 {
		pluginLog.Info("created topics", "cluster", c.name, "topics", strings.Join(made, ","))
	}
	return errors.Join(errs...)
}

// logOnce logs an error when it differs from the last one.
func (c *cluster) logOnce(msg string, err error) {
	c.mu.Lock()
	same := c.lastErr == err.Error()
	c.lastErr = err.Error()
	c.mu.Unlock()
	if !same {
		pluginLog.Error(msg, "error", err)
	}
}
