// Command mockarty-plugin-tester is the API tester's executor: it runs
// Postman-style collections (requests, variables, auth, pre-request and
// test scripts) as newman does, streaming each request's result to the
// host as it completes. The host keeps the collections and the runs.
package main

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/mockarty-oss/mockarty/plugins/tester/collection"
	"github.com/mockarty-oss/mockarty/sdk"
	"github.com/mockarty-oss/mockarty/sdk/postman"
)

func main() { sdk.Serve(&Tester{}) }

// Tester is the tool plugin.
type Tester struct{}

// Info describes the plugin; it takes no settings.
func (*Tester) Info() sdk.Info {
	return sdk.Info{Name: "tester", Kind: sdk.KindTool, Version: "0.1.0",
		Description: "Runs API-tester collections: requests, variables, auth, and pm.*/mk.* scripts in an embedded JavaScript engine."}
}

// Configure accepts no settings.
func (*Tester) Configure(context.Context, json.RawMessage) error { return nil }

// Health is always fine: the plugin holds no connection.
func (*Tester) Health(context.Context) error { return nil }

// Run runs one job.
func (*Tester) Run(ctx context.Context, job sdk.Job, _ sdk.Host, report func(sdk.Progress)) (json.RawMessage, error) {
	switch job.Kind {
	case postman.JobRun:
		j, err := postman.DecodeJob(job.Params)
		if err != nil {
			return nil, fmt.Errorf("unreadable job: %w", err)
		}
		sum, err := collection.Run(ctx, j, report)
		if err != nil {
			return nil, err
		}
		return json.Marshal(sum)
	case postman.JobScript:
		var j postman.ScriptJob
		if err := json.Unmarshal(job.Params, &j); err != nil {
			return nil, fmt.Errorf("unreadable job: %w", err)
		}
		res, err := collection.RunScript(ctx, &j)
		if err != nil {
			return nil, err
		}
		return json.Marshal(res)
	}
	return nil, fmt.Errorf("unknown job kind %q (want %q or %q)", job.Kind, postman.JobRun, postman.JobScript)
}
