package test

import (
	"os"
	"strings"
	"testing"
)

// hull exec -u NAME looks NAME up in the running container's /etc/passwd,
// resolved inside the container's root: a container whose /etc/passwd is a
// symlink to a host file (here a canary in the test user's home holding a
// passwd line for "canary") must not make hull read that file.
func TestExecUserResolvedInContainerRoot(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	home, err := os.UserHomeDir()
	if err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp(home, "hull-canary-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = removeTree(dir) })
	canary := dir + "/passwd"
	if err := os.WriteFile(canary, []byte("canary:x:4242:4242:canary:/canary-home:/bin/sh\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s.runD(t, "--name", "eu", "--network", "none", "busybox", "sleep", "300")
	t.Cleanup(func() { s.hull(t, "rm", "-f", "eu") })

	s.mustHull(t, "exec", "eu", "ln", "-sf", canary, "/etc/passwd")
	out, errs, code := s.hull(t, "exec", "-u", "canary", "eu", "sh", "-c", "id -u; echo $HOME")
	if code == 0 || strings.Contains(out, "4242") || strings.Contains(out, "canary-home") {
		t.Errorf("exec -u canary with /etc/passwd -> host %s: exit %d, %q; hull resolved the user from the host file", canary, code, out)
	}
	if !strings.Contains(errs, "canary") {
		t.Errorf("exec -u canary: want an unknown-user error, got %q", errs)
	}

	// Links inside the container resolve inside it, absolute or not.
	s.mustHull(t, "exec", "eu", "sh", "-c", "echo 'canary:x:777:777::/in-container:/bin/sh' > /etc/passwd.real && ln -sf /etc/passwd.real /etc/passwd")
	if got := s.mustHull(t, "exec", "-u", "canary", "eu", "sh", "-c", "id -u; echo $HOME"); got != "777\n/in-container\n" {
		t.Errorf("exec -u canary with /etc/passwd -> /etc/passwd.real (in the container): %q, want 777 /in-container", got)
	}
	s.mustHull(t, "exec", "eu", "ln", "-sf", "../../../../.."+canary, "/etc/passwd")
	if out, _, code := s.hull(t, "exec", "-u", "canary", "eu", "id", "-u"); code == 0 || strings.Contains(out, "4242") {
		t.Errorf("exec -u canary with /etc/passwd -> ../..%s: exit %d, %q", canary, code, out)
	}
}
