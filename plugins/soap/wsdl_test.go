package main

import (
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mockarty-oss/mockarty/sdk"
	"github.com/mockarty-oss/mockarty/sdk/handoff"
	"github.com/mockarty-oss/mockarty/sdk/plugintest"
)

// accountsWSDL is a small document/literal WSDL with a SOAP 1.1 and a SOAP
// 1.2 port at the same address.
const accountsWSDL = `<?xml version="1.0" encoding="UTF-8"?>
<wsdl:definitions xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/" xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/"
    xmlns:soap12="http://schemas.xmlsoap.org/wsdl/soap12/" xmlns:xs="http://www.w3.org/2001/XMLSchema"
    xmlns:tns="urn:example:accounts" targetNamespace="urn:example:accounts" name="Accounts">
  <wsdl:types>
    <xs:schema targetNamespace="urn:example:accounts" elementFormDefault="qualified">
      <xs:element name="GetAccount"><xs:complexType><xs:sequence><xs:element name="id" type="xs:string"/></xs:sequence></xs:complexType></xs:element>
      <xs:element name="GetAccountResponse"><xs:complexType><xs:sequence>
        <xs:element name="id" type="xs:string"/><xs:element name="owner" type="xs:string"/><xs:element name="balance" type="xs:double"/>
      </xs:sequence></xs:complexType></xs:element>
    </xs:schema>
  </wsdl:types>
  <wsdl:message name="GetAccountIn"><wsdl:part name="parameters" element="tns:GetAccount"/></wsdl:message>
  <wsdl:message name="GetAccountOut"><wsdl:part name="parameters" element="tns:GetAccountResponse"/></wsdl:message>
  <wsdl:portType name="AccountsPort">
    <wsdl:operation name="GetAccount"><wsdl:input message="tns:GetAccountIn"/><wsdl:output message="tns:GetAccountOut"/></wsdl:operation>
  </wsdl:portType>
  <wsdl:binding name="AccountsSoap" type="tns:AccountsPort">
    <soap:binding style="document" transport="http://schemas.xmlsoap.org/soap/http"/>
    <wsdl:operation name="GetAccount"><soap:operation soapAction="urn:GetAccount"/>
      <wsdl:input><soap:body use="literal"/></wsdl:input><wsdl:output><soap:body use="literal"/></wsdl:output></wsdl:operation>
  </wsdl:binding>
  <wsdl:binding name="AccountsSoap12" type="tns:AccountsPort">
    <soap12:binding style="document" transport="http://schemas.xmlsoap.org/soap/http"/>
    <wsdl:operation name="GetAccount"><soap12:operation soapAction="urn:GetAccount"/>
      <wsdl:input><soap12:body use="literal"/></wsdl:input><wsdl:output><soap12:body use="literal"/></wsdl:output></wsdl:operation>
  </wsdl:binding>
  <wsdl:service name="AccountService">
    <wsdl:port name="AccountsSoap" binding="tns:AccountsSoap"><soap:address location="https://bank.example.com/ws/accounts"/></wsdl:port>
    <wsdl:port name="AccountsSoap12" binding="tns:AccountsSoap12"><soap12:address
        location = 'https://bank.example.com/ws/accounts?x=1&amp;y=2' /></wsdl:port>
  </wsdl:service>
</wsdl:definitions>
`

// otherWSDL has its address at /ws/other.
const otherWSDL = `<definitions xmlns="http://schemas.xmlsoap.org/wsdl/" xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/" name="Other">
  <service name="Other"><port name="P" binding="B"><soap:address location="http://old.example/ws/other"/></port></service>
</definitions>`

// wsdlAddresses reads the address locations of a served WSDL.
func wsdlAddresses(t *testing.T, doc string) []string {
	t.Helper()
	var d struct {
		Services []struct {
			Ports []struct {
				Addresses []struct {
					Location string `xml:"location,attr"`
				} `xml:"address"`
			} `xml:"port"`
		} `xml:"service"`
	}
	if err := xml.Unmarshal([]byte(doc), &d); err != nil {
		t.Fatalf("served WSDL does not parse: %v\n%s", err, doc)
	}
	var out []string
	for _, s := range d.Services {
		for _, p := range s.Ports {
			for _, a := range p.Addresses {
				out = append(out, a.Location)
			}
		}
	}
	return out
}

