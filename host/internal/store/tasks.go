package store

import (
	"context"
	"encoding/json"
	"strings"

	"gorm.io/gorm"
)

// Task statuses.
const (
	TaskPending   = "pending"
	TaskRunning   = "running"
	TaskCompleted = "completed"
	TaskFailed    = "failed"
	TaskCancelled = "cancelled"
)

// TaskFilter narrows a task list.
type TaskFilter struct {
	Mode        string   // "": any
	ReferenceID string   // "": any
	Namespace   string   // "": any
	Namespaces  []string // when not nil: only these
	Statuses    []string // when set: only these
	// Param, when set, keeps the tasks whose Params (compact JSON, as
	// json.Marshal writes it) hold the string member Param[0]: Param[1].
	Param  *[2]string
	Offset int
	Limit  int
}

// Tasks lists tasks, newest first, and the total.
func (s *Store) Tasks(ctx context.Context, f TaskFilter) ([]Task, int64, error) {
	q := s.db.WithContext(ctx).Model(&Task{})
	if f.Mode != "" {
		q = q.Where("mode = ?", f.Mode)
	}
	if f.ReferenceID != "" {
		q = q.Where("reference_id = ?", f.ReferenceID)
	}
	if f.Namespace != "" {
		q = q.Where("namespace = ?", f.Namespace)
	}
	if f.Namespaces != nil {
		if len(f.Namespaces) == 0 {
			return []Task{}, 0, nil
		}
		q = q.Where("namespace IN ?", f.Namespaces)
	}
	if len(f.Statuses) > 0 {
		q = q.Where("status IN ?", f.Statuses)
	}
	if f.Param != nil {
		k, _ := json.Marshal(f.Param[0])
		v, _ := json.Marshal(f.Param[1])
		q = q.Where(`params LIKE ? ESCAPE '\'`, "%"+likeEscape.Replace(string(k)+":"+string(v))+"%")
	}
	var total int64
	if err := q.Count(&total).Error; err != nil {
		return nil, 0, err
	}
	q = q.Order("created_at DESC, id").Offset(f.Offset)
	if f.Limit > 0 {
		q = q.Limit(f.Limit)
	}
	out := []Task{}
	err := q.Find(&out).Error
	return out, total, err
}

// likeEscape escapes LIKE's wildcards and its escape character.
var likeEscape = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// GetTask finds one task.
func (s *Store) GetTask(ctx context.Context, id string) (*Task, error) {
	var t Task
	if err := s.db.WithContext(ctx).Where("id = ?", id).Take(&t).Error; err != nil {
		return nil, notFound(err)
	}
	return &t, nil
}

// PutTask creates or replaces a task row.
func (s *Store) PutTask(ctx context.Context, t *Task) error {
	if t.CreatedMs == 0 {
		t.CreatedMs = nowMs()
	}
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := ensureNamespace(tx, t.Namespace, nowMs()); err != nil {
			return err
		}
		return tx.Save(t).Error
	})
}

// AddTaskItems appends products to a task, numbered from seq.
func (s *Store) AddTaskItems(ctx context.Context, items []TaskItem) error {
	if len(items) == 0 {
		return nil
	}
	return s.db.WithContext(ctx).CreateInBatches(items, 200).Error
}

// TaskItems reads a task's products in order, from seq on, at most limit.
func (s *Store) TaskItems(ctx context.Context, taskID string, from int64, limit int) ([]TaskItem, error) {
	out := []TaskItem{}
	err := s.db.WithContext(ctx).Where("task_id = ? AND seq >= ?", taskID, from).Order("seq").Limit(limit).Find(&out).Error
	return out, err
}

// DeleteTask removes a task and its products.
func (s *Store) DeleteTask(ctx context.Context, id string) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Where("task_id = ?", id).Delete(&TaskItem{}).Error; err != nil {
			return err
		}
		res := tx.Where("id = ?", id).Delete(&Task{})
		if res.Error == nil && res.RowsAffected == 0 {
			return ErrNotFound
		}
		return res.Error
	})
}

// FailUnfinishedTasks marks tasks that were pending or running when the
// host stopped as failed with a message: their stored items stay.
func (s *Store) FailUnfinishedTasks(ctx context.Context, message string) (int64, error) {
	res := s.db.WithContext(ctx).Model(&Task{}).Where("status IN ?", []string{TaskPending, TaskRunning}).
		Updates(map[string]any{"status": TaskFailed, "message": message, "finished_at": nowMs()})
	return res.RowsAffected, res.Error
}
