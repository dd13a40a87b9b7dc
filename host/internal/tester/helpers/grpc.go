package helpers

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"sort"
	"strconv"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	rpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/dynamicpb"
)

// Server reflection, v1 and the older v1alpha: their messages are the
// same on the wire, so v1's types serve both.
const (
	reflectV1      = "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo"
	reflectV1Alpha = "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo"
)

// Bounds of a gRPC helper call (a server stream also stops at
// MaxResponse bytes of JSON).
const (
	maxReflectFiles   = 2000 // descriptor files read for one call
	maxStreamMessages = 1000 // messages read from a server stream
)

// grpcTarget parses "grpc://host:port", "grpcs://host:port" (TLS),
// http(s):// alike, or "host:port".
func grpcTarget(raw string, forceTLS bool) (addr string, useTLS bool, err error) {
	addr = strings.TrimSpace(raw)
	if addr == "" {
		return "", false, Inputf("target", "is required: host:port or grpc://host:port")
	}
	useTLS = forceTLS
	for _, p := range []struct {
		prefix string
		tls    bool
	}{{"grpc://", false}, {"http://", false}, {"grpcs://", true}, {"https://", true}} {
		if len(addr) >= len(p.prefix) && strings.EqualFold(addr[:len(p.prefix)], p.prefix) {
			addr, useTLS = addr[len(p.prefix):], useTLS || p.tls
			break
		}
	}
	addr = strings.TrimRight(addr, "/")
	host, port, perr := net.SplitHostPort(addr)
	if perr != nil || host == "" || strings.ContainsAny(addr, "/?#@") {
		return "", false, Inputf("target", "must be host:port or grpc://host:port, not %q", raw)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return "", false, Inputf("target", "port %q is not a port number", port)
	}
	return addr, useTLS, nil
}

// dialGRPC makes a client connection whose every dial goes through the guard.
func dialGRPC(ctx context.Context, g *Guard, target string, forceTLS bool) (*grpc.ClientConn, string, error) {
	addr, useTLS, err := grpcTarget(target, forceTLS)
	if err != nil {
		return nil, "", err
	}
	if err := g.Check(ctx, addr); err != nil {
		return nil, addr, Fail(ctx, "target", "gRPC "+addr, err)
	}
	creds := insecure.NewCredentials()
	if useTLS {
		host, _, _ := net.SplitHostPort(addr)
		creds = credentials.NewTLS(&tls.Config{MinVersion: tls.VersionTLS12, ServerName: host})
	}
	conn, err := grpc.NewClient("passthrough:///"+addr, grpc.WithTransportCredentials(creds),
		grpc.WithContextDialer(func(ctx context.Context, a string) (net.Conn, error) { return g.DialContext(ctx, "tcp", a) }),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(MaxResponse)))
	if err != nil {
		return nil, addr, Inputf("target", "%v", err)
	}
	return conn, addr, nil
}

// reflector reads descriptors from a server's reflection service.
type reflector struct {
	ctx    context.Context
	conn   *grpc.ClientConn
	addr   string
	method string
	stream grpc.ClientStream
	files  map[string]*descriptorpb.FileDescriptorProto
}

func newReflector(ctx context.Context, conn *grpc.ClientConn, addr string) *reflector {
	return &reflector{ctx: ctx, conn: conn, addr: addr, method: reflectV1, files: map[string]*descriptorpb.FileDescriptorProto{}}
}

var reflectDesc = &grpc.StreamDesc{ClientStreams: true, ServerStreams: true}

