package engine

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"

	"github.com/mockarty-oss/mockarty/sdk/grpcreflect"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/dynamicpb"
)

// GRPC sends a run's gRPC requests: seeds of URL grpc://host:port/pkg.Service/Method
// (grpcs:// for TLS) whose body is the request message as JSON. The
// methods are found by server reflection; the answer is read as HTTP
// (codeStatus) with the reply, or the error's code and message, as JSON.
type GRPC struct {
	dial func(ctx context.Context, network, addr string) (net.Conn, error)

	mu      sync.Mutex
	targets map[string]*grpcTarget // by scheme://addr
}

// grpcTarget is one server: its connection and the descriptors it reflects.
type grpcTarget struct {
	once  sync.Once
	err   error
	conn  *grpc.ClientConn
	files *protoregistry.Files
	types *dynamicpb.Types
}

// NewGRPC is the gRPC transport; dial connects (under the network policy).
func NewGRPC(dial func(ctx context.Context, network, addr string) (net.Conn, error)) *GRPC {
	return &GRPC{dial: dial, targets: map[string]*grpcTarget{}}
}

// Close closes the connections.
func (g *GRPC) Close() {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, t := range g.targets {
		if t.conn != nil {
			_ = t.conn.Close()
		}
	}
	g.targets = map[string]*grpcTarget{}
}

// target connects to a server and reads its descriptors, once.
func (g *GRPC) target(ctx context.Context, useTLS bool, addr string) (*grpcTarget, error) {
	key := fmt.Sprint(useTLS, addr)
	g.mu.Lock()
	t := g.targets[key]
	if t == nil {
		t = &grpcTarget{}
		g.targets[key] = t
	}
	g.mu.Unlock()
	t.once.Do(func() {
		creds := insecure.NewCredentials()
		if useTLS {
			creds = credentials.NewTLS(&tls.Config{MinVersion: tls.VersionTLS12})
		}
		opts := []grpc.DialOption{grpc.WithTransportCredentials(creds)}
		if g.dial != nil {
			opts = append(opts, grpc.WithContextDialer(func(ctx context.Context, a string) (net.Conn, error) { return g.dial(ctx, "tcp", a) }))
		}
		t.conn, t.err = grpc.NewClient(addr, opts...)
		if t.err != nil {
			return
		}
		r := grpcreflect.New(ctx, t.conn)
		defer r.Close()
		if t.files, t.err = r.All(); t.err != nil {
			t.err = fmt.Errorf("gRPC %s: %w", addr, t.err)
			return
		}
		t.types = dynamicpb.NewTypes(t.files)
	})
	if t.err != nil {
		// A failed connection is tried again by the next request.
		g.mu.Lock()
		if g.targets[key] == t {
			delete(g.targets, key)
		}
		g.mu.Unlock()
	}
	return t, t.err
}

// grpcURL splits grpc://host:port/pkg.Service/Method.
func grpcURL(raw string) (useTLS bool, addr, service, method string, err error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "grpc" && u.Scheme != "grpcs") {
		return false, "", "", "", fmt.Errorf("%q: a grpc://host:port/package.Service/Method URL is needed", raw)
	}
	service, method, ok := strings.Cut(strings.Trim(u.Path, "/"), "/")
	if !ok || service == "" || method == "" {
		return false, "", "", "", fmt.Errorf("%q: the path must be /package.Service/Method", raw)
	}
	return u.Scheme == "grpcs", u.Host, service, method, nil
}

// method finds a method's descriptor.
func (t *grpcTarget) method(service, method string) (protoreflect.MethodDescriptor, error) {
	d, err := t.files.FindDescriptorByName(protoreflect.FullName(service))
	if err != nil {
		return nil, fmt.Errorf("the server has no service %s", service)
	}
	sd, ok := d.(protoreflect.ServiceDescriptor)
	if !ok {
		return nil, fmt.Errorf("%s is not a service", service)
	}
	m := sd.Methods().ByName(protoreflect.Name(method))
	if m == nil {
		return nil, fmt.Errorf("service %s has no method %s", service, method)
	}
	return m, nil
}

// errNotEncodable: a mutated body the request message cannot hold (a
// string where a number goes): nothing is sent.
var errNotEncodable = errors.New("not encodable as the request message")

// maxStreamReplies bounds the messages read of a server stream.
const maxStreamReplies = 16

