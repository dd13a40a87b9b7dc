package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mockarty-oss/mockarty/sdk/recjob"
)

// testCA is a CA made for a test: its PEMs for the job and a pool with it
// for the clients.
func testCA(t *testing.T) (certPEM, keyPEM string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "recorder test CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})),
		string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder})), pool
}

// tlsUpstream is an HTTPS app whose certificate the recorder trusts
// through RECORDER_UPSTREAM_CA_FILE.
func tlsUpstream(t *testing.T) *httptest.Server {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"secret":"top","path":"`+r.URL.Path+`","got":"`+string(body)+`"}`)
	}))
	t.Cleanup(srv.Close)
	file := filepath.Join(t.TempDir(), "upstream.pem")
	if err := os.WriteFile(file, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv(EnvUpstreamCAFile, file)
	return srv
}

func proxyClient(t *testing.T, proxy string, tlsCfg *tls.Config, h2 bool) *http.Client {
	u, err := url.Parse(proxy)
	if err != nil {
		t.Fatal(err)
	}
	tr := &http.Transport{Proxy: http.ProxyURL(u), TLSClientConfig: tlsCfg, ForceAttemptHTTP2: h2}
	if !h2 {
		tr.TLSNextProto = map[string]func(string, *tls.Conn) http.RoundTripper{}
	}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}
}

// A forward proxy with a CA decrypts HTTPS (HTTP/2 and HTTP/1.1 inside
// the CONNECT) and records the exchanges in clear; plain-HTTP requests
// are forwarded and recorded too, and a client that does not trust the CA
// leaves an entry that says so.
func TestForwardProxyDecryptsHTTPS(t *testing.T) {
	up := tlsUpstream(t)
	plain := upstream(t)
	certPEM, keyPEM, pool := testCA(t)
	rec := record(t, recjob.Job{Mode: recjob.ModeForward, AllowPrivate: true, CACertPEM: certPEM, CAKeyPEM: keyPEM})

	h2 := proxyClient(t, rec.URL(), &tls.Config{RootCAs: pool}, true)
	res, err := h2.Post(up.URL+"/secret?q=1", "text/plain", strings.NewReader("over h2"))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	_ = res.Body.Close()
	if res.StatusCode != 200 || res.ProtoMajor != 2 || string(body) != `{"secret":"top","path":"/secret","got":"over h2"}` {
		t.Fatalf("HTTPS over h2 through the proxy: %d %s %s", res.StatusCode, res.Proto, body)
	}
	h1 := proxyClient(t, rec.URL(), &tls.Config{RootCAs: pool}, false)
	status, _, body := send(t, h1, "GET", up.URL+"/one", "", nil)
	if status != 200 || !strings.Contains(string(body), `"path":"/one"`) {
		t.Fatalf("HTTPS over HTTP/1.1 through the proxy: %d %s", status, body)
	}
	status, _, body = send(t, h1, "GET", plain.URL+"/api/hello?x=2", "", nil)
	if status != 200 || !strings.Contains(string(body), `"x":"2"`) {
		t.Fatalf("plain HTTP through the proxy: %d %s", status, body)
	}

	entries := rec.wait(3)
	secret := find(t, entries, "POST /secret", byPath("/secret"))
	if secret.Method != "POST" || secret.URL != up.URL+"/secret?q=1" || secret.Proto != "HTTP/2.0" || secret.StatusCode != 200 ||
		secret.RequestBody != "over h2" || secret.ResponseBody != `{"secret":"top","path":"/secret","got":"over h2"}` ||
		secret.Timings.TLS < 0 || secret.Timings.Total < 0 || secret.Error != "" {
		t.Errorf("the h2 exchange: %+v", secret)
	}
	one := find(t, entries, "GET /one", byPath("/one"))
	if one.URL != up.URL+"/one" || one.Proto != "HTTP/1.1" || !strings.Contains(one.ResponseBody, `"secret":"top"`) {
		t.Errorf("the HTTP/1.1 exchange: %+v", one)
	}
	hello := find(t, entries, "GET /api/hello", byPath("/api/hello"))
	if hello.URL != plain.URL+"/api/hello?x=2" || !strings.Contains(hello.ResponseBody, `"x":"2"`) {
		t.Errorf("the plain exchange: %+v", hello)
	}

	// A client without the CA: the handshake fails and an entry says why.
	distrust := proxyClient(t, rec.URL(), &tls.Config{RootCAs: x509.NewCertPool()}, false)
	if _, err := distrust.Get(up.URL + "/nope"); err == nil {
		t.Fatal("a client that does not trust the CA got through")
	}
	failed := find(t, rec.wait(4), "the refused handshake", func(e recjob.Entry) bool { return e.Method == "CONNECT" })
	if failed.URL != strings.TrimPrefix(up.URL, "https://") || !strings.Contains(failed.Error, "TLS handshake") {
		t.Errorf("the refused handshake: %+v", failed)
	}

	// Not a proxy request.
	if status, _, _ := send(t, http.DefaultClient, "GET", rec.URL()+"/direct", "", nil); status != 400 {
		t.Errorf("a direct request to a forward proxy: %d", status)
	}
}

// Without a CA a CONNECT is a tunnel: the client talks TLS with the
// upstream itself, and the tunnel is one CONNECT entry without bodies. The
// policy applies to tunnels too.
func TestForwardProxyTunnelsWithoutCA(t *testing.T) {
	up := tlsUpstream(t)
	pool := x509.NewCertPool()
	pool.AddCert(up.Certificate())
	rec := record(t, recjob.Job{Mode: recjob.ModeForward, AllowPrivate: true})
	c := proxyClient(t, rec.URL(), &tls.Config{RootCAs: pool}, false)
	status, _, body := send(t, c, "GET", up.URL+"/tunnelled", "", nil)
	if status != 200 || !strings.Contains(string(body), `"path":"/tunnelled"`) {
		t.Fatalf("through the tunnel: %d %s", status, body)
	}
	c.Transport.(*http.Transport).CloseIdleConnections() // the tunnel ends
	e := rec.wait(1)[0]
	if e.Method != "CONNECT" || e.URL != strings.TrimPrefix(up.URL, "https://") || e.StatusCode != 200 || e.Error != "" ||
		e.RequestBody != "" || e.ResponseBody != "" || e.Timings.Connect < 0 || e.Timings.Total < 0 {
		t.Errorf("tunnel entry: %+v", e)
	}
	_, _ = rec.stop()

	rec = record(t, recjob.Job{Mode: recjob.ModeForward})
	c = proxyClient(t, rec.URL(), &tls.Config{RootCAs: pool}, false)
	if _, err := c.Get(up.URL + "/refused"); err == nil {
		t.Fatal("a tunnel to loopback without allowPrivate was opened")
	}
	e = rec.wait(1)[0]
	if e.Method != "CONNECT" || e.StatusCode != 502 || !strings.Contains(e.Error, "refusing to call private address") {
		t.Errorf("refused tunnel entry: %+v", e)
	}
}
