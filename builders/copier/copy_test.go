package copier

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

func TestFileToFile(t *testing.T) {
	s, d := roots(t, map[string]string{"a.txt": "A"})
	must(t, Copy(s, d, Op{Sources: []string{"a.txt"}, Dest: "/x/b.txt"}))
	wantFile(t, filepath.Join(d, "x/b.txt"), "A")
	fi, _ := os.Stat(filepath.Join(d, "x"))
	if fi.Mode().Perm() != 0o755 {
		t.Fatalf("created parent mode %v, want 0755", fi.Mode())
	}
}

func TestFileToDir(t *testing.T) {
	s, d := roots(t, map[string]string{"a.txt": "A", "b.txt": "B"})
	must(t, os.Mkdir(filepath.Join(d, "exists"), 0o755))
	must(t, Copy(s, d, Op{Sources: []string{"a.txt"}, Dest: "/new/"}))
	wantFile(t, filepath.Join(d, "new/a.txt"), "A")
	// An existing directory without the slash is copied into.
	must(t, Copy(s, d, Op{Sources: []string{"b.txt"}, Dest: "/exists"}))
	wantFile(t, filepath.Join(d, "exists/b.txt"), "B")
}

func TestDirContents(t *testing.T) {
	s, d := roots(t, map[string]string{"dir/a": "A", "dir/sub/b": "B", "dir/l": "->sub/b", "dir/empty/": ""})
	must(t, os.Chmod(filepath.Join(s, "dir/sub/b"), os.ModeSetuid|0o751))
	must(t, os.Chmod(filepath.Join(s, "dir/sub"), 0o700))
	must(t, Copy(s, d, Op{Sources: []string{"dir"}, Dest: "/app"}))
	wantFile(t, filepath.Join(d, "app/a"), "A")
	wantFile(t, filepath.Join(d, "app/sub/b"), "B")
	wantMissing(t, filepath.Join(d, "app/dir"))
	if target, err := os.Readlink(filepath.Join(d, "app/l")); err != nil || target != "sub/b" {
		t.Fatalf("symlink: %q %v, want sub/b", target, err)
	}
	if fi, err := os.Stat(filepath.Join(d, "app/empty")); err != nil || !fi.IsDir() {
		t.Fatalf("empty dir: %v", err)
	}
	fi, _ := os.Stat(filepath.Join(d, "app/sub/b"))
	if fi.Mode()&os.ModeSetuid == 0 || fi.Mode().Perm() != 0o751 {
		t.Fatalf("mode %v, want setuid 0751", fi.Mode())
	}
	fi, _ = os.Stat(filepath.Join(d, "app/sub"))
	if fi.Mode().Perm() != 0o700 {
		t.Fatalf("dir mode %v, want 0700", fi.Mode())
	}
}

func TestGlob(t *testing.T) {
	s, d := roots(t, map[string]string{"a.go": "a", "b.go": "b", "c.txt": "c", "x/y.go": "y"})
	must(t, Copy(s, d, Op{Sources: []string{"*.go", "*/*.go"}, Dest: "/src"}))
	wantFile(t, filepath.Join(d, "src/a.go"), "a")
	wantFile(t, filepath.Join(d, "src/b.go"), "b")
	wantFile(t, filepath.Join(d, "src/y.go"), "y")
	wantMissing(t, filepath.Join(d, "src/c.txt"))
}

func TestChownChmod(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root to chown")
	}
	s, d := roots(t, map[string]string{"dir/f": "F", "dir/sub/g": "G", "dir/l": "->f"})
	must(t, Copy(s, d, Op{Sources: []string{"dir"}, Dest: "/o/", UID: ptr(1234), GID: ptr(5678), Mode: ptr(uint32(0o640))}))
	for _, p := range []string{"o", "o/f", "o/sub", "o/sub/g", "o/l"} {
		fi, err := os.Lstat(filepath.Join(d, p))
		must(t, err)
		st := fi.Sys().(*syscall.Stat_t)
		if st.Uid != 1234 || st.Gid != 5678 {
			t.Errorf("%s owned by %d:%d, want 1234:5678", p, st.Uid, st.Gid)
		}
		if (p == "o/f" || p == "o/sub" || p == "o/sub/g") && fi.Mode().Perm() != 0o640 {
			t.Errorf("%s mode %v, want 0640", p, fi.Mode())
		}
	}
	// Without --chown everything is root's.
	must(t, os.Chown(filepath.Join(s, "dir/f"), 42, 42))
	must(t, Copy(s, d, Op{Sources: []string{"dir/f"}, Dest: "/root-owned"}))
	fi, _ := os.Lstat(filepath.Join(d, "root-owned"))
	if st := fi.Sys().(*syscall.Stat_t); st.Uid != 0 || st.Gid != 0 {
		t.Fatalf("owned by %d:%d, want 0:0", st.Uid, st.Gid)
	}
}

