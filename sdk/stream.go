package sdk

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"sync"
	"sync/atomic"

	"github.com/mockarty-oss/mockarty/sdk/find"
	"github.com/mockarty-oss/mockarty/sdk/gen/pluginv1"
	"github.com/mockarty-oss/mockarty/sdk/internal/wire"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Find calls travel over one FindStream per plugin: one HTTP/2 stream
// instead of one per call, so a call costs a message each way rather than
// a stream's headers, trailers and goroutines. Calls with bodies over
// wire.StreamMaxBody use the unary Find, so that they never hold up the
// small ones behind them.

// remoteHost is the plugin's connection to the host: the Host a listener
// or a tool gets.
type remoteHost struct {
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

func newRemoteHost(rpc pluginv1.HostClient) *remoteHost { return &remoteHost{rpc: rpc} }

var _ Host = (*remoteHost)(nil)

// find is one Find call in its JSON form: the host's answer when found,
// its near-miss report when not.
func (f *remoteHost) find(ctx context.Context, protocol string, body []byte) (found bool, resp, nearMiss []byte, err error) {
	call := &pluginv1.FindRequest{Protocol: protocol, Body: body}
	if len(body) <= wire.StreamMaxBody && !f.unsupported.Load() {
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
		return false, nil, nil, wire.FindError(err)
	}
	return r.Found, r.Body, r.NearMiss, nil
}

// findJSON is a Find whose request and answer travel as JSON.
func findJSON[Req, Resp any](ctx context.Context, f *remoteHost, protocol string, req *Req) (*Resp, error) {
	b, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	found, resp, near, err := f.find(ctx, protocol, b)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, noMatchOf(near)
	}
	var out Resp
	if err := json.Unmarshal(resp, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// noMatchOf is the NoMatch of the host's near-miss report.
func noMatchOf(nearMiss []byte) *NoMatch {
	var nm NoMatch
	_ = json.Unmarshal(nearMiss, &nm)
	return &nm
}

// FindHTTP travels typed on the stream, without JSON.
func (f *remoteHost) FindHTTP(ctx context.Context, req *find.HTTPRequest) (*find.HTTPResponse, error) {
	if len(req.RawBody()) > wire.StreamMaxBody || f.unsupported.Load() {
		return findJSON[find.HTTPRequest, find.HTTPResponse](ctx, f, wire.ProtoHTTP, req)
	}
	r, err := f.call(ctx, &pluginv1.FindStreamRequest{Call: &pluginv1.FindStreamRequest_Http{Http: httpCallOf(req)}})
	if errors.Is(err, errNoStream) {
		return findJSON[find.HTTPRequest, find.HTTPResponse](ctx, f, wire.ProtoHTTP, req)
	}
	if err != nil {
		return nil, err
	}
	if !r.Found {
		return nil, noMatchOf(r.NearMiss)
	}
	return responseOfHTTPReply(r.GetHttp()), nil
}

func (f *remoteHost) FindGRPC(ctx context.Context, r *find.GRPCRequest) (*find.GRPCResponse, error) {
	return findJSON[find.GRPCRequest, find.GRPCResponse](ctx, f, wire.ProtoGRPC, r)
}
func (f *remoteHost) FindSocket(ctx context.Context, r *find.SocketRequest) (*find.SocketResponse, error) {
	return findJSON[find.SocketRequest, find.SocketResponse](ctx, f, wire.ProtoSocket, r)
}
func (f *remoteHost) FindKafka(ctx context.Context, r *find.KafkaRequest) (*find.KafkaResponse, error) {
	return findJSON[find.KafkaRequest, find.KafkaResponse](ctx, f, wire.ProtoKafka, r)
}
func (f *remoteHost) FindRabbitMQ(ctx context.Context, r *find.RabbitMQRequest) (*find.RabbitMQResponse, error) {
	return findJSON[find.RabbitMQRequest, find.RabbitMQResponse](ctx, f, wire.ProtoRabbitMQ, r)
}
func (f *remoteHost) FindSMTP(ctx context.Context, r *find.SMTPRequest) (*find.SMTPResponse, error) {
	return findJSON[find.SMTPRequest, find.SMTPResponse](ctx, f, wire.ProtoSMTP, r)
}
func (f *remoteHost) FindSOAP(ctx context.Context, r *find.SOAPRequest) (*find.SOAPResponse, error) {
	return findJSON[find.SOAPRequest, find.SOAPResponse](ctx, f, wire.ProtoSOAP, r)
}
func (f *remoteHost) FindMCP(ctx context.Context, r *find.MCPRequest) (*find.MCPResponse, error) {
	return findJSON[find.MCPRequest, find.MCPResponse](ctx, f, wire.ProtoMCP, r)
}
func (f *remoteHost) FindGraphQL(ctx context.Context, r *find.GraphQLRequest) (*find.GraphQLResponse, error) {
	return findJSON[find.GraphQLRequest, find.GraphQLResponse](ctx, f, wire.ProtoGraphQL, r)
}
func (f *remoteHost) FindSSE(ctx context.Context, r *find.SSERequest) (*find.SSEResponse, error) {
	return findJSON[find.SSERequest, find.SSEResponse](ctx, f, wire.ProtoSSE, r)
}

// httpCallOf is the typed wire form of an HTTP find request.
func httpCallOf(r *find.HTTPRequest) *pluginv1.HTTPCall {
	return &pluginv1.HTTPCall{Namespace: r.Namespace, ServerName: r.ServerName, Method: r.Method, Path: r.Path,
		Query: wire.KeyValuesOf(r.Query), Headers: wire.KeyValuesOf(r.Headers), Body: r.RawBody()}
}

// responseOfHTTPReply is the find response an HTTPReply carries.
func responseOfHTTPReply(c *pluginv1.HTTPReply) *find.HTTPResponse {
	r := &find.HTTPResponse{Found: true, MockID: c.MockId, StatusCode: int(c.StatusCode), Delay: c.DelayMs,
		Headers: wire.MapOf(c.Headers)}
	r.SetPayload(c.Body, find.PayloadKind(c.Kind))
	if c.ProxyTarget != "" {
		r.Proxy = &find.ProxyTarget{Target: c.ProxyTarget}
	}
	return r
}

// errNoStream: the host does not serve FindStream; use the unary Find.
var errNoStream = errors.New("the host has no FindStream")

// call sends one call on the stream and waits for its answer.
func (f *remoteHost) call(ctx context.Context, req *pluginv1.FindStreamRequest) (*pluginv1.FindStreamResponse, error) {
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
			return nil, wire.Refused(r.ErrorReason, r.Error)
		}
		return r, nil
	case <-ctx.Done():
		st.forget(id)
		return nil, ctx.Err()
	}
}

var chanPool = sync.Pool{New: func() any { return make(chan *pluginv1.FindStreamResponse, 1) }}

// register opens the stream when there is none and adds a waiting call.
func (f *remoteHost) register() (*findStream, uint64, chan *pluginv1.FindStreamResponse, error) {
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
func (f *remoteHost) receive(st *findStream) {
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
func (f *remoteHost) streamError(st *findStream, sendErr error) error {
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
func (f *remoteHost) close() {
	f.mu.Lock()
	f.closed = true
	st := f.cur
	f.mu.Unlock()
	if st != nil {
		st.cancel()
	}
}
