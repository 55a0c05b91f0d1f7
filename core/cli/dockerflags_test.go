package cli

import (
	"os"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"
)

// findCommand is the top-level command name of App().
func findCommand(t *testing.T, name string) *cli.Command {
	t.Helper()
	for _, c := range App().Commands {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no command %s", name)
	return nil
}

// TestDockerFlagTable walks hull's run, create and build flags against the
// table of Docker's: a supported or hull-only flag must be defined (with
// Docker's one-letter form when the row has one), an ignored one accepted
// and not hidden, a refused one defined only hidden, refusing; and every
// flag hull defines must have a row.
func TestDockerFlagTable(t *testing.T) {
	for _, name := range []string{"run", "create", "build"} {
		cmd := findCommand(t, name)
		flags := map[string]cli.Flag{}
		for _, f := range cmd.Flags {
			for _, n := range flagNames(f) {
				flags[n] = f
			}
		}
		rows := map[string]bool{}
		for _, r := range dockerFlagTable(name) {
			rows[r.Name] = true
			if r.Short != "" {
				rows[r.Short] = true
			}
			if name == "create" && dockerRunOnly[r.Name] {
				continue
			}
			f, ok := flags[r.Name]
			if r.Name == "help" {
				continue // urfave's own
			}
			switch r.Status {
			case flagSupported, flagHullOnly:
				if !ok || (isHidden(f) && r.Status == flagSupported) {
					t.Errorf("%s --%s is %q in the table but hull's %s does not define it", name, r.Name, r.Status, name)
					continue
				}
				if r.Short != "" && flags[r.Short] != f {
					t.Errorf("%s --%s: hull lacks Docker's -%s", name, r.Name, r.Short)
				}
				if strings.HasPrefix(usageOf(f), "refused:") {
					t.Errorf("%s --%s is supported in the table but only refused by hull", name, r.Name)
				}
			case flagIgnored:
				if !ok || isHidden(f) {
					t.Errorf("%s --%s is accepted and ignored in the table but not accepted", name, r.Name)
				}
			case flagRefused:
				// Hidden and refusing (dockerflags.go), or the command's
				// own flag that it refuses itself.
				if !ok {
					t.Errorf("%s --%s is refused in the table but hull's %s does not know it", name, r.Name, name)
				}
				if r.Note == "" {
					t.Errorf("%s --%s is refused without a message", name, r.Name)
				}
			}
		}
		for n := range flags {
			if !rows[n] {
				t.Errorf("hull's %s defines --%s, which the Docker flag table lacks", name, n)
			}
		}
	}
}

// A refused flag exits 125 with the table's message, before any work.
func TestDockerFlagRefused(t *testing.T) {
	app := App()
	app.Writer, app.ErrWriter = new(strings.Builder), new(strings.Builder)
	var err error
	app.ExitErrHandler = func(_ *cli.Context, e error) { err = e }
	_ = app.Run([]string{"hull", "--root", t.TempDir(), "run", "--oom-kill-disable", "busybox"})
	if err == nil || !strings.Contains(err.Error(), "run --oom-kill-disable is not supported") {
		t.Fatalf("run --oom-kill-disable: %v", err)
	}
	var ee *exitError
	if e, ok := err.(*exitError); ok {
		ee = e
	}
	if ee == nil || ee.code != 125 {
		t.Errorf("run --oom-kill-disable: %#v, want exit 125", err)
	}
}

// docs/docker-flags.md is the table, rendered.
func TestDockerFlagsDoc(t *testing.T) {
	const path = "../../docs/docker-flags.md"
	want := dockerFlagsMarkdown()
	if os.Getenv("HULL_UPDATE_FLAGS") != "" {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil || string(got) != want {
		t.Errorf("%s is not the table (%v): run HULL_UPDATE_FLAGS=1 go test ./core/cli -run TestDockerFlagsDoc", path, err)
	}
}

func isHidden(f cli.Flag) bool {
	if r, ok := f.(repeatable); ok {
		return r.Hidden
	}
	if v, ok := f.(cli.VisibleFlag); ok {
		return !v.IsVisible()
	}
	return false
}

func usageOf(f cli.Flag) string {
	if d, ok := f.(cli.DocGenerationFlag); ok {
		return d.GetUsage()
	}
	return ""
}
