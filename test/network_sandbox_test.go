package test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// slirpOf returns the pid of the slirp4netns serving the container whose
// init is pid (its command line names /proc/PID/ns/user), or "".
func slirpOf(pid string) string {
	procs, _ := filepath.Glob("/proc/[0-9]*")
	for _, p := range procs {
		cmdline, err := os.ReadFile(p + "/cmdline")
		if err != nil || filepath.Base(string(bytes.SplitN(cmdline, []byte{0}, 2)[0])) != "slirp4netns" {
			continue
		}
		if bytes.Contains(cmdline, []byte("/proc/"+pid+"/ns/user\x00")) {
			return filepath.Base(p)
		}
	}
	return ""
}

// statusField returns a field of /proc/PID/status.
func statusField(pid, name string) string {
	b, _ := os.ReadFile("/proc/" + pid + "/status")
	for _, l := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(l, ":"); ok && k == name {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// The user-mode network's slirp4netns, which parses every packet a
// container sends, runs sandboxed (its own mount namespace) under a
// seccomp filter, and the network still works both ways.
func TestNetworkSlirpSandboxed(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	port := hostHTTP(t)
	s.runD(t, "--name", "sl", "--network", "slirp4netns:allow_host_loopback=true", "-p", fmt.Sprintf("127.0.0.1:%d:80", freePort(t)), "busybox", "sleep", "300")
	t.Cleanup(func() { s.hull(t, "rm", "-f", "sl") })
	pid := strings.TrimSpace(s.mustHull(t, "inspect", "--format", "{{.State.Pid}}", "sl"))
	var slirp string
	waitFor(t, "slirp4netns", func() bool { slirp = slirpOf(pid); return slirp != "" })
	if slirp == "" {
		return
	}
	cmdline, _ := os.ReadFile("/proc/" + slirp + "/cmdline")
	for _, flag := range []string{"--enable-sandbox", "--enable-seccomp"} {
		if !bytes.Contains(cmdline, []byte(flag+"\x00")) {
			t.Errorf("slirp4netns runs without %s: %q", flag, bytes.ReplaceAll(cmdline, []byte{0}, []byte{' '}))
		}
	}
	if got := statusField(slirp, "Seccomp"); got != "2" {
		t.Errorf("slirp4netns Seccomp: %q, want 2 (filter)", got)
	}
	ours, _ := os.Readlink("/proc/self/ns/mnt")
	if theirs, err := os.Readlink("/proc/" + slirp + "/ns/mnt"); err != nil || theirs == ours {
		t.Errorf("slirp4netns mount namespace %q (%v): want its own sandbox, not ours (%s)", theirs, err, ours)
	}
	if out := s.mustHull(t, "exec", "sl", "sh", "-c", fetch("10.0.2.2", port)); !strings.Contains(out, "hello from the host") {
		t.Errorf("outbound through the sandboxed slirp4netns: %q", out)
	}
}
