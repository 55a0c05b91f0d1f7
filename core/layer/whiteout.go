package layer

import (
	"archive/tar"
	"errors"
	"fmt"
	"os"
	"path"
	"strings"

	"golang.org/x/sys/unix"
)

// whiteout handles entry base (which starts with ".wh.") in directory parent.
func (u *unpacker) whiteout(parent, base string, hdr *tar.Header) error {
	if base == whiteoutOpaque {
		return u.opaque(parent)
	}
	if strings.HasPrefix(base, whiteoutMeta) {
		return nil // AUFS bookkeeping (.wh..wh.plnk and the like)
	}
	target := strings.TrimPrefix(base, whiteoutPrefix)
	switch target {
	case "":
		return errors.New("bare whiteout entry")
	case ".", "..":
		return fmt.Errorf("whiteout of %q", target)
	}
	if u.opts.ApplyWhiteouts {
		return u.removeWhiteout(parent, target)
	}
	return u.mknodWhiteout(parent, target, hdr)
}

// removeWhiteout removes target from parent; a missing one is fine.
func (u *unpacker) removeWhiteout(parent, target string) error {
	pfd, err := u.parent(parent, false)
	if ignoreErr(err, unix.ENOENT, unix.ENOTDIR) {
		return nil
	}
	if err != nil {
		return err
	}
	err = u.retryAccess(pfd, func() error { return removeAllAt(pfd, target) })
	u.invalidate()
	return err
}

// mknodWhiteout replaces target with an overlayfs whiteout: a character
// device 0/0, which Linux 5.8+ lets unprivileged users create. It gets the
// entry's times, so that a diff of the unpacked dir gives the blob back.
func (u *unpacker) mknodWhiteout(parent, target string, hdr *tar.Header) error {
	pfd, err := u.parent(parent, true)
	if err != nil {
		return err
	}
	mk := func() error { return unix.Mknodat(pfd, target, unix.S_IFCHR, 0) }
	if err := u.makeAt(pfd, target, false, mk); err != nil {
		return &os.PathError{Op: "mknod whiteout", Path: path.Join(parent, target), Err: err}
	}
	return setTimes(pfd, target, hdr)
}

// opaque marks directory dir opaque: by the overlayfs xattr, or by removing
// what it held before this layer.
func (u *unpacker) opaque(dir string) error {
	if u.opts.ApplyWhiteouts {
		return u.clearOpaque(dir)
	}
	pfd, err := u.parent(dir, true)
	if err != nil {
		return err
	}
	fd, err := openDirNoFollow(pfd, ".")
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	if err := unix.Fsetxattr(fd, opaqueXattr, []byte("y"), 0); err != nil {
		return &os.PathError{Op: "setxattr " + opaqueXattr, Path: dir, Err: err}
	}
	return nil
}

// clearOpaque removes the contents of dir except what this layer unpacked.
func (u *unpacker) clearOpaque(dir string) error {
	fd, err := u.openDir(dir)
	if ignoreErr(err, unix.ENOENT, unix.ENOTDIR) {
		return nil
	}
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	keep := func(rel string) bool {
		_, ok := u.unpacked[path.Join(dir, rel)]
		return ok
	}
	err = clearDirAt(fd, ".", keep)
	u.invalidate()
	return err
}
