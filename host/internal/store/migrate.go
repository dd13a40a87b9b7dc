package store

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// migration is one numbered schema step. Steps never change once released;
// a new column or table is a new step.
type migration struct {
	version int
	name    string
	up      func(tx *gorm.DB) error
}

// schemaMigration records an applied step.
type schemaMigration struct {
	Version   int    `gorm:"primaryKey;autoIncrement:false"`
	Name      string `gorm:"type:varchar(200);not null"`
	AppliedAt int64  `gorm:"not null"`
}

func (schemaMigration) TableName() string { return "schema_migrations" }

// The row types as they were when step 1 was written; later steps add their own.
type v1Mock struct {
	ID         string `gorm:"primaryKey;type:varchar(200)"`
	Namespace  string `gorm:"type:varchar(100);not null;index:idx_mocks_ns_closed,priority:1"`
	Protocol   string `gorm:"type:varchar(16);not null;index"`
	ChainID    string `gorm:"type:varchar(100);not null;default:'';index"`
	FolderID   string `gorm:"type:varchar(100);not null;default:'';index"`
	ServerName string `gorm:"type:varchar(200);not null;default:''"`
	Priority   int64  `gorm:"not null;default:0"`
	Tags       string `gorm:"type:text;not null;default:'[]'"`
	Search     string `gorm:"type:text;not null;default:''"`
	UseCounter int64  `gorm:"not null;default:0"`
	UseLimiter int64  `gorm:"not null;default:0"`
	TTL        int64  `gorm:"column:ttl;not null;default:0"`
	ExpireAt   int64  `gorm:"not null;default:0;index"`
	CreatedMs  int64  `gorm:"column:created_at;not null;index"`
	UpdatedMs  int64  `gorm:"column:updated_at;not null"`
	LastUse    int64  `gorm:"not null;default:0"`
	ClosedAt   int64  `gorm:"not null;default:0;index:idx_mocks_ns_closed,priority:2"`
	Version    int64  `gorm:"not null;default:1"`
	Document   string `gorm:"type:text;not null"`
}

func (v1Mock) TableName() string { return "mocks" }

type v1MockVersion struct {
	MockID    string `gorm:"primaryKey;type:varchar(200)"`
	Version   int64  `gorm:"primaryKey;autoIncrement:false"`
	Change    string `gorm:"type:varchar(20);not null"`
	CreatedMs int64  `gorm:"column:created_at;not null"`
	Document  string `gorm:"type:text;not null"`
}

func (v1MockVersion) TableName() string { return "mock_versions" }

type v1MockLog struct {
	ID       string `gorm:"primaryKey;type:varchar(64)"`
	MockID   string `gorm:"type:varchar(200);not null;index:idx_mock_logs_mock,priority:1"`
	CalledAt int64  `gorm:"not null;index:idx_mock_logs_mock,priority:2"`
	Document string `gorm:"type:text;not null"`
}

func (v1MockLog) TableName() string { return "mock_logs" }

type v1Namespace struct {
	Name      string `gorm:"primaryKey;type:varchar(100)"`
	CreatedMs int64  `gorm:"column:created_at;not null"`
}

func (v1Namespace) TableName() string { return "namespaces" }

type v1StoreValue struct {
	Namespace string `gorm:"primaryKey;type:varchar(100)"`
	ChainID   string `gorm:"primaryKey;type:varchar(100)"` // "" for the global store
	Key       string `gorm:"primaryKey;type:varchar(500)"`
	Value     string `gorm:"type:text;not null"`
	UpdatedMs int64  `gorm:"column:updated_at;not null"`
}

func (v1StoreValue) TableName() string { return "store_values" }

type v1Folder struct {
	ID        string `gorm:"primaryKey;type:varchar(100)"`
	Namespace string `gorm:"type:varchar(100);not null;index"`
	ParentID  string `gorm:"type:varchar(100);not null;default:'';index"`
	Name      string `gorm:"type:varchar(200);not null"`
	SortOrder int64  `gorm:"not null;default:0"`
	CreatedMs int64  `gorm:"column:created_at;not null"`
	UpdatedMs int64  `gorm:"column:updated_at;not null"`
}

func (v1Folder) TableName() string { return "mock_folders" }

