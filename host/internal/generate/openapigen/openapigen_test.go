package openapigen

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mockarty-oss/mockarty/host/internal/model"
	"github.com/mockarty-oss/mockarty/host/internal/openapi"
)

func load(t testing.TB, path string) *openapi.Doc {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := openapi.Load(context.Background(), b)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return doc
}

func fixtures(t *testing.T) []string {
	files, _ := filepath.Glob("testdata/oas-examples/*/*")
	if len(files) < 10 {
		t.Fatalf("fixtures missing: %v", files)
	}
	return files
}

// Every operation of every fixture gets a fallback mock (priority
// PriorityFallback, no conditions) and one mock per declared response.
func TestEveryOperationGetsMocks(t *testing.T) {
	for _, f := range fixtures(t) {
		t.Run(f, func(t *testing.T) {
			doc := load(t, f)
			res, err := Generate(Input{Namespace: "sandbox", Doc: doc})
			if err != nil {
				t.Fatal(err)
			}
			fallbacks := map[string]*model.Mock{}
			ids := map[string]bool{}
			for _, m := range res.Mocks {
				if ids[m.ID] {
					t.Errorf("id %s twice", m.ID)
				}
				ids[m.ID] = true
				if !model.NamePattern.MatchString(m.ID) {
					t.Errorf("id %q is not a mock id", m.ID)
				}
				if m.Priority == PriorityFallback {
					fallbacks[m.HTTP.HTTPMethod+" "+m.PathPrefix+m.HTTP.Route+m.HTTP.RoutePattern] = m
					if len(m.HTTP.Header)+len(m.HTTP.QueryParams)+len(m.HTTP.Conditions) != 0 {
						t.Errorf("fallback %s has conditions", m.ID)
					}
				}
				if m.Response == nil || m.Response.StatusCode == 0 {
					t.Errorf("%s has no status", m.ID)
				}
				if len(m.Response.Payload) > 0 && !json.Valid(m.Response.Payload) {
					t.Errorf("%s: payload is not JSON: %s", m.ID, m.Response.Payload)
				}
			}
			ops := 0
			for _, p := range doc.Paths.Map() {
				ops += len(p.Operations())
			}
			if len(fallbacks) != ops {
				t.Errorf("%d operations, %d fallback mocks: %v", ops, len(fallbacks), keys(fallbacks))
			}
			if testing.Verbose() {
				t.Logf("%s: %d operations, %d mocks, warnings %q", doc.Version, ops, len(res.Mocks), res.Warnings)
			}
		})
	}
}

func keys(m map[string]*model.Mock) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestPetstoreShapes(t *testing.T) {
	for _, f := range []string{"testdata/oas-examples/2.0/petstore.yaml", "testdata/oas-examples/3.0/petstore.yaml", "testdata/oas-examples/3.1/petstore.json"} {
		res, err := Generate(Input{Namespace: "sandbox", Doc: load(t, f)})
		if err != nil {
			t.Fatal(err)
		}
		byID := map[string]*model.Mock{}
		for _, m := range res.Mocks {
			byID[m.ID] = m
		}
		get := byID["openapi-sandbox-getpetbyid"]
		if get == nil {
			t.Fatalf("%s: no fallback for getPetById: %v", f, keys(byID))
		}
		if get.HTTP.Route != "/pet/:petId" || get.HTTP.HTTPMethod != "GET" || get.PathPrefix == "" {
			t.Errorf("%s: route %q %q prefix %q", f, get.HTTP.HTTPMethod, get.HTTP.Route, get.PathPrefix)
		}
		if get.Response.StatusCode != 200 || !strings.Contains(string(get.Response.Payload), `"name"`) {
			t.Errorf("%s: fallback answer %d %s", f, get.Response.StatusCode, get.Response.Payload)
		}
		if m := byID["openapi-sandbox-getpetbyid-404"]; m == nil || m.Response.StatusCode != 404 || m.Priority != PriorityPreferCode ||
			len(m.HTTP.Header) != 1 || m.HTTP.Header[0].Path != "Prefer" {
			t.Errorf("%s: the 404 mock: %+v", f, m)
		}
	}
}
