package api

import (
	"context"
	"net/http"

	"github.com/gofiber/fiber/v2"
	"github.com/mockarty-oss/mockarty/host/internal/auth"
	"github.com/mockarty-oss/mockarty/host/internal/perf"
)

// Perf schedules (model-tools §2.5): a perf config run on a cron expression.
func (s *server) perfScheduleRoutes(v1 fiber.Router) {
	v1.Get("/perf-schedules", s.listPerfSchedules)
	v1.Post("/perf-schedules", s.createPerfSchedule)
	v1.Get("/perf-schedules/:id", s.getPerfSchedule)
	v1.Put("/perf-schedules/:id", s.updatePerfSchedule)
	v1.Delete("/perf-schedules/:id", s.deletePerfSchedule)
}

func (s *server) needPerfSchedule(c *fiber.Ctx, a auth.Action) (*perf.Schedule, error) {
	return needIn(c, "perf schedule", param(c, "id"), s.perfSvc().Schedule, func(sc *perf.Schedule) string { return sc.Namespace }, a)
}

func (s *server) listPerfSchedules(c *fiber.Ctx) error { return listTester(c, s.perfSvc().Schedules) }

func (s *server) createPerfSchedule(c *fiber.Ctx) error {
	var sc perf.Schedule
	if err := s.decodeJSON(c, &sc); err != nil {
		return err
	}
	ns := sc.Namespace
	if ns == "" {
		if cfg, err := s.perfSvc().Config(c.UserContext(), sc.ConfigID); err == nil {
			ns = cfg.Namespace // the Go SDK sends no namespace: the config's
		}
	}
	ns, err := namespaceFor(c, ns, auth.Write)
	if err != nil {
		return err
	}
	sc.Namespace = ns
	out, err := s.perfSvc().CreateSchedule(c.UserContext(), &sc)
	if err != nil {
		return err
	}
	s.PerfScheduler.Sync(out)
	return c.Status(http.StatusCreated).JSON(out)
}

func (s *server) getPerfSchedule(c *fiber.Ctx) error {
	sc, err := s.needPerfSchedule(c, auth.Read)
	if err != nil {
		return err
	}
	return c.JSON(sc)
}

func (s *server) updatePerfSchedule(c *fiber.Ctx) error {
	sc, err := s.needPerfSchedule(c, auth.Write)
	if err != nil {
		return err
	}
	return updated(s, c, sc.ID, func(ctx context.Context, id string, body []byte) (*perf.Schedule, error) {
		out, err := s.perfSvc().UpdateSchedule(ctx, id, body)
		if err == nil {
			s.PerfScheduler.Sync(out)
		}
		return out, err
	})
}

func (s *server) deletePerfSchedule(c *fiber.Ctx) error {
	sc, err := s.needPerfSchedule(c, auth.Write)
	if err != nil {
		return err
	}
	if err := s.perfSvc().DeleteSchedule(c.UserContext(), sc.ID); err != nil {
		return err
	}
	s.PerfScheduler.Forget(sc.ID)
	return removed(c, sc.ID)
}
