package resolve

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/mockarty-oss/mockarty/host/internal/match"
	"github.com/mockarty-oss/mockarty/host/internal/model"
	"github.com/mockarty-oss/mockarty/host/internal/render"
	"github.com/mockarty-oss/mockarty/host/internal/store"
	"github.com/mockarty-oss/mockarty/sdk/find"
)

// FindSOAP resolves a SOAP request by SOAPAction, operation or path.
func (r *Resolver) FindSOAP(req *find.SOAPRequest) (*find.SOAPResponse, *NearMiss) {
	headers := lowerMulti(req.Headers)
	var keys []string
	if req.Action != "" {
		keys = append(keys, match.SOAPActionKey(req.Action))
	}
	if req.Operation != "" {
		keys = append(keys, match.SOAPMethodKey(req.Operation))
	}
	// Mocks found by SOAPAction and by operation compete by priority; one
	// with neither (found by its path) is tried after them.
	compete := len(keys)
	if req.Path != "" {
		keys = append(keys, match.SOAPPathKey(normalise(req.Path)))
	}
	f, nm := r.findKeyed(&keyedQuery{proto: model.ProtoSOAP, namespace: req.Namespace, serverName: req.ServerName, keys: keys, compete: compete,
		data: req.Data, headers: headers, bodyList: match.ListConditions,
		inputs:    map[string]*match.Input{match.ListConditions: {XML: &match.XMLDoc{Text: req.XML}}, match.ListHeader: {Multi: headers}},
		undefined: store.UndefinedRequest{Method: req.Action, Path: req.Path + "#" + req.Operation, Body: req.XML}})
	if nm != nil {
		return nil, nm
	}
	defer release(f)
	out := &find.SOAPResponse{MockID: f.entry.Mock.ID, StatusCode: f.out.Status, Headers: f.out.Headers,
		Data: f.raw(), Delay: f.out.Delay.Milliseconds()}
	if out.StatusCode == 0 {
		out.StatusCode = 200
	}
	if p := f.entry.Mock.Proxy; p != nil {
		out.Proxy = &find.ProxyTarget{Target: p.Target}
	}
	if src := f.out.Response; src != nil && src.SOAPFault != nil {
		sf := src.SOAPFault
		out.Fault = &find.SOAPFault{FaultCode: sf.FaultCode, FaultString: sf.FaultString, FaultActor: sf.FaultActor, Detail: sf.Detail, HTTPStatus: sf.HTTPStatus}
		if out.Fault.HTTPStatus == 0 {
			out.Fault.HTTPStatus = 500
		}
		out.StatusCode = out.Fault.HTTPStatus
	}
	return out, nil
}

// normalise makes a path comparable to an indexed one.
func normalise(p string) string {
	if p == "" || p[0] != '/' {
		p = "/" + p
	}
	for len(p) > 1 && p[len(p)-1] == '/' {
		p = p[:len(p)-1]
	}
	return p
}

// FindMCP resolves an MCP tools/call or resources/read.
func (r *Resolver) FindMCP(req *find.MCPRequest) (*find.MCPResponse, *NearMiss) {
	headers := lowerMulti(req.Headers)
	key, name := match.MCPToolKey(req.Tool), req.Tool
	switch {
	case req.Method == "resources/read" || (req.Tool == "" && req.Resource != ""):
		key, name = match.MCPResourceKey(req.Resource), req.Resource
	case req.Method == "prompts/get" || (req.Tool == "" && req.Prompt != ""):
		key, name = match.MCPPromptKey(req.Prompt), req.Prompt
	}
	f, nm := r.findKeyed(&keyedQuery{proto: model.ProtoMCP, namespace: req.Namespace, serverName: req.ServerName, keys: []string{key},
		data: req.Arguments, headers: headers, bodyList: match.ListConditions,
		inputs:    map[string]*match.Input{match.ListHeader: {Multi: headers}},
		undefined: store.UndefinedRequest{Method: req.Method, Path: name}})
	if nm != nil {
		return nil, nm
	}
	defer release(f)
	out := &find.MCPResponse{MockID: f.entry.Mock.ID, Result: f.raw(), Delay: f.out.Delay.Milliseconds()}
	if src := f.out.Response; src != nil {
		out.IsError = src.MCPIsError
	}
	return out, nil
}

