package layer

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"golang.org/x/sys/unix"
)

func whiteoutLayers(t testing.TB) (lower, upper []byte) {
	lower = tarOf(t,
		fileItem("a/gone", "lower", 0o644),
		fileItem("a/kept", "lower", 0o644),
		fileItem("dir/gone-dir/x", "lower", 0o644),
		fileItem("opq/old", "lower", 0o644),
		fileItem("opq/sub/old", "lower", 0o644),
		fileItem("opq/sub2/old", "lower", 0o644),
	)
	upper = tarOf(t,
		fileItem("a/.wh.gone", "", 0o644),
		fileItem("dir/.wh.gone-dir", "", 0o644),
		fileItem("missing/.wh.nothing", "", 0o644),
		dirItem("opq/", 0o755),
		fileItem("opq/new", "upper", 0o644), // before the marker: must survive it
		fileItem("opq/sub/new", "upper", 0o644),
		fileItem("opq/.wh..wh..opq", "", 0o644),
		fileItem("opq/after", "upper", 0o644),
		fileItem("x/.wh..wh.plnk", "", 0o644),
	)
	return lower, upper
}

func TestWhiteoutsApplied(t *testing.T) {
	lower, upper := whiteoutLayers(t)
	s := newSandbox(t)
	for _, l := range [][]byte{lower, upper} {
		if err := Unpack(bytes.NewReader(l), s.target, Options{ApplyWhiteouts: true}); err != nil {
			t.Fatal(err)
		}
	}
	s.check(t)
	got := listTree(t, s.target)
	want := []string{"a/", "a/kept", "dir/", "opq/", "opq/after", "opq/new", "opq/sub/", "opq/sub/new"}
	if !equalStrings(got, want) {
		t.Errorf("tree = %q\nwant   %q", got, want)
	}
}

func TestWhiteoutsOverlay(t *testing.T) {
	_, upper := whiteoutLayers(t)
	s := newSandbox(t)
	if err := Unpack(bytes.NewReader(upper), s.target, Options{}); err != nil {
		t.Fatal(err)
	}
	s.check(t)
	for _, name := range []string{"a/gone", "dir/gone-dir", "missing/nothing"} {
		fi, st := lstat(t, filepath.Join(s.target, name))
		if fi.Mode()&os.ModeCharDevice == 0 || st.Rdev != 0 {
			t.Errorf("%s is %v rdev %d, want a 0/0 char device", name, fi.Mode(), st.Rdev)
		}
	}
	buf := make([]byte, 8)
	n, err := unix.Lgetxattr(filepath.Join(s.target, "opq"), opaqueXattr, buf)
	if errors.Is(err, unix.EOPNOTSUPP) {
		t.Skip("filesystem without user xattrs")
	}
	if err != nil || string(buf[:n]) != "y" {
		t.Errorf("opq %s = %q, %v; want y", opaqueXattr, buf[:n], err)
	}
	if _, err := os.Lstat(filepath.Join(s.target, "x/.wh..wh.plnk")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("AUFS metadata entry was created: %v", err)
	}
}

// listTree lists the paths under root, directories with a trailing slash.
func listTree(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	err := filepath.Walk(root, func(p string, fi os.FileInfo, err error) error {
		if err != nil || p == root {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if fi.IsDir() {
			rel += "/"
		}
		out = append(out, rel)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
