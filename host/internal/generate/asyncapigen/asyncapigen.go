// Package asyncapigen makes socket mocks (WebSocket, TCP, UDP) from an
// AsyncAPI description, 2.x or 3.x, JSON or YAML: one mock per message
// the server receives, keyed on the event the socket listener reads from
// it, answering with a sample of the server's reply. It also reads a
// plain event list, {"events": [{"event", "response"}]}.
//
// The description is taken as the server's (the application mocked):
// AsyncAPI 2's publish operations and 3's receive operations are what
// clients send it. A 2.x channel answers with its subscribe message, a
// 3.x operation with its reply.
package asyncapigen

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/mockarty-oss/mockarty/host/internal/generate"
	"github.com/mockarty-oss/mockarty/host/internal/model"
	"github.com/mockarty-oss/mockarty/host/internal/openapi"
)

// Input is what to generate from.
type Input struct {
	Namespace string
	// IDPrefix starts every mock id; default "socket-<namespace>", as mock
	// ids are unique across namespaces.
	IDPrefix string
	// ServerName is the socket.serverName of every mock: the socket
	// listener's server that answers them (empty: every server).
	ServerName string
	// EventField is the field of a JSON message that names its event, as
	// the socket listener is set up (default "event"; a dotted path for a
	// nested one).
	EventField string
	// Spec is the AsyncAPI document or the event list.
	Spec []byte
}

// Result is the generated mocks and what could not be carried over.
type Result struct {
	Mocks    []*model.Mock
	Warnings []string
}

// Lifecycle events of the socket listener.
const (
	EventConnect = "connect"
)

// maxEventValues bounds the mocks one message makes from an enum.
const maxEventValues = 50

// Generate makes the mocks, in the order of the document.
func Generate(in Input) (*Result, error) {
	if in.IDPrefix == "" {
		in.IDPrefix = "socket-" + in.Namespace
	}
	if in.EventField == "" {
		in.EventField = "event"
	}
	d, err := parse(in.Spec)
	if err != nil {
		return nil, err
	}
	g := &gen{in: in, d: d, res: &Result{}, msgs: map[string]*message{}, warned: map[string]bool{}}
	g.schemas = &schemaSet{d: d, memo: map[string]*openapi3.SchemaRef{}, warn: g.warn}
	switch root := d.root.(type) {
	case []any:
		err = g.eventList(root, "")
	case map[string]any:
		err = g.document(root)
	default:
		err = generate.Inputf("spec", "is not a JSON or YAML object: send an AsyncAPI document or an event list {\"events\": [...]}")
	}
	if err != nil {
		return nil, err
	}
	if len(g.res.Mocks) == 0 {
		return nil, generate.Inputf("spec", "has no messages to mock")
	}
	return g.res, nil
}

type gen struct {
	in      Input
	d       *doc
	schemas *schemaSet
	msgs    map[string]*message // by where they are
	res     *Result
	warned  map[string]bool
}

func (g *gen) warn(format string, args ...any) {
	w := fmt.Sprintf(format, args...)
	if !g.warned[w] && len(g.res.Warnings) < 200 {
		g.warned[w] = true
		g.res.Warnings = append(g.res.Warnings, w)
	}
}

// document reads an AsyncAPI document or an object holding an event list.
func (g *gen) document(root map[string]any) error {
	v, ok := root["asyncapi"]
	if !ok {
		if ev, ok := root["events"]; ok {
			list, ok := ev.([]any)
			if !ok {
				return g.d.errf("/events", "must be a list of {\"event\", \"response\"}")
			}
			return g.eventList(list, "/events")
		}
		return generate.Inputf("spec", "has neither an \"asyncapi\" field nor an \"events\" list: is it an AsyncAPI document?")
	}
	version := fmt.Sprint(v)
	if f, ok := v.(float64); ok { // asyncapi: 3.0 unquoted
		version = strconv.FormatFloat(f, 'f', -1, 64)
	}
	major, _, _ := strings.Cut(version, ".")
	switch major {
	case "2":
		return g.v2(root)
	case "3":
		return g.v3(root)
	}
	return g.d.errf("/asyncapi", "version %q is not supported: AsyncAPI 2.x and 3.x are (convert older documents with `asyncapi convert`)", version)
}

// exchange is one message the server receives and its answer.
type exchange struct {
	channel    string   // the channel's key: part of the mock ids
	op         string   // the operation, in warnings
	in         *message // what the client sends (nil: a connect event)
	reply      *message // what the server answers (nil: nothing)
	socketType string
}

