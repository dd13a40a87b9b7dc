package sdk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/mockarty-oss/mockarty/sdk/gen/pluginv1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Find calls travel over one FindStream per plugin: one HTTP/2 stream
// instead of one per call, so a call costs a message each way rather than
// a stream's headers, trailers and goroutines. Calls with large bodies use
// the unary Find, so that they never hold up the small ones behind them.
const streamMaxBody = 256 << 10

// remoteFinder is the plugin's connection to the host's Finder.
type remoteFinder struct {
	rpc         pluginv1.HostClient
	unsupported atomic.Bool // the host has no FindStream

	mu     sync.Mutex
	cur    *findStream
	nextID uint64
	closed bool
}

// findStream is one open FindStream and the calls waiting on it.
type findStream struct {
	s      pluginv1.Host_FindStreamClient
	cancel context.CancelFunc

	sendMu sync.Mutex

	mu      sync.Mutex
	pending map[uint64]chan *pluginv1.FindStreamResponse
	err     error // set once the stream has failed
}

func newRemoteFinder(rpc pluginv1.HostClient) *remoteFinder { return &remoteFinder{rpc: rpc} }

// Find implements Finder.
func (f *remoteFinder) Find(ctx context.Context, protocol string, body []byte) (bool, []byte, []byte, error) {
	call := &pluginv1.FindRequest{Protocol: protocol, Body: body}
	if len(body) <= streamMaxBody && !f.unsupported.Load() {
		r, err := f.call(ctx, &pluginv1.FindStreamRequest{Call: &pluginv1.FindStreamRequest_Find{Find: call}})
		if err == nil {
			return r.Found, r.GetBody(), r.NearMiss, nil
		}
		if !errors.Is(err, errNoStream) {
			return false, nil, nil, err
		}
	}
	r, err := f.rpc.Find(ctx, call)
	if err != nil {
		return false, nil, nil, findError(err)
	}
	return r.Found, r.Body, r.NearMiss, nil
}

// FindHTTP implements HTTPFinder: the call travels typed, without JSON.
func (f *remoteFinder) FindHTTP(ctx context.Context, req *FindHTTPRequest) (*FindHTTPResponse, *NearMiss, error) {
	if len(req.RawBody()) > streamMaxBody || f.unsupported.Load() {
		return find[FindHTTPRequest, FindHTTPResponse](ctx, f, "http", req.forJSON())
	}
	r, err := f.call(ctx, &pluginv1.FindStreamRequest{Call: &pluginv1.FindStreamRequest_Http{Http: HTTPCallOf(req)}})
	if errors.Is(err, errNoStream) {
		return find[FindHTTPRequest, FindHTTPResponse](ctx, f, "http", req.forJSON())
	}
	if err != nil {
		return nil, nil, err
	}
	if !r.Found {
		var nm NearMiss
		_ = json.Unmarshal(r.NearMiss, &nm)
		return nil, &nm, nil
	}
	return ResponseOfHTTPReply(r.GetHttp()), nil, nil
}

// errNoStream: the host does not serve FindStream; use the unary Find.
var errNoStream = errors.New("the host has no FindStream")

// call sends one call on the stream and waits for its answer.
func (f *remoteFinder) call(ctx context.Context, req *pluginv1.FindStreamRequest) (*pluginv1.FindStreamResponse, error) {
	st, id, ch, err := f.register()
	if err != nil {
		return nil, err
	}
	req.Id = id
	st.sendMu.Lock()
	err = st.s.Send(req)
	st.sendMu.Unlock()
	if err != nil {
		// The stream broke; its receiver reports why to every waiting call.
		st.forget(id)
		return nil, f.streamError(st, err)
	}
	select {
	case r := <-ch:
		if r == nil {
			return nil, f.streamError(st, nil)
		}
		chanPool.Put(ch)
		if r.Error != "" {
			return nil, refused(r.ErrorReason, r.Error)
		}
		return r, nil
	case <-ctx.Done():
		st.forget(id)
		return nil, ctx.Err()
	}
}

var chanPool = sync.Pool{New: func() any { return make(chan *pluginv1.FindStreamResponse, 1) }}

// register opens the stream when there is none and adds a waiting call.
func (f *remoteFinder) register() (*findStream, uint64, chan *pluginv1.FindStreamResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return nil, 0, nil, errors.New("the connection to the host is closed")
	}
	if f.cur == nil {
		ctx, cancel := context.WithCancel(context.Background())
		s, err := f.rpc.FindStream(ctx)
		if err != nil {
			cancel()
			return nil, 0, nil, err
		}
		f.cur = &findStream{s: s, cancel: cancel, pending: map[uint64]chan *pluginv1.FindStreamResponse{}}
		go f.receive(f.cur)
	}
	f.nextID++
	ch := chanPool.Get().(chan *pluginv1.FindStreamResponse)
	st := f.cur
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.err != nil {
		chanPool.Put(ch)
		return nil, 0, nil, st.err
	}
	st.pending[f.nextID] = ch
	return st, f.nextID, ch, nil
}

