package cli

import (
	"bytes"
	"fmt"
	"slices"
	"testing"

	"github.com/urfave/cli/v2"
)

// Each stub of topCommands reads as its command does, once built and
// decorated, in every field a listing or urfave's lookup reads; and every
// top-level command has one.
func TestCommandStubsMatch(t *testing.T) {
	full := App()
	if len(full.Commands) != len(topCommands) {
		t.Errorf("the full tree has %d top-level commands, topCommands %d", len(full.Commands), len(topCommands))
	}
	for i := range topCommands {
		e := &topCommands[i]
		var c *cli.Command
		for _, x := range full.Commands {
			if x.Name == e.Name {
				c = x
			}
		}
		if c == nil {
			t.Errorf("topCommands has %q, the full tree has no such command", e.Name)
			continue
		}
		s := e.stub()
		if s.Name != c.Name || !slices.Equal(s.Aliases, c.Aliases) || s.Usage != c.Usage || s.Category != c.Category || s.Hidden != c.Hidden {
			t.Errorf("the stub of %s differs from the command: stub %s, command %s (fix its line in topCommands, cmdindex.go)",
				e.Name, stubFields(s), stubFields(c))
		}
	}
}

func stubFields(c *cli.Command) string {
	return fmt.Sprintf("{Name: %q, Aliases: %q, Usage: %q, Category: %q, Hidden: %v}", c.Name, c.Aliases, c.Usage, c.Category, c.Hidden)
}

// The tree built for one command (its stubs beside it) answers `hull
// --help`, `hull CMD --help` and an unknown command as the full tree does.
func TestLazyTreeHelpMatches(t *testing.T) {
	out := func(app *cli.App, args ...string) string {
		var o, e bytes.Buffer
		app.Writer, app.ErrWriter = &o, &e
		code := run(app, intersperse(app, append([]string{"hull"}, args...)))
		return fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s", code, o.String(), e.String())
	}
	for _, e := range topCommands {
		cases := [][]string{{"--help"}, {"no-such-command"}}
		if c := e.build(); !c.SkipFlagParsing {
			// One that parses nothing hands its command line, --help
			// included, to a fuller hull (appstub.go): this process.
			cases = append(cases, []string{e.Name, "--help"}, []string{"--help", e.Name})
		}
		for _, args := range cases {
			want := out(App(), args...)
			if got := out(newApp(e.Name), args...); got != want {
				t.Errorf("hull %q with only %s built:\n%s\nwant (the full tree):\n%s", args, e.Name, got, want)
			}
		}
	}
}