// Send calls the method of q's URL with q's body as the request message
// and q's headers as metadata.
func (g *GRPC) Send(ctx context.Context, q *Request) (*Reply, error) {
	useTLS, addr, service, method, err := grpcURL(q.URL)
	if err != nil {
		return nil, err
	}
	t, err := g.target(ctx, useTLS, addr)
	if err != nil {
		return nil, err
	}
	m, err := t.method(service, method)
	if err != nil {
		return nil, err
	}
	if m.IsStreamingClient() {
		return nil, fmt.Errorf("%s/%s: client streams are not fuzzed", service, method)
	}
	in := dynamicpb.NewMessage(m.Input())
	if len(q.Body) > 0 {
		if err := (protojson.UnmarshalOptions{DiscardUnknown: true, Resolver: t.types}).Unmarshal(q.Body, in); err != nil {
			return nil, fmt.Errorf("%w: %v", errNotEncodable, err)
		}
	}
	md := metadata.MD{}
	for k, vs := range q.Header {
		k = strings.ToLower(k)
		if k == "content-type" || k == "user-agent" || strings.HasPrefix(k, "grpc-") || strings.HasPrefix(k, ":") {
			continue
		}
		md[k] = vs
	}
	ctx = metadata.NewOutgoingContext(ctx, md)
	full := "/" + service + "/" + method
	var header, trailer metadata.MD
	var replies []json.RawMessage
	stream, err := t.conn.NewStream(ctx, &grpc.StreamDesc{ServerStreams: m.IsStreamingServer()}, full,
		grpc.Header(&header), grpc.Trailer(&trailer))
	if err == nil {
		err = stream.SendMsg(in)
		if err == nil {
			err = stream.CloseSend()
		}
		for err == nil && len(replies) < maxStreamReplies {
			out := dynamicpb.NewMessage(m.Output())
			if err = stream.RecvMsg(out); err != nil {
				break
			}
			b, merr := protojson.MarshalOptions{Resolver: t.types}.Marshal(out)
			if merr != nil {
				return nil, fmt.Errorf("%s: the reply does not convert to JSON: %w", full, merr)
			}
			replies = append(replies, b)
			if !m.IsStreamingServer() {
				break
			}
		}
		if errors.Is(err, io.EOF) {
			err = nil
		}
	}
	if err != nil && ctx.Err() != nil {
		return nil, ctx.Err() // the timeout or the run's end: no answer
	}
	// Unavailable is an answer (503): a server that went down on the
	// input looks like this.
	st := status.Convert(err)
	rep := &Reply{Status: codeStatus(st.Code()), Header: http.Header{"Content-Type": {"application/grpc"}}}
	for k, vs := range header {
		rep.Header[http.CanonicalHeaderKey(k)] = vs
	}
	for k, vs := range trailer {
		rep.Header[http.CanonicalHeaderKey(k)] = vs
	}
	switch {
	case st.Code() != codes.OK:
		rep.Body, _ = json.Marshal(map[string]string{"code": st.Code().String(), "message": st.Message()})
	case m.IsStreamingServer():
		rep.Body, _ = json.Marshal(replies)
	case len(replies) == 1:
		rep.Body = replies[0]
	}
	return rep, nil
}

// codeStatuses are gRPC codes read as HTTP statuses (grpc-gateway's
// mapping); the codes not listed (Unknown, Internal, DataLoss) are 500.
var codeStatuses = map[codes.Code]int{
	codes.OK:                 http.StatusOK,
	codes.Canceled:           499,
	codes.InvalidArgument:    http.StatusBadRequest,
	codes.FailedPrecondition: http.StatusBadRequest,
	codes.OutOfRange:         http.StatusBadRequest,
	codes.DeadlineExceeded:   http.StatusGatewayTimeout,
	codes.NotFound:           http.StatusNotFound,
	codes.AlreadyExists:      http.StatusConflict,
	codes.Aborted:            http.StatusConflict,
	codes.PermissionDenied:   http.StatusForbidden,
	codes.Unauthenticated:    http.StatusUnauthorized,
	codes.ResourceExhausted:  http.StatusTooManyRequests,
	codes.Unimplemented:      http.StatusNotImplemented,
	codes.Unavailable:        http.StatusServiceUnavailable,
}

