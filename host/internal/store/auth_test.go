package store_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/mockarty-oss/mockarty/host/internal/model"
	"github.com/mockarty-oss/mockarty/host/internal/store"
)

// authCases run on both drivers (TestStore).
var authCases = []storeCase{
	{name: "users", fn: func(t *testing.T, o store.Options, s *store.Store) {
		ctx := t.Context()
		u := &store.User{ID: "u1", Login: "Alice", PasswordHash: "h", CreatedMs: 1, UpdatedMs: 1}
		noErr(t, s.CreateUser(ctx, u), "create")
		if err := s.CreateUser(ctx, &store.User{ID: "u2", Login: "Alice", PasswordHash: "h", CreatedMs: 1, UpdatedMs: 1}); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("duplicate login: %v", err)
		}
		got, err := s.UserByLogin(ctx, "alice")
		noErr(t, err, "by login, any case")
		equal(t, "id", got.ID, "u1")
		got.Admin, got.Disabled, got.MustChangePassword = true, true, true
		noErr(t, s.UpdateUser(ctx, got), "update")
		again, err := s.GetUser(ctx, "u1")
		noErr(t, err, "get")
		equal(t, "flags", []bool{again.Admin, again.Disabled, again.MustChangePassword}, []bool{true, true, true})
		again.Disabled = false // a false must be written too
		noErr(t, s.UpdateUser(ctx, again), "update back")
		n, err := s.CountAdmins(ctx)
		noErr(t, err, "count admins")
		equal(t, "admins", n, int64(1))
		if err := s.UpdateUser(ctx, &store.User{ID: "nobody", Login: "x"}); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("update unknown: %v", err)
		}
		noErr(t, s.CreateSession(ctx, &store.Session{TokenHash: "s1", UserID: "u1", CreatedMs: 1, ExpiresMs: 100}), "session")
		noErr(t, s.CreateAPIToken(ctx, &store.APIToken{ID: "t1", UserID: "u1", Name: "n", Hash: "th", Prefix: "mk_", Permissions: "read", CreatedMs: 1}), "token")
		noErr(t, s.SetMember(ctx, &store.Member{Namespace: "ns", UserID: "u1", Role: "viewer", CreatedMs: 1}), "member")
		noErr(t, s.DeleteUser(ctx, "u1"), "delete")
		if _, err := s.GetSession(ctx, "s1", 0); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("sessions go with the user: %v", err)
		}
		toks, _ := s.APITokens(ctx, "u1")
		members, _ := s.Members(ctx, "", "u1")
		equal(t, "left behind", len(toks)+len(members), 0)
	}},
	{name: "sessions, tokens, members, audit", fn: func(t *testing.T, o store.Options, s *store.Store) {
		ctx := t.Context()
		noErr(t, s.CreateSession(ctx, &store.Session{TokenHash: "old", UserID: "u", CreatedMs: 1, ExpiresMs: 10}), "old session")
		noErr(t, s.CreateSession(ctx, &store.Session{TokenHash: "new", UserID: "u", CreatedMs: 1, ExpiresMs: 1000}), "new session")
		if _, err := s.GetSession(ctx, "old", 500); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("an expired session is not found: %v", err)
		}
		noErr(t, s.PruneSessions(ctx, 500), "prune")
		hashes, err := s.SessionHashes(ctx, "u")
		noErr(t, err, "hashes")
		equal(t, "sessions left", hashes, []string{"new"})

		tok := &store.APIToken{ID: "t", UserID: "u", Name: "ci", Hash: "hash", Prefix: "mk_x", Permissions: "read,write", CreatedMs: 5}
		noErr(t, s.CreateAPIToken(ctx, tok), "token")
		tok.RevokedMs, tok.Name = 9, "renamed"
		noErr(t, s.SaveAPIToken(ctx, tok), "save")
		noErr(t, s.TouchAPIToken(ctx, "t", 7), "touch")
		got, err := s.APITokenByHash(ctx, "hash")
		noErr(t, err, "by hash")
		equal(t, "token", []any{got.Name, got.RevokedMs, got.LastUsedMs}, []any{"renamed", int64(9), int64(7)})

		in := &store.IntegrationToken{ID: "i", Name: "r", Type: "mock_resolver", Lookup: "look", Hash: "$2a$", Enabled: false, CreatedMs: 1, UpdatedMs: 1}
		noErr(t, s.CreateIntegration(ctx, in), "integration")
		gi, err := s.IntegrationByLookup(ctx, "look")
		noErr(t, err, "by lookup")
		equal(t, "created disabled", gi.Enabled, false)
		noErr(t, s.DeleteIntegration(ctx, "i"), "delete integration")
		if err := s.DeleteIntegration(ctx, "i"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("delete twice: %v", err)
		}

		noErr(t, s.SetMember(ctx, &store.Member{Namespace: "a", UserID: "u", Role: "viewer", CreatedMs: 1}), "member")
		noErr(t, s.SetMember(ctx, &store.Member{Namespace: "a", UserID: "u", Role: "owner", CreatedMs: 2}), "role change (upsert)")
		ms, err := s.Members(ctx, "a", "")
		noErr(t, err, "members")
		equal(t, "one member, new role", []any{len(ms), ms[0].Role}, []any{1, "owner"})
		noErr(t, s.RemoveMember(ctx, "a", "u"), "remove")

		noErr(t, s.AddAudit(ctx, &store.AuditEvent{AtMs: 1, Action: "auth.login", Actor: "u", Success: false}), "audit fail")
		noErr(t, s.AddAudit(ctx, &store.AuditEvent{AtMs: 2, Action: "token.create", Actor: "u", Success: true}), "audit ok")
		ev, err := s.Audit(ctx, store.AuditFilter{Limit: 10})
		noErr(t, err, "audit")
		equal(t, "newest first, false kept", []any{ev[0].Action, ev[1].Action, ev[1].Success}, []any{"token.create", "auth.login", false})

		noErr(t, s.EnsureNamespace(ctx, "gone"), "namespace")
		noErr(t, s.SetNamespaceDeleted(ctx, "gone", 42), "delete namespace")
		names, err := s.Namespaces(ctx)
		noErr(t, err, "namespaces")
		for _, n := range names {
			if n == "gone" {
				t.Fatal("a deleted namespace is not listed")
			}
		}
		infos, err := s.NamespaceInfos(ctx)
		noErr(t, err, "infos")
		found := false
		for _, i := range infos {
			found = found || (i.Name == "gone" && i.DeletedMs == 42)
		}
		equal(t, "deleted namespace in the admin list", found, true)
	}},
}

var batchCases = []storeCase{
	{name: "save many in one transaction", fn: func(t *testing.T, o store.Options, s *store.Store) {
		ctx := t.Context()
		noErr(t, func() error {
			_, err := s.SaveMock(ctx, httpMock("m0", "sandbox"), store.ChangeOverwrite, true)
			return err
		}(), "first")
		var list []*model.Mock
		for i := 0; i < 600; i++ {
			list = append(list, httpMock(fmt.Sprintf("m%d", i), "sandbox"))
		}
		res, err := s.SaveMocks(ctx, list, store.ChangeOverwrite, true)
		noErr(t, err, "save 600")
		equal(t, "results", len(res), 600)
		equal(t, "m0 overwritten, m1 created", []bool{res[0].Overwritten, res[1].Overwritten}, []bool{true, false})
		got, err := s.GetMock(ctx, "m599")
		noErr(t, err, "get")
		equal(t, "saved", got.ID, "m599")
		vs, err := s.MockVersions(ctx, "m0")
		noErr(t, err, "versions")
		equal(t, "m0 has two versions", len(vs), 2)
	}},
}
