package main

import (
	"github.com/mockarty-oss/mockarty/sdk/protos"
	"google.golang.org/genproto/googleapis/rpc/code"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	rpcstatus "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	reflectionv1 "google.golang.org/grpc/reflection/grpc_reflection_v1"
	reflectionv1alpha "google.golang.org/grpc/reflection/grpc_reflection_v1alpha"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/apipb"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/sourcecontextpb"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"
	"google.golang.org/protobuf/types/known/typepb"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// builtinFiles are the descriptors reflection serves besides the registry's:
// a generic client (grpcurl, Postman) resolves the google.rpc.* types of an
// error's details and the well-known types by name through reflection, and
// describes the health and reflection services the listener itself serves.
var builtinFiles = func() *protoregistry.Files {
	reg, err := protos.Files([]protoreflect.FileDescriptor{
		errdetails.File_google_rpc_error_details_proto,
		rpcstatus.File_google_rpc_status_proto,
		code.File_google_rpc_code_proto,
		anypb.File_google_protobuf_any_proto,
		apipb.File_google_protobuf_api_proto,
		durationpb.File_google_protobuf_duration_proto,
		emptypb.File_google_protobuf_empty_proto,
		fieldmaskpb.File_google_protobuf_field_mask_proto,
		sourcecontextpb.File_google_protobuf_source_context_proto,
		structpb.File_google_protobuf_struct_proto,
		timestamppb.File_google_protobuf_timestamp_proto,
		typepb.File_google_protobuf_type_proto,
		wrapperspb.File_google_protobuf_wrappers_proto,
		descriptorpb.File_google_protobuf_descriptor_proto,
		healthpb.File_grpc_health_v1_health_proto,
		reflectionv1.File_grpc_reflection_v1_reflection_proto,
		reflectionv1alpha.File_grpc_reflection_v1alpha_reflection_proto,
	})
	if err != nil {
		// The set is fixed at build time: a conflict is a programming error.
		panic("builtin descriptors: " + err.Error())
	}
	return reg
}()

// The reflection services read the current snapshot, then the builtin files
// (the registry's own copy of a file wins).

type dynServices struct {
	l   *Listener
	srv *grpc.Server // its registered services: health and reflection
}

func (d dynServices) GetServiceInfo() map[string]grpc.ServiceInfo {
	snap := d.l.current.Load().services
	static := d.srv.GetServiceInfo()
	out := make(map[string]grpc.ServiceInfo, len(snap)+len(static))
	for name, info := range static {
		out[name] = info
	}
	for name, info := range snap {
		out[name] = info
	}
	return out
}

type dynFiles struct{ l *Listener }

func (d dynFiles) FindFileByPath(path string) (protoreflect.FileDescriptor, error) {
	fd, err := d.l.current.Load().files.FindFileByPath(path)
	if err == nil {
		return fd, nil
	}
	return builtinFiles.FindFileByPath(path)
}

func (d dynFiles) FindDescriptorByName(name protoreflect.FullName) (protoreflect.Descriptor, error) {
	desc, err := d.l.current.Load().files.FindDescriptorByName(name)
	if err == nil {
		return desc, nil
	}
	return builtinFiles.FindDescriptorByName(name)
}

type noExtensions struct{}

func (noExtensions) FindExtensionByName(protoreflect.FullName) (protoreflect.ExtensionType, error) {
	return nil, protoregistry.NotFound
}

func (noExtensions) FindExtensionByNumber(protoreflect.FullName, protoreflect.FieldNumber) (protoreflect.ExtensionType, error) {
	return nil, protoregistry.NotFound
}

func (noExtensions) RangeExtensionsByMessage(protoreflect.FullName, func(protoreflect.ExtensionType) bool) {
}

// publish makes snap the served set and keeps the health service in step:
// the server ("") and every registered service report SERVING, and a
// service the registry dropped reports NOT_SERVING.
func (l *Listener) publish(snap *snapshot) {
	prev := l.current.Swap(snap)
	if l.health == nil {
		return
	}
	for name := range snap.services {
		l.health.SetServingStatus(name, healthpb.HealthCheckResponse_SERVING)
	}
	if prev == nil {
		return
	}
	for name := range prev.services {
		if _, ok := snap.services[name]; !ok {
			l.health.SetServingStatus(name, healthpb.HealthCheckResponse_NOT_SERVING)
		}
	}
}
