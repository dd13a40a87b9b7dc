// Package plugintest runs a plugin in-process, over the real gRPC contract,
// against a fake host, so a plugin author can test without building a
// binary or running the host.
package plugintest

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"

	"github.com/hashicorp/go-plugin"
	"github.com/mockarty-oss/mockarty/sdk"
	"github.com/mockarty-oss/mockarty/sdk/find"
	"github.com/mockarty-oss/mockarty/sdk/internal/wire"
	"github.com/mockarty-oss/mockarty/sdk/pluginhost"
	"google.golang.org/grpc"
)

// Call is one Find the plugin made: its protocol (http, grpc, ...) and its
// request as JSON.
type Call struct {
	Protocol string
	Body     json.RawMessage
}

// FakeHost is the host a plugin under test talks to: it answers the
// plugin's Find calls with the test's handlers, one per protocol, and
// serves the mocks, documents and captures the test sets. Set the handlers
// before the plugin starts.
//
// A handler's answer is what the plugin gets: a response, an *sdk.NoMatch
// (a miss), an error that is sdk.ErrInvalidInput (a refusal), or any other
// error (the host could not answer). A nil handler, or one that returns
// neither a response nor an error, answers NoMatch.
//
// Started with Start, the plugin reaches the FakeHost over the real gRPC
// contract. A FakeHost is also an sdk.Host itself, to start a listener
// directly (l.Start(ctx, fakeHost)) when a test needs the listener object.
type FakeHost struct {
	FindHTTPFunc     func(ctx context.Context, req *find.HTTPRequest) (*find.HTTPResponse, error)
	FindGRPCFunc     func(ctx context.Context, req *find.GRPCRequest) (*find.GRPCResponse, error)
	FindSocketFunc   func(ctx context.Context, req *find.SocketRequest) (*find.SocketResponse, error)
	FindKafkaFunc    func(ctx context.Context, req *find.KafkaRequest) (*find.KafkaResponse, error)
	FindRabbitMQFunc func(ctx context.Context, req *find.RabbitMQRequest) (*find.RabbitMQResponse, error)
	FindSMTPFunc     func(ctx context.Context, req *find.SMTPRequest) (*find.SMTPResponse, error)
	FindSOAPFunc     func(ctx context.Context, req *find.SOAPRequest) (*find.SOAPResponse, error)
	FindMCPFunc      func(ctx context.Context, req *find.MCPRequest) (*find.MCPResponse, error)
	FindGraphQLFunc  func(ctx context.Context, req *find.GraphQLRequest) (*find.GraphQLResponse, error)
	FindSSEFunc      func(ctx context.Context, req *find.SSERequest) (*find.SSEResponse, error)

	mu       sync.Mutex
	calls    []Call
	mocks    map[string][]json.RawMessage // by protocol
	docs     map[string][]sdk.Document    // by kind
	captured []sdk.Captured
	watchers []*pluginhost.Topics
}

var (
	_ sdk.Host          = (*FakeHost)(nil)
	_ pluginhost.Finder = (*FakeHost)(nil)
)

// noMatch is what a FakeHost answers when no handler answers.
func noMatch() *sdk.NoMatch {
	return &sdk.NoMatch{Message: "no mock (fake host)", Code: "no_match"}
}

// SetMocks sets the mocks of a protocol that ListMocks returns, and tells
// the plugin's watchers.
func (h *FakeHost) SetMocks(protocol string, mocks ...json.RawMessage) {
	h.mu.Lock()
	if h.mocks == nil {
		h.mocks = map[string][]json.RawMessage{}
	}
	h.mocks[protocol] = mocks
	watchers := append([]*pluginhost.Topics(nil), h.watchers...)
	h.mu.Unlock()
	for _, w := range watchers {
		w.Add(sdk.MocksTopic(protocol))
	}
}

