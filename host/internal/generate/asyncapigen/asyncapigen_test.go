package asyncapigen

import (
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/mockarty-oss/mockarty/host/internal/generate"
	"github.com/mockarty-oss/mockarty/host/internal/model"
	"github.com/mockarty-oss/mockarty/host/internal/render"
)

const examples = "testdata/asyncapi-examples/"

func generateFile(t *testing.T, file string, in Input) *Result {
	t.Helper()
	b, err := os.ReadFile(examples + file)
	if err != nil {
		t.Fatal(err)
	}
	in.Spec = b
	return generateOK(t, in)
}

// generateOK generates and checks what every generated mock must be: a
// valid socket mock with a unique id whose payload templates render.
func generateOK(t *testing.T, in Input) *Result {
	t.Helper()
	if in.Namespace == "" {
		in.Namespace = "ns"
	}
	res, err := Generate(in)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, m := range res.Mocks {
		if seen[m.ID] {
			t.Errorf("id %s twice", m.ID)
		}
		seen[m.ID] = true
		if !model.NamePattern.MatchString(m.ID) {
			t.Errorf("id %q is not a mock id", m.ID)
		}
		if m.Socket == nil || m.Socket.Event == "" {
			t.Errorf("%s: no socket event: %+v", m.ID, m.Socket)
		}
		c := m.Clone()
		c.Normalise()
		if ferr := c.Validate(); ferr != nil {
			t.Errorf("%s does not validate: %v", m.ID, ferr)
		}
		if len(m.Response.Payload) > 0 {
			if err := render.CheckFakers(m.Response.Payload); err != nil {
				t.Errorf("%s: payload %s: %v", m.ID, m.Response.Payload, err)
			}
		}
	}
	return res
}

func byID(t *testing.T, res *Result, id string) *model.Mock {
	t.Helper()
	for _, m := range res.Mocks {
		if m.ID == id {
			return m
		}
	}
	var ids []string
	for _, m := range res.Mocks {
		ids = append(ids, m.ID)
	}
	t.Fatalf("no mock %s among %v", id, ids)
	return nil
}

func payloadOf(t *testing.T, m *model.Mock) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(m.Response.Payload, &v); err != nil {
		t.Fatalf("%s: payload %s: %v", m.ID, m.Response.Payload, err)
	}
	return v
}

func hasWarning(t *testing.T, res *Result, parts ...string) {
	t.Helper()
	for _, w := range res.Warnings {
		all := true
		for _, p := range parts {
			all = all && strings.Contains(w, p)
		}
		if all {
			return
		}
	}
	t.Errorf("no warning with %q among:\n%s", parts, strings.Join(res.Warnings, "\n"))
}

// Kraken's WebSocket API (AsyncAPI 3.1): one mock per received message,
// keyed on the const of its event field, answering with its reply;
// the correlation id is echoed, what the server sends on its own is
// left to the push API.
func TestKrakenWebSocketRequestReply(t *testing.T) {
	res := generateFile(t, "kraken-websocket-request-reply-message-filter-in-reply-asyncapi.yml", Input{Namespace: "kraken"})
	if len(res.Mocks) != 3 {
		t.Fatalf("%d mocks, want ping, subscribe, unsubscribe", len(res.Mocks))
	}
	ping := byID(t, res, "socket-kraken-currencyexchange-ping")
	if ping.Socket.Event != "ping" || ping.Socket.SocketType != "" || len(ping.Socket.Conditions) != 0 {
		t.Errorf("ping: %+v", ping.Socket)
	}
	if p := payloadOf(t, ping); !reflect.DeepEqual(p, map[string]any{"event": "pong", "reqid": "$.req.reqid"}) {
		t.Errorf("pong: %v", p)
	}
	for _, ev := range []string{"subscribe", "unsubscribe"} {
		m := byID(t, res, "socket-kraken-currencyexchange-"+ev)
		if m.Socket.Event != ev {
			t.Errorf("%s: event %q", m.ID, m.Socket.Event)
		}
		if p := payloadOf(t, m); p["event"] != "subscriptionStatus" {
			t.Errorf("%s answers %v, want a subscriptionStatus", m.ID, p)
		}
	}
	hasWarning(t, res, "receiveSubscribeRequest", "subscriptionStatus, dummyCurrencyInfo")
	hasWarning(t, res, "heartbeat, systemStatus", "/api/v1/socket/push")
	hasWarning(t, res, "subscriptionStatus", "no example fits")
}

