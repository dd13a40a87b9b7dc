package engine

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/mockarty-oss/mockarty/plugins/fuzzer/internal/target"
)

// TestGraphQLSource: introspection of a real GraphQL server gives a seed
// per root field; fuzzing their variables finds the planted injection in
// products(search) as one finding named by its operation, and nothing on
// the clean twin.
func TestGraphQLSource(t *testing.T) {
	for _, vulnerable := range []bool{true, false} {
		srv := httptest.NewServer(target.NewGraphQL(vulnerable))
		t.Cleanup(srv.Close)
		seeds, err := GraphQLSeeds(context.Background(), noRedirects(), srv.URL+"/graphql", nil)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, s := range seeds {
			names = append(names, s.Operation)
		}
		if strings.Join(names, ",") != "query product,query products,mutation addReview" {
			t.Fatalf("operations: %v", names)
		}
		if b := seeds[2].Body; !strings.Contains(b, `mutation Fuzz_addReview($input: ReviewInput!) { addReview(input: $input) { id stars text } }`) ||
			!strings.Contains(b, `"variables":{"input":{"productId":"1","stars":1,"text":"fuzz"}}`) {
			t.Fatalf("the mutation's seed: %s", b)
		}
		res, err := Run(context.Background(), Config{Strategy: "security", Categories: []string{"sqli", "xss"}, Seeds: seeds,
			Options: Options{MaxRequests: 2000}}, noRedirects(), nil)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case vulnerable && (len(res.Findings) != 1 || !strings.HasPrefix(res.Findings[0].Fingerprint, "query products|sqli|200|sql-error")):
			for _, f := range res.Findings {
				t.Log(f.Fingerprint, " ", f.MutationApplied)
			}
			t.Fatalf("%d findings on the vulnerable GraphQL API", len(res.Findings))
		case !vulnerable && len(res.Findings) != 0:
			t.Fatalf("a finding on the clean GraphQL API: %s (%s)", res.Findings[0].Fingerprint, res.Findings[0].MutationApplied)
		}
		// Only the variables are fuzzed: the query text stays as introspection made it.
		for _, f := range res.Findings {
			if !strings.HasPrefix(f.MutationApplied, "body $.variables.") {
				t.Fatalf("mutated outside the variables: %s", f.MutationApplied)
			}
		}
	}
	if _, err := GraphQLSeeds(context.Background(), noRedirects(), "http://127.0.0.1:1/graphql", nil); err == nil || !strings.Contains(err.Error(), "introspecting") {
		t.Fatalf("an endpoint that does not answer: %v", err)
	}
}
