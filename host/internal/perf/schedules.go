package perf

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

// KindSchedule is the object kind of perf schedules.
const KindSchedule = "perfschedule"

// Schedule runs a perf config on a cron expression (model-tools §2.5:
// the key is "cron"; createdAt is epoch ms, as the Go SDK decodes it).
type Schedule struct {
	ID        string `json:"id"`
	Namespace string `json:"namespace"`
	ConfigID  string `json:"configId"`
	Cron      string `json:"cron"`
	Enabled   bool   `json:"enabled"`
	CreatedAt int64  `json:"createdAt"`
	NextRunAt string `json:"nextRunAt,omitempty"`
	LastRunAt string `json:"lastRunAt,omitempty"`
	LastRunID string `json:"lastRunId,omitempty"`
}

var schedules = &objects.Kind[Schedule, *Service]{Name: KindSchedule,
	Of: func(o *store.TesterObject) (*Schedule, error) {
		var sc Schedule
		if err := objects.Decode(o, &sc); err != nil {
			return nil, err
		}
		sc.ID, sc.Namespace, sc.Enabled, sc.CreatedAt = o.ID, o.Namespace, o.Active, o.CreatedMs
		sc.NextRunAt = ""
		if sc.Enabled {
			if next, err := tasks.NextRun(sc.Cron, time.Now()); err == nil {
				sc.NextRunAt = next.UTC().Format(time.RFC3339)
			}
		}
		return &sc, nil
	},
	Object: func(namespace string, sc *Schedule) (*store.TesterObject, error) {
		o := &store.TesterObject{Kind: KindSchedule, ID: sc.ID, Namespace: namespace, Name: sc.ConfigID, Active: sc.Enabled}
		doc := *sc
		return o, objects.Encode(o, &doc)
	},
	Owned: []string{"id", "namespace", "createdAt", "nextRunAt", "lastRunAt", "lastRunId"},
	Check: func(ctx context.Context, s *Service, sc *Schedule) error { return s.checkSchedule(ctx, sc) },
}

func (s *Service) checkSchedule(ctx context.Context, sc *Schedule) error {
	sc.Cron = strings.TrimSpace(sc.Cron)
	if sc.Cron == "" {
		return &model.FieldError{Field: "cron", Message: "is required (five fields, e.g. \"0 * * * *\", or @hourly, @every 10m)"}
	}
	if _, err := tasks.CronParser.Parse(sc.Cron); err != nil {
		return &model.FieldError{Field: "cron", Message: err.Error()}
	}
	c, err := s.Config(ctx, sc.ConfigID)
	if err != nil || c.Namespace != sc.Namespace {
		return &model.FieldError{Field: "configId", Message: fmt.Sprintf("perf config %q is not in namespace %q", sc.ConfigID, sc.Namespace)}
	}
	return nil
}

// Schedules lists the perf schedules of the namespaces.
func (s *Service) Schedules(ctx context.Context, namespace string, namespaces []string) ([]Schedule, error) {
	return schedules.List(ctx, s, store.TesterFilter{Namespace: namespace, Namespaces: namespaces})
}

// Schedule loads one perf schedule.
func (s *Service) Schedule(ctx context.Context, id string) (*Schedule, error) {
	return schedules.Get(ctx, s, id)
}

// CreateSchedule stores a perf schedule.
func (s *Service) CreateSchedule(ctx context.Context, sc *Schedule) (*Schedule, error) {
	if err := s.checkSchedule(ctx, sc); err != nil {
		return nil, err
	}
	sc.ID, sc.LastRunAt, sc.LastRunID = newID(), "", ""
	if _, err := schedules.Put(ctx, s, sc.Namespace, sc, 0); err != nil {
		return nil, err
	}
	return s.Schedule(ctx, sc.ID)
}

// UpdateSchedule merges body into a perf schedule.
func (s *Service) UpdateSchedule(ctx context.Context, id string, body []byte) (*Schedule, error) {
	return schedules.Update(ctx, s, id, body)
}

// DeleteSchedule removes a perf schedule.
func (s *Service) DeleteSchedule(ctx context.Context, id string) error {
	n, err := s.st.DeleteTesterObjects(ctx, KindSchedule, []string{id})
	if err == nil && n == 0 {
		return fmt.Errorf("%w: perf schedule %q", store.ErrNotFound, id)
	}
	return err
}

// Scheduler fires perf schedules: each fire runs the schedule's config.
type Scheduler = tasks.Schedules[Schedule]

// NewScheduler loads the enabled perf schedules and fires them until Stop.
func NewScheduler(ctx context.Context, runs *Runs, log hclog.Logger) *Scheduler {
	return tasks.NewSchedules(ctx, runs.Live.Base(), log, func(ctx context.Context) ([]Schedule, error) { return runs.svc.Schedules(ctx, "", nil) },
		func(sc *Schedule) (string, string, bool) { return sc.ID, sc.Cron, sc.Enabled },
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
	svc.markRun(ctx, id, t.ID)
	return nil
}

// markRun records a schedule's last run on the schedule as stored now (an
// edit made while the run started is kept).
func (s *Service) markRun(ctx context.Context, id, runID string) {
	o, err := objects.Live(ctx, s.st, KindSchedule, id)
	if err != nil {
		return
	}
	sc, err := schedules.Of(o)
	if err != nil {
		return
	}
	sc.LastRunAt, sc.LastRunID = time.Now().UTC().Format(time.RFC3339), runID
	_, _ = schedules.Put(ctx, s, o.Namespace, sc, o.CreatedMs)
}
