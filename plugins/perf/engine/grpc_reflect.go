package engine

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
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
)

// errReflectNotFound is a symbol the server lists but does not describe.
var errReflectNotFound = errors.New("not found")

var reflectStreamDesc = &grpc.StreamDesc{ClientStreams: true, ServerStreams: true}

// reflector reads descriptors from a server's reflection service. The v1
// and v1alpha messages are the same on the wire, so v1's types serve both.
type reflector struct {
	ctx    context.Context
	conn   *grpc.ClientConn
	addr   string
	method string
	stream grpc.ClientStream
	files  map[string]*descriptorpb.FileDescriptorProto
}

// ask sends one request on the reflection stream, falling back to v1alpha
// when the server has no v1.
func (r *reflector) ask(req *rpb.ServerReflectionRequest) (*rpb.ServerReflectionResponse, error) {
	for {
		if r.stream == nil {
			s, err := r.conn.NewStream(r.ctx, reflectStreamDesc, r.method)
			if err != nil {
				return nil, r.fail(err)
			}
			r.stream = s
		}
		resp := &rpb.ServerReflectionResponse{}
		err := r.stream.SendMsg(req)
		if err == nil {
			err = r.stream.RecvMsg(resp)
		} else if errors.Is(err, io.EOF) {
			err = r.stream.RecvMsg(resp) // the stream's real end
		}
		if err == nil {
			return resp, nil
		}
		if status.Code(err) == codes.Unimplemented && r.method == reflectV1 {
			r.method, r.stream = reflectV1Alpha, nil
			continue
		}
		r.stream = nil
		return nil, r.fail(err)
	}
}

func (r *reflector) fail(err error) error {
	if status.Code(err) == codes.Unimplemented {
		return fmt.Errorf("reflection: %s does not offer server reflection (grpc.reflection.v1 or v1alpha)", r.addr)
	}
	return fmt.Errorf("reflection: %w", err)
}

func (r *reflector) close() {
	if r.stream != nil {
		_ = r.stream.CloseSend()
	}
}

// services lists the services the server reflects.
func (r *reflector) services() ([]string, error) {
	resp, err := r.ask(&rpb.ServerReflectionRequest{MessageRequest: &rpb.ServerReflectionRequest_ListServices{}})
	if err != nil {
		return nil, err
	}
	if e := resp.GetErrorResponse(); e != nil {
		return nil, fmt.Errorf("reflection: listing services: %s", e.GetErrorMessage())
	}
	var out []string
	for _, s := range resp.GetListServicesResponse().GetService() {
		out = append(out, s.GetName())
	}
	sort.Strings(out)
	return out, nil
}

// add keeps the files of a descriptor response.
func (r *reflector) add(resp *rpb.ServerReflectionResponse) error {
	for _, raw := range resp.GetFileDescriptorResponse().GetFileDescriptorProto() {
		fd := &descriptorpb.FileDescriptorProto{}
		if err := proto.Unmarshal(raw, fd); err != nil {
			return fmt.Errorf("reflection: a descriptor does not decode: %w", err)
		}
		if _, ok := r.files[fd.GetName()]; !ok {
			if len(r.files) >= maxReflectFiles {
				return fmt.Errorf("reflection: more than %d descriptor files", maxReflectFiles)
			}
			r.files[fd.GetName()] = fd
		}
	}
	return nil
}

// loadSymbol reads the file defining a fully qualified symbol and every
// file it depends on.
func (r *reflector) loadSymbol(symbol string) error {
	resp, err := r.ask(&rpb.ServerReflectionRequest{MessageRequest: &rpb.ServerReflectionRequest_FileContainingSymbol{FileContainingSymbol: symbol}})
	if err != nil {
		return err
	}
	if e := resp.GetErrorResponse(); e != nil {
		if codes.Code(e.GetErrorCode()) == codes.NotFound {
			return fmt.Errorf("%s: %w", symbol, errReflectNotFound)
		}
		return fmt.Errorf("reflection on %s: %s", symbol, e.GetErrorMessage())
	}
	if err := r.add(resp); err != nil {
		return err
	}
	return r.loadDeps()
}

// loadDeps reads the files the known ones import until none is missing; a
// file the server cannot give that this program links (the well-known
// types) is taken from here.
func (r *reflector) loadDeps() error {
	for {
		var missing []string
		for _, fd := range r.files {
			for _, dep := range fd.GetDependency() {
				if _, ok := r.files[dep]; !ok {
					missing = append(missing, dep)
				}
			}
		}
		if len(missing) == 0 {
			return nil
		}
		sort.Strings(missing)
		for _, name := range missing {
			if _, ok := r.files[name]; ok {
				continue
			}
			resp, err := r.ask(&rpb.ServerReflectionRequest{MessageRequest: &rpb.ServerReflectionRequest_FileByFilename{FileByFilename: name}})
			if err != nil {
				return err
			}
			if resp.GetErrorResponse() == nil {
				if err := r.add(resp); err != nil {
					return err
				}
			}
			if _, ok := r.files[name]; ok {
				continue
			}
			local, lerr := protoregistry.GlobalFiles.FindFileByPath(name)
			if lerr != nil {
				return fmt.Errorf("reflection: the server does not give %s, which its descriptors import", name)
			}
			if len(r.files) >= maxReflectFiles {
				return fmt.Errorf("reflection: more than %d descriptor files", maxReflectFiles)
			}
			r.files[name] = protodesc.ToFileDescriptorProto(local)
		}
	}
}
