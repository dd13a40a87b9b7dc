package api

import (
	"encoding/json"
	"errors"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/mockarty-oss/mockarty/host/internal/auth"
	"github.com/mockarty-oss/mockarty/host/internal/mail"
	"github.com/mockarty-oss/mockarty/host/internal/model"
	"github.com/mockarty-oss/mockarty/host/internal/store"
)

// Mail kept by the SMTP plugin (a mock with storeEmail), read back by tests.
func (s *server) mailRoutes(v1 fiber.Router) {
	v1.Get("/smtp/messages", s.listMail)
	v1.Delete("/smtp/messages", s.deleteNamespaceMail)
	v1.Get("/smtp/messages/:id", s.getMail)
	v1.Get("/smtp/messages/:id/raw", s.getMailRaw)
	v1.Delete("/smtp/messages/:id", s.deleteMail)
}

// mailSummary is what the plugin records with each mail.
type mailSummary struct {
	From      string
	To        []string
	Subject   string
	MessageID string
	Date      string
	Size      int64
}

// readSummary decodes a capture's summary, tolerating missing or oddly
// typed fields (a capture made through another client).
func readSummary(row *store.CaptureRow) mailSummary {
	var v map[string]any
	_ = json.Unmarshal([]byte(row.Summary), &v)
	str := func(k string) string { s, _ := v[k].(string); return s }
	out := mailSummary{From: str("from"), Subject: str("subject"), MessageID: str("messageId"), Date: str("date"),
		Size: int64(len(row.Raw)), To: []string{}}
	switch to := v["to"].(type) {
	case []any:
		for _, t := range to {
			if s, ok := t.(string); ok {
				out.To = append(out.To, s)
			}
		}
	case string:
		if to != "" {
			out.To = append(out.To, to)
		}
	}
	if n, ok := v["size"].(float64); ok && n >= 0 {
		out.Size = int64(n)
	}
	return out
}

func mailJSON(row *store.CaptureRow, sum mailSummary) fiber.Map {
	return fiber.Map{"id": row.ID, "namespace": row.Namespace, "serverName": row.ServerName, "mockId": row.MockID,
		"from": sum.From, "to": sum.To, "subject": sum.Subject, "messageId": sum.MessageID, "date": sum.Date,
		"size": sum.Size, "receivedAt": row.CreatedMs}
}

func (s *server) listMail(c *fiber.Ctx) error {
	ns, err := optionalNamespace(c)
	if err != nil {
		return err
	}
	offset, limit, err := paging(c, 100, 1000)
	if err != nil {
		return err
	}
	if ns != "" {
		if err := need(c, ns, auth.Read); err != nil {
			return err
		}
	}
	rows, total, err := s.Catalog.Store().Captures(c.UserContext(), store.CaptureFilter{Protocol: model.ProtoSMTP,
		Namespace: ns, Namespaces: readableNamespaces(c), ServerName: strings.TrimSpace(c.Query("serverName")),
		Offset: offset, Limit: limit})
	if err != nil {
		return err
	}
	out := make([]fiber.Map, 0, len(rows))
	for i := range rows {
		out = append(out, mailJSON(&rows[i], readSummary(&rows[i])))
	}
	return c.JSON(fiber.Map{"messages": out, "total": total, "offset": offset, "limit": limit})
}

// needMail loads a kept mail and checks the caller may do a in its
// namespace; another namespace's mail is not found.
func (s *server) needMail(c *fiber.Ctx, a auth.Action) (*store.CaptureRow, error) {
	id := param(c, "id")
	row, err := s.Catalog.Store().GetCapture(c.UserContext(), id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && (row.Protocol != model.ProtoSMTP || !principal(c).Allows(row.Namespace, auth.Read))) {
		return nil, notFoundErr("message %q not found", id)
	}
	if err != nil {
		return nil, err
	}
	return row, need(c, row.Namespace, a)
}

func (s *server) getMail(c *fiber.Ctx) error {
	row, err := s.needMail(c, auth.Read)
	if err != nil {
		return err
	}
	sum := readSummary(row)
	parsed := mail.Parse(row.Raw)
	if sum.Subject == "" && len(parsed.Headers["Subject"]) > 0 {
		sum.Subject = parsed.Headers["Subject"][0]
	}
	out := mailJSON(row, sum)
	out["headers"], out["text"], out["html"], out["attachments"] = parsed.Headers, parsed.Text, parsed.HTML, parsed.Attachments
	if len(parsed.Problems) > 0 {
		out["problems"] = parsed.Problems
	}
	out["raw"] = string(row.Raw)
	return c.JSON(out)
}

func (s *server) getMailRaw(c *fiber.Ctx) error {
	row, err := s.needMail(c, auth.Read)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "message/rfc822")
	c.Set(fiber.HeaderContentDisposition, `inline; filename="`+row.ID+`.eml"`)
	return c.Send(row.Raw)
}

func (s *server) deleteMail(c *fiber.Ctx) error {
	row, err := s.needMail(c, auth.Delete)
	if err != nil {
		return err
	}
	n, err := s.Catalog.Store().DeleteCaptures(c.UserContext(), row.ID, "", "")
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"deleted": n})
}

// deleteNamespaceMail removes every kept mail of a namespace (the default
// namespace when none is given, as for other namespaced resources).
func (s *server) deleteNamespaceMail(c *fiber.Ctx) error {
	ns, err := namespaceOf(c, "")
	if err != nil {
		return err
	}
	if err := need(c, ns, auth.Delete); err != nil {
		return err
	}
	n, err := s.Catalog.Store().DeleteCaptures(c.UserContext(), "", model.ProtoSMTP, ns)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"deleted": n})
}
