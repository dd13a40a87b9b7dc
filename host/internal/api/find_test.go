package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"
)

func TestFindGRPC(t *testing.T) {
	s := newTestServer(t)
	s.expect(http.StatusCreated, "POST", "/api/v1/mocks", `{"id":"get-user","grpc":{"service":"user.UserService","method":"GetUser",
"conditions":[{"path":"$.id","assertAction":"equals","value":"42"}],"meta":[{"path":"x-tenant","assertAction":"equals","value":"acme"}]},
"response":{"payload":{"id":"$.req.id","name":"Ann"},"headers":{"x-served-by":["mock"]}}}`)
	s.expect(http.StatusCreated, "POST", "/api/v1/mocks", `{"id":"missing-user","grpc":{"service":"user.UserService","method":"GetUser"},
"response":{"statusCode":5,"error":"user not found","errorDetails":[{"type":"resourceInfo","details":{"resourceType":"user"}}]}}`)
	s.expect(http.StatusCreated, "POST", "/api/v1/mocks", `{"id":"list-users","grpc":{"service":"user.UserService","method":"ListUsers","methodType":"server-stream"},
"response":{"payload":[{"n":1},{"n":2},{"n":3}]}}`)

	v := s.expect(200, "POST", "/mock/findGrpc", `{"namespace":"sandbox","service":"user.UserService","method":"GetUser","meta":{"X-Tenant":["acme"]},"data":{"id":"42"}}`)
	if !reflect.DeepEqual(v["data"], map[string]any{"id": "42", "name": "Ann"}) || v["meta"].(map[string]any)["x-served-by"] != "mock" {
		t.Fatalf("match: %v", v)
	}
	v = s.expect(200, "POST", "/mock/findGrpc", `{"service":"user.UserService","method":"GetUser","data":{"id":"7"}}`)
	e := v["error"].(map[string]any)
	if e["code"] != float64(5) || e["message"] != "user not found" || e["details"].([]any)[0].(map[string]any)["type"] != "resourceInfo" {
		t.Fatalf("error reply: %v", v)
	}
	v = s.expect(200, "POST", "/mock/findGrpc", `{"service":"user.UserService","method":"ListUsers","data":{}}`)
	if len(v["streamResponses"].([]any)) != 3 || v["data"] != nil {
		t.Fatalf("server stream: %v", v)
	}
	r := s.do("POST", "/mock/findGrpc", `{"service":"user.UserService","method":"DeleteUser","data":{}}`)
	if r.Status != 404 || r.JSON(t)["code"] != "no_match" {
		t.Fatalf("no match: %d %s", r.Status, r.Body)
	}
	s.expectError(http.StatusUnprocessableEntity, CodeValidation, "service", "POST", "/mock/findGrpc", `{"method":"X"}`)
	s.expectError(http.StatusBadRequest, CodeValidation, "", "POST", "/mock/findGrpc", `{"service":`)
}

