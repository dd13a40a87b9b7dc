package main

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/mockarty-oss/mockarty/sdk"
	"github.com/mockarty-oss/mockarty/sdk/plugintest"
)

func TestFromThisMachine(t *testing.T) {
	for _, tc := range []struct {
		remote, local string
		want          bool
	}{
		{"127.0.0.1:5000", "", true},
		{"127.5.6.7:5000", "", true},
		{"[::1]:5000", "", true},
		{"[::ffff:127.0.0.1]:5000", "", true},
		{"192.0.2.10:5000", "", false},
		{"192.0.2.10:5000", "192.0.2.11:5789", false},
		{"192.0.2.10:5000", "192.0.2.10:5789", true}, // dialled its own address
		{"[2001:db8::1]:5000", "[2001:db8::1]:5789", true},
		{"[2001:db8::1]:5000", "[2001:db8::2]:5789", false},
		{"not an address", "", false},
	} {
		r := httptest.NewRequest(http.MethodPost, "/ws", nil)
		r.RemoteAddr = tc.remote
		if tc.local != "" {
			la, err := net.ResolveTCPAddr("tcp", tc.local)
			if err != nil {
				t.Fatal(err)
			}
			r = r.WithContext(context.WithValue(r.Context(), http.LocalAddrContextKey, la))
		}
		if got := fromThisMachine(r); got != tc.want {
			t.Errorf("%s -> %s: %v", tc.remote, tc.local, got)
		}
	}
}

// The hand-off headers choose the namespace and prefix only from this
// machine: a client elsewhere gets the configured namespace, and cannot
// make the listener ask the host for (or cache) any other.
func TestHandOffHeadersOnlyFromThisMachine(t *testing.T) {
	h := &recordingHost{}
	fake := h.fake(t, func(sdk.FindSOAPRequest) (*sdk.FindSOAPResponse, *sdk.NearMiss) {
		return &sdk.FindSOAPResponse{MockID: "m", StatusCode: 200, Data: json.RawMessage(`{"R":"1"}`)}, nil
	})
	l := &Listener{}
	plugintest.Start(t, l, json.RawMessage(`{"addresses":["127.0.0.1:0"],"namespace":"qa"}`), fake)
	call := func(remote, ns string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodPost, "/stubs/team-a/ws", strings.NewReader(envelope11(getAccount)))
		r.RemoteAddr = remote
		r.Header.Set("Content-Type", "text/xml")
		r.Header.Set(headerNamespace, ns)
		r.Header.Set(headerPrefix, "/stubs/team-a")
		w := httptest.NewRecorder()
		l.ServeHTTP(w, r)
		return w
	}
	if w := call("192.0.2.10:40000", "team-a"); w.Code != 200 {
		t.Fatalf("from elsewhere: %d %s", w.Code, w.Body)
	}
	if r := h.last(t); r.Namespace != "qa" || r.Path != "/stubs/team-a/ws" {
		t.Fatalf("from elsewhere the headers are ignored: %+v", r)
	}
	if w := call("192.0.2.10:40000", "../etc"); w.Code != 200 || h.last(t).Namespace != "qa" {
		t.Fatalf("a bad header from elsewhere is ignored too: %d %s", w.Code, w.Body)
	}
	for _, remote := range []string{"127.0.0.1:40000", "[::1]:40000"} {
		if w := call(remote, "team-a"); w.Code != 200 {
			t.Fatalf("from %s: %d %s", remote, w.Code, w.Body)
		}
		if r := h.last(t); r.Namespace != "team-a" || r.Path != "/ws" {
			t.Fatalf("from %s the hand-off is honoured: %+v", remote, r)
		}
	}
	n := h.count()
	w := call("127.0.0.1:40000", "../etc")
	if f := (&answer{status: w.Code, contentType: w.Header().Get("Content-Type"), body: w.Body.String()}).soap11(t).Body.Fault; w.Code != 400 ||
		f == nil || f.Code != "soap:Client" || !strings.Contains(f.String, `X-Mockarty-Namespace "../etc" is not a namespace name`) {
		t.Fatalf("bad namespace header from the host: %d %s", w.Code, w.Body)
	}
	if h.count() != n {
		t.Fatal("a bad namespace header reached the host")
	}

	// A WSDL asked for from elsewhere is the configured namespace's, its
	// addresses without the claimed prefix.
	fake.SetDocuments(sdk.DocumentWSDL, sdk.Document{Name: "team", Namespace: "team-a", Content: []byte(accountsWSDL)},
		sdk.Document{Name: "qa", Namespace: "qa", Content: []byte(otherWSDL)})
	get := func(remote string) (int, string) {
		r := httptest.NewRequest(http.MethodGet, "http://mocks.example/ws/other?wsdl", nil)
		r.RemoteAddr = remote
		r.Header.Set(headerNamespace, "team-a")
		r.Header.Set(headerPrefix, "/stubs/team-a")
		w := httptest.NewRecorder()
		l.ServeHTTP(w, r)
		return w.Code, w.Body.String()
	}
	if status, body := get("192.0.2.10:40000"); status != 200 || strings.Join(wsdlAddresses(t, body), " ") != "http://mocks.example/ws/other" {
		t.Fatalf("WSDL from elsewhere: %d %s", status, body)
	}
	if status, body := get("127.0.0.1:40000"); status != 200 || len(wsdlAddresses(t, body)) != 2 ||
		wsdlAddresses(t, body)[0] != "http://mocks.example/stubs/team-a/ws/accounts" {
		t.Fatalf("WSDL through the hand-off: %d %s", status, body)
	}
}
