package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

// Security fuzzing: run a saved fuzz config or fuzz one request on the
// server's fuzzer plugin, follow the run and fail on findings.

func (a *app) fuzzCmd() *cobra.Command {
	return group(&cobra.Command{
		Use:   "fuzz",
		Short: "Fuzz APIs for security bugs on the server",
		Example: `  mockarty-cli fuzz run --config "Shop API" --wait
  mockarty-cli fuzz quick --url http://localhost:8080/api/search?q=phone --categories sqli,xss --wait --fail-on high`,
	},
		a.fuzzRunCmd(),
		a.fuzzQuickCmd(),
	)
}

// fuzzFlags are what both commands share: following the run and failing.
type fuzzFlags struct {
	wait bool
	// resultJSON prints only the run's FuzzResult, as JSON (--json, what
	// the SDKs' fuzz.Runner.LocalSpawn reads); it waits.
	resultJSON  bool
	failOn      string
	format      string
	waitTimeout time.Duration
}

func (f *fuzzFlags) add(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.BoolVar(&f.wait, "wait", false, "follow the run to its end; exit 1 on findings at or above --fail-on, or when it failed")
	fl.StringVar(&f.failOn, "fail-on", "high", "the least severity that fails the command: critical, high, medium, low, info or none")
	fl.StringVar(&f.format, "format", "", "output format: table, json or yaml (as --output)")
	fl.DurationVar(&f.waitTimeout, "wait-timeout", 25*time.Hour, "give up following the run after this long (it goes on on the server)")
	fl.BoolVar(&f.resultJSON, "json", false, "wait, and print only the run's result (FuzzResult) as JSON")
}

var severities = []string{"critical", "high", "medium", "low", "info"}

func (f *fuzzFlags) check(a *app) error {
	switch f.format {
	case "":
	case outJSON, outYAML, outTable:
		a.output = f.format
	default:
		return usagef("--format %q: use table, json or yaml", f.format)
	}
	if f.failOn != "none" && severityIndex(f.failOn) < 0 {
		return usagef("--fail-on %q: use critical, high, medium, low, info or none", f.failOn)
	}
	if f.waitTimeout <= 0 {
		return usagef("--wait-timeout must be positive")
	}
	if f.resultJSON {
		f.wait = true
	}
	return nil
}

func severityIndex(s string) int {
	for i, v := range severities {
		if v == s {
			return i
		}
	}
	return -1
}

func (a *app) fuzzRunCmd() *cobra.Command {
	var config string
	var ff fuzzFlags
	cmd := &cobra.Command{
		Use:   "run [config-file]",
		Short: "Run a saved fuzz config (by name or id), or a config file",
		Long: `Start a fuzz run of a saved config (GET /api/v1/fuzzing/configs) on the
server's fuzzer plugin, or of a FuzzConfig in a JSON or YAML file (given as
the argument, or as --config when that names a file). Without --wait the
command prints the run's id. With --wait it follows the run, prints its
findings (or the result and findings as JSON with --format json) and exits
1 when the run failed or found anything at or above --fail-on (default
high). --json waits and prints only the run's result as JSON. Ctrl-C while
waiting stops the run.`,
		Example: `  mockarty-cli fuzz run --config "Shop API" --wait
  mockarty-cli fuzz run --config "Shop API" --wait --fail-on critical --format json
  mockarty-cli fuzz run shop-fuzz.json --json --fail-on none`,
		Args: rangeArgs(nil, "config-file"),
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			if err := ff.check(a); err != nil {
				return err
			}
			file := ""
			switch {
			case len(args) == 1 && config != "":
				return usagef("give a config file or --config, not both")
			case len(args) == 1:
				file = args[0]
			case config != "":
				if st, err := os.Stat(config); err == nil && st.Mode().IsRegular() {
					file = config
				}
			default:
				return usagef("--config names the fuzz config to run (or give a config file)")
			}
			c, ns, err := a.connect()
			if err != nil {
				return err
			}
			if file != "" {
				raw, err := a.readInput(file)
				if err != nil {
					return err
				}
				doc, err := toJSON(raw, file)
				if err != nil {
					return err
				}
				var body map[string]any
				if err := json.Unmarshal(doc, &body); err != nil || body == nil {
					return usagef("%s: a FuzzConfig object is needed", displayName(file))
				}
				if text(body["namespace"]) == "" && ns != "" {
					body["namespace"] = ns
				}
				return a.startFuzz(cmd.Context(), c, "/api/v1/fuzzing/run", body, &ff)
			}
			cfg, err := a.findByNameOrID(cmd.Context(), c, "/api/v1/fuzzing/configs", ns, "fuzz config", config)
			if err != nil {
				return err
			}
			return a.startFuzz(cmd.Context(), c, "/api/v1/fuzzing/run", map[string]any{"configId": text(cfg["id"]), "namespace": ns}, &ff)
		}),
	}
	cmd.Flags().StringVar(&config, "config", "", "the saved fuzz config (name or id)")
	ff.add(cmd)
	return cmd
}