// SetDocuments sets the documents of a kind, and tells the watchers.
func (h *FakeHost) SetDocuments(kind string, docs ...sdk.Document) {
	h.mu.Lock()
	if h.docs == nil {
		h.docs = map[string][]sdk.Document{}
	}
	h.docs[kind] = docs
	watchers := append([]*pluginhost.Topics(nil), h.watchers...)
	h.mu.Unlock()
	for _, w := range watchers {
		w.Add(sdk.DocumentsTopic(kind))
	}
}

// Captured returns what the plugin captured so far.
func (h *FakeHost) Captured() []sdk.Captured {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]sdk.Captured(nil), h.captured...)
}

// ListMocks implements sdk.HostData (namespace filtering is the test's).
func (h *FakeHost) ListMocks(_ context.Context, protocol, _ string) ([]json.RawMessage, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]json.RawMessage(nil), h.mocks[protocol]...), nil
}

// ListDocuments implements sdk.HostData.
func (h *FakeHost) ListDocuments(_ context.Context, kind, _ string) ([]sdk.Document, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]sdk.Document(nil), h.docs[kind]...), nil
}

// Watch implements sdk.HostData.
func (h *FakeHost) Watch(ctx context.Context, topics []string) (<-chan []string, error) {
	t := pluginhost.NewTopics(topics)
	h.mu.Lock()
	h.watchers = append(h.watchers, t)
	h.mu.Unlock()
	return t.Channel(ctx), nil
}

// Capture implements sdk.HostData.
func (h *FakeHost) Capture(_ context.Context, c *sdk.Captured) (string, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.captured = append(h.captured, *c)
	return fmt.Sprintf("capture-%d", len(h.captured)), nil
}

func (h *FakeHost) record(protocol string, body []byte) {
	h.mu.Lock()
	h.calls = append(h.calls, Call{Protocol: protocol, Body: append(json.RawMessage(nil), body...)})
	h.mu.Unlock()
}

// typed records a call (as JSON, for Calls) and runs its handler.
func typed[Req, Resp any](ctx context.Context, h *FakeHost, protocol string, req *Req,
	fn func(context.Context, *Req) (*Resp, error)) (*Resp, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	h.record(protocol, body)
	return answer(ctx, req, fn)
}

func answer[Req, Resp any](ctx context.Context, req *Req, fn func(context.Context, *Req) (*Resp, error)) (*Resp, error) {
	if fn == nil {
		return nil, noMatch()
	}
	resp, err := fn(ctx, req)
	if resp == nil && err == nil {
		return nil, noMatch()
	}
	return resp, err
}

// FindHTTP answers with FindHTTPFunc.
func (h *FakeHost) FindHTTP(ctx context.Context, req *find.HTTPRequest) (*find.HTTPResponse, error) {
	return typed(ctx, h, wire.ProtoHTTP, req, h.FindHTTPFunc)
}

// FindGRPC answers with FindGRPCFunc.
func (h *FakeHost) FindGRPC(ctx context.Context, req *find.GRPCRequest) (*find.GRPCResponse, error) {
	return typed(ctx, h, wire.ProtoGRPC, req, h.FindGRPCFunc)
}

// FindSocket answers with FindSocketFunc.
func (h *FakeHost) FindSocket(ctx context.Context, req *find.SocketRequest) (*find.SocketResponse, error) {
	return typed(ctx, h, wire.ProtoSocket, req, h.FindSocketFunc)
}

// FindKafka answers with FindKafkaFunc.
func (h *FakeHost) FindKafka(ctx context.Context, req *find.KafkaRequest) (*find.KafkaResponse, error) {
	return typed(ctx, h, wire.ProtoKafka, req, h.FindKafkaFunc)
}

// FindRabbitMQ answers with FindRabbitMQFunc.
func (h *FakeHost) FindRabbitMQ(ctx context.Context, req *find.RabbitMQRequest) (*find.RabbitMQResponse, error) {
	return typed(ctx, h, wire.ProtoRabbitMQ, req, h.FindRabbitMQFunc)
}

