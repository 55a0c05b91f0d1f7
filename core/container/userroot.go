package container

import (
	"errors"
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// maxUserFile bounds what is read of a container's /etc/passwd or
// /etc/group: the container chooses their size.
const maxUserFile = 16 << 20

// ResolveUserInRoot is ResolveUser against a live root filesystem, such as
// a running container's /proc/PID/root. The container can change its files
// at any moment, so each one is opened with openat2 RESOLVE_IN_ROOT relative
// to the root's fd and read through that fd: a symlink (absolute or "..")
// resolves inside the container, never to a host file, and nothing is
// looked up twice by path. A file that is missing, or is not a regular file,
// counts as absent.
func ResolveUserInRoot(spec, root string) (User, error) {
	rfd, err := unix.Open(root, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return User{}, fmt.Errorf("open container root %s: %w", root, err)
	}
	defer unix.Close(rfd)
	passwd, err := readInRoot(rfd, "etc/passwd")
	if err != nil {
		return User{}, err
	}
	group, err := readInRoot(rfd, "etc/group")
	if err != nil {
		return User{}, err
	}
	return resolveUser(spec, parsePasswd(passwd), parseGroup(group))
}

// readInRoot reads the regular file rel inside the root rfd; nil when it
// is absent or not a regular file.
func readInRoot(rfd int, rel string) ([]byte, error) {
	fd, err := unix.Openat2(rfd, rel, &unix.OpenHow{Flags: unix.O_PATH | unix.O_CLOEXEC,
		Resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS})
	if errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ENOTDIR) || errors.Is(err, unix.ELOOP) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("open container file /%s: %w", rel, err)
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return nil, fmt.Errorf("stat container file /%s: %w", rel, err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		return nil, nil // a FIFO or device is not read (it could block)
	}
	// Reopen the very file the O_PATH fd holds, for reading.
	f, err := os.OpenFile(fmt.Sprintf("/proc/self/fd/%d", fd), os.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("open container file /%s: %w", rel, err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxUserFile+1))
	if err != nil {
		return nil, fmt.Errorf("read container file /%s: %w", rel, err)
	}
	if len(b) > maxUserFile {
		return nil, fmt.Errorf("read container file /%s: larger than %d bytes", rel, maxUserFile)
	}
	return b, nil
}
