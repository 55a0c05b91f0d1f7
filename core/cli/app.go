// Package cli is hull's Docker-compatible command line on urfave/cli/v2.
// Commands are thin: flags become an options struct, one core call does
// the work, and the command prints the result in Docker's shapes. Errors
// are printed once, by Main, as "hull: <message>"; hull's own failures exit
// 125 and a container's exit code passes through.
package cli

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/hull-project/hull/core"
	"github.com/hull-project/hull/core/appbin"
)

// exitError carries an exit code. A nil err means the code is the
// container's own and nothing is printed.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// exitCode makes err exit with code (err may be nil: exit silently).
func exitCode(code int, err error) error { return &exitError{code: code, err: err} }

// Main runs the CLI on args (os.Args) and returns the process exit code,
// having printed any error once to stderr.
func Main(args []string) int {
	only := invokedCommand(args)
	singleP(only)
	app := newApp(only)
	return run(app, intersperse(app, args))
}

// singleP gives the process one P (GOMAXPROCS 1) when only is a command
// that waits beside a container's process. With a P per CPU, each time a
// goroutine blocks in a system call or wakes up, the runtime hands the
// idle P to a thread that spins looking for work: on a 2-CPU VM that was
// 3-11 ms of CPU per `hull run --rm` (bench/start.sh and interleaved
// loops, docs/speed.md), work no such command needs, since none computes
// in parallel. Only in the default hull: the full hull may run a whole `run`
// that pulls, whose layers unpack in parallel.
func singleP(only string) {
	if only == "" || !appbin.Embedded() {
		return
	}
	for i := range topCommands {
		if t := &topCommands[i]; t.waits && t.hasName(only) {
			runtime.GOMAXPROCS(1)
			return
		}
	}
}

func run(app *cli.App, args []string) int {
	err := app.Run(args)
	if err == nil {
		return 0
	}
	code := core.ExitHullError
	var ee *exitError
	if errors.As(err, &ee) {
		code = ee.code
		if ee.err == nil {
			return code
		}
	}
	fmt.Fprintf(app.ErrWriter, "hull: %s\n", err)
	return code
}

// App builds the command tree.
func App() *cli.App { return newApp("") }

// newApp builds the command tree; only, when not "", is the top-level
// command that args invoke, and the only one built (cmdindex.go: the others
// are stubs for the help listing and urfave's lookup) and given the hidden
// refused-flag sets of run, create and build (dockerflags.go: ~80 flags
// each): no other can be reached (invokedCommand).
func newApp(only string) *cli.App {
	// Docker's -h is --hostname for run; help keeps only its long name.
	cli.HelpFlag = &cli.BoolFlag{Name: "help", Usage: "show help"}
	app := &cli.App{
		Name:                      "hull",
		Usage:                     "rootless, daemonless containers with Docker's command line",
		HideVersion:               true,
		UseShortOptionHandling:    true,
		DisableSliceFlagSeparator: true,
		Writer:                    os.Stdout,
		ErrWriter:                 os.Stderr,
		ExitErrHandler:            func(*cli.Context, error) {},
		OnUsageError:              usageError,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "root", Usage: "store directory", EnvVars: []string{"HULL_ROOT"}},
			&cli.BoolFlag{Name: "debug", Usage: "log debug messages to stderr"},
		},
		Before: setupLogging,
		Action: func(c *cli.Context) error {
			if c.Args().Present() {
				return fmt.Errorf("'%s' is not a hull command; see 'hull --help'", c.Args().First())
			}
			return cli.ShowAppHelp(c)
		},
	}
	var built []*cli.Command
	app.Commands, built = commandTree(only) // cmdindex.go: the others are stubs
	cacheFlagNames(app.Flags)
	for _, c := range built {
		prepare(c, only == "" || c.HasName(only))
	}
	decorate(app, built, only == "")
	return app
}

// invokedCommand is the first command word of args (os.Args) when it is a
// plain top-level command, or "" when it may lead to any command's flags
// (a management command such as "container", help, completion, or a
// command line it cannot follow). The global flags before it are --root
// VALUE and switches.
func invokedCommand(args []string) string {
	for i := 1; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--root" || a == "-root":
			i++
		case a == "--" || a == "-":
			return ""
		case strings.HasPrefix(a, "-"):
		case a == "container" || a == "image" || a == "builder" || a == "buildx" ||
			a == "completion" || a == "help" || a == "h":
			return ""
		default:
			return a
		}
	}
	return ""
}

// prepare gives every command hull's usage-error handling and hides the
// implicit "help" subcommand of leaf commands, which would otherwise
// swallow an argument named "help" or "h".
// With refused false the command gets no refused-flag set (newApp).
func prepare(c *cli.Command, refused bool) {
	c.OnUsageError = usageError
	cacheFlagNames(c.Flags) // flagnames.go: before addRefusedFlags, which asks every flag its names
	if refused {
		addRefusedFlags(c)      // dockerflags.go: run, create, build
		cacheFlagNames(c.Flags) // the hidden flags it added
	}
	if len(c.Subcommands) == 0 {
		c.HideHelpCommand = true
	}
	for _, s := range c.Subcommands {
		prepare(s, refused)
	}
}

// usageError answers a bad flag the way Docker does: exit 125 with a
// pointer to the command's help.
func usageError(c *cli.Context, err error, _ bool) error {
	name := "hull"
	if c.Command != nil && c.Command.HelpName != "" {
		name = c.Command.HelpName
	}
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "flag provided but not defined: -"); ok {
		if len(name) == 1 {
			msg = fmt.Sprintf("unknown shorthand flag: '%s' in -%s", name, name)
		} else {
			msg = "unknown flag: --" + name
		}
	}
	// One line, unlike Docker's two: scripts and users grep the first line.
	return exitCode(core.ExitHullError, fmt.Errorf("%s. See '%s --help'.", msg, name))
}

func setupLogging(c *cli.Context) error {
	level := slog.LevelWarn
	if c.Bool("debug") {
		level = slog.LevelDebug
	}
	h := slog.NewTextHandler(c.App.ErrWriter, &slog.HandlerOptions{Level: level})
	slog.SetDefault(slog.New(h).With("role", "cli"))
	return nil
}

// openHull opens the store named by --root / HULL_ROOT.
func openHull(c *cli.Context) (*core.Hull, error) {
	return core.Open(c.String("root"))
}

// needArgs checks the number of positional arguments (max < 0: no
// limit) and answers like Docker when it is wrong.
func needArgs(c *cli.Context, min, max int) error {
	n := c.NArg()
	if n >= min && (max < 0 || n <= max) {
		return nil
	}
	var want string
	switch {
	case min == max:
		want = fmt.Sprintf("exactly %d %s", min, plural(min))
	case max < 0:
		want = fmt.Sprintf("at least %d %s", min, plural(min))
	default:
		want = fmt.Sprintf("at least %d and at most %d %s", min, max, plural(max))
	}
	name := c.Command.HelpName
	return exitCode(core.ExitHullError, fmt.Errorf("%q requires %s. See '%s --help'.", name, want, name))
}

func plural(n int) string {
	if n == 1 {
		return "argument"
	}
	return "arguments"
}

// printErr reports one failure of a command that goes on with its other
// arguments (rm, rmi); the command returns a final error for the exit code.
func printErr(w io.Writer, err error) {
	fmt.Fprintf(w, "hull: %s\n", err)
}
