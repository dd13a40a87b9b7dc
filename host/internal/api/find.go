package api

import (
	"net/http"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/mockarty-oss/mockarty/host/internal/resolve"
	"github.com/mockarty-oss/mockarty/sdk"
)

// findRoutes are the resolution contract of protocol listeners and generated
// servers (api-reference section 15). They need no authentication. Each one
// decodes its sdk request, checks the fields it cannot do without, fills the
// namespace (body, ?namespace=, X-Namespace, sandbox) and resolves.
func (s *server) findRoutes(app *fiber.App) {
	r := s.Resolver
	app.Post("/mock/findGrpc", findHandler(s, r.FindGRPC, func(q *sdk.FindGRPCRequest) (*string, error) {
		if q.Service == "" || q.Method == "" {
			return nil, fieldErr("service", "service and method are required")
		}
		return &q.Namespace, nil
	}))
	app.Post("/mock/findSocket", findHandler(s, r.FindSocket, func(q *sdk.FindSocketRequest) (*string, error) {
		return &q.Namespace, nil
	}))
	app.Post("/mock/findKafka", findHandler(s, r.FindKafka, func(q *sdk.FindKafkaRequest) (*string, error) {
		if q.Topic == "" {
			return nil, fieldErr("topic", "is required")
		}
		return &q.Namespace, nil
	}))
	app.Post("/mock/findRabbitMQ", findHandler(s, r.FindRabbitMQ, func(q *sdk.FindRabbitMQRequest) (*string, error) {
		if q.Queue == "" && q.Exchange == "" {
			return nil, fieldErr("queue", "queue or exchange is required")
		}
		return &q.Namespace, nil
	}))
	app.Post("/mock/findSmtp", s.findSMTP)
	app.Post("/mock/findHttp", findHandler(s, r.FindHTTP, func(q *sdk.FindHTTPRequest) (*string, error) {
		if !strings.HasPrefix(q.Path, "/") {
			return nil, fieldErr("path", "must start with '/'")
		}
		return &q.Namespace, nil
	}))
	app.Post("/mock/findSoap", findHandler(s, r.FindSOAP, func(q *sdk.FindSOAPRequest) (*string, error) {
		if q.Action == "" && q.Operation == "" && q.Path == "" {
			return nil, fieldErr("action", "one of action, operation or path is required")
		}
		return &q.Namespace, nil
	}))
	app.Post("/mock/findMcp", findHandler(s, r.FindMCP, func(q *sdk.FindMCPRequest) (*string, error) {
		if q.Tool == "" && q.Resource == "" && q.Prompt == "" {
			return nil, fieldErr("tool", "tool (for tools/call), resource (for resources/read) or prompt (for prompts/get) is required")
		}
		return &q.Namespace, nil
	}))
	app.Post("/mock/findGraphql", findHandler(s, r.FindGraphQL, func(q *sdk.FindGraphQLRequest) (*string, error) {
		if q.Field == "" {
			return nil, fieldErr("field", "is required")
		}
		switch q.Operation {
		case "", "query", "mutation", "subscription":
		default:
			return nil, fieldErr("operation", "must be query, mutation or subscription")
		}
		return &q.Namespace, nil
	}))
	app.Post("/mock/findSse", findHandler(s, r.FindSSE, func(q *sdk.FindSSERequest) (*string, error) {
		if !strings.HasPrefix(q.Path, "/") {
			return nil, fieldErr("path", "must start with '/'")
		}
		return &q.Namespace, nil
	}))
}

// findHandler makes the handler of one find endpoint. check validates the
// request and returns where its namespace field is.
func findHandler[Req, Resp any](s *server, find func(*Req) (*Resp, *resolve.NearMiss), check func(*Req) (*string, error)) fiber.Handler {
	return func(c *fiber.Ctx) error {
		req := new(Req)
		if err := s.decodeJSON(c, req); err != nil {
			return err
		}
		ns, err := check(req)
		if err != nil {
			return err
		}
		if err := findNamespace(c, ns); err != nil {
			return err
		}
		out, nm := find(req)
		if nm != nil {
			return s.noMatch(c, nm)
		}
		return c.JSON(out)
	}
}

func (s *server) noMatch(c *fiber.Ctx, nm *resolve.NearMiss) error {
	if nm.NotSaved() {
		return apiErr(http.StatusServiceUnavailable, "unavailable", "%s", nm.Error)
	}
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
