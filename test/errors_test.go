package test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

func assertOwnedByUs(t *testing.T, path string) {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatalf("host file: %v", err)
	}
	if uid := st.Sys().(*syscall.Stat_t).Uid; int(uid) != os.Getuid() {
		t.Errorf("%s owned by uid %d on the host, want %d", path, uid, os.Getuid())
	}
}

// Each bad input fails with one clear line and Docker's exit code, and
// leaves no container, image or temporary file behind.
func TestBadInputs(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	unreadable := filepath.Join(t.TempDir(), "env")
	if err := os.WriteFile(unreadable, []byte("A=1\n"), 0o000); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		args []string
		code int
		want string // in stderr
	}{
		{"run without image", []string{"run"}, 125, "requires at least 1 argument"},
		{"run without image, flags only", []string{"run", "--rm", "-e", "A=1"}, 125, "requires at least 1 argument"},
		{"missing image", []string{"run", "--rm", "no-such-image", "true"}, 125, "no-such-image"},
		{"invalid reference", []string{"run", "--rm", "UPPER:case", "true"}, 125, ""},
		{"unknown long flag", []string{"run", "--bogus", "busybox", "true"}, 125, "unknown flag: --bogus"},
		{"unknown short flag", []string{"run", "-Z", "busybox", "true"}, 125, "unknown shorthand flag: 'Z'"},
		{"flag after the image is the command", []string{"run", "--rm", "busybox", "--name"}, 127, ""},
		{"unreadable env file", []string{"run", "--rm", "--env-file", unreadable, "busybox", "true"}, 125, "permission denied"},
		{"missing env file", []string{"run", "--rm", "--env-file", "/no/such/file", "busybox", "true"}, 125, "no such file"},
		{"bad volume", []string{"run", "--rm", "-v", "bad*name:/x", "busybox", "true"}, 125, ""},
		{"bad user", []string{"run", "--rm", "-u", "a:b:c", "busybox", "true"}, 125, ""},
		{"missing command", []string{"run", "--rm", "busybox", "no-such-command"}, 127, ""},
		{"command is a directory", []string{"run", "--rm", "busybox", "/etc"}, 126, ""},
		{"command not executable", []string{"run", "--rm", "busybox", "/etc/passwd"}, 126, ""},
		{"unknown command", []string{"bogus"}, 125, "not a hull command"},
		{"rm without argument", []string{"rm"}, 125, "requires at least 1 argument"},
		{"tag of a missing image", []string{"tag", "nosuch", "x"}, 125, "nosuch"},
		{"rmi of a missing image", []string{"rmi", "nosuch"}, 125, "nosuch"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, errs, code := s.hull(t, c.args...)
			if code != c.code {
				t.Errorf("exit %d, want %d", code, c.code)
			}
			oneLineError(t, errs)
			if !strings.Contains(errs, c.want) {
				t.Errorf("stderr %q lacks %q", errs, c.want)
			}
			if c.code == 125 && !strings.HasPrefix(errs, "hull: ") {
				t.Errorf("stderr %q does not start with \"hull: \"", errs)
			}
		})
	}
	// Nothing half-written: every failed run used --rm or never created a
	// container, images are unchanged, no temporary entries remain.
	if out := s.mustHull(t, "ps", "-a", "-q"); strings.TrimSpace(out) != "" {
		t.Errorf("containers left by failed runs: %q", out)
	}
	if ents, _ := os.ReadDir(filepath.Join(s.root, "containers")); len(ents) != 0 {
		t.Errorf("containers/ holds %d entries after failed runs", len(ents))
	}
	if got := lines(s.mustHull(t, "images", "--format", "{{.Repository}}")); len(got) != 1 || got[0] != "busybox" {
		t.Errorf("images after bad inputs: %q", got)
	}
	checkNoTemp(t, s.root)
}

// A run refused before its container exists leaves nothing; one whose
// command cannot start leaves a "created" container with the error, as
// Docker does (and nothing with --rm, see TestBadInputs).
func TestFailedRunLeavesNothing(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	for _, args := range [][]string{
		{"run", "--name", "x1", "--env-file", "/no/such", "busybox", "true"},
		{"run", "--name", "x1", "-v", "/no/such:/x", "busybox", "true"},
		{"run", "--name", "x1", "--cap-add", "BOGUS", "busybox", "true"},
		{"run", "--name", "x1", "--network", "bogus", "busybox", "true"},
	} {
		if _, errs, code := s.hull(t, args...); code != 125 {
			t.Errorf("%s: exit %d, want 125", quote(args), code)
		} else {
			oneLineError(t, errs)
		}
	}
	if out := s.mustHull(t, "ps", "-a", "--format", "{{.Names}} {{.Status}}"); strings.TrimSpace(out) != "" {
		t.Errorf("refused runs left containers: %q", out)
	}
	s.mustHull(t, "run", "--rm", "--name", "x1", "busybox", "true")

	for _, c := range []struct {
		name, user, cmd, errPart string
		code                     int
	}{
		{"nouser", "nosuchuser", "true", "nosuchuser", 125},
		{"nocmd", "", "no-such-command", "no-such-command", 127},
	} {
		args := []string{"run", "--name", c.name}
		if c.user != "" {
			args = append(args, "-u", c.user)
		}
		if _, errs, code := s.hull(t, append(args, "busybox", c.cmd)...); code != c.code {
			t.Errorf("%s: exit %d, want %d", c.name, code, c.code)
		} else {
			oneLineError(t, errs)
		}
		st := s.mustHull(t, "inspect", "-f", "{{.State.Status}}|{{.State.ExitCode}}|{{.State.Error}}", c.name)
		f := strings.SplitN(strings.TrimSpace(st), "|", 3)
		if len(f) != 3 || f[0] != "created" || f[1] != strconv.Itoa(c.code) || !strings.Contains(f[2], c.errPart) {
			t.Errorf("%s: state %q, want created|%d|<error naming %s>", c.name, st, c.code, c.errPart)
		}
	}
}
