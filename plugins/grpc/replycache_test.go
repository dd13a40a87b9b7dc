package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/mockarty-oss/mockarty/sdk/plugintest"
	hw "google.golang.org/grpc/examples/helloworld/helloworld"
)

// Static mocks are answered from the plugin's reply cache and its
// remembered conversions, each call with the answer of its own request,
// every call in the log, and a change served by the next call.
func TestRepeatedCallsFromTheReplyCache(t *testing.T) {
	e := start(t, "")
	e.proto("helloworld/helloworld.proto", "helloworld/helloworld/helloworld.proto")
	for _, name := range []string{"ann", "bob"} {
		e.mock(fmt.Sprintf(`{"id":"hi-%s","grpc":{"service":"helloworld.Greeter","method":"SayHello",
		  "conditions":[{"path":"$.name","assertAction":"equals","value":%q}]},
		  "response":{"payload":{"message":"hello, %s"}}}`, name, name, name))
	}
	client := hw.NewGreeterClient(e.conn)
	ctx := context.Background()
	plugintest.EventuallyNoError(t, 30*time.Second, func() error {
		_, err := client.SayHello(ctx, &hw.HelloRequest{Name: "ann"})
		return err
	}, "the mock served")

	const rounds = 60
	for i := 0; i < rounds; i++ {
		for _, name := range []string{"ann", "bob"} {
			r, err := client.SayHello(ctx, &hw.HelloRequest{Name: name})
			if err != nil || r.GetMessage() != "hello, "+name {
				t.Fatalf("call %d for %s: %v %v", i, name, r, err)
			}
		}
	}
	var m struct{ UseCounter int }
	if err := json.Unmarshal(e.must(http.StatusOK, "GET", "/api/v1/mocks/hi-bob", nil), &m); err != nil || m.UseCounter != rounds {
		t.Fatalf("use counter of hi-bob: %d, want %d (%v)", m.UseCounter, rounds, err)
	}
	if hits := int(e.host.Metric(t, "mockarty_plugin_reply_cache_hits_total")); hits < rounds {
		t.Fatalf("%d calls answered from the reply cache; want most of %d", hits, 2*rounds)
	}

	e.must(http.StatusOK, "PATCH", "/api/v1/mocks/hi-bob", map[string]any{"response": map[string]any{"payload": map[string]any{"message": "bye, bob"}}})
	if r, err := client.SayHello(ctx, &hw.HelloRequest{Name: "bob"}); err != nil || r.GetMessage() != "bye, bob" {
		t.Fatalf("after the change: %v %v", r, err)
	}
}
