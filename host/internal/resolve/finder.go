package resolve

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/mockarty-oss/mockarty/host/internal/jpath"
	"github.com/mockarty-oss/mockarty/host/internal/match"
	"github.com/mockarty-oss/mockarty/host/internal/model"
	"github.com/mockarty-oss/mockarty/host/internal/store"
	"github.com/mockarty-oss/mockarty/sdk"
	"github.com/mockarty-oss/mockarty/sdk/find"
	"github.com/mockarty-oss/mockarty/sdk/pluginhost"
)

// Finder serves the plugins' Find calls (pluginhost.Finder): the requests
// of POST /mock/find<Protocol>, which reach it typed, checked as REST's are
// and resolved by the same Resolver methods.
type Finder struct{ R *Resolver }

var _ pluginhost.Finder = Finder{}

// refusedInput is a find request the host refuses for what it carries:
// it is still the error below (a *jpath.DepthError, a decode error), and
// also kind (sdk.ErrBodyTooDeep, sdk.ErrInvalidInput), which the plugin's
// caller hears as the protocol's "invalid argument", not as an outage.
type refusedInput struct {
	err  error
	kind error
}

func (e *refusedInput) Error() string   { return e.err.Error() }
func (e *refusedInput) Unwrap() []error { return []error{e.err, e.kind} }

// refuse names the protocol's find request in err and marks it refused:
// too deep when err is a depth error, else invalid.
func refuse(protocol string, err error) error {
	kind := sdk.ErrInvalidInput
	var de *jpath.DepthError
	if errors.As(err, &de) {
		kind = sdk.ErrBodyTooDeep
	}
	return &refusedInput{err: fmt.Errorf("%s find request: %w", protocol, err), kind: kind}
}

// typedFind runs one plugin find: its JSON payloads are checked against
// MAX_BODY_DEPTH before anything decodes them (too deep: refused, and the
// plugin's caller learns why), the request as REST's is (CheckFind), then
// fn resolves it. A miss is an *sdk.NoMatch with the public near-miss
// report; a change that could not be saved is an outage.
func typedFind[Req, Resp any](protocol string, req *Req, fn func(*Req) (*Resp, *NearMiss), payloads ...[]byte) (*Resp, error) {
	for _, p := range payloads {
		if err := jpath.CheckDepth(p); err != nil {
			return nil, refuse(protocol, err)
		}
	}
	if fe := CheckFind(req); fe != nil {
		return nil, refuse(protocol, fe)
	}
	out, nm := fn(req)
	if nm == nil {
		return out, nil
	}
	return nil, noMatch(nm)
}

// noMatch is the plugin's error for a report: the near-miss report (its
// expected values left out), or, for a change not saved, an outage.
func noMatch(nm *NearMiss) error {
	if nm.NotSaved() {
		return errors.New(nm.Error)
	}
	cands, err := json.Marshal(PublicCandidates(nm.Candidates))
	if err != nil {
		return err
	}
	return &sdk.NoMatch{Message: nm.Error, Code: nm.Code, Namespace: nm.Namespace, Method: nm.Method,
		Path: nm.Path, Candidates: cands}
}

// ReplyCache implements pluginhost.ReplyCacher: static answers of HTTP,
// gRPC and Kafka finds may be cached by the plugin that asked.
func (f Finder) ReplyCache() *pluginhost.ReplyCache { return f.R.cache }

// FindHTTP implements pluginhost.Finder.
func (f Finder) FindHTTP(ctx context.Context, req *find.HTTPRequest) (*find.HTTPResponse, error) {
	note := pluginhost.CacheNote(ctx)
	return typedFind(model.ProtoHTTP, req, func(req *find.HTTPRequest) (*find.HTTPResponse, *NearMiss) {
		return f.R.findHTTP(req, note)
	}, req.RawBody())
}

// FindGRPC implements pluginhost.Finder.
func (f Finder) FindGRPC(ctx context.Context, req *find.GRPCRequest) (*find.GRPCResponse, error) {
	note := pluginhost.CacheNote(ctx)
	return typedFind(model.ProtoGRPC, req, func(req *find.GRPCRequest) (*find.GRPCResponse, *NearMiss) {
		return f.R.findGRPC(req, note)
	}, req.Data)
}

// FindSocket implements pluginhost.Finder.
func (f Finder) FindSocket(_ context.Context, req *find.SocketRequest) (*find.SocketResponse, error) {
	return typedFind(model.ProtoSocket, req, f.R.FindSocket, req.Data)
}

// FindKafka implements pluginhost.Finder.
func (f Finder) FindKafka(ctx context.Context, req *find.KafkaRequest) (*find.KafkaResponse, error) {
	note := pluginhost.CacheNote(ctx)
	return typedFind(model.ProtoKafka, req, func(req *find.KafkaRequest) (*find.KafkaResponse, *NearMiss) {
		return f.R.findKafka(req, note)
	}, req.Data)
}

// FindRabbitMQ implements pluginhost.Finder.
func (f Finder) FindRabbitMQ(_ context.Context, req *find.RabbitMQRequest) (*find.RabbitMQResponse, error) {
	return typedFind(model.ProtoRabbitMQ, req, f.R.FindRabbitMQ, req.Data)
}

// FindSMTP implements pluginhost.Finder.
func (f Finder) FindSMTP(_ context.Context, req *find.SMTPRequest) (*find.SMTPResponse, error) {
	return typedFind(model.ProtoSMTP, req, f.R.FindSMTP)
}

