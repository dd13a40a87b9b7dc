// Command oldproto speaks another protocol version, for the handshake test.
package main

import (
	"github.com/hashicorp/go-plugin"
	"github.com/mockarty-oss/mockarty/sdk"
)

func main() {
	hs := sdk.Handshake
	hs.ProtocolVersion = 99
	plugin.Serve(&plugin.ServeConfig{HandshakeConfig: hs, Plugins: plugin.PluginSet{sdk.PluginKey: &sdk.GRPCPlugin{}},
		GRPCServer: plugin.DefaultGRPCServer})
}
