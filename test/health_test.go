package test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// inspectField is one Go template of hull inspect on ref.
func (s *store) inspectField(t *testing.T, ref, format string) string {
	t.Helper()
	return strings.TrimSpace(s.mustHull(t, "inspect", "--format", format, ref))
}

// psStatus is the STATUS column of ref in hull ps -a.
func (s *store) psStatus(t *testing.T, ref string) string {
	t.Helper()
	return strings.TrimSpace(s.mustHull(t, "ps", "-a", "--filter", "name="+ref, "--format", "{{.Status}}"))
}

// A health check that tests a file flips the container to unhealthy when
// the file goes and back to healthy when it comes back; ps and inspect
// show it, and healthcheck run runs it by hand.
func TestHealthcheckFlips(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	s.runD(t, "--name", "hc", "--health-cmd", "test -f /tmp/ok && echo fine", "--health-interval", "300ms",
		"--health-retries", "2", "busybox", "sh", "-c", "touch /tmp/ok; exec sleep 1000")
	health := func() string { return s.inspectField(t, "hc", "{{.State.Health.Status}}") }
	waitFor(t, "healthy", func() bool { return health() == "healthy" })
	if st := s.psStatus(t, "hc"); !strings.HasPrefix(st, "Up ") || !strings.HasSuffix(st, " (healthy)") {
		t.Errorf("ps STATUS of a healthy container: %q", st)
	}
	s.mustHull(t, "exec", "hc", "rm", "/tmp/ok")
	waitFor(t, "unhealthy", func() bool { return health() == "unhealthy" })
	if st := s.psStatus(t, "hc"); !strings.HasSuffix(st, " (unhealthy)") {
		t.Errorf("ps STATUS of an unhealthy container: %q", st)
	}
	var h struct {
		Status        string
		FailingStreak int
		Log           []struct {
			Start, End time.Time
			ExitCode   int
			Output     string
		}
	}
	if err := json.Unmarshal([]byte(s.inspectField(t, "hc", "{{json .State.Health}}")), &h); err != nil {
		t.Fatal(err)
	}
	if h.FailingStreak < 2 || len(h.Log) == 0 || len(h.Log) > 5 {
		t.Fatalf("Health: %+v", h)
	}
	last := h.Log[len(h.Log)-1]
	if last.ExitCode != 1 || last.End.Before(last.Start) || last.Start.IsZero() {
		t.Errorf("last probe: %+v", last)
	}
	if _, _, code := s.hull(t, "healthcheck", "run", "hc"); code != 1 {
		t.Errorf("healthcheck run of an unhealthy container: exit %d, want 1", code)
	}
	s.mustHull(t, "exec", "hc", "touch", "/tmp/ok")
	waitFor(t, "healthy again", func() bool { return health() == "healthy" })
	if out, _, code := s.hull(t, "healthcheck", "run", "hc"); code != 0 || strings.TrimSpace(out) != "healthy" {
		t.Errorf("healthcheck run of a healthy container: exit %d, %q", code, out)
	}
	if out := s.inspectField(t, "hc", "{{(index .State.Health.Log 0).Output}}"); out != "fine\n" && out != "fine" {
		// the first of the last five may be a failure; any passing one says fine
		if !strings.Contains(s.inspectField(t, "hc", "{{json .State.Health.Log}}"), `"Output":"fine\n"`) {
			t.Errorf("probe output not kept: %s", s.inspectField(t, "hc", "{{json .State.Health.Log}}"))
		}
	}
	s.mustHull(t, "rm", "-f", "hc")

	// A check that has not run yet: (health: starting); one run by hand
	// decides. --no-healthcheck leaves none.
	s.runD(t, "--name", "slow", "--health-cmd", "true", "--health-interval", "1h", "busybox", "sleep", "1000")
	if st := s.psStatus(t, "slow"); !strings.HasSuffix(st, " (health: starting)") {
		t.Errorf("ps STATUS before the first check: %q", st)
	}
	s.mustHull(t, "healthcheck", "run", "slow")
	if st := s.psStatus(t, "slow"); !strings.HasSuffix(st, " (healthy)") {
		t.Errorf("ps STATUS after healthcheck run: %q", st)
	}
	s.runD(t, "--name", "none", "--no-healthcheck", "busybox", "sleep", "1000")
	if _, _, code := s.hull(t, "healthcheck", "run", "none"); code != 125 {
		t.Errorf("healthcheck run without a check: exit %d, want 125", code)
	}
	if st := s.psStatus(t, "none"); strings.Contains(st, "(") {
		t.Errorf("ps STATUS without a check: %q", st)
	}
	s.mustHull(t, "rm", "-f", "slow", "none")
}

