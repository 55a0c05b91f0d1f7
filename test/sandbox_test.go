package test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// needCgroup skips unless hull info says the limit flag is enforced by a
// cgroup here (make setup delegates cgroup v1 subtrees to the test user).
func needCgroup(t *testing.T, s *store, flag string) string {
	t.Helper()
	out := s.mustHull(t, "info", "--format", "{{json .Limits}}")
	var limits []struct {
		Flags    string
		Enforced bool
		How      string
		Why      string
	}
	if err := json.Unmarshal([]byte(out), &limits); err != nil {
		t.Fatalf("info limits: %v: %s", err, out)
	}
	for _, l := range limits {
		if strings.Contains(l.Flags, flag) {
			if !l.Enforced || !strings.HasPrefix(l.How, "cgroup") {
				t.Skipf("%s is not enforced by a cgroup on this host: %s", flag, l.Why)
			}
			return strings.TrimSpace(l.How[strings.LastIndex(l.How, " "):])
		}
	}
	t.Fatalf("hull info lists no %s", flag)
	return ""
}

func TestLimitsForkBombHeldByPidsLimit(t *testing.T) {
	s := withBusybox(t)
	dir := needCgroup(t, s, "--pids-limit")
	// An endless spawner (awk carries on when a fork fails, where sh
	// would exit): only the limit holds it, and the time-out ends it.
	start := time.Now()
	_, errs, code := s.hull(t, "run", "--name", "bomb", "--network", "none", "--pids-limit", "30", "--cpus", "1", "--timeout", "4s",
		"busybox", "awk", `BEGIN { while (1) system("sleep 100 & sleep 100 & sleep 100 &") }`)
	if code != 124 || !strings.Contains(errs, "hull: container exceeded --timeout 4s; killed") {
		t.Fatalf("fork bomb: exit %d, stderr %q; want 124 and the time-out message", code, errs)
	}
	if time.Since(start) > 30*time.Second {
		t.Errorf("the bomb took %v to stop", time.Since(start))
	}
	id := strings.TrimSpace(s.mustHull(t, "inspect", "--format", "{{.Id}}", "bomb"))
	if _, err := os.Stat(filepath.Join(dir, "hull-"+id)); !os.IsNotExist(err) {
		t.Errorf("container cgroup left behind: %v", err)
	}
	if got := strings.TrimSpace(s.mustHull(t, "inspect", "--format", "{{.State.ExitCode}}", "bomb")); got != "124" {
		t.Errorf("State.ExitCode = %s, want 124", got)
	}
	// A bounded bomb: the limit shows as a fork failure inside.
	_, errs, code = s.hull(t, "run", "--rm", "--network", "none", "--pids-limit", "10", "busybox", "sh", "-c",
		"for i in $(seq 40); do sleep 5 & done; echo all forked")
	if code == 0 || !strings.Contains(errs, "can't fork") {
		t.Errorf("40 processes under --pids-limit 10: exit %d, %q", code, errs)
	}
}

func TestLimitsMemoryHogKilledAndReported(t *testing.T) {
	s := withBusybox(t)
	needCgroup(t, s, "--memory")
	result := filepath.Join(t.TempDir(), "result.json")
	_, _, code := s.hull(t, "run", "--name", "hog", "--network", "none", "--memory", "32m", "--memory-swap", "32m",
		"--result", result, "busybox", "awk", `BEGIN { s = "x"; while (1) s = s s }`)
	if code != 137 {
		t.Fatalf("memory hog: exit %d, want 137", code)
	}
	if got := strings.TrimSpace(s.mustHull(t, "inspect", "--format", "{{.State.OOMKilled}} {{.State.ExitCode}}", "hog")); got != "true 137" {
		t.Errorf("State: %q, want OOMKilled true, exit 137", got)
	}
	r := readResult(t, result)
	if r["oom_killed"] != true || r["exit_code"] != 137.0 || r["timed_out"] != false {
		t.Errorf("result: %v", r)
	}
	if peak, ok := r["peak_memory_bytes"].(float64); !ok || peak < 16<<20 || peak > 40<<20 {
		t.Errorf("peak memory %v, want about 32 MiB", r["peak_memory_bytes"])
	}
}

