package main

import (
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/spf13/cobra"
)

func (a *app) namespaceCmd() *cobra.Command {
	return group(&cobra.Command{
		Use:     "namespace",
		Aliases: []string{"ns", "namespaces"},
		Short:   "List, create and copy between namespaces",
		Example: `  mockarty-cli namespace list
  mockarty-cli namespace create staging
  mockarty-cli namespace copy --from staging --to production --ids mock-1,mock-2`,
	},
		a.namespaceListCmd(),
		a.namespaceCreateCmd(),
		a.namespaceCopyCmd(),
	)
}

func (a *app) namespaceListCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "list",
		Short:   "List the namespaces",
		Example: `  mockarty-cli namespace list`,
		Args:    exactArgs(),
		RunE: runE(func(cmd *cobra.Command, _ []string) error {
			c, _, err := a.connect()
			if err != nil {
				return err
			}
			raw, err := c.get(cmd.Context(), "/api/v1/namespaces", nil)
			if err != nil {
				return err
			}
			return a.emit(raw, func(w io.Writer) error {
				resp, err := decodeObject(raw)
				if err != nil {
					return err
				}
				row(w, "NAMESPACE")
				for _, n := range items(resp, "namespaces") {
					row(w, text(n))
				}
				return nil
			})
		}),
	}
}

func (a *app) namespaceCreateCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "create <name>",
		Short:   "Create a namespace",
		Example: `  mockarty-cli namespace create staging`,
		Args:    exactArgs("<name>"),
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			if err := checkNamespace(args[0]); err != nil {
				return &usageError{msg: err.Error()}
			}
			c, _, err := a.connect()
			if err != nil {
				return err
			}
			raw, err := c.call(cmd.Context(), request{method: http.MethodPost, path: "/api/v1/namespaces",
				body: map[string]string{"name": args[0]}})
			if err != nil {
				return err
			}
			return a.emit(raw, func(w io.Writer) error {
				fmt.Fprintf(w, "Namespace %q created.\n", args[0])
				return nil
			})
		}),
	}
}

func (a *app) namespaceCopyCmd() *cobra.Command {
	var from, to string
	var ids []string
	cmd := &cobra.Command{
		Use:   "copy",
		Short: "Copy mocks into another namespace",
		Long: `Copy mocks into another namespace. The copies get new ids <id>-<namespace>
(numbered when taken). With --from, every mock must be in that namespace.`,
		Example: `  mockarty-cli namespace copy \
    --from staging --to production \
    --ids mock-1,mock-2`,
		Args: exactArgs(),
		RunE: runE(func(cmd *cobra.Command, _ []string) error {
			var clean []string
			for _, id := range ids {
				if id = strings.TrimSpace(id); id != "" {
					clean = append(clean, id)
				}
			}
			if len(clean) == 0 {
				return usagef("--ids needs at least one mock id")
			}
			if err := checkNamespace(to); err != nil {
				return usagef("--to: %v", err)
			}
			if from != "" {
				if err := checkNamespace(from); err != nil {
					return usagef("--from: %v", err)
				}
			}
			c, _, err := a.connect()
			if err != nil {
				return err
			}
			body := map[string]any{"mockIds": clean, "targetNamespace": to}
			if from != "" {
				body["sourceNamespace"] = from
			}
			raw, err := c.call(cmd.Context(), request{method: http.MethodPost, path: "/api/v1/mocks/copy-to-namespace", body: body})
			if err != nil {
				return err
			}
			return a.emit(raw, func(w io.Writer) error {
				resp, err := decodeObject(raw)
				if err != nil {
					return err
				}
				row(w, "SOURCE ID", "COPY ID", "NAMESPACE")
				for _, id := range clean {
					if copyID := text(field(resp, "idMap", id)); copyID != "" {
						row(w, id, copyID, to)
					}
				}
				return nil
			})
		}),
	}
	f := cmd.Flags()
	f.StringVar(&from, "from", "", "namespace the mocks must be in (optional check)")
	f.StringVar(&to, "to", "", "namespace to copy into")
	f.StringSliceVar(&ids, "ids", nil, "mock ids, comma separated (or repeat the flag)")
	_ = cmd.MarkFlagRequired("to")
	_ = cmd.MarkFlagRequired("ids")
	return cmd
}
