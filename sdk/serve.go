package sdk

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"sync"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"github.com/mockarty-oss/mockarty/sdk/gen/pluginv1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Serve runs p as a plugin process; it is the only call a plugin's main
// needs: func main() { sdk.Serve(myPlugin) }. Logs written with Logger()
// go to stderr as JSON and the host relays them.
func Serve(p Plugin) {
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig: Handshake,
		Plugins:         plugin.PluginSet{PluginKey: &GRPCPlugin{Impl: p}},
		GRPCServer:      plugin.DefaultGRPCServer,
		Logger:          Logger(),
	})
}

// stderr is the process's real stderr: go-plugin redirects os.Stderr once
// Serve runs, and the host reads logs from the real one.
var stderr = os.Stderr

// Logger is the logger a plugin should use: hclog, JSON on stderr, which
// the host reads and re-logs under the plugin's name. It may be made at any
// time, before or after Serve.
func Logger() hclog.Logger {
	return hclog.New(&hclog.LoggerOptions{Level: hclog.Trace, Output: stderr, JSONFormat: true})
}

// GRPCPlugin is the go-plugin glue of the contract, used on both sides.
type GRPCPlugin struct {
	plugin.NetRPCUnsupportedPlugin
	Impl Plugin // set on the plugin side
}

// GRPCServer registers the plugin's service (plugin side).
func (g *GRPCPlugin) GRPCServer(broker *plugin.GRPCBroker, s *grpc.Server) error {
	pluginv1.RegisterPluginServer(s, &pluginServer{impl: g.Impl, broker: broker})
	return nil
}

// GRPCClient returns the host's handle on the plugin (host side).
func (g *GRPCPlugin) GRPCClient(_ context.Context, broker *plugin.GRPCBroker, c *grpc.ClientConn) (any, error) {
	return &Client{rpc: pluginv1.NewPluginClient(c), broker: broker}, nil
}

// pluginServer implements every method of the contract itself: it embeds
// no "unimplemented" fallback, so a method added to the proto fails the
// build until it is written.
type pluginServer struct {
	impl   Plugin
	broker *plugin.GRPCBroker
	conn   *grpc.ClientConn
	finder *remoteFinder
}

func (s *pluginServer) Info(context.Context, *pluginv1.InfoRequest) (*pluginv1.InfoResponse, error) {
	i := s.impl.Info()
	return &pluginv1.InfoResponse{Name: i.Name, Kind: i.Kind, Version: i.Version, Description: i.Description,
		SettingsSchema: string(i.SettingsSchema), Protocols: i.Protocols}, nil
}

func (s *pluginServer) Configure(ctx context.Context, r *pluginv1.ConfigureRequest) (*pluginv1.ConfigureResponse, error) {
	settings := json.RawMessage(r.Settings)
	if len(settings) == 0 {
		settings = json.RawMessage(`{}`)
	}
	if err := s.impl.Configure(ctx, settings); err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	out := &pluginv1.ConfigureResponse{}
	if sl, ok := s.impl.(ServerLister); ok {
		for _, sv := range sl.Servers() {
			out.Servers = append(out.Servers, &pluginv1.Server{Name: sv.Name, Namespace: sv.Namespace,
				Protocol: sv.Protocol, IsDefault: sv.Default, AnyName: sv.AnyName})
		}
	}
	return out, nil
}

func (s *pluginServer) Health(ctx context.Context, _ *pluginv1.HealthRequest) (*pluginv1.HealthResponse, error) {
	if err := s.impl.Health(ctx); err != nil {
		return &pluginv1.HealthResponse{Ok: false, Message: err.Error()}, nil
	}
	return &pluginv1.HealthResponse{Ok: true}, nil
}

func (s *pluginServer) Start(ctx context.Context, r *pluginv1.StartRequest) (*pluginv1.StartResponse, error) {
	l, ok := s.impl.(Listener)
	if !ok {
		return nil, status.Error(codes.Unimplemented, "this plugin is not a listener")
	}
	conn, err := s.broker.Dial(r.HostBrokerId)
	if err != nil {
		return nil, status.Errorf(codes.Unavailable, "connect to the host: %v", err)
	}
	s.conn = conn
	s.finder = newRemoteFinder(pluginv1.NewHostClient(conn))
	addrs, err := l.Start(ctx, HostFromFinder(s.finder))
	if err != nil {
		return nil, status.Error(codes.FailedPrecondition, err.Error())
	}
	return &pluginv1.StartResponse{Addresses: addrs}, nil
}