// ask sends one request on the reflection stream, falling back to
// v1alpha when the server has no v1.
func (r *reflector) ask(req *rpb.ServerReflectionRequest) (*rpb.ServerReflectionResponse, error) {
	for {
		if r.stream == nil {
			s, err := r.conn.NewStream(r.ctx, reflectDesc, r.method)
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
		r.stream = nil // a broken stream: the next question opens another
		return nil, r.fail(err)
	}
}

func (r *reflector) fail(err error) error {
	if status.Code(err) == codes.Unimplemented {
		return errorf(KindUpstream, "gRPC %s does not offer server reflection (grpc.reflection.v1 or v1alpha): register it on the server", r.addr)
	}
	return Fail(r.ctx, "target", "gRPC reflection on "+r.addr, err)
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
		return nil, errorf(KindUpstream, "gRPC %s: listing services: %s", r.addr, e.GetErrorMessage())
	}
	var out []string
	for _, s := range resp.GetListServicesResponse().GetService() {
		out = append(out, s.GetName())
	}
	sort.Strings(out)
	return out, nil
}

// errSymbolNotFound is a symbol the server does not know.
var errSymbolNotFound = errors.New("not found")

// add keeps the files of a descriptor response.
func (r *reflector) add(resp *rpb.ServerReflectionResponse) error {
	for _, raw := range resp.GetFileDescriptorResponse().GetFileDescriptorProto() {
		fd := &descriptorpb.FileDescriptorProto{}
		if err := proto.Unmarshal(raw, fd); err != nil {
			return errorf(KindUpstream, "gRPC %s: a descriptor from reflection does not decode: %v", r.addr, err)
		}
		if _, ok := r.files[fd.GetName()]; !ok {
			if len(r.files) >= maxReflectFiles {
				return errorf(KindUpstream, "gRPC %s: more than %d descriptor files", r.addr, maxReflectFiles)
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
			return fmt.Errorf("%s: %w", symbol, errSymbolNotFound)
		}
		return errorf(KindUpstream, "gRPC %s: reflection on %s: %s", r.addr, symbol, e.GetErrorMessage())
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
				return errorf(KindUpstream, "gRPC %s: reflection does not give %s, which its descriptors import", r.addr, name)
			}
			r.files[name] = protodesc.ToFileDescriptorProto(local)
		}
	}
}

// registry builds the descriptors read so far.
func (r *reflector) registry() (*protoregistry.Files, error) {
	set := &descriptorpb.FileDescriptorSet{}
	for _, fd := range r.files {
		set.File = append(set.File, fd)
	}
	files, err := protodesc.NewFiles(set)
	if err != nil {
		return nil, errorf(KindUpstream, "gRPC %s: the reflected descriptors do not build: %v", r.addr, err)
	}
	return files, nil
}

// GRPCMethod is one method of a discovered service.
type GRPCMethod struct {
	Name            string `json:"name"`
	FullName        string `json:"fullName"`
	InputType       string `json:"inputType"`
	OutputType      string `json:"outputType"`
	ClientStreaming bool   `json:"clientStreaming"`
	ServerStreaming bool   `json:"serverStreaming"`
	// InputTemplate is the input message with every field at its zero value.
	InputTemplate json.RawMessage `json:"inputTemplate,omitempty"`
}

// GRPCService is a discovered service.
type GRPCService struct {
	Name    string       `json:"name"`
	Methods []GRPCMethod `json:"methods"`
	// Error says why the service's descriptors could not be read.
	Error string `json:"error,omitempty"`
}

