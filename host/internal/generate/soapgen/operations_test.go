package soapgen

import (
	"encoding/xml"
	"errors"
	"strings"
	"testing"

	"github.com/mockarty-oss/mockarty/host/internal/generate"
)

// wellFormed checks an envelope parses and returns its Body's first
// element name.
func wellFormed(t *testing.T, env string) xml.Name {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(env))
	inBody := false
	var first xml.Name
	for {
		tok, err := d.Token()
		if err != nil {
			if err.Error() == "EOF" {
				return first
			}
			t.Fatalf("envelope is not well-formed: %v\n%s", err, env)
		}
		if se, ok := tok.(xml.StartElement); ok {
			if inBody && first.Local == "" {
				first = se.Name
			}
			if se.Name.Local == "Body" {
				inBody = true
			}
		}
	}
}

func TestOperationsSOAP11And12Ports(t *testing.T) {
	ops, err := Operations(fixture(t, "mnb-exchange.wsdl"))
	if err != nil {
		t.Fatal(err)
	}
	ports := map[string]int{}
	var rates11, rates12 *Operation
	for i := range ops {
		op := &ops[i]
		ports[op.Port]++
		if op.Name == "GetExchangeRates" {
			if op.SOAP12 {
				rates12 = op
			} else {
				rates11 = op
			}
		}
	}
	if len(ports) != 2 || rates11 == nil || rates12 == nil {
		t.Fatalf("one list per port: %v", ports)
	}
	if rates11.Action != "http://www.mnb.hu/webservices/GetExchangeRates" || rates11.Service != "MNBArfolyamService" ||
		!strings.HasPrefix(rates11.Address, "http://") || rates11.Style != "document" || rates11.OneWay {
		t.Errorf("1.1 operation: %+v", rates11)
	}
	if !strings.Contains(rates11.Envelope, Envelope11NS) || !strings.Contains(rates12.Envelope, Envelope12NS) {
		t.Errorf("envelope versions:\n%s\n%s", rates11.Envelope, rates12.Envelope)
	}
	body := wellFormed(t, rates11.Envelope)
	if body.Local != "GetExchangeRates" || body.Space != "http://www.mnb.hu/webservices/" {
		t.Errorf("body element %v:\n%s", body, rates11.Envelope)
	}
	// elementFormDefault="qualified": the children are in the namespace too.
	if !strings.Contains(rates11.Envelope, "<ns:startDate>string</ns:startDate>") {
		t.Errorf("qualified children:\n%s", rates11.Envelope)
	}
}

func TestOperationsHeadersRPCAndOneWay(t *testing.T) {
	ops, err := Operations(fixture(t, "ferry.wsdl"))
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, op := range ops {
		if op.Name == "GetAllAlerts" && !op.SOAP12 {
			found = true
			wellFormed(t, op.Envelope)
			if !strings.Contains(op.Envelope, "<soapenv:Header>") || !strings.Contains(op.Envelope, "<ns:APIAccessCode>") {
				t.Errorf("soap:header part:\n%s", op.Envelope)
			}
		}
	}
	if !found {
		t.Fatal("GetAllAlerts not listed")
	}

	ops, err = Operations(rpcWSDL)
	if err != nil {
		t.Fatal(err)
	}
	if len(ops) != 2 || ops[0].Name != "Find" || ops[0].Style != "rpc" || ops[1].Name != "Log" || !ops[1].OneWay {
		t.Fatalf("rpc operations: %+v", ops)
	}
	if body := wellFormed(t, ops[0].Envelope); body.Local != "Find" || body.Space != "urn:shop" ||
		!strings.Contains(ops[0].Envelope, "<query>string</query>") {
		t.Errorf("rpc wrapper in soap:body's namespace, parts unqualified:\n%s", ops[0].Envelope)
	}
	if body := wellFormed(t, ops[1].Envelope); body.Local != "Log" || body.Space != "" {
		t.Errorf("rpc wrapper without a namespace:\n%s", ops[1].Envelope)
	}

	_, err = Operations("<html/>")
	var ie *generate.InputError
	if !errors.As(err, &ie) || ie.Field != "content" {
		t.Errorf("not a WSDL: %v", err)
	}
}