func TestLimitsCPUAndMemoryOfDetachedContainer(t *testing.T) {
	s := withBusybox(t)
	cpuDir := needCgroup(t, s, "--cpus")
	memDir := needCgroup(t, s, "--memory")
	id := strings.TrimSpace(s.mustHull(t, "run", "-d", "--network", "none", "--cpus", "0.5", "--cpu-shares", "512",
		"--memory", "64m", "busybox", "sleep", "60"))
	defer s.hull(t, "rm", "-f", id)
	want := map[string]string{
		filepath.Join(cpuDir, "hull-"+id, "cpu.cfs_quota_us"):            "50000",
		filepath.Join(cpuDir, "hull-"+id, "cpu.shares"):                  "512",
		filepath.Join(memDir, "hull-"+id, "memory.limit_in_bytes"):       "67108864",
		filepath.Join(memDir, "hull-"+id, "memory.memsw.limit_in_bytes"): "134217728",
	}
	for f, v := range want {
		data, err := os.ReadFile(f)
		if _, statErr := os.Stat(f); os.IsNotExist(statErr) && strings.Contains(f, "memsw") {
			continue // no swap accounting on this kernel
		}
		if err != nil || strings.TrimSpace(string(data)) != v {
			t.Errorf("%s = %q (%v), want %s", f, data, err, v)
		}
	}
	pid := strings.TrimSpace(s.mustHull(t, "inspect", "--format", "{{.State.Pid}}", id))
	procs, _ := os.ReadFile(filepath.Join(cpuDir, "hull-"+id, "cgroup.procs"))
	if !strings.Contains(" "+strings.Join(strings.Fields(string(procs)), " ")+" ", " "+pid+" ") {
		t.Errorf("container pid %s not in its cgroup: %q", pid, procs)
	}
	s.mustHull(t, "rm", "-f", id)
	if _, err := os.Stat(filepath.Join(cpuDir, "hull-"+id)); !os.IsNotExist(err) {
		t.Errorf("cgroup left after rm -f: %v", err)
	}
}

func TestLimitsFallbackWarnsAndStrictRefuses(t *testing.T) {
	s := withBusybox(t)
	s.env = []string{"HULL_NO_CGROUPS=1"}
	out, errs, code := s.hull(t, "run", "--rm", "--network", "none", "--pids-limit", "50", "--memory", "256m", "--cpus", "1",
		"busybox", "sh", "-c", "ulimit -u; ulimit -v")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if got := strings.Fields(out); len(got) != 2 || got[0] != "50" || got[1] != strconv.Itoa(256<<10) {
		t.Errorf("rlimit fallbacks inside: %q, want nproc 50 and as 262144 KiB", out)
	}
	for _, w := range []string{"warning: --pids-limit is only approximated by RLIMIT_NPROC",
		"warning: --memory is only approximated by RLIMIT_AS", "warning: --cpus and --cpu-shares are not enforced"} {
		if !strings.Contains(errs, w) {
			t.Errorf("stderr lacks %q: %s", w, errs)
		}
	}
	// hull's init is a Go program that lives on as PID 1: the limits are
	// the command's, never the init's (under them the Go runtime dies for
	// want of address space or threads).
	out, errs, code = s.hull(t, "run", "--rm", "--init", "--network", "none", "--pids-limit", "50", "--memory", "64m",
		"busybox", "sh", "-c", "ulimit -v; ulimit -u; grep -c unlimited /proc/1/limits >/dev/null && echo init-unlimited")
	if code != 0 || strings.Join(strings.Fields(out), " ") != "65536 50 init-unlimited" {
		t.Errorf("--init with rlimit fallbacks: exit %d, out %q, stderr %s", code, out, errs)
	}
	_, errs, code = s.hull(t, "run", "--rm", "--network", "none", "--strict-limits", "--cpus", "1", "busybox", "true")
	if code != 125 || !strings.Contains(errs, "--strict-limits") {
		t.Errorf("strict: exit %d, %q; want 125 naming --strict-limits", code, errs)
	}
	oneLineError(t, errs)
	info := s.mustHull(t, "info")
	if !strings.Contains(info, "RLIMIT_NPROC") || !strings.Contains(info, "HULL_NO_CGROUPS") {
		t.Errorf("info does not explain the fallbacks:\n%s", info)
	}
}

