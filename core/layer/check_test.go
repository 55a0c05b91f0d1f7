package layer

import (
	"archive/tar"
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// checkLayer is a layer with every kind of entry Unpack handles: implicit
// parents, a directory repeated with new metadata, a file replaced, a
// hardlink, a symlinked parent, whiteouts, an opaque directory, a device
// (skipped) and a fifo.
func checkLayer(t *testing.T) []byte {
	opq := fileItem("opq/.wh..wh..opq", "", 0o644)
	fifo := item{hdr: tar.Header{Typeflag: tar.TypeFifo, Name: "pipe", Mode: 0o640, ModTime: testTime}}
	return tarOf(t,
		dirItem("etc/", 0o755), fileItem("etc/passwd", "root:x:0:0\n", 0o644),
		fileItem("deep/a/b/file", "deep", 0o600),
		dirItem("usr/lib/", 0o755), symlinkItem("lib", "usr/lib"), fileItem("lib/libc.so", "elf", 0o755),
		fileItem("sh", "old", 0o755), dirItem("bin/", 0o755), fileItem("sh", "new shell", 0o4755), linkItem("bin/ash", "sh"),
		dirItem("etc/", 0o750), fileItem(".wh.gone", "", 0o644), fileItem("etc/.wh.shadow", "", 0o644),
		dirItem("opq/", 0o755), opq, fileItem("opq/kept", "k", 0o644),
		devItem("dev/null", tar.TypeChar, 1, 3), fifo,
	)
}

func checkedDir(t *testing.T) (dir string, layer []byte) {
	t.Helper()
	layer = checkLayer(t)
	s := newSandbox(t)
	if err := Unpack(bytes.NewReader(layer), s.target, Options{}); err != nil {
		t.Fatal(err)
	}
	if _, err := unix.Lgetxattr(filepath.Join(s.target, "opq"), opaqueXattr, make([]byte, 4)); err != nil {
		t.Skipf("no opaque marker (filesystem without user xattrs?): %v", err)
	}
	return s.target, layer
}

func problems(t *testing.T, dir string, layer []byte) string {
	t.Helper()
	ps, err := Check(bytes.NewReader(layer), dir, CheckOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, p := range ps {
		lines = append(lines, p.String())
	}
	return strings.Join(lines, "\n")
}

func TestCheckCleanLayer(t *testing.T) {
	dir, layer := checkedDir(t)
	if got := problems(t, dir, layer); got != "" {
		t.Errorf("a freshly unpacked layer has problems:\n%s", got)
	}
}

func TestCheckFindsChanges(t *testing.T) {
	dir, layer := checkedDir(t)
	p := func(name string) string { return filepath.Join(dir, name) }
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.WriteFile(p("etc/passwd"), []byte("root:x:0:0\nevil\n"), 0o644))
	must(os.WriteFile(p("usr/lib/libc.so"), []byte("ELF"), 0o755))
	must(os.Chmod(p("deep/a/b/file"), 0o666))
	must(os.WriteFile(p("extra"), nil, 0o644))
	must(os.Remove(p("lib")))
	must(os.Symlink("/elsewhere", p("lib")))
	must(os.Remove(p("bin/ash")))
	must(os.WriteFile(p("bin/ash"), []byte("new shell"), 0o4755))
	must(os.Remove(p("gone")))
	must(unix.Removexattr(p("opq"), opaqueXattr))
	must(os.RemoveAll(p("deep/a")))
	must(os.Remove(p("pipe")))
	must(os.WriteFile(p("pipe"), nil, 0o640))
	got := problems(t, dir, layer)
	for _, want := range []string{
		"bin/ash: mode 0755, want 4755",
		"sh: is not a hardlink of the same file as its other names",
		"deep/a: missing (want a directory)",
		"etc/passwd: size 16, want 11",
		"extra: unexpected file (not in the layer)",
		"gone: missing (want a whiteout)",
		`lib: symlink to "/elsewhere", want "usr/lib"`,
		"opq: opaque marker absent, want set",
		"pipe: is a file, want a fifo",
		"usr/lib/libc.so: content differs",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("problems lack %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "deep/a/b") {
		t.Errorf("a missing directory's contents are reported too:\n%s", got)
	}
	if n := strings.Count(got, "\n") + 1; n != 10 {
		t.Errorf("%d problems, want 10:\n%s", n, got)
	}
}

func TestCheckOwnersInNamespace(t *testing.T) {
	tree, err := expectTree(tar.NewReader(bytes.NewReader(tarOf(t,
		item{hdr: tar.Header{Typeflag: tar.TypeReg, Name: "mine", Mode: 0o644, Uid: 33, Gid: 44}},
		item{hdr: tar.Header{Typeflag: tar.TypeReg, Name: "huge", Mode: 0o644, Uid: 1 << 31, Gid: 44}},
	))), CheckOptions{Chown: true})
	if err != nil {
		t.Fatal(err)
	}
	// This test runs in the initial namespace, which maps every id below 2^32-1.
	if n := tree.nodes["mine"]; n.uid != 33 || n.gid != 44 {
		t.Errorf("mine: %d:%d", n.uid, n.gid)
	}
	if n := tree.nodes["huge"]; n.uid != 1<<31 || n.gid != 44 {
		t.Errorf("huge: %d:%d", n.uid, n.gid)
	}
	ids := nsIDs()
	if u, g := ids(-1, 5); u != 0 || g != 0 {
		t.Errorf("invalid id: %d:%d", u, g)
	}
	// An owner the namespace cannot hold: unpack gives root and drops
	// setuid and setgid, and the check expects exactly that.
	tree, err = expectTree(tar.NewReader(bytes.NewReader(tarOf(t,
		item{hdr: tar.Header{Typeflag: tar.TypeReg, Name: "suid", Mode: 0o6755, Uid: 1 << 40, Gid: 44}},
		item{hdr: tar.Header{Typeflag: tar.TypeReg, Name: "kept", Mode: 0o4755, Uid: 33, Gid: 44}},
	))), CheckOptions{Chown: true})
	if err != nil {
		t.Fatal(err)
	}
	if n := tree.nodes["suid"]; n.uid != 0 || n.gid != 0 || n.mode != 0o755 {
		t.Errorf("unmappable setuid file: %d:%d %o, want 0:0 755", n.uid, n.gid, n.mode)
	}
	if n := tree.nodes["kept"]; n.mode != 0o4755 {
		t.Errorf("mapped setuid file: %o, want 4755", n.mode)
	}
}
