package tester

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/mockarty-oss/mockarty/host/internal/store"
	"github.com/mockarty-oss/mockarty/sdk/postman"
)

// MaxInlineResults is how many step results an execute answer or a run
// carries inline; the export and the report have them all.
const MaxInlineResults = 1000

// CountsOf reads a task's counters.
func CountsOf(t *store.Task) Counts {
	var c Counts
	_ = json.Unmarshal([]byte(t.Summary), &c)
	if c.CollectionIDs == nil {
		c.CollectionIDs = []string{}
	}
	return c
}

// Steps reads a run's steps in order from seq, at most limit (each decoded).
func (s *Service) Steps(ctx context.Context, taskID string, from int64, limit int) ([]postman.Step, int64, error) {
	items, err := s.st.TaskItems(ctx, taskID, from, limit)
	if err != nil {
		return nil, 0, err
	}
	out := make([]postman.Step, 0, len(items))
	next := from
	for _, it := range items {
		var st postman.Step
		if json.Unmarshal([]byte(it.Document), &st) == nil {
			out = append(out, st)
		}
		next = it.Seq + 1
	}
	return out, next, nil
}

// EachStep calls fn for every step of a run in order, reading a page at a
// time so a 10,000-request run never sits in memory.
func (s *Service) EachStep(ctx context.Context, taskID string, fn func(i int, st *postman.Step) error) error {
	var from int64 = 1
	i := 0
	for {
		steps, next, err := s.Steps(ctx, taskID, from, 500)
		if err != nil {
			return err
		}
		for k := range steps {
			if err := fn(i, &steps[k]); err != nil {
				return err
			}
			i++
		}
		if len(steps) < 500 || next == from {
			return nil
		}
		from = next
	}
}

// StepResult is a step in the SDKs' shape (§1.4 StepResult).
func StepResult(i int, st *postman.Step) map[string]any {
	asserts := make([]map[string]any, 0, len(st.Tests))
	for _, t := range st.Tests {
		a := map[string]any{"name": t.Name, "passed": t.Passed, "expected": "", "actual": "", "message": t.Error}
		if t.Skipped {
			a["skipped"] = true
		}
		asserts = append(asserts, a)
	}
	out := map[string]any{"id": stepID(i, st), "requestId": st.ItemID, "requestName": st.Name, "status": st.Status,
		"duration": st.DurationMs, "assertions": asserts, "error": st.Error, "iteration": st.Iteration}
	if len(st.Path) > 0 {
		out["folder"] = strings.Join(st.Path, " / ")
	}
	if st.Request != nil {
		out["request"] = st.Request
	}
	if st.Response != nil {
		out["response"] = st.Response
	}
	if st.PreRequest != nil {
		out["preRequest"] = st.PreRequest
	}
	if st.Test != nil {
		out["test"] = st.Test
	}
	return out
}

func stepID(i int, st *postman.Step) string {
	b, _ := json.Marshal(i + 1)
	return st.ItemID + "#" + string(b)
}

func isoMsPtr(ms int64) any {
	if ms == 0 {
		return nil
	}
	return time.UnixMilli(ms).UTC().Format(time.RFC3339Nano)
}

func durationOf(t *store.Task, c Counts) int64 {
	if c.DurationMs > 0 {
		return c.DurationMs
	}
	if t.StartedMs > 0 {
		end := t.FinishedMs
		if end == 0 {
			end = time.Now().UnixMilli()
		}
		return end - t.StartedMs
	}
	return 0
}

// RunResult is a collection run in the union shape every SDK reads (§1.4):
// id and runId, the three counter spellings, ms durations.
func (s *Service) RunResult(ctx context.Context, t *store.Task) (map[string]any, error) {
	c := CountsOf(t)
	results := []map[string]any{}
	truncated := false
	err := s.EachStep(ctx, t.ID, func(i int, st *postman.Step) error {
		if len(results) >= MaxInlineResults {
			truncated = true
			return errStop
		}
		results = append(results, StepResult(i, st))
		return nil
	})
	if err != nil && err != errStop {
		return nil, err
	}
	collectionID := ""
	if len(c.CollectionIDs) > 0 {
		collectionID = c.CollectionIDs[0]
	}
	d := durationOf(t, c)
	summary := map[string]any{"total": c.TotalTests, "passed": c.PassedTests, "failed": c.FailedTests, "skipped": c.SkippedTests,
		"totalRequests": c.TotalRequests, "completedRequests": c.CompletedRequests, "failedRequests": c.FailedRequests + c.ErroredRequests}
	return map[string]any{
		"id": t.ID, "runId": t.ID, "collectionId": collectionID, "collectionIds": c.CollectionIDs, "name": t.Name,
		"namespace": t.Namespace, "status": t.Status, "message": t.Message, "mode": t.Mode,
		"totalTests": c.TotalTests, "passedTests": c.PassedTests, "failedTests": c.FailedTests, "skippedTests": c.SkippedTests,
		"total": c.TotalTests, "passed": c.PassedTests, "failed": c.FailedTests, "skipped": c.SkippedTests,
		"totalRequests": c.TotalRequests, "completedRequests": c.CompletedRequests, "progress": c.Progress,
		"duration": d, "durationMs": d, "results": results, "resultsTruncated": truncated,
		"metadata":  map[string]any{"environment": c.Environment, "collections": c.CollectionNames, "finalEnvironment": c.Final},
		"startedAt": isoMsPtr(t.StartedMs), "completedAt": isoMsPtr(t.FinishedMs), "summary": summary,
	}, nil
}

type stopErr struct{}

func (stopErr) Error() string { return "stop" }

var errStop error = stopErr{}

// TestRunRow is a task as a unified test-run row (§7.1): epoch-ms
// startedAt and finishedAt, an ISO completedAt, live progress.
func TestRunRow(t *store.Task, own bool) map[string]any {
	c := CountsOf(t)
	collectionID := ""
	if len(c.CollectionIDs) > 0 {
		collectionID = c.CollectionIDs[0]
	}
	row := map[string]any{
		"id": t.ID, "collectionId": collectionID, "collectionIds": c.CollectionIDs, "mode": t.Mode, "referenceId": t.ReferenceID,
		"status": t.Status, "environment": c.Environment, "namespace": t.Namespace, "name": t.Name, "message": t.Message,
		"taskId": t.ID, "userId": t.UserID, "triggeredBy": t.TriggeredBy, "executorName": "tester",
		"totalTests": c.TotalTests, "passedTests": c.PassedTests, "failedTests": c.FailedTests, "skippedTests": c.SkippedTests,
		"duration": durationOf(t, c), "progress": c.Progress, "totalRequests": c.TotalRequests, "completedRequests": c.CompletedRequests,
		"totalCollections": len(c.CollectionNames), "currentCollectionIndex": c.CurrentCollectionIndex,
		"currentCollectionName": c.CurrentCollectionName, "currentRequestName": c.CurrentRequestName, "isOwn": own,
	}
	if t.StartedMs != 0 {
		row["startedAt"] = t.StartedMs
	}
	if t.FinishedMs != 0 {
		row["finishedAt"] = t.FinishedMs
		row["completedAt"] = isoMsPtr(t.FinishedMs)
	}
	return row
}
