package cli

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/urfave/cli/v2"
)

func completionCommand() *cli.Command {
	return &cli.Command{Name: "completion", Usage: "Generate the autocompletion script for the specified shell", ArgsUsage: "bash|zsh|fish",
		Description: "Load it in the current shell with: source <(hull completion bash)   (zsh: the same with zsh;\n" +
			"   fish: hull completion fish | source). The script is made from hull's own command tree.",
		Action: func(c *cli.Context) error {
			// The default hull knows the app commands (compose, kube,
			// generate) by name only; the full hull has their
			// subcommands and flags, and writes the script when it is
			// embedded.
			if err := completeInFullHull(); err != nil {
				return err
			}
			if err := needArgs(c, 1, 1); err != nil {
				return err
			}
			switch sh := c.Args().First(); sh {
			case "bash":
				writeBash(c.App.Writer, c.App)
			case "zsh":
				// zsh runs bash completion functions through bashcompinit.
				fmt.Fprintln(c.App.Writer, "#compdef hull\nautoload -U +X bashcompinit && bashcompinit")
				writeBash(c.App.Writer, c.App)
			case "fish":
				writeFish(c.App.Writer, c.App)
			default:
				return fmt.Errorf("unsupported shell %q: bash, zsh or fish", sh)
			}
			return nil
		}}
}

// words are a command's completions: its subcommands, else its flags.
func words(cmds []*cli.Command, flags []cli.Flag) string {
	var w []string
	for _, c := range cmds {
		if !c.Hidden {
			w = append(w, c.Names()...)
		}
	}
	for _, f := range flags {
		for _, n := range f.Names() {
			if len(n) == 1 {
				w = append(w, "-"+n)
			} else {
				w = append(w, "--"+n)
			}
		}
	}
	sort.Strings(w)
	return strings.Join(w, " ")
}

// writeBash writes a bash completion function: the words after "hull"
// that are not flags pick the command (up to two levels), whose
// subcommands and flags are offered.
func writeBash(w io.Writer, app *cli.App) {
	fmt.Fprint(w, `_hull() {
	local cur=${COMP_WORDS[COMP_CWORD]} path="" n=0 i
	for ((i = 1; i < COMP_CWORD && n < 2; i++)); do
		case ${COMP_WORDS[i]} in -*) ;; *) path="$path ${COMP_WORDS[i]}"; n=$((n + 1)) ;; esac
	done
	local words
	case "${path# }" in
`)
	fmt.Fprintf(w, "\t\"\") words=%q ;;\n", words(app.Commands, app.Flags))
	for _, c := range app.Commands {
		for _, name := range c.Names() {
			fmt.Fprintf(w, "\t%q) words=%q ;;\n", name, words(c.Subcommands, c.Flags))
			for _, s := range c.Subcommands {
				for _, sn := range s.Names() {
					fmt.Fprintf(w, "\t%q) words=%q ;;\n", name+" "+sn, words(nil, s.Flags))
				}
			}
		}
	}
	fmt.Fprint(w, `	*) words="" ;;
	esac
	COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -o default -F _hull hull
`)
}

// writeFish writes fish completions: commands, subcommands and long flags.
func writeFish(w io.Writer, app *cli.App) {
	fmt.Fprintln(w, "complete -c hull -f")
	for _, c := range app.Commands {
		if c.Hidden {
			continue
		}
		fmt.Fprintf(w, "complete -c hull -n __fish_use_subcommand -a %s -d %s\n", c.Name, fishQuote(c.Usage))
		for _, s := range c.Subcommands {
			fmt.Fprintf(w, "complete -c hull -n '__fish_seen_subcommand_from %s' -a %s -d %s\n", c.Name, s.Name, fishQuote(s.Usage))
		}
		for _, f := range c.Flags {
			for _, n := range f.Names() {
				opt := "-l"
				if len(n) == 1 {
					opt = "-s"
				}
				fmt.Fprintf(w, "complete -c hull -n '__fish_seen_subcommand_from %s' %s %s\n", c.Name, opt, n)
			}
		}
	}
}

func fishQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `\'`) + "'" }
