package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"gopkg.in/yaml.v3"
)

func (a *app) mockCmd() *cobra.Command {
	return group(&cobra.Command{
		Use:   "mock",
		Short: "Create, inspect, delete and restore mocks",
		Example: `  mockarty-cli mock create --id hello --route /hello --body '{"message":"Hello"}'
  mockarty-cli mock list
  mockarty-cli mock get hello -o yaml`,
	},
		a.mockCreateCmd(),
		a.mockGetCmd(),
		a.mockListCmd(),
		a.mockDeleteCmd(),
		a.mockRestoreCmd(),
		a.mockLogsCmd(),
		a.mockServeCmd(),
	)
}

func (a *app) mockCreateCmd() *cobra.Command {
	var (
		id, route, method, body, file string
		status                        int
		headers, tags                 []string
		batch                         bool
	)
	cmd := &cobra.Command{
		Use:   "create",
		Short: "Create or overwrite an HTTP mock from flags, or any mock from a file",
		Long: `Create a mock. With flags it makes an HTTP mock in the current namespace;
with --file it sends the mock JSON (or YAML) from a file as it is, and with
--file --batch a list of mocks (a JSON array or {"mocks": [...]}).
"--file -" reads standard input. A mock with an existing id is overwritten.

Mocks from a file that name no namespace go to the current one
(MOCKARTY_NAMESPACE, the config file, or "sandbox"); an explicit
--namespace/-n puts every mock of the file into that namespace.

--body is the response payload: JSON when it parses as JSON, otherwise a
plain string.`,
		Example: `  mockarty-cli mock create \
    --id hello-world \
    --route /api/greeting \
    --method GET \
    --status 200 \
    --body '{"message": "Hello, World!", "timestamp": "$.fake.DateTimeISO"}'

  # One mock from a file, many from another, one from stdin
  mockarty-cli mock create -f mock.json
  mockarty-cli mock create --file mocks.json --batch
  mockarty-cli mock get hello-world -o json | mockarty-cli mock create -f -`,
		Args: exactArgs(),
		RunE: runE(func(cmd *cobra.Command, _ []string) error {
			flagMode := false
			for _, f := range []string{"id", "route", "method", "status", "body", "header", "tag"} {
				if cmd.Flags().Changed(f) {
					flagMode = true
					if file != "" {
						return usagef("--%s cannot be used with --file: the file holds the whole mock", f)
					}
				}
			}
			if batch && file == "" {
				return usagef("--batch needs --file")
			}
			var doc []byte
			if file != "" {
				raw, err := a.readInput(file)
				if err != nil {
					return err
				}
				if doc, err = toJSON(raw, file); err != nil {
					return err
				}
				if first := firstByte(doc); !batch && first == '[' {
					return usagef("%s holds a list of mocks: add --batch", displayName(file))
				}
			} else {
				if !flagMode || id == "" || route == "" {
					return usagef("give --id and --route (and optionally --method, --status, --body), or --file")
				}
				if status < 100 || status > 599 {
					return usagef("--status %d: use an HTTP status between 100 and 599", status)
				}
			}
			c, ns, err := a.connect()
			if err != nil {
				return err
			}
			if doc == nil {
				if doc, err = flagMock(id, ns, route, method, status, body, headers, tags); err != nil {
					return err
				}
			}
			path := "/api/v1/mocks"
			if batch {
				path = "/api/v1/mocks/batch"
			}
			// The namespace fills in mocks that name none (X-Namespace); an
			// explicit --namespace flag overrides the file.
			if file != "" && a.flagChanged("namespace") {
				if doc, err = setNamespace(doc, ns); err != nil {
					return err
				}
			}
			raw, err := c.call(cmd.Context(), request{method: http.MethodPost, path: path, body: doc,
				header: http.Header{"X-Namespace": {ns}}})
			if err != nil {
				return err
			}
			return a.emit(raw, func(w io.Writer) error {
				resp, err := decodeObject(raw)
				if err != nil {
					return err
				}
				results := []any{resp}
				if batch {
					results = items(resp, "results")
				}
				row(w, "ID", "NAMESPACE", "RESULT", "ROUTE/TARGET")
				for _, r := range results {
					res := "created"
					if field(r, "overwritten") == true {
						res = "updated"
					}
					m := field(r, "mock")
					_, _, target := summary(m)
					row(w, text(field(r, "id")), text(field(m, "namespace")), res, target)
				}
				return nil
			})
		}),
	}
	f := cmd.Flags()
	f.StringVar(&id, "id", "", "mock id (creating an existing id overwrites it)")
	f.StringVar(&route, "route", "", "HTTP route, such as /api/users/:id")
	f.StringVar(&method, "method", "GET", "HTTP method")
	f.IntVar(&status, "status", 200, "response status code")
	f.StringVar(&body, "body", "", "response payload: JSON, or a plain string")
	f.StringArrayVar(&headers, "header", nil, `response header "Name: value" (repeatable)`)
	f.StringArrayVar(&tags, "tag", nil, "tag (repeatable)")
	f.StringVarP(&file, "file", "f", "", `file with the mock JSON or YAML ("-" for stdin)`)
	f.BoolVar(&batch, "batch", false, "the file holds a list of mocks")
	return cmd
}

