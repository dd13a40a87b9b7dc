package imports

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/mockarty-oss/mockarty/host/internal/generate"
	"github.com/mockarty-oss/mockarty/sdk/postman"
	"github.com/mockarty-oss/mockarty/sdk/protos"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// ProtoFileName is the name the imported .proto file is compiled under
// (what compile errors name).
const ProtoFileName = "import.proto"

// GRPCProtocolHeader is the disabled header that marks a request of a
// .proto import as gRPC (postman.ProtocolHeader).
const GRPCProtocolHeader = postman.ProtocolHeader

// maxProtoSampleDepth bounds nested messages in a sample body.
const maxProtoSampleDepth = 4

// Proto imports the services of a .proto file (compiled by sdk/protos,
// with the well-known and google/rpc types importable): a folder per
// service, a request per method to grpc://{{grpcHost}}/pkg.Service/Method
// whose raw JSON body is a sample of the input message (protojson field
// names). The items are marked gRPC by a disabled "x-protocol: grpc"
// header and their description: the collection runner sends HTTP, so
// they are run through /api/v1/proxy/grpc.
func Proto(ctx context.Context, data []byte) (*Result, error) {
	if err := checkSize(data, "a .proto file"); err != nil {
		return nil, err
	}
	fds, err := protos.Compile(ctx, map[string]string{ProtoFileName: string(data)})
	if err != nil {
		var pe *protos.Error
		if errors.As(err, &pe) {
			if pe.Line > 0 {
				return nil, generate.Inputf(DocumentField, "does not compile: line %d, column %d: %s", pe.Line, pe.Column, pe.Message)
			}
			return nil, generate.Inputf(DocumentField, "does not compile: %s", pe.Message)
		}
		return nil, generate.Inputf(DocumentField, "does not compile: %v", err)
	}
	w := &warner{}
	c := &postman.Collection{Info: postman.Info{Name: "gRPC import"}, Item: []*postman.Item{},
		Variable: []postman.Variable{{Key: "grpcHost", Value: "localhost:50051", Type: "string"}}}
	n := 0
	for _, fd := range fds {
		if fd.Package() != "" {
			c.Info.Name = string(fd.Package())
		}
		svcs := fd.Services()
		for i := 0; i < svcs.Len() && n <= MaxRequests; i++ {
			sd := svcs.Get(i)
			f := &postman.Item{Name: string(sd.FullName()), Item: []*postman.Item{}, Description: postman.Text(comment(sd))}
			for j := 0; j < sd.Methods().Len(); j++ {
				if n++; n > MaxRequests {
					w.warn("the file has more than %d methods: the first %d are imported", MaxRequests, MaxRequests)
					break
				}
				f.Item = append(f.Item, grpcItem(sd, sd.Methods().Get(j)))
			}
			c.Item = append(c.Item, f)
		}
	}
	if len(c.Item) == 0 {
		return nil, generate.Inputf(DocumentField, "declares no service: a gRPC import needs at least one service with methods")
	}
	return &Result{Collection: c, Warnings: w.list()}, nil
}

func grpcItem(sd protoreflect.ServiceDescriptor, md protoreflect.MethodDescriptor) *postman.Item {
	full := string(sd.FullName()) + "/" + string(md.Name())
	kind := "unary"
	switch {
	case md.IsStreamingClient() && md.IsStreamingServer():
		kind = "bidirectional streaming"
	case md.IsStreamingClient():
		kind = "client streaming"
	case md.IsStreamingServer():
		kind = "server streaming"
	}
	body, _ := json.MarshalIndent(protoSample(md.Input(), 0), "", "  ")
	var desc strings.Builder
	if cm := comment(md); cm != "" {
		desc.WriteString(cm + "\n\n")
	}
	fmt.Fprintf(&desc, "Protocol: grpc (%s). %s(%s) returns (%s).\n", kind, md.Name(), md.Input().FullName(), md.Output().FullName())
	desc.WriteString("The body is the request message as JSON (protojson field names). gRPC requests run through " +
		"POST /api/v1/proxy/grpc, not the HTTP collection runner.")
	if md.IsStreamingClient() {
		desc.WriteString(" The body is one message of the client's stream.")
	}
	req := &postman.Request{Method: "POST", URL: postman.NewURL("grpc://{{grpcHost}}/" + full),
		Header: []postman.Header{
			{Key: "Content-Type", Value: "application/json"},
			{Key: GRPCProtocolHeader, Value: "grpc", Disabled: true},
		},
		Body: &postman.Body{Mode: postman.ModeRaw, Raw: string(body), Options: &postman.BodyOptions{Raw: &postman.RawOptions{Language: "json"}}}}
	return &postman.Item{Name: string(md.Name()), Description: postman.Text(desc.String()), Request: req}
}

