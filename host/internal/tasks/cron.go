package tasks

import (
	"context"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/robfig/cron/v3"
)

// CronParser reads the schedules' cron expressions: five fields, or
// descriptors (@hourly, @every 10m).
var CronParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// NextRun is when a cron expression fires next after now.
func NextRun(expr string, now time.Time) (time.Time, error) {
	spec, err := CronParser.Parse(expr)
	if err != nil {
		return time.Time{}, err
	}
	return spec.Next(now), nil
}

// Cron fires one tool's schedules: entries by schedule id, each firing
// calls fire with the schedule's id (which reads the schedule fresh and
// starts its run); a run that does not start is logged.
type Cron struct {
	mu   sync.Mutex
	c    *cron.Cron
	ids  map[string]cron.EntryID
	base context.Context
	log  hclog.Logger
	fire func(ctx context.Context, id string) error
}

// NewCron starts an empty timetable; runs it starts live in base.
func NewCron(base context.Context, log hclog.Logger, fire func(ctx context.Context, id string) error) *Cron {
	if log == nil {
		log = hclog.NewNullLogger()
	}
	c := &Cron{c: cron.New(cron.WithParser(CronParser)), ids: map[string]cron.EntryID{}, base: base, log: log, fire: fire}
	c.c.Start()
	return c
}

// Set puts schedule id in the timetable, or takes it out when it is not
// enabled (or its expression does not parse: it was checked when saved).
// A nil Cron does nothing.
func (c *Cron) Set(id, expr string, enabled bool) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.ids[id]; ok {
		c.c.Remove(e)
		delete(c.ids, id)
	}
	if !enabled {
		return
	}
	spec, err := CronParser.Parse(expr)
	if err != nil {
		return
	}
	c.ids[id] = c.c.Schedule(spec, cron.FuncJob(func() {
		if err := c.fire(c.base, id); err != nil {
			c.log.Warn("scheduled run did not start", "schedule", id, "error", err)
		}
	}))
}

// Forget takes a deleted schedule out (nil-safe).
func (c *Cron) Forget(id string) { c.Set(id, "", false) }

// Stop stops firing (runs already started go on).
func (c *Cron) Stop() { <-c.c.Stop().Done() }
