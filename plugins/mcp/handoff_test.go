package main

// The hand-off headers are the host's, and only the host has its boot's
// secret: without it they are ignored, wherever the request comes from.

import (
	"encoding/json"
	"github.com/mockarty-oss/mockarty/sdk/find"
	"github.com/mockarty-oss/mockarty/sdk/handoff"
	"github.com/mockarty-oss/mockarty/sdk/plugintest"
	"net/http"
	"strings"
	"testing"
)

// callWeather posts a plain tools/call with headers (and Host, when not
// empty), and says what status came back and which namespace the host was
// asked about.
func callWeather(t *testing.T, f *fakeMCP, url, host string, headers http.Header) (int, *find.MCPRequest) {
	t.Helper()
	before := len(f.requests())
	req, _ := http.NewRequest(http.MethodPost, url+"/mcp",
		strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_weather","arguments":{"city":"Paris"}}}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	for k, v := range headers {
		req.Header[k] = v
	}
	if host != "" {
		req.Host = host
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if reqs := f.requests(); len(reqs) > before {
		return res.StatusCode, &reqs[len(reqs)-1]
	}
	return res.StatusCode, nil
}

// handOff is the host's hand-off headers, with secret.
func handOff(secret, ns, prefix string) http.Header {
	h := http.Header{}
	handoff.Mark(h, secret, ns, prefix)
	return h
}

// TestHandOffNeedsTheSecret: without the host's secret, the hand-off
// headers sent from this machine neither pick the namespace, nor shape the
// SSE endpoint, nor turn the DNS-rebinding check off, nor reach the mocks'
// header conditions; with it they do all of it.
func TestHandOffNeedsTheSecret(t *testing.T) {
	secret := plugintest.HandOffSecret()
	f := &fakeMCP{}
	_, base := startFake(t, f)
	for name, hdr := range map[string]http.Header{
		"no secret":    {handoff.HeaderNamespace: {"team"}, handoff.HeaderPrefix: {"/stubs/team"}},
		"wrong secret": handOff(strings.Repeat("0", len(secret)), "team", "/stubs/team"),
		"two secrets":  {handoff.HeaderNamespace: {"team"}, handoff.HeaderPrefix: {"/stubs/team"}, handoff.HeaderSecret: {"x", secret}},
	} {
		t.Run(name, func(t *testing.T) {
			// The listener is on loopback: a public Host is refused (DNS
			// rebinding), hand-off headers or not.
			if st, _ := callWeather(t, f, base, "mocks.example.com", hdr); st != http.StatusForbidden {
				t.Fatalf("a public Host with hand-off headers: %d", st)
			}
			st, got := callWeather(t, f, base, "", hdr)
			if st != http.StatusOK || got == nil || got.Namespace != "qa" {
				t.Fatalf("hand-off headers: %d %+v", st, got)
			}
			for _, k := range []string{handoff.HeaderNamespace, handoff.HeaderPrefix, handoff.HeaderSecret} {
				if _, ok := got.Headers[k]; ok {
					t.Fatalf("the mocks saw %s: %v", k, got.Headers)
				}
			}
			// Values that the host would never send are ignored, not refused.
			bad := hdr.Clone()
			bad.Set(handoff.HeaderNamespace, "../x")
			bad.Set(handoff.HeaderPrefix, "//evil.example/x")
			if st, got := callWeather(t, f, base, "", bad); st != http.StatusOK || got == nil || got.Namespace != "qa" {
				t.Fatalf("bad hand-off headers: %d %+v", st, got)
			}
			if ep := openSSE(t, base, "/sse", hdr).endpoint; !strings.HasPrefix(ep, "/message?sessionId=") {
				t.Fatalf("the SSE endpoint announced: %s", ep)
			}
		})
	}

	t.Run("the host's", func(t *testing.T) {
		hdr := handOff(secret, "team", "/stubs/team")
		st, got := callWeather(t, f, base, "mocks.example.com", hdr)
		if st != http.StatusOK || got == nil || got.Namespace != "team" {
			t.Fatalf("a hand-off: %d %+v", st, got)
		}
		if _, ok := got.Headers[handoff.HeaderSecret]; ok {
			t.Fatalf("the mocks saw the secret: %v", got.Headers)
		}
		if ep := openSSE(t, base, "/sse", hdr).endpoint; !strings.HasPrefix(ep, "/stubs/team/message?sessionId=") {
			t.Fatalf("the SSE endpoint of a hand-off: %s", ep)
		}
	})
}

// TestHandOffNamespaceChecked: a hand-off naming something that is not a
// namespace is refused with a JSON-RPC error.
func TestHandOffNamespaceChecked(t *testing.T) {
	_, base := startFake(t, &fakeMCP{})
	for _, ns := range []string{"../x", ".hidden", "-x", "a/b", "a b", "a%2Fb", strings.Repeat("n", 101), "ns\u00e9"} {
		req, _ := http.NewRequest(http.MethodPost, base+"/mcp", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"tools/list"}`))
		req.Header.Set("Content-Type", "application/json")
		plugintest.HandOff(req.Header, ns, "")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var body struct {
			JSONRPC string `json:"jsonrpc"`
			Error   struct {
				Code    int    `json:"code"`
				Message string `json:"message"`
			} `json:"error"`
		}
		_ = json.NewDecoder(res.Body).Decode(&body)
		res.Body.Close()
		if res.StatusCode != http.StatusBadRequest || body.JSONRPC != "2.0" || body.Error.Code != -32600 ||
			!strings.Contains(body.Error.Message, "is not a namespace name") {
			t.Fatalf("namespace %q: %d %+v", ns, res.StatusCode, body)
		}
	}
	// The longest name there may be is served.
	f := &fakeMCP{}
	_, base = startFake(t, f)
	long := "n" + strings.Repeat("a.b_c-", 16) + "xyz"
	if st, got := callWeather(t, f, base, "", handOff(plugintest.HandOffSecret(), long, "")); st != http.StatusOK || got == nil || got.Namespace != long {
		t.Fatalf("namespace %q (%d characters): %d %+v", long, len(long), st, got)
	}
}

// TestE2EForgedHandOff: the real host hands /stubs/<ns> over with its
// boot's secret; the same headers sent straight to the plugin's port from
// this machine, without it (a page in a local browser could send them),
// are a direct request in the configured namespace.
func TestE2EForgedHandOff(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: builds the host and the plugin")
	}
	h, plugin := startE2E(t)
	h.Post(t, "/api/v1/mocks", `{"id":"team-weather","namespace":"team","mcp":{"tool":"get_weather"},
	  "response":{"payload":{"content":[{"type":"text","text":"team weather"}]}}}`, 0)
	call := `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_weather","arguments":{"city":"Paris"}}}`
	post := func(url string, hdr http.Header) (int, string) {
		req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(call))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		for k, v := range hdr {
			req.Header[k] = v
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(res.Body).Decode(&out)
		return res.StatusCode, mustJSON(out["result"])
	}
	const team, sandbox = `{"content":[{"text":"team weather","type":"text"}]}`, `{"content":[{"text":"Sunny in Paris","type":"text"}]}`
	if st, got := post(h.URL+"/stubs/team/mcp", nil); st != 200 || got != team {
		t.Fatalf("the host's hand-off: %d %s", st, got)
	}
	for _, secret := range []string{"", "0123456789abcdef", plugintest.HandOffSecret()} {
		if st, got := post(plugin+"/mcp", handOff(secret, "team", "/stubs/team")); st != 200 || got != sandbox {
			t.Fatalf("forged hand-off (secret %q): %d %s", secret, st, got)
		}
	}
}
