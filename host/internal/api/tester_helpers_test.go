package api

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/mockarty-oss/mockarty/sdk/plugintest"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/mark3labs/mcp-go/mcp"
	mcpserver "github.com/mark3labs/mcp-go/server"
	amqp "github.com/rabbitmq/amqp091-go"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/reflection"
)

func TestTesterHelperHTTP(t *testing.T) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		switch r.URL.Path {
		case "/echo":
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("X-Upstream", "yes")
			w.WriteHeader(http.StatusCreated)
			_ = json.NewEncoder(w).Encode(map[string]any{"method": r.Method, "token": r.Header.Get("X-Token"),
				"ct": r.Header.Get("Content-Type"), "body": string(b), "query": r.URL.RawQuery})
		case "/text":
			_, _ = io.WriteString(w, "plain words")
		case "/bytes":
			w.Header().Set("Content-Type", "application/octet-stream")
			_, _ = w.Write([]byte{0xff, 0xfe, 0x00, 0x01})
		case "/moved":
			http.Redirect(w, r, "/text", http.StatusFound)
		}
	}))
	defer up.Close()
	s := newTestServer(t)

	got := s.expect(200, "POST", "/api/v1/proxy/http", map[string]any{"method": "put", "url": up.URL + "/echo?x=1",
		"headers": map[string]any{"X-Token": "t-1"}, "body": map[string]any{"a": 1}})
	if got["statusCode"] != float64(201) || got["headers"].(map[string]any)["X-Upstream"] != "yes" {
		t.Fatalf("answer: %v", got)
	}
	if _, ok := got["latencyMs"].(float64); !ok {
		t.Fatalf("latencyMs missing: %v", got)
	}
	echo, ok := got["body"].(map[string]any)
	if !ok || echo["method"] != "PUT" || echo["token"] != "t-1" || echo["ct"] != "application/json" || echo["body"] != `{"a":1}` || echo["query"] != "x=1" {
		t.Fatalf("a JSON answer is JSON, and the request went as sent: %v", got["body"])
	}

	// Headers as a Postman list, a string body sent as it is.
	got = s.expect(200, "POST", "/api/v1/proxy/http", map[string]any{"method": "POST", "url": up.URL + "/echo",
		"headers": []map[string]any{{"key": "X-Token", "value": "t-2"}, {"key": "X-Off", "value": "x", "disabled": true}}, "body": "k=v"})
	if echo := got["body"].(map[string]any); echo["token"] != "t-2" || echo["body"] != "k=v" || echo["ct"] != "" {
		t.Fatalf("list headers and a text body: %v", echo)
	}
	if got = s.expect(200, "POST", "/api/v1/proxy/http", map[string]any{"url": up.URL + "/text"}); got["body"] != "plain words" {
		t.Fatalf("a text answer is a string: %v", got)
	}
	if got = s.expect(200, "POST", "/api/v1/proxy/http", map[string]any{"url": up.URL + "/bytes"}); got["bodyEncoding"] != "base64" || got["body"] != "//4AAQ==" {
		t.Fatalf("bytes are base64: %v", got)
	}
	if got = s.expect(200, "POST", "/api/v1/proxy/http", map[string]any{"url": up.URL + "/moved"}); got["statusCode"] != float64(302) {
		t.Fatalf("a redirect is the answer unless followed: %v", got)
	}
	if got = s.expect(200, "POST", "/api/v1/proxy/http", map[string]any{"url": up.URL + "/moved", "followRedirects": true}); got["body"] != "plain words" {
		t.Fatalf("followRedirects: %v", got)
	}

	// Bad input names its field.
	s.expectError(422, CodeValidation, "url", "POST", "/api/v1/proxy/http", map[string]any{"method": "GET"})
	s.expectError(422, CodeValidation, "url", "POST", "/api/v1/proxy/http", map[string]any{"url": "ftp://example.com/x"})
	s.expectError(422, CodeValidation, "timeout", "POST", "/api/v1/proxy/http", map[string]any{"url": up.URL, "timeout": -1})
	s.expectError(422, CodeValidation, "method", "POST", "/api/v1/proxy/http", map[string]any{"url": up.URL, "method": "GET X"})
	s.expectError(422, CodeValidation, "headers", "POST", "/api/v1/proxy/http", map[string]any{"url": up.URL, "headers": map[string]any{"Bad Name": "v"}})
	s.expectError(400, CodeValidation, "", "POST", "/api/v1/proxy/http", `{"url": 5}`)
	s.expectError(400, CodeValidation, "", "POST", "/api/v1/proxy/http", "")

	// An address nobody listens on is the remote side's failure.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String()
	_ = ln.Close()
	s.expectError(502, "external", "", "POST", "/api/v1/proxy/http", map[string]any{"url": "http://" + dead + "/"})
}

