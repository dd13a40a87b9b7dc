// Package helpers holds the API tester's protocol helpers: one-off calls
// to a user's HTTP, SOAP, gRPC, MCP and GraphQL endpoints and admin
// operations on Kafka and RabbitMQ brokers. Every connection goes through
// a Guard (private addresses need ALLOW_PROXY_TO_PRIVATE_IPS), every call
// is bounded in time by its context and every answer read is bounded in
// size.
package helpers

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/mockarty-oss/mockarty/sdk/outbound"
)

// MaxResponse bounds what is read of one answer (a body, a message).
const MaxResponse = 16 << 20

// Timeouts of a helper call: the default, and the most a caller may ask.
const (
	DefaultTimeout = 30 * time.Second
	MaxTimeout     = 5 * time.Minute
)

// Timeout turns a request's timeout in milliseconds into the call's
// duration: 0 is the default, more than MaxTimeout is MaxTimeout.
func Timeout(ms int64) (time.Duration, error) {
	switch {
	case ms < 0:
		return 0, Inputf("timeout", "must not be negative (milliseconds; 0 or absent: %d)", DefaultTimeout.Milliseconds())
	case ms == 0:
		return DefaultTimeout, nil
	case ms > MaxTimeout.Milliseconds():
		return MaxTimeout, nil
	}
	return time.Duration(ms) * time.Millisecond, nil
}

// RefusedError is an address the policy does not let the helpers reach.
type RefusedError struct {
	// Host is the name as given; Addr the address it resolved to.
	Host, Addr string
}

func (e *RefusedError) Error() string {
	if e.Host != "" && e.Host != e.Addr {
		return fmt.Sprintf("refusing to call %s: it resolves to the private address %s (set ALLOW_PROXY_TO_PRIVATE_IPS=true to allow)", e.Host, e.Addr)
	}
	return fmt.Sprintf("refusing to call private address %s (set ALLOW_PROXY_TO_PRIVATE_IPS=true to allow)", e.Addr)
}

// Guard is the address policy of the helpers and the clients built on it.
// A Guard is shared: use GuardFor.
type Guard struct {
	allowPrivate bool
	dial         func(ctx context.Context, network, addr string) (net.Conn, error)

	once                  sync.Once
	noFollow, follow, lim *http.Client
}

var guards = [2]*Guard{newGuard(false), newGuard(true)}

func newGuard(allowPrivate bool) *Guard {
	return &Guard{allowPrivate: allowPrivate, dial: outbound.Dialer(allowPrivate)}
}

// GuardFor is the shared guard of a policy: its clients keep their idle
// connections across calls.
func GuardFor(allowPrivate bool) *Guard {
	if allowPrivate {
		return guards[1]
	}
	return guards[0]
}

// Check resolves host:port and refuses it (a *RefusedError) when any of
// its addresses is private and the policy says no. Dialling checks again
// on the address it dials, so a name that changes in between is caught.
func (g *Guard) Check(ctx context.Context, hostport string) error {
	if g.allowPrivate {
		return nil
	}
	host, port, err := net.SplitHostPort(hostport)
	if err != nil {
		return fmt.Errorf("address %q: %w", hostport, err)
	}
	ips, err := net.DefaultResolver.LookupIPAddr(ctx, host)
	if err != nil {
		return err
	}
	for _, ip := range ips {
		if outbound.IsPrivate(ip.IP) {
			return &RefusedError{Host: host, Addr: net.JoinHostPort(ip.IP.String(), port)}
		}
	}
	return nil
}

// CheckURL checks the host of an http(s), ws(s), amqp(s) or grpc URL,
// with the scheme's default port when it has none.
func (g *Guard) CheckURL(ctx context.Context, u *url.URL) error {
	return g.Check(ctx, HostPort(u))
}

// HostPort is a URL's host:port, the port defaulted from the scheme.
func HostPort(u *url.URL) string {
	if u.Port() != "" {
		return u.Host
	}
	port := 80
	switch u.Scheme {
	case "https", "wss", "grpcs":
		port = 443
	case "amqp":
		port = 5672
	case "amqps":
		port = 5671
	}
	return net.JoinHostPort(u.Hostname(), strconv.Itoa(port))
}

// DialContext dials through the policy: a refused address is a
// *RefusedError, and sdk/outbound checks the address it actually dials.
func (g *Guard) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	if err := g.Check(ctx, addr); err != nil {
		return nil, err
	}
	return g.dial(ctx, network, addr)
}

func (g *Guard) clients() {
	g.once.Do(func() {
		tr := &http.Transport{
			Proxy:                 nil,
			DialContext:           g.DialContext,
			ForceAttemptHTTP2:     true,
			TLSClientConfig:       &tls.Config{MinVersion: tls.VersionTLS12},
			TLSHandshakeTimeout:   10 * time.Second,
			MaxIdleConnsPerHost:   16,
			IdleConnTimeout:       90 * time.Second,
			ExpectContinueTimeout: time.Second,
		}
		g.noFollow = &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		g.follow = &http.Client{Transport: tr, CheckRedirect: func(_ *http.Request, via []*http.Request) error {
			if len(via) >= 10 {
				return errors.New("stopped after 10 redirects")
			}
			return nil
		}}
		g.lim = &http.Client{Transport: limitTransport{tr}, CheckRedirect: g.noFollow.CheckRedirect}
	})
}

// HTTPClient is the guarded client of one-off calls; followRedirects
// follows up to 10 (each hop guarded), else a 3xx is the answer.
func (g *Guard) HTTPClient(followRedirects bool) *http.Client {
	g.clients()
	if followRedirects {
		return g.follow
	}
	return g.noFollow
}

// LimitedClient is the guarded client for libraries that read answers
// themselves (MCP, management APIs): a body longer than MaxResponse fails.
func (g *Guard) LimitedClient() *http.Client {
	g.clients()
	return g.lim
}

// ErrTooLarge is an answer longer than MaxResponse.
var ErrTooLarge = fmt.Errorf("the answer is larger than %d MiB", MaxResponse>>20)

type limitTransport struct{ base http.RoundTripper }

func (t limitTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	resp.Body = &limitedBody{ReadCloser: resp.Body, left: MaxResponse}
	return resp, nil
}

// limitedBody fails a read past its limit instead of truncating: a
// truncated JSON-RPC or JSON answer would only be misread.
type limitedBody struct {
	io.ReadCloser
	left int64
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		var one [1]byte
		n, err := b.ReadCloser.Read(one[:])
		if n > 0 {
			return 0, ErrTooLarge
		}
		return 0, err
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.ReadCloser.Read(p)
	b.left -= int64(n)
	return n, err
}

// readLimited reads r up to MaxResponse bytes and says whether more followed.
func readLimited(r io.Reader) ([]byte, bool, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxResponse+1))
	if err != nil {
		return b, false, err
	}
	if len(b) > MaxResponse {
		return b[:MaxResponse], true, nil
	}
	return b, false, nil
}
