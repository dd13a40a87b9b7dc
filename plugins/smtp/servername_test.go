package main

import (
	"encoding/json"
	"net/http"
	"net/smtp"
	"strings"
	"testing"

	"github.com/mockarty-oss/mockarty/sdk/plugintest"
)

// TestServerNameRule: an SMTP mock naming a serverName no server has
// ("smtp-mock", as the docs write it) is accepted with a warning and
// answers the default server's mail. Once a server of that name is added
// through the settings API, the mock is that server's only, and the
// default server's 550 names the mock and the server that has it.
func TestServerNameRule(t *testing.T) {
	h := plugintest.StartHost(t, plugintest.HostOptions{Plugins: map[string]plugintest.PluginSpec{
		"smtp": {Dir: ".", Settings: `{"servers": [{"address": "127.0.0.1:0"}]}`}}})

	var created struct {
		Warnings []struct {
			Field, ServerName, ServedBy, Message string
			Servers                              []string
		}
	}
	b := h.Post(t, "/api/v1/mocks", `{"id":"sn-mail","smtp":{"serverName":"smtp-mock",
	  "recipientConditions":[{"path":"","assertAction":"contains","value":"ops@sn.test"}]},
	  "response":{"statusCode":250,"payload":{"message":"queued for smtp-mock"}}}`, http.StatusCreated)
	if err := json.Unmarshal(b, &created); err != nil || len(created.Warnings) != 1 {
		t.Fatalf("create: %s", b)
	}
	if w := created.Warnings[0]; w.Field != "smtp.serverName" || w.ServerName != "smtp-mock" || w.ServedBy != "" ||
		len(w.Servers) != 1 || w.Servers[0] != "" || !strings.Contains(w.Message, "without a name") {
		t.Fatalf("warning: %+v", w)
	}
	main := h.Addresses(t, "smtp")[0]
	mail := simpleMail("app@sn.test", "ops@sn.test", "Report", "numbers")
	if err := smtp.SendMail(main, nil, "app@sn.test", []string{"ops@sn.test"}, mail); err != nil {
		t.Fatalf("the default server answers a mock of an unknown server: %v", err)
	}

	// Add the server the mock names (the whole list: arrays are replaced).
	b = h.Do(t, http.MethodPatch, "/api/v1/plugins/smtp/settings",
		`{"servers": [{"address": "`+main+`"}, {"address": "127.0.0.1:0", "serverName": "smtp-mock"}]}`, http.StatusOK)
	var changed struct {
		Plugin struct {
			State     string
			Addresses []string
			Servers   []struct {
				Name    string
				Default bool
			}
		}
	}
	if err := json.Unmarshal(b, &changed); err != nil || changed.Plugin.State != "running" || len(changed.Plugin.Addresses) != 2 ||
		len(changed.Plugin.Servers) != 2 || !changed.Plugin.Servers[0].Default || changed.Plugin.Servers[1].Name != "smtp-mock" {
		t.Fatalf("after the change: %s", b)
	}
	named := changed.Plugin.Addresses[1]
	if err := smtp.SendMail(named, nil, "app@sn.test", []string{"ops@sn.test"}, mail); err != nil {
		t.Fatalf("the smtp-mock server: %v", err)
	}
	err := smtp.SendMail(changed.Plugin.Addresses[0], nil, "app@sn.test", []string{"ops@sn.test"}, mail)
	if code, msg := smtpCode(err); code != 550 || !strings.Contains(msg, "mock sn-mail") || !strings.Contains(msg, `served by server "smtp-mock"`) {
		t.Fatalf("the default server's near-miss names the mock: %d %q", code, msg)
	}
	// A schema violation is refused with the field.
	b = h.Do(t, http.MethodPatch, "/api/v1/plugins/smtp/settings", `{"servers": [{"address": ""}]}`, http.StatusUnprocessableEntity)
	if !strings.Contains(string(b), `"field":"servers[0].address"`) {
		t.Fatalf("schema violation: %s", b)
	}
}