// TestTesterHelperTimeoutAndClientGone: a call ends at its timeout, and
// as soon as the API's own client goes away.
func TestTesterHelperTimeoutAndClientGone(t *testing.T) {
	arrived := make(chan struct{}, 4)
	ended := make(chan struct{}, 4)
	release := make(chan struct{})
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		select {
		case <-r.Context().Done():
			ended <- struct{}{}
		case <-release:
		}
	}))
	defer up.Close()
	defer close(release)
	s := newTestServer(t)

	e := s.expectError(504, "external", "", "POST", "/api/v1/proxy/http", map[string]any{"url": up.URL, "timeout": 300})
	if !strings.Contains(e["error"].(string), "timeout") {
		t.Fatalf("timeout message: %v", e)
	}
	<-arrived
	waitFor(t, ended, "the upstream call to end at the timeout")

	// The client gives up: the upstream call ends too, long before the 30 s default.
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "POST", s.URL+"/api/v1/proxy/http", strings.NewReader(`{"url":"`+up.URL+`"}`))
	req.Header.Set("Content-Type", "application/json")
	done := make(chan error, 1)
	go func() {
		res, err := http.DefaultClient.Do(req)
		if err == nil {
			res.Body.Close()
		}
		done <- err
	}()
	waitFor(t, arrived, "the call to reach the upstream")
	cancel()
	if err := <-done; err == nil {
		t.Fatal("the cancelled request must fail on the client's side")
	}
	waitFor(t, ended, "the upstream call to end when the client went away")
}

func waitFor(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(15 * time.Second):
		t.Fatalf("waited in vain for %s", what)
	}
}

// TestTesterHelperRefusesPrivate: with private addresses not allowed, no
// helper reaches a loopback address, and the refusal is a 403 naming the
// field, never a 500.
func TestTesterHelperRefusesPrivate(t *testing.T) {
	var hits atomic.Int32
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer up.Close()
	addr := strings.TrimPrefix(up.URL, "http://")
	s := newTestServer(t, serverOpts{denyPrivate: true})
	for _, c := range []struct {
		path, field string
		body        map[string]any
	}{
		{"/api/v1/proxy/http", "url", map[string]any{"url": up.URL}},
		{"/api/v1/proxy/http", "url", map[string]any{"url": "http://localhost:" + up.URL[strings.LastIndex(up.URL, ":")+1:]}},
		{"/api/v1/proxy/soap", "url", map[string]any{"url": up.URL, "body": "<a/>"}},
		{"/api/v1/proxy/grpc", "target", map[string]any{"target": "grpc://" + addr, "service": "a.B", "method": "C"}},
		{"/api/v1/api-tester/grpc/discover", "target", map[string]any{"target": addr}},
		{"/api/v1/api-tester/mcp/connect", "url", map[string]any{"url": up.URL + "/mcp"}},
		{"/api/v1/api-tester/mcp/tools/list", "url", map[string]any{"url": up.URL + "/mcp"}},
		{"/api/v1/api-tester/mcp/tools/call", "url", map[string]any{"url": up.URL + "/mcp", "name": "x"}},
		{"/api/v1/api-tester/graphql/introspect", "url", map[string]any{"url": up.URL}},
		{"/api/v1/api-tester/soap/operations", "url", map[string]any{"url": up.URL + "/x.wsdl"}},
		{"/api/v1/api-tester/kafka/metadata", "brokers", map[string]any{"brokers": []string{addr}}},
		{"/api/v1/api-tester/kafka/topics/create", "brokers", map[string]any{"brokers": addr, "topic": "t"}},
		{"/api/v1/api-tester/rabbitmq/metadata", "url", map[string]any{"url": "amqp://guest:guest@" + addr + "/"}},
		{"/api/v1/api-tester/rabbitmq/queues", "managementUrl", map[string]any{"managementUrl": up.URL}},
	} {
		e := s.expectError(403, CodeForbidden, c.field, "POST", c.path, c.body)
		if !strings.Contains(e["error"].(string), "ALLOW_PROXY_TO_PRIVATE_IPS") {
			t.Fatalf("%s: the refusal says how to allow: %v", c.path, e)
		}
	}
	if n := hits.Load(); n != 0 {
		t.Fatalf("the private server was reached %d times", n)
	}
}

