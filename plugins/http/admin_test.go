package main

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/mockarty-oss/mockarty/sdk/plugintest"
)

// With wiremockAdmin, WireMock's admin API answers on the listener's own
// address for its namespace: a mapping posted there answers on the
// listener, and the journal and reset work through it.
func TestWireMockAdminOnTheListener(t *testing.T) {
	h := plugintest.StartHost(t, plugintest.HostOptions{Plugins: map[string]plugintest.PluginSpec{
		"http": {Dir: ".", Settings: `{"addresses": ["127.0.0.1:0"], "namespace": "wm", "wiremockAdmin": true}`}}})
	addr := "http://" + h.Addresses(t, "http")[0]
	do := func(method, path, body string) (int, string) {
		req, _ := http.NewRequest(method, addr+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	if st, b := do("POST", "/__admin/mappings", `{"request": {"method": "GET", "urlPath": "/hello"}, "response": {"status": 200, "jsonBody": {"hi": "wm"}}}`); st != 201 {
		t.Fatalf("post mapping: %d %s", st, b)
	}
	if st, b := do("GET", "/hello", ""); st != 200 || b != `{"hi":"wm"}` {
		t.Fatalf("the mapping on the listener: %d %s", st, b)
	}
	// It is the namespace's: the host serves it there, not in sandbox.
	if b := h.Get(t, "/stubs/wm/hello", http.StatusOK); string(b) != `{"hi":"wm"}` {
		t.Fatalf("/stubs/wm: %s", b)
	}
	if st, b := do("POST", "/__admin/requests/count", `{"method": "GET", "urlPath": "/hello"}`); st != 200 || !strings.Contains(b, `"count":2`) {
		t.Fatalf("count: %d %s", st, b)
	}
	// A "?" smuggled into the path cannot name another namespace.
	h.Post(t, "/api/v1/mocks", `{"id":"other-ns","namespace":"victim","http":{"route":"/v"},"response":{"payload":"v"}}`, http.StatusCreated)
	if st, b := do("GET", "/__admin/mappings%3Fnamespace=victim%26x=", ""); st == 200 && strings.Contains(b, "victim") {
		t.Fatalf("escaped the listener's namespace: %d %s", st, b)
	}
	if st, b := do("POST", "/__admin/reset", ""); st != 200 {
		t.Fatalf("reset: %d %s", st, b)
	}
	if st, _ := do("GET", "/hello", ""); st != 404 {
		t.Fatalf("after reset: %d", st)
	}
}

// Without the setting, /__admin is mock traffic like any path.
func TestWireMockAdminIsOptIn(t *testing.T) {
	h := plugintest.StartHost(t, plugintest.HostOptions{Plugins: map[string]plugintest.PluginSpec{
		"http": {Dir: ".", Settings: `{"addresses": ["127.0.0.1:0"]}`}}})
	h.Post(t, "/api/v1/mocks", `{"id":"adm","http":{"route":"/__admin/health"},"response":{"payload":"a mock"}}`, http.StatusCreated)
	res, err := http.Get("http://" + h.Addresses(t, "http")[0] + "/__admin/health")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if b, _ := io.ReadAll(res.Body); string(b) != "a mock" {
		t.Fatalf("/__admin without the setting: %s", b)
	}
}
