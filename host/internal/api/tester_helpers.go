package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/gofiber/fiber/v2"
	"github.com/mockarty-oss/mockarty/host/internal/auth"
	"github.com/mockarty-oss/mockarty/host/internal/tester/helpers"
)

// The API tester's protocol helpers (api-reference section 7 "Protocol
// Helpers", model-tools §7.6): one-off HTTP, SOAP, gRPC, MCP and GraphQL
// calls and broker admin, all through the private-address policy
// (ALLOW_PROXY_TO_PRIVATE_IPS), each bounded by its timeout and ended
// when the caller goes away. The work is in tester/helpers.

func (s *server) testerHelperRoutes(v1, t fiber.Router) {
	v1.Post("/proxy/http", s.helperHTTP)
	v1.Post("/proxy/soap", s.helperSOAP)
	v1.Post("/proxy/grpc", s.helperGRPC)
	t.Post("/mcp/connect", s.helperMCPConnect)
	t.Post("/mcp/tools/list", s.helperMCPTools)
	t.Post("/mcp/tools/call", s.helperMCPCall)
	t.Post("/graphql/introspect", s.helperGraphQLIntrospect)
	t.Post("/grpc/discover", s.helperGRPCDiscover)
	t.Post("/soap/operations", s.helperSOAPOperations)
	s.testerKafkaRoutes(t)
	s.testerRabbitRoutes(t)
}

// helperBase holds the fields every helper request may carry.
type helperBase struct {
	Namespace string `json:"namespace"`
	// Timeout of the call in milliseconds (default 30 s, at most 5 min).
	Timeout int64 `json:"timeout"`
}

func (b *helperBase) base() *helperBase { return b }

// helperRequest is a request body that embeds helperBase.
type helperRequest interface{ base() *helperBase }

// helperStart decodes the request, checks the caller may run requests in
// its namespace, and returns the call's context (its timeout, the
// caller's connection, the server's shutdown) and the address policy.
func (s *server) helperStart(c *fiber.Ctx, body helperRequest) (context.Context, context.CancelFunc, *helpers.Guard, error) {
	if err := s.decodeJSON(c, body); err != nil {
		return nil, nil, nil, err
	}
	b := body.base()
	if _, err := namespaceFor(c, b.Namespace, auth.Read); err != nil {
		return nil, nil, nil, err
	}
	timeout, err := helpers.Timeout(b.Timeout)
	if err != nil {
		return nil, nil, nil, helperErr(err)
	}
	ctx, cancel := context.WithTimeout(c.UserContext(), timeout)
	ctx, stopWatch := helpers.WatchConn(ctx, c.Context().Conn())
	stopShutdown := context.AfterFunc(s.streams(), stopWatch)
	return ctx, func() {
		stopShutdown()
		stopWatch()
		cancel()
	}, helpers.GuardFor(s.AllowPrivateProxy), nil
}

// helperErr maps a helper's failure onto the envelope: bad input 422
// naming the field, a refused private address 403, a missing remote
// object 404, a clash 409, an unreachable or failing remote side 502, a
// timeout 504.
func helperErr(err error) error {
	var he *helpers.Error
	if !errors.As(err, &he) {
		var ae *Error
		if errors.As(err, &ae) {
			return ae
		}
		return apiErr(http.StatusBadGateway, "external", "%v", err)
	}
	switch he.Kind {
	case helpers.KindInput:
		return fieldErr(he.Field, "%s", he.Message)
	case helpers.KindRefused:
		e := forbidden("%s", he.Message)
		e.Field = he.Field
		return e
	case helpers.KindNotFound:
		return notFoundErr("%s", he.Message)
	case helpers.KindConflict:
		return apiErr(http.StatusConflict, CodeConflict, "%s", he.Message)
	case helpers.KindTimeout:
		return apiErr(http.StatusGatewayTimeout, "external", "%s", he.Message)
	}
	return apiErr(http.StatusBadGateway, "external", "%s", he.Message)
}

