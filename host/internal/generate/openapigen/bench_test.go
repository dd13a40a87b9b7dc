package openapigen

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/mockarty-oss/mockarty/host/internal/openapi"
)

// BenchmarkGenerate loads and generates from the largest description at
// hand: Trello's (324 operations) when `make clients` has fetched the
// real-world specs (OPENAPI_SPECS), else the Petstore.
//
//	cd host && OPENAPI_SPECS=$PWD/../.clients/openapi go test -run '^$' -bench Generate ./internal/generate/openapigen/
func BenchmarkGenerate(b *testing.B) {
	file := "testdata/oas-examples/3.0/petstore.yaml"
	if dir := os.Getenv("OPENAPI_SPECS"); dir != "" {
		file = filepath.Join(dir, "trello.com.json")
	}
	spec, err := os.ReadFile(file)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("%s, %d bytes", file, len(spec))
	b.ReportAllocs()
	for b.Loop() {
		doc, err := openapi.Load(context.Background(), spec)
		if err != nil {
			b.Fatal(err)
		}
		res, err := Generate(Input{Namespace: "sandbox", Doc: doc})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(len(res.Mocks)), "mocks")
	}
}
