package model

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func decodeValid(t *testing.T, doc string) *Mock {
	t.Helper()
	m, err := DecodeMock([]byte(doc))
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	m.Normalise()
	if ferr := m.Validate(); ferr != nil {
		t.Fatalf("validate: %v", ferr)
	}
	return m
}

func TestLegacyNamesAreNormalised(t *testing.T) {
	m := decodeValid(t, `{"id":"g","grpc":{"grpcServiceName":"user.UserService","grpcMethod":"GetUser"},"response":{"statusCode":5}}`)
	if m.GRPC.Service != "user.UserService" || m.GRPC.Method != "GetUser" {
		t.Fatalf("grpc legacy names not mapped: %+v", m.GRPC)
	}
	m = decodeValid(t, `{"id":"g","grpc":{"serviceName":"a.B","method":"M"},"response":{}}`)
	if m.GRPC.Service != "a.B" {
		t.Fatalf("grpc.serviceName not mapped: %+v", m.GRPC)
	}
	out, _ := json.Marshal(m)
	if strings.Contains(string(out), "serviceName") || strings.Contains(string(out), "grpcMethod") {
		t.Fatalf("output must use current names only: %s", out)
	}
	m = decodeValid(t, `{"id":"m","mcp":{"serverName":"petstore","method":"get_pet_by_id"},"response":{"payload":{}}}`)
	if m.ServerName != "petstore" || m.MCP.Tool != "get_pet_by_id" || m.MCP.Method != "tools/call" {
		t.Fatalf("mcp legacy names not mapped: serverName=%q mcp=%+v", m.ServerName, m.MCP)
	}
	m = decodeValid(t, `{"id":"s","soap":{"soapAction":"urn:Get","route":"/ws"},"response":{}}`)
	if m.SOAP.Action != "urn:Get" || m.SOAP.Path != "/ws" {
		t.Fatalf("soap legacy names not mapped: %+v", m.SOAP)
	}
	// The current name wins over a legacy one.
	m = decodeValid(t, `{"id":"g","grpc":{"service":"new.S","serviceName":"old.S","method":"M"},"response":{}}`)
	if m.GRPC.Service != "new.S" {
		t.Fatalf("current name must win, got %q", m.GRPC.Service)
	}
	// Legacy assert action "match" becomes "matches".
	m = decodeValid(t, `{"id":"h","http":{"route":"/a","header":[{"path":"Authorization","assertAction":"match","value":"^Bearer .+$"}]},"response":{}}`)
	if m.HTTP.Header[0].AssertAction != AssertMatches {
		t.Fatalf("match not normalised: %q", m.HTTP.Header[0].AssertAction)
	}
}

func TestHeadersAcceptStringValues(t *testing.T) {
	m := decodeValid(t, `{"id":"h","http":{"route":"/a"},"response":{"headers":{"X-One":"1","X-Many":["a","b"]}}}`)
	if !reflect.DeepEqual(m.Response.Headers["X-One"], []string{"1"}) || len(m.Response.Headers["X-Many"]) != 2 {
		t.Fatalf("headers = %v", m.Response.Headers)
	}
	m = decodeValid(t, `{"id":"h","http":{"route":"/a"},"oneOf":{"order":"random","responses":[{"headers":{"A":"x"}},{"statusCode":201}]}}`)
	if !reflect.DeepEqual(m.OneOf.Responses[0].Headers["A"], []string{"x"}) {
		t.Fatalf("oneOf headers = %v", m.OneOf.Responses[0].Headers)
	}
}

func TestDefaultsAndTags(t *testing.T) {
	m := decodeValid(t, `{"id":" a ","http":{"route":"/a","httpMethod":"get"},"tags":["x"," x ","","y"],"response":{}}`)
	if m.ID != "a" || m.Namespace != DefaultNamespace || m.HTTP.HTTPMethod != "GET" {
		t.Fatalf("defaults: id=%q ns=%q method=%q", m.ID, m.Namespace, m.HTTP.HTTPMethod)
	}
	if !reflect.DeepEqual(m.Tags, []string{"x", "y"}) {
		t.Fatalf("tags = %v", m.Tags)
	}
}

