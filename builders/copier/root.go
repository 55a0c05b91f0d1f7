package copier

import (
	"errors"
	"os"
	"path"
	"strings"

	"golang.org/x/sys/unix"
)

// resolveInRoot makes the kernel treat the directory fd as "/" for the whole
// lookup: "..", absolute symlinks and symlinked parents all stay below it,
// and /proc magic links (which could point anywhere) are refused.
const resolveInRoot = unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS

// maxSymlinkHops bounds how many dangling destination symlinks ensureDir
// follows, as the kernel's own limit does for lookups.
const maxSymlinkHops = 40

// openRoot opens the directory tree at dir as a lookup root.
func openRoot(dir string) (int, error) {
	fd, err := unix.Open(dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, &os.PathError{Op: "open", Path: dir, Err: err}
	}
	return fd, nil
}

// openIn opens rel inside the tree whose root is the fd root. It is the only
// way this package turns a multi-component path into a file: never a string
// joined with the root's host path.
func openIn(root int, rel string, flags int) (int, error) {
	how := &unix.OpenHow{Flags: uint64(flags | unix.O_CLOEXEC), Resolve: resolveInRoot}
	for i := 0; ; i++ {
		fd, err := unix.Openat2(root, rel, how)
		// RESOLVE_IN_ROOT answers EAGAIN when a rename raced the lookup.
		if (err == unix.EAGAIN || err == unix.EINTR) && i < 16 {
			continue
		}
		return fd, err
	}
}

// openChild opens the single component name below the directory fd
// without following it if it is a symlink: one component with O_NOFOLLOW
// cannot leave dirfd.
func openChild(dirfd int, name string, flags int) (int, error) {
	for {
		fd, err := unix.Openat(dirfd, name, flags|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err != unix.EINTR {
			return fd, err
		}
	}
}

// cleanRel turns a Dockerfile path into a clean path relative to a root;
// ".." cannot climb above the root, as in Docker. The root itself is ".".
func cleanRel(p string) string {
	rel := strings.TrimPrefix(path.Clean("/"+p), "/")
	if rel == "" {
		return "."
	}
	return rel
}

// readlinkAt returns the target of the symlink name in dirfd.
func readlinkAt(dirfd int, name string) (string, error) {
	buf := make([]byte, 256)
	for {
		n, err := unix.Readlinkat(dirfd, name, buf)
		if err != nil {
			return "", err
		}
		if n < len(buf) {
			return string(buf[:n]), nil
		}
		buf = make([]byte, 2*len(buf))
	}
}

// readNames lists the directory open (for reading) at fd.
func readNames(fd int) ([]string, error) {
	dup, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	f := os.NewFile(uintptr(dup), "dir")
	defer f.Close()
	return f.Readdirnames(-1)
}

func isErrno(err error, errno unix.Errno) bool { return errors.Is(err, errno) }
