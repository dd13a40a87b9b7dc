package main

import (
	"strings"
	"testing"
)

// The docs' own example (docs/plugins.md, the SOAP listener): acc-get is
// found by SOAPAction, acc-closed by operation with a condition and a
// higher priority. Both are candidates of a call that sends the action,
// and they compete by priority: the closed account gets its fault.
func TestE2EActionAndOperationMocksCompeteByPriority(t *testing.T) {
	e := startE2E(t)
	e.mock(t, `{"id":"acc-get","namespace":"sandbox",
  "soap":{"service":"AccountService","action":"urn:GetAccount","path":"/ws/accounts"},
  "response":{"payload":{"GetAccountResponse":{"id":"$.req.GetAccount.id","owner":"Ada","balance":100.5}}}}`)
	e.mock(t, `{"id":"acc-closed","namespace":"sandbox","priority":10,
  "soap":{"method":"GetAccount","conditions":[{"path":"$.GetAccount.id","assertAction":"equals","value":"0"}]},
  "response":{"soapFault":{"faultCode":"soap:Client","faultString":"account closed","httpStatus":500}}}`)
	// Found by operation too, but with a lower priority than acc-get: it
	// answers only calls that acc-get is not a candidate of.
	e.mock(t, `{"id":"acc-fallback","namespace":"sandbox","priority":-1,"soap":{"method":"GetAccount"},
  "response":{"payload":{"GetAccountResponse":{"id":"$.req.GetAccount.id","owner":"nobody"}}}}`)

	closed := func(t *testing.T, a *answer, fault11 bool) {
		t.Helper()
		if a.status != 500 || a.header.Get("X-Mockarty-Mock-Id") != "acc-closed" {
			t.Fatalf("want acc-closed's fault: %d %v\n%s", a.status, a.header, a.body)
		}
		if fault11 {
			if f := a.soap11(t).Body.Fault; f == nil || f.Code != "soap:Client" || f.String != "account closed" {
				t.Fatalf("SOAP 1.1 fault: %+v\n%s", f, a.body)
			}
			return
		}
		if f := a.soap12(t).Body.Fault; f == nil || f.Code.Value != "soap:Sender" || f.Reason.Text.Value != "account closed" {
			t.Fatalf("SOAP 1.2 fault: %+v\n%s", f, a.body)
		}
	}
	t.Run("SOAPAction header, SOAP 1.1", func(t *testing.T) {
		closed(t, post11(t, e.soap+"/ws/accounts", "urn:GetAccount", envelope11(`<acc:GetAccount><acc:id>0</acc:id></acc:GetAccount>`)), true)
		a := post11(t, e.soap+"/ws/accounts", "urn:GetAccount", envelope11(`<acc:GetAccount><acc:id>42</acc:id></acc:GetAccount>`))
		if a.status != 200 || a.header.Get("X-Mockarty-Mock-Id") != "acc-get" || a.account(t, a.soap11(t).Body.Inner).Owner != "Ada" {
			t.Fatalf("an open account is acc-get's, not the lower-priority operation mock's: %d %v\n%s", a.status, a.header, a.body)
		}
	})
	t.Run("action parameter, SOAP 1.2 through the host's /stubs (the docs' call)", func(t *testing.T) {
		closed(t, post12(t, e.host.URL+"/stubs/sandbox/ws/accounts", "urn:GetAccount", envelope12(`<acc:GetAccount><acc:id>0</acc:id></acc:GetAccount>`)), false)
	})
	t.Run("no action: the operation's mocks alone", func(t *testing.T) {
		closed(t, post11(t, e.soap+"/ws/accounts", "", envelope11(`<acc:GetAccount><acc:id>0</acc:id></acc:GetAccount>`)), true)
		a := post11(t, e.soap+"/ws/accounts", "", envelope11(`<acc:GetAccount><acc:id>42</acc:id></acc:GetAccount>`))
		if a.status != 200 || a.header.Get("X-Mockarty-Mock-Id") != "acc-fallback" || !strings.Contains(a.body, "nobody") {
			t.Fatalf("without SOAPAction: %d %v\n%s", a.status, a.header, a.body)
		}
	})
}