func getWSDL(t *testing.T, url string, header map[string]string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func TestServesRegisteredWSDL(t *testing.T) {
	fake := &plugintest.FakeHost{}
	base := startFake(t, fake)
	host := strings.TrimPrefix(base, "http://")

	status, body := getWSDL(t, base+"/ws/accounts?wsdl", nil)
	if status != 404 || !strings.Contains(body, `no WSDL of namespace "qa" is registered for /ws/accounts: the namespace has none`) {
		t.Fatalf("no WSDL: %d %s", status, body)
	}

	// Registered after the first read: the miss is read again, and the
	// watch forgets what was cached.
	fake.SetDocuments(sdk.DocumentWSDL, sdk.Document{Name: "accounts", Namespace: "qa", Content: []byte(accountsWSDL)})
	status, body = getWSDL(t, base+"/ws/accounts?wsdl", nil)
	got := wsdlAddresses(t, body)
	if status != 200 || len(got) != 2 || got[0] != "http://"+host+"/ws/accounts" || got[1] != "http://"+host+"/ws/accounts?x=1&y=2" {
		t.Fatalf("served: %d %v\n%s", status, got, body)
	}
	if !strings.Contains(body, `<xs:element name="GetAccount">`) || !strings.Contains(body, `location = '`) {
		t.Fatalf("the rest of the document is kept as it is: %s", body)
	}

	fake.SetDocuments(sdk.DocumentWSDL, sdk.Document{Name: "accounts", Namespace: "qa", Content: []byte(accountsWSDL)},
		sdk.Document{Name: "other", Namespace: "qa", Content: []byte(otherWSDL)})
	// Chosen by address path (case of ?WSDL does not matter); through the
	// host's hand-off the address carries the public prefix and host.
	plugintest.Eventually(t, 10*time.Second, func() bool {
		status, body = getWSDL(t, base+"/ws/other?WSDL", map[string]string{"X-Forwarded-Prefix": "/stubs/qa", "X-Forwarded-Proto": "https",
			"X-Mockarty-Namespace": "qa", handoff.HeaderSecret: plugintest.HandOffSecret()})
		got = wsdlAddresses(t, body)
		return status == 200 && len(got) == 1
	}, "the other WSDL served through the hand-off")
	if got[0] != "https://"+host+"/stubs/qa/ws/other" {
		t.Fatalf("proxied address: %v", got)
	}
	// Two WSDLs, none at this path: the message lists them.
	status, body = getWSDL(t, base+"/elsewhere?wsdl", nil)
	if status != 404 || !strings.Contains(body, "registered: accounts, other (choose one with ?wsdl=<name>)") {
		t.Fatalf("ambiguous: %d %s", status, body)
	}
	status, body = getWSDL(t, base+"/elsewhere?wsdl=accounts", nil)
	if status != 200 || len(wsdlAddresses(t, body)) != 2 {
		t.Fatalf("by name: %d %s", status, body)
	}
	status, body = getWSDL(t, base+"/elsewhere?wsdl=nope", nil)
	if status != 404 || !strings.Contains(body, `has no WSDL named "nope"`) {
		t.Fatalf("unknown name: %d %s", status, body)
	}
}

func TestAttrSpan(t *testing.T) {
	for _, tc := range []struct{ tag, want string }{
		{`<soap:address location="a"/>`, "a"},
		{`<soap:address xmlns:x="location=&quot;no&quot;" location='b' >`, "b"},
		{"<a\n  other = \"1\"\tlocation\n=\n\"c\"/>", "c"},
		{`<a nolocation="d"/>`, ""},
		{`<a location=e/>`, ""},
	} {
		vs, ve, ok := attrSpan([]byte(tc.tag), "location")
		got := ""
		if ok {
			got = tc.tag[vs:ve]
		}
		if got != tc.want {
			t.Errorf("%s: %q", tc.tag, got)
		}
	}
}

// The cache holds only namespaces that have WSDLs, and at most
// maxWSDLNamespaces of them, dropping the least recently used.
func TestWSDLCacheIsBounded(t *testing.T) {
	fake := &plugintest.FakeHost{}
	var docs []sdk.Document
	for i := range maxWSDLNamespaces + 10 {
		docs = append(docs, sdk.Document{Name: "w", Namespace: fmt.Sprintf("ns%d", i), Content: []byte(otherWSDL)})
	}
	fake.SetDocuments(sdk.DocumentWSDL, docs...)
	c := newWSDLCache(fake)
	ctx := t.Context()
	held := func() int {
		c.mu.Lock()
		defer c.mu.Unlock()
		return len(c.byNS)
	}
	for i := range 1000 {
		if got, err := c.docs(ctx, fmt.Sprintf("empty%d", i), false); err != nil || len(got) != 0 {
			t.Fatalf("empty namespace: %v %v", got, err)
		}
	}
	if n := held(); n != 0 {
		t.Fatalf("namespaces without WSDLs are held: %d", n)
	}
	for i := range maxWSDLNamespaces {
		if got, err := c.docs(ctx, fmt.Sprintf("ns%d", i), false); err != nil || len(got) != 1 {
			t.Fatalf("ns%d: %v %v", i, got, err)
		}
	}
	if _, err := c.docs(ctx, "ns0", false); err != nil { // ns0 is now the most recently used
		t.Fatal(err)
	}
	for i := maxWSDLNamespaces; i < maxWSDLNamespaces+10; i++ {
		if _, err := c.docs(ctx, fmt.Sprintf("ns%d", i), false); err != nil {
			t.Fatal(err)
		}
	}
	c.mu.Lock()
	_, keptRecent := c.byNS["ns0"]
	_, keptOld := c.byNS["ns1"]
	_, keptNew := c.byNS[fmt.Sprintf("ns%d", maxWSDLNamespaces+9)]
	c.mu.Unlock()
	if n := held(); n != maxWSDLNamespaces || !keptRecent || keptOld || !keptNew {
		t.Fatalf("held %d (limit %d); ns0 %v, ns1 %v, newest %v", n, maxWSDLNamespaces, keptRecent, keptOld, keptNew)
	}
	// A namespace whose WSDLs are gone is dropped when read again.
	fake.SetDocuments(sdk.DocumentWSDL)
	if got, err := c.docs(ctx, "ns0", true); err != nil || len(got) != 0 {
		t.Fatalf("after removal: %v %v", got, err)
	}
	c.mu.Lock()
	_, still := c.byNS["ns0"]
	c.mu.Unlock()
	if still {
		t.Fatal("a namespace without WSDLs stayed held")
	}
}
