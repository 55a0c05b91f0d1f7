package test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// nsOf is the namespace link (/proc/self/ns/KIND) of a running
// container's main process, read by exec.
func (s *store) nsOf(t *testing.T, name, kind string) string {
	t.Helper()
	return strings.TrimSpace(s.mustHull(t, "exec", name, "readlink", "/proc/1/ns/"+kind))
}

// --pid container:X: the joiner sees X's processes (and runs in X's user
// namespace); it dies with X's PID 1; a restart joins X's new namespaces
// and is refused while X is stopped.
func TestNSJoinPid(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	s.mustHull(t, "run", "-d", "--name", "tx", "busybox", "sleep", "1001")
	out := s.mustHull(t, "run", "--rm", "--pid", "container:tx", "busybox", "ps")
	if !strings.Contains(out, "sleep 1001") {
		t.Errorf("--pid container:x: ps does not show x's sleep:\n%s", out)
	}
	if out := s.mustHull(t, "run", "--rm", "busybox", "ps"); strings.Contains(out, "sleep 1001") {
		t.Errorf("without --pid the container sees x's sleep:\n%s", out)
	}
	if got, want := strings.TrimSpace(s.mustHull(t, "run", "--rm", "--pid", "container:tx", "busybox", "readlink", "/proc/self/ns/user")),
		s.nsOf(t, "tx", "user"); got != want {
		t.Errorf("--pid container:x: user namespace %s, want x's %s", got, want)
	}
	s.mustHull(t, "run", "-d", "--name", "tj", "--pid", "container:tx", "busybox", "sleep", "1002")
	id := strings.TrimSpace(s.mustHull(t, "inspect", "-f", "{{.Id}}", "tx"))
	if got := strings.TrimSpace(s.mustHull(t, "inspect", "-f", "{{.HostConfig.PidMode}} {{.HostConfig.IpcMode}}", "tj")); got != "container:"+id+" private" {
		t.Errorf("inspect PidMode IpcMode: %q, want container:%s private", got, id)
	}
	if out := s.mustHull(t, "exec", "tx", "ps"); !strings.Contains(out, "sleep 1002") {
		t.Errorf("x does not see j's process:\n%s", out)
	}
	// x's PID 1 ends its pid namespace: the kernel kills j's processes.
	s.mustHull(t, "stop", "-t", "1", "tx")
	if got := strings.TrimSpace(s.mustHull(t, "wait", "tj")); got != "137" {
		t.Errorf("j after x stopped: exit %q, want 137", got)
	}
	_, errs, code := s.hull(t, "start", "tj")
	if code != 125 || !strings.Contains(errs, "cannot join PID of a non running container: tx") {
		t.Errorf("start j while x is stopped: exit %d %q", code, errs)
	}
	oneLineError(t, errs)
	s.mustHull(t, "start", "tx")
	s.mustHull(t, "start", "tj")
	if out := s.mustHull(t, "exec", "tj", "ps"); !strings.Contains(out, "sleep 1001") {
		t.Errorf("restarted j does not see restarted x's sleep:\n%s", out)
	}
	s.mustHull(t, "rm", "-f", "tj", "tx")
}

// --ipc container:X: X's IPC namespace and its /dev/shm, in both
// directions; the joiner keeps a pid namespace of its own.
func TestNSJoinIPC(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	s.mustHull(t, "run", "-d", "--name", "tx", "busybox", "sh", "-c", "echo from-x > /dev/shm/x; exec sleep 1003")
	script := `readlink /proc/self/ns/ipc; cat /dev/shm/x; echo from-j > /dev/shm/j; ps`
	out := s.mustHull(t, "run", "--rm", "--ipc", "container:tx", "busybox", "sh", "-c", script)
	l := lines(out)
	if len(l) < 2 || l[0] != s.nsOf(t, "tx", "ipc") || l[1] != "from-x" {
		t.Errorf("--ipc container:x: %q, want x's IPC namespace and its /dev/shm file", out)
	}
	if strings.Contains(out, "sleep 1003") {
		t.Errorf("--ipc container:x shares x's pid namespace too:\n%s", out)
	}
	if got := strings.TrimSpace(s.mustHull(t, "exec", "tx", "cat", "/dev/shm/j")); got != "from-j" {
		t.Errorf("x's /dev/shm/j: %q, want the joiner's write", got)
	}
	if got := strings.TrimSpace(s.mustHull(t, "run", "--rm", "busybox", "sh", "-c", "ls /dev/shm")); got != "" {
		t.Errorf("a private IPC container's /dev/shm holds %q", got)
	}
	s.mustHull(t, "rm", "-f", "tx")
}

