package cgroup

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// v1Env is a hybrid host's Env over a fake cgroupfs: memory, pids and cpu
// in v1 hierarchies, the process in cgroup self of each.
func v1Env(root string, self map[string]string) Env {
	return Env{Root: root, Unified: filepath.Join(root, "unified"), Self: "/", UID: 1001, PID: 4242,
		V1:     map[string]string{Memory: filepath.Join(root, "memory"), Pids: filepath.Join(root, "pids"), CPU: filepath.Join(root, "cpu")},
		SelfV1: self}
}

func TestDiscoverV1PrefersOwnCgroupThenDelegationThenNothing(t *testing.T) {
	root := fakeFS(t, map[string]string{
		"memory/ci-job/cgroup.procs":    "4242",
		"memory/hull-1001/cgroup.procs": "",
		"pids/hull-1001/cgroup.procs":   "",
	})
	// The process sits in /ci-job of every hierarchy; only memory's is
	// writable (pids' does not exist here), cpu has no hull-1001 either.
	l := Discover(v1Env(root, map[string]string{Memory: "/ci-job", Pids: "/ci-job", CPU: "/"}))
	if p := l.Places[Memory]; !p.Own || p.Version != 1 || p.Dir != filepath.Join(root, "memory/ci-job") {
		t.Errorf("memory: %+v, want the own cgroup", p)
	}
	if n := l.Notes[Memory]; n != "own cgroup /ci-job (writable); hull-1001 not used" {
		t.Errorf("memory note: %q", n)
	}
	if p := l.Places[Pids]; p.Own || p.Dir != filepath.Join(root, "pids/hull-1001") {
		t.Errorf("pids: %+v, want hull-1001", p)
	}
	if n := l.Notes[Pids]; !strings.Contains(n, "own cgroup /ci-job not writable") || !strings.HasSuffix(n, "hull-1001 (delegated)") {
		t.Errorf("pids note: %q", n)
	}
	if l.Has(CPU) || !strings.Contains(l.Reasons[CPU], "own cgroup is the hierarchy's root") || !strings.Contains(l.Reasons[CPU], "chown") {
		t.Errorf("cpu: %+v, reason %q", l.Places[CPU], l.Reasons[CPU])
	}
	sum := strings.Join(l.Summary(), "\n")
	for _, want := range []string{"v1 memory: own cgroup /ci-job (writable); hull-1001 not used", "v1 pids: own cgroup /ci-job not writable", "cpu: no cgroup"} {
		if !strings.Contains(sum, want) {
			t.Errorf("summary lacks %q:\n%s", want, sum)
		}
	}
}

func TestDiscoverV1OwnCgroupForAllControllersIsOneSummaryLine(t *testing.T) {
	root := fakeFS(t, map[string]string{
		"memory/ci-job/cgroup.procs": "", "pids/ci-job/cgroup.procs": "", "cpu/ci-job/cgroup.procs": "",
		"memory/hull-1001/cgroup.procs": "", "pids/hull-1001/cgroup.procs": "", "cpu/hull-1001/cgroup.procs": "",
	})
	l := Discover(v1Env(root, map[string]string{Memory: "/ci-job", Pids: "/ci-job", CPU: "/ci-job"}))
	if got := l.Summary(); len(got) != 1 || got[0] != "v1 memory,pids,cpu: own cgroup /ci-job (writable); hull-1001 not used" {
		t.Errorf("summary: %q", got)
	}
}

func TestDiscoverV1OwnCgroupBelowTheMountRoot(t *testing.T) {
	root := fakeFS(t, map[string]string{"memory/job/cgroup.procs": ""})
	env := v1Env(root, nil)
	// The hierarchy is mounted from /ci (as in a container without a
	// cgroup namespace): /ci/job is the mount's job/.
	env.V1Root = map[string]string{Memory: "/ci"}
	if rel, ok := env.v1Rel(Memory, "/ci/job"); !ok || rel != "/job" {
		t.Fatalf("v1Rel = %q, %v", rel, ok)
	}
	if _, ok := env.v1Rel(Memory, "/cider/job"); ok {
		t.Error("a path outside the mount's root was accepted")
	}
	env.SelfV1 = map[string]string{Memory: "/job"}
	if p := Discover(env).Places[Memory]; !p.Own || p.Dir != filepath.Join(root, "memory/job") {
		t.Errorf("memory: %+v", p)
	}
}

