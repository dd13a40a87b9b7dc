package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/grafana/sobek"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"
)

// Streams of k6/net/grpc: new grpc.Stream(client, method, params) opens a
// client-, server- or bidirectional-streaming call; write() sends a
// message, end() closes the sending side, and on('data' | 'error' | 'end',
// fn) registers handlers. Handlers run on the VU's goroutine after the
// iteration's code returns: the iteration then waits, as k6's event loop
// does, until every stream it opened has ended (or the run stops it).

// maxQueuedEvents bounds the stream events waiting for the VU.
const maxQueuedEvents = 1024

// grpcStream is one open stream.
type grpcStream struct {
	ctx      context.Context // ends when the stream is cancelled
	c        *grpcClient
	full     string
	service  string
	rpcType  string
	desc     protoreflect.MethodDescriptor
	stream   grpc.ClientStream
	cancel   context.CancelFunc
	handlers map[string][]sobek.Callable
	tags     map[string]string
	ended    bool
}

// streamEvents is a VU's queue of stream events and its open streams.
type streamEvents struct {
	queue chan func() error
	open  map[*grpcStream]struct{}
}

func (v *vu) streams() *streamEvents {
	if v.events == nil {
		v.events = &streamEvents{queue: make(chan func() error, maxQueuedEvents), open: map[*grpcStream]struct{}{}}
	}
	return v.events
}

// runEvents runs stream handlers until every open stream has ended; when
// ctx ends first, the streams are cancelled.
func (v *vu) runEvents(ctx context.Context) error {
	ev := v.events
	if ev == nil {
		return nil
	}
	for len(ev.open) > 0 {
		select {
		case fn := <-ev.queue:
			if err := fn(); err != nil {
				v.cancelStreams()
				return err
			}
		case <-ctx.Done():
			v.cancelStreams()
			return errInterrupted
		}
	}
	return nil
}

// cancelStreams ends every open stream and drops queued events.
func (v *vu) cancelStreams() {
	ev := v.events
	if ev == nil {
		return
	}
	for s := range ev.open {
		s.cancel()
		delete(ev.open, s)
	}
	for {
		select {
		case <-ev.queue:
		default:
			return
		}
	}
}

// newStream is the grpc.Stream constructor.
func (v *vu) newStream(call sobek.ConstructorCall) *sobek.Object {
	obj, _ := call.Argument(0).(*sobek.Object)
	c, ok := v.grpcClients[obj]
	if obj == nil || !ok {
		panic(v.rt.NewTypeError("new grpc.Stream(client, method, params): the first argument must be a grpc.Client"))
	}
	c.requireConn("Stream")
	name := strings.TrimSpace(call.Argument(1).String())
	full, md := c.method("grpc.Stream", name)
	if !md.IsStreamingClient() && !md.IsStreamingServer() {
		c.throw("grpc.Stream: %s is a unary method: use client.invoke", full)
	}
	p := c.callParams(call.Argument(2))
	ctx, cancel := context.WithCancel(metadata.NewOutgoingContext(context.Background(), p.md))
	stop := context.AfterFunc(v.run.hardCtx, cancel)
	st, err := c.conn.NewStream(ctx, &grpc.StreamDesc{StreamName: string(md.Name()), ServerStreams: md.IsStreamingServer(),
		ClientStreams: md.IsStreamingClient()}, full)
	if err != nil {
		stop()
		cancel()
		c.throw("grpc.Stream(%q): %v", name, err)
	}
	s := &grpcStream{ctx: ctx, c: c, full: full, service: string(md.Parent().FullName()), desc: md, stream: st, handlers: map[string][]sobek.Callable{}}
	s.cancel = func() { stop(); cancel() }
	switch {
	case md.IsStreamingClient() && md.IsStreamingServer():
		s.rpcType = "bidi_streaming"
	case md.IsStreamingClient():
		s.rpcType = "client_streaming"
	default:
		s.rpcType = "server_streaming"
	}
	s.tags = v.tags(p.tags)
	if s.tags["name"] == "" {
		s.tags["name"] = full
	}
	s.tags["method"], s.tags["service"], s.tags["rpc_type"] = full, s.service, s.rpcType
	v.streams().open[s] = struct{}{}
	v.count("grpc_streams", s.tags)
	go s.receive()
	o := call.This
	_ = o.Set("on", func(fc sobek.FunctionCall) sobek.Value {
		event := fc.Argument(0).String()
		fn, ok := sobek.AssertFunction(fc.Argument(1))
		if !ok {
			panic(v.rt.NewTypeError("stream.on(event, handler): the handler must be a function"))
		}
		switch event {
		case "data", "error", "end":
		default:
			panic(v.rt.NewTypeError(fmt.Sprintf("stream.on: unknown event %q (data, error or end)", event)))
		}
		s.handlers[event] = append(s.handlers[event], fn)
		return o
	})
	_ = o.Set("write", func(fc sobek.FunctionCall) sobek.Value {
		s.write(fc.Argument(0))
		return sobek.Undefined()
	})
	_ = o.Set("end", func(sobek.FunctionCall) sobek.Value {
		_ = s.stream.CloseSend()
		return sobek.Undefined()
	})
	return nil
}

