package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"

	"github.com/spf13/cobra"
)

// The recording proxy: start a session, stop it, list what it recorded,
// export it as HAR, turn it into mocks.

func (a *app) recorderCmd() *cobra.Command {
	return group(&cobra.Command{
		Use:   "recorder",
		Short: "Record real traffic through a proxy on the server",
		Example: `  mockarty-cli recorder start --target http://localhost:8080
  mockarty-cli recorder entries <session-id>
  mockarty-cli recorder export <session-id> --har shop.har
  mockarty-cli recorder mocks <session-id> --namespace shop
  mockarty-cli recorder stop <session-id>`,
	},
		a.recorderStartCmd(),
		a.recorderSessionCmd("stop", "Stop recording a session", http.MethodPost, "/stop"),
		a.recorderEntriesCmd(),
		a.recorderExportCmd(),
		a.recorderMocksCmd(),
	)
}

// recording is what the commands print of a session.
type recording struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	TargetURL  string `json:"targetUrl"`
	Port       int    `json:"port"`
	Status     string `json:"status"`
	EntryCount int    `json:"entryCount"`
}

func (a *app) printRecording(raw []byte) error {
	var s recording
	if err := json.Unmarshal(raw, &s); err != nil {
		return fmt.Errorf("unreadable session: %v", err)
	}
	return a.emit(raw, func(w io.Writer) error {
		fmt.Fprintln(w, "ID\tNAME\tTARGET\tPORT\tSTATUS\tENTRIES")
		fmt.Fprintf(w, "%s\t%s\t%s\t%d\t%s\t%d\n", s.ID, s.Name, s.TargetURL, s.Port, s.Status, s.EntryCount)
		return nil
	})
}

func (a *app) recorderStartCmd() *cobra.Command {
	var target, name, mode string
	var port int
	cmd := &cobra.Command{
		Use:   "start",
		Short: "Start a recording proxy",
		Long: `Start a recording session (POST /api/v1/recorder/start). In reverse mode (the
default) the app calls the printed port, which forwards to --target; in
forward mode set HTTP_PROXY and HTTPS_PROXY to it.`,
		Example: `  mockarty-cli recorder start --target http://localhost:8080 --port 8081`,
		Args:    exactArgs(),
		RunE: runE(func(cmd *cobra.Command, _ []string) error {
			if target == "" && mode != "forward" {
				return usagef("--target is the URL the recorder forwards to")
			}
			c, ns, err := a.connect()
			if err != nil {
				return err
			}
			body := map[string]any{"targetUrl": target, "name": name, "port": port, "namespace": ns, "mode": mode}
			raw, err := c.call(cmd.Context(), request{method: http.MethodPost, path: "/api/v1/recorder/start", body: body})
			if err != nil {
				return err
			}
			return a.printRecording(raw)
		}),
	}
	f := cmd.Flags()
	f.StringVar(&target, "target", "", "the URL the recorder forwards to (reverse mode)")
	f.StringVar(&name, "name", "", "the session's name (default: the target)")
	f.IntVar(&port, "port", 0, "the port to listen on, 8081-8999 (default: the first free one)")
	f.StringVar(&mode, "mode", "reverse", "reverse or forward")
	return cmd
}

// recorderSessionCmd is an action on one session that answers the session.
func (a *app) recorderSessionCmd(use, short, method, suffix string) *cobra.Command {
	return &cobra.Command{
		Use:     use + " <session-id>",
		Short:   short,
		Example: "  mockarty-cli recorder " + use + " 6f1c2d3e-...",
		Args:    exactArgs("session-id"),
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			c, _, err := a.connect()
			if err != nil {
				return err
			}
			raw, err := c.call(cmd.Context(), request{method: method, path: "/api/v1/recorder/" + pathEscape(args[0]) + suffix})
			if err != nil {
				return err
			}
			return a.printRecording(raw)
		}),
	}
}

