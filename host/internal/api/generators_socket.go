package api

import (
	"encoding/json"
	"regexp"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/mockarty-oss/mockarty/host/internal/generate/asyncapigen"
	"github.com/mockarty-oss/mockarty/host/internal/model"
)

// The socket generator: WebSocket, TCP and UDP mocks from an AsyncAPI
// document (2.x or 3.x, JSON or YAML) or a plain event list, sent as JSON
// ({spec, url, namespace, pathPrefix, serverName}, as the SDKs send it,
// with idPrefix, eventField and events besides), as a multipart form with
// the file in "file", or as the raw document.

func (s *server) socketGeneratorRoutes(v1 fiber.Router) {
	v1.Post("/generators/socket/preview", s.generateSocket(true))
	v1.Post("/generators/socket", s.generateSocket(false))
}

func (s *server) generateSocket(preview bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		var b struct {
			Namespace string `json:"namespace"`
			Spec      string `json:"spec"`
			URL       string `json:"url"`
			// PathPrefix is part of the SDKs' request; sockets have no
			// paths (the WebSocket path is the listener's setting).
			PathPrefix string `json:"pathPrefix"`
			ServerName string `json:"serverName"`
			IDPrefix   string `json:"idPrefix"`
			// EventField is the socket listener's eventField, when it is
			// not "event".
			EventField string `json:"eventField"`
			// Events is the plain event list, instead of spec.
			Events json.RawMessage `json:"events"`
			Name   string          `json:"name"`
		}
		ns, err := s.genStart(c, preview, &b, uploadDoc{field: "spec", name: "name"}, func() genTarget {
			return genTarget{Namespace: b.Namespace, IDPrefix: b.IDPrefix, ServerName: b.ServerName}
		})
		if err != nil {
			return err
		}
		if b.EventField != "" && !eventFieldPattern.MatchString(b.EventField) {
			return fieldErr("eventField", "must be a field name or a dotted path to one (data.type)")
		}
		hasSpec, hasEvents := strings.TrimSpace(b.Spec) != "", len(b.Events) > 0 && string(b.Events) != "null"
		spec := []byte(b.Spec)
		switch {
		case !hasSpec && b.URL == "" && !hasEvents:
			return fieldErr("spec", "is required: the AsyncAPI document (JSON or YAML), as spec, as the multipart file or by url; or an event list as events")
		case hasEvents && (hasSpec || b.URL != ""):
			return fieldErr("events", "give events, spec or url, not two of them")
		case hasSpec && b.URL != "":
			return fieldErr("url", "give spec or url, not both")
		case hasEvents:
			spec, _ = json.Marshal(map[string]json.RawMessage{"events": b.Events})
		case b.URL != "":
			if spec, err = s.fetchSpec(c.UserContext(), b.URL); err != nil {
				return genErr(err)
			}
		}
		res, err := asyncapigen.Generate(asyncapigen.Input{Namespace: ns, IDPrefix: b.IDPrefix, ServerName: b.ServerName,
			EventField: b.EventField, Spec: spec})
		if err != nil {
			return genErr(err)
		}
		warnings := res.Warnings
		if b.PathPrefix != "" {
			warnings = append([]string{"pathPrefix does not apply to socket mocks (the WebSocket path is the socket listener's setting); ignored"}, warnings...)
		}
		return s.merge(c, ns, res.Mocks, preview, socketIdentity, warnings...)
	}
}

var eventFieldPattern = regexp.MustCompile(`^[A-Za-z0-9_$-]+(\.[A-Za-z0-9_$-]+)*$`)

// socketIdentity: a generated socket mock owns its event, its socket type
// and its server; conditions and the reply are the user's to edit.
var socketIdentity = identity{
	same: func(cur, g *model.Mock) bool {
		return cur.Socket != nil && cur.Socket.Event == g.Socket.Event && cur.Socket.SocketType == g.Socket.SocketType &&
			cur.Socket.ServerName == g.Socket.ServerName
	},
	adopt: func(cur, g *model.Mock) *model.Mock {
		ctx := model.SocketContext{}
		if cur.Socket != nil {
			ctx = *cur.Socket // keeps conditions
		}
		ctx.Event, ctx.SocketType, ctx.ServerName = g.Socket.Event, g.Socket.SocketType, g.Socket.ServerName
		cur.Socket = &ctx
		return cur
	},
	describe: func(g *model.Mock) fiber.Map {
		out := fiber.Map{"event": g.Socket.Event}
		if g.Socket.SocketType != "" {
			out["socketType"] = g.Socket.SocketType
		}
		if g.Socket.ServerName != "" {
			out["serverName"] = g.Socket.ServerName
		}
		return out
	},
}
