package cgroup

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeFS builds a cgroupfs-like tree: files are created empty unless a
// content is given.
func fakeFS(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for name, content := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func read(t *testing.T, p string) string {
	t.Helper()
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(data))
}

func TestDiscoverV2OwnCgroup(t *testing.T) {
	root := fakeFS(t, map[string]string{
		"user.slice/app.scope/cgroup.procs":           "",
		"user.slice/app.scope/cgroup.subtree_control": "",
		"user.slice/app.scope/cgroup.controllers":     "cpu memory pids",
	})
	l := Discover(Env{Root: root, Unified: root, Self: "/user.slice/app.scope", UID: 1000})
	for _, c := range Controllers {
		p, ok := l.Places[c]
		if !ok || p.Version != 2 || p.Dir != filepath.Join(root, "user.slice/app.scope") {
			t.Errorf("%s: got %+v (%s)", c, p, l.Reasons[c])
		}
	}
}

func TestDiscoverV2PrefersDelegationAndReportsMissingController(t *testing.T) {
	root := fakeFS(t, map[string]string{
		"hull-1000/cgroup.procs":           "",
		"hull-1000/cgroup.subtree_control": "",
		"hull-1000/cgroup.controllers":     "memory",
	})
	l := Discover(Env{Root: root, Unified: root, Self: "/other", UID: 1000})
	if p := l.Places[Memory]; p.Dir != filepath.Join(root, "hull-1000") {
		t.Errorf("memory: %+v", p)
	}
	if l.Has(Pids) || !strings.Contains(l.Reasons[Pids], "not delegated") {
		t.Errorf("pids: %q", l.Reasons[Pids])
	}
}

func TestDiscoverHybridV1(t *testing.T) {
	root := fakeFS(t, map[string]string{
		"memory/hull-1001/cgroup.procs": "",
		"pids/hull-1001/cgroup.procs":   "",
		"unified/cgroup.controllers":    "hugetlb",
	})
	env := Env{Root: root, Unified: filepath.Join(root, "unified"), Self: "/", UID: 1001,
		V1: map[string]string{Memory: filepath.Join(root, "memory"), Pids: filepath.Join(root, "pids"), CPU: filepath.Join(root, "cpu")}}
	l := Discover(env)
	if p := l.Places[Memory]; p.Version != 1 || p.Dir != filepath.Join(root, "memory/hull-1001") {
		t.Errorf("memory: %+v", p)
	}
	if !l.Has(Pids) {
		t.Errorf("pids: %s", l.Reasons[Pids])
	}
	if l.Has(CPU) || !strings.Contains(l.Reasons[CPU], "chown") {
		t.Errorf("cpu should be missing with a hint: %q", l.Reasons[CPU])
	}
}

func TestCreateV1WritesLimits(t *testing.T) {
	root := fakeFS(t, map[string]string{
		"memory/hull-1/cgroup.procs": "", "pids/hull-1/cgroup.procs": "", "cpu/hull-1/cgroup.procs": "",
	})
	l := Layout{Places: map[string]Place{
		Memory: {Dir: filepath.Join(root, "memory/hull-1"), Version: 1},
		Pids:   {Dir: filepath.Join(root, "pids/hull-1"), Version: 1},
		CPU:    {Dir: filepath.Join(root, "cpu/hull-1"), Version: 1},
	}}
	r := Resources{Memory: 64 << 20, MemorySwap: 64 << 20, NanoCPUs: 1.5e9, CPUShares: 512, PidsLimit: 20}
	g, err := Create(l, "c1", r.Needs(), r)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"memory/hull-1/c1/memory.limit_in_bytes":       "67108864",
		"memory/hull-1/c1/memory.memsw.limit_in_bytes": "67108864",
		"pids/hull-1/c1/pids.max":                      "20",
		"cpu/hull-1/c1/cpu.cfs_period_us":              "100000",
		"cpu/hull-1/c1/cpu.cfs_quota_us":               "150000",
		"cpu/hull-1/c1/cpu.shares":                     "512",
	}
	for f, v := range want {
		if got := read(t, filepath.Join(root, f)); got != v {
			t.Errorf("%s = %q, want %q", f, got, v)
		}
	}
	if err := g.Add(4242); err != nil {
		t.Fatal(err)
	}
	if got := read(t, filepath.Join(root, "pids/hull-1/c1/cgroup.procs")); got != "4242" {
		t.Errorf("cgroup.procs = %q", got)
	}
	// The kernel's own files, as a v1 memory group shows them after an OOM kill.
	os.WriteFile(filepath.Join(root, "memory/hull-1/c1/memory.max_usage_in_bytes"), []byte("67100000\n"), 0o644)
	os.WriteFile(filepath.Join(root, "memory/hull-1/c1/memory.oom_control"), []byte("oom_kill_disable 0\nunder_oom 0\noom_kill 2\n"), 0o644)
	if s := g.Stats(); s.PeakMemory != 67100000 || s.OOMKills != 2 {
		t.Errorf("stats: %+v", s)
	}
}

