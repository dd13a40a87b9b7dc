package main

import (
	"bufio"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/mockarty-oss/mockarty/sdk/recjob"
)

// authority signs the certificates a forward proxy shows for the hosts
// its clients CONNECT to.
type authority struct {
	cert *x509.Certificate
	key  crypto.Signer

	mu     sync.Mutex
	leaves map[string]*tls.Certificate // by host
}

// maxLeaves bounds the leaf cache; past it the cache starts over.
const maxLeaves = 4096

func loadAuthority(certPEM, keyPEM string) (*authority, error) {
	pair, err := tls.X509KeyPair([]byte(certPEM), []byte(keyPEM))
	if err != nil {
		return nil, fmt.Errorf("the CA (caCertPem, caKeyPem): %w", err)
	}
	cert := pair.Leaf
	if cert == nil {
		if cert, err = x509.ParseCertificate(pair.Certificate[0]); err != nil {
			return nil, fmt.Errorf("the CA certificate: %w", err)
		}
	}
	if !cert.IsCA {
		return nil, errors.New("the CA certificate (caCertPem) is not a CA certificate")
	}
	key, ok := pair.PrivateKey.(crypto.Signer)
	if !ok {
		return nil, errors.New("the CA key (caKeyPem) cannot sign")
	}
	return &authority{cert: cert, key: key, leaves: map[string]*tls.Certificate{}}, nil
}

// leaf is the certificate for host (a name or an IP address), made on
// first use.
func (a *authority) leaf(host string) (*tls.Certificate, error) {
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	a.mu.Lock()
	defer a.mu.Unlock()
	if c := a.leaves[host]; c != nil && time.Now().Before(c.Leaf.NotAfter) {
		return c, nil
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, err
	}
	now := time.Now()
	notAfter := now.Add(397 * 24 * time.Hour) // what browsers accept at most
	if a.cert.NotAfter.Before(notAfter) {
		notAfter = a.cert.NotAfter
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: host},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
	}
	if ip := net.ParseIP(host); ip != nil {
		tmpl.IPAddresses = []net.IP{ip}
	} else {
		tmpl.DNSNames = []string{host}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, a.cert, &key.PublicKey, a.key)
	if err != nil {
		return nil, fmt.Errorf("sign a certificate for %s: %w", host, err)
	}
	parsed, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	c := &tls.Certificate{Certificate: [][]byte{der, a.cert.Raw}, PrivateKey: key, Leaf: parsed}
	if len(a.leaves) >= maxLeaves {
		a.leaves = map[string]*tls.Certificate{}
	}
	a.leaves[host] = c
	return c, nil
}

// connect answers a CONNECT: decrypted with the CA, else tunnelled.
func (s *session) connect(w http.ResponseWriter, r *http.Request) {
	target := r.Host
	host, _, err := net.SplitHostPort(target)
	if err != nil || host == "" {
		http.Error(w, "recorder: CONNECT needs host:port", http.StatusBadRequest)
		return
	}
	if s.ca == nil {
		s.tunnel(w, r, target)
		return
	}
	conn, err := hijack(w)
	if err != nil {
		return
	}
	cfg := &tls.Config{
		NextProtos: []string{"h2", "http/1.1"},
		GetCertificate: func(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
			name := hello.ServerName
			if name == "" {
				name = host // an IP address: clients send no SNI
			}
			return s.ca.leaf(name)
		},
	}
	tc := tls.Server(&mitmConn{Conn: conn, authority: target}, cfg)
	ctx, cancel := context.WithTimeout(s.hardCtx, handshakeTimeout)
	defer cancel()
	if err := tc.HandshakeContext(ctx); err != nil {
		_ = conn.Close()
		if errors.Is(err, io.EOF) {
			return // the client left without a word (a browser's spare connection)
		}
		// Most often the client does not trust the CA: say so in an entry.
		s.emit(&recjob.Entry{Method: http.MethodConnect, URL: target, Proto: r.Proto, StatusCode: http.StatusOK,
			Timestamp: time.Now().UnixMilli(), RequestHeaders: flatHeaders(r.Header), ResponseHeaders: map[string]string{},
			Timings: recjob.Timings{DNS: -1, Connect: -1, TLS: -1, TTFB: -1, Total: 0},
			Error:   "TLS handshake with the client failed (does it trust the recorder's CA?): " + err.Error()}, nil)
		return
	}
	s.mitmLn.push(tc)
}

// hijack takes the client's connection over and accepts its CONNECT.
func hijack(w http.ResponseWriter) (net.Conn, error) {
	conn, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		http.Error(w, "recorder: cannot take the connection over: "+err.Error(), http.StatusInternalServerError)
		return nil, err
	}
	_ = conn.SetDeadline(time.Time{})
	if _, err := io.WriteString(conn, "HTTP/1.1 200 Connection Established\r\n\r\n"); err != nil {
		_ = conn.Close()
		return nil, err
	}
	if brw.Reader.Buffered() > 0 { // the client spoke before our answer
		return &bufferedConn{Conn: conn, r: brw.Reader}, nil
	}
	return conn, nil
}

