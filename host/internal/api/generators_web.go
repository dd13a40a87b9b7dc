package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"sort"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/mockarty-oss/mockarty/host/internal/auth"
	"github.com/mockarty-oss/mockarty/host/internal/generate"
	"github.com/mockarty-oss/mockarty/host/internal/generate/graphqlgen"
	"github.com/mockarty-oss/mockarty/host/internal/generate/mcpgen"
	"github.com/mockarty-oss/mockarty/host/internal/generate/soapgen"
	"github.com/mockarty-oss/mockarty/host/internal/model"
	"github.com/mockarty-oss/mockarty/sdk/outbound"
)

// Generators for the protocols served over HTTP: GraphQL from an SDL,
// SOAP from a WSDL, MCP from a live server's lists or a JSON description.
// They share the smart merge of the gRPC generator (generators.go).

func (s *server) webGeneratorRoutes(v1 fiber.Router) {
	for _, preview := range []bool{true, false} {
		suffix := ""
		if preview {
			suffix = "/preview"
		}
		v1.Post("/generators/graphql"+suffix, s.generateGraphQL(preview))
		v1.Post("/generators/soap"+suffix, s.generateSOAP(preview))
		v1.Post("/generators/mcp"+suffix, s.generateMCP(preview))
	}
}

// genErr maps a generator's error to the API's: bad input 422, an
// unreachable source 502.
func genErr(err error) error {
	var ie *generate.InputError
	var ue *generate.UpstreamError
	switch {
	case errors.As(err, &ie):
		return fieldErr(ie.Field, "%s", ie.Message)
	case errors.As(err, &ue):
		return apiErr(http.StatusBadGateway, CodeUnavailable, "%v", ue)
	}
	return err
}

// genTarget is what every generator request says about where its mocks go.
type genTarget struct {
	Namespace, IDPrefix, ServerName, PathPrefix string
}

// genStart reads a generator's request (doc says where its document goes),
// checks the caller may use the namespace and checks the target's fields
// (target reads them from the decoded body).
func (s *server) genStart(c *fiber.Ctx, preview bool, body any, doc uploadDoc, target func() genTarget) (string, error) {
	if err := s.decodeUpload(c, body, doc); err != nil {
		return "", err
	}
	t := target()
	action := auth.Write
	if preview {
		action = auth.Read
	}
	ns, err := namespaceFor(c, t.Namespace, action)
	if err != nil {
		return "", err
	}
	switch {
	case t.IDPrefix != "" && !model.NamePattern.MatchString(t.IDPrefix):
		return "", fieldErr("idPrefix", "use letters, digits, '.', '_' or '-'")
	case t.ServerName != "" && !model.NamePattern.MatchString(t.ServerName):
		return "", fieldErr("serverName", "use letters, digits, '.', '_' or '-'")
	case t.PathPrefix != "" && !strings.HasPrefix(t.PathPrefix, "/"):
		return "", fieldErr("pathPrefix", "must start with '/'")
	}
	return ns, nil
}

func (s *server) generateGraphQL(preview bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		var b struct {
			Namespace string `json:"namespace"`
			IDPrefix  string `json:"idPrefix"`
			Path      string `json:"path"`
			SDL       string `json:"sdl"`
			Name      string `json:"name"`
		}
		ns, err := s.genStart(c, preview, &b, uploadDoc{field: "sdl", name: "name"}, func() genTarget { return genTarget{Namespace: b.Namespace, IDPrefix: b.IDPrefix} })
		if err != nil {
			return err
		}
		if b.Path != "" && !strings.HasPrefix(b.Path, "/") {
			return fieldErr("path", "must start with '/'")
		}
		sdl := map[string]string{}
		if strings.TrimSpace(b.SDL) != "" {
			name := b.Name
			if name == "" {
				name = "schema.graphql"
			}
			sdl[name] = b.SDL
		} else {
			set, _, err := s.docSet(c, graphqlRegistry, ns)
			if err != nil {
				return err
			}
			if len(set) == 0 {
				return fieldErr("sdl", "is required: the schema's SDL, or register it at /api/v1/graphql/schemas in namespace %q", ns)
			}
			sdl = set
		}
		mocks, err := graphqlgen.Generate(graphqlgen.Input{Namespace: ns, IDPrefix: b.IDPrefix, Path: b.Path, SDL: sdl})
		if err != nil {
			return genErr(err)
		}
		if len(mocks) == 0 {
			return fieldErr("sdl", "the schema has no root fields to mock")
		}
		return s.merge(c, ns, mocks, preview, graphqlIdentity)
	}
}

