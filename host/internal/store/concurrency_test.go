package store_test

import (
	"sync"
	"testing"

	"github.com/mockarty-oss/mockarty/host/internal/model"
	"github.com/mockarty-oss/mockarty/host/internal/store"
)

// parallel runs fn n times at once and fails on any error. A first round of
// pings opens the connections, so that the calls really overlap.
func parallel(t *testing.T, s *store.Store, n int, fn func(i int) error) {
	t.Helper()
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = s.Ping(t.Context())
		}()
	}
	wg.Wait()
	start := make(chan struct{})
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			errs <- fn(i)
		}()
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("concurrent call: %v", err)
		}
	}
}

var concurrencyCases = []storeCase{
	{name: "concurrent first saves of one ID", fn: func(t *testing.T, o store.Options, s *store.Store) {
		const n = 8
		var mu sync.Mutex
		created := 0
		parallel(t, s, n, func(i int) error {
			r, err := s.SaveMock(t.Context(), httpMock("race", "ns1"), store.ChangeCreate, true)
			if err == nil && !r.Overwritten {
				mu.Lock()
				created++
				mu.Unlock()
			}
			return err
		})
		equal(t, "saves that reported a create", created, 1)
		vs, err := s.MockVersions(t.Context(), "race")
		noErr(t, err, "MockVersions")
		if len(vs) != n || vs[0].Version != n || vs[n-1].Version != 1 {
			t.Fatalf("%d versions, newest %d; want versions 1..%d", len(vs), vs[0].Version, n)
		}
	}},
	{name: "concurrent saves and bulk updates keep every change", fn: func(t *testing.T, o store.Options, s *store.Store) {
		save(t, s, httpMock("m1", "ns1"))
		const n = 6
		parallel(t, s, n, func(i int) error {
			_, err := s.UpdateMocks(t.Context(), []string{"m1"}, store.ChangePatch, true, func(m *model.Mock) error {
				m.Priority++
				return nil
			})
			return err
		})
		equal(t, "priority after concurrent increments", getMock(t, s, "m1").Priority, int64(n))
	}},
	{name: "concurrent sightings of one undefined request", fn: func(t *testing.T, o store.Options, s *store.Store) {
		const n = 10
		parallel(t, s, n, func(i int) error {
			_, err := s.RecordUndefined(t.Context(), store.UndefinedRequest{Namespace: "ns1", Protocol: "http", Method: "GET", Path: "/race"})
			return err
		})
		rs, total, err := s.UndefinedRequests(t.Context(), store.UndefinedFilter{})
		noErr(t, err, "UndefinedRequests")
		if total != 1 || rs[0].Count != n {
			t.Fatalf("%d rows, count %d; want 1 row seen %d times", total, rs[0].Count, n)
		}
	}},
}