func TestValidationNamesTheField(t *testing.T) {
	cases := []struct {
		name, doc, field, msg string
	}{
		{"missing id", `{"http":{"route":"/a"},"response":{}}`, "id", "required"},
		{"bad id", `{"id":"a b","http":{"route":"/a"},"response":{}}`, "id", "characters"},
		{"no context", `{"id":"a","response":{}}`, "", "protocol context"},
		{"two contexts", `{"id":"a","http":{"route":"/a"},"kafka":{"topic":"t"},"response":{}}`, "kafka", "only one"},
		{"no response", `{"id":"a","http":{"route":"/a"}}`, "response", "required"},
		{"response and oneOf", `{"id":"a","http":{"route":"/a"},"response":{},"oneOf":{"responses":[{}]}}`, "oneOf", "exactly one"},
		{"proxy with payload", `{"id":"a","http":{"route":"/a"},"proxy":{"target":"https://x.test"},"response":{"payload":{}}}`, "response", "delay and headers"},
		{"unknown assert", `{"id":"a","http":{"route":"/a","conditions":[{"path":"$.a","assertAction":"sortof"}]},"response":{}}`, "http.conditions[0].assertAction", "unknown assertAction"},
		{"missing value", `{"id":"a","http":{"route":"/a","queryParams":[{"path":"q","assertAction":"equals"}]},"response":{}}`, "http.queryParams[0].value", "required"},
		{"bad regex", `{"id":"a","grpc":{"service":"s.S","method":"M","meta":[{"path":"x","assertAction":"matches","value":"(("}]},"response":{}}`, "grpc.meta[0].value", "regular expression"},
		{"bad decode", `{"id":"a","http":{"route":"/a","conditions":[{"path":"$.a","assertAction":"any","decode":"hex"}]},"response":{}}`, "http.conditions[0].decode", "base64"},
		{"route without slash", `{"id":"a","http":{"route":"api"},"response":{}}`, "http.route", "start with"},
		{"empty param", `{"id":"a","http":{"route":"/a/:"},"response":{}}`, "http.route", "without a name"},
		{"duplicate param", `{"id":"a","http":{"route":"/a/:id/b/:id"},"response":{}}`, "http.route", "twice"},
		{"bad method", `{"id":"a","http":{"route":"/a","httpMethod":"FETCH"},"response":{}}`, "http.httpMethod", "unknown"},
		{"bad routePattern", `{"id":"a","http":{"routePattern":"[a"},"response":{}}`, "http.routePattern", "regular expression"},
		{"grpc no method", `{"id":"a","grpc":{"service":"s.S"},"response":{}}`, "grpc.method", "required"},
		{"grpc code", `{"id":"a","grpc":{"service":"s.S","method":"M"},"response":{"statusCode":20}}`, "response.statusCode", "gRPC"},
		{"http status", `{"id":"a","http":{"route":"/a"},"response":{"statusCode":1000}}`, "response.statusCode", "599"},
		{"kafka topic", `{"id":"a","kafka":{},"response":{}}`, "kafka.topic", "required"},
		{"rabbit url", `{"id":"a","rabbitmq":{"queue":"q","outputURL":"http://x"},"response":{}}`, "rabbitmq.outputURL", "amqp"},
		{"sse path", `{"id":"a","sse":{"eventName":"e"},"response":{}}`, "sse.eventPath", "required"},
		{"mcp no name", `{"id":"a","mcp":{"description":"d"},"response":{}}`, "mcp.tool", "required"},
		{"mcp two names", `{"id":"a","mcp":{"tool":"t","resource":"config://x"},"response":{}}`, "mcp.tool", "one of"},
		{"mcp method", `{"id":"a","mcp":{"method":"resources/read","tool":"t"},"response":{}}`, "mcp.method", "does not fit"},
		{"mcp schema", `{"id":"a","mcp":{"tool":"t","inputSchema":{"type":"string"}},"response":{}}`, "mcp.inputSchema", "object"},
		{"graphql op", `{"id":"a","graphql":{"operation":"fetch","field":"f"},"response":{}}`, "graphql.operation", "query"},
		{"oneOf order", `{"id":"a","http":{"route":"/a"},"oneOf":{"order":"shuffle","responses":[{}]}}`, "oneOf.order", "order"},
		{"oneOf empty", `{"id":"a","http":{"route":"/a"},"oneOf":{"responses":[]}}`, "oneOf.responses", "at least one"},
		{"proxy url", `{"id":"a","http":{"route":"/a"},"proxy":{"target":"ftp://x"}}`, "proxy.target", "http"},
		{"webhook url", `{"id":"a","http":{"route":"/a"},"response":{},"webhooks":[{"type":"http"}]}`, "webhooks[0].url", "required"},
		{"webhook type", `{"id":"a","http":{"route":"/a"},"response":{},"webhooks":[{"type":"sms","url":"http://x"}]}`, "webhooks[0].type", "http, kafka or rabbitmq"},
		{"webhook trigger", `{"id":"a","http":{"route":"/a"},"response":{},"webhooks":[{"url":"http://x","trigger":"later"}]}`, "webhooks[0].trigger", "on_success"},
		{"cStore without chain", `{"id":"a","http":{"route":"/a"},"response":{},"extract":{"cStore":{"k":"$.body.k"}}}`, "extract.cStore", "chainId"},
		{"ttl", `{"id":"a","http":{"route":"/a"},"response":{},"ttl":-1}`, "ttl", "milliseconds"},
		{"template path", `{"id":"a","http":{"route":"/a"},"response":{"payloadTemplatePath":"../x.json"}}`, "response.payloadTemplatePath", "plain"},
		{"base64 payload", `{"id":"a","http":{"route":"/a"},"response":{"decode":"base64","payload":"!!!"}}`, "response.payload", "base64"},
		{"error detail", `{"id":"a","grpc":{"service":"s.S","method":"M"},"response":{"errorDetails":[{"type":"oops"}]}}`, "response.errorDetails[0].type", "unknown"},
		{"sse loopDelay", `{"id":"a","sse":{"eventPath":"/e"},"response":{"sseEventChain":{"events":[],"loopDelay":5}}}`, "response.sseEventChain.loopDelay", "100"},
		{"namespace", `{"id":"a","namespace":"a/b","http":{"route":"/a"},"response":{}}`, "namespace", "characters"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, err := DecodeMock([]byte(c.doc))
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			m.Normalise()
			ferr := m.Validate()
			if ferr == nil {
				t.Fatal("want a validation error")
			}
			if ferr.Field != c.field || !strings.Contains(ferr.Message, c.msg) {
				t.Fatalf("got field %q message %q; want field %q containing %q", ferr.Field, ferr.Message, c.field, c.msg)
			}
			if ferr.Malformed {
				t.Fatal("a rule violation is not malformed input")
			}
		})
	}
}

