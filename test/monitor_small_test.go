package test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// The monitor of a detached container is the small embedded binary, not
// hull: its comm says so, and the program it runs from is a fraction of
// hull's size. The container's init is the monitor's own child (the start
// call that launched it exited), so the monitor is what waits for it.
func TestMonitorIsSmallBinary(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	s.runD(t, "--name", "small", "--network", "none", "busybox", "sleep", "1000")
	m := s.monitors()
	if len(m) != 1 {
		t.Fatalf("monitors: %v", m)
	}
	dir := filepath.Join("/proc", strconv.Itoa(m[0]))
	comm, err := os.ReadFile(filepath.Join(dir, "comm"))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(string(comm)); got != "hull-monitor" {
		t.Errorf("monitor comm %q, want hull-monitor", got)
	}
	exe, err := os.Stat(filepath.Join(dir, "exe"))
	if err != nil {
		t.Fatal(err)
	}
	hull, err := os.Stat(hullBin)
	if err != nil {
		t.Fatal(err)
	}
	if exe.Size() > 8<<20 || exe.Size()*4 > hull.Size() {
		t.Errorf("monitor runs a %d-byte program, hull is %d bytes: not the small monitor", exe.Size(), hull.Size())
	}
	pid := strings.TrimSpace(s.mustHull(t, "inspect", "--format", "{{.State.Pid}}", "small"))
	if ppid := parentOf(t, pid); ppid != m[0] {
		t.Errorf("container init %s has parent %d, want the monitor %d", pid, ppid, m[0])
	}
	s.mustHull(t, "rm", "-f", "small")
}

// kill -9 of the small monitor leaves a consistent record (exited, 255,
// "container monitor died"), and takes the container with it: its init
// gets the monitor's parent-death signal, nothing runs on unobserved.
func TestMonitorKilledTakesContainer(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	s.runD(t, "--name", "k9", "busybox", "sleep", "1000")
	pid, err := strconv.Atoi(strings.TrimSpace(s.mustHull(t, "inspect", "--format", "{{.State.Pid}}", "k9")))
	if err != nil {
		t.Fatal(err)
	}
	m := s.monitors()
	if len(m) != 1 {
		t.Fatalf("monitors: %v", m)
	}
	killed(t, m[0])
	waitFor(t, "container init gone", func() bool { return syscall.Kill(pid, 0) != nil })
	st := strings.TrimSpace(s.mustHull(t, "inspect", "--format", "{{.State.Status}} {{.State.ExitCode}} {{.State.Running}}", "k9"))
	if st != "exited 255 false" {
		t.Errorf("inspect after monitor kill: %q", st)
	}
	s.mustHull(t, "rm", "k9")
}

// parentOf is the parent pid of pid, from /proc/PID/stat.
func parentOf(t *testing.T, pid string) int {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("/proc", pid, "stat"))
	if err != nil {
		t.Fatal(err)
	}
	fields := strings.Fields(string(data[strings.LastIndexByte(string(data), ')')+1:]))
	ppid, err := strconv.Atoi(fields[1])
	if err != nil {
		t.Fatal(err)
	}
	return ppid
}

// The default network outlives the start call that set it up: the
// monitor holds slirp4netns's exit fd, and the container keeps its tap0
// after the call exited.
func TestMonitorKeepsNetwork(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	s.runD(t, "--name", "withnet", "busybox", "sleep", "1000")
	m := s.monitors()
	if len(m) != 1 {
		t.Fatalf("monitors: %v", m)
	}
	waitFor(t, "the start call gone", func() bool { return len(s.calls()) == 0 })
	if out := s.mustHull(t, "exec", "withnet", "cat", "/sys/class/net/tap0/operstate"); strings.TrimSpace(out) == "" {
		t.Errorf("no tap0 in the container once the start call exited")
	}
	s.mustHull(t, "rm", "-f", "withnet")
}

// calls are the pids of this store's monitor calls (hull __hull-mon).
func (s *store) calls() []int { return s.roleProcs("__hull-mon") }

// A container the start call cannot detach from (--pid host: no new pid
// namespace) runs with the call as its init's parent, for its whole life,
// and stops as any other.
func TestMonitorCallStaysForPidHost(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	s.runD(t, "--name", "ph", "--pid", "host", "--network", "none", "busybox", "sleep", "1000")
	pid := strings.TrimSpace(s.mustHull(t, "inspect", "--format", "{{.State.Pid}}", "ph"))
	calls := s.calls()
	if len(calls) != 1 || parentOf(t, pid) != calls[0] {
		t.Fatalf("init %s, parent %d; calls %v: want the start call as the parent", pid, parentOf(t, pid), calls)
	}
	s.mustHull(t, "stop", "-t", "1", "ph")
	if st := strings.TrimSpace(s.mustHull(t, "inspect", "--format", "{{.State.Status}} {{.State.ExitCode}}", "ph")); st != "exited 143" && st != "exited 137" {
		t.Errorf("after stop: %q", st)
	}
	waitFor(t, "the start call gone", func() bool { return len(s.calls()) == 0 })
	s.mustHull(t, "rm", "ph")
}

// A descriptor the caller of hull left open (a make jobserver's pipe, a CI
// runner's) reaches neither the container nor the monitor that stays
// beside it for its whole life.
func TestCallerDescriptorsStayWithCaller(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	var st syscall.Stat_t
	if err := syscall.Fstat(int(w.Fd()), &st); err != nil {
		t.Fatal(err)
	}
	pipe := "pipe:[" + strconv.FormatUint(st.Ino, 10) + "]"
	cmd := s.command(t.Context(), "run", "-d", "--name", "fds", "--network", "none", "busybox", "sleep", "1000")
	cmd.ExtraFiles = []*os.File{w} // fd 3 in hull, without close-on-exec
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("run -d with an extra descriptor: %v\n%s", err, out)
	}
	pid := strings.TrimSpace(s.mustHull(t, "inspect", "-f", "{{.State.Pid}}", "fds"))
	pids := append(s.monitors(), 0)
	pids[len(pids)-1], _ = strconv.Atoi(pid)
	for _, p := range pids {
		dir := filepath.Join("/proc", strconv.Itoa(p), "fd")
		ents, err := os.ReadDir(dir)
		if err != nil {
			t.Fatalf("read %s: %v", dir, err)
		}
		for _, e := range ents {
			if l, _ := os.Readlink(filepath.Join(dir, e.Name())); l == pipe {
				t.Errorf("process %d holds the caller's pipe as fd %s", p, e.Name())
			}
		}
	}
	s.mustHull(t, "rm", "-f", "fds")
}
