package pluginhost

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"

	"github.com/mockarty-oss/mockarty/sdk"
	"github.com/mockarty-oss/mockarty/sdk/find"
	"github.com/mockarty-oss/mockarty/sdk/gen/pluginv1"
	"github.com/mockarty-oss/mockarty/sdk/internal/wire"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// maxFindMessage bounds one Find call on the wire; listeners cap request
// bodies far below it (the HTTP listener's default is 5 MiB).
const maxFindMessage = 256 << 20

// newHostGRPCServer serves finder to a plugin as the Host service.
func newHostGRPCServer(opts []grpc.ServerOption, finder Finder) *grpc.Server {
	s := grpc.NewServer(append(opts, grpc.MaxRecvMsgSize(maxFindMessage))...)
	pluginv1.RegisterHostServer(s, &hostServer{finder: finder})
	return s
}

// hostServer is the Host service over a Finder.
type hostServer struct {
	finder Finder
}

var _ pluginv1.HostServer = (*hostServer)(nil)

func (h *hostServer) Find(ctx context.Context, r *pluginv1.FindRequest) (_ *pluginv1.FindResponse, err error) {
	defer func() {
		if p := recover(); p != nil { // a failed call must not take the host down
			err = status.Errorf(codes.Internal, "the host failed on this call: %v", p)
		}
	}()
	found, body, near, err := h.finder.Find(ctx, r.Protocol, r.Body)
	if err != nil {
		return nil, wire.FindStatus(ctx, err)
	}
	return &pluginv1.FindResponse{Found: found, Body: body, NearMiss: near}, nil
}

