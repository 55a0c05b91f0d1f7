package device

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hull-project/hull/isolation"
)

func TestParseNode(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Node
		err  string
	}{
		{in: "/dev/fuse", want: Node{"/dev/fuse", "/dev/fuse", "rwm"}},
		{in: "/dev/null:/dev/mine", want: Node{"/dev/null", "/dev/mine", "rwm"}},
		{in: "/dev/null:r", want: Node{"/dev/null", "/dev/null", "r"}},
		{in: "/dev/null:/dev/x:rw", want: Node{"/dev/null", "/dev/x", "rw"}},
		{in: "/dev/null:/dev/x:rx", err: "permissions"},
		{in: "dev/null", err: "not an absolute path"},
		{in: "/dev/null:x/y", err: "not an absolute path"},
		{in: "/a:/b:rw:extra", err: "HOST[:CONTAINER]"},
	} {
		got, err := ParseNode(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseNode(%q) error = %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ParseNode(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
	}
	if !IsCDI("vendor.com/class=dev") || IsCDI("/dev/null") || IsCDI("/dev/null:/dev/x=y") {
		t.Error("IsCDI tells CDI names from paths wrongly")
	}
}

func TestParseGPUs(t *testing.T) {
	for _, tc := range []struct {
		in    string
		count int
		ids   []string
		err   bool
	}{
		{in: "all", count: -1},
		{in: "2", count: 2},
		{in: "device=1", ids: []string{"1"}},
		{in: `"device=0,2"`, ids: []string{"0", "2"}},
		{in: "count=1,capabilities=compute,utility", count: 1},
		{in: "0", err: true},
		{in: "driver=amd", err: true},
		{in: "count=1,device=0", err: true},
		{in: "bogus", err: true},
	} {
		got, err := ParseGPUs(tc.in)
		if tc.err {
			if err == nil {
				t.Errorf("ParseGPUs(%q) = %+v, want an error", tc.in, got)
			}
			continue
		}
		if err != nil || got.Count != tc.count || !slices.Equal(got.DeviceIDs, tc.ids) {
			t.Errorf("ParseGPUs(%q) = %+v, %v; want count %d ids %v", tc.in, got, err, tc.count, tc.ids)
		}
	}
}

func TestResolveNodeChecks(t *testing.T) {
	plan, err := Resolve(Request{Nodes: []Node{{"/dev/null", "/dev/mynull", "rwm"}}}, Host{})
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Mounts) != 1 || plan.Mounts[0].Source != "/dev/null" || plan.Mounts[0].Destination != "/dev/mynull" || len(plan.Mounts[0].Options) != 0 {
		t.Errorf("mounts = %+v", plan.Mounts)
	}
	_, err = Resolve(Request{Nodes: []Node{{"/dev/no-such-node", "/dev/x", "rwm"}}}, Host{})
	if err == nil || !strings.Contains(err.Error(), "/dev/no-such-node: no such device") {
		t.Errorf("missing node: %v", err)
	}
	file := filepath.Join(t.TempDir(), "plain")
	os.WriteFile(file, nil, 0o644)
	_, err = Resolve(Request{Nodes: []Node{{file, "/dev/x", "rwm"}}}, Host{})
	if err == nil || !strings.Contains(err.Error(), "not a device node") {
		t.Errorf("regular file: %v", err)
	}
}

// fakeGPUHost is a tree with the nodes, libraries and programs of a host
// with two GPUs and the driver under /usr/local/nvidia, plus an ld cache
// that lists one library elsewhere and a 32-bit one that must be skipped.
func fakeGPUHost(t *testing.T) Host {
	root := t.TempDir()
	write := func(p string) {
		t.Helper()
		full := filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(p), 0o666); err != nil {
			t.Fatal(err)
		}
		os.Chmod(full, 0o666)
	}
	for _, n := range []string{"nvidiactl", "nvidia-uvm", "nvidia0", "nvidia1", "null"} {
		write("/dev/" + n)
	}
	write("/usr/local/nvidia/lib64/libcuda.so.550.1")
	os.Symlink("libcuda.so.550.1", filepath.Join(root, "/usr/local/nvidia/lib64/libcuda.so.1"))
	write("/usr/local/nvidia/lib64/libunrelated.so.1")
	write("/usr/lib/x86_64-linux-gnu/libnvidia-ml.so.1")
	write("/usr/lib/i386-linux-gnu/libnvidia-ml.so.1")
	write("/usr/local/nvidia/bin/nvidia-smi")
	os.Chmod(filepath.Join(root, "/usr/local/nvidia/bin/nvidia-smi"), 0o755)
	ld := "2 libs found in cache `/etc/ld.so.cache'\n" +
		"\tlibnvidia-ml.so.1 (libc6) => /usr/lib/i386-linux-gnu/libnvidia-ml.so.1\n" +
		"\tlibnvidia-ml.so.1 (libc6,x86-64) => /usr/lib/x86_64-linux-gnu/libnvidia-ml.so.1\n" +
		"\tlibc.so.6 (libc6,x86-64) => /lib/x86_64-linux-gnu/libc.so.6\n"
	return Host{Root: root, LDCache: func() ([]byte, error) { return []byte(ld), nil }}
}

func TestDiscoverGPUs(t *testing.T) {
	h := fakeGPUHost(t)
	g := DiscoverGPUs(h)
	if !slices.Equal(g.Indexes, []int{0, 1}) || !slices.Equal(g.Control, []string{"/dev/nvidiactl", "/dev/nvidia-uvm"}) {
		t.Errorf("nodes: %v %v", g.Indexes, g.Control)
	}
	if g.Libs["libcuda.so.1"] != "/usr/local/nvidia/lib64/libcuda.so.1" || g.Libs["libcuda.so.550.1"] == "" {
		t.Errorf("libcuda not found in /usr/local/nvidia/lib64: %v", g.Libs)
	}
	if _, ok := g.Libs["libunrelated.so.1"]; ok {
		t.Errorf("a library not of the driver was taken: %v", g.Libs)
	}
	if len(g.Libs) != 3 {
		t.Errorf("libs = %v, want libcuda.so.1, libcuda.so.550.1, libnvidia-ml.so.1", g.Libs)
	}
	if g.Binaries["nvidia-smi"] != "/usr/local/nvidia/bin/nvidia-smi" {
		t.Errorf("binaries = %v", g.Binaries)
	}
}

func TestParseLDCacheKeepsWordSize(t *testing.T) {
	out := []byte("\tlibnvidia-ml.so.1 (libc6) => /32/libnvidia-ml.so.1\n\tlibnvidia-ml.so.1 (libc6,x86-64) => /64/libnvidia-ml.so.1\n")
	if got := parseLDCache(out, "amd64")["libnvidia-ml.so.1"]; got != "/64/libnvidia-ml.so.1" {
		t.Errorf("amd64 took %q", got)
	}
}

func TestApplyEnvAndGroups(t *testing.T) {
	spec := &isolation.Spec{Env: []string{"A=1", "B=2"}, AdditionalGIDs: []int{5}}
	(&Plan{Env: []string{"B=3", "C=4"}, LibraryDirs: []string{"/x"}, GIDs: []int{5, 44}}).Apply(spec)
	if !slices.Equal(spec.Env, []string{"A=1", "B=3", "C=4", "LD_LIBRARY_PATH=/x"}) || !slices.Equal(spec.AdditionalGIDs, []int{5, 44}) {
		t.Errorf("env %v gids %v", spec.Env, spec.AdditionalGIDs)
	}
}
