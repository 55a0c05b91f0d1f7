package layer

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func treeItems() []item {
	x := fileItem("etc/xattr", "x", 0o644)
	x.hdr.PAXRecords = map[string]string{
		"SCHILY.xattr.user.keep":           "kept",
		"SCHILY.xattr.user.overlay.opaque": "y",
		"SCHILY.xattr.trusted.other":       "dropped",
	}
	ro := dirItem("ro/", 0o555)
	ro.hdr.ModTime = time.Date(2010, 1, 2, 3, 4, 5, 0, time.UTC)
	return []item{
		dirItem("./", 0o755),
		dirItem("etc/", 0o755),
		fileItem("etc/hosts", "127.0.0.1 localhost\n", 0o644),
		fileItem("/etc/abs-leading-slash", "abs", 0o600),
		x,
		ro,
		fileItem("ro/file", "in a read-only dir", 0o444),
		dirItem("ro/sub/", 0o500),
		fileItem("ro/sub/deep", "deep", 0o400),
		fileItem("bin/su", "setuid", 0o4755),
		fileItem("bin/sg", "setgid", 0o2711),
		dirItem("tmp/", 0o1777),
		symlinkItem("bin/sh", "/bin/busybox"),
		symlinkItem("etc/rel", "../bin/su"),
		linkItem("bin/su-link", "bin/su"),
		linkItem("bin/sh-link", "/bin/sh"),
		{hdr: tar.Header{Typeflag: tar.TypeFifo, Name: "run/fifo", Mode: 0o620, ModTime: testTime}},
		fileItem("implicit/a/b/file", "implicit parents", 0o644),
	}
}

func TestUnpackTree(t *testing.T) {
	s := newSandbox(t)
	if err := Unpack(bytes.NewReader(tarOf(t, treeItems()...)), s.target, Options{}); err != nil {
		t.Fatal(err)
	}
	s.check(t)
	root := s.target
	want := map[string]string{
		"etc/hosts":             "127.0.0.1 localhost\n",
		"etc/abs-leading-slash": "abs",
		"ro/file":               "in a read-only dir",
		"ro/sub/deep":           "deep",
		"implicit/a/b/file":     "implicit parents",
		"bin/su-link":           "setuid",
	}
	for name, body := range want {
		if got := readFile(t, filepath.Join(root, name)); got != body {
			t.Errorf("%s = %q, want %q", name, got, body)
		}
	}
	modes := map[string]os.FileMode{
		".":          os.ModeDir | 0o755,
		"ro":         os.ModeDir | 0o555,
		"ro/sub":     os.ModeDir | 0o500,
		"ro/file":    0o444,
		"bin/su":     os.ModeSetuid | 0o755,
		"bin/sg":     os.ModeSetgid | 0o711,
		"tmp":        os.ModeDir | os.ModeSticky | 0o777,
		"implicit":   os.ModeDir | 0o755,
		"implicit/a": os.ModeDir | 0o755,
		"run":        os.ModeDir | 0o755,
		"run/fifo":   os.ModeNamedPipe | 0o620,
		"bin/sh":     os.ModeSymlink | 0o777,
	}
	for name, mode := range modes {
		if fi, _ := lstat(t, filepath.Join(root, name)); fi.Mode() != mode {
			t.Errorf("%s mode = %v, want %v", name, fi.Mode(), mode)
		}
	}
	for name, target := range map[string]string{"bin/sh": "/bin/busybox", "etc/rel": "../bin/su", "bin/sh-link": "/bin/busybox"} {
		if got, err := os.Readlink(filepath.Join(root, name)); err != nil || got != target {
			t.Errorf("readlink %s = %q, %v; want %q", name, got, err, target)
		}
	}
	_, su := lstat(t, filepath.Join(root, "bin/su"))
	_, suLink := lstat(t, filepath.Join(root, "bin/su-link"))
	if su.Ino != suLink.Ino || su.Nlink != 2 {
		t.Errorf("bin/su-link is not a hardlink of bin/su (ino %d/%d, nlink %d)", su.Ino, suLink.Ino, su.Nlink)
	}
	for name, mtime := range map[string]time.Time{"etc/hosts": testTime, "bin/sh": testTime, "ro": time.Date(2010, 1, 2, 3, 4, 5, 0, time.UTC), "etc": testTime, ".": testTime} {
		if fi, _ := lstat(t, filepath.Join(root, name)); !fi.ModTime().Equal(mtime) {
			t.Errorf("%s mtime = %v, want %v", name, fi.ModTime(), mtime)
		}
	}
	checkXattrs(t, filepath.Join(root, "etc/xattr"))
}

