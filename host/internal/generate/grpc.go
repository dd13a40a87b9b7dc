// Package generate makes mocks from API descriptions: one mock per gRPC
// method from .proto files, with sample payloads whose values are fakers
// chosen by field name and type, so every call answers something realistic.
package generate

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"regexp"
	"strings"

	"github.com/mockarty-oss/mockarty/host/internal/generate/fakes"
	"github.com/mockarty-oss/mockarty/host/internal/model"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// GRPCOptions narrow what is generated.
type GRPCOptions struct {
	Namespace string
	// Service, when set, keeps only this fully qualified service.
	Service string
	// IDPrefix starts every mock id (default "grpc").
	IDPrefix string
}

// GRPC makes one mock per method of every service in fds.
func GRPC(fds []protoreflect.FileDescriptor, o GRPCOptions) []*model.Mock {
	if o.IDPrefix == "" {
		o.IDPrefix = "grpc"
	}
	var out []*model.Mock
	for _, fd := range fds {
		svcs := fd.Services()
		for i := 0; i < svcs.Len(); i++ {
			sd := svcs.Get(i)
			if o.Service != "" && string(sd.FullName()) != o.Service {
				continue
			}
			for j := 0; j < sd.Methods().Len(); j++ {
				out = append(out, methodMock(sd, sd.Methods().Get(j), o))
			}
		}
	}
	return out
}

var unsafeID = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// MockID is the stable id of a generated mock (prefix, then what it
// mocks: service and method, operation and status...): re-running finds it
// again. Ids longer than a mock id may be keep their start and end a hash
// of the whole.
func MockID(prefix string, parts ...string) string {
	id := prefix
	for _, p := range parts {
		id += "-" + strings.ToLower(p)
	}
	id = strings.Trim(unsafeID.ReplaceAllString(id, "-"), "-")
	if len(id) > maxID {
		h := fnv.New32a()
		h.Write([]byte(id))
		id = fmt.Sprintf("%s-%08x", strings.TrimRight(id[:maxID-9], "-._"), h.Sum32())
	}
	return id
}

// maxID is the longest mock id (model.NamePattern).
const maxID = 100

func methodMock(sd protoreflect.ServiceDescriptor, md protoreflect.MethodDescriptor, o GRPCOptions) *model.Mock {
	kind := "unary"
	switch {
	case md.IsStreamingClient() && md.IsStreamingServer():
		kind = "bidirectional"
	case md.IsStreamingClient():
		kind = "client-stream"
	case md.IsStreamingServer():
		kind = "server-stream"
	}
	var payload any = sample(md.Output(), 0)
	if md.IsStreamingServer() && !md.IsStreamingClient() {
		payload = []any{sample(md.Output(), 0), sample(md.Output(), 0)}
	}
	b, _ := json.Marshal(payload)
	return &model.Mock{
		ID:        MockID(o.IDPrefix, string(sd.FullName()), string(md.Name())),
		Namespace: o.Namespace,
		Tags:      []string{"generated", "grpc"},
		GRPC:      &model.GRPCContext{Service: string(sd.FullName()), Method: string(md.Name()), MethodType: kind},
		Response:  &model.ContentResponse{Payload: b},
	}
}

// sample is a JSON value for a message: every field with a value that fits
// its name and type (protojson names).
func sample(md protoreflect.MessageDescriptor, depth int) any {
	switch md.FullName() {
	case "google.protobuf.Timestamp":
		return "$.fake.DateTimeISO"
	case "google.protobuf.Duration":
		return "1.5s"
	case "google.protobuf.Struct", "google.protobuf.Value", "google.protobuf.Any":
		return map[string]any{}
	case "google.protobuf.Empty":
		return map[string]any{}
	case "google.protobuf.StringValue":
		return "$.fake.Word"
	case "google.protobuf.BoolValue":
		return true
	case "google.protobuf.Int32Value", "google.protobuf.Int64Value", "google.protobuf.UInt32Value", "google.protobuf.UInt64Value":
		return "$.fake.PositiveInt"
	case "google.protobuf.DoubleValue", "google.protobuf.FloatValue":
		return "$.fake.Price"
	}
	out := map[string]any{}
	if depth > 3 {
		return out
	}
	fields := md.Fields()
	oneofSeen := map[protoreflect.FullName]bool{}
	for i := 0; i < fields.Len(); i++ {
		f := fields.Get(i)
		if oo := f.ContainingOneof(); oo != nil && !oo.IsSynthetic() {
			if oneofSeen[oo.FullName()] {
				continue // one member of a oneof
			}
			oneofSeen[oo.FullName()] = true
		}
		var v any
		switch {
		case f.IsMap():
			v = map[string]any{"key": fieldValue(f.MapValue(), depth)}
		case f.IsList():
			v = []any{fieldValue(f, depth)}
		default:
			v = fieldValue(f, depth)
		}
		out[f.JSONName()] = v
	}
	return out
}

func fieldValue(f protoreflect.FieldDescriptor, depth int) any {
	name := strings.ToLower(string(f.Name()))
	switch f.Kind() {
	case protoreflect.MessageKind, protoreflect.GroupKind:
		return sample(f.Message(), depth+1)
	case protoreflect.EnumKind:
		vals := f.Enum().Values()
		if vals.Len() > 1 {
			return string(vals.Get(1).Name())
		}
		return string(vals.Get(0).Name())
	case protoreflect.BoolKind:
		return "$.fake.Bool"
	case protoreflect.FloatKind, protoreflect.DoubleKind:
		return fakes.Float(name)
	case protoreflect.BytesKind:
		return "bW9ja2FydHk=" // "mockarty"
	case protoreflect.StringKind:
		return fakes.String(name)
	default: // integers
		return fakes.Int(name)
	}
}
