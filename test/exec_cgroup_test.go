package test

import (
	"strings"
	"testing"
)

// TestExecCountsAgainstLimits: a process started by exec joins the
// container's cgroup, so --pids-limit holds it too.
func TestExecCountsAgainstLimits(t *testing.T) {
	s := withBusybox(t)
	s.mustHull(t, "run", "-d", "--name", "lim", "--pids-limit", "8", "busybox", "sleep", "60")
	defer s.hull(t, "rm", "-f", "lim")
	cg := s.mustHull(t, "exec", "lim", "cat", "/proc/self/cgroup")
	id := strings.TrimSpace(s.mustHull(t, "inspect", "--format", "{{.Id}}", "lim"))
	if !strings.Contains(cg, "hull-"+id) {
		t.Fatalf("exec'd process is not in the container's cgroup:\n%s", cg)
	}
	_, errs, _ := s.hull(t, "exec", "lim", "sh", "-c", "for i in 1 2 3 4 5 6 7 8 9 10 11 12; do sleep 5 & done; wait")
	if !strings.Contains(errs, "can't fork") {
		t.Errorf("12 processes from exec under --pids-limit 8 were all allowed; stderr %q", errs)
	}
}
