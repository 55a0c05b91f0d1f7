package copier

import (
	"errors"
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// ErrLinkOutside is returned by ReadFile when the path is a symlink whose
// target, resolved inside the root, does not exist there: it pointed out of
// the context, or at nothing.
var ErrLinkOutside = errors.New("a symlink to a path that is not in the build context")

// ReadFile reads the regular file rel (a Dockerfile, a .dockerignore) of
// the tree at root, at most limit bytes. The lookup stays below root as
// COPY's does: absolute symlinks and ".." resolve inside it, so a file in a
// build context can never name a file of the host. A missing file is
// fs.ErrNotExist.
func ReadFile(root, rel string, limit int64) ([]byte, error) {
	rfd, err := openRoot(root)
	if err != nil {
		return nil, err
	}
	defer unix.Close(rfd)
	rel = cleanRel(rel)
	// O_NONBLOCK: a FIFO must not hang the build; it is refused below
	// (regular files ignore the flag).
	fd, err := openIn(rfd, rel, unix.O_RDONLY|unix.O_NONBLOCK)
	if errors.Is(err, unix.ENOENT) && isSymlinkIn(rfd, rel) {
		return nil, &os.PathError{Op: "open", Path: rel, Err: ErrLinkOutside}
	}
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: rel, Err: err}
	}
	f := os.NewFile(uintptr(fd), rel)
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, &os.PathError{Op: "read", Path: rel, Err: fmt.Errorf("not a regular file (%s)", st.Mode().Type())}
	}
	if st.Size() > limit {
		return nil, &os.PathError{Op: "read", Path: rel, Err: fmt.Errorf("larger than %d bytes", limit)}
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, &os.PathError{Op: "read", Path: rel, Err: fmt.Errorf("larger than %d bytes", limit)}
	}
	return data, nil
}

// isSymlinkIn reports whether rel's last component, looked up inside the
// root fd, is a symlink.
func isSymlinkIn(rfd int, rel string) bool {
	fd, err := openIn(rfd, rel, unix.O_PATH|unix.O_NOFOLLOW)
	if err != nil {
		return false
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	return unix.Fstat(fd, &st) == nil && st.Mode&unix.S_IFMT == unix.S_IFLNK
}
