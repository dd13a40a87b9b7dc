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

// Host is what the host offers a plugin: the resolution contract, with the
// same bodies as POST /mock/find<Protocol>. A Find returns the mock's
// answer, or an error: *NoMatch when no mock matches (errors.As), an
// ErrInvalidInput when the host refuses the request (errors.Is), anything
// else when the host could not answer. Its calls are safe from many
// goroutines at once.
type Host interface {
	FindHTTP(ctx context.Context, req *find.HTTPRequest) (*find.HTTPResponse, error)
	FindGRPC(ctx context.Context, req *find.GRPCRequest) (*find.GRPCResponse, error)
	FindSocket(ctx context.Context, req *find.SocketRequest) (*find.SocketResponse, error)
	FindKafka(ctx context.Context, req *find.KafkaRequest) (*find.KafkaResponse, error)
	FindRabbitMQ(ctx context.Context, req *find.RabbitMQRequest) (*find.RabbitMQResponse, error)
	FindSMTP(ctx context.Context, req *find.SMTPRequest) (*find.SMTPResponse, error)
	FindSOAP(ctx context.Context, req *find.SOAPRequest) (*find.SOAPResponse, error)
	FindMCP(ctx context.Context, req *find.MCPRequest) (*find.MCPResponse, error)
	FindGraphQL(ctx context.Context, req *find.GraphQLRequest) (*find.GraphQLResponse, error)
	FindSSE(ctx context.Context, req *find.SSERequest) (*find.SSEResponse, error)

	// HostData: the mocks and documents a listener serves, their changes,
	// and messages kept for the host's API (ErrNotSupported from a host
	// without them).
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