// Gemini's market data (AsyncAPI 3.1 over wss) is a stream the server
// only sends: its first message answers connect, from an example that
// fits the schema.
func TestGeminiStreamAnswersConnect(t *testing.T) {
	res := generateFile(t, "websocket-gemini-asyncapi.yml", Input{Namespace: "gemini", ServerName: "market"})
	if len(res.Mocks) != 1 {
		t.Fatalf("%d mocks", len(res.Mocks))
	}
	m := res.Mocks[0]
	if m.ID != "socket-gemini-marketdatav1-marketdata-connect" || m.Socket.Event != EventConnect ||
		m.Socket.SocketType != "websocket" || m.Socket.ServerName != "market" {
		t.Fatalf("connect mock: %s %+v", m.ID, m.Socket)
	}
	p := payloadOf(t, m)
	if p["type"] != "heartbeat" && p["type"] != "update" {
		t.Errorf("payload is not one of the examples: %v", p)
	}
	hasWarning(t, res, "no message the server receives", "marketData")
}

// The Streetlights tutorial (AsyncAPI 3.0.0 over MQTT): a receive
// operation without a reply sends nothing and says so; the event is the
// message's name, as its payload names no event.
func TestTutorialReceiveWithoutReply(t *testing.T) {
	res := generateFile(t, "tutorial.yml", Input{Namespace: "lights"})
	m := byID(t, res, "socket-lights-lightmeasured-lightmeasuredmessage")
	if m.Socket.Event != "LightMeasured" || m.Socket.SocketType != "" || len(m.Response.Payload) != 0 {
		t.Errorf("mock: %+v payload %s", m.Socket, m.Response.Payload)
	}
	hasWarning(t, res, "onLightMeasured", "no reply")
	hasWarning(t, res, "mqtt")
	hasWarning(t, res, "LightMeasured", `"event" no value`)
}

const chat2 = `asyncapi: 2.6.0
info: {title: Chat, version: 1.0.0}
servers:
  public: {url: chat.example.com/ws, protocol: wss}
  raw: {url: 'chat.example.com:7000', protocol: tcp}
channels:
  /:
    servers: [public]
    publish:
      operationId: sendToServer
      message:
        oneOf:
          - $ref: '#/components/messages/ping'
          - $ref: '#/components/messages/join'
    subscribe:
      message:
        $ref: '#/components/messages/pong'
  rooms/{room}:
    servers: [raw]
    publish:
      message:
        messageId: say
        payload:
          type: object
          properties:
            text: {type: string}
  news:
    subscribe:
      message:
        name: headline
        payload: {type: string}
components:
  messages:
    ping:
      name: Ping
      traits:
        - $ref: '#/components/messageTraits/json'
      payload:
        type: object
        required: [event]
        properties:
          event: {type: string, const: ping}
          reqid: {type: integer}
      correlationId:
        $ref: '#/components/correlationIds/reqid'
    join:
      payload:
        type: object
        required: [event, version, room]
        properties:
          event: {type: string, enum: [join, rejoin]}
          version: {const: 2}
          room: {$ref: '#/components/schemas/room'}
          hint: {const: optional}
    pong:
      payload:
        type: object
        properties:
          event: {type: string, const: pong}
          reqid: {type: integer}
          at: {type: string, format: date-time}
          tree: {$ref: '#/components/schemas/node'}
      correlationId:
        $ref: '#/components/correlationIds/reqid'
      examples:
        - payload: {event: pong, reqid: 1, at: '2024-01-01T00:00:00Z'}
  messageTraits:
    json:
      contentType: application/json
  correlationIds:
    reqid:
      location: '$message.payload#/reqid'
  schemas:
    room:
      type: object
      required: [kind]
      properties:
        kind: {const: public}
        name: {type: string}
    node:
      type: object
      properties:
        children:
          type: array
          items: {$ref: '#/components/schemas/node'}
`

