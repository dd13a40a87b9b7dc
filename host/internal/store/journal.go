package store

import (
	"context"
	"sort"

	"gorm.io/gorm"
)

// JournalBatch is one flush of the request journal: calls of mocks, use
// counters of unlimited mocks, and unmatched requests.
type JournalBatch struct {
	Logs map[string][]RequestLog
	// Trim names the mocks whose logs are cut to the newest Limit.
	Trim      []string
	Limit     int
	Usages    []Usage
	Undefined []UndefinedRequest
}

// Empty reports a batch with nothing to write.
func (b *JournalBatch) Empty() bool {
	return len(b.Logs) == 0 && len(b.Trim) == 0 && len(b.Usages) == 0 && len(b.Undefined) == 0
}

// WriteJournal writes a journal batch in one transaction (one commit per
// flush, whatever it holds), with multi-row statements.
func (s *Store) WriteJournal(ctx context.Context, b JournalBatch) error {
	if b.Empty() {
		return nil
	}
	// Sightings in a fixed order: two writers never lock the same rows in
	// opposite orders.
	undef := append([]UndefinedRequest(nil), b.Undefined...)
	sort.Slice(undef, func(i, j int) bool {
		a, c := undef[i], undef[j]
		return a.Namespace+"\x00"+a.Protocol+"\x00"+a.Method+"\x00"+a.Path < c.Namespace+"\x00"+c.Protocol+"\x00"+c.Method+"\x00"+c.Path
	})
	return s.hot.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := insertLogsTx(tx, b.Logs); err != nil {
			return err
		}
		if err := trimLogsTx(tx, b.Trim, b.Limit); err != nil {
			return err
		}
		if err := s.setUsagesTx(tx, b.Usages); err != nil {
			return err
		}
		for _, u := range undef {
			u, fp, first, now, n := normaliseUndefined(u)
			if err := upsertUndefinedTx(tx, u, fp, first, now, n); err != nil {
				return err
			}
		}
		return nil
	})
}
