package store_test

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/mockarty-oss/mockarty/host/internal/store"
)

var dataCases = []storeCase{
	{name: "prune undefined", fn: func(t *testing.T, o store.Options, s *store.Store) {
		ctx := t.Context()
		for i := 1; i <= 5; i++ {
			_, err := s.RecordUndefined(ctx, store.UndefinedRequest{Namespace: "ns", Protocol: "http", Method: "GET",
				Path: fmt.Sprintf("/p%d", i), LastSeen: int64(i * 100)})
			noErr(t, err, "RecordUndefined")
		}
		n, err := s.PruneUndefined(ctx, 3)
		noErr(t, err, "PruneUndefined")
		equal(t, "pruned", n, int64(2))
		list, total, err := s.UndefinedRequests(ctx, store.UndefinedFilter{})
		noErr(t, err, "UndefinedRequests")
		equal(t, "kept", total, int64(3))
		equal(t, "newest kept first", list[0].Path, "/p5")
		n, err = s.PruneUndefined(ctx, 3)
		noErr(t, err, "PruneUndefined again")
		equal(t, "nothing more to prune", n, int64(0))
	}},
	{name: "namespaces", fn: func(t *testing.T, o store.Options, s *store.Store) {
		ctx := t.Context()
		noErr(t, s.CreateNamespace(ctx, "team-b"), "CreateNamespace")
		wantErr(t, s.CreateNamespace(ctx, "team-b"), store.ErrConflict, "CreateNamespace twice")
		save(t, s, httpMock("m1", "zeta"))
		noErr(t, s.SetStoreValue(ctx, "alpha", "", "k", json.RawMessage(`1`)), "SetStoreValue")
		noErr(t, s.EnsureNamespace(ctx, "mid"), "EnsureNamespace")
		noErr(t, s.EnsureNamespace(ctx, "mid"), "EnsureNamespace twice")
		wantErr(t, s.CreateNamespace(ctx, "zeta"), store.ErrConflict, "CreateNamespace of one a mock created")
		names, err := s.Namespaces(ctx)
		noErr(t, err, "Namespaces")
		sameStrings(t, "namespaces", names, []string{"alpha", "mid", "team-b", "zeta"})
	}},
	{name: "store values", fn: func(t *testing.T, o store.Options, s *store.Store) {
		ctx := t.Context()
		values := map[string]string{
			"str":   `"hello \"quoted\" ünï"`,
			"int":   `42`,
			"exact": `12345678901234567890.50`,
			"obj":   `{"a":[1,{"b":null}],"c":"d"}`,
			"arr":   `[1,"two",false]`,
			"null":  `null`,
			"bool":  `true`,
			"empty": `""`,
		}
		for k, v := range values {
			noErr(t, s.SetStoreValue(ctx, "ns1", "", k, json.RawMessage(v)), "SetStoreValue "+k)
		}
		got, err := s.StoreValues(ctx, "ns1", "")
		noErr(t, err, "StoreValues")
		if len(got) != len(values) {
			t.Fatalf("StoreValues has %d keys, want %d", len(got), len(values))
		}
		for k, v := range values {
			if string(got[k]) != v {
				t.Errorf("value of %s = %s, want %s", k, got[k], v)
			}
		}

		noErr(t, s.SetStoreValue(ctx, "ns1", "", "int", json.RawMessage(`{"now":"object"}`)), "overwrite")
		noErr(t, s.SetStoreValue(ctx, "ns1", "chain1", "int", json.RawMessage(`"chain value"`)), "chain value")
		noErr(t, s.SetStoreValue(ctx, "ns2", "", "int", json.RawMessage(`"other namespace"`)), "other namespace")
		global, err := s.StoreValues(ctx, "ns1", "")
		noErr(t, err, "StoreValues global")
		equal(t, "overwritten key", string(global["int"]), `{"now":"object"}`)
		equal(t, "global keys after overwrite", len(global), len(values))
		chain, err := s.StoreValues(ctx, "ns1", "chain1")
		noErr(t, err, "StoreValues chain")
		equal(t, "chain store", len(chain), 1)
		equal(t, "chain value", string(chain["int"]), `"chain value"`)
		other, err := s.StoreValues(ctx, "ns2", "")
		noErr(t, err, "StoreValues ns2")
		equal(t, "other namespace", len(other), 1)
		equal(t, "other namespace value", string(other["int"]), `"other namespace"`)
		none, err := s.StoreValues(ctx, "ns1", "no-such-chain")
		noErr(t, err, "StoreValues of an empty store")
		equal(t, "empty store", len(none), 0)

		g, c, err := s.CountStoreKeys(ctx)
		noErr(t, err, "CountStoreKeys")
		equal(t, "global and chain keys", [2]int64{g, c}, [2]int64{int64(len(values)) + 1, 1})

		noErr(t, s.DeleteStoreValue(ctx, "ns1", "", "str"), "DeleteStoreValue")
		wantErr(t, s.DeleteStoreValue(ctx, "ns1", "", "str"), store.ErrNotFound, "DeleteStoreValue twice")
		wantErr(t, s.DeleteStoreValue(ctx, "ns1", "chain1", "str"), store.ErrNotFound, "DeleteStoreValue of a global key in a chain store")
		n, err := s.DeleteStore(ctx, "ns1", "")
		noErr(t, err, "DeleteStore")
		equal(t, "deleted keys", n, int64(len(values)-1))
		global, err = s.StoreValues(ctx, "ns1", "")
		noErr(t, err, "StoreValues after DeleteStore")
		equal(t, "global keys after DeleteStore", len(global), 0)
		chain, err = s.StoreValues(ctx, "ns1", "chain1")
		noErr(t, err, "StoreValues chain after DeleteStore")
		equal(t, "chain store survives", len(chain), 1)
		other, err = s.StoreValues(ctx, "ns2", "")
		noErr(t, err, "StoreValues ns2 after DeleteStore")
		equal(t, "other namespace survives", len(other), 1)
	}},
	{name: "tags", fn: func(t *testing.T, o store.Options, s *store.Store) {
		ctx := t.Context()
		noErr(t, s.CreateTag(ctx, "ns1", "red", "#f00"), "CreateTag")
		wantErr(t, s.CreateTag(ctx, "ns1", "red", "#0f0"), store.ErrConflict, "CreateTag twice")
		noErr(t, s.CreateTag(ctx, "ns2", "red", "#00f"), "CreateTag in another namespace")
		noErr(t, s.CreateTag(ctx, "ns1", "unused", ""), "CreateTag unused")
		for i, tags := range [][]string{{"red", "blue"}, {"blue"}, {"red"}} {
			m := httpMock(fmt.Sprintf("m%d", i), "ns1")
			m.Tags = tags
			save(t, s, m)
		}
		trashed := httpMock("trashed", "ns1")
		trashed.Tags = []string{"red", "gone"}
		save(t, s, trashed)
		_, err := s.SoftDeleteMocks(ctx, []string{"trashed"})
		noErr(t, err, "SoftDeleteMocks")
		elsewhere := httpMock("elsewhere", "ns2")
		elsewhere.Tags = []string{"blue"}
		save(t, s, elsewhere)

		type tc struct {
			Name, Color string
			Count       int64
		}
		list := func(ns string) []tc {
			tags, err := s.Tags(ctx, ns)
			noErr(t, err, "Tags")
			var out []tc
			for _, tg := range tags {
				out = append(out, tc{tg.Name, tg.Color, tg.Count})
			}
			return out
		}
		equal(t, "tags of ns1", list("ns1"), []tc{{"blue", "", 2}, {"red", "#f00", 2}, {"unused", "", 0}})
		equal(t, "tags of ns2", list("ns2"), []tc{{"blue", "", 1}, {"red", "#00f", 0}})
		all := list("")
		if len(all) != 3 || all[0] != (tc{"blue", "", 3}) || all[1].Name != "red" || all[1].Count != 2 || all[2] != (tc{"unused", "", 0}) {
			t.Fatalf("tags of every namespace = %+v", all)
		}

		noErr(t, s.DeleteTag(ctx, "ns1", "unused"), "DeleteTag")
		wantErr(t, s.DeleteTag(ctx, "ns1", "unused"), store.ErrNotFound, "DeleteTag twice")
		// A recorded tag that mocks use stays listed from the mocks after deletion.
		noErr(t, s.DeleteTag(ctx, "ns1", "red"), "DeleteTag red")
		equal(t, "tags of ns1 after delete", list("ns1"), []tc{{"blue", "", 2}, {"red", "", 2}})
	}},
	{name: "folders", fn: testFolders},
	{name: "undefined requests", fn: testUndefined},
}