func (s *pluginServer) Stop(ctx context.Context, _ *pluginv1.StopRequest) (*pluginv1.StopResponse, error) {
	l, ok := s.impl.(Listener)
	if !ok {
		return &pluginv1.StopResponse{}, nil
	}
	err := l.Stop(ctx)
	if s.finder != nil {
		s.finder.close()
	}
	if s.conn != nil {
		_ = s.conn.Close()
	}
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	return &pluginv1.StopResponse{}, nil
}

// Client is the host's handle on a running plugin.
type Client struct {
	rpc    pluginv1.PluginClient
	broker *plugin.GRPCBroker

	mu      sync.Mutex
	servers []Server
}

// Info asks the plugin to describe itself.
func (c *Client) Info(ctx context.Context) (Info, error) {
	r, err := c.rpc.Info(ctx, &pluginv1.InfoRequest{})
	if err != nil {
		return Info{}, err
	}
	return Info{Name: r.Name, Kind: r.Kind, Version: r.Version, Description: r.Description,
		SettingsSchema: json.RawMessage(r.SettingsSchema), Protocols: r.Protocols}, nil
}

// Configure hands over the (validated) settings.
func (c *Client) Configure(ctx context.Context, settings json.RawMessage) error {
	r, err := c.rpc.Configure(ctx, &pluginv1.ConfigureRequest{Settings: settings})
	if err != nil {
		return plainError(err)
	}
	servers := make([]Server, 0, len(r.Servers))
	for _, sv := range r.Servers {
		servers = append(servers, Server{Name: sv.Name, Namespace: sv.Namespace, Protocol: sv.Protocol,
			Default: sv.IsDefault, AnyName: sv.AnyName})
	}
	c.mu.Lock()
	c.servers = servers
	c.mu.Unlock()
	return nil
}

// Servers are the servers the plugin named after the last Configure (none
// for a plugin that is no ServerLister).
func (c *Client) Servers() []Server {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Server(nil), c.servers...)
}

// Health reports the plugin's own view of its health.
func (c *Client) Health(ctx context.Context) error {
	r, err := c.rpc.Health(ctx, &pluginv1.HealthRequest{})
	if err != nil {
		return err
	}
	if !r.Ok {
		return errors.New(r.Message)
	}
	return nil
}

// Start serves the host's Finder to the plugin and starts the listener.
func (c *Client) Start(ctx context.Context, host Finder) ([]string, error) {
	id := c.broker.NextId()
	go c.broker.AcceptAndServe(id, func(opts []grpc.ServerOption) *grpc.Server {
		return newHostGRPCServer(opts, host)
	})
	r, err := c.rpc.Start(ctx, &pluginv1.StartRequest{HostBrokerId: id})
	if err != nil {
		return nil, plainError(err)
	}
	return r.Addresses, nil
}

// Stop stops the listener.
func (c *Client) Stop(ctx context.Context) error {
	_, err := c.rpc.Stop(ctx, &pluginv1.StopRequest{})
	return plainError(err)
}

// maxFindMessage bounds one Find call on the wire; listeners cap request
// bodies far below it (the HTTP listener's default is 5 MiB).
const maxFindMessage = 256 << 20

// newHostGRPCServer serves finder to a plugin as the Host service.
func newHostGRPCServer(opts []grpc.ServerOption, finder Finder) *grpc.Server {
	s := grpc.NewServer(append(opts, grpc.MaxRecvMsgSize(maxFindMessage))...)
	pluginv1.RegisterHostServer(s, &hostServer{finder: finder})
	return s
}

type hostServer struct {
	finder Finder
}

var (
	_ pluginv1.PluginServer = (*pluginServer)(nil)
	_ pluginv1.HostServer   = (*hostServer)(nil)
)

func (h *hostServer) Find(ctx context.Context, r *pluginv1.FindRequest) (_ *pluginv1.FindResponse, err error) {
	defer func() {
		if p := recover(); p != nil { // a failed call must not take the host down
			err = status.Errorf(codes.Internal, "the host failed on this call: %v", p)
		}
	}()
	found, body, near, err := h.finder.Find(ctx, r.Protocol, r.Body)
	if err != nil {
		return nil, findStatus(ctx, err)
	}
	return &pluginv1.FindResponse{Found: found, Body: body, NearMiss: near}, nil
}

// plainError turns a gRPC status into its message.
func plainError(err error) error {
	if err == nil {
		return nil
	}
	if s, ok := status.FromError(err); ok {
		return errors.New(s.Message())
	}
	return err
}
