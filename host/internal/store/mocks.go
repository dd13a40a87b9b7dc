package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/mockarty-oss/mockarty/host/internal/model"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

type mockRow = v1Mock

// MockFilter selects mocks for listing. Zero values mean "any".
type MockFilter struct {
	Namespace string
	// Namespaces, when not nil, restricts the list to these namespaces
	// (the ones the caller may read).
	Namespaces []string
	Tags       []string // every tag must be present
	Search     string   // case-insensitive substring of id, route, service, topic, ...
	Protocol   string
	ChainID    string
	FolderID   *string // nil: any folder; "": only mocks at the root
	Deleted    bool    // list soft-deleted mocks (the trash) instead of live ones
	Offset     int
	Limit      int // 0: no limit
}

// Version changes recorded in the history.
const (
	ChangeCreate    = "create"
	ChangeOverwrite = "overwrite"
	ChangePatch     = "patch"
	ChangeRestore   = "restore"
	ChangeCopy      = "copy"
)

// SaveResult tells what SaveMock did.
type SaveResult struct {
	Overwritten bool
	Mock        *model.Mock
}

// SaveMock creates the mock or overwrites the one with the same ID. An
// overwrite keeps createdAt and resets the usage counters; a soft-deleted
// mock comes back to life. A patch keeps the counters and the deleted state.
// The caller has normalised and validated m.
func (s *Store) SaveMock(ctx context.Context, m *model.Mock, change string, versioning bool) (*SaveResult, error) {
	var res *SaveResult
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var err error
		res, err = s.saveMockTx(tx, m, change, versioning)
		return err
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// SaveMocks saves many mocks in one transaction: all of them, or none.
func (s *Store) SaveMocks(ctx context.Context, mocks []*model.Mock, change string, versioning bool) ([]*SaveResult, error) {
	out := make([]*SaveResult, 0, len(mocks))
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		out = out[:0]
		for _, m := range mocks {
			r, err := s.saveMockTx(tx, m, change, versioning)
			if err != nil {
				return fmt.Errorf("mock %q: %w", m.ID, err)
			}
			out = append(out, r)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (s *Store) saveMockTx(tx *gorm.DB, m *model.Mock, change string, versioning bool) (*SaveResult, error) {
	var res SaveResult
	if s.driver == "pg" {
		// FOR UPDATE cannot lock a row that does not exist yet: without this
		// lock two first saves of one ID both create version 1 and one fails.
		if err := tx.Exec("SELECT pg_advisory_xact_lock(?, hashtext(?))", saveLockClass, m.ID).Error; err != nil {
			return nil, err
		}
	}
	var old mockRow
	err := s.forUpdate(tx).Where("id = ?", m.ID).Take(&old).Error
	now := nowMs()
	row, err2 := rowFromMock(m)
	if err2 != nil {
		return nil, err2
	}
	row.UpdatedMs = now
	// Usage and closedAt are set by the server, never taken from the input:
	// a saved mock starts unused and live (a patch keeps both, below).
	row.UseCounter, row.LastUse, row.ClosedAt = 0, 0, 0
	switch {
	case errors.Is(err, gorm.ErrRecordNotFound):
		row.CreatedMs = now
		row.Version = 1
		if change == ChangeOverwrite {
			change = ChangeCreate
		}
	case err != nil:
		return nil, err
	default:
		res.Overwritten = true
		row.CreatedMs = old.CreatedMs
		row.Version = old.Version + 1
		if change == ChangePatch {
			row.UseCounter, row.LastUse, row.ClosedAt = old.UseCounter, old.LastUse, old.ClosedAt
		}
	}
	row.ExpireAt = 0
	if m.TTL > 0 {
		row.ExpireAt = now + m.TTL
	}
	if err := tx.Save(row).Error; err != nil {
		return nil, err
	}
	if err := ensureNamespace(tx, row.Namespace, now); err != nil {
		return nil, err
	}
	if versioning {
		if err := tx.Create(&v1MockVersion{MockID: row.ID, Version: row.Version, Change: change, CreatedMs: now, Document: row.Document}).Error; err != nil {
			return nil, err
		}
	}
	out, err := mockFromRow(row)
	if err != nil {
		return nil, err
	}
	res.Mock = out
	return &res, nil
}

// saveLockClass is the first key of the advisory locks SaveMock takes on PostgreSQL.
const saveLockClass = 0x6d6f636b // "mock"

// forUpdate locks the rows a transaction reads where the database supports
// it; SQLite already serialises writers.
func (s *Store) forUpdate(tx *gorm.DB) *gorm.DB {
	if s.driver == "pg" {
		return tx.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	return tx
}

// GetMock returns one mock, live or soft-deleted.
func (s *Store) GetMock(ctx context.Context, id string) (*model.Mock, error) {
	var row mockRow
	err := s.db.WithContext(ctx).Where("id = ?", id).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	return mockFromRow(&row)
}

// MocksByIDs returns the mocks with the given IDs that exist, in ID order.
func (s *Store) MocksByIDs(ctx context.Context, ids []string) ([]*model.Mock, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	var rows []mockRow
	if err := s.db.WithContext(ctx).Where("id IN ?", ids).Order("id").Find(&rows).Error; err != nil {
		return nil, err
	}
	return mocksFromRows(rows)
}

// ListMocks returns one page of mocks and the total that match the filter.
func (s *Store) ListMocks(ctx context.Context, f MockFilter) ([]*model.Mock, int64, error) {
	q := s.db.WithContext(ctx).Model(&mockRow{})
	if f.Deleted {
		q = q.Where("closed_at > 0")
	} else {
		q = q.Where("closed_at = 0")
	}
	if f.Namespaces != nil {
		q = q.Where("namespace IN ?", append(f.Namespaces, "")) // "": never empty
	}
	if f.Namespace != "" {
		q = q.Where("namespace = ?", f.Namespace)
	}
	if f.Protocol != "" {
		q = q.Where("protocol = ?", f.Protocol)
	}
	if f.ChainID != "" {
		q = q.Where("chain_id = ?", f.ChainID)
	}
	if f.FolderID != nil {
		q = q.Where("folder_id = ?", *f.FolderID)
	}
	for _, t := range f.Tags {
		tb, _ := json.Marshal(t)
		if s.driver == "sqlite" {
			// SQLite's LIKE ignores ASCII case, and tags are case-sensitive.
			q = q.Where("instr(tags, ?) > 0", string(tb))
		} else {
			q = q.Where(`tags LIKE ? ESCAPE '\'`, likePattern(string(tb)))
		}
	}
	if term := strings.ToLower(strings.TrimSpace(f.Search)); term != "" {
		q = q.Where(`search LIKE ? ESCAPE '\'`, likePattern(term))
	}
	var total int64
	if err := q.Count(&total).Error; err != nil {
		return nil, 0, err
	}
	q = q.Order("created_at DESC").Order("id")
	if f.Offset > 0 {
		q = q.Offset(f.Offset)
	}
	if f.Limit > 0 {
		q = q.Limit(f.Limit)
	}
	var rows []mockRow
	if err := q.Find(&rows).Error; err != nil {
		return nil, 0, err
	}
	out, err := mocksFromRows(rows)
	return out, total, err
}

// SoftDeleteMocks moves live mocks to the trash and returns the IDs it changed.
func (s *Store) SoftDeleteMocks(ctx context.Context, ids []string) ([]string, error) {
	return s.setClosed(ctx, ids, true)
}

// RestoreMocks brings soft-deleted mocks back and returns the IDs it changed.
func (s *Store) RestoreMocks(ctx context.Context, ids []string) ([]string, error) {
	return s.setClosed(ctx, ids, false)
}

func (s *Store) setClosed(ctx context.Context, ids []string, closed bool) ([]string, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	var changed []string
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		q := tx.Model(&mockRow{}).Where("id IN ?", ids)
		if closed {
			q = q.Where("closed_at = 0")
		} else {
			q = q.Where("closed_at > 0")
		}
		if err := q.Order("id").Pluck("id", &changed).Error; err != nil {
			return err
		}
		if len(changed) == 0 {
			return nil
		}
		now := nowMs()
		var closedAt int64
		if closed {
			closedAt = now
		}
		return tx.Model(&mockRow{}).Where("id IN ?", changed).
			Updates(map[string]any{"closed_at": closedAt, "updated_at": now}).Error
	})
	return changed, err
}

// PurgeMock removes a mock for good, with its versions and logs.
func (s *Store) PurgeMock(ctx context.Context, id string) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Where("id = ?", id).Delete(&mockRow{})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return ErrNotFound
		}
		if err := tx.Where("mock_id = ?", id).Delete(&v1MockVersion{}).Error; err != nil {
			return err
		}
		return tx.Where("mock_id = ?", id).Delete(&mockLogRow{}).Error
	})
}

