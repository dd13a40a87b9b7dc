package sdk

import (
	"context"
	"encoding/json"
	"errors"
	"sync"

	"github.com/mockarty-oss/mockarty/sdk/gen/pluginv2"
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

// Progress is a step of a running job. Item, when set, is a product of
// the job (a request's result, a finding) as JSON, which the host stores
// as it arrives: a long job keeps nothing in memory and a crash loses at
// most the item in flight. ItemKind says what the item is.
type Progress struct {
	Percent     float64
	Message     string
	Done, Total int64
	ItemKind    string
	Item        json.RawMessage
}

// Tool is a plugin that runs jobs. Run reports progress as it goes and
// returns the job's result (JSON); the host may cancel ctx. host is nil
// when the host offers none for the job.
type Tool interface {
	Plugin
	Run(ctx context.Context, job Job, host Host, report func(Progress)) (json.RawMessage, error)
}

func (s *pluginServer) Run(r *pluginv2.RunRequest, stream grpc.ServerStreamingServer[pluginv2.RunEvent]) error {
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
		remote := newRemoteHost(pluginv2.NewHostClient(conn))
		defer remote.close()
		host = remote
	}
	var sendMu sync.Mutex // a tool may report from several goroutines
	report := func(p Progress) {
		sendMu.Lock()
		defer sendMu.Unlock()
		_ = stream.Send(&pluginv2.RunEvent{Percent: p.Percent, Message: p.Message, Done: p.Done, Total: p.Total,
			ItemKind: p.ItemKind, Item: p.Item})
	}
	result, err := t.Run(stream.Context(), Job{ID: r.JobId, Kind: r.Kind, Params: r.Params}, host, report)
	if err != nil {
		return stream.Send(&pluginv2.RunEvent{Finished: true, Error: err.Error()})
	}
	return stream.Send(&pluginv2.RunEvent{Finished: true, Percent: 100, Result: result})
}

// ErrJobFailed wraps the error a tool reported for a job.
var ErrJobFailed = errors.New("job failed")
