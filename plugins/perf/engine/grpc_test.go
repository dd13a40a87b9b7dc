package engine

import (
	"context"
	"crypto/tls"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/mockarty-oss/mockarty/sdk/outbound"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/reflection"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/types/descriptorpb"
)

// grpcTestServer serves the standard health service ("" serving, "down"
// not serving) with reflection. Its interceptor answers "x-echo" metadata
// with a header and a trailer, and "x-fail" with PermissionDenied carrying
// a detail.
func grpcTestServer(t *testing.T) string {
	t.Helper()
	return startGRPCTestServer(t, nil)
}

// startGRPCTestServer starts the server, over TLS with cert when given.
func startGRPCTestServer(t *testing.T, cert *tls.Certificate) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	intercept := func(ctx context.Context, req any, info *grpc.UnaryServerInfo, next grpc.UnaryHandler) (any, error) {
		md, _ := metadata.FromIncomingContext(ctx)
		if v := md.Get("x-echo"); len(v) > 0 {
			_ = grpc.SetHeader(ctx, metadata.Pairs("x-echo", v[0]))
			_ = grpc.SetTrailer(ctx, metadata.Pairs("x-trailer", "t"))
		}
		if len(md.Get("x-fail")) > 0 {
			st, err := status.New(codes.PermissionDenied, "denied").WithDetails(&healthpb.HealthCheckResponse{Status: healthpb.HealthCheckResponse_NOT_SERVING})
			if err != nil {
				return nil, err
			}
			return nil, st.Err()
		}
		return next(ctx, req)
	}
	opts := []grpc.ServerOption{grpc.UnaryInterceptor(intercept)}
	if cert != nil {
		opts = append(opts, grpc.Creds(credentials.NewServerTLSFromCert(cert)))
	}
	srv := grpc.NewServer(opts...)
	hs := health.NewServer()
	hs.SetServingStatus("", healthpb.HealthCheckResponse_SERVING)
	hs.SetServingStatus("down", healthpb.HealthCheckResponse_NOT_SERVING)
	healthpb.RegisterHealthServer(srv, hs)
	reflection.Register(srv)
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	return lis.Addr().String()
}

// testdataFiles reads the test's files from testdata/.
var testdataFiles = FileReaderFunc(func(name string) ([]byte, error) {
	return fs.ReadFile(os.DirFS("testdata"), name)
})

func TestGRPCLoadedProtos(t *testing.T) {
	t.Parallel()
	addr := grpcTestServer(t)
	res := runFiles(t, fmt.Sprintf(`
import grpc from 'k6/net/grpc';
import { check } from 'k6';
const client = new grpc.Client();
client.load(['protos'], 'health.proto');
export const options = {
  vus: 2, iterations: 4, summaryTrendStats: ['avg', 'count'],
  thresholds: {
    'grpc_req_duration{status:5}': ['count==4'],
    'grpc_req_duration{op:check}': ['count==8'],
    'grpc_req_duration{service:grpc.health.v1.Health}': ['count==16'],
    'grpc_req_duration{method:/grpc.health.v1.Health/Check}': ['count==16'],
  },
};
export default function () {
  client.connect(%q, { plaintext: true, timeout: '5s' });
  check(client.invoke('grpc.health.v1.Health/Check', { service: '' }, { metadata: { 'X-Echo': 'hi' }, tags: { op: 'check' } }), {
    'ok': (r) => r.status === grpc.StatusOK && r.error === null,
    'message': (r) => r.message.status === 'SERVING',
    'header': (r) => r.headers['x-echo'][0] === 'hi' && r.headers['content-type'][0] === 'application/grpc',
    'trailer': (r) => r.trailers['x-trailer'][0] === 't',
  });
  check(client.invoke('/grpc.health.v1.Health/Check', { service: 'nope' }, { tags: { op: 'check' } }), {
    'not found': (r) => r.status === grpc.StatusNotFound && r.message === null,
    'error': (r) => r.error.code === 5 && r.error.message.includes('unknown service'),
  });
  check(client.invoke('grpc.health.v1.Health/Check', {}, { metadata: { 'x-fail': '1' } }), {
    'error details': (r) => r.status === grpc.StatusPermissionDenied && r.error.details[0].status === 'NOT_SERVING',
  });
  check(client.invoke('grpc.health.v1.Health/Check', { service: 'down' }, { discardResponseMessage: true, timeout: 5000 }), {
    'discarded': (r) => r.status === grpc.StatusOK && r.message === null,
  });
  client.close();
}
`, addr), testdataFiles, RunConfig{})
	requireChecksPass(t, res, 8)
	if res.Status != StatusPassed {
		t.Errorf("status %q thresholds %+v", res.Status, res.Thresholds)
	}
	if got := value(t, res, "grpc_req_duration", "count"); got != 16 {
		t.Errorf("grpc_req_duration count = %v, want 16", got)
	}
	if value(t, res, "data_sent", "count") <= 0 || value(t, res, "data_received", "count") <= 0 {
		t.Errorf("the calls' bytes are not counted")
	}
}

