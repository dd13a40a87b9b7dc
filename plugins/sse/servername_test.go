package main

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"
)

// TestServerNameRule: the SSE listener's one server has no name, so it is
// the default server: a mock naming a serverName is saved with a warning
// that says so, and streams.
func TestServerNameRule(t *testing.T) {
	h := startHost(t)
	servers, _ := h.plugin(t)["servers"].([]any)
	if len(servers) != 1 {
		t.Fatalf("servers: %v", h.plugin(t))
	}
	if s := servers[0].(map[string]any); s["name"] != "" || s["default"] != true || s["namespace"] != "sandbox" || s["protocol"] != "sse" {
		t.Fatalf("server: %v", s)
	}
	b := h.Post(t, "/api/v1/mocks", `{"id":"feed","serverName":"feeds","sse":{"eventPath":"/feed"},
"response":{"sseEventChain":{"events":[{"id":"1","eventName":"item","data":{"n":1}}]}}}`, http.StatusCreated)
	var created struct {
		Warnings []struct {
			ServerName, ServedBy string
			Servers              []string
		}
	}
	if err := json.Unmarshal(b, &created); err != nil || len(created.Warnings) != 1 || created.Warnings[0].ServerName != "feeds" ||
		created.Warnings[0].ServedBy != "" || len(created.Warnings[0].Servers) != 1 {
		t.Fatalf("create: %s", b)
	}
	_, r := openStream(t, h.sse+"/feed", nil)
	if got := summary(r.events(t, 30*time.Second)); got != `1:item={"n":1}` {
		t.Fatalf("events: %s", got)
	}
}
