package engine

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// entityURL finds an external entity's URL in an XML document.
var entityURL = regexp.MustCompile(`<!ENTITY\s+\w+\s+SYSTEM\s+"([^"]+)"`)

// pointsTarget leaks a database error for a quote in a header, a path
// parameter or an XML text node, and (vulnerable) resolves the external
// entities of the XML it is sent, as a misconfigured parser does.
func pointsTarget(vulnerable bool) http.Handler {
	leak := func(w http.ResponseWriter, v string) bool {
		if vulnerable && strings.Count(v, "'")%2 == 1 {
			http.Error(w, `pq: unterminated quoted string at or near "'`+v+`"`, http.StatusInternalServerError)
			return true
		}
		return false
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /users/{id}", func(w http.ResponseWriter, r *http.Request) {
		if leak(w, r.PathValue("id")) || leak(w, r.Header.Get("X-Tenant")) {
			return
		}
		fmt.Fprintf(w, `{"id":%q}`, r.PathValue("id"))
	})
	mux.HandleFunc("POST /import", func(w http.ResponseWriter, r *http.Request) {
		body := make([]byte, 4096)
		n, _ := r.Body.Read(body)
		doc := string(body[:n])
		if m := entityURL.FindStringSubmatch(doc); m != nil {
			if !vulnerable {
				http.Error(w, "no DTDs", http.StatusBadRequest)
				return
			}
			if res, err := http.Get(m[1]); err == nil {
				res.Body.Close()
			}
		}
		if leak(w, html.UnescapeString(doc)) { // the text as a parser reads it

			return
		}
		w.Header().Set("Content-Type", "application/xml")
		_, _ = w.Write([]byte("<ok/>"))
	})
	return mux
}

// TestMorePoints: a seed's headers, path parameters and XML text nodes are
// fuzzed too, and an XML body is sent with an external entity at the
// canary: each planted bug is one finding, the clean twin has none.
func TestMorePoints(t *testing.T) {
	for _, vulnerable := range []bool{true, false} {
		srv := httptest.NewServer(pointsTarget(vulnerable))
		seeds := []Seed{
			{ID: "user", Method: "GET", Path: "/users/{id}", PathParams: map[string]string{"id": "7"}, Headers: map[string]string{"X-Tenant": "acme"}},
			{ID: "import", Method: "POST", Path: "/import", ContentType: "application/xml", Body: `<?xml version="1.0"?><order><sku>A1</sku><qty>2</qty></order>`},
		}
		res, err := Run(context.Background(), Config{TargetBaseURL: srv.URL, Categories: []string{"sqli", "xxe"}, Seeds: seeds,
			Canary: newTestCanary(t), Options: Options{MaxRequests: 3000}}, noRedirects(), nil)
		srv.Close()
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, f := range res.Findings {
			parts := strings.Split(f.Fingerprint, "|")
			got = append(got, parts[0]+"|"+parts[1])
			// The SQL error on /import came through the XML text node.
			if parts[0] == "POST /import" && parts[1] == "sqli" && !strings.HasPrefix(f.MutationApplied, "xml text 1: ") {
				t.Errorf("the XML finding's point: %s", f.MutationApplied)
			}
		}
		slices.Sort(got)
		want := ""
		if vulnerable {
			// One finding per operation and check: the header or the path
			// parameter (whichever comes first) on /users, the XML text
			// node and the external entity on /import.
			want = "GET /users/7|sqli,POST /import|sqli,POST /import|xxe"
		}
		if strings.Join(got, ",") != want {
			for _, f := range res.Findings {
				t.Log(f.Fingerprint, " ", f.MutationApplied)
			}
			t.Fatalf("vulnerable %v: %v", vulnerable, got)
		}
	}
}

// TestPointsReachEveryPart: the insertion points of a seed with a header,
// a path parameter and an XML body, and the requests they make.
func TestPointsReachEveryPart(t *testing.T) {
	r := &run{cfg: Config{TargetBaseURL: "http://127.0.0.1:1"}}
	op, err := r.build(Seed{ID: "x", Method: "PUT", Path: "/a/{id}/b", PathParams: map[string]string{"id": "7"},
		Headers: map[string]string{"X-Tenant": "acme", "Accept": "text/xml"}, ContentType: "text/xml", Body: `<a k="v"><b>one</b> <c>two &amp; 3</c></a>`})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range op.points() {
		names = append(names, fmt.Sprintf("%s=%v", p.name, p.value))
	}
	if strings.Join(names, ",") != "header X-Tenant=acme,path id=7,xml text 1=one,xml text 2=two &amp; 3" {
		t.Fatalf("points: %v", names)
	}
	pts := op.points()
	if q := pts[1].set("../x y"); q.url != "http://127.0.0.1:1/a/..%2Fx%20y/b" {
		t.Fatalf("path: %s", q.url)
	}
	if q := pts[3].set("<&>"); string(q.body) != `<a k="v"><b>one</b> <c><&></c></a>` {
		t.Fatalf("xml markup payload: %s", q.body)
	}
	if q := pts[2].set("it's 1 < 2"); string(q.body) != `<a k="v"><b>it&#39;s 1 &lt; 2</b> <c>two &amp; 3</c></a>` {
		t.Fatalf("xml text payload: %s", q.body)
	}
	if q := pts[0].set("a\r\nX-Injected: 1"); q.header.Get("X-Tenant") != `a\r\nX-Injected: 1` {
		t.Fatalf("header: %q", q.header.Get("X-Tenant"))
	}
}
