package child

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// inRoot opens path (a container path) under root with O_PATH, resolving
// every component inside root so that a symlink placed in the image can
// never lead a mount out of it. Missing components are created: directories,
// or an empty file for the last one when file is true.
func inRoot(root, path string, file bool) (*os.File, error) {
	rfd, err := unix.Open(root, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: root, Err: err}
	}
	defer unix.Close(rfd)
	rel := strings.TrimPrefix(filepath.Clean("/"+path), "/")
	if rel == "" {
		return openIn(rfd, ".")
	}
	parts := strings.Split(rel, "/")
	for i := range parts {
		sub := strings.Join(parts[:i+1], "/")
		f, err := openIn(rfd, sub)
		if err == nil {
			if i == len(parts)-1 {
				return f, nil
			}
			f.Close()
			continue
		}
		if !errors.Is(err, unix.ENOENT) {
			return nil, err
		}
		parent, err := openIn(rfd, strings.Join(parts[:i], "/"))
		if err != nil {
			return nil, err
		}
		if file && i == len(parts)-1 {
			var fd int
			fd, err = unix.Openat(int(parent.Fd()), parts[i], unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC|unix.O_WRONLY, 0o644)
			if err == nil {
				unix.Close(fd)
			}
		} else {
			err = unix.Mkdirat(int(parent.Fd()), parts[i], 0o755)
		}
		parent.Close()
		if err != nil && !errors.Is(err, unix.EEXIST) {
			return nil, &os.PathError{Op: "create", Path: path, Err: err}
		}
		if i == len(parts)-1 {
			return openIn(rfd, sub)
		}
	}
	return nil, fmt.Errorf("resolve %s: unreachable", path)
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
// keeping the flags the kernel locked when it crossed into our namespace.
func remountReadonly(root, dst string) error {
	target, err := inRoot(root, dst, false)
	if err != nil {
		return err
	}
	defer target.Close()
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

// MkdirAllInRoot creates the container path and its missing parents inside
// root, never following a symlink out of it. Tasks use it.
func MkdirAllInRoot(root, path string) error {
	f, err := inRoot(root, path, false)
	if err == nil {
		f.Close()
	}
	return err
}

// OpenInRoot opens the container path for reading, resolved inside root.
func OpenInRoot(root, path string) (*os.File, error) {
	rfd, err := unix.Open(root, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: root, Err: err}
	}
	defer unix.Close(rfd)
	fd, err := unix.Openat2(rfd, strings.TrimPrefix(filepath.Clean("/"+path), "/"), &unix.OpenHow{
		Flags:   unix.O_RDONLY | unix.O_CLOEXEC,
		Resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS,
	})
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	return os.NewFile(uintptr(fd), path), nil
}