// write sends one message.
func (s *grpcStream) write(val sobek.Value) {
	v := s.c.v
	if s.ended {
		s.c.throw("stream.write: the stream has ended")
	}
	msg := dynamicpb.NewMessage(s.desc.Input())
	if present(val) {
		if _, isObj := val.(*sobek.Object); !isObj {
			panic(v.rt.NewTypeError("stream.write: the message must be an object"))
		}
		js, err := v.jsonStringify(sobek.Undefined(), val)
		if err != nil {
			panic(err)
		}
		if err := (protojson.UnmarshalOptions{Resolver: s.c.types}).Unmarshal([]byte(js.String()), msg); err != nil {
			s.c.throw("stream.write: the message is not a %s: %v", s.desc.Input().FullName(), err)
		}
	}
	if err := s.stream.SendMsg(msg); err != nil {
		if errors.Is(err, io.EOF) {
			return // the stream ended; its error comes through the receiver
		}
		s.c.throw("stream.write: %v", err)
	}
	v.count("grpc_streams_msgs_sent", s.tags)
}

// receive reads the stream's messages on its own goroutine and queues
// their handlers for the VU; a cancelled stream queues nothing more.
func (s *grpcStream) receive() {
	q := s.c.v.events.queue
	start := time.Now()
	queue := func(fn func() error) bool {
		select {
		case q <- fn:
			return true
		case <-s.ctx.Done():
			return false
		}
	}
	for {
		msg := dynamicpb.NewMessage(s.desc.Output())
		err := s.stream.RecvMsg(msg)
		if err == nil {
			if !queue(func() error {
				if !s.live() {
					return nil
				}
				s.c.v.count("grpc_streams_msgs_received", s.tags)
				return s.emit("data", s.c.toJS(msg))
			}) {
				return
			}
			continue
		}
		d := time.Since(start)
		queue(func() error {
			if !s.live() {
				return nil
			}
			return s.finish(err, d)
		})
		return
	}
}

// live tells whether the stream is still open for the VU (not ended or
// cancelled); only the VU's goroutine asks.
func (s *grpcStream) live() bool {
	_, ok := s.c.v.events.open[s]
	return ok
}

// finish runs the error handlers (unless the stream ended normally) and
// the end handlers, and closes the stream.
func (s *grpcStream) finish(err error, d time.Duration) error {
	v := s.c.v
	s.ended = true
	delete(v.events.open, s)
	s.cancel()
	st := status.Convert(err)
	if errors.Is(err, io.EOF) {
		st = status.New(codes.OK, "")
	}
	tags := make(map[string]string, len(s.tags)+1)
	for k, val := range s.tags {
		tags[k] = val
	}
	tags["status"] = fmt.Sprint(int(st.Code()))
	v.run.reg.push(s.c.bytesSamples([]sample{{m: s.c.duration, v: ms(d), tags: tags}}, v.tags(nil))...)
	if st.Code() != codes.OK {
		e := v.rt.NewObject()
		_ = e.Set("code", int(st.Code()))
		_ = e.Set("message", st.Message())
		_ = e.Set("details", v.rt.NewArray())
		if err := s.emit("error", e); err != nil {
			return err
		}
	}
	return s.emit("end")
}

// emit calls an event's handlers.
func (s *grpcStream) emit(event string, args ...sobek.Value) error {
	for _, fn := range s.handlers[event] {
		if _, err := fn(sobek.Undefined(), args...); err != nil {
			return err
		}
	}
	return nil
}

// count adds one to a counter metric, registering it on first use.
func (v *vu) count(name string, tags map[string]string) {
	m, err := v.run.reg.get(name, kindCounter, valueDefault)
	if err != nil {
		return
	}
	v.run.reg.push(sample{m: m, v: 1, tags: tags})
}
