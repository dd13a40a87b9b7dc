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
	"unicode/utf8"

	"github.com/mockarty-oss/mockarty/sdk"
	"github.com/mockarty-oss/mockarty/sdk/outbound"
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
}

var settingsSchema = `{
  "type": "object",
  "additionalProperties": false,
  "properties": {
    "addresses": {"type": "array", "items": {"type": "string", "minLength": 1}, "minItems": 1},
    "namespace": {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"},
    "serverName": {"type": "string", "maxLength": 200},
    "hostRouting": {"type": "boolean"},
    "maxBodyBytes": {"type": "integer", "minimum": 1},
    "allowPrivateProxy": {"type": "boolean"},
    "tls": ` + tlsSchema + `
  }
}`

// Listener serves HTTP mocks on its own addresses.
type Listener struct {
	mu       sync.Mutex
	settings Settings
	servers  []*http.Server
	host     sdk.Host
	client   *http.Client // for proxy mocks
}

// Info describes the plugin.
func (l *Listener) Info() sdk.Info {
	return sdk.Info{Name: "http", Kind: sdk.KindListener, Version: "1.0.0", Protocols: []string{"http"},
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
	l.mu.Lock()
	l.settings = s
	l.client = outbound.NewClient(s.AllowPrivateProxy)
	l.mu.Unlock()
	return nil
}

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
	var tlsCfg *tls.Config
	if l.settings.TLS != nil {
		cfg, err := l.settings.TLS.config()
		if err != nil {
			return nil, err
		}
		tlsCfg = cfg
	}
	var addrs []string
	for _, a := range l.settings.Addresses {
		ln, err := net.Listen("tcp", a)
		if err != nil {
			for _, s := range l.servers {
				_ = s.Close()
			}
			l.servers = nil
			return nil, fmt.Errorf("listen on %s: %w", a, err)
		}
		srv := &http.Server{Handler: l, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 120 * time.Second}
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
	servers := l.servers
	l.servers = nil
	l.mu.Unlock()
	var errs []error
	for _, s := range servers {
		if err := s.Shutdown(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// ServeHTTP resolves one request through the host and writes the mock's reply.
func (l *Listener) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	l.mu.Lock()
	s, host, client := l.settings, l.host, l.client
	l.mu.Unlock()
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.MaxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeError(w, http.StatusRequestEntityTooLarge, "payload_too_large", "request body is larger than maxBodyBytes")
		} else {
			writeError(w, http.StatusBadRequest, "validation", "unreadable request body: "+err.Error())
		}
		return
	}
	server := s.ServerName
	if s.HostRouting {
		h := r.Host
		if hp, _, err := net.SplitHostPort(h); err == nil {
			h = hp
		}
		if net.ParseIP(strings.Trim(h, "[]")) == nil { // an IP literal names no server
			server, _, _ = strings.Cut(h, ".")
		}
	}
	headers := sdk.MultiMap(r.Header.Clone())
	headers["Host"] = []string{r.Host} // net/http keeps Host out of r.Header
	req := &sdk.FindHTTPRequest{Namespace: s.Namespace, ServerName: server, Method: r.Method, Path: r.URL.Path,
		Query: sdk.MultiMap(r.URL.Query()), Headers: headers}
	if utf8.Valid(body) {
		req.Body, _ = json.Marshal(string(body))
	} else {
		req.BodyBase64 = body
	}
	ctx, cancel := context.WithTimeout(r.Context(), 30*time.Second)
	defer cancel()
	resp, nm, err := host.FindHTTP(ctx, req)
	switch {
	case err != nil:
		writeError(w, http.StatusBadGateway, "unavailable", "the mock host did not answer: "+err.Error())
		return
	case nm != nil:
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		_ = json.NewEncoder(w).Encode(nm)
		return
	}
	if resp.Delay > 0 {
		select {
		case <-time.After(time.Duration(resp.Delay) * time.Millisecond):
		case <-r.Context().Done():
			return
		}
	}
	if resp.Proxy != nil {
		proxy(w, r, body, resp, client)
		return
	}
	for k, vals := range resp.Headers {
		for _, v := range vals {
			w.Header().Add(k, v)
		}
	}
	out := []byte(resp.Body)
	var text string
	if len(resp.BodyBase64) > 0 {
		out = resp.BodyBase64
		if w.Header().Get("Content-Type") == "" {
			w.Header().Set("Content-Type", "application/octet-stream")
		}
	} else if json.Unmarshal(resp.Body, &text) == nil {
		out = []byte(text)
		if w.Header().Get("Content-Type") == "" {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		}
	} else if w.Header().Get("Content-Type") == "" && len(out) > 0 {
		w.Header().Set("Content-Type", "application/json")
	}
	w.Header().Set("X-Mockarty-Mock-Id", resp.MockID)
	status := resp.StatusCode
	if status < 100 || status > 999 {
		status = http.StatusOK
	}
	w.WriteHeader(status)
	_, _ = w.Write(out)
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": msg, "code": code})
}

// hopHeaders are not forwarded (RFC 9110 section 7.6.1).
var hopHeaders = map[string]bool{"Connection": true, "Keep-Alive": true, "Proxy-Authenticate": true,
	"Proxy-Authorization": true, "Te": true, "Trailer": true, "Transfer-Encoding": true, "Upgrade": true}

// proxy forwards the request to the mock's upstream and adds the mock's headers.
func proxy(w http.ResponseWriter, r *http.Request, body []byte, resp *sdk.FindHTTPResponse, client *http.Client) {
	target := strings.TrimRight(resp.Proxy.Target, "/") + r.URL.EscapedPath()
	if r.URL.RawQuery != "" {
		target += "?" + r.URL.RawQuery
	}
	ctx, cancel := context.WithTimeout(r.Context(), 30*time.Second)
	defer cancel()
	up, err := http.NewRequestWithContext(ctx, r.Method, target, bytes.NewReader(body))
	if err != nil {
		writeError(w, http.StatusBadGateway, "external", "proxy target: "+err.Error())
		return
	}
	for k, vals := range r.Header {
		if !hopHeaders[k] {
			up.Header[k] = vals
		}
	}
	res, err := client.Do(up)
	if err != nil {
		writeError(w, http.StatusBadGateway, "external", "proxy: "+err.Error())
		return
	}
	defer res.Body.Close()
	for k, vals := range res.Header {
		if !hopHeaders[k] {
			w.Header()[k] = vals
		}
	}
	for k, vals := range resp.Headers {
		w.Header()[http.CanonicalHeaderKey(k)] = vals
	}
	w.WriteHeader(res.StatusCode)
	_, _ = io.Copy(w, res.Body)
}
