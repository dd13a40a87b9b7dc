package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"time"
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
		cert, err = selfSigned(t.Hosts)
		if err != nil {
			return nil, err
		}
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	if t.ClientCAFile != "" {
		pem, err := os.ReadFile(t.ClientCAFile)
		if err != nil {
			return nil, fmt.Errorf("tls: read clientCAFile: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, errors.New("tls: clientCAFile holds no PEM certificate")
		}
		cfg.ClientCAs = pool
		cfg.ClientAuth = tls.RequireAndVerifyClientCert
		if t.ClientCertOptional {
			cfg.ClientAuth = tls.VerifyClientCertIfGiven
		}
	}
	return cfg, nil
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