func TestFindMessaging(t *testing.T) {
	s := newTestServer(t)
	s.expect(http.StatusCreated, "POST", "/api/v1/mocks", `{"id":"order-created","kafka":{"topic":"orders","outputTopic":"orders.ack",
"conditions":[{"path":"$.type","assertAction":"equals","value":"created"}],"headers":[{"path":"source","assertAction":"equals","value":"shop"}],
"outputKey":"$.req.id","outputHeaders":{"ack-for":"$.req.id"}},"response":{"payload":{"ack":"$.req.id"},"headers":{"h":["1"]}}}`)
	v := s.expect(200, "POST", "/mock/findKafka", `{"topic":"orders","headers":{"source":"shop"},"data":{"type":"created","id":"o-1"}}`)
	if v["data"].(map[string]any)["ack"] != "o-1" || v["outputHeaders"].(map[string]any)["ack-for"] != "o-1" || v["outputMessageHeaders"].(map[string]any)["h"] != "1" {
		t.Fatalf("kafka: %v", v)
	}
	if r := s.do("POST", "/mock/findKafka", `{"topic":"orders","headers":{"source":"pos"},"data":{"type":"created"}}`); r.Status != 404 {
		t.Fatalf("kafka header condition: %d", r.Status)
	}
	// A message value sent as a JSON string is matched as the document it holds.
	if r := s.do("POST", "/mock/findKafka", `{"topic":"orders","headers":{"source":"shop"},"data":"{\"type\":\"created\",\"id\":\"o-2\"}"}`); r.Status != 200 {
		t.Fatalf("string value: %d %s", r.Status, r.Body)
	}

	s.expect(http.StatusCreated, "POST", "/api/v1/mocks", `{"id":"rpc","rabbitmq":{"queue":"rpc.q","outputProps":{"correlationId":"c-1","contentType":"application/json","deliveryMode":2}},
"response":{"payload":{"ok":true}}}`)
	s.expect(http.StatusCreated, "POST", "/api/v1/mocks", `{"id":"routed","rabbitmq":{"exchange":"events","routingKey":"user.created"},"response":{"error":"rejected"}}`)
	v = s.expect(200, "POST", "/mock/findRabbitMQ", `{"queue":"rpc.q","data":{}}`)
	if v["outputProps"].(map[string]any)["correlationId"] != "c-1" || v["data"].(map[string]any)["ok"] != true {
		t.Fatalf("rabbitmq queue: %v", v)
	}
	v = s.expect(200, "POST", "/mock/findRabbitMQ", `{"exchange":"events","routingKey":"user.created","data":{}}`)
	if v["error"].(map[string]any)["message"] != "rejected" {
		t.Fatalf("rabbitmq exchange: %v", v)
	}

	s.expect(http.StatusCreated, "POST", "/api/v1/mocks", `{"id":"ws-ping","socket":{"serverName":"chat","event":"ping","conditions":[{"path":"$.room","assertAction":"equals","value":"a"}]},
"response":{"payload":{"event":"pong","room":"$.req.room"}}}`)
	v = s.expect(200, "POST", "/mock/findSocket", `{"serverName":"chat","event":"ping","data":{"room":"a"}}`)
	if v["data"].(map[string]any)["event"] != "pong" || v["data"].(map[string]any)["room"] != "a" {
		t.Fatalf("socket: %v", v)
	}
}

func TestFindSMTPAndHTTP(t *testing.T) {
	s := newTestServer(t)
	s.expect(http.StatusCreated, "POST", "/api/v1/mocks", `{"id":"reject-spam","priority":5,"smtp":{"serverName":"mail","subjectConditions":[{"path":"","assertAction":"contains","value":"WIN"}]},
"response":{"statusCode":554,"error":"spam refused"}}`)
	s.expect(http.StatusCreated, "POST", "/api/v1/mocks", `{"id":"accept","smtp":{"serverName":"mail","recipientConditions":[{"path":"","assertAction":"contains","value":"ops@corp.test"}]},
"response":{"statusCode":250,"payload":{"message":"queued","storeEmail":true}}}`)
	v := s.expect(200, "POST", "/mock/findSmtp", `{"serverName":"mail","from":"a@x.test","to":["dev@corp.test","ops@corp.test"],"subject":"Report","body":"hi"}`)
	if v["found"] != true || v["acceptMail"] != true || v["statusCode"] != float64(250) || v["storeEmail"] != true || v["statusMessage"] != "queued" || v["mockId"] != "accept" {
		t.Fatalf("accept: %v", v)
	}
	v = s.expect(200, "POST", "/mock/findSmtp", `{"serverName":"mail","from":"a@x.test","to":["ops@corp.test"],"subject":"WIN NOW"}`)
	if v["acceptMail"] != false || v["statusCode"] != float64(554) || v["statusMessage"] != "spam refused" {
		t.Fatalf("reject: %v", v)
	}
	v = s.expect(200, "POST", "/mock/findSmtp", `{"serverName":"mail","from":"a@x.test","to":["nobody@x.test"],"subject":"hello"}`)
	if v["found"] != false || v["acceptMail"] != false {
		t.Fatalf("no match: %v", v)
	}

	s.expect(http.StatusCreated, "POST", "/api/v1/mocks", `{"id":"h","http":{"route":"/api/users/:id","httpMethod":"GET"},"response":{"statusCode":200,"payload":{"id":"$.pathParam.id"}}}`)
	v = s.expect(200, "POST", "/mock/findHttp", `{"method":"GET","path":"/api/users/9"}`)
	if v["found"] != true || v["statusCode"] != float64(200) || v["body"].(map[string]any)["id"] != "9" {
		t.Fatalf("findHttp: %v", v)
	}
	if r := s.do("POST", "/mock/findHttp", `{"method":"POST","path":"/api/users/9"}`); r.Status != 404 {
		t.Fatalf("findHttp miss: %d", r.Status)
	}
}