// UpdateMocks loads each existing mock, lets fn change it, and saves it,
// all in one transaction. It returns the changed mocks; IDs that do not exist
// are skipped. fn may return an error to abort everything.
func (s *Store) UpdateMocks(ctx context.Context, ids []string, change string, versioning bool, fn func(*model.Mock) error) ([]*model.Mock, error) {
	var out []*model.Mock
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var rows []mockRow
		if err := s.forUpdate(tx).Where("id IN ?", ids).Order("id").Find(&rows).Error; err != nil {
			return err
		}
		now := nowMs()
		for i := range rows {
			m, err := mockFromRow(&rows[i])
			if err != nil {
				return err
			}
			if err := fn(m); err != nil {
				return err
			}
			row, err := rowFromMock(m)
			if err != nil {
				return err
			}
			row.CreatedMs, row.UseCounter, row.LastUse = rows[i].CreatedMs, rows[i].UseCounter, rows[i].LastUse
			row.ClosedAt, row.ExpireAt = rows[i].ClosedAt, rows[i].ExpireAt
			row.UpdatedMs, row.Version = now, rows[i].Version+1
			if err := tx.Save(row).Error; err != nil {
				return err
			}
			if err := ensureNamespace(tx, row.Namespace, now); err != nil {
				return err
			}
			if versioning {
				if err := tx.Create(&v1MockVersion{MockID: row.ID, Version: row.Version, Change: change, CreatedMs: now, Document: row.Document}).Error; err != nil {
					return err
				}
			}
			saved, err := mockFromRow(row)
			if err != nil {
				return err
			}
			out = append(out, saved)
		}
		return nil
	})
	return out, err
}

