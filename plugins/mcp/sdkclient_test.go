package main

// A third-party client: the official TypeScript SDK, when it is installed
// (MCP_NODE_SDK names a folder holding node_modules/@modelcontextprotocol/sdk,
// as `make clients` installs it). Skipped otherwise; under CI it must be there.

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mockarty-oss/mockarty/sdk/plugintest"
)

func TestTypeScriptSDKClient(t *testing.T) {
	dir := os.Getenv("MCP_NODE_SDK")
	if dir == "" {
		plugintest.MissingClient(t, "MCP_NODE_SDK is not set: the TypeScript SDK is not installed")
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "@modelcontextprotocol", "sdk")); err != nil {
		plugintest.MissingClient(t, "no @modelcontextprotocol/sdk under %s", dir)
	}
	h, plugin := startE2E(t)
	script, _ := filepath.Abs(filepath.Join("testdata", "sdkclient.mjs"))
	for _, tc := range []struct{ name, url, kind string }{
		{"plugin-http", plugin + "/mcp", "http"},
		{"plugin-sse", plugin + "/sse", "sse"},
		{"stubs-http", h.URL + "/stubs/sandbox/mcp", "http"},
		{"stubs-sse", h.URL + "/stubs/sandbox/sse", "sse"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command("node", script, tc.url, tc.kind)
			cmd.Env = append(os.Environ(), "MCP_NODE_SDK="+dir)
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			var stderr strings.Builder
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			done := make(chan struct{})
			t.Cleanup(func() {
				_ = cmd.Process.Kill()
				<-done
			})
			lines := make(chan string, 4)
			go func() {
				defer close(done)
				sc := bufio.NewScanner(out)
				sc.Buffer(make([]byte, 1<<20), 1<<20)
				for sc.Scan() {
					lines <- sc.Text()
				}
				_ = cmd.Wait()
				close(lines)
			}()
			next := func() string {
				select {
				case l, ok := <-lines:
					if !ok {
						t.Fatalf("the client ended: %s", stderr.String())
					}
					return l
				case <-time.After(30 * time.Second):
					t.Fatalf("the client said nothing: %s", stderr.String())
				}
				return ""
			}
			var got struct {
				Tools []struct {
					Name     string   `json:"name"`
					Required []string `json:"required"`
				} `json:"tools"`
				Paris, Berlin struct {
					IsError bool `json:"isError"`
					Content []struct {
						Text string `json:"text"`
					} `json:"content"`
				}
				Resource, Prompt string
			}
			first := next()
			if err := json.Unmarshal([]byte(first), &got); err != nil {
				t.Fatalf("%v: %s %s", err, first, stderr.String())
			}
			mine := 0 // the mocks of startE2E; earlier subtests made more
			for _, tool := range got.Tools {
				if !strings.HasPrefix(tool.Name, "sdk_") {
					mine++
				}
			}
			if mine != 3 || got.Paris.IsError || got.Paris.Content[0].Text != "Sunny in Paris" ||
				!got.Berlin.IsError || !strings.Contains(got.Berlin.Content[0].Text, "no mcp mock matches get_weather") ||
				got.Resource != `{"debug":true}` || got.Prompt != "Say hello to Ada" {
				t.Fatalf("what the SDK read: %s", first)
			}
			for _, tool := range got.Tools {
				if tool.Name == "get_weather" && strings.Join(tool.Required, ",") != "city" {
					t.Fatalf("get_weather's required: %v", tool.Required)
				}
			}
			// Mocks are made until the client hears of one (its listening
			// stream opens in the background).
			heard := make(chan string, 1)
			go func() { heard <- next() }()
			for i := 0; ; i++ {
				h.Post(t, "/api/v1/mocks", fmt.Sprintf(`{"id":"sdk-%s-%d","mcp":{"tool":"sdk_%d"},"response":{"payload":"x"}}`, tc.name, i, i), 0)
				select {
				case l := <-heard:
					if l != "changed" {
						t.Fatalf("after a new mock: %q", l)
					}
					return
				case <-time.After(300 * time.Millisecond):
				}
				if i > 100 {
					t.Fatal("the client never heard of a new tool")
				}
			}
		})
	}
}
