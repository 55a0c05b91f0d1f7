package test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// runD starts a detached container and returns its id.
func (s *store) runD(t *testing.T, args ...string) string {
	t.Helper()
	id := strings.TrimSpace(s.mustHull(t, append([]string{"run", "-d"}, args...)...))
	if len(id) != 64 {
		t.Fatalf("run -d printed %q, want a 64-digit id", id)
	}
	return id
}

// monitors are the pids of live hull processes (monitors, containers'
// inits) that name this store on their command line.
func (s *store) monitors() []int { return s.roleProcs("__hull-monitor") }

// roleProcs are the pids of live processes of hull's role (argv[1]) for
// this store (argv[2]). A child that a role process has forked (or
// vforked) and that has not exec'd yet shows its parent's command line;
// it is not another such process and is left out.
func (s *store) roleProcs(role string) []int {
	parents := map[int]int{}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err == nil && strings.Contains(string(b), role+"\x00"+s.root+"\x00") {
			parents[pid] = ppidOf(pid)
		}
	}
	var pids []int
	for pid, ppid := range parents {
		if _, forked := parents[ppid]; !forked {
			pids = append(pids, pid)
		}
	}
	sort.Ints(pids)
	return pids
}

// ppidOf is pid's parent, from /proc/PID/stat (after the command name,
// which may hold spaces and parentheses); 0 when pid is gone.
func ppidOf(pid int) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	if len(f) < 2 {
		return 0
	}
	ppid, _ := strconv.Atoi(f[1])
	return ppid
}

// killed sends SIGKILL to pid and waits until it has exited. Leaving
// monitors' list is not enough: a dying process's cmdline reads empty as
// soon as its memory is released, before its files are closed and its
// locks (a monitor's lock) let go. Its pidfd becomes readable only once it
// has exited, and a reused pid cannot fool it.
func killed(t *testing.T, pid int) {
	t.Helper()
	fd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		t.Fatalf("pidfd of %d: %v", pid, err)
	}
	defer unix.Close(fd)
	if err := unix.PidfdSendSignal(fd, unix.SIGKILL, nil, 0); err != nil {
		t.Fatalf("kill %d: %v", pid, err)
	}
	fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
	for {
		n, err := unix.Poll(fds, int(cmdTimeout/time.Millisecond))
		if err == unix.EINTR {
			continue
		}
		if err != nil || n != 1 {
			t.Fatalf("pid %d did not exit after SIGKILL (%d ready, %v)", pid, n, err)
		}
		return
	}
}

func runRoot() string {
	if d := os.Getenv("XDG_RUNTIME_DIR"); d != "" {
		return filepath.Join(d, "hull")
	}
	return fmt.Sprintf("/tmp/hull-run-%d", os.Getuid())
}