// AsyncAPI 2: a channel's publish messages answered by its subscribe
// message; an enum event makes one mock per value; required consts are
// conditions; the channel's server decides the socket type.
func TestAsyncAPI2PublishAnsweredBySubscribe(t *testing.T) {
	res := generateOK(t, Input{Namespace: "chat", Spec: []byte(chat2)})
	if len(res.Mocks) != 4 {
		t.Fatalf("%d mocks", len(res.Mocks))
	}
	ping := byID(t, res, "socket-chat-root-ping")
	if ping.Socket.Event != "ping" || ping.Socket.SocketType != "websocket" {
		t.Errorf("ping: %+v", ping.Socket)
	}
	want := map[string]any{"event": "pong", "reqid": "$.req.reqid", "at": "2024-01-01T00:00:00Z"}
	if p := payloadOf(t, ping); !reflect.DeepEqual(p, want) {
		t.Errorf("pong: %v, want the example with the echoed reqid", p)
	}
	for _, ev := range []string{"join", "rejoin"} {
		m := byID(t, res, "socket-chat-root-join-"+ev)
		if m.Socket.Event != ev {
			t.Errorf("%s: event %q", m.ID, m.Socket.Event)
		}
		conds, _ := json.Marshal(m.Socket.Conditions)
		if string(conds) != `[{"path":"$.room.kind","assertAction":"equals","value":"public"},{"path":"$.version","assertAction":"equals","value":2}]` {
			t.Errorf("%s: conditions %s", m.ID, conds)
		}
		if p := payloadOf(t, m); p["event"] != "pong" || p["reqid"] != float64(1) {
			t.Errorf("%s answers %v (no correlation id to echo: the example as written)", m.ID, p)
		}
	}
	say := byID(t, res, "socket-chat-rooms-room-say")
	if say.Socket.Event != "say" || say.Socket.SocketType != "tcp" || len(say.Response.Payload) != 0 {
		t.Errorf("say: %+v %s", say.Socket, say.Response.Payload)
	}
	hasWarning(t, res, `"event" no value`, "say")
	hasWarning(t, res, "no reply", "say")
	hasWarning(t, res, "on its own", "headline")

	// The listener's eventField set to another field.
	res = generateOK(t, Input{Namespace: "chat", Spec: []byte(chat2), EventField: "room.kind"})
	if m := byID(t, res, "socket-chat-root-join"); m.Socket.Event != "public" || len(m.Socket.Conditions) != 1 {
		t.Errorf("eventField room.kind: %+v", m.Socket)
	}
}

const orders3 = `asyncapi: 3.0.0
info: {title: Orders, version: 1.0.0}
servers:
  ws: {host: 'localhost:8080', protocol: ws}
  udp: {host: 'localhost:9000', protocol: udp}
channels:
  orders:
    address: /orders
    servers: [{$ref: '#/servers/ws'}]
    messages:
      placeOrder: {$ref: '#/components/messages/placeOrder'}
      orderPlaced: {$ref: '#/components/messages/orderPlaced'}
  telemetry:
    address: null
    servers: [{$ref: '#/servers/udp'}]
    messages:
      reading:
        payload:
          schemaFormat: application/vnd.apache.avro;version=1.9.0
          schema: {type: record, name: Reading, fields: []}
      ack:
        payload: {type: object, properties: {event: {const: ack}}}
operations:
  placeOrder:
    action: receive
    channel: {$ref: '#/channels/orders'}
    messages: [{$ref: '#/channels/orders/messages/placeOrder'}]
    reply:
      channel: {$ref: '#/channels/orders'}
  readTelemetry:
    action: receive
    channel: {$ref: '#/channels/telemetry'}
    messages: [{$ref: '#/channels/telemetry/messages/reading'}]
  ackTelemetry:
    action: send
    channel: {$ref: '#/channels/telemetry'}
    messages: [{$ref: '#/channels/telemetry/messages/ack'}]
components:
  messages:
    placeOrder:
      payload:
        type: object
        required: [event]
        properties:
          event: {const: place-order}
          items: {type: array, items: {$ref: '#/components/schemas/item'}}
    orderPlaced:
      payload:
        allOf:
          - {$ref: '#/components/schemas/status'}
          - type: object
            required: [orderId]
            properties:
              orderId: {type: string, format: uuid}
  schemas:
    item: {type: object, properties: {sku: {type: string}}}
    status:
      type: object
      properties:
        event: {const: order-placed}
`

