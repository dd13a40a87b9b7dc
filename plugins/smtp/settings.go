package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Settings of the SMTP listener: one or more mail servers.
type Settings struct {
	// Servers to run; none given means one on 127.0.0.1:2525.
	Servers []ServerSettings `json:"servers"`
	// AcceptUnmatched, MaxMessageBytes and MaxRecipients are the defaults of
	// every server that does not set its own.
	AcceptUnmatched *bool  `json:"acceptUnmatched"`
	MaxMessageBytes *int64 `json:"maxMessageBytes"`
	MaxRecipients   *int   `json:"maxRecipients"`
}

// ServerSettings is one SMTP server.
type ServerSettings struct {
	// Address to listen on (host:port; port 0 picks a free one).
	Address string `json:"address"`
	// ServerName is sent with every find: mocks with this serverName (or
	// none) answer the server's mail.
	ServerName string `json:"serverName"`
	// Namespace whose mocks answer.
	Namespace string `json:"namespace"`
	// Domain is the name the server greets with.
	Domain string `json:"domain"`
	// TLS offers STARTTLS (or, with implicit, speaks TLS from the start).
	TLS *TLSSettings `json:"tls"`
	// Auth offers AUTH PLAIN.
	Auth *AuthSettings `json:"auth"`
	// AcceptUnmatched accepts mail no mock matches (with 250) instead of
	// rejecting it with 550.
	AcceptUnmatched *bool `json:"acceptUnmatched"`
	// MaxMessageBytes caps a message (default 10 MiB): larger ones get 552.
	MaxMessageBytes *int64 `json:"maxMessageBytes"`
	// MaxRecipients caps RCPT TO per mail (default 100).
	MaxRecipients *int `json:"maxRecipients"`
}

// AuthSettings switch on AUTH PLAIN.
type AuthSettings struct {
	// Users whose credentials are accepted.
	Users []User `json:"users"`
	// AcceptAnyAuth accepts any username and password.
	AcceptAnyAuth bool `json:"acceptAnyAuth"`
	// Required refuses MAIL FROM before a successful AUTH (530).
	Required bool `json:"required"`
	// RequireTLS offers AUTH only on a TLS connection (after STARTTLS);
	// by default it is offered on plain connections too, as mock servers do.
	RequireTLS bool `json:"requireTLS"`
}

// User is one accepted login.
type User struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

// Defaults.
const (
	defaultAddress         = "127.0.0.1:2525"
	defaultNamespace       = "sandbox"
	defaultDomain          = "localhost"
	defaultMaxMessageBytes = 10 << 20
	defaultMaxRecipients   = 100
	maxMessageLimit        = 1 << 30
)

var settingsSchema = `{
  "type": "object",
  "additionalProperties": false,
  "properties": {
    "servers": {"type": "array", "minItems": 1, "items": {
      "type": "object",
      "additionalProperties": false,
      "properties": {
        "address": {"type": "string", "minLength": 1},
        "serverName": {"type": "string", "maxLength": 200},
        "namespace": {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"},
        "domain": {"type": "string", "minLength": 1, "maxLength": 255},
        "tls": ` + tlsSchema + `,
        "auth": {
          "type": "object",
          "additionalProperties": false,
          "properties": {
            "users": {"type": "array", "items": {
              "type": "object",
              "additionalProperties": false,
              "required": ["username", "password"],
              "properties": {"username": {"type": "string", "minLength": 1}, "password": {"type": "string"}}
            }},
            "acceptAnyAuth": {"type": "boolean"},
            "required": {"type": "boolean"},
            "requireTLS": {"type": "boolean"}
          }
        },
        "acceptUnmatched": {"type": "boolean"},
        "maxMessageBytes": {"type": "integer", "minimum": 1, "maximum": 1073741824},
        "maxRecipients": {"type": "integer", "minimum": 1, "maximum": 100000}
      }
    }},
    "acceptUnmatched": {"type": "boolean"},
    "maxMessageBytes": {"type": "integer", "minimum": 1, "maximum": 1073741824},
    "maxRecipients": {"type": "integer", "minimum": 1, "maximum": 100000}
  }
}`

// serverConfig is a server's settings with every default applied.
type serverConfig struct {
	Address, ServerName, Namespace, Domain string
	TLS                                    *TLSSettings
	Auth                                   *AuthSettings
	AcceptUnmatched                        bool
	MaxMessageBytes                        int64
	MaxRecipients                          int
}

// parseSettings decodes the settings and applies the defaults. The host has
// validated them against the schema already; the checks here keep a plugin
// started by hand (or by a test) from running with nonsense.
func parseSettings(raw json.RawMessage) ([]serverConfig, error) {
	var s Settings
	if len(raw) > 0 {
		dec := json.NewDecoder(strings.NewReader(string(raw)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&s); err != nil {
			return nil, fmt.Errorf("settings: %w", err)
		}
	}
	if s.Servers == nil {
		s.Servers = []ServerSettings{{}}
	}
	if len(s.Servers) == 0 {
		return nil, errors.New("settings: servers must not be empty (leave it out for one server on " + defaultAddress + ")")
	}
	out := make([]serverConfig, 0, len(s.Servers))
	for i, in := range s.Servers {
		c := serverConfig{Address: in.Address, ServerName: in.ServerName, Namespace: in.Namespace, Domain: in.Domain,
			TLS: in.TLS, Auth: in.Auth, MaxMessageBytes: defaultMaxMessageBytes, MaxRecipients: defaultMaxRecipients}
		if c.Address == "" {
			c.Address = defaultAddress
		}
		if c.Namespace == "" {
			c.Namespace = defaultNamespace
		}
		if c.Domain == "" {
			c.Domain = defaultDomain
		}
		c.AcceptUnmatched = pick(in.AcceptUnmatched, s.AcceptUnmatched, false)
		c.MaxMessageBytes = pick(in.MaxMessageBytes, s.MaxMessageBytes, int64(defaultMaxMessageBytes))
		c.MaxRecipients = pick(in.MaxRecipients, s.MaxRecipients, defaultMaxRecipients)
		where := fmt.Sprintf("settings: servers[%d]", i)
		if c.MaxMessageBytes < 1 || c.MaxMessageBytes > maxMessageLimit {
			return nil, fmt.Errorf("%s: maxMessageBytes must be between 1 and %d", where, maxMessageLimit)
		}
		if c.MaxRecipients < 1 {
			return nil, fmt.Errorf("%s: maxRecipients must be at least 1", where)
		}
		if a := c.Auth; a != nil {
			if len(a.Users) == 0 && !a.AcceptAnyAuth {
				return nil, fmt.Errorf("%s: auth needs users or acceptAnyAuth", where)
			}
			for j, u := range a.Users {
				if u.Username == "" {
					return nil, fmt.Errorf("%s: auth.users[%d]: username must not be empty", where, j)
				}
			}
			if a.RequireTLS && c.TLS == nil {
				return nil, fmt.Errorf("%s: auth.requireTLS needs tls", where)
			}
		}
		if t := c.TLS; t != nil {
			if (t.CertFile == "") != (t.KeyFile == "") {
				return nil, fmt.Errorf("%s: tls: give both certFile and keyFile, or neither for a self-signed certificate", where)
			}
			if t.Implicit && t.Required {
				return nil, fmt.Errorf("%s: tls: required is for STARTTLS; an implicit TLS server is always encrypted", where)
			}
		}
		out = append(out, c)
	}
	return out, nil
}

// pick is the server's value, else the top-level default, else def.
func pick[T any](own, top *T, def T) T {
	switch {
	case own != nil:
		return *own
	case top != nil:
		return *top
	}
	return def
}
