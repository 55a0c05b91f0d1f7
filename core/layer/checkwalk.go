package layer

import (
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"sort"

	"golang.org/x/sys/unix"
)

// checker walks a layer directory against the expected tree.
type checker struct {
	want     *tree
	seen     map[string]bool
	walked   map[string]bool  // directories whose entries were listed
	inodes   map[*node]fileID // the inode first seen for each node
	problems []Problem
}

func (c *checker) report(p, format string, args ...any) {
	if p == "" {
		p = "."
	}
	c.problems = append(c.problems, Problem{Path: p, What: fmt.Sprintf(format, args...)})
}

// walkRoot checks the root directory and everything below it.
func (c *checker) walkRoot(dir string) error {
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return &os.PathError{Op: "open", Path: dir, Err: err}
	}
	f := os.NewFile(uintptr(fd), dir)
	defer f.Close()
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return &os.PathError{Op: "fstat", Path: dir, Err: err}
	}
	c.seen[""] = true
	c.compare("", c.want.nodes[""], &st, fd)
	return c.walk(f, "")
}

// walk checks the children of the open directory dir (at rel).
func (c *checker) walk(dir *os.File, rel string) error {
	names, err := dir.Readdirnames(-1)
	if err != nil {
		return &os.PathError{Op: "read dir", Path: join(".", rel), Err: err}
	}
	c.walked[rel] = true
	sort.Strings(names)
	dirfd := int(dir.Fd())
	for _, name := range names {
		if err := c.child(dirfd, name, join(rel, name)); err != nil {
			return err
		}
	}
	return nil
}

// child checks dirfd's entry name, and a directory's contents when the
// tree expects a directory there.
func (c *checker) child(dirfd int, name, rel string) error {
	c.seen[rel] = true
	want := c.want.nodes[rel]
	var st unix.Stat_t
	if err := unix.Fstatat(dirfd, name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return &os.PathError{Op: "stat", Path: rel, Err: err}
	}
	if want == nil {
		c.report(rel, "unexpected %s (not in the layer)", kindOf(&st))
		return nil
	}
	got := kindOf(&st)
	if got != want.kind {
		c.report(rel, "is a %s, want a %s", got, want.kind)
		return nil
	}
	switch got {
	case kindDir:
		return c.dir(dirfd, name, rel, want, &st)
	case kindFile:
		return c.file(dirfd, name, rel, want)
	case kindSymlink:
		c.compare(rel, want, &st, -1)
		target, err := readlinkAt(dirfd, name)
		if err != nil {
			return &os.PathError{Op: "readlink", Path: rel, Err: err}
		}
		if target != want.target {
			c.report(rel, "symlink to %q, want %q", target, want.target)
		}
	default:
		c.compare(rel, want, &st, -1)
	}
	return nil
}

func (c *checker) dir(dirfd int, name, rel string, want *node, st *unix.Stat_t) error {
	fd, err := unix.Openat(dirfd, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		c.report(rel, "%v: %v", errCheckRead, err)
		return nil
	}
	f := os.NewFile(uintptr(fd), rel)
	defer f.Close()
	c.compare(rel, want, st, fd)
	return c.walk(f, rel)
}

func (c *checker) file(dirfd int, name, rel string, want *node) error {
	fd, err := unix.Openat(dirfd, name, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		c.report(rel, "%v: %v", errCheckRead, err)
		return nil
	}
	f := os.NewFile(uintptr(fd), rel)
	defer f.Close()
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return &os.PathError{Op: "fstat", Path: rel, Err: err}
	}
	c.compare(rel, want, &st, fd)
	if st.Size != want.size {
		c.report(rel, "size %d, want %d", st.Size, want.size)
		return nil
	}
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return &os.PathError{Op: "read", Path: rel, Err: err}
	}
	if got := h.Sum(nil); string(got) != string(want.sum[:]) {
		c.report(rel, "content differs (sha256:%x, want sha256:%x)", got, want.sum)
	}
	return nil
}

// compare checks the metadata of st (and of fd, an open directory or
// file, -1 for others) against want.
func (c *checker) compare(rel string, want *node, st *unix.Stat_t, fd int) {
	id := fileID{uint64(st.Dev), st.Ino}
	if first, ok := c.inodes[want]; !ok {
		c.inodes[want] = id
	} else if first != id {
		c.report(rel, "is not a hardlink of the same file as its other names")
	}
	if want.implicit {
		return
	}
	if want.kind != kindSymlink && want.kind != kindWhiteout && st.Mode&0o7777 != want.mode {
		c.report(rel, "mode %04o, want %04o", st.Mode&0o7777, want.mode)
	}
	if int(st.Uid) != want.uid || int(st.Gid) != want.gid {
		c.report(rel, "owner %d:%d, want %d:%d", st.Uid, st.Gid, want.uid, want.gid)
	}
	if want.kind == kindDir && fd >= 0 {
		if got := isOpaque(fd); got != want.opaque {
			c.report(rel, "opaque marker %s, want %s", onOff(got), onOff(want.opaque))
		}
	}
}

// missing reports the expected paths the walk did not find.
func (c *checker) missing() {
	for p, n := range c.want.nodes {
		// A path below a missing or replaced directory is reported once,
		// at the top.
		if !c.seen[p] && c.walked[parentOf(p)] {
			c.report(p, "missing (want a %s)", n.kind)
		}
	}
}

func kindOf(st *unix.Stat_t) string {
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFDIR:
		return kindDir
	case unix.S_IFREG:
		return kindFile
	case unix.S_IFLNK:
		return kindSymlink
	case unix.S_IFIFO:
		return kindFifo
	case unix.S_IFCHR:
		if st.Rdev == 0 {
			return kindWhiteout
		}
		return "character device"
	case unix.S_IFBLK:
		return "block device"
	}
	return "socket"
}

func onOff(b bool) string {
	if b {
		return "set"
	}
	return "absent"
}
