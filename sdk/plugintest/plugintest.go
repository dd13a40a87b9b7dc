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
)

// Call is one Find the plugin made.
type Call struct {
	Protocol string
	Body     json.RawMessage
}

// FakeHost answers the plugin's Find calls with a function of the test's,
// and serves the mocks, documents and captures the test sets.
type FakeHost struct {
	mu    sync.Mutex
	calls []Call
	// Answer decides each Find; a nil Answer finds nothing.
	Answer func(protocol string, body json.RawMessage) (found bool, resp any, nearMiss *sdk.NearMiss)

	mocks    map[string][]json.RawMessage // by protocol
	docs     map[string][]sdk.Document    // by kind
	captured []sdk.Captured
	watchers []*sdk.Topics
}

// SetMocks sets the mocks of a protocol that ListMocks returns, and tells
// the plugin's watchers.
func (h *FakeHost) SetMocks(protocol string, mocks ...json.RawMessage) {
	h.mu.Lock()
	if h.mocks == nil {
		h.mocks = map[string][]json.RawMessage{}
	}
	h.mocks[protocol] = mocks
	watchers := append([]*sdk.Topics(nil), h.watchers...)
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
	watchers := append([]*sdk.Topics(nil), h.watchers...)
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
	t := sdk.NewTopics(topics)
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

// Find implements sdk.Finder.
func (h *FakeHost) Find(_ context.Context, protocol string, body []byte) (bool, []byte, []byte, error) {
	h.mu.Lock()
	h.calls = append(h.calls, Call{Protocol: protocol, Body: append(json.RawMessage(nil), body...)})
	answer := h.Answer
	h.mu.Unlock()
	if answer == nil {
		nm, _ := json.Marshal(&sdk.NearMiss{Error: "no mock (fake host)", Code: "no_match"})
		return false, nil, nm, nil
	}
	found, resp, near := answer(protocol, body)
	if !found {
		if near == nil {
			near = &sdk.NearMiss{Error: "no mock (fake host)", Code: "no_match"}
		}
		nm, err := json.Marshal(near)
		return false, nil, nm, err
	}
	b, err := json.Marshal(resp)
	return true, b, nil, err
}

// Calls returns the Find calls so far.
func (h *FakeHost) Calls() []Call {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]Call(nil), h.calls...)
}

// Plugin is a plugin running in-process behind the real contract.
type Plugin struct {
	Client    *sdk.Client
	Addresses []string
	host      *FakeHost
}

// Run runs a job on a tool plugin with the fake host, collecting progress.
func (p *Plugin) Run(ctx context.Context, job sdk.Job) (json.RawMessage, []sdk.Progress, error) {
	var steps []sdk.Progress
	var finder sdk.Finder
	if p.host != nil {
		finder = p.host
	}
	res, err := p.Client.Run(ctx, job, finder, func(pr sdk.Progress) { steps = append(steps, pr) })
	return res, steps, err
}

// Start connects to p over gRPC, configures it with settings and, for a
// listener, starts it against host. Everything stops when the test ends.
func Start(t testing.TB, p sdk.Plugin, settings json.RawMessage, host *FakeHost) *Plugin {
	t.Helper()
	client, _ := plugin.TestPluginGRPCConn(t, false, plugin.PluginSet{sdk.PluginKey: &sdk.GRPCPlugin{Impl: p}})
	raw, err := client.Dispense(sdk.PluginKey)
	if err != nil {
		t.Fatal(err)
	}
	c := raw.(*sdk.Client)
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