func TestTesterHelperSOAP(t *testing.T) {
	type seen struct{ action, ct, body string }
	calls := make(chan seen, 4)
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		calls <- seen{r.Header.Get("SOAPAction"), r.Header.Get("Content-Type"), string(b)}
		w.Header().Set("Content-Type", "text/xml; charset=utf-8")
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = io.WriteString(w, `<?xml version="1.0"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>`+
			`<s:Fault><faultcode>s:Client</faultcode><faultstring>Unknown symbol</faultstring></s:Fault></s:Body></s:Envelope>`)
	}))
	defer up.Close()
	s := newTestServer(t)

	got := s.expect(200, "POST", "/api/v1/proxy/soap", map[string]any{"url": up.URL, "soapAction": "urn:GetQuote",
		"body": `<?xml version="1.0"?><GetQuote xmlns="urn:stock"><symbol>ACME</symbol></GetQuote>`, "headers": map[string]string{"X-Trace": "1"}})
	c := <-calls
	if c.action != `"urn:GetQuote"` || !strings.HasPrefix(c.ct, "text/xml") ||
		!strings.Contains(c.body, `<soapenv:Body><GetQuote xmlns="urn:stock"><symbol>ACME</symbol></GetQuote></soapenv:Body>`) || strings.Contains(c.body, "<?xml") {
		t.Fatalf("a bare payload goes in a SOAP 1.1 envelope: %+v", c)
	}
	fault, _ := got["fault"].(map[string]any)
	if got["statusCode"] != float64(500) || fault["code"] != "s:Client" || fault["message"] != "Unknown symbol" {
		t.Fatalf("the fault is read out: %v", got)
	}
	if body, _ := got["body"].(string); !strings.Contains(body, "Unknown symbol") {
		t.Fatalf("the body is the XML text: %v", got)
	}

	env12 := `<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope"><e:Body><Ping/></e:Body></e:Envelope>`
	s.expect(200, "POST", "/api/v1/proxy/soap", map[string]any{"url": up.URL, "soapAction": "urn:Ping", "body": env12})
	if c := <-calls; c.ct != `application/soap+xml; charset=utf-8; action="urn:Ping"` || c.body != env12 || c.action != "" {
		t.Fatalf("a SOAP 1.2 envelope goes as it is, the action in its Content-Type: %+v", c)
	}

	s.expectError(422, CodeValidation, "body", "POST", "/api/v1/proxy/soap", map[string]any{"url": up.URL, "body": "<a><b></a>"})
	s.expectError(422, CodeValidation, "body", "POST", "/api/v1/proxy/soap", map[string]any{"url": up.URL})
	s.expectError(422, CodeValidation, "soapVersion", "POST", "/api/v1/proxy/soap", map[string]any{"url": up.URL, "body": "<a/>", "soapVersion": "2"})
}

const testWSDL = `<?xml version="1.0"?>
<definitions name="StockQuote" targetNamespace="urn:stock" xmlns:tns="urn:stock" xmlns:xsd="http://www.w3.org/2001/XMLSchema"
    xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/" xmlns="http://schemas.xmlsoap.org/wsdl/">
  <types>
    <xsd:schema targetNamespace="urn:stock" elementFormDefault="qualified">
      <xsd:element name="GetQuote"><xsd:complexType><xsd:sequence><xsd:element name="symbol" type="xsd:string"/></xsd:sequence></xsd:complexType></xsd:element>
      <xsd:element name="GetQuoteResponse"><xsd:complexType><xsd:sequence><xsd:element name="price" type="xsd:decimal"/></xsd:sequence></xsd:complexType></xsd:element>
    </xsd:schema>
  </types>
  <message name="GetQuoteIn"><part name="parameters" element="tns:GetQuote"/></message>
  <message name="GetQuoteOut"><part name="parameters" element="tns:GetQuoteResponse"/></message>
  <portType name="StockPort"><operation name="GetQuote"><input message="tns:GetQuoteIn"/><output message="tns:GetQuoteOut"/></operation></portType>
  <binding name="StockBinding" type="tns:StockPort">
    <soap:binding style="document" transport="http://schemas.xmlsoap.org/soap/http"/>
    <operation name="GetQuote"><soap:operation soapAction="urn:stock/GetQuote"/><input><soap:body use="literal"/></input><output><soap:body use="literal"/></output></operation>
  </binding>
  <service name="StockService"><port name="StockSoap" binding="tns:StockBinding"><soap:address location="http://stock.example.com/soap"/></port></service>
</definitions>`

func TestTesterHelperSOAPOperations(t *testing.T) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/stock.wsdl" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/xml")
		_, _ = io.WriteString(w, testWSDL)
	}))
	defer up.Close()
	s := newTestServer(t)
	check := func(got map[string]any) {
		t.Helper()
		ops, _ := got["operations"].([]any)
		if len(ops) != 1 {
			t.Fatalf("operations: %v", got)
		}
		op := ops[0].(map[string]any)
		env, _ := op["envelope"].(string)
		if op["name"] != "GetQuote" || op["service"] != "StockService" || op["soapAction"] != "urn:stock/GetQuote" || op["soapVersion"] != "1.1" ||
			op["address"] != "http://stock.example.com/soap" || !strings.Contains(env, "GetQuote") || !strings.Contains(env, "symbol") {
			t.Fatalf("operation: %v", op)
		}
	}
	check(s.expect(200, "POST", "/api/v1/api-tester/soap/operations", map[string]any{"wsdl": testWSDL}))
	check(s.expect(200, "POST", "/api/v1/api-tester/soap/operations", map[string]any{"url": up.URL + "/stock.wsdl"}))
	s.expectError(422, CodeValidation, "wsdl", "POST", "/api/v1/api-tester/soap/operations", map[string]any{"wsdl": "<nope/>"})
	s.expectError(422, CodeValidation, "wsdl", "POST", "/api/v1/api-tester/soap/operations", map[string]any{})
	s.expectError(502, "external", "", "POST", "/api/v1/api-tester/soap/operations", map[string]any{"url": up.URL + "/missing.wsdl"})
}

