package test

import (
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// Capability bits, as numbered in linux/capability.h.
const (
	capChown     = 0
	capNetAdmin  = 12
	capNetRaw    = 13
	capSysAdmin  = 21
	capDefaultBS = 0xa80425fb // Docker's default set, spelled out below
)

// dockerDefaultCaps is Docker's default capability set by bit number:
// CHOWN DAC_OVERRIDE FOWNER FSETID KILL SETGID SETUID SETPCAP
// NET_BIND_SERVICE NET_RAW SYS_CHROOT MKNOD AUDIT_WRITE SETFCAP.
var dockerDefaultCaps = []uint{0, 1, 3, 4, 5, 6, 7, 8, 10, 13, 18, 27, 29, 31}

func capMask(bits ...uint) uint64 {
	var m uint64
	for _, b := range bits {
		m |= 1 << b
	}
	return m
}

// capField parses a hex capability field of /proc/self/status.
func capField(t *testing.T, st map[string]string, name string) uint64 {
	t.Helper()
	v, err := strconv.ParseUint(st[name], 16, 64)
	if err != nil {
		t.Fatalf("%s %q: %v", name, st[name], err)
	}
	return v
}

// allCaps is every capability this kernel knows.
func allCaps(t *testing.T) uint64 {
	t.Helper()
	b, err := os.ReadFile("/proc/sys/kernel/cap_last_cap")
	if err != nil {
		t.Fatalf("read cap_last_cap: %v", err)
	}
	last, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	return 1<<(last+1) - 1
}

func TestCapabilities(t *testing.T) {
	t.Parallel()
	if capMask(dockerDefaultCaps...) != capDefaultBS {
		t.Fatalf("test table inconsistent: %x", capMask(dockerDefaultCaps...))
	}
	s := withBusybox(t)
	def := capMask(dockerDefaultCaps...)
	cases := []struct {
		name     string
		flags    []string
		bnd, eff uint64
	}{
		{"default", nil, def, def},
		{"drop ALL", []string{"--cap-drop", "ALL"}, 0, 0},
		{"add SYS_ADMIN", []string{"--cap-add", "SYS_ADMIN"}, def | 1<<capSysAdmin, def | 1<<capSysAdmin},
		{"add lower-case with prefix", []string{"--cap-add", "cap_sys_admin"}, def | 1<<capSysAdmin, def | 1<<capSysAdmin},
		{"add and drop", []string{"--cap-add", "CAP_NET_ADMIN", "--cap-drop", "chown"},
			def&^(1<<capChown) | 1<<capNetAdmin, def&^(1<<capChown) | 1<<capNetAdmin},
		{"drop ALL then add one", []string{"--cap-drop", "ALL", "--cap-add", "NET_RAW"}, 1 << capNetRaw, 1 << capNetRaw},
		{"add ALL", []string{"--cap-add", "ALL"}, allCaps(t), allCaps(t)},
		// Docker: a non-root user keeps the bounding set but no effective
		// capabilities.
		{"non-root user", []string{"-u", "1000"}, def, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			st := procStatus(t, s, c.flags...)
			if got := capField(t, st, "CapBnd"); got != c.bnd {
				t.Errorf("CapBnd %016x, want %016x", got, c.bnd)
			}
			if got := capField(t, st, "CapEff"); got != c.eff {
				t.Errorf("CapEff %016x, want %016x", got, c.eff)
			}
		})
	}
	t.Run("unknown capability", func(t *testing.T) {
		t.Parallel()
		_, errs, code := s.hull(t, "run", "--rm", "--cap-add", "NO_SUCH_CAP", "busybox", "true")
		if code != 125 {
			t.Errorf("exit %d, want 125", code)
		}
		oneLineError(t, errs)
	})
}