// --uts container:X and --network container:X: X's name and network.
func TestNSJoinUTSNetwork(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	s.mustHull(t, "run", "-d", "--name", "tx", "--hostname", "xhost", "busybox", "sleep", "1004")
	if got := strings.TrimSpace(s.mustHull(t, "run", "--rm", "--uts", "container:tx", "busybox", "hostname")); got != "xhost" {
		t.Errorf("--uts container:x: hostname %q, want xhost", got)
	}
	out := s.mustHull(t, "run", "--rm", "--network", "container:tx", "busybox", "sh", "-c",
		"readlink /proc/self/ns/net; readlink /proc/self/ns/uts; cat /etc/hostname")
	l := lines(out)
	if len(l) != 3 || l[0] != s.nsOf(t, "tx", "net") || l[1] == s.nsOf(t, "tx", "uts") || l[2] != "xhost" {
		t.Errorf("--network container:x: %q, want x's network namespace, a UTS one of its own, x's name", out)
	}
	id := strings.TrimSpace(s.mustHull(t, "inspect", "-f", "{{.Id}}", "tx"))
	s.mustHull(t, "create", "--name", "tj", "--network", "container:tx", "--uts", "container:tx", "busybox", "true")
	if got := strings.TrimSpace(s.mustHull(t, "inspect", "-f", "{{.HostConfig.NetworkMode}} {{.HostConfig.UTSMode}}", "tj")); got != "container:"+id+" container:"+id {
		t.Errorf("inspect NetworkMode UTSMode: %q", got)
	}
	for _, bad := range [][]string{{"--network", "container:tx", "-p", "8080:80"}, {"--uts", "container:tx", "-h", "y"}, {"--network", "container:tx", "--dns", "1.1.1.1"}} {
		_, errs, code := s.hull(t, append(append([]string{"run", "--rm"}, bad...), "busybox", "true")...)
		if code != 125 || !strings.Contains(errs, "conflicting options") {
			t.Errorf("%v: exit %d %q, want 125 conflicting options", bad, code, errs)
		}
	}
	s.mustHull(t, "rm", "-f", "tj", "tx")
}

// --pid host: the host's processes, the test's own sleep among them;
// /proc is still masked and read-only where Docker's is.
func TestNSJoinPidHost(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	sleep := exec.Command("sleep", "1005")
	sleep.Env = append(os.Environ(), "HULL_CANARY=env-canary-1005")
	if err := sleep.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = sleep.Process.Kill(); _ = sleep.Wait() }()
	pid := strconv.Itoa(sleep.Process.Pid)
	out := s.mustHull(t, "run", "--rm", "--pid", "host", "busybox", "sh", "-c",
		"cat /proc/"+pid+"/cmdline | tr '\\0' ' '; echo; grep -c ' /proc/sys ro,' /proc/self/mountinfo; kill -0 1 2>/dev/null && echo signalled-init; true")
	l := lines(out)
	if len(l) < 2 || strings.TrimSpace(l[0]) != "sleep 1005" {
		t.Errorf("--pid host: /proc/%s: %q, want the test's sleep 1005", pid, out)
	}
	if len(l) < 2 || l[1] == "0" {
		t.Errorf("--pid host: /proc/sys is not read-only: %q", out)
	}
	if strings.Contains(out, "signalled-init") {
		t.Errorf("--pid host: the container could signal the host's init: %q", out)
	}
	// The user's processes are in another user namespace: their
	// environment, root, cwd and fds stay closed, --privileged included.
	for _, extra := range [][]string{nil, {"--privileged"}} {
		args := append(append([]string{"run", "--rm", "--pid", "host"}, extra...), "busybox", "sh", "-c",
			"cat /proc/"+pid+"/environ; ls /proc/"+pid+"/root/ /proc/"+pid+"/cwd/ /proc/"+pid+"/fd/; true")
		if out, _, _ := s.hull(t, args...); strings.Contains(out, "env-canary-1005") || strings.Contains(out, "etc") {
			t.Errorf("--pid host %v: the user's process's environ or root is open: %q", extra, out)
		}
	}
	if out := s.mustHull(t, "run", "--rm", "busybox", "ls", "/proc"); strings.Contains(" "+strings.Join(strings.Fields(out), " ")+" ", " "+pid+" ") {
		t.Errorf("without --pid host the container sees host pid %s", pid)
	}
	if got := strings.TrimSpace(s.mustHull(t, "inspect", "-f", "{{.HostConfig.PidMode}}",
		strings.TrimSpace(s.mustHull(t, "create", "--pid", "host", "busybox", "true")))); got != "host" {
		t.Errorf("inspect PidMode: %q, want host", got)
	}
}