// ChainMocks lists the live mocks of a chain, optionally within one namespace.
func (s *Store) ChainMocks(ctx context.Context, chainID, namespace string) ([]*model.Mock, error) {
	q := s.db.WithContext(ctx).Where("chain_id = ? AND closed_at = 0", chainID)
	if namespace != "" {
		q = q.Where("namespace = ?", namespace)
	}
	var rows []mockRow
	if err := q.Order("created_at").Order("id").Find(&rows).Error; err != nil {
		return nil, err
	}
	return mocksFromRows(rows)
}

// MockIDExists reports whether any mock (live or deleted) has the ID.
func (s *Store) MockIDExists(ctx context.Context, id string) (bool, error) {
	var n int64
	err := s.db.WithContext(ctx).Model(&mockRow{}).Where("id = ?", id).Count(&n).Error
	return n > 0, err
}

// volatile fields live in columns, not in the stored document.
func rowFromMock(m *model.Mock) (*mockRow, error) {
	doc := *m
	doc.UseCounter, doc.LastUse, doc.CreatedAt, doc.UpdatedAt, doc.ExpireAt, doc.ClosedAt = 0, 0, 0, 0, 0, 0
	b, err := json.Marshal(&doc)
	if err != nil {
		return nil, fmt.Errorf("encode mock %s: %w", m.ID, err)
	}
	tags := m.Tags
	if tags == nil {
		tags = []string{}
	}
	tb, _ := json.Marshal(tags)
	return &mockRow{
		ID: m.ID, Namespace: m.Namespace, Protocol: m.Protocol(), ChainID: m.ChainID, FolderID: m.FolderID,
		ServerName: m.ServerName, Priority: m.Priority, Tags: string(tb), Search: searchText(m),
		UseCounter: m.UseCounter, UseLimiter: m.UseLimiter, TTL: m.TTL, ExpireAt: m.ExpireAt,
		LastUse: m.LastUse, ClosedAt: m.ClosedAt, Document: string(b),
	}, nil
}

func mockFromRow(r *mockRow) (*model.Mock, error) {
	var m model.Mock
	if err := json.Unmarshal([]byte(r.Document), &m); err != nil {
		return nil, fmt.Errorf("decode stored mock %s: %w", r.ID, err)
	}
	m.UseCounter, m.LastUse, m.CreatedAt, m.UpdatedAt = r.UseCounter, r.LastUse, r.CreatedMs, r.UpdatedMs
	m.ExpireAt, m.ClosedAt = r.ExpireAt, r.ClosedAt
	return &m, nil
}

