package store

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// StoreWrite is one change of a store key: a new value, or a deletion.
type StoreWrite struct {
	Namespace, ChainID, Key string
	Value                   json.RawMessage
	Delete                  bool
}

// DurableBatch is what one group commit writes: store changes and use
// counters, in one transaction, so a crash keeps all of it or none.
type DurableBatch struct {
	Writes []StoreWrite
	Usages []Usage
}

// Empty reports a batch with nothing to write.
func (b *DurableBatch) Empty() bool { return len(b.Writes) == 0 && len(b.Usages) == 0 }

// ApplyDurable writes a batch in one transaction: the commit every waiting
// request of the batch shares (group commit).
func (s *Store) ApplyDurable(ctx context.Context, b DurableBatch) error {
	if b.Empty() {
		return nil
	}
	var fresh []string // namespaces whose row this batch made sure of
	err := s.hot.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := s.applyWrites(tx, b.Writes, &fresh); err != nil {
			return err
		}
		return s.setUsagesTx(tx, b.Usages)
	})
	if err == nil {
		for _, ns := range fresh {
			s.ensured.Store(ns, true)
		}
	}
	return err
}

// writeChunk bounds the rows of one multi-row statement (PostgreSQL takes
// at most 65535 parameters per statement).
const writeChunk = 1000

func (s *Store) applyWrites(tx *gorm.DB, writes []StoreWrite, fresh *[]string) error {
	if len(writes) == 0 {
		return nil
	}
	now := nowMs()
	namespaces := map[string]bool{}
	var rows []v1StoreValue
	var dels []StoreWrite
	for _, w := range writes {
		if w.Delete {
			dels = append(dels, w)
			continue
		}
		namespaces[w.Namespace] = true
		rows = append(rows, v1StoreValue{Namespace: w.Namespace, ChainID: w.ChainID, Key: w.Key, Value: string(w.Value), UpdatedMs: now})
	}
	for _, ns := range sortedKeys(namespaces) {
		if _, ok := s.ensured.Load(ns); ok {
			continue // a namespace row is never removed (deletion marks it)
		}
		if err := ensureNamespace(tx, ns, now); err != nil {
			return err
		}
		*fresh = append(*fresh, ns)
	}
	// SQLite: one prepared statement per row (no round trips to save);
	// PostgreSQL: multi-row statements.
	chunkSize := writeChunk
	if s.driver != "pg" {
		chunkSize = 1
	}
	for start := 0; start < len(rows); start += chunkSize {
		chunk := rows[start:min(start+chunkSize, len(rows))]
		if err := tx.Clauses(clause.OnConflict{
			Columns:   []clause.Column{{Name: "namespace"}, {Name: "chain_id"}, {Name: "key"}},
			DoUpdates: clause.AssignmentColumns([]string{"value", "updated_at"}),
		}).Create(&chunk).Error; err != nil {
			return fmt.Errorf("write store values: %w", err)
		}
	}
	for _, d := range dels {
		if err := tx.Where("namespace = ? AND chain_id = ? AND key = ?", d.Namespace, d.ChainID, d.Key).
			Delete(&v1StoreValue{}).Error; err != nil {
			return fmt.Errorf("delete store value: %w", err)
		}
	}
	return nil
}

// setUsagesTx writes use counters: one statement per chunk on PostgreSQL
// (a round trip per mock would not keep up with the request rate), one
// per mock on SQLite, where a statement is a function call.
func (s *Store) setUsagesTx(tx *gorm.DB, list []Usage) error {
	if len(list) == 0 {
		return nil
	}
	if s.driver != "pg" {
		for _, u := range list {
			if err := tx.Model(&mockRow{}).Where("id = ?", u.ID).
				Updates(map[string]any{"use_counter": u.Counter, "last_use": u.LastUse}).Error; err != nil {
				return err
			}
		}
		return nil
	}
	sorted := append([]Usage(nil), list...)
	// A fixed order keeps two writers of overlapping sets from deadlocking.
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].ID < sorted[j].ID })
	for start := 0; start < len(sorted); start += writeChunk {
		chunk := sorted[start:min(start+writeChunk, len(sorted))]
		var sb strings.Builder
		args := make([]any, 0, 3*len(chunk))
		sb.WriteString("UPDATE mocks AS m SET use_counter = v.c, last_use = v.l FROM (VALUES ")
		for i, u := range chunk {
			if i > 0 {
				sb.WriteByte(',')
			}
			sb.WriteString("(?::text, ?::bigint, ?::bigint)")
			args = append(args, u.ID, u.Counter, u.LastUse)
		}
		sb.WriteString(") AS v(id, c, l) WHERE m.id = v.id")
		if err := tx.Exec(sb.String(), args...).Error; err != nil {
			return err
		}
	}
	return nil
}
