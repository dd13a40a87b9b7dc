// Package pluginhost is the host's side of the plugin contract: the
// go-plugin glue the host registers, the Client it drives a running plugin
// with, and the Host gRPC service through which it answers a plugin's Find
// and HostData calls. Plugin authors never import it: they use package sdk
// (sdk.Serve, sdk.Host) and, in tests, sdk/plugintest.
package pluginhost

import (
	"context"
	"errors"

	"github.com/hashicorp/go-plugin"
	"github.com/mockarty-oss/mockarty/sdk/find"
	"github.com/mockarty-oss/mockarty/sdk/gen/pluginv1"
	"github.com/mockarty-oss/mockarty/sdk/internal/wire"
	"google.golang.org/grpc"
)

// ProtocolVersion is the go-plugin protocol version: the major version of
// the proto package (mockarty.plugin.v1). A plugin built for another major
// version is refused at the handshake.
const ProtocolVersion = wire.ProtocolVersion

// Handshake is the handshake every plugin (sdk.Serve) makes. The cookie
// only keeps a plugin binary from being run by hand; it is not a security
// measure.
var Handshake = wire.Handshake

// PluginKey names the plugin in go-plugin's plugin map.
const PluginKey = wire.PluginKey

// GRPCPlugin is the host's side of the go-plugin glue: register it under
// PluginKey in the ClientConfig's plugins, and Dispense(PluginKey) returns
// a *Client.
type GRPCPlugin struct {
	plugin.NetRPCUnsupportedPlugin
}

// GRPCServer is the plugin's side, which is sdk.Serve's.
func (*GRPCPlugin) GRPCServer(*plugin.GRPCBroker, *grpc.Server) error {
	return errors.New("pluginhost.GRPCPlugin is the host's side: a plugin serves with sdk.Serve")
}

// GRPCClient returns the host's handle on the plugin.
func (*GRPCPlugin) GRPCClient(_ context.Context, broker *plugin.GRPCBroker, c *grpc.ClientConn) (any, error) {
	return &Client{rpc: pluginv1.NewPluginClient(c), broker: broker}, nil
}

// Finder is what the host serves a plugin's Find calls with: the protocol
// (http, grpc, socket, kafka, rabbitmq, smtp, soap, mcp, graphql, sse), the
// request body as JSON (the body of POST /mock/find<Protocol>), and the
// answer's JSON when found, the near-miss report's when not. An error
// that is sdk.ErrInvalidInput (errors.Is) is a refusal of the request,
// which the plugin hears as such; any other is an outage.
//
// A Finder that also implements HTTPFinder answers HTTP calls typed, and
// one that implements sdk.HostData offers those calls too (else the plugin
// gets sdk.ErrNotSupported).
type Finder interface {
	Find(ctx context.Context, protocol string, body []byte) (found bool, resp, nearMiss []byte, err error)
}

// HTTPFinder is a Finder's optional typed path for HTTP calls, which
// travel typed on the wire: with it they are answered without JSON. A miss
// is an *sdk.NoMatch error.
type HTTPFinder interface {
	FindHTTP(ctx context.Context, req *find.HTTPRequest) (*find.HTTPResponse, error)
}

// Topics is a coalescing set of changed topics, for sdk.HostData
// implementations: Add(topics...) never blocks, Next(ctx) waits for and
// returns everything added since the last Next, and Channel(ctx) sends
// each batch on a channel, the shape sdk.HostData's Watch returns.
type Topics = wire.Topics

// NewTopics watches the given topics (none: every topic).
func NewTopics(want []string) *Topics { return wire.NewTopics(want) }
