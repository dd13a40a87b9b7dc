package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"time"

	"github.com/mockarty-oss/mockarty/sdk"
	"github.com/mockarty-oss/mockarty/sdk/find"
	"github.com/mockarty-oss/mockarty/sdk/listen"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/protoadapt"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// handle serves every call of every registered service: it receives the
// request message(s) as dynamic messages, asks the host which mock
// answers, and writes the mock's reply (or error).
func (l *Listener) handle(_ any, stream grpc.ServerStream) error {
	full, ok := grpc.MethodFromServerStream(stream)
	if !ok {
		return status.Error(codes.Internal, "no method name on the stream")
	}
	snap := l.current.Load()
	md, ok := snap.methods[full]
	if !ok {
		svcs := strings.Join(snap.serviceNames(), ", ")
		if svcs == "" {
			svcs = "none: upload .proto files to /api/v1/protos"
		}
		return status.Errorf(codes.Unimplemented, "unknown method %s (registered services: %s)", full, svcs)
	}
	c := &call{l: l, stream: stream, md: md, ctx: stream.Context(), memo: snap.memo}
	c.meta = find.MultiMap{}
	if in, ok := metadata.FromIncomingContext(c.ctx); ok {
		for k, v := range in {
			c.meta[k] = v
		}
	}
	switch {
	case md.IsStreamingClient() && md.IsStreamingServer():
		return c.bidi()
	case md.IsStreamingClient():
		msgs, err := c.recvAll()
		if err != nil {
			return err
		}
		arr, _ := json.Marshal(msgs)
		return c.answer(arr, false)
	default:
		req, err := c.recv()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return status.Error(codes.InvalidArgument, "no request message")
			}
			return err
		}
		return c.answer(req, md.IsStreamingServer())
	}
}

type call struct {
	l         *Listener
	stream    grpc.ServerStream
	md        protoreflect.MethodDescriptor
	ctx       context.Context
	memo      *memo
	meta      find.MultiMap
	sentMeta  bool
	firstData json.RawMessage // a proxied call re-sends what it received
}

// recv reads one request message as protojson.
func (c *call) recv() (json.RawMessage, error) {
	var raw rawMessage
	if err := c.stream.RecvMsg(&raw); err != nil {
		return nil, err
	}
	b, err := c.memo.requestJSON(c.md.Input(), raw.b)
	if err != nil {
		return nil, status.Errorf(codes.InvalidArgument, "request message: %v", err)
	}
	return b, nil
}

func (c *call) recvAll() ([]json.RawMessage, error) {
	var out []json.RawMessage
	for {
		m, err := c.recv()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
}

// bidi resolves each incoming message on its own, answering in order.
func (c *call) bidi() error {
	for {
		m, err := c.recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := c.answer(m, true); err != nil {
			return err
		}
	}
}

// find asks the host for the mock that answers data.
func (c *call) find(data json.RawMessage) (*find.GRPCResponse, error) {
	svc := string(c.md.Parent().FullName())
	req := &find.GRPCRequest{Namespace: c.l.settings.Namespace, ServerName: c.l.settings.ServerName,
		Service: svc, Method: string(c.md.Name()), Meta: c.meta, Data: data}
	resp, err := c.l.host.FindGRPC(c.ctx, req)
	var nm *sdk.NoMatch
	switch {
	case errors.As(err, &nm):
		return nil, noMatch(nm)
	case err != nil:
		return nil, findError(err)
	}
	return resp, nil
}

// answer resolves data and writes the reply: one message, or every stream
// response when the method streams.
func (c *call) answer(data json.RawMessage, streaming bool) error {
	resp, err := c.find(data)
	if err != nil {
		return err
	}
	if !listen.Sleep(c.ctx, time.Duration(resp.Delay)*time.Millisecond) {
		return status.FromContextError(c.ctx.Err()).Err()
	}
	if resp.Proxy != nil {
		return c.l.proxies.forward(c, resp.Proxy.Target, data)
	}
	if !c.sentMeta && len(resp.Meta) > 0 {
		md := metadata.MD{}
		for k, v := range resp.Meta {
			md.Append(k, v)
		}
		if err := c.stream.SetHeader(md); err != nil {
			return err
		}
	}
	c.sentMeta = true
	if resp.Error != nil {
		return grpcError(resp.Error)
	}
	replies := resp.StreamResponses
	if len(replies) == 0 {
		replies = []json.RawMessage{resp.Data}
	}
	if !streaming {
		replies = replies[:1]
	}
	for _, r := range replies {
		b, err := c.memo.replyWire(c.md.Output(), r)
		if err != nil {
			return status.Errorf(codes.Internal, "the mock's reply does not fit %s: %v", c.md.Output().FullName(), err)
		}
		if err := c.stream.SendMsg(&rawMessage{b: b}); err != nil {
			return err
		}
	}
	return nil
}

// findError is the status of a failed find: input the host refuses is the
// caller's error, INVALID_ARGUMENT with an ErrorInfo naming the reason
// (BODY_TOO_DEEP past the host's MAX_BODY_DEPTH); anything else is the
// host's, UNAVAILABLE.
func findError(err error) error {
	if !errors.Is(err, sdk.ErrInvalidInput) {
		return status.Errorf(codes.Unavailable, "the mock host did not answer: %v", err)
	}
	reason := "INVALID_INPUT"
	if errors.Is(err, sdk.ErrBodyTooDeep) {
		reason = "BODY_TOO_DEEP"
	}
	st := status.New(codes.InvalidArgument, err.Error())
	if with, derr := st.WithDetails(errorInfo(reason, nil)); derr == nil {
		st = with
	}
	return st.Err()
}

// noMatch is NOT_FOUND with the host's near-miss report in the message and
// as details (ErrorInfo reason NO_MOCK, DebugInfo holding the report).
func noMatch(nm *sdk.NoMatch) error {
	report, _ := json.Marshal(nm)
	st := status.New(codes.NotFound, "mockarty: "+nm.Error())
	with, err := st.WithDetails(errorInfo("NO_MOCK", map[string]string{"namespace": nm.Namespace}), debugInfo(string(report)))
	if err != nil {
		return st.Err()
	}
	return with.Err()
}

// grpcError turns a mock's error (code, message, rich details) into a status.
func grpcError(e *find.GRPCError) error {
	st := status.New(codes.Code(e.Code), e.Message)
	var details []protoadapt.MessageV1
	for _, d := range e.Details {
		m, err := detailMessage(d)
		if err != nil {
			return status.Errorf(codes.Internal, "the mock's error detail %q: %v", d.Type, err)
		}
		details = append(details, m)
	}
	if len(details) == 0 {
		return st.Err()
	}
	with, err := st.WithDetails(details...)
	if err != nil {
		return status.Errorf(codes.Internal, "the mock's error details: %v", err)
	}
	return with.Err()
}