func testFolders(t *testing.T, o store.Options, s *store.Store) {
	ctx := t.Context()
	root, err := s.CreateFolder(ctx, store.Folder{Namespace: "ns1", Name: "root", SortOrder: 1})
	noErr(t, err, "CreateFolder without parent")
	if root.ID == "" || root.CreatedAt == 0 {
		t.Fatalf("created folder %+v has no id or time", root)
	}
	mid, err := s.CreateFolder(ctx, store.Folder{ID: "mid", Namespace: "ns1", ParentID: root.ID, Name: "mid"})
	noErr(t, err, "CreateFolder with parent")
	equal(t, "parent", mid.ParentID, root.ID)
	_, err = s.CreateFolder(ctx, store.Folder{ID: "leaf", Namespace: "ns1", ParentID: "mid", Name: "leaf"})
	noErr(t, err, "CreateFolder leaf")
	_, err = s.CreateFolder(ctx, store.Folder{ID: "mid", Namespace: "ns1", Name: "dup"})
	wantErr(t, err, store.ErrConflict, "CreateFolder with a used id")
	_, err = s.CreateFolder(ctx, store.Folder{ID: "x", Namespace: "ns2", ParentID: "mid", Name: "x"})
	wantErr(t, err, store.ErrConflict, "CreateFolder with a parent in another namespace")
	_, err = s.CreateFolder(ctx, store.Folder{ID: "y", Namespace: "ns1", ParentID: "missing", Name: "y"})
	wantErr(t, err, store.ErrNotFound, "CreateFolder with a missing parent")
	_, err = s.CreateFolder(ctx, store.Folder{ID: "z", Namespace: "ns1", ParentID: "z", Name: "z"})
	wantErr(t, err, store.ErrConflict, "CreateFolder inside itself")
	_, err = s.GetFolder(ctx, "x")
	wantErr(t, err, store.ErrNotFound, "refused folder was not created")

	// Cycles are refused on update; a legal move is accepted.
	_, err = s.UpdateFolder(ctx, store.Folder{ID: root.ID, Name: "root", ParentID: "leaf"})
	wantErr(t, err, store.ErrConflict, "UpdateFolder into its grandchild")
	_, err = s.UpdateFolder(ctx, store.Folder{ID: "mid", Name: "mid", ParentID: "mid"})
	wantErr(t, err, store.ErrConflict, "UpdateFolder into itself")
	_, err = s.UpdateFolder(ctx, store.Folder{ID: "nope", Name: "n"})
	wantErr(t, err, store.ErrNotFound, "UpdateFolder of a missing folder")
	up, err := s.UpdateFolder(ctx, store.Folder{ID: "leaf", Name: "leaf2", ParentID: root.ID, SortOrder: 5})
	noErr(t, err, "UpdateFolder move")
	if up.ParentID != root.ID || up.Name != "leaf2" || up.SortOrder != 5 || up.Namespace != "ns1" {
		t.Fatalf("updated folder = %+v", up)
	}
	_, err = s.UpdateFolder(ctx, store.Folder{ID: "leaf", Name: "leaf2", ParentID: "mid"})
	noErr(t, err, "UpdateFolder back under mid")

	// Mocks in folders, with live counts.
	inMid := httpMock("in-mid", "ns1")
	inMid.FolderID = "mid"
	save(t, s, inMid)
	inMid2 := httpMock("in-mid-2", "ns1")
	inMid2.FolderID = "mid"
	save(t, s, inMid2)
	trashed := httpMock("trashed-in-mid", "ns1")
	trashed.FolderID = "mid"
	save(t, s, trashed)
	_, err = s.SoftDeleteMocks(ctx, []string{"trashed-in-mid"})
	noErr(t, err, "SoftDeleteMocks")
	inLeaf := httpMock("in-leaf", "ns1")
	inLeaf.FolderID = "leaf"
	save(t, s, inLeaf)
	_, err = s.CreateFolder(ctx, store.Folder{ID: "other", Namespace: "ns2", Name: "other"})
	noErr(t, err, "CreateFolder ns2")

	counts := func(ns string) map[string]int64 {
		fs, err := s.Folders(ctx, ns)
		noErr(t, err, "Folders")
		out := map[string]int64{}
		for _, f := range fs {
			out[f.ID] = f.MockCount
		}
		return out
	}
	equal(t, "mock counts in ns1", counts("ns1"), map[string]int64{root.ID: 0, "mid": 2, "leaf": 1})
	equal(t, "folders everywhere", len(counts("")), 4)

	// Deleting mid moves leaf and mid's mocks up to root, in the column and the document.
	noErr(t, s.DeleteFolder(ctx, "mid"), "DeleteFolder")
	wantErr(t, s.DeleteFolder(ctx, "mid"), store.ErrNotFound, "DeleteFolder twice")
	_, err = s.GetFolder(ctx, "mid")
	wantErr(t, err, store.ErrNotFound, "GetFolder of a deleted folder")
	leaf, err := s.GetFolder(ctx, "leaf")
	noErr(t, err, "GetFolder leaf")
	equal(t, "leaf parent after delete", leaf.ParentID, root.ID)
	for _, id := range []string{"in-mid", "in-mid-2", "trashed-in-mid"} {
		equal(t, id+" folder after delete", getMock(t, s, id).FolderID, root.ID)
	}
	equal(t, "mock in leaf stays", getMock(t, s, "in-leaf").FolderID, "leaf")
	inRoot, _, err := s.ListMocks(ctx, store.MockFilter{FolderID: &root.ID})
	noErr(t, err, "ListMocks in root folder")
	sameStrings(t, "mocks listed in root", sorted(mockIDs(inRoot)), []string{"in-mid", "in-mid-2"})
	equal(t, "mock counts after delete", counts("ns1"), map[string]int64{root.ID: 2, "leaf": 1})

	// Deleting a top folder moves its content to the root ("").
	noErr(t, s.DeleteFolder(ctx, root.ID), "DeleteFolder root")
	leaf, err = s.GetFolder(ctx, "leaf")
	noErr(t, err, "GetFolder leaf")
	equal(t, "leaf parent after root delete", leaf.ParentID, "")
	equal(t, "mock folder after root delete", getMock(t, s, "in-mid").FolderID, "")
	noFolder := ""
	atRoot, _, err := s.ListMocks(ctx, store.MockFilter{FolderID: &noFolder})
	noErr(t, err, "ListMocks at root")
	sameStrings(t, "mocks at root", sorted(mockIDs(atRoot)), []string{"in-mid", "in-mid-2"})
}

