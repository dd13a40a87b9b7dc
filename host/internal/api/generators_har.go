package api

import (
	"encoding/json"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/mockarty-oss/mockarty/host/internal/generate/hargen"
	"github.com/mockarty-oss/mockarty/host/internal/model"
)

// The HAR generator: mocks from a recorded HAR 1.2 file (browser devtools,
// Playwright, proxies), sent as JSON ({harContent or spec, namespace,
// pathPrefix, serverName, idPrefix, oneOf}), as a multipart form with the
// file in "file", or as the raw file.

func (s *server) harGeneratorRoutes(v1 fiber.Router) {
	v1.Post("/generators/har/preview", s.generateHAR(true))
	v1.Post("/generators/har", s.generateHAR(false))
}

func (s *server) generateHAR(preview bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		var b struct {
			Namespace string `json:"namespace"`
			Spec      string `json:"spec"`
			// HARContent is a synonym of spec: the file's text, or the HAR
			// object itself.
			HARContent json.RawMessage `json:"harContent"`
			PathPrefix string          `json:"pathPrefix"`
			ServerName string          `json:"serverName"`
			IDPrefix   string          `json:"idPrefix"`
			OneOf      bool            `json:"oneOf"`
			Name       string          `json:"name"`
		}
		ns, err := s.genStart(c, preview, &b, uploadDoc{field: "spec", name: "name"}, func() genTarget {
			return genTarget{Namespace: b.Namespace, IDPrefix: b.IDPrefix, ServerName: b.ServerName, PathPrefix: b.PathPrefix}
		})
		if err != nil {
			return err
		}
		har := b.Spec
		if hc := harText(b.HARContent); hc != "" {
			if strings.TrimSpace(har) != "" {
				return fieldErr("harContent", "give harContent or spec, not both")
			}
			har = hc
		}
		res, err := hargen.Generate(hargen.Input{Namespace: ns, IDPrefix: b.IDPrefix, ServerName: b.ServerName,
			PathPrefix: b.PathPrefix, OneOf: b.OneOf, HAR: []byte(har)})
		if err != nil {
			return genErr(err)
		}
		return s.merge(c, ns, res.Mocks, preview, harIdentity, res.Warnings...)
	}
}

// harText is harContent as the file's text: a JSON string holds it, a
// JSON object is it (clients that embed the parsed HAR).
func harText(raw json.RawMessage) string {
	t := strings.TrimSpace(string(raw))
	if t == "" || t == "null" {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return t
}

// harIdentity: a HAR mock's id already names its request (method, path
// and a hash of query and body), so a re-run owns only the route, method,
// prefix and server name; conditions and answers are the user's to edit.
var harIdentity = identity{
	same:  openapiIdentity.same,
	adopt: openapiIdentity.adopt,
	describe: func(g *model.Mock) fiber.Map {
		out := fiber.Map{"method": g.HTTP.HTTPMethod, "route": g.PathPrefix + g.HTTP.Route}
		if g.HTTP.RoutePattern != "" {
			out["route"] = g.HTTP.RoutePattern
		}
		if len(g.HTTP.QueryParams) > 0 || len(g.HTTP.Conditions) > 0 {
			out["conditions"] = len(g.HTTP.QueryParams) + len(g.HTTP.Conditions)
		}
		switch {
		case g.Response != nil:
			out["statusCode"] = g.Response.StatusCode
		case g.OneOf != nil:
			out["responses"] = len(g.OneOf.Responses)
		}
		return out
	},
}
