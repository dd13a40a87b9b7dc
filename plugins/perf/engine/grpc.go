package engine

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"fmt"
	"net"
	"path"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"weak"

	"github.com/bufbuild/protocompile"
	"github.com/bufbuild/protocompile/reporter"
	"github.com/grafana/sobek"
	"github.com/mockarty-oss/mockarty/sdk/grpcreflect"
	"github.com/mockarty-oss/mockarty/sdk/outbound"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/dynamicpb"
)

// k6/net/grpc, written from k6's public documentation: unary calls over
// descriptors from .proto files, a protoset or server reflection.

// grpcStatusNames are the status constants, indexed by code.
var grpcStatusNames = []string{
	"StatusOK", "StatusCanceled", "StatusUnknown", "StatusInvalidArgument", "StatusDeadlineExceeded",
	"StatusNotFound", "StatusAlreadyExists", "StatusPermissionDenied", "StatusResourceExhausted",
	"StatusFailedPrecondition", "StatusAborted", "StatusOutOfRange", "StatusUnimplemented",
	"StatusInternal", "StatusUnavailable", "StatusDataLoss", "StatusUnauthenticated",
}

// grpcHealthConsts are the health check states as k6 names them (its
// HealthCheckServiceUnkown spelling included).
var grpcHealthConsts = map[string]string{
	"HealthCheckServing":       "SERVING",
	"HealthCheckNotServing":    "NOT_SERVING",
	"HealthCheckUnknown":       "UNKNOWN",
	"HealthCheckServiceUnkown": "SERVICE_UNKNOWN",
}

