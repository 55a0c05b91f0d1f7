package child

import (
	"os"
	"path/filepath"
	"testing"
)

func TestSeedVolume(t *testing.T) {
	root, vol := t.TempDir(), t.TempDir()
	mustWrite(t, filepath.Join(root, "data", "a"), "A", 0o640)
	mustWrite(t, filepath.Join(root, "data", "sub", "b"), "B", 0o600)
	if err := os.Symlink("/etc/passwd", filepath.Join(root, "data", "link")); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(root, "data"), 0o751); err != nil {
		t.Fatal(err)
	}
	if err := seedVolume(root, vol, "/data"); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(vol, "sub", "b")); err != nil || string(b) != "B" {
		t.Fatalf("sub/b = %q, %v", b, err)
	}
	if fi, err := os.Stat(filepath.Join(vol, "a")); err != nil || fi.Mode().Perm() != 0o640 {
		t.Fatalf("a: %v %v", fi, err)
	}
	if l, err := os.Readlink(filepath.Join(vol, "link")); err != nil || l != "/etc/passwd" {
		t.Fatalf("link = %q, %v", l, err)
	}
	if fi, err := os.Stat(vol); err != nil || fi.Mode().Perm() != 0o751 {
		t.Fatalf("volume root mode: %v %v", fi, err)
	}
	// A volume with content is never seeded again.
	mustWrite(t, filepath.Join(root, "data", "c"), "C", 0o644)
	if err := seedVolume(root, vol, "/data"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(filepath.Join(vol, "c")); err == nil {
		t.Fatal("a volume with content was seeded again")
	}
}

// TestSeedVolumeSymlinkOut: a VOLUME path that is a symlink out of the
// root is followed inside the root; the host directory it names is never
// read.
func TestSeedVolumeSymlinkOut(t *testing.T) {
	root, vol, outside := t.TempDir(), t.TempDir(), t.TempDir()
	mustWrite(t, filepath.Join(outside, "canary"), "secret", 0o600)
	if err := os.Symlink(outside, filepath.Join(root, "data")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../../../../../../"+outside, filepath.Join(root, "rel")); err != nil {
		t.Fatal(err)
	}
	for _, dst := range []string{"/data", "/rel"} {
		if err := seedVolume(root, vol, dst); err != nil {
			t.Fatal(err)
		}
		if names, _ := os.ReadDir(vol); len(names) != 0 {
			t.Fatalf("%s: the volume got %v from outside the root", dst, names)
		}
	}
}

func mustWrite(t *testing.T, p, content string, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
}
