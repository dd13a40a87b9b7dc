package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"strings"
	"sync"

	"github.com/mockarty-oss/mockarty/sdk/outbound"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/dynamicpb"
)

// proxyPool keeps one client connection per upstream of proxy mocks.
type proxyPool struct {
	allowPrivate bool
	mu           sync.Mutex
	conns        map[string]*grpc.ClientConn
}

func newProxyPool(allowPrivate bool) *proxyPool {
	return &proxyPool{allowPrivate: allowPrivate, conns: map[string]*grpc.ClientConn{}}
}

func (p *proxyPool) conn(target string) (*grpc.ClientConn, error) {
	target = strings.TrimPrefix(strings.TrimPrefix(target, "grpc://"), "http://")
	p.mu.Lock()
	defer p.mu.Unlock()
	if c := p.conns[target]; c != nil {
		return c, nil
	}
	dial := outbound.Dialer(p.allowPrivate)
	c, err := grpc.NewClient("passthrough:///"+target, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithContextDialer(func(ctx context.Context, addr string) (net.Conn, error) { return dial(ctx, "tcp", addr) }))
	if err != nil {
		return nil, err
	}
	p.conns[target] = c
	return c, nil
}

func (p *proxyPool) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for k, c := range p.conns {
		_ = c.Close()
		delete(p.conns, k)
	}
}

// forward sends the call upstream: the message already received (data),
// then the rest of the client's stream, and relays every reply, the
// upstream's headers and its final status.
func (p *proxyPool) forward(c *call, target string, data []byte) error {
	conn, err := p.conn(target)
	if err != nil {
		return status.Errorf(codes.Unavailable, "proxy to %s: %v", target, err)
	}
	ctx := c.ctx
	if in, ok := metadata.FromIncomingContext(ctx); ok {
		ctx = metadata.NewOutgoingContext(ctx, in.Copy())
	}
	full, _ := grpc.MethodFromServerStream(c.stream)
	desc := &grpc.StreamDesc{ClientStreams: c.md.IsStreamingClient(), ServerStreams: c.md.IsStreamingServer()}
	up, err := conn.NewStream(ctx, desc, full)
	if err != nil {
		return status.Errorf(codes.Unavailable, "proxy to %s: %v", target, err)
	}
	first := dynamicpb.NewMessage(c.md.Input())
	if c.md.IsStreamingClient() && !c.md.IsStreamingServer() {
		// A client stream was collected into a JSON array: send its items.
		var items []json.RawMessage
		if err := json.Unmarshal(data, &items); err != nil {
			return status.Errorf(codes.Internal, "proxy: %v", err)
		}
		for _, it := range items {
			m := dynamicpb.NewMessage(c.md.Input())
			if err := protojson.Unmarshal(it, m); err != nil {
				return status.Errorf(codes.Internal, "proxy: %v", err)
			}
			if err := up.SendMsg(m); err != nil {
				return upstreamErr(c, up, err)
			}
		}
	} else {
		if err := protojson.Unmarshal(data, first); err != nil {
			return status.Errorf(codes.Internal, "proxy: %v", err)
		}
		if err := up.SendMsg(first); err != nil {
			return upstreamErr(c, up, err)
		}
		if c.md.IsStreamingClient() {
			go func() { // the rest of a bidirectional stream
				for {
					m := dynamicpb.NewMessage(c.md.Input())
					if err := c.stream.RecvMsg(m); err != nil {
						_ = up.CloseSend()
						return
					}
					if up.SendMsg(m) != nil {
						return
					}
				}
			}()
		}
	}
	if !c.md.IsStreamingClient() || !c.md.IsStreamingServer() {
		if err := up.CloseSend(); err != nil {
			return upstreamErr(c, up, err)
		}
	}
	if h, err := up.Header(); err == nil && len(h) > 0 {
		_ = c.stream.SetHeader(h)
	}
	for {
		m := dynamicpb.NewMessage(c.md.Output())
		err := up.RecvMsg(m)
		if errors.Is(err, io.EOF) {
			c.stream.SetTrailer(up.Trailer())
			return nil
		}
		if err != nil {
			return err // the upstream's status, as it is
		}
		if err := c.stream.SendMsg(m); err != nil {
			return err
		}
	}
}

func upstreamErr(c *call, up grpc.ClientStream, err error) error {
	if errors.Is(err, io.EOF) {
		// The real error comes with the stream's end.
		if rerr := up.RecvMsg(dynamicpb.NewMessage(c.md.Output())); rerr != nil && !errors.Is(rerr, io.EOF) {
			return rerr
		}
	}
	return err
}