func TestFindWebProtocols(t *testing.T) {
	s := newTestServer(t)
	s.expect(http.StatusCreated, "POST", "/api/v1/mocks", `{"id":"soap-get","soap":{"action":"urn:GetAccount","path":"/ws/accounts",
"conditions":[{"path":"$.GetAccount.id","assertAction":"equals","value":"7"}]},
"response":{"payload":{"Envelope":{"Body":{"GetAccountResponse":{"id":"$.req.GetAccount.id","balance":100}}}}}}`)
	s.expect(http.StatusCreated, "POST", "/api/v1/mocks", `{"id":"soap-fault","soap":{"method":"Withdraw"},
"response":{"soapFault":{"faultCode":"soap:Client","faultString":"insufficient funds","httpStatus":400}}}`)
	v := s.expect(200, "POST", "/mock/findSoap", `{"action":"urn:GetAccount","path":"/ws/accounts","operation":"GetAccount","data":{"GetAccount":{"id":"7"}}}`)
	if v["mockId"] != "soap-get" || v["data"].(map[string]any)["Envelope"].(map[string]any)["Body"].(map[string]any)["GetAccountResponse"].(map[string]any)["id"] != "7" {
		t.Fatalf("soap: %v", v)
	}
	v = s.expect(200, "POST", "/mock/findSoap", `{"operation":"Withdraw","data":{}}`)
	if v["statusCode"] != float64(400) || v["soapFault"].(map[string]any)["faultString"] != "insufficient funds" {
		t.Fatalf("soap fault: %v", v)
	}

	s.expect(http.StatusCreated, "POST", "/api/v1/mocks", `{"id":"weather","mcp":{"tool":"get_weather","description":"Weather by city",
"conditions":[{"path":"$.city","assertAction":"equals","value":"Paris"}]},
"response":{"payload":{"content":[{"type":"text","text":"Sunny in $.req.city"}]}}}`)
	s.expect(http.StatusCreated, "POST", "/api/v1/mocks", `{"id":"weather-err","mcp":{"tool":"get_weather"},
"response":{"payload":{"content":[{"type":"text","text":"unknown city"}]},"mcpIsError":true}}`)
	v = s.expect(200, "POST", "/mock/findMcp", `{"method":"tools/call","tool":"get_weather","arguments":{"city":"Paris"}}`)
	if v["isError"] != nil || v["result"].(map[string]any)["content"].([]any)[0].(map[string]any)["text"] != "Sunny in Paris" {
		t.Fatalf("mcp: %v", v)
	}
	v = s.expect(200, "POST", "/mock/findMcp", `{"method":"tools/call","tool":"get_weather","arguments":{"city":"Atlantis"}}`)
	if v["isError"] != true {
		t.Fatalf("mcp tool error: %v", v)
	}

	s.expect(http.StatusCreated, "POST", "/api/v1/mocks", `{"id":"user-q","graphql":{"operation":"query","field":"user",
"conditions":[{"path":"$.id","assertAction":"equals","value":"1"}]},"response":{"payload":{"id":"$.req.id","name":"Ann"}}}`)
	s.expect(http.StatusCreated, "POST", "/api/v1/mocks", `{"id":"user-missing","graphql":{"operation":"query","field":"user"},
"response":{"payload":null,"graphqlErrors":[{"message":"not found","path":["user"],"extensions":{"code":"NOT_FOUND"}}]}}`)
	v = s.expect(200, "POST", "/mock/findGraphql", `{"operation":"query","field":"user","arguments":{"id":"1"}}`)
	if v["data"].(map[string]any)["name"] != "Ann" || v["errors"] != nil {
		t.Fatalf("graphql: %v", v)
	}
	v = s.expect(200, "POST", "/mock/findGraphql", `{"field":"user","arguments":{"id":"2"}}`)
	errs := v["errors"].([]any)
	if len(errs) != 1 || errs[0].(map[string]any)["message"] != "not found" || errs[0].(map[string]any)["extensions"].(map[string]any)["code"] != "NOT_FOUND" {
		t.Fatalf("graphql errors: %v", v)
	}

	s.expect(http.StatusCreated, "POST", "/api/v1/mocks", `{"id":"orders-stream","sse":{"eventPath":"/events/orders/:shop",
"conditions":[{"path":"since","assertAction":"notEmpty"}]},
"response":{"sseEventChain":{"events":[{"eventName":"order","id":"1","data":{"shop":"$.pathParam.shop","n":1}},{"eventName":"order","id":"2","data":"plain $.queryParams.since"}],"maxLoops":2}}}`)
	v = s.expect(200, "POST", "/mock/findSse", `{"path":"/events/orders/s1","query":{"since":["5"]}}`)
	chain := v["sseEventChain"].(map[string]any)
	evs := chain["events"].([]any)
	if v["mockId"] != "orders-stream" || len(evs) != 2 || evs[0].(map[string]any)["data"].(map[string]any)["shop"] != "s1" ||
		evs[1].(map[string]any)["data"] != "plain 5" || chain["maxLoops"] != float64(2) {
		t.Fatalf("sse: %v", v)
	}
	if r := s.do("POST", "/mock/findSse", `{"path":"/events/orders/s1"}`); r.Status != 404 {
		t.Fatalf("sse query condition: %d", r.Status)
	}
	// XPath conditions read the envelope; a prompt is found by its name;
	// a GraphQL mock answers only at its path.
	s.expect(http.StatusCreated, "POST", "/api/v1/mocks", `{"id":"soap-xpath","soap":{"method":"Transfer",
"conditions":[{"path":"//*[local-name()='amount']","assertAction":"equals","value":100}]},"response":{"payload":{"TransferResponse":{"ok":true}}}}`)
	env := `<Envelope xmlns="http://schemas.xmlsoap.org/soap/envelope/"><Body><Transfer xmlns="urn:b"><amount>100</amount></Transfer></Body></Envelope>`
	q, _ := json.Marshal(map[string]any{"operation": "Transfer", "xml": env})
	if v = s.expect(200, "POST", "/mock/findSoap", string(q)); v["mockId"] != "soap-xpath" {
		t.Fatalf("xpath: %v", v)
	}
	q, _ = json.Marshal(map[string]any{"operation": "Transfer", "xml": strings.Replace(env, ">100<", ">5<", 1)})
	if r := s.do("POST", "/mock/findSoap", string(q)); r.Status != 404 || !strings.Contains(string(r.Body), "amount") {
		t.Fatalf("xpath miss: %d %s", r.Status, r.Body)
	}
	s.expectError(http.StatusUnprocessableEntity, CodeValidation, "soap.conditions[0].path", "POST", "/api/v1/mocks",
		`{"id":"bad-xpath","soap":{"method":"X","conditions":[{"path":"//*[","assertAction":"equals","value":1}]},"response":{}}`)
	s.expect(http.StatusCreated, "POST", "/api/v1/mocks", `{"id":"review","mcp":{"prompt":"code_review"},
"response":{"payload":{"messages":[{"role":"user","content":{"type":"text","text":"Review $.req.language code"}}]}}}`)
	v = s.expect(200, "POST", "/mock/findMcp", `{"method":"prompts/get","prompt":"code_review","arguments":{"language":"Go"}}`)
	if v["mockId"] != "review" || !strings.Contains(fmt.Sprint(v["result"]), "Review Go code") {
		t.Fatalf("prompt: %v", v)
	}
	s.expect(http.StatusCreated, "POST", "/api/v1/mocks", `{"id":"v2-user","graphql":{"field":"account","path":"/v2/graphql"},"response":{"payload":{"v":2}}}`)
	if v = s.expect(200, "POST", "/mock/findGraphql", `{"field":"account","path":"/v2/graphql"}`); v["mockId"] != "v2-user" {
		t.Fatalf("graphql path: %v", v)
	}
	if r := s.do("POST", "/mock/findGraphql", `{"field":"account","path":"/graphql"}`); r.Status != 404 || !strings.Contains(string(r.Body), "served at /v2/graphql") {
		t.Fatalf("graphql other path: %d %s", r.Status, r.Body)
	}
	// A payload's keys keep the mock's order (an XML sequence needs it).
	s.expect(http.StatusCreated, "POST", "/api/v1/mocks", `{"id":"ordered","soap":{"method":"Ordered"},"response":{"payload":{"OrderedResponse":{"zeta":1,"alpha":"$.req.Ordered.b","mid":true}}}}`)
	if r := s.do("POST", "/mock/findSoap", `{"operation":"Ordered","data":{"Ordered":{"b":"x"}}}`); r.Status != 200 ||
		!strings.Contains(string(r.Body), `{"OrderedResponse":{"zeta":1,"alpha":"x","mid":true}}`) {
		t.Fatalf("order: %d %s", r.Status, r.Body)
	}
	s.expectError(http.StatusUnprocessableEntity, CodeValidation, "field", "POST", "/mock/findGraphql", `{"operation":"query"}`)
	s.expectError(http.StatusUnprocessableEntity, CodeValidation, "tool", "POST", "/mock/findMcp", `{"method":"tools/call"}`)
}

