package main

import (
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/spf13/cobra"
)

// Generators turn a description the user already has into mocks on the
// server (a re-run merges: new operations are added, hand edits kept).

func (a *app) generateCmd() *cobra.Command {
	return group(&cobra.Command{
		Use:   "generate",
		Short: "Generate mocks from an API description (OpenAPI, Swagger)",
		Example: `  mockarty-cli generate openapi --file openapi.yaml --namespace sandbox
  mockarty-cli generate openapi --url https://petstore3.swagger.io/api/v3/openapi.json --preview`,
	},
		a.generateOpenAPICmd(),
	)
}

func (a *app) importCmd() *cobra.Command {
	return group(&cobra.Command{
		Use:   "import",
		Short: "Import API-tester collections (Postman, OpenAPI, Insomnia, HAR), or HAR traffic as mocks",
		Example: `  mockarty-cli import postman --file collection.json
  mockarty-cli import openapi --file openapi.yaml
  mockarty-cli import har --file session.har --collection
  mockarty-cli import har --file session.har --one-of`,
	},
		a.importHARCmd(),
		a.importCollectionCmd("postman", "Import a Postman v2.0/v2.1 collection as an API-tester collection",
			"  mockarty-cli import postman --file collection.json --namespace ci"),
		a.importCollectionCmd("openapi", "Import an OpenAPI/Swagger description as an API-tester collection (one request per operation)",
			"  mockarty-cli import openapi --file openapi.yaml"),
		a.importCollectionCmd("insomnia", "Import an Insomnia v4 export as an API-tester collection",
			"  mockarty-cli import insomnia --file insomnia.json"),
	)
}

// genFlags are what every generator takes besides its document.
type genFlags struct {
	file, url, pathPrefix, serverName, idPrefix string
	preview                                     bool
}

func (f *genFlags) add(cmd *cobra.Command, what string, url bool) {
	cmd.Flags().StringVarP(&f.file, "file", "f", "", what+" file (\"-\" reads standard input)")
	if url {
		cmd.Flags().StringVar(&f.url, "url", "", "fetch the "+what+" from this URL instead (the server fetches it)")
	}
	cmd.Flags().StringVar(&f.pathPrefix, "path-prefix", "", "put this before every route (default: from the description)")
	cmd.Flags().StringVar(&f.serverName, "server-name", "", "serve the mocks on this named server only")
	cmd.Flags().StringVar(&f.idPrefix, "id-prefix", "", "start every mock id with this")
	cmd.Flags().BoolVar(&f.preview, "preview", false, "show what would be generated; save nothing")
}

// body is the generator request the SDKs send: {spec, url, namespace,
// pathPrefix, serverName, idPrefix}.
func (f *genFlags) body(a *app, ns string, needURL bool) (map[string]any, error) {
	switch {
	case f.file == "" && (f.url == "" || !needURL):
		return nil, usagef("give --file%s", map[bool]string{true: " or --url", false: ""}[needURL])
	case f.file != "" && f.url != "":
		return nil, usagef("give --file or --url, not both")
	}
	b := map[string]any{"namespace": ns, "pathPrefix": f.pathPrefix, "serverName": f.serverName, "idPrefix": f.idPrefix}
	if f.url != "" {
		b["url"] = f.url
		return b, nil
	}
	content, err := a.readInput(f.file)
	if err != nil {
		return nil, err
	}
	b["spec"] = string(content)
	return b, nil
}

// runGenerator posts to /api/v1/generators/<kind>(/preview) and prints
// the report.
func (a *app) runGenerator(cmd *cobra.Command, kind string, f *genFlags, needURL bool, extra map[string]any) error {
	c, ns, err := a.connect()
	if err != nil {
		return err
	}
	body, err := f.body(a, ns, needURL)
	if err != nil {
		return err
	}
	for k, v := range extra {
		body[k] = v
	}
	path := "/api/v1/generators/" + kind
	if f.preview {
		path += "/preview"
	}
	raw, err := c.call(cmd.Context(), request{method: http.MethodPost, path: path, body: body})
	if err != nil {
		return err
	}
	return a.emit(raw, func(w io.Writer) error {
		resp, err := decodeObject(raw)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "%s\n", text(field(resp, "message")))
		list := items(resp, "items")
		if len(list) > 0 {
			row(w, "ACTION", "ID", "METHOD", "ROUTE", "STATUS")
			for _, it := range list {
				row(w, text(field(it, "action")), text(field(it, "id")), text(field(it, "method")), text(field(it, "route")), text(field(it, "statusCode")))
			}
		}
		for _, warn := range items(resp, "warnings") {
			fmt.Fprintf(w, "warning: %s\n", strings.TrimSpace(text(warn)))
		}
		return nil
	})
}

func (a *app) generateOpenAPICmd() *cobra.Command {
	var f genFlags
	cmd := &cobra.Command{
		Use:   "openapi",
		Short: "Generate mocks from an OpenAPI 3.0/3.1 or Swagger 2.0 description",
		Long: `Generate mocks from an OpenAPI 3.0 or 3.1 or Swagger 2.0 description (JSON or
YAML): for every operation a fallback mock and one mock per declared response and
named example. A request header "Prefer: code=404", "Prefer: example=<name>" or
"Prefer: dynamic=true" picks the answer, as with Prism. Running it again merges:
new operations are added, mocks you edited keep your edits.`,
		Example: `  mockarty-cli generate openapi --file openapi.yaml --namespace sandbox
  mockarty-cli generate openapi -f petstore.json --path-prefix /v2 --preview -o json
  curl -H 'Prefer: code=404' http://127.0.0.1:5770/stubs/sandbox/v2/pet/1`,
		Args: exactArgs(),
		RunE: runE(func(cmd *cobra.Command, _ []string) error { return a.runGenerator(cmd, "openapi", &f, true, nil) }),
	}
	f.add(cmd, "OpenAPI description", true)
	return cmd
}

func (a *app) importHARCmd() *cobra.Command {
	var f genFlags
	var oneOf, collection bool
	cmd := &cobra.Command{
		Use:   "har",
		Short: "Turn a HAR 1.2 recording into mocks (or, with --collection, an API-tester collection)",
		Long: `Turn the requests of a HAR 1.2 file (recorded by a browser's developer tools,
a proxy or Playwright) into mocks that answer them as recorded. Volatile headers
are dropped and secrets redacted. With --one-of, a request recorded with several
answers replays them in order. With --collection the requests become an
API-tester collection instead, to replay against a real server.`,
		Example: `  mockarty-cli import har --file session.har
  mockarty-cli import har -f session.har --one-of --namespace recorded
  mockarty-cli import har -f session.har --collection`,
		Args: exactArgs(),
		RunE: runE(func(cmd *cobra.Command, _ []string) error {
			if collection {
				if oneOf || f.preview {
					return usagef("--collection takes neither --one-of nor --preview")
				}
				return a.importCollection(cmd, "har", f.file)
			}
			return a.runGenerator(cmd, "har", &f, false, map[string]any{"oneOf": oneOf})
		}),
	}
	cmd.Flags().BoolVar(&collection, "collection", false, "import the requests as an API-tester collection instead of mocks")
	f.add(cmd, "HAR", false)
	cmd.Flags().BoolVar(&oneOf, "one-of", false, "replay several recorded answers of one request in order")
	return cmd
}
