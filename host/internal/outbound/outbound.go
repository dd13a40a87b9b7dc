// Package outbound makes the HTTP client for calls the server makes on a
// mock's behalf (proxying, webhooks): private and loopback addresses are
// refused unless ALLOW_PROXY_TO_PRIVATE_IPS allows them, checked on the
// address actually dialled so DNS cannot smuggle one in.
package outbound

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"time"
)

// NewClient returns a client that does not follow redirects.
func NewClient(allowPrivate bool) *http.Client {
	dialer := &net.Dialer{Timeout: 10 * time.Second}
	tr := &http.Transport{
		Proxy: nil,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
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
				if !allowPrivate && IsPrivate(ip.IP) {
					return nil, fmt.Errorf("refusing to call private address %s (set ALLOW_PROXY_TO_PRIVATE_IPS=true to allow)", ip.IP)
				}
			}
			return dialer.DialContext(ctx, network, net.JoinHostPort(ips[0].IP.String(), port))
		},
		MaxIdleConnsPerHost: 64,
		IdleConnTimeout:     90 * time.Second,
	}
	return &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// IsPrivate reports loopback, private, link-local and unspecified addresses.
func IsPrivate(ip net.IP) bool {
	return ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsUnspecified() || ip.IsInterfaceLocalMulticast()
}
