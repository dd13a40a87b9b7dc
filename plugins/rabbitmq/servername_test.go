package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mockarty-oss/mockarty/sdk/plugintest"
	amqp "github.com/rabbitmq/amqp091-go"
)

// do sends a JSON body to the host and returns the status and the body.
func (h *hostProc) do(tb testing.TB, method, path, body string) (int, []byte) {
	tb.Helper()
	return h.Request(tb, method, path, "application/json", body)
}

// pluginServers is what GET /api/v1/plugins says of the plugin's servers.
func (h *hostProc) pluginServers(tb testing.TB) (state string, servers []map[string]any) {
	tb.Helper()
	var st struct {
		Plugins []struct {
			State   string
			Servers []map[string]any
		}
	}
	if err := h.get("/api/v1/plugins", &st); err != nil || len(st.Plugins) != 1 {
		tb.Fatalf("plugins: %v %+v", err, st)
	}
	return st.Plugins[0].State, st.Plugins[0].Servers
}

// rpc publishes a request to queue and waits for the reply on replyTo.
func rpc(tb testing.TB, ch *amqp.Channel, queue, id string) map[string]any {
	tb.Helper()
	replyTo, replies := replyQueue(tb, ch)
	publish(tb, ch, "", queue, amqp.Publishing{ContentType: "application/json", ReplyTo: replyTo, CorrelationId: id,
		Body: []byte(`{"sku":"` + id + `"}`)})
	return jsonOf(tb, receive(tb, replies, "reply to "+id).Body)
}

