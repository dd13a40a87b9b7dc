package sdk

import (
	"context"
	"encoding/json"
	"errors"
	"sync"

	"github.com/mockarty-oss/mockarty/sdk/gen/pluginv1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Besides Find, a listener may need to know things before traffic arrives:
// the mocks of its protocol (topics to consume, services to serve, tools to
// list), registered documents (.proto files, GraphQL SDL, WSDL), and when
// either changes. It may also hand the host a message it kept (a mail with
// storeEmail) for the host's API to show.

// HostData is the host's side of those calls. A Finder that also
// implements HostData (the host's does; so does plugintest.FakeHost)
// offers them to plugins.
type HostData interface {
	// ListMocks returns the live mocks of protocol as the API's mock JSON
	// documents; namespace "" means every namespace.
	ListMocks(ctx context.Context, protocol, namespace string) ([]json.RawMessage, error)
	// ListDocuments returns the registered documents of kind (proto,
	// graphql, wsdl); namespace "" means every namespace.
	ListDocuments(ctx context.Context, kind, namespace string) ([]Document, error)
	// Watch sends the topics that changed (MocksTopic, DocumentsTopic)
	// until ctx ends; changes close together arrive as one send. Changes
	// made after Watch returns are never missed.
	Watch(ctx context.Context, topics []string) (<-chan []string, error)
	// Capture keeps a message for the host's API and returns its id.
	Capture(ctx context.Context, c *Captured) (string, error)
}

// Document is a registered file.
type Document struct {
	Name      string
	Namespace string
	Content   []byte
	UpdatedAt int64 // epoch ms
}

// Captured is a message a listener kept.
type Captured struct {
	Protocol   string
	Namespace  string
	ServerName string
	MockID     string
	// Summary is what the API lists (for mail: from, to, subject).
	Summary json.RawMessage
	// Raw is the message as received (for mail: the MIME message).
	Raw []byte
}

// Document kinds.
const (
	DocumentProto   = "proto"
	DocumentGraphQL = "graphql"
	DocumentWSDL    = "wsdl"
)

// MocksTopic is the Watch topic of a protocol's mocks.
func MocksTopic(protocol string) string { return "mocks:" + protocol }

// DocumentsTopic is the Watch topic of a kind of documents.
func DocumentsTopic(kind string) string { return "documents:" + kind }

// ErrNotSupported: the host does not offer the call.
var ErrNotSupported = errors.New("the host does not offer this call")

// Caller is implemented by a listener whose actions the host's API offers
// (for example "push": send a message to open connections).
type Caller interface {
	Call(ctx context.Context, action string, params json.RawMessage) (json.RawMessage, error)
}

// ErrUnknownAction is what a Caller returns for an action it does not have.
var ErrUnknownAction = errors.New("unknown action")

func (h typedHost) data() (HostData, error) {
	if d, ok := h.f.(HostData); ok {
		return d, nil
	}
	return nil, ErrNotSupported
}

func (h typedHost) ListMocks(ctx context.Context, protocol, namespace string) ([]json.RawMessage, error) {
	d, err := h.data()
	if err != nil {
		return nil, err
	}
	return d.ListMocks(ctx, protocol, namespace)
}

func (h typedHost) ListDocuments(ctx context.Context, kind, namespace string) ([]Document, error) {
	d, err := h.data()
	if err != nil {
		return nil, err
	}
	return d.ListDocuments(ctx, kind, namespace)
}

func (h typedHost) Watch(ctx context.Context, topics []string) (<-chan []string, error) {
	d, err := h.data()
	if err != nil {
		return nil, err
	}
	return d.Watch(ctx, topics)
}

func (h typedHost) Capture(ctx context.Context, c *Captured) (string, error) {
	d, err := h.data()
	if err != nil {
		return "", err
	}
	return d.Capture(ctx, c)
}

// The plugin's side: the calls over gRPC.

func (f *remoteFinder) ListMocks(ctx context.Context, protocol, namespace string) ([]json.RawMessage, error) {
	r, err := f.rpc.ListMocks(ctx, &pluginv1.ListMocksRequest{Protocol: protocol, Namespace: namespace})
	if err != nil {
		return nil, remoteError(err)
	}
	out := make([]json.RawMessage, len(r.Mocks))
	for i, m := range r.Mocks {
		out[i] = m
	}
	return out, nil
}

func (f *remoteFinder) ListDocuments(ctx context.Context, kind, namespace string) ([]Document, error) {
	r, err := f.rpc.ListDocuments(ctx, &pluginv1.ListDocumentsRequest{Kind: kind, Namespace: namespace})
	if err != nil {
		return nil, remoteError(err)
	}
	out := make([]Document, len(r.Documents))
	for i, d := range r.Documents {
		out[i] = Document{Name: d.Name, Namespace: d.Namespace, Content: d.Content, UpdatedAt: d.UpdatedAt}
	}
	return out, nil
}

func (f *remoteFinder) Watch(ctx context.Context, topics []string) (<-chan []string, error) {
	s, err := f.rpc.Watch(ctx, &pluginv1.WatchRequest{Topics: topics})
	if err != nil {
		return nil, remoteError(err)
	}
	// The host's first event (no topics) says it is watching: changes from
	// now on are seen.
	if _, err := s.Recv(); err != nil {
		return nil, remoteError(err)
	}
	out := make(chan []string, 1)
	go func() {
		defer close(out)
		for {
			ev, err := s.Recv()
			if err != nil {
				return
			}
			select {
			case out <- ev.Topics:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, nil
}

func (f *remoteFinder) Capture(ctx context.Context, c *Captured) (string, error) {
	r, err := f.rpc.Capture(ctx, &pluginv1.CaptureRequest{Protocol: c.Protocol, Namespace: c.Namespace,
		ServerName: c.ServerName, MockId: c.MockID, Summary: c.Summary, Raw: c.Raw})
	if err != nil {
		return "", remoteError(err)
	}
	return r.Id, nil
}

// remoteError maps the gRPC Unimplemented status (a host older than the
// call) to ErrNotSupported, so a plugin can tell "no such call" apart.
func remoteError(err error) error {
	if status.Code(err) == codes.Unimplemented {
		return ErrNotSupported
	}
	return plainError(err)
}

// The host's side.

func (h *hostServer) hostData() (HostData, error) {
	if d, ok := h.finder.(HostData); ok {
		return d, nil
	}
	return nil, status.Error(codes.Unimplemented, ErrNotSupported.Error())
}

func (h *hostServer) ListMocks(ctx context.Context, r *pluginv1.ListMocksRequest) (*pluginv1.ListMocksResponse, error) {
	d, err := h.hostData()
	if err != nil {
		return nil, err
	}
	mocks, err := d.ListMocks(ctx, r.Protocol, r.Namespace)
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	out := &pluginv1.ListMocksResponse{Mocks: make([][]byte, len(mocks))}
	for i, m := range mocks {
		out.Mocks[i] = m
	}
	return out, nil
}

func (h *hostServer) ListDocuments(ctx context.Context, r *pluginv1.ListDocumentsRequest) (*pluginv1.ListDocumentsResponse, error) {
	d, err := h.hostData()
	if err != nil {
		return nil, err
	}
	docs, err := d.ListDocuments(ctx, r.Kind, r.Namespace)
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	out := &pluginv1.ListDocumentsResponse{}
	for _, doc := range docs {
		out.Documents = append(out.Documents, &pluginv1.Document{Name: doc.Name, Namespace: doc.Namespace,
			Content: doc.Content, UpdatedAt: doc.UpdatedAt})
	}
	return out, nil
}

func (h *hostServer) Watch(r *pluginv1.WatchRequest, s pluginv1.Host_WatchServer) error {
	d, err := h.hostData()
	if err != nil {
		return err
	}
	ch, err := d.Watch(s.Context(), r.Topics)
	if err != nil {
		return status.Error(codes.InvalidArgument, err.Error())
	}
	if err := s.Send(&pluginv1.WatchEvent{}); err != nil { // watching from here on
		return err
	}
	for topics := range ch {
		if err := s.Send(&pluginv1.WatchEvent{Topics: topics}); err != nil {
			return err
		}
	}
	return nil
}

func (h *hostServer) Capture(ctx context.Context, r *pluginv1.CaptureRequest) (*pluginv1.CaptureResponse, error) {
	d, err := h.hostData()
	if err != nil {
		return nil, err
	}
	id, err := d.Capture(ctx, &Captured{Protocol: r.Protocol, Namespace: r.Namespace, ServerName: r.ServerName,
		MockID: r.MockId, Summary: r.Summary, Raw: r.Raw})
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	return &pluginv1.CaptureResponse{Id: id}, nil
}

// Call: the plugin's side of a host-initiated action.
func (s *pluginServer) Call(ctx context.Context, r *pluginv1.CallRequest) (*pluginv1.CallResponse, error) {
	c, ok := s.impl.(Caller)
	if !ok {
		return nil, status.Error(codes.Unimplemented, "this plugin has no actions")
	}
	params := json.RawMessage(r.Params)
	if len(params) == 0 {
		params = json.RawMessage(`{}`)
	}
	out, err := c.Call(ctx, r.Action, params)
	if errors.Is(err, ErrUnknownAction) {
		return nil, status.Errorf(codes.NotFound, "unknown action %q", r.Action)
	}
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	return &pluginv1.CallResponse{Result: out}, nil
}

// Call asks a running plugin to run one of its actions (host side). It
// returns ErrUnknownAction for an action the plugin does not have.
func (c *Client) Call(ctx context.Context, action string, params json.RawMessage) (json.RawMessage, error) {
	r, err := c.rpc.Call(ctx, &pluginv1.CallRequest{Action: action, Params: params})
	switch status.Code(err) {
	case codes.OK:
		return r.Result, nil
	case codes.NotFound, codes.Unimplemented:
		return nil, ErrUnknownAction
	}
	return nil, plainError(err)
}

// Topics is a coalescing set of changed topics, for HostData
// implementations: Add never blocks, and each Next returns everything
// added since the last one.
type Topics struct {
	mu      sync.Mutex
	pending map[string]bool
	signal  chan struct{}
	want    map[string]bool
}

// NewTopics watches the given topics (none: every topic).
func NewTopics(want []string) *Topics {
	t := &Topics{pending: map[string]bool{}, signal: make(chan struct{}, 1), want: map[string]bool{}}
	for _, w := range want {
		t.want[w] = true
	}
	return t
}

// Add records changed topics and wakes the reader.
func (t *Topics) Add(topics ...string) {
	t.mu.Lock()
	added := false
	for _, topic := range topics {
		if len(t.want) == 0 || t.want[topic] {
			t.pending[topic] = true
			added = true
		}
	}
	t.mu.Unlock()
	if added {
		select {
		case t.signal <- struct{}{}:
		default: // already signalled
		}
	}
}

// Next waits for changes and returns them; false when ctx ends.
func (t *Topics) Next(ctx context.Context) ([]string, bool) {
	for {
		select {
		case <-ctx.Done():
			return nil, false
		case <-t.signal:
		}
		t.mu.Lock()
		batch := make([]string, 0, len(t.pending))
		for k := range t.pending {
			batch = append(batch, k)
		}
		clear(t.pending)
		t.mu.Unlock()
		if len(batch) > 0 {
			return batch, true
		}
	}
}

// Channel runs Next in a goroutine and sends each batch, closing the
// channel when ctx ends: the shape Watch returns.
func (t *Topics) Channel(ctx context.Context) <-chan []string {
	out := make(chan []string)
	go func() {
		defer close(out)
		for {
			batch, ok := t.Next(ctx)
			if !ok {
				return
			}
			select {
			case out <- batch:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out
}
