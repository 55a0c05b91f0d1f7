package test

import (
	"net"
	"path/filepath"
	"strings"
	"testing"
)

// RUN --mount=type=ssh,required=true fails the build without --ssh,
// naming the agent; with the agent it runs; without required the step
// runs without the mount (TestBuildSSHAgent).
func TestBuildSSHRequired(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	ctx := buildContext(t, map[string]string{"Dockerfile": "FROM busybox\n" +
		"RUN --mount=type=ssh,required=true test -S \"$SSH_AUTH_SOCK\" && echo ran >/ssh\n"})
	_, errs, code := s.build(t, "-t", "req1", ctx)
	if code == 0 || !strings.Contains(errs, `no ssh agent "default" was given`) {
		t.Errorf("required ssh mount without --ssh: exit %d:\n%s", code, errs)
	}
	s.noImage(t, "req1")
	sock := filepath.Join(t.TempDir(), "agent.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	s.mustBuild(t, "--ssh", "default="+sock, "-t", "req2", ctx)
	if got := s.sh(t, "req2", "cat /ssh"); got != "ran\n" {
		t.Errorf("required ssh mount with --ssh: %q", got)
	}
}
