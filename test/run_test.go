package test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
)

func TestVersion(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	if out := s.mustHull(t, "version"); strings.TrimSpace(out) == "" {
		t.Fatal("hull version printed nothing")
	}
}

func TestImportPrintsDigest(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	out := s.mustHull(t, "import", busyboxTar, "busybox")
	if !regexp.MustCompile(`^sha256:[0-9a-f]{64}$`).MatchString(strings.TrimSpace(out)) {
		t.Fatalf("import printed %q, want sha256:<64 hex>", out)
	}
	if images := s.mustHull(t, "images"); !hasRow(images, "busybox", "latest") {
		t.Fatalf("images does not list busybox latest:\n%s", images)
	}
}

// runCase is one `hull run` and what Docker would print and exit with.
type runCase struct {
	name   string
	args   []string // after "run --rm"
	stdout string
	code   int
	fail   bool // any non-zero exit (the exact code is the command's own)
}

func TestRun(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	envFile := filepath.Join(t.TempDir(), "env")
	if err := os.WriteFile(envFile, []byte("A=1\n# a comment\n\nB=two words\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []runCase{
		{name: "echo", args: []string{"busybox", "echo", "hi"}, stdout: "hi\n"},
		{name: "exit code passes through", args: []string{"busybox", "sh", "-c", "exit 3"}, code: 3},
		{name: "missing command", args: []string{"busybox", "no-such-command"}, code: 127},
		{name: "not executable", args: []string{"busybox", "/etc/passwd"}, code: 126},
		{name: "env", args: []string{"-e", "FOO=bar", "busybox", "sh", "-c", "echo $FOO"}, stdout: "bar\n"},
		{name: "env file", args: []string{"--env-file", envFile, "busybox", "sh", "-c", `echo "$A|$B"`}, stdout: "1|two words\n"},
		{name: "workdir is created", args: []string{"-w", "/work/dir", "busybox", "pwd"}, stdout: "/work/dir\n"},
		{name: "numeric user", args: []string{"-u", "1000", "busybox", "id", "-u"}, stdout: "1000\n"},
		{name: "named user", args: []string{"-u", "user1", "busybox", "sh", "-c", "id -u; id -g; echo $HOME"}, stdout: "1000\n1000\n/home/user1\n"},
		{name: "hostname", args: []string{"--hostname", "myhost", "busybox", "hostname"}, stdout: "myhost\n"},
		{name: "entrypoint", args: []string{"--entrypoint", "/bin/echo", "busybox", "hi", "there"}, stdout: "hi there\n"},
		{name: "read-only root", args: []string{"--read-only", "busybox", "touch", "/x"}, fail: true},
		{name: "read-only with tmpfs", args: []string{"--read-only", "--tmpfs", "/tmp", "busybox", "sh", "-c", "touch /tmp/x && echo ok"}, stdout: "ok\n"},
		{name: "tmpfs", args: []string{"--tmpfs", "/scratch", "busybox", "sh", "-c", "grep -c ' /scratch tmpfs ' /proc/mounts"}, stdout: "1\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			out, errs, code := s.hull(t, append([]string{"run", "--rm"}, c.args...)...)
			checkRun(t, c, out, errs, code)
		})
	}
}

func checkRun(t *testing.T, c runCase, out, errs string, code int) {
	t.Helper()
	switch {
	case c.fail && code == 0:
		t.Errorf("exit 0, want failure (stdout %q)", out)
	case !c.fail && code != c.code:
		t.Errorf("exit %d, want %d (stderr %q)", code, c.code, errs)
	}
	if !c.fail && out != c.stdout {
		t.Errorf("stdout %q, want %q", out, c.stdout)
	}
}

func TestRunMissingImage(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	_, errs, code := s.hull(t, "run", "--rm", "no-such-image", "true")
	if code != 125 {
		t.Errorf("exit %d, want 125", code)
	}
	oneLineError(t, errs)
}

// A file the container's root creates in a bind mount belongs to the
// invoking user on the host: container root is the user.
func TestBindMount(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	dir := t.TempDir()
	s.mustHull(t, "run", "--rm", "-v", dir+":/data", "busybox", "sh", "-c", "echo x > /data/f")
	b, err := os.ReadFile(filepath.Join(dir, "f"))
	if err != nil || string(b) != "x\n" {
		t.Fatalf("host file: %q, %v; want \"x\\n\"", b, err)
	}
	st, err := os.Stat(filepath.Join(dir, "f"))
	if err != nil {
		t.Fatal(err)
	}
	if uid := st.Sys().(*syscall.Stat_t).Uid; int(uid) != os.Getuid() {
		t.Errorf("file owned by uid %d on the host, want %d", uid, os.Getuid())
	}
	if _, _, code := s.hull(t, "run", "--rm", "-v", dir+":/data:ro", "busybox", "touch", "/data/g"); code == 0 {
		t.Errorf("writing to a :ro bind mount succeeded")
	}
}

