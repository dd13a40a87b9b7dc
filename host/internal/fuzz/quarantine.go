package fuzz

import (
	"context"
	"encoding/json"
	"net/url"
	"path"
	"strings"

	"github.com/mockarty-oss/mockarty/host/internal/model"
	"github.com/mockarty-oss/mockarty/host/internal/objects"
	"github.com/mockarty-oss/mockarty/host/internal/store"
	"github.com/mockarty-oss/mockarty/sdk/fuzzjob"
)

// KindQuarantine is the object kind of quarantine entries.
const KindQuarantine = "fuzz-quarantine"

// QuarantineEntry silences a known finding in later runs of its namespace
// (model-tools §3.4). A finding is quarantined when its fingerprint is the
// entry's, or when its category is the entry's and its "METHOD /path"
// matches the entry's endpointPattern (a path.Match pattern: * is one
// path segment's worth of characters).
type QuarantineEntry struct {
	ID              string `json:"id"`
	Namespace       string `json:"namespace"`
	Fingerprint     string `json:"fingerprint"`
	Category        string `json:"category"`
	EndpointPattern string `json:"endpointPattern"`
	Title           string `json:"title"`
	Reason          string `json:"reason"`
	SourceFindingID string `json:"sourceFindingId"`
	CreatedBy       string `json:"createdBy"`
	CreatedAt       string `json:"createdAt"`
}

var quarantine = &objects.Kind[QuarantineEntry, *Service]{Name: KindQuarantine,
	Of: func(o *store.TesterObject) (*QuarantineEntry, error) {
		var q QuarantineEntry
		if err := objects.Decode(o, &q); err != nil {
			return nil, err
		}
		q.ID, q.Namespace, q.CreatedAt = o.ID, o.Namespace, objects.ISO(o.CreatedMs)
		return &q, nil
	},
	Object: func(namespace string, q *QuarantineEntry) (*store.TesterObject, error) {
		o := &store.TesterObject{Kind: KindQuarantine, ID: q.ID, Namespace: namespace, Name: q.Title, UserID: q.CreatedBy}
		return o, objects.Encode(o, q)
	},
	Owned: []string{"id", "namespace", "createdAt"},
	Check: func(_ context.Context, _ *Service, q *QuarantineEntry) error { return checkQuarantine(q) },
}

func checkQuarantine(q *QuarantineEntry) error {
	q.Fingerprint, q.Category, q.EndpointPattern = strings.TrimSpace(q.Fingerprint), strings.TrimSpace(q.Category), strings.TrimSpace(q.EndpointPattern)
	if q.Fingerprint == "" && (q.Category == "" || q.EndpointPattern == "") {
		return &model.FieldError{Field: "fingerprint", Message: "give a finding's fingerprint, or a category and an endpointPattern such as \"POST /api/users/*\""}
	}
	if q.EndpointPattern != "" {
		if _, err := path.Match(q.EndpointPattern, ""); err != nil {
			return &model.FieldError{Field: "endpointPattern", Message: "not a pattern: " + err.Error()}
		}
	}
	return nil
}

// Quarantine lists the entries of the namespaces, a page of them and the total.
func (s *Service) Quarantine(ctx context.Context, namespace string, namespaces []string, limit, offset int) ([]QuarantineEntry, int64, error) {
	f := store.TesterFilter{Kind: KindQuarantine, Namespace: namespace, Namespaces: namespaces, Limit: limit, Offset: offset}
	rows, total, err := s.st.TesterObjects(ctx, f)
	if err != nil {
		return nil, 0, err
	}
	out := make([]QuarantineEntry, 0, len(rows))
	for i := range rows {
		q, err := quarantine.Of(&rows[i])
		if err != nil {
			return nil, 0, err
		}
		out = append(out, *q)
	}
	return out, total, nil
}

// QuarantineEntry loads one entry.
func (s *Service) QuarantineEntry(ctx context.Context, id string) (*QuarantineEntry, error) {
	return quarantine.Get(ctx, s, id)
}

// AddQuarantine stores a new entry.
func (s *Service) AddQuarantine(ctx context.Context, q *QuarantineEntry) (*QuarantineEntry, error) {
	q.ID = ""
	return quarantine.Save(ctx, s, q.Namespace, &q.ID, q)
}

// DeleteQuarantine removes entries and says how many there were.
func (s *Service) DeleteQuarantine(ctx context.Context, ids []string) (int64, error) {
	return s.st.DeleteTesterObjects(ctx, KindQuarantine, ids)
}

// QuarantineFinding quarantines a finding: an entry of its fingerprint,
// and the finding triaged quarantined.
func (s *Service) QuarantineFinding(ctx context.Context, f *Finding, reason, by string) (*QuarantineEntry, error) {
	q, err := s.AddQuarantine(ctx, &QuarantineEntry{Namespace: f.Namespace, Fingerprint: f.Fingerprint, Category: f.Category,
		EndpointPattern: endpointOf(&f.Finding), Title: f.Title, Reason: reason, SourceFindingID: f.ID, CreatedBy: by})
	if err != nil {
		return nil, err
	}
	b, _ := json.Marshal(map[string]any{"triagedStatus": "quarantined"})
	if _, err := findings.Update(ctx, s, f.ID, b); err != nil {
		return nil, err
	}
	return q, nil
}

// endpointOf is a finding's "METHOD /path".
func endpointOf(f *fuzzjob.Finding) string {
	p := f.RequestURL
	if u, err := url.Parse(f.RequestURL); err == nil && u.Path != "" {
		p = u.Path
	}
	return strings.ToUpper(f.RequestMethod) + " " + p
}

// quarantined says whether an entry silences f.
func (q *QuarantineEntry) silences(f *fuzzjob.Finding) bool {
	if q.Fingerprint != "" && q.Fingerprint == f.Fingerprint {
		return true
	}
	if q.Category == "" || q.EndpointPattern == "" || !strings.EqualFold(q.Category, f.Category) {
		return false
	}
	ok, _ := path.Match(q.EndpointPattern, endpointOf(f))
	return ok
}

// silencer answers whether a namespace's quarantine silences a finding,
// reading the entries once.
func (s *Service) silencer(ctx context.Context, namespace string) func(f *fuzzjob.Finding) bool {
	list, _, err := s.Quarantine(ctx, namespace, nil, 0, 0)
	if err != nil || len(list) == 0 {
		return func(*fuzzjob.Finding) bool { return false }
	}
	return func(f *fuzzjob.Finding) bool {
		for i := range list {
			if list[i].silences(f) {
				return true
			}
		}
		return false
	}
}
