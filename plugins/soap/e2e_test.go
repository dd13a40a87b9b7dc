package main

// End to end: the real host binary loads the real plugin binary (both
// built by plugintest.StartHost); mocks are made through the host's REST
// API and SOAP 1.1 and 1.2 envelopes are posted with net/http, to the
// plugin's own address and through the host's /stubs hand-off.

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/mockarty-oss/mockarty/sdk/plugintest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	plugintest.Cleanup()
	os.Exit(code)
}

// e2e is a running host with this plugin.
type e2e struct {
	host *plugintest.HostProc
	soap string // the plugin's base URL
}

func startE2E(t *testing.T) *e2e {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end: builds the host and the plugin")
	}
	listen := fmt.Sprintf("127.0.0.1:%d", plugintest.FreePort(t))
	h := plugintest.StartHost(t, plugintest.HostOptions{Plugins: map[string]plugintest.PluginSpec{
		"soap": {Dir: ".", Settings: fmt.Sprintf(`{"addresses": [%q], "namespace": "sandbox"}`, listen)},
	}})
	if got := h.Addresses(t, "soap"); len(got) != 1 || got[0] != listen {
		t.Fatalf("plugin addresses: %v", got)
	}
	return &e2e{host: h, soap: "http://" + listen}
}

func (e *e2e) mock(t *testing.T, js string) {
	t.Helper()
	e.host.Post(t, "/api/v1/mocks", js, http.StatusCreated)
}

