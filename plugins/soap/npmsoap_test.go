package main

// A WSDL-driven client in another language: npm's "soap" reads the WSDL
// the listener serves, calls the address written in it and parses the
// reply against the schema. It needs Node and the package installed:
//
//	mkdir /tmp/npm-soap && cd /tmp/npm-soap && npm install soap@1
//	SOAP_NODE_PATH=/tmp/npm-soap/node_modules go test -run NPM ./...

import (
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"reflect"
	"strings"
	"testing"

	"github.com/mockarty-oss/mockarty/sdk/plugintest"
)

func TestE2ENPMSoapClient(t *testing.T) {
	modules := os.Getenv("SOAP_NODE_PATH")
	if modules == "" {
		plugintest.MissingClient(t, "SOAP_NODE_PATH (a node_modules folder holding npm soap) is not set")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		plugintest.MissingClient(t, "node is not installed")
	}
	e := startE2E(t)
	body, _ := json.Marshal(map[string]string{"name": "accounts.wsdl", "content": accountsWSDL})
	e.host.Post(t, "/api/v1/soap/wsdls", string(body), 0)
	e.mock(t, `{"id":"acc-get","namespace":"sandbox","soap":{"action":"urn:GetAccount","path":"/ws/accounts"},
"response":{"payload":{"GetAccountResponse":{"id":"$.req.GetAccount.id","owner":"Ada","balance":100.5}}}}`)
	// As in the docs: the fault mock is found by operation, acc-get by the
	// SOAPAction the client sends; they compete by priority.
	e.mock(t, `{"id":"acc-closed","namespace":"sandbox","priority":10,"soap":{"method":"GetAccount",
"conditions":[{"path":"$.GetAccount.id","assertAction":"equals","value":"0"}]},
"response":{"soapFault":{"faultCode":"soap:Client","faultString":"account closed","httpStatus":500}}}`)

	run := func(args ...string) map[string]any {
		t.Helper()
		cmd := exec.Command(node, append([]string{"testdata/npm-soap-client.js"}, args...)...)
		cmd.Env = append(os.Environ(), "NODE_PATH="+modules)
		out, err := cmd.Output()
		if err != nil {
			stderr := ""
			if ee, ok := err.(*exec.ExitError); ok {
				stderr = string(ee.Stderr)
			}
			t.Fatalf("npm soap client %v: %v\n%s", args, err, stderr)
		}
		var v map[string]any
		if err := json.Unmarshal(out, &v); err != nil {
			t.Fatalf("client output %q: %v", out, err)
		}
		return v
	}
	wsdl := e.soap + "/ws/accounts?wsdl"
	want := map[string]any{"id": "42", "owner": "Ada", "balance": 100.5}
	if got := run(wsdl, "GetAccount", `{"id":"42"}`); !reflect.DeepEqual(got["result"], want) {
		t.Fatalf("SOAP 1.1: %v", got)
	}
	if got := run(wsdl, "GetAccount", `{"id":"42"}`, "soap12"); !reflect.DeepEqual(got["result"], want) {
		t.Fatalf("SOAP 1.2: %v", got)
	}
	got := run(wsdl, "GetAccount", `{"id":"0"}`)
	f, _ := got["fault"].(map[string]any)
	if f == nil || f["faultstring"] != "account closed" || !strings.HasSuffix(f["faultcode"].(string), "Client") || got["status"] != float64(http.StatusInternalServerError) {
		t.Fatalf("fault: %v", got)
	}
	// Through the host's /stubs: the WSDL's address leads the client back there.
	if got := run(e.host.URL+"/stubs/sandbox/ws/accounts?wsdl", "GetAccount", `{"id":"7"}`); got["result"].(map[string]any)["id"] != "7" {
		t.Fatalf("via /stubs: %v", got)
	}
}
