package copier

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// reuseSrc is a source tree with one file big enough to be reused.
var reuseSrc = map[string]string{"big": strings.Repeat("b", MinReuseSize+1), "small": "s"}

// firstCopy copies reuseSrc as a step's first build (the destination is
// its own upper dir, as an overlay whose layers share a file system shows
// it) and returns the source, that layer and the Reuse a second build
// gets from it.
func firstCopy(t *testing.T) (string, string, *Reuse) {
	t.Helper()
	s, d := roots(t, reuseSrc)
	bornAt(t, d) // skips where the file system keeps no birth time
	tick(t, s, "big")
	r, err := CopyReport(s, d, Op{Sources: []string{"."}, Dest: "/ctx/", Upper: d})
	must(t, err)
	if _, ok := r.Files["ctx/big"]; !ok || len(r.Files) != 1 {
		t.Fatalf("report lists %v, want ctx/big only", r.Files)
	}
	if r.Reused != 0 {
		t.Fatalf("first copy reused %d files", r.Reused)
	}
	return s, d, &Reuse{Dir: d, Before: time.Now().UnixNano(), Files: r.Files}
}

// tick waits until a file created now gets a ctime later than dir/name's:
// timestamps are coarse, and reuse needs the old copy born strictly after
// its source last changed.
func tick(t *testing.T, dir, name string) {
	t.Helper()
	var ref, probe unix.Stat_t
	must(t, unix.Lstat(filepath.Join(dir, name), &ref))
	p := filepath.Join(t.TempDir(), "probe")
	for i := 0; ; i++ {
		must(t, os.WriteFile(p, nil, 0o600))
		must(t, unix.Lstat(p, &probe))
		if probe.Ctim.Nano() > ref.Ctim.Nano() {
			return
		}
		if i > 1e6 {
			t.Fatal("the clock does not move")
		}
		must(t, os.Remove(p))
	}
}

// copyAgain is the second build: a copy into a new upper dir with reuse.
func copyAgain(t *testing.T, s string, reuse *Reuse) (string, Report) {
	t.Helper()
	d := t.TempDir()
	r, err := CopyReport(s, d, Op{Sources: []string{"."}, Dest: "/ctx/", Upper: d, Reuse: reuse})
	must(t, err)
	if _, ok := r.Files["ctx/big"]; !ok {
		t.Fatalf("second report lists %v, want ctx/big", r.Files)
	}
	wantFile(t, filepath.Join(d, "ctx/small"), "s")
	return d, r
}

func sameInode(t *testing.T, a, b string) bool {
	t.Helper()
	fa, err := os.Lstat(a)
	must(t, err)
	fb, err := os.Lstat(b)
	must(t, err)
	return os.SameFile(fa, fb)
}

// wantCopied checks that d2's big file is a copy with content, not the
// old layer's inode.
func wantCopied(t *testing.T, r Report, d1, d2, content string) {
	t.Helper()
	if r.Reused != 0 || sameInode(t, filepath.Join(d1, "ctx/big"), filepath.Join(d2, "ctx/big")) {
		t.Fatalf("reused (%d) where it must copy", r.Reused)
	}
	wantFile(t, filepath.Join(d2, "ctx/big"), content)
}

