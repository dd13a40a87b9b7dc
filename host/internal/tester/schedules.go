package tester

import (
	"context"
	"strings"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/mockarty-oss/mockarty/host/internal/objects"
	"github.com/mockarty-oss/mockarty/host/internal/store"
	"github.com/mockarty-oss/mockarty/host/internal/tasks"
)

func scheduleOf(o *store.TesterObject) (*Schedule, error) {
	var sc Schedule
	if err := objects.Decode(o, &sc); err != nil {
		return nil, err
	}
	sc.ID, sc.Namespace, sc.Name, sc.Enabled = o.ID, o.Namespace, o.Name, o.Active
	sc.CreatedAt, sc.UpdatedAt = objects.ISO(o.CreatedMs), objects.ISO(o.UpdatedMs)
	if sc.CollectionIDs == nil {
		sc.CollectionIDs = []string{}
	}
	if sc.Enabled {
		if next, err := tasks.NextRun(sc.CronExpression, time.Now()); err == nil {
			sc.NextRunAt = next.UTC().Format(time.RFC3339)
		}
	} else {
		sc.NextRunAt = ""
	}
	return &sc, nil
}

// collections is every collection a schedule runs.
func (sc *Schedule) collections() []string {
	out := append([]string{}, sc.CollectionIDs...)
	if sc.CollectionID != "" && !containsStr(out, sc.CollectionID) {
		out = append([]string{sc.CollectionID}, out...)
	}
	return out
}

func containsStr(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (s *Service) checkSchedule(ctx context.Context, sc *Schedule) error {
	sc.Name = strings.TrimSpace(sc.Name)
	if err := checkName("name", sc.Name, true); err != nil {
		return err
	}
	sc.CronExpression = strings.TrimSpace(sc.CronExpression)
	if sc.CronExpression == "" {
		return fieldErr("cronExpression", "is required (five fields, e.g. \"*/15 * * * *\", or @hourly, @every 10m)")
	}
	if _, err := tasks.CronParser.Parse(sc.CronExpression); err != nil {
		return fieldErr("cronExpression", "%v", err)
	}
	ids := sc.collections()
	if len(ids) == 0 {
		return fieldErr("collectionId", "name the collection to run")
	}
	for i, id := range ids {
		c, err := s.Collection(ctx, id, false)
		if err != nil || c.Namespace != sc.Namespace {
			return fieldErr("collectionIds", "collection %q (item %d) is not in namespace %q", id, i, sc.Namespace)
		}
	}
	if sc.EnvironmentID != "" {
		if e, err := s.Environment(ctx, sc.EnvironmentID); err != nil || e.Namespace != sc.Namespace {
			return fieldErr("environmentId", "environment %q is not in namespace %q", sc.EnvironmentID, sc.Namespace)
		}
	}
	return nil
}

// schedules are the collection-run schedules.
var schedules = &kind[Schedule]{Name: store.TesterSchedule, Of: scheduleOf,
	Object: func(namespace string, sc *Schedule) (*store.TesterObject, error) {
		o := &store.TesterObject{Kind: store.TesterSchedule, ID: sc.ID, Namespace: namespace, Name: sc.Name, Active: sc.Enabled}
		doc := *sc
		return o, objects.Encode(o, &doc)
	},
	Owned: []string{"id", "namespace", "createdAt", "updatedAt", "nextRunAt", "lastRunAt", "lastRunId"},
	Check: func(ctx context.Context, s *Service, sc *Schedule) error { return s.checkSchedule(ctx, sc) }}

// Schedules lists a namespace's schedules.
func (s *Service) Schedules(ctx context.Context, namespace string, namespaces []string) ([]Schedule, error) {
	return schedules.List(ctx, s, store.TesterFilter{Namespace: namespace, Namespaces: namespaces})
}

// Schedule loads one schedule.
func (s *Service) Schedule(ctx context.Context, id string) (*Schedule, error) {
	return schedules.Get(ctx, s, id)
}

// CreateSchedule stores a schedule.
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

// UpdateSchedule merges body into a schedule.
func (s *Service) UpdateSchedule(ctx context.Context, id string, body []byte) (*Schedule, error) {
	return schedules.Update(ctx, s, id, body)
}

// markRun records a schedule's last run.
func (s *Service) markRun(ctx context.Context, id, runID string) {
	o, err := s.get(ctx, store.TesterSchedule, id)
	if err != nil {
		return
	}
	sc, err := scheduleOf(o)
	if err != nil {
		return
	}
	sc.LastRunAt, sc.LastRunID = time.Now().UTC().Format(time.RFC3339), runID
	_, _ = schedules.Put(ctx, s, o.Namespace, sc, o.CreatedMs)
}

// Scheduler fires enabled schedules: each fire starts a run of the
// schedule's collections, recorded like any other (triggeredBy schedule).
type Scheduler = tasks.Schedules[Schedule]

// NewScheduler loads the enabled schedules and starts firing them; Stop ends it.
func NewScheduler(ctx context.Context, runs *Runs, log hclog.Logger) *Scheduler {
	return tasks.NewSchedules(ctx, runs.live.Base(), log, func(ctx context.Context) ([]Schedule, error) { return runs.svc.Schedules(ctx, "", nil) },
		func(sc *Schedule) (string, string, bool) { return sc.ID, sc.CronExpression, sc.Enabled },
		func(ctx context.Context, id string) error {
			sc, err := runs.svc.Schedule(ctx, id)
			if err != nil || !sc.Enabled {
				return nil // deleted or disabled since
			}
			_, err = runs.RunSchedule(ctx, sc, "schedule")
			return err
		})
}

// RunSchedule starts a run of a schedule's collections.
func (r *Runs) RunSchedule(ctx context.Context, sc *Schedule, by string) (*store.Task, error) {
	task, _, err := r.Start(ctx, RunSpec{Namespace: sc.Namespace, CollectionIDs: sc.collections(), EnvironmentID: sc.EnvironmentID,
		TriggeredBy: by, ReferenceID: sc.ID, Name: sc.Name})
	if err != nil {
		return nil, err
	}
	r.svc.markRun(ctx, sc.ID, task.ID)
	return task, nil
}