// DiscoverGRPC lists the services of a server with their methods, through
// server reflection.
func DiscoverGRPC(ctx context.Context, g *Guard, target string, useTLS bool) ([]GRPCService, error) {
	conn, addr, err := dialGRPC(ctx, g, target, useTLS)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	r := newReflector(ctx, conn, addr)
	defer r.close()
	names, err := r.services()
	if err != nil {
		return nil, err
	}
	out := make([]GRPCService, 0, len(names))
	for _, name := range names {
		svc := GRPCService{Name: name, Methods: []GRPCMethod{}}
		sd, err := r.service(name)
		if err != nil {
			var he *Error
			if !errors.As(err, &he) && !errors.Is(err, errSymbolNotFound) {
				return nil, err
			}
			if he != nil && he.Kind != KindUpstream {
				return nil, err // a timeout or the client gone: not this service's fault
			}
			svc.Error = err.Error()
			out = append(out, svc)
			continue
		}
		for i := 0; i < sd.Methods().Len(); i++ {
			md := sd.Methods().Get(i)
			tpl, _ := protojson.MarshalOptions{EmitUnpopulated: true}.Marshal(dynamicpb.NewMessage(md.Input()))
			svc.Methods = append(svc.Methods, GRPCMethod{Name: string(md.Name()), FullName: "/" + name + "/" + string(md.Name()),
				InputType: string(md.Input().FullName()), OutputType: string(md.Output().FullName()),
				ClientStreaming: md.IsStreamingClient(), ServerStreaming: md.IsStreamingServer(), InputTemplate: compactJSON(tpl)})
		}
		out = append(out, svc)
	}
	return out, nil
}

func compactJSON(b []byte) json.RawMessage {
	var buf bytes.Buffer
	if json.Compact(&buf, b) != nil {
		return nil
	}
	return buf.Bytes()
}

// service resolves a service's descriptor.
func (r *reflector) service(name string) (protoreflect.ServiceDescriptor, error) {
	if err := r.loadSymbol(name); err != nil {
		return nil, err
	}
	files, err := r.registry()
	if err != nil {
		return nil, err
	}
	d, err := files.FindDescriptorByName(protoreflect.FullName(name))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, errSymbolNotFound)
	}
	sd, ok := d.(protoreflect.ServiceDescriptor)
	if !ok {
		return nil, fmt.Errorf("%s is not a service: %w", name, errSymbolNotFound)
	}
	return sd, nil
}

// GRPCRequest is one gRPC call.
type GRPCRequest struct {
	// Target is host:port or grpc://host:port (grpcs:// for TLS).
	Target string `json:"target"`
	// Service is the fully qualified service; Method its method (or
	// "pkg.Service/Method" with Service empty).
	Service string `json:"service"`
	Method  string `json:"method"`
	// Metadata is sent with the call (values of "-bin" keys in base64).
	Metadata Headers `json:"metadata"`
	// Body is the request message as JSON (protojson); a list of them for
	// a client stream.
	Body json.RawMessage `json:"body"`
	TLS  bool            `json:"tls"`
}

// GRPCResponse is a call's outcome: a gRPC error status is an outcome too.
type GRPCResponse struct {
	// Status is the code's name ("OK", "NotFound", ...).
	Status  string `json:"status"`
	Code    int    `json:"code"`
	Message string `json:"message,omitempty"`
	// Body is the reply message; a list for a server stream; null when
	// the call failed before one.
	Body      any               `json:"body"`
	Metadata  map[string]string `json:"metadata"`
	Trailers  map[string]string `json:"trailers"`
	LatencyMs int64             `json:"latencyMs"`
	// Truncated says a server stream went on past the messages read.
	Truncated bool `json:"truncated,omitempty"`
}

// methodNames splits the request's service and method.
func (in GRPCRequest) methodNames() (service, method string, err error) {
	service, method = strings.TrimSpace(in.Service), strings.Trim(strings.TrimSpace(in.Method), "/")
	if service == "" {
		if i := strings.LastIndex(method, "/"); i > 0 {
			service, method = method[:i], method[i+1:]
		}
	}
	if i := strings.LastIndex(method, "/"); i >= 0 { // "pkg.Service/Method" beside a service
		method = method[i+1:]
	}
	switch {
	case service == "":
		return "", "", Inputf("service", "is required: the fully qualified service (package.Service)")
	case method == "":
		return "", "", Inputf("method", "is required: the method's name")
	}
	return service, method, nil
}