// bufferedConn reads what was buffered before the connection itself.
type bufferedConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *bufferedConn) Read(p []byte) (int, error) { return c.r.Read(p) }

// mitmConn is a decrypted CONNECT's connection, with the host:port the
// client asked for.
type mitmConn struct {
	net.Conn
	authority string
}

type authorityKey struct{}

// mitmConnContext tells serveMITM which host a connection's requests go to.
func mitmConnContext(ctx context.Context, c net.Conn) context.Context {
	if tc, ok := c.(*tls.Conn); ok {
		if mc, ok := tc.NetConn().(*mitmConn); ok {
			return context.WithValue(ctx, authorityKey{}, mc.authority)
		}
	}
	return ctx
}

// serveMITM forwards a request read from a decrypted CONNECT to
// https://host.
func (s *session) serveMITM(w http.ResponseWriter, r *http.Request) {
	if !s.enter() {
		http.Error(w, "recorder: the session is stopping", http.StatusServiceUnavailable)
		return
	}
	defer s.active.Done()
	target, _ := r.Context().Value(authorityKey{}).(string)
	if target == "" {
		http.Error(w, "recorder: unknown CONNECT target", http.StatusBadGateway)
		return
	}
	u := &url.URL{Scheme: "https", Host: strings.TrimSuffix(target, ":443"), Path: r.URL.Path, RawPath: r.URL.RawPath,
		RawQuery: r.URL.RawQuery}
	s.serveExchange(w, r, u)
}

// tunnel passes a CONNECT's bytes both ways unread; the tunnel is one
// entry (method CONNECT, no bodies) reported when it closes.
func (s *session) tunnel(w http.ResponseWriter, r *http.Request, target string) {
	start := time.Now()
	e := &recjob.Entry{Method: http.MethodConnect, URL: target, Proto: r.Proto, Timestamp: start.UnixMilli(),
		RequestHeaders: flatHeaders(r.Header), ResponseHeaders: map[string]string{}}
	var t timings
	t.reset()
	t.begin()
	done := func() {
		total := time.Since(start)
		e.Duration = total.Milliseconds()
		e.Timings = t.result(total)
		s.emit(e, nil)
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.timeout)
	up, err := s.dial(httptrace.WithClientTrace(ctx, t.trace()), "tcp", target)
	timedOut := ctx.Err() == context.DeadlineExceeded
	cancel()
	if err != nil {
		e.StatusCode = http.StatusBadGateway
		if timedOut {
			e.StatusCode = http.StatusGatewayTimeout
		}
		e.Error = err.Error()
		e.ResponseBody = "recorder: the upstream failed: " + err.Error() + "\n"
		e.ResponseBodySize = int64(len(e.ResponseBody))
		http.Error(w, strings.TrimSuffix(e.ResponseBody, "\n"), e.StatusCode)
		done()
		return
	}
	defer up.Close()
	conn, err := hijack(w)
	if err != nil {
		e.StatusCode, e.Error = http.StatusInternalServerError, err.Error()
		done()
		return
	}
	defer conn.Close()
	e.StatusCode = http.StatusOK
	closeBoth := sync.OnceFunc(func() {
		_ = conn.Close()
		_ = up.Close()
	})
	stop := context.AfterFunc(s.hardCtx, closeBoth)
	defer stop()
	errc := make(chan error, 2)
	go func() {
		_, err := io.Copy(up, conn)
		closeWrite(up)
		errc <- err
	}()
	go func() {
		_, err := io.Copy(conn, up)
		closeWrite(conn)
		errc <- err
	}()
	// One way ended: the other gets a moment to finish (a half-close),
	// then both are closed.
	if err := <-errc; err == nil {
		t := time.NewTimer(5 * time.Second)
		select {
		case <-errc:
		case <-t.C:
		}
		t.Stop()
	}
	closeBoth()
	done()
}

// closeWrite half-closes c when it can, so the other side sees the end.
func closeWrite(c net.Conn) {
	if bc, ok := c.(*bufferedConn); ok {
		c = bc.Conn
	}
	if cw, ok := c.(interface{ CloseWrite() error }); ok {
		_ = cw.CloseWrite()
	}
}

// chanListener hands the decrypted CONNECT connections to an http.Server.
type chanListener struct {
	addr   net.Addr
	conns  chan net.Conn
	closed chan struct{}
	once   sync.Once
}

func newChanListener(addr net.Addr) *chanListener {
	return &chanListener{addr: addr, conns: make(chan net.Conn), closed: make(chan struct{})}
}

// push gives c to the server, or closes it when the listener is closed.
func (l *chanListener) push(c net.Conn) {
	select {
	case l.conns <- c:
	case <-l.closed:
		_ = c.Close()
	}
}

func (l *chanListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.closed:
		return nil, net.ErrClosed
	}
}

func (l *chanListener) Close() error {
	l.once.Do(func() { close(l.closed) })
	return nil
}

func (l *chanListener) Addr() net.Addr { return l.addr }