func TestSeccompAndNoNewPrivs(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	cases := []struct {
		flags         []string
		seccomp, nnp  string
		name          string
		wantErrorExit bool
	}{
		{name: "default", seccomp: "2", nnp: "0"},
		{name: "no-new-privileges", flags: []string{"--security-opt", "no-new-privileges"}, seccomp: "2", nnp: "1"},
		{name: "no-new-privileges=true", flags: []string{"--security-opt", "no-new-privileges=true"}, seccomp: "2", nnp: "1"},
		{name: "no-new-privileges:true", flags: []string{"--security-opt", "no-new-privileges:true"}, seccomp: "2", nnp: "1"},
		{name: "seccomp unconfined", flags: []string{"--security-opt", "seccomp=unconfined"}, seccomp: "0", nnp: "0"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			st := procStatus(t, s, c.flags...)
			if st["Seccomp"] != c.seccomp {
				t.Errorf("Seccomp: %q, want %s", st["Seccomp"], c.seccomp)
			}
			if st["NoNewPrivs"] != c.nnp {
				t.Errorf("NoNewPrivs: %q, want %s", st["NoNewPrivs"], c.nnp)
			}
		})
	}
	t.Run("unknown option", func(t *testing.T) {
		t.Parallel()
		_, errs, code := s.hull(t, "run", "--rm", "--security-opt", "bogus", "busybox", "true")
		if code != 125 {
			t.Errorf("exit %d, want 125", code)
		}
		oneLineError(t, errs)
	})
	// The default profile really filters: unshare(CLONE_NEWUSER) needs no
	// capability, so only the profile refuses it (Docker's does without
	// CAP_SYS_ADMIN), and unconfined it works.
	t.Run("profile blocks unshare", func(t *testing.T) {
		t.Parallel()
		if out, _, code := s.hull(t, "run", "--rm", "busybox", "unshare", "-U", "true"); code == 0 {
			t.Errorf("unshare -U succeeded under the default seccomp profile (stdout %q)", out)
		}
		if _, errs, code := s.hull(t, "run", "--rm", "--security-opt", "seccomp=unconfined", "busybox", "unshare", "-U", "true"); code != 0 {
			t.Errorf("unshare -U unconfined: exit %d (%s), want 0", code, errs)
		}
	})
}

// The container gets its own user, mount, pid, uts, ipc, cgroup and network
// namespaces; --network host shares only the network one.
func TestNamespaces(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	kinds := []string{"user", "mnt", "pid", "uts", "ipc", "cgroup", "net"}
	host := map[string]string{}
	for _, k := range kinds {
		l, err := os.Readlink("/proc/self/ns/" + k)
		if err != nil {
			t.Fatalf("host namespace %s: %v", k, err)
		}
		host[k] = l
	}
	script := "for n in " + strings.Join(kinds, " ") + "; do readlink /proc/self/ns/$n; done"
	for _, network := range []string{"none", "host"} {
		t.Run(network, func(t *testing.T) {
			t.Parallel()
			got := lines(s.mustHull(t, "run", "--rm", "--network", network, "busybox", "sh", "-c", script))
			if len(got) != len(kinds) {
				t.Fatalf("got %d namespace links, want %d: %q", len(got), len(kinds), got)
			}
			for i, k := range kinds {
				shared := got[i] == host[k]
				if wantShared := k == "net" && network == "host"; shared != wantShared {
					t.Errorf("%s namespace: container %s, host %s (shared %v, want %v)", k, got[i], host[k], shared, wantShared)
				}
			}
		})
	}
}

func TestNetworkModes(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	ents, err := os.ReadDir("/sys/class/net")
	if err != nil {
		t.Fatal(err)
	}
	var hostIfs []string
	for _, e := range ents {
		hostIfs = append(hostIfs, e.Name())
	}
	if len(hostIfs) < 2 {
		t.Fatalf("host has interfaces %v: need one besides lo to tell host from none", hostIfs)
	}
	ifaces := func(network string) []string {
		out := s.mustHull(t, "run", "--rm", "--network", network, "busybox", "ls", "/sys/class/net")
		f := strings.Fields(out)
		slices.Sort(f)
		return f
	}
	if got := ifaces("host"); !slices.Equal(got, hostIfs) {
		t.Errorf("--network host sees %v, host has %v", got, hostIfs)
	}
	if got := ifaces("none"); !slices.Equal(got, []string{"lo"}) {
		t.Errorf("--network none sees %v, want [lo]", got)
	}
	// The default is the user-mode network (Docker's "bridge"): lo and
	// the tap device slirp4netns configures.
	out := s.mustHull(t, "run", "--rm", "busybox", "sh", "-c", "tail -n +3 /proc/net/dev | cut -d: -f1")
	if f := strings.Fields(out); !slices.Contains(f, "lo") || !slices.Contains(f, "tap0") {
		t.Errorf("default network: /proc/net/dev lists %v, want lo and tap0", f)
	}
	_, errs, code := s.hull(t, "run", "--rm", "--network", "bogus", "busybox", "true")
	if code != 125 {
		t.Errorf("--network bogus: exit %d, want 125", code)
	}
	oneLineError(t, errs)
}