func TestUlimit(t *testing.T) {
	s := withBusybox(t)
	out := s.mustHull(t, "run", "--rm", "--network", "none", "--ulimit", "nofile=64:128", "busybox", "sh", "-c", "ulimit -n; ulimit -Hn")
	if strings.Join(strings.Fields(out), " ") != "64 128" {
		t.Errorf("ulimit -n, -Hn: %q", out)
	}
	// With --init the limit reaches the command, not the Go init (which
	// cannot make its threads under nproc=1).
	out, errs, code := s.hull(t, "run", "--rm", "--init", "--network", "none", "--ulimit", "nproc=1", "busybox", "sh", "-c", "ulimit -u")
	if code != 0 || strings.TrimSpace(out) != "1" {
		t.Errorf("--init --ulimit nproc=1: exit %d, out %q, stderr %s", code, out, errs)
	}
	_, errs, code = s.hull(t, "run", "--rm", "--ulimit", "bogus=1", "busybox", "true")
	if code != 125 || !strings.Contains(errs, "--ulimit") {
		t.Errorf("bad ulimit: exit %d %q", code, errs)
	}
}

func TestTimeoutDetachedAndExec(t *testing.T) {
	s := withBusybox(t)
	id := strings.TrimSpace(s.mustHull(t, "run", "-d", "--network", "none", "--timeout", "2s", "busybox", "sleep", "60"))
	defer s.hull(t, "rm", "-f", id)
	out := s.mustHull(t, "wait", id)
	if strings.TrimSpace(out) != "124" {
		t.Errorf("wait after the monitor's time-out: %q, want 124", out)
	}
	id2 := strings.TrimSpace(s.mustHull(t, "run", "-d", "--network", "none", "busybox", "sleep", "60"))
	defer s.hull(t, "rm", "-f", id2)
	start := time.Now()
	_, errs, code := s.hull(t, "exec", "--timeout", "1s", id2, "sleep", "30")
	if code != 124 || !strings.Contains(errs, "exceeded --timeout 1s") || time.Since(start) > 20*time.Second {
		t.Errorf("exec --timeout: exit %d %q after %v", code, errs, time.Since(start))
	}
	out = s.mustHull(t, "exec", "--timeout", "30s", id2, "echo", "quick")
	if strings.TrimSpace(out) != "quick" {
		t.Errorf("exec within the time-out: %q", out)
	}
}

func TestUsernsKeepID(t *testing.T) {
	s := withBusybox(t)
	if subRange("/etc/subuid") == "" {
		t.Skip("keep-id needs a subordinate id range")
	}
	dir := t.TempDir()
	os.Chmod(dir, 0o755)
	out := s.mustHull(t, "run", "--rm", "--network", "none", "--userns", "keep-id", "-v", dir+":/src",
		"busybox", "sh", "-c", "id -u; id -g; stat -c %u /src; touch /src/made-inside; mkdir /src/d")
	uid, gid := strconv.Itoa(os.Getuid()), strconv.Itoa(os.Getgid())
	if got := strings.Fields(out); len(got) != 3 || got[0] != uid || got[1] != gid || got[2] != uid {
		t.Errorf("inside: %q, want uid %s gid %s owning /src", out, uid, gid)
	}
	for _, name := range []string{"made-inside", "d"} {
		st, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if sys := st.Sys().(*syscall.Stat_t); int(sys.Uid) != os.Getuid() || int(sys.Gid) != os.Getgid() {
			t.Errorf("%s is owned by %d:%d on the host, want %s:%s", name, sys.Uid, sys.Gid, uid, gid)
		}
	}
	// -u still wins, and ids other than 0 and the user's keep their place.
	out = s.mustHull(t, "run", "--rm", "--network", "none", "--userns", "keep-id", "-u", "33", "busybox", "id", "-u")
	if strings.TrimSpace(out) != "33" {
		t.Errorf("-u 33 under keep-id: %q", out)
	}
	out = s.mustHull(t, "run", "--rm", "--network", "none", "--userns", "host", "busybox", "cat", "/proc/self/uid_map")
	if f := strings.Fields(out); len(f) != 3 || f[0] != "0" || f[1] != uid || f[2] != "1" {
		t.Errorf("--userns host uid_map: %q", out)
	}
}

