package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

// Load testing: run a k6-style script, a saved perf config or one URL on
// the server's perf plugin, and follow the run.

func (a *app) perfCmd() *cobra.Command {
	return group(&cobra.Command{
		Use:   "perf",
		Short: "Run load tests (k6-style scripts) on the server",
		Example: `  mockarty-cli perf run --script load.js --wait
  mockarty-cli perf run --config "Load Test" --wait --format json
  mockarty-cli perf run --url http://localhost:5770/stubs/sandbox/api/users --vus 10 --duration 30s`,
	},
		a.perfRunCmd(),
	)
}

// perfPollInterval is how often a followed run is read.
const perfPollInterval = time.Second

// perfStopGrace bounds the wait for a run stopped with Ctrl-C to end.
const perfStopGrace = 30 * time.Second

func (a *app) perfRunCmd() *cobra.Command {
	var config, script, target, collection, collectionEnv, har, method, duration, format string
	var vus, rps int
	var env []string
	var wait bool
	var waitTimeout time.Duration
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Start a load test: a script, a saved perf config or one URL",
		Long: `Start a load test on the server's perf plugin. Give one of:
  --script FILE   a k6-style script (ES module: k6/http, checks, thresholds, scenarios)
  --config NAME   a saved perf config, by name or id (GET /api/v1/perf-configs)
  --url URL       one request sent over and over (--method, --rps)
  --collection NAME  an API-tester collection, by name or id: each VU
                  iteration runs its requests with their scripts
                  (--collection-env names its environment)
  --har FILE      a HAR recording: the server writes the k6 script that
                  replays its requests (POST /api/v1/perf/scripts/from-har)
--vus, --duration and --rps override what the script or config says; --env
KEY=VALUE sets the script's __ENV.

Without --wait the command prints the run's id and returns (read the result
with GET /api/v1/perf-results/<id>). With --wait it follows the run, showing
its progress on a terminal, prints a k6-like summary (or the result as JSON
with --format json) and exits 1 when the run failed (a threshold did not hold,
the script failed or aborted) or was stopped. Ctrl-C while waiting stops the
run on the server.`,
		Example: `  mockarty-cli perf run --script load.js --wait
  mockarty-cli perf run --script load.js --env BASE_URL=http://localhost:5770/stubs/sandbox --vus 20 --duration 1m --wait
  mockarty-cli perf run --config "Load Test" --wait --format json
  mockarty-cli perf run --url http://localhost:5770/stubs/sandbox/api/users --vus 10 --duration 30s --rps 100
  mockarty-cli perf run --collection "CI Tests" --collection-env local --vus 5 --duration 1m --wait
  mockarty-cli perf run --har session.har --vus 10 --duration 1m --wait`,
		Args: exactArgs(),
		RunE: runE(func(cmd *cobra.Command, _ []string) error {
			switch format {
			case "":
			case outJSON, outYAML, outTable:
				a.output = format
			default:
				return usagef("--format %q: use table, json or yaml", format)
			}
			sources := 0
			for _, s := range []string{config, script, target, collection, har} {
				if s != "" {
					sources++
				}
			}
			if sources != 1 {
				return usagef("give one of --config, --script, --url, --collection or --har")
			}
			flags := cmd.Flags()
			switch {
			case flags.Changed("method") && script != "":
				return usagef("--method goes with --url or --config (a script sends its own requests)")
			case flags.Changed("rps") && script != "":
				return usagef("--rps goes with --url or --config (a script sets its rate with a constant-arrival-rate scenario)")
			case (flags.Changed("method") || flags.Changed("rps")) && (collection != "" || har != ""):
				return usagef("--method and --rps go with --url or --config (a collection or a recording sends its own requests)")
			case collectionEnv != "" && collection == "":
				return usagef("--collection-env goes with --collection")
			case vus < 0:
				return usagef("--vus must not be negative")
			case rps < 0:
				return usagef("--rps must not be negative")
			case waitTimeout <= 0:
				return usagef("--wait-timeout must be positive")
			}
			if flags.Changed("duration") {
				d, err := time.ParseDuration(duration)
				if err != nil || d <= 0 {
					return usagef("--duration %q: use a positive duration such as 30s or 5m", duration)
				}
			}
			vars := map[string]string{}
			for _, kv := range env {
				k, v, ok := strings.Cut(kv, "=")
				if !ok || strings.TrimSpace(k) == "" {
					return usagef("--env %q: use KEY=VALUE", kv)
				}
				vars[strings.TrimSpace(k)] = v
			}
			c, ns, err := a.connect()
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			body := map[string]any{"namespace": ns}
			switch {
			case config != "":
				cfg, err := a.findByNameOrID(ctx, c, "/api/v1/perf-configs", ns, "perf config", config)
				if err != nil {
					return err
				}
				body["configId"] = text(cfg["id"])
			case script != "":
				src, err := a.readInput(script)
				if err != nil {
					return err
				}
				name := "script.js"
				if script != "-" {
					name = filepath.Base(script)
				}
				body["script"], body["filename"], body["name"] = string(src), name, name
			case har != "":
				doc, err := a.readInput(har)
				if err != nil {
					return err
				}
				raw, err := c.call(ctx, request{method: http.MethodPost, path: "/api/v1/perf/scripts/from-har", body: map[string]any{"har": string(doc)}})
				if err != nil {
					return err
				}
				var gen struct {
					Script   string   `json:"script"`
					Warnings []string `json:"warnings"`
				}
				if err := json.Unmarshal(raw, &gen); err != nil || gen.Script == "" {
					return fmt.Errorf("the server wrote no script from %s: %s", har, oneLine(string(raw), 200))
				}
				for _, w := range gen.Warnings {
					fmt.Fprintln(a.stderr, "warning:", w)
				}
				name := "har.js"
				if har != "-" {
					name = strings.TrimSuffix(filepath.Base(har), filepath.Ext(har)) + ".js"
				}
				body["script"], body["filename"], body["name"] = gen.Script, name, name
			case collection != "":
				col, err := a.findByNameOrID(ctx, c, "/api/v1/api-tester/collections", ns, "collection", collection)
				if err != nil {
					return err
				}
				body["collectionId"], body["name"] = text(col["id"]), text(col["name"])
				if collectionEnv != "" {
					e, err := a.findByNameOrID(ctx, c, "/api/v1/api-tester/environments", ns, "environment", collectionEnv)
					if err != nil {
						return err
					}
					body["environmentId"] = text(e["id"])
				}
			default:
				body["targetUrl"], body["name"] = target, target
			}
			if flags.Changed("method") {
				body["method"] = strings.ToUpper(method)
			}
			if flags.Changed("vus") {
				body["vus"] = vus
			}
			if flags.Changed("duration") {
				body["duration"] = duration
			}
			if flags.Changed("rps") {
				body["rps"] = rps
			}
			if len(vars) > 0 {
				body["environment"] = vars
			}
			path := "/api/v1/perf/run"
			if collection != "" {
				path = "/api/v1/perf/run-collection"
			}
			raw, err := c.call(ctx, request{method: http.MethodPost, path: path, body: body})
			if err != nil {
				return err
			}
			task, err := decodeObject(raw)
			if err != nil {
				return err
			}
			id := text(task["id"])
			if id == "" {
				return fmt.Errorf("the server started a run without an id: %s", oneLine(string(raw), 200))
			}
			if !wait {
				return a.emit(raw, func(w io.Writer) error {
					fmt.Fprintln(w, id)
					return nil
				})
			}
			raw, res, err := a.followPerfRun(ctx, c, id, waitTimeout)
			if err != nil {
				return err
			}
			if err := a.emit(raw, func(w io.Writer) error { return perfSummary(w, res) }); err != nil {
				return err
			}
			if res.Status != "completed" {
				msg := res.Message
				if msg == "" {
					msg = res.Status
				}
				return fmt.Errorf("%w: %s: %s (run %s)", errRunFailed, res.Status, msg, id)
			}
			return nil
		}),
	}
	f := cmd.Flags()
	f.StringVar(&config, "config", "", "a saved perf config (name or id)")
	f.StringVar(&script, "script", "", "a k6-style script file (\"-\" reads standard input)")
	f.StringVar(&target, "url", "", "load one URL (no script)")
	f.StringVar(&collection, "collection", "", "an API-tester collection as the load (name or id)")
	f.StringVar(&collectionEnv, "collection-env", "", "the collection's environment (name or id; default: the active one)")
	f.StringVar(&har, "har", "", "a HAR recording to replay as load (\"-\" reads standard input)")
	f.StringVar(&method, "method", "GET", "the HTTP method of --url")
	f.IntVar(&vus, "vus", 0, "virtual users (overrides the script or config)")
	f.StringVar(&duration, "duration", "", "how long the load runs, e.g. 30s or 5m (overrides the script or config)")
	f.IntVar(&rps, "rps", 0, "requests a second for --url (a constant arrival rate)")
	f.StringArrayVar(&env, "env", nil, "KEY=VALUE for the script's __ENV (repeatable)")
	f.BoolVar(&wait, "wait", false, "follow the run to its end; exit 1 when it failed or was stopped")
	f.StringVar(&format, "format", "", "output format: table, json or yaml (as --output)")
	f.DurationVar(&waitTimeout, "wait-timeout", 25*time.Hour, "give up following the run after this long (it goes on on the server)")
	return cmd
}