// Joining a container that does not exist, is not running, or itself
// joined another's fails with one line, exit 125, and leaves nothing.
func TestNSJoinErrors(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	s.mustHull(t, "create", "--name", "stopped", "busybox", "sleep", "1")
	s.mustHull(t, "run", "-d", "--name", "tx", "busybox", "sleep", "1006")
	s.mustHull(t, "run", "-d", "--name", "tj", "--ipc", "container:tx", "busybox", "sleep", "1006")
	before := s.mustHull(t, "ps", "-a", "-q")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--pid", "container:nosuch"}, "no such container: nosuch"},
		{[]string{"--pid", "container:stopped"}, "cannot join PID of a non running container: stopped"},
		{[]string{"--ipc", "container:stopped"}, "cannot join IPC of a non running container: stopped"},
		{[]string{"--network", "container:stopped"}, "cannot join network of a non running container: stopped"},
		{[]string{"--uts", "container:tj"}, "it shares those of another container"},
		{[]string{"--pid", "container:tx", "--ipc", "container:tj"}, "can join the namespaces of one container only"},
		{[]string{"--pid", "container:tx", "--userns", "keep-id"}, "--userns cannot be set"},
		{[]string{"--pid", "sideways"}, "invalid --pid"},
	} {
		for _, cmd := range []string{"run", "create"} {
			if cmd == "create" && strings.Contains(c.want, "non running") {
				continue // create joins nothing yet, as Docker
			}
			_, errs, code := s.hull(t, append(append([]string{cmd, "--rm"}, c.args...), "busybox", "true")...)
			if code != 125 || !strings.Contains(errs, c.want) {
				t.Errorf("%s %v: exit %d %q, want 125 %q", cmd, c.args, code, errs, c.want)
			}
			oneLineError(t, errs)
		}
	}
	if after := s.mustHull(t, "ps", "-a", "-q"); after != before {
		t.Errorf("failed joins left containers: before\n%safter\n%s", before, after)
	}
	// create names a stopped container; its start is refused until it runs.
	s.mustHull(t, "create", "--name", "later", "--pid", "container:stopped", "busybox", "true")
	if _, errs, code := s.hull(t, "start", "later"); code != 125 || !strings.Contains(errs, "non running container: stopped") {
		t.Errorf("start later: exit %d %q", code, errs)
	}
	s.mustHull(t, "rm", "-f", "tj", "tx")
}

// Hostile: a joiner shares only the namespaces it named; it has a mount
// namespace and root of its own, reaches no host file, and a target that
// turned its /dev/shm into a symlink gets no bind of what it points at.
func TestNSJoinHostile(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	canary := filepath.Join(s.root, "host-canary")
	if err := os.WriteFile(canary, []byte("host secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s.mustHull(t, "run", "-d", "--name", "tx", "busybox", "sh", "-c", "echo x-canary > /x-canary; exec sleep 1007")
	all := []string{"--pid", "container:tx", "--ipc", "container:tx", "--uts", "container:tx", "--network", "container:tx"}
	script := "readlink /proc/self/ns/mnt; cat /x-canary 2>/dev/null || echo no-x-canary; " +
		"cat " + canary + " 2>/dev/null || echo no-host-canary; cat /proc/self/root" + canary + " 2>/dev/null || echo no-host-canary-root; " +
		"echo j > /j-file"
	out := s.mustHull(t, append(append([]string{"run", "--rm"}, all...), "busybox", "sh", "-c", script)...)
	l := lines(out)
	if len(l) != 4 || l[0] == s.nsOf(t, "tx", "mnt") || l[1] != "no-x-canary" || l[2] != "no-host-canary" || l[3] != "no-host-canary-root" {
		t.Errorf("joiner: %q, want a mount namespace of its own, neither x's root nor the host's files", out)
	}
	if _, _, code := s.hull(t, "exec", "tx", "test", "-e", "/j-file"); code == 0 {
		t.Error("the joiner's write reached x's root")
	}
	if b, err := os.ReadFile(canary); err != nil || string(b) != "host secret\n" {
		t.Errorf("host canary changed: %q %v", b, err)
	}
	// A privileged x can replace its /dev/shm with a link to its /etc.
	s.mustHull(t, "run", "-d", "--name", "evil", "--privileged", "busybox", "sh", "-c",
		"umount /dev/shm && rmdir /dev/shm && ln -s /etc /dev/shm && touch /ready; exec sleep 1008")
	s.mustHull(t, "exec", "evil", "sh", "-c", "for i in $(seq 50); do [ -e /ready ] && exit 0; sleep 0.1; done; exit 1")
	_, errs, code := s.hull(t, "run", "--rm", "--ipc", "container:evil", "busybox", "ls", "/dev/shm/passwd")
	if code != 125 || !strings.Contains(errs, "/dev/shm") {
		t.Errorf("--ipc container:evil with /dev/shm a symlink: exit %d %q, want 125 naming /dev/shm", code, errs)
	}
	s.mustHull(t, "rm", "-f", "tx", "evil")
}