type v1Tag struct {
	Namespace string `gorm:"primaryKey;type:varchar(100)"`
	Name      string `gorm:"primaryKey;type:varchar(100)"`
	Color     string `gorm:"type:varchar(32);not null;default:''"`
	CreatedMs int64  `gorm:"column:created_at;not null"`
}

func (v1Tag) TableName() string { return "tags" }

type v1Undefined struct {
	ID          string `gorm:"primaryKey;type:varchar(64)"`
	Fingerprint string `gorm:"type:varchar(64);not null;uniqueIndex"`
	Namespace   string `gorm:"type:varchar(100);not null;index"`
	Protocol    string `gorm:"type:varchar(16);not null"`
	Method      string `gorm:"type:varchar(200);not null;default:''"`
	Path        string `gorm:"type:text;not null"`
	Body        string `gorm:"type:text;not null;default:''"`
	Headers     string `gorm:"type:text;not null;default:'{}'"`
	Count       int64  `gorm:"not null;default:1"`
	FirstSeen   int64  `gorm:"not null"`
	LastSeen    int64  `gorm:"not null;index"`
	Ignored     bool   `gorm:"not null;default:false"`
}

func (v1Undefined) TableName() string { return "undefined_requests" }

// mockLogRow is the request log row since step 2, which added seq: the
// arrival order of calls made within the same millisecond.
type mockLogRow struct {
	ID       string `gorm:"primaryKey;type:varchar(64)"`
	MockID   string `gorm:"type:varchar(200);not null;index:idx_mock_logs_mock,priority:1"`
	CalledAt int64  `gorm:"not null;index:idx_mock_logs_mock,priority:2"`
	Seq      int64  `gorm:"not null;default:0"`
	Document string `gorm:"type:text;not null"`
}

func (mockLogRow) TableName() string { return "mock_logs" }

var migrations = []migration{
	{1, "initial schema", func(tx *gorm.DB) error {
		return tx.AutoMigrate(&v1Mock{}, &v1MockVersion{}, &v1MockLog{}, &v1Namespace{},
			&v1StoreValue{}, &v1Folder{}, &v1Tag{}, &v1Undefined{})
	}},
	{2, "request log arrival order", func(tx *gorm.DB) error {
		return tx.Migrator().AddColumn(&mockLogRow{}, "Seq")
	}},
	{3, "users, tokens, namespace roles, audit", migrateAuth},
	{4, "registered documents, captured messages", migrateDocuments},
	{5, "API tester objects, tool tasks and their items", migrateTester},
}

// LatestSchemaVersion is the schema version this build migrates to.
func LatestSchemaVersion() int { return migrations[len(migrations)-1].version }

// SchemaVersion reports the highest applied migration (0 for an empty database).
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	if !s.db.Migrator().HasTable(&schemaMigration{}) {
		return 0, nil
	}
	var v int
	err := s.db.WithContext(ctx).Model(&schemaMigration{}).Select("COALESCE(MAX(version), 0)").Scan(&v).Error
	return v, err
}

// Migrate applies every pending migration, each in its own transaction, and
// returns the names of the steps it applied.
func (s *Store) Migrate(ctx context.Context) ([]string, error) {
	if err := s.db.WithContext(ctx).AutoMigrate(&schemaMigration{}); err != nil {
		return nil, fmt.Errorf("migrations table: %w", err)
	}
	cur, err := s.SchemaVersion(ctx)
	if err != nil {
		return nil, fmt.Errorf("read schema version: %w", err)
	}
	if cur > LatestSchemaVersion() {
		return nil, fmt.Errorf("database schema version %d is newer than this build supports (%d); upgrade mockarty", cur, LatestSchemaVersion())
	}
	var applied []string
	for _, m := range migrations {
		if m.version <= cur {
			continue
		}
		err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			if err := m.up(tx); err != nil {
				return err
			}
			return tx.Create(&schemaMigration{Version: m.version, Name: m.name, AppliedAt: time.Now().UnixMilli()}).Error
		})
		if err != nil {
			return applied, fmt.Errorf("migration %d (%s): %w", m.version, m.name, err)
		}
		s.log.Info("applied migration", "version", m.version, "name", m.name)
		applied = append(applied, fmt.Sprintf("%d %s", m.version, m.name))
	}
	return applied, nil
}
