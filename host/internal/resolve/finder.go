package resolve

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/mockarty-oss/mockarty/host/internal/jpath"
	"github.com/mockarty-oss/mockarty/host/internal/model"
	"github.com/mockarty-oss/mockarty/host/internal/store"
	"github.com/mockarty-oss/mockarty/sdk"
	"github.com/mockarty-oss/mockarty/sdk/find"
	"github.com/mockarty-oss/mockarty/sdk/pluginhost"
)

// Finder serves the plugins' Find calls (pluginhost.Finder): the same
// bodies as POST /mock/find<Protocol>, decoded, resolved and encoded here.
type Finder struct{ R *Resolver }

var (
	_ pluginhost.Finder     = Finder{}
	_ pluginhost.HTTPFinder = Finder{}
)

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

// Find implements pluginhost.Finder.
func (f Finder) Find(_ context.Context, protocol string, body []byte) (bool, []byte, []byte, error) {
	// A body past MAX_BODY_DEPTH is refused before it is decoded; the
	// plugin's caller learns why (the host answers InvalidArgument).
	if err := jpath.CheckDepth(body); err != nil {
		return false, nil, nil, refuse(protocol, err)
	}
	var (
		out any
		nm  *NearMiss
		err error
	)
	switch protocol {
	case model.ProtoHTTP:
		// The HTTP body travels inside the find request as a JSON string
		// (or base64), where the check above does not see its brackets: it
		// is checked as the typed path checks it.
		var req find.HTTPRequest
		if err = json.Unmarshal(body, &req); err == nil {
			if err := jpath.CheckDepth(req.RawBody()); err != nil {
				return false, nil, nil, refuse(protocol, err)
			}
			if fe := CheckFind(&req); fe != nil {
				return false, nil, nil, refuse(protocol, fe)
			}
			out, nm = f.R.FindHTTP(&req)
		}
	case model.ProtoGRPC:
		out, nm, err = decodeFind(body, f.R.FindGRPC)
	case model.ProtoSocket:
		out, nm, err = decodeFind(body, f.R.FindSocket)
	case model.ProtoKafka:
		out, nm, err = decodeFind(body, f.R.FindKafka)
	case model.ProtoRabbitMQ:
		out, nm, err = decodeFind(body, f.R.FindRabbitMQ)
	case model.ProtoSMTP:
		out, nm, err = decodeFind(body, f.R.FindSMTP)
	case model.ProtoSOAP:
		out, nm, err = decodeFind(body, f.R.FindSOAP)
	case model.ProtoMCP:
		out, nm, err = decodeFind(body, f.R.FindMCP)
	case model.ProtoGraphQL:
		out, nm, err = decodeFind(body, f.R.FindGraphQL)
	case model.ProtoSSE:
		out, nm, err = decodeFind(body, f.R.FindSSE)
	default:
		return false, nil, nil, &refusedInput{err: fmt.Errorf("unknown protocol %q", protocol), kind: sdk.ErrInvalidInput}
	}
	if err != nil {
		return false, nil, nil, refuse(protocol, err)
	}
	if nm.NotSaved() {
		return false, nil, nil, errors.New(nm.Error)
	}
	if nm != nil {
		near, err := json.Marshal(nm.Public()) // plugins show it to callers
		return false, nil, near, err
	}
	resp, err := json.Marshal(out)
	return true, resp, nil, err
}

func decodeFind[Req, Resp any](body []byte, fn func(*Req) (*Resp, *NearMiss)) (any, *NearMiss, error) {
	var req Req
	if err := json.Unmarshal(body, &req); err != nil {
		return nil, nil, err
	}
	if fe := CheckFind(&req); fe != nil {
		return nil, nil, fe
	}
	out, nm := fn(&req)
	return out, nm, nil
}

// FindHTTP implements pluginhost.HTTPFinder: the plugins' typed path for
// HTTP. A miss is an *sdk.NoMatch.
func (f Finder) FindHTTP(_ context.Context, req *find.HTTPRequest) (*find.HTTPResponse, error) {
	if err := jpath.CheckDepth(req.RawBody()); err != nil {
		return nil, refuse(model.ProtoHTTP, err)
	}
	if fe := CheckFind(req); fe != nil {
		return nil, refuse(model.ProtoHTTP, fe)
	}
	resp, nm := f.R.FindHTTP(req)
	if nm == nil {
		return resp, nil
	}
	if nm.NotSaved() {
		return nil, errors.New(nm.Error)
	}
	cands, err := json.Marshal(PublicCandidates(nm.Candidates)) // plugins show it to callers
	if err != nil {
		return nil, err
	}
	return nil, &sdk.NoMatch{Message: nm.Error, Code: nm.Code, Namespace: nm.Namespace, Method: nm.Method,
		Path: nm.Path, Candidates: cands}
}

// FindHTTP resolves an HTTP request described by the find contract.
func (r *Resolver) FindHTTP(req *find.HTTPRequest) (*find.HTTPResponse, *NearMiss) {
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
		Query: query, Header: headers, Body: req.RawBody()})
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
// the index (what is served), as the API's JSON.
func (f Finder) ListMocks(_ context.Context, protocol, namespace string) ([]json.RawMessage, error) {
	if !knownProtocol(protocol) {
		return nil, fmt.Errorf("unknown protocol %q", protocol)
	}
	var out []json.RawMessage
	for _, e := range f.R.Index.Entries() {
		m := e.Mock
		if m.Protocol() != protocol || (namespace != "" && m.Namespace != namespace) {
			continue
		}
		b, err := json.Marshal(m)
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