// FindSMTP answers with FindSMTPFunc.
func (h *FakeHost) FindSMTP(ctx context.Context, req *find.SMTPRequest) (*find.SMTPResponse, error) {
	return typed(ctx, h, wire.ProtoSMTP, req, h.FindSMTPFunc)
}

// FindSOAP answers with FindSOAPFunc.
func (h *FakeHost) FindSOAP(ctx context.Context, req *find.SOAPRequest) (*find.SOAPResponse, error) {
	return typed(ctx, h, wire.ProtoSOAP, req, h.FindSOAPFunc)
}

// FindMCP answers with FindMCPFunc.
func (h *FakeHost) FindMCP(ctx context.Context, req *find.MCPRequest) (*find.MCPResponse, error) {
	return typed(ctx, h, wire.ProtoMCP, req, h.FindMCPFunc)
}

// FindGraphQL answers with FindGraphQLFunc.
func (h *FakeHost) FindGraphQL(ctx context.Context, req *find.GraphQLRequest) (*find.GraphQLResponse, error) {
	return typed(ctx, h, wire.ProtoGraphQL, req, h.FindGraphQLFunc)
}

// FindSSE answers with FindSSEFunc.
func (h *FakeHost) FindSSE(ctx context.Context, req *find.SSERequest) (*find.SSEResponse, error) {
	return typed(ctx, h, wire.ProtoSSE, req, h.FindSSEFunc)
}

// Calls returns the Find calls so far.
func (h *FakeHost) Calls() []Call {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]Call(nil), h.calls...)
}

// Plugin is a plugin running in-process behind the real contract.
type Plugin struct {
	// Client is the host's handle on the plugin (its actions: Client.Call).
	Client    *pluginhost.Client
	Addresses []string
	host      *FakeHost
}

// Run runs a job on a tool plugin with the fake host, collecting progress.
func (p *Plugin) Run(ctx context.Context, job sdk.Job) (json.RawMessage, []sdk.Progress, error) {
	var steps []sdk.Progress
	var finder pluginhost.Finder
	if p.host != nil {
		finder = p.host
	}
	res, err := p.Client.Run(ctx, job, finder, func(pr sdk.Progress) { steps = append(steps, pr) })
	return res, steps, err
}

// inProcess is both sides of the go-plugin glue: the plugin's service,
// served in this process, and the host's Client on it.
type inProcess struct {
	pluginhost.GRPCPlugin
	impl sdk.Plugin
}

func (p *inProcess) GRPCServer(broker *plugin.GRPCBroker, s *grpc.Server) error {
	return wire.RegisterPlugin(s, broker, p.impl)
}

// Start connects to p over gRPC, configures it with settings and, for a
// listener, starts it against host (nil: a FakeHost without handlers).
// Everything stops when the test ends.
func Start(t testing.TB, p sdk.Plugin, settings json.RawMessage, host *FakeHost) *Plugin {
	t.Helper()
	client, _ := plugin.TestPluginGRPCConn(t, false, plugin.PluginSet{pluginhost.PluginKey: &inProcess{impl: p}})
	raw, err := client.Dispense(pluginhost.PluginKey)
	if err != nil {
		t.Fatal(err)
	}
	c := raw.(*pluginhost.Client)
	ctx := context.Background()
	if err := c.Configure(ctx, settings); err != nil {
		t.Fatalf("configure: %v", err)
	}
	out := &Plugin{Client: c, host: host}
	if _, ok := p.(sdk.Listener); ok {
		if host == nil {
			host = &FakeHost{} // finds nothing
		}
		addrs, err := c.Start(ctx, host)
		if err != nil {
			t.Fatalf("start: %v", err)
		}
		out.Addresses = addrs
	}
	t.Cleanup(func() {
		if _, ok := p.(sdk.Listener); ok {
			_ = c.Stop(context.Background())
		}
		client.Close() // also shuts the in-process server down
	})
	return out
}
