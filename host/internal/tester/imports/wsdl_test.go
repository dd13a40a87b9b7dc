package imports

import (
	"strings"
	"testing"

	"github.com/mockarty-oss/mockarty/sdk/postman"
)

func TestWSDLPortsAndEnvelopes(t *testing.T) {
	r, err := WSDL(read(t, "..", "..", "generate", "soapgen", "testdata", "mnb-exchange.wsdl"))
	if err != nil {
		t.Fatal(err)
	}
	valid(t, "mnb-exchange.wsdl", r)
	c := r.Collection
	if got := names(c.Item); len(got) != 2 || !strings.HasSuffix(got[0], "/ MNBArfolyamServiceSoap") ||
		!strings.HasSuffix(got[1], "/ MNBArfolyamServiceSoap12") {
		t.Fatalf("a folder per port: %v", got)
	}
	if c.Info.Name != "MNBArfolyamService" || len(c.Variable) != 0 {
		t.Errorf("name and variables: %q %v", c.Info.Name, c.Variable)
	}
	var rates11, rates12 *postman.Item
	for _, it := range c.Item[0].Item {
		if it.Name == "GetExchangeRates" {
			rates11 = it
		}
	}
	for _, it := range c.Item[1].Item {
		if it.Name == "GetExchangeRates" {
			rates12 = it
		}
	}
	if rates11 == nil || rates12 == nil || len(c.Item[0].Item) != len(c.Item[1].Item) {
		t.Fatalf("operations: %v / %v", names(c.Item[0].Item), names(c.Item[1].Item))
	}
	r11 := rates11.Request
	if r11.Method != "POST" || !strings.HasPrefix(r11.URL.String(), "http://") || !strings.HasPrefix(header(r11, "Content-Type"), "text/xml") ||
		header(r11, "SOAPAction") != `"http://www.mnb.hu/webservices/GetExchangeRates"` {
		t.Errorf("SOAP 1.1 request: %s %s %v", r11.Method, r11.URL, r11.Header)
	}
	if r11.Body.Language() != "xml" || !strings.Contains(r11.Body.Raw, `<ns:GetExchangeRates xmlns:ns="http://www.mnb.hu/webservices/">`) ||
		!strings.Contains(r11.Body.Raw, "http://schemas.xmlsoap.org/soap/envelope/") {
		t.Errorf("1.1 envelope:\n%s", r11.Body.Raw)
	}
	r12 := rates12.Request
	if ct := header(r12, "Content-Type"); !strings.HasPrefix(ct, "application/soap+xml") || !strings.Contains(ct, `action="http://www.mnb.hu/webservices/GetExchangeRates"`) ||
		!strings.Contains(r12.Body.Raw, "http://www.w3.org/2003/05/soap-envelope") {
		t.Errorf("SOAP 1.2 request: %v\n%s", r12.Header, r12.Body.Raw)
	}
	if len(rates11.Event) != 1 || !strings.Contains(rates11.Event[0].Script.Source(), "Fault") {
		t.Errorf("fault test: %+v", rates11.Event)
	}
}

func TestWSDLWithoutPortsAndBadDocuments(t *testing.T) {
	doc := `<definitions name="Shop" targetNamespace="urn:shop" xmlns="http://schemas.xmlsoap.org/wsdl/"
    xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:tns="urn:shop">
  <message name="LogIn"><part name="line" type="xsd:string"/></message>
  <portType name="P"><operation name="Log"><input message="tns:LogIn"/></operation></portType>
  <binding name="B" type="tns:P"><soap:binding style="rpc" transport="http://schemas.xmlsoap.org/soap/http"/>
    <operation name="Log"><soap:operation soapAction="urn:shop#Log"/><input><soap:body use="literal" namespace="urn:shop"/></input></operation></binding>
</definitions>`
	r, err := WSDL([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	valid(t, "no port", r)
	it := r.Collection.Item[0].Item[0]
	if it.Request.URL.String() != "{{baseUrl}}/Shop" || len(r.Collection.Variable) != 1 || r.Collection.Variable[0].Key != "baseUrl" ||
		!hasWarning(r, "served by no port") {
		t.Errorf("binding without a port: %s %v %v", it.Request.URL, r.Collection.Variable, r.Warnings)
	}
	if !strings.Contains(it.Request.Description.String(), "one-way") || !strings.Contains(it.Event[0].Script.Source(), "202") {
		t.Errorf("one-way operation: %q", it.Request.Description.String())
	}
	for name, c := range map[string]struct{ doc, want string }{
		"malformed": {"<definitions xmlns=\"http://schemas.xmlsoap.org/wsdl/\">\n<types>\n</definitions>", "is not well-formed XML: line 3"},
		"not wsdl":  {`<html/>`, "not a WSDL 1.1 definitions document"},
		"no ops":    {`<definitions xmlns="http://schemas.xmlsoap.org/wsdl/"/>`, "describes no SOAP operation"},
		"empty":     {" ", "is empty"},
	} {
		_, err := WSDL([]byte(c.doc))
		wantInputErr(t, name, err, DocumentField, c.want)
	}
	_, err = WSDL(make([]byte, MaxBytes+1))
	wantInputErr(t, "too large", err, DocumentField, "at most")
}
