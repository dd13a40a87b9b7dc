package store_test

// Test databases. Every call of driver.fresh gives the calling test an empty
// database of its own: a new SQLite file under t.TempDir(), or a new schema in
// the PostgreSQL database "test" (dropped when the test ends). To run another
// package's tests against both drivers, copy this file and the range over
// drivers(t).

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mockarty-oss/mockarty/host/internal/store"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// pgDSN is the test server: 127.0.0.1:5432, user postgres, trust auth. The
// environment variable TEST_PG_DSN (a postgres:// URL) overrides it.
func pgDSN() string {
	if v := os.Getenv("TEST_PG_DSN"); v != "" {
		return v
	}
	return "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
}

type testDriver struct {
	name string
	// fresh returns the options of an empty database that lives as long as t.
	fresh func(t *testing.T) store.Options
}

// drivers lists SQLite and PostgreSQL. When PostgreSQL is unreachable its
// tests fail under CI=true and are skipped otherwise.
func drivers(t *testing.T) []testDriver {
	t.Helper()
	sqlite := testDriver{name: "sqlite", fresh: func(t *testing.T) store.Options {
		return store.Options{Driver: "sqlite", DSN: filepath.Join(t.TempDir(), "mockarty.db")}
	}}
	admin, err := connectPG(t.Context())
	if err != nil {
		msg := "PostgreSQL at " + pgDSN() + " is unreachable (" + err.Error() + "); start it (e.g. pg_ctlcluster <version> main start) or set TEST_PG_DSN"
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s", msg)
		}
		return []testDriver{sqlite, {name: "pg", fresh: func(t *testing.T) store.Options {
			t.Skipf("%s", msg)
			return store.Options{}
		}}}
	}
	t.Cleanup(func() {
		if db, err := admin.DB(); err == nil {
			_ = db.Close()
		}
	})
	pg := testDriver{name: "pg", fresh: func(t *testing.T) store.Options {
		schema := "t_" + randomHex(t, 8)
		if err := admin.Exec("CREATE SCHEMA " + schema).Error; err != nil {
			t.Fatalf("create schema %s: %v", schema, err)
		}
		t.Cleanup(func() {
			if err := admin.Exec("DROP SCHEMA " + schema + " CASCADE").Error; err != nil {
				t.Errorf("drop schema %s: %v", schema, err)
			}
		})
		sep := "?"
		if strings.Contains(pgDSN(), "?") {
			sep = "&"
		}
		return store.Options{Driver: "pg", DSN: pgDSN() + sep + "search_path=" + schema}
	}}
	return []testDriver{sqlite, pg}
}

func connectPG(ctx context.Context) (*gorm.DB, error) {
	db, err := gorm.Open(postgres.Open(pgDSN()), &gorm.Config{Logger: logger.Discard, DisableAutomaticPing: true})
	if err != nil {
		return nil, err
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, err
	}
	sqlDB.SetMaxOpenConns(2)
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := sqlDB.PingContext(pctx); err != nil {
		_ = sqlDB.Close()
		return nil, err
	}
	return db, nil
}

// openStore opens (and migrates) the database of o and closes it when t ends.
func openStore(t *testing.T, o store.Options) *store.Store {
	t.Helper()
	s, err := store.Open(t.Context(), o)
	if err != nil {
		t.Fatalf("open %s store: %v", o.Driver, err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func randomHex(t *testing.T, n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}