func TestParseProcCgroup(t *testing.T) {
	u, v1 := parseProcCgroup("9:name=systemd:/\n4:memory:/ci-job\n1:cpu,cpuacct:/ci-job/x\n0::/user.slice\n")
	if u != "/user.slice" || v1[Memory] != "/ci-job" || v1[CPU] != "/ci-job/x" || v1["cpuacct"] != "/ci-job/x" {
		t.Errorf("unified %q, v1 %v", u, v1)
	}
}

// v2 candidate files: writable, with controllers and processes.
func v2Group(dir, ctrls, procs string) map[string]string {
	return map[string]string{dir + "/cgroup.procs": procs, dir + "/cgroup.subtree_control": "", dir + "/cgroup.controllers": ctrls}
}

func merge(ms ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, m := range ms {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

func TestDiscoverV2PrefersOwnCgroupAndMovesOnlyItself(t *testing.T) {
	root := fakeFS(t, merge(v2Group("job", "memory pids cpu", "77"), v2Group("hull-1000", "memory pids cpu", "")))
	l := Discover(Env{Root: root, Unified: root, Self: "/job", UID: 1000, PID: 77})
	for _, c := range Controllers {
		p := l.Places[c]
		if !p.Own || !p.MoveSelf || p.Dir != filepath.Join(root, "job") || p.Version != 2 {
			t.Errorf("%s: %+v (%s)", c, p, l.Reasons[c])
		}
	}
	if got := l.Summary(); len(got) != 1 || got[0] != "v2 memory,pids,cpu: own cgroup /job (writable); hull-1000 not used" {
		t.Errorf("summary: %q", got)
	}
}

func TestDiscoverV2OwnCgroupWithOtherProcessesIsPassedOver(t *testing.T) {
	// A CI job's shell shares the cgroup: controllers cannot reach
	// children of a cgroup with processes, and hull moves no one else.
	root := fakeFS(t, merge(v2Group("job", "memory pids cpu", "12\n77\n"), v2Group("hull-1000", "memory pids", "")))
	l := Discover(Env{Root: root, Unified: root, Self: "/job", UID: 1000, PID: 77})
	if p := l.Places[Memory]; p.Own || p.Dir != filepath.Join(root, "hull-1000") {
		t.Errorf("memory: %+v", p)
	}
	if n := l.Notes[Memory]; !strings.Contains(n, "own cgroup /job holds other processes") {
		t.Errorf("memory note: %q", n)
	}
	if l.Has(CPU) || !strings.Contains(l.Reasons[CPU], "holds other processes") || !strings.Contains(l.Reasons[CPU], "controller cpu is not delegated to hull-1000") {
		t.Errorf("cpu: %q", l.Reasons[CPU])
	}
}

func TestDiscoverV2LeafCountsItsParentAsOwn(t *testing.T) {
	// After hull moved itself into job/hull-self, job holds no process and
	// is still hull's own cgroup (no hull-self/hull-self/…).
	root := fakeFS(t, merge(v2Group("job", "memory pids cpu", ""), v2Group("job/hull-self", "", "77")))
	l := Discover(Env{Root: root, Unified: root, Self: "/job/hull-self", UID: 1000, PID: 77})
	if p := l.Places[Pids]; !p.Own || p.MoveSelf || p.Dir != filepath.Join(root, "job") {
		t.Errorf("pids: %+v (%s)", p, l.Reasons[Pids])
	}
}

func TestCreateV2MovesItselfIntoALeafFirst(t *testing.T) {
	root := fakeFS(t, v2Group("job", "memory pids", strconv.Itoa(os.Getpid())))
	dir := filepath.Join(root, "job")
	l := Layout{Places: map[string]Place{
		Memory: {Dir: dir, Version: 2, Own: true, MoveSelf: true},
		Pids:   {Dir: dir, Version: 2, Own: true, MoveSelf: true},
	}}
	g, err := Create(l, "hull-c1", []string{Memory, Pids}, Resources{Memory: 1 << 20, PidsLimit: 5})
	if err != nil {
		t.Fatal(err)
	}
	if got := read(t, filepath.Join(dir, LeafName, "cgroup.procs")); got != strconv.Itoa(os.Getpid()) {
		t.Errorf("leaf cgroup.procs = %q, want this process", got)
	}
	if got := read(t, filepath.Join(dir, "hull-c1/pids.max")); got != "5" {
		t.Errorf("pids.max = %q", got)
	}
	if g.made[filepath.Join(dir, LeafName)] || !g.made[filepath.Join(dir, "hull-c1")] {
		t.Errorf("the group would remove %v; the leaf holding hull must stay", g.made)
	}
}

func TestGroupsNamedFollowTheMember(t *testing.T) {
	env := Env{Unified: "/u", V1: map[string]string{Memory: "/m", Pids: "/p", CPU: "/c"}, V1Root: map[string]string{Pids: "/sub"}}
	proc := "8:pids:/sub/job/hull-c1\n4:memory:/ci-job/hull-c1\n1:cpu,cpuacct:/other\n0::/job/hull-c1\n"
	got := groupsNamed(env, proc, "hull-c1")
	want := []Place{{Dir: "/m/ci-job/hull-c1", Version: 1}, {Dir: "/p/job/hull-c1", Version: 1}, {Dir: "/u/job/hull-c1", Version: 2}}
	if len(got) != len(want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("%d: %+v, want %+v", i, got[i], want[i])
		}
	}
	if got := groupsNamed(env, proc, "hull-c2"); len(got) != 0 {
		t.Errorf("another container's groups: %+v", got)
	}
}

// Member's group is the member's own, per controller (a v1 hierarchy's
// group, else the unified one), whatever cgroup the caller is in.
func TestMemberGroupFollowsTheMember(t *testing.T) {
	env := Env{Unified: "/u", V1: map[string]string{Memory: "/m", Pids: "/p"}, V1Root: map[string]string{Pids: "/sub"}}
	g := memberGroup(env, "8:pids:/sub/job/hull-c1\n4:memory:/ci-job/hull-c1\n0::/job/hull-c1\n", "hull-c1")
	if g == nil {
		t.Fatal("no group")
	}
	want := map[string]string{Memory: "/m/ci-job/hull-c1", Pids: "/p/job/hull-c1", CPU: "/u/job/hull-c1"}
	for c, dir := range want {
		if g.dirs[c].Dir != dir {
			t.Errorf("%s: %+v, want %s", c, g.dirs[c], dir)
		}
	}
	if len(g.made) != 3 {
		t.Errorf("directories to remove: %v", g.made)
	}
	if g := memberGroup(env, "4:memory:/ci-job/hull-c1\n0::/job/hull-c1\n", "hull-c2"); g != nil {
		t.Errorf("another container's group: %+v", g)
	}
}

func TestSettleMovesItselfSoThatAChildFindsTheOwnCgroupFree(t *testing.T) {
	me := strconv.Itoa(os.Getpid())
	root := fakeFS(t, v2Group("job", "memory pids", me))
	l := Discover(Env{Root: root, Unified: root, Self: "/job", UID: 1000, PID: os.Getpid()})
	if err := Settle(l); err != nil {
		t.Fatal(err)
	}
	if got := read(t, filepath.Join(root, "job", LeafName, "cgroup.procs")); got != me {
		t.Fatalf("leaf cgroup.procs = %q, want %s", got, me)
	}
	// What the kernel would show next: the job empty, hull and its child
	// (the monitor, pid 5000) in the leaf.
	os.WriteFile(filepath.Join(root, "job/cgroup.procs"), nil, 0o644)
	l = Discover(Env{Root: root, Unified: root, Self: "/job/" + LeafName, UID: 1000, PID: 5000})
	if p := l.Places[Memory]; !p.Own || p.MoveSelf || p.Dir != filepath.Join(root, "job") {
		t.Errorf("the monitor's memory place: %+v (%s)", p, l.Reasons[Memory])
	}
	if err := Settle(Layout{Places: map[string]Place{Memory: {Dir: "/nonexistent", Version: 1}}}); err != nil {
		t.Errorf("settle without a v2 own cgroup: %v", err)
	}
}