// A probe that outlives --health-timeout is killed and counts as a failure.
func TestHealthcheckTimeout(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	s.runD(t, "--name", "to", "--health-cmd", "sleep 30", "--health-interval", "200ms", "--health-timeout", "300ms",
		"--health-retries", "1", "busybox", "sleep", "1000")
	waitFor(t, "unhealthy", func() bool { return s.inspectField(t, "to", "{{.State.Health.Status}}") == "unhealthy" })
	log := s.inspectField(t, "to", "{{json .State.Health.Log}}")
	if !strings.Contains(log, "Health check exceeded timeout (300ms)") || !strings.Contains(log, `"ExitCode":-1`) {
		t.Errorf("timed-out probe: %s", log)
	}
	s.mustHull(t, "rm", "-f", "to")
}

// waitMonitorGone waits until the store has no monitor left.
func (s *store) waitMonitorGone(t *testing.T) {
	t.Helper()
	waitFor(t, "monitor gone", func() bool { return len(s.monitors()) == 0 })
}

// --restart on-failure:3 restarts a failing container exactly three
// times and keeps its exit code.
func TestRestartOnFailure(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	s.runD(t, "--name", "rf", "--restart", "on-failure:3", "busybox", "sh", "-c", "echo run; exit 3")
	s.waitMonitorGone(t)
	got := s.inspectField(t, "rf", "{{.State.Status}} {{.State.ExitCode}} {{.RestartCount}} {{.State.Restarting}} {{.HostConfig.RestartPolicy.Name}}:{{.HostConfig.RestartPolicy.MaximumRetryCount}}")
	if got != "exited 3 3 false on-failure:3" {
		t.Errorf("after on-failure:3: %q", got)
	}
	if out := s.mustHull(t, "logs", "rf"); strings.Count(out, "run\n") != 4 {
		t.Errorf("logs of four runs: %q", out)
	}
	// A success is not restarted by on-failure.
	s.runD(t, "--name", "ok", "--restart", "on-failure", "busybox", "true")
	s.waitMonitorGone(t)
	if got := s.inspectField(t, "ok", "{{.State.ExitCode}} {{.RestartCount}}"); got != "0 0" {
		t.Errorf("on-failure after success: %q", got)
	}
	// --restart with --rm is refused, as Docker does; so is a foreground run.
	if _, stderr, code := s.hull(t, "run", "-d", "--rm", "--restart", "always", "busybox", "true"); code != 125 || !strings.Contains(stderr, "--restart and --rm") {
		t.Errorf("--restart always --rm: exit %d, %q", code, stderr)
	}
	if _, _, code := s.hull(t, "run", "--restart", "always", "busybox", "true"); code != 125 {
		t.Errorf("foreground --restart always: exit %d, want 125", code)
	}
	if _, _, code := s.hull(t, "run", "-d", "--restart", "sometimes", "busybox", "true"); code != 125 {
		t.Errorf("--restart sometimes: exit %d, want 125", code)
	}
}

// --restart always restarts a container that exits, and a stop or kill by
// the user is respected.
func TestRestartAlwaysStop(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	s.runD(t, "--name", "ra", "--restart", "always", "busybox", "sh", "-c", "sleep 0.2")
	count := func(ref string) int {
		n, err := strconv.Atoi(s.inspectField(t, ref, "{{.RestartCount}}"))
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	waitFor(t, "two restarts", func() bool { return count("ra") >= 2 })
	s.mustHull(t, "stop", "-t", "1", "ra")
	s.waitMonitorGone(t)
	n := count("ra")
	time.Sleep(1500 * time.Millisecond)
	if got := s.inspectField(t, "ra", "{{.State.Status}} {{.State.Running}}"); got != "exited false" || count("ra") != n || len(s.monitors()) != 0 {
		t.Errorf("after stop: %q, restarts %d then %d, monitors %v", got, n, count("ra"), s.monitors())
	}
	s.mustHull(t, "rm", "ra")

	// Stopped while it waits out the back-off between restarts.
	s.runD(t, "--name", "rb", "--restart", "always", "busybox", "sh", "-c", "exit 1")
	waitFor(t, "four restarts", func() bool { return count("rb") >= 4 })
	waitFor(t, "restarting", func() bool { return strings.HasPrefix(s.psStatus(t, "rb"), "Restarting (1) ") })
	before := count("rb")
	start := time.Now()
	s.mustHull(t, "stop", "rb")
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("stop during the back-off took %v", d)
	}
	// stop returns once the container is recorded as stopped; the monitor
	// may still be closing its log and socket for a moment after that.
	s.waitMonitorGone(t)
	// The back-off may end between ps and stop (a loaded machine): then
	// stop met a fresh run and its signal is the exit code, which is
	// right only if that restart is counted.
	got := s.inspectField(t, "rb", "{{.State.Status}} {{.State.Restarting}} {{.State.ExitCode}}")
	raced := (got == "exited false 137" || got == "exited false 143") && count("rb") > before
	if got != "exited false 1" && !raced {
		t.Errorf("after stop in the back-off: %q (restarts %d before stop, %d after)", got, before, count("rb"))
	}
	s.mustHull(t, "rm", "rb")

	s.runD(t, "--name", "rk", "--restart", "unless-stopped", "busybox", "sleep", "1000")
	s.mustHull(t, "kill", "rk")
	s.waitMonitorGone(t)
	if got := s.inspectField(t, "rk", "{{.State.Status}} {{.RestartCount}}"); got != "exited 0" {
		t.Errorf("after kill: %q", got)
	}
	s.mustHull(t, "rm", "rk")
}

