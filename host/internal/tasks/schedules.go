package tasks

import (
	"context"

	"github.com/hashicorp/go-hclog"
)

// Schedules fires one tool's stored schedules (of type S) on a Cron: the
// stored ones are put in when it starts, Sync and Forget follow their
// edits, and each firing calls the tool's fire with the schedule's id.
// A nil *Schedules does nothing, so a server without scheduling can call
// it anyway.
type Schedules[S any] struct {
	cron *Cron
	of   func(*S) (id, expr string, enabled bool)
}

// NewSchedules loads the schedules list gives and fires them until Stop;
// of reads a schedule's id, cron expression and enabled flag; runs it
// starts live in base.
func NewSchedules[S any](ctx, base context.Context, log hclog.Logger, list func(ctx context.Context) ([]S, error),
	of func(*S) (id, expr string, enabled bool), fire func(ctx context.Context, id string) error) *Schedules[S] {
	s := &Schedules[S]{cron: NewCron(base, log, fire), of: of}
	all, err := list(ctx)
	if err != nil && log != nil {
		log.Warn("loading schedules", "error", err)
	}
	for i := range all {
		s.Sync(&all[i])
	}
	return s
}

// Sync puts a schedule's current state into the timetable.
func (s *Schedules[S]) Sync(sc *S) {
	if s != nil {
		id, expr, enabled := s.of(sc)
		s.cron.Set(id, expr, enabled)
	}
}

// Forget takes a deleted schedule out.
func (s *Schedules[S]) Forget(id string) {
	if s != nil {
		s.cron.Forget(id)
	}
}

// Stop stops firing (runs already started go on).
func (s *Schedules[S]) Stop() {
	if s != nil {
		s.cron.Stop()
	}
}