func TestGRPCReflectionHealthCheckAndErrors(t *testing.T) {
	t.Parallel()
	addr := grpcTestServer(t)
	res := run(t, fmt.Sprintf(`
import grpc from 'k6/net/grpc';
import { check } from 'k6';
const client = new grpc.Client();
export const options = { iterations: 2 };
const throws = (fn, text) => { try { fn(); return false; } catch (e) { return String(e).includes(text); } };
export default function () {
  check(null, { 'invoke before connect': () => throws(() => client.invoke('grpc.health.v1.Health/Check', {}), 'not connected') });
  client.connect(%q, { plaintext: true, reflect: true });
  check(client.invoke('grpc.health.v1.Health/Check', {}), { 'reflected': (r) => r.status === grpc.StatusOK && r.message.status === 'SERVING' });
  check(client.healthCheck(), { 'serving': (h) => h.Status === grpc.HealthCheckServing });
  check(client.healthCheck('down'), { 'not serving': (h) => h.Status === grpc.HealthCheckNotServing });
  check(client.healthCheck('nope'), { 'unknown': (h) => h.Status === grpc.HealthCheckServiceUnkown });
  check(null, {
    'unknown method': () => throws(() => client.invoke('grpc.health.v1.Health/Nope', {}), 'not in the loaded descriptors'),
    'bad method name': () => throws(() => client.invoke('Check', {}), 'package.Service/Method'),
    'streaming method': () => throws(() => client.invoke('grpc.health.v1.Health/Watch', {}), 'streaming'),
    'bad field': () => throws(() => client.invoke('grpc.health.v1.Health/Check', { nope: 1 }), 'HealthCheckRequest'),
    'bad metadata key': () => throws(() => client.invoke('grpc.health.v1.Health/Check', {}, { metadata: { 'bad key': 'x' } }), 'metadata key'),
    'bad metadata value': () => throws(() => client.invoke('grpc.health.v1.Health/Check', {}, { metadata: { k: 'a\nb' } }), 'printable ASCII'),
    'bad timeout': () => throws(() => client.invoke('grpc.health.v1.Health/Check', {}, { timeout: 'soon' }), 'timeout'),
    'load outside init': () => throws(() => client.load([], 'x.proto'), 'init context'),
  });
  client.close();
  check(null, { 'closed': () => throws(() => client.invoke('grpc.health.v1.Health/Check', {}), 'not connected') });
}
`, addr), RunConfig{})
	requireChecksPass(t, res, 14)
	// healthCheck counts as a call too: 4 per iteration
	if got := value(t, res, "grpc_req_duration", "p(95)"); got <= 0 {
		t.Errorf("grpc_req_duration missing: %v", got)
	}
}

func TestGRPCProtoset(t *testing.T) {
	t.Parallel()
	addr := grpcTestServer(t)
	set, err := proto.Marshal(&descriptorpb.FileDescriptorSet{File: []*descriptorpb.FileDescriptorProto{protodesc.ToFileDescriptorProto(healthpb.File_grpc_health_v1_health_proto)}})
	if err != nil {
		t.Fatal(err)
	}
	res := runFiles(t, fmt.Sprintf(`
import grpc from 'k6/net/grpc';
import { check } from 'k6';
const client = new grpc.Client();
client.loadProtoset('sets/health.protoset');
export const options = { iterations: 1 };
export default function () {
  client.connect(%q, { plaintext: true });
  check(client.invoke('grpc.health.v1.Health/Check', { service: 'down' }), { 'protoset call': (r) => r.message.status === 'NOT_SERVING' });
  client.close();
}
`, addr), MapFiles{"sets/health.protoset": set}, RunConfig{})
	requireChecksPass(t, res, 1)
}