var grpcExports = func() []string {
	out := append([]string{"Client", "Stream"}, grpcStatusNames...)
	for k := range grpcHealthConsts {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}()

// Bounds of the gRPC client.
const (
	defaultGRPCTimeout = 60 * time.Second
	maxProtoFiles      = 512 // files one load() may read
	healthCheckMethod  = "/grpc.health.v1.Health/Check"
)

func (v *vu) grpcModule() *sobek.Object {
	var duration *metric
	if v.run != nil {
		// registered with the module so that thresholds on it bind
		var err error
		if duration, err = v.run.reg.get("grpc_req_duration", kindTrend, valueTime); err != nil {
			panic(v.rt.NewGoError(err))
		}
	}
	o := v.rt.NewObject()
	_ = o.Set("Client", func(call sobek.ConstructorCall) *sobek.Object {
		c := &grpcClient{v: v, files: &protoregistry.Files{}, methods: map[string]protoreflect.MethodDescriptor{}, duration: duration}
		c.types = dynamicpb.NewTypes(c.files)
		if v.grpcClients == nil {
			v.grpcClients = map[*sobek.Object]*grpcClient{}
		}
		v.grpcClients[call.This] = c
		for name, fn := range map[string]func(sobek.FunctionCall) sobek.Value{
			"load":         c.load,
			"loadProtoset": c.loadProtoset,
			"connect":      c.connect,
			"invoke":       c.invoke,
			"asyncInvoke": func(call sobek.FunctionCall) sobek.Value {
				// no event loop: the call runs now and the promise is already settled
				r := c.invoke(call)
				p, resolve, _ := v.rt.NewPromise()
				_ = resolve(r)
				return v.rt.ToValue(p)
			},
			"healthCheck": c.healthCheck,
			"close": func(sobek.FunctionCall) sobek.Value {
				c.closeConn()
				return sobek.Undefined()
			},
		} {
			_ = call.This.Set(name, fn)
		}
		return nil
	})
	_ = o.Set("Stream", v.newStream)
	for code, name := range grpcStatusNames {
		_ = o.Set(name, code)
	}
	for name, val := range grpcHealthConsts {
		_ = o.Set(name, val)
	}
	return o
}

// grpcClient is one grpc.Client: the methods it knows and its connection.
type grpcClient struct {
	v       *vu
	files   *protoregistry.Files
	types   *dynamicpb.Types
	methods map[string]protoreflect.MethodDescriptor // by "/pkg.Service/Method"

	conn      *grpc.ClientConn
	addr      string
	stopClose func() bool // undoes the close at the run's end
	maxRecv   int
	meter     outbound.Meter // bytes on the wire: data_sent, data_received
	lastSent  int64
	lastRecv  int64
	duration  *metric
}

func (c *grpcClient) throw(format string, args ...any) {
	panic(c.v.rt.NewGoError(fmt.Errorf(format, args...)))
}

// activeModule is the path of the module running now: files it names
// are relative to its folder, as open()'s are.
func (v *vu) activeModule() string {
	from := v.prog.filename
	if rec, ok := v.rt.GetActiveScriptOrModule().(sobek.ModuleRecord); ok {
		if p, ok := v.prog.paths[rec]; ok {
			from = p
		}
	}
	return from
}

// load is client.load(importPaths, ...protoFiles).
func (c *grpcClient) load(call sobek.FunctionCall) sobek.Value {
	v := c.v
	if !v.inInit {
		c.throw("client.load() works only in the init context (outside functions)")
	}
	var roots []string
	switch a := call.Argument(0); {
	case sobek.IsUndefined(a) || sobek.IsNull(a):
	default:
		o, ok := a.(*sobek.Object)
		if !ok || o.ClassName() != "Array" {
			roots = []string{a.String()}
			break
		}
		n := int(o.Get("length").ToInteger())
		for i := 0; i < n; i++ {
			roots = append(roots, o.Get(strconv.Itoa(i)).String())
		}
	}
	var names []string
	for _, a := range call.Arguments[min(1, len(call.Arguments)):] {
		// protocompile tells files apart by name: "./a.proto" must be "a.proto"
		names = append(names, path.Clean(a.String()))
	}
	if len(names) == 0 {
		c.throw("client.load(importPaths, ...protoFiles) needs at least one .proto file")
	}
	dir := path.Dir(v.activeModule())
	paths := make([]string, 0, len(roots)+1)
	for _, r := range roots {
		if strings.HasPrefix(r, "/") {
			paths = append(paths, path.Clean(strings.TrimPrefix(r, "/")))
		} else {
			paths = append(paths, path.Join(dir, r))
		}
	}
	if len(paths) == 0 {
		paths = append(paths, dir)
	}
	fds, err := compileProtos(v.prog, paths, names)
	if err != nil {
		c.throw("client.load: %v", err)
	}
	if err := c.addFiles(fds); err != nil {
		c.throw("client.load: %v", err)
	}
	return sobek.Undefined()
}

// loadProtoset is client.loadProtoset(path): a serialized FileDescriptorSet.
func (c *grpcClient) loadProtoset(call sobek.FunctionCall) sobek.Value {
	v := c.v
	if !v.inInit {
		c.throw("client.loadProtoset() works only in the init context (outside functions)")
	}
	name := call.Argument(0).String()
	spec := name
	if !isPathSpecifier(spec) {
		spec = "./" + spec
	}
	b, err := v.prog.openFile(resolvePath(v.activeModule(), spec))
	if err != nil {
		c.throw("client.loadProtoset: %v", err)
	}
	set := &descriptorpb.FileDescriptorSet{}
	if err := proto.Unmarshal(b, set); err != nil {
		c.throw("client.loadProtoset(%q): not a FileDescriptorSet: %v", name, err)
	}
	files, err := protodesc.NewFiles(set)
	if err != nil {
		c.throw("client.loadProtoset(%q): %v", name, err)
	}
	if err := c.addRegistry(files); err != nil {
		c.throw("client.loadProtoset(%q): %v", name, err)
	}
	return sobek.Undefined()
}

// protoEntry is one compilation, shared by the VUs of a program.
type protoEntry struct {
	once sync.Once
	fds  []protoreflect.FileDescriptor
	err  error
}

type protoKey struct {
	prog weak.Pointer[Program]
	key  string
}

// protoCache keeps each program's compiled .proto files so that its VUs,
// which all run the same init code, compile them once; an entry goes
// when its program is collected.
var protoCache sync.Map // protoKey -> *protoEntry

func compileProtos(p *Program, importPaths, names []string) ([]protoreflect.FileDescriptor, error) {
	k := protoKey{prog: weak.Make(p), key: strings.Join(importPaths, "\x00") + "\x01" + strings.Join(names, "\x00")}
	val, loaded := protoCache.LoadOrStore(k, &protoEntry{})
	if !loaded {
		runtime.AddCleanup(p, func(k protoKey) { protoCache.Delete(k) }, k)
	}
	e := val.(*protoEntry)
	e.once.Do(func() { e.fds, e.err = compileProtoFiles(p, importPaths, names) })
	return e.fds, e.err
}

func compileProtoFiles(p *Program, importPaths, names []string) ([]protoreflect.FileDescriptor, error) {
	var mu sync.Mutex
	read := 0
	resolver := protocompile.ResolverFunc(func(name string) (protocompile.SearchResult, error) {
		var first error
		for _, ip := range importPaths {
			b, err := p.openFile(path.Join(ip, name))
			if err != nil {
				if first == nil {
					first = err
				}
				continue
			}
			mu.Lock()
			read++
			n := read
			mu.Unlock()
			if n > maxProtoFiles {
				return protocompile.SearchResult{}, fmt.Errorf("more than %d .proto files", maxProtoFiles)
			}
			return protocompile.SearchResult{Source: bytes.NewReader(b)}, nil
		}
		return protocompile.SearchResult{}, fmt.Errorf("%s: not found in the import paths (%s): %w", name, strings.Join(importPaths, ", "), first)
	})
	var first error
	comp := protocompile.Compiler{
		Resolver:       protocompile.WithStandardImports(resolver),
		MaxParallelism: 1,
		Reporter: reporter.NewReporter(func(err reporter.ErrorWithPos) error {
			if first == nil {
				pos := err.GetPosition()
				first = fmt.Errorf("%s:%d:%d: %v", pos.Filename, pos.Line, pos.Col, err.Unwrap())
			}
			return err
		}, nil),
	}
	linked, err := comp.Compile(context.Background(), names...)
	if err != nil {
		if first != nil {
			return nil, first
		}
		return nil, err
	}
	out := make([]protoreflect.FileDescriptor, 0, len(linked))
	for _, f := range linked {
		out = append(out, f)
	}
	return out, nil
}

// addFiles registers files (and what they import) and their methods.
func (c *grpcClient) addFiles(fds []protoreflect.FileDescriptor) error {
	var add func(fd protoreflect.FileDescriptor) error
	add = func(fd protoreflect.FileDescriptor) error {
		if _, err := c.files.FindFileByPath(fd.Path()); err == nil {
			return nil
		}
		imports := fd.Imports()
		for i := 0; i < imports.Len(); i++ {
			if err := add(imports.Get(i).FileDescriptor); err != nil {
				return err
			}
		}
		if err := c.files.RegisterFile(fd); err != nil {
			return err
		}
		services := fd.Services()
		for i := 0; i < services.Len(); i++ {
			sd := services.Get(i)
			methods := sd.Methods()
			for j := 0; j < methods.Len(); j++ {
				md := methods.Get(j)
				c.methods["/"+string(sd.FullName())+"/"+string(md.Name())] = md
			}
		}
		return nil
	}
	for _, fd := range fds {
		if err := add(fd); err != nil {
			return err
		}
	}
	c.types = dynamicpb.NewTypes(c.files)
	return nil
}

func (c *grpcClient) addRegistry(files *protoregistry.Files) error {
	var fds []protoreflect.FileDescriptor
	files.RangeFiles(func(fd protoreflect.FileDescriptor) bool {
		fds = append(fds, fd)
		return true
	})
	sort.Slice(fds, func(i, j int) bool { return fds[i].Path() < fds[j].Path() })
	return c.addFiles(fds)
}

// durationParam reads a duration given as "10s" or as milliseconds.
func (v *vu) durationParam(val sobek.Value, what string) time.Duration {
	var d time.Duration
	var err error
	if s, isStr := val.Export().(string); isStr {
		d, err = parseDuration(s)
	} else {
		d = time.Duration(val.ToFloat() * float64(time.Millisecond))
	}
	if err != nil || d <= 0 {
		panic(v.rt.NewTypeError("%s", what+": a duration like \"10s\" or milliseconds above 0"))
	}
	return d
}

func present(val sobek.Value) bool {
	return val != nil && !sobek.IsUndefined(val) && !sobek.IsNull(val)
}

// connect is client.connect(address, params).
func (c *grpcClient) connect(call sobek.FunctionCall) sobek.Value {
	v := c.v
	if v.inInit || v.run == nil {
		c.throw("client.connect() works only in VU code, not in the init context (move it into a function)")
	}
	addr := strings.TrimSpace(call.Argument(0).String())
	host, port, err := net.SplitHostPort(addr)
	if n, perr := strconv.Atoi(port); err != nil || host == "" || perr != nil || n < 1 || n > 65535 {
		panic(v.rt.NewTypeError("%s", fmt.Sprintf("client.connect: address %q is not host:port", addr)))
	}
	plaintext, reflect := false, false
	timeout := defaultGRPCTimeout
	maxRecv, maxSend := int(v.run.cfg.MaxBodyBytes), 0
	var reflectMD metadata.MD
	if p, ok := call.Argument(1).(*sobek.Object); ok {
		plaintext = p.Get("plaintext") != nil && p.Get("plaintext").ToBoolean()
		reflect = p.Get("reflect") != nil && p.Get("reflect").ToBoolean()
		if t := p.Get("timeout"); present(t) {
			timeout = v.durationParam(t, "client.connect: timeout")
		}
		if n := p.Get("maxReceiveSize"); present(n) {
			if x := n.ToInteger(); x > 0 && x < int64(maxRecv) {
				maxRecv = int(x)
			}
		}
		if n := p.Get("maxSendSize"); present(n) {
			if x := n.ToInteger(); x > 0 && x <= 1<<31-1 {
				maxSend = int(x)
			}
		}
		if present(p.Get("tls")) {
			c.throw("client.connect: params.tls (client certificates) is not supported by this engine")
		}
		reflectMD = c.metadata(p.Get("reflectMetadata"))
	}
	c.closeConn()

	var lastErr atomic.Pointer[error]
	dial := v.run.cfg.Outbound.Dialer()
	creds := insecure.NewCredentials()
	if !plaintext {
		creds = credentials.NewTLS(&tls.Config{ServerName: host, MinVersion: tls.VersionTLS12, InsecureSkipVerify: v.run.opts != nil && v.run.opts.InsecureSkipTLSVerify}) //nolint:gosec // the script's own insecureSkipTLSVerify option
	}
	ua := defaultUserAgent
	if v.run.opts != nil && v.run.opts.UserAgent != nil {
		ua = *v.run.opts.UserAgent
	}
	callOpts := []grpc.CallOption{grpc.MaxCallRecvMsgSize(maxRecv)}
	if maxSend > 0 {
		callOpts = append(callOpts, grpc.MaxCallSendMsgSize(maxSend))
	}
	conn, err := grpc.NewClient("passthrough:///"+addr,
		grpc.WithTransportCredentials(handshakeErrors{TransportCredentials: creds, last: &lastErr}),
		grpc.WithUserAgent(ua),
		grpc.WithDefaultCallOptions(callOpts...),
		grpc.WithContextDialer(func(ctx context.Context, a string) (net.Conn, error) {
			nc, err := dial(ctx, "tcp", a)
			if err != nil {
				lastErr.Store(&err)
				return nil, err
			}
			return c.meter.Conn(nc), nil
		}))
	if err != nil {
		c.throw("client.connect(%q): %v", addr, err)
	}
	ctx, cancel := context.WithTimeout(v.ctx, timeout)
	defer cancel()
	err = waitReady(ctx, conn, &lastErr)
	if err == nil && reflect {
		err = c.reflect(metadata.NewOutgoingContext(ctx, reflectMD), conn, addr)
	}
	if err != nil {
		_ = conn.Close()
		if v.stopIfDone() {
			return sobek.Undefined()
		}
		c.throw("client.connect(%q): %v", addr, err)
	}
	c.conn, c.addr, c.maxRecv = conn, addr, maxRecv
	// a script that never calls close() must not leave connections behind the run
	c.stopClose = context.AfterFunc(v.run.hardCtx, func() { _ = conn.Close() })
	return sobek.Undefined()
}

// handshakeErrors keeps the last failed handshake's error: grpc-go only
// reports a failed connection as TRANSIENT_FAILURE, and the script should
// hear why (an unknown certificate authority, say).
type handshakeErrors struct {
	credentials.TransportCredentials
	last *atomic.Pointer[error]
}

// ClientHandshake runs the handshake and keeps its error.
func (h handshakeErrors) ClientHandshake(ctx context.Context, authority string, conn net.Conn) (net.Conn, credentials.AuthInfo, error) {
	c, info, err := h.TransportCredentials.ClientHandshake(ctx, authority, conn)
	if err != nil {
		h.last.Store(&err)
	}
	return c, info, err
}

// Clone keeps the wrapper around the copy.
func (h handshakeErrors) Clone() credentials.TransportCredentials {
	return handshakeErrors{TransportCredentials: h.TransportCredentials.Clone(), last: h.last}
}

// waitReady connects and waits until the connection is ready or has failed.
func waitReady(ctx context.Context, conn *grpc.ClientConn, lastErr *atomic.Pointer[error]) error {
	conn.Connect()
	for {
		s := conn.GetState()
		switch s {
		case connectivity.Ready:
			return nil
		case connectivity.TransientFailure, connectivity.Shutdown:
			if e := lastErr.Load(); e != nil {
				return *e
			}
			return fmt.Errorf("connection failed (%s)", s)
		}
		if !conn.WaitForStateChange(ctx, s) {
			if e := lastErr.Load(); e != nil {
				return fmt.Errorf("%w (and the timeout passed)", *e)
			}
			return fmt.Errorf("not connected before the timeout: %w", ctx.Err())
		}
	}
}

// bytesSamples adds to samples the bytes the connection sent and received
// since the last call, stream end or close that counted them.
func (c *grpcClient) bytesSamples(samples []sample, tags map[string]string) []sample {
	v := c.v
	sent, recv := c.meter.Sent.Load(), c.meter.Received.Load()
	if n := sent - c.lastSent; n > 0 {
		samples = append(samples, sample{m: v.run.reg.dataSent, v: float64(n), tags: tags})
	}
	if n := recv - c.lastRecv; n > 0 {
		samples = append(samples, sample{m: v.run.reg.dataReceived, v: float64(n), tags: tags})
	}
	c.lastSent, c.lastRecv = sent, recv
	return samples
}

func (c *grpcClient) closeConn() {
	if c.conn == nil {
		return
	}
	if s := c.bytesSamples(nil, c.v.tags(nil)); len(s) > 0 {
		c.v.run.reg.push(s...)
	}
	c.stopClose()
	_ = c.conn.Close()
	c.conn, c.stopClose = nil, nil
}

// metadata reads a metadata object: keys lowercased, "-bin" values as
// bytes (an ArrayBuffer or a string), the others printable ASCII.
func (c *grpcClient) metadata(val sobek.Value) metadata.MD {
	md := metadata.MD{}
	o, ok := val.(*sobek.Object)
	if !present(val) || !ok {
		return md
	}
	for _, key := range o.Keys() {
		k := strings.ToLower(key)
		if !validMetadataKey(k) || strings.HasPrefix(k, "grpc-") {
			panic(c.v.rt.NewTypeError("%s", fmt.Sprintf("metadata key %q: use lowercase letters, digits, '-', '_' and '.', not starting with grpc-", key)))
		}
		item := o.Get(key)
		var vals []sobek.Value
		if arr, ok := item.(*sobek.Object); ok && arr.ClassName() == "Array" {
			n := int(arr.Get("length").ToInteger())
			for i := 0; i < n; i++ {
				vals = append(vals, arr.Get(strconv.Itoa(i)))
			}
		} else {
			vals = []sobek.Value{item}
		}
		for _, x := range vals {
			if strings.HasSuffix(k, "-bin") {
				md.Append(k, string(c.v.bytesArg(x)))
				continue
			}
			s := x.String()
			for i := 0; i < len(s); i++ {
				if s[i] < 0x20 || s[i] > 0x7e {
					panic(c.v.rt.NewTypeError("%s", fmt.Sprintf("metadata %q: values are printable ASCII (binary values go in keys ending in -bin)", key)))
				}
			}
			md.Append(k, s)
		}
	}
	return md
}

func validMetadataKey(k string) bool {
	if k == "" {
		return false
	}
	for i := 0; i < len(k); i++ {
		ch := k[i]
		if !(ch >= 'a' && ch <= 'z' || ch >= '0' && ch <= '9' || ch == '-' || ch == '_' || ch == '.') {
			return false
		}
	}
	return true
}

// grpcCallParams are invoke()'s parameters.
type grpcCallParams struct {
	md      metadata.MD
	tags    map[string]string
	timeout time.Duration
	discard bool
}

func (c *grpcClient) callParams(val sobek.Value) grpcCallParams {
	p := grpcCallParams{md: metadata.MD{}, timeout: defaultGRPCTimeout}
	o, ok := val.(*sobek.Object)
	if !ok {
		return p
	}
	p.md = c.metadata(o.Get("metadata"))
	p.tags = c.v.stringMap(o.Get("tags"))
	if t := o.Get("timeout"); present(t) {
		p.timeout = c.v.durationParam(t, "params.timeout")
	}
	if d := o.Get("discardResponseMessage"); d != nil {
		p.discard = d.ToBoolean()
	}
	return p
}

func (c *grpcClient) requireConn(what string) {
	if c.v.inInit || c.v.run == nil {
		c.throw("client.%s() works only in VU code, not in the init context", what)
	}
	if c.conn == nil {
		c.throw("client.%s(): not connected: call client.connect(address) first", what)
	}
}

// method finds a loaded method by "pkg.Service/Method" (a leading slash
// is optional), throwing what's error when it is not there.
func (c *grpcClient) method(what, name string) (string, protoreflect.MethodDescriptor) {
	full := name
	if !strings.HasPrefix(full, "/") {
		full = "/" + full
	}
	if strings.LastIndex(full, "/") <= 1 {
		panic(c.v.rt.NewTypeError("%s", fmt.Sprintf("%s: method %q is not package.Service/Method", what, name)))
	}
	md, ok := c.methods[full]
	if !ok {
		c.throw("%s: method %q is not in the loaded descriptors (load its .proto in the init context, or connect with reflect: true)", what, name)
	}
	return full, md
}

// invoke is client.invoke(url, request, params): a unary call.
func (c *grpcClient) invoke(call sobek.FunctionCall) sobek.Value {
	v := c.v
	c.requireConn("invoke")
	name := strings.TrimSpace(call.Argument(0).String())
	full, md := c.method("client.invoke", name)
	if md.IsStreamingClient() || md.IsStreamingServer() {
		c.throw("client.invoke: %s is a streaming method; only unary methods are supported", full)
	}
	req := dynamicpb.NewMessage(md.Input())
	if body := call.Argument(1); present(body) {
		if _, isObj := body.(*sobek.Object); !isObj {
			panic(v.rt.NewTypeError("client.invoke: the request must be an object"))
		}
		js, err := v.jsonStringify(sobek.Undefined(), body)
		if err != nil {
			panic(err)
		}
		if err := (protojson.UnmarshalOptions{Resolver: c.types}).Unmarshal([]byte(js.String()), req); err != nil {
			c.throw("client.invoke(%q): the request is not a %s: %v", name, md.Input().FullName(), err)
		}
	}
	p := c.callParams(call.Argument(2))
	reply := dynamicpb.NewMessage(md.Output())
	header, trailer, st, done := c.call(full, string(md.Parent().FullName()), req, reply, p)
	if !done {
		return sobek.Undefined()
	}
	return c.response(st, reply, header, trailer, p.discard)
}

// call makes one unary call and records it; done is false when the
// iteration was interrupted meanwhile.
func (c *grpcClient) call(full, service string, req, reply proto.Message, p grpcCallParams) (header, trailer metadata.MD, st *status.Status, done bool) {
	v := c.v
	ctx, cancel := context.WithTimeout(metadata.NewOutgoingContext(v.ctx, p.md), p.timeout)
	defer cancel()
	start := time.Now()
	err := c.conn.Invoke(ctx, full, req, reply, grpc.Header(&header), grpc.Trailer(&trailer))
	d := time.Since(start)
	if v.stopIfDone() {
		return nil, nil, nil, false
	}
	st = status.Convert(err)
	tags := v.tags(p.tags)
	if tags["name"] == "" {
		tags["name"] = full
	}
	tags["method"] = full
	tags["service"] = service
	tags["status"] = strconv.Itoa(int(st.Code()))
	tags["rpc_type"] = "unary"
	samples := c.bytesSamples([]sample{{m: c.duration, v: ms(d), tags: tags}}, v.tags(p.tags))
	v.run.reg.push(samples...)
	switch st.Code() {
	case codes.Unavailable, codes.DeadlineExceeded:
		// failures of the connection rather than answers of the service
		v.run.errs.add(fmt.Sprintf("grpc %s %s: %s: %s", c.addr, full, st.Code(), st.Message()))
	}
	return header, trailer, st, true
}

// response builds k6's gRPC Response.
func (c *grpcClient) response(st *status.Status, reply proto.Message, header, trailer metadata.MD, discard bool) sobek.Value {
	v := c.v
	o := v.rt.NewObject()
	_ = o.Set("status", int(st.Code()))
	_ = o.Set("headers", c.metadataObject(header))
	_ = o.Set("trailers", c.metadataObject(trailer))
	if st.Code() == codes.OK && !discard {
		_ = o.Set("message", c.toJS(reply))
	} else {
		_ = o.Set("message", sobek.Null())
	}
	if st.Code() == codes.OK {
		_ = o.Set("error", sobek.Null())
		return o
	}
	e := v.rt.NewObject()
	_ = e.Set("code", int(st.Code()))
	_ = e.Set("message", st.Message())
	details := v.rt.NewArray()
	for i, d := range st.Proto().GetDetails() {
		var val sobek.Value
		b, err := protojson.MarshalOptions{Resolver: c.types}.Marshal(d)
		if err != nil {
			b, err = protojson.Marshal(d) // the types this program links
		}
		if err == nil {
			val, err = v.fromJSON(string(b))
		}
		if err != nil {
			o := v.rt.NewObject()
			_ = o.Set("@type", d.GetTypeUrl())
			_ = o.Set("value", base64.StdEncoding.EncodeToString(d.GetValue()))
			val = o
		}
		_ = details.Set(strconv.Itoa(i), val)
	}
	_ = e.Set("details", details)
	_ = o.Set("error", e)
	return o
}

// toJS turns a message into a JS object through protojson, zero values
// included so the script sees every field.
func (c *grpcClient) toJS(m proto.Message) sobek.Value {
	b, err := protojson.MarshalOptions{EmitUnpopulated: true, Resolver: c.types}.Marshal(m)
	if err != nil {
		c.throw("the reply does not convert to JSON: %v", err)
	}
	val, err := c.v.fromJSON(string(b))
	if err != nil {
		panic(err)
	}
	return val
}

// metadataObject is metadata as {key: [values]}, binary values in base64.
func (c *grpcClient) metadataObject(md metadata.MD) *sobek.Object {
	o := c.v.rt.NewObject()
	keys := make([]string, 0, len(md))
	for k := range md {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		vals := make([]any, len(md[k]))
		for i, x := range md[k] {
			if strings.HasSuffix(k, "-bin") {
				x = base64.StdEncoding.EncodeToString([]byte(x))
			}
			vals[i] = x
		}
		_ = o.Set(k, c.v.rt.NewArray(vals...))
	}
	return o
}

// healthCheck is client.healthCheck([service]) over the standard health
// protocol; a service the server does not know is SERVICE_UNKNOWN.
func (c *grpcClient) healthCheck(call sobek.FunctionCall) sobek.Value {
	c.requireConn("healthCheck")
	req := &healthpb.HealthCheckRequest{Service: optString(call.Argument(0))}
	reply := &healthpb.HealthCheckResponse{}
	_, _, st, done := c.call(healthCheckMethod, "grpc.health.v1.Health", req, reply, grpcCallParams{md: metadata.MD{}, timeout: defaultGRPCTimeout})
	if !done {
		return sobek.Undefined()
	}
	state := ""
	switch st.Code() {
	case codes.OK:
		state = reply.GetStatus().String()
	case codes.NotFound:
		state = grpcHealthConsts["HealthCheckServiceUnkown"]
	default:
		c.throw("client.healthCheck: %s: %s", st.Code(), st.Message())
	}
	o := c.v.rt.NewObject()
	_ = o.Set("Status", state)
	return o
}

// reflect reads the server's services through server reflection (v1, or
// v1alpha for older servers) and adds their methods.
func (c *grpcClient) reflect(ctx context.Context, conn *grpc.ClientConn, addr string) error {
	r := grpcreflect.New(ctx, conn)
	defer r.Close()
	files, err := r.All()
	if err != nil {
		return fmt.Errorf("%s: %w", addr, err)
	}
	return c.addRegistry(files)
}
