package api

import (
	"bytes"
	"encoding/csv"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/mockarty-oss/mockarty/host/internal/store"
)

// Audit trail (admin).

func auditJSON(e *store.AuditEvent) fiber.Map {
	return fiber.Map{"id": e.ID, "at": e.AtMs, "time": time.UnixMilli(e.AtMs).UTC().Format(time.RFC3339Nano),
		"actorId": e.ActorID, "actor": e.Actor, "action": e.Action, "target": e.Target, "namespace": e.Namespace,
		"detail": e.Detail, "ip": e.IP, "success": e.Success}
}

func (s *server) auditEvents(c *fiber.Ctx) ([]store.AuditEvent, error) {
	if err := s.adminPrelude(c); err != nil {
		return nil, err
	}
	limit, err := intQuery(c, "limit", 200)
	if err != nil {
		return nil, err
	}
	if limit <= 0 || limit > 10000 {
		limit = 10000
	}
	since, err := intQuery(c, "since", 0)
	if err != nil {
		return nil, err
	}
	return s.Auth.Store().Audit(c.UserContext(), store.AuditFilter{Action: c.Query("action"),
		ActorID: c.Query("actorId"), Since: int64(since), Limit: limit})
}

func (s *server) listAudit(c *fiber.Ctx) error {
	events, err := s.auditEvents(c)
	if err != nil {
		return err
	}
	out := make([]fiber.Map, 0, len(events))
	for i := range events {
		out = append(out, auditJSON(&events[i]))
	}
	return c.JSON(fiber.Map{"events": out, "total": len(out)})
}

func (s *server) exportAudit(c *fiber.Ctx) error {
	events, err := s.auditEvents(c)
	if err != nil {
		return err
	}
	switch c.Query("format", "json") {
	case "json":
		out := make([]fiber.Map, 0, len(events))
		for i := range events {
			out = append(out, auditJSON(&events[i]))
		}
		return c.JSON(out)
	case "csv":
		var buf bytes.Buffer
		w := csv.NewWriter(&buf)
		_ = w.Write([]string{"id", "time", "actor", "action", "target", "namespace", "detail", "ip", "success"})
		for _, e := range events {
			_ = w.Write([]string{strconv.FormatInt(e.ID, 10), time.UnixMilli(e.AtMs).UTC().Format(time.RFC3339),
				e.Actor, e.Action, e.Target, e.Namespace, e.Detail, e.IP, strconv.FormatBool(e.Success)})
		}
		w.Flush()
		c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
		return c.Send(buf.Bytes())
	}
	return badRequest("format must be json or csv")
}