// setNamespace sets the namespace of one mock, a list of mocks or
// {"mocks": [...]}, leaving everything else as it is.
func setNamespace(doc []byte, ns string) ([]byte, error) {
	nsJSON, _ := json.Marshal(ns)
	setOne := func(raw json.RawMessage) (json.RawMessage, error) {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(raw, &m); err != nil {
			return nil, fmt.Errorf("a mock must be a JSON object: %v", err)
		}
		m["namespace"] = nsJSON
		return json.Marshal(m)
	}
	setList := func(raw json.RawMessage) (json.RawMessage, error) {
		var list []json.RawMessage
		if err := json.Unmarshal(raw, &list); err != nil {
			return nil, fmt.Errorf("mocks must be a JSON array: %v", err)
		}
		for i := range list {
			var err error
			if list[i], err = setOne(list[i]); err != nil {
				return nil, fmt.Errorf("mock %d: %v", i, err)
			}
		}
		return json.Marshal(list)
	}
	switch firstByte(doc) {
	case '[':
		return setList(doc)
	case '{':
		var wrapper map[string]json.RawMessage
		if err := json.Unmarshal(doc, &wrapper); err != nil {
			return nil, err
		}
		if list, ok := wrapper["mocks"]; ok && firstByte(list) == '[' {
			out, err := setList(list)
			if err != nil {
				return nil, err
			}
			wrapper["mocks"] = out
			return json.Marshal(wrapper)
		}
		return setOne(doc)
	}
	return doc, nil // not a mock at all: the server says why
}

// flagMock builds the JSON of an HTTP mock from the flags of mock create.
func flagMock(id, ns, route, method string, status int, body string, headers, tags []string) ([]byte, error) {
	resp := map[string]any{"statusCode": status}
	if body != "" {
		if json.Valid([]byte(body)) {
			resp["payload"] = json.RawMessage(body)
		} else {
			resp["payload"] = body
		}
	}
	if len(headers) > 0 {
		h := map[string][]string{}
		for _, kv := range headers {
			k, v, ok := strings.Cut(kv, ":")
			k = strings.TrimSpace(k)
			if !ok || k == "" {
				return nil, usagef(`--header %q: use "Name: value"`, kv)
			}
			h[k] = append(h[k], strings.TrimSpace(v))
		}
		resp["headers"] = h
	}
	m := map[string]any{
		"id":        id,
		"namespace": ns,
		"http":      map[string]any{"route": route, "httpMethod": strings.ToUpper(strings.TrimSpace(method))},
		"response":  resp,
	}
	if len(tags) > 0 {
		m["tags"] = tags
	}
	return json.Marshal(m)
}

// readInput reads a file, or standard input for "-".
func (a *app) readInput(name string) ([]byte, error) {
	if name == "-" {
		b, err := io.ReadAll(a.stdin)
		if err != nil {
			return nil, fmt.Errorf("read standard input: %v", err)
		}
		return b, nil
	}
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("read %s: %v", name, err)
	}
	return b, nil
}

// toJSON accepts JSON as it is and converts YAML to JSON.
func toJSON(raw []byte, name string) ([]byte, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return nil, fmt.Errorf("%s is empty", displayName(name))
	}
	if json.Valid(raw) {
		return raw, nil
	}
	var v any
	if err := yaml.Unmarshal(raw, &v); err != nil {
		return nil, fmt.Errorf("%s is neither JSON nor YAML: %v", displayName(name), err)
	}
	out, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", displayName(name), err)
	}
	return out, nil
}