func checkXattrs(t *testing.T, p string) {
	t.Helper()
	buf := make([]byte, 64)
	n, err := unix.Lgetxattr(p, "user.keep", buf)
	if errors.Is(err, unix.EOPNOTSUPP) {
		t.Log("filesystem without user xattrs: xattr check skipped")
		return
	}
	if err != nil || string(buf[:n]) != "kept" {
		t.Errorf("user.keep = %q, %v", buf[:n], err)
	}
	for _, name := range []string{"user.overlay.opaque", "trusted.other"} {
		if _, err := unix.Lgetxattr(p, name, buf); !errors.Is(err, unix.ENODATA) {
			t.Errorf("xattr %s was set (err %v), want it dropped", name, err)
		}
	}
}

func TestUnpackChown(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("chown to arbitrary ids needs root (or a user namespace)")
	}
	f := fileItem("owned", "x", 0o4755)
	f.hdr.Uid, f.hdr.Gid = 1234, 5678
	l := symlinkItem("link", "owned")
	l.hdr.Uid, l.hdr.Gid = 42, 43
	d := dirItem("dir/", 0o750)
	d.hdr.Uid, d.hdr.Gid = 7, 8
	data := tarOf(t, f, l, d)
	for _, chown := range []bool{true, false} {
		s := newSandbox(t)
		if err := Unpack(bytes.NewReader(data), s.target, Options{Chown: chown}); err != nil {
			t.Fatal(err)
		}
		want := map[string][2]uint32{"owned": {1234, 5678}, "link": {42, 43}, "dir": {7, 8}}
		for name, ids := range want {
			if !chown {
				ids = [2]uint32{uint32(os.Geteuid()), uint32(os.Getegid())}
			}
			_, st := lstat(t, filepath.Join(s.target, name))
			if st.Uid != ids[0] || st.Gid != ids[1] {
				t.Errorf("chown=%v: %s owned by %d:%d, want %d:%d", chown, name, st.Uid, st.Gid, ids[0], ids[1])
			}
		}
		// chmod runs after chown, so setuid survives.
		if fi, _ := lstat(t, filepath.Join(s.target, "owned")); fi.Mode() != os.ModeSetuid|0o755 {
			t.Errorf("chown=%v: mode %v, want setuid 0755", chown, fi.Mode())
		}
	}
}

func TestUnpackReplace(t *testing.T) {
	s := newSandbox(t)
	layer1 := tarOf(t,
		fileItem("f", "old", 0o644),
		fileItem("file-then-dir", "old", 0o644),
		fileItem("dir-then-file/child", "old", 0o644),
		fileItem("merge/old", "old", 0o644),
		symlinkItem("link-then-file", s.canary),
		symlinkItem("link-then-dir", s.parent),
	)
	layer2 := tarOf(t,
		fileItem("f", "new", 0o600),
		dirItem("file-then-dir/", 0o755),
		fileItem("file-then-dir/child", "new", 0o644),
		fileItem("dir-then-file", "new", 0o644),
		dirItem("merge/", 0o700),
		fileItem("merge/new", "new", 0o644),
		fileItem("link-then-file", "pwned", 0o644),
		dirItem("link-then-dir/", 0o755),
		fileItem("link-then-dir/canary", "pwned", 0o644),
	)
	for _, l := range [][]byte{layer1, layer2} {
		if err := Unpack(bytes.NewReader(l), s.target, Options{ApplyWhiteouts: true}); err != nil {
			t.Fatal(err)
		}
	}
	s.check(t)
	for name, body := range map[string]string{
		"f": "new", "file-then-dir/child": "new", "dir-then-file": "new",
		"merge/old": "old", "merge/new": "new", "link-then-file": "pwned", "link-then-dir/canary": "pwned",
	} {
		if got := readFile(t, filepath.Join(s.target, name)); got != body {
			t.Errorf("%s = %q, want %q", name, got, body)
		}
	}
	if fi, _ := lstat(t, filepath.Join(s.target, "link-then-file")); !fi.Mode().IsRegular() {
		t.Errorf("link-then-file is %v, want a regular file", fi.Mode())
	}
}

