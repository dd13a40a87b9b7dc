package main

import (
	"context"
	"fmt"
	"sort"

	"github.com/mockarty-oss/mockarty/sdk"
	"github.com/mockarty-oss/mockarty/sdk/protos"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
)

// snapshot is the compiled proto set the server answers from. A new one
// replaces it when the registry changes; calls in progress keep theirs.
type snapshot struct {
	files    *protoregistry.Files
	methods  map[string]protoreflect.MethodDescriptor // "/pkg.Svc/Method"
	services map[string]grpc.ServiceInfo
	err      error // why the last reload failed (the previous set stays)
	memo     *memo // its messages' conversions
}

func emptySnapshot() *snapshot {
	return &snapshot{files: &protoregistry.Files{}, methods: map[string]protoreflect.MethodDescriptor{},
		services: map[string]grpc.ServiceInfo{}, memo: &memo{}}
}

// load compiles the namespace's registered .proto files.
func load(ctx context.Context, host sdk.Host, namespace string) (*snapshot, error) {
	docs, err := host.ListDocuments(ctx, sdk.DocumentProto, namespace)
	if err != nil {
		return nil, fmt.Errorf("list protos: %w", err)
	}
	set := make(map[string]string, len(docs))
	for _, d := range docs {
		set[d.Name] = string(d.Content)
	}
	fds, err := protos.Compile(ctx, set)
	if err != nil {
		return nil, fmt.Errorf("compile protos: %w", err)
	}
	files, err := protos.Files(fds)
	if err != nil {
		return nil, err
	}
	s := emptySnapshot()
	s.files = files
	for svc, methods := range protos.Services(fds) {
		info := grpc.ServiceInfo{}
		for _, m := range methods {
			s.methods["/"+svc+"/"+string(m.Name())] = m
			info.Methods = append(info.Methods, grpc.MethodInfo{Name: string(m.Name()),
				IsClientStream: m.IsStreamingClient(), IsServerStream: m.IsStreamingServer()})
		}
		s.services[svc] = info
	}
	return s, nil
}

func (s *snapshot) serviceNames() []string {
	out := make([]string, 0, len(s.services))
	for name := range s.services {
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}
