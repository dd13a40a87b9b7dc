package imports

import (
	"testing"

	"github.com/mockarty-oss/mockarty/host/internal/match"
	"github.com/mockarty-oss/mockarty/host/internal/model"
	"github.com/mockarty-oss/mockarty/host/internal/render"
)

func TestScanHandlebars(t *testing.T) {
	ps := ScanHandlebars(`a {{jsonPath request.body '$.x' default='n a'}} b {{{request.path.[0]}}}{{#if x}}c{{/if}} \{{kept}} {{open`)
	var got []string
	for _, p := range ps {
		if p.M == nil {
			got = append(got, "T:"+p.Text)
			continue
		}
		got = append(got, "M:"+p.M.Name)
	}
	want := []string{"T:a ", "M:jsonPath", "T: b ", "M:request.path.[0]", "M:", "T:c", "M:", "T: {{kept}} {{open"}
	if len(got) != len(want) {
		t.Fatalf("got %q", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("got %q, want %q", got, want)
		}
	}
	m := ps[1].M
	if len(m.Args) != 2 || m.Args[0].Text != "request.body" || !m.Args[1].Quoted || m.Args[1].Text != "$.x" || m.Hash["default"].Text != "n a" {
		t.Errorf("jsonPath mustache: %+v", m)
	}
	if !ps[4].M.Block || !ps[6].M.Block {
		t.Error("block helpers are not marked")
	}
	if bad := ScanHandlebars(`{{faker 'x}}`)[0].M; !bad.Bad {
		t.Error("an open quote is not marked bad")
	}
}

// render renders a built template the way a mock's text payload is.
func renderText(t *testing.T, s string, d *render.Data) string {
	t.Helper()
	tpl, err := render.CompileJSON(JSON(s))
	if err != nil {
		t.Fatalf("%q: %v", s, err)
	}
	return string(tpl.Render(d))
}

func TestTextRendersAsMeant(t *testing.T) {
	d := &render.Data{Query: map[string][]string{"name": {"Ann"}, "file": {"a"}}, Headers: map[string][]string{"x-trace": {"t1"}}}
	var a Text
	a.Lit("Hello ")
	a.Expr("$.queryParams.name", "{{q}}")
	a.Lit("! trace ")
	a.Expr("$.reqHeader.X-Trace[0]", "{{h}}")
	a.Lit(".")
	b := a.Build()
	if b.Whole || len(b.Skipped) > 0 || renderText(t, b.S, d) != "Hello Ann! trace t1." {
		t.Errorf("%+v renders %q", b, renderText(t, b.S, d))
	}

	// Text that would be read as part of the expression is reported.
	var c Text
	c.Expr("$.queryParams.file", "{{request.query.file}}")
	c.Lit(".json")
	if b := c.Build(); len(b.Skipped) != 1 || renderText(t, b.S, d) == "a.json" {
		t.Errorf("continuation not reported: %+v", b)
	}
	for _, next := range []string{"x", "[0]", "_", "(", ".y"} {
		var e Text
		e.Expr("$.fake.UUID", "f")
		e.Lit(next)
		if b := e.Build(); (len(b.Skipped) == 1) != (next != "[0]" && next != ".y") {
			t.Errorf("faker followed by %q: %+v", next, b.Skipped)
		}
	}

	// A default survives only as the whole string.
	var w Text
	w.ExprOr("$.queryParams.missing", "it's", "{{q}}")
	if b := w.Build(); !b.Whole || renderText(t, b.S, d) != "it's" {
		t.Errorf("whole default: %+v renders %q", b, renderText(t, b.S, d))
	}
	var in Text
	in.Lit("x=")
	in.ExprOr("$.queryParams.missing", "d", "{{q}}")
	if b := in.Build(); len(b.Skipped) != 1 {
		t.Errorf("inner default not reported: %+v", b)
	}

	if Literal("see $.req.id") == "" || Literal("costs $.99 or $.data") != "" {
		t.Error("Literal does not tell text Mockarty reads as an expression")
	}
}

func TestCookieConditions(t *testing.T) {
	header := func(cookie string) *match.Input {
		return &match.Input{Multi: map[string][]string{"cookie": {cookie}}}
	}
	for _, c := range []struct {
		cond   model.Condition
		cookie string
		want   bool
	}{
		{Cookie("session", CookieEquals, "abc", false), "a=1; session=abc", true},
		{Cookie("session", CookieEquals, "abc", false), "session=abcd", false},
		{Cookie("session", CookieEquals, "ABC", true), "session=abc; b=2", true},
		{Cookie("theme", CookieContains, "dark", false), "theme=very-dark-blue", true},
		{Cookie("theme", CookieContains, "dark", false), "theme=light; x=dark", false},
		{Cookie("t", CookieMatches, "t-[0-9]+", false), "t=t-42", true},
		{Cookie("t", CookieMatches, "t-[0-9]+", false), "t=t-42x", false},
		{Cookie("t", CookieFinds, "[0-9]", false), "t=ab3", true},
		{Cookie("banned", CookieAbsent, "", false), "a=1", true},
		{Cookie("banned", CookieAbsent, "", false), "a=1; banned=1", false},
		{Cookie("a", CookiePresent, "", false), "b=2; a=", true},
	} {
		list, err := match.CompileConditions([]model.Condition{c.cond}, match.SourceHeader, false)
		if err != nil {
			t.Fatal(err)
		}
		if ok, _ := match.CheckAll(list, header(c.cookie), nil, ""); ok != c.want {
			t.Errorf("%s %s on %q: %v, want %v", c.cond.AssertAction, c.cond.Value, c.cookie, ok, c.want)
		}
	}
}

func TestPaths(t *testing.T) {
	for in, want := range map[string]string{"": "$", "a.b": "$.a.b", "items.0.id": "$.items.0.id", "items[1].id": "$.items[1].id",
		"$.x[?(@.y)]": "$.x[?(@.y)]", "user name.first": "$['user name'].first"} {
		if got, ok := BodyPath(in); !ok || got != want {
			t.Errorf("BodyPath(%q) = %q, want %q", in, got, want)
		}
	}
	if _, ok := BodyPath(`a\.b`); ok {
		t.Error("escaped dots have no JSONPath")
	}
	for in, want := range map[string]string{"/api/find": "/api/find", `/api/v1\.0`: "/api/v1.0"} {
		if got, ok := LiteralPattern(in); !ok || got != want {
			t.Errorf("LiteralPattern(%q) = %q %v", in, got, ok)
		}
	}
	for _, re := range []string{"/api/.*", "(?i)/api", "/a|/b"} {
		if _, ok := LiteralPattern(re); ok {
			t.Errorf("%q is no literal", re)
		}
	}
	if r, p := LiteralRoute("/a/:b"); r != "" || p != `^/a/:b$` {
		t.Errorf("a literal ':' segment: %q %q", r, p)
	}
	if r, p := LiteralRoute("/a/b"); r != "/a/b" || p != "" {
		t.Errorf("a plain path: %q %q", r, p)
	}
}
