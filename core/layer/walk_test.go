package layer

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// Walk lists a tree through descriptors and never descends a symlink;
// Exists finds a path only through real directories of the layer.
func TestWalkAndExists(t *testing.T) {
	base := t.TempDir()
	root := filepath.Join(base, "root")
	outside := filepath.Join(base, "outside")
	for _, d := range []string{root + "/a/b", outside + "/secret-dir"} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(root+"/a/b/f", nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, root+"/link"); err != nil {
		t.Fatal(err)
	}
	var got []string
	err := Walk(root, func(rel string, st *unix.Stat_t) error {
		got = append(got, rel)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := "a a/b a/b/f link"; strings.Join(got, " ") != want {
		t.Errorf("Walk listed %q, want %q", strings.Join(got, " "), want)
	}
	for rel, want := range map[string]bool{"a/b/f": true, "a": true, "": true, "link": true, "link/secret-dir": false, "a/missing": false, "../outside": false} {
		if Exists(root, rel) != want {
			t.Errorf("Exists(%q) = %v, want %v", rel, !want, want)
		}
	}
}
