package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"

	"github.com/spf13/cobra"
)

func (a *app) undefinedCmd() *cobra.Command {
	return group(&cobra.Command{
		Use:   "undefined",
		Short: "Requests no mock matched: list them, turn them into mocks, clear them",
		Example: `  mockarty-cli undefined list
  mockarty-cli undefined create-mock 3f6c0a1e-...
  mockarty-cli undefined clear`,
	},
		a.undefinedListCmd(),
		a.undefinedClearCmd(),
		a.undefinedCreateMockCmd(),
	)
}

// undefinedQuery narrows to the namespace unless all namespaces are asked for.
func undefinedQuery(ns string, all bool) url.Values {
	if all {
		return url.Values{}
	}
	return url.Values{"namespace": {ns}}
}

func (a *app) undefinedListCmd() *cobra.Command {
	var (
		limit int
		all   bool
	)
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the requests no mock matched",
		Example: `  mockarty-cli undefined list
  mockarty-cli undefined list --all-namespaces -o json`,
		Args: exactArgs(),
		RunE: runE(func(cmd *cobra.Command, _ []string) error {
			if limit < 0 {
				return usagef("--limit must not be negative")
			}
			c, ns, err := a.connect()
			if err != nil {
				return err
			}
			q := undefinedQuery(ns, all)
			if limit > 0 {
				q.Set("limit", strconv.Itoa(limit))
			}
			raw, err := c.get(cmd.Context(), "/api/v1/undefined-requests", q)
			if err != nil {
				return err
			}
			return a.emit(raw, func(w io.Writer) error {
				resp, err := decodeObject(raw)
				if err != nil {
					return err
				}
				list := items(resp, "items")
				if len(list) == 0 {
					fmt.Fprintln(w, "No undefined requests.")
					return nil
				}
				row(w, "ID", "NAMESPACE", "PROTOCOL", "METHOD", "PATH", "COUNT", "LAST SEEN")
				for _, u := range list {
					row(w, text(field(u, "id")), text(field(u, "namespace")), text(field(u, "protocol")), text(field(u, "method")),
						text(field(u, "path")), text(field(u, "count")), millis(field(u, "lastSeen")))
				}
				return nil
			})
		}),
	}
	cmd.Flags().IntVar(&limit, "limit", 0, "at most this many (server default 100)")
	cmd.Flags().BoolVarP(&all, "all-namespaces", "A", false, "every namespace, not only the current one")
	return cmd
}

func (a *app) undefinedClearCmd() *cobra.Command {
	var all bool
	cmd := &cobra.Command{
		Use:   "clear",
		Short: "Delete the recorded undefined requests",
		Example: `  mockarty-cli undefined clear
  mockarty-cli undefined clear --all-namespaces`,
		Args: exactArgs(),
		RunE: runE(func(cmd *cobra.Command, _ []string) error {
			c, ns, err := a.connect()
			if err != nil {
				return err
			}
			raw, err := c.call(cmd.Context(), request{method: http.MethodDelete, path: "/api/v1/undefined-requests/all",
				query: undefinedQuery(ns, all)})
			if err != nil {
				return err
			}
			return a.emit(raw, func(w io.Writer) error {
				resp, err := decodeObject(raw)
				if err != nil {
					return err
				}
				where := fmt.Sprintf("namespace %q", ns)
				if all {
					where = "all namespaces"
				}
				fmt.Fprintf(w, "Cleared %s undefined request(s) in %s.\n", text(resp["deleted"]), where)
				return nil
			})
		}),
	}
	cmd.Flags().BoolVarP(&all, "all-namespaces", "A", false, "every namespace, not only the current one")
	return cmd
}

func (a *app) undefinedCreateMockCmd() *cobra.Command {
	var mockID, mockData string
	cmd := &cobra.Command{
		Use:   "create-mock <request-id>",
		Short: "Create a mock that answers a recorded undefined request",
		Long: `Create a mock that answers a recorded undefined request (200 with {} for
HTTP). --mock-data is JSON merged into the generated mock; --mock-id names it.
The undefined request is removed once the mock exists.`,
		Example: `  mockarty-cli undefined create-mock 3f6c0a1e-9b1d-4c55-8a63-1f0e2d3c4b5a
  mockarty-cli undefined create-mock 3f6c0a1e-... --mock-id users-list \
    --mock-data '{"response": {"statusCode": 200, "payload": {"users": []}}}'`,
		Args: exactArgs("<request-id>"),
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			data := map[string]json.RawMessage{}
			if mockData != "" {
				if err := json.Unmarshal([]byte(mockData), &data); err != nil {
					return usagef("--mock-data must be a JSON object: %v", err)
				}
			}
			if mockID != "" {
				data["id"], _ = json.Marshal(mockID)
			}
			var body any
			if len(data) > 0 {
				body = map[string]any{"mockData": data}
			}
			c, _, err := a.connect()
			if err != nil {
				return err
			}
			raw, err := c.call(cmd.Context(), request{method: http.MethodPost,
				path: "/api/v1/undefined-requests/" + pathEscape(args[0]) + "/create-mock", body: body})
			if err != nil {
				return err
			}
			return a.emit(raw, func(w io.Writer) error {
				resp, err := decodeObject(raw)
				if err != nil {
					return err
				}
				mockHeader(w)
				mockRow(w, resp["mock"])
				return nil
			})
		}),
	}
	cmd.Flags().StringVar(&mockID, "mock-id", "", "id of the new mock (default: generated)")
	cmd.Flags().StringVar(&mockData, "mock-data", "", "JSON object merged into the generated mock")
	return cmd
}
