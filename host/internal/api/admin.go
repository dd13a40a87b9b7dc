package api

import "github.com/gofiber/fiber/v2"

// The admin resources live one per file: admin_users.go, admin_namespaces.go,
// admin_members.go, admin_audit.go and admin_integrations.go. adminPrelude is
// their common gate (members use memberPrelude, as namespace owners reach them too).

func (s *server) adminPrelude(c *fiber.Ctx) error {
	if err := s.needAuthService(); err != nil {
		return err
	}
	return needAdmin(c)
}
