package config

import (
	"strings"
	"testing"
)

func env(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

func TestAuthModeDefaultsToLocalOnlyOnLoopback(t *testing.T) {
	cases := []struct {
		bind, mode, want string
	}{
		{"", "", "local"}, // the default bind address is 127.0.0.1
		{"localhost", "", "local"},
		{"127.0.0.1", "", "local"},
		{"::1", "", "local"},
		{"0.0.0.0", "", "full"},
		{"10.1.2.3", "", "full"},
		{"0.0.0.0", "local", "local"},
		{"127.0.0.1", "FULL", "full"},
	}
	for _, c := range cases {
		cfg, err := Load(env("HTTP_BIND_ADDR", c.bind, "AUTH_MODE", c.mode))
		if err != nil {
			t.Fatalf("%+v: %v", c, err)
		}
		if cfg.AuthMode != c.want {
			t.Errorf("bind %q, AUTH_MODE %q: mode %q, want %q", c.bind, c.mode, cfg.AuthMode, c.want)
		}
	}
}

func TestAuthSettings(t *testing.T) {
	cfg, err := Load(env("AUTH_MODE", "full", "AUTH_SESSION_EXPIRATION", "8", "COOKIE_SECURE", "true"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.SessionTTL.Hours() != 8 || !cfg.CookieSecure || cfg.RateLimit == 0 || cfg.LoginAttempts != 5 || cfg.FirstAdminLogin != "admin" {
		t.Fatalf("full-mode settings: %+v", cfg)
	}
	local, _ := Load(env())
	if local.RateLimit != 0 {
		t.Fatalf("a developer's machine is not rate limited by default: %d", local.RateLimit)
	}
	for _, bad := range [][]string{
		{"AUTH_MODE", "open"},
		{"AUTH_SESSION_EXPIRATION", "0"},
		{"AUTH_RATE_LIMIT_PER_MINUTE", "-1"},
		{"FIRST_ADMIN_PASSWORD", "short"},
		{"AUTH_BCRYPT_COST", "40"},
	} {
		if _, err := Load(env(bad...)); err == nil || !strings.Contains(err.Error(), bad[0]) {
			t.Errorf("%s=%s: want an error naming it, got %v", bad[0], bad[1], err)
		}
	}
}

func TestWorkLimits(t *testing.T) {
	cfg, err := Load(env())
	if err != nil {
		t.Fatal(err)
	}
	if cfg.MaxBodyDepth != 512 || cfg.JSONPathWorkLimit != 1_000_000 || cfg.RegexMaxInput != 1<<20 || cfg.TemplateMaxOutput != 16<<20 {
		t.Fatalf("defaults: %+v", cfg)
	}
	cfg, err = Load(env("MAX_BODY_DEPTH", "64", "JSONPATH_WORK_LIMIT", "1000", "REGEX_MAX_INPUT_BYTES", "4096", "TEMPLATE_MAX_OUTPUT_MB", "2"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.MaxBodyDepth != 64 || cfg.JSONPathWorkLimit != 1000 || cfg.RegexMaxInput != 4096 || cfg.TemplateMaxOutput != 2<<20 {
		t.Fatalf("set: %+v", cfg)
	}
	for _, bad := range [][]string{
		{"MAX_BODY_DEPTH", "0"},
		{"MAX_BODY_DEPTH", "20000"},
		{"JSONPATH_WORK_LIMIT", "-5"},
		{"REGEX_MAX_INPUT_BYTES", "lots"},
		{"TEMPLATE_MAX_OUTPUT_MB", "0"},
	} {
		if _, err := Load(env(bad...)); err == nil || !strings.Contains(err.Error(), bad[0]) {
			t.Errorf("%s=%s: want an error naming it, got %v", bad[0], bad[1], err)
		}
	}
}