func TestAcceptedForms(t *testing.T) {
	for _, doc := range []string{
		`{"id":"a","http":{"route":"/a","conditions":[{"path":"$.x","assertAction":"plugin:luhn"}]},"response":{}}`,
		`{"id":"a","http":{"route":"/a","conditions":[{"path":"$.x","assertAction":"equals","valueFromFile":"/templates/x.json"}]},"response":{}}`,
		`{"id":"a","http":{"route":"/users/:id/orders/:orderId","httpMethod":"ANY"},"proxy":{"target":"https://api.test"},"response":{"delay":10,"headers":{"X":"y"}}}`,
		`{"id":"a","grpc":{"service":"s.S","method":"M"},"proxy":{"target":"real-service:50051"}}`,
		`{"id":"a","smtp":{"serverName":"mail","subjectConditions":[{"path":"","assertAction":"contains","value":"Hi"}]},"response":{"statusCode":250}}`,
		`{"id":"a","rabbitmq":{"exchange":"x","routingKey":"k","outputProps":{"deliveryMode":2,"priority":5}},"response":{}}`,
		`{"id":"a","socket":{"serverName":"ws","event":"ping","socketType":"websocket"},"response":{"payload":"pong"}}`,
		`{"id":"a","chainId":"order-flow","http":{"route":"/a"},"response":{},"extract":{"cStore":{"orderId":"$.fake.UUID"},"gStore":{"n":"$.increment($.gS.n || 0)"}}}`,
	} {
		decodeValid(t, doc)
	}
}