// FindSOAP implements pluginhost.Finder.
func (f Finder) FindSOAP(_ context.Context, req *find.SOAPRequest) (*find.SOAPResponse, error) {
	return typedFind(model.ProtoSOAP, req, f.R.FindSOAP, req.Data)
}

// FindMCP implements pluginhost.Finder.
func (f Finder) FindMCP(_ context.Context, req *find.MCPRequest) (*find.MCPResponse, error) {
	return typedFind(model.ProtoMCP, req, f.R.FindMCP, req.Arguments)
}

// FindGraphQL implements pluginhost.Finder.
func (f Finder) FindGraphQL(_ context.Context, req *find.GraphQLRequest) (*find.GraphQLResponse, error) {
	return typedFind(model.ProtoGraphQL, req, f.R.FindGraphQL, req.Arguments, req.Variables)
}

// FindSSE implements pluginhost.Finder.
func (f Finder) FindSSE(_ context.Context, req *find.SSERequest) (*find.SSEResponse, error) {
	return typedFind(model.ProtoSSE, req, f.R.FindSSE)
}

// FindHTTP resolves an HTTP request described by the find contract.
func (r *Resolver) FindHTTP(req *find.HTTPRequest) (*find.HTTPResponse, *NearMiss) {
	return r.findHTTP(req, nil)
}

// findHTTP is FindHTTP telling cacheable whether the answer may be cached.
func (r *Resolver) findHTTP(req *find.HTTPRequest, cacheable *bool) (*find.HTTPResponse, *NearMiss) {
	headers := make(map[string][]string, len(req.Headers))
	for k, v := range req.Headers {
		headers[strings.ToLower(k)] = v
	}
	ns := req.Namespace
	if ns == "" {
		ns = model.DefaultNamespace
	}
	method := strings.ToUpper(req.Method)
	if method == "" {
		method = "GET"
	}
	query := req.Query
	if query == nil {
		query = map[string][]string{}
	}
	res := r.ResolveHTTP(&HTTPRequest{Namespace: ns, ServerName: req.ServerName, Method: method, Path: req.Path,
		Query: query, Header: headers, Body: req.RawBody(), Cacheable: cacheable})
	defer r.Release(res)
	if !res.Matched {
		return nil, res.NearMiss
	}
	out := res.Rendered
	resp := &find.HTTPResponse{Found: true, MockID: res.MockID, StatusCode: out.Status, Headers: out.Headers,
		Delay: out.Delay.Milliseconds()}
	if len(out.Body) > 0 || out.IsText {
		resp.SetPayload(append([]byte(nil), out.Body...), out.Kind())
	}
	if out.Proxy != nil {
		resp.Proxy = &find.ProxyTarget{Target: out.Proxy.Target}
	}
	return resp, nil
}

var _ sdk.HostData = Finder{}

// ListMocks implements sdk.HostData: the live mocks of a protocol, from
// the index (what is served), as the API's JSON, best first.
func (f Finder) ListMocks(_ context.Context, protocol, namespace string) ([]json.RawMessage, error) {
	if !knownProtocol(protocol) {
		return nil, fmt.Errorf("unknown protocol %q", protocol)
	}
	var list []*match.Entry
	for _, e := range f.R.Index.Entries() {
		if m := e.Mock; m.Protocol() == protocol && (namespace == "" || m.Namespace == namespace) {
			list = append(list, e)
		}
	}
	// In the order the host tries them, so a listener that must choose
	// between mocks (the consumer group of a topic) chooses as the host does.
	match.SortEntries(list)
	out := make([]json.RawMessage, 0, len(list))
	for _, e := range list {
		b, err := json.Marshal(e.Mock)
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, nil
}

func knownProtocol(p string) bool {
	for _, k := range model.Protocols {
		if k == p {
			return true
		}
	}
	return false
}

// ListDocuments implements sdk.HostData.
func (f Finder) ListDocuments(ctx context.Context, kind, namespace string) ([]sdk.Document, error) {
	rows, err := f.R.st.Documents(ctx, kind, namespace)
	if err != nil {
		return nil, err
	}
	out := make([]sdk.Document, len(rows))
	for i, d := range rows {
		out[i] = sdk.Document{Name: d.Name, Namespace: d.Namespace, Content: []byte(d.Content), UpdatedAt: d.UpdatedMs}
	}
	return out, nil
}

// Watch implements sdk.HostData.
func (f Finder) Watch(ctx context.Context, topics []string) (<-chan []string, error) {
	return f.R.watch(ctx, topics), nil
}

// Capture implements sdk.HostData: the message is kept in the database.
func (f Finder) Capture(ctx context.Context, c *sdk.Captured) (string, error) {
	if !knownProtocol(c.Protocol) {
		return "", fmt.Errorf("unknown protocol %q", c.Protocol)
	}
	ns := c.Namespace
	if ns == "" {
		ns = model.DefaultNamespace
	}
	summary := string(c.Summary)
	if summary == "" {
		summary = "{}"
	} else if !json.Valid(c.Summary) {
		return "", fmt.Errorf("capture summary is not JSON")
	}
	row := &store.CaptureRow{Protocol: c.Protocol, Namespace: ns, ServerName: c.ServerName, MockID: c.MockID,
		Summary: summary, Raw: c.Raw, CreatedMs: time.Now().UnixMilli()}
	if err := f.R.st.AddCapture(ctx, row); err != nil {
		return "", err
	}
	return row.ID, nil
}
