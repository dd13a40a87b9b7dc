package sdk

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/mockarty-oss/mockarty/sdk/gen/pluginv2"
	"github.com/mockarty-oss/mockarty/sdk/internal/wire"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Besides Find, a listener may need to know things before traffic arrives:
// the mocks of its protocol (topics to consume, services to serve, tools to
// list), registered documents (.proto files, GraphQL SDL, WSDL), and when
// either changes. It may also hand the host a message it kept (a mail with
// storeEmail) for the host's API to show.

// HostData is the part of Host that offers those calls.
type HostData interface {
	// ListMocks returns the live mocks of protocol as the API's mock JSON
	// documents, in the order the host tries them (best first); namespace
	// "" means every namespace.
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
	// DocumentOpenAPI: OpenAPI 3.0/3.1 and Swagger 2.0 descriptions that
	// HTTP mocks validate requests against (http.validateRequest).
	DocumentOpenAPI = "openapi"
)

// MocksTopic is the Watch topic of a protocol's mocks.
func MocksTopic(protocol string) string { return "mocks:" + protocol }

// DocumentsTopic is the Watch topic of a kind of documents.
func DocumentsTopic(kind string) string { return "documents:" + kind }

// ErrNotSupported: the host does not offer the call.
var ErrNotSupported = errors.New("the host does not offer this call")

// Caller is implemented by a listener whose actions the host's API offers
// (for example "push": send a message to open connections).
//
// An error that is (errors.Is) ErrInvalidInput reaches the host as one:
// the action refused what it was given (InvalidInput makes one).
type Caller interface {
	Call(ctx context.Context, action string, params json.RawMessage) (json.RawMessage, error)
}

// InvalidInput marks err as the fault of an action's input: its message
// is err's, and it is (errors.Is) ErrInvalidInput on both sides.
func InvalidInput(err error) error { return &invalidInput{err} }

type invalidInput struct{ error }

func (e *invalidInput) Unwrap() []error { return []error{e.error, ErrInvalidInput} }

// ErrUnknownAction is what a Caller returns for an action it does not have.
var ErrUnknownAction = errors.New("unknown action")

// The plugin's side: the calls over gRPC.

func (f *remoteHost) ListMocks(ctx context.Context, protocol, namespace string) ([]json.RawMessage, error) {
	r, err := f.rpc.ListMocks(ctx, &pluginv2.ListMocksRequest{Protocol: protocol, Namespace: namespace})
	if err != nil {
		return nil, remoteError(err)
	}
	out := make([]json.RawMessage, len(r.Mocks))
	for i, m := range r.Mocks {
		out[i] = m
	}
	return out, nil
}

func (f *remoteHost) ListDocuments(ctx context.Context, kind, namespace string) ([]Document, error) {
	r, err := f.rpc.ListDocuments(ctx, &pluginv2.ListDocumentsRequest{Kind: kind, Namespace: namespace})
	if err != nil {
		return nil, remoteError(err)
	}
	out := make([]Document, len(r.Documents))
	for i, d := range r.Documents {
		out[i] = Document{Name: d.Name, Namespace: d.Namespace, Content: d.Content, UpdatedAt: d.UpdatedAt}
	}
	return out, nil
}

func (f *remoteHost) Watch(ctx context.Context, topics []string) (<-chan []string, error) {
	s, err := f.rpc.Watch(ctx, &pluginv2.WatchRequest{Topics: topics})
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

func (f *remoteHost) Capture(ctx context.Context, c *Captured) (string, error) {
	r, err := f.rpc.Capture(ctx, &pluginv2.CaptureRequest{Protocol: c.Protocol, Namespace: c.Namespace,
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
	return wire.PlainError(err)
}

// Call: the plugin's side of a host-initiated action.
func (s *pluginServer) Call(ctx context.Context, r *pluginv2.CallRequest) (*pluginv2.CallResponse, error) {
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
	if errors.Is(err, ErrInvalidInput) {
		return nil, wire.FindStatus(ctx, err) // the reason tells the host it is the input's fault
	}
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	return &pluginv2.CallResponse{Result: out}, nil
}
