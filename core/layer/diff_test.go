package layer

import (
	"archive/tar"
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// makeUpper builds what overlayfs leaves in an upper dir after a container
// changed files, deleted "gone" and replaced directory "op".
func makeUpper(t *testing.T) string {
	t.Helper()
	up := t.TempDir()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.WriteFile(filepath.Join(up, "file"), []byte("content"), 0o640))
	must(unix.Chmod(filepath.Join(up, "file"), 0o4750))
	must(os.Link(filepath.Join(up, "file"), filepath.Join(up, "file-link")))
	must(os.Symlink("file", filepath.Join(up, "sym")))
	must(unix.Mknod(filepath.Join(up, "gone"), unix.S_IFCHR, 0))
	must(unix.Mkfifo(filepath.Join(up, "pipe"), 0o600))
	must(os.MkdirAll(filepath.Join(up, "op"), 0o755))
	must(os.WriteFile(filepath.Join(up, "op/new"), []byte("new"), 0o644))
	must(os.MkdirAll(filepath.Join(up, "sub"), 0o700))
	must(os.WriteFile(filepath.Join(up, "sub/a"), []byte("a"), 0o600))
	if err := unix.Setxattr(filepath.Join(up, "op"), opaqueXattr, []byte("y"), 0); errors.Is(err, unix.EOPNOTSUPP) {
		t.Skip("filesystem without user xattrs")
	} else {
		must(err)
	}
	must(unix.Setxattr(filepath.Join(up, "file"), "user.k", []byte("v"), 0))
	must(unix.Setxattr(filepath.Join(up, "file"), "user.overlay.origin", []byte("z"), 0))
	return up
}

