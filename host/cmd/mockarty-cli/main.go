// Command mockarty-cli is the command-line client of the Mockarty management
// API. It talks to a running server over HTTP only; see docs/cli.md.
//
// Exit codes: 0 success, 1 the operation failed (the server answered with an
// error, could not be reached, or a local file could not be read or
// written), 2 the command line was wrong (unknown command or flag, missing
// or extra arguments, bad flag values).
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
)

// releaseID is set at build time with -ldflags "-X main.releaseID=...".
var releaseID = "dev"

// Exit codes.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv))
}

// run executes one command line and returns the exit code.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	a := newApp(stdin, stdout, stderr, getenv)
	root := a.rootCmd()
	if args == nil {
		args = []string{} // nil would make cobra read os.Args
	}
	root.SetArgs(args)
	cmd, err := root.ExecuteC()
	if err == nil {
		return exitOK
	}
	if cmd == nil {
		cmd = root
	}
	var f *failure
	if errors.As(err, &f) {
		fmt.Fprintln(stderr, "Error: "+f.Error())
		var ae *apiError
		if errors.As(err, &ae) && ae.hint() != "" {
			fmt.Fprintln(stderr, "Hint: "+ae.hint())
		}
		return exitFailure
	}
	// Everything else comes from the command line: cobra's own checks
	// (unknown commands, flags, required flags) and ours (usageError).
	fmt.Fprintln(stderr, "Error: "+strings.TrimRight(err.Error(), "\n"))
	fmt.Fprintln(stderr)
	fmt.Fprint(stderr, cmd.UsageString())
	return exitUsage
}

// usageError is a mistake on the command line (exit code 2, usage shown).
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// failure is an operation that failed after the command line was accepted
// (exit code 1, no usage text).
type failure struct{ err error }

func (f *failure) Error() string { return f.err.Error() }
func (f *failure) Unwrap() error { return f.err }

// runE adapts a command body: usage errors stay usage errors, anything
// else is a failure.
func runE(fn func(cmd *cobra.Command, args []string) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		err := fn(cmd, args)
		if err == nil {
			return nil
		}
		var u *usageError
		if errors.As(err, &u) {
			return err
		}
		return &failure{err: err}
	}
}

// exactArgs wants exactly the named positional arguments.
func exactArgs(names ...string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) == len(names) {
			return nil
		}
		return usagef("%q takes %s, got %d argument(s)", cmd.CommandPath(), describeArgs(names), len(args))
	}
}

// rangeArgs wants the required names and optionally the optional ones.
func rangeArgs(required []string, optional ...string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) >= len(required) && len(args) <= len(required)+len(optional) {
			return nil
		}
		all := append(append([]string{}, required...), bracket(optional)...)
		return usagef("%q takes %s, got %d argument(s)", cmd.CommandPath(), describeArgs(all), len(args))
	}
}

func bracket(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = "[" + n + "]"
	}
	return out
}

func describeArgs(names []string) string {
	if len(names) == 0 {
		return "no arguments"
	}
	return strings.Join(names, " ")
}

// groupArgs refuses anything after a command group's name: it is an
// unknown sub-command.
func groupArgs(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	msg := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
	if cmd.SuggestionsMinimumDistance <= 0 {
		cmd.SuggestionsMinimumDistance = 2
	}
	if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
		msg += "; did you mean " + strings.Join(s, " or ") + "?"
	}
	return &usageError{msg: msg}
}

// group makes a command that only holds sub-commands: alone it prints its
// help, with an unknown word it is a usage error.
func group(cmd *cobra.Command, children ...*cobra.Command) *cobra.Command {
	cmd.Args = groupArgs
	cmd.RunE = func(c *cobra.Command, _ []string) error { return c.Help() }
	cmd.AddCommand(children...)
	return cmd
}
