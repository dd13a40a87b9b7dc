package main

import (
	"encoding/json"
	"fmt"
	"strings"
)

// kafkaMock is what the listener needs of a Kafka mock: where to consume,
// and where and how to reply.
type kafkaMock struct {
	ID         string
	Namespace  string
	CreatedAt  int64
	UpdatedAt  int64
	UseLimiter int64
	UseCounter int64
	// ServerName is kafka.serverName, else the mock's serverName.
	ServerName    string
	Topic         string
	ConsumerGroup string
	OutputTopic   string
	OutputBrokers string
	OutputKey     string
	OutputHeaders map[string]string
}

// mockDoc is the part of the API's mock JSON the listener reads.
type mockDoc struct {
	ID         string `json:"id"`
	Namespace  string `json:"namespace"`
	ServerName string `json:"serverName"`
	CreatedAt  int64  `json:"createdAt"`
	UpdatedAt  int64  `json:"updatedAt"`
	UseLimiter int64  `json:"useLimiter"`
	UseCounter int64  `json:"useCounter"`
	Kafka      *struct {
		Topic         string            `json:"topic"`
		ServerName    string            `json:"serverName"`
		ConsumerGroup string            `json:"consumerGroup"`
		OutputTopic   string            `json:"outputTopic"`
		OutputBrokers string            `json:"outputBrokers"`
		OutputKey     string            `json:"outputKey"`
		OutputHeaders map[string]string `json:"outputHeaders"`
	} `json:"kafka"`
}

// parseMock reads one mock document from ListMocks.
func parseMock(raw json.RawMessage) (*kafkaMock, error) {
	var d mockDoc
	if err := json.Unmarshal(raw, &d); err != nil {
		return nil, fmt.Errorf("mock document: %w", err)
	}
	if d.Kafka == nil {
		return nil, fmt.Errorf("mock %q has no kafka context", d.ID)
	}
	k := d.Kafka
	if strings.TrimSpace(k.Topic) == "" {
		return nil, fmt.Errorf("mock %q: kafka.topic is empty", d.ID)
	}
	m := &kafkaMock{ID: d.ID, Namespace: d.Namespace, CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt,
		UseLimiter: d.UseLimiter, UseCounter: d.UseCounter, ServerName: k.ServerName,
		Topic: k.Topic, ConsumerGroup: k.ConsumerGroup, OutputTopic: k.OutputTopic,
		OutputBrokers: strings.TrimSpace(k.OutputBrokers), OutputKey: k.OutputKey, OutputHeaders: k.OutputHeaders}
	if m.ServerName == "" {
		m.ServerName = d.ServerName
	}
	return m, nil
}

// savedAt is when the mock was last saved (epoch ms; 0: not known).
func (m *kafkaMock) savedAt() int64 { return max(m.CreatedAt, m.UpdatedAt) }

// savedSince is the earliest time a mock consuming topic on cluster was
// saved (epoch ms; 0: not known), but not before this listener started:
// the topic is read from that moment on. A topic that a new mock brings is
// read from the mock's save; a group that starts afresh on a topic whose
// mocks are old does not replay what came before the listener started.
func (l *Listener) savedSince(cluster, topic string) int64 {
	saved := l.saved.Load()
	if saved == nil {
		return 0
	}
	since := (*saved)[topicKey{cluster, topic}]
	if since > 0 && since < l.startedMs {
		since = l.startedMs
	}
	return since
}

// savedTimes is when the earliest mock of each topic was saved (0: not known).
func savedTimes(cands map[topicKey][]*kafkaMock) *map[topicKey]int64 {
	out := make(map[topicKey]int64, len(cands))
	for k, list := range cands {
		var since int64
		for _, m := range list {
			if at := m.savedAt(); at > 0 && (since == 0 || at < since) {
				since = at
			}
		}
		out[k] = since
	}
	return &out
}
