package builders

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hull-project/hull/builders/copier"
	"golang.org/x/sys/unix"
)

const reuseDockerfile = "FROM base\nCOPY . /ctx/\n"

// layerInode is the inode of a file of one of the store's layers.
func (f *fakeEnv) layerInode(t *testing.T, diffID, name string) uint64 {
	t.Helper()
	dir, ok := f.store.Layer(diffID)
	if !ok {
		t.Fatalf("layer %s is not in the store", diffID)
	}
	var st unix.Stat_t
	if err := unix.Lstat(filepath.Join(dir, name), &st); err != nil {
		t.Fatal(err)
	}
	return st.Ino
}

// waitCtime waits until a new file's ctime is later than the context's
// big file's: reuse needs the old copy born strictly after it.
func (f *fakeEnv) waitCtime(t *testing.T) {
	t.Helper()
	var ref, probe unix.Stat_t
	if err := unix.Lstat(filepath.Join(f.ctxDir, "big"), &ref); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "probe")
	for i := 0; i < 1e6; i++ {
		if err := os.WriteFile(p, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		if unix.Lstat(p, &probe) == nil && probe.Ctim.Nano() > ref.Ctim.Nano() {
			return
		}
	}
	t.Fatal("the clock does not move")
}

// An edit of a small file rebuilds COPY, which links the unchanged big
// file from the step's last layer; --no-cache copies it; an edited big
// file is copied.
func TestEngineCopyReusesLastLayer(t *testing.T) {
	f := newFakeEnv(t)
	var sx unix.Statx_t
	if err := unix.Statx(unix.AT_FDCWD, f.WorkDir, 0, unix.STATX_BTIME, &sx); err != nil || sx.Mask&unix.STATX_BTIME == 0 {
		t.Skipf("no birth time on this file system (%v): nothing is reused", err)
	}
	big := strings.Repeat("b", copier.MinReuseSize)
	f.file(t, "big", big)
	f.file(t, "small", "one")
	f.waitCtime(t)
	first := f.mustBuild(t, reuseDockerfile, Options{})

	f.file(t, "small", "two")
	second := f.mustBuild(t, reuseDockerfile, Options{})
	if f.runner.tasks["copy"] != 2 || first.Layers[1] == second.Layers[1] {
		t.Fatalf("the edit did not run COPY again (%d copies)", f.runner.tasks["copy"])
	}
	if f.layerFile(t, second.Layers[1], "ctx/small") != "two" || f.layerFile(t, second.Layers[1], "ctx/big") != big {
		t.Fatal("the second layer lacks the edit or the big file")
	}
	if f.layerInode(t, first.Layers[1], "ctx/big") != f.layerInode(t, second.Layers[1], "ctx/big") {
		t.Error("the unchanged big file was copied, not linked from the first layer")
	}

	f.file(t, "small", "three")
	third := f.mustBuild(t, reuseDockerfile, Options{NoCache: true})
	if f.layerInode(t, second.Layers[1], "ctx/big") == f.layerInode(t, third.Layers[1], "ctx/big") {
		t.Error("--no-cache linked the big file from an earlier build")
	}

	// The big file is edited (same size): copied, with its new content.
	f.file(t, "big", strings.Repeat("c", copier.MinReuseSize))
	fourth := f.mustBuild(t, reuseDockerfile, Options{})
	if f.layerFile(t, fourth.Layers[1], "ctx/big") != strings.Repeat("c", copier.MinReuseSize) {
		t.Error("the edited big file has its old content")
	}

	// The last layer's record is gone with its layer: the copy copies.
	f.file(t, "small", "four")
	f.store.drop(t, fourth.Layers[1])
	fifth := f.mustBuild(t, reuseDockerfile, Options{})
	if f.layerFile(t, fifth.Layers[1], "ctx/big") != strings.Repeat("c", copier.MinReuseSize) {
		t.Error("the big file is missing after its last layer went")
	}
}

// The shape key leaves out the context's content only: another
// instruction, parent or option is another shape; the key itself is what
// it was.
func TestStepShape(t *testing.T) {
	f := newFakeEnv(t)
	f.file(t, "big", strings.Repeat("b", copier.MinReuseSize))
	f.mustBuild(t, reuseDockerfile, Options{})
	f.mustBuild(t, "FROM base\nCOPY . /other/\n", Options{})
	f.mustBuild(t, "FROM base\nCOPY --chmod=600 . /ctx/\n", Options{})
	f.file(t, "big", strings.Repeat("c", copier.MinReuseSize))
	f.mustBuild(t, reuseDockerfile, Options{})
	es, err := os.ReadDir(filepath.Join(f.CacheDir, "reuse"))
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 3 {
		t.Fatalf("%d reuse records, want one per shape (3)", len(es))
	}
}
