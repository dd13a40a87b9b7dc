package store

import (
	"context"
	"encoding/json"
	"errors"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// ensureNamespace records a namespace the first time something uses it.
func ensureNamespace(tx *gorm.DB, name string, now int64) error {
	return tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&v1Namespace{Name: name, CreatedMs: now}).Error
}

// CreateNamespace adds a namespace; ErrConflict if it exists.
func (s *Store) CreateNamespace(ctx context.Context, name string) error {
	res := s.db.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&v1Namespace{Name: name, CreatedMs: nowMs()})
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return ErrConflict
	}
	return nil
}

// EnsureNamespace adds a namespace if it does not exist.
func (s *Store) EnsureNamespace(ctx context.Context, name string) error {
	return ensureNamespace(s.db.WithContext(ctx), name, nowMs())
}

// Namespaces lists every namespace by name.
func (s *Store) Namespaces(ctx context.Context) ([]string, error) {
	var names []string
	err := s.db.WithContext(ctx).Model(&namespaceRow{}).Where("deleted_at = 0").Order("name").Pluck("name", &names).Error
	return names, err
}

// StoreValues returns every key of the global store (chainID "") or of a chain store.
func (s *Store) StoreValues(ctx context.Context, namespace, chainID string) (map[string]json.RawMessage, error) {
	var rows []v1StoreValue
	if err := s.db.WithContext(ctx).Where("namespace = ? AND chain_id = ?", namespace, chainID).Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make(map[string]json.RawMessage, len(rows))
	for _, r := range rows {
		out[r.Key] = json.RawMessage(r.Value)
	}
	return out, nil
}

// StoreEntry is one key of a global (ChainID "") or chain store.
type StoreEntry struct {
	Namespace, ChainID, Key string
	Value                   json.RawMessage
}

// AllStoreValues returns every key of every store (to fill the memory cache at start).
func (s *Store) AllStoreValues(ctx context.Context) ([]StoreEntry, error) {
	var rows []v1StoreValue
	if err := s.db.WithContext(ctx).Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]StoreEntry, 0, len(rows))
	for _, r := range rows {
		out = append(out, StoreEntry{Namespace: r.Namespace, ChainID: r.ChainID, Key: r.Key, Value: json.RawMessage(r.Value)})
	}
	return out, nil
}

// SetStoreValue writes one key; value is any JSON document.
func (s *Store) SetStoreValue(ctx context.Context, namespace, chainID, key string, value json.RawMessage) error {
	now := nowMs()
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := ensureNamespace(tx, namespace, now); err != nil {
			return err
		}
		return tx.Clauses(clause.OnConflict{
			Columns:   []clause.Column{{Name: "namespace"}, {Name: "chain_id"}, {Name: "key"}},
			DoUpdates: clause.AssignmentColumns([]string{"value", "updated_at"}),
		}).Create(&v1StoreValue{Namespace: namespace, ChainID: chainID, Key: key, Value: string(value), UpdatedMs: now}).Error
	})
}

// DeleteStoreValue removes one key; ErrNotFound if it was not there.
func (s *Store) DeleteStoreValue(ctx context.Context, namespace, chainID, key string) error {
	res := s.db.WithContext(ctx).Where("namespace = ? AND chain_id = ? AND key = ?", namespace, chainID, key).Delete(&v1StoreValue{})
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return ErrNotFound
	}
	return nil
}

// DeleteStore removes every key of a store and returns how many.
func (s *Store) DeleteStore(ctx context.Context, namespace, chainID string) (int64, error) {
	res := s.db.WithContext(ctx).Where("namespace = ? AND chain_id = ?", namespace, chainID).Delete(&v1StoreValue{})
	return res.RowsAffected, res.Error
}

// CountStoreKeys counts stored keys in every store.
func (s *Store) CountStoreKeys(ctx context.Context) (global, chain int64, err error) {
	type agg struct{ Global, Chain int64 }
	var a agg
	err = s.db.WithContext(ctx).Model(&v1StoreValue{}).Select(`COALESCE(SUM(CASE WHEN chain_id = '' THEN 1 ELSE 0 END), 0) AS global,
		COALESCE(SUM(CASE WHEN chain_id <> '' THEN 1 ELSE 0 END), 0) AS chain`).Scan(&a).Error
	return a.Global, a.Chain, err
}

// Tag is a named label with the number of live mocks carrying it.
type Tag struct {
	Name      string
	Namespace string
	Color     string
	Count     int64
	CreatedAt int64
}

// CreateTag records a tag; ErrConflict if it already exists in the namespace.
func (s *Store) CreateTag(ctx context.Context, namespace, name, color string) error {
	res := s.db.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).
		Create(&v1Tag{Namespace: namespace, Name: name, Color: color, CreatedMs: nowMs()})
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return ErrConflict
	}
	return nil
}

// Tags lists the tags of a namespace ("" for all): the recorded ones and
// those in use on live mocks, sorted by name.
func (s *Store) Tags(ctx context.Context, namespace string) ([]Tag, error) {
	used, err := s.UsedTags(ctx, namespace)
	if err != nil {
		return nil, err
	}
	q := s.db.WithContext(ctx).Model(&v1Tag{})
	if namespace != "" {
		q = q.Where("namespace = ?", namespace)
	}
	var rows []v1Tag
	if err := q.Find(&rows).Error; err != nil {
		return nil, err
	}
	byName := map[string]*Tag{}
	for _, r := range rows {
		if t, ok := byName[r.Name]; ok {
			if t.Color == "" {
				t.Color = r.Color
			}
			continue
		}
		byName[r.Name] = &Tag{Name: r.Name, Namespace: r.Namespace, Color: r.Color, CreatedAt: r.CreatedMs}
	}
	for name, n := range used {
		t, ok := byName[name]
		if !ok {
			t = &Tag{Name: name, Namespace: namespace}
			byName[name] = t
		}
		t.Count = n
	}
	out := make([]Tag, 0, len(byName))
	for _, k := range sortedKeys(byName) {
		out = append(out, *byName[k])
	}
	return out, nil
}

// DeleteTag removes a recorded tag; mocks keep their tag strings.
func (s *Store) DeleteTag(ctx context.Context, namespace, name string) error {
	res := s.db.WithContext(ctx).Where("namespace = ? AND name = ?", namespace, name).Delete(&v1Tag{})
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return ErrNotFound
	}
	return nil
}

func notFound(err error) error {
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return ErrNotFound
	}
	return err
}
