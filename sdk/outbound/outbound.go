// Package outbound makes the HTTP client for calls made on a mock's behalf
// (proxying, webhooks), by the host or a plugin: private and loopback addresses are
// refused unless ALLOW_PROXY_TO_PRIVATE_IPS allows them, checked on the
// address actually dialled so DNS cannot smuggle one in.
package outbound

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"sync/atomic"
	"time"
)

// NewClient returns a client that does not follow redirects.
func NewClient(allowPrivate bool) *http.Client {
	tr := &http.Transport{
		Proxy:               nil,
		DialContext:         Dialer(allowPrivate),
		MaxIdleConnsPerHost: 64,
		IdleConnTimeout:     90 * time.Second,
	}
	return &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// Dialer returns a dial function that refuses private and loopback
// addresses unless allowPrivate, for any client that dials on a mock's
// behalf (HTTP, gRPC, brokers).
func Dialer(allowPrivate bool) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return Policy{AllowPrivate: allowPrivate}.Dialer()
}

// Policy says which addresses a client may dial: public ones always,
// private and loopback ones when AllowPrivate, and the addresses in Allow
// ("host:port", the server's own listeners) even so. An Allow entry with
// an unspecified host ("0.0.0.0:5770", "[::]:5770", ":5770") allows that
// port on loopback; "localhost:port" does the same.
type Policy struct {
	AllowPrivate bool
	Allow        []string
}

// allows reports whether ip:port is in the Allow list.
func (p Policy) allows(ip net.IP, port string) bool {
	for _, a := range p.Allow {
		h, pt, err := net.SplitHostPort(a)
		if err != nil || pt != port {
			continue
		}
		if h == "" || h == "localhost" {
			if ip.IsLoopback() {
				return true
			}
			continue
		}
		hip := net.ParseIP(h)
		switch {
		case hip == nil:
		case (hip.IsUnspecified() || hip.IsLoopback()) && ip.IsLoopback():
			return true // every loopback address reaches this machine ("localhost" is 127.0.0.1 and ::1)
		case hip.Equal(ip):
			return true
		}
	}
	return false
}

// Dialer returns a dial function that enforces the policy on the address
// actually dialled.
func (p Policy) Dialer() func(ctx context.Context, network, addr string) (net.Conn, error) {
	dialer := &net.Dialer{Timeout: 10 * time.Second}
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, port, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, err
		}
		ips, err := net.DefaultResolver.LookupIPAddr(ctx, host)
		if err != nil {
			return nil, err
		}
		if len(ips) == 0 {
			return nil, fmt.Errorf("no address for %s", host)
		}
		for _, ip := range ips {
			if !p.AllowPrivate && IsPrivate(ip.IP) && !p.allows(ip.IP, port) {
				return nil, fmt.Errorf("refusing to call private address %s (set ALLOW_PROXY_TO_PRIVATE_IPS=true to allow)", net.JoinHostPort(ip.IP.String(), port))
			}
		}
		return dialer.DialContext(ctx, network, net.JoinHostPort(ips[0].IP.String(), port))
	}
}

// blocked are ranges that reach the host, its network or cloud metadata
// services besides what net.IP's own predicates cover.
var blocked = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),     // "this network"
	netip.MustParsePrefix("100.64.0.0/10"), // carrier-grade NAT (some cloud metadata lives here)
	netip.MustParsePrefix("192.0.0.0/24"),  // IETF protocol assignments
	netip.MustParsePrefix("198.18.0.0/15"), // benchmarking
	netip.MustParsePrefix("240.0.0.0/4"),   // reserved
	netip.MustParsePrefix("255.255.255.255/32"),
}

// IsPrivate reports loopback, private, link-local, unspecified and other
// internal addresses, looking through IPv4-mapped, NAT64 and 6to4 forms.
func IsPrivate(ip net.IP) bool {
	addr, ok := netip.AddrFromSlice(ip)
	if !ok {
		return true
	}
	addr = addr.Unmap()
	if addr.Is6() {
		b := addr.As16()
		switch {
		case netip.MustParsePrefix("64:ff9b::/96").Contains(addr), netip.MustParsePrefix("64:ff9b:1::/48").Contains(addr):
			addr = netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]}) // NAT64
		case netip.MustParsePrefix("2002::/16").Contains(addr):
			addr = netip.AddrFrom4([4]byte{b[2], b[3], b[4], b[5]}) // 6to4
		}
	}
	if addr.IsLoopback() || addr.IsPrivate() || addr.IsLinkLocalUnicast() || addr.IsLinkLocalMulticast() ||
		addr.IsUnspecified() || addr.IsInterfaceLocalMulticast() || addr.IsMulticast() {
		return true
	}
	for _, p := range blocked {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// Meter counts the bytes connections move on the wire: what load tools
// report as data_sent and data_received.
type Meter struct {
	Sent, Received atomic.Int64
}

// Conn counts what conn moves.
func (m *Meter) Conn(conn net.Conn) net.Conn { return &meteredConn{Conn: conn, m: m} }

// Dialer counts what the connections of dial move.
func (m *Meter) Dialer(dial func(ctx context.Context, network, addr string) (net.Conn, error)) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return m.Conn(conn), nil
	}
}

type meteredConn struct {
	net.Conn
	m *Meter
}

func (c *meteredConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	c.m.Received.Add(int64(n))
	return n, err
}

func (c *meteredConn) Write(b []byte) (int, error) {
	n, err := c.Conn.Write(b)
	c.m.Sent.Add(int64(n))
	return n, err
}