// perfResult is what the CLI reads of a load run's result.
type perfResult struct {
	ID            string      `json:"id"`
	Status        string      `json:"status"`
	Message       string      `json:"message"`
	DurationMs    float64     `json:"durationMs"`
	VUs           int         `json:"vus"`
	TotalRequests int64       `json:"totalRequests"`
	ErrorCount    int64       `json:"errorCount"`
	Metrics       perfMetrics `json:"metrics"`
	Thresholds    map[string][]struct {
		Threshold string  `json:"threshold"`
		OK        bool    `json:"ok"`
		Actual    float64 `json:"actual"`
	} `json:"thresholds"`
	Metadata struct {
		Live struct {
			ElapsedMs      int64 `json:"elapsedMs"`
			VUs            int64 `json:"vus"`
			Requests       int64 `json:"requests"`
			FailedRequests int64 `json:"failedRequests"`
		} `json:"live"`
	} `json:"metadata"`
}

// perfMetrics are a result's metrics by k6 name; an entry that is not all
// numbers (apdex, with its per-route scores) keeps its numbers only.
type perfMetrics map[string]map[string]float64

// UnmarshalJSON reads the metrics object.
func (m *perfMetrics) UnmarshalJSON(b []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	*m = perfMetrics{}
	for k, v := range raw {
		var vals map[string]float64
		if json.Unmarshal(v, &vals) != nil {
			var mixed map[string]any
			_ = json.Unmarshal(v, &mixed)
			vals = map[string]float64{}
			for ak, av := range mixed {
				if f, ok := av.(float64); ok {
					vals[ak] = f
				}
			}
		}
		(*m)[k] = vals
	}
	return nil
}

