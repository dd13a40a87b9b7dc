package resolve

import (
	"encoding/json"
	"time"

	"github.com/mockarty-oss/mockarty/host/internal/match"
	"github.com/mockarty-oss/mockarty/host/internal/model"
	"github.com/mockarty-oss/mockarty/host/internal/render"
	"github.com/mockarty-oss/mockarty/host/internal/store"
	"github.com/mockarty-oss/mockarty/sdk"
)

// FindSOAP resolves a SOAP request by SOAPAction, operation or path.
func (r *Resolver) FindSOAP(req *sdk.FindSOAPRequest) (*sdk.FindSOAPResponse, *NearMiss) {
	body := bodyOf(req.Data)
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
		body: body, headers: headers,
		inputs:    map[string]*match.Input{match.ListConditions: {Body: body, XML: &match.XMLDoc{Text: req.XML}}, match.ListHeader: {Multi: headers}},
		undefined: store.UndefinedRequest{Method: req.Action, Path: req.Path + "#" + req.Operation, Body: req.XML}})
	if nm != nil {
		return nil, nm
	}
	out := &sdk.FindSOAPResponse{MockID: f.Entry.Mock.ID, StatusCode: f.Rendered.Status, Headers: f.Rendered.Headers,
		Data: f.raw(), Delay: f.Rendered.Delay.Milliseconds()}
	if out.StatusCode == 0 {
		out.StatusCode = 200
	}
	if p := f.Entry.Mock.Proxy; p != nil {
		out.Proxy = &sdk.ProxyTarget{Target: p.Target}
	}
	if src := f.Rendered.Response; src != nil && src.SOAPFault != nil {
		sf := src.SOAPFault
		out.Fault = &sdk.SOAPFault{FaultCode: sf.FaultCode, FaultString: sf.FaultString, FaultActor: sf.FaultActor, Detail: sf.Detail, HTTPStatus: sf.HTTPStatus}
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
func (r *Resolver) FindMCP(req *sdk.FindMCPRequest) (*sdk.FindMCPResponse, *NearMiss) {
	args := bodyOf(req.Arguments)
	headers := lowerMulti(req.Headers)
	key, name := match.MCPToolKey(req.Tool), req.Tool
	switch {
	case req.Method == "resources/read" || (req.Tool == "" && req.Resource != ""):
		key, name = match.MCPResourceKey(req.Resource), req.Resource
	case req.Method == "prompts/get" || (req.Tool == "" && req.Prompt != ""):
		key, name = match.MCPPromptKey(req.Prompt), req.Prompt
	}
	f, nm := r.findKeyed(&keyedQuery{proto: model.ProtoMCP, namespace: req.Namespace, serverName: req.ServerName, keys: []string{key},
		body: args, headers: headers,
		inputs:    map[string]*match.Input{match.ListConditions: {Body: args}, match.ListHeader: {Multi: headers}},
		undefined: store.UndefinedRequest{Method: req.Method, Path: name}})
	if nm != nil {
		return nil, nm
	}
	out := &sdk.FindMCPResponse{MockID: f.Entry.Mock.ID, Result: f.raw(), Delay: f.Rendered.Delay.Milliseconds()}
	if src := f.Rendered.Response; src != nil {
		out.IsError = src.MCPIsError
	}
	return out, nil
}

// FindGraphQL resolves one root field of a GraphQL operation.
func (r *Resolver) FindGraphQL(req *sdk.FindGraphQLRequest) (*sdk.FindGraphQLResponse, *NearMiss) {
	op := req.Operation
	if op == "" {
		op = "query"
	}
	args := bodyOf(req.Arguments)
	vars := bodyOf(req.Variables)
	// Conditions read the arguments; $.variables.* reads the variables.
	doc := map[string]any{}
	if m, ok := args.(map[string]any); ok {
		for k, v := range m {
			doc[k] = v
		}
	}
	if vars != nil {
		doc["variables"] = vars
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
		body: doc, headers: headers, skip: skip,
		inputs:    map[string]*match.Input{match.ListConditions: {Body: doc}, match.ListHeader: {Multi: headers}},
		undefined: store.UndefinedRequest{Method: op, Path: req.Field}})
	if nm != nil {
		return nil, nm
	}
	out := &sdk.FindGraphQLResponse{MockID: f.Entry.Mock.ID, Data: f.raw(), Delay: f.Rendered.Delay.Milliseconds()}
	if src := f.Rendered.Response; src != nil {
		for _, e := range src.GraphQLErrors {
			ge := sdk.GraphQLError{Message: e.Message}
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

// FindSSE resolves the event stream of a path.
func (r *Resolver) FindSSE(req *sdk.FindSSERequest) (*sdk.FindSSEResponse, *NearMiss) {
	start := time.Now()
	now := start.UnixMilli()
	ns := req.Namespace
	if ns == "" {
		ns = model.DefaultNamespace
	}
	headers := lowerMulti(req.Headers)
	files := r.FileReader(dataFunc(func() *render.Data { return &render.Data{Headers: headers, Query: req.Query} }))
	var near []Candidate
	hits := r.Index.LookupRoute(nil, ns, model.ProtoSSE, req.Path)
	for i := range hits {
		e := hits[i].Entry
		m := e.Mock
		cand := Candidate{MockID: m.ID, Route: e.Route()}
		if cand.Reason = passOver(e, now); cand.Reason != "" {
			near = append(near, cand)
			continue
		}
		if ok, f := match.CheckAll(e.Lists[match.ListConditions], &match.Input{Multi: req.Query}, files, ns); !ok {
			cand.Reason, cand.Failure, cand.Where = "condition failed", f, match.ListConditions
			near = append(near, cand)
			continue
		}
		if ok, f := match.CheckAll(e.Lists[match.ListHeaderConditions], &match.Input{Multi: headers}, files, ns); !ok {
			cand.Reason, cand.Failure, cand.Where = "condition failed", f, match.ListHeaderConditions
			near = append(near, cand)
			continue
		}
		if !e.TryUse(now) {
			cand.Reason = reasonLimit
			near = append(near, cand)
			continue
		}
		v := r.newView(m)
		r.used(e, v)
		d := &render.Data{Headers: headers, Query: req.Query, PathParams: hits[i].Params(), Namespace: ns, Stores: v}
		r.extract(e, d, v)
		cr := pick(e)
		out := r.renderResponse(e, cr, d)
		res := &sdk.FindSSEResponse{MockID: m.ID, StatusCode: out.Status, Headers: out.Headers, Delay: out.Delay.Milliseconds(),
			EventName: m.SSE.EventName}
		if res.StatusCode == 0 {
			res.StatusCode = 200
		}
		if len(out.Body) > 0 {
			if out.IsText {
				res.Data = rawOf(string(out.Body))
			} else {
				res.Data = out.Body
			}
		}
		if cr != nil && cr.src.SSEEventChain != nil {
			res.EventChain = r.renderChain(m, cr.src.SSEEventChain, d)
		}
		if err := v.settle(); err != nil {
			return nil, notSaved(ns, req.Path, err)
		}
		r.journal.logCall(m.ID, map[string]any{"protocol": model.ProtoSSE, "url": req.Path, "queryParam": req.Query, "header": headers},
			map[string]any{"statusCode": res.StatusCode})
		r.Metrics.Resolved(model.ProtoSSE, r.metricNamespace(ns), true, start)
		return res, nil
	}
	r.journal.recordUndefined(store.UndefinedRequest{Namespace: ns, Protocol: model.ProtoSSE, Method: "GET", Path: req.Path, Headers: headersJSON(headers)})
	r.Metrics.Resolved(model.ProtoSSE, r.metricNamespace(ns), false, start)
	return nil, newNearMiss("no sse mock matches "+req.Path, ns, "GET", req.Path, near)
}

// renderChain renders the data of every event (templatePath files included).
func (r *Resolver) renderChain(m *model.Mock, c *model.SSEEventChain, d *render.Data) json.RawMessage {
	chain := *c
	chain.Events = make([]model.SSEEvent, len(c.Events))
	for i, ev := range c.Events {
		switch {
		case ev.TemplatePath != "":
			b, text, _ := r.renderTemplateFile(m.Namespace, ev.TemplatePath, d)
			if text {
				ev.Data = rawOf(string(b))
			} else {
				ev.Data = b
			}
		case len(ev.Data) > 0:
			if t, err := render.CompileJSON(ev.Data); err == nil {
				if t.IsText() {
					ev.Data = rawOf(string(t.Render(d)))
				} else {
					ev.Data = t.Render(d)
				}
			}
		}
		chain.Events[i] = ev
	}
	b, _ := json.Marshal(chain)
	return b
}