func TestMalformedInput(t *testing.T) {
	cases := []struct{ doc, field, msg string }{
		{`{"id":"a",`, "", "malformed JSON"},
		{``, "", "empty"},
		{`[1]`, "", "JSON object"},
		{`{"id":5}`, "id", "wrong type"},
		{`{"id":"a","http":{"route":5}}`, "http.route", "wrong type"},
		{`{"id":"a","http":{"route":"/a"},"response":{"statusCode":"200"}}`, "response.statusCode", "wrong type"},
		{`{"id":"a","http":{"route":"/a","conditions":{"path":"x"}}}`, "http.conditions", "wrong type"},
		{`{"id":"a"} {"id":"b"}`, "", "after the top-level value"},
	}
	for _, c := range cases {
		_, err := DecodeMock([]byte(c.doc))
		fe, ok := err.(*FieldError)
		if !ok {
			t.Fatalf("%s: want *FieldError, got %v", c.doc, err)
		}
		if !fe.Malformed || fe.Field != c.field || !strings.Contains(fe.Message, c.msg) {
			t.Fatalf("%s: got %+v; want field %q containing %q", c.doc, fe, c.field, c.msg)
		}
	}
	_, err := DecodeMocks([]byte(`[{"id":"a"},{"id":7}]`))
	if fe, ok := err.(*FieldError); !ok || fe.Field != "[1].id" {
		t.Fatalf("batch error must carry the index: %v", err)
	}
}