func TestResultJSON(t *testing.T) {
	s := withBusybox(t)
	result := filepath.Join(t.TempDir(), "r.json")
	_, _, code := s.hull(t, "run", "--rm", "--network", "none", "--result", result, "busybox", "sh", "-c", "exit 3")
	if code != 3 {
		t.Fatalf("exit %d", code)
	}
	r := readResult(t, result)
	for _, k := range []string{"exit_code", "duration_seconds", "peak_memory_bytes", "oom_killed", "timed_out", "image_id", "image_digest", "container_id"} {
		if _, ok := r[k]; !ok {
			t.Errorf("result lacks %s: %v", k, r)
		}
	}
	if r["exit_code"] != 3.0 || r["timed_out"] != false || !strings.HasPrefix(r["image_digest"].(string), "sha256:") {
		t.Errorf("result: %v", r)
	}
	_, _, code = s.hull(t, "run", "--rm", "--network", "none", "--timeout", "1s", "--result", result, "busybox", "sleep", "20")
	if r = readResult(t, result); code != 124 || r["timed_out"] != true || r["exit_code"] != 124.0 || r["signal"] != "SIGKILL" {
		t.Errorf("time-out result (exit %d): %v", code, r)
	}
	_, _, code = s.hull(t, "run", "--rm", "--network", "none", "--result", result, "busybox", "no-such-command")
	if r = readResult(t, result); code != 127 || r["exit_code"] != 127.0 || r["error"] == nil {
		t.Errorf("failed start result (exit %d): %v", code, r)
	}
}

func readResult(t *testing.T, file string) map[string]any {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("result: %v", err)
	}
	var r map[string]any
	if err := json.Unmarshal(data, &r); err != nil {
		t.Fatalf("result is not one JSON object: %v: %s", err, data)
	}
	return r
}

func TestSecurityOptProfileMaskUnmask(t *testing.T) {
	s := withBusybox(t)
	profile := filepath.Join(t.TempDir(), "profile.json")
	os.WriteFile(profile, []byte(`{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir","mkdirat"],"action":"SCMP_ACT_ERRNO"}]}`), 0o644)
	os.Chmod(filepath.Dir(profile), 0o755)
	_, errs, code := s.hull(t, "run", "--rm", "--network", "none", "--security-opt", "seccomp="+profile, "busybox", "mkdir", "/made")
	if code == 0 || !strings.Contains(errs, "not permitted") {
		t.Errorf("mkdir under a profile that denies it: exit %d %q", code, errs)
	}
	s.mustHull(t, "run", "--rm", "--network", "none", "--security-opt", "seccomp="+profile, "busybox", "touch", "/made")
	out := s.mustHull(t, "run", "--rm", "--network", "none", "--security-opt", "mask=/etc/group", "busybox", "wc", "-c", "/etc/group")
	if !strings.HasPrefix(strings.TrimSpace(out), "0 ") {
		t.Errorf("masked /etc/group: %q", out)
	}
	out = s.mustHull(t, "run", "--rm", "--network", "none", "--security-opt", "unmask=/proc/interrupts", "busybox", "wc", "-c", "/proc/interrupts")
	if strings.HasPrefix(strings.TrimSpace(out), "0 ") {
		t.Errorf("unmasked /proc/interrupts still empty: %q", out)
	}
	out = s.mustHull(t, "run", "--rm", "--network", "none", "--cap-drop", "ALL", "--cap-add", "CHOWN", "busybox", "grep", "CapEff", "/proc/self/status")
	if !strings.Contains(out, "0000000000000001") {
		t.Errorf("cap-drop ALL, cap-add CHOWN: %q", out)
	}
}

func TestUnshare(t *testing.T) {
	s := withBusybox(t)
	out := s.mustHull(t, "unshare", "id", "-u")
	if strings.TrimSpace(out) != "0" {
		t.Errorf("id -u in hull unshare: %q", out)
	}
	if subRange("/etc/subuid") == "" {
		return
	}
	// Files of subordinate ids (busybox's layer, unpacked in the namespace)
	// can be removed there.
	dir := filepath.Join(s.root, "unshare-test")
	s.mustHull(t, "unshare", "sh", "-c", "mkdir "+dir+" && touch "+dir+"/f && chown 33:33 "+dir+"/f")
	st, err := os.Stat(filepath.Join(dir, "f"))
	if err != nil {
		t.Fatal(err)
	}
	if sys := st.Sys().(*syscall.Stat_t); sys.Uid == uint32(os.Getuid()) {
		t.Errorf("chown 33 in unshare left the file the user's")
	}
	s.mustHull(t, "unshare", "rm", "-rf", dir)
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("rm in unshare: %v", err)
	}
}
