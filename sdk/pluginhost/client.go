package pluginhost

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"sync"

	"github.com/hashicorp/go-plugin"
	"github.com/mockarty-oss/mockarty/sdk"
	"github.com/mockarty-oss/mockarty/sdk/gen/pluginv2"
	"github.com/mockarty-oss/mockarty/sdk/internal/wire"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Client is the host's handle on a running plugin.
type Client struct {
	rpc    pluginv2.PluginClient
	broker *plugin.GRPCBroker

	mu      sync.Mutex
	servers []sdk.Server
}

// Info asks the plugin to describe itself.
func (c *Client) Info(ctx context.Context) (sdk.Info, error) {
	r, err := c.rpc.Info(ctx, &pluginv2.InfoRequest{})
	if err != nil {
		return sdk.Info{}, err
	}
	return sdk.Info{Name: r.Name, Kind: r.Kind, Version: r.Version, Description: r.Description,
		SettingsSchema: json.RawMessage(r.SettingsSchema), Protocols: r.Protocols}, nil
}

// Configure hands over the (validated) settings.
func (c *Client) Configure(ctx context.Context, settings json.RawMessage) error {
	r, err := c.rpc.Configure(ctx, &pluginv2.ConfigureRequest{Settings: settings})
	if err != nil {
		return wire.PlainError(err)
	}
	servers := make([]sdk.Server, 0, len(r.Servers))
	for _, sv := range r.Servers {
		servers = append(servers, sdk.Server{Name: sv.Name, Namespace: sv.Namespace, Protocol: sv.Protocol,
			Default: sv.IsDefault, AnyName: sv.AnyName})
	}
	c.mu.Lock()
	c.servers = servers
	c.mu.Unlock()
	return nil
}

// Servers are the servers the plugin named after the last Configure (none
// for a plugin that is no sdk.ServerLister).
func (c *Client) Servers() []sdk.Server {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]sdk.Server(nil), c.servers...)
}

// Health reports the plugin's own view of its health.
func (c *Client) Health(ctx context.Context) error {
	r, err := c.rpc.Health(ctx, &pluginv2.HealthRequest{})
	if err != nil {
		return err
	}
	if !r.Ok {
		return errors.New(r.Message)
	}
	return nil
}

// Start serves host to the plugin and starts the listener.
func (c *Client) Start(ctx context.Context, host Finder) ([]string, error) {
	id := c.broker.NextId()
	go c.broker.AcceptAndServe(id, func(opts []grpc.ServerOption) *grpc.Server {
		return newHostGRPCServer(opts, host)
	})
	r, err := c.rpc.Start(ctx, &pluginv2.StartRequest{HostBrokerId: id})
	if err != nil {
		return nil, wire.PlainError(err)
	}
	return r.Addresses, nil
}

// Stop stops the listener.
func (c *Client) Stop(ctx context.Context) error {
	_, err := c.rpc.Stop(ctx, &pluginv2.StopRequest{})
	return wire.PlainError(err)
}

// Call asks a running plugin to run one of its actions (sdk.Caller). It
// returns sdk.ErrUnknownAction for an action the plugin does not have.
func (c *Client) Call(ctx context.Context, action string, params json.RawMessage) (json.RawMessage, error) {
	r, err := c.rpc.Call(ctx, &pluginv2.CallRequest{Action: action, Params: params})
	switch status.Code(err) {
	case codes.OK:
		return r.Result, nil
	case codes.NotFound, codes.Unimplemented:
		return nil, sdk.ErrUnknownAction
	}
	if e := wire.FindError(err); errors.Is(e, sdk.ErrInvalidInput) {
		return nil, e // the action refused its input (errors.Is sdk.ErrInvalidInput)
	}
	return nil, wire.PlainError(err)
}

// Run runs a job on a tool plugin, calling onProgress for each step, with
// host available to the tool (nil: none). A job the tool fails is an
// sdk.ErrJobFailed (errors.Is).
func (c *Client) Run(ctx context.Context, job sdk.Job, host Finder, onProgress func(sdk.Progress)) (json.RawMessage, error) {
	req := &pluginv2.RunRequest{JobId: job.ID, Kind: job.Kind, Params: job.Params}
	if host != nil {
		id := c.broker.NextId()
		srv := make(chan *grpc.Server, 1)
		go c.broker.AcceptAndServe(id, func(opts []grpc.ServerOption) *grpc.Server {
			s := newHostGRPCServer(opts, host)
			srv <- s
			return s
		})
		// The job's Host service ends with the job.
		defer func() {
			select {
			case s := <-srv:
				s.Stop()
			default:
			}
		}()
		req.HostBrokerId = id
	}
	stream, err := c.rpc.Run(ctx, req)
	if err != nil {
		return nil, wire.PlainError(err)
	}
	for {
		ev, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return nil, errors.New("the tool ended the job without a result")
		}
		if err != nil {
			return nil, wire.PlainError(err)
		}
		if ev.Finished {
			if ev.Error != "" {
				return nil, errors.Join(sdk.ErrJobFailed, errors.New(ev.Error))
			}
			return json.RawMessage(ev.Result), nil
		}
		if onProgress != nil {
			onProgress(sdk.Progress{Percent: ev.Percent, Message: ev.Message, Done: ev.Done, Total: ev.Total,
				ItemKind: ev.ItemKind, Item: ev.Item})
		}
	}
}
