package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/mockarty-oss/mockarty/sdk"
	"github.com/mockarty-oss/mockarty/sdk/find"
	"github.com/mockarty-oss/mockarty/sdk/handoff"
	"github.com/mockarty-oss/mockarty/sdk/plugintest"
)

// The hand-off headers choose the namespace and prefix only next to the
// host's secret: any other request, from this machine or not, gets the
// configured namespace, and cannot make the listener ask the host for (or
// cache) any other.
func TestHandOffHeadersNeedTheSecret(t *testing.T) {
	h := &recordingHost{}
	fake := h.fake(func(find.SOAPRequest) (*find.SOAPResponse, error) {
		return &find.SOAPResponse{MockID: "m", StatusCode: 200, Data: json.RawMessage(`{"R":"1"}`)}, nil
	})
	l := &Listener{}
	plugintest.Start(t, l, json.RawMessage(`{"addresses":["127.0.0.1:0"],"namespace":"qa"}`), fake)
	secret := plugintest.HandOffSecret()
	call := func(ns string, secrets ...string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodPost, "/stubs/team-a/ws", strings.NewReader(envelope11(getAccount)))
		r.RemoteAddr = "127.0.0.1:40000"
		r.Header.Set("Content-Type", "text/xml")
		r.Header.Set(handoff.HeaderNamespace, ns)
		r.Header.Set(handoff.HeaderPrefix, "/stubs/team-a")
		for _, s := range secrets {
			r.Header.Add(handoff.HeaderSecret, s)
		}
		w := httptest.NewRecorder()
		l.ServeHTTP(w, r)
		return w
	}
	for name, secrets := range map[string][]string{
		"no secret":     nil,
		"empty secret":  {""},
		"wrong secret":  {secret[:len(secret)-1] + "x"},
		"longer secret": {secret + "0"},
		"two secrets":   {"forged", secret},
	} {
		if w := call("team-a", secrets...); w.Code != 200 {
			t.Fatalf("%s: %d %s", name, w.Code, w.Body)
		}
		r := h.last(t)
		if r.Namespace != "qa" || r.Path != "/stubs/team-a/ws" {
			t.Fatalf("%s: the headers are ignored: %+v", name, r)
		}
		for _, k := range []string{handoff.HeaderNamespace, handoff.HeaderPrefix, handoff.HeaderSecret} {
			if _, ok := r.Headers[k]; ok {
				t.Fatalf("%s: the mocks saw %s: %v", name, k, r.Headers)
			}
		}
		if w := call("../etc", secrets...); w.Code != 200 || h.last(t).Namespace != "qa" {
			t.Fatalf("%s: a bad namespace header is ignored too: %d %s", name, w.Code, w.Body)
		}
	}
	if w := call("team-a", secret); w.Code != 200 {
		t.Fatalf("hand-off: %d %s", w.Code, w.Body)
	}
	if r := h.last(t); r.Namespace != "team-a" || r.Path != "/ws" {
		t.Fatalf("the hand-off is honoured: %+v", r)
	} else if _, ok := r.Headers[handoff.HeaderSecret]; ok {
		t.Fatalf("the mocks saw the secret: %v", r.Headers)
	}
	n := h.count()
	w := call("../etc", secret)
	if f := (&answer{status: w.Code, contentType: w.Header().Get("Content-Type"), body: w.Body.String()}).soap11(t).Body.Fault; w.Code != 400 ||
		f == nil || f.Code != "soap:Client" || !strings.Contains(f.String, `X-Mockarty-Namespace "../etc" is not a namespace name`) {
		t.Fatalf("bad namespace header from the host: %d %s", w.Code, w.Body)
	}
	if h.count() != n {
		t.Fatal("a bad namespace header reached the host")
	}

	// A WSDL asked for without the secret is the configured namespace's,
	// its addresses without the claimed prefix.
	fake.SetDocuments(sdk.DocumentWSDL, sdk.Document{Name: "team", Namespace: "team-a", Content: []byte(accountsWSDL)},
		sdk.Document{Name: "qa", Namespace: "qa", Content: []byte(otherWSDL)})
	get := func(secret string) (int, string) {
		r := httptest.NewRequest(http.MethodGet, "http://mocks.example/ws/other?wsdl", nil)
		r.RemoteAddr = "127.0.0.1:40000"
		handoff.Mark(r.Header, secret, "team-a", "/stubs/team-a")
		w := httptest.NewRecorder()
		l.ServeHTTP(w, r)
		return w.Code, w.Body.String()
	}
	if status, body := get("forged"); status != 200 || strings.Join(wsdlAddresses(t, body), " ") != "http://mocks.example/ws/other" {
		t.Fatalf("WSDL without the secret: %d %s", status, body)
	}
	if status, body := get(secret); status != 200 || len(wsdlAddresses(t, body)) != 2 ||
		wsdlAddresses(t, body)[0] != "http://mocks.example/stubs/team-a/ws/accounts" {
		t.Fatalf("WSDL through the hand-off: %d %s", status, body)
	}
}

// TestE2EForgedHandOff: the real host hands /stubs requests over with its
// boot's secret; the same headers sent straight to the plugin's port from
// this machine, without it (a page in a local browser could send them),
// are served as a direct request.
func TestE2EForgedHandOff(t *testing.T) {
	e := startE2E(t)
	e.mock(t, `{"id":"team","namespace":"team-a","soap":{"method":"GetAccount","path":"/ws/accounts"},"response":{"payload":{"GetAccountResponse":{"owner":"team"}}}}`)
	e.mock(t, `{"id":"sandbox","namespace":"sandbox","soap":{"method":"GetAccount","path":"/ws/accounts"},"response":{"payload":{"GetAccountResponse":{"owner":"sandbox"}}}}`)
	env := envelope11(`<acc:GetAccount><acc:id>1</acc:id></acc:GetAccount>`)

	a := post11(t, e.host.URL+"/stubs/team-a/ws/accounts", "", env)
	if a.status != 200 || a.header.Get("X-Mockarty-Mock-Id") != "team" {
		t.Fatalf("the host's hand-off: %d %v %s", a.status, a.header, a.body)
	}
	// What a client sends under the hand-off's names does not get through
	// the host: the host sets its own.
	req, _ := http.NewRequest(http.MethodPost, e.host.URL+"/stubs/sandbox/ws/accounts", strings.NewReader(env))
	req.Header.Set("Content-Type", "text/xml")
	handoff.Mark(req.Header, "forged", "team-a", "/stubs/team-a")
	if a := send(t, req); a.status != 200 || a.header.Get("X-Mockarty-Mock-Id") != "sandbox" {
		t.Fatalf("hand-off headers sent to the host: %d %v %s", a.status, a.header, a.body)
	}
	for _, secret := range []string{"", "0123456789abcdef", plugintest.HandOffSecret()} {
		req, _ := http.NewRequest(http.MethodPost, e.soap+"/ws/accounts", strings.NewReader(env))
		req.Header.Set("Content-Type", "text/xml")
		handoff.Mark(req.Header, secret, "team-a", "/stubs/team-a")
		if a := send(t, req); a.status != 200 || a.header.Get("X-Mockarty-Mock-Id") != "sandbox" {
			t.Fatalf("forged hand-off (secret %q): %d %v %s", secret, a.status, a.header, a.body)
		}
	}
}
