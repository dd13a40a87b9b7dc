package fuzz

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/mockarty-oss/mockarty/host/internal/model"
	"github.com/mockarty-oss/mockarty/host/internal/objects"
	"github.com/mockarty-oss/mockarty/host/internal/store"
	"github.com/mockarty-oss/mockarty/sdk/fuzzjob"
)

// Finding is a finding as the SDKs read it (model-tools §3.4): the
// plugin's report with the host's id, run and triage.
type Finding struct {
	fuzzjob.Finding
	ID            string `json:"id"`
	RunID         string `json:"runId"`
	Namespace     string `json:"namespace,omitempty"`
	Reproducible  bool   `json:"reproducible"`
	TriagedStatus string `json:"triagedStatus"`
	Notes         string `json:"notes,omitempty"`
	CreatedAt     string `json:"createdAt"`
}

// TriageStatuses are the statuses a finding may be given (model-tools §3.4).
var TriageStatuses = []string{"new", "confirmed", "false_positive", "fixed", "ignored", "accepted", "quarantined"}

var findings = &objects.Kind[Finding, *Service]{Name: KindFinding,
	Of: func(o *store.TesterObject) (*Finding, error) {
		var f Finding
		if err := objects.Decode(o, &f); err != nil {
			return nil, err
		}
		f.ID, f.Namespace, f.RunID, f.CreatedAt = o.ID, o.Namespace, o.Parent, objects.ISO(o.CreatedMs)
		if f.TriagedStatus == "" {
			f.TriagedStatus = "new"
		}
		return &f, nil
	},
	Object: func(namespace string, f *Finding) (*store.TesterObject, error) {
		o := &store.TesterObject{Kind: KindFinding, ID: f.ID, Namespace: namespace, Parent: f.RunID, Name: f.Title}
		return o, objects.Encode(o, f)
	},
	Owned: []string{"id", "runId", "namespace", "createdAt"},
	Check: func(context.Context, *Service, *Finding) error { return nil },
}

// putFinding stores a run's finding as the plugin reports it: a new one,
// or the one of id (its count and evidence updated, its triage kept).
func (s *Service) putFinding(ctx context.Context, t *store.Task, f *fuzzjob.Finding, id string) (string, error) {
	nf := Finding{Finding: *f, RunID: t.ID, Reproducible: true}
	var created int64
	if id != "" {
		if o, err := objects.Live(ctx, s.st, KindFinding, id); err == nil {
			created = o.CreatedMs
			if cur, err := findings.Of(o); err == nil {
				nf.TriagedStatus, nf.Notes = cur.TriagedStatus, cur.Notes
			}
		}
	} else {
		id = newID()
	}
	nf.ID = id
	if nf.TriagedStatus == "" {
		nf.TriagedStatus = "new"
	}
	_, err := findings.Put(ctx, s, t.Namespace, &nf, created)
	return id, err
}

// Findings lists findings, most severe first: a run's (runID), or every
// run's of the namespaces.
func (s *Service) Findings(ctx context.Context, runID, namespace string, namespaces []string) ([]Finding, error) {
	list, err := findings.List(ctx, s, store.TesterFilter{Parent: runID, Namespace: namespace, Namespaces: namespaces})
	if err != nil {
		return nil, err
	}
	sort.SliceStable(list, func(i, j int) bool { return severityRank(list[i].Severity) < severityRank(list[j].Severity) })
	return list, nil
}

// Finding loads one finding.
func (s *Service) Finding(ctx context.Context, id string) (*Finding, error) {
	return findings.Get(ctx, s, id)
}

// Triage sets a finding's status, and its notes and severity when given.
func (s *Service) Triage(ctx context.Context, id string, body []byte) (*Finding, error) {
	var t struct {
		Status   string  `json:"status"`
		Notes    *string `json:"notes"`
		Note     *string `json:"note"`
		Severity string  `json:"severity"`
	}
	if err := json.Unmarshal(body, &t); err != nil {
		return nil, &model.FieldError{Field: "status", Message: "the body must be {\"status\", \"notes\"}"}
	}
	if !validStatus(t.Status) {
		return nil, &model.FieldError{Field: "status", Message: "one of " + strings.Join(TriageStatuses, ", ")}
	}
	if t.Severity != "" && severityRank(t.Severity) > 4 {
		return nil, &model.FieldError{Field: "severity", Message: "one of critical, high, medium, low, info"}
	}
	patch := map[string]any{"triagedStatus": t.Status}
	if t.Notes == nil {
		t.Notes = t.Note
	}
	if t.Notes != nil {
		patch["notes"] = *t.Notes
	}
	if t.Severity != "" {
		patch["severity"] = t.Severity
	}
	b, _ := json.Marshal(patch)
	return findings.Update(ctx, s, id, b)
}

func validStatus(s string) bool {
	for _, v := range TriageStatuses {
		if v == s {
			return true
		}
	}
	return false
}

// DeleteRunFindings removes a run's findings.
func (s *Service) DeleteRunFindings(ctx context.Context, runID string) error {
	list, err := findings.List(ctx, s, store.TesterFilter{Parent: runID})
	if err != nil {
		return err
	}
	ids := make([]string, len(list))
	for i, f := range list {
		ids[i] = f.ID
	}
	if len(ids) == 0 {
		return nil
	}
	if _, err := s.st.DeleteTesterObjects(ctx, KindFinding, ids); err != nil {
		return fmt.Errorf("delete the findings of run %q: %w", runID, err)
	}
	return nil
}

func severityRank(s string) int {
	switch s {
	case "critical":
		return 0
	case "high":
		return 1
	case "medium":
		return 2
	case "low":
		return 3
	case "info":
		return 4
	}
	return 5
}

// TriageMany gives the findings of ids one status (and note, when not
// nil); it returns how many it updated (ids that name no finding are
// skipped).
func (s *Service) TriageMany(ctx context.Context, ids []string, status string, note *string) (int, error) {
	if !validStatus(status) {
		return 0, &model.FieldError{Field: "status", Message: "one of " + strings.Join(TriageStatuses, ", ")}
	}
	patch := map[string]any{"triagedStatus": status}
	if note != nil {
		patch["notes"] = *note
	}
	b, _ := json.Marshal(patch)
	n := 0
	for _, id := range ids {
		if _, err := findings.Update(ctx, s, id, b); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				continue
			}
			return n, err
		}
		n++
	}
	return n, nil
}

// DeleteFindings removes findings and says how many there were.
func (s *Service) DeleteFindings(ctx context.Context, ids []string) (int64, error) {
	return s.st.DeleteTesterObjects(ctx, KindFinding, ids)
}
