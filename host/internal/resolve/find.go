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
	"github.com/mockarty-oss/mockarty/sdk/find"
)

// keyedQuery is a request of a protocol that is looked up by key.
type keyedQuery struct {
	proto      string
	namespace  string
	serverName string
	keys       []string // tried in order
	// inputs are what the condition lists read; the one named bodyList
	// reads the body too, which it gets on first use.
	inputs   map[string]*match.Input
	bodyList string
	// data is the request's JSON payload, decoded only when a condition,
	// a template or an extract reads the body (see body); bodyFn makes the
	// body instead for a request that is no one payload.
	data     json.RawMessage
	bodyFn   func() any
	decoded  any
	bodyDone bool
	headers  map[string][]string
	// undefined describes the request when no mock matches.
	undefined store.UndefinedRequest
	// skipFn, when set, says why a mock cannot answer this request ("": it can).
	skipFn func(m *model.Mock) string
	// compete is how many of the first keys are looked up together: their
	// candidates compete in one list, in the index's order (priority first).
	compete int
	// cacheable: see selection.cacheable.
	cacheable *bool
}

// body is the request's body as conditions and templates read it.
func (q *keyedQuery) body() any {
	if !q.bodyDone {
		if q.bodyFn != nil {
			q.decoded = q.bodyFn()
		} else {
			q.decoded = bodyOf(q.data)
		}
		q.bodyDone = true
	}
	return q.decoded
}

func (q *keyedQuery) skip(e *match.Entry) string {
	if q.skipFn == nil {
		return ""
	}
	return q.skipFn(e.Mock)
}

func (q *keyedQuery) input(list string) *match.Input {
	in := q.inputs[list]
	if list == q.bodyList {
		if in == nil {
			in = &match.Input{}
			q.inputs[list] = in
		}
		if in.Body == nil {
			in.Body = q.body()
		}
	}
	return in
}

func (q *keyedQuery) templateData() *render.Data {
	return &render.Data{Body: q.body(), Headers: q.headers}
}

// keyedLog is a keyed call as its request log shows it, encoded at the
// journal's flush.
type keyedLog struct {
	q       *keyedQuery
	status  int
	payload json.RawMessage
}

func (l *keyedLog) MarshalJSON() ([]byte, error) {
	q := l.q
	var body any = q.data
	switch {
	case q.bodyDone:
		body = q.decoded
	case q.bodyFn != nil:
		body = q.bodyFn()
	case len(q.data) == 0:
		body = nil
	}
	return json.Marshal(map[string]any{"protocol": q.proto, "keys": q.keys, "body": body, "header": q.headers})
}

type keyedLogResponse struct {
	Status  int             `json:"statusCode"`
	Payload json.RawMessage `json:"payload"`
}

func (q *keyedQuery) logCall(l *logRing, limit int, now int64, a *answer) {
	if limit <= 0 {
		return
	}
	l.addValues(limit, now, &keyedLog{q: q}, keyedLogResponse{Status: a.out.Status, Payload: a.raw()})
}

// raw is the rendered payload as JSON: the renderer's bytes as they are
// for a JSON document (its keys keep the mock's order, which an XML
// sequence or a reader of the message may need), a JSON string for text.
func (a *answer) raw() json.RawMessage {
	switch {
	case len(a.out.Body) == 0:
		return nil
	case a.out.IsText:
		return rawOf(string(a.out.Body))
	}
	return a.out.Body
}

// candidates are the candidates of a keyed request, best first: the
// compete keys' together, then each other key's, each mock once.
func (r *Resolver) candidates(q *keyedQuery) []match.Hit {
	n := min(q.compete, len(q.keys))
	var hits []match.Hit
	var seen map[*match.Entry]bool // only when a mock may be under two keys
	if len(q.keys)-n > 1 || (n > 0 && len(q.keys) > n) {
		seen = map[*match.Entry]bool{}
	}
	add := func(list []*match.Entry) {
		for _, e := range list {
			if seen == nil || !seen[e] {
				if seen != nil {
					seen[e] = true
				}
				hits = append(hits, match.Hit{Entry: e})
			}
		}
	}
	if n > 0 {
		add(r.Index.LookupKeys(q.namespace, q.proto, q.keys[:n]...))
	}
	for _, key := range q.keys[n:] {
		add(r.Index.LookupKey(q.namespace, q.proto, key))
	}
	return hits
}

