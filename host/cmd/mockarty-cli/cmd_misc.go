package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"

	"github.com/spf13/cobra"
)

func (a *app) pluginsCmd() *cobra.Command {
	return group(&cobra.Command{
		Use:     "plugins",
		Aliases: []string{"plugin"},
		Short:   "List, restart and configure the server's protocol plugins",
		Example: `  mockarty-cli plugins list
  mockarty-cli plugins restart http
  mockarty-cli plugins settings get smtp
  mockarty-cli plugins settings set http maxBodyBytes=1048576`,
	},
		a.pluginSettingsCmd(),
		&cobra.Command{
			Use:     "list",
			Short:   "List the loaded plugins and their state",
			Example: `  mockarty-cli plugins list`,
			Args:    exactArgs(),
			RunE: runE(func(cmd *cobra.Command, _ []string) error {
				c, _, err := a.connect()
				if err != nil {
					return err
				}
				raw, err := c.get(cmd.Context(), "/api/v1/plugins", nil)
				if err != nil {
					return err
				}
				return a.emit(raw, func(w io.Writer) error {
					resp, err := decodeObject(raw)
					if err != nil {
						return err
					}
					list := items(resp, "plugins")
					if len(list) == 0 {
						fmt.Fprintln(w, "No plugins loaded.")
						return nil
					}
					row(w, "NAME", "KIND", "STATE", "PID", "RESTARTS", "ADDRESSES", "LAST ERROR")
					for _, p := range list {
						row(w, text(field(p, "name")), text(field(p, "kind")), text(field(p, "state")), text(field(p, "pid")),
							text(field(p, "restarts")), text(field(p, "addresses")), text(field(p, "lastError")))
					}
					return nil
				})
			}),
		},
		&cobra.Command{
			Use:     "restart <name>",
			Short:   "Restart a plugin (it reads its settings from the plugins configuration file again)",
			Example: `  mockarty-cli plugins restart http`,
			Args:    exactArgs("<name>"),
			RunE: runE(func(cmd *cobra.Command, args []string) error {
				c, _, err := a.connect()
				if err != nil {
					return err
				}
				raw, err := c.call(cmd.Context(), request{method: http.MethodPost,
					path: "/api/v1/plugins/" + pathEscape(args[0]) + "/restart"})
				if err != nil {
					return err
				}
				return a.emit(raw, func(w io.Writer) error {
					fmt.Fprintf(w, "Plugin %q is restarting.\n", args[0])
					return nil
				})
			}),
		},
	)
}

func (a *app) healthCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "health",
		Short: "Check that the server is up",
		Long:  "Show the server's health. The exit code is 0 only when the server reports \"up\".",
		Example: `  mockarty-cli health
  mockarty-cli health --server http://mockarty.internal:5770 -o json`,
		Args: exactArgs(),
		RunE: runE(func(cmd *cobra.Command, _ []string) error {
			c, _, err := a.connect()
			if err != nil {
				return err
			}
			res, err := c.send(cmd.Context(), request{method: http.MethodGet, path: "/health"})
			if err != nil {
				return err
			}
			// 503 carries the health document too (the database is down).
			var h map[string]any
			if res.status != http.StatusOK && res.status != http.StatusServiceUnavailable {
				return c.apiError(res)
			}
			if h, err = decodeObject(res.body); err != nil || h["status"] == nil {
				return c.apiError(res)
			}
			err = a.emit(res.body, func(w io.Writer) error {
				row(w, "SERVER", "STATUS", "RELEASE", "UPTIME")
				row(w, c.base, text(h["status"]), text(h["releaseId"]), text(h["uptime"]))
				checks, _ := h["checks"].(map[string]any)
				if len(checks) > 0 {
					fmt.Fprintln(w)
					row(w, "CHECK", "STATUS", "DETAIL")
					for _, k := range sortedKeys(checks) {
						ch := checks[k]
						detail := text(field(ch, "output"))
						if detail == "" {
							detail = text(field(ch, "driver")) + text(field(ch, "type"))
						}
						row(w, k, text(field(ch, "status")), detail)
					}
				}
				return nil
			})
			if err != nil {
				return err
			}
			if h["status"] != "up" {
				return fmt.Errorf("the server at %s reports status %q (HTTP %d)", c.base, text(h["status"]), res.status)
			}
			return nil
		}),
	}
}

