package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/mockarty-oss/mockarty/sdk"
	"github.com/mockarty-oss/mockarty/sdk/outbound"
	"github.com/mockarty-oss/mockarty/sdk/recjob"
)

// EnvUpstreamCAFile names a PEM file of extra roots the proxy trusts for
// upstream TLS, besides the system's.
const EnvUpstreamCAFile = "RECORDER_UPSTREAM_CA_FILE"

const (
	defaultTimeout = 30 * time.Second
	// shutdownGrace bounds the graceful part of a stop: exchanges in flight
	// get this long to finish before their connections are closed.
	shutdownGrace = 5 * time.Second
	// handshakeTimeout bounds the TLS handshake with a CONNECT client.
	handshakeTimeout = 10 * time.Second
)

// session is one running recording proxy.
type session struct {
	job     recjob.Job
	target  *url.URL // reverse mode
	maxBody int
	timeout time.Duration
	dial    func(ctx context.Context, network, addr string) (net.Conn, error)
	ca      *authority // forward mode with a CA: CONNECT is decrypted

	transport *http.Transport // HTTP/1.1 and HTTP/2 upstream
	upgrades  *http.Transport // HTTP/1.1 only, for Upgrade requests
	proxy     *httputil.ReverseProxy

	report func(sdk.Progress)
	mu     sync.Mutex // guards what follows
	seq    int64      // the last entry's Sequence
	closed bool       // Run is returning: nothing more is reported
	// stopping: no new handler starts; active counts those running.
	stopping bool
	active   sync.WaitGroup

	// hardCtx ends hijacked connections (WebSockets, tunnels) and whatever
	// is still in flight when the graceful stop is over.
	hardCtx    context.Context
	hardCancel context.CancelFunc
	mitm       *http.Server  // the decrypted CONNECT connections' server
	mitmLn     *chanListener // what feeds it
}

// newSession checks the job and prepares what the proxy needs.
func newSession(j recjob.Job, report func(sdk.Progress)) (*session, error) {
	s := &session{job: j, report: report, maxBody: j.MaxBodyBytes, timeout: defaultTimeout}
	if j.Mode == "" {
		s.job.Mode = recjob.ModeReverse
	}
	if strings.TrimSpace(j.Address) == "" {
		return nil, errors.New("address is required (where the proxy listens, e.g. 127.0.0.1:8081)")
	}
	switch s.job.Mode {
	case recjob.ModeReverse:
		u, err := url.Parse(j.TargetURL)
		if j.TargetURL == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("targetUrl: a reverse proxy needs an http(s) URL with a host, got %q", j.TargetURL)
		}
		u.Fragment, u.RawFragment = "", ""
		s.target = u
	case recjob.ModeForward:
		if (j.CACertPEM == "") != (j.CAKeyPEM == "") {
			return nil, errors.New("caCertPem and caKeyPem go together: give both or neither")
		}
		if j.CACertPEM != "" {
			ca, err := loadAuthority(j.CACertPEM, j.CAKeyPEM)
			if err != nil {
				return nil, err
			}
			s.ca = ca
		}
	default:
		return nil, fmt.Errorf("mode: %q is neither %q nor %q", j.Mode, recjob.ModeReverse, recjob.ModeForward)
	}
	switch {
	case j.MaxBodyBytes < 0:
		return nil, errors.New("maxBodyBytes must be 0 (the default) or positive")
	case j.MaxBodyBytes == 0:
		s.maxBody = recjob.DefaultMaxBodyBytes
	}
	switch {
	case j.TimeoutMs < 0:
		return nil, errors.New("timeoutMs must be 0 (the default, 30 s) or positive")
	case j.TimeoutMs > 0:
		s.timeout = time.Duration(j.TimeoutMs) * time.Millisecond
	}
	f := j.Faults
	switch {
	case f.LatencyMs < 0 || f.JitterMs < 0:
		return nil, errors.New("faults: latencyMs and jitterMs must not be negative")
	case f.ErrorRate < 0 || f.ErrorRate > 1:
		return nil, errors.New("faults: errorRate is a share, from 0 to 1")
	case f.ErrorStatus != 0 && (f.ErrorStatus < 200 || f.ErrorStatus > 599):
		return nil, fmt.Errorf("faults: errorStatus %d is not an HTTP status from 200 to 599", f.ErrorStatus)
	case f.BandwidthKBps < 0:
		return nil, errors.New("faults: bandwidthKbps must not be negative")
	}
	roots, err := upstreamRoots()
	if err != nil {
		return nil, err
	}
	s.dial = outbound.Policy{AllowPrivate: j.AllowPrivate, Allow: j.AllowHosts}.Dialer()
	newTransport := func() *http.Transport {
		return &http.Transport{
			Proxy:                 nil, // the proxy's own environment never redirects what it forwards
			DialContext:           s.dial,
			TLSClientConfig:       &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12},
			TLSHandshakeTimeout:   handshakeTimeout,
			DisableCompression:    true, // bodies pass as the upstream sends them
			MaxIdleConnsPerHost:   64,
			IdleConnTimeout:       90 * time.Second,
			ExpectContinueTimeout: time.Second,
		}
	}
	s.transport = newTransport()
	s.transport.ForceAttemptHTTP2 = true
	s.upgrades = newTransport()
	s.upgrades.TLSClientConfig.NextProtos = []string{"http/1.1"}
	s.upgrades.TLSNextProto = map[string]func(string, *tls.Conn) http.RoundTripper{} // HTTP/2 has no Upgrade
	s.proxy = &httputil.ReverseProxy{
		Rewrite:        s.rewrite,
		Transport:      roundTripper(s.roundTrip),
		FlushInterval:  -1, // stream: every chunk reaches the client as it comes
		ModifyResponse: s.modifyResponse,
		ErrorHandler:   s.proxyError,
		ErrorLog:       log.New(io.Discard, "", 0), // errors are in the entries
	}
	return s, nil
}

