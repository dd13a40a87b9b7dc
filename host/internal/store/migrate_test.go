package store_test

import (
	"strings"
	"testing"

	"github.com/mockarty-oss/mockarty/host/internal/store"
)

var migrationCases = []storeCase{
	{name: "migrations/fresh database reaches the latest version", fn: func(t *testing.T, o store.Options, s *store.Store) {
		v, err := s.SchemaVersion(t.Context())
		noErr(t, err, "SchemaVersion")
		if v != store.LatestSchemaVersion() || v < 1 {
			t.Fatalf("schema version %d, want %d", v, store.LatestSchemaVersion())
		}
		applied, err := s.Migrate(t.Context())
		noErr(t, err, "second Migrate")
		if len(applied) != 0 {
			t.Fatalf("second Migrate applied %q, want nothing", applied)
		}
	}},
	{name: "migrations/NoMigrate then Migrate applies every step once", noMigrate: true, fn: func(t *testing.T, o store.Options, raw *store.Store) {
		v, err := raw.SchemaVersion(t.Context())
		noErr(t, err, "SchemaVersion")
		if v != 0 {
			t.Fatalf("unmigrated schema version %d, want 0", v)
		}
		applied, err := raw.Migrate(t.Context())
		noErr(t, err, "Migrate")
		if len(applied) != store.LatestSchemaVersion() || !strings.HasPrefix(applied[0], "1 ") {
			t.Fatalf("Migrate applied %q, want %d steps starting with step 1", applied, store.LatestSchemaVersion())
		}
		v, err = raw.SchemaVersion(t.Context())
		noErr(t, err, "SchemaVersion")
		equal(t, "schema version after Migrate", v, store.LatestSchemaVersion())
		again, err := raw.Migrate(t.Context())
		noErr(t, err, "Migrate again")
		if len(again) != 0 {
			t.Fatalf("Migrate again applied %q", again)
		}
		save(t, raw, httpMock("works", "ns1"))
	}},
	{name: "migrations/reopen keeps data and applies nothing", fn: func(t *testing.T, o store.Options, s *store.Store) {
		save(t, s, httpMock("keep-me", "ns1"))
		noErr(t, s.SetStoreValue(t.Context(), "ns1", "", "k", []byte(`"v"`)), "SetStoreValue")
		noErr(t, s.Close(), "Close")

		s2 := openStore(t, o)
		v, err := s2.SchemaVersion(t.Context())
		noErr(t, err, "SchemaVersion after reopen")
		equal(t, "schema version after reopen", v, store.LatestSchemaVersion())
		applied, err := s2.Migrate(t.Context())
		noErr(t, err, "Migrate after reopen")
		if len(applied) != 0 {
			t.Fatalf("Migrate after reopen applied %q", applied)
		}
		m := getMock(t, s2, "keep-me")
		equal(t, "namespace after reopen", m.Namespace, "ns1")
		vals, err := s2.StoreValues(t.Context(), "ns1", "")
		noErr(t, err, "StoreValues after reopen")
		equal(t, "store value after reopen", string(vals["k"]), `"v"`)
	}},
	{name: "migrations/a newer database schema is refused", fn: func(t *testing.T, o store.Options, s *store.Store) {
		exec(t, s, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)", store.LatestSchemaVersion()+1, "from the future", 1)
		noErr(t, s.Close(), "Close")
		s2, err := store.Open(t.Context(), o)
		if err == nil {
			_ = s2.Close()
			t.Fatal("Open accepted a database whose schema is newer than the build")
		}
		if !strings.Contains(err.Error(), "newer") {
			t.Fatalf("Open error %q does not say the schema is newer", err)
		}
	}},
}
