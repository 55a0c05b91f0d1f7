package core

import (
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// openUpTree opens up every directory of the tree and nothing a link in
// it points at.
func TestOpenUpTreeFollowsNoLink(t *testing.T) {
	root := t.TempDir()
	tree, outside := filepath.Join(root, "tree"), filepath.Join(root, "outside")
	for _, d := range []string{outside, filepath.Join(tree, "a", "b"), filepath.Join(tree, "c")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(outside, 0o555); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(tree, "a", "link")); err != nil {
		t.Fatal(err)
	}
	for d, mode := range map[string]os.FileMode{filepath.Join(tree, "a", "b"): 0, filepath.Join(tree, "a"): 0o500, filepath.Join(tree, "c"): 0o100} {
		if err := os.Chmod(d, mode); err != nil {
			t.Fatal(err)
		}
	}
	openUpTree(unix.AT_FDCWD, tree, 0)
	for _, d := range []string{tree, filepath.Join(tree, "a"), filepath.Join(tree, "a", "b"), filepath.Join(tree, "c")} {
		if fi, err := os.Lstat(d); err != nil || fi.Mode().Perm() != 0o700 {
			t.Errorf("%s: %v %v, want 0700", d, fi.Mode(), err)
		}
	}
	if fi, err := os.Stat(outside); err != nil || fi.Mode().Perm() != 0o555 {
		t.Errorf("the link's target changed: %v %v", fi.Mode(), err)
	}
	// The top itself as a link: nothing is opened.
	top := filepath.Join(root, "toplink")
	if err := os.Symlink(outside, top); err != nil {
		t.Fatal(err)
	}
	openUpTree(unix.AT_FDCWD, top, 0)
	if fi, err := os.Stat(outside); err != nil || fi.Mode().Perm() != 0o555 {
		t.Errorf("a top-level link was followed: %v %v", fi.Mode(), err)
	}
	if err := removeTree(tree); err != nil {
		t.Fatal(err)
	}
}
