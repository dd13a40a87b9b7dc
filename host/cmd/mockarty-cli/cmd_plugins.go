package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/spf13/cobra"
)

// pluginSettingsCmd reads and changes a plugin's settings at run time.
func (a *app) pluginSettingsCmd() *cobra.Command {
	return group(&cobra.Command{
		Use:   "settings",
		Short: "Read and change a plugin's settings (applied by a graceful reload, kept across restarts)",
		Example: `  mockarty-cli plugins settings get smtp
  mockarty-cli plugins settings set rabbitmq servers.rabbit-main.url=amqp://guest:guest@127.0.0.1:5672/
  mockarty-cli plugins settings set smtp --json '{"servers":[{"address":"127.0.0.1:2525","serverName":"smtp-mock"}]}' --replace`,
	}, a.pluginSettingsGetCmd(), a.pluginSettingsSetCmd())
}

func (a *app) pluginSettingsGetCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "get <name>",
		Short:   "Show a plugin's settings",
		Long:    "Show the settings a plugin runs with; -o json adds the JSON Schema they follow.",
		Example: `  mockarty-cli plugins settings get rabbitmq`,
		Args:    exactArgs("<name>"),
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			c, _, err := a.connect()
			if err != nil {
				return err
			}
			raw, err := c.get(cmd.Context(), "/api/v1/plugins/"+pathEscape(args[0])+"/settings", nil)
			if err != nil {
				return err
			}
			return a.emit(raw, func(w io.Writer) error { return writeSettings(w, raw) })
		}),
	}
}

func (a *app) pluginSettingsSetCmd() *cobra.Command {
	var (
		jsonDoc, file string
		replace       bool
	)
	cmd := &cobra.Command{
		Use:   "set <name> [key=value ...]",
		Short: "Change a plugin's settings",
		Long: `Change a plugin's settings. Each key=value sets one setting (a dotted key reaches
into objects: servers.main.url=...); the value is JSON when it parses as JSON, else a
string, and null removes the setting. --json (or --file, "-" for standard input) gives
an object of settings instead. The change is merged into the current settings (a JSON
merge patch); with --replace the object replaces them all. The server checks the
settings against the plugin's JSON Schema, reloads the plugin gracefully, keeps them
in its plugins configuration file, and answers once the plugin runs with them.`,
		Example: `  mockarty-cli plugins settings set rabbitmq servers.rabbit-main.url=amqp://guest:guest@127.0.0.1:5672/
  mockarty-cli plugins settings set http maxBodyBytes=1048576 allowPrivateProxy=true
  mockarty-cli plugins settings set socket --json '{"maxMessageBytes": 65536}'
  mockarty-cli plugins settings set smtp --file smtp-settings.json --replace`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usagef("%q takes <name> and settings (key=value, --json or --file)", cmd.CommandPath())
			}
			return nil
		},
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			name, pairs := args[0], args[1:]
			given := 0
			for _, set := range []bool{len(pairs) > 0, jsonDoc != "", file != ""} {
				if set {
					given++
				}
			}
			if given != 1 {
				return usagef("give the settings one way: key=value arguments, --json or --file")
			}
			if replace && len(pairs) > 0 {
				return usagef("--replace needs the whole settings object: use --json or --file")
			}
			var doc []byte
			switch {
			case jsonDoc != "":
				doc = []byte(jsonDoc)
			case file != "":
				raw, err := a.readInput(file)
				if err != nil {
					return err
				}
				if doc, err = toJSON(raw, file); err != nil {
					return err
				}
			default:
				obj, err := settingsFromPairs(pairs)
				if err != nil {
					return err
				}
				if doc, err = json.Marshal(obj); err != nil {
					return err
				}
			}
			if first := firstByte(doc); first != '{' {
				return usagef("the settings must be a JSON object")
			}
			c, _, err := a.connect()
			if err != nil {
				return err
			}
			method := http.MethodPatch
			if replace {
				method = http.MethodPut
			}
			raw, err := c.call(cmd.Context(), request{method: method,
				path: "/api/v1/plugins/" + pathEscape(name) + "/settings", body: doc})
			if err != nil {
				return err
			}
			return a.emit(raw, func(w io.Writer) error {
				resp, err := decodeObject(raw)
				if err != nil {
					return err
				}
				fmt.Fprintf(w, "Plugin %q runs with the new settings (state %s).\n", name, text(field(resp, "plugin", "state")))
				return writeSettings(w, raw)
			})
		}),
	}
	cmd.Flags().StringVar(&jsonDoc, "json", "", "the settings as a JSON object")
	cmd.Flags().StringVarP(&file, "file", "f", "", `read the settings (JSON or YAML) from a file ("-": standard input)`)
	cmd.Flags().BoolVar(&replace, "replace", false, "replace every setting instead of merging")
	return cmd
}

// settingsFromPairs turns key=value arguments into a merge patch.
func settingsFromPairs(pairs []string) (map[string]any, error) {
	out := map[string]any{}
	for _, p := range pairs {
		key, value, ok := strings.Cut(p, "=")
		if !ok || key == "" {
			return nil, usagef("%q: write settings as key=value", p)
		}
		var v any = value
		if json.Valid([]byte(value)) {
			v = json.RawMessage(value)
		}
		parts := strings.Split(key, ".")
		obj := out
		for i, part := range parts {
			if part == "" {
				return nil, usagef("%q: a key has no empty parts", key)
			}
			if i == len(parts)-1 {
				obj[part] = v
				break
			}
			next, ok := obj[part].(map[string]any)
			if !ok {
				if _, taken := obj[part]; taken {
					return nil, usagef("%q: %s is set to a value and reached into at once", key, strings.Join(parts[:i+1], "."))
				}
				next = map[string]any{}
				obj[part] = next
			}
			obj = next
		}
	}
	return out, nil
}

// writeSettings prints the settings object of an answer, indented.
func writeSettings(w io.Writer, raw []byte) error {
	var resp struct {
		Settings json.RawMessage `json:"settings"`
	}
	if err := json.Unmarshal(raw, &resp); err != nil {
		return fmt.Errorf("the server's answer is not JSON: %v", err)
	}
	var buf bytes.Buffer
	if err := json.Indent(&buf, resp.Settings, "", "  "); err != nil {
		return fmt.Errorf("the server's settings are not JSON: %v", err)
	}
	buf.WriteByte('\n')
	_, err := w.Write(buf.Bytes())
	return err
}
