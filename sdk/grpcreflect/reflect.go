// Package grpcreflect reads a gRPC server's descriptors through server
// reflection (grpc.reflection.v1, falling back to v1alpha for older
// servers), so that callers can build and send messages of services they
// have no .proto for: the API tester's gRPC helper, the load runner's
// k6/net/grpc client and the fuzzer.
package grpcreflect

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	rpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
)

// The reflection methods: v1 and v1alpha messages are the same on the
// wire, so v1's types serve both.
const (
	methodV1      = "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo"
	methodV1Alpha = "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo"
)

// MaxFiles bounds the descriptor files one client reads.
const MaxFiles = 2000

// Errors, for errors.Is. A failure to reach the server is none of them.
var (
	// ErrNoReflection: the server offers no reflection service.
	ErrNoReflection = errors.New("the server does not offer server reflection (grpc.reflection.v1 or v1alpha): register it on the server")
	// ErrNotFound: the server does not describe a symbol.
	ErrNotFound = errors.New("not found")
	// ErrBadServer: what the server described is unusable (a refusal,
	// descriptors that do not decode or build, too many of them).
	ErrBadServer = errors.New("unusable reflection answer")
)

var streamDesc = &grpc.StreamDesc{ClientStreams: true, ServerStreams: true}

// Client asks one connection's reflection service, on one stream kept open
// between questions. It is not safe for concurrent use.
type Client struct {
	ctx    context.Context
	conn   *grpc.ClientConn
	method string
	stream grpc.ClientStream
	files  map[string]*descriptorpb.FileDescriptorProto
}

// New is a client of conn's reflection service; ctx bounds its questions.
func New(ctx context.Context, conn *grpc.ClientConn) *Client {
	return &Client{ctx: ctx, conn: conn, method: methodV1, files: map[string]*descriptorpb.FileDescriptorProto{}}
}

// Close ends the reflection stream.
func (c *Client) Close() {
	if c.stream != nil {
		_ = c.stream.CloseSend()
	}
}

// ask sends one request on the reflection stream, falling back to v1alpha
// when the server has no v1.
func (c *Client) ask(req *rpb.ServerReflectionRequest) (*rpb.ServerReflectionResponse, error) {
	for {
		if c.stream == nil {
			s, err := c.conn.NewStream(c.ctx, streamDesc, c.method)
			if err != nil {
				return nil, c.fail(err)
			}
			c.stream = s
		}
		resp := &rpb.ServerReflectionResponse{}
		err := c.stream.SendMsg(req)
		if err == nil {
			err = c.stream.RecvMsg(resp)
		} else if errors.Is(err, io.EOF) {
			err = c.stream.RecvMsg(resp) // the stream's real end
		}
		if err == nil {
			return resp, nil
		}
		if status.Code(err) == codes.Unimplemented && c.method == methodV1 {
			c.method, c.stream = methodV1Alpha, nil
			continue
		}
		c.stream = nil // a broken stream: the next question opens another
		return nil, c.fail(err)
	}
}

func (c *Client) fail(err error) error {
	if status.Code(err) == codes.Unimplemented {
		return ErrNoReflection
	}
	return fmt.Errorf("reflection: %w", err)
}

func bad(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrBadServer, fmt.Sprintf(format, args...))
}

// Services lists the services the server reflects, sorted.
func (c *Client) Services() ([]string, error) {
	resp, err := c.ask(&rpb.ServerReflectionRequest{MessageRequest: &rpb.ServerReflectionRequest_ListServices{}})
	if err != nil {
		return nil, err
	}
	if e := resp.GetErrorResponse(); e != nil {
		return nil, bad("listing services: %s", e.GetErrorMessage())
	}
	var out []string
	for _, s := range resp.GetListServicesResponse().GetService() {
		out = append(out, s.GetName())
	}
	sort.Strings(out)
	return out, nil
}