// FindGraphQL resolves one root field of a GraphQL operation.
func (r *Resolver) FindGraphQL(req *find.GraphQLRequest) (*find.GraphQLResponse, *NearMiss) {
	op := req.Operation
	if op == "" {
		op = "query"
	}
	// Conditions read the arguments; $.variables.* reads the variables.
	doc := func() any {
		doc := map[string]any{}
		if m, ok := bodyOf(req.Arguments).(map[string]any); ok {
			for k, v := range m {
				doc[k] = v
			}
		}
		if vars := bodyOf(req.Variables); vars != nil {
			doc["variables"] = vars
		}
		return doc
	}
	headers := lowerMulti(req.Headers)
	var skip func(m *model.Mock) string
	if req.Path != "" {
		want := normalise(req.Path)
		skip = func(m *model.Mock) string {
			if p := match.GraphQLPath(m); p != want {
				return "served at " + p + ", not " + want
			}
			return ""
		}
	}
	f, nm := r.findKeyed(&keyedQuery{proto: model.ProtoGraphQL, namespace: req.Namespace, keys: []string{match.GraphQLKey(op, req.Field)},
		bodyFn: doc, headers: headers, skipFn: skip, bodyList: match.ListConditions,
		inputs:    map[string]*match.Input{match.ListHeader: {Multi: headers}},
		undefined: store.UndefinedRequest{Method: op, Path: req.Field}})
	if nm != nil {
		return nil, nm
	}
	defer release(f)
	out := &find.GraphQLResponse{MockID: f.entry.Mock.ID, Data: f.raw(), Delay: f.out.Delay.Milliseconds()}
	if src := f.out.Response; src != nil {
		for _, e := range src.GraphQLErrors {
			ge := find.GraphQLError{Message: e.Message}
			for _, p := range e.Path {
				var v any
				_ = json.Unmarshal(p, &v)
				ge.Path = append(ge.Path, v)
			}
			if len(e.Locations) > 0 {
				ge.Locations, _ = json.Marshal(e.Locations)
			}
			if len(e.Extensions) > 0 {
				ge.Extensions, _ = json.Marshal(e.Extensions)
			}
			out.Errors = append(out.Errors, ge)
		}
	}
	return out, nil
}

// sseQuery is an SSE request: its conditions read the query, its
// headerConditions the headers.
type sseQuery struct {
	req     *find.SSERequest
	headers map[string][]string
}

func (q *sseQuery) skip(*match.Entry) string { return "" }

func (q *sseQuery) input(list string) *match.Input {
	switch list {
	case match.ListConditions:
		return &match.Input{Multi: q.req.Query}
	case match.ListHeaderConditions:
		return &match.Input{Multi: q.headers}
	}
	return nil
}

func (q *sseQuery) templateData() *render.Data {
	return &render.Data{Headers: q.headers, Query: q.req.Query}
}

func (q *sseQuery) logCall(l *logRing, limit int, now int64, a *answer) {
	l.addValues(limit, now, map[string]any{"protocol": model.ProtoSSE, "url": q.req.Path, "queryParam": q.req.Query, "header": q.headers},
		map[string]any{"statusCode": a.out.Status})
}

// FindSSE resolves the event stream of a path.
func (r *Resolver) FindSSE(req *find.SSERequest) (*find.SSEResponse, *NearMiss) {
	start := time.Now()
	now := start.UnixMilli()
	ns := req.Namespace
	if ns == "" {
		ns = model.DefaultNamespace
	}
	q := &sseQuery{req: req, headers: lowerMulti(req.Headers)}
	s := selection{proto: model.ProtoSSE, namespace: ns, path: req.Path, req: q}
	hits := r.Index.LookupRoute(nil, ns, model.ProtoSSE, req.Path)
	i, near, _ := s.choose(hits, now, r.FileReader(q))
	if i < 0 {
		nm := r.miss(&s, store.UndefinedRequest{Method: "GET", Path: req.Path, Headers: headersJSON(q.headers)}, "no sse mock matches "+req.Path, near)
		r.Metrics.Resolved(model.ProtoSSE, r.metricNamespace(ns), false, start)
		return nil, nm
	}
	e := hits[i].Entry
	m := e.Mock
	d := render.Data{Headers: q.headers, Query: req.Query, PathParams: hits[i].Params(), Namespace: ns}
	var chain json.RawMessage
	f, nm := r.respond(&s, e, d, now, http.StatusOK, func(a *answer) {
		// The event chain, with the same data as the response.
		if a.cr != nil && a.cr.src.SSEEventChain != nil {
			chain = r.renderChain(m, a.cr, &a.d)
		}
	})
	r.Metrics.Resolved(model.ProtoSSE, r.metricNamespace(ns), f != nil, start)
	if nm != nil {
		return nil, nm
	}
	defer release(f)
	res := &find.SSEResponse{MockID: m.ID, StatusCode: f.out.Status, Headers: f.out.Headers, Delay: f.out.Delay.Milliseconds(),
		EventName: m.SSE.EventName}
	if len(f.out.Body) > 0 {
		if f.out.IsText {
			res.Data = rawOf(string(f.out.Body))
		} else {
			res.Data = f.out.Body
		}
	}
	res.EventChain = chain
	return res, nil
}

// renderChain renders the data of every event (templatePath files
// included) with the templates compiled when the mock was saved.
func (r *Resolver) renderChain(m *model.Mock, cr *compiledResponse, d *render.Data) json.RawMessage {
	c := cr.src.SSEEventChain
	chain := *c
	chain.Events = make([]model.SSEEvent, len(c.Events))
	for i, ev := range c.Events {
		switch t := cr.chain[i]; {
		case ev.TemplatePath != "":
			b, text, _ := r.renderTemplateFile(m.Namespace, ev.TemplatePath, d)
			if text {
				ev.Data = rawOf(string(b))
			} else {
				ev.Data = b
			}
		case t != nil && t.IsText():
			ev.Data = rawOf(string(t.Render(d)))
		case t != nil:
			ev.Data = t.Render(d)
		}
		chain.Events[i] = ev
	}
	b, _ := json.Marshal(chain)
	return b
}
