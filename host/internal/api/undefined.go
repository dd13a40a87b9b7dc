package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/mockarty-oss/mockarty/host/internal/auth"
	"github.com/mockarty-oss/mockarty/host/internal/catalog"
	"github.com/mockarty-oss/mockarty/host/internal/model"
	"github.com/mockarty-oss/mockarty/host/internal/store"
)

func (s *server) undefinedRoutes(v1 fiber.Router) {
	v1.Get("/undefined-requests", s.listUndefined)
	v1.Delete("/undefined-requests/all", s.deleteAllUndefined)
	v1.Delete("/undefined-requests", s.deleteUndefined)
	v1.Patch("/undefined-requests/:id/ignore", s.ignoreUndefined)
	v1.Post("/undefined-requests/:id/create-mock", s.undefinedToMock)
	v1.Post("/undefined-requests/:id/convert", s.undefinedToMock)
}

func undefinedJSON(u *store.UndefinedRequest) fiber.Map {
	out := fiber.Map{"id": u.ID, "namespace": u.Namespace, "protocol": u.Protocol, "method": u.Method, "path": u.Path,
		"timestamp": u.LastSeen, "count": u.Count, "hitCount": u.Count, "firstSeen": u.FirstSeen, "lastSeen": u.LastSeen,
		"ignored": u.Ignored}
	var headers map[string]any
	if json.Unmarshal([]byte(u.Headers), &headers) == nil {
		out["headers"] = headers
	}
	if b := bytes.TrimSpace([]byte(u.Body)); len(b) > 0 {
		if b[0] == '{' && json.Valid(b) {
			out["body"] = json.RawMessage(b)
		} else {
			out["rawBody"] = u.Body
		}
	}
	return out
}

func (s *server) listUndefined(c *fiber.Ctx) error {
	ns, err := optionalNamespace(c)
	if err != nil {
		return err
	}
	offset, limit, err := paging(c, 100, 1000)
	if err != nil {
		return err
	}
	withIgnored, _, err := boolQuery(c, "includeIgnored")
	if err != nil {
		return err
	}
	if ns != "" {
		if err := need(c, ns, auth.Read); err != nil {
			return err
		}
	}
	if err := s.syncJournal(c); err != nil {
		return err
	}
	list, total, err := s.Catalog.Store().UndefinedRequests(c.UserContext(), store.UndefinedFilter{
		Namespace: ns, Namespaces: readableNamespaces(c), Protocol: strings.ToLower(c.Query("protocol")), IncludeIgnored: withIgnored, Offset: offset, Limit: limit})
	if err != nil {
		return err
	}
	out := make([]fiber.Map, 0, len(list))
	for i := range list {
		out = append(out, undefinedJSON(&list[i]))
	}
	return c.JSON(fiber.Map{"requests": out, "items": out, "total": total, "offset": offset, "limit": limit})
}

func (s *server) ignoreUndefined(c *fiber.Ctx) error {
	id := param(c, "id")
	if _, err := s.needUndefined(c, id, auth.Write); err != nil {
		return err
	}
	if err := s.Catalog.Store().IgnoreUndefined(c.UserContext(), id); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return notFoundErr("undefined request %q not found", id)
		}
		return err
	}
	return c.JSON(fiber.Map{"id": id, "ignored": true})
}

func (s *server) deleteUndefined(c *fiber.Ctx) error {
	var b idsBody
	if err := s.decodeJSON(c, &b); err != nil {
		return err
	}
	ids := b.list()
	if len(ids) == 0 {
		e := badRequest("no request IDs provided: send {\"ids\": [...]}")
		e.Field = "ids"
		return e
	}
	for _, id := range ids {
		// Unknown ids are skipped; another namespace's are not found.
		if _, err := s.Catalog.Store().GetUndefined(c.UserContext(), id); errors.Is(err, store.ErrNotFound) {
			continue
		}
		if _, err := s.needUndefined(c, id, auth.Delete); err != nil {
			return err
		}
	}
	n, err := s.Catalog.Store().DeleteUndefined(c.UserContext(), ids)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"deleted": n})
}

func (s *server) deleteAllUndefined(c *fiber.Ctx) error {
	ns, err := optionalNamespace(c)
	if err != nil {
		return err
	}
	// What was seen before this call is written first, so it is cleared too.
	if err := s.syncJournal(c); err != nil {
		return err
	}
	var n int64
	if readable := readableNamespaces(c); ns == "" && readable != nil {
		// Everything the caller may clear, namespace by namespace.
		for _, one := range readable {
			if need(c, one, auth.Delete) != nil {
				continue
			}
			k, err := s.Catalog.Store().DeleteAllUndefined(c.UserContext(), one)
			if err != nil {
				return err
			}
			n += k
		}
	} else {
		if ns != "" {
			if err := need(c, ns, auth.Delete); err != nil {
				return err
			}
		}
		if n, err = s.Catalog.Store().DeleteAllUndefined(c.UserContext(), ns); err != nil {
			return err
		}
	}
	return c.JSON(fiber.Map{"deleted": n})
}

