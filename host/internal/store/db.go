// Package store is the GORM repository layer: the embedded SQLite database
// (pure Go, the default) or PostgreSQL, with schema migrations run at start.
// The database is the source of truth for mocks, stores, folders, tags,
// namespaces, versions, logs and undefined requests.
package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/glebarez/sqlite"
	"github.com/hashicorp/go-hclog"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// ErrNotFound is returned when a record does not exist.
var ErrNotFound = errors.New("not found")

// ErrConflict is returned when a record already exists or a rule forbids the change.
var ErrConflict = errors.New("conflict")

// Options select and tune the database.
type Options struct {
	Driver string // "sqlite" or "pg"
	DSN    string // SQLite file path, or a PostgreSQL DSN
	Logger hclog.Logger
	// NoMigrate opens the database without applying pending migrations.
	NoMigrate bool
}

// Store is the repository over one database.
type Store struct {
	db     *gorm.DB
	driver string
	log    hclog.Logger
	// hot runs the statements of the write path that every request may
	// wait for (group commit, journal). On SQLite they are prepared once:
	// parsing a statement costs more than running it.
	hot *gorm.DB
	// ensured holds the namespaces whose row this process has seen.
	ensured sync.Map
}

// Open connects to the database and runs pending migrations.
func Open(ctx context.Context, o Options) (*Store, error) {
	if o.Logger == nil {
		o.Logger = hclog.NewNullLogger()
	}
	gcfg := &gorm.Config{
		Logger:                                   gormLogger{log: o.Logger.Named("db"), slow: 500 * time.Millisecond},
		DisableForeignKeyConstraintWhenMigrating: true,
		NowFunc:                                  func() time.Time { return time.Now().UTC() },
	}
	var dial gorm.Dialector
	switch o.Driver {
	case "sqlite":
		if dir := filepath.Dir(o.DSN); dir != "" {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return nil, fmt.Errorf("create data folder: %w", err)
			}
		}
		dsn := o.DSN
		if !strings.Contains(dsn, "?") {
			dsn += "?_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(1)"
		}
		dial = sqlite.Open(dsn)
	case "pg":
		dial = postgres.Open(o.DSN)
	default:
		return nil, fmt.Errorf("unknown database driver %q", o.Driver)
	}
	db, err := gorm.Open(dial, gcfg)
	if err != nil {
		return nil, fmt.Errorf("open %s database: %w", o.Driver, err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, err
	}
	if o.Driver == "sqlite" {
		// One connection serialises writers; SQLite allows one writer at a time anyway.
		sqlDB.SetMaxOpenConns(1)
	} else {
		sqlDB.SetMaxOpenConns(20)
		sqlDB.SetMaxIdleConns(5)
		sqlDB.SetConnMaxIdleTime(5 * time.Minute)
	}
	pctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if err := sqlDB.PingContext(pctx); err != nil {
		_ = sqlDB.Close()
		return nil, fmt.Errorf("connect to %s database: %w", o.Driver, err)
	}
	s := &Store{db: db, driver: o.Driver, log: o.Logger, hot: db}
	if o.Driver == "sqlite" {
		s.hot = db.Session(&gorm.Session{PrepareStmt: true})
	}
	if !o.NoMigrate {
		if _, err := s.Migrate(ctx); err != nil {
			_ = sqlDB.Close()
			return nil, err
		}
	}
	return s, nil
}

// Driver names the database in use ("sqlite" or "pg").
func (s *Store) Driver() string { return s.driver }

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	sqlDB, err := s.db.DB()
	if err != nil {
		return err
	}
	return sqlDB.PingContext(ctx)
}

// Close closes the database.
func (s *Store) Close() error {
	sqlDB, err := s.db.DB()
	if err != nil {
		return err
	}
	return sqlDB.Close()
}

func nowMs() int64 { return time.Now().UnixMilli() }

// likePattern escapes s for a LIKE match anywhere in a column (escape char '\').
func likePattern(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(s) + "%"
}

// gormLogger relays GORM's messages to hclog: errors always, slow queries as warnings.
type gormLogger struct {
	log  hclog.Logger
	slow time.Duration
}

func (l gormLogger) LogMode(logger.LogLevel) logger.Interface { return l }
func (l gormLogger) Info(_ context.Context, msg string, args ...any) {
	l.log.Info(fmt.Sprintf(msg, args...))
}
func (l gormLogger) Warn(_ context.Context, msg string, args ...any) {
	l.log.Warn(fmt.Sprintf(msg, args...))
}
func (l gormLogger) Error(_ context.Context, msg string, args ...any) {
	l.log.Error(fmt.Sprintf(msg, args...))
}
func (l gormLogger) Trace(_ context.Context, begin time.Time, fc func() (string, int64), err error) {
	elapsed := time.Since(begin)
	switch {
	case err != nil && !errors.Is(err, gorm.ErrRecordNotFound):
		sql, rows := fc()
		l.log.Debug("query failed", "error", err, "sql", sql, "rows", rows, "elapsed", elapsed)
	case elapsed > l.slow:
		sql, rows := fc()
		l.log.Warn("slow query", "sql", sql, "rows", rows, "elapsed", elapsed)
	case l.log.IsTrace():
		sql, rows := fc()
		l.log.Trace("query", "sql", sql, "rows", rows, "elapsed", elapsed)
	}
}
