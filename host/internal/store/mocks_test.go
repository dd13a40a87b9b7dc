package store_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/mockarty-oss/mockarty/host/internal/model"
	"github.com/mockarty-oss/mockarty/host/internal/store"
)

var mockCases = []storeCase{
	{name: "SaveMock/create then overwrite", fn: func(t *testing.T, o store.Options, s *store.Store) {
		m := httpMock("m1", "ns1")
		m.Priority = 1
		r1 := saveWith(t, s, m, store.ChangeOverwrite, true)
		if r1.Overwritten {
			t.Fatal("first save reported Overwritten")
		}
		if r1.Mock.CreatedAt == 0 || r1.Mock.UpdatedAt < r1.Mock.CreatedAt {
			t.Fatalf("created mock has createdAt %d updatedAt %d", r1.Mock.CreatedAt, r1.Mock.UpdatedAt)
		}

		m2 := httpMock("m1", "ns1")
		m2.Priority = 7
		m2.HTTP.Route = "/changed"
		r2 := saveWith(t, s, m2, store.ChangeOverwrite, true)
		if !r2.Overwritten {
			t.Fatal("second save of the same ID did not report Overwritten")
		}
		equal(t, "createdAt after overwrite", r2.Mock.CreatedAt, r1.Mock.CreatedAt)
		if r2.Mock.UpdatedAt < r1.Mock.UpdatedAt {
			t.Fatalf("updatedAt went back: %d < %d", r2.Mock.UpdatedAt, r1.Mock.UpdatedAt)
		}
		got := getMock(t, s, "m1")
		equal(t, "priority after overwrite", got.Priority, int64(7))
		equal(t, "route after overwrite", got.HTTP.Route, "/changed")
		equal(t, "createdAt read back", got.CreatedAt, r1.Mock.CreatedAt)

		// The history says which save created and which overwrote.
		vs, err := s.MockVersions(t.Context(), "m1")
		noErr(t, err, "MockVersions")
		if len(vs) != 2 || vs[0].Version != 2 || vs[0].Change != store.ChangeOverwrite || vs[1].Version != 1 || vs[1].Change != store.ChangeCreate {
			t.Fatalf("versions = %+v, want 2 overwrite, 1 create", vs)
		}
	}},
	{name: "SaveMock/version increments even without history", fn: func(t *testing.T, o store.Options, s *store.Store) {
		for range 3 {
			saveWith(t, s, httpMock("m1", "ns1"), store.ChangeOverwrite, false)
		}
		vs, err := s.MockVersions(t.Context(), "m1")
		noErr(t, err, "MockVersions")
		if len(vs) != 0 {
			t.Fatalf("versioning off recorded %d versions", len(vs))
		}
		saveWith(t, s, httpMock("m1", "ns1"), store.ChangeOverwrite, true)
		vs, err = s.MockVersions(t.Context(), "m1")
		noErr(t, err, "MockVersions")
		if len(vs) != 1 || vs[0].Version != 4 {
			t.Fatalf("versions = %+v, want only version 4", vs)
		}
	}},
	{name: "SaveMock/server-set fields come from the server", fn: func(t *testing.T, o store.Options, s *store.Store) {
		m := httpMock("m1", "ns1")
		m.UseCounter, m.LastUse, m.CreatedAt, m.UpdatedAt, m.ExpireAt, m.ClosedAt = 9, 99, 1, 2, 3, 4
		before := time.Now().UnixMilli()
		r := save(t, s, m)
		for what, v := range map[string]int64{"useCounter": r.Mock.UseCounter, "lastUse": r.Mock.LastUse, "expireAt": r.Mock.ExpireAt, "closedAt": r.Mock.ClosedAt} {
			if v != 0 {
				t.Errorf("new mock %s = %d, want 0 (set by the server)", what, v)
			}
		}
		if r.Mock.CreatedAt < before {
			t.Errorf("createdAt %d taken from the input, want the save time (>= %d)", r.Mock.CreatedAt, before)
		}
		live, _, err := s.ListMocks(t.Context(), store.MockFilter{Namespace: "ns1"})
		noErr(t, err, "ListMocks")
		sameStrings(t, "live mocks", mockIDs(live), []string{"m1"})
	}},
	{name: "SaveMock/overwrite resets usage, patch keeps it", fn: func(t *testing.T, o store.Options, s *store.Store) {
		save(t, s, httpMock("m1", "ns1"))
		exec(t, s, "UPDATE mocks SET use_counter = 5, last_use = 123 WHERE id = ?", "m1")

		patched := getMock(t, s, "m1")
		equal(t, "useCounter read back", patched.UseCounter, int64(5))
		patched.Priority = 3
		r := saveWith(t, s, patched, store.ChangePatch, false)
		equal(t, "useCounter after patch", r.Mock.UseCounter, int64(5))
		equal(t, "lastUse after patch", r.Mock.LastUse, int64(123))

		// A patch of a soft-deleted mock leaves it in the trash.
		_, err := s.SoftDeleteMocks(t.Context(), []string{"m1"})
		noErr(t, err, "SoftDeleteMocks")
		trashed := getMock(t, s, "m1")
		trashed.Priority = 4
		r = saveWith(t, s, trashed, store.ChangePatch, false)
		if r.Mock.ClosedAt == 0 || r.Mock.ClosedAt != trashed.ClosedAt {
			t.Fatalf("patch of a deleted mock: closedAt %d, want %d", r.Mock.ClosedAt, trashed.ClosedAt)
		}

		// A client that sends back what it read must not keep the counters.
		over := getMock(t, s, "m1")
		r = saveWith(t, s, over, store.ChangeOverwrite, false)
		equal(t, "useCounter after overwrite", r.Mock.UseCounter, int64(0))
		equal(t, "lastUse after overwrite", r.Mock.LastUse, int64(0))
		got := getMock(t, s, "m1")
		equal(t, "stored useCounter after overwrite", got.UseCounter, int64(0))
	}},
	{name: "SaveMock/overwrite revives a soft-deleted mock", fn: func(t *testing.T, o store.Options, s *store.Store) {
		save(t, s, httpMock("m1", "ns1"))
		save(t, s, httpMock("m2", "ns1"))
		changed, err := s.SoftDeleteMocks(t.Context(), []string{"m1", "m2"})
		noErr(t, err, "SoftDeleteMocks")
		sameStrings(t, "soft-deleted", changed, []string{"m1", "m2"})
		if getMock(t, s, "m1").ClosedAt == 0 {
			t.Fatal("soft-deleted mock has closedAt 0")
		}

		r := save(t, s, httpMock("m1", "ns1"))
		if !r.Overwritten || r.Mock.ClosedAt != 0 {
			t.Fatalf("overwrite of a deleted mock: overwritten %v closedAt %d", r.Overwritten, r.Mock.ClosedAt)
		}
		// The same, when the client sends back the trashed mock it read (closedAt set).
		trashed := getMock(t, s, "m2")
		r = save(t, s, trashed)
		if r.Mock.ClosedAt != 0 {
			t.Fatalf("overwrite with the read-back document kept closedAt %d", r.Mock.ClosedAt)
		}
		live, _, err := s.ListMocks(t.Context(), store.MockFilter{})
		noErr(t, err, "ListMocks")
		sameStrings(t, "live mocks", sorted(mockIDs(live)), []string{"m1", "m2"})
		trash, _, err := s.ListMocks(t.Context(), store.MockFilter{Deleted: true})
		noErr(t, err, "ListMocks trash")
		sameStrings(t, "trash", mockIDs(trash), nil)
	}},
	{name: "SaveMock/ttl sets expireAt", fn: func(t *testing.T, o store.Options, s *store.Store) {
		const ttl = 3_600_000
		m := httpMock("m1", "ns1")
		m.TTL = ttl
		before := time.Now().UnixMilli()
		r := save(t, s, m)
		after := time.Now().UnixMilli()
		if r.Mock.ExpireAt < before+ttl || r.Mock.ExpireAt > after+ttl {
			t.Fatalf("expireAt %d not within [%d, %d]", r.Mock.ExpireAt, before+ttl, after+ttl)
		}
		equal(t, "stored expireAt", getMock(t, s, "m1").ExpireAt, r.Mock.ExpireAt)
		equal(t, "stored ttl", getMock(t, s, "m1").TTL, int64(ttl))

		r = save(t, s, httpMock("m1", "ns1"))
		equal(t, "expireAt after overwrite without ttl", r.Mock.ExpireAt, int64(0))
		equal(t, "stored expireAt after overwrite without ttl", getMock(t, s, "m1").ExpireAt, int64(0))
	}},
	{name: "SaveMock/NUL in a searchable field", fn: func(t *testing.T, o store.Options, s *store.Store) {
		m := &model.Mock{ID: "nul", Namespace: "ns1", MCP: &model.MCPContext{Tool: "t", Description: "a\x00b"},
			Response: &model.ContentResponse{Payload: json.RawMessage(`"x\u0000y"`)}}
		save(t, s, m)
		got := getMock(t, s, "nul")
		equal(t, "description", got.MCP.Description, "a\x00b")
		equal(t, "payload", string(got.Response.Payload), `"x\u0000y"`)
	}},
	{name: "GetMock/not found", fn: func(t *testing.T, o store.Options, s *store.Store) {
		_, err := s.GetMock(t.Context(), "nope")
		wantErr(t, err, store.ErrNotFound, "GetMock(nope)")
		ok, err := s.MockIDExists(t.Context(), "nope")
		noErr(t, err, "MockIDExists")
		if ok {
			t.Fatal("MockIDExists(nope) = true")
		}
		save(t, s, httpMock("yes", "ns1"))
		_, err = s.SoftDeleteMocks(t.Context(), []string{"yes"})
		noErr(t, err, "SoftDeleteMocks")
		ok, err = s.MockIDExists(t.Context(), "yes")
		noErr(t, err, "MockIDExists")
		if !ok {
			t.Fatal("MockIDExists of a soft-deleted mock = false")
		}
		if getMock(t, s, "yes").ClosedAt == 0 {
			t.Fatal("GetMock of a soft-deleted mock has closedAt 0")
		}
	}},
	{name: "MocksByIDs/existing ones in id order", fn: func(t *testing.T, o store.Options, s *store.Store) {
		for _, id := range []string{"c", "a", "b"} {
			save(t, s, httpMock(id, "ns1"))
		}
		got, err := s.MocksByIDs(t.Context(), []string{"c", "zz", "a"})
		noErr(t, err, "MocksByIDs")
		sameStrings(t, "MocksByIDs", mockIDs(got), []string{"a", "c"})
		got, err = s.MocksByIDs(t.Context(), nil)
		noErr(t, err, "MocksByIDs(nil)")
		if len(got) != 0 {
			t.Fatalf("MocksByIDs(nil) = %d mocks", len(got))
		}
	}},
	{name: "ListMocks/filters", fn: testListMocksFilters},
	{name: "ListMocks/paging and order", fn: testListMocksPaging},
	{name: "SoftDelete and Restore return only changed ids", fn: func(t *testing.T, o store.Options, s *store.Store) {
		for _, id := range []string{"a", "b", "c", "d"} {
			save(t, s, httpMock(id, "ns1"))
		}
		ctx := t.Context()
		changed, err := s.SoftDeleteMocks(ctx, []string{"b", "a", "missing"})
		noErr(t, err, "SoftDeleteMocks")
		sameStrings(t, "first soft delete", changed, []string{"a", "b"})
		changed, err = s.SoftDeleteMocks(ctx, []string{"a", "c"})
		noErr(t, err, "SoftDeleteMocks")
		sameStrings(t, "second soft delete", changed, []string{"c"})
		changed, err = s.SoftDeleteMocks(ctx, nil)
		noErr(t, err, "SoftDeleteMocks(nil)")
		sameStrings(t, "soft delete of nothing", changed, nil)

		closedA := getMock(t, s, "a").ClosedAt
		changed, err = s.RestoreMocks(ctx, []string{"a", "c", "d", "missing"})
		noErr(t, err, "RestoreMocks")
		sameStrings(t, "restore", changed, []string{"a", "c"})
		changed, err = s.RestoreMocks(ctx, []string{"a"})
		noErr(t, err, "RestoreMocks again")
		sameStrings(t, "restore again", changed, nil)
		if closedA == 0 || getMock(t, s, "a").ClosedAt != 0 {
			t.Fatalf("closedAt of a: %d when deleted, %d after restore", closedA, getMock(t, s, "a").ClosedAt)
		}
		trash, total, err := s.ListMocks(ctx, store.MockFilter{Deleted: true})
		noErr(t, err, "ListMocks trash")
		sameStrings(t, "trash", mockIDs(trash), []string{"b"})
		equal(t, "trash total", total, int64(1))
	}},
	{name: "PurgeMock removes versions and logs", fn: func(t *testing.T, o store.Options, s *store.Store) {
		ctx := t.Context()
		saveWith(t, s, httpMock("gone", "ns1"), store.ChangeCreate, true)
		saveWith(t, s, httpMock("gone", "ns1"), store.ChangeOverwrite, true)
		saveWith(t, s, httpMock("kept", "ns1"), store.ChangeCreate, true)
		for i := range 3 {
			noErr(t, s.AppendMockLog(ctx, "gone", store.RequestLog{CalledAt: int64(i + 1), Req: json.RawMessage(`{}`)}, 0), "AppendMockLog")
			noErr(t, s.AppendMockLog(ctx, "kept", store.RequestLog{CalledAt: int64(i + 1), Req: json.RawMessage(`{}`)}, 0), "AppendMockLog")
		}
		noErr(t, s.PurgeMock(ctx, "gone"), "PurgeMock")
		_, err := s.GetMock(ctx, "gone")
		wantErr(t, err, store.ErrNotFound, "GetMock after purge")
		vs, err := s.MockVersions(ctx, "gone")
		noErr(t, err, "MockVersions")
		equal(t, "versions after purge", len(vs), 0)
		_, total, err := s.MockLogs(ctx, "gone", 0, 0)
		noErr(t, err, "MockLogs")
		equal(t, "logs after purge", total, int64(0))
		wantErr(t, s.PurgeMock(ctx, "gone"), store.ErrNotFound, "second PurgeMock")

		vs, err = s.MockVersions(ctx, "kept")
		noErr(t, err, "MockVersions(kept)")
		equal(t, "versions of another mock", len(vs), 1)
		_, total, err = s.MockLogs(ctx, "kept", 0, 0)
		noErr(t, err, "MockLogs(kept)")
		equal(t, "logs of another mock", total, int64(3))

		// The ID is free again and starts a new history.
		r := saveWith(t, s, httpMock("gone", "ns1"), store.ChangeCreate, true)
		if r.Overwritten {
			t.Fatal("save after purge reported Overwritten")
		}
		vs, err = s.MockVersions(ctx, "gone")
		noErr(t, err, "MockVersions")
		if len(vs) != 1 || vs[0].Version != 1 {
			t.Fatalf("versions after re-create = %+v, want only version 1", vs)
		}
	}},
	{name: "UpdateMocks", fn: func(t *testing.T, o store.Options, s *store.Store) {
		ctx := t.Context()
		a := save(t, s, httpMock("a", "ns1")).Mock
		save(t, s, httpMock("b", "ns1"))
		save(t, s, httpMock("c", "ns1"))
		_, err := s.SoftDeleteMocks(ctx, []string{"b"})
		noErr(t, err, "SoftDeleteMocks")
		exec(t, s, "UPDATE mocks SET use_counter = 4 WHERE id = ?", "a")

		out, err := s.UpdateMocks(ctx, []string{"b", "a", "missing"}, store.ChangePatch, true, func(m *model.Mock) error {
			m.Tags = append(m.Tags, "bulk")
			m.Priority = 42
			return nil
		})
		noErr(t, err, "UpdateMocks")
		sameStrings(t, "updated", mockIDs(out), []string{"a", "b"})
		ga := getMock(t, s, "a")
		equal(t, "priority", ga.Priority, int64(42))
		sameStrings(t, "tags", ga.Tags, []string{"bulk"})
		equal(t, "createdAt kept", ga.CreatedAt, a.CreatedAt)
		equal(t, "useCounter kept", ga.UseCounter, int64(4))
		if getMock(t, s, "b").ClosedAt == 0 {
			t.Fatal("UpdateMocks revived a soft-deleted mock")
		}
		equal(t, "untouched mock priority", getMock(t, s, "c").Priority, int64(0))
		// The list columns follow the document.
		tagged, _, err := s.ListMocks(ctx, store.MockFilter{Tags: []string{"bulk"}})
		noErr(t, err, "ListMocks by the new tag")
		sameStrings(t, "live mocks with the new tag", mockIDs(tagged), []string{"a"})
		vs, err := s.MockVersions(ctx, "a")
		noErr(t, err, "MockVersions")
		if len(vs) != 1 || vs[0].Version != 2 || vs[0].Change != store.ChangePatch || vs[0].Mock.Priority != 42 {
			t.Fatalf("versions of a = %+v, want version 2 patch with priority 42", vs)
		}

		// An error from fn rolls everything back.
		boom := errors.New("boom")
		_, err = s.UpdateMocks(ctx, []string{"a", "c"}, store.ChangePatch, true, func(m *model.Mock) error {
			if m.ID == "c" {
				return boom
			}
			m.Priority = 1
			return nil
		})
		wantErr(t, err, boom, "UpdateMocks with a failing fn")
		equal(t, "priority after rollback", getMock(t, s, "a").Priority, int64(42))
		vs, err = s.MockVersions(ctx, "a")
		noErr(t, err, "MockVersions")
		equal(t, "versions after rollback", len(vs), 1)
	}},
	{name: "ChainMocks", fn: func(t *testing.T, o store.Options, s *store.Store) {
		for i, ns := range []string{"ns1", "ns1", "ns2", "ns1"} {
			m := httpMock(fmt.Sprintf("c%d", i), ns)
			m.ChainID = "chain1"
			save(t, s, m)
		}
		other := httpMock("other", "ns1")
		other.ChainID = "chain2"
		save(t, s, other)
		save(t, s, httpMock("nochain", "ns1"))
		_, err := s.SoftDeleteMocks(t.Context(), []string{"c3"})
		noErr(t, err, "SoftDeleteMocks")

		all, err := s.ChainMocks(t.Context(), "chain1", "")
		noErr(t, err, "ChainMocks")
		sameStrings(t, "chain1 everywhere", sorted(mockIDs(all)), []string{"c0", "c1", "c2"})
		ns1, err := s.ChainMocks(t.Context(), "chain1", "ns1")
		noErr(t, err, "ChainMocks ns1")
		sameStrings(t, "chain1 in ns1", sorted(mockIDs(ns1)), []string{"c0", "c1"})
		none, err := s.ChainMocks(t.Context(), "chain3", "")
		noErr(t, err, "ChainMocks chain3")
		equal(t, "unknown chain", len(none), 0)
	}},
	{name: "CountMocks", fn: func(t *testing.T, o store.Options, s *store.Store) {
		ctx := t.Context()
		c, err := s.CountMocks(ctx)
		noErr(t, err, "CountMocks on an empty database")
		equal(t, "empty total", c.Total, int64(0))

		for _, id := range []string{"h1", "h2", "h3", "expired", "trashed"} {
			save(t, s, httpMock(id, "ns1"))
		}
		save(t, s, grpcMock("g1", "ns2"))
		_, err = s.SoftDeleteMocks(ctx, []string{"trashed"})
		noErr(t, err, "SoftDeleteMocks")
		exec(t, s, "UPDATE mocks SET expire_at = ? WHERE id = ?", time.Now().UnixMilli()-1000, "expired")
		exec(t, s, "UPDATE mocks SET use_counter = 4 WHERE id = ?", "h1")
		exec(t, s, "UPDATE mocks SET use_counter = 2 WHERE id = ?", "g1")

		c, err = s.CountMocks(ctx)
		noErr(t, err, "CountMocks")
		equal(t, "counts", *c, store.MockCounts{
			Total: 6, Active: 4, Deleted: 1, Expired: 1, Used: 2, Requests: 6,
			ByProtocol:  map[string]int64{"http": 4, "grpc": 1},
			ByNamespace: map[string]int64{"ns1": 4, "ns2": 1},
		})
	}},
}

