// Package handoff is the host's /stubs hand-off, both sides of it: the host
// serves SOAP, GraphQL and MCP requests that arrive on /stubs/<namespace>/...
// by proxying them to the owning plugin's listener, and tells the listener
// the namespace to serve and the public prefix of its URLs in headers.
//
// Those headers choose what is served, so a listener believes them only
// when the request also carries the host's per-boot secret: the host makes
// a random one when it starts and gives it to every plugin it launches in
// the environment variable EnvSecret. Where the request comes from proves
// nothing: a page in a local browser reaches loopback listeners too (DNS
// rebinding), and can send any header but this secret.
package handoff

import (
	"crypto/subtle"
	"net/http"
	"os"
)

// Headers of the hand-off.
const (
	// HeaderNamespace names the namespace the listener serves the request in.
	HeaderNamespace = "X-Mockarty-Namespace"
	// HeaderPrefix is the public path prefix of the listener's URLs
	// (/stubs/<namespace>), for the addresses it announces.
	HeaderPrefix = "X-Forwarded-Prefix"
	// HeaderSecret carries the host's per-boot secret.
	HeaderSecret = "X-Mockarty-Handoff"
)

// EnvSecret is the environment variable in which the host passes its
// per-boot secret to the plugins it launches.
const EnvSecret = "MOCKARTY_HANDOFF_SECRET"

// EnvAPIURL is the environment variable in which the host passes the base
// URL of its management API (http://127.0.0.1:5770), for listeners that
// relay an API to it (the HTTP listener's optional /__admin).
const EnvAPIURL = "MOCKARTY_API_URL"

// Mark sets the hand-off headers on a request the host proxies to a
// listener, replacing whatever the client sent under those names.
func Mark(h http.Header, secret, namespace, prefix string) {
	h.Set(HeaderSecret, secret)
	h.Set(HeaderNamespace, namespace)
	h.Set(HeaderPrefix, prefix)
}

// Request is what a hand-off says about a request, as the host sent it
// (the listener checks the values: the host is not the only one it trusts
// to be careful).
type Request struct {
	Namespace string // "" when the host named none
	Prefix    string
}

// Accept is the listener's side. When r carries this process's secret
// (EnvSecret), it returns the hand-off and r without the secret header, so
// that mocks, captures and upstreams never see it. Otherwise ok is false
// and r comes back without any hand-off header, to be served as the direct
// request it is: the headers neither pick the namespace nor reach the
// mocks' conditions. r itself is not changed.
func Accept(r *http.Request) (h Request, ok bool, out *http.Request) {
	ok = trusted(r.Header.Values(HeaderSecret), os.Getenv(EnvSecret))
	if ok {
		h = Request{Namespace: r.Header.Get(HeaderNamespace), Prefix: r.Header.Get(HeaderPrefix)}
	}
	if !has(r.Header, ok) {
		return h, ok, r
	}
	out = r.Clone(r.Context())
	out.Header.Del(HeaderSecret)
	if !ok {
		out.Header.Del(HeaderNamespace)
		out.Header.Del(HeaderPrefix)
	}
	return h, ok, out
}

// trusted: exactly one secret header, equal to a secret this process
// has. Without a secret (a plugin run by hand, not by the host) nothing is
// a hand-off.
func trusted(sent []string, secret string) bool {
	return secret != "" && len(sent) == 1 && subtle.ConstantTimeCompare([]byte(sent[0]), []byte(secret)) == 1
}

// has says whether h holds a header Accept removes.
func has(h http.Header, accepted bool) bool {
	if len(h.Values(HeaderSecret)) > 0 {
		return true
	}
	return !accepted && (len(h.Values(HeaderNamespace)) > 0 || len(h.Values(HeaderPrefix)) > 0)
}