// findKeyed runs the selection step for a keyed protocol. The answer is
// the caller's to release once its reply is built.
func (r *Resolver) findKeyed(q *keyedQuery) (*answer, *NearMiss) {
	start := time.Now()
	now := start.UnixMilli()
	if q.namespace == "" {
		q.namespace = model.DefaultNamespace
	}
	s := selection{proto: q.proto, namespace: q.namespace, path: q.undefined.Path, server: q.serverName,
		servers: r.serverSet(q.proto), req: q, cacheable: q.cacheable}
	hits := r.candidates(q)
	i, near, _ := s.choose(hits, now, r.FileReader(q))
	if i < 0 {
		u := q.undefined
		if u.Body == "" {
			if len(q.data) > 0 {
				u.Body = string(q.data)
			} else if b := q.body(); b != nil {
				raw, _ := json.Marshal(b)
				u.Body = string(raw)
			}
		}
		u.Headers = headersJSON(q.headers)
		nm := r.miss(&s, u, "no "+q.proto+" mock matches "+u.Path, near)
		r.Metrics.Resolved(q.proto, r.metricNamespace(q.namespace), false, start)
		return nil, nm
	}
	e := hits[i].Entry
	d := render.Data{Headers: q.headers, Namespace: q.namespace}
	if c, _ := e.Compiled.(*compiled); c == nil || c.needsRequest {
		d.Body = q.body()
	}
	a, nm := r.respond(&s, e, d, now, 0, nil)
	r.Metrics.Resolved(q.proto, r.metricNamespace(q.namespace), a != nil, start)
	return a, nm
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
func (r *Resolver) FindGRPC(req *find.GRPCRequest) (*find.GRPCResponse, *NearMiss) {
	return r.findGRPC(req, nil)
}

// findGRPC is FindGRPC telling cacheable whether the answer may be cached.
func (r *Resolver) findGRPC(req *find.GRPCRequest, cacheable *bool) (*find.GRPCResponse, *NearMiss) {
	meta := lowerMulti(req.Meta)
	f, nm := r.findKeyed(&keyedQuery{proto: model.ProtoGRPC, namespace: req.Namespace, serverName: req.ServerName, cacheable: cacheable,
		keys: []string{match.GRPCKey(req.Service, req.Method)}, data: req.Data, headers: meta, bodyList: match.ListConditions,
		inputs:    map[string]*match.Input{match.ListMeta: {Multi: meta}},
		undefined: store.UndefinedRequest{Method: "grpc", Path: "/" + req.Service + "/" + req.Method}})
	if nm != nil {
		return nil, nm
	}
	defer release(f)
	out := &find.GRPCResponse{Delay: f.out.Delay.Milliseconds(), Meta: firstValues(f.out.Headers)}
	if p := f.entry.Mock.Proxy; p != nil {
		out.Proxy = &find.ProxyTarget{Target: p.Target}
	}
	src := f.out.Response
	if src != nil && (src.Error != "" || src.StatusCode != 0 || len(src.ErrorDetails) > 0) {
		code := src.StatusCode
		if code == 0 {
			code = 2 // UNKNOWN: an error without a code
		}
		e := &find.GRPCError{Code: code, Message: src.Error}
		for _, d := range src.ErrorDetails {
			e.Details = append(e.Details, find.ErrorDetails{Type: d.Type, Details: d.Details})
		}
		out.Error = e
		return out, nil
	}
	mt := f.entry.Mock.GRPC.MethodType
	if mt == "server-stream" || mt == "bidirectional" {
		if list, ok := f.valueOf().([]any); ok {
			for _, item := range list {
				out.StreamResponses = append(out.StreamResponses, rawOf(item))
			}
			return out, nil
		}
	}
	out.Data = f.raw()
	return out, nil
}

// FindSocket resolves a WebSocket/TCP/UDP message (POST /mock/findSocket).
func (r *Resolver) FindSocket(req *find.SocketRequest) (*find.SocketResponse, *NearMiss) {
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
		keys: []string{req.Event}, data: req.Data, skipFn: skip, bodyList: match.ListConditions,
		inputs:    map[string]*match.Input{},
		undefined: store.UndefinedRequest{Method: "socket", Path: server + "/" + req.Event}})
	if nm != nil {
		return nil, nm
	}
	defer release(f)
	out := &find.SocketResponse{Data: f.raw(), Delay: f.out.Delay.Milliseconds()}
	if p := f.entry.Mock.Proxy; p != nil {
		out.Proxy = &find.ProxyTarget{Target: p.Target}
	}
	if src := f.out.Response; src != nil && src.Error != "" {
		out.Error = &find.GRPCError{Code: src.StatusCode, Message: src.Error}
	}
	return out, nil
}

// FindKafka resolves a Kafka message (POST /mock/findKafka).
func (r *Resolver) FindKafka(req *find.KafkaRequest) (*find.KafkaResponse, *NearMiss) {
	return r.findKafka(req, nil)
}

