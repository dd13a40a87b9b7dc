package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"github.com/spf13/cobra"
)

func (a *app) storeCmd() *cobra.Command {
	return group(&cobra.Command{
		Use:   "store",
		Short: "Read and write the global and chain stores",
		Example: `  mockarty-cli store global set totalUsers 100
  mockarty-cli store global get
  mockarty-cli store chain set order-flow status PAID`,
	},
		a.storeKindCmd(false),
		a.storeKindCmd(true),
	)
}

// storeKindCmd is "store global" or "store chain": the chain commands take
// the chain id first.
func (a *app) storeKindCmd(chain bool) *cobra.Command {
	name, short, pre, ex := "global", "The global store of a namespace", "", ""
	if chain {
		name, short, pre, ex = "chain", "The store of one chain (its mocks share it as cS)", "<chainId> ", " order-flow"
	}
	return group(&cobra.Command{
		Use:   name,
		Short: short,
		Example: fmt.Sprintf(`  mockarty-cli store %[1]s set%[2]s totalUsers 100
  mockarty-cli store %[1]s get%[2]s
  mockarty-cli store %[1]s delete%[2]s totalUsers`, name, ex),
	},
		a.storeGetCmd(chain, name, pre, ex),
		a.storeSetCmd(chain, name, pre, ex),
		a.storeDeleteCmd(chain, name, pre, ex),
	)
}

// storePath is the API path of a store, with an optional key.
func storePath(chainID string, chain bool, key string) string {
	p := "/api/v1/stores/global"
	if chain {
		p = "/api/v1/stores/chain/" + pathEscape(chainID)
	}
	if key != "" {
		p += "/" + pathEscape(key)
	}
	return p
}

func storeWhat(chain bool, chainID, ns string) string {
	if chain {
		return fmt.Sprintf("the store of chain %q in namespace %q", chainID, ns)
	}
	return fmt.Sprintf("the global store of namespace %q", ns)
}

func (a *app) storeGetCmd(chain bool, name, pre, ex string) *cobra.Command {
	argNames := []string{}
	if chain {
		argNames = append(argNames, "<chainId>")
	}
	return &cobra.Command{
		Use:   "get " + pre + "[key]",
		Short: "Show the whole store, or the value of one key",
		Example: fmt.Sprintf(`  mockarty-cli store %[1]s get%[2]s
  mockarty-cli store %[1]s get%[2]s totalUsers
  mockarty-cli store %[1]s get%[2]s -n staging -o json`, name, ex),
		Args: rangeArgs(argNames, "key"),
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			chainID := ""
			if chain {
				chainID, args = args[0], args[1:]
			}
			c, ns, err := a.connect()
			if err != nil {
				return err
			}
			raw, err := c.get(cmd.Context(), storePath(chainID, chain, ""), url.Values{"namespace": {ns}})
			if err != nil {
				return err
			}
			all, err := decodeObject(raw)
			if err != nil {
				return err
			}
			if len(args) == 1 {
				v, ok := all[args[0]]
				if !ok {
					return fmt.Errorf("key %q is not in %s", args[0], storeWhat(chain, chainID, ns))
				}
				return a.emitValue(v, func(w io.Writer) error {
					if s, ok := v.(string); ok {
						fmt.Fprintln(w, s)
					} else {
						fmt.Fprintln(w, compact(v))
					}
					return nil
				})
			}
			return a.emit(raw, func(w io.Writer) error {
				if len(all) == 0 {
					fmt.Fprintf(w, "No keys in %s.\n", storeWhat(chain, chainID, ns))
					return nil
				}
				row(w, "KEY", "VALUE")
				for _, k := range sortedKeys(all) {
					row(w, k, compact(all[k]))
				}
				return nil
			})
		}),
	}
}

func (a *app) storeSetCmd(chain bool, name, pre, ex string) *cobra.Command {
	var asString bool
	argNames := []string{"<key>", "<value>"}
	if chain {
		argNames = append([]string{"<chainId>"}, argNames...)
	}
	cmd := &cobra.Command{
		Use:   "set " + pre + "<key> <value>",
		Short: "Set a key (the value is JSON when it parses as JSON, else a string)",
		Example: fmt.Sprintf(`  mockarty-cli store %[1]s set%[2]s totalUsers 100
  mockarty-cli store %[1]s set%[2]s serviceName auth
  mockarty-cli store %[1]s set%[2]s user '{"name":"Ann","roles":["admin"]}'
  mockarty-cli store %[1]s set%[2]s code 200 --string   # the string "200", not the number`, name, ex),
		Args: exactArgs(argNames...),
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			chainID := ""
			if chain {
				chainID, args = args[0], args[1:]
			}
			key, value := args[0], args[1]
			var v json.RawMessage
			if !asString && json.Valid([]byte(value)) {
				v = json.RawMessage(value)
			} else {
				v, _ = json.Marshal(value)
			}
			c, ns, err := a.connect()
			if err != nil {
				return err
			}
			raw, err := c.call(cmd.Context(), request{method: http.MethodPost, path: storePath(chainID, chain, ""),
				body: map[string]any{"key": key, "value": v, "namespace": ns}})
			if err != nil {
				return err
			}
			return a.emit(raw, func(w io.Writer) error {
				fmt.Fprintf(w, "Set %s = %s in %s.\n", key, compactRaw(v), storeWhat(chain, chainID, ns))
				return nil
			})
		}),
	}
	cmd.Flags().BoolVar(&asString, "string", false, "store the value as a string even when it looks like JSON")
	return cmd
}

func compactRaw(v json.RawMessage) string {
	var x any
	if json.Unmarshal(v, &x) != nil {
		return string(v)
	}
	return compact(x)
}

func (a *app) storeDeleteCmd(chain bool, name, pre, ex string) *cobra.Command {
	argNames := []string{"<key>"}
	if chain {
		argNames = append([]string{"<chainId>"}, argNames...)
	}
	return &cobra.Command{
		Use:     "delete " + pre + "<key>",
		Short:   "Delete a key",
		Example: fmt.Sprintf(`  mockarty-cli store %s delete%s totalUsers`, name, ex),
		Args:    exactArgs(argNames...),
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			chainID := ""
			if chain {
				chainID, args = args[0], args[1:]
			}
			c, ns, err := a.connect()
			if err != nil {
				return err
			}
			raw, err := c.call(cmd.Context(), request{method: http.MethodDelete, path: storePath(chainID, chain, args[0]),
				query: url.Values{"namespace": {ns}}})
			if err != nil {
				return err
			}
			return a.emit(raw, func(w io.Writer) error {
				fmt.Fprintf(w, "Deleted %s from %s.\n", args[0], storeWhat(chain, chainID, ns))
				return nil
			})
		}),
	}
}
