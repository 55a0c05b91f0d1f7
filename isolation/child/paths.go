package child

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/hull-project/hull/isolation"
	"golang.org/x/sys/unix"
)

// inRoot opens path (a container path) under root with O_PATH, resolving
// every component inside root so that a symlink placed in the image can
// never lead a mount out of it. Missing components are created: directories,
// or an empty file for the last one when file is true. A symlink whose
// target is missing is followed inside root and its target created, as
// runc does for mount targets.
func inRoot(root, path string, file bool) (*os.File, error) {
	rfd, err := unix.Open(root, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: root, Err: err}
	}
	defer unix.Close(rfd)
	// Most targets exist: one openat2, which resolves links inside the
	// root exactly as createIn would. Only a missing part needs the walk.
	f, err := openIn(rfd, strings.TrimPrefix(filepath.Clean("/"+path), "/"))
	if !errors.Is(err, unix.ENOENT) {
		return f, err
	}
	done, err := createIn(rfd, path, file)
	if err != nil {
		return nil, err
	}
	return openIn(rfd, done)
}

// maxSymlinks bounds the links createIn follows, as the kernel's ELOOP.
const maxSymlinks = 40

// createIn walks path inside the root rfd one component at a time,
// following symlinks by hand (relative to where they are, or to the root
// when absolute) and creating what is missing. It returns the resolved
// path, which has no symlink left in it.
func createIn(rfd int, path string, file bool) (string, error) {
	todo := splitPath(path)
	var done []string
	links := 0
	for len(todo) > 0 {
		name := todo[0]
		todo = todo[1:]
		if name == ".." {
			if len(done) > 0 {
				done = done[:len(done)-1]
			}
			continue
		}
		next := append(done[:len(done):len(done)], name)
		var st unix.Stat_t
		err := statIn(rfd, done, name, &st)
		switch {
		case errors.Is(err, unix.ENOENT):
			if err := createEntry(rfd, done, name, file && len(todo) == 0); err != nil {
				return "", &os.PathError{Op: "create", Path: path, Err: err}
			}
		case err != nil:
			return "", &os.PathError{Op: "resolve", Path: path, Err: err}
		case st.Mode&unix.S_IFMT == unix.S_IFLNK:
			if links++; links > maxSymlinks {
				return "", &os.PathError{Op: "resolve", Path: path, Err: unix.ELOOP}
			}
			target, err := readlinkIn(rfd, done, name)
			if err != nil {
				return "", &os.PathError{Op: "readlink", Path: path, Err: err}
			}
			if strings.HasPrefix(target, "/") {
				done = nil
			}
			todo = append(splitPath(target), todo...)
			continue
		}
		done = next
	}
	return strings.Join(done, "/"), nil
}

func splitPath(p string) []string {
	var out []string
	for _, c := range strings.Split(p, "/") {
		if c != "" && c != "." {
			out = append(out, c)
		}
	}
	return out
}

// stubs, when recording (Spec.RecordStubs), collects what createEntry
// made, in order.
var stubs *[]isolation.Stub

func createEntry(rfd int, dir []string, name string, file bool) error {
	parent, err := openIn(rfd, strings.Join(dir, "/"))
	if err != nil {
		return err
	}
	defer parent.Close()
	var before, after unix.Stat_t
	_ = unix.Fstat(int(parent.Fd()), &before)
	if file {
		fd, err := unix.Openat(int(parent.Fd()), name, unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC|unix.O_WRONLY, 0o644)
		if err != nil {
			return err
		}
		unix.Close(fd)
	} else if err := unix.Mkdirat(int(parent.Fd()), name, 0o755); err != nil {
		return err
	}
	if stubs != nil && unix.Fstat(int(parent.Fd()), &after) == nil {
		*stubs = append(*stubs, isolation.Stub{Path: strings.Join(append(dir[:len(dir):len(dir)], name), "/"), Dir: !file,
			ParentBefore: before.Mtim, ParentAfter: after.Mtim})
	}
	return nil
}

// statIn stats name in the directory dir (symlink-free, relative to the
// root rfd) without following it.
func statIn(rfd int, dir []string, name string, st *unix.Stat_t) error {
	parent, err := openIn(rfd, strings.Join(dir, "/"))
	if err != nil {
		return err
	}
	defer parent.Close()
	return unix.Fstatat(int(parent.Fd()), name, st, unix.AT_SYMLINK_NOFOLLOW)
}

func readlinkIn(rfd int, dir []string, name string) (string, error) {
	parent, err := openIn(rfd, strings.Join(dir, "/"))
	if err != nil {
		return "", err
	}
	defer parent.Close()
	buf := make([]byte, unix.PathMax)
	n, err := unix.Readlinkat(int(parent.Fd()), name, buf)
	if err != nil {
		return "", err
	}
	return string(buf[:n]), nil
}

func openIn(rfd int, rel string) (*os.File, error) {
	if rel == "" {
		rel = "."
	}
	fd, err := unix.Openat2(rfd, rel, &unix.OpenHow{
		Flags:   unix.O_PATH | unix.O_CLOEXEC,
		Resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS,
	})
	if err != nil {
		return nil, &os.PathError{Op: "resolve", Path: rel, Err: err}
	}
	return os.NewFile(uintptr(fd), rel), nil
}