func TestDetachedLifecycle(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	start := time.Now()
	id := s.runD(t, "--name", "d1", "busybox", "sh", "-c",
		`echo out; echo err >&2; trap "" TERM; while true; do sleep 0.1; done`)
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("run -d took %v", d)
	}
	if row := psRow(s.mustHull(t, "ps"), "d1"); !strings.Contains(row, "Up") || !strings.HasPrefix(row, id[:12]) {
		t.Errorf("ps row of d1: %q", row)
	}
	if st := s.mustHull(t, "inspect", "--format", "{{.State.Status}} {{.State.Running}} {{.Name}}", "d1"); strings.TrimSpace(st) != "running true /d1" {
		t.Errorf("inspect state: %q", st)
	}
	waitFor(t, "logs", func() bool {
		out, errs, _ := s.hull(t, "logs", "d1")
		return out == "out\n" && errs == "err\n"
	})
	if out, _, code := s.hull(t, "exec", "d1", "sh", "-c", "echo hi; exit 7"); code != 7 || out != "hi\n" {
		t.Errorf("exec exit 7: code %d out %q", code, out)
	}
	if out := s.mustHull(t, "exec", "-u", "1000:1000", "-w", "/tmp", "-e", "X=y", "d1", "sh", "-c", "id -u; id -g; pwd; echo $X"); out != "1000\n1000\n/tmp\ny\n" {
		t.Errorf("exec -u -w -e printed %q", out)
	}
	if out, _, code := s.hullIn(t, strings.NewReader("piped\n"), "exec", "-i", "d1", "cat"); code != 0 || out != "piped\n" {
		t.Errorf("exec -i: code %d out %q", code, out)
	}
	if _, _, code := s.hull(t, "exec", "d1", "/no/such"); code != 127 {
		t.Errorf("exec of a missing command exited %d, want 127", code)
	}
	if top := s.mustHull(t, "top", "d1"); !strings.Contains(top, "sleep") {
		t.Errorf("top shows no sleep:\n%s", top)
	}
	if _, _, code := s.hull(t, "rm", "d1"); code == 0 {
		t.Errorf("rm of a running container succeeded")
	}
	// The container ignores SIGTERM: stop must kill it at the deadline.
	start = time.Now()
	s.mustHull(t, "stop", "-t", "1", "d1")
	if d := time.Since(start); d < time.Second || d > 15*time.Second {
		t.Errorf("stop -t 1 of a SIGTERM-ignoring container took %v", d)
	}
	if code := strings.TrimSpace(s.mustHull(t, "wait", "d1")); code != "137" {
		t.Errorf("wait after stop printed %q, want 137", code)
	}
	st := s.mustHull(t, "inspect", "--format", "{{.State.Status}} {{.State.Running}} {{.State.ExitCode}} {{.State.Pid}}", "d1")
	if strings.TrimSpace(st) != "exited false 137 0" {
		t.Errorf("inspect after stop: %q", st)
	}
	// Restart on its own upper dir: a file written before survives.
	s.mustHull(t, "start", "d1")
	s.mustHull(t, "exec", "d1", "sh", "-c", "echo kept > /kept")
	s.mustHull(t, "restart", "-t", "0", "d1")
	if out := s.mustHull(t, "exec", "d1", "cat", "/kept"); out != "kept\n" {
		t.Errorf("after restart /kept = %q", out)
	}
	s.mustHull(t, "kill", "-s", "KILL", "d1")
	if code := strings.TrimSpace(s.mustHull(t, "wait", "d1")); code != "137" {
		t.Errorf("wait after kill printed %q", code)
	}
	s.mustHull(t, "rename", "d1", "d2")
	s.mustHull(t, "rm", "d2")
	if ps := s.mustHull(t, "ps", "-aq"); ps != "" {
		t.Errorf("ps -aq after rm: %q", ps)
	}
}

func TestCreateStartAttach(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	id := strings.TrimSpace(s.mustHull(t, "create", "--name", "c1", "busybox", "sh", "-c", "echo hello; exit 5"))
	if st := s.mustHull(t, "inspect", "--format", "{{.State.Status}}", "c1"); strings.TrimSpace(st) != "created" {
		t.Errorf("created container is %q", st)
	}
	if row := psRow(s.mustHull(t, "ps", "-a", "--filter", "status=created"), "c1"); !strings.HasPrefix(row, id[:12]) {
		t.Errorf("ps --filter status=created does not list c1")
	}
	out, _, code := s.hull(t, "start", "-a", "c1")
	if code != 5 || out != "hello\n" {
		t.Errorf("start -a: code %d out %q", code, out)
	}
	out, _, code = s.hullIn(t, strings.NewReader("in\n"), "run", "-d", "-i", "--name", "c2", "busybox", "cat")
	if code != 0 {
		t.Fatalf("run -d -i: %d", code)
	}
	if ps := s.mustHull(t, "ps", "--filter", "name=c2", "-q"); strings.TrimSpace(ps) != strings.TrimSpace(out)[:12] {
		t.Errorf("ps --filter name=c2 -q = %q", ps)
	}
	if ps := s.mustHull(t, "ps", "-a", "--filter", "exited=5", "--no-trunc", "-q"); strings.TrimSpace(ps) != id {
		t.Errorf("ps --filter exited=5 = %q", ps)
	}
	if ps := s.mustHull(t, "ps", "-a", "-n", "1", "-q"); strings.TrimSpace(ps) != strings.TrimSpace(out)[:12] {
		t.Errorf("ps -n 1 = %q", ps)
	}
	if ps := s.mustHull(t, "ps", "-a", "--filter", "ancestor=busybox", "-q"); len(lines(ps)) != 2 {
		t.Errorf("ps --filter ancestor=busybox = %q", ps)
	}
	s.mustHull(t, "rm", "-f", "c2")
	if _, errs, code := s.hull(t, "create", "--name", "c1", "busybox", "true"); code != 125 || !strings.Contains(errs, "already in use") {
		t.Errorf("duplicate name: %d %q", code, errs)
	}
	s.mustHull(t, "container", "prune", "-f")
	if ps := s.mustHull(t, "ps", "-aq"); ps != "" {
		t.Errorf("ps -aq after prune: %q", ps)
	}
}