func TestReuseLinksUnchangedFile(t *testing.T) {
	s, d1, reuse := firstCopy(t)
	d2, r := copyAgain(t, s, reuse)
	if r.Reused != 1 || !sameInode(t, filepath.Join(d1, "ctx/big"), filepath.Join(d2, "ctx/big")) {
		t.Fatalf("reused %d files, want ctx/big linked from the old layer", r.Reused)
	}
	wantFile(t, filepath.Join(d2, "ctx/big"), reuseSrc["big"])
	for _, n := range []string{reuseTmp, "ctx/" + reuseTmp} {
		wantMissing(t, filepath.Join(d2, n))
	}
	// The link keeps the copy's metadata (the old inode is the copy's).
	var a, b unix.Stat_t
	must(t, unix.Lstat(filepath.Join(s, "big"), &a))
	must(t, unix.Lstat(filepath.Join(d2, "ctx/big"), &b))
	if a.Mtim != b.Mtim || a.Mode != b.Mode || b.Uid != 0 || b.Gid != 0 {
		t.Fatalf("linked file mtime %v mode %o owner %d:%d, want the source's %v %o, 0:0", b.Mtim, b.Mode, b.Uid, b.Gid, a.Mtim, a.Mode)
	}
	// A third build reuses the second's layer (the inode has two links).
	reuse.Dir, reuse.Files, reuse.Before = d2, r.Files, time.Now().UnixNano()
	d3, r3 := copyAgain(t, s, reuse)
	if r3.Reused != 1 || !sameInode(t, filepath.Join(d1, "ctx/big"), filepath.Join(d3, "ctx/big")) {
		t.Fatalf("third build reused %d files", r3.Reused)
	}
}

// A source edited in place to the same size and mtime: its ctime is newer
// than the old copy, which is not reused.
func TestReuseRefusedSourceChanged(t *testing.T) {
	s, d1, reuse := firstCopy(t)
	p := filepath.Join(s, "big")
	fi, err := os.Stat(p)
	must(t, err)
	canary := strings.Repeat("c", MinReuseSize+1)
	tick(t, d1, "ctx/big")
	f, err := os.OpenFile(p, os.O_WRONLY, 0)
	must(t, err)
	_, err = f.WriteAt([]byte(canary), 0)
	must(t, err)
	must(t, f.Close())
	must(t, os.Chtimes(p, fi.ModTime(), fi.ModTime()))
	d2, r := copyAgain(t, s, reuse)
	wantCopied(t, r, d1, d2, canary)
}

// The old layer's file differs from what the copy would give.
func TestReuseRefusedOldFileDiffers(t *testing.T) {
	for name, change := range map[string]func(t *testing.T, p string){
		"mode":  func(t *testing.T, p string) { must(t, os.Chmod(p, 0o600)) },
		"mtime": func(t *testing.T, p string) { must(t, os.Chtimes(p, old, old)) },
		"size": func(t *testing.T, p string) {
			var st unix.Stat_t
			must(t, unix.Lstat(p, &st))
			must(t, os.Truncate(p, MinReuseSize+2))
			must(t, unix.UtimesNano(p, []unix.Timespec{st.Atim, st.Mtim}))
		},
		"xattr": func(t *testing.T, p string) {
			if err := unix.Setxattr(p, "user.x", []byte("1"), 0); err != nil {
				t.Skipf("setxattr: %v", err)
			}
		},
		"symlink": func(t *testing.T, p string) {
			// A symlink to a file with the right content and metadata.
			must(t, os.Rename(p, p+".real"))
			must(t, os.Symlink("big.real", p))
		},
		"other inode": func(t *testing.T, p string) {
			// A hardlink of a file born after the old layer was made,
			// with the old file's content and metadata.
			other := filepath.Join(filepath.Dir(p), "other")
			tick(t, filepath.Dir(p), "big")
			must(t, os.WriteFile(other, []byte(reuseSrc["big"]), 0o644))
			var st unix.Stat_t
			must(t, unix.Lstat(p, &st))
			must(t, unix.UtimesNano(other, []unix.Timespec{st.Atim, st.Mtim}))
			must(t, os.Remove(p))
			must(t, os.Link(other, p))
		},
	} {
		t.Run(name, func(t *testing.T) {
			s, d1, reuse := firstCopy(t)
			if name == "other inode" {
				// The old layer was committed right after its copy.
				reuse.Before = bornAt(t, filepath.Join(d1, "ctx/big"))
			}
			change(t, filepath.Join(d1, "ctx/big"))
			d2, r := copyAgain(t, s, reuse)
			wantCopied(t, r, d1, d2, reuseSrc["big"])
		})
	}
}

