package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestServerNameRule: a socket mock naming a serverName no server has
// (socket.serverName "chat", as the docs write it) is accepted with a
// warning and answered by the default server, connect events included.
// Once a "chat" server is added through the settings API (a graceful
// reload), the mock is that server's only, and the default server's
// near-miss names it. Settings the schema or the plugin refuses change
// nothing.
func TestServerNameRule(t *testing.T) {
	main, chat := freePort(t), freePort(t)
	h := startHost(t, map[string]any{"servers": []any{
		map[string]any{"serverName": "default", "websocket": map[string]any{"address": addr(main)}}}})

	var created struct {
		Warnings []struct {
			MockID, Field, ServerName, ServedBy string
			Servers                             []string
		}
	}
	h.call(t, http.StatusCreated, http.MethodPost, "/api/v1/mocks",
		`{"id":"chat-hi","socket":{"serverName":"chat","event":"hi"},"response":{"payload":{"event":"hello"}}}`, &created)
	if len(created.Warnings) != 1 || created.Warnings[0].Field != "socket.serverName" || created.Warnings[0].ServerName != "chat" ||
		created.Warnings[0].ServedBy != "default" || fmt.Sprint(created.Warnings[0].Servers) != "[default]" {
		t.Fatalf("warnings: %+v", created.Warnings)
	}
	var batch struct {
		Warnings []struct{ MockID string }
		Results  []map[string]any
	}
	h.call(t, http.StatusCreated, http.MethodPost, "/api/v1/mocks/batch", `[
	  {"id":"lobby-welcome","serverName":"lobby","socket":{"event":"connect"},"response":{"payload":{"event":"welcome"}}},
	  {"id":"plain-ping","socket":{"event":"ping"},"response":{"payload":{"event":"pong"}}}]`, &batch)
	if len(batch.Warnings) != 1 || batch.Warnings[0].MockID != "lobby-welcome" || batch.Results[0]["warnings"] == nil ||
		batch.Results[1]["warnings"] != nil {
		t.Fatalf("batch warnings: %+v", batch)
	}

	// The default server answers both, the connect event too.
	ws, _ := greeted(t, "ws://"+addr(main)+"/ws")
	sendWS(t, ws, `{"event":"hi"}`)
	jsonEq(t, readWS(t, ws), `{"event":"hello"}`)
	sendWS(t, ws, `{"event":"ping"}`)
	jsonEq(t, readWS(t, ws), `{"event":"pong"}`)

	// Refused by the schema: the field is named, nothing changes.
	var e struct{ Code, Field, Error string }
	h.call(t, http.StatusUnprocessableEntity, http.MethodPatch, "/api/v1/plugins/socket/settings",
		`{"servers":[{"serverName":"default","websocket":{"address":"`+addr(main)+`"}},{"serverName":"chat","bogus":1}]}`, &e)
	if e.Code != "validation" || e.Field != "servers[1].bogus" {
		t.Fatalf("schema violation: %+v", e)
	}
	// Refused by the plugin (two servers of one name): the previous
	// settings are put back and run again.
	h.call(t, http.StatusUnprocessableEntity, http.MethodPut, "/api/v1/plugins/socket/settings",
		`{"servers":[{"serverName":"default","websocket":{"address":"`+addr(main)+`"}},
		  {"serverName":"default","websocket":{"address":"`+addr(chat)+`"}}]}`, &e)
	if e.Code != "validation" || !strings.Contains(e.Error, "another server has this name") {
		t.Fatalf("refused by the plugin: %+v", e)
	}
	var ps struct{ Settings Settings }
	h.call(t, http.StatusOK, http.MethodGet, "/api/v1/plugins/socket/settings", nil, &ps)
	if len(ps.Settings.Servers) != 1 {
		t.Fatalf("the previous settings are kept: %+v", ps)
	}
	ws, _ = greeted(t, "ws://"+addr(main)+"/ws")
	sendWS(t, ws, `{"event":"hi"}`)
	jsonEq(t, readWS(t, ws), `{"event":"hello"}`)

	// A "chat" server is added (the whole list: a merge patch replaces arrays).
	var changed struct {
		Plugin struct {
			State   string
			Servers []struct {
				Name    string
				Default bool
			}
		}
	}
	h.call(t, http.StatusOK, http.MethodPatch, "/api/v1/plugins/socket/settings",
		`{"servers":[{"serverName":"default","websocket":{"address":"`+addr(main)+`"}},
		  {"serverName":"chat","websocket":{"address":"`+addr(chat)+`"}}]}`, &changed)
	if p := changed.Plugin; p.State != "running" || len(p.Servers) != 2 || p.Servers[0].Name != "default" || !p.Servers[0].Default ||
		p.Servers[1].Name != "chat" || p.Servers[1].Default {
		t.Fatalf("after the change: %+v", changed)
	}
	chatWS := dialWS(t, "ws://"+addr(chat)+"/ws")
	sendWS(t, chatWS, `{"event":"hi"}`)
	jsonEq(t, readWS(t, chatWS), `{"event":"hello"}`)
	sendWS(t, chatWS, `{"event":"ping"}`) // a mock without a serverName: every server
	jsonEq(t, readWS(t, chatWS), `{"event":"pong"}`)

	ws, _ = greeted(t, "ws://"+addr(main)+"/ws") // "lobby" is still no server's: the default greets
	sendWS(t, ws, `{"event":"hi"}`)
	nm := readJSON(t, ws)
	var cands []struct{ MockID, Reason string }
	b, _ := json.Marshal(nm["candidates"])
	_ = json.Unmarshal(b, &cands)
	if nm["code"] != "no_match" || len(cands) != 1 || cands[0].MockID != "chat-hi" || !strings.Contains(cands[0].Reason, `served by server "chat"`) {
		t.Fatalf("the default server's near-miss: %v", nm)
	}
	// A mock saved now names a known server: no warning.
	r := h.do(t, http.MethodPatch, "/api/v1/mocks/chat-hi", `{"priority":2}`)
	if r.status != http.StatusOK || strings.Contains(string(r.body), "warnings") {
		t.Fatalf("patch: %d %s", r.status, r.body)
	}
	// The chat server does not greet: the lobby mock is the default server's.
	quiet := dialWS(t, "ws://"+addr(chat)+"/ws")
	_ = quiet.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
	if _, msg, err := quiet.ReadMessage(); err == nil {
		t.Fatalf("the chat server greeted: %s", msg)
	}
}