func diffBytes(t *testing.T, dir string) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Diff(dir, &buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestDiffEntries(t *testing.T) {
	up := makeUpper(t)
	data := diffBytes(t, up)
	if !bytes.Equal(data, diffBytes(t, up)) {
		t.Error("two diffs of the same dir differ")
	}
	type ent struct {
		name string
		typ  byte
		link string
	}
	want := []ent{
		{"file", tar.TypeReg, ""}, {"file-link", tar.TypeLink, "file"}, {".wh.gone", tar.TypeReg, ""},
		{"op/", tar.TypeDir, ""}, {"op/.wh..wh..opq", tar.TypeReg, ""}, {"op/new", tar.TypeReg, ""},
		{"pipe", tar.TypeFifo, ""}, {"sub/", tar.TypeDir, ""}, {"sub/a", tar.TypeReg, ""}, {"sym", tar.TypeSymlink, "file"},
	}
	tr := tar.NewReader(bytes.NewReader(data))
	for i := 0; ; i++ {
		hdr, err := tr.Next()
		if err == io.EOF {
			if i != len(want) {
				t.Fatalf("%d entries, want %d", i, len(want))
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		if i >= len(want) || hdr.Name != want[i].name || hdr.Typeflag != want[i].typ || hdr.Linkname != want[i].link {
			t.Fatalf("entry %d = %q %q -> %q, want %+v", i, hdr.Name, hdr.Typeflag, hdr.Linkname, want[min(i, len(want)-1)])
		}
		if hdr.Name == "file" {
			if hdr.PAXRecords["SCHILY.xattr.user.k"] != "v" || hdr.PAXRecords["SCHILY.xattr.user.overlay.origin"] != "" {
				t.Errorf("file xattrs = %v", hdr.PAXRecords)
			}
			if hdr.Mode != 0o4750 {
				t.Errorf("file mode = %o", hdr.Mode)
			}
		}
	}
}

func TestDiffRoundTrip(t *testing.T) {
	up := makeUpper(t)
	data := diffBytes(t, up)

	// Overlay mode reproduces the upper dir, whiteouts and opaque marker included.
	s := newSandbox(t)
	if err := Unpack(bytes.NewReader(data), s.target, Options{}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(diffBytes(t, s.target), data) {
		t.Error("Diff(Unpack(Diff(upper))) differs from Diff(upper)")
	}
	for name, body := range map[string]string{"file": "content", "file-link": "content", "op/new": "new", "sub/a": "a"} {
		if got := readFile(t, filepath.Join(s.target, name)); got != body {
			t.Errorf("%s = %q", name, got)
		}
	}
	if fi, _ := lstat(t, filepath.Join(s.target, "file")); fi.Mode() != os.ModeSetuid|0o750 {
		t.Errorf("file mode = %v", fi.Mode())
	}

	// Applied over a lower tree, the whiteouts delete.
	s = newSandbox(t)
	lower := tarOf(t, fileItem("gone", "lower", 0o644), fileItem("op/old", "lower", 0o644), fileItem("keep", "lower", 0o644))
	for _, l := range [][]byte{lower, data} {
		if err := Unpack(bytes.NewReader(l), s.target, Options{ApplyWhiteouts: true}); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{"file", "file-link", "keep", "op/", "op/new", "pipe", "sub/", "sub/a", "sym"}
	if got := listTree(t, s.target); !equalStrings(got, want) {
		t.Errorf("tree = %q\nwant   %q", got, want)
	}
}

// TestDiffSymlinkSwapRace: a container that keeps exchanging a directory
// of its upper dir with a symlink to a host directory must never get a
// host file into the diff.
func TestDiffSymlinkSwapRace(t *testing.T) {
	host := t.TempDir()
	const secret = "host canary 5d1c"
	if err := os.WriteFile(filepath.Join(host, "f"), []byte(secret), 0o644); err != nil {
		t.Fatal(err)
	}
	up := t.TempDir()
	if err := os.Mkdir(filepath.Join(up, "d"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(up, "d", "f"), []byte("inside"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(host, filepath.Join(up, "s")); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			default:
			}
			if err := unix.Renameat2(unix.AT_FDCWD, filepath.Join(up, "d"), unix.AT_FDCWD, filepath.Join(up, "s"), unix.RENAME_EXCHANGE); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	defer func() { close(stop); <-done }()
	for i := 0; i < 300; i++ {
		var buf bytes.Buffer
		err := Diff(up, &buf)
		if bytes.Contains(buf.Bytes(), []byte(secret)) {
			t.Fatalf("diff %d holds the host file", i)
		}
		if err != nil && !errors.Is(err, errChanged) {
			t.Fatalf("diff %d: %v", i, err)
		}
	}
}

// TestDiffOpaqueOnce: fuse-overlayfs marks a directory it made opaque
// three ways at once (its xattr, a ".wh..wh..opq" file and a whiteout of
// ".wh..opq"); the diff holds the opaque whiteout once, right after its
// directory, and tar-split takes it (it refuses a path twice).
func TestDiffOpaqueOnce(t *testing.T) {
	up := t.TempDir()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, dir := range []string{"q", "m"} {
		must(os.Mkdir(filepath.Join(up, dir), 0o755))
		must(os.WriteFile(filepath.Join(up, dir, whiteoutOpaque), nil, 0o700))
		must(unix.Mknod(filepath.Join(up, dir, ".wh..opq"), unix.S_IFCHR, 0))
		must(os.WriteFile(filepath.Join(up, dir, "+a"), []byte("a"), 0o644)) // sorts before the markers
		must(os.WriteFile(filepath.Join(up, dir, "z"), []byte("z"), 0o644))
	}
	// m has only the marker files; q has fuse-overlayfs' xattr too.
	if err := unix.Setxattr(filepath.Join(up, "q"), fuseOpaque, []byte("y"), 0); errors.Is(err, unix.EOPNOTSUPP) {
		t.Log("filesystem without user xattrs: marker files only")
	} else {
		must(err)
	}
	// At the root (no directory entry of its own) the first marker stands.
	must(os.WriteFile(filepath.Join(up, whiteoutOpaque), nil, 0o700))
	must(unix.Mknod(filepath.Join(up, ".wh..opq"), unix.S_IFCHR, 0))
	data := diffBytes(t, up)

	want := []string{".wh..wh..opq",
		"m/", "m/.wh..wh..opq", "m/+a", "m/z",
		"q/", "q/.wh..wh..opq", "q/+a", "q/z"}
	var got []string
	tr := tar.NewReader(bytes.NewReader(data))
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		must(err)
		got = append(got, hdr.Name)
	}
	if !equalStrings(got, want) {
		t.Errorf("entries = %q\nwant      %q", got, want)
	}
	var meta bytes.Buffer
	if err := DisassembleTo(bytes.NewReader(data), io.Discard, &meta); err != nil {
		t.Errorf("tar-split: %v", err)
	}
}

// A file whose other link is outside the tree (a build step's file
// shared with an earlier layer, builders/copier's reuse) is a plain file
// in the diff, with its content, the same tar as an unlinked copy's, and
// the tree checks against it.
func TestDiffLinkedOutsideIsPlainFile(t *testing.T) {
	outside, up, copyUp := t.TempDir(), t.TempDir(), t.TempDir()
	data := bytes.Repeat([]byte("x"), 100000)
	for _, p := range []string{filepath.Join(outside, "f"), filepath.Join(copyUp, "f")} {
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := unix.UtimesNano(p, []unix.Timespec{{Sec: 1}, {Sec: 2}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Link(filepath.Join(outside, "f"), filepath.Join(up, "f")); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{up, copyUp} {
		if err := unix.UtimesNano(d, []unix.Timespec{{Sec: 3}, {Sec: 3}}); err != nil {
			t.Fatal(err)
		}
	}
	tarData := diffBytes(t, up)
	if !bytes.Equal(tarData, diffBytes(t, copyUp)) {
		t.Error("the linked file's diff differs from an unlinked copy's")
	}
	tr := tar.NewReader(bytes.NewReader(tarData))
	hdr, err := tr.Next()
	if err != nil || hdr.Name != "f" || hdr.Typeflag != tar.TypeReg || hdr.Size != int64(len(data)) {
		t.Fatalf("entry %+v (%v), want the regular file f", hdr, err)
	}
	var meta bytes.Buffer
	if err := DisassembleTo(bytes.NewReader(tarData), io.Discard, &meta); err != nil {
		t.Fatal(err)
	}
	if err := CheckTree(bytes.NewReader(meta.Bytes()), up); err != nil {
		t.Errorf("check of the tree with the linked file: %v", err)
	}
}
