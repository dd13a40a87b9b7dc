package main

import (
	"crypto/tls"
	"errors"
	"fmt"

	"github.com/mockarty-oss/mockarty/sdk/certs"
)

// TLSSettings switch a listener to HTTPS.
type TLSSettings struct {
	// CertFile and KeyFile are a PEM certificate chain and key. Without
	// them a self-signed certificate is made at start for Hosts.
	CertFile string `json:"certFile"`
	KeyFile  string `json:"keyFile"`
	// Hosts the self-signed certificate names (default localhost, 127.0.0.1, ::1).
	Hosts []string `json:"hosts"`
	// ClientCAFile turns on mutual TLS: client certificates must chain to it.
	ClientCAFile string `json:"clientCAFile"`
	// ClientCertOptional accepts clients without a certificate (those that
	// present one must still chain to ClientCAFile).
	ClientCertOptional bool `json:"clientCertOptional"`
}

const tlsSchema = `{
  "type": "object",
  "additionalProperties": false,
  "properties": {
    "certFile": {"type": "string"}, "keyFile": {"type": "string"},
    "hosts": {"type": "array", "items": {"type": "string"}},
    "clientCAFile": {"type": "string"}, "clientCertOptional": {"type": "boolean"}
  }
}`

// config builds the server's TLS configuration.
func (t *TLSSettings) config() (*tls.Config, error) {
	var cert tls.Certificate
	var err error
	switch {
	case t.CertFile != "" && t.KeyFile != "":
		cert, err = tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("tls: load certificate: %w", err)
		}
	case t.CertFile != "" || t.KeyFile != "":
		return nil, errors.New("tls: give both certFile and keyFile, or neither for a self-signed certificate")
	default:
		cert, err = certs.SelfSigned(t.Hosts)
		if err != nil {
			return nil, err
		}
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	if t.ClientCAFile != "" {
		pool, err := certs.Pool(t.ClientCAFile)
		if err != nil {
			return nil, fmt.Errorf("tls: clientCAFile: %w", err)
		}
		cfg.ClientCAs = pool
		cfg.ClientAuth = tls.RequireAndVerifyClientCert
		if t.ClientCertOptional {
			cfg.ClientAuth = tls.VerifyClientCertIfGiven
		}
	}
	return cfg, nil
}
