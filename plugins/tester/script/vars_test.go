package script

import (
	"context"
	"regexp"
	"strings"
	"testing"
)

func vars(kv ...any) *Vars {
	v := NewVars()
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i].(string), kv[i+1])
	}
	return v
}

func TestScopesPrecedence(t *testing.T) {
	s := &Scopes{
		Globals:     vars("x", "global", "g", "g"),
		Collection:  vars("x", "collection", "c", "c"),
		Environment: vars("x", "env", "e", "e"),
		Data:        vars("x", "data", "d", "d"),
		Local:       vars("x", "local"),
	}
	for _, c := range []struct {
		unset []**Vars
		want  string
	}{
		{nil, "local"},
		{[]**Vars{&s.Local}, "data"},
		{[]**Vars{&s.Local, &s.Data}, "env"},
		{[]**Vars{&s.Local, &s.Data, &s.Environment}, "collection"},
		{[]**Vars{&s.Local, &s.Data, &s.Environment, &s.Collection}, "global"},
	} {
		saved := *s
		for _, p := range c.unset {
			*p = nil
		}
		if got, _ := s.Get("x"); got != c.want {
			t.Errorf("Get(x) = %v, want %v", got, c.want)
		}
		if got := s.Replace("{{x}}"); got != c.want {
			t.Errorf("Replace = %q, want %q", got, c.want)
		}
		*s = saved
	}
	if _, ok := s.Get("missing"); ok {
		t.Error("missing variable found")
	}
}

func TestScopesReplace(t *testing.T) {
	s := &Scopes{Environment: vars(
		"host", "api.test", "port", float64(8080), "flag", true, "nothing", nil,
		"inner", "host", "outer", "{{host}}:{{port}}", "self", "{{self}}", "obj", map[string]any{"a": 1.0},
		"list", []any{1.0, "b"}, "big", 1e21, "frac", 0.5,
	)}
	cases := map[string]string{
		"http://{{host}}:{{port}}/x": "http://api.test:8080/x",
		"{{flag}} {{nothing}}":       "true null",
		"{{unknown}} stays":          "{{unknown}} stays",
		"{{outer}}":                  "api.test:8080",
		"{{ {{inner}} }}":            "{{ host }}",
		"{{{{inner}}}}":              "api.test",
		"{{self}}":                   "{{self}}",
		"{{obj}} {{list}}":           "[object Object] 1,b",
		"{{big}} {{frac}}":           "1e+21 0.5",
		"no vars":                    "no vars",
		"{{$unknownDynamic}}":        "{{$unknownDynamic}}",
	}
	for in, want := range cases {
		if got := s.Replace(in); got != want {
			t.Errorf("Replace(%q) = %q, want %q", in, got, want)
		}
	}
	dyn := map[string]*regexp.Regexp{
		"{{$guid}}":         regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`),
		"{{$randomUUID}}":   regexp.MustCompile(`^[0-9a-f-]{36}$`),
		"{{$timestamp}}":    regexp.MustCompile(`^\d{10}$`),
		"{{$isoTimestamp}}": regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`),
		"{{$randomInt}}":    regexp.MustCompile(`^\d{1,4}$`),
		"{{$randomEmail}}":  regexp.MustCompile(`^[a-z.]+@[a-z.]+$`),
		"{{$randomIP}}":     regexp.MustCompile(`^\d+\.\d+\.\d+\.\d+$`),
	}
	for in, re := range dyn {
		if got := s.Replace(in); !re.MatchString(got) {
			t.Errorf("Replace(%q) = %q, does not match %s", in, got, re)
		}
	}
	for _, name := range DynamicVariableNames() {
		if got := s.Replace("{{" + name + "}}"); got == "" || strings.Contains(got, "{{") {
			t.Errorf("dynamic %s gave %q", name, got)
		}
	}
	// a scope variable wins over a dynamic one of the same name
	s.Local = vars("$guid", "mine")
	if got := s.Replace("{{$guid}}"); got != "mine" {
		t.Errorf("scope $guid = %q", got)
	}
}

