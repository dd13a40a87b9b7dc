package store_test

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/mockarty-oss/mockarty/host/internal/store"
)

var historyCases = []storeCase{
	{name: "versions/on and off", fn: func(t *testing.T, o store.Options, s *store.Store) {
		ctx := t.Context()
		step := func(prio int64, change string, versioning bool) {
			m := httpMock("m1", "ns1")
			m.Priority = prio
			saveWith(t, s, m, change, versioning)
		}
		step(1, store.ChangeOverwrite, true) // a create, whatever the caller says
		step(2, store.ChangeOverwrite, true)
		step(3, store.ChangeOverwrite, false)
		step(4, store.ChangePatch, true)
		step(5, store.ChangeRestore, true)
		step(6, store.ChangeCopy, true)

		vs, err := s.MockVersions(ctx, "m1")
		noErr(t, err, "MockVersions")
		type vc struct {
			Version int64
			Change  string
			Prio    int64
		}
		var got []vc
		for _, v := range vs {
			if v.MockID != "m1" || v.CreatedAt == 0 || v.Mock == nil {
				t.Fatalf("version %+v lacks its mock id, time or document", v)
			}
			if v.Mock.UseCounter != 0 || v.Mock.CreatedAt != 0 || v.Mock.ClosedAt != 0 {
				t.Fatalf("version %d carries server fields: %+v", v.Version, v.Mock)
			}
			got = append(got, vc{v.Version, v.Change, v.Mock.Priority})
		}
		equal(t, "versions, newest first", got, []vc{
			{6, store.ChangeCopy, 6}, {5, store.ChangeRestore, 5}, {4, store.ChangePatch, 4},
			{2, store.ChangeOverwrite, 2}, {1, store.ChangeCreate, 1},
		})

		v, err := s.GetMockVersion(ctx, "m1", 2)
		noErr(t, err, "GetMockVersion(2)")
		equal(t, "version 2 priority", v.Mock.Priority, int64(2))
		equal(t, "version 2 change", v.Change, store.ChangeOverwrite)
		_, err = s.GetMockVersion(ctx, "m1", 3)
		wantErr(t, err, store.ErrNotFound, "GetMockVersion of a save made without history")
		_, err = s.GetMockVersion(ctx, "nope", 1)
		wantErr(t, err, store.ErrNotFound, "GetMockVersion of an unknown mock")
		none, err := s.MockVersions(ctx, "nope")
		noErr(t, err, "MockVersions(nope)")
		equal(t, "versions of an unknown mock", len(none), 0)

		// Restoring a version is saving its document again.
		r := saveWith(t, s, v.Mock, store.ChangeRestore, true)
		equal(t, "restored priority", r.Mock.Priority, int64(2))
		vs, err = s.MockVersions(ctx, "m1")
		noErr(t, err, "MockVersions")
		if vs[0].Version != 7 || vs[0].Change != store.ChangeRestore {
			t.Fatalf("newest version after restore = %d %s", vs[0].Version, vs[0].Change)
		}
	}},
	{name: "logs/limit, paging and delete", fn: func(t *testing.T, o store.Options, s *store.Store) {
		ctx := t.Context()
		logOf := func(i int) store.RequestLog {
			return store.RequestLog{
				ID:       fmt.Sprintf("log-%d", i),
				CalledAt: int64(1000 + i),
				Req:      json.RawMessage(fmt.Sprintf(`{"n":%d,"path":"/x"}`, i)),
				Response: json.RawMessage(`{"status":200}`),
			}
		}
		for i := 1; i <= 5; i++ {
			noErr(t, s.AppendMockLog(ctx, "m1", logOf(i), 3), "AppendMockLog")
		}
		// Another mock's log is never trimmed by m1's limit.
		noErr(t, s.AppendMockLog(ctx, "m2", store.RequestLog{CalledAt: 1, Req: json.RawMessage(`{}`)}, 1), "AppendMockLog m2")
		noErr(t, s.AppendMockLog(ctx, "m1", store.RequestLog{ID: "log-6", CalledAt: 1006, Req: json.RawMessage(`{"n":6}`)}, 3), "AppendMockLog")

		logs, total, err := s.MockLogs(ctx, "m1", 0, 0)
		noErr(t, err, "MockLogs")
		equal(t, "total after trimming", total, int64(3))
		var ids []string
		for _, l := range logs {
			ids = append(ids, l.ID)
		}
		sameStrings(t, "kept logs, newest first", ids, []string{"log-6", "log-5", "log-4"})
		equal(t, "calledAt", logs[1].CalledAt, int64(1005))
		equal(t, "req", string(logs[1].Req), `{"n":5,"path":"/x"}`)
		equal(t, "response", string(logs[1].Response), `{"status":200}`)
		if len(logs[0].Response) != 0 {
			t.Fatalf("a log without response came back with %s", logs[0].Response)
		}

		page, total, err := s.MockLogs(ctx, "m1", 1, 1)
		noErr(t, err, "MockLogs page")
		equal(t, "page total", total, int64(3))
		if len(page) != 1 || page[0].ID != "log-5" {
			t.Fatalf("page (offset 1, limit 1) = %+v, want log-5", page)
		}

		// A limit of 0 keeps everything; an empty ID gets one.
		for i := range 4 {
			noErr(t, s.AppendMockLog(ctx, "m3", store.RequestLog{CalledAt: int64(i), Req: json.RawMessage(`{}`)}, 0), "AppendMockLog unlimited")
		}
		m3, total, err := s.MockLogs(ctx, "m3", 0, 0)
		noErr(t, err, "MockLogs m3")
		equal(t, "unlimited total", total, int64(4))
		if m3[0].ID == "" || m3[0].ID == m3[1].ID {
			t.Fatalf("generated log ids %q %q", m3[0].ID, m3[1].ID)
		}

		n, err := s.DeleteMockLogs(ctx, "m1")
		noErr(t, err, "DeleteMockLogs")
		equal(t, "deleted logs", n, int64(3))
		n, err = s.DeleteMockLogs(ctx, "m1")
		noErr(t, err, "DeleteMockLogs again")
		equal(t, "deleted logs again", n, int64(0))
		_, total, err = s.MockLogs(ctx, "m2", 0, 0)
		noErr(t, err, "MockLogs m2")
		equal(t, "other mock's logs", total, int64(1))
	}},
}
