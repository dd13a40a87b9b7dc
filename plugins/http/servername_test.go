package main

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/mockarty-oss/mockarty/sdk"
	"github.com/mockarty-oss/mockarty/sdk/plugintest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	plugintest.Cleanup()
	os.Exit(code)
}

// TestServersNamed: the listener names its server after Configure, and the
// host receives it over the contract.
func TestServersNamed(t *testing.T) {
	p := plugintest.Start(t, &Listener{}, json.RawMessage(`{"addresses":["127.0.0.1:0"],"namespace":"qa","serverName":"shop"}`), nil)
	if got := p.Client.Servers(); len(got) != 1 || got[0] != (sdk.Server{Name: "shop", Namespace: "qa"}) {
		t.Fatalf("servers: %+v", got)
	}
	r := plugintest.Start(t, &Listener{}, json.RawMessage(`{"addresses":["127.0.0.1:0"],"hostRouting":true}`), nil)
	if got := r.Client.Servers(); len(got) != 1 || !got[0].AnyName || got[0].Namespace != "sandbox" {
		t.Fatalf("servers with hostRouting: %+v", got)
	}
}

// get sends a GET to the listener with a Host header and returns status and body.
func get(t *testing.T, addr, host, path string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, "http://"+addr+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if host != "" {
		req.Host = host
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// TestServerNameRuleEndToEnd: with the real host, the HTTP listener of
// server "a" serves mocks without a serverName, its own, and those naming
// a server that does not exist (with a warning when saved); switched to
// hostRouting through the settings API, every name is a server's, so a
// mock of "b" answers only requests for b.* (and the host's /stubs, which
// serves every mock of the namespace).
func TestServerNameRuleEndToEnd(t *testing.T) {
	h := plugintest.StartHost(t, plugintest.HostOptions{Plugins: map[string]plugintest.PluginSpec{
		"http": {Dir: ".", Settings: `{"addresses": ["127.0.0.1:0"], "serverName": "a"}`}}})
	h.Post(t, "/api/v1/mocks", `{"id":"any","http":{"route":"/any"},"response":{"payload":"any"}}`, http.StatusCreated)
	h.Post(t, "/api/v1/mocks", `{"id":"of-a","serverName":"a","http":{"route":"/a"},"response":{"payload":"a"}}`, http.StatusCreated)
	b := h.Post(t, "/api/v1/mocks", `{"id":"of-b","serverName":"b","http":{"route":"/b"},"response":{"payload":"b"}}`, http.StatusCreated)
	if !strings.Contains(string(b), `"warnings":[{"mockId":"of-b","field":"serverName","serverName":"b","protocol":"http","servers":["a"],"servedBy":"a"`) {
		t.Fatalf("create of-b: %s", b)
	}
	addr := h.Addresses(t, "http")[0]
	for path, want := range map[string]string{"/any": "any", "/a": "a", "/b": "b"} {
		if status, body := get(t, addr, "", path); status != 200 || body != want {
			t.Fatalf("GET %s: %d %s", path, status, body)
		}
	}

	// Bad settings: the field is named.
	b = h.Do(t, http.MethodPatch, "/api/v1/plugins/http/settings", `{"hostRouting": "yes"}`, http.StatusUnprocessableEntity)
	if !strings.Contains(string(b), `"field":"hostRouting"`) {
		t.Fatalf("bad type: %s", b)
	}
	h.Do(t, http.MethodPatch, "/api/v1/plugins/http/settings", `[1]`, http.StatusBadRequest)
	h.Do(t, http.MethodPatch, "/api/v1/plugins/nope/settings", `{}`, http.StatusNotFound)

	b = h.Do(t, http.MethodPatch, "/api/v1/plugins/http/settings", `{"hostRouting": true, "addresses": ["`+addr+`"]}`, http.StatusOK)
	if !strings.Contains(string(b), `"anyName":true`) {
		t.Fatalf("patched: %s", b)
	}
	if status, body := get(t, addr, "b.localhost", "/b"); status != 200 || body != "b" {
		t.Fatalf("GET b.localhost/b: %d %s", status, body)
	}
	if status, body := get(t, addr, "b.localhost", "/any"); status != 200 || body != "any" {
		t.Fatalf("GET b.localhost/any: %d %s", status, body)
	}
	// An IP literal names no server: the listener's own name, "a", is used,
	// and "b" is now a known server.
	status, body := get(t, addr, "", "/b")
	if status != http.StatusNotFound || !strings.Contains(body, `served by server \"b\"`) {
		t.Fatalf("GET 127.0.0.1/b: %d %s", status, body)
	}
	// The host's /stubs/<namespace> is the namespace's endpoint, no
	// server's: it serves every mock.
	if b := h.Get(t, "/stubs/sandbox/b", http.StatusOK); string(b) != "b" {
		t.Fatalf("/stubs/sandbox/b: %s", b)
	}
	// Saved now, the mock of "b" gives no warning (every name is known).
	b = h.Do(t, http.MethodPatch, "/api/v1/mocks/of-b", `{"priority":1}`, http.StatusOK)
	if strings.Contains(string(b), "warnings") {
		t.Fatalf("patch of-b: %s", b)
	}
}
