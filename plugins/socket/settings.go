package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// Settings of the socket listener.
type Settings struct {
	// Servers each listen on their own WebSocket, TCP and UDP addresses.
	// Without any, one server named "default" listens on the default ports.
	Servers []ServerSettings `json:"servers"`
	// MaxMessageBytes caps one incoming message (default 1 MiB).
	MaxMessageBytes int `json:"maxMessageBytes"`
}

// ServerSettings describe one socket server: its name (the serverName of
// its mocks), namespace and transports.
type ServerSettings struct {
	ServerName string             `json:"serverName"`
	Namespace  string             `json:"namespace"`
	WebSocket  *WebSocketSettings `json:"websocket"`
	TCP        *TCPSettings       `json:"tcp"`
	UDP        *UDPSettings       `json:"udp"`
	// EventField is the field of a JSON message that names its event
	// (a dotted path for a nested field; default "event").
	EventField string `json:"eventField"`
	// Unmatched says what a message no mock matches gets: "error" (the
	// host's near-miss report as a JSON reply, the default) or "ignore"
	// (no reply). Either way it is recorded as an undefined request.
	Unmatched string `json:"unmatched"`
}

// WebSocketSettings: where WebSocket clients connect.
type WebSocketSettings struct {
	Address string `json:"address"`
	// Path is the URL path of the endpoint (default "/ws").
	Path string `json:"path"`
}

// TCPSettings: where TCP clients connect, and how messages are framed.
type TCPSettings struct {
	Address string `json:"address"`
	// Framing is "newline" (one message per line, the default) or
	// "length" (each message preceded by its length, 4 bytes big-endian).
	Framing string `json:"framing"`
}

// UDPSettings: where datagrams arrive.
type UDPSettings struct {
	Address string `json:"address"`
	// PeerIdleSeconds: a sender is listed as a connection (and reached by
	// pushes) until it has been silent this long (default 300).
	PeerIdleSeconds int `json:"peerIdleSeconds"`
}

// Defaults.
const (
	defaultServerName      = "default"
	defaultNamespace       = "sandbox"
	defaultWebSocketAddr   = "127.0.0.1:5784"
	defaultTCPAddr         = "127.0.0.1:5785"
	defaultUDPAddr         = "127.0.0.1:5786"
	defaultPath            = "/ws"
	defaultEventField      = "event"
	defaultMaxMessageBytes = 1 << 20
	maxMessageLimit        = 64 << 20
	defaultPeerIdleSeconds = 300
	framingNewline         = "newline"
	framingLength          = "length"
	unmatchedError         = "error"
	unmatchedIgnore        = "ignore"
)

const addressSchema = `{"type": "string", "minLength": 1, "maxLength": 300}`

var settingsSchema = `{
  "type": "object",
  "additionalProperties": false,
  "properties": {
    "maxMessageBytes": {"type": "integer", "minimum": 1, "maximum": ` + fmt.Sprint(maxMessageLimit) + `},
    "servers": {
      "type": "array",
      "minItems": 1,
      "items": {
        "type": "object",
        "additionalProperties": false,
        "required": ["serverName"],
        "properties": {
          "serverName": {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$"},
          "namespace": {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"},
          "eventField": {"type": "string", "minLength": 1, "maxLength": 200},
          "unmatched": {"enum": ["error", "ignore"]},
          "websocket": {
            "type": "object", "additionalProperties": false, "required": ["address"],
            "properties": {"address": ` + addressSchema + `, "path": {"type": "string", "pattern": "^/"}}
          },
          "tcp": {
            "type": "object", "additionalProperties": false, "required": ["address"],
            "properties": {"address": ` + addressSchema + `, "framing": {"enum": ["newline", "length"]}}
          },
          "udp": {
            "type": "object", "additionalProperties": false, "required": ["address"],
            "properties": {"address": ` + addressSchema + `, "peerIdleSeconds": {"type": "integer", "minimum": 1, "maximum": 86400}}
          }
        }
      }
    }
  }
}`

var (
	namespacePattern  = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$`)
	serverNamePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$`)
)