var graphqlIdentity = identity{
	same: func(cur, g *model.Mock) bool {
		return cur.GraphQL != nil && cur.GraphQL.Operation == g.GraphQL.Operation && cur.GraphQL.Field == g.GraphQL.Field &&
			cur.GraphQL.Path == g.GraphQL.Path
	},
	adopt: func(cur, g *model.Mock) *model.Mock {
		ctx := model.GraphQLContext{}
		if cur.GraphQL != nil {
			ctx = *cur.GraphQL
		}
		ctx.Operation, ctx.Field, ctx.Path = g.GraphQL.Operation, g.GraphQL.Field, g.GraphQL.Path
		if ctx.Type == "" {
			ctx.Type = g.GraphQL.Type
		}
		cur.GraphQL = &ctx
		return cur
	},
	describe: func(g *model.Mock) fiber.Map {
		return fiber.Map{"operation": g.GraphQL.Operation, "field": g.GraphQL.Field, "path": g.GraphQL.Path}
	},
}

func (s *server) generateSOAP(preview bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		var b struct {
			Namespace string `json:"namespace"`
			IDPrefix  string `json:"idPrefix"`
			Service   string `json:"service"`
			WSDL      string `json:"wsdl"`
			WSDLName  string `json:"wsdlName"`
		}
		ns, err := s.genStart(c, preview, &b, uploadDoc{field: "wsdl"}, func() genTarget { return genTarget{Namespace: b.Namespace, IDPrefix: b.IDPrefix} })
		if err != nil {
			return err
		}
		src := b.WSDL
		if strings.TrimSpace(src) == "" {
			set, _, err := s.docSet(c, wsdlRegistry, ns)
			if err != nil {
				return err
			}
			switch {
			case b.WSDLName != "":
				var ok bool
				if src, ok = set[b.WSDLName]; !ok {
					return notFoundErr("WSDL %q is not registered in namespace %q (upload it to /api/v1/soap/wsdls, or send it as wsdl)", b.WSDLName, ns)
				}
			case len(set) == 1:
				for _, v := range set {
					src = v
				}
			case len(set) == 0:
				return fieldErr("wsdl", "is required: the WSDL document, or wsdlName of one registered at /api/v1/soap/wsdls")
			default:
				names := make([]string, 0, len(set))
				for n := range set {
					names = append(names, n)
				}
				sort.Strings(names)
				return fieldErr("wsdlName", "namespace %q has %d WSDLs (%s): name one", ns, len(set), strings.Join(names, ", "))
			}
		}
		mocks, err := soapgen.Generate(soapgen.Input{Namespace: ns, IDPrefix: b.IDPrefix, Service: b.Service, WSDL: src})
		if err != nil {
			return genErr(err)
		}
		if len(mocks) == 0 {
			return fieldErr("wsdl", "no SOAP operations to generate from (service filter %q)", b.Service)
		}
		return s.merge(c, ns, mocks, preview, soapIdentity)
	}
}

var soapIdentity = identity{
	same: func(cur, g *model.Mock) bool {
		return cur.SOAP != nil && cur.SOAP.Service == g.SOAP.Service && cur.SOAP.Method == g.SOAP.Method &&
			cur.SOAP.Action == g.SOAP.Action && cur.SOAP.Path == g.SOAP.Path
	},
	adopt: func(cur, g *model.Mock) *model.Mock {
		ctx := model.SOAPContext{}
		if cur.SOAP != nil {
			ctx = *cur.SOAP
		}
		ctx.Service, ctx.Method, ctx.Action, ctx.Path = g.SOAP.Service, g.SOAP.Method, g.SOAP.Action, g.SOAP.Path
		cur.SOAP = &ctx
		return cur
	},
	describe: func(g *model.Mock) fiber.Map {
		return fiber.Map{"service": g.SOAP.Service, "method": g.SOAP.Method, "action": g.SOAP.Action, "path": g.SOAP.Path}
	},
}

