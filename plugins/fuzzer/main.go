// Command mockarty-plugin-fuzzer is the security fuzzer's executor: it
// mutates a run's seed requests, sends them to the target and judges the
// answers, reporting each finding as it is made. The host keeps configs,
// runs and findings.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/mockarty-oss/mockarty/plugins/fuzzer/engine"
	"github.com/mockarty-oss/mockarty/sdk"
	"github.com/mockarty-oss/mockarty/sdk/fuzzjob"
	"github.com/mockarty-oss/mockarty/sdk/outbound"
)

func main() { sdk.Serve(&Fuzzer{}) }

// Fuzzer is the tool plugin.
type Fuzzer struct{}

// Info describes the plugin; it takes no settings.
func (*Fuzzer) Info() sdk.Info {
	return sdk.Info{Name: "fuzzer", Kind: sdk.KindTool, Version: "0.1.0",
		Description: "Fuzzes HTTP APIs: mutation, security payloads and schema-aware inputs, with findings grouped by fingerprint."}
}

// Configure accepts no settings.
func (*Fuzzer) Configure(context.Context, json.RawMessage) error { return nil }

// Health is always fine: the plugin holds no connection.
func (*Fuzzer) Health(context.Context) error { return nil }

// Call answers the host's actions (sdk.Caller): the payload categories,
// and the replay of a finding (fuzzjob.Replay -> engine.Replayed).
func (*Fuzzer) Call(ctx context.Context, action string, params json.RawMessage) (json.RawMessage, error) {
	switch action {
	case fuzzjob.ActionCategories:
		return json.Marshal(engine.CategoryList())
	case fuzzjob.ActionReplay:
		var p fuzzjob.Replay
		if err := json.Unmarshal(params, &p); err != nil {
			return nil, fmt.Errorf("%w: replay: %v", sdk.ErrInvalidInput, err)
		}
		pol := outbound.Policy{AllowPrivate: p.AllowPrivate, Allow: p.AllowHosts}
		client := newClient(pol, false)
		defer client.CloseIdleConnections()
		tr := transports(pol)
		defer tr.close()
		return json.Marshal(engine.Replay(ctx, client, tr.all, &p.Finding, 0))
	case fuzzjob.ActionIntrospectGraphQL:
		var p fuzzjob.Introspect
		if err := json.Unmarshal(params, &p); err != nil {
			return nil, fmt.Errorf("%w: introspect: %v", sdk.ErrInvalidInput, err)
		}
		client := newClient(outbound.Policy{AllowPrivate: p.AllowPrivate, Allow: p.AllowHosts}, false)
		defer client.CloseIdleConnections()
		ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		schema, err := engine.IntrospectGraphQL(ctx, client, p.Endpoint, p.Headers)
		if err != nil {
			return nil, sdk.InvalidInput(err)
		}
		ops := schema.Operations()
		return json.Marshal(map[string]any{"endpoint": p.Endpoint, "operations": ops, "count": len(ops)})
	case fuzzjob.ActionDiscoverGRPC:
		var p fuzzjob.Discover
		if err := json.Unmarshal(params, &p); err != nil {
			return nil, fmt.Errorf("%w: discover: %v", sdk.ErrInvalidInput, err)
		}
		tr := transports(outbound.Policy{AllowPrivate: p.AllowPrivate, Allow: p.AllowHosts})
		defer tr.close()
		ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		seeds, skipped, err := tr.grpc.GRPCSeeds(ctx, p.Address, p.UseTLS, p.Services, p.Methods)
		if err != nil {
			return nil, sdk.InvalidInput(err)
		}
		if skipped == nil {
			skipped = []string{}
		}
		return json.Marshal(map[string]any{"address": p.Address, "seeds": seeds, "skipped": skipped, "count": len(seeds)})
	}
	return nil, sdk.ErrUnknownAction
}

// newClient sends a run's requests under the network policy.
func newClient(pol outbound.Policy, follow bool) *http.Client {
	client := &http.Client{Transport: &http.Transport{DialContext: pol.Dialer(), MaxIdleConnsPerHost: 64,
		IdleConnTimeout: 30 * time.Second}}
	if !follow {
		client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	}
	return client
}

// hostCanary is the host's canary endpoint as the engine asks it.
type hostCanary struct {
	url, check string
	client     *http.Client
}

func (c *hostCanary) URL(token string) string { return c.url + token }

