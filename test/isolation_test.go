package test

import (
	"crypto/sha256"
	"os"
	"strconv"
	"strings"
	"testing"
)

// procStatus runs `cat /proc/self/status` in a container and returns its
// fields.
func procStatus(t *testing.T, s *store, runFlags ...string) map[string]string {
	t.Helper()
	args := append(append([]string{"run", "--rm"}, runFlags...), "busybox", "cat", "/proc/self/status")
	out := s.mustHull(t, args...)
	fields := map[string]string{}
	for _, l := range lines(out) {
		if k, v, ok := strings.Cut(l, ":"); ok {
			fields[k] = strings.TrimSpace(v)
		}
	}
	return fields
}

func TestSecurityDefaults(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	st := procStatus(t, s)
	if st["Seccomp"] != "2" {
		t.Errorf("Seccomp: %q, want 2 (filter mode)", st["Seccomp"])
	}
	bnd, err := strconv.ParseUint(st["CapBnd"], 16, 64)
	if err != nil {
		t.Fatalf("CapBnd %q: %v", st["CapBnd"], err)
	}
	const capSysAdmin = 21
	if st["CapBnd"] == "000001ffffffffff" || bnd&(1<<capSysAdmin) != 0 {
		t.Errorf("CapBnd %s: want Docker's reduced set (no CAP_SYS_ADMIN)", st["CapBnd"])
	}
	if nnp := procStatus(t, s, "--security-opt", "no-new-privileges")["NoNewPrivs"]; nnp != "1" {
		t.Errorf("NoNewPrivs with --security-opt no-new-privileges: %q, want 1", nnp)
	}
}

// isolationCase runs a shell snippet in a container; check judges it.
type isolationCase struct {
	name  string
	flags []string
	sh    string
	check func(t *testing.T, out string, code int)
}

func fails(t *testing.T, out string, code int) {
	t.Helper()
	if code == 0 {
		t.Errorf("succeeded (stdout %q), want failure", out)
	}
}

func TestIsolation(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	cases := []isolationCase{
		{name: "host pids invisible", sh: "ls /proc", check: func(t *testing.T, out string, code int) {
			if n := countPids(out); code != 0 || n == 0 || n > 3 {
				t.Errorf("ls /proc (exit %d) shows %d pids, want 1-3:\n%s", code, n, out)
			}
		}},
		{name: "mount denied", sh: "mount -t tmpfs none /mnt", check: fails},
		{name: "kcore masked", sh: "test -e /proc/kcore && head -c 16 /proc/kcore | wc -c || echo absent", check: hostDependent("/proc/kcore", "0")},
		{name: "sysrq-trigger read-only", sh: "test -e /proc/sysrq-trigger && { echo h > /proc/sysrq-trigger && echo written || echo refused; } || echo absent", check: hostDependent("/proc/sysrq-trigger", "refused")},
		{name: "no leaked fds", sh: "ls /proc/self/fd", check: func(t *testing.T, out string, code int) {
			for _, fd := range strings.Fields(out) {
				if fd != "0" && fd != "1" && fd != "2" && fd != "3" {
					t.Errorf("fd %s open in the container (ls /proc/self/fd: %q)", fd, out)
				}
			}
		}},
		{name: "proc 1 exe not writable", sh: "echo x > /proc/1/exe", check: fails},
		{name: "proc 1 exe not writable with init", flags: []string{"--init"}, sh: "echo x > /proc/1/exe", check: fails},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			args := append(append([]string{"run", "--rm"}, c.flags...), "busybox", "sh", "-c", c.sh)
			out, _, code := s.hull(t, args...)
			c.check(t, out, code)
		})
	}
}

// hostDependent judges a probe of path that prints "absent" when the
// container lacks it: where the host has path the container must show it
// and print want; where the host lacks it there is nothing to check, which
// is logged (TestMaskedPaths and TestReadonlyPaths cover the paths that do
// exist).
func hostDependent(path, want string) func(t *testing.T, out string, code int) {
	return func(t *testing.T, out string, code int) {
		t.Helper()
		got := strings.TrimSpace(out)
		if _, err := os.Stat(path); err != nil {
			t.Logf("%s does not exist on this host (%v): nothing to check", path, err)
			if got != "absent" && got != want {
				t.Errorf("%s is missing on the host but the container printed %q", path, got)
			}
			return
		}
		if got != want {
			t.Errorf("%s: container printed %q, want %q", path, got, want)
		}
	}
}

func countPids(ls string) int {
	n := 0
	for _, f := range strings.Fields(ls) {
		if _, err := strconv.Atoi(f); err == nil {
			n++
		}
	}
	return n
}

// The workdir cannot reach a descriptor leaked from the host
// (CVE-2024-21626).
func TestWorkdirProcSelfFd(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	for _, fd := range []string{"3", "4", "5"} {
		if out, _, code := s.hull(t, "run", "--rm", "-w", "/proc/self/fd/"+fd, "busybox", "pwd"); code == 0 {
			t.Errorf("run -w /proc/self/fd/%s succeeded: pwd %q", fd, out)
		}
	}
}

// The container cannot overwrite the hull binary through /proc/1/exe
// (CVE-2019-5736), with or without --init.
func TestHostBinaryUntouched(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	before := fileSum(t, hullBin)
	for _, flags := range [][]string{nil, {"--init"}} {
		args := append(append([]string{"run", "--rm"}, flags...), "busybox", "sh", "-c",
			"cat /proc/1/exe > /dev/null; echo pwned > /proc/1/exe; echo pwned >> /proc/self/exe; true")
		s.hull(t, args...)
	}
	if fileSum(t, hullBin) != before {
		t.Fatalf("%s changed while containers ran", hullBin)
	}
}

func fileSum(t *testing.T, path string) [32]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}
