package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/mockarty-oss/mockarty/host/internal/model"
	"gorm.io/gorm"
)

// MockVersion is one saved revision of a mock.
type MockVersion struct {
	MockID    string
	Version   int64
	Change    string
	CreatedAt int64
	Mock      *model.Mock
}

// MockVersions lists the saved revisions of a mock, newest first.
func (s *Store) MockVersions(ctx context.Context, mockID string) ([]MockVersion, error) {
	var rows []v1MockVersion
	if err := s.db.WithContext(ctx).Where("mock_id = ?", mockID).Order("version DESC").Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]MockVersion, 0, len(rows))
	for i := range rows {
		v, err := versionFromRow(&rows[i])
		if err != nil {
			return nil, err
		}
		out = append(out, *v)
	}
	return out, nil
}

// GetMockVersion returns one revision.
func (s *Store) GetMockVersion(ctx context.Context, mockID string, version int64) (*MockVersion, error) {
	var row v1MockVersion
	err := s.db.WithContext(ctx).Where("mock_id = ? AND version = ?", mockID, version).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	return versionFromRow(&row)
}

func versionFromRow(r *v1MockVersion) (*MockVersion, error) {
	var m model.Mock
	if err := json.Unmarshal([]byte(r.Document), &m); err != nil {
		return nil, fmt.Errorf("decode version %d of mock %s: %w", r.Version, r.MockID, err)
	}
	return &MockVersion{MockID: r.MockID, Version: r.Version, Change: r.Change, CreatedAt: r.CreatedMs, Mock: &m}, nil
}

// RequestLog is one logged call of a mock.
type RequestLog struct {
	ID       string          `json:"id"`
	CalledAt int64           `json:"-"`
	Seq      int64           `json:"-"` // arrival order; NextLogSeq when zero
	Req      json.RawMessage `json:"req"`
	Response json.RawMessage `json:"response,omitempty"`
}

var logSeq atomic.Int64

// NextLogSeq returns a number larger than any returned before, also across
// restarts (it starts from the clock in nanoseconds).
func NextLogSeq() int64 {
	for {
		last := logSeq.Load()
		next := time.Now().UnixNano()
		if next <= last {
			next = last + 1
		}
		if logSeq.CompareAndSwap(last, next) {
			return next
		}
	}
}

// AppendMockLog stores a call and keeps only the newest limit calls of the mock.
func (s *Store) AppendMockLog(ctx context.Context, mockID string, l RequestLog, limit int) error {
	return s.AppendMockLogs(ctx, map[string][]RequestLog{mockID: {l}}, limit)
}

// AppendMockLogs records calls of many mocks in one transaction (one
// commit per flush, however many mocks were called), keeping the newest
// limit per mock.
func (s *Store) AppendMockLogs(ctx context.Context, logs map[string][]RequestLog, limit int) error {
	ids := make([]string, 0, len(logs))
	for id := range logs {
		ids = append(ids, id)
	}
	return s.WriteJournal(ctx, JournalBatch{Logs: logs, Trim: ids, Limit: limit})
}

// insertLogsTx adds calls with multi-row inserts.
func insertLogsTx(tx *gorm.DB, logs map[string][]RequestLog) error {
	rows := make([]mockLogRow, 0, len(logs))
	for mockID, list := range logs {
		for _, l := range list {
			if l.ID == "" {
				l.ID = uuid.NewString()
			}
			if l.Seq == 0 {
				l.Seq = NextLogSeq()
			}
			doc, err := json.Marshal(struct {
				Req      json.RawMessage `json:"req"`
				Response json.RawMessage `json:"response,omitempty"`
			}{l.Req, l.Response})
			if err != nil {
				return err
			}
			rows = append(rows, mockLogRow{ID: l.ID, MockID: mockID, CalledAt: l.CalledAt, Seq: l.Seq, Document: string(doc)})
		}
	}
	if len(rows) == 0 {
		return nil
	}
	return tx.CreateInBatches(rows, writeChunk/5).Error
}

// trimLogsTx keeps the newest limit calls of each of the mocks.
func trimLogsTx(tx *gorm.DB, ids []string, limit int) error {
	if limit <= 0 || len(ids) == 0 {
		return nil
	}
	// One statement per 500 mocks.
	for start := 0; start < len(ids); start += 500 {
		chunk := ids[start:min(start+500, len(ids))]
		if err := tx.Exec(`DELETE FROM mock_logs WHERE id IN (
			SELECT id FROM (SELECT id, ROW_NUMBER() OVER (PARTITION BY mock_id ORDER BY called_at DESC, seq DESC, id DESC) AS rn
			FROM mock_logs WHERE mock_id IN ?) ranked WHERE rn > ?)`, chunk, limit).Error; err != nil {
			return err
		}
	}
	return nil
}

// MockLogs returns a page of the calls of a mock, newest first, and their total.
func (s *Store) MockLogs(ctx context.Context, mockID string, offset, limit int) ([]RequestLog, int64, error) {
	q := s.db.WithContext(ctx).Model(&mockLogRow{}).Where("mock_id = ?", mockID)
	var total int64
	if err := q.Count(&total).Error; err != nil {
		return nil, 0, err
	}
	q = q.Order("called_at DESC").Order("seq DESC").Order("id DESC").Offset(offset)
	if limit > 0 {
		q = q.Limit(limit)
	}
	var rows []mockLogRow
	if err := q.Find(&rows).Error; err != nil {
		return nil, 0, err
	}
	out := make([]RequestLog, 0, len(rows))
	for _, r := range rows {
		var l RequestLog
		if err := json.Unmarshal([]byte(r.Document), &l); err != nil {
			return nil, 0, fmt.Errorf("decode log %s: %w", r.ID, err)
		}
		l.ID, l.CalledAt = r.ID, r.CalledAt
		out = append(out, l)
	}
	return out, total, nil
}

// DeleteMockLogs removes every logged call of a mock and returns how many.
func (s *Store) DeleteMockLogs(ctx context.Context, mockID string) (int64, error) {
	res := s.db.WithContext(ctx).Where("mock_id = ?", mockID).Delete(&mockLogRow{})
	return res.RowsAffected, res.Error
}