// TestE2EServerNameRule: a mock written as the docs write it, naming a
// serverName the settings do not have, is accepted with a warning that
// names the brokers there are, and its queue is declared and answered on
// the default broker. The settings are then changed at run time (PATCH,
// checked against the schema, kept in the plugins file), and a restart
// reads the file again.
func TestE2EServerNameRule(t *testing.T) {
	conn := needBroker(t)
	n := cleanup(t, conn)
	connName := uniq("mkt-sn-")
	h := launchHost(t, connName, fmt.Sprintf(`{"namespace":"sandbox","servers":{"default":{"url":%q}},
"connectionName":%q,"reconnectMinMs":50,"reconnectMaxMs":500}`, brokerURL, connName))
	queue := n.queue(uniq("mkt-sn-prices-"))

	state, servers := h.pluginServers(t)
	if state != "running" || len(servers) != 1 || servers[0]["name"] != "default" || servers[0]["default"] != true ||
		servers[0]["protocol"] != "rabbitmq" || servers[0]["namespace"] != "sandbox" {
		t.Fatalf("the plugin list shows its servers: %s %v", state, servers)
	}

	status, body := h.do(t, http.MethodPost, "/api/v1/mocks", `{"id":"sn-price","serverName":"rabbit-main",
	  "rabbitmq":{"queue":"`+queue+`"},"response":{"payload":{"sku":"$.req.sku","price":42}}}`)
	var created struct {
		Warnings []struct {
			MockID, Field, ServerName, Protocol, ServedBy, Message string
			Servers                                                []string
		}
	}
	if err := json.Unmarshal(body, &created); status != http.StatusCreated || err != nil || len(created.Warnings) != 1 {
		t.Fatalf("create: %d %s", status, body)
	}
	if w := created.Warnings[0]; w.MockID != "sn-price" || w.Field != "serverName" || w.ServerName != "rabbit-main" ||
		w.Protocol != "rabbitmq" || w.ServedBy != "default" || fmt.Sprint(w.Servers) != "[default]" ||
		!strings.Contains(w.Message, `"default"`) {
		t.Fatalf("warning: %+v", w)
	}

	// Its queue is declared and consumed on the default broker, and answers.
	waitConsumed(t, conn, queue, true)
	ch := channel(t, conn)
	if r := rpc(t, ch, queue, "A1"); r["sku"] != "A1" || r["price"] != float64(42) {
		t.Fatalf("reply: %v", r)
	}

	// A schema violation is refused with the field, and changes nothing.
	status, body = h.do(t, http.MethodPatch, "/api/v1/plugins/rabbitmq/settings", `{"servers":{"rabbit-main":{"url":"http://x"}}}`)
	if status != http.StatusUnprocessableEntity || !strings.Contains(string(body), `"field":"servers.rabbit-main.url"`) ||
		!strings.Contains(string(body), `"code":"validation"`) {
		t.Fatalf("a url that is no AMQP URL: %d %s", status, body)
	}

	// The server the mock names is added at run time (a merge patch).
	status, body = h.do(t, http.MethodPatch, "/api/v1/plugins/rabbitmq/settings",
		fmt.Sprintf(`{"servers":{"rabbit-main":{"url":%q}}}`, brokerURL))
	if status != http.StatusOK {
		t.Fatalf("patch settings: %d %s", status, body)
	}
	var changed struct {
		Settings Settings
		Plugin   struct {
			State   string
			Servers []struct{ Name string }
		}
	}
	if err := json.Unmarshal(body, &changed); err != nil || changed.Plugin.State != "running" || len(changed.Settings.Servers) != 2 ||
		changed.Settings.ConnectionName != connName || len(changed.Plugin.Servers) != 2 {
		t.Fatalf("patched: %s", body)
	}
	// Kept in the plugins file, next to what was there.
	file, err := os.ReadFile(filepath.Join(h.DataDir, "plugins.json"))
	if err != nil || !strings.Contains(string(file), `"rabbit-main"`) || !strings.Contains(string(file), connName) {
		t.Fatalf("plugins file: %v %s", err, file)
	}
	// Saving the mock again: no warning now, and it answers (on rabbit-main).
	status, body = h.do(t, http.MethodPatch, "/api/v1/mocks/sn-price", `{"priority":1}`)
	if status != http.StatusOK || strings.Contains(string(body), `"warnings"`) {
		t.Fatalf("patch mock: %d %s", status, body)
	}
	waitConsumed(t, conn, queue, true)
	if r := rpc(t, ch, queue, "B2"); r["sku"] != "B2" {
		t.Fatalf("reply after the change: %v", r)
	}
	// GET shows the settings and their schema.
	status, body = h.do(t, http.MethodGet, "/api/v1/plugins/rabbitmq/settings", "")
	if status != http.StatusOK || !strings.Contains(string(body), `"rabbit-main"`) || !strings.Contains(string(body), `"schema"`) {
		t.Fatalf("get settings: %d %s", status, body)
	}

	// A restart reads the file again: an edit made there is what runs next.
	edited := fmt.Sprintf(`{"rabbitmq":{"settings":{"namespace":"sandbox","servers":{"default":{"url":%q}},"connectionName":%q}}}`,
		brokerURL, connName)
	if err := os.WriteFile(filepath.Join(h.DataDir, "plugins.json"), []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	if status, body := h.do(t, http.MethodPost, "/api/v1/plugins/rabbitmq/restart", ""); status != http.StatusOK {
		t.Fatalf("restart: %d %s", status, body)
	}
	plugintest.Eventually(t, 30*time.Second, func() bool {
		state, servers := h.pluginServers(t)
		return state == "running" && len(servers) == 1 && servers[0]["name"] == "default"
	}, "the plugin running with only the default server after the restart")
	if _, body := h.do(t, http.MethodGet, "/api/v1/plugins/rabbitmq/settings", ""); strings.Contains(string(body), "rabbit-main") {
		t.Fatalf("the restart did not read the file: %s", body)
	}
	// The mock falls back to the default broker again.
	waitConsumed(t, conn, queue, true)
	if r := rpc(t, ch, queue, "C3"); r["sku"] != "C3" {
		t.Fatalf("reply after the restart: %v", r)
	}
}
