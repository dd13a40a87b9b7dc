package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

// The API tester: run collections (CI) and import them.

func (a *app) runCmd() *cobra.Command {
	return group(&cobra.Command{
		Use:   "run",
		Short: "Run API-tester collections",
		Example: `  mockarty-cli run collection "CI Tests" --wait --format json
  mockarty-cli run collection "CI Tests" --env staging --wait --junit-report results.xml`,
	},
		a.runCollectionCmd(),
	)
}

// findByNameOrID finds one object of a list endpoint by id, else by a
// unique name.
func (a *app) findByNameOrID(ctx context.Context, c *client, path, ns, what, key string) (map[string]any, error) {
	raw, err := c.get(ctx, path, url.Values{"namespace": {ns}})
	if err != nil {
		return nil, err
	}
	var list []map[string]any
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil, fmt.Errorf("unreadable %s list: %v", what, err)
	}
	var byName []map[string]any
	for _, it := range list {
		if text(it["id"]) == key {
			return it, nil
		}
		if text(it["name"]) == key {
			byName = append(byName, it)
		}
	}
	switch len(byName) {
	case 0:
		return nil, fmt.Errorf("no %s %q in namespace %q", what, key, ns)
	case 1:
		return byName[0], nil
	}
	return nil, fmt.Errorf("%d %ss are named %q in namespace %q: give the id", len(byName), what, key, ns)
}

// errRunFailed is a run that ended with failures: exit code 1.
var errRunFailed = errors.New("the run failed")

func (a *app) runCollectionCmd() *cobra.Command {
	var env, junit, format string
	var wait bool
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "collection <name-or-id>",
		Short: "Run a collection (its requests and test scripts) on the server",
		Long: `Run a collection on the server: its requests, pre-request and test scripts
(pm.* / mk.*). With --wait the command follows the run to its end and exits 1
when a test or request failed, which fails a CI job; --junit-report writes the
run as JUnit XML for the CI system to read. Without --wait it prints the run's
id at once (poll it with GET /api/v1/api-tester/test-runs/<id>).`,
		Example: `  mockarty-cli run collection "CI Tests" --wait --format json
  mockarty-cli run collection 0b6e... --env staging --wait --junit-report results.xml`,
		Args: exactArgs("<name-or-id>"),
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			switch format {
			case "":
			case outJSON, outYAML, outTable:
				a.output = format
			default:
				return usagef("--format %q: use table, json or yaml", format)
			}
			if junit != "" && !wait {
				return usagef("--junit-report needs --wait (the report is written when the run ends)")
			}
			c, ns, err := a.connect()
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			col, err := a.findByNameOrID(ctx, c, "/api/v1/api-tester/collections", ns, "collection", args[0])
			if err != nil {
				return err
			}
			body := map[string]any{"wait": 0}
			if env != "" {
				e, err := a.findByNameOrID(ctx, c, "/api/v1/api-tester/environments", ns, "environment", env)
				if err != nil {
					return err
				}
				body["environmentId"] = text(e["id"])
			}
			raw, err := c.call(ctx, request{method: http.MethodPost, path: "/api/v1/api-tester/collections/" + pathEscape(text(col["id"])) + "/execute", body: body})
			if err != nil {
				return err
			}
			var run map[string]any
			if err := json.Unmarshal(raw, &run); err != nil {
				return err
			}
			id := text(run["id"])
			if !wait {
				return a.emit(raw, func(w io.Writer) error {
					fmt.Fprintf(w, "run %s started (%s)\n", id, text(run["status"]))
					return nil
				})
			}
			deadline := time.Now().Add(timeout)
			for {
				raw, err = c.get(ctx, "/api/v1/api-tester/test-runs/"+pathEscape(id), nil)
				if err != nil {
					return err
				}
				if err := json.Unmarshal(raw, &run); err != nil {
					return err
				}
				st := text(run["status"])
				if st == "completed" || st == "failed" || st == "cancelled" {
					break
				}
				if time.Now().After(deadline) {
					return fmt.Errorf("run %s still %s after %s (it goes on on the server)", id, st, timeout)
				}
				select {
				case <-ctx.Done():
					return ctx.Err()
				case <-time.After(500 * time.Millisecond):
				}
			}
			if junit != "" {
				xml, err := c.get(ctx, "/api/v1/api-tester/test-runs/"+pathEscape(id)+"/export", url.Values{"format": {"junit"}})
				if err != nil {
					return err
				}
				if err := os.WriteFile(junit, xml, 0o644); err != nil {
					return fmt.Errorf("write the JUnit report: %v", err)
				}
			}
			if err := a.emit(raw, func(w io.Writer) error { return runTable(w, run) }); err != nil {
				return err
			}
			if text(run["status"]) != "completed" {
				return fmt.Errorf("%w: %s, %v of %v tests failed (run %s)", errRunFailed, text(run["status"]), run["failedTests"], run["totalTests"], id)
			}
			return nil
		}),
	}
	cmd.Flags().StringVar(&env, "env", "", "environment (name or id; default: the namespace's active one)")
	cmd.Flags().BoolVar(&wait, "wait", false, "follow the run to its end; exit 1 when it failed")
	cmd.Flags().StringVar(&format, "format", "", "output format: table, json or yaml (as --output)")
	cmd.Flags().StringVar(&junit, "junit-report", "", "write the run as JUnit XML to this file (with --wait)")
	cmd.Flags().DurationVar(&timeout, "wait-timeout", 30*time.Minute, "give up following the run after this long")
	return cmd
}

