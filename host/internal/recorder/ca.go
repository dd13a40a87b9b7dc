package recorder

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// CA is the certificate authority a forward proxy signs the certificates
// of the HTTPS hosts it decrypts with. The server generates it on request
// and keeps it in its data folder (the key readable by the server only);
// clients that trust its certificate (GET /recorder/ca/download) let the
// recorder read their HTTPS traffic.
type CA struct {
	dir string
	mu  sync.Mutex
}

// NewCA is the CA kept in dir.
func NewCA(dir string) *CA { return &CA{dir: dir} }

func (c *CA) certPath() string { return filepath.Join(c.dir, "recorder-ca.pem") }
func (c *CA) keyPath() string  { return filepath.Join(c.dir, "recorder-ca-key.pem") }

// ErrNoCA: no CA has been generated yet.
var ErrNoCA = errors.New("no recorder CA yet: POST /api/v1/recorder/ca/generate makes one")

// PEM is the CA's certificate and key.
func (c *CA) PEM() (cert, key []byte, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cert, err = os.ReadFile(c.certPath())
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil, ErrNoCA
	}
	if err != nil {
		return nil, nil, err
	}
	key, err = os.ReadFile(c.keyPath())
	if err != nil {
		return nil, nil, fmt.Errorf("the recorder CA's key: %w", err)
	}
	return cert, key, nil
}

// Status describes the CA: {exists, fingerprint (SHA-256 of the DER),
// subject, notBefore, notAfter}.
func (c *CA) Status() (map[string]any, error) {
	cert, _, err := c.PEM()
	if errors.Is(err, ErrNoCA) {
		return map[string]any{"exists": false}, nil
	}
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(cert)
	if block == nil {
		return nil, errors.New("the recorder CA's certificate does not decode")
	}
	x, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(x.Raw)
	return map[string]any{"exists": true, "fingerprint": hex.EncodeToString(sum[:]), "subject": x.Subject.String(),
		"notBefore": x.NotBefore.UTC().Format(time.RFC3339), "notAfter": x.NotAfter.UTC().Format(time.RFC3339)}, nil
}

// Generate makes a new CA (ECDSA P-256, ten years), replacing the old one.
func (c *CA) Generate() (map[string]any, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	if err != nil {
		return nil, err
	}
	now := time.Now()
	tpl := &x509.Certificate{SerialNumber: serial, Subject: pkix.Name{CommonName: "Mockarty Recorder CA", Organization: []string{"Mockarty"}},
		NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(10, 0, 0), IsCA: true, BasicConstraintsValid: true, MaxPathLenZero: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if err := os.MkdirAll(c.dir, 0o700); err != nil {
		c.mu.Unlock()
		return nil, err
	}
	err = writeFile(c.keyPath(), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), 0o600)
	if err == nil {
		err = writeFile(c.certPath(), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
	}
	c.mu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("keeping the recorder CA: %w", err)
	}
	return c.Status()
}

// writeFile writes a file whole or not at all (a temporary file renamed).
func writeFile(path string, data []byte, mode os.FileMode) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, mode); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
