package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"net"
	"time"
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
	} else if cert, err = selfSigned(t.Hosts); err != nil {
		return nil, fmt.Errorf("tls: make a self-signed certificate: %w", err)
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, nil
}

// selfSigned makes a one-year ECDSA certificate for hosts.
func selfSigned(hosts []string) (tls.Certificate, error) {
	if len(hosts) == 0 {
		hosts = []string{"localhost", "127.0.0.1", "::1"}
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	if err != nil {
		return tls.Certificate{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: hosts[0], Organization: []string{"Mockarty self-signed"}},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(365 * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}
