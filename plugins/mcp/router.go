package main

import (
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"

	"github.com/mockarty-oss/mockarty/sdk/handoff"
)

// Transports a path asks for.
const (
	kindStreamable = "mcp"     // streamable HTTP: POST, GET (listening stream), DELETE
	kindSSE        = "sse"     // the SSE transport's event stream (GET)
	kindMessage    = "message" // the SSE transport's message endpoint (POST)
)

var namespaceRE = regexp.MustCompile(namespacePattern)

func validNamespace(ns string) bool { return namespaceRE.MatchString(ns) }

// router picks the MCP server and transport of a request.
type router struct{ reg *registry }

// parseRoute splits a path into the serverName ("" for the namespace's
// server) and the transport: /, /mcp, /sse, /message, /<name>/mcp,
// /<name>/sse, /<name>/message.
func parseRoute(p string) (serverName, kind string, ok bool) {
	segs := strings.Split(strings.Trim(p, "/"), "/")
	switch {
	case len(segs) == 1 && (segs[0] == "" || segs[0] == kindStreamable):
		return "", kindStreamable, true
	case len(segs) == 1 && (segs[0] == kindSSE || segs[0] == kindMessage):
		return "", segs[0], true
	case len(segs) == 2 && segs[0] != "" && (segs[1] == kindStreamable || segs[1] == kindSSE || segs[1] == kindMessage):
		return segs[0], segs[1], true
	}
	return "", "", false
}

// cleanPrefix checks X-Forwarded-Prefix: a path, so that the endpoint the
// SSE transport announces stays on the client's host.
func cleanPrefix(p string) (string, error) {
	if p == "" {
		return "", nil
	}
	if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.ContainsAny(p, "?#\\") {
		return "", errors.New(handoff.HeaderPrefix + " must be a path starting with a single /")
	}
	for _, c := range p {
		if c < 0x20 || c == 0x7f {
			return "", errors.New(handoff.HeaderPrefix + " holds a control character")
		}
	}
	u := &url.URL{Path: p}
	return strings.TrimSuffix(u.EscapedPath(), "/"), nil
}

func (rt *router) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	sn, kind, ok := parseRoute(r.URL.Path)
	if !ok {
		writeRPCError(w, http.StatusNotFound, "no MCP endpoint at "+r.URL.Path+
			": use /mcp (streamable HTTP), /sse and /message (SSE), or /<serverName>/mcp, /<serverName>/sse, /<serverName>/message")
		return
	}
	ns := rt.reg.defaultNS
	handOff := false
	// Only the host hands requests off (its secret says so): from anyone
	// else the headers are dropped, so that neither the namespace served,
	// nor the endpoint announced, nor the DNS-rebinding check bends to
	// them, and the mocks' header conditions do not see them.
	hand, fromHost, r := handoff.Accept(r)
	if fromHost {
		if h := hand.Namespace; h != "" {
			if !validNamespace(h) {
				writeRPCError(w, http.StatusBadRequest, handoff.HeaderNamespace+" "+h+" is not a namespace name")
				return
			}
			ns, handOff = h, true
		}
		prefix, err := cleanPrefix(hand.Prefix)
		if err != nil {
			writeRPCError(w, http.StatusBadRequest, err.Error())
			return
		}
		if prefix != "" {
			handOff = true
		}
	}
	switch {
	case kind == kindStreamable && r.Method != http.MethodPost && r.Method != http.MethodGet &&
		r.Method != http.MethodDelete && r.Method != http.MethodHead:
		w.Header().Set("Allow", "POST, GET, DELETE")
		writeRPCError(w, http.StatusMethodNotAllowed, "the streamable HTTP endpoint takes POST, GET and DELETE, not "+r.Method)
		return
	case kind == kindSSE && r.Method != http.MethodGet:
		w.Header().Set("Allow", "GET")
		writeRPCError(w, http.StatusMethodNotAllowed, "the SSE endpoint is opened with GET, not "+r.Method)
		return
	case kind == kindMessage && r.Method != http.MethodPost:
		w.Header().Set("Allow", "POST")
		writeRPCError(w, http.StatusMethodNotAllowed, "messages are sent with POST, not "+r.Method)
		return
	}
	g, err := rt.reg.group(r.Context(), ns, sn)
	if err != nil {
		status := http.StatusNotFound
		var nf *notFoundError
		if !errors.As(err, &nf) {
			status = http.StatusBadGateway
		}
		writeRPCError(w, status, err.Error())
		return
	}
	if handOff {
		// The host's /stubs is the public face and passes the client's Host
		// on; mcp-go's DNS-rebinding check would refuse a public name that
		// arrives over loopback, so the hand-off is checked as the
		// connection it is.
		r = asLocal(r)
	}
	switch kind {
	case kindSSE:
		g.sseStream.ServeHTTP(w, r)
	case kindMessage:
		g.sseMessage.ServeHTTP(w, r)
	default:
		g.httpHandler.ServeHTTP(w, r)
	}
}

// ssePath is the base of the SSE transport's endpoint event: the public
// prefix, then the serverName segment.
func ssePath(r *http.Request, serverName string) string {
	prefix, _ := cleanPrefix(r.Header.Get(handoff.HeaderPrefix)) // checked by the router; only the host's reaches here
	if serverName != "" {
		prefix += "/" + url.PathEscape(serverName)
	}
	return prefix
}

// asLocal returns r as seen at the connection's own address (Host only).
func asLocal(r *http.Request) *http.Request {
	addr, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
	if !ok || addr == nil {
		return r
	}
	out := *r
	out.Host = addr.String()
	return &out
}

// writeRPCError answers a request that never reached an MCP server with a
// JSON-RPC error body (id null), the form MCP clients read.
func writeRPCError(w http.ResponseWriter, status int, msg string) {
	code := -32600 // invalid request
	if status == http.StatusBadGateway {
		code = -32603 // internal error: the host did not answer
	}
	type rpcError struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	}
	body := struct {
		JSONRPC string   `json:"jsonrpc"`
		ID      any      `json:"id"`
		Error   rpcError `json:"error"`
	}{"2.0", nil, rpcError{code, msg}}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(body)
}
