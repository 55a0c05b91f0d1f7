package isolation

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestSubRange(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "subuid")
	content := "other:100000:65536\n1234:300000:1000\nalice:200000:65536\nbad:x:1\n"
	if err := os.WriteFile(file, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		uid  int
		want []int
	}{
		{"alice", 1000, []int{200000, 65536}},
		{"nobody-here", 1234, []int{300000, 1000}},
		{"nobody-here", 999, nil},
	}
	for _, c := range cases {
		got, err := subRange(file, c.name, c.uid)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if len(got) != len(c.want) || (got != nil && (got[0] != c.want[0] || got[1] != c.want[1])) {
			t.Errorf("subRange(%s, %d) = %v, want %v", c.name, c.uid, got, c.want)
		}
	}
	if _, err := subRange(file, "bad", 1); err == nil {
		t.Error("a malformed entry for the user must be an error")
	}
	if got, err := subRange(filepath.Join(dir, "missing"), "alice", 1000); err != nil || got != nil {
		t.Errorf("missing file: got %v, %v; want nil, nil", got, err)
	}
}

func TestMappingKind(t *testing.T) {
	single := Mapping{UIDs: []IDMap{{0, 1000, 1}}, GIDs: []IDMap{{0, 1000, 1}}}
	full := Mapping{UIDs: []IDMap{{0, 1000, 1}, {1, 200000, 65536}}, GIDs: []IDMap{{0, 1000, 1}, {1, 200000, 65536}}}
	if MappingKind(single) != "single" || single.IsFull() {
		t.Error("single mapping misclassified")
	}
	if MappingKind(full) != "subuid" || !full.IsFull() {
		t.Error("full mapping misclassified")
	}
}

func TestDetectMappingForcedSingle(t *testing.T) {
	t.Setenv("HULL_SINGLE_MAPPING", "1")
	m, err := DetectMapping()
	if err != nil {
		t.Fatal(err)
	}
	if m.IsFull() || m.UIDs[0].HostID != os.Getuid() || m.GIDs[0].HostID != os.Getgid() || m.UIDs[0].ContainerID != 0 {
		t.Errorf("forced single mapping = %+v", m)
	}
}

func TestStartErrorCodes(t *testing.T) {
	if err := error(&StartError{Code: 127, Msg: "x"}); !errors.Is(err, ErrCommandNotFound) {
		t.Error("127 must match ErrCommandNotFound")
	}
	if err := error(&StartError{Code: 126, Msg: "x"}); !errors.Is(err, ErrCommandNotInvokable) {
		t.Error("126 must match ErrCommandNotInvokable")
	}
	if err := error(&StartError{Code: 125, Msg: "x"}); errors.Is(err, ErrCommandNotFound) || errors.Is(err, ErrCommandNotInvokable) {
		t.Error("125 must match neither")
	}
}

func TestReadStartResult(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	ReportError(w, &StartError{Code: 127, Msg: "exec: \"x\": executable file not found in $PATH"})
	w.Close()
	err = readStartResult(r)
	var se *StartError
	if !errors.As(err, &se) || se.Code != 127 || se.Msg == "" {
		t.Fatalf("readStartResult = %v", err)
	}
	r2, w2, _ := os.Pipe()
	w2.Close()
	if err := readStartResult(r2); err != nil {
		t.Errorf("EOF must mean started, got %v", err)
	}
}

func TestKernelAtLeast(t *testing.T) {
	if !kernelAtLeast(2, 6) {
		t.Errorf("kernel %s should be at least 2.6", KernelRelease())
	}
	if kernelAtLeast(999, 0) {
		t.Error("no kernel is 999.0")
	}
}

