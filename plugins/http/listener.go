package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/mockarty-oss/mockarty/sdk"
	"github.com/mockarty-oss/mockarty/sdk/find"
	"github.com/mockarty-oss/mockarty/sdk/httpserve"
	"github.com/mockarty-oss/mockarty/sdk/listen"
	"github.com/mockarty-oss/mockarty/sdk/outbound"
	"github.com/valyala/fasthttp"
)

// Settings of the HTTP listener.
type Settings struct {
	// Addresses to listen on (host:port; port 0 picks a free one).
	Addresses []string `json:"addresses"`
	// Namespace whose mocks are served.
	Namespace string `json:"namespace"`
	// ServerName, when set, serves only mocks without a serverName or with this one.
	ServerName string `json:"serverName"`
	// HostRouting takes the serverName from the Host header's first label
	// (orders.example.test -> "orders") instead of ServerName.
	HostRouting bool `json:"hostRouting"`
	// MaxBodyBytes caps request bodies (default 5 MiB).
	MaxBodyBytes int64 `json:"maxBodyBytes"`
	// AllowPrivateProxy lets proxy mocks reach private and loopback addresses
	// (the host's ALLOW_PROXY_TO_PRIVATE_IPS).
	AllowPrivateProxy bool `json:"allowPrivateProxy"`
	// TLS serves HTTPS (and mutual TLS with a client CA) instead of HTTP.
	TLS *TLSSettings `json:"tls"`
	// WireMockAdmin serves WireMock's admin API at /__admin, for the
	// listener's namespace (relayed to the host's /__admin).
	WireMockAdmin bool `json:"wiremockAdmin"`
}

var settingsSchema = `{
  "type": "object",
  "additionalProperties": false,
  "properties": {
    "addresses": {"type": "array", "items": {"type": "string", "minLength": 1}, "minItems": 1},
    "namespace": {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"},
    "serverName": {"type": "string", "maxLength": 200},
    "hostRouting": {"type": "boolean"},
    "maxBodyBytes": {"type": "integer", "minimum": 1, "maximum": 1073741824},
    "allowPrivateProxy": {"type": "boolean"},
    "wiremockAdmin": {"type": "boolean"},
    "tls": ` + tlsSchema + `
  }
}`

// Listener serves HTTP mocks on its own addresses. The servers are
// fasthttp's: a request costs a fraction of net/http's, which matters
// because every request also makes a round trip to the host.
type Listener struct {
	mu       sync.Mutex
	settings Settings
	servers  []*fasthttp.Server
	host     sdk.Host
	client   *http.Client // for proxy mocks
	// base is the context of every host call and delay; Stop cancels it.
	// (fasthttp's RequestCtx is not used as a parent: it would cost a
	// goroutine per request, and its Done races with Shutdown.)
	base   context.Context
	cancel context.CancelFunc
}

// Info describes the plugin.
func (l *Listener) Info() sdk.Info {
	return sdk.Info{Name: "http", Kind: sdk.KindListener, Version: "1.1.0", Protocols: []string{"http"},
		Description:    "Serves a namespace's HTTP mocks at the root path of its own addresses.",
		SettingsSchema: json.RawMessage(settingsSchema)}
}

// Configure reads the settings (validated by the host against the schema).
func (l *Listener) Configure(_ context.Context, raw json.RawMessage) error {
	s := Settings{Addresses: []string{"127.0.0.1:5781"}, Namespace: "sandbox", MaxBodyBytes: 5 << 20}
	if err := json.Unmarshal(raw, &s); err != nil {
		return fmt.Errorf("settings: %w", err)
	}
	if len(s.Addresses) == 0 {
		return errors.New("settings: addresses must not be empty")
	}
	if s.MaxBodyBytes > maxBodyLimit {
		return fmt.Errorf("settings: maxBodyBytes must be at most %d", int64(maxBodyLimit))
	}
	l.mu.Lock()
	l.settings = s
	l.client = outbound.NewClient(s.AllowPrivateProxy)
	l.mu.Unlock()
	return nil
}

// maxBodyLimit is the largest maxBodyBytes (fasthttp counts in an int).
const maxBodyLimit = 1 << 30