// comment is a descriptor's leading comment in the file, trimmed.
func comment(d protoreflect.Descriptor) string {
	loc := d.ParentFile().SourceLocations().ByDescriptor(d)
	return strings.TrimSpace(loc.LeadingComments)
}

// protoSample is a plain JSON value of a message (protojson names and
// encodings: 64-bit integers and bytes as strings, enums by name), every
// field set once, one member of each oneof.
func protoSample(md protoreflect.MessageDescriptor, depth int) any {
	switch md.FullName() {
	case "google.protobuf.Timestamp":
		return "2024-01-15T10:30:00Z"
	case "google.protobuf.Duration":
		return "1.5s"
	case "google.protobuf.Struct", "google.protobuf.Empty", "google.protobuf.Any":
		return map[string]any{}
	case "google.protobuf.Value":
		return "value"
	case "google.protobuf.ListValue":
		return []any{}
	case "google.protobuf.FieldMask":
		return ""
	case "google.protobuf.StringValue":
		return "string"
	case "google.protobuf.BytesValue":
		return "bW9ja2FydHk="
	case "google.protobuf.BoolValue":
		return true
	case "google.protobuf.Int32Value", "google.protobuf.UInt32Value":
		return 1
	case "google.protobuf.Int64Value", "google.protobuf.UInt64Value":
		return "1"
	case "google.protobuf.DoubleValue", "google.protobuf.FloatValue":
		return 1.5
	}
	out := map[string]any{}
	if depth >= maxProtoSampleDepth {
		return out
	}
	fields := md.Fields()
	oneofs := map[protoreflect.FullName]bool{}
	for i := 0; i < fields.Len(); i++ {
		f := fields.Get(i)
		if oo := f.ContainingOneof(); oo != nil && !oo.IsSynthetic() {
			if oneofs[oo.FullName()] {
				continue
			}
			oneofs[oo.FullName()] = true
		}
		switch {
		case f.IsMap():
			out[f.JSONName()] = map[string]any{mapKey(f.MapKey()): protoField(f.MapValue(), depth)}
		case f.IsList():
			out[f.JSONName()] = []any{protoField(f, depth)}
		default:
			out[f.JSONName()] = protoField(f, depth)
		}
	}
	return out
}

func protoField(f protoreflect.FieldDescriptor, depth int) any {
	switch f.Kind() {
	case protoreflect.MessageKind, protoreflect.GroupKind:
		return protoSample(f.Message(), depth+1)
	case protoreflect.EnumKind:
		vals := f.Enum().Values()
		if vals.Len() > 1 {
			return string(vals.Get(1).Name()) // the first is usually *_UNSPECIFIED
		}
		return string(vals.Get(0).Name())
	case protoreflect.BoolKind:
		return true
	case protoreflect.StringKind:
		return string(f.Name())
	case protoreflect.BytesKind:
		return "bW9ja2FydHk=" // "mockarty"
	case protoreflect.FloatKind, protoreflect.DoubleKind:
		return 1.5
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind,
		protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		return "1" // protojson writes 64-bit integers as strings
	}
	return 1
}

func mapKey(f protoreflect.FieldDescriptor) string {
	switch f.Kind() {
	case protoreflect.StringKind:
		return "key"
	case protoreflect.BoolKind:
		return "true"
	}
	return "1"
}
