package sdk

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
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
		{FindGRPCRequest{}, []string{"namespace", "serverName", "service", "method", "meta", "data"}},
		{FindGRPCResponse{}, []string{"data", "streamResponses", "meta", "error", "proxy", "delay"}},
		{FindSocketRequest{}, []string{"namespace", "serverName", "mockServerName", "socketType", "event", "data"}},
		{FindSocketResponse{}, []string{"data", "error", "proxy", "delay"}},
		{FindKafkaRequest{}, []string{"namespace", "serverName", "topic", "consumerGroup", "headers", "data"}},
		{FindKafkaResponse{}, []string{"mockId", "data", "outputHeaders", "outputMessageHeaders", "outputTopic", "outputBrokers", "outputKey", "error", "delay"}},
		{FindRabbitMQRequest{}, []string{"namespace", "serverName", "queue", "exchange", "routingKey", "headers", "data"}},
		{FindRabbitMQResponse{}, []string{"mockId", "data", "outputHeaders", "outputProps", "error", "delay"}},
		{FindSMTPRequest{}, []string{"namespace", "serverName", "from", "to", "subject", "body", "headers"}},
		{FindSMTPResponse{}, []string{"found", "mockId", "statusCode", "statusMessage", "acceptMail", "storeEmail", "headers", "delay"}},
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
	var r FindGRPCResponse
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

// NoMatch is the host's near-miss report: its JSON is what plugins show to
// callers, with the same fields as the host's own 404.
func TestNoMatchIsTheNearMissReport(t *testing.T) {
	in := `{"error":"no mock matches GET /x","code":"no_match","namespace":"qa","method":"GET","path":"/x","candidates":[{"mockId":"a","reason":"condition failed"}]}`
	var nm NoMatch
	if err := json.Unmarshal([]byte(in), &nm); err != nil {
		t.Fatal(err)
	}
	if nm.Message != "no mock matches GET /x" || nm.Code != "no_match" || nm.Namespace != "qa" || nm.Method != "GET" ||
		nm.Path != "/x" || string(nm.Candidates) != `[{"mockId":"a","reason":"condition failed"}]` {
		t.Fatalf("decoded %+v", nm)
	}
	out, err := json.Marshal(&nm)
	if err != nil || string(out) != in {
		t.Fatalf("encoded %s %v", out, err)
	}
	var err2 error = fmt.Errorf("find: %w", &nm)
	var got *NoMatch
	if !errors.As(err2, &got) || got.Error() != "no mock matches GET /x" || errors.Is(err2, ErrInvalidInput) {
		t.Fatalf("a wrapped NoMatch: %v", err2)
	}
	if (&NoMatch{}).Error() == "" {
		t.Fatal("a report without a message still says what happened")
	}
	if min, _ := json.Marshal(&NoMatch{Code: "no_match"}); string(min) != `{"error":"","code":"no_match","namespace":""}` {
		t.Fatalf("the fields a report always has: %s", min)
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
		req := &FindHTTPRequest{Method: "POST", Path: "/x"}
		req.SetBody(c.body)
		out, err := json.Marshal(req)
		if err != nil || string(out) != c.want {
			t.Errorf("%q: %s %v, want %s", c.body, out, err, c.want)
		}
		var back FindHTTPRequest
		if err := json.Unmarshal(out, &back); err != nil || !bytes.Equal(back.RawBody(), c.body) {
			t.Errorf("%q: decoded %q %v", c.body, back.RawBody(), err)
		}
	}
	plain := FindHTTPRequest{Method: "GET", Path: "/y", Body: json.RawMessage(`{"b":2}`)}
	if out, _ := json.Marshal(plain); string(out) != `{"method":"GET","path":"/y","body":{"b":2}}` {
		t.Fatalf("a request without SetBody: %s", out)
	}
}