// Health reports a problem when no address is being served.
func (l *Listener) Health(context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.servers) == 0 {
		return errors.New("not listening")
	}
	return nil
}

// Start listens on every address and serves until Stop.
func (l *Listener) Start(_ context.Context, host sdk.Host) ([]string, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.host = host
	l.base, l.cancel = context.WithCancel(context.Background())
	var tlsCfg *tls.Config
	if l.settings.TLS != nil {
		cfg, err := l.settings.TLS.config()
		if err != nil {
			return nil, err
		}
		tlsCfg = cfg
	}
	lns, err := listen.Bind(l.settings.Addresses)
	if err != nil {
		return nil, err
	}
	var addrs []string
	for _, ln := range lns {
		srv := &fasthttp.Server{
			Handler:               l.serve,
			ErrorHandler:          requestError,
			Name:                  "mockarty",
			MaxRequestBodySize:    int(l.settings.MaxBodyBytes),
			ReadTimeout:           60 * time.Second,
			IdleTimeout:           120 * time.Second,
			NoDefaultContentType:  true,
			NoDefaultServerHeader: true,
			CloseOnShutdown:       true,
			Logger:                connLogger{},
		}
		if tlsCfg != nil {
			ln = tls.NewListener(ln, tlsCfg)
		}
		l.servers = append(l.servers, srv)
		addrs = append(addrs, ln.Addr().String())
		go func() { _ = srv.Serve(ln) }()
	}
	return addrs, nil
}