// Hit asks the host whether the target fetched token's URL.
func (c *hostCanary) Hit(token string) bool {
	res, err := c.client.Get(c.check + token)
	if err != nil {
		return false
	}
	defer res.Body.Close()
	var out struct {
		Hit bool `json:"hit"`
	}
	return res.StatusCode == http.StatusOK && json.NewDecoder(io.LimitReader(res.Body, 1024)).Decode(&out) == nil && out.Hit
}

// Run runs one fuzz run, reporting each finding as an item ("finding")
// and progress as it goes; the result is the run's summary.
func (*Fuzzer) Run(ctx context.Context, job sdk.Job, _ sdk.Host, report func(sdk.Progress)) (json.RawMessage, error) {
	if job.Kind != fuzzjob.KindRun {
		return nil, fmt.Errorf("unknown job kind %q (want %q)", job.Kind, fuzzjob.KindRun)
	}
	var j fuzzjob.Job
	var rc RunConfig
	if err := json.Unmarshal(job.Params, &j); err != nil {
		return nil, fmt.Errorf("unreadable job: %w", err)
	}
	if err := json.Unmarshal(j.Config, &rc); err != nil {
		return nil, fmt.Errorf("unreadable job: the config: %w", err)
	}
	cfg, err := rc.engineConfig()
	if err != nil {
		return nil, err
	}
	pol := outbound.Policy{AllowPrivate: j.AllowPrivate, Allow: j.AllowHosts}
	client := newClient(pol, cfg.Options.FollowRedirects)
	var warnings []string
	defer client.CloseIdleConnections()
	tr := transports(pol)
	defer tr.close()
	cfg.Transports = tr.all
	// A consumer asked to answer is waited for as long as a request may
	// take; a WebSocket that answers nothing costs engine.DefaultReplyWait.
	wait := cfg.Options.TimeoutPerReq
	if wait <= 0 {
		wait = engine.DefaultTimeoutPerReq
	}
	tr.kafka.ReplyWait, tr.amqp.ReplyWait = wait, wait
	if addr := rc.grpcAddress(); addr != "" {
		ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		seeds, skipped, err := tr.grpc.GRPCSeeds(ctx, addr, rc.Options.GRPCUseTLS, rc.Options.GRPCServices, rc.Options.GRPCMethods)
		cancel()
		if err != nil {
			return nil, err
		}
		cfg.Seeds = append(cfg.Seeds, seeds...)
		warnings = append(warnings, skipped...)
	}
	if kind := rc.messageSource(); kind != "" {
		seeds, err := rc.messageSeeds(kind)
		if err != nil {
			return nil, err
		}
		cfg.Seeds = seeds
	}
	if ep := rc.graphQLEndpoint(); ep != "" {
		seeds, err := graphQLSeeds(ctx, client, ep, &rc)
		if err != nil {
			return nil, err
		}
		cfg.Seeds = append(cfg.Seeds, seeds...)
	}
	if j.CanaryURL != "" && j.CanaryCheckURL != "" {
		cfg.Canary = &hostCanary{url: j.CanaryURL, check: j.CanaryCheckURL, client: &http.Client{Timeout: 5 * time.Second}}
	}
	res, err := engine.Run(ctx, cfg, client, func(e engine.Event) {
		p := sdk.Progress{Done: e.Completed, Total: e.Total, Message: e.Kind}
		if e.Total > 0 {
			p.Percent = 100 * float64(e.Completed) / float64(e.Total)
		}
		if e.Finding != nil {
			p.ItemKind = fuzzjob.ItemFinding
			p.Item, _ = json.Marshal(e.Finding)
		}
		report(p)
	})
	if err != nil {
		return nil, err
	}
	res.Warnings = append(warnings, res.Warnings...)
	return json.Marshal(res)
}

// graphQLSeeds are a GraphQL source's seeds: the one graphqlQuery given,
// or every operation introspection finds.
func graphQLSeeds(ctx context.Context, client *http.Client, endpoint string, rc *RunConfig) ([]engine.Seed, error) {
	o := rc.Options
	if q := strings.TrimSpace(o.GraphQLQuery); q != "" {
		name := o.GraphQLOperation
		if name == "" {
			name = "query"
		}
		return []engine.Seed{engine.GraphQLSeed(endpoint, name, q, map[string]any{}, nil)}, nil
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	return engine.GraphQLSeeds(ctx, client, endpoint, nil)
}