func TestE2ECallsThroughTheRealHost(t *testing.T) {
	e := startE2E(t)
	// Chosen by SOAPAction; the payload reads the request ($.req...).
	e.mock(t, `{"id":"acc-get","namespace":"sandbox","soap":{"service":"AccountService","action":"urn:GetAccount","path":"/ws/accounts"},
"response":{"headers":{"X-Bank":["demo"]},"payload":{"GetAccountResponse":{"id":"$.req.GetAccount.id","owner":"Ada","balance":100.5,
"tag":["gold","vip"],"status":{"-code":"A","#text":"active"}}}}}`)
	// Chosen by operation, with a JSONPath condition on the Body's JSON.
	e.mock(t, `{"id":"balance-vip","namespace":"sandbox","priority":10,"soap":{"method":"GetBalance",
"conditions":[{"path":"$.GetBalance.account","assertAction":"equals","value":"vip-1"}]},
"response":{"payload":{"GetBalanceResponse":{"amount":"1000000"}}}}`)
	e.mock(t, `{"id":"balance","namespace":"sandbox","soap":{"method":"GetBalance"},"response":{"payload":{"GetBalanceResponse":{"amount":"5"}}}}`)
	// A raw XML string payload, and a whole envelope written by hand.
	e.mock(t, `{"id":"transfer-raw","namespace":"sandbox","soap":{"method":"Transfer"},
"response":{"payload":"<t:TransferResponse xmlns:t=\"urn:example:accounts\"><t:status>done</t:status></t:TransferResponse>"}}`)
	// Chosen by path alone (no action or operation in the mock).
	e.mock(t, `{"id":"legacy","namespace":"sandbox","soap":{"path":"/ws/legacy"},"response":{"payload":{"PingResponse":{"ok":true}}}}`)
	// A fault, and a delayed answer.
	e.mock(t, `{"id":"withdraw","namespace":"sandbox","soap":{"method":"Withdraw"},"response":{"soapFault":{"faultCode":"soap:Client",
"faultString":"insufficient funds","faultActor":"urn:bank","detail":"<e:limit xmlns:e=\"urn:err\">100</e:limit>","httpStatus":400}}}`)
	e.mock(t, `{"id":"overdrawn","namespace":"sandbox","soap":{"method":"Overdraw"},"response":{"soapFault":{"faultCode":"tns:Overdrawn",
"faultString":"overdrawn"}}}`)
	e.mock(t, `{"id":"slow","namespace":"sandbox","soap":{"method":"Slow"},"response":{"delay":30,"payload":{"SlowResponse":"ok"}}}`)
	// Only answers a key k1.
	e.mock(t, `{"id":"lookup","namespace":"sandbox","soap":{"method":"Lookup",
"conditions":[{"path":"$.Lookup.key","assertAction":"equals","value":"k1"}]},"response":{"payload":{"LookupResponse":"found"}}}`)

	// An XPath condition, evaluated by the host on the whole envelope.
	e.mock(t, `{"id":"route-eu","namespace":"sandbox","soap":{"method":"Route",
"conditions":[{"path":"//*[local-name()='Route']/*[local-name()='region']","assertAction":"equals","value":"EU"}]},"response":{"payload":{"RouteResponse":"eu-1"}}}`)

	t.Run("action, SOAP 1.1", func(t *testing.T) {
		a := post11(t, e.soap+"/ws/accounts", "urn:GetAccount", envelope11(`<acc:GetAccount><acc:id>42</acc:id></acc:GetAccount>`))
		env := a.soap11(t)
		if a.status != 200 || env.Body.Fault != nil || a.header.Get("X-Bank") != "demo" || a.header.Get("X-Mockarty-Mock-Id") != "acc-get" {
			t.Fatalf("answer: %d %v %s", a.status, a.header, a.body)
		}
		r := a.account(t, env.Body.Inner)
		if r.ID != "42" || r.Owner != "Ada" || r.Balance != 100.5 || strings.Join(r.Tags, ",") != "gold,vip" || r.Status.Code != "A" {
			t.Fatalf("GetAccountResponse: %+v\n%s", r, a.body)
		}
	})
	t.Run("action, SOAP 1.2", func(t *testing.T) {
		a := post12(t, e.soap+"/ws/accounts", "urn:GetAccount", envelope12(`<acc:GetAccount><acc:id>7</acc:id></acc:GetAccount>`))
		env := a.soap12(t)
		if a.status != 200 || env.Body.Fault != nil || a.account(t, env.Body.Inner).ID != "7" {
			t.Fatalf("answer: %d %s", a.status, a.body)
		}
	})
	t.Run("operation and JSONPath condition", func(t *testing.T) {
		a := post11(t, e.soap+"/ws/accounts", "", envelope11(`<acc:GetBalance><acc:account>vip-1</acc:account></acc:GetBalance>`))
		if env := a.soap11(t); !strings.Contains(env.Body.Inner, "<amount>1000000</amount>") || a.header.Get("X-Mockarty-Mock-Id") != "balance-vip" {
			t.Fatalf("vip: %s", a.body)
		}
		a = post12(t, e.soap+"/ws/accounts", "", envelope12(`<acc:GetBalance><acc:account>other</acc:account></acc:GetBalance>`))
		if env := a.soap12(t); !strings.Contains(env.Body.Inner, "<amount>5</amount>") || a.header.Get("X-Mockarty-Mock-Id") != "balance" {
			t.Fatalf("other: %s", a.body)
		}
	})
	t.Run("XPath condition", func(t *testing.T) {
		a := post11(t, e.soap+"/ws", "", envelope11(`<acc:Route><acc:region>EU</acc:region></acc:Route>`))
		if env := a.soap11(t); a.status != 200 || !strings.Contains(env.Body.Inner, ">eu-1</RouteResponse>") {
			t.Fatalf("EU: %d %s", a.status, a.body)
		}
		a = post11(t, e.soap+"/ws", "", envelope11(`<acc:Route><acc:region>US</acc:region></acc:Route>`))
		if f := a.soap11(t).Body.Fault; a.status != 500 || f == nil || !strings.Contains(f.String, "route-eu") {
			t.Fatalf("US: %d %s", a.status, a.body)
		}
	})
	t.Run("raw XML payload", func(t *testing.T) {
		a := post11(t, e.soap+"/ws/accounts", "urn:Transfer", envelope11(`<acc:Transfer><acc:amount>5</acc:amount></acc:Transfer>`))
		var r struct {
			Status string `xml:"urn:example:accounts status"`
		}
		env := a.soap11(t)
		if err := xml.Unmarshal([]byte(env.Body.Inner), &r); err != nil || a.status != 200 || r.Status != "done" {
			t.Fatalf("raw: %v %d %s", err, a.status, a.body)
		}
		a = post12(t, e.soap+"/ws/accounts", "urn:Transfer", envelope12(`<acc:Transfer/>`))
		if env := a.soap12(t); !strings.Contains(env.Body.Inner, "<t:status>done</t:status>") {
			t.Fatalf("raw 1.2: %s", a.body)
		}
	})
	t.Run("path", func(t *testing.T) {
		a := post11(t, e.soap+"/ws/legacy", "", envelope11(`<Ping xmlns="urn:legacy"/>`))
		if env := a.soap11(t); a.status != 200 || !strings.Contains(env.Body.Inner, `<PingResponse xmlns="urn:legacy"><ok>true</ok></PingResponse>`) {
			t.Fatalf("path: %d %s", a.status, a.body)
		}
	})
	t.Run("faults", func(t *testing.T) {
		a := post11(t, e.soap+"/ws/accounts", "urn:Withdraw", envelope11(`<acc:Withdraw><acc:amount>500</acc:amount></acc:Withdraw>`))
		f := a.soap11(t).Body.Fault
		if a.status != 400 || f == nil || f.Code != "soap:Client" || f.String != "insufficient funds" || f.Actor != "urn:bank" ||
			!strings.Contains(f.Detail.Inner, `<e:limit xmlns:e="urn:err">100</e:limit>`) {
			t.Fatalf("1.1 fault: %d %+v\n%s", a.status, f, a.body)
		}
		a = post12(t, e.soap+"/ws/accounts", "urn:Withdraw", envelope12(`<acc:Withdraw><acc:amount>500</acc:amount></acc:Withdraw>`))
		f12 := a.soap12(t).Body.Fault
		if a.status != 400 || f12 == nil || f12.Code.Value != "soap:Sender" || f12.Reason.Text.Value != "insufficient funds" ||
			f12.Node != "urn:bank" || !strings.Contains(f12.Detail.Inner, "<e:limit") {
			t.Fatalf("1.2 fault: %d %+v\n%s", a.status, f12, a.body)
		}
		// A code of the mock's own: a Subcode whose prefix is declared.
		a = post12(t, e.soap+"/ws/accounts", "", envelope12(`<acc:Overdraw/>`))
		if got := qnameValues(t, a.body, ns12, "Value"); a.status != 500 || len(got) != 2 || got[0] != qn(ns12, "Receiver") ||
			got[1] != qn("urn:example:accounts", "Overdrawn") {
			t.Fatalf("own code: %d %v\n%s", a.status, got, a.body)
		}
	})
	t.Run("delay", func(t *testing.T) {
		a := post11(t, e.soap+"/ws", "", envelope11(`<Slow/>`))
		if env := a.soap11(t); a.status != 200 || !strings.Contains(env.Body.Inner, ">ok</SlowResponse>") {
			t.Fatalf("delayed: %d %s", a.status, a.body)
		}
	})
	t.Run("missing mock", func(t *testing.T) {
		a := post11(t, e.soap+"/ws/accounts", "urn:Nothing", envelope11(`<acc:Nothing/>`))
		f := a.soap11(t).Body.Fault
		if a.status != 500 || f == nil || f.Code != "soap:Client" || !strings.Contains(f.String, "sandbox") {
			t.Fatalf("no mock: %d %s", a.status, a.body)
		}
		// A near miss names the mock whose condition failed.
		a = post12(t, e.soap+"/ws", "", envelope12(`<acc:Lookup><acc:key>k2</acc:key></acc:Lookup>`))
		f12 := a.soap12(t).Body.Fault
		if a.status != 400 || f12 == nil || f12.Code.Value != "soap:Sender" || !strings.Contains(f12.Reason.Text.Value, "lookup") ||
			!strings.Contains(f12.Detail.Inner, "<mockId>lookup</mockId>") || strings.Contains(f12.Detail.Inner, "k1") {
			t.Fatalf("near miss: %d %s", a.status, a.body)
		}
	})
	t.Run("bad envelope", func(t *testing.T) {
		a := post11(t, e.soap+"/ws/accounts", "urn:GetAccount", `<GetAccount><id>1</id></GetAccount>`)
		if f := a.soap11(t).Body.Fault; a.status != 500 || f == nil || f.Code != "soap:Client" || !strings.Contains(f.String, "not a SOAP envelope") {
			t.Fatalf("bad envelope: %d %s", a.status, a.body)
		}
		a = post12(t, e.soap+"/ws/accounts", "urn:GetAccount", `not xml`)
		if f := a.soap12(t).Body.Fault; a.status != 400 || f == nil || f.Code.Value != "soap:Sender" {
			t.Fatalf("bad 1.2 envelope: %d %s", a.status, a.body)
		}
		a = post12(t, e.soap+"/ws/accounts", "", `<Envelope xmlns="urn:other"><Body/></Envelope>`)
		if f := a.soap11(t).Body.Fault; a.status != 500 || f == nil || f.Code != "soap:VersionMismatch" || !strings.Contains(a.body, "Upgrade") {
			t.Fatalf("version mismatch: %d %s", a.status, a.body)
		}
	})
	t.Run("through the host's /stubs", func(t *testing.T) {
		a := post11(t, e.host.URL+"/stubs/sandbox/ws/accounts", "urn:GetAccount", envelope11(`<acc:GetAccount><acc:id>9</acc:id></acc:GetAccount>`))
		if env := a.soap11(t); a.status != 200 || a.account(t, env.Body.Inner).ID != "9" {
			t.Fatalf("via /stubs: %d %s", a.status, a.body)
		}
	})
}

