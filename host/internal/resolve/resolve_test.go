package resolve

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/mockarty-oss/mockarty/host/internal/model"
	"github.com/mockarty-oss/mockarty/host/internal/store"
)

func newResolver(tb testing.TB) *Resolver {
	tb.Helper()
	st, err := store.Open(context.Background(), store.Options{Driver: "sqlite", DSN: filepath.Join(tb.TempDir(), "db.sqlite")})
	if err != nil {
		tb.Fatal(err)
	}
	r, err := New(context.Background(), Options{Store: st, LogLimit: 3})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { r.Close(); st.Close() })
	return r
}

func mocks(n int, templated bool) []*model.Mock {
	out := make([]*model.Mock, 0, n)
	for i := 0; i < n; i++ {
		m := &model.Mock{ID: fmt.Sprintf("m%d", i), Namespace: "sandbox", CreatedAt: int64(i),
			HTTP:     &model.HTTPContext{Route: fmt.Sprintf("/api/v1/resource%d/:id", i), HTTPMethod: "GET"},
			Response: &model.ContentResponse{StatusCode: 200, Payload: json.RawMessage(`{"message":"Hello, World!"}`)}}
		if templated {
			m.HTTP.Header = []model.Condition{{Path: "Authorization", AssertAction: "matches", Value: json.RawMessage(`"^Bearer .+$"`)}}
			m.HTTP.QueryParams = []model.Condition{{Path: "limit", AssertAction: "equals", Value: json.RawMessage(`10`)},
				{Path: "format", AssertAction: "equals", Value: json.RawMessage(`"json"`)}}
			m.Response.Payload = json.RawMessage(`{"id":"$.fake.UUID","name":"$.fake.FirstName","email":"$.fake.Email","item":"$.pathParam.id"}`)
		}
		out = append(out, m)
	}
	return out
}

func TestResolveHTTPRendersAndLimits(t *testing.T) {
	r := newResolver(t)
	ms := mocks(3, true)
	ms[1].UseLimiter = 1
	if err := r.Index.Load(ms); err != nil {
		t.Fatal(err)
	}
	req := func() *HTTPRequest {
		return &HTTPRequest{Namespace: "sandbox", Method: "GET", Path: "/api/v1/resource1/7",
			Header: map[string][]string{"authorization": {"Bearer x"}}, Query: map[string][]string{"limit": {"10"}, "format": {"json"}}}
	}
	res := r.ResolveHTTP(req())
	if !res.Matched || res.MockID != "m1" {
		t.Fatalf("first call: %+v", res)
	}
	var body map[string]any
	if err := json.Unmarshal(res.Rendered.Body, &body); err != nil || body["item"] != "7" || body["email"] == "" {
		t.Fatalf("body %s: %v", res.Rendered.Body, err)
	}
	res = r.ResolveHTTP(req())
	if res.Matched || len(res.NearMiss.Candidates) != 1 || res.NearMiss.Candidates[0].Reason != "use limit reached (useLimiter)" {
		t.Fatalf("second call: %+v", res.NearMiss)
	}
}

func benchResolve(b *testing.B, n int, templated bool) {
	r := newResolver(b)
	if err := r.Index.Load(mocks(n, templated)); err != nil {
		b.Fatal(err)
	}
	path := fmt.Sprintf("/api/v1/resource%d/42", n/2)
	header := map[string][]string{"authorization": {"Bearer x"}}
	query := map[string][]string{"limit": {"10"}, "format": {"json"}}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res := r.ResolveHTTP(&HTTPRequest{Namespace: "sandbox", Method: "GET", Path: path, Header: header, Query: query})
		if !res.Matched {
			b.Fatal("no match")
		}
		r.Release(res)
	}
}

func BenchmarkResolveHTTP10(b *testing.B)              { benchResolve(b, 10, false) }
func BenchmarkResolveHTTP1000(b *testing.B)            { benchResolve(b, 1000, false) }
func BenchmarkResolveHTTP100000(b *testing.B)          { benchResolve(b, 100000, false) }
func BenchmarkResolveHTTPTemplated10(b *testing.B)     { benchResolve(b, 10, true) }
func BenchmarkResolveHTTPTemplated100000(b *testing.B) { benchResolve(b, 100000, true) }
