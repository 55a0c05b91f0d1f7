package layer

import (
	"archive/tar"
	"errors"
	"fmt"
	"math"
	"os"
	"path"
	"sort"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

const (
	paxXattr      = "SCHILY.xattr."
	userXattr     = "user."
	overlayXattr  = "user.overlay."
	opaqueXattr   = "user.overlay.opaque"
	trustedOpaque = "trusted.overlay.opaque"
	// fuse-overlayfs keeps its own metadata in upper dirs under this
	// prefix (its opaque marker when not real root, origins).
	fuseXattr  = "user.fuseoverlayfs."
	fuseOpaque = "user.fuseoverlayfs.opaque"
)

// dirMeta is a directory's metadata, applied by finishDirs once the whole
// layer is extracted.
type dirMeta struct {
	name string
	hdr  *tar.Header
}

func (u *unpacker) deferDir(name string, hdr *tar.Header) {
	u.dirs = append(u.dirs, dirMeta{name: name, hdr: hdr})
}

// finishDirs applies owner, mode and times of every directory entry, deepest
// first: a directory's final mode may forbid writing into it, and creating
// its children would change its mtime. Of repeated entries the last wins.
func (u *unpacker) finishDirs() error {
	sort.SliceStable(u.dirs, func(i, j int) bool { return depth(u.dirs[i].name) > depth(u.dirs[j].name) })
	for _, d := range u.dirs {
		if err := u.finishDir(d); err != nil {
			return fmt.Errorf("unpack %s: %w", d.hdr.Name, err)
		}
	}
	return nil
}

func depth(name string) int {
	if name == "." {
		return -1
	}
	return strings.Count(name, "/")
}

// finishDir applies d's metadata if d is still a directory (a later entry
// may have replaced or whited it out).
func (u *unpacker) finishDir(d dirMeta) error {
	pfd, base := u.root, "."
	if d.name != "." {
		var err error
		pfd, err = u.parent(path.Dir(d.name), false)
		if ignoreErr(err, unix.ENOENT, unix.ENOTDIR) {
			return nil
		}
		if err != nil {
			return err
		}
		base = path.Base(d.name)
	}
	var st unix.Stat_t
	err := unix.Fstatat(pfd, base, &st, unix.AT_SYMLINK_NOFOLLOW)
	if err == unix.ENOENT || (err == nil && st.Mode&unix.S_IFMT != unix.S_IFDIR) {
		return nil
	}
	if err != nil {
		return &os.PathError{Op: "lstat", Path: d.name, Err: err}
	}
	if err := u.chown(pfd, base, d.hdr); err != nil {
		return err
	}
	// Fstatat above proved base is a directory, so this chmod cannot
	// follow a symlink.
	if err := unix.Fchmodat(pfd, base, tarMode(d.hdr), 0); err != nil {
		return &os.PathError{Op: "chmod", Path: d.name, Err: err}
	}
	return setTimes(pfd, base, d.hdr)
}

// chown applies the header's owner when Options.Chown is set. Ids the user
// namespace cannot map (EINVAL) or that do not fit a uid_t become 0:0, and
// the entry then loses its setuid and setgid bits (cleared in hdr, which
// the caller's chmod applies): a program meant to run as an id the
// namespace lacks must not run as its root instead.
func (u *unpacker) chown(pfd int, base string, hdr *tar.Header) error {
	if !u.opts.Chown {
		return nil
	}
	uid, gid := hdr.Uid, hdr.Gid
	if !validID(uid) || !validID(gid) {
		uid, gid = 0, 0
	}
	err := unix.Fchownat(pfd, base, uid, gid, unix.AT_SYMLINK_NOFOLLOW)
	if err == unix.EINVAL && (uid != 0 || gid != 0) {
		err = unix.Fchownat(pfd, base, 0, 0, unix.AT_SYMLINK_NOFOLLOW)
		uid, gid = 0, 0
	}
	if uid != hdr.Uid || gid != hdr.Gid {
		hdr.Mode &^= unix.S_ISUID | unix.S_ISGID
	}
	if err != nil {
		return &os.PathError{Op: "lchown", Path: base, Err: err}
	}
	return nil
}

// validID excludes negative ids and (uid_t)-1, which chown reads as "keep".
func validID(id int) bool {
	return id >= 0 && id < math.MaxUint32
}

// tarMode returns the permission bits of hdr including setuid, setgid and
// sticky.
func tarMode(hdr *tar.Header) uint32 {
	return uint32(hdr.Mode) & 0o7777
}

// setTimes applies the header's atime and mtime without following a
// symlink. A missing atime takes the mtime.
func setTimes(pfd int, base string, hdr *tar.Header) error {
	atime := hdr.AccessTime
	if atime.IsZero() {
		atime = hdr.ModTime
	}
	ts := []unix.Timespec{timespec(atime), timespec(hdr.ModTime)}
	if err := unix.UtimesNanoAt(pfd, base, ts, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return &os.PathError{Op: "utimes", Path: base, Err: err}
	}
	return nil
}

func timespec(t time.Time) unix.Timespec {
	if t.IsZero() {
		return unix.Timespec{} // the epoch, not year 1
	}
	return unix.Timespec{Sec: t.Unix(), Nsec: int64(t.Nanosecond())}
}

// hasXattrs reports whether hdr carries an xattr that setXattrs would set.
func hasXattrs(hdr *tar.Header) bool {
	for k := range hdr.PAXRecords {
		if wantXattr(k) {
			return true
		}
	}
	return false
}

// wantXattr selects PAX records for user.* xattrs, except user.overlay.*
// and user.fuseoverlayfs.*, which overlayfs mounted with userxattr and
// fuse-overlayfs would interpret as their own, and for file capabilities.
func wantXattr(key string) bool {
	name, ok := strings.CutPrefix(key, paxXattr)
	if !ok || strings.HasPrefix(name, overlayXattr) || strings.HasPrefix(name, fuseXattr) {
		return false
	}
	return name == capXattr || strings.HasPrefix(name, userXattr)
}

// setXattrs sets the wanted xattrs of hdr on fd. A filesystem without user
// xattrs is tolerated: they are not needed to run the image. So is a
// refused file capability outside a user namespace (without Chown): only
// a namespace's root may set one, and there is only the user to run it.
// Set them after the owner: a chown drops file capabilities.
func (u *unpacker) setXattrs(fd int, hdr *tar.Header) error {
	for k, v := range hdr.PAXRecords {
		if !wantXattr(k) {
			continue
		}
		name := strings.TrimPrefix(k, paxXattr)
		err := unix.Fsetxattr(fd, name, []byte(v), 0)
		if errors.Is(err, unix.EOPNOTSUPP) {
			return nil
		}
		if name == capXattr && !u.opts.Chown && (err == unix.EPERM || err == unix.EINVAL) {
			continue
		}
		if err != nil {
			return &os.PathError{Op: "setxattr " + name, Path: hdr.Name, Err: err}
		}
	}
	return nil
}
