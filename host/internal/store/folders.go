package store

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"gorm.io/gorm"
)

// Folder groups mocks in a tree per namespace.
type Folder struct {
	ID        string
	Namespace string
	ParentID  string
	Name      string
	SortOrder int64
	CreatedAt int64
	UpdatedAt int64
	MockCount int64
}

func folderFromRow(r *v1Folder) Folder {
	return Folder{ID: r.ID, Namespace: r.Namespace, ParentID: r.ParentID, Name: r.Name, SortOrder: r.SortOrder, CreatedAt: r.CreatedMs, UpdatedAt: r.UpdatedMs}
}

// Folders lists the folders of a namespace ("" for all) with their live mock counts.
func (s *Store) Folders(ctx context.Context, namespace string) ([]Folder, error) {
	q := s.db.WithContext(ctx).Model(&v1Folder{})
	if namespace != "" {
		q = q.Where("namespace = ?", namespace)
	}
	var rows []v1Folder
	if err := q.Order("sort_order").Order("name").Order("id").Find(&rows).Error; err != nil {
		return nil, err
	}
	type cnt struct {
		FolderID string
		N        int64
	}
	var counts []cnt
	cq := s.db.WithContext(ctx).Model(&mockRow{}).Where("closed_at = 0 AND folder_id <> ''")
	if namespace != "" {
		cq = cq.Where("namespace = ?", namespace)
	}
	if err := cq.Select("folder_id, COUNT(*) AS n").Group("folder_id").Scan(&counts).Error; err != nil {
		return nil, err
	}
	byID := map[string]int64{}
	for _, c := range counts {
		byID[c.FolderID] = c.N
	}
	out := make([]Folder, 0, len(rows))
	for i := range rows {
		f := folderFromRow(&rows[i])
		f.MockCount = byID[f.ID]
		out = append(out, f)
	}
	return out, nil
}

// GetFolder returns one folder.
func (s *Store) GetFolder(ctx context.Context, id string) (*Folder, error) {
	var row v1Folder
	if err := s.db.WithContext(ctx).Where("id = ?", id).Take(&row).Error; err != nil {
		return nil, notFound(err)
	}
	f := folderFromRow(&row)
	return &f, nil
}

// CreateFolder adds a folder; the parent, when given, must exist in the same namespace.
func (s *Store) CreateFolder(ctx context.Context, f Folder) (*Folder, error) {
	if f.ID == "" {
		f.ID = uuid.NewString()
	}
	now := nowMs()
	f.CreatedAt, f.UpdatedAt = now, now
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := checkParent(tx, f.ID, f.Namespace, f.ParentID); err != nil {
			return err
		}
		var n int64
		if err := tx.Model(&v1Folder{}).Where("id = ?", f.ID).Count(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			return fmt.Errorf("%w: folder %q already exists", ErrConflict, f.ID)
		}
		if err := ensureNamespace(tx, f.Namespace, now); err != nil {
			return err
		}
		return tx.Create(&v1Folder{ID: f.ID, Namespace: f.Namespace, ParentID: f.ParentID, Name: f.Name, SortOrder: f.SortOrder, CreatedMs: now, UpdatedMs: now}).Error
	})
	if err != nil {
		return nil, err
	}
	return &f, nil
}

// UpdateFolder changes name, parent and sort order.
func (s *Store) UpdateFolder(ctx context.Context, f Folder) (*Folder, error) {
	var out Folder
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var row v1Folder
		if err := tx.Where("id = ?", f.ID).Take(&row).Error; err != nil {
			return notFound(err)
		}
		if err := checkParent(tx, f.ID, row.Namespace, f.ParentID); err != nil {
			return err
		}
		row.Name, row.ParentID, row.SortOrder, row.UpdatedMs = f.Name, f.ParentID, f.SortOrder, nowMs()
		if err := tx.Save(&row).Error; err != nil {
			return err
		}
		out = folderFromRow(&row)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// checkParent refuses a parent that is missing, in another namespace, or
// that would make a cycle.
func checkParent(tx *gorm.DB, id, namespace, parentID string) error {
	for seen := 0; parentID != ""; seen++ {
		if parentID == id {
			return fmt.Errorf("%w: a folder cannot be inside itself", ErrConflict)
		}
		if seen > 1000 {
			return fmt.Errorf("%w: folder tree is too deep", ErrConflict)
		}
		var p v1Folder
		if err := tx.Where("id = ?", parentID).Take(&p).Error; err != nil {
			if notFound(err) == ErrNotFound {
				return fmt.Errorf("%w: parent folder %q does not exist", ErrNotFound, parentID)
			}
			return err
		}
		if p.Namespace != namespace {
			return fmt.Errorf("%w: parent folder %q is in namespace %q", ErrConflict, parentID, p.Namespace)
		}
		parentID = p.ParentID
	}
	return nil
}

// DeleteFolder removes a folder: its subfolders move to its parent and its
// mocks to the parent folder (or the root).
func (s *Store) DeleteFolder(ctx context.Context, id string) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var row v1Folder
		if err := tx.Where("id = ?", id).Take(&row).Error; err != nil {
			return notFound(err)
		}
		if err := tx.Model(&v1Folder{}).Where("parent_id = ?", id).Update("parent_id", row.ParentID).Error; err != nil {
			return err
		}
		var ids []string
		if err := tx.Model(&mockRow{}).Where("folder_id = ?", id).Pluck("id", &ids).Error; err != nil {
			return err
		}
		if err := setMockFolder(tx, ids, row.ParentID); err != nil {
			return err
		}
		return tx.Delete(&v1Folder{}, "id = ?", id).Error
	})
}

// setMockFolder rewrites folderId in both the column and the stored document.
func setMockFolder(tx *gorm.DB, ids []string, folderID string) error {
	if len(ids) == 0 {
		return nil
	}
	var rows []mockRow
	if err := tx.Where("id IN ?", ids).Find(&rows).Error; err != nil {
		return err
	}
	now := nowMs()
	for i := range rows {
		m, err := mockFromRow(&rows[i])
		if err != nil {
			return err
		}
		m.FolderID = folderID
		r, err := rowFromMock(m)
		if err != nil {
			return err
		}
		if err := tx.Model(&mockRow{}).Where("id = ?", rows[i].ID).
			Updates(map[string]any{"folder_id": folderID, "document": r.Document, "updated_at": now}).Error; err != nil {
			return err
		}
	}
	return nil
}
