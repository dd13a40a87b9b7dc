package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/mockarty-oss/mockarty/sdk"
	"github.com/mockarty-oss/mockarty/sdk/certs"
	amqp "github.com/rabbitmq/amqp091-go"
)

// DefaultURL is the broker of the "default" server when the settings name none.
const DefaultURL = "amqp://guest:guest@127.0.0.1:5672/"

// DefaultServer is the name of the broker the settings have when they name
// none; the broker of that name is the default server of the serverName rule.
const DefaultServer = "default"

// Settings of the RabbitMQ listener.
type Settings struct {
	// Namespace whose mocks are served.
	Namespace string `json:"namespace"`
	// Servers are the brokers by serverName. A mock without a serverName is
	// consumed on every broker, one naming a broker on that one, one naming
	// no broker on the default broker ("default", else the first by name).
	Servers map[string]ServerSettings `json:"servers"`
	// Prefetch is the number of unacknowledged messages per queue (basic.qos):
	// how many messages of one queue are handled at once. 1 keeps replies in order.
	Prefetch int `json:"prefetch"`
	// Declare creates missing queues and exchanges (true by default); with
	// false only existing ones are used.
	Declare *bool `json:"declare"`
	// ExchangeType is the type of exchanges the plugin creates.
	ExchangeType string `json:"exchangeType"`
	// QueueExpiresMs is the x-expires of the queues the plugin creates for
	// mocks that name an exchange and no queue (0: they never expire).
	QueueExpiresMs int64 `json:"queueExpiresMs"`
	// ReconnectMinMs and ReconnectMaxMs bound the reconnect backoff.
	ReconnectMinMs int `json:"reconnectMinMs"`
	ReconnectMaxMs int `json:"reconnectMaxMs"`
	// ConfirmTimeoutMs bounds the wait for a publisher confirm of a reply.
	ConfirmTimeoutMs int `json:"confirmTimeoutMs"`
	// ConnectionName is the connection_name client property (shown by the
	// broker's management tools).
	ConnectionName string `json:"connectionName"`
	// StrictHealth makes Health fail while a broker is unreachable (the host
	// then restarts the plugin, and gives up after its crash limit).
	StrictHealth bool `json:"strictHealth"`
}

// ServerSettings is one broker.
type ServerSettings struct {
	URL string       `json:"url"`
	TLS *TLSSettings `json:"tls"`
}

// TLSSettings configure amqps:// connections.
type TLSSettings = certs.ClientTLS

const nameRE = `^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$`

var settingsSchema = `{
  "type": "object",
  "additionalProperties": false,
  "properties": {
    "namespace": {"type": "string", "pattern": "` + nameRE + `"},
    "servers": {
      "type": "object",
      "minProperties": 1,
      "propertyNames": {"pattern": "` + nameRE + `"},
      "additionalProperties": {
        "type": "object",
        "additionalProperties": false,
        "required": ["url"],
        "properties": {
          "url": {"type": "string", "pattern": "^amqps?://"},
          "tls": {
            "type": "object",
            "additionalProperties": false,
            "properties": {
              "caFile": {"type": "string"},
              "certFile": {"type": "string"},
              "keyFile": {"type": "string"},
              "serverName": {"type": "string"},
              "insecureSkipVerify": {"type": "boolean"}
            }
          }
        }
      }
    },
    "prefetch": {"type": "integer", "minimum": 1, "maximum": 65535},
    "declare": {"type": "boolean"},
    "exchangeType": {"enum": ["direct", "topic", "fanout", "headers"]},
    "queueExpiresMs": {"type": "integer", "minimum": 0, "maximum": 2147483647},
    "reconnectMinMs": {"type": "integer", "minimum": 10, "maximum": 60000},
    "reconnectMaxMs": {"type": "integer", "minimum": 10, "maximum": 600000},
    "confirmTimeoutMs": {"type": "integer", "minimum": 100, "maximum": 600000},
    "connectionName": {"type": "string", "maxLength": 200},
    "strictHealth": {"type": "boolean"}
  }
}`

// parseSettings reads settings over the defaults and checks what the
// schema cannot.
func parseSettings(raw json.RawMessage) (*Settings, error) {
	s := &Settings{Namespace: "sandbox", Prefetch: 32, ExchangeType: "topic", QueueExpiresMs: 3_600_000,
		ReconnectMinMs: 100, ReconnectMaxMs: 10_000, ConfirmTimeoutMs: 10_000, ConnectionName: "mockarty-plugin-rabbitmq"}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, s); err != nil {
			return nil, fmt.Errorf("settings: %w", err)
		}
	}
	if s.Servers == nil {
		s.Servers = map[string]ServerSettings{DefaultServer: {URL: DefaultURL}}
	}
	if len(s.Servers) == 0 {
		return nil, errors.New("settings: servers must name at least one broker")
	}
	if s.Declare == nil {
		t := true
		s.Declare = &t
	}
	if s.Prefetch <= 0 || s.Prefetch > 65535 {
		return nil, fmt.Errorf("settings: prefetch must be between 1 and 65535, got %d", s.Prefetch)
	}
	if s.ReconnectMinMs <= 0 || s.ReconnectMaxMs < s.ReconnectMinMs {
		return nil, fmt.Errorf("settings: reconnectMinMs (%d) must be positive and at most reconnectMaxMs (%d)", s.ReconnectMinMs, s.ReconnectMaxMs)
	}
	if s.ConfirmTimeoutMs <= 0 {
		return nil, errors.New("settings: confirmTimeoutMs must be positive")
	}
	switch s.ExchangeType {
	case "direct", "topic", "fanout", "headers":
	default:
		return nil, fmt.Errorf("settings: exchangeType must be direct, topic, fanout or headers, got %q", s.ExchangeType)
	}
	for _, name := range s.serverNames() {
		srv := s.Servers[name]
		if _, err := amqp.ParseURI(srv.URL); err != nil {
			return nil, fmt.Errorf("settings: servers.%s.url: %v", name, err)
		}
		if srv.TLS != nil {
			if _, err := srv.TLS.Config(); err != nil {
				return nil, fmt.Errorf("settings: servers.%s.tls: %v", name, err)
			}
		}
	}
	return s, nil
}

// serverList is the brokers as servers of the serverName rule, in name
// order: the one named "default" is the default server, else the first.
func (s *Settings) serverList() []sdk.Server {
	out := make([]sdk.Server, 0, len(s.Servers))
	for _, name := range s.serverNames() {
		out = append(out, sdk.Server{Name: name, Namespace: s.Namespace})
	}
	return out
}

// serverNames are the configured servers' names in order.
func (s *Settings) serverNames() []string { return slices.Sorted(maps.Keys(s.Servers)) }

func (s *Settings) backoff() (time.Duration, time.Duration) {
	return time.Duration(s.ReconnectMinMs) * time.Millisecond, time.Duration(s.ReconnectMaxMs) * time.Millisecond
}

// redact hides the password of an AMQP URL.
func redact(raw string) string {
	u, err := amqp.ParseURI(raw)
	if err != nil {
		return "(invalid URL)"
	}
	if u.Password != "" {
		u.Password = "xxxxx"
	}
	return u.String()
}