func TestRunRmLeavesNoContainer(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	s.mustHull(t, "run", "--rm", "busybox", "true")
	if out := s.mustHull(t, "ps", "-a", "-q"); strings.TrimSpace(out) != "" {
		t.Fatalf("ps -a -q after run --rm: %q, want nothing", out)
	}
	// wait hears a detached --rm container's code, though the record is
	// gone once its monitor lets go; the one it was killed with by rm -f.
	// Each container ends only once its wait has found it (the gate file),
	// not after a fixed sleep that a loaded machine can outlast.
	gate := t.TempDir()
	untilGate := func(name string, code int) []string {
		return []string{"-v", gate + ":/g", "--network", "none", "--name", name, "busybox", "sh", "-c",
			fmt.Sprintf("until [ -e /g/%s ]; do sleep 0.05; done; exit %d", name, code)}
	}
	open := func(name string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(gate, name), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	s.mustHull(t, append([]string{"run", "-d", "--rm"}, untilGate("rw5", 5)...)...)
	w := s.startWait(t, "rw5")
	open("rw5")
	if got := w.code(t); got != "5" {
		t.Errorf("wait of a --rm container that exits 5: %q", got)
	}
	// A foreground --rm run removes its container as it records the end;
	// a wait that began while it ran reads the code all the same, and
	// events has its die (with the code) before its destroy.
	fg := s.command(context.Background(), append([]string{"run", "--rm"}, untilGate("rwf", 6)...)...)
	if err := fg.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "rwf in ps", func() bool { return strings.Contains(s.mustHull(t, "ps", "--format", "{{.Names}}"), "rwf") })
	w = s.startWait(t, "rwf")
	open("rwf")
	if got := w.code(t); got != "6" {
		t.Errorf("wait of a foreground --rm container that exits 6: %q", got)
	}
	var ee *exec.ExitError
	if err := fg.Wait(); !errors.As(err, &ee) || ee.ExitCode() != 6 {
		t.Errorf("foreground run --rm: %v, want exit 6", err)
	}
	evs := s.mustHull(t, "events", "--since", "10m", "--until", "0s", "--filter", "container=rwf", "--format", "{{.Action}} {{.Actor.Attributes.exitCode}}")
	if die, destroy := strings.Index(evs, "die 6"), strings.Index(evs, "destroy"); die < 0 || destroy < die {
		t.Errorf("events of the foreground --rm run:\n%s\nwant die 6, then destroy", evs)
	}
	s.mustHull(t, "run", "-d", "--rm", "--network", "none", "--name", "rwk", "busybox", "sleep", "100")
	w = s.startWait(t, "rwk")
	s.mustHull(t, "rm", "-f", "rwk")
	if got := w.code(t); got != "137" {
		t.Errorf("wait of a --rm container removed with rm -f: %q", got)
	}
	if out := s.mustHull(t, "ps", "-a", "-q"); strings.TrimSpace(out) != "" {
		t.Errorf("ps -a -q after the --rm containers ended: %q, want nothing", out)
	}
}

// pendingWait is a hull wait started in the background.
type pendingWait struct {
	cmd       *exec.Cmd
	out, errs bytes.Buffer
}

// startWait starts hull wait on container name and returns once that wait
// has found the container: it holds the monitor's socket or a file of the
// container's own (its record, its removal lock), so the container may end
// from then on. The wait is told what it needs to know; it does not race a
// sleep.
func (s *store) startWait(t *testing.T, name string) *pendingWait {
	t.Helper()
	id := strings.TrimSpace(s.mustHull(t, "inspect", "--format", "{{.Id}}", name))
	w := &pendingWait{cmd: s.command(context.Background(), "wait", name)}
	w.cmd.Stdout, w.cmd.Stderr = &w.out, &w.errs
	if err := w.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	fdDir := fmt.Sprintf("/proc/%d/fd", w.cmd.Process.Pid)
	waitFor(t, "hull wait to find "+name, func() bool {
		fds, _ := os.ReadDir(fdDir)
		for _, fd := range fds {
			if l, err := os.Readlink(filepath.Join(fdDir, fd.Name())); err == nil &&
				(strings.HasPrefix(l, "socket:") || strings.Contains(l, id)) {
				t.Logf("hull wait %s holds %s", name, l)
				return true
			}
		}
		return false
	})
	return w
}

// code is the code the wait printed; the test fails if the wait failed.
func (w *pendingWait) code(t *testing.T) string {
	t.Helper()
	if err := w.cmd.Wait(); err != nil {
		t.Fatalf("%v: %v: %s", w.cmd.Args[3:], err, w.errs.String())
	}
	return strings.TrimSpace(w.out.String())
}

// 10 MB of random bytes through stdin and stdout arrive intact.
func TestPipeTenMegabytes(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	data := make([]byte, 10_000_000)
	if _, err := rand.Read(data); err != nil {
		t.Fatal(err)
	}
	out, errs, code := s.hullIn(t, bytes.NewReader(data), "run", "-i", "--rm", "busybox", "cat")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if len(out) != len(data) || sha256.Sum256([]byte(out)) != sha256.Sum256(data) {
		t.Fatalf("got %d bytes back (sha256 differs or length), want %d identical bytes", len(out), len(data))
	}
}
