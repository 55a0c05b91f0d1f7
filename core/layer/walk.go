package layer

import (
	"os"
	"path"
	"sort"
	"strings"

	"golang.org/x/sys/unix"
)

// Walk calls fn for every entry below dir (not dir itself), parents
// before children, in lexical order, with the entry's path relative to
// dir and its lstat. It reads through descriptors only: each directory is
// opened relative to its parent with O_NOFOLLOW, so a tree that changes
// while it is walked (a running container's upper dir) can never lead the
// walk through a symlink out of it. fn returning SkipDir skips a
// directory's contents.
func Walk(dir string, fn func(rel string, st *unix.Stat_t) error) error {
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return &os.PathError{Op: "open", Path: dir, Err: err}
	}
	f := os.NewFile(uintptr(fd), dir)
	defer f.Close()
	return walkDir(f, "", fn)
}

// SkipDir is returned by a Walk function to skip a directory's contents.
var SkipDir = errSkipDir{}

type errSkipDir struct{}

func (errSkipDir) Error() string { return "skip this directory" }

func walkDir(dir *os.File, rel string, fn func(string, *unix.Stat_t) error) error {
	names, err := dir.Readdirnames(-1)
	if err != nil {
		return &os.PathError{Op: "read dir", Path: "/" + rel, Err: err}
	}
	sort.Strings(names)
	for _, name := range names {
		child := path.Join(rel, name)
		var st unix.Stat_t
		if err := unix.Fstatat(int(dir.Fd()), name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			if err == unix.ENOENT {
				continue // removed while we walked
			}
			return &os.PathError{Op: "stat", Path: "/" + child, Err: err}
		}
		err := fn(child, &st)
		if err == SkipDir {
			continue
		}
		if err != nil {
			return err
		}
		if st.Mode&unix.S_IFMT != unix.S_IFDIR {
			continue
		}
		fd, err := unix.Openat(int(dir.Fd()), name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err == unix.ENOENT || err == unix.ENOTDIR || err == unix.ELOOP {
			continue // replaced while we walked: not a directory any more
		}
		if err != nil {
			return &os.PathError{Op: "open", Path: "/" + child, Err: err}
		}
		sub := os.NewFile(uintptr(fd), child)
		err = walkDir(sub, child, fn)
		sub.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

// Exists reports whether the layer directory root holds rel itself, with
// every parent a real directory of the layer: no symlink is followed, in
// the layer or out of it.
func Exists(root, rel string) bool {
	rfd, err := unix.Open(root, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return false
	}
	defer unix.Close(rfd)
	rel = strings.Trim(path.Clean("/"+rel), "/")
	if rel == "" {
		return true
	}
	parent, base := path.Split(rel)
	pfd := rfd
	if parent != "" {
		pfd, err = unix.Openat2(rfd, strings.TrimSuffix(parent, "/"), &unix.OpenHow{
			Flags:   unix.O_PATH | unix.O_DIRECTORY | unix.O_CLOEXEC,
			Resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_SYMLINKS,
		})
		if err != nil {
			return false
		}
		defer unix.Close(pfd)
	}
	var st unix.Stat_t
	return unix.Fstatat(pfd, base, &st, unix.AT_SYMLINK_NOFOLLOW) == nil
}
