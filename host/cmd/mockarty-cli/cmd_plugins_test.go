package main

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/mockarty-oss/mockarty/sdk/plugintest"
)

func TestSettingsFromPairs(t *testing.T) {
	got, err := settingsFromPairs([]string{"maxBodyBytes=1024", "tls.hosts=[\"a\"]", "serverName=shop", "tls.certFile=null", "namespace=\"007\""})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(got)
	if string(b) != `{"maxBodyBytes":1024,"namespace":"007","serverName":"shop","tls":{"certFile":null,"hosts":["a"]}}` {
		t.Fatalf("patch: %s", b)
	}
	for _, bad := range [][]string{{"novalue"}, {"=1"}, {"a..b=1"}, {"a=1", "a.b=2"}} {
		if _, err := settingsFromPairs(bad); err == nil {
			t.Errorf("%q: accepted", bad)
		}
	}
}

// TestPluginsSettings: plugins settings get shows what the HTTP plugin
// runs with; set merges key=value settings (or replaces them with
// --replace), and the server reloads the plugin with them and keeps them
// in the plugins file; a setting the schema refuses fails with its name.
func TestPluginsSettings(t *testing.T) {
	s, cfg := serverWithHTTPPlugin(t)
	o := cliOpts{server: s.URL}
	plugintest.Eventually(t, 20*time.Second, func() bool {
		return tableHas(okWith(t, o, "plugins", "list"), "http", "running")
	}, "the HTTP plugin to run")

	if out := okWith(t, o, "plugins", "settings", "get", "http"); !strings.Contains(out, `"addresses": [`) {
		t.Fatalf("settings get:\n%s", out)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(okWith(t, o, "plugins", "settings", "get", "http", "-o", "json")), &got); err != nil ||
		got["schema"] == nil || got["name"] != "http" {
		t.Fatalf("settings get -o json: %v %v", got, err)
	}

	out := okWith(t, o, "plugins", "settings", "set", "http", "serverName=shop", "maxBodyBytes=2048")
	if !strings.Contains(out, `runs with the new settings (state running)`) || !strings.Contains(out, `"serverName": "shop"`) ||
		!strings.Contains(out, `"maxBodyBytes": 2048`) || !strings.Contains(out, `"addresses"`) {
		t.Fatalf("settings set:\n%s", out)
	}
	if b, _ := os.ReadFile(cfg); !strings.Contains(string(b), `"shop"`) {
		t.Fatalf("plugins file: %s", b)
	}
	var list struct {
		Plugins []struct{ Servers []struct{ Name string } }
	}
	if err := json.Unmarshal([]byte(okWith(t, o, "plugins", "list", "-o", "json")), &list); err != nil ||
		len(list.Plugins) != 1 || len(list.Plugins[0].Servers) != 1 || list.Plugins[0].Servers[0].Name != "shop" {
		t.Fatalf("plugins list shows the server: %+v %v", list, err)
	}

	r := runCLI(t, o, "plugins", "settings", "set", "http", "maxBodyBytes=0")
	if r.Code != exitFailure || !strings.Contains(r.Stderr, "422 validation") || !strings.Contains(r.Stderr, "maxBodyBytes") {
		t.Fatalf("a setting the schema refuses: %s", r)
	}
	out = okWith(t, o, "plugins", "settings", "set", "http", "--replace", "--json", `{"addresses":["127.0.0.1:0"]}`)
	if strings.Contains(out, "shop") || strings.Contains(out, "maxBodyBytes") {
		t.Fatalf("--replace keeps nothing else:\n%s", out)
	}
	if r := runCLI(t, o, "plugins", "settings", "set", "http"); r.Code != exitUsage {
		t.Fatalf("no settings given: %s", r)
	}
	if r := runCLI(t, o, "plugins", "settings", "set", "http", "a=1", "--replace"); r.Code != exitUsage {
		t.Fatalf("--replace with key=value: %s", r)
	}
}