func TestCreateV2EnablesControllersAndWritesLimits(t *testing.T) {
	root := fakeFS(t, map[string]string{"d/cgroup.subtree_control": "memory"})
	l := Layout{Places: map[string]Place{
		Memory: {Dir: filepath.Join(root, "d"), Version: 2}, Pids: {Dir: filepath.Join(root, "d"), Version: 2}, CPU: {Dir: filepath.Join(root, "d"), Version: 2},
	}}
	r := Resources{Memory: 100 << 20, MemorySwap: 150 << 20, NanoCPUs: 5e8, CPUShares: 1024, PidsLimit: 7}
	g, err := Create(l, "c2", r.Needs(), r)
	if err != nil {
		t.Fatal(err)
	}
	// The fake file keeps the last write; the real one accumulates.
	if got := read(t, filepath.Join(root, "d/cgroup.subtree_control")); got != "+cpu" {
		t.Errorf("subtree_control last write = %q", got)
	}
	want := map[string]string{
		"d/c2/memory.max":      "104857600",
		"d/c2/memory.swap.max": "52428800",
		"d/c2/pids.max":        "7",
		"d/c2/cpu.max":         "50000 100000",
		"d/c2/cpu.weight":      "39",
	}
	for f, v := range want {
		if got := read(t, filepath.Join(root, f)); got != v {
			t.Errorf("%s = %q, want %q", f, got, v)
		}
	}
	if got := g.ProcsFiles(); len(got) != 1 {
		t.Errorf("one directory serves all controllers: %v", got)
	}
	os.WriteFile(filepath.Join(root, "d/c2/memory.peak"), []byte("123\n"), 0o644)
	os.WriteFile(filepath.Join(root, "d/c2/memory.events"), []byte("low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n"), 0o644)
	if s := g.Stats(); s.PeakMemory != 123 || s.OOMKills != 1 {
		t.Errorf("stats: %+v", s)
	}
}

func TestCreateRefusesMissingController(t *testing.T) {
	l := Layout{Places: map[string]Place{}, Reasons: map[string]string{Pids: "no pids here"}}
	if _, err := Create(l, "x", []string{Pids}, Resources{PidsLimit: 1}); err == nil || !strings.Contains(err.Error(), "no pids here") {
		t.Fatalf("err = %v", err)
	}
}

func TestSharesToWeight(t *testing.T) {
	for shares, weight := range map[int64]int64{2: 1, 1024: 39, 262144: 10000, 1: 1} {
		if got := SharesToWeight(shares); got != weight {
			t.Errorf("SharesToWeight(%d) = %d, want %d", shares, got, weight)
		}
	}
}

func TestUnifiedPath(t *testing.T) {
	if got := unifiedPath("4:memory:/x\n0::/user.slice/a.scope\n"); got != "/user.slice/a.scope" {
		t.Errorf("got %q", got)
	}
}
