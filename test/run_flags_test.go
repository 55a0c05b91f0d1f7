package test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// withConfigured returns a store holding busybox and "cfg", busybox
// imported with every --change instruction that shapes a run.
func withConfigured(t *testing.T) *store {
	t.Helper()
	s := withBusybox(t)
	s.mustHull(t, "import",
		"-c", "ENV FOO=bar GREETING=hello",
		"--change", `ENTRYPOINT ["/bin/sh", "-c"]`,
		"-c", `CMD ["echo $GREETING $FOO; pwd; id -u; id -g; echo $HOME"]`,
		"-c", "WORKDIR /srv/app",
		"-c", "USER user1",
		"-c", `LABEL org.example.a=b "org.example.c"="d e"`,
		"-c", "EXPOSE 8080/tcp 53/udp",
		busyboxTar, "cfg")
	return s
}

// The image's ENTRYPOINT, CMD, ENV, WORKDIR (created when missing) and
// USER apply as in Docker, and each flag overrides its part.
func TestImageConfigApplies(t *testing.T) {
	t.Parallel()
	s := withConfigured(t)
	cases := []runCase{
		{name: "image defaults", args: []string{"cfg"}, stdout: "hello bar\n/srv/app\n1000\n1000\n/home/user1\n"},
		{name: "args replace cmd", args: []string{"cfg", "echo override $FOO"}, stdout: "override bar\n"},
		{name: "env overrides image env", args: []string{"-e", "FOO=flag", "cfg", "echo $FOO $GREETING"}, stdout: "flag hello\n"},
		{name: "user overrides", args: []string{"-u", "0", "cfg", "id -u; echo $HOME"}, stdout: "0\n/root\n"},
		{name: "workdir overrides", args: []string{"-w", "/tmp", "cfg", "pwd"}, stdout: "/tmp\n"},
		{name: "entrypoint drops image cmd", args: []string{"--entrypoint", "/bin/echo", "cfg"}, stdout: "\n"},
		{name: "entrypoint with args", args: []string{"--entrypoint", "/bin/echo", "cfg", "a", "b"}, stdout: "a b\n"},
		{name: "empty entrypoint runs args", args: []string{"--entrypoint", "", "cfg", "id", "-un"}, stdout: "user1\n"},
		{name: "empty entrypoint and no args", args: []string{"--entrypoint", "", "cfg"}, code: 125},
		{name: "PATH default kept with image env", args: []string{"cfg", "echo $PATH"},
			stdout: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			out, errs, code := s.hull(t, append([]string{"run", "--rm"}, c.args...)...)
			checkRun(t, c, out, errs, code)
			if code == 125 {
				oneLineError(t, errs)
			}
		})
	}
}

// Docker's default environment: PATH, HOSTNAME, HOME from the image's
// /etc/passwd (/ for a uid it does not list), and no TERM without -t.
func TestDefaultEnv(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	script := `echo "PATH=$PATH"; echo "HOME=$HOME"; test "$HOSTNAME" = "$(hostname)" && echo hostname-ok; echo "TERM=$TERM"`
	const path = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n"
	cases := []runCase{
		{name: "root", args: []string{"busybox", "sh", "-c", script}, stdout: path + "HOME=/root\nhostname-ok\nTERM=\n"},
		{name: "unknown uid", args: []string{"-u", "4242", "busybox", "sh", "-c", script}, stdout: path + "HOME=/\nhostname-ok\nTERM=\n"},
		{name: "named user", args: []string{"-u", "user1", "busybox", "sh", "-c", script}, stdout: path + "HOME=/home/user1\nhostname-ok\nTERM=\n"},
		{name: "HOME from -e wins", args: []string{"-e", "HOME=/elsewhere", "busybox", "sh", "-c", "echo $HOME"}, stdout: "/elsewhere\n"},
		{name: "PATH from -e wins", args: []string{"-e", "PATH=/bin", "busybox", "sh", "-c", "echo $PATH"}, stdout: "/bin\n"},
		{name: "-e NAME passes the host's value", args: []string{"-e", "HOME", "busybox", "sh", "-c", "echo $HOME"}, stdout: os.Getenv("HOME") + "\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			out, errs, code := s.hull(t, append([]string{"run", "--rm"}, c.args...)...)
			checkRun(t, c, out, errs, code)
		})
	}
}

