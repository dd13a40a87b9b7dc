package main

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/mockarty-oss/mockarty/sdk/plugintest"
)

// post sends body to url and returns the status and the decoded JSON reply.
func post(t *testing.T, url, body string) (int, map[string]any) {
	t.Helper()
	res, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	var v map[string]any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("POST %s: %d, not JSON: %.200s", url, res.StatusCode, b)
	}
	return res.StatusCode, v
}

// TestBodyTooDeepIsTheClientsError: with the real host, a body nested past
// MAX_BODY_DEPTH (512) is refused by the host's find and reaches the
// client as the host's /stubs answers it, 413 body_too_deep in the
// listener's error shape, not as an outage (502). It holds for a body that
// travels on the find stream and for one over 256 KiB (the unary Find),
// and the listener keeps serving.
func TestBodyTooDeepIsTheClientsError(t *testing.T) {
	h := plugintest.StartHost(t, plugintest.HostOptions{Plugins: map[string]plugintest.PluginSpec{
		"http": {Dir: ".", Settings: `{"addresses": ["127.0.0.1:0"]}`}}})
	h.Post(t, "/api/v1/mocks", `{"id":"x","http":{"route":"/x","httpMethod":"POST"},"response":{"payload":{"ok":true}}}`, http.StatusCreated)
	base := "http://" + h.Addresses(t, "http")[0]

	for _, depth := range []int{10000, 200000} {
		body := strings.Repeat("[", depth) + strings.Repeat("]", depth)
		status, v := post(t, base+"/x", body)
		msg, _ := v["error"].(string)
		if status != http.StatusRequestEntityTooLarge || v["code"] != "body_too_deep" ||
			!strings.Contains(msg, "nested more than 512 levels deep") {
			t.Fatalf("depth %d: %d %v", depth, status, v)
		}
		hostStatus, hv := post(t, h.URL+"/stubs/sandbox/x", body)
		if hostStatus != status || hv["code"] != v["code"] {
			t.Fatalf("depth %d: the listener answers %d %v, the host's /stubs %d %v", depth, status, v["code"], hostStatus, hv["code"])
		}
	}
	if status, v := post(t, base+"/x", strings.Repeat("[", 100)+strings.Repeat("]", 100)); status != http.StatusOK || v["ok"] != true {
		t.Fatalf("within the limit: %d %v", status, v)
	}
}