// upstreamRoots are the system roots plus EnvUpstreamCAFile's.
func upstreamRoots() (*x509.CertPool, error) {
	roots, err := x509.SystemCertPool()
	if err != nil || roots == nil {
		roots = x509.NewCertPool()
	}
	file := os.Getenv(EnvUpstreamCAFile)
	if file == "" {
		return roots, nil
	}
	pem, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", EnvUpstreamCAFile, err)
	}
	if !roots.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%s: no PEM certificate in %s", EnvUpstreamCAFile, file)
	}
	return roots, nil
}

// listenError is err from listening on address, its message sure to say
// "address already in use" when the port is taken.
func listenError(address string, err error) error {
	if errors.Is(err, syscall.EADDRINUSE) && !strings.Contains(err.Error(), "address already in use") {
		return fmt.Errorf("listen on %s: address already in use (%v)", address, err)
	}
	return fmt.Errorf("listen on %s: %w", address, err)
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// roundTrip sends Upgrade requests over HTTP/1.1, the rest over whatever
// the upstream offers.
func (s *session) roundTrip(r *http.Request) (*http.Response, error) {
	if r.Header.Get("Upgrade") != "" {
		return s.upgrades.RoundTrip(r)
	}
	return s.transport.RoundTrip(r)
}

// serve runs the proxy on ln until ctx ends, then stops it and returns the
// number of entries reported.
func (s *session) serve(ctx context.Context, ln net.Listener) (int64, error) {
	s.hardCtx, s.hardCancel = context.WithCancel(context.Background())
	defer s.hardCancel()
	base := func(net.Listener) context.Context { return s.hardCtx }
	quiet := log.New(io.Discard, "", 0)
	srv := &http.Server{Handler: s, ReadHeaderTimeout: time.Minute, BaseContext: base, ErrorLog: quiet}
	var mitmDone chan struct{}
	if s.ca != nil {
		s.mitmLn = newChanListener(ln.Addr())
		s.mitm = &http.Server{Handler: http.HandlerFunc(s.serveMITM), ReadHeaderTimeout: time.Minute,
			BaseContext: base, ConnContext: mitmConnContext, ErrorLog: quiet}
		mitmDone = make(chan struct{})
		go func() {
			defer close(mitmDone)
			_ = s.mitm.Serve(s.mitmLn)
		}()
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	item, _ := json.Marshal(recjob.Listening{Address: ln.Addr().String()})
	s.report(sdk.Progress{Message: "listening on " + ln.Addr().String(), ItemKind: recjob.ItemListening, Item: item})

	var serveErr error
	select {
	case <-ctx.Done():
	case err := <-served:
		serveErr = fmt.Errorf("the proxy stopped: %w", err)
	}

	// Stop: a bounded graceful shutdown, then hijacked connections and
	// whatever is left are closed, and the handlers are waited for (also
	// bounded) so that nothing is reported after Run returns.
	shCtx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	var wg sync.WaitGroup
	for _, hs := range []*http.Server{srv, s.mitm} {
		if hs != nil {
			wg.Go(func() { _ = hs.Shutdown(shCtx) })
		}
	}
	wg.Wait()
	cancel()
	s.hardCancel()
	_ = srv.Close()
	if s.mitm != nil {
		_ = s.mitm.Close()
		<-mitmDone
	}
	s.mu.Lock()
	s.stopping = true
	s.mu.Unlock()
	handlersDone := make(chan struct{})
	go func() {
		s.active.Wait()
		close(handlersDone)
	}()
	select {
	case <-handlersDone:
	case <-time.After(shutdownGrace):
	}
	s.transport.CloseIdleConnections()
	s.upgrades.CloseIdleConnections()
	s.mu.Lock()
	s.closed = true
	n := s.seq
	s.mu.Unlock()
	return n, serveErr
}

// enter counts a handler in, unless the session is stopping.
func (s *session) enter() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopping {
		return false
	}
	s.active.Add(1)
	return true
}

// maxItemBytes keeps an entry item well under the 4 MiB a gRPC message
// may carry by default.
const maxItemBytes = 3 << 20

// emit reports an entry with the next sequence number.
func (s *session) emit(e *recjob.Entry, shrink func(*recjob.Entry)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	s.seq++
	e.Sequence = s.seq
	item := marshal(e)
	for len(item) > maxItemBytes && shrink != nil {
		shrink(e)
		item = marshal(e)
	}
	s.report(sdk.Progress{Message: "entry", Done: s.seq, ItemKind: recjob.ItemEntry, Item: item})
}

// marshal is e as JSON without HTML escaping (bodies stay readable and
// small).
func marshal(e *recjob.Entry) json.RawMessage {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(e)
	return bytes.TrimRight(b.Bytes(), "\n")
}

// ServeHTTP is the proxy's front door.
func (s *session) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !s.enter() {
		http.Error(w, "recorder: the session is stopping", http.StatusServiceUnavailable)
		return
	}
	defer s.active.Done()
	switch {
	case s.job.Mode == recjob.ModeReverse:
		s.serveExchange(w, r, reverseURL(s.target, r.URL))
	case r.Method == http.MethodConnect:
		s.connect(w, r)
	case r.URL.IsAbs() && (r.URL.Scheme == "http" || r.URL.Scheme == "https") && r.URL.Host != "":
		u := *r.URL
		u.User, u.Fragment, u.RawFragment = nil, "", ""
		s.serveExchange(w, r, &u)
	default:
		http.Error(w, "recorder: this is a forward proxy: send absolute-URI requests (HTTP_PROXY) or CONNECT (HTTPS_PROXY)",
			http.StatusBadRequest)
	}
}