// findKafka is FindKafka telling cacheable whether the answer may be cached.
func (r *Resolver) findKafka(req *find.KafkaRequest, cacheable *bool) (*find.KafkaResponse, *NearMiss) {
	headers := singleToMulti(req.Headers)
	f, nm := r.findKeyed(&keyedQuery{proto: model.ProtoKafka, namespace: req.Namespace, serverName: req.ServerName, cacheable: cacheable,
		keys: []string{req.Topic}, data: req.Data, headers: headers, bodyList: match.ListConditions,
		inputs:    map[string]*match.Input{match.ListHeaders: {Multi: headers}},
		undefined: store.UndefinedRequest{Method: "consume", Path: req.Topic}})
	if nm != nil {
		return nil, nm
	}
	defer release(f)
	k := f.entry.Mock.Kafka
	out := &find.KafkaResponse{MockID: f.entry.Mock.ID, Data: f.raw(), Delay: f.out.Delay.Milliseconds(),
		OutputMessageHeaders: firstValues(f.out.Headers)}
	out.OutputTopic, out.OutputBrokers = k.OutputTopic, k.OutputBrokers
	if c, _ := f.entry.Compiled.(*compiled); c != nil && c.kafka != nil {
		// The same data as the payload: the stores as this message's
		// extract left them, and the rendered response.
		d := &f.d
		d.Response = f.valueOf()
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
	if src := f.out.Response; src != nil && src.Error != "" {
		out.Error = &find.MessagingError{Message: src.Error}
	}
	return out, nil
}

// FindRabbitMQ resolves an AMQP message (POST /mock/findRabbitMQ).
func (r *Resolver) FindRabbitMQ(req *find.RabbitMQRequest) (*find.RabbitMQResponse, *NearMiss) {
	headers := singleToMulti(req.Headers)
	keys := match.RabbitMQKeys(req.Queue, req.Exchange, req.RoutingKey)
	path := req.Queue
	if path == "" {
		path = req.Exchange + "/" + req.RoutingKey
	}
	f, nm := r.findKeyed(&keyedQuery{proto: model.ProtoRabbitMQ, namespace: req.Namespace, serverName: req.ServerName,
		keys: keys, data: req.Data, headers: headers, bodyList: match.ListConditions,
		inputs:    map[string]*match.Input{match.ListHeaders: {Multi: headers}},
		undefined: store.UndefinedRequest{Method: "consume", Path: path}})
	if nm != nil {
		return nil, nm
	}
	defer release(f)
	rc := f.entry.Mock.RabbitMQ
	out := &find.RabbitMQResponse{MockID: f.entry.Mock.ID, Data: f.raw(), Delay: f.out.Delay.Milliseconds(),
		OutputHeaders: firstValues(f.out.Headers), OutputURL: rc.OutputURL, OutputExchange: rc.OutputExchange,
		OutputRoutingKey: rc.OutputRoutingKey, OutputQueue: rc.OutputQueue}
	if p := rc.OutputProps; p != nil {
		props := *p // the mock's stays its own
		out.OutputProps = &props
	}
	if src := f.out.Response; src != nil && src.Error != "" {
		out.Error = &find.MessagingError{Message: src.Error}
	}
	return out, nil
}

// FindSMTP decides whether to accept a mail (POST /mock/findSmtp).
func (r *Resolver) FindSMTP(req *find.SMTPRequest) (*find.SMTPResponse, *NearMiss) {
	headers := singleToMulti(req.Headers)
	body := func() any {
		to := make([]any, len(req.To))
		for i, t := range req.To {
			to[i] = t
		}
		return map[string]any{"from": req.From, "subject": req.Subject, "body": req.Body, "to": to}
	}
	f, nm := r.findKeyed(&keyedQuery{proto: model.ProtoSMTP, namespace: req.Namespace, serverName: req.ServerName,
		keys: []string{match.MailKey}, bodyFn: body, headers: headers,
		inputs: map[string]*match.Input{
			match.ListSender:           {Text: req.From},
			match.ListRecipient:        {List: req.To},
			match.ListSubject:          {Text: req.Subject},
			match.ListBody:             {Text: req.Body},
			match.ListHeaderConditions: {Multi: headers},
		},
		undefined: store.UndefinedRequest{Method: "MAIL", Path: req.ServerName, Body: req.Subject}})
	if nm != nil {
		return &find.SMTPResponse{Found: false, StatusCode: 550, StatusMessage: nm.Error}, nm
	}
	defer release(f)
	code := f.out.Status
	if code == 0 {
		code = 250
	}
	msg := ""
	value := f.valueOf()
	if s, ok := value.(string); ok {
		msg = s
	} else if m, ok := value.(map[string]any); ok {
		if s, ok := m["message"].(string); ok {
			msg = s
		}
	}
	if src := f.out.Response; src != nil && src.Error != "" {
		msg = src.Error
	}
	if msg == "" && code < 400 {
		msg = "OK"
	}
	store := false
	if m, ok := value.(map[string]any); ok {
		store, _ = m["storeEmail"].(bool)
	}
	return &find.SMTPResponse{Found: true, MockID: f.entry.Mock.ID, StatusCode: code, StatusMessage: msg,
		AcceptMail: code < 400, StoreEmail: store, Headers: firstValues(f.out.Headers),
		Delay: f.out.Delay.Milliseconds()}, nil
}