func TestRunDetachedStartError(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	if _, _, code := s.hull(t, "run", "-d", "busybox", "/no/such/cmd"); code != 127 {
		t.Errorf("run -d of a missing command exited %d, want 127", code)
	}
}

func TestLogsFollow(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	s.runD(t, "--name", "ff", "busybox", "sh", "-c", "for i in 1 2 3 4 5; do echo line$i; sleep 0.3; done")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := s.command(ctx, "logs", "-f", "ff")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var got []string
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		got = append(got, sc.Text())
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("logs -f: %v", err)
	}
	if strings.Join(got, ",") != "line1,line2,line3,line4,line5" {
		t.Errorf("logs -f printed %q", got)
	}
	if out := s.mustHull(t, "logs", "--tail", "2", "ff"); out != "line4\nline5\n" {
		t.Errorf("logs --tail 2: %q", out)
	}
	if out := s.mustHull(t, "logs", "-t", "ff"); !strings.Contains(out, "Z line1") {
		t.Errorf("logs -t: %q", out)
	}
	if out := s.mustHull(t, "logs", "--since", "1h", "ff"); len(lines(out)) != 5 {
		t.Errorf("logs --since 1h: %q", out)
	}
}

// Twenty detached containers started, listed, stopped and removed at the
// same time leave no process, runtime dir or record behind.
func TestDetachedParallel(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	const n = 20
	ids := make([]string, n)
	parallel := func(fn func(i int)) {
		var wg sync.WaitGroup
		for i := 0; i < n; i++ {
			wg.Go(func() { fn(i) })
		}
		wg.Wait()
	}
	parallel(func(i int) { ids[i] = s.runD(t, "--name", fmt.Sprintf("p%d", i), "busybox", "sleep", "1000") })
	if t.Failed() {
		t.FailNow()
	}
	if ps := s.mustHull(t, "ps", "-q"); len(lines(ps)) != n {
		t.Errorf("ps lists %d containers, want %d", len(lines(ps)), n)
	}
	if m := s.monitors(); len(m) != n {
		t.Errorf("%d monitors, want %d", len(m), n)
	}
	parallel(func(i int) { s.mustHull(t, "stop", "-t", "5", fmt.Sprintf("p%d", i)) })
	parallel(func(i int) { s.mustHull(t, "rm", fmt.Sprintf("p%d", i)) })
	if ps := s.mustHull(t, "ps", "-aq"); ps != "" {
		t.Errorf("ps -aq after rm: %q", ps)
	}
	// A monitor lets go of its container before its process has ended.
	waitFor(t, "no monitor left", func() bool { return len(s.monitors()) == 0 })
	for _, id := range ids {
		if _, err := os.Stat(filepath.Join(runRoot(), id)); err == nil {
			t.Errorf("runtime dir of %s left", id[:12])
		}
	}
	if entries, _ := os.ReadDir(filepath.Join(s.root, "containers")); len(entries) != 0 {
		t.Errorf("container dirs left: %d", len(entries))
	}
}

// A monitor killed with SIGKILL takes its container with it, and the
// container shows as exited with a reason, removable.
func TestMonitorKilled(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	s.runD(t, "--name", "kk", "busybox", "sleep", "1000")
	m := s.monitors()
	if len(m) != 1 {
		t.Fatalf("monitors: %v", m)
	}
	killed(t, m[0])
	st := s.mustHull(t, "inspect", "--format", "{{.State.Status}} {{.State.ExitCode}} {{.State.Error}}", "kk")
	if !strings.HasPrefix(st, "exited 255 container monitor died") {
		t.Errorf("inspect after monitor kill: %q", st)
	}
	if ps := s.mustHull(t, "ps", "-q"); ps != "" {
		t.Errorf("ps lists a container whose monitor died: %q", ps)
	}
	s.mustHull(t, "rm", "kk")
}