func (a *app) fuzzQuickCmd() *cobra.Command {
	var target, method, body, categories string
	var headers []string
	var ff fuzzFlags
	cmd := &cobra.Command{
		Use:   "quick",
		Short: "Fuzz one request",
		Long: `Fuzz one request (POST /api/v1/fuzzing/quick-fuzz): its query values and
JSON body fields get every payload of the categories (default: all). --wait,
--fail-on and --format as for fuzz run.`,
		Example: `  mockarty-cli fuzz quick --url 'http://localhost:8080/api/search?q=phone' --wait
  mockarty-cli fuzz quick --url http://localhost:8080/api/orders --method POST --body '{"sku":"A1","quantity":2}' --categories sqli,type_confusion --wait`,
		Args: exactArgs(),
		RunE: runE(func(cmd *cobra.Command, _ []string) error {
			if err := ff.check(a); err != nil {
				return err
			}
			if target == "" {
				return usagef("--url is the request to fuzz")
			}
			hs := map[string]string{}
			for _, h := range headers {
				k, v, ok := strings.Cut(h, ":")
				if !ok || strings.TrimSpace(k) == "" {
					return usagef("--header %q: use 'Name: value'", h)
				}
				hs[strings.TrimSpace(k)] = strings.TrimSpace(v)
			}
			var cats []string
			for _, c := range strings.Split(categories, ",") {
				if c = strings.TrimSpace(c); c != "" {
					cats = append(cats, c)
				}
			}
			c, ns, err := a.connect()
			if err != nil {
				return err
			}
			return a.startFuzz(cmd.Context(), c, "/api/v1/fuzzing/quick-fuzz", map[string]any{"url": target,
				"method": strings.ToUpper(method), "body": body, "customHeaders": hs, "categories": cats, "namespace": ns}, &ff)
		}),
	}
	f := cmd.Flags()
	f.StringVar(&target, "url", "", "the request's URL")
	f.StringVar(&method, "method", "GET", "the request's method")
	f.StringVar(&body, "body", "", "the request's body (JSON fields are fuzzed)")
	f.StringVar(&categories, "categories", "", "payload categories, comma-separated (GET /api/v1/fuzzing/payload-categories)")
	f.StringArrayVar(&headers, "header", nil, "'Name: value' sent with every request (repeatable)")
	ff.add(cmd)
	return cmd
}

// startFuzz starts a run, and with --wait follows it and judges its findings.
func (a *app) startFuzz(ctx context.Context, c *client, path string, body map[string]any, ff *fuzzFlags) error {
	raw, err := c.call(ctx, request{method: http.MethodPost, path: path, body: body})
	if err != nil {
		return err
	}
	run, err := decodeObject(raw)
	if err != nil {
		return err
	}
	id := text(run["id"])
	if id == "" {
		return fmt.Errorf("the server started a run without an id: %s", oneLine(string(raw), 200))
	}
	if !ff.wait {
		return a.emit(raw, func(w io.Writer) error {
			fmt.Fprintln(w, id)
			return nil
		})
	}
	var res struct {
		Status        string `json:"status"`
		Message       string `json:"message"`
		TotalRequests int64  `json:"totalRequests"`
		TotalFindings int    `json:"totalFindings"`
	}
	result, err := a.followRun(ctx, c, followed{id: id, result: "/api/v1/fuzzing/results/" + pathEscape(id),
		stop: "/api/v1/fuzzing/run/" + pathEscape(id) + "/stop",
		read: func(raw []byte) (string, string, error) {
			err := json.Unmarshal(raw, &res)
			return res.Status, fmt.Sprintf("%d requests  %d findings", res.TotalRequests, res.TotalFindings), err
		}}, ff.waitTimeout)
	if err != nil {
		return err
	}
	list, err := c.get(ctx, "/api/v1/fuzzing/findings", url.Values{"runId": {id}})
	if err != nil {
		return err
	}
	var findings []struct {
		Severity, Category, Title, RequestMethod, RequestURL string
		ReproduceCount                                       int64
	}
	if err := json.Unmarshal(list, &findings); err != nil {
		return fmt.Errorf("unreadable findings of run %s: %v", id, err)
	}
	both, _ := json.Marshal(map[string]json.RawMessage{"result": result, "findings": list})
	if ff.resultJSON {
		a.output, both = outJSON, result
	}
	if err := a.emit(both, func(w io.Writer) error {
		fmt.Fprintf(w, "run %s: %s, %d requests, %d findings\n", id, res.Status, res.TotalRequests, len(findings))
		for _, f := range findings {
			fmt.Fprintf(w, "  %-8s  %-16s  %s  (%s %s, %d requests)\n", f.Severity, f.Category, f.Title, f.RequestMethod, f.RequestURL, f.ReproduceCount)
		}
		return nil
	}); err != nil {
		return err
	}
	if res.Status != "completed" {
		return fmt.Errorf("%w: %s: %s (run %s)", errRunFailed, res.Status, res.Message, id)
	}
	if ff.failOn != "none" {
		limit, n := severityIndex(ff.failOn), 0
		for _, f := range findings {
			if i := severityIndex(f.Severity); i >= 0 && i <= limit {
				n++
			}
		}
		if n > 0 {
			return fmt.Errorf("%w: %d findings at or above %s (run %s)", errRunFailed, n, ff.failOn, id)
		}
	}
	return nil
}
