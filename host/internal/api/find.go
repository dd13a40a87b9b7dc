package api

import (
	"net/http"

	"github.com/gofiber/fiber/v2"
	"github.com/mockarty-oss/mockarty/host/internal/resolve"
	"github.com/mockarty-oss/mockarty/sdk/find"
)

// findRoutes are the resolution contract of protocol listeners and generated
// servers (api-reference section 15). They need no authentication. Each one
// decodes its sdk request, checks the fields it cannot do without, fills the
// namespace (body, ?namespace=, X-Namespace, sandbox) and resolves.
func (s *server) findRoutes(app *fiber.App) {
	r := s.Resolver
	app.Post("/mock/findGrpc", findHandler(s, r.FindGRPC, func(q *find.GRPCRequest) *string { return &q.Namespace }))
	app.Post("/mock/findSocket", findHandler(s, r.FindSocket, func(q *find.SocketRequest) *string { return &q.Namespace }))
	app.Post("/mock/findKafka", findHandler(s, r.FindKafka, func(q *find.KafkaRequest) *string { return &q.Namespace }))
	app.Post("/mock/findRabbitMQ", findHandler(s, r.FindRabbitMQ, func(q *find.RabbitMQRequest) *string { return &q.Namespace }))
	app.Post("/mock/findSmtp", s.findSMTP)
	app.Post("/mock/findHttp", findHandler(s, r.FindHTTP, func(q *find.HTTPRequest) *string { return &q.Namespace }))
	app.Post("/mock/findSoap", findHandler(s, r.FindSOAP, func(q *find.SOAPRequest) *string { return &q.Namespace }))
	app.Post("/mock/findMcp", findHandler(s, r.FindMCP, func(q *find.MCPRequest) *string { return &q.Namespace }))
	app.Post("/mock/findGraphql", findHandler(s, r.FindGraphQL, func(q *find.GraphQLRequest) *string { return &q.Namespace }))
	app.Post("/mock/findSse", findHandler(s, r.FindSSE, func(q *find.SSERequest) *string { return &q.Namespace }))
}

// findHandler makes the handler of one find endpoint; nsOf says where the
// request's namespace field is. The request is checked as a plugin's is
// (resolve.CheckFind).
func findHandler[Req, Resp any](s *server, resolveFind func(*Req) (*Resp, *resolve.NearMiss), nsOf func(*Req) *string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		req := new(Req)
		if err := s.decodeJSON(c, req); err != nil {
			return err
		}
		if fe := resolve.CheckFind(req); fe != nil {
			return fe
		}
		if err := findNamespace(c, nsOf(req)); err != nil {
			return err
		}
		out, nm := resolveFind(req)
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
	var req find.SMTPRequest
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
