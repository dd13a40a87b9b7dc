// Package importstest runs translated mocks for the tests of the
// translators: every mock is checked and saved the way the API saves one
// (catalog.Prepare, then the catalog over a SQLite store) and requests are
// answered by the real resolver. Recorded exchanges (cases.json) say what
// the original tool answered and, where the mocks differ, what they answer.
package importstest

import (
	"context"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/mockarty-oss/mockarty/host/internal/catalog"
	"github.com/mockarty-oss/mockarty/host/internal/model"
	"github.com/mockarty-oss/mockarty/host/internal/resolve"
	"github.com/mockarty-oss/mockarty/host/internal/store"
)

// Namespace is the namespace the tests translate into.
const Namespace = "imported"

// Server answers requests with a set of saved mocks.
type Server struct {
	t *testing.T
	R *resolve.Resolver
}

// Serve checks and saves the mocks and returns the resolver serving them.
func Serve(t *testing.T, mocks []*model.Mock) *Server {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, store.Options{Driver: "sqlite", DSN: filepath.Join(t.TempDir(), "db.sqlite")})
	if err != nil {
		t.Fatal(err)
	}
	// Webhooks may reach the tests' own servers on the loopback.
	res, err := resolve.New(ctx, resolve.Options{Store: st, LogLimit: 3, AllowPrivate: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { res.Close(); _ = st.Close() })
	for _, m := range mocks {
		if ferr := catalog.Prepare(m, Namespace); ferr != nil {
			b, _ := json.MarshalIndent(m, "", "  ")
			t.Fatalf("mock %s is refused: %v\n%s", m.ID, ferr, b)
		}
	}
	if _, err := catalog.New(st, false, res).SaveBatch(ctx, mocks); err != nil {
		t.Fatal(err)
	}
	return &Server{t: t, R: res}
}

// Answer is what the resolver answered.
type Answer struct {
	Matched bool
	MockID  string
	Status  int
	Headers map[string][]string
	Body    string
	Result  *resolve.HTTPResult
}

// Do resolves one request; target is the route with its query.
func (s *Server) Do(method, target string, headers map[string]string, body []byte) Answer {
	s.t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		s.t.Fatal(err)
	}
	h := map[string][]string{}
	for k, v := range headers {
		h[strings.ToLower(k)] = append(h[strings.ToLower(k)], v)
	}
	if method == "" {
		method = "GET"
	}
	res := s.R.ResolveHTTP(&resolve.HTTPRequest{Namespace: Namespace, AllServers: true, Method: method, Path: u.Path,
		Query: u.Query(), Header: h, Body: body})
	if !res.Matched {
		return Answer{Status: 404, Result: res}
	}
	out := res.Rendered
	return Answer{Matched: true, MockID: res.MockID, Status: out.Status, Headers: out.Headers, Body: string(out.Body), Result: res}
}

// Case is one recorded exchange.
type Case struct {
	Name    string            `json:"name"`
	Method  string            `json:"method"`
	Path    string            `json:"path"`
	Headers map[string]string `json:"headers"`
	Body    json.RawMessage   `json:"body"`
	// Want is the original tool's answer; Mockarty, when set, the mocks'
	// answer where it differs, and Why the reason the report gives.
	Want     Expect  `json:"want"`
	Mockarty *Expect `json:"mockarty"`
	Why      string  `json:"why"`
}

// Expect is an expected answer. Status -1 is a broken connection.
type Expect struct {
	Status      int               `json:"status"`
	Body        *string           `json:"body"`
	BodyMatches string            `json:"bodyMatches"`
	Headers     map[string]string `json:"headers"`
}

// ReadCases reads the recorded exchanges of a cases.json.
func ReadCases(t *testing.T, file string) []Case {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Cases []Case `json:"cases"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return doc.Cases
}

// Run sends the cases in order (scenarios and sequences depend on it) and
// checks each answer; differs counts the cases where the mocks answer
// otherwise than the original tool, as recorded.
func (s *Server) Run(cases []Case) (differs int) {
	s.t.Helper()
	for _, c := range cases {
		want := c.Want
		if c.Mockarty != nil {
			want, differs = *c.Mockarty, differs+1
		}
		var body []byte
		if len(c.Body) > 0 {
			var text string
			if json.Unmarshal(c.Body, &text) == nil {
				body = []byte(text)
			} else {
				body = c.Body
			}
		}
		a := s.Do(c.Method, c.Path, c.Headers, body)
		if a.Status != want.Status {
			s.t.Errorf("%s: status %d, want %d (mock %q, body %q, near miss %+v)", c.Name, a.Status, want.Status, a.MockID, a.Body, a.Result.NearMiss)
			continue
		}
		if want.Body != nil && a.Body != *want.Body {
			s.t.Errorf("%s: body %q, want %q", c.Name, a.Body, *want.Body)
		}
		if want.BodyMatches != "" && !regexp.MustCompile(want.BodyMatches).MatchString(a.Body) {
			s.t.Errorf("%s: body %q does not match %s", c.Name, a.Body, want.BodyMatches)
		}
		for k, v := range want.Headers {
			if got := header(a.Headers, k); got != v {
				s.t.Errorf("%s: header %s is %q, want %q", c.Name, k, got, v)
			}
		}
	}
	return differs
}

func header(h map[string][]string, name string) string {
	for k, v := range h {
		if strings.EqualFold(k, name) && len(v) > 0 {
			return v[0]
		}
	}
	return ""
}
