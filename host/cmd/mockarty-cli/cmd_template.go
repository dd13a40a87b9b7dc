package main

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"

	"github.com/spf13/cobra"
)

func (a *app) templateCmd() *cobra.Command {
	return group(&cobra.Command{
		Use:     "template",
		Aliases: []string{"templates"},
		Short:   "Manage payload template files (response.payloadTemplatePath)",
		Example: `  mockarty-cli template upload ./users.json
  mockarty-cli template list
  mockarty-cli template get users.json
  mockarty-cli template delete users.json`,
	},
		a.templateListCmd(),
		a.templateGetCmd(),
		a.templateUploadCmd(),
		a.templateDeleteCmd(),
	)
}

func (a *app) templateListCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "list",
		Short:   "List the template files of a namespace",
		Example: `  mockarty-cli template list -n staging`,
		Args:    exactArgs(),
		RunE: runE(func(cmd *cobra.Command, _ []string) error {
			c, ns, err := a.connect()
			if err != nil {
				return err
			}
			raw, err := c.get(cmd.Context(), "/api/v1/templates", url.Values{"namespace": {ns}})
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
					fmt.Fprintf(w, "No templates in namespace %q.\n", ns)
					return nil
				}
				row(w, "NAME", "SIZE", "UPDATED")
				for _, t := range list {
					row(w, text(field(t, "name")), text(field(t, "size")), millis(field(t, "updatedAt")))
				}
				return nil
			})
		}),
	}
}

func (a *app) templateGetCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "get <name>",
		Short: "Print a template file",
		Long: `Print a template file as it is stored. With -o json or -o yaml the content
comes wrapped: {"name", "namespace", "content"}.`,
		Example: `  mockarty-cli template get users.json > users.json`,
		Args:    exactArgs("<name>"),
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			c, ns, err := a.connect()
			if err != nil {
				return err
			}
			raw, err := c.get(cmd.Context(), "/api/v1/templates/"+pathEscape(args[0]), url.Values{"namespace": {ns}})
			if err != nil {
				return err
			}
			if a.output == outTable {
				_, err := a.stdout.Write(raw)
				return err
			}
			return a.emitValue(map[string]string{"name": args[0], "namespace": ns, "content": string(raw)}, nil)
		}),
	}
}

func (a *app) templateUploadCmd() *cobra.Command {
	var name string
	cmd := &cobra.Command{
		Use:   "upload <file>",
		Short: "Upload (or replace) a template file",
		Long: `Upload a file as a template. It is stored under its base name unless
--name says otherwise; "-" reads standard input and needs --name.`,
		Example: `  mockarty-cli template upload ./users.json
  mockarty-cli template upload ./v2.json --name users.json -n staging
  echo '{"ok": true}' | mockarty-cli template upload - --name ok.json`,
		Args: exactArgs("<file>"),
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			if name == "" {
				if args[0] == "-" {
					return usagef("reading standard input needs --name")
				}
				name = filepath.Base(args[0])
			}
			content, err := a.readInput(args[0])
			if err != nil {
				return err
			}
			c, ns, err := a.connect()
			if err != nil {
				return err
			}
			// The {"content"} wrapper keeps the file exactly as it is, even a
			// file that itself looks like the wrapper.
			res, err := c.send(cmd.Context(), request{method: http.MethodPut, path: "/api/v1/templates/" + pathEscape(name),
				query: url.Values{"namespace": {ns}}, body: map[string]string{"content": string(content)}})
			if err != nil {
				return err
			}
			if res.status < 200 || res.status > 299 {
				return c.apiError(res)
			}
			return a.emit(res.body, func(w io.Writer) error {
				what := "uploaded"
				if res.status == http.StatusOK {
					what = "replaced"
				}
				fmt.Fprintf(w, "Template %q %s in namespace %q (%d bytes).\n", name, what, ns, len(content))
				return nil
			})
		}),
	}
	cmd.Flags().StringVar(&name, "name", "", "file name on the server (default: the file's base name)")
	return cmd
}

func (a *app) templateDeleteCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "delete <name>",
		Short:   "Delete a template file",
		Example: `  mockarty-cli template delete users.json`,
		Args:    exactArgs("<name>"),
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			c, ns, err := a.connect()
			if err != nil {
				return err
			}
			raw, err := c.call(cmd.Context(), request{method: http.MethodDelete, path: "/api/v1/templates/" + pathEscape(args[0]),
				query: url.Values{"namespace": {ns}}})
			if err != nil {
				return err
			}
			return a.emit(raw, func(w io.Writer) error {
				fmt.Fprintf(w, "Template %q deleted from namespace %q.\n", args[0], ns)
				return nil
			})
		}),
	}
}
