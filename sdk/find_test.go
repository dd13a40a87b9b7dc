package sdk

import (
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