func (a *app) versionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version of mockarty-cli",
		Example: `  mockarty-cli version
  mockarty-cli version -o json`,
		Args: exactArgs(),
		RunE: runE(func(_ *cobra.Command, _ []string) error {
			return a.emitValue(map[string]string{"client": "mockarty-cli", "version": releaseID}, func(w io.Writer) error {
				fmt.Fprintln(w, "mockarty-cli "+releaseID)
				return nil
			})
		}),
	}
}

func (a *app) configCmd() *cobra.Command {
	keyList := "server, token or namespace"
	validKey := func(k string) error {
		for _, x := range configKeys {
			if k == x {
				return nil
			}
		}
		return usagef("unknown config key %q: use %s", k, keyList)
	}
	set := &cobra.Command{
		Use:   "set <key> <value>",
		Short: "Save a setting (server, token or namespace) in ~/.mockarty-cli/config.yaml",
		Long: `Save a setting in ~/.mockarty-cli/config.yaml (mode 0600). Flags and the
MOCKARTY_SERVER, MOCKARTY_TOKEN and MOCKARTY_NAMESPACE environment variables
still override it.`,
		Example: `  mockarty-cli config set server http://mockarty.internal:5770
  mockarty-cli config set token mk_YOUR_TOKEN
  mockarty-cli config set namespace sandbox`,
		Args:      exactArgs("<key>", "<value>"),
		ValidArgs: configKeys,
		RunE: runE(func(_ *cobra.Command, args []string) error {
			key, value := args[0], args[1]
			if err := validKey(key); err != nil {
				return err
			}
			switch key {
			case "server":
				v, err := normaliseServer(value)
				if err != nil {
					return &usageError{msg: err.Error()}
				}
				value = v
			case "namespace":
				if err := checkNamespace(value); err != nil {
					return &usageError{msg: err.Error()}
				}
			case "token":
				if value == "" {
					return usagef("the token is empty; use mockarty-cli config unset token to remove it")
				}
			}
			path, err := a.configPath()
			if err != nil {
				return err
			}
			cfg, err := loadConfig(path)
			if err != nil {
				return err
			}
			cfg.set(key, value)
			if err := saveConfig(path, cfg); err != nil {
				return err
			}
			shown := value
			if key == "token" {
				shown = maskToken(value)
			}
			return a.emitValue(map[string]string{"key": key, "value": shown, "configFile": path}, func(w io.Writer) error {
				fmt.Fprintf(w, "Saved %s = %s in %s.\n", key, shown, path)
				return nil
			})
		}),
	}
	unset := &cobra.Command{
		Use:       "unset <key>",
		Short:     "Remove a setting from the config file",
		Example:   `  mockarty-cli config unset token`,
		Args:      exactArgs("<key>"),
		ValidArgs: configKeys,
		RunE: runE(func(_ *cobra.Command, args []string) error {
			if err := validKey(args[0]); err != nil {
				return err
			}
			path, err := a.configPath()
			if err != nil {
				return err
			}
			cfg, err := loadConfig(path)
			if err != nil {
				return err
			}
			cfg.set(args[0], "")
			if err := saveConfig(path, cfg); err != nil {
				return err
			}
			return a.emitValue(map[string]string{"key": args[0], "configFile": path}, func(w io.Writer) error {
				fmt.Fprintf(w, "Removed %s from %s.\n", args[0], path)
				return nil
			})
		}),
	}
	var showToken bool
	view := &cobra.Command{
		Use:   "view",
		Short: "Show the settings in effect and where each comes from",
		Example: `  mockarty-cli config view
  MOCKARTY_NAMESPACE=staging mockarty-cli config view -o json`,
		Args: exactArgs(),
		RunE: runE(func(_ *cobra.Command, _ []string) error {
			s, err := a.resolve()
			if err != nil {
				return err
			}
			if !showToken {
				s.Token.Value = maskToken(s.Token.Value)
			}
			out := map[string]any{"configFile": s.ConfigFile, "server": s.Server, "token": s.Token, "namespace": s.Namespace}
			raw, err := json.Marshal(out)
			if err != nil {
				return err
			}
			return a.emit(raw, func(w io.Writer) error {
				row(w, "KEY", "VALUE", "SOURCE")
				for _, k := range configKeys {
					st := out[k].(setting)
					row(w, k, st.Value, st.Source)
				}
				fmt.Fprintf(w, "\nConfig file: %s\n", s.ConfigFile)
				return nil
			})
		}),
	}
	view.Flags().BoolVar(&showToken, "show-token", false, "show the whole token")
	return group(&cobra.Command{
		Use:   "config",
		Short: "View and change the saved settings",
		Example: `  mockarty-cli config set token mk_YOUR_TOKEN
  mockarty-cli config view`,
	}, set, unset, view)
}
