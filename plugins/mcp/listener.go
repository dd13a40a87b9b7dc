package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/mockarty-oss/mockarty/sdk"
	"github.com/mockarty-oss/mockarty/sdk/httpserve"
)

// Settings of the MCP listener.
type Settings struct {
	// Addresses to listen on (host:port; port 0 picks a free one).
	Addresses []string `json:"addresses"`
	// Namespace whose MCP mocks are served (a hand-off from the host's
	// /stubs/<ns> names its own with X-Mockarty-Namespace).
	Namespace string `json:"namespace"`
	// KeepAlive is how often, in seconds, a quiet event stream is written
	// to (a ping or an SSE comment), so that one whose client is gone is
	// noticed even behind a proxy.
	KeepAlive int `json:"keepAlive"`
}

// DefaultAddress is where the plugin listens when the settings name none.
const DefaultAddress = "127.0.0.1:5787"

// Bounds of the keepAlive setting, in seconds.
const (
	DefaultKeepAlive = 15
	maxKeepAlive     = 3600
)

// namespacePattern is the host's rule for namespace names; the hand-off
// header is checked against it too.
const namespacePattern = `^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$`

var settingsSchema = `{
  "type": "object",
  "additionalProperties": false,
  "properties": {
    "addresses": {"type": "array", "items": {"type": "string", "minLength": 1}, "minItems": 1,
                  "default": ["` + DefaultAddress + `"],
                  "description": "host:port pairs to listen on (port 0 picks a free one)"},
    "namespace": {"type": "string", "pattern": "` + namespacePattern + `", "default": "sandbox",
                  "description": "the namespace whose MCP mocks are served"},
    "keepAlive": {"type": "integer", "minimum": 1, "maximum": ` + strconv.Itoa(maxKeepAlive) + `, "default": ` + strconv.Itoa(DefaultKeepAlive) + `,
                  "description": "seconds between the pings or comments written to a quiet event stream, so that a client that went away is noticed"}
  }
}`

// Listener serves MCP mocks: one MCP server per namespace (every MCP mock
// of it) and one per serverName, each reachable over streamable HTTP and
// SSE. The servers are made lazily and kept in step with the mocks through
// the host's Watch.
type Listener struct {
	mu       sync.Mutex
	settings Settings
	// run is the servers; the base context of their requests is the watch
	// loop's too, and Stop cancels it.
	run   httpserve.Service
	reg   *registry
	loops sync.WaitGroup
}

// Info describes the plugin.
func (l *Listener) Info() sdk.Info {
	return sdk.Info{Name: "mcp", Kind: sdk.KindListener, Version: "1.0.0", Protocols: []string{"mcp"},
		Description:    "Serves a namespace's MCP mocks as MCP servers (streamable HTTP at /mcp, SSE at /sse).",
		SettingsSchema: json.RawMessage(settingsSchema)}
}

// Configure reads the settings (validated by the host against the schema).
func (l *Listener) Configure(_ context.Context, raw json.RawMessage) error {
	s := Settings{Addresses: []string{DefaultAddress}, Namespace: "sandbox", KeepAlive: DefaultKeepAlive}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &s); err != nil {
			return fmt.Errorf("settings: %w", err)
		}
	}
	switch {
	case len(s.Addresses) == 0:
		return errors.New("settings: addresses must not be empty")
	case !validNamespace(s.Namespace):
		return fmt.Errorf("settings: namespace %q is not a namespace name", s.Namespace)
	case s.KeepAlive < 1 || s.KeepAlive > maxKeepAlive:
		return fmt.Errorf("settings: keepAlive must be between 1 and %d seconds, not %d", maxKeepAlive, s.KeepAlive)
	}
	l.mu.Lock()
	l.settings = s
	l.mu.Unlock()
	return nil
}

// Health reports a problem when no address is being served.
func (l *Listener) Health(ctx context.Context) error { return l.run.Health(ctx) }

var pluginLog = sdk.Logger().Named("mcp")

// Start listens on every address and serves until Stop.
func (l *Listener) Start(_ context.Context, host sdk.Host) ([]string, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	reg := newRegistry(host, l.settings.Namespace, time.Duration(l.settings.KeepAlive)*time.Second)
	base, addrs, err := l.run.Start(l.settings.Addresses, &router{reg: reg}, pluginLog)
	if err != nil {
		return nil, err
	}
	l.reg = reg
	l.loops.Add(1)
	go func() {
		defer l.loops.Done()
		reg.follow(base)
	}()
	return addrs, nil
}

// Stop closes every MCP session (their streams end), then shuts the HTTP
// servers down and waits for the watch loop.
func (l *Listener) Stop(ctx context.Context) error {
	l.mu.Lock()
	reg := l.reg
	l.mu.Unlock()
	if reg != nil {
		reg.closeSessions(ctx)
	}
	err := l.run.Stop(ctx, httpserve.CancelFirst)
	l.loops.Wait()
	return err
}