func mocksFromRows(rows []mockRow) ([]*model.Mock, error) {
	out := make([]*model.Mock, 0, len(rows))
	for i := range rows {
		m, err := mockFromRow(&rows[i])
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

// searchText is what the list "search" parameter looks in.
func searchText(m *model.Mock) string {
	parts := []string{m.ID, m.Namespace, m.ServerName, m.ChainID, m.PathPrefix}
	parts = append(parts, m.Tags...)
	switch {
	case m.HTTP != nil:
		parts = append(parts, m.HTTP.HTTPMethod, m.HTTP.Route, m.HTTP.RoutePattern)
	case m.GRPC != nil:
		parts = append(parts, m.GRPC.Service, m.GRPC.Method, m.GRPC.Service+"/"+m.GRPC.Method)
	case m.MCP != nil:
		parts = append(parts, m.MCP.Method, m.MCP.Tool, m.MCP.Resource, m.MCP.Description)
	case m.Socket != nil:
		parts = append(parts, m.Socket.ServerName, m.Socket.Event)
	case m.SOAP != nil:
		parts = append(parts, m.SOAP.Service, m.SOAP.Method, m.SOAP.Action, m.SOAP.Path)
	case m.GraphQL != nil:
		parts = append(parts, m.GraphQL.Operation, m.GraphQL.Field, m.GraphQL.Path)
	case m.SSE != nil:
		parts = append(parts, m.SSE.EventPath, m.SSE.EventName, m.SSE.Description)
	case m.Kafka != nil:
		parts = append(parts, m.Kafka.Topic, m.Kafka.ServerName, m.Kafka.OutputTopic)
	case m.RabbitMQ != nil:
		parts = append(parts, m.RabbitMQ.Queue, m.RabbitMQ.Exchange, m.RabbitMQ.RoutingKey, m.RabbitMQ.ServerName)
	case m.SMTP != nil:
		parts = append(parts, m.SMTP.ServerName)
	}
	var b strings.Builder
	for _, p := range parts {
		if p != "" {
			b.WriteString(strings.ToLower(textSafe(p)))
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// MockCounts are figures for the stats endpoints.
type MockCounts struct {
	Total       int64
	Active      int64
	Deleted     int64
	Expired     int64
	Used        int64 // mocks matched at least once
	Requests    int64 // sum of use counters
	ByProtocol  map[string]int64
	ByNamespace map[string]int64
}

// CountMocks computes the mock figures.
func (s *Store) CountMocks(ctx context.Context) (*MockCounts, error) {
	c := &MockCounts{ByProtocol: map[string]int64{}, ByNamespace: map[string]int64{}}
	db := s.db.WithContext(ctx).Model(&mockRow{})
	now := nowMs()
	type agg struct {
		Total, Deleted, Expired, Used, Requests int64
	}
	var a agg
	err := db.Select(`COUNT(*) AS total,
		COALESCE(SUM(CASE WHEN closed_at > 0 THEN 1 ELSE 0 END), 0) AS deleted,
		COALESCE(SUM(CASE WHEN closed_at = 0 AND expire_at > 0 AND expire_at <= ? THEN 1 ELSE 0 END), 0) AS expired,
		COALESCE(SUM(CASE WHEN use_counter > 0 THEN 1 ELSE 0 END), 0) AS used,
		COALESCE(SUM(use_counter), 0) AS requests`, now).Scan(&a).Error
	if err != nil {
		return nil, err
	}
	c.Total, c.Deleted, c.Expired, c.Used, c.Requests = a.Total, a.Deleted, a.Expired, a.Used, a.Requests
	c.Active = c.Total - c.Deleted - c.Expired
	type group struct {
		Key string
		N   int64
	}
	live := s.db.WithContext(ctx).Model(&mockRow{}).Where("closed_at = 0")
	var groups []group
	if err := live.Select("protocol AS key, COUNT(*) AS n").Group("protocol").Scan(&groups).Error; err != nil {
		return nil, err
	}
	for _, g := range groups {
		c.ByProtocol[g.Key] = g.N
	}
	groups = nil
	live = s.db.WithContext(ctx).Model(&mockRow{}).Where("closed_at = 0")
	if err := live.Select("namespace AS key, COUNT(*) AS n").Group("namespace").Scan(&groups).Error; err != nil {
		return nil, err
	}
	for _, g := range groups {
		c.ByNamespace[g.Key] = g.N
	}
	return c, nil
}

// UsedTags returns every tag on a live mock with the number of mocks using it.
func (s *Store) UsedTags(ctx context.Context, namespace string) (map[string]int64, error) {
	q := s.db.WithContext(ctx).Model(&mockRow{}).Where("closed_at = 0 AND tags <> '[]'")
	if namespace != "" {
		q = q.Where("namespace = ?", namespace)
	}
	var lists []string
	if err := q.Pluck("tags", &lists).Error; err != nil {
		return nil, err
	}
	out := map[string]int64{}
	for _, l := range lists {
		var tags []string
		if json.Unmarshal([]byte(l), &tags) == nil {
			for _, t := range tags {
				out[t]++
			}
		}
	}
	return out, nil
}

// sortedKeys returns the keys of m in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Usage is a mock's use counter and last use, to persist.
type Usage struct {
	ID               string
	Counter, LastUse int64
}

// SetUsages persists many counters in one transaction.
func (s *Store) SetUsages(ctx context.Context, list []Usage) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error { return s.setUsagesTx(tx, list) })
}