// grpcUpstream is a real gRPC server with the health service and server
// reflection; it answers the x-echo metadata in its headers.
func grpcUpstream(t *testing.T, withReflection bool) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer(grpc.UnaryInterceptor(func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		if md, ok := metadata.FromIncomingContext(ctx); ok && len(md.Get("x-echo")) > 0 {
			_ = grpc.SetHeader(ctx, metadata.Pairs("x-echo", md.Get("x-echo")[0]))
		}
		return h(ctx, req)
	}))
	hs := health.NewServer()
	hs.SetServingStatus("", healthpb.HealthCheckResponse_SERVING)
	hs.SetServingStatus("orders", healthpb.HealthCheckResponse_NOT_SERVING)
	healthpb.RegisterHealthServer(srv, hs)
	if withReflection {
		reflection.Register(srv)
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(srv.Stop)
	return ln.Addr().String()
}

func TestTesterHelperGRPC(t *testing.T) {
	addr := grpcUpstream(t, true)
	s := newTestServer(t)

	got := s.expect(200, "POST", "/api/v1/api-tester/grpc/discover", map[string]any{"target": "grpc://" + addr})
	var health map[string]any
	for _, sv := range got["services"].([]any) {
		if m := sv.(map[string]any); m["name"] == "grpc.health.v1.Health" {
			health = m
		}
	}
	if health == nil {
		t.Fatalf("services: %v", got)
	}
	methods := map[string]map[string]any{}
	for _, m := range health["methods"].([]any) {
		mm := m.(map[string]any)
		methods[mm["name"].(string)] = mm
	}
	check, watch := methods["Check"], methods["Watch"]
	if check == nil || check["inputType"] != "grpc.health.v1.HealthCheckRequest" || check["fullName"] != "/grpc.health.v1.Health/Check" ||
		check["serverStreaming"] != false || watch == nil || watch["serverStreaming"] != true {
		t.Fatalf("health methods: %v", methods)
	}
	if tpl, _ := check["inputTemplate"].(map[string]any); tpl == nil || tpl["service"] != "" {
		t.Fatalf("input template: %v", check["inputTemplate"])
	}

	got = s.expect(200, "POST", "/api/v1/proxy/grpc", map[string]any{"target": addr, "service": "grpc.health.v1.Health", "method": "Check",
		"metadata": map[string]string{"x-echo": "hello"}, "body": map[string]any{"service": "orders"}})
	body, _ := got["body"].(map[string]any)
	md, _ := got["metadata"].(map[string]any)
	if got["status"] != "OK" || got["code"] != float64(0) || body["status"] != "NOT_SERVING" || md["x-echo"] != "hello" {
		t.Fatalf("call: %v", got)
	}
	// A gRPC error is an answer too.
	got = s.expect(200, "POST", "/api/v1/proxy/grpc", map[string]any{"target": "grpc://" + addr, "method": "grpc.health.v1.Health/Check",
		"body": `{"service": "unknown"}`})
	if got["status"] != "NotFound" || got["code"] != float64(5) || got["body"] != nil {
		t.Fatalf("an error status: %v", got)
	}

	// A server stream that does not end: what came before the timeout is the answer.
	got = s.expect(200, "POST", "/api/v1/proxy/grpc", map[string]any{"target": addr, "service": "grpc.health.v1.Health", "method": "Watch",
		"body": map[string]any{"service": "orders"}, "timeout": 500})
	if list, _ := got["body"].([]any); len(list) != 1 || list[0].(map[string]any)["status"] != "NOT_SERVING" || got["truncated"] != true ||
		got["status"] != "DeadlineExceeded" {
		t.Fatalf("a server stream: %v", got)
	}

	s.expectError(422, CodeValidation, "service", "POST", "/api/v1/proxy/grpc", map[string]any{"target": addr, "service": "no.Such", "method": "X"})
	s.expectError(422, CodeValidation, "method", "POST", "/api/v1/proxy/grpc", map[string]any{"target": addr, "service": "grpc.health.v1.Health", "method": "Nope"})
	s.expectError(422, CodeValidation, "body", "POST", "/api/v1/proxy/grpc", map[string]any{"target": addr, "service": "grpc.health.v1.Health",
		"method": "Check", "body": map[string]any{"nope": 1}})
	s.expectError(422, CodeValidation, "target", "POST", "/api/v1/api-tester/grpc/discover", map[string]any{"target": "no-port"})
	s.expectError(422, CodeValidation, "metadata", "POST", "/api/v1/proxy/grpc", map[string]any{"target": addr, "service": "grpc.health.v1.Health",
		"method": "Check", "metadata": map[string]string{"x-bin": "%%%"}})

	e := s.expectError(502, "external", "", "POST", "/api/v1/api-tester/grpc/discover", map[string]any{"target": grpcUpstream(t, false)})
	if !strings.Contains(e["error"].(string), "reflection") {
		t.Fatalf("a server without reflection: %v", e)
	}
}

