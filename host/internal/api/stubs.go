package api

import (
	"net/http"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/mockarty-oss/mockarty/host/internal/auth"
	"github.com/mockarty-oss/mockarty/host/internal/jpath"
	"github.com/mockarty-oss/mockarty/host/internal/model"
	"github.com/mockarty-oss/mockarty/host/internal/resolve"
)

// stubs serves mocks: ANY /stubs/<namespace>/<route>. The namespace is the
// first segment; ?namespace= overrides it; a first segment that is no
// namespace falls back to sandbox with the whole path as the route.
func (s *server) stubs(c *fiber.Ctx) error {
	rest := strings.TrimPrefix(string(c.Request().URI().Path()), "/stubs")
	seg0, route := splitFirst(rest)
	var q string
	if raw := c.Context().QueryArgs().Peek("namespace"); len(raw) > 0 {
		q = string(raw)
		if !model.NamePattern.MatchString(q) {
			e := badRequest("namespace %q: use 1-100 letters, digits, '.', '_' or '-'", q)
			e.Field = "namespace"
			return e
		}
	}
	known := s.knownNamespace(seg0)
	var ns string
	switch {
	case known && q != "":
		ns = q
	case known:
		ns = seg0
	case q != "":
		ns, route = q, rest
	default:
		ns, route = model.DefaultNamespace, rest
	}
	if route == "" {
		route = "/"
	}
	b, err := s.rawBody(c)
	if err != nil {
		return err
	}
	if err := jpath.CheckDepth(b); err != nil {
		return err // 413 body_too_deep: no mock and no plugin walks a tree that deep
	}
	if p := s.Resolver.Index.HandOff(ns, route); p != "" {
		// SOAP, GraphQL and MCP: served by their plugin's listener. The MCP
		// endpoints are generic paths: an HTTP or SSE mock there wins.
		if p != model.ProtoMCP || (!s.Resolver.Index.HasRoute(ns, model.ProtoHTTP, route) &&
			!s.Resolver.Index.HasRoute(ns, model.ProtoSSE, route)) {
			return s.handOff(c, p, ns, route, b)
		}
	}
	if s.Resolver.Index.HasRoute(ns, model.ProtoSSE, route) {
		// SSE is served natively under /stubs, as on the SSE listener.
		return s.stubSSE(c, ns, route, q != "")
	}
	sr := &stubRequest{c: c, nsQuery: q != ""}
	sr.HTTPRequest = resolve.HTTPRequest{Namespace: ns, AllServers: true, Method: methodName(c.Context().Method()), Path: route, Body: b,
		RawQuery: string(c.Request().URI().QueryString()), Source: sr, Ctx: c.Context()}
	req := &sr.HTTPRequest
	res := s.Resolver.ResolveHTTP(req)
	defer s.Resolver.Release(res)
	if !res.Matched {
		if res.NearMiss.NotSaved() {
			return apiErr(http.StatusServiceUnavailable, "unavailable", "%s", res.NearMiss.Error)
		}
		return c.Status(http.StatusNotFound).JSON(fiber.Map{"error": res.NearMiss.Error, "code": "no_match",
			"request_id": requestIDOf(c), "namespace": res.NearMiss.Namespace, "method": res.NearMiss.Method,
			"path": res.NearMiss.Path, "candidates": publicCandidates(res.NearMiss.Candidates)})
	}
	out := res.Rendered
	if out.Proxy != nil {
		return s.proxy(c, req, out)
	}
	if out.Delay > 0 {
		time.Sleep(out.Delay)
	}
	setHeaders(c, out.Headers)
	if !hasHeader(out.Headers, "Content-Type") {
		c.Response().Header.SetContentType(out.Kind().ContentType())
	}
	c.Set("X-Mockarty-Mock-Id", res.MockID)
	return c.Status(out.Status).Send(out.Body)
}