// FindStream serves a plugin's stream of Find calls. Calls run
// concurrently on a pool of workers that grows with the load; answers go
// back as they are ready.
func (h *hostServer) FindStream(stream pluginv1.Host_FindStreamServer) error {
	ctx := stream.Context()
	var (
		sendMu  sync.Mutex
		sendErr error
		wg      sync.WaitGroup
		workers int
	)
	work := make(chan *pluginv1.FindStreamRequest)
	serve := func(req *pluginv1.FindStreamRequest) {
		resp := h.answer(ctx, req)
		sendMu.Lock()
		if sendErr == nil {
			sendErr = stream.Send(resp)
		}
		sendMu.Unlock()
	}
	worker := func(first *pluginv1.FindStreamRequest) {
		defer wg.Done()
		serve(first)
		for req := range work {
			serve(req)
		}
	}
	maxWorkers := 8 * runtime.GOMAXPROCS(0)
	defer func() {
		close(work)
		wg.Wait()
	}()
	for {
		req, err := stream.Recv()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		select {
		case work <- req:
			continue
		default:
		}
		if workers < maxWorkers {
			workers++
			wg.Add(1)
			go worker(req)
			continue
		}
		select {
		case work <- req:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// answer resolves one call of a FindStream.
func (h *hostServer) answer(ctx context.Context, req *pluginv1.FindStreamRequest) (out *pluginv1.FindStreamResponse) {
	out = &pluginv1.FindStreamResponse{Id: req.Id}
	defer func() {
		if p := recover(); p != nil { // a failed call must not take the host down
			out = &pluginv1.FindStreamResponse{Id: req.Id, Error: fmt.Sprintf("the host failed on this call: %v", p)}
		}
	}()
	switch c := req.Call.(type) {
	case *pluginv1.FindStreamRequest_Http:
		resp, near, err := h.findHTTP(ctx, requestOfHTTPCall(c.Http))
		switch {
		case err != nil:
			out.Error = err.Error()
			_, out.ErrorReason = wire.Refusal(ctx, err)
		case resp == nil:
			out.NearMiss = near
		default:
			out.Found = true
			out.Result = &pluginv1.FindStreamResponse_Http{Http: httpReplyOf(resp)}
		}
	case *pluginv1.FindStreamRequest_Find:
		found, body, near, err := h.finder.Find(ctx, c.Find.Protocol, c.Find.Body)
		if err != nil {
			out.Error = err.Error()
			_, out.ErrorReason = wire.Refusal(ctx, err)
			break
		}
		out.Found, out.NearMiss = found, near
		if found {
			out.Result = &pluginv1.FindStreamResponse_Body{Body: body}
		}
	default:
		out.Error = "empty find call"
	}
	return out
}

// findHTTP answers a typed HTTP call: through the Finder's HTTPFinder when
// it has one, else as JSON. A miss is no response and the near-miss report.
func (h *hostServer) findHTTP(ctx context.Context, req *find.HTTPRequest) (*find.HTTPResponse, []byte, error) {
	if hf, ok := h.finder.(HTTPFinder); ok {
		resp, err := hf.FindHTTP(ctx, req)
		var nm *sdk.NoMatch
		switch {
		case errors.As(err, &nm):
			near, err := json.Marshal(nm)
			return nil, near, err
		case err == nil && resp == nil:
			return nil, nil, errors.New("the host's FindHTTP returned neither an answer nor an error")
		}
		return resp, nil, err
	}
	body, err := json.Marshal(req)
	if err != nil {
		return nil, nil, err
	}
	found, b, near, err := h.finder.Find(ctx, wire.ProtoHTTP, body)
	if err != nil || !found {
		return nil, near, err
	}
	var resp find.HTTPResponse
	if err := json.Unmarshal(b, &resp); err != nil {
		return nil, nil, err
	}
	return &resp, nil, nil
}

// requestOfHTTPCall is the find request an HTTPCall carries.
func requestOfHTTPCall(c *pluginv1.HTTPCall) *find.HTTPRequest {
	r := &find.HTTPRequest{Namespace: c.Namespace, ServerName: c.ServerName, Method: c.Method, Path: c.Path,
		Query: wire.MapOf(c.Query), Headers: wire.MapOf(c.Headers)}
	r.SetBody(c.Body)
	return r
}

// httpReplyOf is the typed wire form of an HTTP find response.
func httpReplyOf(r *find.HTTPResponse) *pluginv1.HTTPReply {
	body, kind := r.Payload()
	out := &pluginv1.HTTPReply{MockId: r.MockID, StatusCode: int32(r.StatusCode), Body: body,
		Kind: pluginv1.PayloadKind(kind), DelayMs: r.Delay, Headers: wire.KeyValuesOf(r.Headers)}
	if r.Proxy != nil {
		out.ProxyTarget = r.Proxy.Target
	}
	return out
}

// The HostData calls, when the Finder offers them.

func (h *hostServer) hostData() (sdk.HostData, error) {
	if d, ok := h.finder.(sdk.HostData); ok {
		return d, nil
	}
	return nil, status.Error(codes.Unimplemented, sdk.ErrNotSupported.Error())
}

func (h *hostServer) ListMocks(ctx context.Context, r *pluginv1.ListMocksRequest) (*pluginv1.ListMocksResponse, error) {
	d, err := h.hostData()
	if err != nil {
		return nil, err
	}
	mocks, err := d.ListMocks(ctx, r.Protocol, r.Namespace)
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	out := &pluginv1.ListMocksResponse{Mocks: make([][]byte, len(mocks))}
	for i, m := range mocks {
		out.Mocks[i] = m
	}
	return out, nil
}

func (h *hostServer) ListDocuments(ctx context.Context, r *pluginv1.ListDocumentsRequest) (*pluginv1.ListDocumentsResponse, error) {
	d, err := h.hostData()
	if err != nil {
		return nil, err
	}
	docs, err := d.ListDocuments(ctx, r.Kind, r.Namespace)
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	out := &pluginv1.ListDocumentsResponse{}
	for _, doc := range docs {
		out.Documents = append(out.Documents, &pluginv1.Document{Name: doc.Name, Namespace: doc.Namespace,
			Content: doc.Content, UpdatedAt: doc.UpdatedAt})
	}
	return out, nil
}

func (h *hostServer) Watch(r *pluginv1.WatchRequest, s pluginv1.Host_WatchServer) error {
	d, err := h.hostData()
	if err != nil {
		return err
	}
	ch, err := d.Watch(s.Context(), r.Topics)
	if err != nil {
		return status.Error(codes.InvalidArgument, err.Error())
	}
	if err := s.Send(&pluginv1.WatchEvent{}); err != nil { // watching from here on
		return err
	}
	for topics := range ch {
		if err := s.Send(&pluginv1.WatchEvent{Topics: topics}); err != nil {
			return err
		}
	}
	return nil
}

func (h *hostServer) Capture(ctx context.Context, r *pluginv1.CaptureRequest) (*pluginv1.CaptureResponse, error) {
	d, err := h.hostData()
	if err != nil {
		return nil, err
	}
	id, err := d.Capture(ctx, &sdk.Captured{Protocol: r.Protocol, Namespace: r.Namespace, ServerName: r.ServerName,
		MockID: r.MockId, Summary: r.Summary, Raw: r.Raw})
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	return &pluginv1.CaptureResponse{Id: id}, nil
}
