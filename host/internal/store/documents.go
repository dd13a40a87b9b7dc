package store

import (
	"context"

	"github.com/google/uuid"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Registered documents (schema step 4): .proto files, GraphQL SDL, WSDL,
// by kind, namespace and name.
type DocumentRow struct {
	Kind      string `gorm:"primaryKey;type:varchar(16)"`
	Namespace string `gorm:"primaryKey;type:varchar(100)"`
	Name      string `gorm:"primaryKey;type:varchar(300)"`
	Content   string `gorm:"type:text;not null"`
	UpdatedMs int64  `gorm:"column:updated_at;not null"`
}

func (DocumentRow) TableName() string { return "documents" }

// CaptureRow is a message a listener kept for the API (schema step 4).
type CaptureRow struct {
	ID         string `gorm:"primaryKey;type:varchar(64)"`
	Protocol   string `gorm:"type:varchar(16);not null;index:idx_captures_list,priority:1"`
	Namespace  string `gorm:"type:varchar(100);not null;index:idx_captures_list,priority:2"`
	ServerName string `gorm:"type:varchar(200);not null;default:''"`
	MockID     string `gorm:"type:varchar(200);not null;default:''"`
	Summary    string `gorm:"type:text;not null;default:'{}'"`
	Raw        []byte `gorm:"not null"`
	CreatedMs  int64  `gorm:"column:created_at;not null;index:idx_captures_list,priority:3"`
}

func (CaptureRow) TableName() string { return "captures" }

func migrateDocuments(tx *gorm.DB) error {
	return tx.AutoMigrate(&DocumentRow{}, &CaptureRow{})
}

// PutDocument creates or replaces a document.
func (s *Store) PutDocument(ctx context.Context, d *DocumentRow) error {
	return s.db.WithContext(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "kind"}, {Name: "namespace"}, {Name: "name"}},
		DoUpdates: clause.AssignmentColumns([]string{"content", "updated_at"}),
	}).Create(d).Error
}

// GetDocument finds one document.
func (s *Store) GetDocument(ctx context.Context, kind, namespace, name string) (*DocumentRow, error) {
	var d DocumentRow
	if err := s.db.WithContext(ctx).Where("kind = ? AND namespace = ? AND name = ?", kind, namespace, name).Take(&d).Error; err != nil {
		return nil, notFound(err)
	}
	return &d, nil
}

// Documents lists the documents of a kind (namespace "": every namespace), by name.
func (s *Store) Documents(ctx context.Context, kind, namespace string) ([]DocumentRow, error) {
	q := s.db.WithContext(ctx).Where("kind = ?", kind).Order("namespace, name")
	if namespace != "" {
		q = q.Where("namespace = ?", namespace)
	}
	var out []DocumentRow
	err := q.Find(&out).Error
	return out, err
}

// DeleteDocument removes one document.
func (s *Store) DeleteDocument(ctx context.Context, kind, namespace, name string) error {
	res := s.db.WithContext(ctx).Where("kind = ? AND namespace = ? AND name = ?", kind, namespace, name).Delete(&DocumentRow{})
	if res.Error == nil && res.RowsAffected == 0 {
		return ErrNotFound
	}
	return res.Error
}

// AddCapture keeps a message; its id is set when empty.
func (s *Store) AddCapture(ctx context.Context, c *CaptureRow) error {
	if c.ID == "" {
		c.ID = uuid.NewString()
	}
	if c.Raw == nil {
		c.Raw = []byte{}
	}
	return s.db.WithContext(ctx).Create(c).Error
}

// CaptureFilter narrows the kept messages.
type CaptureFilter struct {
	Protocol   string
	Namespace  string   // "": every namespace
	Namespaces []string // when not nil: only these
	ServerName string
	Offset     int
	Limit      int
}

// Captures lists kept messages, newest first, and the total.
func (s *Store) Captures(ctx context.Context, f CaptureFilter) ([]CaptureRow, int64, error) {
	q := s.db.WithContext(ctx).Model(&CaptureRow{}).Where("protocol = ?", f.Protocol)
	if f.Namespace != "" {
		q = q.Where("namespace = ?", f.Namespace)
	}
	if f.Namespaces != nil {
		if len(f.Namespaces) == 0 {
			return []CaptureRow{}, 0, nil // no namespace may be read
		}
		q = q.Where("namespace IN ?", f.Namespaces)
	}
	if f.ServerName != "" {
		q = q.Where("server_name = ?", f.ServerName)
	}
	var total int64
	if err := q.Count(&total).Error; err != nil {
		return nil, 0, err
	}
	// Lists leave the raw message out: it can be megabytes per row.
	q = q.Omit("raw").Order("created_at DESC, id").Offset(f.Offset)
	if f.Limit > 0 {
		q = q.Limit(f.Limit)
	}
	var out []CaptureRow
	err := q.Find(&out).Error
	return out, total, err
}

// GetCapture finds one kept message.
func (s *Store) GetCapture(ctx context.Context, id string) (*CaptureRow, error) {
	var c CaptureRow
	if err := s.db.WithContext(ctx).Where("id = ?", id).Take(&c).Error; err != nil {
		return nil, notFound(err)
	}
	return &c, nil
}

// DeleteCaptures removes kept messages: one (id), or every one of a
// protocol in a namespace (id "").
func (s *Store) DeleteCaptures(ctx context.Context, id, protocol, namespace string) (int64, error) {
	q := s.db.WithContext(ctx)
	if id != "" {
		q = q.Where("id = ?", id)
	} else {
		q = q.Where("protocol = ? AND namespace = ?", protocol, namespace)
	}
	res := q.Delete(&CaptureRow{})
	return res.RowsAffected, res.Error
}