// mountEntry is one line of /proc/self/mountinfo.
type mountEntry struct {
	point, opts, fstype string
}

// mounts parses mountinfo text by mount point (the last mount wins).
func mounts(mountinfo string) map[string]mountEntry {
	m := map[string]mountEntry{}
	for _, l := range lines(mountinfo) {
		f := strings.Fields(l)
		sep := slices.Index(f, "-")
		if len(f) < 6 || sep < 0 || sep+1 >= len(f) {
			continue
		}
		m[f[4]] = mountEntry{point: f[4], opts: f[5], fstype: f[sep+1]}
	}
	return m
}

func hasOpt(opts, o string) bool { return slices.Contains(strings.Split(opts, ","), o) }

// Docker's masked paths that exist on this host read empty in the
// container: files have /dev/null over them, directories an empty tmpfs.
func TestMaskedPaths(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	paths := []string{"/proc/asound", "/proc/acpi", "/proc/interrupts", "/proc/kcore", "/proc/keys",
		"/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi",
		"/sys/firmware", "/sys/devices/virtual/powercap"}
	var present []string
	for _, p := range paths {
		if _, err := os.Lstat(p); err == nil {
			present = append(present, p)
		} else {
			t.Logf("%s: not on this host, not checked", p)
		}
	}
	if len(present) == 0 {
		t.Fatalf("none of Docker's masked paths exists on this host: the test would check nothing")
	}
	script := `for p in "$@"; do
	if [ -d "$p" ]; then echo "$p dir $(ls -A "$p" | wc -l)";
	elif [ -e "$p" ]; then echo "$p file $(cat "$p" 2>/dev/null | wc -c)";
	else echo "$p absent"; fi; done; echo ---; cat /proc/self/mountinfo`
	out := s.mustHull(t, append([]string{"run", "--rm", "busybox", "sh", "-c", script, "sh"}, present...)...)
	report, mountinfo, _ := strings.Cut(out, "---\n")
	mi := mounts(mountinfo)
	for _, l := range lines(report) {
		f := strings.Fields(l)
		if len(f) != 3 || f[2] != "0" {
			t.Errorf("masked path not empty in the container: %q", l)
		}
		if _, ok := mi[f[0]]; !ok {
			t.Errorf("%s: no mount masks it in the container", f[0])
		}
	}
	if n := len(lines(report)); n != len(present) {
		t.Errorf("checked %d paths, want %d:\n%s", n, len(present), report)
	}
	t.Logf("masked and checked: %v", present)
}

// Docker's read-only paths that exist on this host are read-only mounts in
// the container, and a write to them fails with EROFS.
func TestReadonlyPaths(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	var present []string
	for _, p := range []string{"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"} {
		if _, err := os.Lstat(p); err == nil {
			present = append(present, p)
		} else {
			t.Logf("%s: not on this host, not checked", p)
		}
	}
	if !slices.Contains(present, "/proc/sys") {
		t.Fatalf("/proc/sys missing on the host: the test would check nothing real")
	}
	// touch opens a file for writing (or sets a directory's times), which
	// a read-only mount refuses with EROFS before any permission check;
	// on a writable one it would change nothing but timestamps. Each path
	// is probed itself and through the first file below it.
	script := `for p in "$@"; do
	echo "$p: $(touch "$p" 2>&1)"
	f=$(find "$p" -type f 2>/dev/null | head -n 1)
	if [ -n "$f" ]; then echo "$f: $(touch "$f" 2>&1)"; fi; done
	echo "domainname: $( (echo x > /proc/sys/kernel/domainname) 2>&1)"
	echo ---; cat /proc/self/mountinfo`
	out := s.mustHull(t, append([]string{"run", "--rm", "busybox", "sh", "-c", script, "sh"}, present...)...)
	report, mountinfo, _ := strings.Cut(out, "---\n")
	for _, l := range lines(report) {
		if !strings.Contains(l, "Read-only file system") {
			t.Errorf("write not refused as read-only: %q", l)
		}
	}
	if n := len(lines(report)); n < len(present)+1 {
		t.Errorf("checked %d writes, want at least %d:\n%s", n, len(present)+1, report)
	}
	t.Logf("writes refused:\n%s", report)
	mi := mounts(mountinfo)
	for _, p := range present {
		if m, ok := mi[p]; !ok || !hasOpt(m.opts, "ro") {
			t.Errorf("%s: mount %+v, want a read-only mount", p, m)
		}
	}
	if m := mi["/sys"]; !hasOpt(m.opts, "ro") || m.fstype != "sysfs" {
		t.Errorf("/sys: mount %+v, want read-only sysfs", m)
	}
	if m := mi["/proc"]; m.fstype != "proc" {
		t.Errorf("/proc: mount %+v, want a proc instance", m)
	}
	t.Logf("read-only and checked: %v", present)
}

