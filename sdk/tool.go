package sdk

import (
	"context"
	"encoding/json"
	"errors"
	"io"

	"github.com/mockarty-oss/mockarty/sdk/gen/pluginv1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Job is one piece of work for a tool (a load run, a fuzz campaign, ...).
type Job struct {
	ID     string
	Kind   string          // what to do, as the tool defines it
	Params json.RawMessage // a JSON object
}

// Progress is a step of a running job.
type Progress struct {
	Percent     float64
	Message     string
	Done, Total int64
}

// Tool is a plugin that runs jobs. Run reports progress as it goes and
// returns the job's result (JSON); the host may cancel ctx.
type Tool interface {
	Plugin
	Run(ctx context.Context, job Job, host Host, report func(Progress)) (json.RawMessage, error)
}

func (s *pluginServer) Run(r *pluginv1.RunRequest, stream grpc.ServerStreamingServer[pluginv1.RunEvent]) error {
	t, ok := s.impl.(Tool)
	if !ok {
		return status.Error(codes.Unimplemented, "this plugin is not a tool")
	}
	var host Host
	if r.HostBrokerId != 0 {
		conn, err := s.broker.Dial(r.HostBrokerId)
		if err != nil {
			return status.Errorf(codes.Unavailable, "connect to the host: %v", err)
		}
		defer conn.Close()
		finder := newRemoteFinder(pluginv1.NewHostClient(conn))
		defer finder.close()
		host = HostFromFinder(finder)
	}
	report := func(p Progress) {
		_ = stream.Send(&pluginv1.RunEvent{Percent: p.Percent, Message: p.Message, Done: p.Done, Total: p.Total})
	}
	result, err := t.Run(stream.Context(), Job{ID: r.JobId, Kind: r.Kind, Params: r.Params}, host, report)
	if err != nil {
		return stream.Send(&pluginv1.RunEvent{Finished: true, Error: err.Error()})
	}
	return stream.Send(&pluginv1.RunEvent{Finished: true, Percent: 100, Result: result})
}

// ErrJobFailed wraps the error a tool reported for a job.
var ErrJobFailed = errors.New("job failed")

// Run runs a job on a tool plugin, calling onProgress for each step, with
// the host's Finder available to the tool (nil: none).
func (c *Client) Run(ctx context.Context, job Job, host Finder, onProgress func(Progress)) (json.RawMessage, error) {
	req := &pluginv1.RunRequest{JobId: job.ID, Kind: job.Kind, Params: job.Params}
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
		return nil, plainError(err)
	}
	for {
		ev, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return nil, errors.New("the tool ended the job without a result")
		}
		if err != nil {
			return nil, plainError(err)
		}
		if ev.Finished {
			if ev.Error != "" {
				return nil, errors.Join(ErrJobFailed, errors.New(ev.Error))
			}
			return json.RawMessage(ev.Result), nil
		}
		if onProgress != nil {
			onProgress(Progress{Percent: ev.Percent, Message: ev.Message, Done: ev.Done, Total: ev.Total})
		}
	}
}