// CallGRPC calls a method found through server reflection, with the body
// written as JSON, and returns the reply as JSON.
func CallGRPC(ctx context.Context, g *Guard, in GRPCRequest) (*GRPCResponse, error) {
	serviceName, methodName, err := in.methodNames()
	if err != nil {
		return nil, err
	}
	md, err := outgoingMetadata(in.Metadata)
	if err != nil {
		return nil, err
	}
	conn, addr, err := dialGRPC(ctx, g, in.Target, in.TLS)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	r := newReflector(ctx, conn, addr)
	sd, err := r.service(serviceName)
	r.close()
	if errors.Is(err, errSymbolNotFound) {
		return nil, Inputf("service", "gRPC %s has no service %q", addr, serviceName)
	}
	if err != nil {
		return nil, err
	}
	m := sd.Methods().ByName(protoreflect.Name(methodName))
	if m == nil {
		names := make([]string, 0, sd.Methods().Len())
		for i := 0; i < sd.Methods().Len(); i++ {
			names = append(names, string(sd.Methods().Get(i).Name()))
		}
		return nil, Inputf("method", "service %s has no method %q (it has: %s)", serviceName, methodName, strings.Join(names, ", "))
	}
	files, err := r.registry()
	if err != nil {
		return nil, err
	}
	types := dynamicpb.NewTypes(files)
	msgs, err := requestMessages(in.Body, m, types)
	if err != nil {
		return nil, err
	}
	return invoke(metadata.NewOutgoingContext(ctx, md), conn, m, msgs, types)
}

// outgoingMetadata checks the metadata and decodes "-bin" values.
func outgoingMetadata(h Headers) (metadata.MD, error) {
	md := metadata.MD{}
	for _, e := range h {
		k := strings.ToLower(e.Name)
		if !validHeaderName(k) || strings.HasPrefix(k, "grpc-") || k == "content-type" || k == "te" {
			return nil, Inputf("metadata", "%q cannot be sent as metadata", e.Name)
		}
		v := e.Value
		if strings.HasSuffix(k, "-bin") {
			b, err := base64.StdEncoding.DecodeString(v)
			if err != nil {
				if b, err = base64.RawStdEncoding.DecodeString(v); err != nil {
					return nil, Inputf("metadata", "%q is binary metadata: give its value in base64", e.Name)
				}
			}
			v = string(b)
		} else if strings.ContainsAny(v, "\r\n\x00") {
			return nil, Inputf("metadata", "the value of %q holds a line break or NUL", e.Name)
		}
		md.Append(k, v)
	}
	return md, nil
}

// requestMessages decodes the body into the messages to send: one, or the
// items of a list for a client stream.
func requestMessages(body json.RawMessage, m protoreflect.MethodDescriptor, types *dynamicpb.Types) ([]proto.Message, error) {
	body = bytes.TrimSpace(body)
	if len(body) > 0 && body[0] == '"' { // JSON sent as a string
		var s string
		if err := json.Unmarshal(body, &s); err != nil {
			return nil, Inputf("body", "%v", err)
		}
		body = bytes.TrimSpace([]byte(s))
	}
	var items []json.RawMessage
	switch {
	case len(body) == 0 || string(body) == "null":
		items = []json.RawMessage{json.RawMessage("{}")}
	case body[0] == '[':
		if !m.IsStreamingClient() {
			return nil, Inputf("body", "%s takes one message: send a JSON object, not a list", m.Name())
		}
		if err := json.Unmarshal(body, &items); err != nil {
			return nil, Inputf("body", "%v", err)
		}
	case body[0] == '{':
		items = []json.RawMessage{body}
	default:
		return nil, Inputf("body", "must be the request message as a JSON object")
	}
	opts := protojson.UnmarshalOptions{Resolver: types}
	out := make([]proto.Message, 0, len(items))
	for i, it := range items {
		msg := dynamicpb.NewMessage(m.Input())
		if err := opts.Unmarshal(it, msg); err != nil {
			field := "body"
			if len(items) > 1 || body[0] == '[' {
				field = fmt.Sprintf("body[%d]", i)
			}
			return nil, Inputf(field, "is not a %s: %v", m.Input().FullName(), err)
		}
		out = append(out, msg)
	}
	return out, nil
}

