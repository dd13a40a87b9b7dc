package main

// The host's /stubs hand-off: the host proxies a SOAP request under
// /stubs/<namespace>/... to this listener with the namespace and the
// public path prefix in headers. Those headers choose what is served, so
// they are believed only from this machine, where the host dials from;
// anyone else is served the configured namespace.

import (
	"net"
	"net/http"
	"net/netip"
)

// Headers of the host's /stubs hand-off.
const (
	headerNamespace = "X-Mockarty-Namespace"
	headerPrefix    = "X-Forwarded-Prefix"
)

// fromThisMachine says the request's TCP peer is on this machine: a
// loopback address, or the very address it connected to (the host dials
// the listener's own address when it listens on a specific one).
func fromThisMachine(r *http.Request) bool {
	peer, ok := hostIP(r.RemoteAddr)
	if !ok {
		return false
	}
	if peer.IsLoopback() {
		return true
	}
	if la, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
		if local, ok := hostIP(la.String()); ok && local == peer {
			return true
		}
	}
	return false
}

// hostIP is the IP of a host:port address, without an IPv4 mapping or zone.
func hostIP(hostport string) (netip.Addr, bool) {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		return netip.Addr{}, false
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}, false
	}
	return ip.Unmap().WithZone(""), true
}