// AsyncAPI 3: a reply channel without messages answers with its
// messages other than the request; a receive operation without a reply
// is answered by the one send operation of its channel (2.x pairing);
// a payload in another schema format is not sampled.
func TestAsyncAPI3RepliesAndPairing(t *testing.T) {
	res := generateOK(t, Input{Namespace: "shop", Spec: []byte(orders3)})
	if len(res.Mocks) != 2 {
		t.Fatalf("%d mocks", len(res.Mocks))
	}
	place := byID(t, res, "socket-shop-orders-placeorder")
	if place.Socket.Event != "place-order" || place.Socket.SocketType != "websocket" {
		t.Errorf("placeOrder: %+v", place.Socket)
	}
	p := payloadOf(t, place)
	if p["event"] != "order-placed" || p["orderId"] != "$.fake.UUID" {
		t.Errorf("orderPlaced sample: %v", p)
	}
	read := byID(t, res, "socket-shop-telemetry-reading")
	if read.Socket.Event != "reading" || read.Socket.SocketType != "udp" {
		t.Errorf("reading: %+v", read.Socket)
	}
	if p := payloadOf(t, read); p["event"] != "ack" {
		t.Errorf("reading answers %v, want the ack of the channel's send operation", p)
	}
	hasWarning(t, res, "avro")
	for _, w := range res.Warnings {
		if strings.Contains(w, "on its own") {
			t.Errorf("the ack is a reply, not a message of its own: %s", w)
		}
	}
}

// The plain event list, as an object and as a bare array.
func TestEventList(t *testing.T) {
	res := generateOK(t, Input{Namespace: "ev", ServerName: "chat", Spec: []byte(`{"events": [
		{"event": "ping", "response": {"event": "pong", "at": "$.fake.DateTimeISO"}},
		{"event": "hello world", "response": "hi $.req.name", "socketType": "ws",
		 "conditions": [{"path": "$.lang", "assertAction": "equals", "value": "en"}]},
		{"event": "bye"}]}`)})
	if len(res.Mocks) != 3 {
		t.Fatalf("%d mocks", len(res.Mocks))
	}
	ping := byID(t, res, "socket-ev-event-ping")
	if p := payloadOf(t, ping); ping.Socket.ServerName != "chat" || !reflect.DeepEqual(p, map[string]any{"event": "pong", "at": "$.fake.DateTimeISO"}) {
		t.Errorf("ping: %+v %s", ping.Socket, ping.Response.Payload)
	}
	hello := byID(t, res, "socket-ev-event-hello-world")
	if hello.Socket.Event != "hello world" || hello.Socket.SocketType != "websocket" || len(hello.Socket.Conditions) != 1 ||
		string(hello.Response.Payload) != `"hi $.req.name"` {
		t.Errorf("hello: %+v %s", hello.Socket, hello.Response.Payload)
	}
	if bye := byID(t, res, "socket-ev-event-bye"); len(bye.Response.Payload) != 0 {
		t.Errorf("bye: %s", bye.Response.Payload)
	}
	hasWarning(t, res, "bye", "sends nothing")

	res = generateOK(t, Input{Namespace: "ev", Spec: []byte(`[{"event": "ping", "response": {"ok": true}}]`)})
	if len(res.Mocks) != 1 || res.Mocks[0].ID != "socket-ev-event-ping" {
		t.Errorf("bare list: %+v", res.Mocks)
	}
}