func TestVariablesFromScripts(t *testing.T) {
	sb := newTestSandbox(t, Limits{})
	scopes := &Scopes{
		Globals:     vars("g", "1", "shadow", "global"),
		Collection:  vars("c", "2", "shadow", "collection"),
		Environment: vars("e", "3", "shadow", "env", "token", "old"),
		Data:        vars("d", "4", "row", "first"),
	}
	exec := &Exec{
		Scopes: scopes, Request: &Request{Method: "GET", URL: "http://x"}, Info: Info{EventName: "prerequest"},
		Scripts: []string{`
pm.test("layered get", function () {
  pm.expect(pm.variables.get("shadow")).to.equal("env");
  pm.expect(pm.variables.get("d")).to.equal("4");
  pm.expect(pm.variables.has("g")).to.be.true;
  pm.expect(pm.variables.has("nope")).to.be.false;
  pm.expect(pm.variables.toObject()).to.include({g: "1", c: "2", e: "3", d: "4", shadow: "env"});
  pm.expect(pm.variables.replaceIn("{{g}}-{{c}}-{{e}}-{{d}}")).to.equal("1-2-3-4");
  pm.expect(pm.environment.replaceIn("{{e}}{{g}}")).to.equal("3{{g}}");
});
pm.test("scope get", function () {
  pm.expect(pm.globals.get("shadow")).to.equal("global");
  pm.expect(pm.collectionVariables.get("shadow")).to.equal("collection");
  pm.expect(pm.environment.get("shadow")).to.equal("env");
  pm.expect(pm.iterationData.get("row")).to.equal("first");
  pm.expect(pm.iterationData.toObject()).to.eql({d: "4", row: "first"});
  pm.expect(data.row).to.equal("first");
  pm.expect(environment.e).to.equal("3");
  pm.expect(globals.g).to.equal("1");
});
pm.variables.set("shadow", "local");
pm.environment.set("token", "new");
pm.environment.set("num", 5);
pm.environment.set("obj", {a: [1, 2]});
pm.environment.set("gone");
pm.environment.unset("e");
pm.globals.set("count", 1);
pm.collectionVariables.set("cv", true);
pm.iterationData.set("row", "changed");
postman.setEnvironmentVariable("legacy", 12);
postman.setGlobalVariable("lg", "x");
postman.clearGlobalVariable("g");
pm.test("same script", function () {
  pm.expect(pm.variables.get("shadow")).to.equal("local");
  pm.expect(pm.environment.get("num")).to.equal(5);
  var o = pm.environment.get("obj"); o.a.push(3);
  pm.expect(pm.environment.get("obj")).to.eql({a: [1, 2]});
  pm.expect(pm.environment.has("gone")).to.be.true;
  pm.expect(pm.environment.get("gone")).to.be.undefined;
  pm.expect(pm.iterationData.get("row")).to.equal("changed");
  pm.expect(environment.legacy).to.equal("12");
  pm.expect(postman.getEnvironmentVariable("legacy")).to.equal("12");
});
`, `
pm.test("next script", function () {
  pm.expect(pm.variables.get("shadow")).to.equal("local");
  pm.expect(pm.environment.get("gone")).to.be.null;
  pm.expect(pm.environment.has("e")).to.be.false;
  pm.expect(pm.variables.get("e")).to.be.undefined;
});
`},
	}
	res := sb.Run(context.Background(), exec)
	expectClean(t, res)
	if _, failed, _ := counts(res); failed != 0 || len(res.Tests) != 4 {
		t.Fatalf("tests %+v\n%s", res.Tests, failedNames(res))
	}
	checks := []struct {
		v    *Vars
		key  string
		want any
	}{
		{scopes.Local, "shadow", "local"},
		{scopes.Environment, "token", "new"},
		{scopes.Environment, "num", 5.0},
		{scopes.Environment, "gone", nil},
		{scopes.Environment, "legacy", "12"},
		{scopes.Globals, "count", 1.0},
		{scopes.Globals, "lg", "x"},
		{scopes.Collection, "cv", true},
		{scopes.Data, "row", "first"}, // pm.iterationData.set lives for one Run only
	}
	for _, c := range checks {
		if got, ok := c.v.Get(c.key); !ok || got != c.want {
			t.Errorf("%s = %#v (set %v), want %#v", c.key, got, ok, c.want)
		}
	}
	if obj, _ := scopes.Environment.Get("obj"); ValueString(obj) != "[object Object]" {
		t.Errorf("obj stored as %#v", obj)
	}
	if _, ok := scopes.Environment.Get("e"); ok {
		t.Error("e not unset")
	}
	if _, ok := scopes.Globals.Get("g"); ok {
		t.Error("g not cleared")
	}
	if keys := scopes.Environment.Keys(); strings.Join(keys, ",") != "shadow,token,num,obj,gone,legacy" {
		t.Errorf("environment keys in order: %v", keys)
	}

	// clear() empties one scope; pm.variables.clear only the local one
	res = sb.Run(context.Background(), &Exec{Scopes: scopes, Request: &Request{URL: "http://x"}, Info: Info{EventName: "prerequest"},
		Scripts: []string{`pm.variables.clear(); pm.collectionVariables.clear();`}})
	expectClean(t, res)
	if scopes.Local.Len() != 0 || scopes.Collection.Len() != 0 || scopes.Environment.Len() == 0 {
		t.Errorf("clear: local %d collection %d env %d", scopes.Local.Len(), scopes.Collection.Len(), scopes.Environment.Len())
	}
}

func TestNilScopesAreCreated(t *testing.T) {
	sb := newTestSandbox(t, Limits{})
	e := &Exec{Scripts: []string{`pm.environment.set("a", "1"); pm.variables.set("b", "2"); pm.test("t", function () { pm.expect(pm.globals.get("x")).to.be.undefined; });`},
		Request: &Request{URL: "http://x"}, Info: Info{EventName: "prerequest"}}
	res := sb.Run(context.Background(), e)
	expectClean(t, res)
	if v, _ := e.Scopes.Environment.Get("a"); v != "1" {
		t.Errorf("environment a = %v", v)
	}
	if v, _ := e.Scopes.Local.Get("b"); v != "2" {
		t.Errorf("local b = %v", v)
	}
}
