package store_test

import (
	"sync"
	"testing"

	"github.com/mockarty-oss/mockarty/host/internal/store"
)

func TestScratch(t *testing.T) {
	for _, d := range drivers(t) {
		t.Run(d.name, func(t *testing.T) {
			s := openStore(t, d.fresh(t))
			m := httpMock("nul", "ns1")
			m.HTTP.Route = "/a\x00b"
			_, err := s.SaveMock(t.Context(), m, store.ChangeCreate, false)
			t.Logf("NUL route: %v", err)
			_, err = s.RecordUndefined(t.Context(), store.UndefinedRequest{Namespace: "ns1", Protocol: "http", Path: "/x", Body: "\x00\xff\xfe binary"})
			t.Logf("binary body: %v", err)
			_, err = s.RecordUndefined(t.Context(), store.UndefinedRequest{Namespace: "ns1", Protocol: "http", Path: "/\xff"})
			t.Logf("invalid utf8 path: %v", err)
			m2 := httpMock("evil", "ns1")
			m2.Tags = []string{`a","x`}
			save(t, s, m2)
			got, _, _ := s.ListMocks(t.Context(), store.MockFilter{Tags: []string{"x"}})
			t.Logf("tag x matches %v", mockIDs(got))
			var wg sync.WaitGroup
			errs := make(chan error, 20)
			for range 10 {
				wg.Add(2)
				go func() {
					defer wg.Done()
					_, err := s.RecordUndefined(t.Context(), store.UndefinedRequest{Namespace: "ns1", Protocol: "http", Path: "/race"})
					errs <- err
				}()
				go func() {
					defer wg.Done()
					_, err := s.SaveMock(t.Context(), httpMock("race", "ns1"), store.ChangeCreate, true)
					errs <- err
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Logf("concurrent: %v", err)
				}
			}
			u, _, _ := s.UndefinedRequests(t.Context(), store.UndefinedFilter{})
			for _, r := range u {
				t.Logf("undef %s count %d", r.Path, r.Count)
			}
		})
	}
}
