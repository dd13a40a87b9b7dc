package plugins

import (
	"encoding/hex"
	"strings"
	"testing"

	"github.com/mockarty-oss/mockarty/sdk/handoff"
)

// TestPluginEnvCarriesTheBootSecret: every plugin process gets this
// boot's hand-off secret, once, in place of any the host itself inherited;
// each boot has its own.
func TestPluginEnvCarriesTheBootSecret(t *testing.T) {
	t.Setenv(handoff.EnvSecret, "inherited")
	t.Setenv("MOCKARTY_TEST_KEPT", "yes")
	m := New(Options{})
	secret := m.HandOffSecret()
	if b, err := hex.DecodeString(secret); err != nil || len(b) != 32 {
		t.Fatalf("secret %q: %d bytes, %v", secret, len(b), err)
	}
	var got []string
	kept := false
	for _, kv := range m.pluginEnv() {
		if v, ok := strings.CutPrefix(kv, handoff.EnvSecret+"="); ok {
			got = append(got, v)
		}
		kept = kept || kv == "MOCKARTY_TEST_KEPT=yes"
	}
	if len(got) != 1 || got[0] != secret || !kept {
		t.Fatalf("the plugin's %s: %q (the rest kept: %v)", handoff.EnvSecret, got, kept)
	}
	if other := New(Options{}).HandOffSecret(); other == secret {
		t.Fatal("two boots share a secret")
	}
	var none *Manager
	if none.HandOffSecret() != "" {
		t.Fatal("no manager, no secret")
	}
}
