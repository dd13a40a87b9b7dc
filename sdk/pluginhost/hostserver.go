package pluginhost

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/mockarty-oss/mockarty/sdk"
	"github.com/mockarty-oss/mockarty/sdk/gen/pluginv2"
	"github.com/mockarty-oss/mockarty/sdk/internal/wire"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// maxFindMessage bounds one Find call on the wire; listeners cap request
// bodies far below it (the HTTP listener's default is 5 MiB).
const maxFindMessage = 256 << 20

// newHostGRPCServer serves finder to a plugin as the Host service.
func newHostGRPCServer(opts []grpc.ServerOption, finder Finder) *grpc.Server {
	s := grpc.NewServer(append(opts, grpc.MaxRecvMsgSize(maxFindMessage))...)
	pluginv2.RegisterHostServer(s, &hostServer{finder: finder})
	return s
}

// hostServer is the Host service over a Finder.
type hostServer struct {
	finder Finder
}

var _ pluginv2.HostServer = (*hostServer)(nil)

// Find answers one call on its own (a call with a large payload).
func (h *hostServer) Find(ctx context.Context, c *pluginv2.FindCall) (*pluginv2.FindAnswer, error) {
	a, err := h.find(ctx, c)
	if err != nil {
		return nil, wire.FindStatus(ctx, err)
	}
	return a, nil
}

