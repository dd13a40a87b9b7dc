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
	"github.com/mockarty-oss/mockarty/sdk/gen/pluginv2"
	"github.com/mockarty-oss/mockarty/sdk/internal/wire"
	"google.golang.org/grpc"
)

// ProtocolVersion is the go-plugin protocol version: the major version of
// the proto package (mockarty.plugin.v2). A plugin built for another major
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
	return &Client{rpc: pluginv2.NewPluginClient(c), broker: broker}, nil
}

// Finder is what the host serves a plugin's Find calls with: one method
// per protocol (find.Finder, the same calls sdk.Host makes). A Finder that
// also implements sdk.HostData offers those calls too (else the plugin gets
// sdk.ErrNotSupported).
type Finder = find.Finder

// Topics is a coalescing set of changed topics, for sdk.HostData
// implementations: Add(topics...) never blocks, Next(ctx) waits for and
// returns everything added since the last Next, and Channel(ctx) sends
// each batch on a channel, the shape sdk.HostData's Watch returns.
type Topics = wire.Topics

// NewTopics watches the given topics (none: every topic).
func NewTopics(want []string) *Topics { return wire.NewTopics(want) }
