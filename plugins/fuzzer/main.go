// Command mockarty-plugin-fuzzer is the security fuzzer's executor: it
// mutates a run's seed requests, sends them to the target and judges the
// answers, reporting each finding as it is made. The host keeps configs,
// runs and findings.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/mockarty-oss/mockarty/plugins/fuzzer/engine"
	"github.com/mockarty-oss/mockarty/sdk"
	"github.com/mockarty-oss/mockarty/sdk/outbound"
)

func main() { sdk.Serve(&Fuzzer{}) }

// Fuzzer is the tool plugin.
type Fuzzer struct{}

// JobKind is the job a fuzz run is.
const JobKind = "fuzz.run"

// Info describes the plugin; it takes no settings.
func (*Fuzzer) Info() sdk.Info {
	return sdk.Info{Name: "fuzzer", Kind: sdk.KindTool, Version: "0.1.0",
		Description: "Fuzzes HTTP APIs: mutation, security payloads and schema-aware inputs, with findings grouped by fingerprint."}
}

// Configure accepts no settings.
func (*Fuzzer) Configure(context.Context, json.RawMessage) error { return nil }

// Health is always fine: the plugin holds no connection.
func (*Fuzzer) Health(context.Context) error { return nil }

// Job is what the host sends: the run's config (the API's FuzzConfig) and
// its network policy.
type Job struct {
	Config       RunConfig `json:"config"`
	AllowPrivate bool      `json:"allowPrivate,omitempty"`
}

// Run runs one fuzz run, reporting each finding as an item ("finding")
// and progress as it goes; the result is the run's summary.
func (*Fuzzer) Run(ctx context.Context, job sdk.Job, _ sdk.Host, report func(sdk.Progress)) (json.RawMessage, error) {
	if job.Kind != JobKind {
		return nil, fmt.Errorf("unknown job kind %q (want %q)", job.Kind, JobKind)
	}
	var j Job
	if err := json.Unmarshal(job.Params, &j); err != nil {
		return nil, fmt.Errorf("unreadable job: %w", err)
	}
	cfg, err := j.Config.engineConfig()
	if err != nil {
		return nil, err
	}
	client := &http.Client{Transport: &http.Transport{DialContext: outbound.Dialer(j.AllowPrivate), MaxIdleConnsPerHost: 64,
		IdleConnTimeout: 30 * time.Second}}
	if !cfg.Options.FollowRedirects {
		client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	}
	defer client.CloseIdleConnections()
	res, err := engine.Run(ctx, cfg, client, func(e engine.Event) {
		p := sdk.Progress{Done: e.Completed, Total: e.Total, Message: e.Kind}
		if e.Total > 0 {
			p.Percent = 100 * float64(e.Completed) / float64(e.Total)
		}
		if e.Finding != nil {
			p.ItemKind = "finding"
			p.Item, _ = json.Marshal(e.Finding)
		}
		report(p)
	})
	if err != nil {
		return nil, err
	}
	return json.Marshal(res)
}
