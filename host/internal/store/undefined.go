package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// UndefinedRequest is a request that matched no mock, deduplicated by
// namespace, protocol, method and path, with how often it was seen.
type UndefinedRequest struct {
	ID        string
	Namespace string
	Protocol  string
	Method    string
	Path      string
	Body      string // the last body seen, as received
	Headers   string // JSON object of the last headers seen
	Count     int64
	FirstSeen int64
	LastSeen  int64
	Ignored   bool
}

func undefinedFingerprint(namespace, protocol, method, path string) string {
	h := sha256.Sum256([]byte(namespace + "\x00" + protocol + "\x00" + method + "\x00" + path))
	return hex.EncodeToString(h[:16])
}

// RecordUndefined stores an unmatched request or bumps the count of the same
// request seen before (an ignored one stays ignored). u.Count, when above 1,
// records that many sightings at once.
func (s *Store) RecordUndefined(ctx context.Context, u UndefinedRequest) (*UndefinedRequest, error) {
	u, fp, first, now, n := normaliseUndefined(u)
	var out v1Undefined
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := upsertUndefinedTx(tx, u, fp, first, now, n); err != nil {
			return err
		}
		return tx.Where("fingerprint = ?", fp).Take(&out).Error
	})
	if err != nil {
		return nil, err
	}
	r := undefinedFromRow(&out)
	return &r, nil
}

// upsertUndefinedTx adds a sighting. One upsert statement: a row lock cannot
// serialise two first sightings of the same request (there is no row yet),
// a unique-key conflict can.
func upsertUndefinedTx(tx *gorm.DB, u UndefinedRequest, fp string, first, now, n int64) error {
	row := v1Undefined{ID: uuid.NewString(), Fingerprint: fp, Namespace: u.Namespace, Protocol: u.Protocol,
		Method: u.Method, Path: u.Path, Body: u.Body, Headers: u.Headers, Count: n, FirstSeen: first, LastSeen: now}
	return tx.Clauses(clause.OnConflict{
		Columns: []clause.Column{{Name: "fingerprint"}},
		DoUpdates: clause.Assignments(map[string]any{
			"count": gorm.Expr("undefined_requests.count + ?", n), "last_seen": now, "body": u.Body, "headers": u.Headers,
		}),
	}).Create(&row).Error
}

// normaliseUndefined cleans a sighting for storage and gives its
// fingerprint, first and last sighting and count.
func normaliseUndefined(u UndefinedRequest) (UndefinedRequest, string, int64, int64, int64) {
	// Bodies and paths arrive as raw bytes; PostgreSQL text refuses NUL and
	// invalid UTF-8, so every driver stores the same cleaned text.
	u.Method, u.Path, u.Body, u.Headers = textSafe(u.Method), textSafe(u.Path), textSafe(u.Body), textSafe(u.Headers)
	// The columns' sizes: a caller's SOAPAction or method name of any
	// length must not make the row unwritable.
	u.Namespace, u.Protocol, u.Method = cutText(u.Namespace, 100), cutText(u.Protocol, 16), cutText(u.Method, 200)
	fp := undefinedFingerprint(u.Namespace, u.Protocol, u.Method, u.Path)
	now := u.LastSeen
	if now == 0 {
		now = nowMs()
	}
	first := u.FirstSeen
	if first == 0 || first > now {
		first = now
	}
	if u.Headers == "" {
		u.Headers = "{}"
	}
	n := u.Count
	if n < 1 {
		n = 1
	}
	return u, fp, first, now, n
}