// add makes the mocks of one exchange: one per event value the incoming
// message can have.
func (g *gen) add(x exchange) {
	var events []string
	var conds []model.Condition
	msgKey := ""
	if x.in == nil {
		events = []string{EventConnect}
		msgKey = x.reply.key
		if msgKey == "" {
			msgKey = x.reply.name
		}
	} else {
		if x.in.name == "" && x.in.key == "" {
			x.in.name = x.channel // an inline message with no name of its own
		}
		events = g.events(x.in)
		conds = g.conditions(x.in)
		msgKey = x.in.key
		if msgKey == "" {
			msgKey = x.in.name
		}
	}
	var payload json.RawMessage
	if x.reply != nil {
		payload = g.replyPayload(x)
	} else {
		g.warn("%s: message %s has no reply: its mock sends nothing back (edit the mock's payload to answer)", x.op, x.in.label())
	}
	for _, ev := range events {
		parts := []string{idPart(x.channel), idPart(msgKey)}
		if len(events) > 1 || x.in == nil {
			parts = append(parts, idPart(ev))
		}
		m := &model.Mock{
			ID:        generate.MockID(g.in.IDPrefix, parts...),
			Namespace: g.in.Namespace,
			Tags:      []string{"asyncapi"},
			Socket: &model.SocketContext{ServerName: g.in.ServerName, SocketType: x.socketType, Event: ev,
				Conditions: append([]model.Condition(nil), conds...)},
			Response: &model.ContentResponse{Payload: payload},
		}
		g.res.Mocks = append(g.res.Mocks, m)
	}
}

var idUnsafe = regexp.MustCompile(`[^A-Za-z0-9._]+`)

// idPart is a channel's or message's name as a part of a mock id: an
// address such as "/" or "/v1/{symbol}" keeps its words.
func idPart(s string) string {
	p := strings.Trim(idUnsafe.ReplaceAllString(s, "-"), "-")
	if p == "" {
		return "root"
	}
	return p
}

// events are the values the message's event field can have: its const,
// its enum, or those of the branches of oneOf and anyOf; else the
// message's name (the listener also takes a message's whole text as its
// event).
func (g *gen) events(m *message) []string {
	var vals []any
	if m.schema != nil {
		vals = fieldValues(m.schema, strings.Split(g.in.EventField, "."), 0)
	}
	var out []string
	seen := map[string]bool{}
	for _, v := range vals {
		s, ok := eventText(v)
		if !ok || seen[s] {
			continue
		}
		seen[s] = true
		out = append(out, s)
	}
	if len(out) > maxEventValues {
		g.warn("message %s: its %s may be any of %d values; mocks are made for the first %d", m.label(), g.in.EventField, len(out), maxEventValues)
		out = out[:maxEventValues]
	}
	if len(out) > 0 {
		return out
	}
	name := m.name
	if name == "" {
		name = m.key
	}
	if m.schema != nil && typeIs(m.schema.Value, "object") {
		g.warn("message %s: its payload gives %q no value (const or enum): the mock answers messages whose %s is %q", m.label(), g.in.EventField, g.in.EventField, name)
	}
	return []string{name}
}

// eventText is an event value as the listener reads it: a string, or a
// number or boolean as written.
func eventText(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, x != ""
	case bool, float64, int, int64:
		b, _ := json.Marshal(x)
		return string(b), true
	}
	return "", false
}

func typeIs(s *openapi3.Schema, t string) bool {
	if s == nil {
		return false
	}
	if s.Type != nil {
		return s.Type.Includes(t)
	}
	return t == "object" && len(s.Properties) > 0
}

// fieldValues are the values a schema allows at path (const or enum),
// looking through allOf, oneOf and anyOf.
func fieldValues(ref *openapi3.SchemaRef, path []string, depth int) []any {
	if ref == nil || ref.Value == nil || depth > 16 {
		return nil
	}
	s := ref.Value
	if len(path) == 0 {
		switch {
		case s.Const != nil:
			return []any{s.Const}
		case len(s.Enum) > 0:
			return s.Enum
		}
		var out []any
		for _, parts := range []openapi3.SchemaRefs{s.AllOf, s.OneOf, s.AnyOf} {
			for _, p := range parts {
				out = append(out, fieldValues(p, nil, depth+1)...)
			}
		}
		return out
	}
	if p, ok := s.Properties[path[0]]; ok {
		if vals := fieldValues(p, path[1:], depth+1); len(vals) > 0 {
			return vals
		}
	}
	var out []any
	for _, parts := range []openapi3.SchemaRefs{s.AllOf, s.OneOf, s.AnyOf} {
		for _, p := range parts {
			out = append(out, fieldValues(p, path, depth+1)...)
		}
	}
	return out
}

