package api

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/mockarty-oss/mockarty/host/internal/generate"
	"github.com/mockarty-oss/mockarty/host/internal/generate/openapigen"
	"github.com/mockarty-oss/mockarty/host/internal/model"
	"github.com/mockarty-oss/mockarty/host/internal/openapi"
)

// The OpenAPI generator: Swagger 2.0, OpenAPI 3.0 and 3.1, sent as JSON
// ({spec, url, namespace, pathPrefix, serverName}, as the SDKs send it) or
// as a multipart form with the file in "file" (as curl and the CLI do).
// With validateRequests the description is also registered in the
// namespace's OpenAPI registry and every mock checks its requests against
// its operation (http.validateRequest).

func (s *server) openapiGeneratorRoutes(v1 fiber.Router) {
	v1.Post("/generators/openapi/preview", s.generateOpenAPI(true))
	v1.Post("/generators/openapi", s.generateOpenAPI(false))
	// The integrations guide's import form (under /ui/api like every route).
	v1.Post("/openapi/import", s.generateOpenAPI(false))
}

func (s *server) generateOpenAPI(preview bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		var b struct {
			Namespace  string `json:"namespace"`
			Spec       string `json:"spec"`
			URL        string `json:"url"`
			PathPrefix string `json:"pathPrefix"`
			ServerName string `json:"serverName"`
			IDPrefix   string `json:"idPrefix"`
			Name       string `json:"name"`
			// ValidateRequests registers the spec (as Name, else
			// openapi-<namespace>.json or .yaml) and has every mock
			// validate its requests against it.
			ValidateRequests bool `json:"validateRequests"`
		}
		ns, err := s.genStart(c, preview, &b, uploadDoc{field: "spec", name: "name"}, func() genTarget {
			return genTarget{Namespace: b.Namespace, IDPrefix: b.IDPrefix, ServerName: b.ServerName, PathPrefix: b.PathPrefix}
		})
		if err != nil {
			return err
		}
		spec := []byte(b.Spec)
		switch {
		case strings.TrimSpace(b.Spec) == "" && b.URL == "":
			return fieldErr("spec", "is required: the OpenAPI document (JSON or YAML), as spec, as the multipart file, or by url")
		case strings.TrimSpace(b.Spec) != "" && b.URL != "":
			return fieldErr("url", "give spec or url, not both")
		case b.URL != "":
			if spec, err = s.fetchSpec(c.UserContext(), b.URL); err != nil {
				return genErr(err)
			}
		}
		if !b.ValidateRequests && c.Query("validateRequests") == "true" {
			b.ValidateRequests = true // the raw document, with the fields in the query
		}
		specName := ""
		if b.ValidateRequests {
			if specName, err = openapiSpecName(b.Name, ns, spec); err != nil {
				return err
			}
		}
		doc, err := openapi.Load(c.UserContext(), spec)
		if err != nil {
			return genErr(err)
		}
		res, err := openapigen.Generate(openapigen.Input{Namespace: ns, IDPrefix: b.IDPrefix, ServerName: b.ServerName,
			PathPrefix: b.PathPrefix, Doc: doc, ValidateSpec: specName})
		if err != nil {
			return genErr(err)
		}
		if specName != "" && !preview {
			// Registered before the mocks are saved, so none of them answers
			// a request unchecked; it loaded above, so it is not checked again.
			if _, _, err := s.putDocument(c, openapiRegistry, ns, specName, string(spec), false); err != nil {
				return err
			}
		}
		return s.merge(c, ns, res.Mocks, preview, openapiIdentity, res.Warnings...)
	}
}

// openapiSpecName is the name the description is registered under: the
// request's name (the uploaded file's), else openapi-<namespace> with the
// ending of what it is (.json for a JSON document, .yaml otherwise).
func openapiSpecName(name, ns string, spec []byte) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		name = "openapi-" + ns + ".yaml"
		if t := bytes.TrimLeft(spec, " \t\r\n\xef\xbb\xbf"); len(t) > 0 && t[0] == '{' {
			name = "openapi-" + ns + ".json"
		}
	}
	return openapiRegistry.checkName(name)
}

// fetchSpec reads a description from a URL, keeping to the addresses the
// configuration allows and to openapi.MaxSpecBytes.
func (s *server) fetchSpec(ctx context.Context, raw string) ([]byte, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, generate.Inputf("url", "must be an http or https URL")
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, generate.Inputf("url", "%v", err)
	}
	req.Header.Set("Accept", "application/json, application/yaml, text/yaml, */*")
	resp, err := s.outboundClient().Do(req)
	if err != nil {
		return nil, &generate.UpstreamError{Source: raw, Err: err}
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return nil, &generate.UpstreamError{Source: raw, Err: fmt.Errorf("answered %s", resp.Status)}
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, openapi.MaxSpecBytes+1))
	if err != nil {
		return nil, &generate.UpstreamError{Source: raw, Err: err}
	}
	return body, nil
}

// openapiIdentity: route, method, pathPrefix and serverName are the
// generator's, and validateRequest when the run validates requests; a run
// without validateRequests leaves a mock's validateRequest as it is (it
// may have been set by hand).
var openapiIdentity = identity{
	same: func(cur, g *model.Mock) bool {
		return cur.HTTP != nil && cur.HTTP.Route == g.HTTP.Route && cur.HTTP.RoutePattern == g.HTTP.RoutePattern &&
			cur.HTTP.HTTPMethod == g.HTTP.HTTPMethod && cur.PathPrefix == g.PathPrefix && cur.ServerName == g.ServerName &&
			(g.HTTP.ValidateRequest == nil || (cur.HTTP.ValidateRequest != nil && *cur.HTTP.ValidateRequest == *g.HTTP.ValidateRequest))
	},
	adopt: func(cur, g *model.Mock) *model.Mock {
		ctx := model.HTTPContext{}
		if cur.HTTP != nil {
			ctx = *cur.HTTP // keeps conditions
		}
		ctx.Route, ctx.RoutePattern, ctx.HTTPMethod = g.HTTP.Route, g.HTTP.RoutePattern, g.HTTP.HTTPMethod
		if v := g.HTTP.ValidateRequest; v != nil {
			vr := *v
			ctx.ValidateRequest = &vr
		}
		cur.HTTP, cur.PathPrefix, cur.ServerName = &ctx, g.PathPrefix, g.ServerName
		return cur
	},
	describe: func(g *model.Mock) fiber.Map {
		out := fiber.Map{"method": g.HTTP.HTTPMethod, "route": g.PathPrefix + g.HTTP.Route}
		if g.HTTP.RoutePattern != "" {
			out["route"] = g.HTTP.RoutePattern
		}
		if g.Response != nil {
			out["statusCode"] = g.Response.StatusCode
		}
		return out
	},
}
