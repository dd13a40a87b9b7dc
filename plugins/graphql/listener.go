package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/mockarty-oss/mockarty/sdk"
	"github.com/mockarty-oss/mockarty/sdk/httpserve"
)

// Settings of the GraphQL listener.
type Settings struct {
	// Addresses to listen on (host:port; port 0 picks a free one).
	Addresses []string `json:"addresses"`
	// Namespace whose GraphQL mocks and SDL are served (a request the
	// host hands over with X-Mockarty-Namespace is served in that one).
	Namespace string `json:"namespace"`
	// Limits of one request (limits.go).
	MaxTokens               int `json:"maxTokens"`
	MaxDepth                int `json:"maxDepth"`
	MaxRootFields           int `json:"maxRootFields"`
	MaxResultNodes          int `json:"maxResultNodes"`
	MaxConcurrentRootFields int `json:"maxConcurrentRootFields"`
}

// DefaultAddress is where the plugin listens when the settings name no
// address.
const DefaultAddress = "127.0.0.1:5788"

// DefaultNamespace is served when the settings name none.
const DefaultNamespace = "sandbox"

var settingsSchema = `{
  "type": "object",
  "additionalProperties": false,
  "properties": {
    "addresses": {"type": "array", "items": {"type": "string", "minLength": 1}, "minItems": 1,
      "default": ["` + DefaultAddress + `"], "description": "host:port pairs to serve GraphQL on (port 0 picks a free one)"},
    "namespace": {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$",
      "default": "` + DefaultNamespace + `", "description": "the namespace whose GraphQL mocks and SDL are served"},
    "maxTokens": {"type": "integer", "minimum": 1, "default": ` + fmt.Sprint(DefaultMaxTokens) + `,
      "description": "the most tokens a query document may have (larger: a parse error)"},
    "maxDepth": {"type": "integer", "minimum": 1, "default": ` + fmt.Sprint(DefaultMaxDepth) + `,
      "description": "the deepest fields of a query may nest, fragments expanded (a root field is 1)"},
    "maxRootFields": {"type": "integer", "minimum": 1, "default": ` + fmt.Sprint(DefaultMaxRootFields) + `,
      "description": "the most root fields (each one host lookup) an operation may select"},
    "maxResultNodes": {"type": "integer", "minimum": 1, "default": ` + fmt.Sprint(DefaultMaxResultNodes) + `,
      "description": "the most values one answer may have (beyond: an error, result too large)"},
    "maxConcurrentRootFields": {"type": "integer", "minimum": 1, "maximum": 256, "default": ` + fmt.Sprint(DefaultMaxConcurrentRootFields) + `,
      "description": "how many root fields of a query are resolved at once"}
  }
}`

// Listener serves GraphQL over HTTP on its own addresses: every path is an
// endpoint, each root field of an operation is resolved through the host's
// FindGraphQL, and the namespace's registered SDL (if any) validates
// queries and answers introspection.
type Listener struct {
	mu       sync.Mutex
	settings Settings
	// run is the servers; the base context of its requests ends last in
	// Stop, which ends pending delays.
	run     httpserve.Service
	host    sdk.Host
	schemas *schemaCache
	// streams ends subscriptions: Stop cancels it first.
	streams    context.Context
	endStreams context.CancelFunc
}

// Info describes the plugin.
func (l *Listener) Info() sdk.Info {
	return sdk.Info{Name: "graphql", Kind: sdk.KindListener, Version: "1.0.0", Protocols: []string{"graphql"},
		Description: "Serves a namespace's GraphQL mocks (one mock per root field) over HTTP, with validation " +
			"and introspection from the namespace's registered SDL.",
		SettingsSchema: json.RawMessage(settingsSchema)}
}

// Configure reads the settings (validated by the host against the schema).
func (l *Listener) Configure(_ context.Context, raw json.RawMessage) error {
	s := Settings{Addresses: []string{DefaultAddress}, Namespace: DefaultNamespace,
		MaxTokens: DefaultMaxTokens, MaxDepth: DefaultMaxDepth, MaxRootFields: DefaultMaxRootFields,
		MaxResultNodes: DefaultMaxResultNodes, MaxConcurrentRootFields: DefaultMaxConcurrentRootFields}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &s); err != nil {
			return fmt.Errorf("settings: %w", err)
		}
	}
	switch {
	case len(s.Addresses) == 0:
		return errors.New("settings: addresses must not be empty")
	case s.Namespace == "":
		return errors.New("settings: namespace must not be empty")
	case !validNamespace(s.Namespace):
		return fmt.Errorf("settings: namespace %q is not a namespace name (letters, digits, '.', '_', '-')", s.Namespace)
	}
	// The host checks the schema's minimums; a host that does not must
	// still not turn a zero into "no limit" or a pool with no worker.
	for _, lim := range []struct {
		name string
		v    int
	}{{"maxTokens", s.MaxTokens}, {"maxDepth", s.MaxDepth}, {"maxRootFields", s.MaxRootFields},
		{"maxResultNodes", s.MaxResultNodes}, {"maxConcurrentRootFields", s.MaxConcurrentRootFields}} {
		if lim.v < 1 {
			return limitTooSmall(lim.name, lim.v)
		}
	}
	l.mu.Lock()
	l.settings = s
	l.mu.Unlock()
	return nil
}

// Health reports a problem when no address is being served.
func (l *Listener) Health(ctx context.Context) error { return l.run.Health(ctx) }

var pluginLog = sdk.Logger().Named("graphql")

// Start listens on every address and serves until Stop.
func (l *Listener) Start(_ context.Context, host sdk.Host) ([]string, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	base, addrs, err := l.run.Start(l.settings.Addresses, l, pluginLog)
	if err != nil {
		return nil, err
	}
	// Requests wait for l.mu: they see what is set here.
	l.host = host
	l.streams, l.endStreams = context.WithCancel(base)
	l.schemas = newSchemaCache(host)
	go l.schemas.watch(base)
	return addrs, nil
}

// Stop ends the subscriptions, lets plain requests in flight finish
// (within ctx), then ends whatever is left (a long delay).
func (l *Listener) Stop(ctx context.Context) error {
	l.mu.Lock()
	endStreams := l.endStreams
	l.mu.Unlock()
	if endStreams != nil {
		endStreams() // a subscription never ends by itself
	}
	return l.run.Stop(ctx, httpserve.Graceful)
}