// add keeps the files of a descriptor response.
func (c *Client) add(resp *rpb.ServerReflectionResponse) error {
	for _, raw := range resp.GetFileDescriptorResponse().GetFileDescriptorProto() {
		fd := &descriptorpb.FileDescriptorProto{}
		if err := proto.Unmarshal(raw, fd); err != nil {
			return bad("a descriptor does not decode: %v", err)
		}
		if err := c.keep(fd); err != nil {
			return err
		}
	}
	return nil
}

func (c *Client) keep(fd *descriptorpb.FileDescriptorProto) error {
	if _, ok := c.files[fd.GetName()]; ok {
		return nil
	}
	if len(c.files) >= MaxFiles {
		return bad("more than %d descriptor files", MaxFiles)
	}
	c.files[fd.GetName()] = fd
	return nil
}

// LoadSymbol reads the file defining a fully qualified symbol and every
// file it depends on.
func (c *Client) LoadSymbol(symbol string) error {
	resp, err := c.ask(&rpb.ServerReflectionRequest{MessageRequest: &rpb.ServerReflectionRequest_FileContainingSymbol{FileContainingSymbol: symbol}})
	if err != nil {
		return err
	}
	if e := resp.GetErrorResponse(); e != nil {
		if codes.Code(e.GetErrorCode()) == codes.NotFound {
			return fmt.Errorf("%s: %w", symbol, ErrNotFound)
		}
		return bad("on %s: %s", symbol, e.GetErrorMessage())
	}
	if err := c.add(resp); err != nil {
		return err
	}
	return c.loadDeps()
}

// loadDeps reads the files the known ones import until none is missing; a
// file the server cannot give that this program links (the well-known
// types) is taken from here.
func (c *Client) loadDeps() error {
	for {
		var missing []string
		for _, fd := range c.files {
			for _, dep := range fd.GetDependency() {
				if _, ok := c.files[dep]; !ok {
					missing = append(missing, dep)
				}
			}
		}
		if len(missing) == 0 {
			return nil
		}
		sort.Strings(missing)
		for _, name := range missing {
			if _, ok := c.files[name]; ok {
				continue
			}
			resp, err := c.ask(&rpb.ServerReflectionRequest{MessageRequest: &rpb.ServerReflectionRequest_FileByFilename{FileByFilename: name}})
			if err != nil {
				return err
			}
			if resp.GetErrorResponse() == nil {
				if err := c.add(resp); err != nil {
					return err
				}
			}
			if _, ok := c.files[name]; ok {
				continue
			}
			local, lerr := protoregistry.GlobalFiles.FindFileByPath(name)
			if lerr != nil {
				return bad("the server does not give %s, which its descriptors import", name)
			}
			if err := c.keep(protodesc.ToFileDescriptorProto(local)); err != nil {
				return err
			}
		}
	}
}

// Files builds the descriptors read so far.
func (c *Client) Files() (*protoregistry.Files, error) {
	set := &descriptorpb.FileDescriptorSet{}
	for _, fd := range c.files {
		set.File = append(set.File, fd)
	}
	files, err := protodesc.NewFiles(set)
	if err != nil {
		return nil, bad("the descriptors do not build: %v", err)
	}
	return files, nil
}

// Service reads a service's descriptor.
func (c *Client) Service(name string) (protoreflect.ServiceDescriptor, error) {
	if err := c.LoadSymbol(name); err != nil {
		return nil, err
	}
	files, err := c.Files()
	if err != nil {
		return nil, err
	}
	d, err := files.FindDescriptorByName(protoreflect.FullName(name))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, ErrNotFound)
	}
	sd, ok := d.(protoreflect.ServiceDescriptor)
	if !ok {
		return nil, fmt.Errorf("%s is not a service: %w", name, ErrNotFound)
	}
	return sd, nil
}

// All reads every service the server lists (those it lists but does not
// describe are skipped) and builds their descriptors.
func (c *Client) All() (*protoregistry.Files, error) {
	names, err := c.Services()
	if err != nil {
		return nil, err
	}
	for _, name := range names {
		if err := c.LoadSymbol(name); err != nil && !errors.Is(err, ErrNotFound) {
			return nil, err
		}
	}
	return c.Files()
}