// stubRequest is a /stubs request with its fiber context, in one allocation.
type stubRequest struct {
	resolve.HTTPRequest
	c       *fiber.Ctx
	nsQuery bool // ?namespace= chose the namespace: it is not a query parameter of the mock
}

func (r *stubRequest) QueryMap() map[string][]string {
	out := map[string][]string{}
	r.c.Context().QueryArgs().VisitAll(func(k, v []byte) {
		key := string(k)
		if key == "namespace" && r.nsQuery {
			return
		}
		out[key] = append(out[key], string(v))
	})
	return out
}

func (r *stubRequest) HeaderMap() map[string][]string { return requestHeaders(r.c) }
func (r *stubRequest) RawHeader() []byte              { return r.c.Request().Header.Header() }

func requestHeaders(c *fiber.Ctx) map[string][]string {
	out := make(map[string][]string, 8)
	c.Request().Header.VisitAll(func(k, v []byte) {
		key := strings.ToLower(string(k))
		out[key] = append(out[key], string(v))
	})
	return out
}

func splitFirst(p string) (string, string) {
	p = strings.TrimPrefix(p, "/")
	i := strings.IndexByte(p, '/')
	if i < 0 {
		return p, "/"
	}
	return p[:i], p[i:]
}

func (s *server) knownNamespace(ns string) bool {
	return ns != "" && s.Resolver.KnownNamespace(ns)
}

func hasHeader(h map[string][]string, name string) bool {
	for k := range h {
		if strings.EqualFold(k, name) {
			return true
		}
	}
	return false
}

// methodName returns the method without allocating for the common ones.
func methodName(m []byte) string {
	switch string(m) {
	case http.MethodGet:
		return http.MethodGet
	case http.MethodPost:
		return http.MethodPost
	case http.MethodPut:
		return http.MethodPut
	case http.MethodPatch:
		return http.MethodPatch
	case http.MethodDelete:
		return http.MethodDelete
	case http.MethodHead:
		return http.MethodHead
	case http.MethodOptions:
		return http.MethodOptions
	}
	return string(m)
}

// previewMock answers GET /api/v1/mocks/preview?route=&method=&namespace=
// (also body=, and header.<Name>= / query.<name>= to feed conditions).
func (s *server) previewMock(c *fiber.Ctx) error {
	route := c.Query("route", c.Query("path"))
	if !strings.HasPrefix(route, "/") {
		e := badRequest("route is required and must start with '/' (for example ?route=/api/users/42&method=GET)")
		e.Field = "route"
		return e
	}
	ns, err := namespaceFor(c, "", auth.Read)
	if err != nil {
		return err
	}
	method := strings.ToUpper(c.Query("method", http.MethodGet))
	req := &resolve.HTTPRequest{Namespace: ns, Method: method, Path: route, Body: []byte(c.Query("body")),
		Query: map[string][]string{}, Header: map[string][]string{}}
	c.Context().QueryArgs().VisitAll(func(k, v []byte) {
		key := string(k)
		switch {
		case strings.HasPrefix(key, "header."):
			name := strings.ToLower(strings.TrimPrefix(key, "header."))
			req.Header[name] = append(req.Header[name], string(v))
		case strings.HasPrefix(key, "query."):
			name := strings.TrimPrefix(key, "query.")
			req.Query[name] = append(req.Query[name], string(v))
		}
	})
	return c.JSON(s.Resolver.PreviewHTTP(req))
}

// setHeaders writes a mock's headers; the first value of a name replaces, the rest add.
func setHeaders(c *fiber.Ctx, h map[string][]string) {
	for k, vals := range h {
		for i, v := range vals {
			if i == 0 {
				c.Set(k, v)
			} else {
				c.Response().Header.Add(k, v)
			}
		}
	}
}

// publicCandidates drops the expected values of failed conditions: the
// near-miss report is open to anyone, and a condition may hold a secret
// (an expected token). /api/v1/mocks/preview shows them to API users.
func publicCandidates(list []resolve.Candidate) []resolve.Candidate {
	return resolve.PublicCandidates(list)
}