// receive hands each answer to its call until the stream ends, then fails
// the calls still waiting and lets the next call open a new stream.
func (f *remoteFinder) receive(st *findStream) {
	var err error
	for {
		var r *pluginv1.FindStreamResponse
		if r, err = st.s.Recv(); err != nil {
			break
		}
		st.mu.Lock()
		ch := st.pending[r.Id]
		delete(st.pending, r.Id)
		st.mu.Unlock()
		if ch != nil {
			ch <- r // buffered: never blocks
		}
	}
	if status.Code(err) == codes.Unimplemented {
		f.unsupported.Store(true)
		err = errNoStream
	} else if err == io.EOF {
		err = errors.New("the host closed the find stream")
	}
	f.mu.Lock()
	if f.cur == st {
		f.cur = nil
	}
	f.mu.Unlock()
	st.mu.Lock()
	st.err = err
	waiting := st.pending
	st.pending = nil
	st.mu.Unlock()
	for _, ch := range waiting {
		ch <- nil
	}
	st.cancel()
}

func (st *findStream) forget(id uint64) {
	st.mu.Lock()
	delete(st.pending, id)
	st.mu.Unlock()
}

// streamError is why st failed, once its receiver knows; sendErr otherwise.
func (f *remoteFinder) streamError(st *findStream, sendErr error) error {
	st.mu.Lock()
	err := st.err
	st.mu.Unlock()
	if err == nil {
		if f.unsupported.Load() {
			return errNoStream
		}
		err = sendErr
	}
	if err == nil || err == io.EOF {
		err = errors.New("the host closed the find stream")
	}
	return err
}

// close ends the stream; calls still waiting fail.
func (f *remoteFinder) close() {
	f.mu.Lock()
	f.closed = true
	st := f.cur
	f.mu.Unlock()
	if st != nil {
		st.cancel()
	}
}

// FindStream serves a plugin's stream of Find calls (host side). Calls run
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
		resp, nm, err := HostFromFinder(h.finder).FindHTTP(ctx, RequestOfHTTPCall(c.Http))
		switch {
		case err != nil:
			out.Error = err.Error()
			_, out.ErrorReason = refusal(ctx, err)
		case nm != nil:
			out.NearMiss, _ = json.Marshal(nm)
		default:
			out.Found = true
			out.Result = &pluginv1.FindStreamResponse_Http{Http: HTTPReplyOf(resp)}
		}
	case *pluginv1.FindStreamRequest_Find:
		found, body, near, err := h.finder.Find(ctx, c.Find.Protocol, c.Find.Body)
		if err != nil {
			out.Error = err.Error()
			_, out.ErrorReason = refusal(ctx, err)
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

// HTTPCallOf is the typed wire form of an HTTP find request.
func HTTPCallOf(r *FindHTTPRequest) *pluginv1.HTTPCall {
	return &pluginv1.HTTPCall{Namespace: r.Namespace, ServerName: r.ServerName, Method: r.Method, Path: r.Path,
		Query: keyValuesOf(r.Query), Headers: keyValuesOf(r.Headers), Body: r.RawBody()}
}

// RequestOfHTTPCall is the find request an HTTPCall carries.
func RequestOfHTTPCall(c *pluginv1.HTTPCall) *FindHTTPRequest {
	r := &FindHTTPRequest{Namespace: c.Namespace, ServerName: c.ServerName, Method: c.Method, Path: c.Path,
		Query: multiMapOf(c.Query), Headers: multiMapOf(c.Headers)}
	r.SetBody(c.Body)
	return r
}

// HTTPReplyOf is the typed wire form of an HTTP find response.
func HTTPReplyOf(r *FindHTTPResponse) *pluginv1.HTTPReply {
	body, kind := r.Payload()
	out := &pluginv1.HTTPReply{MockId: r.MockID, StatusCode: int32(r.StatusCode), Body: body,
		Kind: pluginv1.PayloadKind(kind), DelayMs: r.Delay, Headers: keyValuesOf(r.Headers)}
	if r.Proxy != nil {
		out.ProxyTarget = r.Proxy.Target
	}
	return out
}

// ResponseOfHTTPReply is the find response an HTTPReply carries.
func ResponseOfHTTPReply(c *pluginv1.HTTPReply) *FindHTTPResponse {
	r := &FindHTTPResponse{Found: true, MockID: c.MockId, StatusCode: int(c.StatusCode), Delay: c.DelayMs,
		Headers: multiMapOf(c.Headers)}
	r.SetPayload(c.Body, PayloadKind(c.Kind))
	if c.ProxyTarget != "" {
		r.Proxy = &ProxyTarget{Target: c.ProxyTarget}
	}
	return r
}

func keyValuesOf(m map[string][]string) []*pluginv1.KeyValues {
	if len(m) == 0 {
		return nil
	}
	out := make([]*pluginv1.KeyValues, 0, len(m))
	for k, v := range m {
		out = append(out, &pluginv1.KeyValues{Key: k, Values: v})
	}
	return out
}

func multiMapOf(kvs []*pluginv1.KeyValues) MultiMap {
	if len(kvs) == 0 {
		return nil
	}
	out := make(MultiMap, len(kvs))
	for _, kv := range kvs {
		out[kv.Key] = append(out[kv.Key], kv.Values...)
	}
	return out
}
