package wire

import (
	"context"
	"sync"
)

// Topics is a coalescing set of changed topics, for HostData
// implementations: Add never blocks, and each Next returns everything
// added since the last one.
type Topics struct {
	mu      sync.Mutex
	pending map[string]bool
	signal  chan struct{}
	want    map[string]bool
}

// NewTopics watches the given topics (none: every topic).
func NewTopics(want []string) *Topics {
	t := &Topics{pending: map[string]bool{}, signal: make(chan struct{}, 1), want: map[string]bool{}}
	for _, w := range want {
		t.want[w] = true
	}
	return t
}

// Add records changed topics and wakes the reader.
func (t *Topics) Add(topics ...string) {
	t.mu.Lock()
	added := false
	for _, topic := range topics {
		if len(t.want) == 0 || t.want[topic] {
			t.pending[topic] = true
			added = true
		}
	}
	t.mu.Unlock()
	if added {
		select {
		case t.signal <- struct{}{}:
		default: // already signalled
		}
	}
}

// Next waits for changes and returns them; false when ctx ends.
func (t *Topics) Next(ctx context.Context) ([]string, bool) {
	for {
		select {
		case <-ctx.Done():
			return nil, false
		case <-t.signal:
		}
		t.mu.Lock()
		batch := make([]string, 0, len(t.pending))
		for k := range t.pending {
			batch = append(batch, k)
		}
		clear(t.pending)
		t.mu.Unlock()
		if len(batch) > 0 {
			return batch, true
		}
	}
}

// Channel runs Next in a goroutine and sends each batch, closing the
// channel when ctx ends: the shape Watch returns.
func (t *Topics) Channel(ctx context.Context) <-chan []string {
	out := make(chan []string)
	go func() {
		defer close(out)
		for {
			batch, ok := t.Next(ctx)
			if !ok {
				return
			}
			select {
			case out <- batch:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out
}