func TestDevices(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	// No /dev/tty without -t: the container has no controlling terminal
	// (TestTty checks it with -t).
	script := `for d in null zero full random urandom; do test -c /dev/$d && echo "$d char"; done
	for d in pts shm mqueue; do test -d /dev/$d && echo "$d dir"; done
	test -e /dev/console && echo console
	ls /dev/pts | tr '\n' ' '; echo
	echo x > /dev/null && echo "null writable"
	echo "zero $(head -c 5 /dev/zero | wc -c)"
	echo "urandom $(head -c 7 /dev/urandom | wc -c)"
	(echo x > /dev/full) 2>/dev/null || echo "full refuses"
	echo shm > /dev/shm/x && cat /dev/shm/x
	grep -E ' /dev/(pts|shm|mqueue) ' /proc/self/mountinfo | sed 's/.* - //' | cut -d' ' -f1 | tr '\n' ' '; echo`
	out := s.mustHull(t, "run", "--rm", "busybox", "sh", "-c", script)
	want := "null char\nzero char\nfull char\nrandom char\nurandom char\npts dir\nshm dir\nmqueue dir\n" +
		"ptmx \nnull writable\nzero 5\nurandom 7\nfull refuses\nshm\ndevpts tmpfs mqueue \n"
	if out != want {
		t.Errorf("/dev in the container:\n%s\nwant:\n%s", out, want)
	}
	// Only the host's /dev devices the spec names exist: no disks.
	if out := s.mustHull(t, "run", "--rm", "busybox", "sh", "-c", "ls /dev | grep -E '^(sd|vd|nvme|loop|mem|kmsg)' || true"); strings.TrimSpace(out) != "" {
		t.Errorf("host devices visible in the container: %q", out)
	}
}

func TestEtcFiles(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	script := `hostname; cat /etc/hostname; echo "$HOSTNAME"; grep -c "[[:space:]]$(hostname)\$" /etc/hosts; grep -c localhost /etc/hosts; test -f /etc/resolv.conf && echo resolv`
	for _, flags := range [][]string{nil, {"--hostname", "myhost"}} {
		out := s.mustHull(t, append(append([]string{"run", "--rm"}, flags...), "busybox", "sh", "-c", script)...)
		l := lines(out)
		if len(l) != 6 {
			t.Fatalf("flags %v: got %q", flags, out)
		}
		if flags != nil && l[0] != "myhost" {
			t.Errorf("hostname %q, want myhost", l[0])
		}
		if l[0] == "" || l[1] != l[0] || l[2] != l[0] {
			t.Errorf("flags %v: hostname %q, /etc/hostname %q, $HOSTNAME %q: want all equal", flags, l[0], l[1], l[2])
		}
		if l[3] == "0" || l[4] == "0" || l[5] != "resolv" {
			t.Errorf("flags %v: /etc/hosts lacks the hostname or localhost, or no resolv.conf: %q", flags, out)
		}
	}
	// The default hostname is the short container id, as in Docker.
	s.mustHull(t, "run", "--name", "h1", "busybox", "true")
	id := strings.TrimSpace(s.mustHull(t, "inspect", "--format", "{{.Id}}", "h1"))
	host := strings.TrimSpace(s.mustHull(t, "inspect", "--format", "{{.Config.Hostname}}", "h1"))
	if len(id) < 12 || host != id[:12] {
		t.Errorf("default hostname %q, want the short id of %q", host, id)
	}
}