// Bad input is an InputError on "spec" that says where.
func TestErrorsNameTheirPlace(t *testing.T) {
	for name, tc := range map[string]struct{ spec, want string }{
		"yaml syntax":     {"asyncapi: 3.0.0\ninfo:\n  title: x\n version: 1\n", "line 3"},
		"json syntax":     {"{\"asyncapi\": \"3.0.0\",\n \"operations\": {]}", "line 2, column"},
		"missing ref":     {"asyncapi: 3.0.0\noperations:\n  a:\n    action: receive\n    channel:\n      $ref: '#/channels/nope'\n", `line 6 (#/operations/a/channel/$ref): $ref "#/channels/nope" points to nothing`},
		"external ref":    {"asyncapi: 2.6.0\nchannels:\n  a:\n    publish:\n      message:\n        payload:\n          $ref: 'other.yaml#/X'\n", "other.yaml"},
		"version":         {"asyncapi: 1.2.0\n", `version "1.2.0" is not supported`},
		"neither":         {`{"info": {}}`, `neither an "asyncapi" field nor an "events" list`},
		"empty":           {"  \n", "is empty"},
		"nothing to mock": {"asyncapi: 3.0.0\noperations: {}\n", "no messages to mock"},
		"not an object":   {"asyncapi: 3.0.0\noperations:\n  a: 5\n", "line 3 (#/operations/a): an operation must be an object"},
		"event list":      {`{"events": [{"event": "a", "respnse": {}}]}`, `#/events/0`},
		"event required":  {`{"events": [{"response": {}}]}`, "event is required"},
		"aliases":         {"a: &a [*a, *a]\n", "too large or nests too deep"},
		"loop":            {"asyncapi: 3.0.0\noperations:\n  a: {$ref: '#/operations/b'}\n  b: {$ref: '#/operations/a'}\n", "too many references"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Generate(Input{Namespace: "ns", Spec: []byte(tc.spec)})
			var ie *generate.InputError
			if !errors.As(err, &ie) || ie.Field != "spec" {
				t.Fatalf("error %v, want an InputError on spec", err)
			}
			if !strings.Contains(ie.Message, tc.want) {
				t.Errorf("error %q does not say %q", ie.Message, tc.want)
			}
		})
	}
}

// JSON Schema as AsyncAPI writes it, not as OpenAPI does: a discriminator
// that is a property name, numeric exclusive bounds, type lists, tuple
// items, $refs with siblings and percent-encoded pointers.
func TestJSONSchemaKeywords(t *testing.T) {
	spec := `asyncapi: 2.6.0
info: {title: Pets, version: 1.0.0}
channels:
  pets:
    publish:
      message: {$ref: '#/components/messages/ask'}
    subscribe:
      message:
        payload:
          type: object
          discriminator: kind
          required: [kind, age, tags, pair, owner, note]
          properties:
            kind: {type: string, const: cat}
            age: {type: integer, exclusiveMinimum: 0, maximum: 30}
            tags: {type: array, items: {type: string, minLength: 2}, minItems: 1}
            pair: {type: array, items: [{type: integer}, {type: string}]}
            owner:
              $ref: '#/components/schemas/person%20v1'
              required: [email]
            note: {type: [string, 'null'], maxLength: 5}
            extra: true
          additionalProperties: false
components:
  messages:
    ask:
      name: ask
      payload: {type: object, properties: {event: {type: string}}}
  schemas:
    person v1:
      type: object
      properties:
        email: {type: string, format: email}
`
	res := generateOK(t, Input{Namespace: "pets", Spec: []byte(spec)})
	for _, w := range res.Warnings {
		if strings.Contains(w, "cannot be read") {
			t.Errorf("warning: %s", w)
		}
	}
	p := payloadOf(t, byID(t, res, "socket-pets-pets-ask"))
	if p["kind"] != "cat" || p["owner"].(map[string]any)["email"] != "$.fake.Email" {
		t.Errorf("sample: %v", p)
	}
	if _, ok := p["age"]; !ok {
		t.Errorf("sample has no age: %v", p)
	}
}
