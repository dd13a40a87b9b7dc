package handoff

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func request(secrets ...string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/ws", nil)
	r.RemoteAddr = "127.0.0.1:40000" // where it comes from does not matter
	r.Header.Set(HeaderNamespace, "team")
	r.Header.Set(HeaderPrefix, "/stubs/team")
	r.Header.Set("X-Other", "kept")
	for _, s := range secrets {
		r.Header.Add(HeaderSecret, s)
	}
	return r
}

// TestAccept: the headers are a hand-off next to this process's secret
// only; either way the secret never goes further, and without it neither
// do the other hand-off headers.
func TestAccept(t *testing.T) {
	const secret = "5f0c2a9d8e7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b2a19"
	t.Setenv(EnvSecret, secret)
	for name, c := range map[string]struct {
		secrets []string
		ok      bool
	}{
		"the secret":        {[]string{secret}, true},
		"no secret":         {nil, false},
		"empty":             {[]string{""}, false},
		"a prefix of it":    {[]string{secret[:32]}, false},
		"longer":            {[]string{secret + "0"}, false},
		"other case":        {[]string{"5F" + secret[2:]}, false},
		"twice":             {[]string{secret, secret}, false},
		"forged then right": {[]string{"forged", secret}, false},
	} {
		r := request(c.secrets...)
		h, ok, out := Accept(r)
		if ok != c.ok {
			t.Fatalf("%s: accepted %v", name, ok)
		}
		if len(r.Header.Values(HeaderSecret)) != len(c.secrets) || r.Header.Get(HeaderNamespace) != "team" {
			t.Fatalf("%s: the request given was changed: %v", name, r.Header)
		}
		if out.Header.Get("X-Other") != "kept" || len(out.Header.Values(HeaderSecret)) != 0 {
			t.Fatalf("%s: the request to serve: %v", name, out.Header)
		}
		switch {
		case ok && (h != Request{Namespace: "team", Prefix: "/stubs/team"} || out.Header.Get(HeaderNamespace) != "team"):
			t.Fatalf("%s: hand-off %+v, headers %v", name, h, out.Header)
		case !ok && (h != Request{} || out.Header.Get(HeaderNamespace) != "" || out.Header.Get(HeaderPrefix) != ""):
			t.Fatalf("%s: a direct request kept hand-off headers: %+v %v", name, h, out.Header)
		}
	}
	// A request without any hand-off header is served as it is.
	plain := httptest.NewRequest(http.MethodGet, "/ws", nil)
	if _, ok, out := Accept(plain); ok || out != plain {
		t.Fatalf("a plain request: %v %p %p", ok, out, plain)
	}
}

// TestAcceptWithoutSecret: a plugin the host did not launch (no secret in
// its environment) takes nothing for a hand-off, an empty header included.
func TestAcceptWithoutSecret(t *testing.T) {
	t.Setenv(EnvSecret, "")
	for _, secrets := range [][]string{nil, {""}, {"anything"}} {
		if h, ok, out := Accept(request(secrets...)); ok || h != (Request{}) || out.Header.Get(HeaderNamespace) != "" {
			t.Fatalf("secret headers %q: %v %+v %v", secrets, ok, h, out.Header)
		}
	}
}

func TestMark(t *testing.T) {
	h := http.Header{}
	h.Add(HeaderNamespace, "from-the-client")
	h.Add(HeaderSecret, "from-the-client")
	Mark(h, "s", "team", "/stubs/team")
	if h.Values(HeaderNamespace)[0] != "team" || len(h.Values(HeaderNamespace)) != 1 ||
		len(h.Values(HeaderSecret)) != 1 || h.Get(HeaderSecret) != "s" || h.Get(HeaderPrefix) != "/stubs/team" {
		t.Fatalf("marked: %v", h)
	}
}
