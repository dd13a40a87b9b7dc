package wire

import (
	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
)

// The plugin's side of the contract is unexported in package sdk, which
// sets these hooks when it is initialised: sdk/plugintest runs a plugin
// in-process with RegisterPlugin, and the tests of sdk/pluginhost reach a
// plugin's connection to the host with ConnectHost.
var (
	// RegisterPlugin registers the Plugin service of impl (an sdk.Plugin)
	// on s; it fails for anything else.
	RegisterPlugin func(s *grpc.Server, broker *plugin.GRPCBroker, impl any) error
	// ConnectHost is the sdk.Host a plugin gets over conn, and the call that
	// ends its streams.
	ConnectHost func(conn grpc.ClientConnInterface) (host any, close func())
)
