package certs

import (
	"crypto/x509"
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