// reverseURL is target with in's path appended to its path and in's query
// to its query (as httputil.ProxyRequest.SetURL does).
func reverseURL(target, in *url.URL) *url.URL {
	u := *target
	u.User = target.User
	u.Path, u.RawPath = joinURLPath(target, in)
	if target.RawQuery == "" || in.RawQuery == "" {
		u.RawQuery = target.RawQuery + in.RawQuery
	} else {
		u.RawQuery = target.RawQuery + "&" + in.RawQuery
	}
	return &u
}

func joinURLPath(a, b *url.URL) (path, rawpath string) {
	if a.RawPath == "" && b.RawPath == "" {
		return singleJoiningSlash(a.Path, b.Path), ""
	}
	apath, bpath := a.EscapedPath(), b.EscapedPath()
	aslash, bslash := strings.HasSuffix(apath, "/"), strings.HasPrefix(bpath, "/")
	switch {
	case aslash && bslash:
		return a.Path + b.Path[1:], apath + bpath[1:]
	case !aslash && !bslash:
		return a.Path + "/" + b.Path, apath + "/" + bpath
	}
	return a.Path + b.Path, apath + bpath
}

func singleJoiningSlash(a, b string) string {
	aslash, bslash := strings.HasSuffix(a, "/"), strings.HasPrefix(b, "/")
	switch {
	case aslash && bslash:
		return a + b[1:]
	case !aslash && !bslash && b != "":
		return a + "/" + b
	}
	return a + b
}