// listFixture saves a set of mocks for the ListMocks filter tests.
func listFixture(t *testing.T, s *store.Store) {
	t.Helper()
	add := func(m *model.Mock, tags ...string) {
		m.Tags = tags
		save(t, s, m)
	}
	h1 := httpMock("h1", "ns1")
	h1.HTTP.Route = "/Users/Profile"
	h1.FolderID = "f1"
	add(h1, "x", "y")
	add(grpcMock("g1", "ns1"), "x")
	add(httpMock("pct", "ns1"), "100%")
	add(httpMock("pcx", "ns1"), "100x")
	add(httpMock("und", "ns1"), "a_b")
	add(httpMock("unx", "ns1"), "axb")
	add(httpMock("long", "ns1"), "xy", "Prod")
	add(httpMock("low", "ns1"), "prod")
	h2 := httpMock("other-ns", "ns2")
	h2.ChainID = "chain1"
	add(h2, "x", "y")
	add(httpMock("trashed", "ns1"), "x", "y")
	if _, err := s.SoftDeleteMocks(t.Context(), []string{"trashed"}); err != nil {
		t.Fatal(err)
	}
}

func testListMocksFilters(t *testing.T, o store.Options, s *store.Store) {
	listFixture(t, s)
	empty := ""
	f1 := "f1"
	for _, c := range []struct {
		name string
		f    store.MockFilter
		want []string
	}{
		{"no filter: every live mock", store.MockFilter{}, []string{"g1", "h1", "long", "low", "other-ns", "pct", "pcx", "und", "unx"}},
		{"namespace", store.MockFilter{Namespace: "ns2"}, []string{"other-ns"}},
		{"one tag", store.MockFilter{Tags: []string{"x"}}, []string{"g1", "h1", "other-ns"}},
		{"every tag must match", store.MockFilter{Tags: []string{"x", "y"}}, []string{"h1", "other-ns"}},
		{"tags and namespace", store.MockFilter{Namespace: "ns1", Tags: []string{"y", "x"}}, []string{"h1"}},
		{"tag with a missing one", store.MockFilter{Tags: []string{"x", "nope"}}, nil},
		{"tag percent is literal", store.MockFilter{Tags: []string{"100%"}}, []string{"pct"}},
		{"tag underscore is literal", store.MockFilter{Tags: []string{"a_b"}}, []string{"und"}},
		{"tag is not a substring of another", store.MockFilter{Tags: []string{"y"}}, []string{"h1", "other-ns"}},
		{"tags are case-sensitive", store.MockFilter{Tags: []string{"Prod"}}, []string{"long"}},
		{"search is case-insensitive", store.MockFilter{Search: "PROFILE"}, []string{"h1"}},
		{"search in grpc service", store.MockFilter{Search: "userservice/geTG1"}, []string{"g1"}},
		{"search percent is literal", store.MockFilter{Search: "%"}, []string{"pct"}},
		{"search underscore is literal", store.MockFilter{Search: "a_b"}, []string{"und"}},
		{"search blank is no filter", store.MockFilter{Namespace: "ns2", Search: "  "}, []string{"other-ns"}},
		{"protocol", store.MockFilter{Protocol: "grpc"}, []string{"g1"}},
		{"chain", store.MockFilter{ChainID: "chain1"}, []string{"other-ns"}},
		{"folder", store.MockFilter{FolderID: &f1}, []string{"h1"}},
		{"root folder", store.MockFilter{Namespace: "ns1", FolderID: &empty}, []string{"g1", "long", "low", "pct", "pcx", "und", "unx"}},
		{"trash", store.MockFilter{Deleted: true}, []string{"trashed"}},
		{"trash with tags", store.MockFilter{Deleted: true, Tags: []string{"x", "y"}}, []string{"trashed"}},
	} {
		got, total, err := s.ListMocks(t.Context(), c.f)
		if err != nil {
			t.Fatalf("%s: ListMocks: %v", c.name, err)
		}
		if ids := sorted(mockIDs(got)); !(len(ids) == 0 && len(c.want) == 0) && fmt.Sprint(ids) != fmt.Sprint(c.want) {
			t.Errorf("%s: got %q, want %q", c.name, ids, c.want)
		}
		if total != int64(len(c.want)) {
			t.Errorf("%s: total %d, want %d", c.name, total, len(c.want))
		}
	}
}

