package asyncapigen

import (
	"bytes"
	"encoding/json"
	"strings"

	"github.com/mockarty-oss/mockarty/host/internal/generate"
	"github.com/mockarty-oss/mockarty/host/internal/model"
)

// The plain event list, for sockets no AsyncAPI document describes:
// {"events": [{"event": "ping", "response": {...}}]} (or the bare list),
// one mock each. An entry may also set conditions and socketType.

type eventEntry struct {
	Event      string            `json:"event"`
	Response   json.RawMessage   `json:"response"`
	Conditions []model.Condition `json:"conditions"`
	SocketType string            `json:"socketType"`
}

func (g *gen) eventList(list []any, ptr string) error {
	if len(list) == 0 {
		return g.d.errf(ptr, "the event list is empty")
	}
	for i, item := range list {
		at := ptr + "/" + itoa(i)
		if _, ok := item.(map[string]any); !ok {
			return g.d.errf(at, "must be an object {\"event\", \"response\"}")
		}
		b, err := json.Marshal(item)
		if err != nil {
			return g.d.errf(at, "%v", err)
		}
		var e eventEntry
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&e); err != nil {
			return g.d.errf(at, "%s (an entry is {\"event\", \"response\", \"conditions\", \"socketType\"})", strings.TrimPrefix(err.Error(), "json: "))
		}
		if strings.TrimSpace(e.Event) == "" {
			return g.d.errf(at, "event is required: the value of the message's %q field (or its text)", g.in.EventField)
		}
		switch strings.ToLower(e.SocketType) {
		case "", "websocket", "tcp", "udp":
		case "ws", "wss":
			e.SocketType = "websocket"
		default:
			return g.d.errf(at+"/socketType", "must be websocket, tcp or udp")
		}
		var payload json.RawMessage
		if r := bytes.TrimSpace(e.Response); len(r) > 0 && !bytes.Equal(r, []byte("null")) {
			payload = r
		} else {
			g.warn("event %q has no response: its mock sends nothing back", e.Event)
		}
		g.res.Mocks = append(g.res.Mocks, &model.Mock{
			ID:        generate.MockID(g.in.IDPrefix, "event", idPart(e.Event)),
			Namespace: g.in.Namespace,
			Tags:      []string{"socket"},
			Socket: &model.SocketContext{ServerName: g.in.ServerName, SocketType: strings.ToLower(e.SocketType),
				Event: e.Event, Conditions: e.Conditions},
			Response: &model.ContentResponse{Payload: payload},
		})
	}
	return nil
}
