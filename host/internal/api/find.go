package api

import (
	"net/http"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/mockarty-oss/mockarty/host/internal/resolve"
	"github.com/mockarty-oss/mockarty/sdk"
)

// findRoutes are the resolution contract of protocol listeners and generated
// servers (api-reference section 15). They need no authentication.
func (s *server) findRoutes(app *fiber.App) {
	app.Post("/mock/findGrpc", s.findGRPC)
	app.Post("/mock/findSocket", s.findSocket)
	app.Post("/mock/findKafka", s.findKafka)
	app.Post("/mock/findRabbitMQ", s.findRabbitMQ)
	app.Post("/mock/findSmtp", s.findSMTP)
	app.Post("/mock/findHttp", s.findHTTP)
	app.Post("/mock/findSoap", s.findSOAP)
	app.Post("/mock/findMcp", s.findMCP)
	app.Post("/mock/findGraphql", s.findGraphQL)
	app.Post("/mock/findSse", s.findSSE)
}

func (s *server) noMatch(c *fiber.Ctx, nm *resolve.NearMiss) error {
	return c.Status(http.StatusNotFound).JSON(fiber.Map{"error": nm.Error, "code": "no_match", "request_id": requestIDOf(c),
		"namespace": nm.Namespace, "path": nm.Path, "candidates": publicCandidates(nm.Candidates)})
}

func findNamespace(c *fiber.Ctx, ns *string) error {
	v, err := namespaceOf(c, *ns)
	if err != nil {
		return err
	}
	*ns = v
	return nil
}

func (s *server) findGRPC(c *fiber.Ctx) error {
	var req sdk.FindGRPCRequest
	if err := s.decodeJSON(c, &req); err != nil {
		return err
	}
	if req.Service == "" || req.Method == "" {
		return fieldErr("service", "service and method are required")
	}
	if err := findNamespace(c, &req.Namespace); err != nil {
		return err
	}
	out, nm := s.Resolver.FindGRPC(&req)
	if nm != nil {
		return s.noMatch(c, nm)
	}
	return c.JSON(out)
}

func (s *server) findSocket(c *fiber.Ctx) error {
	var req sdk.FindSocketRequest
	if err := s.decodeJSON(c, &req); err != nil {
		return err
	}
	if err := findNamespace(c, &req.Namespace); err != nil {
		return err
	}
	out, nm := s.Resolver.FindSocket(&req)
	if nm != nil {
		return s.noMatch(c, nm)
	}
	return c.JSON(out)
}

func (s *server) findKafka(c *fiber.Ctx) error {
	var req sdk.FindKafkaRequest
	if err := s.decodeJSON(c, &req); err != nil {
		return err
	}
	if req.Topic == "" {
		return fieldErr("topic", "is required")
	}
	if err := findNamespace(c, &req.Namespace); err != nil {
		return err
	}
	out, nm := s.Resolver.FindKafka(&req)
	if nm != nil {
		return s.noMatch(c, nm)
	}
	return c.JSON(out)
}

func (s *server) findRabbitMQ(c *fiber.Ctx) error {
	var req sdk.FindRabbitMQRequest
	if err := s.decodeJSON(c, &req); err != nil {
		return err
	}
	if req.Queue == "" && req.Exchange == "" {
		return fieldErr("queue", "queue or exchange is required")
	}
	if err := findNamespace(c, &req.Namespace); err != nil {
		return err
	}
	out, nm := s.Resolver.FindRabbitMQ(&req)
	if nm != nil {
		return s.noMatch(c, nm)
	}
	return c.JSON(out)
}

// findSMTP always answers 200: "found": false is the SMTP contract's own way to say no.
func (s *server) findSMTP(c *fiber.Ctx) error {
	var req sdk.FindSMTPRequest
	if err := s.decodeJSON(c, &req); err != nil {
		return err
	}
	if err := findNamespace(c, &req.Namespace); err != nil {
		return err
	}
	out, nm := s.Resolver.FindSMTP(&req)
	if nm != nil {
		return c.JSON(fiber.Map{"found": false, "statusCode": out.StatusCode, "statusMessage": out.StatusMessage,
			"acceptMail": false, "storeEmail": false, "candidates": publicCandidates(nm.Candidates)})
	}
	return c.JSON(out)
}

// findHTTP resolves a plain HTTP request for a listener plugin.
func (s *server) findHTTP(c *fiber.Ctx) error {
	var req sdk.FindHTTPRequest
	if err := s.decodeJSON(c, &req); err != nil {
		return err
	}
	if !strings.HasPrefix(req.Path, "/") {
		return fieldErr("path", "must start with '/'")
	}
	if err := findNamespace(c, &req.Namespace); err != nil {
		return err
	}
	out, nm := s.Resolver.FindHTTP(&req)
	if nm != nil {
		return s.noMatch(c, nm)
	}
	return c.JSON(out)
}

func (s *server) findSOAP(c *fiber.Ctx) error {
	var req sdk.FindSOAPRequest
	if err := s.decodeJSON(c, &req); err != nil {
		return err
	}
	if req.Action == "" && req.Operation == "" && req.Path == "" {
		return fieldErr("action", "one of action, operation or path is required")
	}
	if err := findNamespace(c, &req.Namespace); err != nil {
		return err
	}
	out, nm := s.Resolver.FindSOAP(&req)
	if nm != nil {
		return s.noMatch(c, nm)
	}
	return c.JSON(out)
}

func (s *server) findMCP(c *fiber.Ctx) error {
	var req sdk.FindMCPRequest
	if err := s.decodeJSON(c, &req); err != nil {
		return err
	}
	if req.Tool == "" && req.Resource == "" {
		return fieldErr("tool", "tool (for tools/call) or resource (for resources/read) is required")
	}
	if err := findNamespace(c, &req.Namespace); err != nil {
		return err
	}
	out, nm := s.Resolver.FindMCP(&req)
	if nm != nil {
		return s.noMatch(c, nm)
	}
	return c.JSON(out)
}

func (s *server) findGraphQL(c *fiber.Ctx) error {
	var req sdk.FindGraphQLRequest
	if err := s.decodeJSON(c, &req); err != nil {
		return err
	}
	if req.Field == "" {
		return fieldErr("field", "is required")
	}
	switch req.Operation {
	case "", "query", "mutation", "subscription":
	default:
		return fieldErr("operation", "must be query, mutation or subscription")
	}
	if err := findNamespace(c, &req.Namespace); err != nil {
		return err
	}
	out, nm := s.Resolver.FindGraphQL(&req)
	if nm != nil {
		return s.noMatch(c, nm)
	}
	return c.JSON(out)
}

func (s *server) findSSE(c *fiber.Ctx) error {
	var req sdk.FindSSERequest
	if err := s.decodeJSON(c, &req); err != nil {
		return err
	}
	if !strings.HasPrefix(req.Path, "/") {
		return fieldErr("path", "must start with '/'")
	}
	if err := findNamespace(c, &req.Namespace); err != nil {
		return err
	}
	out, nm := s.Resolver.FindSSE(&req)
	if nm != nil {
		return s.noMatch(c, nm)
	}
	return c.JSON(out)
}
