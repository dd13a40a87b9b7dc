package main

import (
	"crypto/tls"
	"fmt"

	"github.com/mockarty-oss/mockarty/sdk/certs"
)

// TLSSettings offer STARTTLS on a server (or TLS from the first byte).
type TLSSettings struct {
	// CertFile and KeyFile are a PEM certificate chain and key. Without
	// them a self-signed certificate is made at start for Hosts.
	CertFile string `json:"certFile"`
	KeyFile  string `json:"keyFile"`
	// Hosts the self-signed certificate names (default localhost, 127.0.0.1, ::1).
	Hosts []string `json:"hosts"`
	// Required refuses MAIL FROM on a connection that has not done STARTTLS.
	Required bool `json:"required"`
	// Implicit speaks TLS from the first byte (SMTPS, as on port 465)
	// instead of offering STARTTLS.
	Implicit bool `json:"implicit"`
}

const tlsSchema = `{
  "type": "object",
  "additionalProperties": false,
  "properties": {
    "certFile": {"type": "string"}, "keyFile": {"type": "string"},
    "hosts": {"type": "array", "items": {"type": "string", "minLength": 1}},
    "required": {"type": "boolean"},
    "implicit": {"type": "boolean"}
  }
}`

// config builds the server's TLS configuration.
func (t *TLSSettings) config() (*tls.Config, error) {
	var cert tls.Certificate
	var err error
	if t.CertFile != "" {
		cert, err = tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("tls: load certificate: %w", err)
		}
	} else if cert, err = certs.SelfSigned(t.Hosts); err != nil {
		return nil, fmt.Errorf("tls: make a self-signed certificate: %w", err)
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, nil
}
