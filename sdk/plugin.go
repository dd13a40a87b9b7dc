package sdk

import (
	"context"
	"encoding/json"

	"github.com/mockarty-oss/mockarty/sdk/find"
)

// Plugin kinds.
const (
	KindListener = "listener"
	KindTool     = "tool"
)

// Info describes a plugin.
type Info struct {
	Name        string
	Kind        string // KindListener or KindTool
	Version     string
	Description string
	// SettingsSchema is a JSON Schema the host validates settings against
	// before Configure; empty means the plugin takes no settings.
	SettingsSchema json.RawMessage
	// Protocols a listener serves (http, grpc, ...).
	Protocols []string
}

// Plugin is what every plugin implements.
type Plugin interface {
	Info() Info
	// Configure receives the plugin's settings (a JSON object, validated).
	Configure(ctx context.Context, settings json.RawMessage) error
	// Health returns an error when the plugin does not work.
	Health(ctx context.Context) error
}

// Listener is a plugin that accepts protocol traffic and resolves it
// through the host.
type Listener interface {
	Plugin
	// Start begins serving and returns the addresses it listens on. The
	// host stays usable until Stop.
	Start(ctx context.Context, host Host) (addresses []string, err error)
	// Stop stops serving gracefully.
	Stop(ctx context.Context) error
}

// Host is what the host offers a plugin: a find call per protocol, with
// the requests and replies of POST /mock/find<Protocol> (find.Finder: a
// miss is an *NoMatch error, a refusal ErrInvalidInput, anything else an
// outage), and the mocks and documents a listener serves, their changes,
// and messages kept for the host's API (HostData; ErrNotSupported from a
// host without them). Its calls are safe from many goroutines at once.
type Host interface {
	find.Finder
	HostData
}

// NoMatch is the error a Find returns when no mock matches: the host's
// near-miss report, ready to show to the caller (its JSON is the body of
// the host's own 404). Test for it with errors.As:
//
//	var nm *sdk.NoMatch
//	if errors.As(err, &nm) { ... }
type NoMatch struct {
	// Message is the host's reason ("no mock matches GET /x; closest: ...").
	Message   string `json:"error"`
	Code      string `json:"code"`
	Namespace string `json:"namespace"`
	Method    string `json:"method,omitempty"`
	Path      string `json:"path,omitempty"`
	// Candidates are the closest mocks and the first check each one failed
	// (mockId, reason, failedCondition, where).
	Candidates json.RawMessage `json:"candidates,omitempty"`
}

// Error is the host's reason.
func (e *NoMatch) Error() string {
	if e.Message == "" {
		return "no mock matches"
	}
	return e.Message
}