// perfDone reports whether a run status is final.
func perfDone(status string) bool {
	return status == "completed" || status == "failed" || status == "stopped"
}

// followPerfRun polls a load run every second until it ends.
func (a *app) followPerfRun(ctx context.Context, c *client, id string, timeout time.Duration) ([]byte, *perfResult, error) {
	var res perfResult
	raw, err := a.followRun(ctx, c, followed{id: id, result: "/api/v1/perf-results/" + pathEscape(id),
		stop: "/api/v1/perf/stop/" + pathEscape(id),
		read: func(raw []byte) (string, string, error) {
			res = perfResult{}
			if err := json.Unmarshal(raw, &res); err != nil {
				return "", "", err
			}
			l := res.Metadata.Live
			return res.Status, fmt.Sprintf("%s elapsed  %d requests  %d errors  %d VUs",
				(time.Duration(l.ElapsedMs) * time.Millisecond).Round(time.Second), l.Requests, l.FailedRequests, l.VUs), nil
		}}, timeout)
	if err != nil {
		return nil, nil, err
	}
	return raw, &res, nil
}

// followed is a run the CLI follows: where its result and its stop are,
// and how to read its status and a progress line from the result.
type followed struct {
	id, result, stop string
	read             func(raw []byte) (status, progress string, err error)
}

