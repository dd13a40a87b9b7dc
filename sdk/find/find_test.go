package find

import (
	"bytes"
	"encoding/json"
	"reflect"
	"sort"
	"testing"
)

// The field names are the public contract: they must stay exactly as the
// spec's find* bodies name them.
func TestFindContractFieldNames(t *testing.T) {
	cases := []struct {
		v    any
		want []string
	}{
		{GRPCRequest{}, []string{"namespace", "serverName", "service", "method", "meta", "data"}},
		{GRPCResponse{}, []string{"data", "streamResponses", "meta", "error", "proxy", "delay"}},
		{SocketRequest{}, []string{"namespace", "serverName", "mockServerName", "socketType", "event", "data"}},
		{SocketResponse{}, []string{"data", "error", "proxy", "delay"}},
		{KafkaRequest{}, []string{"namespace", "serverName", "topic", "consumerGroup", "headers", "data"}},
		{KafkaResponse{}, []string{"mockId", "data", "outputHeaders", "outputMessageHeaders", "outputTopic", "outputBrokers", "outputKey", "error", "delay"}},
		{RabbitMQRequest{}, []string{"namespace", "serverName", "queue", "exchange", "routingKey", "headers", "data"}},
		// The spec's fields, with the mock and where the reply goes (as Kafka's has them).
		{RabbitMQResponse{}, []string{"mockId", "outputURL", "outputExchange", "outputRoutingKey", "outputQueue", "data", "outputHeaders", "outputProps", "error", "delay"}},
		{SMTPRequest{}, []string{"namespace", "serverName", "from", "to", "subject", "body", "headers"}},
		{SMTPResponse{}, []string{"found", "mockId", "statusCode", "statusMessage", "acceptMail", "storeEmail", "headers", "delay"}},
	}
	for _, c := range cases {
		typ := reflect.TypeOf(c.v)
		var got []string
		for i := 0; i < typ.NumField(); i++ {
			tag := typ.Field(i).Tag.Get("json")
			for j := 0; j < len(tag); j++ {
				if tag[j] == ',' {
					tag = tag[:j]
					break
				}
			}
			got = append(got, tag)
		}
		sort.Strings(got)
		want := append([]string(nil), c.want...)
		sort.Strings(want)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s fields = %v, want %v", typ.Name(), got, want)
		}
	}
}

func TestFindGRPCResponseRoundTrip(t *testing.T) {
	in := `{"data":{"name":"x"},"streamResponses":[{"i":1},{"i":2}],"meta":{"k":"v"},"error":{"code":5,"message":"nope","details":[{"type":"retryInfo","details":{"retryDelay":"1s"}}]},"proxy":{"target":"real:50051"},"delay":20}`
	var r GRPCResponse
	if err := json.Unmarshal([]byte(in), &r); err != nil {
		t.Fatal(err)
	}
	if r.Error == nil || r.Error.Code != 5 || len(r.Error.Details) != 1 || r.Error.Details[0].Type != "retryInfo" {
		t.Fatalf("error not decoded: %+v", r.Error)
	}
	if len(r.StreamResponses) != 2 || r.Proxy.Target != "real:50051" || r.Delay != 20 || r.Meta["k"] != "v" {
		t.Fatalf("decoded %+v", r)
	}
	out, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var a, b any
	_ = json.Unmarshal([]byte(in), &a)
	_ = json.Unmarshal(out, &b)
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("round trip changed the body:\n in %s\nout %s", in, out)
	}
}

// A body set with SetBody is in the request's JSON: as text when it is
// UTF-8, else in bodyBase64.
func TestFindHTTPRequestJSONCarriesTheRawBody(t *testing.T) {
	for _, c := range []struct {
		body []byte
		want string
	}{
		{[]byte(`{"a":1}`), `{"method":"POST","path":"/x","body":"{\"a\":1}"}`},
		{[]byte{0xff, 0x00}, `{"method":"POST","path":"/x","bodyBase64":"/wA="}`},
		{nil, `{"method":"POST","path":"/x"}`},
	} {
		req := &HTTPRequest{Method: "POST", Path: "/x"}
		req.SetBody(c.body)
		out, err := json.Marshal(req)
		if err != nil || string(out) != c.want {
			t.Errorf("%q: %s %v, want %s", c.body, out, err, c.want)
		}
		var back HTTPRequest
		if err := json.Unmarshal(out, &back); err != nil || !bytes.Equal(back.RawBody(), c.body) {
			t.Errorf("%q: decoded %q %v", c.body, back.RawBody(), err)
		}
	}
	plain := HTTPRequest{Method: "GET", Path: "/y", Body: json.RawMessage(`{"b":2}`)}
	if out, _ := json.Marshal(plain); string(out) != `{"method":"GET","path":"/y","body":{"b":2}}` {
		t.Fatalf("a request without SetBody: %s", out)
	}
}
