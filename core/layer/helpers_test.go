package layer

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"
)

// item is one entry of a test tarball.
type item struct {
	hdr  tar.Header
	body string
}

var testTime = time.Date(2021, 3, 4, 5, 6, 7, 0, time.UTC)

func fileItem(name, body string, mode int64) item {
	return item{hdr: tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: mode, Size: int64(len(body)), ModTime: testTime}, body: body}
}

func dirItem(name string, mode int64) item {
	return item{hdr: tar.Header{Typeflag: tar.TypeDir, Name: name, Mode: mode, ModTime: testTime}}
}

func symlinkItem(name, target string) item {
	return item{hdr: tar.Header{Typeflag: tar.TypeSymlink, Name: name, Linkname: target, Mode: 0o777, ModTime: testTime}}
}

func linkItem(name, target string) item {
	return item{hdr: tar.Header{Typeflag: tar.TypeLink, Name: name, Linkname: target, ModTime: testTime}}
}

func devItem(name string, typ byte, major, minor int64) item {
	return item{hdr: tar.Header{Typeflag: typ, Name: name, Mode: 0o666, Devmajor: major, Devminor: minor, ModTime: testTime}}
}

// tarOf builds a tarball of items in order.
func tarOf(tb testing.TB, items ...item) []byte {
	tb.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, it := range items {
		hdr := it.hdr
		if err := tw.WriteHeader(&hdr); err != nil {
			tb.Fatalf("write header %s: %v", hdr.Name, err)
		}
		if _, err := tw.Write([]byte(it.body)); err != nil {
			tb.Fatalf("write body %s: %v", hdr.Name, err)
		}
	}
	if err := tw.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// sandbox is a parent directory holding a canary file and the target
// directory, so tests can prove nothing outside the target changed.
type sandbox struct {
	parent, target, canary string
	before                 string
}

func newSandbox(tb testing.TB) *sandbox {
	tb.Helper()
	return newSandboxIn(tb, tb.TempDir())
}

// newSandboxIn builds the sandbox in parent, an empty directory.
func newSandboxIn(tb testing.TB, parent string) *sandbox {
	tb.Helper()
	s := &sandbox{parent: parent, target: filepath.Join(parent, "root"), canary: filepath.Join(parent, "canary")}
	if err := os.WriteFile(s.canary, []byte("canary"), 0o644); err != nil {
		tb.Fatal(err)
	}
	if err := os.Mkdir(s.target, 0o755); err != nil {
		tb.Fatal(err)
	}
	s.before = snapshotOutside(tb, parent, s.target)
	tb.Cleanup(func() { makeRemovable(parent) }) // runs before TempDir's removal
	return s
}

// makeRemovable gives the owner rwx on every directory under root, so an
// unprivileged test run can delete the read-only directories layers hold.
func makeRemovable(root string) {
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			os.Chmod(p, 0o700)
		}
		return nil
	})
}

// check fails the test if anything outside the target changed.
func (s *sandbox) check(tb testing.TB) {
	tb.Helper()
	if after := snapshotOutside(tb, s.parent, s.target); after != s.before {
		tb.Fatalf("outside of the target changed:\nbefore:\n%s\nafter:\n%s", s.before, after)
	}
	if b, err := os.ReadFile(s.canary); err != nil || string(b) != "canary" {
		tb.Fatalf("canary changed: %q, %v", b, err)
	}
}

// snapshotOutside describes every file under parent except target's tree:
// type, mode, owner, links, size, mtime and a content hash.
func snapshotOutside(tb testing.TB, parent, target string) string {
	tb.Helper()
	var lines []string
	err := filepath.WalkDir(parent, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == target {
			return filepath.SkipDir
		}
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		st := fi.Sys().(*syscall.Stat_t)
		line := fmt.Sprintf("%s %v %d:%d n=%d", p, fi.Mode(), st.Uid, st.Gid, st.Nlink)
		if fi.Mode().IsRegular() {
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			line += fmt.Sprintf(" size=%d mtime=%d sha=%x", fi.Size(), fi.ModTime().UnixNano(), sha256.Sum256(b))
		}
		lines = append(lines, line)
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

func readFile(tb testing.TB, p string) string {
	tb.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}

func lstat(tb testing.TB, p string) (os.FileInfo, *syscall.Stat_t) {
	tb.Helper()
	fi, err := os.Lstat(p)
	if err != nil {
		tb.Fatal(err)
	}
	return fi, fi.Sys().(*syscall.Stat_t)
}