func TestUnpackGzip(t *testing.T) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(tarOf(t, fileItem("a/b", "gz", 0o644)))
	zw.Close()
	s := newSandbox(t)
	if err := Unpack(&buf, s.target, Options{}); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, filepath.Join(s.target, "a/b")); got != "gz" {
		t.Errorf("a/b = %q", got)
	}
}

func TestUnpackBzip2(t *testing.T) {
	bz, err := exec.LookPath("bzip2")
	if err != nil {
		t.Skip("no bzip2 binary to compress the fixture")
	}
	cmd := exec.Command(bz, "-c")
	cmd.Stdin = bytes.NewReader(tarOf(t, fileItem("b", "bz", 0o644)))
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	s := newSandbox(t)
	if err := Unpack(bytes.NewReader(out), s.target, Options{}); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, filepath.Join(s.target, "b")); got != "bz" {
		t.Errorf("b = %q", got)
	}
}

func TestUnpackBadInput(t *testing.T) {
	good := tarOf(t, fileItem("first", "ok", 0o644), fileItem("big", strings.Repeat("x", 5000), 0o644))
	corrupt := bytes.Clone(good)
	copy(corrupt[1024+100:], bytes.Repeat([]byte{0xff}, 200)) // second header's checksum no longer matches
	cases := map[string]struct {
		data []byte
		want string
	}{
		"truncated body":   {good[:512+1024+512+100], "big"},
		"corrupt header":   {corrupt, "after first"},
		"garbage":          {bytes.Repeat([]byte("not a tar "), 100), "unpack"},
		"bad gzip":         {[]byte{0x1f, 0x8b, 8, 0, 1, 2, 3}, "gzip"},
		"zstd":             {[]byte{0x28, 0xb5, 0x2f, 0xfd, 0, 0}, "zstd"},
		"bare whiteout":    {tarOf(t, fileItem("a/.wh.", "", 0o644)), "a/.wh.: bare whiteout"},
		"non-dir root":     {tarOf(t, fileItem(".", "", 0o644)), "root"},
		"unsupported type": {tarOf(t, item{hdr: tar.Header{Typeflag: 'Z', Name: "z", ModTime: testTime}}), `unpack z: unsupported`},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			s := newSandbox(t)
			err := Unpack(bytes.NewReader(c.data), s.target, Options{})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want one containing %q", err, c.want)
			}
			s.check(t)
		})
	}
}

func TestCleanName(t *testing.T) {
	for in, want := range map[string]string{
		"a/b": "a/b", "/a/b/": "a/b", "./a": "a", "././/a//b/../c": "a/c", "": ".", "./": ".", "/": ".", "a/..": ".",
	} {
		if got, err := cleanName(in); err != nil || got != want {
			t.Errorf("cleanName(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"..", "../x", "a/../../x", "/../x", "./../x"} {
		if _, err := cleanName(in); !errors.Is(err, errEscape) {
			t.Errorf("cleanName(%q) err = %v, want errEscape", in, err)
		}
	}
}

// TestUnpackRepeatedEntry: a layer that names a file twice in a
// subdirectory (the cached parent) keeps the last one.
func TestUnpackRepeatedEntry(t *testing.T) {
	s := newSandbox(t)
	layer := tarOf(t, dirItem("bin/", 0o755), fileItem("bin/sh", "old", 0o755), fileItem("bin/sh", "new", 0o755),
		dirItem("bin/d/", 0o755), fileItem("bin/d/x", "x", 0o644), fileItem("bin/d", "file now", 0o644))
	if err := Unpack(bytes.NewReader(layer), s.target, Options{}); err != nil {
		t.Fatal(err)
	}
	for name, body := range map[string]string{"bin/sh": "new", "bin/d": "file now"} {
		if got := readFile(t, filepath.Join(s.target, name)); got != body {
			t.Errorf("%s = %q, want %q", name, got, body)
		}
	}
}
