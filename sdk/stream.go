package sdk

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"

	"github.com/mockarty-oss/mockarty/sdk/find"
	"github.com/mockarty-oss/mockarty/sdk/gen/pluginv2"
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
	rpc         pluginv2.HostClient
	unsupported atomic.Bool // the host has no FindStream

	mu     sync.Mutex
	cur    *findStream
	nextID uint64
	closed bool
}

// findStream is one open FindStream and the calls waiting on it.
type findStream struct {
	s      pluginv2.Host_FindStreamClient
	cancel context.CancelFunc

	sendMu sync.Mutex

	mu      sync.Mutex
	pending map[uint64]chan *pluginv2.FindAnswer
	err     error // set once the stream has failed
	// done is closed when the receiver has ended and set err.
	done chan struct{}

	cache replyCache // lives and dies with the stream
}

func newRemoteHost(rpc pluginv2.HostClient) *remoteHost { return &remoteHost{rpc: rpc} }

var _ Host = (*remoteHost)(nil)

// find sends one call: on the stream, or on its own when its payload is
// larger than wire.StreamMaxBody or the host has no stream. The answer
// holds the host's reply; a miss is a *NoMatch error.
func (f *remoteHost) find(ctx context.Context, req any) (*pluginv2.FindAnswer, error) {
	c := wire.CallOf(req)
	if c == nil {
		return nil, fmt.Errorf("%w: %T is no find request", ErrInvalidInput, req)
	}
	var (
		a   *pluginv2.FindAnswer
		err error
	)
	if wire.PayloadSize(c) <= wire.StreamMaxBody && !f.unsupported.Load() {
		a, err = f.call(ctx, c)
	}
	if a == nil && (err == nil || errors.Is(err, errNoStream)) {
		c.Id = 0
		if a, err = f.rpc.Find(ctx, c); err != nil {
			return nil, wire.FindError(err)
		}
	}
	if err != nil {
		return nil, err
	}
	if nm := a.NoMatch; nm != nil {
		return nil, &NoMatch{Message: nm.Error, Code: nm.Code, Namespace: nm.Namespace, Method: nm.Method, Path: nm.Path,
			Candidates: nm.Candidates}
	}
	return a, nil
}

// reply is the find response of an answer, or why there is none.
func reply[C, R any](a *pluginv2.FindAnswer, err error, get func(*pluginv2.FindAnswer) *C, conv func(*C) *R) (*R, error) {
	if err != nil {
		return nil, err
	}
	c := get(a)
	if c == nil {
		return nil, errors.New("the host answered with a reply of another protocol")
	}
	return conv(c), nil
}

func (f *remoteHost) FindHTTP(ctx context.Context, r *find.HTTPRequest) (*find.HTTPResponse, error) {
	a, err := f.find(ctx, r)
	return reply(a, err, (*pluginv2.FindAnswer).GetHttp, wire.HTTPResponseOf)
}
func (f *remoteHost) FindGRPC(ctx context.Context, r *find.GRPCRequest) (*find.GRPCResponse, error) {
	a, err := f.find(ctx, r)
	return reply(a, err, (*pluginv2.FindAnswer).GetGrpc, wire.GRPCResponseOf)
}
func (f *remoteHost) FindSocket(ctx context.Context, r *find.SocketRequest) (*find.SocketResponse, error) {
	a, err := f.find(ctx, r)
	return reply(a, err, (*pluginv2.FindAnswer).GetSocket, wire.SocketResponseOf)
}
func (f *remoteHost) FindKafka(ctx context.Context, r *find.KafkaRequest) (*find.KafkaResponse, error) {
	a, err := f.find(ctx, r)
	return reply(a, err, (*pluginv2.FindAnswer).GetKafka, wire.KafkaResponseOf)
}
func (f *remoteHost) FindRabbitMQ(ctx context.Context, r *find.RabbitMQRequest) (*find.RabbitMQResponse, error) {
	a, err := f.find(ctx, r)
	return reply(a, err, (*pluginv2.FindAnswer).GetRabbitmq, wire.RabbitMQResponseOf)
}
func (f *remoteHost) FindSMTP(ctx context.Context, r *find.SMTPRequest) (*find.SMTPResponse, error) {
	a, err := f.find(ctx, r)
	return reply(a, err, (*pluginv2.FindAnswer).GetSmtp, wire.SMTPResponseOf)
}
func (f *remoteHost) FindSOAP(ctx context.Context, r *find.SOAPRequest) (*find.SOAPResponse, error) {
	a, err := f.find(ctx, r)
	return reply(a, err, (*pluginv2.FindAnswer).GetSoap, wire.SOAPResponseOf)
}
func (f *remoteHost) FindMCP(ctx context.Context, r *find.MCPRequest) (*find.MCPResponse, error) {
	a, err := f.find(ctx, r)
	return reply(a, err, (*pluginv2.FindAnswer).GetMcp, wire.MCPResponseOf)
}
func (f *remoteHost) FindGraphQL(ctx context.Context, r *find.GraphQLRequest) (*find.GraphQLResponse, error) {
	a, err := f.find(ctx, r)
	return reply(a, err, (*pluginv2.FindAnswer).GetGraphql, wire.GraphQLResponseOf)
}
func (f *remoteHost) FindSSE(ctx context.Context, r *find.SSERequest) (*find.SSEResponse, error) {
	a, err := f.find(ctx, r)
	return reply(a, err, (*pluginv2.FindAnswer).GetSse, wire.SSEResponseOf)
}

