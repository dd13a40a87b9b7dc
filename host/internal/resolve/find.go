package resolve

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/mockarty-oss/mockarty/host/internal/jpath"
	"github.com/mockarty-oss/mockarty/host/internal/match"
	"github.com/mockarty-oss/mockarty/host/internal/model"
	"github.com/mockarty-oss/mockarty/host/internal/render"
	"github.com/mockarty-oss/mockarty/host/internal/store"
	"github.com/mockarty-oss/mockarty/sdk"
)

// keyedQuery is a request of a protocol that is looked up by key.
type keyedQuery struct {
	proto      string
	namespace  string
	serverName string
	keys       []string // tried in order
	inputs     map[string]*match.Input
	body       any
	headers    map[string][]string
	undefined  store.UndefinedRequest
	// skip, when set, says why a mock cannot answer this request ("": it can).
	skip func(m *model.Mock) string
	// compete is how many of the first keys are looked up together: their
	// candidates compete in one list, in the index's order (priority first).
	compete int
}

// Found is a matched mock with its rendered response.
type Found struct {
	Entry    *match.Entry
	Rendered *Rendered
	Value    any // the payload as a value (JSON documents), or the text
	// Data is what the response was rendered with: its stores are the view
	// the mock's extract wrote to, so outputs rendered later see the same.
	Data *render.Data
}

// raw is the rendered payload as JSON: the renderer's bytes as they are
// for a JSON document (its keys keep the mock's order, which an XML
// sequence or a reader of the message may need), a JSON string for text.
func (f *Found) raw() json.RawMessage {
	switch {
	case f.Value == nil:
		return nil
	case f.Rendered.IsText:
		return rawOf(f.Value)
	}
	return f.Rendered.Body
}

// candidates are the lists of mocks tried in turn: the compete keys'
// together, then each other key's.
func (r *Resolver) candidates(q *keyedQuery) [][]*match.Entry {
	n := min(q.compete, len(q.keys))
	out := make([][]*match.Entry, 0, len(q.keys)-n+1)
	if n > 0 {
		out = append(out, r.Index.LookupKeys(q.namespace, q.proto, q.keys[:n]...))
	}
	for _, key := range q.keys[n:] {
		out = append(out, r.Index.LookupKey(q.namespace, q.proto, key))
	}
	return out
}

// findKeyed runs the shared pipeline for keyed protocols.
func (r *Resolver) findKeyed(q *keyedQuery) (*Found, *NearMiss) {
	start := time.Now()
	f, nm := r.findKeyedAt(q, start.UnixMilli())
	r.Metrics.Resolved(q.proto, r.metricNamespace(q.namespace), f != nil, start)
	return f, nm
}