func (a *app) recorderEntriesCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "entries <session-id>",
		Short:   "List what a session recorded",
		Example: "  mockarty-cli recorder entries 6f1c2d3e-... -o json",
		Args:    exactArgs("session-id"),
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			c, _, err := a.connect()
			if err != nil {
				return err
			}
			raw, err := c.get(cmd.Context(), "/api/v1/recorder/"+pathEscape(args[0])+"/entries", nil)
			if err != nil {
				return err
			}
			var list []struct {
				Method     string `json:"method"`
				URL        string `json:"url"`
				StatusCode int    `json:"statusCode"`
				Duration   int64  `json:"duration"`
				Error      string `json:"error"`
			}
			if err := json.Unmarshal(raw, &list); err != nil {
				return fmt.Errorf("unreadable entries: %v", err)
			}
			return a.emit(raw, func(w io.Writer) error {
				fmt.Fprintln(w, "METHOD\tURL\tSTATUS\tMS\tERROR")
				for _, e := range list {
					fmt.Fprintf(w, "%s\t%s\t%d\t%d\t%s\n", e.Method, e.URL, e.StatusCode, e.Duration, e.Error)
				}
				return nil
			})
		}),
	}
}

func (a *app) recorderExportCmd() *cobra.Command {
	var file string
	cmd := &cobra.Command{
		Use:     "export <session-id>",
		Short:   "Export a session as a HAR 1.2 file",
		Example: "  mockarty-cli recorder export 6f1c2d3e-... --har shop.har",
		Args:    exactArgs("session-id"),
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			if file == "" {
				return usagef("--har names the file to write (- for standard output)")
			}
			c, _, err := a.connect()
			if err != nil {
				return err
			}
			raw, err := c.call(cmd.Context(), request{method: http.MethodPost, path: "/api/v1/recorder/" + pathEscape(args[0]) + "/export"})
			if err != nil {
				return err
			}
			if file == "-" {
				_, err = a.stdout.Write(raw)
				return err
			}
			if err := os.WriteFile(file, raw, 0o644); err != nil {
				return fmt.Errorf("write %s: %v", file, err)
			}
			fmt.Fprintf(a.stderr, "wrote %s (%d bytes)\n", file, len(raw))
			return nil
		}),
	}
	cmd.Flags().StringVar(&file, "har", "", "the HAR file to write (- for standard output)")
	return cmd
}

func (a *app) recorderMocksCmd() *cobra.Command {
	var namespace, prefix string
	var oneOf bool
	cmd := &cobra.Command{
		Use:     "mocks <session-id>",
		Short:   "Make mocks of what a session recorded",
		Example: "  mockarty-cli recorder mocks 6f1c2d3e-... --namespace shop --one-of",
		Args:    exactArgs("session-id"),
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			c, ns, err := a.connect()
			if err != nil {
				return err
			}
			if namespace == "" {
				namespace = ns
			}
			raw, err := c.call(cmd.Context(), request{method: http.MethodPost, path: "/api/v1/recorder/" + pathEscape(args[0]) + "/mocks",
				body: map[string]any{"namespace": namespace, "prefix": prefix, "oneOf": oneOf}})
			if err != nil {
				return err
			}
			var list []struct {
				ID   string `json:"id"`
				HTTP *struct {
					Route      string `json:"route"`
					HTTPMethod string `json:"httpMethod"`
				} `json:"http"`
			}
			if err := json.Unmarshal(raw, &list); err != nil {
				return fmt.Errorf("unreadable mocks: %v", err)
			}
			return a.emit(raw, func(w io.Writer) error {
				fmt.Fprintln(w, "ID\tMETHOD\tROUTE")
				for _, m := range list {
					if m.HTTP != nil {
						fmt.Fprintf(w, "%s\t%s\t%s\n", m.ID, m.HTTP.HTTPMethod, m.HTTP.Route)
					}
				}
				return nil
			})
		}),
	}
	f := cmd.Flags()
	f.StringVar(&namespace, "namespace", "", "the namespace of the mocks (default: the CLI's)")
	f.StringVar(&prefix, "prefix", "", "a path prefix put before every recorded path")
	f.BoolVar(&oneOf, "one-of", false, "keep every answer of a request recorded several times, in order")
	return cmd
}
