package auth

import (
	"testing"
	"time"
)

func TestLimiterBurstThenRefill(t *testing.T) {
	l := NewLimiter(600, 3) // 10 a second, bursts of 3
	for i := 0; i < 3; i++ {
		if ok, _ := l.Allow("k"); !ok {
			t.Fatalf("call %d within the burst was refused", i)
		}
	}
	ok, wait := l.Allow("k")
	if ok || wait <= 0 || wait > 200*time.Millisecond {
		t.Fatalf("over the burst: ok=%v wait=%v", ok, wait)
	}
	if ok, _ := l.Allow("other"); !ok {
		t.Fatal("keys are independent")
	}
	if ok, _ := l.Peek("k"); ok {
		t.Fatal("peek sees the empty bucket")
	}
	// Sleeps the wait the limiter announced rather than polling: the test
	// checks that promise (a token is back after it), which a wait on the
	// condition would not.
	time.Sleep(wait + 20*time.Millisecond)
	if ok, _ := l.Allow("k"); !ok {
		t.Fatal("a token comes back after the wait it announced")
	}
	var off *Limiter = NewLimiter(0, 0)
	if ok, _ := off.Allow("k"); !ok {
		t.Fatal("a zero rate is no limit")
	}
}

func TestPrincipalAllows(t *testing.T) {
	p := &Principal{UserID: "u", roles: map[string]string{"a": RoleOwner, "b": RoleEditor, "c": RoleViewer}}
	for _, c := range []struct {
		ns   string
		a    Action
		want bool
	}{
		{"a", Manage, true}, {"b", Delete, true}, {"b", Manage, false}, {"c", Read, true}, {"c", Write, false}, {"d", Read, false},
	} {
		if got := p.Allows(c.ns, c.a); got != c.want {
			t.Errorf("%s %s: %v", c.ns, c.a, got)
		}
	}
	// A token narrows the user's rights by permission and namespace.
	p.Perms, p.TokenNamespaces = setOf("read"), setOf("a,b")
	if !p.Allows("a", Read) || p.Allows("a", Write) || p.Allows("c", Read) {
		t.Fatal("token limits")
	}
	if list, all := p.Namespaces(); all || len(list) != 2 {
		t.Fatalf("readable: %v %v", list, all)
	}
	// Integrations: resolvers and runners read; orchestrators write.
	r := &Principal{Via: "integration", IntegrationType: "mock_resolver"}
	o := &Principal{Via: "integration", IntegrationType: "orchestrator"}
	if !r.Allows("x", Read) || r.Allows("x", Write) || !o.Allows("x", Write) || o.Allows("x", Manage) {
		t.Fatal("integration rights")
	}
}

func TestIntegrationTokenFormat(t *testing.T) {
	tok, lookup, secret := newIntegrationToken()
	l, s, ok := splitIntegrationToken(tok)
	if !ok || l != lookup || s != secret || len(lookup) < 6 {
		t.Fatalf("%q -> %q %q %v", tok, l, s, ok)
	}
	for _, bad := range []string{"mki_", "mki_abc", "mki__x"} {
		if _, _, ok := splitIntegrationToken(bad); ok {
			t.Errorf("%q accepted", bad)
		}
	}
}