// FindStream serves a plugin's stream of Find calls. Calls run
// concurrently on a pool of workers that grows with the load; answers go
// back as they are ready. Hits and sync acks of a plugin's reply cache are
// handled in order, on the receiving goroutine, so that an ack follows
// every hit sent before it (see ReplyCache).
func (h *hostServer) FindStream(stream pluginv2.Host_FindStreamServer) error {
	ctx := stream.Context()
	var (
		sendMu  sync.Mutex
		sendErr error
		wg      sync.WaitGroup
		workers int
	)
	send := func(a *pluginv2.FindAnswer) error {
		sendMu.Lock()
		defer sendMu.Unlock()
		if sendErr == nil {
			sendErr = stream.Send(a)
		}
		return sendErr
	}
	cache := h.cache()
	var st *cacheStream
	if cache != nil {
		st = cache.open(send)
		defer cache.close(st)
	}
	var caching atomic.Bool // the plugin keeps a reply cache
	work := make(chan *pluginv2.FindCall)
	serve := func(c *pluginv2.FindCall) {
		cctx, note, epoch := ctx, (*cacheNote)(nil), uint64(0)
		if st != nil && caching.Load() {
			note, epoch = &cacheNote{}, cache.epoch.Load()
			cctx = context.WithValue(ctx, cacheNoteKey{}, note)
		}
		a, err := h.find(cctx, c)
		switch {
		case err != nil:
			a = &pluginv2.FindAnswer{Id: c.Id, Error: err.Error()}
			_, a.ErrorReason = wire.Refusal(ctx, err)
		case note != nil && note.ok && a.NoMatch == nil:
			a.CacheEpoch = cache.epochFor(st, epoch)
		}
		_ = send(a)
	}
	worker := func(first *pluginv2.FindCall) {
		defer wg.Done()
		serve(first)
		for c := range work {
			serve(c)
		}
	}
	maxWorkers := 8 * runtime.GOMAXPROCS(0)
	defer func() {
		close(work)
		wg.Wait()
	}()
	for {
		c, err := stream.Recv()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if c.Caches {
			caching.Store(true)
		}
		if st != nil {
			if len(c.Hits) > 0 {
				cache.hits.Add(h.replay(ctx, c.Hits, c.HitCounts))
			}
			if c.SyncAck != 0 {
				st.acked(c.SyncAck)
			}
		}
		if c.Call == nil {
			continue
		}
		select {
		case work <- c:
			continue
		default:
		}
		if workers < maxWorkers {
			workers++
			wg.Add(1)
			go worker(c)
			continue
		}
		select {
		case work <- c:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// cache is the Finder's reply cache (nil: it offers none).
func (h *hostServer) cache() *ReplyCache {
	if rc, ok := h.finder.(ReplyCacher); ok {
		return rc.ReplyCache()
	}
	return nil
}

// replay resolves the calls a plugin answered from its reply cache, as if
// they had come to the host: their request logs, counters and metrics.
// The answers are dropped; a call that cannot be decoded is skipped. It
// returns how many calls it replayed.
func (h *hostServer) replay(ctx context.Context, hits [][]byte, counts []uint32) uint64 {
	var n uint64
	for i, b := range hits {
		times := uint32(1)
		if i < len(counts) && counts[i] > 1 {
			times = min(counts[i], maxReplays)
		}
		var c pluginv2.FindCall
		if proto.Unmarshal(b, &c) != nil {
			continue
		}
		for range times {
			_, _ = h.find(ctx, &c)
		}
		n += uint64(times)
	}
	return n
}

// maxReplays bounds the calls one hit stands for: a plugin sends its hits
// every few milliseconds.
const maxReplays = 1 << 20

// errNoReply: a Finder answered neither a reply nor an error.
var errNoReply = errors.New("the host's finder answered neither a reply nor an error")

// find resolves one call: the answer holds the reply or the near-miss
// report; the error is a refusal (wire.Refusal) or an outage.
func (h *hostServer) find(ctx context.Context, c *pluginv2.FindCall) (a *pluginv2.FindAnswer, err error) {
	defer func() {
		if p := recover(); p != nil { // a failed call must not take the host down
			a, err = nil, fmt.Errorf("the host failed on this call: %v", p)
		}
	}()
	resp, err := h.resolve(ctx, c)
	a = &pluginv2.FindAnswer{Id: c.Id}
	var nm *sdk.NoMatch
	switch {
	case errors.As(err, &nm):
		a.NoMatch = &pluginv2.NoMatch{Error: nm.Message, Code: nm.Code, Namespace: nm.Namespace, Method: nm.Method,
			Path: nm.Path, Candidates: nm.Candidates}
	case err != nil:
		return nil, err
	case !wire.AnswerOf(a, resp):
		return nil, errNoReply
	}
	return a, nil
}

// reply is a Finder's answer as AnswerOf's input: a nil reply without an
// error is errNoReply.
func reply[R any](r *R, err error) (any, error) {
	switch {
	case err != nil:
		return nil, err
	case r == nil:
		return nil, errNoReply
	}
	return r, nil
}

// resolve hands a call to the Finder method of its protocol.
func (h *hostServer) resolve(ctx context.Context, c *pluginv2.FindCall) (any, error) {
	f := h.finder
	switch x := c.Call.(type) {
	case *pluginv2.FindCall_Http:
		return reply(f.FindHTTP(ctx, wire.HTTPRequestOf(x.Http)))
	case *pluginv2.FindCall_Grpc:
		return reply(f.FindGRPC(ctx, wire.GRPCRequestOf(x.Grpc)))
	case *pluginv2.FindCall_Socket:
		return reply(f.FindSocket(ctx, wire.SocketRequestOf(x.Socket)))
	case *pluginv2.FindCall_Kafka:
		return reply(f.FindKafka(ctx, wire.KafkaRequestOf(x.Kafka)))
	case *pluginv2.FindCall_Rabbitmq:
		return reply(f.FindRabbitMQ(ctx, wire.RabbitMQRequestOf(x.Rabbitmq)))
	case *pluginv2.FindCall_Smtp:
		return reply(f.FindSMTP(ctx, wire.SMTPRequestOf(x.Smtp)))
	case *pluginv2.FindCall_Soap:
		return reply(f.FindSOAP(ctx, wire.SOAPRequestOf(x.Soap)))
	case *pluginv2.FindCall_Mcp:
		return reply(f.FindMCP(ctx, wire.MCPRequestOf(x.Mcp)))
	case *pluginv2.FindCall_Graphql:
		return reply(f.FindGraphQL(ctx, wire.GraphQLRequestOf(x.Graphql)))
	case *pluginv2.FindCall_Sse:
		return reply(f.FindSSE(ctx, wire.SSERequestOf(x.Sse)))
	}
	return nil, fmt.Errorf("%w: a find call of no protocol", sdk.ErrInvalidInput)
}

// The HostData calls, when the Finder offers them.

func (h *hostServer) hostData() (sdk.HostData, error) {
	if d, ok := h.finder.(sdk.HostData); ok {
		return d, nil
	}
	return nil, status.Error(codes.Unimplemented, sdk.ErrNotSupported.Error())
}

func (h *hostServer) ListMocks(ctx context.Context, r *pluginv2.ListMocksRequest) (*pluginv2.ListMocksResponse, error) {
	d, err := h.hostData()
	if err != nil {
		return nil, err
	}
	mocks, err := d.ListMocks(ctx, r.Protocol, r.Namespace)
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	out := &pluginv2.ListMocksResponse{Mocks: make([][]byte, len(mocks))}
	for i, m := range mocks {
		out.Mocks[i] = m
	}
	return out, nil
}

func (h *hostServer) ListDocuments(ctx context.Context, r *pluginv2.ListDocumentsRequest) (*pluginv2.ListDocumentsResponse, error) {
	d, err := h.hostData()
	if err != nil {
		return nil, err
	}
	docs, err := d.ListDocuments(ctx, r.Kind, r.Namespace)
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	out := &pluginv2.ListDocumentsResponse{}
	for _, doc := range docs {
		out.Documents = append(out.Documents, &pluginv2.Document{Name: doc.Name, Namespace: doc.Namespace,
			Content: doc.Content, UpdatedAt: doc.UpdatedAt})
	}
	return out, nil
}

func (h *hostServer) Watch(r *pluginv2.WatchRequest, s pluginv2.Host_WatchServer) error {
	d, err := h.hostData()
	if err != nil {
		return err
	}
	ch, err := d.Watch(s.Context(), r.Topics)
	if err != nil {
		return status.Error(codes.InvalidArgument, err.Error())
	}
	if err := s.Send(&pluginv2.WatchEvent{}); err != nil { // watching from here on
		return err
	}
	for topics := range ch {
		if err := s.Send(&pluginv2.WatchEvent{Topics: topics}); err != nil {
			return err
		}
	}
	return nil
}

func (h *hostServer) Capture(ctx context.Context, r *pluginv2.CaptureRequest) (*pluginv2.CaptureResponse, error) {
	d, err := h.hostData()
	if err != nil {
		return nil, err
	}
	id, err := d.Capture(ctx, &sdk.Captured{Protocol: r.Protocol, Namespace: r.Namespace, ServerName: r.ServerName,
		MockID: r.MockId, Summary: r.Summary, Raw: r.Raw})
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	return &pluginv2.CaptureResponse{Id: id}, nil
}
