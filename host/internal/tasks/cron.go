package tasks

import (
	"sync"
	"time"

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

// Cron fires the schedules of this process: every tool's schedules are
// entries here, by id.
type Cron struct {
	mu  sync.Mutex
	c   *cron.Cron
	ids map[string]cron.EntryID
}

// NewCron starts an empty timetable.
func NewCron() *Cron {
	c := &Cron{c: cron.New(cron.WithParser(CronParser)), ids: map[string]cron.EntryID{}}
	c.c.Start()
	return c
}

// Set puts schedule id in the timetable to call fire, or takes it out when
// it is not enabled (or its expression does not parse: it was checked when
// saved).
func (c *Cron) Set(id, expr string, enabled bool, fire func()) {
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
	c.ids[id] = c.c.Schedule(spec, cron.FuncJob(fire))
}

// Forget takes a deleted schedule out.
func (c *Cron) Forget(id string) { c.Set(id, "", false, nil) }

// Stop stops firing (runs already started go on).
func (c *Cron) Stop() { <-c.c.Stop().Done() }
