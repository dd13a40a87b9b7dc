// Command oldproto speaks another protocol version, for the handshake test.
package main

import (
	"context"

	"github.com/hashicorp/go-plugin"
	"github.com/mockarty-oss/mockarty/sdk/pluginhost"
	"google.golang.org/grpc"
)

// nothing serves no service: the host refuses the plugin at the handshake,
// before it would call one.
type nothing struct{ plugin.NetRPCUnsupportedPlugin }

func (nothing) GRPCServer(*plugin.GRPCBroker, *grpc.Server) error { return nil }

func (nothing) GRPCClient(context.Context, *plugin.GRPCBroker, *grpc.ClientConn) (any, error) {
	return nil, nil
}

func main() {
	hs := pluginhost.Handshake
	hs.ProtocolVersion = 99
	plugin.Serve(&plugin.ServeConfig{HandshakeConfig: hs, Plugins: plugin.PluginSet{pluginhost.PluginKey: nothing{}},
		GRPCServer: plugin.DefaultGRPCServer})
}
