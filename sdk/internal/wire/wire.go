// Package wire holds what both sides of the plugin contract share: the
// go-plugin handshake, the names of the protocols a Find carries, how a
// failed find travels (gRPC status, google.rpc.ErrorInfo reasons), and the
// KeyValues form of header maps. Package sdk (the plugin's side) and
// package pluginhost (the host's side) use it; neither copies it.
package wire

import (
	"slices"
	"strings"

	"github.com/hashicorp/go-plugin"
	"github.com/mockarty-oss/mockarty/sdk/gen/pluginv2"
)

// ProtocolVersion is the go-plugin protocol version: the major version of
// the proto package (mockarty.plugin.v2). A plugin built for another major
// version is refused at the handshake.
const ProtocolVersion = 2

// Handshake is shared by the host and every plugin. The cookie only keeps a
// plugin binary from being run by hand; it is not a security measure.
var Handshake = plugin.HandshakeConfig{
	ProtocolVersion:  ProtocolVersion,
	MagicCookieKey:   "MOCKARTY_PLUGIN",
	MagicCookieValue: "4f2a9c1e-mockarty-plugin-v1",
}

// PluginKey names the plugin in go-plugin's plugin map.
const PluginKey = "mockarty"

// The protocols of the find calls, as plugintest records them: the
// suffixes of the host's POST /mock/find<Protocol>, lower-cased.
const (
	ProtoHTTP     = "http"
	ProtoGRPC     = "grpc"
	ProtoSocket   = "socket"
	ProtoKafka    = "kafka"
	ProtoRabbitMQ = "rabbitmq"
	ProtoSMTP     = "smtp"
	ProtoSOAP     = "soap"
	ProtoMCP      = "mcp"
	ProtoGraphQL  = "graphql"
	ProtoSSE      = "sse"
)

// StreamMaxBody is the largest payload a plugin sends on its FindStream: Find
// calls travel over one stream per plugin (a message each way rather than
// a stream's headers, trailers and goroutines), and calls with larger
// bodies use the unary Find, so that they never hold up the small ones.
const StreamMaxBody = 256 << 10

// KeyValuesOf is the wire form of a header, query or metadata map.
func KeyValuesOf(m map[string][]string) []*pluginv2.KeyValues {
	if len(m) == 0 {
		return nil
	}
	out := make([]*pluginv2.KeyValues, 0, len(m))
	for k, v := range m {
		out = append(out, &pluginv2.KeyValues{Key: k, Values: v})
	}
	// In key order: equal maps make equal bytes, the reply cache's key.
	slices.SortFunc(out, func(a, b *pluginv2.KeyValues) int { return strings.Compare(a.Key, b.Key) })
	return out
}

// MapOf is the map a list of KeyValues carries (nil for none).
func MapOf(kvs []*pluginv2.KeyValues) map[string][]string {
	if len(kvs) == 0 {
		return nil
	}
	out := make(map[string][]string, len(kvs))
	for _, kv := range kvs {
		out[kv.Key] = append(out[kv.Key], kv.Values...)
	}
	return out
}
