package test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// jobCgroup is the cgroup make setup delegates to the test user under each
// v1 hierarchy the way a CI runner delegates a job's cgroup: made by root,
// chowned to the user, and the job's shell moved into it.
const jobCgroup = "hull-ci-job"

var jobControllers = []string{"memory", "pids", "cpu"}

// needJobCgroup skips unless the job cgroup is there and ours, and removes
// whatever hull-* groups are left in it when t ends (an assertion of
// cleanup comes first, in the test).
func needJobCgroup(t *testing.T) {
	t.Helper()
	for _, c := range jobControllers {
		procs := filepath.Join("/sys/fs/cgroup", c, jobCgroup, "cgroup.procs")
		if err := unix.Access(procs, unix.W_OK); err != nil {
			t.Skipf("no delegated v1 job cgroup (run make setup as root): %s: %v", procs, err)
		}
	}
	t.Cleanup(func() {
		for _, dir := range leftGroups() {
			if err := os.Remove(dir); err != nil {
				t.Logf("clean up %s: %v", dir, err)
			}
		}
	})
}

// leftGroups are the hull-* groups in the job cgroup.
func leftGroups() []string {
	var out []string
	for _, c := range jobControllers {
		m, _ := filepath.Glob(filepath.Join("/sys/fs/cgroup", c, jobCgroup, "hull-*"))
		out = append(out, m...)
	}
	return out
}

// hullInJob runs hull as a CI job does: a shell moves itself into the
// job cgroup of each hierarchy, then becomes hull.
func (s *store) hullInJob(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
	defer cancel()
	script := `for c in memory pids cpu; do echo $$ > /sys/fs/cgroup/$c/` + jobCgroup + `/cgroup.procs || exit 99; done; exec "$0" "$@"`
	cmd := exec.CommandContext(ctx, "sh", append([]string{"-c", script, hullBin, "--root", s.root}, args...)...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 10 * time.Second
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code = exitCode(err)
	if code == 99 {
		t.Fatalf("could not move the job's shell into %s: %s", jobCgroup, errb.String())
	}
	if ctx.Err() != nil || code < 0 {
		t.Errorf("hull %s in the job cgroup: %v", quote(args), err)
	}
	t.Logf("hull %s (in %s) -> %d%s", quote(args), jobCgroup, code, indent(errb.String()))
	return out.String(), errb.String(), code
}

// TestOwnCgroupJobDelegation: hull run from a job cgroup the user owns
// (v1, as a CI runner sets it up) makes its containers' groups there and
// enforces --memory and --pids-limit, ahead of the hull-UID convention.
func TestOwnCgroupJobDelegation(t *testing.T) {
	needJobCgroup(t)
	s := withBusybox(t)
	deleg := "hull-" + strconv.Itoa(os.Getuid())

	info, errs, code := s.hullInJob(t, "info")
	want := "v1 memory,pids,cpu: own cgroup /" + jobCgroup + " (writable); " + deleg + " not used"
	if code != 0 || !strings.Contains(info, want) {
		t.Fatalf("hull info in the job cgroup: exit %d, want %q in:\n%s%s", code, want, info, errs)
	}
	for _, c := range jobControllers {
		if dir := filepath.Join("/sys/fs/cgroup", c, jobCgroup); !strings.Contains(info, "cgroup v1 "+dir+"\n") {
			t.Errorf("hull info limits do not use %s:\n%s", dir, info)
		}
	}

	// A 200 MB allocation under --memory 32m: the OOM killer ends it.
	result := filepath.Join(t.TempDir(), "result.json")
	_, _, code = s.hullInJob(t, "run", "--name", "hog", "--network", "none", "--memory", "32m", "--result", result,
		"busybox", "sh", "-c", "head -c 200m /dev/zero | tail")
	if code != 137 {
		t.Errorf("200 MB under --memory 32m: exit %d, want 137", code)
	}
	r := readResult(t, result)
	if r["oom_killed"] != true || r["exit_code"] != 137.0 {
		t.Errorf("result: %v, want oom_killed and exit 137", r)
	}
	if got := strings.TrimSpace(s.mustHull(t, "inspect", "--format", "{{.State.OOMKilled}}", "hog")); got != "true" {
		t.Errorf("State.OOMKilled = %s", got)
	}

	// A fork loop under --pids-limit 20 is held.
	_, errs, code = s.hullInJob(t, "run", "--rm", "--network", "none", "--pids-limit", "20", "busybox", "sh", "-c",
		"for i in $(seq 40); do sleep 5 & done; echo all forked")
	if code == 0 || !strings.Contains(errs, "can't fork") {
		t.Errorf("40 processes under --pids-limit 20: exit %d, stderr %q", code, errs)
	}

	// A detached container's groups are children of the job cgroup, not
	// of hull-UID, and hold its init.
	out, errs, code := s.hullInJob(t, "run", "-d", "--name", "lim", "--network", "none", "--memory", "64m", "--pids-limit", "20",
		"busybox", "sleep", "60")
	if code != 0 {
		t.Fatalf("run -d in the job cgroup: exit %d: %s", code, errs)
	}
	id := strings.TrimSpace(out)
	defer s.hull(t, "rm", "-f", id)
	pid := strings.TrimSpace(s.mustHull(t, "inspect", "--format", "{{.State.Pid}}", id))
	for _, c := range []string{"memory", "pids"} {
		group := filepath.Join("/sys/fs/cgroup", c, jobCgroup, "hull-"+id)
		procs, err := os.ReadFile(filepath.Join(group, "cgroup.procs"))
		if err != nil || !strings.Contains(" "+strings.Join(strings.Fields(string(procs)), " ")+" ", " "+pid+" ") {
			t.Errorf("container init %s not in %s: %q (%v)", pid, group, procs, err)
		}
		if _, err := os.Stat(filepath.Join("/sys/fs/cgroup", c, deleg, "hull-"+id)); !os.IsNotExist(err) {
			t.Errorf("a %s group under %s too: %v", c, deleg, err)
		}
	}
	if got, _ := os.ReadFile(filepath.Join("/sys/fs/cgroup/pids", jobCgroup, "hull-"+id, "pids.max")); strings.TrimSpace(string(got)) != "20" {
		t.Errorf("pids.max = %q, want 20", got)
	}
	self, err := os.ReadFile(filepath.Join("/proc", pid, "cgroup"))
	if err != nil || !strings.Contains(string(self), ":memory:/"+jobCgroup+"/hull-"+id+"\n") {
		t.Errorf("container init's cgroups (%v):\n%s", err, self)
	}
	// exec from outside the job cgroup still joins the container's groups.
	cg := s.mustHull(t, "exec", id, "cat", "/proc/self/cgroup")
	if !strings.Contains(cg, "hull-"+id) {
		t.Errorf("exec'd process is not in the container's groups:\n%s", cg)
	}
	_, errs, _ = s.hull(t, "exec", id, "sh", "-c", "for i in $(seq 30); do sleep 5 & done; wait")
	if !strings.Contains(errs, "can't fork") {
		t.Errorf("30 processes from exec under --pids-limit 20 were all allowed; stderr %q", errs)
	}
	s.mustHull(t, "rm", "-f", id)

	if left := leftGroups(); len(left) != 0 {
		t.Errorf("groups left in the job cgroup after the containers ended: %v", left)
	}
}
