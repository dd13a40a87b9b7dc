package store_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"testing"

	"github.com/mockarty-oss/mockarty/host/internal/model"
	"github.com/mockarty-oss/mockarty/host/internal/store"
)

// storeCase is one test of the suite; it gets a freshly migrated database.
type storeCase struct {
	name string
	fn   func(t *testing.T, o store.Options, s *store.Store)
	// noMigrate opens the fresh database without running the migrations.
	noMigrate bool
}

// TestStore runs the whole repository suite against every driver.
func TestStore(t *testing.T) {
	var cases []storeCase
	cases = append(cases, migrationCases...)
	cases = append(cases, mockCases...)
	cases = append(cases, roundTripCases...)
	cases = append(cases, historyCases...)
	cases = append(cases, dataCases...)
	cases = append(cases, concurrencyCases...)
	cases = append(cases, authCases...)
	cases = append(cases, batchCases...)
	cases = append(cases, durableCases...)
	cases = append(cases, testerCases...)
	for _, d := range drivers(t) {
		t.Run(d.name, func(t *testing.T) {
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					o := d.fresh(t)
					o.NoMigrate = c.noMigrate
					s := openStore(t, o)
					c.fn(t, o, s)
				})
			}
		})
	}
}

// --- helpers shared by the cases ---

// httpMock is a minimal valid HTTP mock.
func httpMock(id, namespace string) *model.Mock {
	return &model.Mock{
		ID:        id,
		Namespace: namespace,
		HTTP:      &model.HTTPContext{Route: "/" + id, HTTPMethod: "GET"},
		Response:  &model.ContentResponse{StatusCode: 200, Payload: json.RawMessage(`{"id":"` + id + `"}`)},
	}
}

// grpcMock is a minimal valid gRPC mock.
func grpcMock(id, namespace string) *model.Mock {
	return &model.Mock{
		ID:        id,
		Namespace: namespace,
		GRPC:      &model.GRPCContext{Service: "user.UserService", Method: "Get" + id},
		Response:  &model.ContentResponse{Payload: json.RawMessage(`{}`)},
	}
}

func save(t *testing.T, s *store.Store, m *model.Mock) *store.SaveResult {
	t.Helper()
	return saveWith(t, s, m, store.ChangeCreate, false)
}

func saveWith(t *testing.T, s *store.Store, m *model.Mock, change string, versioning bool) *store.SaveResult {
	t.Helper()
	if fe := m.Validate(); fe != nil {
		t.Fatalf("test mock %s is not valid: %v", m.ID, fe)
	}
	res, err := s.SaveMock(t.Context(), m, change, versioning)
	if err != nil {
		t.Fatalf("SaveMock(%s): %v", m.ID, err)
	}
	if res == nil || res.Mock == nil {
		t.Fatalf("SaveMock(%s) returned no mock", m.ID)
	}
	return res
}

func getMock(t *testing.T, s *store.Store, id string) *model.Mock {
	t.Helper()
	m, err := s.GetMock(t.Context(), id)
	if err != nil {
		t.Fatalf("GetMock(%s): %v", id, err)
	}
	return m
}

// exec runs raw SQL on the store's database, for states no method produces.
func exec(t *testing.T, s *store.Store, sql string, args ...any) {
	t.Helper()
	if err := store.DBForTest(s).WithContext(t.Context()).Exec(sql, args...).Error; err != nil {
		t.Fatalf("exec %q: %v", sql, err)
	}
}

func mockIDs(ms []*model.Mock) []string {
	out := make([]string, 0, len(ms))
	for _, m := range ms {
		out = append(out, m.ID)
	}
	return out
}

func sorted(ids []string) []string {
	out := slices.Clone(ids)
	slices.Sort(out)
	return out
}

func wantErr(t *testing.T, err, target error, what string) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: error %v, want %v", what, err, target)
	}
}

func noErr(t *testing.T, err error, what string) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func equal[T any](t *testing.T, what string, got, want T) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s = %#v, want %#v", what, got, want)
	}
}

// sameStrings compares string lists in order; nil and empty are the same.
func sameStrings(t *testing.T, what string, got, want []string) {
	t.Helper()
	if len(got) == 0 && len(want) == 0 {
		return
	}
	if !slices.Equal(got, want) {
		t.Fatalf("%s = %q, want %q", what, got, want)
	}
}