// helperCall runs a helper with the request's context and answers its
// result as JSON.
func helperCall[T any](s *server, c *fiber.Ctx, body helperRequest, run func(ctx context.Context, g *helpers.Guard) (T, error)) error {
	ctx, done, g, err := s.helperStart(c, body)
	if err != nil {
		return err
	}
	defer done()
	out, err := run(ctx, g)
	if err != nil {
		return helperErr(err)
	}
	return c.JSON(out)
}

// --- HTTP, SOAP, gRPC ---

func (s *server) helperHTTP(c *fiber.Ctx) error {
	var b struct {
		helperBase
		helpers.HTTPRequest
	}
	return helperCall(s, c, &b, func(ctx context.Context, g *helpers.Guard) (*helpers.HTTPResponse, error) {
		return helpers.DoHTTP(ctx, g, b.HTTPRequest)
	})
}

func (s *server) helperSOAP(c *fiber.Ctx) error {
	var b struct {
		helperBase
		helpers.SOAPRequest
	}
	return helperCall(s, c, &b, func(ctx context.Context, g *helpers.Guard) (*helpers.HTTPResponse, error) {
		return helpers.CallSOAP(ctx, g, b.SOAPRequest)
	})
}

func (s *server) helperGRPC(c *fiber.Ctx) error {
	var b struct {
		helperBase
		helpers.GRPCRequest
	}
	return helperCall(s, c, &b, func(ctx context.Context, g *helpers.Guard) (*helpers.GRPCResponse, error) {
		return helpers.CallGRPC(ctx, g, b.GRPCRequest)
	})
}

func (s *server) helperGRPCDiscover(c *fiber.Ctx) error {
	var b struct {
		helperBase
		Target string `json:"target"`
		TLS    bool   `json:"tls"`
	}
	return helperCall(s, c, &b, func(ctx context.Context, g *helpers.Guard) (fiber.Map, error) {
		list, err := helpers.DiscoverGRPC(ctx, g, b.Target, b.TLS)
		return fiber.Map{"target": b.Target, "services": list}, err
	})
}

func (s *server) helperSOAPOperations(c *fiber.Ctx) error {
	var b struct {
		helperBase
		WSDL string `json:"wsdl"`
		URL  string `json:"url"`
	}
	return helperCall(s, c, &b, func(ctx context.Context, g *helpers.Guard) (fiber.Map, error) {
		ops, err := helpers.SOAPOperations(ctx, g, b.WSDL, b.URL)
		return fiber.Map{"operations": ops}, err
	})
}

// --- MCP and GraphQL ---

type mcpBody struct {
	helperBase
	helpers.MCPTarget
}

func (s *server) helperMCPConnect(c *fiber.Ctx) error {
	var b mcpBody
	return helperCall(s, c, &b, func(ctx context.Context, g *helpers.Guard) (*helpers.MCPSession, error) {
		return helpers.MCPConnect(ctx, g, b.MCPTarget)
	})
}

func (s *server) helperMCPTools(c *fiber.Ctx) error {
	var b mcpBody
	return helperCall(s, c, &b, func(ctx context.Context, g *helpers.Guard) (fiber.Map, error) {
		tools, err := helpers.MCPTools(ctx, g, b.MCPTarget)
		return fiber.Map{"tools": tools}, err
	})
}

func (s *server) helperMCPCall(c *fiber.Ctx) error {
	var b struct {
		mcpBody
		Name      string          `json:"name"`
		Arguments json.RawMessage `json:"arguments"`
	}
	return helperCall(s, c, &b, func(ctx context.Context, g *helpers.Guard) (*helpers.MCPCallResult, error) {
		return helpers.MCPCall(ctx, g, b.MCPTarget, b.Name, b.Arguments)
	})
}

func (s *server) helperGraphQLIntrospect(c *fiber.Ctx) error {
	var b struct {
		helperBase
		URL     string          `json:"url"`
		Headers helpers.Headers `json:"headers"`
	}
	return helperCall(s, c, &b, func(ctx context.Context, g *helpers.Guard) (json.RawMessage, error) {
		return helpers.Introspect(ctx, g, b.URL, b.Headers)
	})
}