func TestKeepID(t *testing.T) {
	full := Mapping{
		UIDs: []IDMap{{0, 1001, 1}, {1, 200000, 65536}},
		GIDs: []IDMap{{0, 1001, 1}, {1, 200000, 65536}},
	}
	got, err := KeepID(full, 1001, 1001)
	if err != nil {
		t.Fatal(err)
	}
	want := []IDMap{{0, 201000, 1}, {1, 200000, 1000}, {1001, 1001, 1}, {1002, 201001, 64535}}
	if !reflect.DeepEqual(got.UIDs, want) || !reflect.DeepEqual(got.GIDs, want) {
		t.Fatalf("got %+v", got)
	}
	// Every container id but 0 and 1001 keeps its host id from the full
	// mapping, and the host ids used are exactly the same set.
	host := func(maps []IDMap, id int) int {
		for _, m := range maps {
			if id >= m.ContainerID && id < m.ContainerID+m.Size {
				return m.HostID + id - m.ContainerID
			}
		}
		return -1
	}
	for _, id := range []int{1, 2, 999, 1000, 1002, 65536} {
		if a, b := host(full.UIDs, id), host(got.UIDs, id); a != b {
			t.Errorf("id %d: %d vs %d", id, a, b)
		}
	}
	if host(got.UIDs, 0) != host(full.UIDs, 1001) || host(got.UIDs, 1001) != 1001 {
		t.Error("0 and 1001 not swapped")
	}
	if _, err := KeepID(Single(1001, 1001), 1001, 1001); err == nil {
		t.Error("keep-id without a subordinate range accepted")
	}
	if _, err := KeepID(full, 70000, 1001); err == nil {
		t.Error("uid beyond the range accepted")
	}
}

func TestUsernsRestriction(t *testing.T) {
	for _, c := range []struct {
		file, value, want string
	}{
		{"kernel/unprivileged_userns_clone", "0", "kernel.unprivileged_userns_clone=0"},
		{"user/max_user_namespaces", "0", "user.max_user_namespaces=0"},
		{"kernel/apparmor_restrict_unprivileged_userns", "1", "AppArmor"},
		{"user/max_user_namespaces", "15000", ""},
	} {
		dir := t.TempDir()
		if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(c.file)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, c.file), []byte(c.value+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		got := usernsRestriction(dir)
		if c.want == "" && got != "" || c.want != "" && !strings.Contains(got, c.want) {
			t.Errorf("%s=%s: %q, want %q", c.file, c.value, got, c.want)
		}
		if c.want != "" && !strings.Contains(got, "fix:") {
			t.Errorf("%s=%s: no fix named in %q", c.file, c.value, got)
		}
	}
}

func TestContainerIDs(t *testing.T) {
	m := Mapping{UIDs: []IDMap{{0, 1000, 1}, {1, 200000, 65536}}, GIDs: []IDMap{{0, 1001, 1}, {1, 300000, 10}}}
	cases := []struct{ uid, gid, wantU, wantG int }{
		{1000, 1001, 0, 0},
		{201233, 300009, 1234, 10},
		{0, 300010, 65534, 65534}, // host root and ids past the range are not mapped
	}
	for _, c := range cases {
		if u, g := m.ContainerIDs(c.uid, c.gid); u != c.wantU || g != c.wantG {
			t.Errorf("ContainerIDs(%d, %d) = %d, %d, want %d, %d", c.uid, c.gid, u, g, c.wantU, c.wantG)
		}
	}
}

// The id map tools are found once per process, each as exec.LookPath
// finds it (a mix-up of the two would map gids with newuidmap).
func TestIDMapToolIsLookPath(t *testing.T) {
	for _, tool := range []string{"newuidmap", "newgidmap", "newgidmap", "newuidmap"} {
		want, wantErr := exec.LookPath(tool)
		got, err := idMapTool(tool)
		if got != want || (err == nil) != (wantErr == nil) {
			t.Errorf("idMapTool(%s) = %q, %v; exec.LookPath: %q, %v", tool, got, err, want, wantErr)
		}
	}
	if _, err := idMapTool("sh"); err == nil {
		t.Errorf("idMapTool(sh) found a path")
	}
}
