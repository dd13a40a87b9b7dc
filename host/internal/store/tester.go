package store

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Kinds of API-tester objects: one table holds them all, each a JSON
// document with the columns the API filters and sorts by.
const (
	TesterCollection  = "collection"
	TesterFolder      = "folder"
	TesterRequest     = "request"
	TesterEnvironment = "environment"
	TesterTest        = "test"
	TesterSchedule    = "schedule"
	TesterHistory     = "history"
)

// TesterObject is one API-tester object (schema step 5).
type TesterObject struct {
	ID        string `gorm:"primaryKey;type:varchar(100)"`
	Kind      string `gorm:"type:varchar(16);not null;index:idx_tester_list,priority:1"`
	Namespace string `gorm:"type:varchar(100);not null;index:idx_tester_list,priority:2"`
	// Parent is the collection of a folder or request ("" otherwise).
	Parent string `gorm:"column:parent_id;type:varchar(100);not null;default:'';index"`
	// Folder is the folder of a folder or request ("": the collection's root).
	Folder    string `gorm:"column:folder_id;type:varchar(100);not null;default:''"`
	Name      string `gorm:"type:varchar(300);not null;default:''"`
	SortOrder int64  `gorm:"not null;default:0"`
	// Active marks the active environment of a namespace, or an enabled schedule.
	Active    bool   `gorm:"not null;default:false"`
	UserID    string `gorm:"type:varchar(100);not null;default:''"`
	CreatedMs int64  `gorm:"column:created_at;not null"`
	UpdatedMs int64  `gorm:"column:updated_at;not null;index:idx_tester_list,priority:3"`
	DeletedMs int64  `gorm:"column:deleted_at;not null;default:0"`
	Document  string `gorm:"type:text;not null"`
}

// TableName names the table.
func (TesterObject) TableName() string { return "tester_objects" }

// Task is one run of a tool (a collection run, a load test, a fuzz
// campaign): every tool's run list is a view over these rows (schema step 5).
type Task struct {
	ID          string `gorm:"primaryKey;type:varchar(64)"`
	Namespace   string `gorm:"type:varchar(100);not null;index:idx_tasks_list,priority:1"`
	Mode        string `gorm:"type:varchar(16);not null;index:idx_tasks_list,priority:2"` // functional, load, fuzz, ...
	ReferenceID string `gorm:"column:reference_id;type:varchar(100);not null;default:''"`
	Name        string `gorm:"type:varchar(300);not null;default:''"`
	Status      string `gorm:"type:varchar(16);not null;index"`
	Message     string `gorm:"type:text;not null;default:''"`
	UserID      string `gorm:"type:varchar(100);not null;default:''"`
	TriggeredBy string `gorm:"type:varchar(32);not null;default:''"`
	// Params is what was asked (JSON); Summary the live counters and
	// outcome (JSON), rewritten as the task goes.
	Params     string `gorm:"type:text;not null;default:'{}'"`
	Summary    string `gorm:"type:text;not null;default:'{}'"`
	CreatedMs  int64  `gorm:"column:created_at;not null;index:idx_tasks_list,priority:3"`
	StartedMs  int64  `gorm:"column:started_at;not null;default:0"`
	FinishedMs int64  `gorm:"column:finished_at;not null;default:0"`
}

// TableName names the table.
func (Task) TableName() string { return "tasks" }

// TaskItem is one product of a task (a request's result, a finding),
// stored as it arrives so a long run keeps nothing in memory.
type TaskItem struct {
	TaskID   string `gorm:"primaryKey;type:varchar(64)"`
	Seq      int64  `gorm:"primaryKey;autoIncrement:false"`
	Kind     string `gorm:"type:varchar(32);not null;default:''"`
	Document string `gorm:"type:text;not null"`
}

// TableName names the table.
func (TaskItem) TableName() string { return "task_items" }

func migrateTester(tx *gorm.DB) error {
	return tx.AutoMigrate(&TesterObject{}, &Task{}, &TaskItem{})
}

// TesterFilter narrows a tester object list.
type TesterFilter struct {
	Kind       string
	Namespace  string   // "": any
	Namespaces []string // when not nil: only these
	Parent     string   // when set: only this collection's objects
	Deleted    bool     // list deleted (restorable) objects instead of live ones
	Offset     int
	Limit      int
}

// TesterObjects lists objects by sort order then name, and the total.
func (s *Store) TesterObjects(ctx context.Context, f TesterFilter) ([]TesterObject, int64, error) {
	q := s.db.WithContext(ctx).Model(&TesterObject{}).Where("kind = ?", f.Kind)
	if f.Namespace != "" {
		q = q.Where("namespace = ?", f.Namespace)
	}
	if f.Namespaces != nil {
		if len(f.Namespaces) == 0 {
			return []TesterObject{}, 0, nil
		}
		q = q.Where("namespace IN ?", f.Namespaces)
	}
	if f.Parent != "" {
		q = q.Where("parent_id = ?", f.Parent)
	}
	if f.Deleted {
		q = q.Where("deleted_at <> 0")
	} else {
		q = q.Where("deleted_at = 0")
	}
	var total int64
	if err := q.Count(&total).Error; err != nil {
		return nil, 0, err
	}
	order := "sort_order, name, id"
	if f.Kind == TesterHistory {
		order = "created_at DESC, id"
	}
	q = q.Order(order).Offset(f.Offset)
	if f.Limit > 0 {
		q = q.Limit(f.Limit)
	}
	out := []TesterObject{}
	err := q.Find(&out).Error
	return out, total, err
}