// TestE2EServesRegisteredWSDL registers a WSDL with the host's registry
// and fetches it from the listener, directly and through /stubs.
func TestE2EServesRegisteredWSDL(t *testing.T) {
	e := startE2E(t)
	body, _ := json.Marshal(map[string]string{"name": "accounts.wsdl", "content": accountsWSDL})
	res, err := http.Post(e.host.URL+"/api/v1/soap/wsdls", "application/json", strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode/100 != 2 {
		t.Fatalf("register the WSDL: %d", res.StatusCode)
	}
	t.Run("?wsdl", func(t *testing.T) { wsdlFetch(t, e) })
	t.Run("generated mocks", func(t *testing.T) { generatedMocks(t, e) })
}

func wsdlFetch(t *testing.T, e *e2e) {
	status, doc := getWSDL(t, e.soap+"/ws/accounts?wsdl", nil)
	if got := wsdlAddresses(t, doc); status != 200 || len(got) != 2 || got[0] != e.soap+"/ws/accounts" {
		t.Fatalf("direct: %d %v\n%s", status, got, doc)
	}
	// Through /stubs (the path needs a SOAP mock for the host to hand it over).
	e.mock(t, `{"id":"acc-get","namespace":"sandbox","soap":{"action":"urn:GetAccount","path":"/ws/accounts"},"response":{"payload":{"GetAccountResponse":{"id":"1"}}}}`)
	status, doc = getWSDL(t, e.host.URL+"/stubs/sandbox/ws/accounts?wsdl", nil)
	if got := wsdlAddresses(t, doc); status != 200 || len(got) != 2 || got[0] != e.host.URL+"/stubs/sandbox/ws/accounts" {
		t.Fatalf("via /stubs: %d %v\n%s", status, got, doc)
	}
}

// generatedMocks: mocks generated from the registered WSDL answer its
// operation with the schema's sample.
func generatedMocks(t *testing.T, e *e2e) {
	e.host.Do(t, http.MethodDelete, "/api/v1/mocks/acc-get", "", 0)
	res, err := http.Post(e.host.URL+"/api/v1/generators/soap", "application/json",
		strings.NewReader(`{"namespace":"sandbox","wsdlName":"accounts.wsdl"}`))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode/100 != 2 {
		t.Fatalf("generate: %d", res.StatusCode)
	}
	a := post12(t, e.soap+"/ws/accounts", "urn:GetAccount", envelope12(`<acc:GetAccount><acc:id>1</acc:id></acc:GetAccount>`))
	env := a.soap12(t)
	if r := a.account(t, env.Body.Inner); a.status != 200 || r.ID != "string" || r.Owner != "string" || r.Balance != 1.5 ||
		a.header.Get("X-Mockarty-Mock-Id") != "soap-accountservice-getaccount" {
		t.Fatalf("generated mock: %d %v %s", a.status, a.header, a.body)
	}
}
