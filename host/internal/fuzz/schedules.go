package fuzz

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/mockarty-oss/mockarty/host/internal/model"
	"github.com/mockarty-oss/mockarty/host/internal/objects"
	"github.com/mockarty-oss/mockarty/host/internal/store"
	"github.com/mockarty-oss/mockarty/host/internal/tasks"
)

// KindSchedule is the object kind of fuzz schedules.
const KindSchedule = "fuzz-schedule"

// Schedule runs a fuzz config on a cron expression (model-tools §3.4:
// the key is cronExpression, enabled is always sent, times are RFC 3339).
type Schedule struct {
	ID              string `json:"id"`
	Namespace       string `json:"namespace"`
	ConfigID        string `json:"configId"`
	Name            string `json:"name"`
	CronExpression  string `json:"cronExpression"`
	Enabled         bool   `json:"enabled"`
	NotifyOnFailure bool   `json:"notifyOnFailure"`
	NextRunAt       string `json:"nextRunAt,omitempty"`
	LastRunAt       string `json:"lastRunAt,omitempty"`
	LastRunID       string `json:"lastRunId,omitempty"`
	CreatedAt       string `json:"createdAt"`
	UpdatedAt       string `json:"updatedAt"`
}

var schedules = &objects.Kind[Schedule, *Service]{Name: KindSchedule,
	Of: func(o *store.TesterObject) (*Schedule, error) {
		var sc Schedule
		if err := objects.Decode(o, &sc); err != nil {
			return nil, err
		}
		sc.ID, sc.Namespace, sc.Enabled = o.ID, o.Namespace, o.Active
		sc.CreatedAt, sc.UpdatedAt, sc.NextRunAt = objects.ISO(o.CreatedMs), objects.ISO(o.UpdatedMs), ""
		if sc.Enabled {
			if next, err := tasks.NextRun(sc.CronExpression, time.Now()); err == nil {
				sc.NextRunAt = next.UTC().Format(time.RFC3339)
			}
		}
		return &sc, nil
	},
	Object: func(namespace string, sc *Schedule) (*store.TesterObject, error) {
		o := &store.TesterObject{Kind: KindSchedule, ID: sc.ID, Namespace: namespace, Name: sc.Name, Active: sc.Enabled}
		return o, objects.Encode(o, sc)
	},
	Owned: []string{"id", "namespace", "createdAt", "updatedAt", "nextRunAt", "lastRunAt", "lastRunId"},
	Check: func(ctx context.Context, s *Service, sc *Schedule) error { return s.checkSchedule(ctx, sc) },
}

func (s *Service) checkSchedule(ctx context.Context, sc *Schedule) error {
	sc.CronExpression = strings.TrimSpace(sc.CronExpression)
	if sc.CronExpression == "" {
		return &model.FieldError{Field: "cronExpression", Message: "is required (five fields, e.g. \"0 3 * * *\", or @daily, @every 6h)"}
	}
	if _, err := tasks.CronParser.Parse(sc.CronExpression); err != nil {
		return &model.FieldError{Field: "cronExpression", Message: err.Error()}
	}
	c, err := s.Config(ctx, sc.ConfigID)
	if err != nil || c.Namespace != sc.Namespace {
		return &model.FieldError{Field: "configId", Message: fmt.Sprintf("fuzz config %q is not in namespace %q", sc.ConfigID, sc.Namespace)}
	}
	if sc.Name == "" {
		sc.Name = c.Name
	}
	return nil
}

// Schedules lists the fuzz schedules of the namespaces.
func (s *Service) Schedules(ctx context.Context, namespace string, namespaces []string) ([]Schedule, error) {
	return schedules.List(ctx, s, store.TesterFilter{Namespace: namespace, Namespaces: namespaces})
}

// Schedule loads one fuzz schedule.
func (s *Service) Schedule(ctx context.Context, id string) (*Schedule, error) {
	return schedules.Get(ctx, s, id)
}

// CreateSchedule stores a new fuzz schedule.
func (s *Service) CreateSchedule(ctx context.Context, sc *Schedule) (*Schedule, error) {
	sc.ID, sc.LastRunAt, sc.LastRunID = "", "", ""
	return schedules.Save(ctx, s, sc.Namespace, &sc.ID, sc)
}

// UpdateSchedule merges body into a fuzz schedule.
func (s *Service) UpdateSchedule(ctx context.Context, id string, body []byte) (*Schedule, error) {
	return schedules.Update(ctx, s, id, body)
}

// DeleteSchedule removes a fuzz schedule.
func (s *Service) DeleteSchedule(ctx context.Context, id string) error {
	return schedules.Delete(ctx, s, id, "fuzz schedule")
}

// Scheduler fires fuzz schedules: each fire runs the schedule's config as
// it is saved then.
type Scheduler = tasks.Schedules[Schedule]

// NewScheduler loads the enabled fuzz schedules and fires them until Stop.
func NewScheduler(ctx context.Context, runs *Runs, log hclog.Logger) *Scheduler {
	return tasks.NewSchedules(ctx, runs.Live.Base(), log, func(ctx context.Context) ([]Schedule, error) { return runs.svc.Schedules(ctx, "", nil) },
		func(sc *Schedule) (string, string, bool) { return sc.ID, sc.CronExpression, sc.Enabled },
		func(ctx context.Context, id string) error { return fire(ctx, runs, id) })
}

// fire runs a schedule's config, reading both fresh.
func fire(ctx context.Context, runs *Runs, id string) error {
	svc := runs.svc
	sc, err := svc.Schedule(ctx, id)
	if err != nil || !sc.Enabled {
		return nil // deleted or disabled since
	}
	cfg, err := svc.Config(ctx, sc.ConfigID)
	if err != nil {
		return err
	}
	t, _, err := runs.Start(ctx, cfg, "", "schedule")
	if err != nil {
		return err
	}
	// The last run, on the schedule as stored now (an edit made while the
	// run started is kept).
	o, err := objects.Live(ctx, svc.st, KindSchedule, id)
	if err != nil {
		return nil
	}
	if cur, err := schedules.Of(o); err == nil {
		cur.LastRunAt, cur.LastRunID = time.Now().UTC().Format(time.RFC3339), t.ID
		_, err = schedules.Put(ctx, svc, o.Namespace, cur, o.CreatedMs)
		return err
	}
	return nil
}