// descendants are the pids below pid, from /proc's parent links.
func descendants(pid int) []int {
	children := map[int][]int{}
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, f := range stats {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		fields := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
		p, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(f, "/proc/"), "/stat"))
		if len(fields) > 1 {
			ppid, _ := strconv.Atoi(fields[1])
			children[ppid] = append(children[ppid], p)
		}
	}
	var all []int
	for queue := children[pid]; len(queue) > 0; queue = queue[1:] {
		all = append(all, queue[0])
		queue = append(queue, children[queue[0]]...)
	}
	return all
}

// kill -9 of a monitor that restarts and health-checks its container
// leaves none of its processes behind.
func TestRestartMonitorKilled(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	s.runD(t, "--name", "mk", "--restart", "always", "--health-cmd", "sleep 0.3", "--health-interval", "200ms",
		"busybox", "sh", "-c", "sleep 1000")
	waitFor(t, "healthy", func() bool { return s.inspectField(t, "mk", "{{.State.Health.Status}}") == "healthy" })
	m := s.monitors()
	if len(m) != 1 {
		t.Fatalf("monitors: %v", m)
	}
	procs := descendants(m[0])
	if len(procs) == 0 {
		t.Fatal("the monitor has no processes below it")
	}
	killed(t, m[0])
	waitFor(t, "the monitor's processes gone", func() bool {
		for _, p := range procs {
			if b, err := os.ReadFile("/proc/" + strconv.Itoa(p) + "/stat"); err == nil && !strings.Contains(string(b), ") Z ") {
				return false
			}
		}
		return true
	})
	if st := s.inspectField(t, "mk", "{{.State.Status}} {{.State.Restarting}}"); st != "exited false" {
		t.Errorf("after the monitor was killed: %q", st)
	}
	s.mustHull(t, "rm", "mk")
}

// hull wait on a container with a restart policy returns the exit code
// of the run that ends, while the policy starts the container again:
// Docker's wait does so (its State.SetRestarting wakes the waiters with
// that run's code). A wait on a stopped one returns its last code.
func TestWaitThroughRestart(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	s.runD(t, "--name", "rw", "--restart", "always", "busybox", "sh", "-c", "sleep 1; exit 7")
	if out := strings.TrimSpace(s.mustHull(t, "wait", "rw")); out != "7" {
		t.Errorf("wait on a restarting container printed %q, want 7", out)
	}
	waitFor(t, "the container started again", func() bool {
		st, n, _ := strings.Cut(s.inspectField(t, "rw", "{{.State.Status}} {{.RestartCount}}"), " ")
		return st == "running" && n != "0"
	})
	// The next run's end, too.
	if out := strings.TrimSpace(s.mustHull(t, "wait", "rw")); out != "7" {
		t.Errorf("second wait printed %q, want 7", out)
	}
	s.mustHull(t, "stop", "-t", "1", "rw")
	s.waitMonitorGone(t)
	code := s.inspectField(t, "rw", "{{.State.ExitCode}}")
	if out := strings.TrimSpace(s.mustHull(t, "wait", "rw")); out != code {
		t.Errorf("wait on the stopped container printed %q, want its exit code %s", out, code)
	}
	s.mustHull(t, "rm", "rw")
}