func TestTesterHelperMCP(t *testing.T) {
	srv := mcpserver.NewMCPServer("calc", "2.1.0", mcpserver.WithInstructions("adds numbers"))
	srv.AddTool(mcp.NewTool("add", mcp.WithDescription("Adds two numbers"), mcp.WithNumber("a", mcp.Required()), mcp.WithNumber("b", mcp.Required())),
		func(_ context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			a, b := req.GetFloat("a", 0), req.GetFloat("b", 0)
			return mcp.NewToolResultText(fmt.Sprint(a + b)), nil
		})
	h := mcpserver.NewStreamableHTTPServer(srv)
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer k" {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	}))
	defer up.Close()
	s := newTestServer(t)
	target := map[string]any{"url": up.URL + "/mcp", "headers": map[string]string{"Authorization": "Bearer k"}}
	with := func(extra map[string]any) map[string]any {
		out := map[string]any{}
		for k, v := range target {
			out[k] = v
		}
		for k, v := range extra {
			out[k] = v
		}
		return out
	}

	got := s.expect(200, "POST", "/api/v1/api-tester/mcp/connect", target)
	info, _ := got["serverInfo"].(map[string]any)
	if info["name"] != "calc" || info["version"] != "2.1.0" || got["instructions"] != "adds numbers" || got["protocolVersion"] == "" {
		t.Fatalf("connect: %v", got)
	}
	got = s.expect(200, "POST", "/api/v1/api-tester/mcp/tools/list", target)
	tools, _ := got["tools"].([]any)
	if len(tools) != 1 || tools[0].(map[string]any)["name"] != "add" || tools[0].(map[string]any)["inputSchema"] == nil {
		t.Fatalf("tools: %v", got)
	}
	got = s.expect(200, "POST", "/api/v1/api-tester/mcp/tools/call", with(map[string]any{"name": "add", "arguments": map[string]any{"a": 2, "b": 3}}))
	content, _ := got["content"].([]any)
	if len(content) != 1 || content[0].(map[string]any)["text"] != "5" || got["isError"] != false {
		t.Fatalf("call: %v", got)
	}
	// The server's refusal of a call is its answer.
	got = s.expect(200, "POST", "/api/v1/api-tester/mcp/tools/call", with(map[string]any{"name": "nope"}))
	if got["isError"] != true || !strings.Contains(fmt.Sprint(got["error"])+fmt.Sprint(got["content"]), "nope") {
		t.Fatalf("an unknown tool: %v", got)
	}

	s.expectError(422, CodeValidation, "name", "POST", "/api/v1/api-tester/mcp/tools/call", target)
	s.expectError(422, CodeValidation, "arguments", "POST", "/api/v1/api-tester/mcp/tools/call", with(map[string]any{"name": "add", "arguments": []int{1}}))
	s.expectError(422, CodeValidation, "transport", "POST", "/api/v1/api-tester/mcp/connect", with(map[string]any{"transport": "ws"}))
	s.expectError(502, "external", "", "POST", "/api/v1/api-tester/mcp/connect", map[string]any{"url": up.URL + "/mcp"}) // no token
}

const testGraphQLSchema = `type Query { hello(name: String): String! books: [Book!]! }
type Book { title: String! }`

// graphqlUpstream checks every query against the introspection schema
// with gqlparser and answers a schema; rejectModern makes it refuse the
// fields a server before the 2021 spec does not know.
func graphqlUpstream(t *testing.T, rejectModern bool, queries chan<- string) string {
	t.Helper()
	schema, err := gqlparser.LoadSchema(&ast.Source{Name: "s.graphql", Input: testGraphQLSchema})
	if err != nil {
		t.Fatal(err)
	}
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Query string `json:"query"`
		}
		_ = json.NewDecoder(r.Body).Decode(&req)
		queries <- req.Query
		w.Header().Set("Content-Type", "application/json")
		if r.Header.Get("X-Key") != "g" {
			_, _ = io.WriteString(w, `{"errors":[{"message":"introspection is disabled"}]}`)
			return
		}
		if rejectModern && strings.Contains(req.Query, "specifiedByURL") {
			_, _ = io.WriteString(w, `{"errors":[{"message":"Cannot query field \"specifiedByURL\" on type \"__Type\"."}]}`)
			return
		}
		if _, errs := gqlparser.LoadQuery(schema, req.Query); len(errs) > 0 {
			_ = json.NewEncoder(w).Encode(map[string]any{"errors": errs})
			return
		}
		_, _ = io.WriteString(w, `{"data":{"__schema":{"queryType":{"name":"Query"},"mutationType":null,"subscriptionType":null,
"types":[{"kind":"OBJECT","name":"Query","fields":[{"name":"hello","args":[{"name":"name","type":{"kind":"SCALAR","name":"String","ofType":null},"defaultValue":null}],
"type":{"kind":"NON_NULL","name":null,"ofType":{"kind":"SCALAR","name":"String","ofType":null}},"isDeprecated":false,"deprecationReason":null}],
"inputFields":null,"interfaces":[],"enumValues":null,"possibleTypes":null}],"directives":[]}}}`)
	}))
	t.Cleanup(up.Close)
	return up.URL
}