func TestFindNumericConditions(t *testing.T) {
	s := newTestServer(t)
	s.expect(http.StatusCreated, "POST", "/api/v1/mocks", `{"id":"n","kafka":{"topic":"t","conditions":[{"path":"$.id","assertAction":"equals","value":42},
{"path":"$.tags","assertAction":"contains","value":7},{"path":"$.price","assertAction":"not_equals","value":1}]},"response":{"payload":{}}}`)
	if r := s.do("POST", "/mock/findKafka", `{"topic":"t","data":{"id":42,"tags":[1,7],"price":2.5}}`); r.Status != 200 {
		t.Fatalf("numbers in a message: %d %s", r.Status, r.Body)
	}
	if r := s.do("POST", "/mock/findKafka", `{"topic":"t","data":{"id":42,"tags":[1,7],"price":1}}`); r.Status != 404 {
		t.Fatalf("not_equals on a number: %d", r.Status)
	}
}

func TestFindAcceptsStringMaps(t *testing.T) {
	s := newTestServer(t)
	s.expect(http.StatusCreated, "POST", "/api/v1/mocks", `{"id":"h","http":{"route":"/a","queryParams":[{"path":"x","assertAction":"equals","value":"1"}],
"header":[{"path":"X-A","assertAction":"equals","value":"b"}]},"response":{"payload":{"ok":true}}}`)
	v := s.expect(200, "POST", "/mock/findHttp", `{"method":"GET","path":"/a","query":{"x":"1"},"headers":{"X-A":"b"}}`)
	if v["found"] != true {
		t.Fatalf("string maps: %v", v)
	}
	s.expect(200, "POST", "/mock/findHttp", `{"method":"GET","path":"/a","query":{"x":["1"]},"headers":{"X-A":["b"]}}`)
	s.expectError(http.StatusBadRequest, CodeValidation, "", "POST", "/mock/findHttp", `{"method":"GET","path":"/a","query":{"x":1}}`)
}

func TestFindHTTPBinaryBodies(t *testing.T) {
	s := newTestServer(t)
	s.expect(http.StatusCreated, "POST", "/api/v1/mocks", `{"id":"b","http":{"route":"/bin","httpMethod":"POST",
"conditions":[{"path":"","assertAction":"notEmpty"}]},"response":{"decode":"base64","payload":"/wD+"}}`)
	v := s.expect(200, "POST", "/mock/findHttp", `{"method":"POST","path":"/bin","bodyBase64":"//4AAQ=="}`)
	if v["bodyBase64"] != "/wD+" || v["body"] != nil {
		t.Fatalf("binary reply: %v", v)
	}
}
