package api

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/mockarty-oss/mockarty/sdk/handoff"
	"golang.org/x/net/http/httpguts"
)

// SOAP, GraphQL and MCP are served under /stubs as on their own listeners,
// and their protocol logic lives only in their plugins: the host hands such
// a request to the plugin's listener by reverse proxy. The listener learns
// the namespace and the public prefix of its URLs (an MCP SSE endpoint, a
// WSDL's address) from the hand-off headers, believed next to this boot's
// secret only (sdk/handoff), and the address the client used from the Host
// header, which is passed on.

// handOffTransport talks to plugin listeners on this machine: no proxy from
// the environment, bodies passed through as they are (no gzip added).
var handOffTransport = &http.Transport{
	Proxy:                 nil,
	DialContext:           (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
	MaxIdleConns:          256,
	MaxIdleConnsPerHost:   64,
	IdleConnTimeout:       90 * time.Second,
	DisableCompression:    true,
	ResponseHeaderTimeout: 0, // a mock's delay may be long
}

// handOff proxies a /stubs request to the listener of protocol.
func (s *server) handOff(c *fiber.Ctx, protocol, ns, route string, body []byte) error {
	addr, name, err := s.handOffEndpoint(protocol, ns, route)
	if err != nil {
		return err
	}
	// A plain answer is waited for as long as it takes (a mock's delay; the
	// host's shutdown drains it); an event stream also ends when the host stops.
	ctx, cancel := context.WithCancel(context.Background())
	req, err := s.handOffRequest(ctx, c, addr, ns, route, body)
	if err != nil {
		cancel()
		return err
	}
	res, err := handOffTransport.RoundTrip(req)
	if err != nil {
		cancel()
		return apiErr(http.StatusBadGateway, CodeUnavailable, "the %s plugin did not answer: %v", name, err)
	}
	copyReplyHeader(c, res)
	c.Status(res.StatusCode)
	if !strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
		defer cancel()
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		if err != nil {
			return apiErr(http.StatusBadGateway, CodeUnavailable, "the %s plugin's answer broke off: %v", name, err)
		}
		return c.Send(b)
	}
	s.streamReply(c, res, cancel)
	return nil
}

// handOffEndpoint is the address of the listener that serves protocol, or
// why there is none.
func (s *server) handOffEndpoint(protocol, ns, route string) (addr, name string, err error) {
	addr, name, state, ok := s.Plugins.Endpoint(protocol)
	switch {
	case ok:
		return addr, name, nil
	case name == "":
		return "", "", apiErr(http.StatusServiceUnavailable, CodeUnavailable,
			"namespace %q has %s mocks at %s, but no %s plugin is loaded (add it to PLUGINS)", ns, protocol, route, protocol)
	}
	return "", "", apiErr(http.StatusServiceUnavailable, CodeUnavailable,
		"namespace %q has %s mocks at %s, but the %s plugin is %s (GET /api/v1/plugins)", ns, protocol, route, name, state)
}

// handOffRequest is the request the listener gets: the client's method,
// route, query, body and end-to-end headers (a body the host decompressed
// loses its Content-Encoding), marked as the host's hand-off for namespace
// ns under the public prefix the client used.
func (s *server) handOffRequest(ctx context.Context, c *fiber.Ctx, addr, ns, route string, body []byte) (*http.Request, error) {
	orig := string(c.Request().URI().Path())
	prefix := strings.TrimSuffix(orig, route)
	if route == "/" {
		prefix = strings.TrimSuffix(orig, "/")
	}
	target := url.URL{Scheme: "http", Host: addr, Path: route, RawQuery: string(c.Request().URI().QueryString())}
	req, err := http.NewRequestWithContext(ctx, c.Method(), target.String(), bytes.NewReader(body))
	if err != nil {
		return nil, badRequest("%v", err)
	}
	decoded := len(c.Request().Header.Peek(fiber.HeaderContentEncoding)) > 0 // rawBody decompressed it
	var bad string
	c.Request().Header.VisitAll(func(k, v []byte) {
		key := string(k)
		lower := strings.ToLower(key)
		if hopHeaders[lower] || (decoded && lower == "content-encoding") {
			return
		}
		if !httpguts.ValidHeaderFieldName(key) || !httpguts.ValidHeaderFieldValue(string(v)) {
			bad = key
			return
		}
		req.Header.Add(key, string(v))
	})
	if bad != "" {
		return nil, badRequest("header %q is not valid HTTP", bad)
	}
	req.Host = string(c.Request().Host())
	req.ContentLength = int64(len(body))
	handoff.Mark(req.Header, s.Plugins.HandOffSecret(), ns, prefix)
	req.Header.Set("X-Forwarded-For", c.IP())
	req.Header.Set("X-Forwarded-Proto", c.Protocol())
	return req, nil
}

// copyReplyHeader copies the listener's end-to-end reply headers.
func copyReplyHeader(c *fiber.Ctx, res *http.Response) {
	for k, vals := range res.Header {
		if hopHeaders[strings.ToLower(k)] {
			continue
		}
		for i, v := range vals {
			if i == 0 {
				c.Set(k, v)
			} else {
				c.Response().Header.Add(k, v)
			}
		}
	}
}

// streamReply copies an event stream (MCP's SSE transport and streamable
// GET) as it comes; a failed write (the client left) or the host stopping
// ends it, and with it the plugin's side (cancel).
func (s *server) streamReply(c *fiber.Ctx, res *http.Response, cancel context.CancelFunc) {
	stop := context.AfterFunc(s.streams(), cancel) // the host stopping ends the stream
	c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
		defer stop()
		defer cancel()
		defer res.Body.Close()
		buf := make([]byte, 32*1024)
		for {
			n, err := res.Body.Read(buf)
			if n > 0 {
				if _, werr := w.Write(buf[:n]); werr != nil {
					return
				}
				if werr := w.Flush(); werr != nil {
					return
				}
			}
			if err != nil {
				return
			}
		}
	})
}
