package builders

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// fsRun performs a on root and decodes the answer and any content.
func fsRun(t *testing.T, root string, a fsArgs) (fsResult, []byte) {
	t.Helper()
	var out bytes.Buffer
	if err := fsDo(root, a, &out); err != nil {
		t.Fatalf("%+v: %v", a, err)
	}
	r := bufio.NewReader(&out)
	line, err := r.ReadBytes('\n')
	if err != nil {
		t.Fatalf("%+v: no answer line: %q", a, out.String())
	}
	var res fsResult
	if err := json.Unmarshal(line, &res); err != nil {
		t.Fatal(err)
	}
	rest, _ := readAllBuf(r)
	return res, rest
}

func readAllBuf(r *bufio.Reader) ([]byte, error) {
	var b bytes.Buffer
	_, err := b.ReadFrom(r)
	return b.Bytes(), err
}

func wantErrno(t *testing.T, a fsArgs, res fsResult, want unix.Errno) {
	t.Helper()
	if unix.Errno(res.Errno) != want {
		t.Errorf("%s %s: errno %d (%v) msg %q, want %v", a.Op, a.Path, res.Errno, unix.Errno(res.Errno), res.Msg, want)
	}
}

// TestFsOps checks each Host file-system request on a plain tree.
func TestFsOps(t *testing.T) {
	root := t.TempDir()
	must(t, os.MkdirAll(filepath.Join(root, "etc/app"), 0o755))
	must(t, os.WriteFile(filepath.Join(root, "etc/app/conf"), []byte("x=1\n"), 0o640))
	must(t, os.Symlink("app/conf", filepath.Join(root, "etc/link")))
	must(t, unix.Mkfifo(filepath.Join(root, "fifo"), 0o644))

	res, _ := fsRun(t, root, fsArgs{Op: "stat", Path: "/etc/link"})
	if res.Errno != 0 || res.Info == nil || res.Info.Size != 4 || res.Info.Mode&unix.S_IFMT != unix.S_IFREG || res.Info.Mode&0o7777 != 0o640 || res.Info.Name != "link" {
		t.Errorf("stat through a link: %+v %+v", res, res.Info)
	}
	res, _ = fsRun(t, root, fsArgs{Op: "lstat", Path: "/etc/link"})
	if res.Info == nil || res.Info.Mode&unix.S_IFMT != unix.S_IFLNK || res.Info.Link != "app/conf" {
		t.Errorf("lstat: %+v", res.Info)
	}
	res, _ = fsRun(t, root, fsArgs{Op: "lstat", Path: "/"})
	if res.Info == nil || res.Info.Mode&unix.S_IFMT != unix.S_IFDIR {
		t.Errorf("lstat /: %+v", res)
	}
	a := fsArgs{Op: "stat", Path: "/nope"}
	res, _ = fsRun(t, root, a)
	wantErrno(t, a, res, unix.ENOENT)

	res, _ = fsRun(t, root, fsArgs{Op: "listdir", Path: "/etc"})
	if len(res.Entries) != 2 || res.Entries[0].Name != "app" || res.Entries[1].Name != "link" || res.Entries[1].Link != "app/conf" {
		t.Errorf("listdir /etc: %+v", res.Entries)
	}
	a = fsArgs{Op: "listdir", Path: "/etc/app/conf"}
	res, _ = fsRun(t, root, a)
	wantErrno(t, a, res, unix.ENOTDIR)

	res, content := fsRun(t, root, fsArgs{Op: "read", Path: "/etc/link", Limit: 100})
	if res.Errno != 0 || string(content) != "x=1\n" {
		t.Errorf("read: %+v %q", res, content)
	}
	a = fsArgs{Op: "read", Path: "/etc/app/conf", Limit: 2}
	res, content = fsRun(t, root, a)
	wantErrno(t, a, res, unix.EFBIG)
	if len(content) != 0 {
		t.Errorf("content after an error: %q", content)
	}
	a = fsArgs{Op: "read", Path: "/etc"}
	res, _ = fsRun(t, root, a)
	wantErrno(t, a, res, unix.EISDIR)
	res, _ = fsRun(t, root, fsArgs{Op: "read", Path: "/fifo"}) // must not block
	if res.Msg == "" {
		t.Errorf("read of a FIFO: %+v", res)
	}

	a = fsArgs{Op: "mkdir", Path: "/etc/app"}
	res, _ = fsRun(t, root, a)
	wantErrno(t, a, res, unix.EEXIST)
	a = fsArgs{Op: "mkdir", Path: "/a/b"}
	res, _ = fsRun(t, root, a)
	wantErrno(t, a, res, unix.ENOENT)
	res, _ = fsRun(t, root, fsArgs{Op: "mkdir", Path: "/a/b/c", Parents: true, Mode: 0o750})
	if res.Errno != 0 || res.Msg != "" {
		t.Fatalf("mkdir -p: %+v", res)
	}
	if st, err := os.Stat(filepath.Join(root, "a/b/c")); err != nil || st.Mode().Perm() != 0o750 {
		t.Errorf("mkdir -p made %v, %v", st, err)
	}
	a = fsArgs{Op: "mkdir", Path: "/etc/app/conf/x", Parents: true}
	res, _ = fsRun(t, root, a)
	wantErrno(t, a, res, unix.ENOTDIR)

	res, _ = fsRun(t, root, fsArgs{Op: "symlink", Path: "/a/l", Target: "/etc/app/conf"})
	if res.Errno != 0 {
		t.Errorf("symlink: %+v", res)
	}
	if l, err := os.Readlink(filepath.Join(root, "a/l")); err != nil || l != "/etc/app/conf" {
		t.Errorf("symlink made %q, %v", l, err)
	}
	a = fsArgs{Op: "symlink", Path: "/a/l", Target: "x"}
	res, _ = fsRun(t, root, a)
	wantErrno(t, a, res, unix.EEXIST)

	a = fsArgs{Op: "remove", Path: "/a"}
	res, _ = fsRun(t, root, a)
	wantErrno(t, a, res, unix.ENOTEMPTY)
	a = fsArgs{Op: "remove", Path: "/"}
	res, _ = fsRun(t, root, a)
	wantErrno(t, a, res, unix.EBUSY)
	res, _ = fsRun(t, root, fsArgs{Op: "remove", Path: "/a/b/c"})
	if res.Errno != 0 {
		t.Errorf("remove an empty dir: %+v", res)
	}
	res, _ = fsRun(t, root, fsArgs{Op: "remove", Path: "/a", Recursive: true})
	if _, err := os.Lstat(filepath.Join(root, "a")); res.Errno != 0 || !os.IsNotExist(err) {
		t.Errorf("remove -r: %+v, %v", res, err)
	}
	if _, err := os.Stat(filepath.Join(root, "etc/app/conf")); err != nil {
		t.Errorf("remove -r followed the link in it: %v", err)
	}
}