// parseSettings reads the settings, fills the defaults and checks what the
// schema cannot (the host validates the schema first; a plugin started
// some other way gets the same errors here).
func parseSettings(raw json.RawMessage) (Settings, error) {
	var s Settings
	if b := bytes.TrimSpace(raw); len(b) > 0 && !bytes.Equal(b, []byte("null")) {
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&s); err != nil {
			return s, fmt.Errorf("settings: %w", err)
		}
	}
	if s.MaxMessageBytes == 0 {
		s.MaxMessageBytes = defaultMaxMessageBytes
	}
	if s.MaxMessageBytes < 0 || s.MaxMessageBytes > maxMessageLimit {
		return s, fmt.Errorf("settings: maxMessageBytes must be between 1 and %d", maxMessageLimit)
	}
	if s.Servers == nil {
		s.Servers = []ServerSettings{{ServerName: defaultServerName,
			WebSocket: &WebSocketSettings{Address: defaultWebSocketAddr},
			TCP:       &TCPSettings{Address: defaultTCPAddr},
			UDP:       &UDPSettings{Address: defaultUDPAddr}}}
	}
	if len(s.Servers) == 0 {
		return s, errors.New("settings: servers must not be empty (leave it out for the default server)")
	}
	seen := map[string]bool{}
	for i := range s.Servers {
		srv := &s.Servers[i]
		where := fmt.Sprintf("settings: servers[%d]", i)
		if !serverNamePattern.MatchString(srv.ServerName) {
			return s, fmt.Errorf("%s.serverName %q: use 1-200 letters, digits, '.', '_', ':' or '-'", where, srv.ServerName)
		}
		if seen[srv.ServerName] {
			return s, fmt.Errorf("%s.serverName %q: another server has this name", where, srv.ServerName)
		}
		seen[srv.ServerName] = true
		if srv.Namespace == "" {
			srv.Namespace = defaultNamespace
		}
		if !namespacePattern.MatchString(srv.Namespace) {
			return s, fmt.Errorf("%s.namespace %q: use 1-100 letters, digits, '.', '_' or '-'", where, srv.Namespace)
		}
		if srv.EventField == "" {
			srv.EventField = defaultEventField
		}
		if strings.HasPrefix(srv.EventField, ".") || strings.HasSuffix(srv.EventField, ".") || strings.Contains(srv.EventField, "..") {
			return s, fmt.Errorf("%s.eventField %q: a field name, or a dotted path such as meta.type", where, srv.EventField)
		}
		switch srv.Unmatched {
		case "":
			srv.Unmatched = unmatchedError
		case unmatchedError, unmatchedIgnore:
		default:
			return s, fmt.Errorf("%s.unmatched %q: use error or ignore", where, srv.Unmatched)
		}
		if srv.WebSocket == nil && srv.TCP == nil && srv.UDP == nil {
			return s, fmt.Errorf("%s (%s): no transport: set websocket, tcp or udp", where, srv.ServerName)
		}
		if ws := srv.WebSocket; ws != nil {
			if ws.Address == "" {
				return s, fmt.Errorf("%s.websocket.address is required", where)
			}
			if ws.Path == "" {
				ws.Path = defaultPath
			}
			if !strings.HasPrefix(ws.Path, "/") {
				return s, fmt.Errorf("%s.websocket.path %q must start with /", where, ws.Path)
			}
		}
		if t := srv.TCP; t != nil {
			if t.Address == "" {
				return s, fmt.Errorf("%s.tcp.address is required", where)
			}
			switch t.Framing {
			case "":
				t.Framing = framingNewline
			case framingNewline, framingLength:
			default:
				return s, fmt.Errorf("%s.tcp.framing %q: use newline or length", where, t.Framing)
			}
		}
		if u := srv.UDP; u != nil {
			if u.Address == "" {
				return s, fmt.Errorf("%s.udp.address is required", where)
			}
			if u.PeerIdleSeconds == 0 {
				u.PeerIdleSeconds = defaultPeerIdleSeconds
			}
			if u.PeerIdleSeconds < 0 {
				return s, fmt.Errorf("%s.udp.peerIdleSeconds must be positive", where)
			}
		}
	}
	return s, nil
}
