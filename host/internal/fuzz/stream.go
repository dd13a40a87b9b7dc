package fuzz

import (
	"context"
	"encoding/json"
	"time"

	"github.com/mockarty-oss/mockarty/host/internal/store"
)

// Event is one server-sent event of a run's stream (model-tools §3.5).
type Event struct {
	Kind              string   `json:"kind"`
	Timestamp         string   `json:"timestamp"`
	Message           string   `json:"message,omitempty"`
	Status            string   `json:"status,omitempty"`
	TotalRequests     int64    `json:"totalRequests"`
	CompletedRequests int64    `json:"completedRequests"`
	RequestsPerSecond float64  `json:"requestsPerSecond"`
	Finding           *Finding `json:"finding,omitempty"`
}

// StreamPeriod is how often a stream reports progress.
const StreamPeriod = time.Second

// Stream sends a run's events to send until the run ends (a complete
// event), ctx ends, or send fails (the client left): a progress event at
// once and each StreamPeriod, a finding event for each finding as it is
// stored.
func (s *Service) Stream(ctx context.Context, runID string, send func(Event) error) {
	seen := map[string]bool{}
	tick := time.NewTicker(StreamPeriod)
	defer tick.Stop()
	for {
		t, err := s.st.GetTask(ctx, runID)
		if err != nil {
			_ = send(Event{Kind: "error", Timestamp: now(), Message: "the run is gone: " + err.Error()})
			return
		}
		list, err := s.Findings(ctx, runID, "", nil)
		if err != nil {
			_ = send(Event{Kind: "error", Timestamp: now(), Message: err.Error()})
			return
		}
		base := progressOf(t)
		for i := range list {
			if f := &list[i]; !seen[f.ID] {
				seen[f.ID] = true
				e := base
				e.Kind, e.Message, e.Finding = "finding", f.Severity+": "+f.Title, f
				if send(e) != nil {
					return
				}
			}
		}
		if t.Status != store.TaskRunning {
			base.Kind, base.Message = "complete", t.Message
			_ = send(base)
			return
		}
		base.Kind = "progress"
		if send(base) != nil {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// progressOf is a run's counters as an event.
func progressOf(t *store.Task) Event {
	var sum summary
	_ = json.Unmarshal([]byte(t.Summary), &sum)
	e := Event{Timestamp: now(), Status: status(t), TotalRequests: sum.Live.Planned, CompletedRequests: sum.Live.Completed}
	if r := sum.Result; r != nil {
		e.CompletedRequests = r.TotalRequests
	}
	end := t.FinishedMs
	if end == 0 {
		end = time.Now().UnixMilli()
	}
	if secs := float64(end-t.StartedMs) / 1000; secs > 0 {
		e.RequestsPerSecond = float64(e.CompletedRequests) / secs
	}
	return e
}

func now() string { return time.Now().UTC().Format(time.RFC3339) }