func TestParents(t *testing.T) {
	s, d := roots(t, map[string]string{"x/a.txt": "xa", "y/a.txt": "ya", "p/q/r/f": "f"})
	must(t, Copy(s, d, Op{Sources: []string{"./x/a.txt", "y/a.txt"}, Dest: "/out", Parents: true}))
	wantFile(t, filepath.Join(d, "out/x/a.txt"), "xa")
	wantFile(t, filepath.Join(d, "out/y/a.txt"), "ya")
	must(t, Copy(s, d, Op{Sources: []string{"p/./q/r"}, Dest: "/pv/", Parents: true}))
	wantFile(t, filepath.Join(d, "pv/q/r/f"), "f")
}

func TestExclude(t *testing.T) {
	s, d := roots(t, map[string]string{"app/a.go": "a", "app/a.md": "m", "app/docs/x.md": "x", "app/docs/keep.md": "k"})
	must(t, Copy(s, d, Op{Sources: []string{"app"}, Dest: "/app", Exclude: []string{"**/*.md", "!docs/keep.md"}}))
	wantFile(t, filepath.Join(d, "app/a.go"), "a")
	wantMissing(t, filepath.Join(d, "app/a.md"))
	wantMissing(t, filepath.Join(d, "app/docs/x.md"))
	wantFile(t, filepath.Join(d, "app/docs/keep.md"), "k")
}

func TestDockerignore(t *testing.T) {
	s, d := roots(t, map[string]string{
		"main.go": "m", "secret.env": "s", "node_modules/x/y.js": "y",
		"build/out.bin": "o", "build/keep/README": "r", "logs/a.log": "l",
	})
	ignore := []string{"*.env", "node_modules", "build", "!build/keep", "logs"}
	must(t, Copy(s, d, Op{Sources: []string{"."}, Dest: "/", Ignore: ignore}))
	wantFile(t, filepath.Join(d, "main.go"), "m")
	wantMissing(t, filepath.Join(d, "secret.env"))
	wantMissing(t, filepath.Join(d, "node_modules"))
	wantMissing(t, filepath.Join(d, "build/out.bin"))
	wantMissing(t, filepath.Join(d, "logs"))
	wantFile(t, filepath.Join(d, "build/keep/README"), "r")
	// A source that is ignored is "not found", as in Docker.
	err := Copy(s, d, Op{Sources: []string{"secret.env"}, Dest: "/", Ignore: ignore})
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("ignored source: %v, want ErrNotFound", err)
	}
}

func TestMissingSource(t *testing.T) {
	s, d := roots(t, map[string]string{"a": "a"})
	err := Copy(s, d, Op{Sources: []string{"nope.txt"}, Dest: "/"})
	want := "file not found in build context or excluded by .dockerignore: stat nope.txt: file does not exist"
	if !errors.Is(err, ErrNotFound) || err.Error() != want {
		t.Fatalf("got %v, want %q", err, want)
	}
	err = Copy(s, d, Op{Sources: []string{"*.none"}, Dest: "/"})
	if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "no source files were specified") || !strings.Contains(err.Error(), "*.none") {
		t.Fatalf("glob: %v", err)
	}
}

func TestReplace(t *testing.T) {
	s, d := roots(t, map[string]string{"f": "new", "dir/a": "A", "dir/sub/": ""})
	tree(t, d, map[string]string{"f": "old", "l": "->f", "dst/a": "oldA", "dst/other": "O", "dst/sub": "file"})
	must(t, Copy(s, d, Op{Sources: []string{"f"}, Dest: "/f"}))
	wantFile(t, filepath.Join(d, "f"), "new")
	// A symlink at the destination is replaced, not written through.
	must(t, os.WriteFile(filepath.Join(d, "f"), []byte("keep"), 0o644))
	must(t, Copy(s, d, Op{Sources: []string{"dir/a"}, Dest: "/l"}))
	wantFile(t, filepath.Join(d, "l"), "A")
	wantFile(t, filepath.Join(d, "f"), "keep")
	// A directory over a file is an error; the merge keeps other entries.
	err := Copy(s, d, Op{Sources: []string{"dir"}, Dest: "/dst"})
	if !errors.Is(err, errNotDir) {
		t.Fatalf("dir over file: %v", err)
	}
	wantFile(t, filepath.Join(d, "dst/a"), "A")
	wantFile(t, filepath.Join(d, "dst/other"), "O")
	// A file over a directory is an error.
	must(t, os.MkdirAll(filepath.Join(d, "isdir/f"), 0o755))
	if err := Copy(s, d, Op{Sources: []string{"f"}, Dest: "/isdir/"}); !errors.Is(err, errIsDir) {
		t.Fatalf("file over dir: %v", err)
	}
}

func TestMtimes(t *testing.T) {
	s, d := roots(t, map[string]string{"dir/f": "F", "dir/sub/g": "G", "dir/l": "->f"})
	for _, p := range []string{"dir/f", "dir/sub/g", "dir/sub"} {
		must(t, os.Chtimes(filepath.Join(s, p), old, old))
	}
	must(t, Copy(s, d, Op{Sources: []string{"dir"}, Dest: "/t"}))
	for _, p := range []string{"t/f", "t/sub/g", "t/sub"} {
		fi, err := os.Lstat(filepath.Join(d, p))
		must(t, err)
		if !fi.ModTime().Equal(old) {
			t.Errorf("%s mtime %v, want %v", p, fi.ModTime(), old)
		}
	}
}