// GetTesterObject finds one object of a kind, deleted or not.
func (s *Store) GetTesterObject(ctx context.Context, kind, id string) (*TesterObject, error) {
	var o TesterObject
	if err := s.db.WithContext(ctx).Where("kind = ? AND id = ?", kind, id).Take(&o).Error; err != nil {
		return nil, notFound(err)
	}
	return &o, nil
}

// PutTesterObjects creates or replaces objects in one transaction; an
// empty id gets a new one. A replaced object keeps its creation time.
func (s *Store) PutTesterObjects(ctx context.Context, objs ...*TesterObject) error {
	now := nowMs()
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		for _, o := range objs {
			if o.ID == "" {
				o.ID = uuid.NewString()
			}
			if o.UpdatedMs < now {
				o.UpdatedMs = now
			}
			var cur TesterObject
			err := tx.Select("kind", "created_at").Where("id = ?", o.ID).Take(&cur).Error
			if o.CreatedMs == 0 {
				o.CreatedMs = cur.CreatedMs // zero when new
			}
			if o.CreatedMs == 0 {
				o.CreatedMs = now
			}
			switch {
			case err == nil && cur.Kind != o.Kind:
				return fmt.Errorf("%w: id %q is taken by a %s", ErrConflict, o.ID, cur.Kind)
			case err == nil:
				if err := tx.Save(o).Error; err != nil {
					return err
				}
			case notFound(err) == ErrNotFound:
				if err := ensureNamespace(tx, o.Namespace, now); err != nil {
					return err
				}
				if err := tx.Create(o).Error; err != nil {
					return err
				}
			default:
				return err
			}
		}
		return nil
	})
}

// AddTesterObjects writes many new objects (a tool's products as they
// stream in) in one transaction with multi-row inserts: an object whose id
// exists already is replaced, so writing a batch again changes nothing.
func (s *Store) AddTesterObjects(ctx context.Context, objs []*TesterObject) error {
	if len(objs) == 0 {
		return nil
	}
	now := nowMs()
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		namespaces := map[string]bool{}
		for _, o := range objs {
			if o.ID == "" {
				o.ID = uuid.NewString()
			}
			if o.CreatedMs == 0 {
				o.CreatedMs = now
			}
			if o.UpdatedMs < now {
				o.UpdatedMs = now
			}
			if !namespaces[o.Namespace] {
				namespaces[o.Namespace] = true
				if err := ensureNamespace(tx, o.Namespace, now); err != nil {
					return err
				}
			}
		}
		return tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "id"}}, UpdateAll: true}).CreateInBatches(objs, 100).Error
	})
}

// SetTesterDeleted marks objects deleted (restorable) or live again, with
// the folders and requests of the collections among them.
func (s *Store) SetTesterDeleted(ctx context.Context, kind string, ids []string, deleted bool) (int64, error) {
	at := int64(0)
	if deleted {
		at = nowMs()
	}
	var n int64
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Model(&TesterObject{}).Where("kind = ? AND id IN ?", kind, ids).Updates(map[string]any{"deleted_at": at, "updated_at": nowMs()})
		if res.Error != nil {
			return res.Error
		}
		n = res.RowsAffected
		if kind == TesterCollection {
			return tx.Model(&TesterObject{}).Where("parent_id IN ? AND kind IN ?", ids, []string{TesterFolder, TesterRequest}).
				Update("deleted_at", at).Error
		}
		return nil
	})
	return n, err
}

// DeleteTesterObjects removes objects for good, with a collection's
// folders and requests.
func (s *Store) DeleteTesterObjects(ctx context.Context, kind string, ids []string) (int64, error) {
	var n int64
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Where("kind = ? AND id IN ?", kind, ids).Delete(&TesterObject{})
		if res.Error != nil {
			return res.Error
		}
		n = res.RowsAffected
		if kind == TesterCollection {
			return tx.Where("parent_id IN ? AND kind IN ?", ids, []string{TesterFolder, TesterRequest}).Delete(&TesterObject{}).Error
		}
		return nil
	})
	return n, err
}

// ActivateTesterObject marks one object of its kind and namespace active
// and every other one inactive (the active environment).
func (s *Store) ActivateTesterObject(ctx context.Context, kind, namespace, id string) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Model(&TesterObject{}).Where("kind = ? AND namespace = ? AND id <> ?", kind, namespace, id).
			Update("active", false).Error; err != nil {
			return err
		}
		res := tx.Model(&TesterObject{}).Where("kind = ? AND id = ?", kind, id).Updates(map[string]any{"active": true, "updated_at": nowMs()})
		if res.Error == nil && res.RowsAffected == 0 {
			return ErrNotFound
		}
		return res.Error
	})
}

// TrimTesterHistory keeps the newest keep history entries of a namespace.
func (s *Store) TrimTesterHistory(ctx context.Context, namespace string, keep int) error {
	var ids []string
	if err := s.db.WithContext(ctx).Model(&TesterObject{}).Where("kind = ? AND namespace = ?", TesterHistory, namespace).
		Order("created_at DESC, id").Offset(keep).Limit(1000).Pluck("id", &ids).Error; err != nil || len(ids) == 0 {
		return err
	}
	return s.db.WithContext(ctx).Where("id IN ?", ids).Delete(&TesterObject{}).Error
}
