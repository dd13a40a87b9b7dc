package certs

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSelfSigned(t *testing.T) {
	cert, err := SelfSigned([]string{"mock.local", "10.0.0.7"})
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(cert.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := c.VerifyHostname("mock.local"); err != nil {
		t.Fatal(err)
	}
	if err := c.VerifyHostname("10.0.0.7"); err != nil {
		t.Fatal(err)
	}
	if c.VerifyHostname("other.local") == nil {
		t.Fatal("a name it was not made for verified")
	}
	def, err := SelfSigned(nil)
	if err != nil {
		t.Fatal(err)
	}
	d, _ := x509.ParseCertificate(def.Certificate[0])
	if d.VerifyHostname("localhost") != nil || d.VerifyHostname("127.0.0.1") != nil {
		t.Fatal("the default names")
	}
}

// A client built from ClientTLS reaches a TLS server whose certificate the
// CA file holds, and presents its client certificate.
func TestClientTLSConfigConnects(t *testing.T) {
	dir := t.TempDir()
	server, err := SelfSigned(nil)
	if err != nil {
		t.Fatal(err)
	}
	client, err := SelfSigned([]string{"client.local"})
	if err != nil {
		t.Fatal(err)
	}
	writePEM := func(name, typ string, der []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	ca := writePEM("ca.pem", "CERTIFICATE", server.Certificate[0])
	keyDER, err := x509.MarshalPKCS8PrivateKey(client.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	ct := &ClientTLS{CAFile: ca, CertFile: writePEM("c.pem", "CERTIFICATE", client.Certificate[0]),
		KeyFile: writePEM("k.pem", "PRIVATE KEY", keyDER), ServerName: "localhost"}
	cfg, err := ct.Config()
	if err != nil {
		t.Fatal(err)
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{server}, ClientAuth: tls.RequireAnyClientCert})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	peer := make(chan int, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			peer <- -1
			return
		}
		defer c.Close()
		tc := c.(*tls.Conn)
		if tc.Handshake() != nil {
			peer <- -1
			return
		}
		peer <- len(tc.ConnectionState().PeerCertificates)
	}()
	conn, err := tls.Dial("tcp", ln.Addr().String(), cfg)
	if err != nil {
		t.Fatalf("dial with the CA file: %v", err)
	}
	conn.Close()
	if n := <-peer; n != 1 {
		t.Fatalf("server saw %d client certificates, want 1", n)
	}

	for _, bad := range []struct {
		tls  ClientTLS
		want string
	}{
		{ClientTLS{CAFile: filepath.Join(dir, "none.pem")}, "caFile"},
		{ClientTLS{CAFile: writePEM("junk.pem", "JUNK", []byte("x"))}, "holds no PEM certificate"},
		{ClientTLS{CertFile: "c.pem"}, "go together"},
	} {
		if _, err := bad.tls.Config(); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%+v: error %v, want one naming %q", bad.tls, err, bad.want)
		}
	}
}