func TestTesterHelperGraphQLIntrospect(t *testing.T) {
	queries := make(chan string, 8)
	s := newTestServer(t)
	got := s.expect(200, "POST", "/api/v1/api-tester/graphql/introspect", map[string]any{"url": graphqlUpstream(t, false, queries),
		"headers": map[string]string{"X-Key": "g"}})
	schema, _ := got["data"].(map[string]any)["__schema"].(map[string]any)
	if schema["queryType"].(map[string]any)["name"] != "Query" || len(schema["types"].([]any)) != 1 {
		t.Fatalf("introspection: %v", got)
	}
	if q := <-queries; !strings.Contains(q, "specifiedByURL") {
		t.Fatalf("the full introspection query is asked first: %s", q)
	}

	// An older server refuses the newer fields: the query without them is asked.
	got = s.expect(200, "POST", "/api/v1/api-tester/graphql/introspect", map[string]any{"url": graphqlUpstream(t, true, queries),
		"headers": map[string]string{"X-Key": "g"}})
	if _, ok := got["data"].(map[string]any)["__schema"]; !ok {
		t.Fatalf("legacy introspection: %v", got)
	}
	<-queries
	if q := <-queries; strings.Contains(q, "specifiedByURL") || strings.Contains(q, "isRepeatable") {
		t.Fatalf("the second query leaves the newer fields out: %s", q)
	}

	e := s.expectError(502, "external", "", "POST", "/api/v1/api-tester/graphql/introspect", map[string]any{"url": graphqlUpstream(t, false, queries)})
	if !strings.Contains(e["error"].(string), "introspection is disabled") {
		t.Fatalf("a server without introspection: %v", e)
	}
	s.expectError(422, CodeValidation, "url", "POST", "/api/v1/api-tester/graphql/introspect", map[string]any{"url": "nope"})
}

// TestTesterHelperKafka runs the Kafka admin against the embedded
// Kafka-protocol broker the kafka plugin serves (kfake).
func TestTesterHelperKafka(t *testing.T) {
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(2, "seeded"))
	if err != nil {
		t.Fatal(err)
	}
	defer cluster.Close()
	brokers := cluster.ListenAddrs()
	s := newTestServer(t)
	kafka := func(extra map[string]any) map[string]any {
		out := map[string]any{"brokers": brokers}
		for k, v := range extra {
			out[k] = v
		}
		return out
	}

	got := s.expect(200, "POST", "/api/v1/api-tester/kafka/metadata", kafka(nil))
	bl, _ := got["brokers"].([]any)
	if len(bl) != 1 || bl[0].(map[string]any)["address"] != brokers[0] {
		t.Fatalf("metadata brokers: %v", got)
	}
	var seeded map[string]any
	for _, tp := range got["topics"].([]any) {
		if m := tp.(map[string]any); m["name"] == "seeded" {
			seeded = m
		}
	}
	if seeded == nil || len(seeded["partitions"].([]any)) != 2 {
		t.Fatalf("metadata topics: %v", got["topics"])
	}

	got = s.expect(200, "POST", "/api/v1/api-tester/kafka/topics/create", kafka(map[string]any{"topic": "orders", "partitions": 3}))
	if got["status"] != "created" || got["partitions"] != float64(3) {
		t.Fatalf("create: %v", got)
	}
	topics := map[string]map[string]any{}
	for _, tp := range s.expect(200, "POST", "/api/v1/api-tester/kafka/topics", map[string]any{"brokers": strings.Join(brokers, ",")})["topics"].([]any) {
		m := tp.(map[string]any)
		topics[m["name"].(string)] = m
	}
	if topics["orders"]["partitions"] != float64(3) || topics["orders"]["replicationFactor"] != float64(1) || topics["seeded"] == nil {
		t.Fatalf("topics: %v", topics)
	}
	s.expectError(409, CodeConflict, "", "POST", "/api/v1/api-tester/kafka/topics/create", kafka(map[string]any{"topic": "orders"}))
	s.expect(200, "POST", "/api/v1/api-tester/kafka/topics/delete", kafka(map[string]any{"topic": "orders"}))
	waitUntil(t, func() bool {
		r := s.do("POST", "/api/v1/api-tester/kafka/topics", kafka(nil))
		return r.Status == 200 && !strings.Contains(string(r.Body), `"orders"`)
	}, "the deleted topic to leave the list")
	s.expectError(404, CodeNotFound, "", "POST", "/api/v1/api-tester/kafka/topics/delete", kafka(map[string]any{"topic": "orders"}))

	// A consumer group with a member is listed.
	cfg := sarama.NewConfig()
	cfg.Version = sarama.V2_8_0_0
	cg, err := sarama.NewConsumerGroup(brokers, "billing", cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer cg.Close()
	joined := make(chan struct{}, 1)
	cctx, stop := context.WithCancel(context.Background())
	consumed := make(chan struct{})
	go func() {
		defer close(consumed)
		for cctx.Err() == nil {
			if err := cg.Consume(cctx, []string{"seeded"}, groupMember{joined}); err != nil {
				return
			}
		}
	}()
	defer func() { stop(); <-consumed }()
	waitFor(t, joined, "the consumer group to form")
	got = s.expect(200, "POST", "/api/v1/api-tester/kafka/consumer-groups", kafka(nil))
	groups, _ := got["groups"].([]any)
	if len(groups) != 1 {
		t.Fatalf("groups: %v", got)
	}
	if g := groups[0].(map[string]any); g["groupId"] != "billing" || g["protocolType"] != "consumer" || g["members"] != float64(1) || g["state"] != "Stable" {
		t.Fatalf("group: %v", g)
	}

	s.expectError(422, CodeValidation, "brokers", "POST", "/api/v1/api-tester/kafka/metadata", map[string]any{})
	s.expectError(422, CodeValidation, "brokers", "POST", "/api/v1/api-tester/kafka/metadata", map[string]any{"brokers": []string{"no-port"}})
	s.expectError(422, CodeValidation, "topic", "POST", "/api/v1/api-tester/kafka/topics/create", kafka(map[string]any{"topic": "bad topic"}))
	s.expectError(422, CodeValidation, "partitions", "POST", "/api/v1/api-tester/kafka/topics/create", kafka(map[string]any{"topic": "x", "partitions": -2}))
}

