package child

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLowerDirs(t *testing.T) {
	dir, list := lowerDirs([]string{"/s/layers/bbb", "/s/layers/aaa"})
	if dir != "/s/layers" || list != "bbb:aaa" {
		t.Errorf("shared parent: got %q %q", dir, list)
	}
	dir, list = lowerDirs([]string{"/s/layers/bbb", "/t/aaa"})
	if dir != "" || list != "/s/layers/bbb:/t/aaa" {
		t.Errorf("mixed parents: got %q %q", dir, list)
	}
}

// TestInRootStaysInside checks that mount targets are resolved inside the
// root even through symlinks the image planted, and that missing parts are
// created there.
func TestInRootStaysInside(t *testing.T) {
	base := t.TempDir()
	root := filepath.Join(base, "root")
	outside := filepath.Join(base, "outside")
	for _, d := range []string{root, outside} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(outside, filepath.Join(root, "abs")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../../outside", filepath.Join(root, "rel")); err != nil {
		t.Fatal(err)
	}
	// A symlink whose target exists inside the root is followed there.
	if err := os.Mkdir(filepath.Join(root, "inside"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/inside", filepath.Join(root, "in")); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/abs/x", "/rel/y", "/../../outside/z", "/etc/hosts", "/in/w"} {
		f, err := inRoot(root, p, true)
		if err != nil {
			// Refusing a symlink that dangles inside the root is fine;
			// escaping it is not.
			t.Logf("inRoot(%s): %v", p, err)
			continue
		}
		target, err := os.Readlink(fdPath(f))
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(target, root+"/") {
			t.Errorf("inRoot(%s) resolved to %s, outside %s", p, target, root)
		}
	}
	if _, err := os.Stat(filepath.Join(root, "inside", "w")); err != nil {
		t.Errorf("/in/w was not created through the in-root symlink: %v", err)
	}
	if entries, _ := os.ReadDir(outside); len(entries) != 0 {
		t.Errorf("something was created outside the root: %v", entries)
	}
}