// followRun polls a run every second until it ends (completed, failed or
// stopped), drawing a progress line on a terminal, and returns its last
// result. Ctrl-C stops the run on the server and waits a little for it to end.
func (a *app) followRun(ctx context.Context, c *client, r followed, timeout time.Duration) ([]byte, error) {
	sigCtx, stopSignals := signal.NotifyContext(ctx, os.Interrupt)
	defer stopSignals()
	interrupted := sigCtx.Done()
	live := isTerminal(a.stderr)
	deadline := time.Now().Add(timeout)
	for {
		raw, err := c.get(ctx, r.result, nil)
		if err != nil {
			return nil, err
		}
		status, progress, err := r.read(raw)
		if err != nil {
			return nil, fmt.Errorf("unreadable result of run %s: %v", r.id, err)
		}
		if perfDone(status) {
			if live {
				fmt.Fprint(a.stderr, "\r\033[K")
			}
			return raw, nil
		}
		if live {
			fmt.Fprintf(a.stderr, "\r\033[K%s  %s", status, progress)
		}
		if time.Now().After(deadline) {
			if live {
				fmt.Fprintln(a.stderr)
			}
			return nil, fmt.Errorf("run %s still %s after %s (it goes on on the server)", r.id, status, timeout)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-interrupted:
			interrupted = nil
			stopSignals() // a second Ctrl-C ends the command at once
			fmt.Fprintf(a.stderr, "\ninterrupted: stopping run %s\n", r.id)
			if _, err := c.call(ctx, request{method: http.MethodPost, path: r.stop}); err != nil {
				fmt.Fprintf(a.stderr, "could not stop run %s: %v\n", r.id, err)
			}
			if d := time.Now().Add(perfStopGrace); d.Before(deadline) {
				deadline = d
			}
		case <-time.After(perfPollInterval):
		}
	}
}

// isTerminal reports whether w is a terminal (not a file or a pipe).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// perfSummary prints a finished run as k6 does at the end of a test: the
// main metrics, then each threshold with ✓ or ✗.
func perfSummary(w io.Writer, r *perfResult) error {
	m := r.Metrics
	line := func(name, value string) {
		fmt.Fprintf(w, "     %s%s: %s\n", name, strings.Repeat(".", max(3, 28-len(name))), value)
	}
	if v, ok := m["checks"]; ok {
		line("checks", fmt.Sprintf("%.2f%%  ✓ %d  ✗ %d", v["rate"]*100, int64(v["passes"]), int64(v["fails"])))
	}
	if v, ok := m["http_req_duration"]; ok {
		line("http_req_duration", fmt.Sprintf("avg=%s  p(95)=%s  p(99)=%s", perfMs(v["avg"]), perfMs(v["p(95)"]), perfMs(v["p(99)"])))
	}
	if v, ok := m["http_req_failed"]; ok {
		// k6 counts a failed request as a passing sample of http_req_failed.
		line("http_req_failed", fmt.Sprintf("%.2f%%  ✓ %d  ✗ %d", v["rate"]*100, int64(v["passes"]), int64(v["fails"])))
	}
	if v, ok := m["http_reqs"]; ok {
		line("http_reqs", fmt.Sprintf("%d  %.2f/s", int64(v["count"]), v["rate"]))
	}
	if v, ok := m["apdex"]; ok {
		line("apdex", fmt.Sprintf("%.2f  (T=%s)", v["score"], perfMs(v["thresholdMs"])))
	}
	if v, ok := m["iterations"]; ok {
		line("iterations", fmt.Sprintf("%d  %.2f/s", int64(v["count"]), v["rate"]))
	}
	if v, ok := m["vus_max"]; ok {
		line("vus_max", fmt.Sprintf("%d", int64(v["value"])))
	}
	if len(r.Thresholds) > 0 {
		fmt.Fprintln(w, "\n   thresholds")
		metrics := make([]string, 0, len(r.Thresholds))
		for k := range r.Thresholds {
			metrics = append(metrics, k)
		}
		sort.Strings(metrics)
		for _, k := range metrics {
			for _, t := range r.Thresholds[k] {
				mark := "✓"
				if !t.OK {
					mark = "✗"
				}
				fmt.Fprintf(w, "     %s %s %s (actual %s)\n", mark, k, t.Threshold, perfNumber(t.Actual))
			}
		}
	}
	dur := (time.Duration(r.DurationMs) * time.Millisecond).Round(100 * time.Millisecond)
	fmt.Fprintf(w, "\n%s in %s: %d requests, %d failed (run %s)\n", r.Status, dur, r.TotalRequests, r.ErrorCount, r.ID)
	return nil
}

// perfMs writes a duration in milliseconds as k6 does.
func perfMs(x float64) string {
	switch {
	case x >= 1000:
		return fmt.Sprintf("%.2fs", x/1000)
	case x >= 1:
		return fmt.Sprintf("%.2fms", x)
	}
	return fmt.Sprintf("%.2fµs", x*1000)
}

// perfNumber writes a threshold's actual value without noise.
func perfNumber(x float64) string {
	if x == float64(int64(x)) {
		return fmt.Sprintf("%d", int64(x))
	}
	return fmt.Sprintf("%.4g", x)
}
