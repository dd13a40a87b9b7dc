package postman

import (
	"reflect"
	"testing"
)

func TestNewURL(t *testing.T) {
	s := func(v string) *string { return &v }
	for _, c := range []struct {
		raw  string
		want URL
	}{
		{"https://api.example.com/v1/users", URL{Protocol: "https", Host: []string{"api", "example", "com"}, Path: []string{"v1", "users"}}},
		{"{{baseUrl}}/pets/:petId", URL{Host: []string{"{{baseUrl}}"}, Path: []string{"pets", ":petId"}, Variable: []Variable{{Key: "petId"}}}},
		{"http://{{host.name}}.example.com:{{port}}/", URL{Protocol: "http", Host: []string{"{{host.name}}", "example", "com"}, Port: "{{port}}", Path: []string{""}}},
		{"localhost:8080", URL{Host: []string{"localhost"}, Port: "8080"}},
		{"http://u:p@h.io/a?x=1&flag&y=#frag", URL{Protocol: "http", Host: []string{"u:p@h", "io"}, Path: []string{"a"},
			Query: []QueryParam{{Key: "x", Value: s("1")}, {Key: "flag"}, {Key: "y", Value: s("")}}, Hash: "frag"}},
		{"http://[::1]/x/", URL{Protocol: "http", Host: []string{"[::1]"}, Path: []string{"x", ""}}},
		{"/relative/path?q=a b", URL{Path: []string{"relative", "path"}, Query: []QueryParam{{Key: "q", Value: s("a b")}}}},
		{"", URL{}},
	} {
		got := NewURL(c.raw)
		c.want.Raw = c.raw
		if !reflect.DeepEqual(*got, c.want) {
			t.Errorf("%q:\n got %+v\nwant %+v", c.raw, *got, c.want)
		}
		if c.raw != "" && got.Build() != c.raw {
			t.Errorf("%q builds back as %q", c.raw, got.Build())
		}
	}
}

// Build leaves disabled parameters out and String prefers the raw text.
func TestURLBuild(t *testing.T) {
	v := "1"
	u := &URL{Protocol: "https://", Host: []string{"h"}, Path: []string{"a", ":id"}, Query: []QueryParam{{Key: "a", Value: &v}, {Key: "b", Value: &v, Disabled: true}},
		Variable: []Variable{{Key: "id", Value: "7"}}}
	if u.Build() != "https://h/a/:id?a=1" || u.String() != u.Build() {
		t.Errorf("%q", u.Build())
	}
	if id, ok := u.PathVariable("id"); !ok || id != "7" {
		t.Errorf("path variable: %q %v", id, ok)
	}
	u.Raw = "https://h/a/:id?a=1&b=1"
	if u.String() != u.Raw {
		t.Errorf("%q", u.String())
	}
}