// TestFsOpsEscape: no request reaches a file outside the root through a
// relative or absolute symlink or "..".
func TestFsOpsEscape(t *testing.T) {
	base := t.TempDir()
	root, outside := filepath.Join(base, "root"), filepath.Join(base, "outside")
	must(t, os.MkdirAll(root, 0o755))
	must(t, os.MkdirAll(outside, 0o755))
	canary := filepath.Join(outside, "canary")
	must(t, os.WriteFile(canary, []byte("secret"), 0o644))
	must(t, os.Symlink("../outside", filepath.Join(root, "up")))
	must(t, os.Symlink(outside, filepath.Join(root, "abs")))
	must(t, os.Symlink("../../../../../../"+outside, filepath.Join(root, "dots")))

	for _, link := range []string{"/up", "/abs", "/dots", "/../outside", "/../../outside"} {
		for _, a := range []fsArgs{
			{Op: "stat", Path: link + "/canary"},
			{Op: "lstat", Path: link + "/canary"},
			{Op: "listdir", Path: link},
			{Op: "read", Path: link + "/canary"},
			{Op: "remove", Path: link + "/canary"},
			{Op: "remove", Path: link + "/canary", Recursive: true},
			{Op: "mkdir", Path: link + "/new"},
			{Op: "mkdir", Path: link + "/new", Parents: true},
			{Op: "symlink", Path: link + "/new", Target: "/etc/passwd"},
		} {
			res, content := fsRun(t, root, a)
			if res.Errno == 0 && res.Msg == "" && a.Op != "listdir" && !(a.Op == "mkdir" && a.Parents && link == "/../outside") &&
				!(a.Op == "mkdir" && a.Parents && link == "/../../outside") {
				t.Errorf("%s %s succeeded: %+v", a.Op, a.Path, res)
			}
			if bytes.Contains(content, []byte("secret")) || res.Info != nil && res.Info.Size == 6 {
				t.Errorf("%s %s read the canary: %+v %q", a.Op, a.Path, res, content)
			}
			for _, e := range res.Entries {
				if e.Name == "canary" {
					t.Errorf("%s %s listed the canary", a.Op, a.Path)
				}
			}
		}
	}
	if b, err := os.ReadFile(canary); err != nil || string(b) != "secret" {
		t.Fatalf("canary changed: %q, %v", b, err)
	}
	if ents, _ := os.ReadDir(outside); len(ents) != 1 {
		t.Errorf("outside dir now holds %v", ents)
	}
	// "/../outside" is "/outside" inside the root: mkdir -p made it there.
	if _, err := os.Stat(filepath.Join(root, "outside/new")); err != nil {
		t.Errorf("mkdir -p /../outside/new: %v", err)
	}
	// Removing the links removes the links only.
	for _, l := range []string{"/up", "/abs", "/dots"} {
		res, _ := fsRun(t, root, fsArgs{Op: "remove", Path: l, Recursive: true})
		if res.Errno != 0 {
			t.Errorf("remove %s: %+v", l, res)
		}
	}
	if b, err := os.ReadFile(canary); err != nil || string(b) != "secret" {
		t.Fatalf("canary changed: %q, %v", b, err)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