// errNoStream: the host does not serve FindStream; use the unary Find.
var errNoStream = errors.New("the host has no FindStream")

// call sends one call on the stream and waits for its answer, or answers
// it from the stream's reply cache.
func (f *remoteHost) call(ctx context.Context, req *pluginv2.FindCall) (*pluginv2.FindAnswer, error) {
	st, err := f.stream()
	if err != nil {
		return nil, err
	}
	key := cacheKey(req)
	if a := st.cache.get(key); a != nil {
		st.kickHits()
		return a, nil
	}

	id, ch, err := f.register(st)
	if err != nil {
		return nil, err
	}
	req.Id, req.Caches = id, true
	st.sendMu.Lock()
	err = st.s.Send(req)
	st.sendMu.Unlock()
	if err != nil {
		// The stream broke. Send only says io.EOF; why (a host without
		// FindStream, an outage) is what its receiver gets: wait for it.
		st.forget(id)
		select {
		case <-st.done:
		case <-ctx.Done():
		}
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
		if r.CacheEpoch != 0 && key != nil {
			st.cache.put(key, r)
		}
		return r, nil
	case <-ctx.Done():
		st.forget(id)
		return nil, ctx.Err()
	}
}

var chanPool = sync.Pool{New: func() any { return make(chan *pluginv2.FindAnswer, 1) }}

// stream is the open stream, opened when there is none.
func (f *remoteHost) stream() (*findStream, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return nil, errors.New("the connection to the host is closed")
	}
	if f.cur == nil {
		ctx, cancel := context.WithCancel(context.Background())
		s, err := f.rpc.FindStream(ctx)
		if err != nil {
			cancel()
			return nil, err
		}
		f.cur = &findStream{s: s, cancel: cancel, pending: map[uint64]chan *pluginv2.FindAnswer{}, done: make(chan struct{})}
		f.cur.cache.init()
		go f.receive(f.cur)
		go f.cur.sendHits()
	}
	return f.cur, nil
}

// register adds a waiting call to st.
func (f *remoteHost) register(st *findStream) (uint64, chan *pluginv2.FindAnswer, error) {
	f.mu.Lock()
	f.nextID++
	id := f.nextID
	f.mu.Unlock()
	ch := chanPool.Get().(chan *pluginv2.FindAnswer)
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.err != nil {
		chanPool.Put(ch)
		return 0, nil, st.err
	}
	st.pending[id] = ch
	return id, ch, nil
}

// receive hands each answer to its call until the stream ends, then fails
// the calls still waiting and lets the next call open a new stream.
func (f *remoteHost) receive(st *findStream) {
	var err error
	for {
		var r *pluginv2.FindAnswer
		if r, err = st.s.Recv(); err != nil {
			break
		}
		if r.Id == 0 && r.Sync != 0 {
			st.cache.sync(r.Sync, r.CacheEpoch)
			st.kickSync()
			continue
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
	close(st.done)
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
		st.flushHits() // the calls answered from the cache reach the journal
		st.cancel()
	}
}
