package main

import (
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/mockarty-oss/mockarty/plugins/fuzzer/engine"
	"github.com/mockarty-oss/mockarty/plugins/fuzzer/internal/target"
	"github.com/mockarty-oss/mockarty/sdk"
	"github.com/mockarty-oss/mockarty/sdk/fuzzjob"
	"github.com/mockarty-oss/mockarty/sdk/plugintest"
)

// A fuzz run through the plugin contract: the config as the API takes it,
// findings streamed as items while it runs, the summary at the end.
func TestRunThroughThePlugin(t *testing.T) {
	h, err := target.New(true, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	p := plugintest.Start(t, &Fuzzer{}, nil, nil)
	cfg := map[string]any{"targetBaseUrl": srv.URL, "strategy": "security", "payloadCategories": []string{"sql_injection", "xss"},
		"seedRequests": []map[string]any{
			{"id": "search", "method": "GET", "path": "/api/products", "queryParams": map[string]string{"q": "phone"}},
			{"id": "greet", "method": "GET", "path": "/api/greet", "queryParams": map[string]string{"name": "world"}},
		},
		"options": map[string]any{"concurrency": 4, "maxRequests": 500, "timeoutPerReq": "5s", "maxDuration": "1m"}}
	params, _ := json.Marshal(map[string]any{"config": cfg, "allowPrivate": true})
	out, steps, err := p.Run(context.Background(), sdk.Job{ID: "r1", Kind: fuzzjob.KindRun, Params: params})
	if err != nil {
		t.Fatal(err)
	}
	var res engine.Result
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatal(err)
	}
	streamed := map[string]bool{}
	for _, s := range steps {
		if s.ItemKind == "finding" {
			var f engine.Finding
			if err := json.Unmarshal(s.Item, &f); err != nil {
				t.Fatal(err)
			}
			streamed[f.Category] = true
		}
	}
	if len(res.Findings) != 2 || !streamed["sqli"] || !streamed["xss"] || res.TotalRequests == 0 || res.TotalRequests > 500 {
		t.Fatalf("findings %d (streamed %v), %d requests", len(res.Findings), streamed, res.TotalRequests)
	}

	// The network policy: without allowPrivate a loopback target is refused.
	params, _ = json.Marshal(map[string]any{"config": cfg})
	out, _, err = p.Run(context.Background(), sdk.Job{ID: "r2", Kind: fuzzjob.KindRun, Params: params})
	if err != nil {
		t.Fatal(err)
	}
	res = engine.Result{}
	_ = json.Unmarshal(out, &res)
	if len(res.Findings) != 0 || res.SuccessCount != 0 || res.ErrorCount == 0 {
		t.Fatalf("a private target without allowPrivate: %+v", res)
	}
}

// Bad jobs are refused with what is wrong.
func TestBadJobs(t *testing.T) {
	p := plugintest.Start(t, &Fuzzer{}, nil, nil)
	for _, c := range []struct{ kind, params, want string }{
		{"other", `{}`, "unknown job kind"},
		{fuzzjob.KindRun, `{"config": 5}`, "unreadable job"},
		{fuzzjob.KindRun, `{"config": {"targetBaseUrl": "http://x", "options": {"maxDuration": "soon"}}}`, "options.maxDuration"},
		{fuzzjob.KindRun, `{"config": {"targetBaseUrl": "ftp://x", "seedRequests": [{"id": "a"}]}}`, "targetBaseUrl"},
		{fuzzjob.KindRun, `{"config": {"targetBaseUrl": "http://x"}}`, "no seed requests"},
		{fuzzjob.KindRun, `{"config": {"targetBaseUrl": "http://x", "openapiSpec": "{not json"}}`, "openapiSpec"},
	} {
		_, _, err := p.Run(context.Background(), sdk.Job{ID: "bad", Kind: c.kind, Params: json.RawMessage(c.params)})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s %s: %v, want an error about %q", c.kind, c.params, err, c.want)
		}
	}
}

// The gRPC and GraphQL sources obey the network policy too: a loopback
// server is refused without allowPrivate, through the plugin's actions
// and its runs.
func TestSourcesObeyThePolicy(t *testing.T) {
	srv, err := target.StartGRPC(true)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	gql := httptest.NewServer(target.NewGraphQL(true))
	defer gql.Close()
	p := plugintest.Start(t, &Fuzzer{}, nil, nil)
	call := func(action string, v any) error {
		b, _ := json.Marshal(v)
		_, err := p.Client.Call(context.Background(), action, b)
		return err
	}
	if err := call(fuzzjob.ActionDiscoverGRPC, fuzzjob.Discover{Address: srv.Addr}); err == nil || !errors.Is(err, sdk.ErrInvalidInput) {
		t.Fatalf("a loopback gRPC server without allowPrivate: %v", err)
	}
	if err := call(fuzzjob.ActionDiscoverGRPC, fuzzjob.Discover{Address: srv.Addr, AllowPrivate: true}); err != nil {
		t.Fatalf("with allowPrivate: %v", err)
	}
	if err := call(fuzzjob.ActionIntrospectGraphQL, fuzzjob.Introspect{Endpoint: gql.URL + "/graphql"}); err == nil {
		t.Fatal("a loopback GraphQL endpoint without allowPrivate was introspected")
	}
	params, _ := json.Marshal(map[string]any{"config": map[string]any{"sourceType": "grpc", "options": map[string]any{"grpcAddress": srv.Addr}}})
	if _, _, err := p.Run(context.Background(), sdk.Job{ID: "g", Kind: fuzzjob.KindRun, Params: params}); err == nil ||
		!strings.Contains(err.Error(), srv.Addr) {
		t.Fatalf("a gRPC run without allowPrivate: %v", err)
	}
}
