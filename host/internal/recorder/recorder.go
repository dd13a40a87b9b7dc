// Package recorder is the host's side of the recording proxy (api-reference
// section 10, model-tools.md §4): sessions and their entries are kept here;
// the recorder plugin runs the proxies and streams every exchange as it
// completes.
package recorder

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strings"

	"github.com/google/uuid"
	"github.com/mockarty-oss/mockarty/host/internal/model"
	"github.com/mockarty-oss/mockarty/host/internal/objects"
	"github.com/mockarty-oss/mockarty/host/internal/store"
	"github.com/mockarty-oss/mockarty/sdk/recjob"
)

// Object kinds.
const (
	KindSession = "rec-session"
	KindEntry   = "rec-entry"
)

// Session statuses (model-tools §4.2).
const (
	StatusIdle      = "idle"
	StatusRecording = "recording"
	StatusStopped   = "stopped"
)

// Session is a recording session (model-tools §4.2): createdAt and
// stoppedAt are epoch ms, as the SDKs decode them.
type Session struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Namespace  string `json:"namespace"`
	TargetURL  string `json:"targetUrl"`
	Mode       string `json:"mode"`
	Port       int    `json:"port"`
	Status     string `json:"status"`
	EntryCount int    `json:"entryCount"`
	CreatedAt  int64  `json:"createdAt"`
	StoppedAt  int64  `json:"stoppedAt,omitempty"`
	// Error says why recording stopped when it was not asked to (the
	// plugin's failure, a restart of the server).
	Error         string               `json:"error,omitempty"`
	Modifications recjob.Modifications `json:"modifications"`
	Faults        recjob.Faults        `json:"faults"`
}

// Entry is a recorded exchange as the API serves it: the plugin's entry
// with the host's id, session and annotation.
type Entry struct {
	recjob.Entry
	ID        string   `json:"id"`
	SessionID string   `json:"sessionId"`
	Note      string   `json:"note,omitempty"`
	Priority  string   `json:"priority,omitempty"`
	Tags      []string `json:"tags,omitempty"`
}

// Service keeps sessions and entries.
type Service struct {
	st *store.Store
}

// NewService returns the service over a store.
func NewService(st *store.Store) *Service { return &Service{st: st} }

// Store is the service's store.
func (s *Service) Store() *store.Store { return s.st }

var sessions = &objects.Kind[Session, *Service]{Name: KindSession,
	Of: func(o *store.TesterObject) (*Session, error) {
		var sn Session
		if err := objects.Decode(o, &sn); err != nil {
			return nil, err
		}
		sn.ID, sn.Namespace, sn.Name, sn.CreatedAt = o.ID, o.Namespace, o.Name, o.CreatedMs
		return &sn, nil
	},
	Object: func(namespace string, sn *Session) (*store.TesterObject, error) {
		o := &store.TesterObject{Kind: KindSession, ID: sn.ID, Namespace: namespace, Name: sn.Name, Active: sn.Status == StatusRecording}
		return o, objects.Encode(o, sn)
	},
	Owned: []string{"id", "namespace", "createdAt", "status", "entryCount", "stoppedAt", "error", "port", "mode"},
	Check: func(_ context.Context, _ *Service, sn *Session) error { return checkSession(sn) },
}

var entries = &objects.Kind[Entry, *Service]{Name: KindEntry,
	Of: func(o *store.TesterObject) (*Entry, error) {
		var e Entry
		if err := objects.Decode(o, &e); err != nil {
			return nil, err
		}
		e.ID, e.SessionID, e.Sequence = o.ID, o.Parent, o.SortOrder
		return &e, nil
	},
	Object: func(namespace string, e *Entry) (*store.TesterObject, error) {
		o := &store.TesterObject{Kind: KindEntry, ID: e.ID, Namespace: namespace, Parent: e.SessionID, SortOrder: e.Sequence,
			Name: e.Method + " " + e.Path}
		return o, objects.Encode(o, e)
	},
	Owned: []string{"id", "sessionId", "sequence", "method", "url", "path", "statusCode", "requestBody", "responseBody", "timestamp"},
	Check: func(context.Context, *Service, *Entry) error { return nil },
}

