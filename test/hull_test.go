package test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// cmdTimeout bounds every hull invocation: a hang is a failure, not a stall
// of the whole suite.
const cmdTimeout = 2 * time.Minute

// store is one hull store (--root). Its methods take the calling test so
// that parallel subtests sharing a store report against themselves.
type store struct {
	root string
	// env is added to hull's environment (HULL_SINGLE_MAPPING=1).
	env []string
}

// newStore returns an empty store that is removed when t ends.
func newStore(t *testing.T) *store {
	t.Helper()
	dir, err := os.MkdirTemp(baseDir, "s")
	if err != nil {
		t.Fatalf("create store dir: %v", err)
	}
	s := &store{root: dir}
	t.Cleanup(func() {
		// A detached container a test left running would outlive the
		// suite (its monitor holds it) and load the machine.
		if len(s.monitors()) > 0 {
			s.hull(t, "rm", "-a", "-f")
			for _, pid := range s.monitors() {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		}
		if err := removeTree(dir); err != nil {
			t.Logf("clean up store %s: %v", dir, err)
		}
	})
	return s
}

// withBusybox returns a store holding the busybox image as busybox:latest.
func withBusybox(t *testing.T) *store {
	t.Helper()
	s := newStore(t)
	s.mustHull(t, "import", busyboxTar, "busybox")
	return s
}

// command prepares hull with this store's --root, in its own process group
// so that a timeout (or the crash test) can kill everything it started.
func (s *store) command(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, hullBin, append([]string{"--root", s.root}, args...)...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if len(s.env) > 0 {
		cmd.Env = append(os.Environ(), s.env...)
	}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	// A container process that outlives hull must not hold our pipes open
	// forever.
	cmd.WaitDelay = 10 * time.Second
	return cmd
}

// hull runs hull with no stdin and returns what it printed and its exit code.
func (s *store) hull(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	return s.hullIn(t, nil, args...)
}

// hullIn runs hull with stdin (nil: /dev/null).
func (s *store) hullIn(t *testing.T, stdin io.Reader, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
	defer cancel()
	cmd := s.command(ctx, args...)
	var out, errb bytes.Buffer
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, &out, &errb
	err := cmd.Run()
	code = exitCode(err)
	if ctx.Err() != nil {
		t.Errorf("hull %s: timed out after %v", quote(args), cmdTimeout)
	}
	if code < 0 {
		t.Errorf("hull %s: %v", quote(args), err)
	}
	t.Logf("hull %s -> %d%s", quote(args), code, indent(errb.String()))
	return out.String(), errb.String(), code
}

// mustHull runs hull and fails the test unless it exits 0.
func (s *store) mustHull(t *testing.T, args ...string) string {
	t.Helper()
	out, errs, code := s.hull(t, args...)
	if code != 0 {
		t.Fatalf("hull %s: exit %d\nstdout: %s\nstderr: %s", quote(args), code, out, errs)
	}
	return out
}

// exitCode is the process's exit status, or -1 when it did not exit (it
// could not start, or a signal killed it).
func exitCode(err error) int {
	if err == nil {
		return 0
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	return -1
}

// hasRow reports whether a line of a table (images, ps) starts with fields.
func hasRow(table string, fields ...string) bool {
	for _, line := range strings.Split(table, "\n") {
		f := strings.Fields(line)
		if len(f) < len(fields) {
			continue
		}
		match := true
		for i := range fields {
			match = match && f[i] == fields[i]
		}
		if match {
			return true
		}
	}
	return false
}

// lines returns the non-empty lines of s.
func lines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.TrimSpace(l) != "" {
			out = append(out, l)
		}
	}
	return out
}

// oneLineError checks that a failing command explained itself in exactly one
// line, as Docker does.
func oneLineError(t *testing.T, stderr string) {
	t.Helper()
	if l := lines(stderr); len(l) != 1 {
		t.Errorf("want a one-line error on stderr, got %d lines: %q", len(l), stderr)
	}
}

func quote(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = a
		if a == "" || strings.ContainsAny(a, " \t\n'\"$") {
			q[i] = strconv.Quote(a)
		}
	}
	return strings.Join(q, " ")
}

func indent(s string) string {
	s = strings.TrimRight(s, "\n")
	if s == "" {
		return ""
	}
	if len(s) > 2000 {
		s = s[:2000] + "…"
	}
	return "\n\t" + strings.ReplaceAll(s, "\n", "\n\t")
}

// removeTree removes dir even when hull left files owned by subordinate ids
// or directories without write permission: first as we are, then after
// making our own directories writable, then as root of a user namespace that
// maps our subordinate range (as hull itself does).
func removeTree(dir string) error {
	if err := os.RemoveAll(dir); err == nil {
		return nil
	}
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			_ = os.Chmod(p, 0o700)
		}
		return nil
	})
	err := os.RemoveAll(dir)
	if err == nil {
		return nil
	}
	uids, gids := subRange("/etc/subuid"), subRange("/etc/subgid")
	if uids == "" || gids == "" {
		return err
	}
	out, uerr := exec.Command("unshare", "--user", "--map-root-user",
		"--map-users="+uids, "--map-groups="+gids, "rm", "-rf", dir).CombinedOutput()
	if uerr != nil {
		return fmt.Errorf("%w; in a user namespace: %v: %s", err, uerr, out)
	}
	return nil
}

// subRange is our first subordinate range in unshare's "outer,inner,count"
// form (inner ids from 1, like hull's mapping), or "".
func subRange(file string) string {
	f, err := os.Open(file)
	if err != nil {
		return ""
	}
	defer f.Close()
	uid := strconv.Itoa(os.Getuid())
	name := uid
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		p := strings.Split(strings.TrimSpace(sc.Text()), ":")
		if len(p) == 3 && (p[0] == name || p[0] == uid) {
			return p[1] + ",1," + p[2]
		}
	}
	return ""
}