func bornAt(t *testing.T, p string) int64 {
	t.Helper()
	var sx unix.Statx_t
	must(t, unix.Statx(unix.AT_FDCWD, p, unix.AT_SYMLINK_NOFOLLOW, unix.STATX_BTIME, &sx))
	if sx.Mask&unix.STATX_BTIME == 0 {
		t.Skip("no birth time on this file system")
	}
	return sx.Btime.Sec*1e9 + int64(sx.Btime.Nsec)
}

// The source is another inode than the old copy's (same path, content,
// size and mtime), or the report names another source path.
func TestReuseRefusedOtherSource(t *testing.T) {
	t.Run("inode", func(t *testing.T) {
		s, d1, reuse := firstCopy(t)
		was := reuse.Files["ctx/big"]
		was.Ino++
		reuse.Files["ctx/big"] = was
		d2, r := copyAgain(t, s, reuse)
		wantCopied(t, r, d1, d2, reuseSrc["big"])
	})
	t.Run("path", func(t *testing.T) {
		s, d1, reuse := firstCopy(t)
		was := reuse.Files["ctx/big"]
		was.Path = "other"
		reuse.Files["ctx/big"] = was
		d2, r := copyAgain(t, s, reuse)
		wantCopied(t, r, d1, d2, reuseSrc["big"])
	})
}

func TestReuseRefusedWithoutBirthTime(t *testing.T) {
	s, d1, reuse := firstCopy(t)
	statx = func(fd int, p string, flags, mask int, sx *unix.Statx_t) error {
		err := unix.Statx(fd, p, flags, mask, sx)
		sx.Mask &^= unix.STATX_BTIME
		return err
	}
	t.Cleanup(func() { statx = unix.Statx })
	d2, r := copyAgain(t, s, reuse)
	wantCopied(t, r, d1, d2, reuseSrc["big"])
}

// Without an upper dir, or for an ADD that extracts archives, nothing is
// reused.
func TestReuseNeedsUpper(t *testing.T) {
	s, d1, reuse := firstCopy(t)
	d2 := t.TempDir()
	r, err := CopyReport(s, d2, Op{Sources: []string{"."}, Dest: "/ctx/", Reuse: reuse})
	must(t, err)
	wantCopied(t, r, d1, d2, reuseSrc["big"])
	d3 := t.TempDir()
	r, err = CopyReport(s, d3, Op{Sources: []string{"."}, Dest: "/ctx/", Upper: d3, Reuse: reuse, ExtractArchives: true})
	must(t, err)
	wantCopied(t, r, d1, d3, reuseSrc["big"])
}

// A later source written at the same destination wins over a planned
// link.
func TestReuseDroppedWhenReplaced(t *testing.T) {
	s, d1, reuse := firstCopy(t)
	tree(t, s, map[string]string{"again/big": "later"})
	d2 := t.TempDir()
	r, err := CopyReport(s, d2, Op{Sources: []string{"big", "again/big"}, Dest: "/ctx/", Upper: d2, Reuse: reuse})
	must(t, err)
	if r.Reused != 0 || len(r.Files) != 0 {
		t.Fatalf("reused %d, reported %v after the file was replaced", r.Reused, r.Files)
	}
	wantFile(t, filepath.Join(d2, "ctx/big"), "later")
	_ = d1
}

// A kernel that refuses AT_EMPTY_PATH to the user: the inode is linked
// through /proc/self/fd.
func TestReuseLinksThroughProc(t *testing.T) {
	s, d1, reuse := firstCopy(t)
	refused := 0
	linkat = func(olddirfd int, oldpath string, newdirfd int, newpath string, flags int) error {
		if flags&unix.AT_EMPTY_PATH != 0 {
			refused++
			return unix.ENOENT
		}
		return unix.Linkat(olddirfd, oldpath, newdirfd, newpath, flags)
	}
	t.Cleanup(func() { linkat = unix.Linkat })
	d2, r := copyAgain(t, s, reuse)
	if refused != 1 || r.Reused != 1 || !sameInode(t, filepath.Join(d1, "ctx/big"), filepath.Join(d2, "ctx/big")) {
		t.Fatalf("AT_EMPTY_PATH tried %d times, reused %d: want the old inode linked through /proc", refused, r.Reused)
	}
}