// -u accepts a name, a uid, uid:gid, name:group, resolved from the image's
// /etc/passwd and /etc/group; an unknown name fails with 125 (Docker
// fails with 126 only when exec fails; an unresolvable user is hull's
// error).
func TestUserFlag(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	cases := []runCase{
		{name: "uid:gid", args: []string{"-u", "1000:1000", "busybox", "sh", "-c", "id -u; id -g; echo $HOME"}, stdout: "1000\n1000\n/home/user1\n"},
		{name: "name:group", args: []string{"-u", "user1:nogroup", "busybox", "sh", "-c", "id -u; id -g"}, stdout: "1000\n65534\n"},
		{name: "uid:group name", args: []string{"-u", "4242:user1", "busybox", "sh", "-c", "id -u; id -g; echo $HOME"}, stdout: "4242\n1000\n/\n"},
		{name: "uid alone takes the passwd gid", args: []string{"-u", "65534", "busybox", "id", "-g"}, stdout: "65534\n"},
		{name: "unknown uid gets gid 0", args: []string{"-u", "4242", "busybox", "id", "-g"}, stdout: "0\n"},
		{name: "unknown name", args: []string{"-u", "nosuchuser", "busybox", "true"}, code: 125},
		{name: "unknown group", args: []string{"-u", "user1:nosuchgroup", "busybox", "true"}, code: 125},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			out, errs, code := s.hull(t, append([]string{"run", "--rm"}, c.args...)...)
			checkRun(t, c, out, errs, code)
			if c.code == 125 {
				oneLineError(t, errs)
			}
		})
	}
}

// Without -i the container's stdin is empty, with -i it is hull's.
func TestInteractive(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	out, _, code := s.hullIn(t, strings.NewReader("line one\nline two\n"), "run", "--rm", "-i", "busybox", "sh", "-c", "read a; read b; echo \"[$b][$a]\"")
	if code != 0 || out != "[line two][line one]\n" {
		t.Errorf("-i: exit %d, stdout %q", code, out)
	}
	out, _, code = s.hullIn(t, strings.NewReader("should not arrive\n"), "run", "--rm", "busybox", "cat")
	if code != 0 || out != "" {
		t.Errorf("without -i: exit %d, stdout %q, want nothing", code, out)
	}
	// Stdout and stderr stay apart.
	ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
	defer cancel()
	cmd := s.command(ctx, "run", "--rm", "busybox", "sh", "-c", "echo out; echo err >&2")
	var so, se strings.Builder
	cmd.Stdout, cmd.Stderr = &so, &se
	if err := cmd.Run(); err != nil || so.String() != "out\n" || se.String() != "err\n" {
		t.Errorf("stdout %q, stderr %q (%v), want \"out\\n\" and \"err\\n\"", so.String(), se.String(), err)
	}
}

func TestMountFlags(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "host"), []byte("from host\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []runCase{
		{name: "bind", args: []string{"--mount", "type=bind,source=" + dir + ",target=/m", "busybox", "sh", "-c", "cat /m/host; echo w > /m/bind-rw && echo ok"}, stdout: "from host\nok\n"},
		{name: "bind readonly", args: []string{"--mount", "type=bind,src=" + dir + ",dst=/m,readonly", "busybox", "sh", "-c", "cat /m/host; touch /m/nope 2>&1"}, stdout: "from host\ntouch: /m/nope: Read-only file system\n", code: 1},
		{name: "bind ro=true", args: []string{"--mount", "type=bind,src=" + dir + ",dst=/m,ro=true", "busybox", "touch", "/m/nope"}, fail: true},
		{name: "volume ro", args: []string{"-v", dir + ":/v:ro", "busybox", "sh", "-c", "cat /v/host; touch /v/nope 2>&1"}, stdout: "from host\ntouch: /v/nope: Read-only file system\n", code: 1},
		{name: "volume rw", args: []string{"-v", dir + ":/v:rw", "busybox", "sh", "-c", "echo w > /v/vol-rw && echo ok"}, stdout: "ok\n"},
		{name: "tmpfs mount", args: []string{"--mount", "type=tmpfs,destination=/t", "busybox", "sh", "-c", "grep -c ' /t tmpfs ' /proc/mounts; touch /t/x && echo ok"}, stdout: "1\nok\n"},
		{name: "tmpfs flag on read-only root", args: []string{"--read-only", "--tmpfs", "/t", "busybox", "sh", "-c", "touch /t/x && echo ok; touch /y 2>&1"}, stdout: "ok\ntouch: /y: Read-only file system\n", code: 1},
		{name: "missing bind source", args: []string{"-v", filepath.Join(dir, "nope") + ":/x", "busybox", "true"}, code: 125},
		{name: "relative target", args: []string{"--mount", "type=bind,src=" + dir + ",dst=rel", "busybox", "true"}, code: 125},
		{name: "unknown mount type", args: []string{"--mount", "type=nfs,dst=/x", "busybox", "true"}, code: 125},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, errs, code := s.hull(t, append([]string{"run", "--rm"}, c.args...)...)
			checkRun(t, c, out, errs, code)
			if c.code == 125 {
				oneLineError(t, errs)
			}
		})
	}
	for _, f := range []string{"bind-rw", "vol-rw"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("write through a read-write mount did not reach the host: %v", err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "nope")); err == nil {
		t.Errorf("a read-only mount was written to")
	}
}

