package main

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"time"

	"github.com/mockarty-oss/mockarty/sdk"
)

// lifecycleMocks knows which servers have connect and disconnect mocks.
// Every connection opens and closes, and a lifecycle event no mock
// answers would be recorded as an undefined request each time; so they
// are resolved only when a mock may answer them. The set follows the
// host's mocks (ListMocks, then Watch). When the host cannot tell (an
// older host, or the watch broke), every lifecycle event is resolved.
type lifecycleMocks struct {
	// servers are the listener's servers: the serverName rule says which
	// of them answers a mock.
	servers *sdk.ServerSet

	mu    sync.RWMutex
	known bool
	keys  map[string]bool // namespace NUL serverName "/" event, for each server that answers a mock
}

func lifecycleKey(ns, server, event string) string { return ns + "\x00" + server + "/" + event }

// wants reports whether the event of this server may have a mock.
func (m *lifecycleMocks) wants(ns, server, event string) bool {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if !m.known {
		return true
	}
	return m.keys[lifecycleKey(ns, server, event)]
}

func (m *lifecycleMocks) set(keys map[string]bool) {
	m.mu.Lock()
	m.keys, m.known = keys, keys != nil
	m.mu.Unlock()
}

// socketMock is what the listener reads of a mock.
type socketMock struct {
	Namespace  string `json:"namespace"`
	ServerName string `json:"serverName"`
	Socket     *struct {
		ServerName string `json:"serverName"`
		Event      string `json:"event"`
	} `json:"socket"`
}

func (m *lifecycleMocks) load(ctx context.Context, host sdk.Host) error {
	list, err := host.ListMocks(ctx, "socket", "")
	if err != nil {
		return err
	}
	keys := map[string]bool{}
	for _, raw := range list {
		var sm socketMock
		if json.Unmarshal(raw, &sm) != nil || sm.Socket == nil {
			continue
		}
		if ev := sm.Socket.Event; ev == eventConnect || ev == eventDisconnect {
			server := sm.Socket.ServerName
			if server == "" {
				server = sm.ServerName
			}
			ns := sm.Namespace
			if ns == "" {
				ns = defaultNamespace
			}
			for _, target := range m.servers.ServersFor(ns, server) {
				keys[lifecycleKey(ns, target, ev)] = true
			}
		}
	}
	m.set(keys)
	return nil
}

// start follows the host's mocks in the background until ctx ends, and
// returns once the set is known (or the host could not tell, or a few
// seconds passed): from the first connection on, lifecycle events are
// resolved exactly when a mock may answer them.
func (m *lifecycleMocks) start(ctx context.Context, host sdk.Host) {
	ready := make(chan struct{})
	go m.follow(ctx, host, ready)
	t := time.NewTimer(5 * time.Second)
	defer t.Stop()
	select {
	case <-ready:
	case <-t.C:
	}
}

// follow keeps the set current until ctx ends; ready is closed after the
// first attempt.
func (m *lifecycleMocks) follow(ctx context.Context, host sdk.Host, ready chan struct{}) {
	var once sync.Once
	signal := func() { once.Do(func() { close(ready) }) }
	defer signal()
	backoff := 100 * time.Millisecond
	for {
		began := time.Now()
		err := m.watch(ctx, host, signal)
		m.set(nil) // until the next watch works, resolve them all
		signal()
		if errors.Is(err, sdk.ErrNotSupported) {
			pluginLog.Info("the host does not list mocks: every connect and disconnect is resolved")
			return
		}
		if ctx.Err() != nil {
			return
		}
		pluginLog.Debug("following the host's socket mocks", "error", err)
		if time.Since(began) > time.Minute { // it worked for a while: retry soon
			backoff = 100 * time.Millisecond
		}
		select {
		case <-time.After(backoff):
		case <-ctx.Done():
			return
		}
		backoff = min(backoff*2, 5*time.Second)
	}
}

// watch loads the set, then again at every change, until the watch ends.
func (m *lifecycleMocks) watch(ctx context.Context, host sdk.Host, loaded func()) error {
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	changes, err := host.Watch(wctx, []string{sdk.MocksTopic("socket")})
	if err != nil {
		return err
	}
	// Loaded after Watch returned: no change after this load is missed.
	if err := m.load(wctx, host); err != nil {
		return err
	}
	loaded()
	for range changes {
		if err := m.load(wctx, host); err != nil {
			return err
		}
	}
	return errors.New("the host ended the watch")
}