// needUndefined loads an undefined request and checks the caller may do a
// in its namespace.
func (s *server) needUndefined(c *fiber.Ctx, id string, a auth.Action) (*store.UndefinedRequest, error) {
	if err := s.syncJournal(c); err != nil {
		return nil, err
	}
	u, err := s.Catalog.Store().GetUndefined(c.UserContext(), id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !principal(c).Allows(u.Namespace, auth.Read)) {
		return nil, notFoundErr("undefined request %q not found", id)
	}
	if err != nil {
		return nil, err
	}
	return u, need(c, u.Namespace, a)
}

// undefinedToMock turns a captured request into a mock that answers it. An
// optional body {"mockData": {...}} is merged into the generated mock.
func (s *server) undefinedToMock(c *fiber.Ctx) error {
	id := param(c, "id")
	u, err := s.needUndefined(c, id, auth.Write)
	if err != nil {
		return err
	}
	doc, _ := json.Marshal(mockFromUndefined(u))
	raw, err := s.rawBody(c)
	if err != nil {
		return err
	}
	if b := bytes.TrimSpace(raw); len(b) > 0 {
		var wrap struct {
			MockData json.RawMessage `json:"mockData"`
		}
		if err := s.decodeJSON(c, &wrap); err != nil {
			return err
		}
		if len(wrap.MockData) > 0 && string(wrap.MockData) != "null" {
			if doc, err = model.MergePatch(doc, wrap.MockData); err != nil {
				return err
			}
		}
	}
	m, err := model.DecodeMock(doc)
	if err != nil {
		return err
	}
	if ferr := catalog.Prepare(m, u.Namespace); ferr != nil {
		return ferr
	}
	if err := s.needSave(c, m); err != nil {
		return err
	}
	res, err := s.Catalog.Save(c.UserContext(), m, catalog.IntentAny)
	if err != nil {
		return err
	}
	if _, err := s.Catalog.Store().DeleteUndefined(c.UserContext(), []string{id}); err != nil {
		return err
	}
	out := mockFields(res.Mock)
	out["mock"], out["mockId"], out["protocol"], out["isNew"] = res.Mock, res.Mock.ID, res.Mock.Protocol(), res.Overwritten
	return c.Status(http.StatusCreated).JSON(out)
}

// mockFromUndefined builds a mock that would have matched the request.
func mockFromUndefined(u *store.UndefinedRequest) *model.Mock {
	m := &model.Mock{ID: "undefined-" + strings.ReplaceAll(u.ID, "-", "")[:12], Namespace: u.Namespace,
		Response: &model.ContentResponse{StatusCode: 200, Payload: json.RawMessage(`{}`)}}
	path := u.Path
	switch u.Protocol {
	case model.ProtoGRPC:
		svc, method, _ := strings.Cut(strings.TrimPrefix(path, "/"), "/")
		m.GRPC = &model.GRPCContext{Service: svc, Method: method}
		m.Response.StatusCode = 0
	case model.ProtoKafka:
		m.Kafka = &model.KafkaContext{Topic: path}
		m.Response.StatusCode = 0
	case model.ProtoRabbitMQ:
		m.RabbitMQ = &model.RabbitMQContext{Queue: path}
		m.Response.StatusCode = 0
	case model.ProtoSMTP:
		m.SMTP = &model.SMTPContext{ServerName: path}
		m.Response.StatusCode = 250
	case model.ProtoSocket:
		m.Socket = &model.SocketContext{Event: path}
		m.Response.StatusCode = 0
	case model.ProtoMCP:
		m.MCP = &model.MCPContext{Method: "tools/call", Tool: path}
		m.Response.Payload = json.RawMessage(`{"content":[{"type":"text","text":"ok"}]}`)
	case model.ProtoGraphQL:
		m.GraphQL = &model.GraphQLContext{Operation: strings.ToLower(u.Method), Field: path}
	case model.ProtoSOAP:
		m.SOAP = &model.SOAPContext{Path: ensureSlash(path), Action: u.Method}
	case model.ProtoSSE:
		m.SSE = &model.SSEContext{EventPath: ensureSlash(path)}
	default:
		m.HTTP = &model.HTTPContext{Route: ensureSlash(path), HTTPMethod: strings.ToUpper(u.Method)}
	}
	return m
}

func ensureSlash(p string) string {
	if !strings.HasPrefix(p, "/") {
		return "/" + p
	}
	return p
}
