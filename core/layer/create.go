package layer

import (
	"archive/tar"
	"fmt"
	"io"
	"os"
	"path"

	"golang.org/x/sys/unix"
)

// mkdir creates directory base in pfd, or merges into an existing one. It
// stays owner-writable until finishDirs applies the header's metadata.
func (u *unpacker) mkdir(pfd int, name, base string, hdr *tar.Header) error {
	mk := func() error { return unix.Mkdirat(pfd, base, 0o700) }
	if err := u.makeAt(pfd, base, true, mk); err != nil {
		return &os.PathError{Op: "mkdir", Path: name, Err: err}
	}
	if hasXattrs(hdr) {
		fd, err := openDirNoFollow(pfd, base)
		if err != nil {
			return err
		}
		err = u.setXattrs(fd, hdr)
		unix.Close(fd)
		if err != nil {
			return err
		}
	}
	u.deferDir(name, hdr)
	return nil
}

// symlink creates symlink base in pfd. Its target is stored verbatim: it is
// only ever resolved inside the root (here by openat2, later by the
// container's own root).
func (u *unpacker) symlink(pfd int, base string, hdr *tar.Header) error {
	mk := func() error { return unix.Symlinkat(hdr.Linkname, pfd, base) }
	if err := u.makeAt(pfd, base, false, mk); err != nil {
		return &os.PathError{Op: "symlink", Path: base, Err: err}
	}
	if err := u.chown(pfd, base, hdr); err != nil {
		return err
	}
	return setTimes(pfd, base, hdr)
}

// hardlink links base in pfd to the entry hdr.Linkname, resolved inside the
// root. linkat without AT_SYMLINK_FOLLOW links a symlink itself, never what
// it points at. The new name shares the target's inode, so no metadata is
// applied: it would change the target too.
func (u *unpacker) hardlink(pfd int, base string, hdr *tar.Header) error {
	target, err := cleanName(hdr.Linkname)
	if err != nil {
		return fmt.Errorf("hardlink target: %w", err)
	}
	if target == "." {
		return fmt.Errorf("hardlink target %q names the root", hdr.Linkname)
	}
	tdir := path.Dir(target)
	tfd := u.root
	switch {
	case tdir == ".":
	case tdir == u.cachedPath && u.cachedFD >= 0:
		tfd = u.cachedFD
	default:
		if tfd, err = u.openDir(tdir); err != nil {
			return fmt.Errorf("hardlink target: %w", err)
		}
		defer unix.Close(tfd)
	}
	mk := func() error { return unix.Linkat(tfd, path.Base(target), pfd, base, 0) }
	if err := u.makeAt(pfd, base, false, mk); err != nil {
		return &os.LinkError{Op: "link", Old: target, New: base, Err: err}
	}
	return nil
}

// fifo creates named pipe base in pfd.
func (u *unpacker) fifo(pfd int, base string, hdr *tar.Header) error {
	mk := func() error { return unix.Mknodat(pfd, base, unix.S_IFIFO|0o600, 0) }
	if err := u.makeAt(pfd, base, false, mk); err != nil {
		return &os.PathError{Op: "mkfifo", Path: base, Err: err}
	}
	if err := u.chown(pfd, base, hdr); err != nil {
		return err
	}
	if err := unix.Fchmodat(pfd, base, tarMode(hdr), 0); err != nil {
		return &os.PathError{Op: "chmod", Path: base, Err: err}
	}
	return setTimes(pfd, base, hdr)
}

// file creates regular file base in pfd with O_EXCL|O_NOFOLLOW (an
// existing entry is removed first, so nothing is written through a symlink)
// and copies its content from r.
func (u *unpacker) file(pfd int, base string, hdr *tar.Header, r io.Reader) error {
	const flags = unix.O_WRONLY | unix.O_CREAT | unix.O_EXCL | unix.O_NOFOLLOW | unix.O_CLOEXEC
	fd := -1
	mk := func() (err error) {
		fd, err = unix.Openat(pfd, base, flags, 0o600)
		return err
	}
	if err := u.makeAt(pfd, base, false, mk); err != nil {
		return &os.PathError{Op: "create", Path: base, Err: err}
	}
	err := u.fillFile(fd, pfd, base, hdr, r)
	if cerr := unix.Close(fd); err == nil && cerr != nil {
		err = &os.PathError{Op: "close", Path: base, Err: cerr}
	}
	if err != nil {
		return err
	}
	return setTimes(pfd, base, hdr)
}

// fillFile writes content, owner, xattrs and mode of the open file fd, in
// that order: a chown drops file capabilities, and user xattrs need a
// writable mode.
func (u *unpacker) fillFile(fd, pfd int, base string, hdr *tar.Header, r io.Reader) error {
	hw := &holeWriter{fd: fd}
	if _, err := io.CopyBuffer(hw, r, u.buf); err != nil {
		return fmt.Errorf("write %s: %w", base, err)
	}
	if err := hw.finish(); err != nil {
		return fmt.Errorf("write %s: %w", base, err)
	}
	if err := u.chown(pfd, base, hdr); err != nil {
		return err
	}
	if err := u.setXattrs(fd, hdr); err != nil {
		return err
	}
	if err := unix.Fchmod(fd, tarMode(hdr)); err != nil {
		return &os.PathError{Op: "chmod", Path: base, Err: err}
	}
	return nil
}

// fdWriter writes to a raw fd. Wrapping it keeps io.CopyBuffer on our
// reusable buffer (an *os.File's ReadFrom would allocate its own).
type fdWriter int

func (w fdWriter) Write(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		m, err := unix.Write(int(w), p[n:])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return n, err
		}
		n += m
	}
	return n, nil
}

// holeWriter writes runs of zeros as holes: a tar's sparse entry (PAX
// sparse maps) reads back as its full size of zeros, so a 10 KB archive
// could otherwise fill the disk with a file of any size it claims. The
// file reads back the same; only the blocks it takes differ.
type holeWriter struct {
	fd      int
	pending int64 // zeros not yet written: seeked over
}

func (w *holeWriter) Write(p []byte) (int, error) {
	if allZero(p) {
		w.pending += int64(len(p))
		return len(p), nil
	}
	if err := w.skip(); err != nil {
		return 0, err
	}
	return fdWriter(w.fd).Write(p)
}

func (w *holeWriter) skip() error {
	if w.pending == 0 {
		return nil
	}
	if _, err := unix.Seek(w.fd, w.pending, io.SeekCurrent); err != nil {
		return err
	}
	w.pending = 0
	return nil
}

// finish gives the file its full size when it ends in a hole.
func (w *holeWriter) finish() error {
	if w.pending == 0 {
		return nil
	}
	off, err := unix.Seek(w.fd, 0, io.SeekCurrent)
	if err != nil {
		return err
	}
	w.pending, off = 0, off+w.pending
	return unix.Ftruncate(w.fd, off)
}

func allZero(p []byte) bool {
	if len(p) == 0 || p[0] != 0 || p[len(p)-1] != 0 {
		return false
	}
	for _, b := range p {
		if b != 0 {
			return false
		}
	}
	return true
}