// groupMember is a consumer group handler that says when it has joined.
type groupMember struct{ joined chan<- struct{} }

func (m groupMember) Setup(sarama.ConsumerGroupSession) error {
	select {
	case m.joined <- struct{}{}:
	default:
	}
	return nil
}

func (groupMember) Cleanup(sarama.ConsumerGroupSession) error { return nil }

func (groupMember) ConsumeClaim(sess sarama.ConsumerGroupSession, claim sarama.ConsumerGroupClaim) error {
	for {
		select {
		case _, ok := <-claim.Messages():
			if !ok {
				return nil
			}
		case <-sess.Context().Done():
			return nil
		}
	}
}

func waitUntil(t *testing.T, ok func() bool, what string) {
	t.Helper()
	plugintest.Eventually(t, 15*time.Second, ok, "%s", what)
}

const testRabbitURL = "amqp://guest:guest@127.0.0.1:5672/"

func TestTesterHelperRabbitMQ(t *testing.T) {
	conn, err := amqp.Dial(testRabbitURL)
	if err != nil {
		msg := fmt.Sprintf("RabbitMQ is not reachable at %s (%v); start it with `rabbitmq-server -detached`", testRabbitURL, err)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	defer conn.Close()
	suffix := fmt.Sprintf("%d", time.Now().UnixNano())
	queue, exchange := "tester-helper-q-"+suffix, "tester-helper-x-"+suffix
	t.Cleanup(func() {
		if ch, err := conn.Channel(); err == nil {
			_, _ = ch.QueueDelete(queue, false, false, false)
			_ = ch.ExchangeDelete(exchange, false, false)
			_ = ch.Close()
		}
	})
	s := newTestServer(t)
	rabbit := func(path string, extra map[string]any) map[string]any {
		t.Helper()
		body := map[string]any{"url": testRabbitURL}
		for k, v := range extra {
			body[k] = v
		}
		return s.expect(200, "POST", "/api/v1/api-tester/rabbitmq/"+path, body)
	}

	if got := rabbit("metadata", nil); got["product"] != "RabbitMQ" || got["version"] == "" || got["serverProperties"] == nil {
		t.Fatalf("metadata: %v", got)
	}
	if got := rabbit("queues/create", map[string]any{"queue": queue, "durable": true}); got["status"] != "declared" || got["queue"] != queue {
		t.Fatalf("queue create: %v", got)
	}
	got := rabbit("publish", map[string]any{"routingKey": queue, "body": map[string]any{"order": 7}, "headers": map[string]any{"x-try": 2, "x-src": "t"}})
	if got["routed"] != true || got["status"] != "published" {
		t.Fatalf("publish: %v", got)
	}
	if got := rabbit("publish", map[string]any{"routingKey": "nobody-" + suffix, "body": "x"}); got["routed"] != false {
		t.Fatalf("an unroutable message: %v", got)
	}

	// Reading without ack puts the message back.
	for i, wantRedelivered := range []bool{false, true} {
		got = rabbit("read", map[string]any{"queue": queue, "count": 5})
		msgs, _ := got["messages"].([]any)
		if len(msgs) != 1 {
			t.Fatalf("read %d: %v", i, got)
		}
		m := msgs[0].(map[string]any)
		body, _ := m["body"].(map[string]any)
		headers, _ := m["headers"].(map[string]any)
		if body["order"] != float64(7) || m["contentType"] != "application/json" || headers["x-try"] != float64(2) || headers["x-src"] != "t" ||
			m["redelivered"] != wantRedelivered || m["routingKey"] != queue {
			t.Fatalf("read %d: %v", i, m)
		}
	}
	if got = rabbit("read", map[string]any{"queue": queue, "ack": true}); got["count"] != float64(1) || got["acked"] != true {
		t.Fatalf("read with ack: %v", got)
	}
	if got = rabbit("read", map[string]any{"queue": queue}); got["count"] != float64(0) || len(got["messages"].([]any)) != 0 {
		t.Fatalf("an acked message is gone: %v", got)
	}

	// Exchanges, and purging.
	if got = rabbit("exchanges/create", map[string]any{"exchange": exchange, "type": "fanout"}); got["type"] != "fanout" {
		t.Fatalf("exchange create: %v", got)
	}
	ch, err := conn.Channel()
	if err != nil {
		t.Fatal(err)
	}
	if err := ch.QueueBind(queue, "", exchange, false, nil); err != nil {
		t.Fatal(err)
	}
	_ = ch.Close()
	for i := 0; i < 2; i++ {
		if got = rabbit("publish", map[string]any{"exchange": exchange, "body": "text " + fmt.Sprint(i), "contentType": "text/plain"}); got["routed"] != true {
			t.Fatalf("publish through the exchange: %v", got)
		}
	}
	if got = rabbit("read", map[string]any{"queue": queue}); got["messages"].([]any)[0].(map[string]any)["body"] != "text 0" {
		t.Fatalf("a text message: %v", got)
	}
	if got = rabbit("queues/purge", map[string]any{"queue": queue}); got["messages"] != float64(2) {
		t.Fatalf("purge: %v", got)
	}
	s.expectError(409, CodeConflict, "", "POST", "/api/v1/api-tester/rabbitmq/exchanges/create",
		map[string]any{"url": testRabbitURL, "exchange": exchange, "type": "direct"})
	rabbit("exchanges/delete", map[string]any{"exchange": exchange})
	s.expectError(404, CodeNotFound, "", "POST", "/api/v1/api-tester/rabbitmq/publish",
		map[string]any{"url": testRabbitURL, "exchange": exchange, "body": "x"})
	rabbit("queues/delete", map[string]any{"queue": queue})
	s.expectError(404, CodeNotFound, "", "POST", "/api/v1/api-tester/rabbitmq/read", map[string]any{"url": testRabbitURL, "queue": queue})

	// Listing needs the management API.
	s.expectError(422, CodeValidation, "managementUrl", "POST", "/api/v1/api-tester/rabbitmq/queues", map[string]any{"url": testRabbitURL})
	s.expectError(422, CodeValidation, "managementUrl", "POST", "/api/v1/api-tester/rabbitmq/exchanges", map[string]any{"url": testRabbitURL})
	s.expectError(422, CodeValidation, "url", "POST", "/api/v1/api-tester/rabbitmq/metadata", map[string]any{"url": "http://x"})
	s.expectError(422, CodeValidation, "queue", "POST", "/api/v1/api-tester/rabbitmq/read", map[string]any{"url": testRabbitURL})
	s.expectError(422, CodeValidation, "type", "POST", "/api/v1/api-tester/rabbitmq/exchanges/create",
		map[string]any{"url": testRabbitURL, "exchange": "e", "type": "bogus"})
	e := s.expectError(502, "external", "", "POST", "/api/v1/api-tester/rabbitmq/metadata", map[string]any{"url": "amqp://guest:wrong@127.0.0.1:5672/"})
	if !strings.Contains(e["error"].(string), "login") {
		t.Fatalf("bad credentials: %v", e)
	}
}

// TestTesterHelperRabbitManagement: queue and exchange lists come from the
// management API, with the AMQP URL's credentials and virtual host (an
// HTTP server stands in for the management plugin, which this machine's
// broker does not run).
func TestTesterHelperRabbitManagement(t *testing.T) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, pass, _ := r.BasicAuth()
		if user != "ops" || pass != "s3cret" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.EscapedPath() {
		case "/api/queues/%2F":
			_, _ = io.WriteString(w, `[{"name":"b","vhost":"/","durable":true,"auto_delete":false,"messages":4,"messages_ready":3,"messages_unacknowledged":1,"consumers":2,"state":"running","type":"classic"},
{"name":"a","vhost":"/","durable":false,"auto_delete":true,"messages":0,"consumers":0}]`)
		case "/api/exchanges/shop":
			_, _ = io.WriteString(w, `[{"name":"amq.topic","vhost":"shop","type":"topic","durable":true,"internal":false}]`)
		default:
			http.NotFound(w, r)
		}
	}))
	defer up.Close()
	s := newTestServer(t)
	got := s.expect(200, "POST", "/api/v1/api-tester/rabbitmq/queues", map[string]any{"url": "amqp://ops:s3cret@127.0.0.1:5672/", "managementUrl": up.URL})
	qs, _ := got["queues"].([]any)
	if len(qs) != 2 {
		t.Fatalf("queues: %v", got)
	}
	if b := qs[1].(map[string]any); b["name"] != "b" || b["messages"] != float64(4) || b["messagesUnacknowledged"] != float64(1) || b["consumers"] != float64(2) || b["durable"] != true {
		t.Fatalf("queue b: %v", b)
	}
	got = s.expect(200, "POST", "/api/v1/api-tester/rabbitmq/exchanges", map[string]any{"url": "amqp://ops:s3cret@127.0.0.1:5672/shop", "managementUrl": up.URL})
	if xs, _ := got["exchanges"].([]any); len(xs) != 1 || xs[0].(map[string]any)["type"] != "topic" {
		t.Fatalf("exchanges: %v", got)
	}
	s.expectError(404, CodeNotFound, "", "POST", "/api/v1/api-tester/rabbitmq/queues", map[string]any{"url": "amqp://ops:s3cret@127.0.0.1:5672/none", "managementUrl": up.URL})
	s.expectError(502, "external", "", "POST", "/api/v1/api-tester/rabbitmq/queues", map[string]any{"managementUrl": up.URL})
}