// cutText keeps at most n characters of s.
func cutText(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

// textSafe replaces NUL and invalid UTF-8 with U+FFFD.
func textSafe(s string) string {
	if strings.IndexByte(s, 0) >= 0 {
		s = strings.ReplaceAll(s, "\x00", "\uFFFD")
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

func undefinedFromRow(r *v1Undefined) UndefinedRequest {
	return UndefinedRequest{ID: r.ID, Namespace: r.Namespace, Protocol: r.Protocol, Method: r.Method, Path: r.Path,
		Body: r.Body, Headers: r.Headers, Count: r.Count, FirstSeen: r.FirstSeen, LastSeen: r.LastSeen, Ignored: r.Ignored}
}

// UndefinedFilter selects undefined requests.
type UndefinedFilter struct {
	Namespace      string   // "" for all
	Namespaces     []string // when not nil: only these (the ones the caller may read)
	Protocol       string
	IncludeIgnored bool
	Offset, Limit  int
}

// UndefinedRequests lists unmatched requests, most recently seen first.
func (s *Store) UndefinedRequests(ctx context.Context, f UndefinedFilter) ([]UndefinedRequest, int64, error) {
	q := s.db.WithContext(ctx).Model(&v1Undefined{})
	if f.Namespaces != nil {
		q = q.Where("namespace IN ?", append(f.Namespaces, "")) // "": never empty
	}
	if f.Namespace != "" {
		q = q.Where("namespace = ?", f.Namespace)
	}
	if f.Protocol != "" {
		q = q.Where("protocol = ?", f.Protocol)
	}
	if !f.IncludeIgnored {
		q = q.Where("ignored = ?", false)
	}
	var total int64
	if err := q.Count(&total).Error; err != nil {
		return nil, 0, err
	}
	q = q.Order("last_seen DESC").Order("id").Offset(f.Offset)
	if f.Limit > 0 {
		q = q.Limit(f.Limit)
	}
	var rows []v1Undefined
	if err := q.Find(&rows).Error; err != nil {
		return nil, 0, err
	}
	out := make([]UndefinedRequest, 0, len(rows))
	for i := range rows {
		out = append(out, undefinedFromRow(&rows[i]))
	}
	return out, total, nil
}

// GetUndefined returns one unmatched request.
func (s *Store) GetUndefined(ctx context.Context, id string) (*UndefinedRequest, error) {
	var row v1Undefined
	if err := s.db.WithContext(ctx).Where("id = ?", id).Take(&row).Error; err != nil {
		return nil, notFound(err)
	}
	r := undefinedFromRow(&row)
	return &r, nil
}

// IgnoreUndefined hides a request from the list.
func (s *Store) IgnoreUndefined(ctx context.Context, id string) error {
	res := s.db.WithContext(ctx).Model(&v1Undefined{}).Where("id = ?", id).Update("ignored", true)
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return ErrNotFound
	}
	return nil
}

// DeleteUndefined removes the given requests and returns how many existed.
func (s *Store) DeleteUndefined(ctx context.Context, ids []string) (int64, error) {
	if len(ids) == 0 {
		return 0, nil
	}
	res := s.db.WithContext(ctx).Where("id IN ?", ids).Delete(&v1Undefined{})
	return res.RowsAffected, res.Error
}

// DeleteAllUndefined clears the list for a namespace ("" for all).
func (s *Store) DeleteAllUndefined(ctx context.Context, namespace string) (int64, error) {
	q := s.db.WithContext(ctx)
	if namespace != "" {
		q = q.Where("namespace = ?", namespace)
	} else {
		q = q.Where("1 = 1")
	}
	res := q.Delete(&v1Undefined{})
	return res.RowsAffected, res.Error
}

// CountUndefined counts unmatched requests that are not ignored.
func (s *Store) CountUndefined(ctx context.Context) (int64, error) {
	var n int64
	err := s.db.WithContext(ctx).Model(&v1Undefined{}).Where("ignored = ?", false).Count(&n).Error
	return n, err
}

// PruneUndefined keeps the keep most recently seen unmatched requests and
// deletes the rest, returning how many it deleted.
func (s *Store) PruneUndefined(ctx context.Context, keep int) (int64, error) {
	var n int64
	if err := s.db.WithContext(ctx).Model(&v1Undefined{}).Count(&n).Error; err != nil {
		return 0, err
	}
	if n <= int64(keep) {
		return 0, nil
	}
	var cutoff v1Undefined
	if err := s.db.WithContext(ctx).Order("last_seen DESC").Order("id DESC").Offset(keep).Limit(1).Take(&cutoff).Error; err != nil {
		return 0, notFoundAsZero(err)
	}
	res := s.db.WithContext(ctx).Where("last_seen <= ?", cutoff.LastSeen).Delete(&v1Undefined{})
	return res.RowsAffected, res.Error
}

func notFoundAsZero(err error) error {
	if notFound(err) == ErrNotFound {
		return nil
	}
	return err
}
