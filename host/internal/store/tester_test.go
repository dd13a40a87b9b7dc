package store_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/mockarty-oss/mockarty/host/internal/store"
)

// testerCases are the API tester's objects and the tool tasks, on both drivers.
var testerCases = []storeCase{
	{name: "tester objects added in batches", fn: func(t *testing.T, _ store.Options, s *store.Store) {
		ctx := t.Context()
		var rows []*store.TesterObject
		for i := range 250 {
			rows = append(rows, &store.TesterObject{Kind: "rec-entry", ID: fmt.Sprintf("s-%06d", i+1), Namespace: "rec", Parent: "s",
				SortOrder: int64(i + 1), Name: "GET /", Document: fmt.Sprintf(`{"sequence":%d}`, i+1)})
		}
		noErr(t, s.AddTesterObjects(ctx, rows), "add 250")
		// Written again (a retried batch), with one document changed: replaced, not doubled.
		rows[3].Document = `{"sequence":4,"note":"again"}`
		noErr(t, s.AddTesterObjects(ctx, rows[:10]), "add again")
		list, total, err := s.TesterObjects(ctx, store.TesterFilter{Kind: "rec-entry", Parent: "s", Offset: 3, Limit: 2})
		noErr(t, err, "list")
		if total != 250 || len(list) != 2 || list[0].ID != "s-000004" || list[0].Document != `{"sequence":4,"note":"again"}` || list[0].CreatedMs == 0 {
			t.Fatalf("batches: %d %+v", total, list)
		}
		noErr(t, s.AddTesterObjects(ctx, nil), "nothing")
	}},
	{name: "tester objects", fn: func(t *testing.T, _ store.Options, s *store.Store) {
		ctx := t.Context()
		col := &store.TesterObject{Kind: store.TesterCollection, Namespace: "ns", Name: "c", Document: `{"name":"c"}`}
		noErr(t, s.PutTesterObjects(ctx, col), "create a collection")
		if col.ID == "" || col.CreatedMs == 0 {
			t.Fatalf("ids and times are set: %+v", col)
		}
		var reqs []*store.TesterObject
		for i := 0; i < 3; i++ {
			reqs = append(reqs, &store.TesterObject{Kind: store.TesterRequest, Namespace: "ns", Parent: col.ID, Name: fmt.Sprintf("r%d", i),
				SortOrder: int64(2 - i), Document: "{}"})
		}
		noErr(t, s.PutTesterObjects(ctx, reqs...), "create requests")
		list, total, err := s.TesterObjects(ctx, store.TesterFilter{Kind: store.TesterRequest, Parent: col.ID})
		noErr(t, err, "list")
		if total != 3 || list[0].Name != "r2" || list[2].Name != "r0" {
			t.Fatalf("sort order: %d %+v", total, list)
		}
		// Replacing keeps the creation time; an id of another kind is a conflict.
		created := col.CreatedMs
		col.CreatedMs, col.Name = 0, "c2"
		noErr(t, s.PutTesterObjects(ctx, col), "replace")
		got, err := s.GetTesterObject(ctx, store.TesterCollection, col.ID)
		noErr(t, err, "get")
		if got.Name != "c2" || got.CreatedMs != created {
			t.Fatalf("replaced: %+v (created %d)", got, created)
		}
		if err := s.PutTesterObjects(ctx, &store.TesterObject{ID: col.ID, Kind: store.TesterEnvironment, Namespace: "ns", Document: "{}"}); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("an id taken by another kind: %v", err)
		}
		// Soft delete takes the collection's requests with it, and restore brings them back.
		n, err := s.SetTesterDeleted(ctx, store.TesterCollection, []string{col.ID}, true)
		noErr(t, err, "delete")
		if _, live, _ := s.TesterObjects(ctx, store.TesterFilter{Kind: store.TesterRequest, Parent: col.ID}); n != 1 || live != 0 {
			t.Fatalf("deleted: %d, live requests %d", n, live)
		}
		_, err = s.SetTesterDeleted(ctx, store.TesterCollection, []string{col.ID}, false)
		noErr(t, err, "restore")
		if _, live, _ := s.TesterObjects(ctx, store.TesterFilter{Kind: store.TesterRequest, Parent: col.ID}); live != 3 {
			t.Fatalf("restored requests: %d", live)
		}
		// One active environment per namespace.
		e1 := &store.TesterObject{Kind: store.TesterEnvironment, Namespace: "ns", Name: "a", Document: "{}"}
		e2 := &store.TesterObject{Kind: store.TesterEnvironment, Namespace: "ns", Name: "b", Document: "{}"}
		noErr(t, s.PutTesterObjects(ctx, e1, e2), "environments")
		noErr(t, s.ActivateTesterObject(ctx, store.TesterEnvironment, "ns", e1.ID), "activate a")
		noErr(t, s.ActivateTesterObject(ctx, store.TesterEnvironment, "ns", e2.ID), "activate b")
		a, _ := s.GetTesterObject(ctx, store.TesterEnvironment, e1.ID)
		b, _ := s.GetTesterObject(ctx, store.TesterEnvironment, e2.ID)
		if a.Active || !b.Active {
			t.Fatalf("active: a %v, b %v", a.Active, b.Active)
		}
		// History is trimmed to the newest entries.
		for i := 0; i < 5; i++ {
			noErr(t, s.PutTesterObjects(ctx, &store.TesterObject{Kind: store.TesterHistory, Namespace: "ns", Name: fmt.Sprint(i), Document: "{}"}), "history")
		}
		noErr(t, s.TrimTesterHistory(ctx, "ns", 2), "trim")
		if _, n, _ := s.TesterObjects(ctx, store.TesterFilter{Kind: store.TesterHistory, Namespace: "ns"}); n != 2 {
			t.Fatalf("history after trim: %d", n)
		}
		n, err = s.DeleteTesterObjects(ctx, store.TesterCollection, []string{col.ID})
		noErr(t, err, "purge")
		if _, left, _ := s.TesterObjects(ctx, store.TesterFilter{Kind: store.TesterRequest, Parent: col.ID}); n != 1 || left != 0 {
			t.Fatalf("purged: %d, requests left %d", n, left)
		}
	}},
	{name: "tasks and items", fn: func(t *testing.T, _ store.Options, s *store.Store) {
		ctx := t.Context()
		for i := 0; i < 3; i++ {
			mode := "functional"
			if i == 2 {
				mode = "load"
			}
			noErr(t, s.PutTask(ctx, &store.Task{ID: fmt.Sprint("t", i), Namespace: "ns", Mode: mode, Status: store.TaskRunning,
				CreatedMs: int64(1000 + i), ReferenceID: "ref"}), "task")
		}
		var items []store.TaskItem
		for i := 1; i <= 450; i++ {
			items = append(items, store.TaskItem{TaskID: "t0", Seq: int64(i), Kind: "step", Document: fmt.Sprintf(`{"n":%d}`, i)})
		}
		noErr(t, s.AddTaskItems(ctx, items), "items")
		page, err := s.TaskItems(ctx, "t0", 401, 100)
		noErr(t, err, "page")
		if len(page) != 50 || page[0].Seq != 401 {
			t.Fatalf("page: %d from %d", len(page), page[0].Seq)
		}
		list, total, err := s.Tasks(ctx, store.TaskFilter{Mode: "functional", Namespace: "ns", Limit: 1})
		noErr(t, err, "list")
		if total != 2 || len(list) != 1 || list[0].ID != "t1" {
			t.Fatalf("newest functional first: %d %+v", total, list)
		}
		n, err := s.FailUnfinishedTasks(ctx, "interrupted")
		noErr(t, err, "fail unfinished")
		t0, _ := s.GetTask(ctx, "t0")
		if n != 3 || t0.Status != store.TaskFailed || t0.Message != "interrupted" {
			t.Fatalf("after a restart: %d %+v", n, t0)
		}
		noErr(t, s.DeleteTask(ctx, "t0"), "delete")
		if left, _ := s.TaskItems(ctx, "t0", 0, 10); len(left) != 0 {
			t.Fatalf("items outlived their task: %d", len(left))
		}
		if err := s.DeleteTask(ctx, "t0"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("deleting twice: %v", err)
		}
	}},
	{name: "tasks by a param", fn: func(t *testing.T, _ store.Options, s *store.Store) {
		ctx := t.Context()
		groups := []string{"ci-42", "ci-42", "ci-420", "50%_off\\\"x", "50xyoff", ""}
		for i, g := range groups {
			params := "{}"
			if g != "" {
				b, _ := json.Marshal(map[string]string{"runGroupId": g, "other": "ci-42"})
				params = string(b)
			}
			noErr(t, s.PutTask(ctx, &store.Task{ID: fmt.Sprint("p", i), Namespace: "ns", Mode: "load", Status: store.TaskCompleted,
				CreatedMs: int64(1000 + i), Params: params}), "task")
		}
		for g, want := range map[string]string{"ci-42": "p1 p0", "50%_off\\\"x": "p3", "50": "", "ci-4": ""} {
			list, _, err := s.Tasks(ctx, store.TaskFilter{Mode: "load", Param: &[2]string{"runGroupId", g}})
			noErr(t, err, "list")
			var ids []string
			for _, tk := range list {
				ids = append(ids, tk.ID)
			}
			if got := strings.Join(ids, " "); got != want {
				t.Errorf("group %q: %q, want %q", g, got, want)
			}
		}
	}},
}
