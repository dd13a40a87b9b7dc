package main

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"time"

	"github.com/mockarty-oss/mockarty/sdk"
)

// eventNames knows each SSE mock's sse.eventName, the name of its events
// that set none. FindSSE does not return it, so the plugin reads the mocks
// (ListMocks) and reads them again when they change (Watch).
type eventNames struct {
	host sdk.Host
	ns   string

	mu       sync.Mutex
	names    map[string]string // mock id -> sse.eventName ("" for none)
	stale    bool              // a change was announced since the last read
	loadedAt time.Time
	watching bool // false: no change notices, so reads expire after noWatchTTL
	off      bool // the host cannot list mocks
}

// noWatchTTL is how long a read of the mocks is trusted without Watch.
const noWatchTTL = 2 * time.Second

func newEventNames(host sdk.Host, ns string) *eventNames {
	return &eventNames{host: host, ns: ns, stale: true}
}

// watch marks the names stale whenever the SSE mocks change, until ctx ends.
func (n *eventNames) watch(ctx context.Context) {
	ch, err := n.host.Watch(ctx, []string{sdk.MocksTopic("sse")})
	if err != nil {
		if !errors.Is(err, sdk.ErrNotSupported) && ctx.Err() == nil {
			pluginLog.Warn("cannot watch the SSE mocks; event names are re-read every few seconds", "error", err)
		}
		return
	}
	n.mu.Lock()
	n.watching = true
	n.mu.Unlock()
	go func() {
		for range ch {
			n.mu.Lock()
			n.stale = true
			n.mu.Unlock()
		}
		n.mu.Lock()
		n.watching = false
		n.mu.Unlock()
	}()
}

// lookup returns the event name of mock id, reading the mocks again when
// they changed or when the id is new.
func (n *eventNames) lookup(ctx context.Context, id string) string {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.off {
		return ""
	}
	fresh := !n.stale && (n.watching || time.Since(n.loadedAt) < noWatchTTL)
	if name, ok := n.names[id]; ok && fresh {
		return name
	}
	if err := n.load(ctx); err != nil {
		if errors.Is(err, sdk.ErrNotSupported) {
			n.off = true
		} else if ctx.Err() == nil {
			pluginLog.Warn("cannot list the SSE mocks for their event names", "error", err)
		}
		return n.names[id]
	}
	if _, ok := n.names[id]; !ok {
		n.names[id] = "" // not listed: do not read again for it until a change
	}
	return n.names[id]
}

// load reads the namespace's SSE mocks (n.mu held).
func (n *eventNames) load(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	n.stale = false // a change announced while reading marks it stale again
	mocks, err := n.host.ListMocks(ctx, "sse", n.ns)
	if err != nil {
		n.stale = true
		return err
	}
	names := make(map[string]string, len(mocks))
	for _, raw := range mocks {
		var m struct {
			ID  string `json:"id"`
			SSE *struct {
				EventName string `json:"eventName"`
			} `json:"sse"`
		}
		if json.Unmarshal(raw, &m) != nil || m.ID == "" {
			continue
		}
		if m.SSE != nil {
			names[m.ID] = m.SSE.EventName
		} else {
			names[m.ID] = ""
		}
	}
	n.names, n.loadedAt = names, time.Now()
	return nil
}
