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
	"strconv"
	"strings"
	"time"

	"github.com/mockarty-oss/mockarty/sdk/grpcreflect"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"
)

// Bounds of a gRPC helper call (a server stream also stops at
// MaxResponse bytes of JSON).
const (
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

// reflectErr classifies a reflection failure on addr: the server's fault
// (no reflection, unusable descriptors) is upstream, a symbol it does not
// know passes as grpcreflect.ErrNotFound, the rest is a transport failure.
func reflectErr(ctx context.Context, addr string, err error) error {
	switch {
	case err == nil || errors.Is(err, grpcreflect.ErrNotFound):
		return err
	case errors.Is(err, grpcreflect.ErrNoReflection) || errors.Is(err, grpcreflect.ErrBadServer):
		return errorf(KindUpstream, "gRPC %s: %v", addr, err)
	}
	return Fail(ctx, "target", "gRPC reflection on "+addr, err)
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
	r := grpcreflect.New(ctx, conn)
	defer r.Close()
	names, err := r.Services()
	if err != nil {
		return nil, reflectErr(ctx, addr, err)
	}
	out := make([]GRPCService, 0, len(names))
	for _, name := range names {
		svc := GRPCService{Name: name, Methods: []GRPCMethod{}}
		sd, err := r.Service(name)
		if err != nil {
			if !errors.Is(err, grpcreflect.ErrNotFound) && !errors.Is(err, grpcreflect.ErrBadServer) {
				return nil, reflectErr(ctx, addr, err) // a timeout or the client gone: not this service's fault
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
	r := grpcreflect.New(ctx, conn)
	sd, err := r.Service(serviceName)
	r.Close()
	if errors.Is(err, grpcreflect.ErrNotFound) {
		return nil, Inputf("service", "gRPC %s has no service %q", addr, serviceName)
	}
	if err != nil {
		return nil, reflectErr(ctx, addr, err)
	}
	m := sd.Methods().ByName(protoreflect.Name(methodName))
	if m == nil {
		names := make([]string, 0, sd.Methods().Len())
		for i := 0; i < sd.Methods().Len(); i++ {
			names = append(names, string(sd.Methods().Get(i).Name()))
		}
		return nil, Inputf("method", "service %s has no method %q (it has: %s)", serviceName, methodName, strings.Join(names, ", "))
	}
	files, err := r.Files()
	if err != nil {
		return nil, reflectErr(ctx, addr, err)
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
	if d, ok := ctx.Deadline(); ok && status.Code(err) == codes.Canceled &&
		(ctx.Err() == context.DeadlineExceeded || (ctx.Err() == nil && time.Until(d) < deadlineSlack)) {
		// The server ended the stream at its copy of the deadline, a
		// moment before this side's (which may have passed since): the
		// deadline ended it.
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