func TestGRPCOverTLS(t *testing.T) {
	t.Parallel()
	// httptest's self-signed certificate, for 127.0.0.1
	hs := httptest.NewTLSServer(http.NotFoundHandler())
	cert := hs.TLS.Certificates[0]
	hs.Close()
	addr := startGRPCTestServer(t, &cert)
	src := fmt.Sprintf(`
import grpc from 'k6/net/grpc';
import { check } from 'k6';
const client = new grpc.Client();
export const options = { iterations: 1, insecureSkipTLSVerify: %%s };
export default function () {
  let err = '';
  try { client.connect(%q, { reflect: true, timeout: '5s' }); } catch (e) { err = String(e); }
  check(err, { 'outcome': (e) => %%s });
}
`, addr)
	res := run(t, fmt.Sprintf(src, "false", "e.includes('certificate')"), RunConfig{})
	requireChecksPass(t, res, 1)
	res = run(t, fmt.Sprintf(src, "true", "e === '' && client.healthCheck().Status === 'SERVING'"), RunConfig{})
	requireChecksPass(t, res, 1)
}

func TestGRPCConnectFailures(t *testing.T) {
	t.Parallel()
	addr := grpcTestServer(t)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := lis.Addr().String()
	_ = lis.Close()
	src := fmt.Sprintf(`
import grpc from 'k6/net/grpc';
import { check } from 'k6';
const client = new grpc.Client();
const fails = (a, text) => { try { client.connect(a, { plaintext: true, timeout: '5s' }); return false; } catch (e) { return String(e).includes(text); } };
export default function () {
  check(null, {
    'refused by policy': () => fails(%q, 'private'),
    'closed port': () => fails(%q, 'refused'),
    'bad address': () => fails('no-port', 'host:port'),
  });
}
`, addr, closed)
	p, err := Compile(src, "main.js", nil)
	if err != nil {
		t.Fatal(err)
	}
	// the policy refuses the server; Allow lets the closed port through to its real refusal
	res, err := Run(t.Context(), p, RunConfig{Outbound: outbound.Policy{Allow: []string{closed}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	requireChecksPass(t, res, 3)
	if _, ok := res.Metrics["grpc_req_duration"]; ok {
		t.Errorf("no call was made, yet grpc_req_duration has samples")
	}
}

func TestGRPCLoadErrors(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ load, want string }{
		{`client.load(['protos'], 'broken.proto')`, "broken.proto:7:"},
		{`client.load(['protos'], 'missing.proto')`, "missing.proto"},
		{`client.load(['protos'])`, "at least one .proto"},
		{`client.loadProtoset('protos/health.proto')`, "not a FileDescriptorSet"},
	} {
		src := "import grpc from 'k6/net/grpc';\nconst client = new grpc.Client();\n" + c.load + ";\nexport default function () {}\n"
		_, err := Compile(src, "main.js", testdataFiles)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "main.js:3") {
			t.Errorf("%s: error %v, want one at main.js:3 containing %q", c.load, err, c.want)
		}
	}
	if _, err := Compile("import grpc from 'k6/net/grpc';\nconst client = new grpc.Client();\nclient.connect('127.0.0.1:1');\nexport default function () {}\n", "main.js", nil); err == nil || !strings.Contains(err.Error(), "init context") {
		t.Errorf("connect in the init context: %v", err)
	}
}

// TestGRPCStreams: grpc.Stream on a real grpc-go server. The reflection
// service is bidirectional: two requests written, two answers received,
// then the end once the client ends its side. Health/Watch is server
// streaming and never ends on its own: closing its client from the data
// handler ends it with an error (Canceled). Handlers run before the
// iteration ends, and the stream metrics are counted.
func TestGRPCStreams(t *testing.T) {
	t.Parallel()
	addr := grpcTestServer(t)
	res := run(t, fmt.Sprintf(`
import grpc from 'k6/net/grpc';
import { check } from 'k6';
const client = new grpc.Client();
const watcher = new grpc.Client(); // its own connection: closing it leaves the other stream alone
export const options = { vus: 2, iterations: 4 };
export default function () {
  client.connect(%q, { plaintext: true, reflect: true });
  watcher.connect(%q, { plaintext: true, reflect: true });
  const answers = [];
  const bidi = new grpc.Stream(client, 'grpc.reflection.v1.ServerReflection/ServerReflectionInfo');
  bidi.on('data', (m) => answers.push(m));
  bidi.on('error', (e) => { throw new Error('unexpected: ' + e.message); });
  bidi.on('end', () => {
    check(answers, {
      'two answers': (a) => a.length === 2,
      'services listed': (a) => a[0].listServicesResponse.service.some((s) => s.name === 'grpc.health.v1.Health'),
      'file found': (a) => a[1].fileDescriptorResponse.fileDescriptorProto.length > 0,
    });
  });
  bidi.write({ listServices: '' });
  bidi.write({ fileContainingSymbol: 'grpc.health.v1.Health' });
  bidi.end();

  let watched = '';
  const watch = new grpc.Stream(watcher, 'grpc.health.v1.Health/Watch', { metadata: { 'x-test': '1' } });
  watch.on('data', (m) => { watched = m.status; watcher.close(); });
  watch.on('error', (e) => {
    check(e, { 'cancelled by close': (e) => e.code === grpc.StatusCanceled && watched === 'SERVING' });
  });
  watch.write({ service: '' });
}
`, addr, addr), RunConfig{})
	requireChecksPass(t, res, 4)
	if got := value(t, res, "checks", "passes"); got != 16 {
		t.Errorf("%v checks passed, want 16 (4 per iteration): the handlers did not all run", got)
	}
	for metric, want := range map[string]float64{"grpc_streams": 8, "grpc_streams_msgs_sent": 12, "grpc_streams_msgs_received": 12} {
		if got := value(t, res, metric, "count"); got != want {
			t.Errorf("%s = %v, want %v", metric, got, want)
		}
	}
	// No unary call here: the streams' bytes are counted when they end.
	if value(t, res, "data_sent", "count") <= 0 || value(t, res, "data_received", "count") <= 0 {
		t.Errorf("data_sent %v, data_received %v: the streams' bytes were not counted",
			value(t, res, "data_sent", "count"), value(t, res, "data_received", "count"))
	}
}

// TestGRPCStreamErrors: bad uses of grpc.Stream throw clear errors, and a
// stream that never ends is cut when the run stops.
func TestGRPCStreamErrors(t *testing.T) {
	t.Parallel()
	addr := grpcTestServer(t)
	res := run(t, fmt.Sprintf(`
import grpc from 'k6/net/grpc';
import { check } from 'k6';
const client = new grpc.Client();
export const options = { scenarios: { s: { executor: 'per-vu-iterations', vus: 1, iterations: 1, maxDuration: '1s', gracefulStop: '0s' } } };
const throws = (fn, text) => { try { fn(); return false; } catch (e) { return String(e).includes(text); } };
export default function () {
  check(null, {
    'not a client': () => throws(() => new grpc.Stream({}, 'x.Y/Z'), 'must be a grpc.Client'),
    'not connected': () => throws(() => new grpc.Stream(client, 'grpc.health.v1.Health/Watch'), 'not connected'),
  });
  client.connect(%q, { plaintext: true, reflect: true });
  check(null, {
    'unary': () => throws(() => new grpc.Stream(client, 'grpc.health.v1.Health/Check'), 'unary method'),
    'unknown': () => throws(() => new grpc.Stream(client, 'no.Such/Method'), 'not in the loaded descriptors'),
    'bad event': () => throws(() => new grpc.Stream(client, 'grpc.health.v1.Health/Watch').on('bogus', () => {}), 'unknown event'),
  });
  const forever = new grpc.Stream(client, 'grpc.health.v1.Health/Watch');
  forever.write({ service: '' });
}
`, addr), RunConfig{})
	requireChecksPass(t, res, 5)
}
