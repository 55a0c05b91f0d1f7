package cli

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/urfave/cli/v2"

	"github.com/hull-project/hull/core"
)

// Docker's top-level help groups: the everyday commands, the nouns with
// subcommands, and everything else.
const (
	commonCategory     = "Common Commands"
	managementCategory = "Management Commands"
	otherCategory      = "Commands"
)

// commonOrder are the commands Docker lists under "Common Commands", in
// its order; the other groups are alphabetical.
var commonOrder = []string{"run", "exec", "ps", "build", "pull", "push", "images", "login", "logout", "search", "version", "info"}

var commonCommands = func() map[string]bool {
	m := map[string]bool{}
	for _, n := range commonOrder {
		m[n] = true
	}
	return m
}()

// helpOrder sorts the commands as Docker's help lists them.
func helpOrder(cmds []*cli.Command) {
	rank := func(c *cli.Command) int {
		if i := slices.Index(commonOrder, c.Name); i >= 0 {
			return i
		}
		return len(commonOrder)
	}
	sort.SliceStable(cmds, func(i, j int) bool {
		ri, rj := rank(cmds[i]), rank(cmds[j])
		if ri != rj {
			return ri < rj
		}
		return cmds[i].Name < cmds[j].Name
	})
}

// appHelpTemplate is Docker's `docker --help` layout.
const appHelpTemplate = `Usage:  {{.Name}} [OPTIONS] COMMAND

{{.Usage}}
{{range .VisibleCategories}}{{if eq .Name "` + commonCategory + `"}}
{{.Name}}:{{range .VisibleCommands}}
  {{printf "%-12s" .Name}}{{.Usage}}{{end}}
{{end}}{{end}}{{range .VisibleCategories}}{{if eq .Name "` + managementCategory + `"}}
{{.Name}}:{{range .VisibleCommands}}
  {{printf "%-12s" .Name}}{{.Usage}}{{end}}
{{end}}{{end}}{{range .VisibleCategories}}{{if eq .Name "` + otherCategory + `"}}
{{.Name}}:{{range .VisibleCommands}}
  {{printf "%-12s" .Name}}{{.Usage}}{{end}}
{{end}}{{end}}
Global Options:{{range .VisibleFlags}}
   {{.}}{{end}}

Run '{{.Name}} COMMAND --help' for more information on a command.
`

// commandExamples are shown under EXAMPLES in `hull CMD --help`.
var commandExamples = map[string]string{
	"run": `   hull run --rm busybox echo hello
   hull run --rm -it busybox sh
   hull run -d --name web -p 8080:80 busybox httpd -f -p 80
   hull run --rm -v "$PWD":/data -w /data -u 1000 busybox ls -l`,
	"build": `   hull build -t app:1 .
   hull build -f docker/Dockerfile --build-arg VERSION=2 -t app:2 .
   hull build --target test --no-cache .`,
	"ps": `   hull ps
   hull ps -a --filter status=exited -q
   hull ps --format '{{.Names}}\t{{.Status}}'`,
}

var flagStringerOnce sync.Once

// decorate gives the command tree Docker's help layout, its answers to an
// unknown command and the global --version flag; built are the commands
// that newApp built (a stub's category is set already); refused is
// prepare's, for the management commands' aliases (container run, image
// build).
func decorate(app *cli.App, built []*cli.Command, refused bool) {
	flagStringerOnce.Do(func() {
		plain := cli.FlagStringer
		// A boolean's "(default: false)" says nothing: every switch is off unless given.
		cli.FlagStringer = func(f cli.Flag) string { return strings.Replace(plain(f), " (default: false)", "", 1) }
	})
	app.CustomAppHelpTemplate = appHelpTemplate
	app.Flags = append(app.Flags, &cli.BoolFlag{Name: "version", Aliases: []string{"v"}, Usage: "print version information and quit"})
	before := app.Before
	app.Before = func(c *cli.Context) error {
		if c.Bool("version") {
			fmt.Fprintf(c.App.Writer, "hull version %s, build %s\n", Version, GitCommit)
			return exitCode(0, nil)
		}
		if before != nil {
			return before(c)
		}
		return nil
	}
	app.Action = func(c *cli.Context) error {
		if c.Args().Present() {
			return exitCode(core.ExitHullError, fmt.Errorf("'%s' is not a hull command. See 'hull --help'.", c.Args().First()))
		}
		return cli.ShowAppHelp(c)
	}
	addAliases(built, refused)
	helpOrder(app.Commands)
	for _, c := range built {
		switch {
		case commonCommands[c.Name]:
			c.Category = commonCategory
		case len(c.Subcommands) > 0 || c.Category == managementCategory: // appstub.go's thin commands preset it
			c.Category = managementCategory
		default:
			c.Category = otherCategory
		}
		decorateCommand(c)
	}
}

// decorateCommand adds examples and, to a command with subcommands, an
// answer to an unknown one in place of urfave's "No help topic".
func decorateCommand(c *cli.Command) {
	if ex, ok := commandExamples[c.Name]; ok && c.CustomHelpTemplate == "" {
		c.CustomHelpTemplate = cli.CommandHelpTemplate + "\nEXAMPLES:\n" + ex + "\n"
	}
	if len(c.Subcommands) > 0 && c.Action == nil {
		c.Action = func(ctx *cli.Context) error {
			if ctx.Args().Present() {
				name := ctx.Command.HelpName
				return exitCode(core.ExitHullError, fmt.Errorf("unknown command: %s %s. See '%s --help'.",
					name, ctx.Args().First(), name))
			}
			return cli.ShowSubcommandHelp(ctx)
		}
	}
	for _, s := range c.Subcommands {
		decorateCommand(s)
	}
}

// aliases are the subcommands Docker has under its management commands
// for top-level ones: `docker image pull`, `docker container stats`...
var aliases = map[string][]func() *cli.Command{
	"image":     {pullCommand, pushCommand, saveCommand, loadCommand, buildCommand},
	"container": {portCommand, exportCommand, statsCommand, pauseCommand, unpauseCommand, updateCommand},
}

// addAliases adds each alias its management command lacks.
func addAliases(cmds []*cli.Command, refused bool) {
	for _, m := range cmds {
		for _, mk := range aliases[m.Name] {
			sub := mk()
			if m.Command(sub.Name) != nil {
				continue
			}
			prepare(sub, refused)
			m.Subcommands = append(m.Subcommands, sub)
		}
	}
}