func displayName(name string) string {
	if name == "-" {
		return "standard input"
	}
	return name
}

func firstByte(b []byte) byte {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return 0
	}
	return b[0]
}

func (a *app) mockGetCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "get <id>",
		Short: "Show one mock",
		Long:  "Show one mock (also a deleted one). Use -o json or -o yaml for the whole definition.",
		Example: `  mockarty-cli mock get hello-world
  mockarty-cli mock get hello-world -o json > mock.json`,
		Args: exactArgs("<id>"),
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			c, _, err := a.connect()
			if err != nil {
				return err
			}
			raw, err := c.get(cmd.Context(), "/api/v1/mocks/"+pathEscape(args[0]), nil)
			if err != nil {
				return err
			}
			return a.emit(raw, func(w io.Writer) error {
				m, err := decodeObject(raw)
				if err != nil {
					return err
				}
				mockHeader(w)
				mockRow(w, m)
				return nil
			})
		}),
	}
}

func mockHeader(w io.Writer) {
	row(w, "ID", "NAMESPACE", "PROTOCOL", "METHOD", "ROUTE/TARGET", "STATUS", "TAGS", "USES", "STATE")
}

func mockRow(w io.Writer, m any) {
	proto, method, target := summary(m)
	row(w, text(field(m, "id")), text(field(m, "namespace")), proto, method, target,
		responseKind(m), text(field(m, "tags")), text(field(m, "useCounter")), state(m))
}

// protocols are the protocol contexts of a mock, in the model's order.
var protocols = []string{"http", "grpc", "mcp", "socket", "soap", "graphql", "sse", "kafka", "rabbitmq", "smtp"}

// summary is a mock's protocol, method and what it answers (route, topic...).
func summary(m any) (proto, method, target string) {
	for _, p := range protocols {
		ctx := field(m, p)
		if ctx == nil {
			continue
		}
		s := func(k string) string { return text(field(ctx, k)) }
		switch p {
		case "http":
			return p, s("httpMethod"), s("route")
		case "grpc":
			return p, s("method"), s("service")
		case "mcp":
			t := s("tool")
			if t == "" {
				t = s("resource")
			}
			return p, s("method"), t
		case "socket":
			return p, "", s("event")
		case "soap":
			return p, s("action"), s("path")
		case "graphql":
			return p, s("operation"), s("field")
		case "sse":
			return p, "", s("eventPath")
		case "kafka":
			return p, "", s("topic")
		case "rabbitmq":
			t := s("queue")
			if t == "" {
				t = s("exchange")
			}
			return p, "", t
		case "smtp":
			return p, "", s("serverName")
		}
	}
	return "", "", ""
}

func responseKind(m any) string {
	switch {
	case field(m, "proxy") != nil:
		return "proxy"
	case field(m, "oneOf") != nil:
		return "oneOf"
	}
	return text(field(m, "response", "statusCode"))
}

func state(m any) string {
	if n, ok := field(m, "closedAt").(json.Number); ok && n.String() != "0" {
		return "deleted"
	}
	return "active"
}

func (a *app) mockListCmd() *cobra.Command {
	var (
		limit, offset int
		tags          []string
		deleted       bool
	)
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the mocks of a namespace",
		Example: `  mockarty-cli mock list --namespace sandbox --limit 10
  mockarty-cli mock list --tag smoke --tag users
  mockarty-cli mock list --deleted          # the trash (restore with mock restore)`,
		Args: exactArgs(),
		RunE: runE(func(cmd *cobra.Command, _ []string) error {
			if limit < 0 || offset < 0 {
				return usagef("--limit and --offset must not be negative")
			}
			c, ns, err := a.connect()
			if err != nil {
				return err
			}
			q := url.Values{"namespace": {ns}}
			if limit > 0 {
				q.Set("limit", strconv.Itoa(limit))
			}
			if offset > 0 {
				q.Set("offset", strconv.Itoa(offset))
			}
			if len(tags) > 0 {
				q.Set("tags", strings.Join(tags, ","))
			}
			if deleted {
				q.Set("deleted", "true")
			}
			raw, err := c.get(cmd.Context(), "/api/v1/mocks", q)
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
					fmt.Fprintf(w, "No mocks in namespace %q.\n", ns)
					return nil
				}
				mockHeader(w)
				for _, m := range list {
					mockRow(w, m)
				}
				if field(resp, "hasMore") == true {
					fmt.Fprintf(w, "(%d of %s shown; see more with --offset %d)\n", len(list), text(resp["total"]), offset+len(list))
				}
				return nil
			})
		}),
	}
	f := cmd.Flags()
	f.IntVar(&limit, "limit", 0, "at most this many mocks (server default 50, max 1000)")
	f.IntVar(&offset, "offset", 0, "skip this many mocks")
	f.StringSliceVar(&tags, "tag", nil, "only mocks with this tag (repeatable or comma list; all must match)")
	f.BoolVar(&deleted, "deleted", false, "list deleted mocks instead")
	return cmd
}