// invoke makes the call and collects the replies, headers, trailers and status.
// deadlineSlack is how close to the deadline a server's cancellation
// counts as the deadline's.
const deadlineSlack = 100 * time.Millisecond

func invoke(ctx context.Context, conn *grpc.ClientConn, m protoreflect.MethodDescriptor, msgs []proto.Message, types *dynamicpb.Types) (*GRPCResponse, error) {
	full := "/" + string(m.Parent().FullName()) + "/" + string(m.Name())
	start := time.Now()
	out := &GRPCResponse{Metadata: map[string]string{}, Trailers: map[string]string{}}
	var replies []json.RawMessage
	size := 0
	marshal := protojson.MarshalOptions{Resolver: types}
	stream, err := conn.NewStream(ctx, &grpc.StreamDesc{ClientStreams: m.IsStreamingClient(), ServerStreams: m.IsStreamingServer()}, full)
	if err == nil {
		for _, msg := range msgs {
			if err = stream.SendMsg(msg); err != nil {
				break
			}
		}
		if err == nil || errors.Is(err, io.EOF) { // EOF: the status comes with the reply
			err = stream.CloseSend()
		}
		for err == nil {
			reply := dynamicpb.NewMessage(m.Output())
			if err = stream.RecvMsg(reply); err != nil {
				break
			}
			b, merr := marshal.Marshal(reply)
			if merr != nil {
				return nil, errorf(KindUpstream, "gRPC %s: the reply does not convert to JSON: %v", full, merr)
			}
			replies = append(replies, compactJSON(b))
			size += len(b)
			if !m.IsStreamingServer() {
				break
			}
			if len(replies) >= maxStreamMessages || size >= MaxResponse {
				out.Truncated = true
				break
			}
		}
		if errors.Is(err, io.EOF) || (err == nil && !m.IsStreamingServer()) {
			err = nil
		}
		if h, herr := stream.Header(); herr == nil {
			out.Metadata = flatMetadata(h)
		}
		if !out.Truncated { // trailers come only with the stream's end
			out.Trailers = flatMetadata(stream.Trailer())
		}
	}
	out.LatencyMs = time.Since(start).Milliseconds()
	if d, ok := ctx.Deadline(); ok && status.Code(err) == codes.Canceled && ctx.Err() == nil && time.Until(d) < deadlineSlack {
		// The server ended the stream at its copy of the deadline, a
		// moment before this side's: the deadline ended it.
		err = status.Error(codes.DeadlineExceeded, "the deadline passed: "+status.Convert(err).Message())
	}
	switch {
	case err != nil && len(replies) > 0 && (ctx.Err() == context.DeadlineExceeded || status.Code(err) == codes.DeadlineExceeded):
		// A server stream that outlives the timeout: what came is the
		// answer (the server may see the deadline before this side does).
		out.Truncated = true
	case err != nil && ctx.Err() != nil:
		return nil, Fail(ctx, "target", "gRPC "+full, err)
	}
	st := status.Convert(err)
	out.Status, out.Code, out.Message = st.Code().String(), int(st.Code()), st.Message()
	switch {
	case m.IsStreamingServer():
		list := make([]json.RawMessage, 0, len(replies))
		out.Body = append(list, replies...)
	case len(replies) > 0:
		out.Body = replies[0]
	}
	return out, nil
}

// flatMetadata is metadata as {key: value}, binary values in base64.
func flatMetadata(md metadata.MD) map[string]string {
	out := make(map[string]string, len(md))
	for k, vals := range md {
		if strings.HasSuffix(k, "-bin") {
			enc := make([]string, len(vals))
			for i, v := range vals {
				enc[i] = base64.StdEncoding.EncodeToString([]byte(v))
			}
			vals = enc
		}
		out[k] = strings.Join(vals, ", ")
	}
	return out
}