// fdPath is the magic link through which mount(2) reaches an O_PATH fd.
func fdPath(f *os.File) string { return fmt.Sprintf("/proc/self/fd/%d", f.Fd()) }

// mountAt mounts onto the container path dst, resolved inside root.
func mountAt(root, dst string, file bool, source, fstype string, flags uintptr, data string) error {
	target, err := inRoot(root, dst, file)
	if err != nil {
		return err
	}
	defer target.Close()
	if err := unix.Mount(source, fdPath(target), fstype, flags, data); err != nil {
		return &os.PathError{Op: "mount " + fstype + " " + source, Path: dst, Err: err}
	}
	return nil
}

// remountReadonly makes the mount at the container path dst read-only,
// and only that mount (the root file system under --read-only, whose
// volumes stay writable as in Docker).
func remountReadonly(root, dst string) error {
	target, err := inRoot(root, dst, false)
	if err != nil {
		return err
	}
	defer target.Close()
	return remountFd(target, dst)
}

// remountFd remounts the mount at target read-only, keeping the flags the
// kernel locked when it crossed into our namespace.
func remountFd(target *os.File, dst string) error {
	p := fdPath(target)
	var st unix.Statfs_t
	if err := unix.Statfs(p, &st); err != nil {
		return &os.PathError{Op: "statfs", Path: dst, Err: err}
	}
	locked := uintptr(st.Flags) & (unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC | unix.MS_NOATIME | unix.MS_NODIRATIME | unix.MS_RELATIME)
	if err := unix.Mount("", p, "", unix.MS_REMOUNT|unix.MS_BIND|unix.MS_RDONLY|locked, ""); err != nil {
		return &os.PathError{Op: "remount read-only", Path: dst, Err: err}
	}
	return nil
}

// readonlyTree makes the mount at the container path dst read-only
// together with every mount below it: a read-only bind whose source holds
// a submount must not leave that submount writable. Precondition: dst is
// the root of a mount (mount_setattr refuses anything else, so it can
// never change the root file system by mistake).
func readonlyTree(root, dst string) error {
	target, err := resolveIn(root, dst)
	if err != nil {
		return err
	}
	defer target.Close()
	attr := &unix.MountAttr{Attr_set: unix.MOUNT_ATTR_RDONLY}
	err = unix.MountSetattr(int(target.Fd()), "", unix.AT_EMPTY_PATH|unix.AT_RECURSIVE, attr)
	if errors.Is(err, unix.ENOSYS) {
		return remountTreeReadonly(target, dst)
	}
	if err != nil {
		return &os.PathError{Op: "make read-only (recursive)", Path: dst, Err: err}
	}
	return nil
}

// remountTreeReadonly is readonlyTree for kernels before 5.12: the mount
// and each mount below it, as /proc/self/mountinfo lists them, remounted
// one by one.
func remountTreeReadonly(target *os.File, dst string) error {
	top, err := os.Readlink(fdPath(target))
	if err != nil {
		return err
	}
	if err := remountFd(target, dst); err != nil {
		return err
	}
	subs, err := submounts(top)
	if err != nil {
		return err
	}
	for _, m := range subs {
		f, err := os.OpenFile(m, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err != nil {
			continue // gone, or a symlink: not a mount we made
		}
		err = remountFd(f, dst)
		f.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

// submounts lists the mount points strictly below dir, from mountinfo.
func submounts(dir string) ([]string, error) {
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return nil, err
	}
	var out []string
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) < 5 {
			continue
		}
		mp := unescapeMountinfo(f[4])
		if strings.HasPrefix(mp, strings.TrimSuffix(dir, "/")+"/") {
			out = append(out, mp)
		}
	}
	return out, nil
}

// unescapeMountinfo undoes mountinfo's octal escapes (\040 for a space).
func unescapeMountinfo(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			var c int
			if _, err := fmt.Sscanf(s[i+1:i+4], "%o", &c); err == nil {
				b.WriteByte(byte(c))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// MkdirAllInRoot creates the container path and its missing parents inside
// root, never following a symlink out of it. Tasks use it.
func MkdirAllInRoot(root, path string) error {
	f, err := inRoot(root, path, false)
	if err == nil {
		f.Close()
	}
	return err
}

// openFileIn opens the container path with flags (O_CLOEXEC is added),
// resolved inside root; nothing is created.
func openFileIn(root, path string, flags int) (*os.File, error) {
	rfd, err := unix.Open(root, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: root, Err: err}
	}
	defer unix.Close(rfd)
	fd, err := unix.Openat2(rfd, strings.TrimPrefix(filepath.Clean("/"+path), "/"), &unix.OpenHow{
		Flags:   uint64(flags | unix.O_CLOEXEC),
		Resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS,
	})
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	return os.NewFile(uintptr(fd), path), nil
}

// resolveIn opens the container path under root with O_PATH, resolved
// inside root, without creating anything.
func resolveIn(root, path string) (*os.File, error) {
	return openFileIn(root, path, unix.O_PATH)
}