func (a *app) mockDeleteCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "delete <id>",
		Short: "Delete a mock (it can be restored)",
		Example: `  mockarty-cli mock delete hello-world
  mockarty-cli mock restore hello-world   # undo`,
		Args: exactArgs("<id>"),
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			c, _, err := a.connect()
			if err != nil {
				return err
			}
			raw, err := c.call(cmd.Context(), request{method: http.MethodDelete, path: "/api/v1/mocks/" + pathEscape(args[0])})
			if err != nil {
				return err
			}
			return a.emit(raw, func(w io.Writer) error {
				resp, err := decodeObject(raw)
				if err != nil {
					return err
				}
				if resp["deleted"] == true {
					fmt.Fprintf(w, "Mock %q deleted (undo with: mockarty-cli mock restore %s).\n", args[0], args[0])
				} else {
					fmt.Fprintf(w, "Mock %q was already deleted.\n", args[0])
				}
				return nil
			})
		}),
	}
}

func (a *app) mockRestoreCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "restore <id>",
		Short:   "Restore a deleted mock",
		Example: `  mockarty-cli mock restore hello-world`,
		Args:    exactArgs("<id>"),
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			c, _, err := a.connect()
			if err != nil {
				return err
			}
			raw, err := c.call(cmd.Context(), request{method: http.MethodPost, path: "/api/v1/mocks/" + pathEscape(args[0]) + "/restore"})
			if err != nil {
				return err
			}
			return a.emit(raw, func(w io.Writer) error {
				m, err := decodeObject(raw)
				if err != nil {
					return err
				}
				mockHeader(w)
				mockRow(w, m)
				return nil
			})
		}),
	}
}

func (a *app) mockLogsCmd() *cobra.Command {
	var limit int
	cmd := &cobra.Command{
		Use:   "logs <id>",
		Short: "Show the last requests a mock answered",
		Long: `Show the requests a mock answered, newest first. The server keeps the last
REPO_LOG_LIMIT of them (3 by default).`,
		Example: `  mockarty-cli mock logs hello-world
  mockarty-cli mock logs hello-world -o json | jq '.requests[0].req'`,
		Args: exactArgs("<id>"),
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			if limit < 0 {
				return usagef("--limit must not be negative")
			}
			c, _, err := a.connect()
			if err != nil {
				return err
			}
			q := url.Values{}
			if limit > 0 {
				q.Set("limit", strconv.Itoa(limit))
			}
			raw, err := c.get(cmd.Context(), "/api/v1/mocks/"+pathEscape(args[0])+"/logs", q)
			if err != nil {
				return err
			}
			return a.emit(raw, func(w io.Writer) error {
				resp, err := decodeObject(raw)
				if err != nil {
					return err
				}
				list := items(resp, "requests")
				if len(list) == 0 {
					fmt.Fprintf(w, "Mock %q has no logged requests.\n", args[0])
					return nil
				}
				row(w, "CALLED AT", "METHOD", "URL", "STATUS", "LOG ID")
				for _, l := range list {
					row(w, text(field(l, "calledAt")), text(field(l, "req", "method")), text(field(l, "req", "url")),
						text(field(l, "response", "statusCode")), text(field(l, "id")))
				}
				return nil
			})
		}),
	}
	cmd.Flags().IntVar(&limit, "limit", 0, "at most this many requests")
	return cmd
}