// Every field of every context survives a decode/encode round trip.
func TestLosslessRoundTrip(t *testing.T) {
	docs := []string{
		`{"id":"h","namespace":"ns","chainId":"c","pathPrefix":"/p","serverName":"s","http":{"route":"/u/:id","routePattern":"^/u/.*$","httpMethod":"POST","conditions":[{"path":"$.body.a","assertAction":"equals","value":{"x":[1,2.5,"s",null,true]},"decode":"base64","sortArray":true}],"queryParams":[{"path":"q","assertAction":"notEmpty"}],"header":[{"path":"Authorization","assertAction":"matches","value":"^Bearer .+$"}],"sortArray":true},"oneOf":{"order":"order","offset":1,"responses":[{"statusCode":201,"headers":{"A":["1","2"]},"payload":{"id":"$.fake.UUID"},"delay":5},{"payloadTemplatePath":"t.json"}]},"webhooks":[{"type":"http","trigger":"always","body":{"id":"$.response.id"},"async":true,"timeout":100,"retryCount":2,"retryDelay":50,"secret":"s","url":"https://hook.test/x","method":"POST","headers":{"X":"y"}},{"type":"kafka","kafkaBrokers":"a:9092","kafkaTopic":"t","kafkaKey":"k","kafkaUsername":"u","kafkaPassword":"p","kafkaUseSASL":true,"kafkaUseTLS":true},{"type":"rabbitmq","rabbitURL":"amqp://x","rabbitExchange":"e","rabbitRoutingKey":"r","rabbitQueue":"q","rabbitMandatory":true}],"ttl":60000,"useLimiter":3,"useCounter":0,"priority":10,"tags":["a","b"],"folderId":"f","extract":{"mStore":{"a":"$.body.a"},"cStore":{"b":"PAID"},"gStore":{"n":"$.increment($.gS.n || 0)"}},"mStore":{"seed":{"k":1}}}`,
		`{"id":"g","grpc":{"service":"s.S","method":"M","methodType":"server-stream","conditions":[{"path":"$.name","assertAction":"contains","value":"x"}],"meta":[{"path":"x-user","assertAction":"equals","value":"1"}],"sortArray":true},"response":{"statusCode":5,"error":"not found","errorDetails":[{"type":"badRequest","details":{"fieldViolations":[{"field":"id"}]}}]},"useCounter":0}`,
		`{"id":"m2","mcp":{"method":"resources/read","resource":"config://app","mimeType":"application/json"},"response":{"payload":{"contents":[{"uri":"config://app","text":"{}"}]}},"useCounter":0}`,
		`{"id":"m3","mcp":{"method":"prompts/get","prompt":"review"},"response":{"payload":{"messages":[]}},"useCounter":0}`,
		`{"id":"m","mcp":{"method":"tools/call","tool":"t","description":"d","inputSchema":{"type":"object","properties":{"q":{"type":"string"}},"required":["q"]},"conditions":[{"path":"$.q","assertAction":"any"}],"header":[{"path":"X","assertAction":"empty"}],"sortArray":true},"response":{"payload":{"content":[{"type":"text","text":"hi"}]},"mcpIsError":true},"useCounter":0}`,
		`{"id":"so","socket":{"serverName":"ws","socketType":"tcp","event":"e","namespace":"/chat","conditions":[{"path":"$.a","assertAction":"not_equals","value":1}],"sortArray":true},"response":{"payload":"x"},"useCounter":0}`,
		`{"id":"sp","soap":{"service":"S","method":"M","action":"urn:a","path":"/ws","conditions":[{"path":"$.a","assertAction":"not_contains","value":"b"}],"header":[{"path":"SOAPAction","assertAction":"any"}],"sortArray":true},"response":{"soapFault":{"faultCode":"soap:Client","faultString":"bad","faultActor":"a","detail":"<d/>","httpStatus":400}},"useCounter":0}`,
		`{"id":"gq","graphql":{"operation":"query","field":"user","type":"User","path":"/graphql","conditions":[{"path":"$.id","assertAction":"equals","value":"1"}],"header":[{"path":"X","assertAction":"any"}],"sortArray":true},"response":{"payload":{"data":null},"graphqlErrors":[{"message":"m","path":["user",0],"locations":[{"line":1,"column":2}],"extensions":{"code":"X"}}]},"useCounter":0}`,
		`{"id":"se","sse":{"eventPath":"/events","eventName":"e","description":"d","conditions":[{"path":"x","assertAction":"any"}],"headerConditions":[{"path":"Y","assertAction":"any"}],"sortArray":true},"response":{"sseEventChain":{"events":[{"eventName":"a","data":{"n":1},"delay":10,"id":"1","retry":1000,"templatePath":"e.json"}],"loop":true,"loopDelay":100,"heartbeat":500,"maxLoops":3,"maxTime":60,"logBatch":10}},"useCounter":0}`,
		`{"id":"k","kafka":{"topic":"t","serverName":"s","consumerGroup":"g","conditions":[{"path":"$.a","assertAction":"any"}],"headers":[{"path":"h","assertAction":"any"}],"sortArray":true,"outputTopic":"o","outputBrokers":"a:1,b:2","outputKey":"$.body.id","outputHeaders":{"x":"$.body.y"}},"response":{"payload":{"ok":true},"error":"boom","delay":3},"useCounter":0}`,
		`{"id":"r","rabbitmq":{"queue":"q","exchange":"x","routingKey":"k","serverName":"s","conditions":[{"path":"$.a","assertAction":"any"}],"headers":[{"path":"h","assertAction":"any"}],"sortArray":true,"outputURL":"amqp://guest:guest@localhost:5672/","outputExchange":"ox","outputRoutingKey":"ok","outputQueue":"oq","outputProps":{"deliveryMode":2,"correlationId":"c","replyTo":"r","contentType":"application/json","priority":1,"messageId":"m","type":"t","appId":"a"}},"response":{"payload":{}},"useCounter":0}`,
		`{"id":"sm","smtp":{"serverName":"mail","senderConditions":[{"path":"","assertAction":"contains","value":"@x"}],"recipientConditions":[{"path":"","assertAction":"any"}],"subjectConditions":[{"path":"","assertAction":"any"}],"bodyConditions":[{"path":"","assertAction":"any"}],"headerConditions":[{"path":"X","assertAction":"any"}],"sortArray":true},"response":{"statusCode":250,"decode":"base64","payload":"aGk="},"useCounter":0}`,
	}
	for _, doc := range docs {
		m := decodeValid(t, doc)
		out, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		var a, b any
		if err := json.Unmarshal([]byte(doc), &a); err != nil {
			t.Fatal(err)
		}
		if am := a.(map[string]any); am["namespace"] == nil {
			am["namespace"] = DefaultNamespace // the one default filled on the way in
		}
		if err := json.Unmarshal(out, &b); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(a, b) {
			t.Errorf("round trip changed the mock:\n in %s\nout %s", doc, out)
		}
	}
}

