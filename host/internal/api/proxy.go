package api

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/mockarty-oss/mockarty/host/internal/resolve"
	"github.com/mockarty-oss/mockarty/sdk/outbound"
)

// hopHeaders are not forwarded by a proxy (RFC 9110 section 7.6.1).
var hopHeaders = map[string]bool{"connection": true, "keep-alive": true, "proxy-authenticate": true,
	"proxy-authorization": true, "te": true, "trailer": true, "transfer-encoding": true, "upgrade": true, "host": true, "content-length": true}

// proxy forwards a matched request to the mock's upstream, adds the mock's
// delay and headers, and refuses private addresses unless allowed.
func (s *server) proxy(c *fiber.Ctx, req *resolve.HTTPRequest, out *resolve.Rendered) error {
	target, err := url.Parse(out.Proxy.Target)
	if err != nil {
		return apiErr(http.StatusBadGateway, "external", "proxy target %q is not a URL", out.Proxy.Target)
	}
	u := *target
	// The route part of the path as it arrived (escapes kept), and the query as sent.
	rawPath := string(c.Request().URI().PathOriginal())
	if i := strings.Index(rawPath, req.Path); req.Path != "" && i >= 0 {
		rawPath = rawPath[i:]
	} else {
		rawPath = req.Path
	}
	u.Path = strings.TrimRight(target.Path, "/") + req.Path
	u.RawPath = strings.TrimRight(target.EscapedPath(), "/") + rawPath
	u.RawQuery = req.RawQuery
	if req.Query != nil {
		q := url.Values{}
		for k, v := range req.Query {
			q[k] = v
		}
		u.RawQuery = q.Encode()
	}
	ctx, cancel := context.WithTimeout(c.UserContext(), 30*time.Second)
	defer cancel()
	up, err := http.NewRequestWithContext(ctx, req.Method, u.String(), bytes.NewReader(req.Body))
	if err != nil {
		return apiErr(http.StatusBadGateway, "external", "proxy: %v", err)
	}
	headers := req.Header
	if headers == nil && req.Source != nil {
		headers = req.Source.HeaderMap()
	}
	for k, vals := range headers {
		if hopHeaders[k] {
			continue
		}
		for _, v := range vals {
			up.Header.Add(k, v)
		}
	}
	resp, err := s.proxyClient().Do(up)
	if err != nil {
		return apiErr(http.StatusBadGateway, "external", "proxy to %s failed: %v", target.Host, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return apiErr(http.StatusBadGateway, "external", "proxy: reading the upstream reply: %v", err)
	}
	if out.Delay > 0 {
		time.Sleep(out.Delay)
	}
	for k, vals := range resp.Header {
		if hopHeaders[strings.ToLower(k)] {
			continue
		}
		for _, v := range vals {
			c.Response().Header.Add(k, v)
		}
	}
	setHeaders(c, out.Headers)
	return c.Status(resp.StatusCode).Send(b)
}

func (s *server) proxyClient() *http.Client {
	s.proxyOnce.Do(func() { s.proxyHTTP = outbound.NewClient(s.AllowPrivateProxy) })
	return s.proxyHTTP
}
