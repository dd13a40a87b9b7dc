package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"github.com/mockarty-oss/mockarty/sdk/find"
	"github.com/mockarty-oss/mockarty/sdk/plugintest"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func okHost() *plugintest.FakeHost {
	return &plugintest.FakeHost{FindHTTPFunc: func(context.Context, *find.HTTPRequest) (*find.HTTPResponse, error) {
		return &find.HTTPResponse{Found: true, MockID: "m", StatusCode: 200, Body: json.RawMessage(`{"ok":true}`)}, nil
	}}
}

func TestSelfSignedHTTPS(t *testing.T) {
	p := plugintest.Start(t, &Listener{}, json.RawMessage(`{"addresses":["127.0.0.1:0"],"tls":{}}`), okHost())
	pool := x509.NewCertPool()
	conn, err := tls.Dial("tcp", p.Addresses[0], &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	cert := conn.ConnectionState().PeerCertificates[0]
	conn.Close()
	pool.AddCert(cert)
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	res, err := c.Get("https://" + p.Addresses[0] + "/x")
	if err != nil {
		t.Fatalf("https with the self-signed certificate (valid for 127.0.0.1): %v", err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("status %d", res.StatusCode)
	}
}

// pair makes a certificate signed by ca (or self-signed when ca is nil) and writes it as PEM files.
func pair(t *testing.T, dir, name string, ca *tls.Certificate, isCA bool) (tls.Certificate, string, string) {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: isCA, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	parent, signer := tmpl, any(key)
	if ca != nil {
		parent, _ = x509.ParseCertificate(ca.Certificate[0])
		signer = ca.PrivateKey
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, signer)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile := filepath.Join(dir, name+".crt"), filepath.Join(dir, name+".key")
	kb, _ := x509.MarshalECPrivateKey(key)
	_ = os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	_ = os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, certFile, keyFile
}

func TestMutualTLS(t *testing.T) {
	dir := t.TempDir()
	ca, caFile, _ := pair(t, dir, "ca", nil, true)
	client, _, _ := pair(t, dir, "client", &ca, false)
	stranger, _, _ := pair(t, dir, "stranger", nil, false)
	p := plugintest.Start(t, &Listener{}, json.RawMessage(fmt.Sprintf(`{"addresses":["127.0.0.1:0"],"tls":{"clientCAFile":%q}}`, caFile)), okHost())
	get := func(certs ...tls.Certificate) error {
		c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true, Certificates: certs}}}
		res, err := c.Get("https://" + p.Addresses[0] + "/x")
		if err == nil {
			res.Body.Close()
		}
		return err
	}
	if err := get(client); err != nil {
		t.Fatalf("a client certificate from the CA is accepted: %v", err)
	}
	if err := get(); err == nil {
		t.Fatal("no client certificate must be refused")
	}
	if err := get(stranger); err == nil {
		t.Fatal("a certificate from another CA must be refused")
	}
}

func TestTLSSettingsErrors(t *testing.T) {
	l := &Listener{}
	if err := l.Configure(t.Context(), json.RawMessage(`{"addresses":["127.0.0.1:0"],"tls":{"certFile":"/nope.crt"}}`)); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Start(t.Context(), nil); err == nil {
		t.Fatal("a certFile without keyFile must be refused at start")
	}
}