func TestMergePatch(t *testing.T) {
	got, err := MergePatch([]byte(`{"a":{"b":1,"c":2},"d":[1],"big":12345678901234567890}`), []byte(`{"a":{"b":null,"e":3},"d":[2]}`))
	if err != nil {
		t.Fatal(err)
	}
	var v, want any
	_ = json.Unmarshal(got, &v)
	_ = json.Unmarshal([]byte(`{"a":{"c":2,"e":3},"d":[2],"big":12345678901234567890}`), &want)
	if !reflect.DeepEqual(v, want) {
		t.Fatalf("merge = %s", got)
	}
	if !strings.Contains(string(got), "12345678901234567890") {
		t.Fatalf("large numbers must stay exact: %s", got)
	}
}

func TestValidFileName(t *testing.T) {
	for _, ok := range []string{"a.json", "users-list.xml", "x y.txt"} {
		if !ValidFileName(ok) {
			t.Errorf("%q should be valid", ok)
		}
	}
	for _, bad := range []string{"", ".", "..", "../a", "a/b", `a\b`, ".hidden", "a..b", "a\x00b", "a\nb", strings.Repeat("a", 201)} {
		if ValidFileName(bad) {
			t.Errorf("%q should be refused", bad)
		}
	}
}

// The Python SDK's snake_case and the Go container example's request
// shape decode as the mock they mean; user data keeps its keys.
func TestDecodeSnakeCaseAndRequestShape(t *testing.T) {
	m, err := DecodeMock([]byte(`{"id": "py", "chain_id": "c1", "use_limiter": 3, "path_prefix": "/v1",
	  "http": {"route": "/x", "http_method": "POST", "query_params": [{"path": "q", "assert_action": "not_equals", "value": "a"}]},
	  "response": {"status_code": 201, "payload": {"user_name": "kept"}, "headers": {"X_Custom": ["kept"]}},
	  "callbacks": [{"url": "http://example.com/hook", "retry_count": 2}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if m.ChainID != "c1" || m.UseLimiter != 3 || m.PathPrefix != "/v1" || m.HTTP.HTTPMethod != "POST" ||
		len(m.HTTP.QueryParams) != 1 || m.HTTP.QueryParams[0].AssertAction != "not_equals" || m.Response.StatusCode != 201 ||
		string(m.Response.Payload) != `{"user_name":"kept"}` || m.Response.Headers["X_Custom"] == nil || len(m.Webhooks) != 1 {
		t.Fatalf("snake_case: %+v %+v %+v", m, m.HTTP, m.Response)
	}
	g, err := DecodeMock([]byte(`{"http": {"request": {"method": "GET", "path": "/ping"}}, "response": {"status": 200, "body": "hello"}}`))
	if err != nil {
		t.Fatal(err)
	}
	if g.HTTP.Route != "/ping" || g.HTTP.HTTPMethod != "GET" || g.Response.StatusCode != 200 || string(g.Response.Payload) != `"hello"` {
		t.Fatalf("request shape: %+v %+v", g.HTTP, g.Response)
	}
}
