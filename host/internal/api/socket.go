package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/mockarty-oss/mockarty/host/internal/auth"
	"github.com/mockarty-oss/mockarty/host/internal/model"
	"github.com/mockarty-oss/mockarty/host/internal/plugins"
	"github.com/mockarty-oss/mockarty/sdk"
)

// The socket plugin's open connections, through its actions (sdk.Caller):
// POST /api/v1/socket/push sends a message to one or all connections of a
// server; GET /api/v1/socket/connections lists them.
func (s *server) socketRoutes(v1 fiber.Router) {
	v1.Post("/socket/push", s.socketPush)
	v1.Get("/socket/connections", s.socketConnections)
}

const socketPluginName = "socket"

// socketServer and socketConnection are what the plugin's "connections"
// action answers.
type socketServer struct {
	ServerName string   `json:"serverName"`
	Namespace  string   `json:"namespace"`
	Addresses  []string `json:"addresses"`
}

type socketConnection struct {
	ID          string `json:"id"`
	ServerName  string `json:"serverName"`
	Namespace   string `json:"namespace"`
	Transport   string `json:"transport"`
	RemoteAddr  string `json:"remoteAddr"`
	ConnectedAt string `json:"connectedAt"`
}

type socketConnections struct {
	Servers     []socketServer     `json:"servers"`
	Connections []socketConnection `json:"connections"`
}

// socketPushResult is what the plugin's "push" action answers.
type socketPushResult struct {
	ServerName    string            `json:"serverName"`
	Namespace     string            `json:"namespace"`
	Sent          int               `json:"sent"`
	ConnectionIDs []string          `json:"connectionIds"`
	Failed        []json.RawMessage `json:"failed,omitempty"`
	NotOpen       bool              `json:"notOpen,omitempty"`
}

// callSocket runs an action of the socket plugin and decodes its answer.
func (s *server) callSocket(ctx context.Context, action string, params, out any) error {
	if s.Plugins == nil {
		return fmt.Errorf("plugin %q: %w", socketPluginName, plugins.ErrUnknown)
	}
	p, err := json.Marshal(params)
	if err != nil {
		return err
	}
	res, err := s.Plugins.Call(ctx, socketPluginName, action, p)
	switch {
	// errors.go maps these to 404 and 409.
	case errors.Is(err, plugins.ErrUnknown), errors.Is(err, plugins.ErrNotRunning):
		return fmt.Errorf("plugin %q: %w", socketPluginName, err)
	case errors.Is(err, sdk.ErrUnknownAction):
		return fmt.Errorf("plugin %q, action %q: %w", socketPluginName, action, err)
	case err != nil:
		return apiErr(http.StatusBadGateway, CodeUnavailable, "the socket plugin failed: %v", err)
	}
	if err := json.Unmarshal(res, out); err != nil {
		return apiErr(http.StatusBadGateway, CodeUnavailable, "the socket plugin answered %s with unreadable JSON: %v", action, err)
	}
	return nil
}

// socketServerNamed finds a server of the plugin and its namespace.
func (s *server) socketServerNamed(c *fiber.Ctx, name string) (*socketConnections, *socketServer, error) {
	var list socketConnections
	if err := s.callSocket(c.UserContext(), "connections", fiber.Map{"serverName": name}, &list); err != nil {
		return nil, nil, err
	}
	for i := range list.Servers {
		if list.Servers[i].ServerName == name {
			return &list, &list.Servers[i], nil
		}
	}
	return nil, nil, notFoundErr("no socket server named %q (the socket plugin's servers are its settings: see GET /api/v1/plugins)", name)
}

func validServerName(field, v string) error {
	if len(v) > 200 || !model.PlainText(v) {
		e := badRequest("%s must be plain text of at most 200 characters", field)
		e.Field = field
		return e
	}
	return nil
}

// socketConnections lists open connections: of one server (read access to
// its namespace), or of every server whose namespace the caller may read.
func (s *server) socketConnections(c *fiber.Ctx) error {
	name := strings.TrimSpace(c.Query("serverName"))
	if err := validServerName("serverName", name); err != nil {
		return err
	}
	var list socketConnections
	if name != "" {
		got, srv, err := s.socketServerNamed(c, name)
		if err != nil {
			return err
		}
		if err := need(c, srv.Namespace, auth.Read); err != nil {
			return err
		}
		list = *got
	} else if err := s.callSocket(c.UserContext(), "connections", fiber.Map{}, &list); err != nil {
		return err
	}
	p := principal(c)
	servers := []socketServer{}
	for _, srv := range list.Servers {
		if p.Allows(srv.Namespace, auth.Read) {
			servers = append(servers, srv)
		}
	}
	conns := []socketConnection{}
	for _, one := range list.Connections {
		if p.Allows(one.Namespace, auth.Read) {
			conns = append(conns, one)
		}
	}
	return c.JSON(fiber.Map{"connections": conns, "total": len(conns), "servers": servers})
}

type socketPushBody struct {
	ServerName   string          `json:"serverName"`
	ConnectionID string          `json:"connectionId"`
	Data         json.RawMessage `json:"data"`
}

// socketPush sends data to one open connection of a server, or to all of
// them when connectionId is empty. It needs write access to the server's
// namespace.
func (s *server) socketPush(c *fiber.Ctx) error {
	var b socketPushBody
	if err := s.decodeJSON(c, &b); err != nil {
		return err
	}
	b.ServerName, b.ConnectionID = strings.TrimSpace(b.ServerName), strings.TrimSpace(b.ConnectionID)
	if b.ServerName == "" {
		return fieldErr("serverName", "is required: the socket server to push to")
	}
	if err := validServerName("serverName", b.ServerName); err != nil {
		return err
	}
	if err := validServerName("connectionId", b.ConnectionID); err != nil {
		return err
	}
	if d := bytes.TrimSpace(b.Data); len(d) == 0 || string(d) == "null" {
		return fieldErr("data", "is required: the message to send (a JSON string is sent as its text, other JSON as it is)")
	}
	_, srv, err := s.socketServerNamed(c, b.ServerName)
	if err != nil {
		return err
	}
	if err := need(c, srv.Namespace, auth.Write); err != nil {
		return err
	}
	var res socketPushResult
	if err := s.callSocket(c.UserContext(), "push", b, &res); err != nil {
		return err
	}
	if res.NotOpen {
		return notFoundErr("connection %q is not open on socket server %q (see GET /api/v1/socket/connections)", b.ConnectionID, b.ServerName)
	}
	if res.ConnectionIDs == nil {
		res.ConnectionIDs = []string{}
	}
	return c.JSON(res)
}