func testListMocksPaging(t *testing.T, o store.Options, s *store.Store) {
	ctx := t.Context()
	for i := range 7 {
		id := fmt.Sprintf("m%d", i)
		save(t, s, httpMock(id, "ns1"))
		// Distinct creation times: m6 is the newest.
		exec(t, s, "UPDATE mocks SET created_at = ? WHERE id = ?", 1_000_000+i, id)
	}
	save(t, s, httpMock("elsewhere", "ns2"))
	all, total, err := s.ListMocks(ctx, store.MockFilter{Namespace: "ns1"})
	noErr(t, err, "ListMocks")
	equal(t, "total", total, int64(7))
	sameStrings(t, "newest first", mockIDs(all), []string{"m6", "m5", "m4", "m3", "m2", "m1", "m0"})

	var paged []string
	for off := 0; off < 9; off += 3 {
		page, total, err := s.ListMocks(ctx, store.MockFilter{Namespace: "ns1", Offset: off, Limit: 3})
		noErr(t, err, "ListMocks page")
		equal(t, "total of a page", total, int64(7))
		if want := min(3, max(0, 7-off)); len(page) != want {
			t.Fatalf("page at %d has %d mocks, want %d", off, len(page), want)
		}
		paged = append(paged, mockIDs(page)...)
	}
	sameStrings(t, "pages joined", paged, mockIDs(all))

	rest, total, err := s.ListMocks(ctx, store.MockFilter{Namespace: "ns1", Offset: 5})
	noErr(t, err, "ListMocks with offset only")
	equal(t, "total with offset only", total, int64(7))
	sameStrings(t, "offset without limit", mockIDs(rest), []string{"m1", "m0"})
}
