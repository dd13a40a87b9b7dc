package store_test

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/mockarty-oss/mockarty/host/internal/model"
	"github.com/mockarty-oss/mockarty/host/internal/store"
)

// roundTripMocks hold one mock per protocol context, each setting most of the
// fields its context and the top level know, written with the current names.
var roundTripMocks = map[string]string{
	"http": `{
		"id": "rt-http", "namespace": "rt", "chainId": "chain-1", "pathPrefix": "/api", "serverName": "users-api",
		"http": {
			"route": "/users/:id", "httpMethod": "POST", "sortArray": true,
			"conditions": [
				{"path": "$.body.email", "assertAction": "matches", "value": "^.+@example\\.com$", "sortArray": false},
				{"path": "$.age", "assertAction": "equals", "value": 12345678901234567890123},
				{"path": "$.blob", "assertAction": "equals", "value": "aGVsbG8=", "decode": "base64"},
				{"path": "$.items", "assertAction": "contains", "valueFromFile": "items.json", "sortArray": true}
			],
			"queryParams": [{"path": "format", "assertAction": "equals", "value": "json"}],
			"header": [{"path": "Authorization", "assertAction": "notEmpty"}, {"path": "X-Lint", "assertAction": "plugin:luhn"}]
		},
		"response": {
			"statusCode": 201, "delay": 150,
			"headers": {"Content-Type": ["application/json"], "X-Multi": ["a", "b"]},
			"payload": {"id": "{{ $.pathParam.id }}", "price": 1.50, "exp": 1e-7, "list": [1, "two", null, true, {"deep": []}],
				"text": "héllo <b> & \u2028 \u0000 end", "empty": {}}
		},
		"webhooks": [
			{"type": "http", "trigger": "on_success", "url": "https://hooks.example.com/x", "method": "POST",
			 "headers": {"X-Sig": "abc"}, "body": {"event": "created", "n": 1.0}, "async": true,
			 "timeout": 3000, "retryCount": 2, "retryDelay": 500, "secret": "s3cr3t"},
			{"type": "kafka", "trigger": "always", "kafkaBrokers": "k1:9092,k2:9092", "kafkaTopic": "audit", "kafkaKey": "$.id",
			 "kafkaUsername": "u", "kafkaPassword": "p", "kafkaUseSASL": true, "kafkaUseTLS": true, "body": "plain"},
			{"type": "rabbitmq", "trigger": "on_error", "rabbitURL": "amqp://guest@rabbit", "rabbitExchange": "ex",
			 "rabbitRoutingKey": "rk", "rabbitQueue": "q", "rabbitMandatory": true}
		],
		"ttl": 3600000, "useLimiter": 10, "priority": 90, "tags": ["alpha", "b c", "100%", "ünï"], "folderId": "folder-1",
		"extract": {"mStore": {"last": "$.body.email"}, "cStore": {"user": "$.pathParam.id"}, "gStore": {"seen": {"n": [1, 2]}}},
		"mStore": {"count": 0, "name": "x", "obj": {"a": null}, "big": 9007199254740993}
	}`,
	"http-proxy": `{
		"id": "rt-proxy", "namespace": "rt",
		"http": {"routePattern": "^/legacy/.*$", "httpMethod": "ANY"},
		"proxy": {"target": "https://upstream.example.com"},
		"response": {"delay": 20, "headers": {"X-Proxied": ["yes"]}}
	}`,
	"grpc": `{
		"id": "rt-grpc", "namespace": "rt", "serverName": "grpc-1",
		"grpc": {
			"service": "user.UserService", "method": "GetUser", "methodType": "server-stream", "sortArray": true,
			"conditions": [{"path": "$.id", "assertAction": "any"}, {"path": "$.name", "assertAction": "not_equals", "value": "bob"}],
			"meta": [{"path": "x-token", "assertAction": "not_contains", "value": "bad"}]
		},
		"response": {
			"statusCode": 5, "error": "user not found", "payload": {"a": 1},
			"errorDetails": [
				{"type": "badRequest", "details": {"fieldViolations": [{"field": "id", "description": "unknown"}]}},
				{"type": "retryInfo", "details": {"retryDelay": "1.5s"}},
				{"type": "debugInfo"}
			]
		}
	}`,
	"mcp": `{
		"id": "rt-mcp", "namespace": "rt", "serverName": "mcp-srv",
		"mcp": {
			"method": "tools/call", "tool": "search", "description": "Searches things",
			"inputSchema": {"type": "object", "properties": {"query": {"type": "string"}}, "required": ["query"]},
			"conditions": [{"path": "$.query", "assertAction": "empty"}], "header": [{"path": "X-Key", "assertAction": "equals", "value": 7}],
			"sortArray": true
		},
		"response": {"payload": {"content": [{"type": "text", "text": "hi"}]}, "mcpIsError": true}
	}`,
	"socket": `{
		"id": "rt-socket", "namespace": "rt",
		"socket": {"serverName": "ws-1", "socketType": "websocket", "event": "message", "namespace": "/chat",
			"conditions": [{"path": "$.type", "assertAction": "equals", "value": "ping"}], "sortArray": true},
		"response": {"payload": "pong", "delay": 10, "payloadTemplatePath": "pong.tmpl"}
	}`,
	"soap": `{
		"id": "rt-soap", "namespace": "rt",
		"soap": {"service": "Calculator", "method": "Add", "action": "urn:Add", "path": "/soap/calc",
			"conditions": [{"path": "//a", "assertAction": "equals", "value": "1"}],
			"header": [{"path": "SOAPAction", "assertAction": "contains", "value": "Add"}], "sortArray": true},
		"response": {"statusCode": 500, "payload": "<r/>",
			"soapFault": {"faultCode": "soap:Server", "faultString": "boom", "faultActor": "calc", "detail": "<d>x</d>", "httpStatus": 500}}
	}`,
	"graphql": `{
		"id": "rt-graphql", "namespace": "rt",
		"graphql": {"operation": "query", "field": "user", "type": "User", "path": "/graphql",
			"conditions": [{"path": "variables.id", "assertAction": "equals", "value": "1"}],
			"header": [{"path": "Authorization", "assertAction": "notEmpty"}], "sortArray": true},
		"response": {"payload": {"data": {"user": null}},
			"graphqlErrors": [{"message": "nope", "path": ["user", 0], "locations": [{"line": 1, "column": 2}],
				"extensions": {"code": "NOT_FOUND", "n": 1.0}}]}
	}`,
	"sse": `{
		"id": "rt-sse", "namespace": "rt",
		"sse": {"eventPath": "/events/orders", "eventName": "order", "description": "Order events",
			"conditions": [{"path": "status", "assertAction": "equals", "value": "open"}],
			"headerConditions": [{"path": "Accept", "assertAction": "contains", "value": "event-stream"}], "sortArray": true},
		"response": {"sseEventChain": {
			"events": [
				{"eventName": "created", "data": {"id": 1}, "delay": 100, "id": "e1", "retry": 3000},
				{"eventName": "templated", "templatePath": "event.json"}
			],
			"loop": true, "loopDelay": 1000, "heartbeat": 15000, "maxLoops": 3, "maxTime": 60000, "logBatch": 10}}
	}`,
	"kafka": `{
		"id": "rt-kafka", "namespace": "rt",
		"kafka": {"topic": "orders", "serverName": "kafka-1", "consumerGroup": "g1",
			"conditions": [{"path": "$.total", "assertAction": "equals", "value": 10.25}],
			"headers": [{"path": "type", "assertAction": "equals", "value": "new"}], "sortArray": true,
			"outputTopic": "orders-out", "outputBrokers": "b1:9092", "outputKey": "$.id", "outputHeaders": {"h": "v", "h2": "v2"}},
		"oneOf": {"order": "random", "offset": 1, "responses": [
			{"payload": {"a": 1}},
			{"headers": {"h": ["v"]}, "payload": {"b": 2}, "delay": 5}
		]}
	}`,
	"rabbitmq": `{
		"id": "rt-rabbit", "namespace": "rt",
		"rabbitmq": {"queue": "q-in", "exchange": "ex", "routingKey": "rk", "serverName": "rabbit-1",
			"conditions": [{"path": "$.kind", "assertAction": "equals", "value": "x"}],
			"headers": [{"path": "x-h", "assertAction": "any"}], "sortArray": true,
			"outputURL": "amqp://guest@localhost:5672/", "outputExchange": "oex", "outputRoutingKey": "ork", "outputQueue": "oq",
			"outputProps": {"deliveryMode": 2, "correlationId": "c", "replyTo": "r", "contentType": "application/json",
				"priority": 5, "messageId": "m", "type": "t", "appId": "a"}},
		"response": {"payload": {"ok": true}}
	}`,
	"smtp": `{
		"id": "rt-smtp", "namespace": "rt",
		"smtp": {"serverName": "mail-1",
			"senderConditions": [{"path": "", "assertAction": "contains", "value": "@example.com"}],
			"recipientConditions": [{"path": "", "assertAction": "equals", "value": "ops@example.com"}],
			"subjectConditions": [{"path": "", "assertAction": "matches", "value": "^Order \\d+$"}],
			"bodyConditions": [{"path": "", "assertAction": "notEmpty"}],
			"headerConditions": [{"path": "X-Mailer", "assertAction": "any"}], "sortArray": true},
		"response": {"payload": "250 OK"}
	}`,
}