func (s *server) generateMCP(preview bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		var b struct {
			Namespace  string            `json:"namespace"`
			ServerName string            `json:"serverName"`
			IDPrefix   string            `json:"idPrefix"`
			URL        string            `json:"url"`
			Transport  string            `json:"transport"`
			Headers    map[string]string `json:"headers"`
			Spec       json.RawMessage   `json:"spec"`
		}
		ns, err := s.genStart(c, preview, &b, uploadDoc{field: "spec"}, func() genTarget {
			return genTarget{Namespace: b.Namespace, IDPrefix: b.IDPrefix, ServerName: b.ServerName}
		})
		if err != nil {
			return err
		}
		switch {
		case b.URL == "" && len(b.Spec) == 0:
			return fieldErr("url", "is required: a live MCP server's URL, or spec with its tool list")
		case b.URL != "" && len(b.Spec) > 0:
			return fieldErr("url", "give url or spec, not both")
		}
		switch b.Transport {
		case "", "http", "sse":
		default:
			return fieldErr("transport", "must be http (streamable HTTP) or sse")
		}
		mocks, err := mcpgen.Generate(c.UserContext(), mcpgen.Input{Namespace: ns, ServerName: b.ServerName, IDPrefix: b.IDPrefix,
			URL: b.URL, Transport: b.Transport, Headers: b.Headers, Spec: b.Spec, HTTPClient: s.outboundClient()})
		if err != nil {
			return genErr(err)
		}
		if len(mocks) == 0 {
			return fieldErr("spec", "the server offers no tools, resources or prompts")
		}
		return s.merge(c, ns, mocks, preview, mcpIdentity)
	}
}

// jsonEqual compares two documents by value (a database may store JSON
// with its keys in another order).
func jsonEqual(a, b json.RawMessage) bool {
	if len(a) == 0 || len(b) == 0 {
		return len(a) == len(b)
	}
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return string(a) == string(b)
	}
	return reflect.DeepEqual(x, y)
}

// outboundClient is one client for live sources (its idle connections are
// reused), keeping to the addresses the configuration allows.
func (s *server) outboundClient() *http.Client {
	s.outboundOnce.Do(func() { s.outbound = outbound.NewClient(s.AllowPrivateProxy) })
	return s.outbound
}

var mcpIdentity = identity{
	same: func(cur, g *model.Mock) bool {
		return cur.MCP != nil && cur.MCP.Method == g.MCP.Method && cur.MCP.Tool == g.MCP.Tool && cur.MCP.Resource == g.MCP.Resource &&
			cur.MCP.Prompt == g.MCP.Prompt && cur.ServerName == g.ServerName && jsonEqual(cur.MCP.InputSchema, g.MCP.InputSchema) &&
			cur.MCP.Description == g.MCP.Description && cur.MCP.MimeType == g.MCP.MimeType
	},
	adopt: func(cur, g *model.Mock) *model.Mock {
		ctx := model.MCPContext{}
		if cur.MCP != nil {
			ctx = *cur.MCP
		}
		ctx.Method, ctx.Tool, ctx.Resource, ctx.Prompt = g.MCP.Method, g.MCP.Tool, g.MCP.Resource, g.MCP.Prompt
		ctx.InputSchema, ctx.Description, ctx.MimeType = g.MCP.InputSchema, g.MCP.Description, g.MCP.MimeType
		cur.MCP, cur.ServerName = &ctx, g.ServerName
		return cur
	},
	describe: func(g *model.Mock) fiber.Map {
		out := fiber.Map{"method": g.MCP.Method}
		switch {
		case g.MCP.Resource != "":
			out["resource"] = g.MCP.Resource
		case g.MCP.Prompt != "":
			out["prompt"] = g.MCP.Prompt
		default:
			out["tool"] = g.MCP.Tool
		}
		return out
	},
}
