package test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBuildRunLimits: hull build's limits confine RUN steps as hull run's
// confine a container.
func TestBuildRunLimits(t *testing.T) {
	s := withBusybox(t)
	ctx := t.TempDir()
	df := "FROM busybox\nRUN ulimit -n > /nofile\nRUN for i in 1 2 3 4 5 6 7 8 9 10 11 12; do sleep 1 & done; wait; echo forked\n"
	if err := os.WriteFile(filepath.Join(ctx, "Dockerfile"), []byte(df), 0o644); err != nil {
		t.Fatal(err)
	}
	_, errs, code := s.hull(t, "build", "--network", "none", "-t", "limited", "--pids-limit", "6", "--ulimit", "nofile=100:100", ctx)
	if code == 0 || !strings.Contains(errs, "can't fork") {
		t.Errorf("a RUN forking 12 processes under --pids-limit 6: exit %d, stderr %q", code, errs)
	}
	// Without the pids limit the same steps pass, and --ulimit shows.
	s.mustHull(t, "build", "--network", "none", "-t", "limited", "--ulimit", "nofile=100:100", ctx)
	if out := s.mustHull(t, "run", "--rm", "limited", "cat", "/nofile"); strings.TrimSpace(out) != "100" {
		t.Errorf("RUN under --ulimit nofile=100 saw %q", out)
	}
	_, errs, code = s.hull(t, "build", "--memory", "lots", ctx)
	if code != 125 || !strings.Contains(errs, "memory") {
		t.Errorf("bad --memory: exit %d, %q", code, errs)
	}
}
