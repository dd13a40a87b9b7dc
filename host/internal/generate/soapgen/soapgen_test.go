package soapgen

import (
	"encoding/json"
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/mockarty-oss/mockarty/host/internal/generate"
	"github.com/mockarty-oss/mockarty/host/internal/model"
)

func fixture(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func generateOK(t *testing.T, in Input) map[string]*model.Mock {
	t.Helper()
	mocks, err := Generate(in)
	if err != nil {
		t.Fatalf("generate: %v", err)
	}
	out := map[string]*model.Mock{}
	for _, m := range mocks {
		if out[m.ID] != nil {
			t.Fatalf("duplicate id %s", m.ID)
		}
		if m.Namespace != in.Namespace || strings.Join(m.Tags, ",") != "generated,soap" || m.SOAP == nil || m.Response == nil {
			t.Fatalf("mock %s: %+v", m.ID, m)
		}
		out[m.ID] = m
	}
	return out
}

// mockJSON is a mock's soap context and payload as JSON.
func mockJSON(t *testing.T, m *model.Mock) string {
	t.Helper()
	if m == nil {
		t.Fatal("no such mock")
	}
	b, err := json.Marshal(map[string]any{"soap": m.SOAP, "payload": m.Response.Payload})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestStockQuoteSpecExample(t *testing.T) {
	// The port names "StockQuoteBinding", the binding is "StockQuoteSoapBinding":
	// the only SOAP binding is taken.
	got := generateOK(t, Input{Namespace: "qa", WSDL: fixture(t, "stock.wsdl")})
	if len(got) != 1 {
		t.Fatalf("mocks: %v", got)
	}
	want := `{"payload":{"TradePrice":{"price":1.5}},"soap":{"service":"StockQuoteService","method":"TradePriceRequest",` +
		`"action":"http://example.com/GetLastTradePrice","path":"/stockquote"}}`
	if j := mockJSON(t, got["soap-stockquoteservice-getlasttradeprice"]); j != want {
		t.Fatalf("mock:\n%s\nwant\n%s", j, want)
	}
}

func TestDotNetServiceWithSOAP11And12Ports(t *testing.T) {
	got := generateOK(t, Input{Namespace: "bank", IDPrefix: "mnb", WSDL: fixture(t, "mnb-exchange.wsdl")})
	// Six operations, each once: the SOAP 1.2 port repeats the 1.1 one.
	if len(got) != 6 {
		t.Fatalf("mocks: %d", len(got))
	}
	want := `{"payload":{"GetExchangeRatesResponse":{"GetExchangeRatesResult":"string"}},"soap":{"service":"MNBArfolyamService",` +
		`"method":"GetExchangeRates","action":"http://www.mnb.hu/webservices/GetExchangeRates","path":"/arfolyamok.asmx"}}`
	if j := mockJSON(t, got["mnb-mnbarfolyamservice-getexchangerates"]); j != want {
		t.Fatalf("mock:\n%s\nwant\n%s", j, want)
	}
	// Stable ids: generating again gives the same mocks.
	again := generateOK(t, Input{Namespace: "bank", IDPrefix: "mnb", WSDL: fixture(t, "mnb-exchange.wsdl")})
	for id, m := range got {
		if mockJSON(t, again[id]) != mockJSON(t, m) {
			t.Fatalf("%s differs between runs", id)
		}
	}
}

func TestComplexTypesAndArrays(t *testing.T) {
	got := generateOK(t, Input{WSDL: fixture(t, "dyndns.wsdl")})
	if len(got) != 11 {
		t.Fatalf("mocks: %d", len(got))
	}
	// Named complex types, ArrayOf wrappers (one item), ints and order kept.
	want := `{"payload":{"GetWorkshopsResponse":{"GetWorkshopsResult":{"Response":"string","ID":1,"Workshops":{"Workshop":[` +
		`{"V":1,"Name":"string","Address":"string","HouseNumber":"string","ZipCode":"string","City":"string"}]}}}},` +
		`"soap":{"service":"Api","method":"GetWorkshops","path":"/planitonline/api.wso"}}`
	if j := mockJSON(t, got["soap-api-getworkshops"]); j != want {
		t.Fatalf("mock:\n%s\nwant\n%s", j, want)
	}
}

func TestEnumerationsDatesAndServiceFilter(t *testing.T) {
	wsdl := fixture(t, "ferry.wsdl")
	got := generateOK(t, Input{Service: "WSF_x0020_Schedule", WSDL: wsdl})
	if len(got) != 23 {
		t.Fatalf("mocks: %d", len(got))
	}
	j := mockJSON(t, got["soap-wsf_x0020_schedule-getactivescheduledseasons"])
	if !strings.Contains(j, `"SchedBriefResponse":[{"ScheduleID":1,"ScheduleName":"string","ScheduleSeason":"Spring",`) ||
		!strings.Contains(j, `"ScheduleStart":"2024-01-15T10:30:00Z"`) || !strings.Contains(j, `"path":"/ferries/schedule/Default.asmx"`) {
		t.Fatalf("mock: %s", j)
	}
	_, err := Generate(Input{Service: "Nope", WSDL: wsdl})
	var ie *generate.InputError
	if !errors.As(err, &ie) || ie.Field != "service" || !strings.Contains(ie.Message, `no SOAP service "Nope" (it has: WSF_x0020_Schedule)`) {
		t.Fatalf("unknown service: %v", err)
	}
}

// rpcWSDL covers rpc style, one-way operations, attributes, simple content,
// extensions, choices, recursion, SOAP-encoded arrays and a service
// without a path.
const rpcWSDL = `<?xml version="1.0"?>
<definitions name="Shop" targetNamespace="urn:shop" xmlns="http://schemas.xmlsoap.org/wsdl/"
    xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/" xmlns:xsd="http://www.w3.org/2001/XMLSchema"
    xmlns:soapenc="http://schemas.xmlsoap.org/soap/encoding/" xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/" xmlns:tns="urn:shop">
  <types>
    <xsd:schema targetNamespace="urn:shop">
      <xsd:complexType name="Base"><xsd:sequence><xsd:element name="id" type="xsd:long"/></xsd:sequence>
        <xsd:attribute name="version" type="xsd:int"/></xsd:complexType>
      <xsd:complexType name="Item"><xsd:complexContent><xsd:extension base="tns:Base"><xsd:sequence>
        <xsd:element name="price" type="tns:Money"/>
        <xsd:element name="state" type="tns:State"/>
        <xsd:choice><xsd:element name="sku" type="xsd:string"/><xsd:element name="ean" type="xsd:string"/></xsd:choice>
        <xsd:element name="parent" type="tns:Item" minOccurs="0"/>
        <xsd:element name="added" type="xsd:date"/>
        <xsd:element name="ok" type="xsd:boolean" fixed="false"/>
      </xsd:sequence></xsd:extension></xsd:complexContent></xsd:complexType>
      <xsd:complexType name="Money"><xsd:simpleContent><xsd:extension base="xsd:decimal">
        <xsd:attribute name="currency" type="xsd:string" default="EUR"/></xsd:extension></xsd:simpleContent></xsd:complexType>
      <xsd:simpleType name="State"><xsd:restriction base="xsd:string"><xsd:enumeration value="NEW"/><xsd:enumeration value="OLD"/></xsd:restriction></xsd:simpleType>
      <xsd:complexType name="ItemArray"><xsd:complexContent><xsd:restriction base="soapenc:Array">
        <xsd:attribute ref="soapenc:arrayType" wsdl:arrayType="tns:State[]"/></xsd:restriction></xsd:complexContent></xsd:complexType>
    </xsd:schema>
  </types>
  <message name="FindIn"><part name="query" type="xsd:string"/></message>
  <message name="FindOut"><part name="item" type="tns:Item"/><part name="states" type="tns:ItemArray"/></message>
  <message name="LogIn"><part name="line" type="xsd:string"/></message>
  <portType name="ShopPort">
    <operation name="Find"><input message="tns:FindIn"/><output message="tns:FindOut"/></operation>
    <operation name="Log"><input message="tns:LogIn"/></operation>
  </portType>
  <binding name="ShopBinding" type="tns:ShopPort">
    <soap:binding style="rpc" transport="http://schemas.xmlsoap.org/soap/http"/>
    <operation name="Find"><soap:operation soapAction="urn:shop#Find"/>
      <input><soap:body use="encoded" namespace="urn:shop"/></input><output><soap:body use="encoded" namespace="urn:shop"/></output></operation>
    <operation name="Log"><soap:operation soapAction="urn:shop#Log"/><input><soap:body use="literal"/></input></operation>
  </binding>
  <service name="Shop"><port name="ShopPort" binding="tns:ShopBinding"><soap:address location="http://shop.example/"/></port></service>
</definitions>`

func TestRPCStyleAndSchemaFeatures(t *testing.T) {
	got := generateOK(t, Input{WSDL: rpcWSDL})
	want := `{"payload":{"FindResponse":{"item":{"-version":1,"id":1,"price":{"-currency":"EUR","#text":1.5},"state":"NEW",` +
		`"sku":"string","parent":{},"added":"2024-01-15","ok":"false"},"states":{"item":["NEW"]}}},` +
		`"soap":{"service":"Shop","method":"Find","action":"urn:shop#Find","path":"/Shop"}}`
	if j := mockJSON(t, got["soap-shop-find"]); j != want {
		t.Fatalf("rpc mock:\n%s\nwant\n%s", j, want)
	}
	log := got["soap-shop-log"]
	if log == nil || log.Response.StatusCode != 202 || len(log.Response.Payload) != 0 || log.SOAP.Method != "Log" {
		t.Fatalf("one-way: %+v", log)
	}
}

func TestWSDLWithoutServiceOrSOAP(t *testing.T) {
	noService := strings.Replace(rpcWSDL, `<service name="Shop"><port name="ShopPort" binding="tns:ShopBinding"><soap:address location="http://shop.example/"/></port></service>`, "", 1)
	got := generateOK(t, Input{WSDL: noService})
	if m := got["soap-shop-find"]; m == nil || m.SOAP.Path != "/Shop" || m.SOAP.Service != "Shop" {
		t.Fatalf("binding without a port: %v", got)
	}
	httpOnly := `<definitions xmlns="http://schemas.xmlsoap.org/wsdl/" xmlns:http="http://schemas.xmlsoap.org/wsdl/http/">
  <binding name="B" type="P"><http:binding verb="GET"/><operation name="X"/></binding></definitions>`
	_, err := Generate(Input{WSDL: httpOnly})
	var ie *generate.InputError
	if !errors.As(err, &ie) || ie.Field != "content" || !strings.Contains(ie.Message, "no SOAP operation") {
		t.Fatalf("no SOAP binding: %v", err)
	}
}

func TestValidate(t *testing.T) {
	for _, f := range []string{"stock.wsdl", "mnb-exchange.wsdl", "dyndns.wsdl", "ferry.wsdl"} {
		if err := Validate(fixture(t, f)); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
	for _, tc := range []struct{ name, src, want string }{
		{"empty", "  ", "the WSDL is empty"},
		{"malformed", "<definitions xmlns=\"http://schemas.xmlsoap.org/wsdl/\">\n<types>\n</definitions>", "not well-formed XML: line 3:"},
		{"not XML", "openapi: 3.0.0", "not well-formed XML"},
		{"other root", `<html><body/></html>`, `not a WSDL 1.1 definitions document: the root element is <html> in namespace ""`},
		{"WSDL 2.0", `<description xmlns="http://www.w3.org/ns/wsdl"/>`, "WSDL 2.0"},
		{"two roots", `<definitions xmlns="http://schemas.xmlsoap.org/wsdl/"/><x/>`, "a second root element"},
	} {
		err := Validate(tc.src)
		var ie *generate.InputError
		if !errors.As(err, &ie) || ie.Field != "content" || !strings.Contains(ie.Message, tc.want) {
			t.Errorf("%s: %v", tc.name, err)
		}
		if _, gerr := Generate(Input{WSDL: tc.src}); gerr == nil || gerr.Error() != err.Error() {
			t.Errorf("%s: Generate says %v", tc.name, gerr)
		}
	}
}

func TestSampleLimits(t *testing.T) {
	// A type that nests itself through two types, and a very wide one.
	var wide strings.Builder
	for i := 0; i < 2*maxSampleNodes; i++ {
		wide.WriteString(`<xs:element name="f` + strconv.Itoa(i) + `" type="xs:string"/>`)
	}
	src := `<definitions xmlns="http://schemas.xmlsoap.org/wsdl/" xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/"
    xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:t="urn:t" targetNamespace="urn:t">
  <types><xs:schema targetNamespace="urn:t">
    <xs:complexType name="A"><xs:sequence><xs:element name="b" type="t:B"/></xs:sequence></xs:complexType>
    <xs:complexType name="B"><xs:sequence><xs:element name="a" type="t:A"/><xs:element name="n" type="xs:int"/></xs:sequence></xs:complexType>
    <xs:element name="Out"><xs:complexType><xs:sequence><xs:element name="a" type="t:A"/>` + wide.String() + `</xs:sequence></xs:complexType></xs:element>
  </xs:schema></types>
  <message name="In"/><message name="O"><part name="p" element="t:Out"/></message>
  <portType name="P"><operation name="Op"><input message="t:In"/><output message="t:O"/></operation></portType>
  <binding name="B" type="t:P"><soap:binding/><operation name="Op"/></binding>
</definitions>`
	got := generateOK(t, Input{WSDL: src})
	m := got["soap-b-op"]
	if m == nil || m.SOAP.Method != "Op" {
		t.Fatalf("mocks: %v", got)
	}
	p := string(m.Response.Payload)
	if !strings.HasPrefix(p, `{"Out":{"a":{"b":{"a":{},"n":1}},"f0":"string"`) || strings.Count(p, `"string"`) > maxSampleNodes {
		t.Fatalf("payload: %.300s (%d strings)", p, strings.Count(p, `"string"`))
	}
}
