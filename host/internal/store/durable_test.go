package store_test

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/mockarty-oss/mockarty/host/internal/store"
)

var durableCases = []storeCase{
	{name: "durable/values, deletions and counters in one batch", fn: func(t *testing.T, o store.Options, s *store.Store) {
		ctx := t.Context()
		saveWith(t, s, httpMock("m1", "ns1"), store.ChangeOverwrite, false)
		saveWith(t, s, httpMock("m2", "ns1"), store.ChangeOverwrite, false)
		noErr(t, s.SetStoreValue(ctx, "ns1", "", "gone", json.RawMessage(`1`)), "SetStoreValue")
		var writes []store.StoreWrite
		for i := 0; i < 1500; i++ { // more than one multi-row statement
			writes = append(writes, store.StoreWrite{Namespace: "ns2", Key: fmt.Sprintf("k%d", i), Value: json.RawMessage(fmt.Sprint(i))})
		}
		writes = append(writes,
			store.StoreWrite{Namespace: "ns1", ChainID: "c1", Key: "state", Value: json.RawMessage(`{"paid":true}`)},
			store.StoreWrite{Namespace: "ns1", Key: "gone", Delete: true},
			store.StoreWrite{Namespace: "ns1", Key: "never-there", Delete: true})
		usages := []store.Usage{{ID: "m1", Counter: 7, LastUse: 70}, {ID: "m2", Counter: 9, LastUse: 90}, {ID: "missing", Counter: 1}}
		noErr(t, s.ApplyDurable(ctx, store.DurableBatch{Writes: writes, Usages: usages}), "ApplyDurable")

		ns2, err := s.StoreValues(ctx, "ns2", "")
		noErr(t, err, "StoreValues ns2")
		equal(t, "keys in ns2", len(ns2), 1500)
		equal(t, "ns2 k1499", string(ns2["k1499"]), "1499")
		chain, err := s.StoreValues(ctx, "ns1", "c1")
		noErr(t, err, "StoreValues chain")
		equal(t, "chain value", string(chain["state"]), `{"paid":true}`)
		ns1, err := s.StoreValues(ctx, "ns1", "")
		noErr(t, err, "StoreValues ns1")
		if _, ok := ns1["gone"]; ok {
			t.Error("the deleted key is still there")
		}
		for id, want := range map[string]int64{"m1": 7, "m2": 9} {
			m, err := s.GetMock(ctx, id)
			noErr(t, err, "GetMock")
			equal(t, id+" useCounter", m.UseCounter, want)
			equal(t, id+" lastUse", m.LastUse, want*10)
		}
		names, err := s.Namespaces(ctx)
		noErr(t, err, "Namespaces")
		found := false
		for _, n := range names {
			found = found || n == "ns2"
		}
		if !found {
			t.Errorf("a store write did not create its namespace: %v", names)
		}
		// Overwriting a value keeps one row with the newest value.
		noErr(t, s.ApplyDurable(ctx, store.DurableBatch{Writes: []store.StoreWrite{{Namespace: "ns2", Key: "k1", Value: json.RawMessage(`"new"`)}}}), "ApplyDurable again")
		ns2, err = s.StoreValues(ctx, "ns2", "")
		noErr(t, err, "StoreValues ns2")
		equal(t, "k1 overwritten", string(ns2["k1"]), `"new"`)
		equal(t, "keys in ns2 after overwrite", len(ns2), 1500)
	}},
	{name: "journal/logs, trimming, counters and unmatched requests in one batch", fn: func(t *testing.T, o store.Options, s *store.Store) {
		ctx := t.Context()
		saveWith(t, s, httpMock("m1", "ns1"), store.ChangeOverwrite, false)
		logs := map[string][]store.RequestLog{}
		for i := 1; i <= 6; i++ {
			logs["m1"] = append(logs["m1"], store.RequestLog{CalledAt: int64(i), Req: json.RawMessage(fmt.Sprintf(`{"n":%d}`, i))})
		}
		logs["m2"] = []store.RequestLog{{CalledAt: 1, Req: json.RawMessage(`{}`)}}
		b := store.JournalBatch{Logs: logs, Trim: []string{"m1"}, Limit: 4,
			Usages: []store.Usage{{ID: "m1", Counter: 6, LastUse: 6}},
			Undefined: []store.UndefinedRequest{
				{Namespace: "ns1", Protocol: "http", Method: "GET", Path: "/a", Headers: "{}", Count: 2, FirstSeen: 1, LastSeen: 2},
				{Namespace: "ns1", Protocol: "http", Method: "GET", Path: "/a", Headers: "{}", Count: 1, FirstSeen: 3, LastSeen: 3},
				{Namespace: "ns1", Protocol: "http", Method: "GET", Path: "/b\x00", Headers: "{}", Count: 1, FirstSeen: 3, LastSeen: 3},
			}}
		noErr(t, s.WriteJournal(ctx, b), "WriteJournal")
		got, total, err := s.MockLogs(ctx, "m1", 0, 0)
		noErr(t, err, "MockLogs")
		equal(t, "m1 logs after the trim", total, int64(4))
		equal(t, "newest log", string(got[0].Req), `{"n":6}`)
		_, total, err = s.MockLogs(ctx, "m2", 0, 0)
		noErr(t, err, "MockLogs m2")
		equal(t, "m2 logs (not trimmed)", total, int64(1))
		m, err := s.GetMock(ctx, "m1")
		noErr(t, err, "GetMock")
		equal(t, "useCounter", m.UseCounter, int64(6))
		list, _, err := s.UndefinedRequests(ctx, store.UndefinedFilter{Namespace: "ns1"})
		noErr(t, err, "UndefinedRequests")
		counts := map[string]int64{}
		for _, u := range list {
			counts[u.Path] = u.Count
		}
		equal(t, "sightings of /a", counts["/a"], int64(3))
		equal(t, "sightings of /b (NUL cleaned)", counts["/b\uFFFD"], int64(1))
	}},
}