func TestFiles(t *testing.T) {
	d := t.TempDir()
	s := t.TempDir()
	must(t, Copy(s, d, Op{Dest: "/etc/", Files: []File{{Name: "a.conf", Content: []byte("x=1\n")}, {Name: "run.sh", Content: []byte("#!/bin/sh\n"), Mode: 0o755}}}))
	wantFile(t, filepath.Join(d, "etc/a.conf"), "x=1\n")
	fi, _ := os.Stat(filepath.Join(d, "etc/run.sh"))
	if fi.Mode().Perm() != 0o755 {
		t.Fatalf("mode %v", fi.Mode())
	}
	fi, _ = os.Stat(filepath.Join(d, "etc/a.conf"))
	if fi.Mode().Perm() != 0o644 {
		t.Fatalf("default mode %v", fi.Mode())
	}
	must(t, Copy(s, d, Op{Dest: "/single", Files: []File{{Name: "EOF", Content: []byte("hi")}}}))
	wantFile(t, filepath.Join(d, "single"), "hi")
}

func TestHardlinksBecomeCopies(t *testing.T) {
	s, d := roots(t, map[string]string{"dir/a": "A"})
	must(t, os.Link(filepath.Join(s, "dir/a"), filepath.Join(s, "dir/b")))
	must(t, Copy(s, d, Op{Sources: []string{"dir"}, Dest: "/h"}))
	a, _ := os.Stat(filepath.Join(d, "h/a"))
	b, _ := os.Stat(filepath.Join(d, "h/b"))
	if os.SameFile(a, b) {
		t.Fatal("hardlinks kept; documented as separate files")
	}
	wantFile(t, filepath.Join(d, "h/b"), "A")
}

// copyCounting is Copy that reports how many files were filled through
// the upper dir.
func copyCounting(t *testing.T, srcRoot, dstRoot string, op Op) int {
	t.Helper()
	src, err := openRoot(srcRoot)
	must(t, err)
	defer unix.Close(src)
	dst, err := openRoot(dstRoot)
	must(t, err)
	defer unix.Close(dst)
	c, err := newCopier(src, dst, op)
	must(t, err)
	defer c.dest.close()
	c.openUpper(op.Upper)
	defer c.closeUpper()
	must(t, c.run())
	return c.inPlace
}

// Op.Upper: a file is filled through the upper dir only when the file
// there is the very inode just created (here the destination is its own
// "upper", as an overlay whose layers share a file system shows it);
// another file at the same name, or one behind a symlinked directory of
// the upper dir, is never written, and the copy still lands.
func TestCopyFillsThroughUpper(t *testing.T) {
	src := map[string]string{"big": strings.Repeat("b", 3<<20), "dir/small": "s", "empty": ""}
	t.Run("same inode", func(t *testing.T) {
		s, d := roots(t, src)
		if n := copyCounting(t, s, d, Op{Sources: []string{"."}, Dest: "/ctx/", Upper: d}); n != 3 {
			t.Errorf("%d files filled in place, want 3", n)
		}
		wantFile(t, filepath.Join(d, "ctx/big"), src["big"])
		wantFile(t, filepath.Join(d, "ctx/dir/small"), "s")
		wantFile(t, filepath.Join(d, "ctx/empty"), "")
	})
	t.Run("another file there", func(t *testing.T) {
		s, d := roots(t, src)
		upper := t.TempDir()
		tree(t, upper, map[string]string{"ctx/big": "", "ctx/dir/small": ""})
		must(t, os.Truncate(filepath.Join(upper, "ctx/big"), 0))
		if n := copyCounting(t, s, d, Op{Sources: []string{"."}, Dest: "/ctx/", Upper: upper}); n != 0 {
			t.Errorf("%d files filled through an unrelated upper dir", n)
		}
		wantFile(t, filepath.Join(upper, "ctx/big"), "")
		wantFile(t, filepath.Join(upper, "ctx/dir/small"), "")
		wantFile(t, filepath.Join(d, "ctx/big"), src["big"])
		wantFile(t, filepath.Join(d, "ctx/dir/small"), "s")
	})
	t.Run("symlinked dir in the upper dir", func(t *testing.T) {
		s, d := roots(t, src)
		// d/ctx is reached in the upper dir only through a symlink.
		upper := t.TempDir()
		must(t, os.Symlink(filepath.Join(d, "ctx"), filepath.Join(upper, "ctx")))
		if n := copyCounting(t, s, d, Op{Sources: []string{"."}, Dest: "/ctx/", Upper: upper}); n != 0 {
			t.Errorf("%d files filled through a symlink of the upper dir", n)
		}
		wantFile(t, filepath.Join(d, "ctx/big"), src["big"])
	})
	t.Run("upper dir missing", func(t *testing.T) {
		s, d := roots(t, src)
		must(t, Copy(s, d, Op{Sources: []string{"."}, Dest: "/ctx/", Upper: filepath.Join(d, "nowhere")}))
		wantFile(t, filepath.Join(d, "ctx/big"), src["big"])
	})
}
