package isolation

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// RemoveStubs removes only what is still the stub the init made, gives the
// parent its mtime back when nothing else changed it, and follows no link.
func TestRemoveStubs(t *testing.T) {
	upper, state, outside := t.TempDir(), t.TempDir(), t.TempDir()
	for _, d := range []string{"etc", "mnt/target", "kept"} {
		if err := os.MkdirAll(filepath.Join(upper, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Unix(1_600_000_000, 0)
	if err := os.Chtimes(filepath.Join(upper, "etc"), old, old); err != nil {
		t.Fatal(err)
	}
	var etc unix.Stat_t
	_ = unix.Stat(filepath.Join(upper, "etc"), &etc)
	before := etc.Mtim
	for name, body := range map[string]string{"etc/hosts": "", "kept/hosts": "written by the step"} {
		if err := os.WriteFile(filepath.Join(upper, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(outside, "victim"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(upper, "link")); err != nil {
		t.Fatal(err)
	}
	_ = unix.Stat(filepath.Join(upper, "etc"), &etc)
	stubs := []Stub{
		{Path: "etc/hosts", ParentBefore: before, ParentAfter: etc.Mtim},
		{Path: "mnt/target", Dir: true},
		{Path: "kept/hosts"},
		{Path: "link/victim"},
	}
	if err := WriteStubs(state, stubs); err != nil {
		t.Fatal(err)
	}
	spec := &Spec{StateDir: state, Rootfs: Rootfs{UpperDir: upper}}
	if err := RemoveStubs(spec); err != nil {
		t.Fatal(err)
	}
	for _, gone := range []string{"etc/hosts", "mnt/target"} {
		if _, err := os.Lstat(filepath.Join(upper, gone)); err == nil {
			t.Errorf("stub %s was not removed", gone)
		}
	}
	if b, err := os.ReadFile(filepath.Join(upper, "kept/hosts")); err != nil || string(b) != "written by the step" {
		t.Errorf("a file the step wrote was removed or changed: %q %v", b, err)
	}
	if _, err := os.Stat(filepath.Join(outside, "victim")); err != nil {
		t.Errorf("RemoveStubs followed a link out of the upper dir: %v", err)
	}
	if st, err := os.Stat(filepath.Join(upper, "etc")); err != nil || !st.ModTime().Equal(old) {
		t.Errorf("etc's mtime not given back: %v %v", st.ModTime(), err)
	}
	if _, err := os.Stat(filepath.Join(state, "mount-stubs.json")); err == nil {
		t.Errorf("the record outlived its use")
	}
}