// Stop shuts the servers down gracefully.
func (l *Listener) Stop(ctx context.Context) error {
	l.mu.Lock()
	servers, cancel := l.servers, l.cancel
	l.servers = nil
	l.mu.Unlock()
	if cancel != nil {
		defer cancel() // after the graceful shutdown: requests in flight finish
	}
	var errs []error
	for _, s := range servers {
		if err := s.ShutdownWithContext(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// connLogger relays fasthttp's connection errors (a failed TLS handshake,
// a client that went away) to the host's log at debug level.
type connLogger struct{}

var pluginLog = sdk.Logger().Named("http")

func (connLogger) Printf(format string, args ...any) { pluginLog.Debug(fmt.Sprintf(format, args...)) }

// requestError answers a request fasthttp could not read.
func requestError(ctx *fasthttp.RequestCtx, err error) {
	if errors.Is(err, fasthttp.ErrBodyTooLarge) {
		writeError(ctx, http.StatusRequestEntityTooLarge, "payload_too_large", "request body is larger than maxBodyBytes")
		return
	}
	writeError(ctx, http.StatusBadRequest, "validation", "unreadable request: "+err.Error())
}

// serve resolves one request through the host and writes the mock's reply.
func (l *Listener) serve(ctx *fasthttp.RequestCtx) {
	l.mu.Lock()
	s, host, client, base := l.settings, l.host, l.client, l.base
	l.mu.Unlock()
	if s.WireMockAdmin && isAdminPath(ctx.Path()) {
		relayAdmin(ctx, s.Namespace, base)
		return
	}
	hostHeader := string(ctx.Host())
	server := s.ServerName
	if s.HostRouting {
		h := hostHeader
		if hp, _, err := net.SplitHostPort(h); err == nil {
			h = hp
		}
		if net.ParseIP(strings.Trim(h, "[]")) == nil { // an IP literal names no server
			server, _, _ = strings.Cut(h, ".")
		}
	}
	headers := find.MultiMap{}
	ctx.Request.Header.VisitAll(func(k, v []byte) {
		name := string(k)
		headers[name] = append(headers[name], string(v))
	})
	if _, ok := headers["Host"]; !ok && hostHeader != "" {
		headers["Host"] = []string{hostHeader}
	}
	var query find.MultiMap
	if args := ctx.QueryArgs(); args.Len() > 0 {
		query = make(find.MultiMap, args.Len())
		args.VisitAll(func(k, v []byte) {
			name := string(k)
			query[name] = append(query[name], string(v))
		})
	}
	body := ctx.PostBody()
	req := &find.HTTPRequest{Namespace: s.Namespace, ServerName: server, Method: string(ctx.Method()),
		Path: string(ctx.Path()), Query: query, Headers: headers}
	req.SetBody(body)
	// No per-request deadline: the host answers every call or its stream
	// fails, and both end the wait.
	resp, err := host.FindHTTP(base, req)
	var nm *sdk.NoMatch
	switch {
	case errors.As(err, &nm):
		b, _ := json.Marshal(nm)
		ctx.SetStatusCode(http.StatusNotFound)
		ctx.SetContentType("application/json")
		ctx.SetBody(append(b, '\n'))
		return
	case err != nil:
		status, code, msg := httpserve.FindError(err)
		writeError(ctx, status, code, msg)
		return
	}
	if !listen.Sleep(base, time.Duration(resp.Delay)*time.Millisecond) {
		return // the listener has stopped
	}
	if resp.Proxy != nil {
		proxy(base, ctx, body, resp, client)
		return
	}
	for k, vals := range resp.Headers {
		for _, v := range vals {
			ctx.Response.Header.Add(k, v)
		}
	}
	out, kind := resp.Payload()
	if len(ctx.Response.Header.ContentType()) == 0 && (len(out) > 0 || kind != find.PayloadJSON) {
		ctx.SetContentType(kind.ContentType())
	}
	ctx.Response.Header.Set("X-Mockarty-Mock-Id", resp.MockID)
	status := resp.StatusCode
	if status < 100 || status > 999 {
		status = http.StatusOK
	}
	ctx.SetStatusCode(status)
	ctx.SetBody(out)
}

func writeError(ctx *fasthttp.RequestCtx, status int, code, msg string) {
	b, _ := json.Marshal(map[string]string{"error": msg, "code": code})
	ctx.Response.Reset()
	ctx.SetStatusCode(status)
	ctx.SetContentType("application/json")
	ctx.SetBody(append(b, '\n'))
}

// hopHeaders are not forwarded (RFC 9110 section 7.6.1).
var hopHeaders = map[string]bool{"Connection": true, "Keep-Alive": true, "Proxy-Authenticate": true,
	"Proxy-Authorization": true, "Te": true, "Trailer": true, "Transfer-Encoding": true, "Upgrade": true}

// proxy forwards the request to the mock's upstream and adds the mock's headers.
func proxy(base context.Context, ctx *fasthttp.RequestCtx, body []byte, resp *find.HTTPResponse, client *http.Client) {
	uri := ctx.Request.URI()
	target := strings.TrimRight(resp.Proxy.Target, "/") + string(uri.PathOriginal())
	if q := uri.QueryString(); len(q) > 0 {
		target += "?" + string(q)
	}
	pctx, cancel := context.WithTimeout(base, 30*time.Second)
	defer cancel()
	up, err := http.NewRequestWithContext(pctx, string(ctx.Method()), target, bytes.NewReader(body))
	if err != nil {
		writeError(ctx, http.StatusBadGateway, "external", "proxy target: "+err.Error())
		return
	}
	ctx.Request.Header.VisitAll(func(k, v []byte) {
		name := http.CanonicalHeaderKey(string(k))
		if !hopHeaders[name] && name != "Host" && name != "Content-Length" {
			up.Header.Add(name, string(v))
		}
	})
	res, err := client.Do(up)
	if err != nil {
		writeError(ctx, http.StatusBadGateway, "external", "proxy: "+err.Error())
		return
	}
	defer res.Body.Close()
	out, err := io.ReadAll(res.Body)
	if err != nil {
		writeError(ctx, http.StatusBadGateway, "external", "proxy: reading the upstream answer: "+err.Error())
		return
	}
	for k, vals := range res.Header {
		if hopHeaders[k] || k == "Content-Length" {
			continue
		}
		for _, v := range vals {
			ctx.Response.Header.Add(k, v)
		}
	}
	for k, vals := range resp.Headers {
		ctx.Response.Header.Del(k)
		for _, v := range vals {
			ctx.Response.Header.Add(k, v)
		}
	}
	ctx.SetStatusCode(res.StatusCode)
	ctx.SetBody(out)
}