func testUndefined(t *testing.T, o store.Options, s *store.Store) {
	ctx := t.Context()
	rec := func(ns, proto, method, path, body string, seen int64) *store.UndefinedRequest {
		t.Helper()
		u, err := s.RecordUndefined(ctx, store.UndefinedRequest{Namespace: ns, Protocol: proto, Method: method, Path: path,
			Body: body, Headers: `{"X-N":["` + body + `"]}`, LastSeen: seen})
		noErr(t, err, "RecordUndefined")
		return u
	}
	first := rec("ns1", "http", "GET", "/a", "b1", 100)
	rec("ns1", "http", "GET", "/a", "b2", 200)
	third := rec("ns1", "http", "GET", "/a", "b3", 300)
	equal(t, "same request keeps its id", third.ID, first.ID)
	if third.Count != 3 || third.FirstSeen != 100 || third.LastSeen != 300 || third.Body != "b3" {
		t.Fatalf("deduplicated request = %+v", third)
	}
	post := rec("ns1", "http", "POST", "/a", "", 150)
	grpc := rec("ns1", "grpc", "GET", "/a", "", 160)
	other := rec("ns2", "http", "GET", "/a", "", 170)
	defaults, err := s.RecordUndefined(ctx, store.UndefinedRequest{Namespace: "ns2", Protocol: "kafka", Path: "topic"})
	noErr(t, err, "RecordUndefined with defaults")
	if defaults.Headers != "{}" || defaults.LastSeen == 0 || defaults.FirstSeen != defaults.LastSeen {
		t.Fatalf("defaults not filled: %+v", defaults)
	}
	got, err := s.GetUndefined(ctx, first.ID)
	noErr(t, err, "GetUndefined")
	if got.Count != 3 || got.Body != "b3" || got.Headers != `{"X-N":["b3"]}` || got.Method != "GET" || got.Path != "/a" {
		t.Fatalf("stored request = %+v", got)
	}
	_, err = s.GetUndefined(ctx, "nope")
	wantErr(t, err, store.ErrNotFound, "GetUndefined(nope)")

	list := func(f store.UndefinedFilter) ([]string, int64) {
		t.Helper()
		rs, total, err := s.UndefinedRequests(ctx, f)
		noErr(t, err, "UndefinedRequests")
		var ids []string
		for _, r := range rs {
			ids = append(ids, r.ID)
		}
		return ids, total
	}
	ids, total := list(store.UndefinedFilter{Namespace: "ns1"})
	sameStrings(t, "ns1, most recent first", ids, []string{first.ID, grpc.ID, post.ID})
	equal(t, "ns1 total", total, int64(3))
	ids, _ = list(store.UndefinedFilter{Namespace: "ns1", Protocol: "grpc"})
	sameStrings(t, "ns1 grpc", ids, []string{grpc.ID})
	ids, total = list(store.UndefinedFilter{Namespace: "ns1", Offset: 1, Limit: 1})
	sameStrings(t, "ns1 page", ids, []string{grpc.ID})
	equal(t, "ns1 page total", total, int64(3))
	_, total = list(store.UndefinedFilter{})
	equal(t, "total everywhere", total, int64(5))

	// Ignored requests hide, stay ignored when seen again, and do not count.
	noErr(t, s.IgnoreUndefined(ctx, post.ID), "IgnoreUndefined")
	wantErr(t, s.IgnoreUndefined(ctx, "nope"), store.ErrNotFound, "IgnoreUndefined(nope)")
	again := rec("ns1", "http", "POST", "/a", "", 400)
	if again.ID != post.ID || !again.Ignored || again.Count != 2 {
		t.Fatalf("ignored request seen again = %+v", again)
	}
	ids, total = list(store.UndefinedFilter{Namespace: "ns1"})
	sameStrings(t, "ns1 without ignored", ids, []string{first.ID, grpc.ID})
	equal(t, "ns1 total without ignored", total, int64(2))
	ids, _ = list(store.UndefinedFilter{Namespace: "ns1", IncludeIgnored: true})
	sameStrings(t, "ns1 with ignored", ids, []string{post.ID, first.ID, grpc.ID})
	n, err := s.CountUndefined(ctx)
	noErr(t, err, "CountUndefined")
	equal(t, "CountUndefined", n, int64(4))

	// Raw bodies and paths (NUL, invalid UTF-8) are stored, cleaned, on every driver.
	bin := rec("ns3", "http", "POST", "/bin\x00", "\x00\xff\xfebody", 500)
	if bin.Body != "\uFFFD\uFFFDbody" || bin.Path != "/bin\uFFFD" {
		t.Fatalf("binary request stored as body %q path %q", bin.Body, bin.Path)
	}
	binAgain := rec("ns3", "http", "POST", "/bin\x00", "", 501)
	equal(t, "binary request deduplicated", [2]any{binAgain.ID, binAgain.Count}, [2]any{bin.ID, int64(2)})
	_, err = s.DeleteAllUndefined(ctx, "ns3")
	noErr(t, err, "DeleteAllUndefined(ns3)")

	n, err = s.DeleteUndefined(ctx, []string{grpc.ID, other.ID, "missing"})
	noErr(t, err, "DeleteUndefined")
	equal(t, "deleted selected", n, int64(2))
	n, err = s.DeleteUndefined(ctx, nil)
	noErr(t, err, "DeleteUndefined(nil)")
	equal(t, "deleted nothing", n, int64(0))
	n, err = s.DeleteAllUndefined(ctx, "ns1")
	noErr(t, err, "DeleteAllUndefined(ns1)")
	equal(t, "deleted in ns1 (ignored included)", n, int64(2))
	ids, _ = list(store.UndefinedFilter{IncludeIgnored: true})
	sameStrings(t, "left after deleting ns1", ids, []string{defaults.ID})
	n, err = s.DeleteAllUndefined(ctx, "")
	noErr(t, err, "DeleteAllUndefined everywhere")
	equal(t, "deleted everywhere", n, int64(1))
	n, err = s.CountUndefined(ctx)
	noErr(t, err, "CountUndefined")
	equal(t, "CountUndefined after clearing", n, int64(0))
}
