package sdk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"runtime/debug"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"github.com/mockarty-oss/mockarty/sdk/gen/pluginv2"
	"github.com/mockarty-oss/mockarty/sdk/internal/wire"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Serve runs p as a plugin process; it is the only call a plugin's main
// needs: func main() { sdk.Serve(myPlugin) }. Logs written with Logger()
// go to stderr as JSON and the host relays them.
func Serve(p Plugin) {
	if os.Getenv("GOGC") == "" {
		// A plugin's heap is small and short-lived (requests and replies
		// in flight): collecting less often than Go's default saves a
		// fifth of the CPU of a call under load, for a few MiB.
		debug.SetGCPercent(400)
	}
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig: wire.Handshake,
		Plugins:         plugin.PluginSet{wire.PluginKey: &grpcPlugin{impl: p}},
		GRPCServer: func(opts []grpc.ServerOption) *grpc.Server {
			// A tool's job carries its whole input (a collection of
			// thousands of requests): more than gRPC's default 4 MiB.
			return plugin.DefaultGRPCServer(append(opts, grpc.MaxRecvMsgSize(MaxJobBytes)))
		},
		Logger: Logger(),
	})
}

// MaxJobBytes is the largest message a plugin takes from the host (a
// tool's job with its input).
const MaxJobBytes = 64 << 20

// stderr is the process's real stderr: go-plugin redirects os.Stderr once
// Serve runs, and the host reads logs from the real one.
var stderr = os.Stderr

// Logger is the logger a plugin should use: hclog, JSON on stderr, which
// the host reads and re-logs under the plugin's name. It may be made at any
// time, before or after Serve.
func Logger() hclog.Logger {
	return hclog.New(&hclog.LoggerOptions{Level: hclog.Trace, Output: stderr, JSONFormat: true})
}

func init() {
	wire.RegisterPlugin = func(s *grpc.Server, broker *plugin.GRPCBroker, impl any) error {
		p, ok := impl.(Plugin)
		if !ok {
			return fmt.Errorf("%T is not an sdk.Plugin", impl)
		}
		pluginv2.RegisterPluginServer(s, &pluginServer{impl: p, broker: broker})
		return nil
	}
	wire.ConnectHost = func(conn grpc.ClientConnInterface) (any, func()) {
		h := newRemoteHost(pluginv2.NewHostClient(conn))
		return h, h.close
	}
}

// grpcPlugin is the plugin's side of the go-plugin glue; the host's is
// package pluginhost.
type grpcPlugin struct {
	plugin.NetRPCUnsupportedPlugin
	impl Plugin
}

// GRPCServer registers the plugin's service.
func (g *grpcPlugin) GRPCServer(broker *plugin.GRPCBroker, s *grpc.Server) error {
	return wire.RegisterPlugin(s, broker, g.impl)
}

// GRPCClient is the host's side, which a plugin does not have.
func (g *grpcPlugin) GRPCClient(context.Context, *plugin.GRPCBroker, *grpc.ClientConn) (any, error) {
	return nil, errors.New("the host's side of a plugin is package pluginhost")
}

// pluginServer implements every method of the contract itself: it embeds
// no "unimplemented" fallback, so a method added to the proto fails the
// build until it is written.
type pluginServer struct {
	impl Plugin
	// broker reaches the host's services; conn and host are the
	// listener's connection to the host, from Start to Stop.
	broker *plugin.GRPCBroker
	conn   *grpc.ClientConn
	host   *remoteHost
}

var _ pluginv2.PluginServer = (*pluginServer)(nil)

func (s *pluginServer) Info(context.Context, *pluginv2.InfoRequest) (*pluginv2.InfoResponse, error) {
	i := s.impl.Info()
	return &pluginv2.InfoResponse{Name: i.Name, Kind: i.Kind, Version: i.Version, Description: i.Description,
		SettingsSchema: string(i.SettingsSchema), Protocols: i.Protocols}, nil
}

func (s *pluginServer) Configure(ctx context.Context, r *pluginv2.ConfigureRequest) (*pluginv2.ConfigureResponse, error) {
	settings := json.RawMessage(r.Settings)
	if len(settings) == 0 {
		settings = json.RawMessage(`{}`)
	}
	if err := s.impl.Configure(ctx, settings); err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	out := &pluginv2.ConfigureResponse{}
	if sl, ok := s.impl.(ServerLister); ok {
		for _, sv := range sl.Servers() {
			out.Servers = append(out.Servers, &pluginv2.Server{Name: sv.Name, Namespace: sv.Namespace,
				Protocol: sv.Protocol, IsDefault: sv.Default, AnyName: sv.AnyName})
		}
	}
	return out, nil
}

func (s *pluginServer) Health(ctx context.Context, _ *pluginv2.HealthRequest) (*pluginv2.HealthResponse, error) {
	if err := s.impl.Health(ctx); err != nil {
		return &pluginv2.HealthResponse{Ok: false, Message: err.Error()}, nil
	}
	return &pluginv2.HealthResponse{Ok: true}, nil
}

func (s *pluginServer) Start(ctx context.Context, r *pluginv2.StartRequest) (*pluginv2.StartResponse, error) {
	l, ok := s.impl.(Listener)
	if !ok {
		return nil, status.Error(codes.Unimplemented, "this plugin is not a listener")
	}
	conn, err := s.broker.Dial(r.HostBrokerId)
	if err != nil {
		return nil, status.Errorf(codes.Unavailable, "connect to the host: %v", err)
	}
	s.conn = conn
	s.host = newRemoteHost(pluginv2.NewHostClient(conn))
	addrs, err := l.Start(ctx, s.host)
	if err != nil {
		return nil, status.Error(codes.FailedPrecondition, err.Error())
	}
	return &pluginv2.StartResponse{Addresses: addrs}, nil
}

func (s *pluginServer) Stop(ctx context.Context, _ *pluginv2.StopRequest) (*pluginv2.StopResponse, error) {
	l, ok := s.impl.(Listener)
	if !ok {
		return &pluginv2.StopResponse{}, nil
	}
	err := l.Stop(ctx)
	if s.host != nil {
		s.host.close()
	}
	if s.conn != nil {
		_ = s.conn.Close()
	}
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	return &pluginv2.StopResponse{}, nil
}
