package child

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// maxSeedDepth bounds the directory depth a volume seed copies.
const maxSeedDepth = 256

// seedVolume is Docker's copy-up of a new volume: when the volume
// directory vol (hull's own store path) is empty, what the container's
// root holds at dst is copied into it, owners, modes, xattrs and times
// included where the user namespace allows. dst is resolved inside the
// root (openat2 RESOLVE_IN_ROOT), so an image whose VOLUME path is a
// symlink out of the root copies from inside it, never from the host; the
// copy then works on descriptors only, never following a link, and stays
// on the root's mount (the kernel file systems and other volumes mounted
// already are not copied). Precondition: the root file system is mounted
// and nothing of the image runs yet.
func seedVolume(root, vol, dst string) error {
	vfd, err := unix.Open(vol, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return &os.PathError{Op: "open volume", Path: vol, Err: err}
	}
	defer unix.Close(vfd)
	if empty, err := dirEmpty(vfd); err != nil || !empty {
		return err
	}
	rfd, err := unix.Open(root, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return &os.PathError{Op: "open", Path: root, Err: err}
	}
	defer unix.Close(rfd)
	rel := strings.TrimPrefix(filepath.Clean("/"+dst), "/")
	sfd, err := unix.Openat2(rfd, rel, &unix.OpenHow{
		Flags:   unix.O_RDONLY | unix.O_DIRECTORY | unix.O_CLOEXEC,
		Resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS,
	})
	if errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ENOTDIR) {
		return nil // nothing in the image there: the volume starts empty
	}
	if err != nil {
		return &os.PathError{Op: "resolve", Path: dst, Err: err}
	}
	defer unix.Close(sfd)
	s := seeder{mnt: mountID(rfd, "")}
	if s.mnt != mountID(sfd, "") {
		return nil // not the image's content (a kernel file system, another volume)
	}
	var st unix.Stat_t
	if err := unix.Fstat(sfd, &st); err != nil {
		return err
	}
	if err := s.copyDir(sfd, vfd, 0); err != nil {
		return fmt.Errorf("seed volume from %s: %w", dst, err)
	}
	s.attrs(sfd, vfd, &st)
	return nil
}

// seeder copies one tree; mnt is the root's mount, the only one copied.
type seeder struct{ mnt uint64 }

func (s seeder) copyDir(src, dst, depth int) error {
	if depth > maxSeedDepth {
		return fmt.Errorf("directories nested deeper than %d", maxSeedDepth)
	}
	names, err := readNames(src)
	if err != nil {
		return err
	}
	for _, name := range names {
		if err := s.copyEntry(src, dst, name, depth); err != nil && !errors.Is(err, unix.EEXIST) {
			return &os.PathError{Op: "copy", Path: name, Err: err}
		}
	}
	return nil
}

func (s seeder) copyEntry(src, dst int, name string, depth int) error {
	var st unix.Stat_t
	if err := unix.Fstatat(src, name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return err
	}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFDIR:
		if mountID(src, name) != s.mnt {
			return nil
		}
		return s.copySubdir(src, dst, name, &st, depth)
	case unix.S_IFREG:
		return s.copyFile(src, dst, name, &st)
	case unix.S_IFLNK:
		return copySymlink(src, dst, name, &st)
	default:
		// fifos and sockets; device nodes cannot be made in a user namespace
		if err := unix.Mknodat(dst, name, st.Mode, 0); err == nil {
			_ = unix.Fchownat(dst, name, int(st.Uid), int(st.Gid), unix.AT_SYMLINK_NOFOLLOW)
		}
		return nil
	}
}

func (s seeder) copySubdir(src, dst int, name string, st *unix.Stat_t, depth int) error {
	if err := unix.Mkdirat(dst, name, 0o700); err != nil {
		return err
	}
	cs, err := unix.Openat(src, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(cs)
	cd, err := unix.Openat(dst, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(cd)
	if err := s.copyDir(cs, cd, depth+1); err != nil {
		return err
	}
	s.attrs(cs, cd, st)
	return nil
}

func (s seeder) copyFile(src, dst int, name string, st *unix.Stat_t) error {
	in, err := unix.Openat(src, name, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	inF := os.NewFile(uintptr(in), name)
	defer inF.Close()
	out, err := unix.Openat(dst, name, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return err
	}
	outF := os.NewFile(uintptr(out), name)
	_, err = io.Copy(outF, inF)
	if err == nil {
		s.attrs(in, out, st)
	}
	if cerr := outF.Close(); err == nil {
		err = cerr
	}
	return err
}

func copySymlink(src, dst int, name string, st *unix.Stat_t) error {
	buf := make([]byte, unix.PathMax)
	n, err := unix.Readlinkat(src, name, buf)
	if err != nil {
		return err
	}
	if err := unix.Symlinkat(string(buf[:n]), dst, name); err != nil {
		return err
	}
	_ = unix.Fchownat(dst, name, int(st.Uid), int(st.Gid), unix.AT_SYMLINK_NOFOLLOW)
	return nil
}

// attrs gives the copy at dst the source's owner, mode, xattrs and times.
// Each is best effort: an id the mapping lacks stays root's, and an xattr
// the user namespace may not set is left out, as Docker's copy-up does
// with what it cannot represent.
func (seeder) attrs(src, dst int, st *unix.Stat_t) {
	_ = unix.Fchown(dst, int(st.Uid), int(st.Gid))
	copyXattrs(src, dst)
	_ = unix.Fchmod(dst, st.Mode&0o7777) // after chown, which clears set-id bits
	_ = unix.Futimes(dst, []unix.Timeval{unix.NsecToTimeval(unix.TimespecToNsec(st.Atim)), unix.NsecToTimeval(unix.TimespecToNsec(st.Mtim))})
}

func copyXattrs(src, dst int) {
	buf := make([]byte, 64<<10)
	n, err := unix.Flistxattr(src, buf)
	if err != nil || n <= 0 {
		return
	}
	val := make([]byte, 64<<10)
	for _, name := range strings.Split(strings.TrimRight(string(buf[:n]), "\x00"), "\x00") {
		if name == "" || strings.HasPrefix(name, "trusted.overlay.") || strings.HasPrefix(name, "user.overlay.") {
			continue
		}
		if m, err := unix.Fgetxattr(src, name, val); err == nil {
			_ = unix.Fsetxattr(dst, name, val[:m], 0)
		}
	}
}

// mountID is the id of the mount name (relative to dirfd; "" for dirfd
// itself) is on, 0 when the kernel cannot say (then every directory
// counts as on the root's mount, as before statx knew mount ids).
func mountID(dirfd int, name string) uint64 {
	var stx unix.Statx_t
	flags := unix.AT_SYMLINK_NOFOLLOW
	if name == "" {
		flags |= unix.AT_EMPTY_PATH
	}
	if err := unix.Statx(dirfd, name, flags, unix.STATX_MNT_ID, &stx); err != nil || stx.Mask&unix.STATX_MNT_ID == 0 {
		return 0
	}
	return stx.Mnt_id
}

// readNames lists the directory fd without moving fd's own offset.
func readNames(fd int) ([]string, error) {
	d, err := unix.Openat(fd, ".", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	f := os.NewFile(uintptr(d), ".")
	defer f.Close()
	return f.Readdirnames(-1)
}

func dirEmpty(fd int) (bool, error) {
	names, err := readNames(fd)
	return len(names) == 0, err
}
