package helpers

import (
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
)

func TestHeadersShapes(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`{"B": "2", "A": ["x", "y"], "N": 5, "T": true, "Z": null}`, `A=x|A=y|B=2|N=5|T=true|Z=`},
		{`[{"key": "A", "value": "1"}, {"name": "B", "value": 2}, {"key": "C", "value": "off", "disabled": true}, {"key": "D", "value": "no", "enabled": false}]`, `A=1|B=2`},
		{`null`, ``},
	} {
		var h Headers
		if err := json.Unmarshal([]byte(c.in), &h); err != nil {
			t.Fatalf("%s: %v", c.in, err)
		}
		var parts []string
		for _, e := range h {
			parts = append(parts, e.Name+"="+e.Value)
		}
		if got := strings.Join(parts, "|"); got != c.want {
			t.Fatalf("%s: got %s, want %s", c.in, got, c.want)
		}
	}
	for _, bad := range []string{`"a"`, `{"A": {"x": 1}}`, `[{"key": "A", "value": [1]}]`} {
		var h Headers
		if err := json.Unmarshal([]byte(bad), &h); err == nil {
			t.Fatalf("%s must be refused", bad)
		}
	}
	if m := (Headers{{"A", "1"}, {"A", "2"}}).Map(); m["A"] != "1, 2" {
		t.Fatalf("repeated names join: %v", m)
	}
}

func TestTimeoutBounds(t *testing.T) {
	if d, _ := Timeout(0); d != DefaultTimeout {
		t.Fatalf("default: %v", d)
	}
	if d, _ := Timeout(MaxTimeout.Milliseconds() * 10); d != MaxTimeout {
		t.Fatalf("capped: %v", d)
	}
	var he *Error
	if _, err := Timeout(-5); !errors.As(err, &he) || he.Field != "timeout" || he.Kind != KindInput {
		t.Fatalf("negative: %v", err)
	}
}

func TestSOAPEnvelopeAndFault(t *testing.T) {
	env, soap12, err := soapEnvelope(`<?xml version="1.0"?><Ping xmlns="urn:p"/>`, "1.2")
	if err != nil || !soap12 || !strings.HasPrefix(env, `<soapenv:Envelope xmlns:soapenv="`+soapEnv12+`"><soapenv:Body><Ping`) {
		t.Fatalf("wrapped 1.2: %v %v %s", soap12, err, env)
	}
	f := soapFault(`<env:Envelope xmlns:env="` + soapEnv12 + `"><env:Body><env:Fault><env:Code><env:Value>env:Sender</env:Value></env:Code>` +
		`<env:Reason><env:Text xml:lang="en">Bad input</env:Text></env:Reason></env:Fault></env:Body></env:Envelope>`)
	if f == nil || f.Code != "env:Sender" || f.Message != "Bad input" {
		t.Fatalf("SOAP 1.2 fault: %+v", f)
	}
	if f := soapFault(`<s:Envelope xmlns:s="` + soapEnv11 + `"><s:Body><r><Fault/></r></s:Body></s:Envelope>`); f != nil {
		t.Fatalf("a Fault below the Body's first element is no fault: %+v", f)
	}
}

func TestGRPCTargets(t *testing.T) {
	for in, want := range map[string]string{"grpc://h:1": "h:1 false", "grpcs://h:443/": "h:443 true", "h:2": "h:2 false", "HTTPS://[::1]:3": "[::1]:3 true"} {
		addr, tls, err := grpcTarget(in, false)
		if got := addr + " " + map[bool]string{true: "true", false: "false"}[tls]; err != nil || got != want {
			t.Fatalf("%s: %s %v", in, got, err)
		}
	}
	for _, bad := range []string{"", "h", "grpc://h:0", "h:1/x", "u@h:1"} {
		if _, _, err := grpcTarget(bad, false); err == nil {
			t.Fatalf("%q must be refused", bad)
		}
	}
}

func TestLimitedBody(t *testing.T) {
	b := &limitedBody{ReadCloser: io.NopCloser(strings.NewReader(strings.Repeat("x", 10))), left: 4}
	got, err := io.ReadAll(b)
	if !errors.Is(err, ErrTooLarge) || len(got) != 4 {
		t.Fatalf("read %d bytes, %v", len(got), err)
	}
	b = &limitedBody{ReadCloser: io.NopCloser(strings.NewReader("xxxx")), left: 4}
	if got, err := io.ReadAll(b); err != nil || len(got) != 4 {
		t.Fatalf("a body of exactly the limit: %d %v", len(got), err)
	}
}
