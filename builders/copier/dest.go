package copier

import (
	"errors"
	"path"

	"golang.org/x/sys/unix"
)

// errNotDir and errIsDir are Docker's two refusals to change an entry's
// type: a directory is never replaced by a file, nor a file by a directory.
var (
	errNotDir = errors.New("cannot copy a directory over a non-directory")
	errIsDir  = errors.New("cannot replace a directory with a non-directory")
)

// dest is the destination tree of one Copy: its root fd, the directories
// already resolved in it (O_PATH fds by path from the root), and the
// directories this copy created, whose metadata is set at the end.
type dest struct {
	root     int
	uid, gid int
	dirs     map[string]int
	made     []madeDir
}

// madeDir is a directory created from a source directory; its mode, owner
// and times are applied after its contents are written.
type madeDir struct {
	rel string
	st  unix.Stat_t
}

func newDest(root, uid, gid int) *dest {
	return &dest{root: root, uid: uid, gid: gid, dirs: map[string]int{".": root}}
}

func (d *dest) close() {
	for rel, fd := range d.dirs {
		if rel != "." {
			unix.Close(fd)
		}
	}
}

// isDir reports whether rel exists and is a directory, following symlinks
// inside the root.
func (d *dest) isDir(rel string) bool {
	fd, err := openIn(d.root, rel, unix.O_PATH|unix.O_DIRECTORY)
	if err != nil {
		return false
	}
	unix.Close(fd)
	return true
}

// ensureDir returns an fd of directory rel, creating it and its missing
// parents (0755, owned by the copy's ids) as needed. Existing symlinks are
// followed inside the root; a dangling one gets its target created, inside
// the root, as Docker's MkdirAll on a resolved path does.
func (d *dest) ensureDir(rel string) (int, error) {
	return d.ensureDirHops(rel, 0)
}

func (d *dest) ensureDirHops(rel string, hops int) (int, error) {
	if fd, ok := d.dirs[rel]; ok {
		return fd, nil
	}
	fd, err := openIn(d.root, rel, unix.O_PATH|unix.O_DIRECTORY)
	if err == nil {
		d.dirs[rel] = fd
		return fd, nil
	}
	if !isErrno(err, unix.ENOENT) {
		return -1, &pathError{"open", "/" + rel, err}
	}
	pfd, err := d.ensureDirHops(path.Dir(rel), hops)
	if err != nil {
		return -1, err
	}
	base := path.Base(rel)
	err = unix.Mkdirat(pfd, base, 0o755)
	if isErrno(err, unix.EEXIST) {
		return d.followDangling(pfd, rel, hops)
	}
	if err != nil {
		return -1, &pathError{"mkdir", "/" + rel, err}
	}
	if err := d.own(pfd, base, 0o755); err != nil {
		return -1, err
	}
	return d.openMade(pfd, rel)
}

// followDangling handles a name that exists but did not resolve to a
// directory: a symlink to a missing target. The target is created instead,
// resolved against the root, so it cannot leave it.
func (d *dest) followDangling(pfd int, rel string, hops int) (int, error) {
	target, err := readlinkAt(pfd, path.Base(rel))
	if err != nil {
		return -1, &pathError{"mkdir", "/" + rel, unix.ENOTDIR}
	}
	if hops >= maxSymlinkHops {
		return -1, &pathError{"mkdir", "/" + rel, unix.ELOOP}
	}
	if !path.IsAbs(target) {
		target = path.Join(path.Dir(rel), target)
	}
	fd, err := d.ensureDirHops(cleanRel(target), hops+1)
	if err != nil {
		return -1, err
	}
	d.dirs[rel] = fd
	return fd, nil
}

// own gives the entry name in pfd the copy's owner and, after that (chown
// clears setuid), the permission bits perm.
func (d *dest) own(pfd int, base string, perm uint32) error {
	if err := unix.Fchownat(pfd, base, d.uid, d.gid, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return &pathError{"chown", base, err}
	}
	if err := unix.Fchmodat(pfd, base, perm, 0); err != nil {
		return &pathError{"chmod", base, err}
	}
	return nil
}