// cp resolves every path inside the container: symlinks the container
// made cannot lead a read or a write out to the host, running or not.
func TestCpSymlinkEscape(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	host := t.TempDir()
	canary := filepath.Join(host, "canary")
	if err := os.WriteFile(canary, []byte("host secret\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s.runD(t, "--name", "ee", "busybox", "sh", "-c",
		"ln -s "+host+" /esc; ln -s "+canary+" /file; ln -s ../../../../.. /up; echo inside > /in; sleep 1000")
	waitFor(t, "symlinks", func() bool { _, _, code := s.hull(t, "exec", "ee", "test", "-L", "/up"); return code == 0 })
	check := func(state string) {
		dst := t.TempDir()
		// Out: a symlink is copied as a symlink; a path through one stays inside.
		s.mustHull(t, "cp", "ee:/file", filepath.Join(dst, "f"))
		// (The running round's cp in replaces /file with a regular file.)
		if fi, err := os.Lstat(filepath.Join(dst, "f")); state == "running" && (err != nil || fi.Mode()&os.ModeSymlink == 0) {
			t.Errorf("%s: cp out of a symlink did not give a symlink", state)
		}
		if _, _, code := s.hull(t, "cp", "ee:/esc/canary", filepath.Join(dst, "g")); code == 0 {
			t.Errorf("%s: cp out through a symlink to the host succeeded", state)
		}
		if out := s.mustHull(t, "cp", "ee:/up/in", "-"); !strings.Contains(out, "inside") {
			t.Errorf("%s: /up/in (.. beyond the root) did not stay in the container", state)
		}
		// In: writes through the symlinks land inside the container.
		src := filepath.Join(dst, "new")
		os.WriteFile(src, []byte("evil\n"), 0o644)
		s.hull(t, "cp", src, "ee:/esc/canary")
		s.hull(t, "cp", src, "ee:/file")
		s.hull(t, "cp", src, "ee:/up/tmp/")
		if b, _ := os.ReadFile(canary); string(b) != "host secret\n" {
			t.Fatalf("%s: the host canary changed: %q", state, b)
		}
		if entries, _ := os.ReadDir(host); len(entries) != 1 {
			t.Errorf("%s: files appeared in the host dir: %d", state, len(entries))
		}
	}
	check("running")
	s.mustHull(t, "stop", "-t", "0", "ee")
	check("stopped")
	// A plain round trip on the stopped container.
	src := filepath.Join(t.TempDir(), "hello")
	os.WriteFile(src, []byte("hello\n"), 0o644)
	s.mustHull(t, "cp", src, "ee:/tmp/")
	if out := s.mustHull(t, "cp", "ee:/tmp/hello", "-"); !strings.Contains(out, "hello\n") {
		t.Errorf("round trip through a stopped container: %q", out)
	}
}

func TestCommitAndDiff(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	s.mustHull(t, "run", "--name", "ww", "busybox", "sh", "-c", "echo made > /made; rm /bin/true; mkdir /d")
	diff := s.mustHull(t, "diff", "ww")
	for _, want := range []string{"A /made", "D /bin/true", "C /bin", "A /d"} {
		if !strings.Contains(diff, want+"\n") {
			t.Errorf("diff lacks %q:\n%s", want, diff)
		}
	}
	s.mustHull(t, "commit", "-m", "msg", "-c", `CMD ["cat", "/made"]`, "-c", "ENV FOO=bar", "ww", "made:1")
	if out := s.mustHull(t, "run", "--rm", "made:1"); out != "made\n" {
		t.Errorf("run of the committed image printed %q", out)
	}
	if out := s.mustHull(t, "run", "--rm", "made:1", "sh", "-c", "echo $FOO; test -e /bin/true || echo gone"); out != "bar\ngone\n" {
		t.Errorf("committed image: %q", out)
	}
}

// waitFor polls cond for up to 20 seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}