// checkSession says what is wrong with a session's settings.
func checkSession(sn *Session) error {
	fe := func(field, format string, args ...any) error {
		return &model.FieldError{Field: field, Message: fmt.Sprintf(format, args...)}
	}
	switch sn.Mode {
	case "", recjob.ModeReverse:
		sn.Mode = recjob.ModeReverse
		u, err := url.Parse(sn.TargetURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fe("targetUrl", "the http or https URL the recorder forwards to, such as http://localhost:8080")
		}
	case recjob.ModeForward:
	default:
		return fe("mode", "reverse (the app calls the recorder, which forwards to targetUrl) or forward (HTTP_PROXY)")
	}
	if sn.Port != 0 && (sn.Port < PortMin || sn.Port > PortMax) {
		return fe("port", "%d to %d (none: the first free one)", PortMin, PortMax)
	}
	if strings.TrimSpace(sn.Name) == "" {
		sn.Name = sn.TargetURL
		if sn.Name == "" {
			sn.Name = "forward proxy"
		}
	}
	f := sn.Faults
	if f.ErrorRate < 0 || f.ErrorRate > 1 || f.LatencyMs < 0 || f.JitterMs < 0 || f.BandwidthKBps < 0 || f.LatencyMs > 60_000 || f.JitterMs > 60_000 {
		return fe("faults", "errorRate 0 to 1, latencyMs and jitterMs 0 to 60000, bandwidthKbps not negative")
	}
	return nil
}

// Sessions lists the sessions of the namespaces, newest first.
func (s *Service) Sessions(ctx context.Context, namespace string, namespaces []string) ([]Session, error) {
	list, err := sessions.List(ctx, s, store.TesterFilter{Namespace: namespace, Namespaces: namespaces})
	if err != nil {
		return nil, err
	}
	sort.SliceStable(list, func(i, j int) bool { return list[i].CreatedAt > list[j].CreatedAt })
	return list, nil
}

// Session loads one session.
func (s *Service) Session(ctx context.Context, id string) (*Session, error) {
	return sessions.Get(ctx, s, id)
}

// saveSession writes a session as it is.
func (s *Service) saveSession(ctx context.Context, sn *Session) error {
	var created int64
	if o, err := objects.Live(ctx, s.st, KindSession, sn.ID); err == nil {
		created = o.CreatedMs
	}
	_, err := sessions.Put(ctx, s, sn.Namespace, sn, created)
	return err
}

// Entries lists a session's entries in the order they were made.
func (s *Service) Entries(ctx context.Context, sessionID string) ([]Entry, error) {
	return entries.List(ctx, s, store.TesterFilter{Parent: sessionID})
}

// Entry loads one entry.
func (s *Service) Entry(ctx context.Context, id string) (*Entry, error) {
	return entries.Get(ctx, s, id)
}

// Annotate merges an annotation ({"note", "priority", "tags"}) into an entry.
func (s *Service) Annotate(ctx context.Context, id string, body []byte) (*Entry, error) {
	var a struct {
		Note     *string  `json:"note"`
		Priority *string  `json:"priority"`
		Tags     []string `json:"tags"`
	}
	if err := json.Unmarshal(body, &a); err != nil {
		return nil, &model.FieldError{Field: "note", Message: "the body must be {\"note\", \"priority\", \"tags\"}", Malformed: true}
	}
	return entries.Update(ctx, s, id, body)
}

// entryRow is an entry the plugin reported (its item as sent, nil when
// it does not read), as the row that keeps it: the item is the row's
// document as it is, its sequence after the session's first base entries.
func entryRow(sn *Session, item []byte, base int64) *store.TesterObject {
	var head struct {
		Sequence int64  `json:"sequence"`
		Method   string `json:"method"`
		Path     string `json:"path"`
	}
	if json.Unmarshal(item, &head) != nil || head.Sequence <= 0 {
		return nil
	}
	seq := base + head.Sequence
	return &store.TesterObject{Kind: KindEntry, ID: fmt.Sprintf("%s-%06d", sn.ID, seq), Namespace: sn.Namespace, Parent: sn.ID,
		SortOrder: seq, Name: head.Method + " " + head.Path, Document: string(item)}
}

// DeleteSession removes a session and its entries.
func (s *Service) DeleteSession(ctx context.Context, id string) error {
	list, err := s.Entries(ctx, id)
	if err != nil {
		return err
	}
	if len(list) > 0 {
		ids := make([]string, len(list))
		for i := range list {
			ids[i] = list[i].ID
		}
		if _, err := s.st.DeleteTesterObjects(ctx, KindEntry, ids); err != nil {
			return err
		}
	}
	return sessions.Delete(ctx, s, id, "recording session")
}

func newID() string { return uuid.NewString() }

// EntriesFrom lists a session's entries after the first offset ones, at
// most limit (in the order they were made).
func (s *Service) EntriesFrom(ctx context.Context, sessionID string, offset, limit int) ([]Entry, error) {
	return entries.List(ctx, s, store.TesterFilter{Parent: sessionID, Offset: offset, Limit: limit})
}
