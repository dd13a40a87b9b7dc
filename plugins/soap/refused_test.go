package main

import (
	"net/http"
	"strings"
	"testing"

	"github.com/mockarty-oss/mockarty/sdk/plugintest"
)

// TestDeepCallIsAClientFault: with the host's MAX_BODY_DEPTH at 20, a call
// whose Body nests 40 elements deep (within the listener's own XML limit,
// past the host's on its JSON) is refused by the host's find, and the
// caller gets a Client (1.2: Sender) fault with 413, as the host's /stubs
// answers such a body, not a Server fault with 502.
func TestDeepCallIsAClientFault(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: builds the host and the plugin")
	}
	h := plugintest.StartHost(t, plugintest.HostOptions{
		Plugins: map[string]plugintest.PluginSpec{"soap": {Dir: ".", Settings: `{"addresses": ["127.0.0.1:0"]}`}},
		Env:     []string{"MAX_BODY_DEPTH=20"},
	})
	h.Post(t, "/api/v1/mocks", `{"id":"deep","soap":{"method":"Deep"},"response":{"payload":{"DeepResponse":"ok"}}}`, http.StatusCreated)
	url := "http://" + h.Addresses(t, "soap")[0] + "/ws"
	nested := func(depth int) string {
		return `<acc:Deep>` + strings.Repeat("<acc:n>", depth) + "leaf" + strings.Repeat("</acc:n>", depth) + `</acc:Deep>`
	}

	a := post11(t, url, "", envelope11(nested(40)))
	f := a.soap11(t).Body.Fault
	if a.status != http.StatusRequestEntityTooLarge || f == nil || !strings.HasSuffix(f.Code, ":Client") ||
		!strings.Contains(f.String, "nested more than 20 levels deep") {
		t.Fatalf("SOAP 1.1: %d %s", a.status, a.body)
	}
	a = post12(t, url, "", envelope12(nested(40)))
	f12 := a.soap12(t).Body.Fault
	if a.status != http.StatusRequestEntityTooLarge || f12 == nil || !strings.HasSuffix(f12.Code.Value, ":Sender") {
		t.Fatalf("SOAP 1.2: %d %s", a.status, a.body)
	}
	a = post11(t, url, "", envelope11(nested(3)))
	if env := a.soap11(t); a.status != http.StatusOK || env.Body.Fault != nil || !strings.Contains(env.Body.Inner, "ok") {
		t.Fatalf("within the limit: %d %s", a.status, a.body)
	}
}
