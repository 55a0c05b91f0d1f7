package cli

import (
	"strings"
	"testing"

	"github.com/urfave/cli/v2"
)

func TestInvokedCommand(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"hull", "run", "--rm", "busybox"}, "run"},
		{[]string{"hull", "--root", "/s", "--debug", "ps", "-a"}, "ps"},
		{[]string{"hull", "--root=/s", "version"}, "version"},
		{[]string{"hull", "--root", "run", "build"}, "build"}, // "run" is --root's value
		{[]string{"hull", "container", "run"}, ""},
		{[]string{"hull", "image", "build", "."}, ""},
		{[]string{"hull", "help", "run"}, ""},
		{[]string{"hull", "completion", "bash"}, ""},
		{[]string{"hull", "--", "run"}, ""},
		{[]string{"hull"}, ""},
		{[]string{"hull", "--help"}, ""},
	} {
		if got := invokedCommand(c.args); got != c.want {
			t.Errorf("invokedCommand(%q) = %q, want %q", c.args, got, c.want)
		}
	}
}

// The command invoked keeps its refused flags; the tree built for another
// command leaves them out, and the full tree has them everywhere.
func TestRefusedFlagsOfInvokedCommand(t *testing.T) {
	has := func(app *cli.App, path ...string) bool {
		cmds := app.Commands
		var c *cli.Command
		for _, p := range path {
			c = nil
			for _, x := range cmds {
				if x.HasName(p) {
					c = x
				}
			}
			if c == nil {
				t.Fatalf("no command %v", path)
			}
			cmds = c.Subcommands
		}
		for _, f := range c.Flags {
			for _, n := range f.Names() {
				if n == "runtime" { // refused for run and create
					return true
				}
			}
		}
		return false
	}
	if !has(newApp("run"), "run") || has(newApp("run"), "create") || has(newApp("ps"), "run") {
		t.Errorf("refused flags: run's tree should have them on run only, ps's on none")
	}
	full := App()
	for _, p := range [][]string{{"run"}, {"create"}, {"container", "run"}, {"container", "create"}} {
		if !has(full, p...) {
			t.Errorf("full tree: %v has no refused --runtime", p)
		}
	}
	// As Main runs it: refused with the table's message, not "flag
	// provided but not defined" (which exits 125 too).
	args := []string{"hull", "--root", t.TempDir(), "run", "--runtime", "x", "busybox", "true"}
	app := newApp(invokedCommand(args))
	var errs strings.Builder
	app.ErrWriter = &errs
	if code := run(app, args); code != 125 || !strings.Contains(errs.String(), "run --runtime is not supported") {
		t.Errorf("run --runtime x: exit %d, stderr %q; want 125 and the refusal", code, errs.String())
	}
}