var plainKey = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// conditions are the required fields of the payload that have one value
// (const), but the event field, which the event already matches. A
// const that is not required is left out: messages without it are
// messages of the schema too.
func (g *gen) conditions(m *message) []model.Condition {
	if m.schema == nil {
		return nil
	}
	var out []model.Condition
	var walk func(s *openapi3.Schema, path []string, depth int)
	walk = func(s *openapi3.Schema, path []string, depth int) {
		if depth > 4 {
			return
		}
		props, required := objectParts(s, 0)
		for _, name := range required {
			p := props[name]
			if p == nil || p.Value == nil || !plainKey.MatchString(name) {
				continue
			}
			at := append(append([]string(nil), path...), name)
			dotted := strings.Join(at, ".")
			switch {
			case dotted == g.in.EventField:
			case p.Value.Const != nil:
				if v, err := json.Marshal(p.Value.Const); err == nil && !strings.Contains(string(v), "$.") {
					out = append(out, model.Condition{Path: "$." + dotted, AssertAction: "equals", Value: v})
				}
			case typeIs(p.Value, "object") || len(p.Value.AllOf) > 0:
				walk(p.Value, at, depth+1)
			}
		}
	}
	walk(m.schema.Value, nil, 0)
	return out
}

// objectParts are an object schema's properties and required names,
// allOf parts folded in (required sorted, without repeats).
func objectParts(s *openapi3.Schema, depth int) (openapi3.Schemas, []string) {
	props := openapi3.Schemas{}
	var req []string
	if s == nil || depth > 16 {
		return props, nil
	}
	for k, v := range s.Properties {
		props[k] = v
	}
	req = append(req, s.Required...)
	for _, part := range s.AllOf {
		if part == nil {
			continue
		}
		pp, pr := objectParts(part.Value, depth+1)
		for k, v := range pp {
			if _, ok := props[k]; !ok {
				props[k] = v
			}
		}
		req = append(req, pr...)
	}
	sort.Strings(req)
	out := req[:0]
	for i, r := range req {
		if i == 0 || r != req[i-1] {
			out = append(out, r)
		}
	}
	return props, out
}

// replyPayload is what the mock sends: the reply's first example that
// fits its schema, else a sample of the schema (with fakers). A
// correlation id in both messages' payloads is echoed ("$.req.reqid").
func (g *gen) replyPayload(x exchange) json.RawMessage {
	r := x.reply
	var body any
	found := false
	for _, ex := range r.examples {
		if r.schema == nil || r.schema.Value == nil || openapi.Fits(r.schema.Value, ex, openapi.Response) {
			body, found = ex, true
			break
		}
	}
	if !found && len(r.examples) > 0 {
		g.warn("message %s: no example fits its payload schema; a sample of the schema is sent", r.label())
	}
	if !found {
		if r.schema == nil {
			g.warn("message %s: the reply declares no JSON Schema payload: its mock sends nothing back (edit the mock's payload to answer)", r.label())
			return nil
		}
		body = openapi.Sample(r.schema, "", openapi.Response)
	}
	if x.in != nil && len(r.corr) > 0 && len(x.in.corr) > 0 {
		// A copy: the example is the message's, which other mocks use too.
		body = echo(plainJSON(body), r.corr, x.in.corr)
	}
	b, err := json.Marshal(body)
	if err != nil {
		g.warn("message %s: %v", r.label(), err)
		return nil
	}
	return b
}

// echo sets the reply's correlation field to the request's, when the
// reply's payload has the object it goes in.
func echo(body any, replyPath, reqPath []string) any {
	for _, s := range reqPath {
		if !plainKey.MatchString(s) {
			return body
		}
	}
	obj, ok := body.(map[string]any)
	if !ok {
		return body
	}
	cur := obj
	for _, s := range replyPath[:len(replyPath)-1] {
		next, ok := cur[s].(map[string]any)
		if !ok {
			return body
		}
		cur = next
	}
	cur[replyPath[len(replyPath)-1]] = "$.req." + strings.Join(reqPath, ".")
	return body
}

// socketType is the socket type of a channel's servers' protocols, when
// they agree on one; a ws binding says WebSocket.
func (g *gen) socketType(protocols []string, wsBinding bool) string {
	types := map[string]bool{}
	for _, p := range protocols {
		switch strings.ToLower(p) {
		case "ws", "wss":
			types["websocket"] = true
		case "tcp":
			types["tcp"] = true
		case "udp":
			types["udp"] = true
		case "":
		default:
			g.warn("a server speaks %s, which the socket listener does not (it serves WebSocket, TCP and UDP): its channels' mocks answer on any socket", p)
		}
	}
	if len(types) == 1 {
		for t := range types {
			return t
		}
	}
	if len(types) == 0 && wsBinding {
		return "websocket"
	}
	return ""
}

func itoa(i int) string { return strconv.Itoa(i) }
