package sdk

import (
	"fmt"
	"strings"
	"testing"
)

// TestServerSetRule: the serverName rule, for a server with a name, one
// without, and callers that are none of the listeners' servers.
func TestServerSetRule(t *testing.T) {
	// SMTP-like: sandbox has an unnamed server (the default) and "secure";
	// team has "ops" only (its default); a server of any namespace, "relay".
	set := NewServerSet([]Server{
		{Name: "", Namespace: "sandbox"}, {Name: "secure", Namespace: "sandbox"},
		{Name: "ops", Namespace: "team"},
	})
	cases := []struct {
		ns, server, mock string
		ok               bool
		why              string
	}{
		{"sandbox", "", "", true, ""},             // no serverName: every server
		{"sandbox", "secure", "", true, ""},       //
		{"sandbox", "secure", "secure", true, ""}, // its own
		{"sandbox", "", "secure", false, `served by server "secure"`},
		{"sandbox", "", "smtp-mock", true, ""}, // unknown: the default server
		{"sandbox", "secure", "smtp-mock", false, `the default server (the server without a name) serves it`},
		{"team", "ops", "smtp-mock", true, ""}, // team's default is its first server
		{"team", "ops", "secure", true, ""},    // "secure" is sandbox's, unknown in team
		{"other", "", "anything", true, ""},    // no server in the namespace: an outside caller without a name sees all
		{"other", "gen", "anything", false, "does not match gen"},
		{"other", "gen", "gen", true, ""},
		{"sandbox", "stranger", "secure", false, "does not match stranger"}, // an outside caller with a name
	}
	for _, c := range cases {
		ok, why := set.Serves(c.ns, c.server, c.mock)
		if ok != c.ok || !strings.Contains(why, c.why) {
			t.Errorf("Serves(%q, %q, %q) = %v %q, want %v %q", c.ns, c.server, c.mock, ok, why, c.ok, c.why)
		}
	}
	for _, c := range []struct{ ns, mock, want string }{
		{"sandbox", "", `["" "secure"]`},
		{"sandbox", "secure", `["secure"]`},
		{"sandbox", "smtp-mock", `[""]`},
		{"team", "x", `["ops"]`},
		{"other", "x", `[]`},
	} {
		if got := fmt.Sprintf("%q", set.ServersFor(c.ns, c.mock)); got != c.want {
			t.Errorf("ServersFor(%q, %q) = %s, want %s", c.ns, c.mock, got, c.want)
		}
	}
	if !set.Knows("sandbox", "secure") || set.Knows("team", "secure") || !set.Empty("other") || set.Empty("team") {
		t.Fatal("Knows/Empty look at the namespace's servers")
	}
	var none *ServerSet
	if ok, _ := none.Serves("sandbox", "", "x"); !ok || none.ServersFor("sandbox", "") != nil || !none.Empty("sandbox") {
		t.Fatal("a nil set is a set without servers")
	}
}

// TestServerSetDefault: the default server is the one marked Default, else
// the one named "default", else the first without a name, else the first;
// a namespace's own servers come before those of any namespace.
func TestServerSetDefault(t *testing.T) {
	for _, c := range []struct {
		servers []Server
		want    string
	}{
		{[]Server{{Name: "a"}, {Name: "b", Default: true}, {Name: "default"}}, "b"},
		{[]Server{{Name: "a"}, {Name: "default"}, {Name: ""}}, "default"},
		{[]Server{{Name: "a"}, {Name: ""}}, ""},
		{[]Server{{Name: "a"}, {Name: "b"}}, "a"},
		{[]Server{{Name: "any"}, {Name: "own", Namespace: "sandbox"}}, "own"},
	} {
		if got, ok := NewServerSet(c.servers).Default("sandbox"); !ok || got != c.want {
			t.Errorf("default of %+v = %q %v, want %q", c.servers, got, ok, c.want)
		}
	}
	// A listener that takes its name from each request knows every name:
	// no mock falls to a default server.
	routing := NewServerSet([]Server{{Name: "", AnyName: true}})
	if ok, why := routing.Serves("sandbox", "", "orders"); ok || !strings.Contains(why, `served by server "orders"`) {
		t.Fatalf("hostRouting, a request without a name: %v %q", ok, why)
	}
	if ok, _ := routing.Serves("sandbox", "orders", "orders"); !ok || !routing.Knows("sandbox", "orders") {
		t.Fatal("hostRouting, a request for orders.*")
	}
}