// openMade opens the directory just created at rel in pfd and caches it.
func (d *dest) openMade(pfd int, rel string) (int, error) {
	fd, err := openChild(pfd, path.Base(rel), unix.O_PATH|unix.O_DIRECTORY)
	if err != nil {
		return -1, &pathError{"open", "/" + rel, err}
	}
	d.dirs[rel] = fd
	return fd, nil
}

// parent resolves the directory that will hold rel and returns it with
// rel's last component.
func (d *dest) parent(rel string) (int, string, error) {
	pfd, err := d.ensureDir(path.Dir(rel))
	return pfd, path.Base(rel), err
}

// clear makes room for a non-directory at base in pfd: an existing file or
// symlink is removed (never followed), a directory is an error.
func (d *dest) clear(pfd int, base, rel string) error {
	var st unix.Stat_t
	err := unix.Fstatat(pfd, base, &st, unix.AT_SYMLINK_NOFOLLOW)
	if isErrno(err, unix.ENOENT) {
		return nil
	}
	if err != nil {
		return &pathError{"stat", "/" + rel, err}
	}
	if st.Mode&unix.S_IFMT == unix.S_IFDIR {
		return &pathError{"copy to", "/" + rel, errIsDir}
	}
	delete(d.dirs, rel)
	if err := unix.Unlinkat(pfd, base, 0); err != nil {
		return &pathError{"remove", "/" + rel, err}
	}
	return nil
}

// dir creates directory rel from source st, or merges into an existing
// one (a symlink to a directory inside the root counts; the existing
// directory's metadata is kept).
func (d *dest) dir(rel string, st *unix.Stat_t) error {
	if _, ok := d.dirs[rel]; ok {
		return nil
	}
	pfd, base, err := d.parent(rel)
	if err != nil {
		return err
	}
	err = unix.Mkdirat(pfd, base, 0o700)
	if isErrno(err, unix.EEXIST) {
		return d.merge(pfd, base, rel)
	}
	if err != nil {
		return &pathError{"mkdir", "/" + rel, err}
	}
	if _, err := d.openMade(pfd, rel); err != nil {
		return err
	}
	d.made = append(d.made, madeDir{rel: rel, st: *st})
	return nil
}

func (d *dest) merge(pfd int, base, rel string) error {
	var st unix.Stat_t
	if err := unix.Fstatat(pfd, base, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return &pathError{"stat", "/" + rel, err}
	}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFDIR:
		_, err := d.openMade(pfd, rel)
		return err
	case unix.S_IFLNK:
		fd, err := openIn(d.root, rel, unix.O_PATH|unix.O_DIRECTORY)
		if err == nil {
			d.dirs[rel] = fd
			return nil
		}
	}
	return &pathError{"copy to", "/" + rel, errNotDir}
}

// finish applies owner, mode and times to the directories this copy made,
// deepest first, after everything inside them was written.
func (d *dest) finish(mode *uint32) error {
	for i := len(d.made) - 1; i >= 0; i-- {
		m := d.made[i]
		pfd, base, err := d.parent(m.rel)
		if err != nil {
			return err
		}
		if err := d.own(pfd, base, perm(m.st.Mode, mode)); err != nil {
			return err
		}
		if err := setTimes(pfd, base, &m.st); err != nil {
			return &pathError{"set times", "/" + m.rel, err}
		}
	}
	return nil
}

// perm is the permission bits an entry gets: --chmod when given, else the
// source's, setuid/setgid/sticky included.
func perm(srcMode uint32, mode *uint32) uint32 {
	if mode != nil {
		return *mode & 0o7777
	}
	return srcMode & 0o7777
}

func setTimes(pfd int, base string, st *unix.Stat_t) error {
	ts := []unix.Timespec{st.Atim, st.Mtim}
	return unix.UtimesNanoAt(pfd, base, ts, unix.AT_SYMLINK_NOFOLLOW)
}