// codeStatus reads a gRPC code as an HTTP status.
func codeStatus(c codes.Code) int {
	if s, ok := codeStatuses[c]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// GRPCSeeds reads a server's services by reflection and makes a seed of
// every unary and server-streaming method (of services, and methods by
// name or pkg.Service/Method, when given): a request message with every
// field set to a sample value. The reflection and health services are
// left out unless named. It also says which methods it left out, and why.
func (g *GRPC) GRPCSeeds(ctx context.Context, target string, useTLS bool, services, methods []string) ([]Seed, []string, error) {
	addr := strings.TrimPrefix(strings.TrimPrefix(target, "grpc://"), "grpcs://")
	useTLS = useTLS || strings.HasPrefix(target, "grpcs://")
	t, err := g.target(ctx, useTLS, addr)
	if err != nil {
		return nil, nil, err
	}
	scheme := "grpc"
	if useTLS {
		scheme = "grpcs"
	}
	var seeds []Seed
	var skipped []string
	t.files.RangeFiles(func(fd protoreflect.FileDescriptor) bool {
		for i := 0; i < fd.Services().Len(); i++ {
			sd := fd.Services().Get(i)
			name := string(sd.FullName())
			if len(services) > 0 && !slices.Contains(services, name) && !slices.Contains(services, string(sd.Name())) {
				continue
			}
			if len(services) == 0 && (strings.HasPrefix(name, "grpc.reflection.") || strings.HasPrefix(name, "grpc.health.")) {
				continue
			}
			for j := 0; j < sd.Methods().Len(); j++ {
				m := sd.Methods().Get(j)
				full := name + "/" + string(m.Name())
				if len(methods) > 0 && !slices.Contains(methods, string(m.Name())) && !slices.Contains(methods, full) {
					continue
				}
				if m.IsStreamingClient() {
					skipped = append(skipped, full+": client streaming is not fuzzed")
					continue
				}
				msg := dynamicpb.NewMessage(m.Input())
				sampleMessage(msg, 0)
				body, err := protojson.MarshalOptions{Resolver: t.types, EmitUnpopulated: true}.Marshal(msg)
				if err != nil {
					skipped = append(skipped, full+": "+err.Error())
					continue
				}
				var compact bytes.Buffer
				_ = json.Compact(&compact, body) // protojson varies its spacing
				seeds = append(seeds, Seed{ID: "grpc " + full, Name: full, Operation: "grpc " + full, Method: http.MethodPost,
					URL: scheme + "://" + addr + "/" + full, Body: compact.String(), ContentType: "application/json"})
			}
		}
		return true
	})
	slices.SortFunc(seeds, func(a, b Seed) int { return strings.Compare(a.ID, b.ID) })
	if len(seeds) == 0 {
		return nil, skipped, fmt.Errorf("gRPC %s: no method to fuzz (services %v, methods %v)", addr, services, methods)
	}
	return seeds, skipped, nil
}

// sampleMessage sets every field of m to a sample value: "1" for ids,
// "fuzz" for other strings, 1, true, the first named enum value, one
// element of lists and maps, nested messages three levels down.
func sampleMessage(m protoreflect.Message, depth int) {
	fields := m.Descriptor().Fields()
	for i := 0; i < fields.Len(); i++ {
		f := fields.Get(i)
		if f.ContainingOneof() != nil && !f.HasOptionalKeyword() && f.ContainingOneof().Fields().Get(0) != f {
			continue // one member of a oneof
		}
		switch {
		case f.IsList():
			list := m.Mutable(f).List()
			if v, ok := sampleValue(list.NewElement, f, depth); ok {
				list.Append(v)
			}
		case f.IsMap():
			mp := m.Mutable(f).Map()
			k, _ := sampleValue(nil, f.MapKey(), depth)
			if v, ok := sampleValue(mp.NewValue, f.MapValue(), depth); ok {
				mp.Set(k.MapKey(), v)
			}
		case f.Kind() == protoreflect.MessageKind || f.Kind() == protoreflect.GroupKind:
			if depth < 3 {
				sampleMessage(m.Mutable(f).Message(), depth+1)
			}
		default:
			if v, ok := sampleValue(nil, f, depth); ok {
				m.Set(f, v)
			}
		}
	}
}

// sampleValue is a sample of a field's kind; newMsg makes a message value.
func sampleValue(newMsg func() protoreflect.Value, f protoreflect.FieldDescriptor, depth int) (protoreflect.Value, bool) {
	switch f.Kind() {
	case protoreflect.StringKind:
		name := strings.ToLower(string(f.Name()))
		if name == "id" || strings.HasSuffix(name, "_id") {
			return protoreflect.ValueOfString("1"), true
		}
		return protoreflect.ValueOfString("fuzz"), true
	case protoreflect.BytesKind:
		return protoreflect.ValueOfBytes([]byte("fuzz")), true
	case protoreflect.BoolKind:
		return protoreflect.ValueOfBool(true), true
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind:
		return protoreflect.ValueOfInt32(1), true
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		return protoreflect.ValueOfInt64(1), true
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		return protoreflect.ValueOfUint32(1), true
	case protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		return protoreflect.ValueOfUint64(1), true
	case protoreflect.FloatKind:
		return protoreflect.ValueOfFloat32(1.5), true
	case protoreflect.DoubleKind:
		return protoreflect.ValueOfFloat64(1.5), true
	case protoreflect.EnumKind:
		vals := f.Enum().Values()
		if vals.Len() > 1 {
			return protoreflect.ValueOfEnum(vals.Get(1).Number()), true
		}
		return protoreflect.ValueOfEnum(0), true
	case protoreflect.MessageKind, protoreflect.GroupKind:
		if newMsg == nil || depth >= 3 {
			return protoreflect.Value{}, false
		}
		v := newMsg()
		sampleMessage(v.Message(), depth+1)
		return v, true
	}
	return protoreflect.Value{}, false
}
