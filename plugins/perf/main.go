// Command mockarty-plugin-perf is the load-testing executor: it runs
// k6-style scripts (ES modules, k6/* modules written for Mockarty) on
// sobek, streams a sample of the run's metrics to the host every second
// and returns the summary at the end. The host keeps configs and results.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/mockarty-oss/mockarty/plugins/perf/engine"
	"github.com/mockarty-oss/mockarty/plugins/tester/collection"
	"github.com/mockarty-oss/mockarty/sdk"
	"github.com/mockarty-oss/mockarty/sdk/loadjob"
	"github.com/mockarty-oss/mockarty/sdk/outbound"
)

func main() { sdk.Serve(&Perf{}) }

// Perf is the tool plugin.
type Perf struct{}

// Info describes the plugin; it takes no settings.
func (*Perf) Info() sdk.Info {
	return sdk.Info{Name: "perf", Kind: sdk.KindTool, Version: "0.1.0",
		Description: "Runs k6-style load test scripts (k6/http, checks, thresholds, scenarios) and streams their metrics."}
}

// Configure accepts no settings.
func (*Perf) Configure(context.Context, json.RawMessage) error { return nil }

// Health is always fine: the plugin holds no connection.
func (*Perf) Health(context.Context) error { return nil }

// Run runs one job.
func (*Perf) Run(ctx context.Context, job sdk.Job, _ sdk.Host, report func(sdk.Progress)) (json.RawMessage, error) {
	if job.Kind != loadjob.KindRun {
		return nil, fmt.Errorf("unknown job kind %q (want %q)", job.Kind, loadjob.KindRun)
	}
	var j loadjob.Job
	if err := json.Unmarshal(job.Params, &j); err != nil {
		return nil, fmt.Errorf("unreadable job: %w", err)
	}
	res, err := run(ctx, &j, report)
	if err != nil {
		return nil, err
	}
	return json.Marshal(res)
}

// run compiles and runs a job's script, reporting a sample every second.
func run(ctx context.Context, j *loadjob.Job, report func(sdk.Progress)) (*engine.Result, error) {
	name := j.Filename
	if name == "" {
		name = "script.js"
	}
	var prog *engine.Program
	if j.Script == "" && j.Target != nil {
		d, err := parseDuration(j.Duration)
		if err != nil {
			return nil, err
		}
		prog, j.Script, err = engine.CompileConfig(engine.ScriptConfig{URL: j.Target.URL, Method: j.Target.Method, Headers: j.Target.Headers,
			Body: j.Target.Body, VUs: j.VUs, Duration: d, RPS: j.Target.RPS, Thresholds: j.Thresholds})
		if err != nil {
			return nil, err
		}
		j.VUs, j.Duration, j.Thresholds = 0, "", nil // written into the script
	} else if j.Script == "" && j.Collection != nil {
		d, err := parseDuration(j.Duration)
		if err != nil {
			return nil, err
		}
		// the collection is checked (its folders, its scripts' sandbox) before any VU starts
		p, err := collection.NewPasses(j.Collection)
		if err != nil {
			return nil, err
		}
		p.Close()
		what := "the collection"
		if c := j.Collection.Collection; c != nil && c.Info.Name != "" {
			what += " " + strconv.Quote(c.Info.Name)
		}
		if j.Script, err = engine.ScriptForIterations(engine.ScriptConfig{VUs: j.VUs, Duration: d, Thresholds: j.Thresholds}, what); err != nil {
			return nil, err
		}
		if prog, err = engine.CompileWith(j.Script, "collection.js", &collectionIterations{job: j.Collection}); err != nil {
			return nil, err
		}
		j.VUs, j.Thresholds = 0, nil // written into the script
		if j.Iterations == 0 {
			j.Duration = ""
		}
	} else {
		files := engine.MapFiles{}
		for k, v := range j.Files {
			files[k] = []byte(v)
		}
		var err error
		if prog, err = engine.Compile(j.Script, name, files); err != nil {
			return nil, err
		}
	}
	cfg := engine.RunConfig{VUs: j.VUs, Iterations: j.Iterations, Env: j.Env, Thresholds: j.Thresholds, MaxVUs: j.MaxVUs,
		Outbound:    outbound.Policy{AllowPrivate: j.AllowPrivate, Allow: j.AllowHosts},
		MaxDuration: time.Duration(j.MaxDurationMs) * time.Millisecond}
	d, err := parseDuration(j.Duration)
	if err != nil {
		return nil, err
	}
	cfg.Duration = d
	return engine.Run(ctx, prog, cfg, func(p engine.Progress) {
		b, err := json.Marshal(p)
		if err != nil {
			return
		}
		report(sdk.Progress{Message: fmt.Sprintf("%d requests, %d VUs", p.Requests, p.VUs), Done: p.ElapsedMs,
			ItemKind: loadjob.ItemSample, Item: b})
	})
}

// parseDuration reads a job's duration ("" is none).
func parseDuration(s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("duration %q: %v", s, err)
	}
	return d, nil
}
