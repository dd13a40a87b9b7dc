package sdk

import (
	"context"
	"encoding/json"

	"github.com/hashicorp/go-plugin"
)

// ProtocolVersion is the go-plugin protocol version: the major version of
// the proto package (mockarty.plugin.v1). A plugin built for another major
// version is refused at the handshake.
const ProtocolVersion = 1

// Handshake is shared by the host and every plugin. The cookie only keeps a
// plugin binary from being run by hand; it is not a security measure.
var Handshake = plugin.HandshakeConfig{
	ProtocolVersion:  ProtocolVersion,
	MagicCookieKey:   "MOCKARTY_PLUGIN",
	MagicCookieValue: "4f2a9c1e-mockarty-plugin-v1",
}

// PluginKey names the plugin in go-plugin's plugin map.
const PluginKey = "mockarty"

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
// same bodies as POST /mock/find<Protocol>.
type Host interface {
	FindHTTP(ctx context.Context, req *FindHTTPRequest) (*FindHTTPResponse, *NearMiss, error)
	FindGRPC(ctx context.Context, req *FindGRPCRequest) (*FindGRPCResponse, *NearMiss, error)
	FindSocket(ctx context.Context, req *FindSocketRequest) (*FindSocketResponse, *NearMiss, error)
	FindKafka(ctx context.Context, req *FindKafkaRequest) (*FindKafkaResponse, *NearMiss, error)
	FindRabbitMQ(ctx context.Context, req *FindRabbitMQRequest) (*FindRabbitMQResponse, *NearMiss, error)
	FindSMTP(ctx context.Context, req *FindSMTPRequest) (*FindSMTPResponse, *NearMiss, error)
	FindSOAP(ctx context.Context, req *FindSOAPRequest) (*FindSOAPResponse, *NearMiss, error)
	FindMCP(ctx context.Context, req *FindMCPRequest) (*FindMCPResponse, *NearMiss, error)
	FindGraphQL(ctx context.Context, req *FindGraphQLRequest) (*FindGraphQLResponse, *NearMiss, error)
	FindSSE(ctx context.Context, req *FindSSERequest) (*FindSSEResponse, *NearMiss, error)

	// HostData: the mocks and documents a listener serves, their changes,
	// and messages kept for the host's API (ErrNotSupported from a host
	// without them).
	HostData
}

// NearMiss is the host's report of a request no mock matched.
type NearMiss struct {
	Error      string          `json:"error"`
	Code       string          `json:"code"`
	Namespace  string          `json:"namespace"`
	Method     string          `json:"method,omitempty"`
	Path       string          `json:"path,omitempty"`
	Candidates json.RawMessage `json:"candidates,omitempty"`
}

// Finder is the one call behind every Find method: protocol, request
// body, and the host's answer (body when found, near-miss report when not).
type Finder interface {
	Find(ctx context.Context, protocol string, body []byte) (found bool, resp, nearMiss []byte, err error)
}

// HTTPFinder is a Finder's optional typed path for HTTP calls, taken
// instead of the JSON one when the Finder has it (the host's does, and so
// does the SDK's connection to it).
type HTTPFinder interface {
	FindHTTP(ctx context.Context, req *FindHTTPRequest) (*FindHTTPResponse, *NearMiss, error)
}

// HostFromFinder builds the typed Host over a Finder.
func HostFromFinder(f Finder) Host { return typedHost{f} }

type typedHost struct{ f Finder }

func find[Req, Resp any](ctx context.Context, f Finder, protocol string, req *Req) (*Resp, *NearMiss, error) {
	b, err := json.Marshal(req)
	if err != nil {
		return nil, nil, err
	}
	found, resp, near, err := f.Find(ctx, protocol, b)
	if err != nil {
		return nil, nil, err
	}
	if !found {
		var nm NearMiss
		_ = json.Unmarshal(near, &nm)
		return nil, &nm, nil
	}
	var out Resp
	if err := json.Unmarshal(resp, &out); err != nil {
		return nil, nil, err
	}
	return &out, nil, nil
}

func (h typedHost) FindHTTP(ctx context.Context, r *FindHTTPRequest) (*FindHTTPResponse, *NearMiss, error) {
	if hf, ok := h.f.(HTTPFinder); ok {
		return hf.FindHTTP(ctx, r)
	}
	return find[FindHTTPRequest, FindHTTPResponse](ctx, h.f, "http", r.forJSON())
}
func (h typedHost) FindGRPC(ctx context.Context, r *FindGRPCRequest) (*FindGRPCResponse, *NearMiss, error) {
	return find[FindGRPCRequest, FindGRPCResponse](ctx, h.f, "grpc", r)
}
func (h typedHost) FindSocket(ctx context.Context, r *FindSocketRequest) (*FindSocketResponse, *NearMiss, error) {
	return find[FindSocketRequest, FindSocketResponse](ctx, h.f, "socket", r)
}
func (h typedHost) FindKafka(ctx context.Context, r *FindKafkaRequest) (*FindKafkaResponse, *NearMiss, error) {
	return find[FindKafkaRequest, FindKafkaResponse](ctx, h.f, "kafka", r)
}
func (h typedHost) FindRabbitMQ(ctx context.Context, r *FindRabbitMQRequest) (*FindRabbitMQResponse, *NearMiss, error) {
	return find[FindRabbitMQRequest, FindRabbitMQResponse](ctx, h.f, "rabbitmq", r)
}
func (h typedHost) FindSMTP(ctx context.Context, r *FindSMTPRequest) (*FindSMTPResponse, *NearMiss, error) {
	return find[FindSMTPRequest, FindSMTPResponse](ctx, h.f, "smtp", r)
}
func (h typedHost) FindSOAP(ctx context.Context, r *FindSOAPRequest) (*FindSOAPResponse, *NearMiss, error) {
	return find[FindSOAPRequest, FindSOAPResponse](ctx, h.f, "soap", r)
}
func (h typedHost) FindMCP(ctx context.Context, r *FindMCPRequest) (*FindMCPResponse, *NearMiss, error) {
	return find[FindMCPRequest, FindMCPResponse](ctx, h.f, "mcp", r)
}
func (h typedHost) FindGraphQL(ctx context.Context, r *FindGraphQLRequest) (*FindGraphQLResponse, *NearMiss, error) {
	return find[FindGraphQLRequest, FindGraphQLResponse](ctx, h.f, "graphql", r)
}
func (h typedHost) FindSSE(ctx context.Context, r *FindSSERequest) (*FindSSEResponse, *NearMiss, error) {
	return find[FindSSERequest, FindSSEResponse](ctx, h.f, "sse", r)
}