func (r *Resolver) findKeyedAt(q *keyedQuery, now int64) (*Found, *NearMiss) {
	if q.namespace == "" {
		q.namespace = model.DefaultNamespace
	}
	var near []Candidate
	files := r.FileReader(q)
	servers := r.serverSet(q.proto)
	seen := map[*match.Entry]bool{}
	for _, cands := range r.candidates(q) {
		for _, e := range cands {
			if seen[e] {
				continue
			}
			seen[e] = true
			m := e.Mock
			cand := Candidate{MockID: m.ID}
			if ok, why := servers.Serves(q.namespace, q.serverName, mockServer(m)); !ok {
				cand.Reason = why
				near = append(near, cand)
				continue
			}
			if q.skip != nil {
				if cand.Reason = q.skip(m); cand.Reason != "" {
					near = append(near, cand)
					continue
				}
			}
			if cand.Reason = passOver(e, now); cand.Reason != "" {
				near = append(near, cand)
				continue
			}
			failed := false
			for _, list := range sortedLists(e) {
				in := q.inputs[list]
				if in == nil {
					in = &match.Input{}
				}
				if ok, f := match.CheckAll(e.Lists[list], in, files, m.Namespace); !ok {
					cand.Reason, cand.Failure, cand.Where = "condition failed", f, list
					failed = true
					break
				}
			}
			if failed {
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
			d := &render.Data{Body: q.body, Headers: q.headers, Namespace: q.namespace, Stores: v}
			r.extract(e, d, v)
			out := r.renderResponse(e, pick(e), d)
			if err := v.settle(); err != nil {
				return nil, notSaved(q.namespace, q.undefined.Path, err)
			}
			var val any
			if len(out.Body) > 0 {
				if out.IsText {
					val = string(out.Body)
				} else if dv, err := decodeExact(out.Body); err == nil {
					val = dv
				}
			}
			if len(m.Webhooks) > 0 {
				d.Response = val
				r.fireWebhooks(m, d, out.Error != "" || out.Status >= 400)
			}
			r.journal.logCall(m.ID, map[string]any{"protocol": q.proto, "keys": q.keys, "body": q.body, "header": q.headers}, map[string]any{"statusCode": out.Status, "payload": val})
			return &Found{Entry: e, Rendered: out, Value: val, Data: d}, nil
		}
	}
	u := q.undefined
	u.Namespace, u.Protocol = q.namespace, q.proto
	if u.Body == "" && q.body != nil {
		b, _ := json.Marshal(q.body)
		u.Body = string(b)
	}
	u.Headers = headersJSON(q.headers)
	r.journal.recordUndefined(u)
	return nil, newNearMiss("no "+q.proto+" mock matches "+u.Path, q.namespace, u.Method, u.Path, near)
}

func sortedLists(e *match.Entry) []string {
	var out []string
	for _, k := range match.ListOrder {
		if len(e.Lists[k]) > 0 {
			out = append(out, k)
		}
	}
	return out
}

func lowerMulti(h map[string][]string) map[string][]string {
	out := make(map[string][]string, len(h))
	for k, v := range h {
		out[strings.ToLower(k)] = v
	}
	return out
}

func singleToMulti(h map[string]string) map[string][]string {
	out := make(map[string][]string, len(h))
	for k, v := range h {
		out[strings.ToLower(k)] = []string{v}
	}
	return out
}

// bodyOf decodes the data of a find request. The request itself was
// checked against MAX_BODY_DEPTH where it came in; a JSON string holding a
// deeper document stays a string.
func bodyOf(raw json.RawMessage) any {
	if len(raw) == 0 {
		return nil
	}
	if jpath.CheckDepth(raw) != nil {
		return string(raw)
	}
	v, err := decodeExact(raw)
	if err != nil {
		return string(raw)
	}
	if s, ok := v.(string); ok && jpath.CheckDepth([]byte(s)) == nil {
		// A JSON string holding JSON (a serialised message) is matched as that document.
		if dv, err := decodeExact([]byte(s)); err == nil {
			if _, isStr := dv.(string); !isStr {
				return dv
			}
		}
	}
	return v
}

func rawOf(v any) json.RawMessage {
	if v == nil {
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	return b
}

func firstValues(h map[string][]string) map[string]string {
	if len(h) == 0 {
		return nil
	}
	out := make(map[string]string, len(h))
	for k, v := range h {
		if len(v) > 0 {
			out[k] = v[0]
		}
	}
	return out
}

// FindGRPC resolves a gRPC call (POST /mock/findGrpc).
func (r *Resolver) FindGRPC(req *sdk.FindGRPCRequest) (*sdk.FindGRPCResponse, *NearMiss) {
	body := bodyOf(req.Data)
	meta := lowerMulti(req.Meta)
	f, nm := r.findKeyed(&keyedQuery{proto: model.ProtoGRPC, namespace: req.Namespace, serverName: req.ServerName,
		keys: []string{match.GRPCKey(req.Service, req.Method)}, body: body, headers: meta,
		inputs:    map[string]*match.Input{match.ListConditions: {Body: body}, match.ListMeta: {Multi: meta}},
		undefined: store.UndefinedRequest{Method: "grpc", Path: "/" + req.Service + "/" + req.Method}})
	if nm != nil {
		return nil, nm
	}
	out := &sdk.FindGRPCResponse{Delay: f.Rendered.Delay.Milliseconds(), Meta: firstValues(f.Rendered.Headers)}
	if p := f.Entry.Mock.Proxy; p != nil {
		out.Proxy = &sdk.ProxyTarget{Target: p.Target}
	}
	src := f.Rendered.Response
	if src != nil && (src.Error != "" || src.StatusCode != 0 || len(src.ErrorDetails) > 0) {
		code := src.StatusCode
		if code == 0 {
			code = 2 // UNKNOWN: an error without a code
		}
		e := &sdk.GRPCError{Code: code, Message: src.Error}
		for _, d := range src.ErrorDetails {
			e.Details = append(e.Details, sdk.ErrorDetails{Type: d.Type, Details: d.Details})
		}
		out.Error = e
		return out, nil
	}
	mt := f.Entry.Mock.GRPC.MethodType
	if list, ok := f.Value.([]any); ok && (mt == "server-stream" || mt == "bidirectional") {
		for _, item := range list {
			out.StreamResponses = append(out.StreamResponses, rawOf(item))
		}
		return out, nil
	}
	out.Data = rawOf(f.Value)
	return out, nil
}

// FindSocket resolves a WebSocket/TCP/UDP message (POST /mock/findSocket).
func (r *Resolver) FindSocket(req *sdk.FindSocketRequest) (*sdk.FindSocketResponse, *NearMiss) {
	body := bodyOf(req.Data)
	server := req.MockServerName
	if server == "" {
		server = req.ServerName
	}
	var skip func(m *model.Mock) string
	if req.SocketType != "" {
		skip = func(m *model.Mock) string {
			if t := m.Socket.SocketType; t != "" && !strings.EqualFold(t, req.SocketType) {
				return "socketType " + t + " does not match " + req.SocketType
			}
			return ""
		}
	}
	f, nm := r.findKeyed(&keyedQuery{proto: model.ProtoSocket, namespace: req.Namespace, serverName: server,
		keys: []string{req.Event}, body: body, skip: skip,
		inputs:    map[string]*match.Input{match.ListConditions: {Body: body}},
		undefined: store.UndefinedRequest{Method: "socket", Path: server + "/" + req.Event}})
	if nm != nil {
		return nil, nm
	}
	out := &sdk.FindSocketResponse{Data: f.raw(), Delay: f.Rendered.Delay.Milliseconds()}
	if p := f.Entry.Mock.Proxy; p != nil {
		out.Proxy = &sdk.ProxyTarget{Target: p.Target}
	}
	if src := f.Rendered.Response; src != nil && src.Error != "" {
		out.Error = &sdk.GRPCError{Code: src.StatusCode, Message: src.Error}
	}
	return out, nil
}

// FindKafka resolves a Kafka message (POST /mock/findKafka).
func (r *Resolver) FindKafka(req *sdk.FindKafkaRequest) (*sdk.FindKafkaResponse, *NearMiss) {
	body := bodyOf(req.Data)
	headers := singleToMulti(req.Headers)
	f, nm := r.findKeyed(&keyedQuery{proto: model.ProtoKafka, namespace: req.Namespace, serverName: req.ServerName,
		keys: []string{req.Topic}, body: body, headers: headers,
		inputs:    map[string]*match.Input{match.ListConditions: {Body: body}, match.ListHeaders: {Multi: headers}},
		undefined: store.UndefinedRequest{Method: "consume", Path: req.Topic}})
	if nm != nil {
		return nil, nm
	}
	k := f.Entry.Mock.Kafka
	out := &sdk.FindKafkaResponse{MockID: f.Entry.Mock.ID, Data: f.raw(), Delay: f.Rendered.Delay.Milliseconds(),
		OutputMessageHeaders: firstValues(f.Rendered.Headers)}
	out.OutputTopic, out.OutputBrokers = k.OutputTopic, k.OutputBrokers
	if c, _ := f.Entry.Compiled.(*compiled); c != nil && c.kafka != nil {
		// The same data as the payload: the stores as this message's
		// extract left them, and the rendered response.
		d := f.Data
		d.Response = f.Value
		if c.kafka.key != nil {
			out.OutputKey = c.kafka.key.render(d)
		}
		if len(c.kafka.headers) > 0 {
			out.OutputHeaders = make(map[string]string, len(c.kafka.headers))
			for name, t := range c.kafka.headers {
				out.OutputHeaders[name] = t.render(d)
			}
		}
	}
	if src := f.Rendered.Response; src != nil && src.Error != "" {
		out.Error = &sdk.MessagingError{Message: src.Error}
	}
	return out, nil
}

// FindRabbitMQ resolves an AMQP message (POST /mock/findRabbitMQ).
func (r *Resolver) FindRabbitMQ(req *sdk.FindRabbitMQRequest) (*sdk.FindRabbitMQResponse, *NearMiss) {
	body := bodyOf(req.Data)
	headers := singleToMulti(req.Headers)
	keys := match.RabbitMQKeys(req.Queue, req.Exchange, req.RoutingKey)
	path := req.Queue
	if path == "" {
		path = req.Exchange + "/" + req.RoutingKey
	}
	f, nm := r.findKeyed(&keyedQuery{proto: model.ProtoRabbitMQ, namespace: req.Namespace, serverName: req.ServerName,
		keys: keys, body: body, headers: headers,
		inputs:    map[string]*match.Input{match.ListConditions: {Body: body}, match.ListHeaders: {Multi: headers}},
		undefined: store.UndefinedRequest{Method: "consume", Path: path}})
	if nm != nil {
		return nil, nm
	}
	out := &sdk.FindRabbitMQResponse{MockID: f.Entry.Mock.ID, Data: f.raw(), Delay: f.Rendered.Delay.Milliseconds(),
		OutputHeaders: firstValues(f.Rendered.Headers)}
	if p := f.Entry.Mock.RabbitMQ.OutputProps; p != nil {
		out.OutputProps = &sdk.RabbitMQOutputProps{DeliveryMode: p.DeliveryMode, CorrelationID: p.CorrelationID, ReplyTo: p.ReplyTo,
			ContentType: p.ContentType, Priority: p.Priority, MessageID: p.MessageID, Type: p.Type, AppID: p.AppID}
	}
	if src := f.Rendered.Response; src != nil && src.Error != "" {
		out.Error = &sdk.MessagingError{Message: src.Error}
	}
	return out, nil
}

// FindSMTP decides whether to accept a mail (POST /mock/findSmtp).
func (r *Resolver) FindSMTP(req *sdk.FindSMTPRequest) (*sdk.FindSMTPResponse, *NearMiss) {
	headers := singleToMulti(req.Headers)
	body := map[string]any{"from": req.From, "subject": req.Subject, "body": req.Body}
	to := make([]any, len(req.To))
	for i, t := range req.To {
		to[i] = t
	}
	body["to"] = to
	f, nm := r.findKeyed(&keyedQuery{proto: model.ProtoSMTP, namespace: req.Namespace, serverName: req.ServerName,
		keys: []string{match.MailKey}, body: body, headers: headers,
		inputs: map[string]*match.Input{
			match.ListSender:           {Text: req.From},
			match.ListRecipient:        {List: req.To},
			match.ListSubject:          {Text: req.Subject},
			match.ListBody:             {Text: req.Body},
			match.ListHeaderConditions: {Multi: headers},
		},
		undefined: store.UndefinedRequest{Method: "MAIL", Path: req.ServerName, Body: req.Subject}})
	if nm != nil {
		return &sdk.FindSMTPResponse{Found: false, StatusCode: 550, StatusMessage: nm.Error}, nm
	}
	code := f.Rendered.Status
	if code == 0 {
		code = 250
	}
	msg := ""
	if s, ok := f.Value.(string); ok {
		msg = s
	} else if m, ok := f.Value.(map[string]any); ok {
		if s, ok := m["message"].(string); ok {
			msg = s
		}
	}
	if src := f.Rendered.Response; src != nil && src.Error != "" {
		msg = src.Error
	}
	if msg == "" && code < 400 {
		msg = "OK"
	}
	store := false
	if m, ok := f.Value.(map[string]any); ok {
		store, _ = m["storeEmail"].(bool)
	}
	return &sdk.FindSMTPResponse{Found: true, MockID: f.Entry.Mock.ID, StatusCode: code, StatusMessage: msg,
		AcceptMail: code < 400, StoreEmail: store, Headers: firstValues(f.Rendered.Headers),
		Delay: f.Rendered.Delay.Milliseconds()}, nil
}
