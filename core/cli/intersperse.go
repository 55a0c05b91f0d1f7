package cli

import (
	"strings"

	"github.com/urfave/cli/v2"
)

// Docker's CLI takes a command's flags after its arguments too (`docker
// rm c1 -f`, `docker save img -o img.tar`); urfave/cli stops at the first
// argument. intersperse moves the flags of the invoked command that come
// after its arguments in front of them, so they parse as Docker's do. It
// leaves alone what comes after "--", commands that parse nothing
// themselves (SkipFlagParsing) and those whose arguments end in a command
// line of their own (run, create, exec, compose run: Docker stops there too),
// where a flag after the image belongs to the container's command.
func intersperse(app *cli.App, args []string) []string {
	if len(args) < 2 {
		return args
	}
	i := 1
	cmds, flags := app.Commands, app.Flags
	var cmd *cli.Command
	// The global flags, then the command and its subcommands.
	for i < len(args) {
		a := args[i]
		if a == "--" || a == "-" {
			return args
		}
		if strings.HasPrefix(a, "-") {
			i += flagWidth(flags, a)
			continue
		}
		sub := commandNamed(cmds, a)
		if sub == nil {
			break
		}
		cmd, cmds, flags = sub, sub.Subcommands, sub.Flags
		i++
		if len(cmds) == 0 {
			break
		}
	}
	if cmd == nil || cmd.SkipFlagParsing || len(cmd.Subcommands) > 0 || takesCommandLine(cmd) {
		return args
	}
	head := append([]string(nil), args[:i]...)
	var out, positional []string
	for ; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			positional = append(positional, args[i:]...)
			break
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			positional = append(positional, a)
			continue
		}
		if a == "--help" {
			// Help, whatever else is there (urfave would take an
			// argument after it for a help topic); only where a flag
			// stands: as a flag's value (commit -m --help) it is that.
			return append(head, a)
		}
		n := flagWidth(flags, a)
		end := min(i+n, len(args))
		out = append(out, args[i:end]...)
		i = end - 1
	}
	return append(append(head, out...), positional...)
}

// takesCommandLine reports whether the command's arguments end in a
// command line (IMAGE [COMMAND [ARG...]], SERVICE COMMAND [ARG...]) or in
// another program's options (top's CONTAINER [ps OPTIONS]), as its usage
// says.
func takesCommandLine(c *cli.Command) bool {
	return strings.Contains(c.ArgsUsage, "COMMAND") || strings.Contains(c.ArgsUsage, "ps OPTIONS")
}

// commandNamed is the command named (or aliased) name.
func commandNamed(cmds []*cli.Command, name string) *cli.Command {
	for _, c := range cmds {
		if c.HasName(name) {
			return c
		}
	}
	return nil
}

// flagWidth is how many words the flag a takes: 2 for "--name VALUE" and
// "-n VALUE" of a flag that takes a value, else 1 ("--name=VALUE", a
// bool, combined short bools "-fa", a flag unknown here, which urfave
// reports).
func flagWidth(flags []cli.Flag, a string) int {
	name := strings.TrimLeft(a, "-")
	if name == "" || strings.Contains(name, "=") {
		return 1
	}
	if f := findFlag(flags, name); f != nil {
		return valueWidth(f)
	}
	if strings.HasPrefix(a, "--") {
		return 1
	}
	// -abc: short bools, the last of which may take a value.
	f := findFlag(flags, name[len(name)-1:])
	if f == nil {
		return 1
	}
	return valueWidth(f)
}

func valueWidth(f cli.Flag) int {
	if dv, ok := f.(cli.DocGenerationFlag); ok && !dv.TakesValue() {
		return 1
	}
	return 2
}

func findFlag(flags []cli.Flag, name string) cli.Flag {
	for _, f := range flags {
		names := f.Names()
		if r, ok := f.(repeatable); ok {
			names = r.StringSliceFlag.Names() // its Names hides the short alias (-t of build), which parses
		}
		for _, n := range names {
			if n == name {
				return f
			}
		}
	}
	return nil
}