// runTable prints a run's steps and totals.
func runTable(w io.Writer, run map[string]any) error {
	row(w, "#", "REQUEST", "STATUS", "TESTS", "FAILED")
	for i, it := range items(run, "results") {
		r, _ := it.(map[string]any)
		failed := []string{}
		asserts := items(r, "assertions")
		for _, as := range asserts {
			if field(as, "passed") == false {
				failed = append(failed, text(field(as, "name")))
			}
		}
		row(w, fmt.Sprint(i+1), text(field(r, "requestName")), text(field(r, "status")), fmt.Sprint(len(asserts)), strings.Join(failed, "; "))
	}
	fmt.Fprintf(w, "\n%s: %v passed, %v failed, %v skipped of %v tests in %v ms\n", text(run["status"]), run["passedTests"],
		run["failedTests"], run["skippedTests"], run["totalTests"], run["duration"])
	return nil
}

// importCollectionCmd imports a document as an API-tester collection.
func (a *app) importCollectionCmd(kind, short, example string) *cobra.Command {
	var file string
	cmd := &cobra.Command{
		Use:     kind,
		Short:   short,
		Example: example,
		Args:    exactArgs(),
		RunE: runE(func(cmd *cobra.Command, _ []string) error {
			return a.importCollection(cmd, kind, file)
		}),
	}
	cmd.Flags().StringVarP(&file, "file", "f", "", "the file (\"-\" reads standard input)")
	return cmd
}

func (a *app) importCollection(cmd *cobra.Command, kind, file string) error {
	if file == "" {
		return usagef("give --file")
	}
	c, ns, err := a.connect()
	if err != nil {
		return err
	}
	content, err := a.readInput(file)
	if err != nil {
		return err
	}
	raw, err := c.call(cmd.Context(), request{method: http.MethodPost, path: "/api/v1/api-tester/import/" + kind,
		body: map[string]any{"data": string(content), "namespace": ns}})
	if err != nil {
		return err
	}
	return a.emit(raw, func(w io.Writer) error {
		resp, err := decodeObject(raw)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "collection %s (%s): %s\n", text(field(resp, "collectionId")), text(field(resp, "name")), text(field(resp, "message")))
		for _, warn := range items(resp, "warnings") {
			fmt.Fprintf(w, "warning: %s\n", strings.TrimSpace(text(warn)))
		}
		return nil
	})
}