func TestNames(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	s.mustHull(t, "run", "--name", "first", "busybox", "true")
	if names := s.mustHull(t, "ps", "-a", "--format", "{{.Names}}"); strings.TrimSpace(names) != "first" {
		t.Errorf("ps -a --format {{.Names}}: %q, want first", names)
	}
	_, errs, code := s.hull(t, "run", "--name", "first", "busybox", "true")
	if code != 125 || !strings.Contains(errs, "already in use") {
		t.Errorf("duplicate name: exit %d, stderr %q, want 125 and a conflict", code, errs)
	}
	oneLineError(t, errs)
	_, errs, code = s.hull(t, "run", "--name", "bad name!", "busybox", "true")
	if code != 125 {
		t.Errorf("invalid name: exit %d, want 125", code)
	}
	oneLineError(t, errs)
	if n := len(lines(s.mustHull(t, "ps", "-a", "-q"))); n != 1 {
		t.Errorf("ps -a -q lists %d containers after refused runs, want 1", n)
	}
	// Without --name a container gets Docker's adjective_surname name.
	s.mustHull(t, "run", "busybox", "true")
	for _, n := range lines(s.mustHull(t, "ps", "-a", "--format", "{{.Names}}")) {
		if n != "first" && !strings.Contains(n, "_") {
			t.Errorf("generated name %q is not adjective_name", n)
		}
	}
}

// --init runs an init as PID 1 that reaps orphans; without it the command
// is PID 1.
func TestInit(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	if out := s.mustHull(t, "run", "--rm", "busybox", "sh", "-c", "echo $$"); out != "1\n" {
		t.Errorf("without --init the command's pid is %q, want 1", out)
	}
	script := `echo $$; (sleep 0.2 &); sleep 0.6; ps -o stat,comm | grep -c '^Z' || true`
	out := s.mustHull(t, "run", "--rm", "--init", "busybox", "sh", "-c", script)
	l := lines(out)
	if len(l) != 2 || l[0] == "1" {
		t.Fatalf("with --init: %q, want the shell's pid (not 1) and a zombie count", out)
	}
	if l[1] != "0" {
		t.Errorf("with --init, %s zombies remain: init does not reap", l[1])
	}
	if _, _, code := s.hull(t, "run", "--rm", "--init", "busybox", "sh", "-c", "exit 42"); code != 42 {
		t.Errorf("--init: exit %d, want the command's 42", code)
	}
}

// A signal sent to hull reaches the container's process, with and
// without --init, and the process's own exit code comes back.
func TestSignalsReachContainer(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	script := `trap "echo got TERM; exit 7" TERM; echo ready; while :; do sleep 0.1; done`
	for _, flags := range [][]string{nil, {"--init"}} {
		t.Run(strings.Join(append([]string{"flags"}, flags...), " "), func(t *testing.T) {
			t.Parallel()
			args := append(append([]string{"run", "--rm"}, flags...), "busybox", "sh", "-c", script)
			out, code := runAndSignal(t, s, syscall.SIGTERM, args...)
			if out != "ready\ngot TERM\n" || code != 7 {
				t.Errorf("stdout %q, exit %d; want \"ready\\ngot TERM\\n\" and 7", out, code)
			}
		})
	}
	// A process without a handler dies of the signal: 128+15, as Docker.
	t.Run("default action", func(t *testing.T) {
		t.Parallel()
		out, code := runAndSignal(t, s, syscall.SIGTERM, "run", "--rm", "--init", "busybox", "sh", "-c", "echo ready; exec sleep 60")
		if out != "ready\n" || code != 128+15 {
			t.Errorf("stdout %q, exit %d; want ready and 143", out, code)
		}
	})
}

// runAndSignal starts hull, waits for the container to print "ready", sends
// sig to the hull process (not its group) and returns stdout and the exit
// code.
func runAndSignal(t *testing.T, s *store, sig syscall.Signal, args ...string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
	defer cancel()
	cmd := s.command(ctx, args...)
	var out syncBuffer
	cmd.Stdout = &out
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(out.String(), "ready") && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if err := cmd.Process.Signal(sig); err != nil {
		t.Errorf("signal hull: %v", err)
	}
	code := exitCode(cmd.Wait())
	t.Logf("hull %s, sent %v -> %d", quote(args), sig, code)
	return out.String(), code
}
