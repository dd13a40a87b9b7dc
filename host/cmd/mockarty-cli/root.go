package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

// app holds what every command shares: the streams, the environment and
// the global flags.
type app struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string

	root *cobra.Command

	// Global flags.
	flagServer    string
	flagToken     string
	flagNamespace string
	output        string
	timeout       time.Duration
}

func newApp(stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) *app {
	return &app{stdin: stdin, stdout: stdout, stderr: stderr, getenv: getenv}
}

// Output formats.
const (
	outTable = "table"
	outJSON  = "json"
	outYAML  = "yaml"
)

func (a *app) rootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "mockarty-cli",
		Short: "Manage a Mockarty mock server from the command line",
		Long: `mockarty-cli manages a running Mockarty server through its management API:
mocks, namespaces, stores, templates, undefined requests and plugins.

The server address, API token and namespace come from, in order of precedence:
the --server/--token/--namespace flags, the MOCKARTY_SERVER/MOCKARTY_TOKEN/
MOCKARTY_NAMESPACE environment variables, the config file
~/.mockarty-cli/config.yaml (written by "mockarty-cli config set"), and the
defaults http://127.0.0.1:5770, no token, namespace "sandbox".

Exit codes: 0 success; 1 the operation failed (server error, server not
reachable, local file problem); 2 wrong command line.`,
		Example: `  # Create a mock and call it
  mockarty-cli mock create --id hello --route /hello --method GET --status 200 --body '{"message":"Hello"}'
  curl http://127.0.0.1:5770/stubs/sandbox/hello

  # List the mocks of another namespace as JSON
  mockarty-cli mock list -n staging -o json`,
		Version:           releaseID,
		SilenceErrors:     true,
		SilenceUsage:      true,
		PersistentPreRunE: a.checkGlobals,
	}
	root.SetVersionTemplate("mockarty-cli {{.Version}}\n")
	root.SetOut(a.stdout)
	root.SetErr(a.stderr)
	root.SetIn(a.stdin)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return &usageError{msg: err.Error()}
	})
	pf := root.PersistentFlags()
	pf.StringVar(&a.flagServer, "server", "", "server address (env "+envServer+", default "+defaultServer+")")
	pf.StringVar(&a.flagToken, "token", "", "API token, sent as Authorization: Bearer and X-API-Key (env "+envToken+")")
	pf.StringVarP(&a.flagNamespace, "namespace", "n", "", "namespace (env "+envNamespace+", default "+defaultNamespace+")")
	pf.StringVarP(&a.output, "output", "o", outTable, "output format: table, json or yaml")
	pf.DurationVar(&a.timeout, "timeout", 30*time.Second, "how long to wait for each answer of the server")
	_ = root.RegisterFlagCompletionFunc("output", cobra.FixedCompletions([]string{outTable, outJSON, outYAML}, cobra.ShellCompDirectiveNoFileComp))

	group(root,
		a.mockCmd(),
		a.namespaceCmd(),
		a.storeCmd(),
		a.templateCmd(),
		a.generateCmd(),
		a.importCmd(),
		a.runCmd(),
		a.perfCmd(),
		a.fuzzCmd(),
		a.recorderCmd(),
		a.undefinedCmd(),
		a.pluginsCmd(),
		a.healthCmd(),
		a.configCmd(),
		a.versionCmd(),
	)
	a.root = root
	addBuiltinExamples(root)
	return root
}

// checkGlobals validates the global flags before any command runs.
func (a *app) checkGlobals(cmd *cobra.Command, _ []string) error {
	switch a.output {
	case outTable, outJSON, outYAML:
	default:
		return usagef("--output %q: use table, json or yaml", a.output)
	}
	if a.timeout <= 0 {
		return usagef("--timeout must be positive, got %v", a.timeout)
	}
	return nil
}

// addBuiltinExamples gives cobra's own help and completion commands an
// Examples section like every other command, and makes an unknown shell a
// usage error.
func addBuiltinExamples(root *cobra.Command) {
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	for _, c := range root.Commands() {
		switch c.Name() {
		case "help":
			c.Example = "  mockarty-cli help mock create"
		case "completion":
			c.Args = groupArgs // "completion tcsh" is a mistake, not a request for help
			c.RunE = func(c *cobra.Command, _ []string) error { return c.Help() }
			c.Example = `  # Load completions into the current bash shell
  source <(mockarty-cli completion bash)`
			for _, sh := range c.Commands() {
				sh.Example = completionExample(sh.Name())
			}
		}
	}
}

func completionExample(shell string) string {
	switch shell {
	case "bash":
		return `  source <(mockarty-cli completion bash)
  mockarty-cli completion bash > /etc/bash_completion.d/mockarty-cli`
	case "zsh":
		return `  mockarty-cli completion zsh > "${fpath[1]}/_mockarty-cli"`
	case "fish":
		return `  mockarty-cli completion fish > ~/.config/fish/completions/mockarty-cli.fish`
	case "powershell":
		return `  mockarty-cli completion powershell | Out-String | Invoke-Expression`
	}
	return "  mockarty-cli completion " + shell
}

// setting is one resolved value and where it came from.
type setting struct {
	Value  string `json:"value" yaml:"value"`
	Source string `json:"source" yaml:"source"`
}

// settings are the connection settings after precedence: flag, then
// environment, then config file, then default.
type settings struct {
	Server     setting
	Token      setting
	Namespace  setting
	ConfigFile string
}

func (a *app) flagChanged(name string) bool {
	f := a.root.PersistentFlags().Lookup(name)
	return f != nil && f.Changed
}

// resolve works out the settings without checking them.
func (a *app) resolve() (*settings, error) {
	path, err := a.configPath()
	if err != nil {
		return nil, err
	}
	cfg, err := loadConfig(path)
	if err != nil {
		return nil, err
	}
	pick := func(flag, flagValue, env, key, def string) setting {
		if a.flagChanged(flag) {
			return setting{flagValue, "flag --" + flag}
		}
		if v := strings.TrimSpace(a.getenv(env)); v != "" {
			return setting{v, "env " + env}
		}
		if v := cfg.get(key); v != "" {
			return setting{v, "config file"}
		}
		if def == "" {
			return setting{"", "not set"}
		}
		return setting{def, "default"}
	}
	return &settings{
		Server:     pick("server", a.flagServer, envServer, "server", defaultServer),
		Token:      pick("token", a.flagToken, envToken, "token", ""),
		Namespace:  pick("namespace", a.flagNamespace, envNamespace, "namespace", defaultNamespace),
		ConfigFile: path,
	}, nil
}

// connect resolves the settings and returns a client for the server.
func (a *app) connect() (*client, string, error) {
	s, err := a.resolve()
	if err != nil {
		return nil, "", err
	}
	base, err := normaliseServer(s.Server.Value)
	if err != nil {
		return nil, "", settingErr(s.Server, err)
	}
	ns := strings.TrimSpace(s.Namespace.Value)
	if err := checkNamespace(ns); err != nil {
		return nil, "", settingErr(s.Namespace, err)
	}
	return newClient(base, strings.TrimSpace(s.Token.Value), a.timeout), ns, nil
}

// settingErr names where a bad value came from; a bad flag is a usage error.
func settingErr(s setting, err error) error {
	if strings.HasPrefix(s.Source, "flag") {
		return &usageError{msg: err.Error()}
	}
	return fmt.Errorf("%v (from %s)", err, s.Source)
}