// stripServerFields zeroes what the server sets, so documents can be compared.
func stripServerFields(m *model.Mock) *model.Mock {
	c := m.Clone()
	c.UseCounter, c.CreatedAt, c.UpdatedAt, c.LastUse, c.ExpireAt, c.ClosedAt = 0, 0, 0, 0, 0, 0
	return c
}

func marshal(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// decodeExact decodes JSON keeping numbers as written.
func decodeExact(t *testing.T, b []byte) any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
	return v
}

var roundTripCases = []storeCase{
	{name: "round trip of every protocol context", fn: func(t *testing.T, o store.Options, s *store.Store) {
		seen := map[string]bool{}
		for name, doc := range roundTripMocks {
			in, err := model.DecodeMock([]byte(doc))
			if err != nil {
				t.Fatalf("%s: DecodeMock: %v", name, err)
			}
			in.Normalise()
			if fe := in.Validate(); fe != nil {
				t.Fatalf("%s: fixture is not a valid mock: %v", name, fe)
			}
			seen[in.Protocol()] = true
			// The fixture only uses fields the model knows: nothing was dropped on decode.
			fromDoc, fromModel := decodeExact(t, []byte(doc)).(map[string]any), decodeExact(t, marshal(t, in)).(map[string]any)
			delete(fromModel, "useCounter")
			if !reflect.DeepEqual(fromDoc, fromModel) {
				t.Fatalf("%s: the fixture does not survive DecodeMock:\n doc   %s\n model %s", name, marshal(t, fromDoc), marshal(t, fromModel))
			}

			res, err := s.SaveMock(t.Context(), in, store.ChangeCreate, true)
			if err != nil {
				t.Fatalf("%s: SaveMock: %v", name, err)
			}
			want := marshal(t, stripServerFields(in))
			if got := marshal(t, stripServerFields(res.Mock)); !bytes.Equal(got, want) {
				t.Errorf("%s: SaveMock returned a different mock:\n got  %s\n want %s", name, got, want)
			}
			out := getMock(t, s, in.ID)
			if got := marshal(t, stripServerFields(out)); !bytes.Equal(got, want) {
				t.Errorf("%s: GetMock differs from what was saved:\n got  %s\n want %s", name, got, want)
			}
			if out.CreatedAt == 0 || (in.TTL > 0 && out.ExpireAt == 0) {
				t.Errorf("%s: server fields not set: createdAt %d expireAt %d", name, out.CreatedAt, out.ExpireAt)
			}
			v, err := s.GetMockVersion(t.Context(), in.ID, 1)
			noErr(t, err, name+": GetMockVersion")
			if got := marshal(t, stripServerFields(v.Mock)); !bytes.Equal(got, want) {
				t.Errorf("%s: the saved version differs:\n got  %s\n want %s", name, got, want)
			}
		}
		for _, p := range model.Protocols {
			if !seen[p] {
				t.Errorf("no round-trip fixture for protocol %s", p)
			}
		}
		// Every fixture is listed under its protocol.
		for _, p := range model.Protocols {
			got, _, err := s.ListMocks(t.Context(), store.MockFilter{Protocol: p})
			noErr(t, err, "ListMocks by protocol")
			if len(got) == 0 {
				t.Errorf("ListMocks(protocol %s) found nothing", p)
			}
		}
	}},
}
