package copier

import (
	"fmt"
	"path"

	"golang.org/x/sys/unix"
)

// MinReuseSize is the smallest file Op.Reuse links instead of copying
// (and Report lists): below it a copy costs no more than the checks.
const MinReuseSize = 64 << 10

// reuseTmp is the name a reused inode is linked at in its upper parent
// dir before it is renamed over the file created through the overlay.
const reuseTmp = ".hull-reuse.tmp"

// resolveStrict resolves inside a root of hull's own (a layer, an upper
// dir): no symlink at all, no mount crossed.
const resolveStrict = unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_MAGICLINKS | unix.RESOLVE_NO_XDEV

// statx is unix.Statx; tests take the birth time away.
var statx = unix.Statx

// pendingLink is a file created empty through the overlay whose upper
// inode is replaced, at the end of the copy, by a link to the old
// layer's inode (old, open for reading).
type pendingLink struct {
	e   entry
	old int
	ino uint64 // the empty upper inode
}

// openReuse opens Op.Reuse's layer directory; a failure only leaves every
// file to be copied.
func (c *copier) openReuse() {
	// An archive extracted later could write where a link is planned.
	if c.op.Reuse == nil || c.upper < 0 || c.op.ExtractArchives {
		return
	}
	if fd, err := openRoot(c.op.Reuse.Dir); err == nil {
		c.reuseRoot = fd
	}
}

func (c *copier) closeReuse() {
	for rel := range c.pending {
		c.drop(rel)
	}
	if c.reuseRoot >= 0 {
		unix.Close(c.reuseRoot)
		c.reuseRoot = -1
	}
}

// note records in the report that the regular file e was copied (or
// reused) from the source inode st.
func (c *copier) note(e *entry, st *unix.Stat_t) {
	if st.Size < MinReuseSize {
		return
	}
	if c.report.Files == nil {
		c.report.Files = map[string]Source{}
	}
	c.report.Files[e.dst] = Source{Path: e.src, Dev: uint64(st.Dev), Ino: st.Ino}
}

// drop forgets what was planned or reported for destination rel: a later
// entry replaces it.
func (c *copier) drop(rel string) {
	if p, ok := c.pending[rel]; ok {
		unix.Close(p.old)
		delete(c.pending, rel)
	}
	delete(c.report.Files, rel)
}

// reusable returns the old layer's file for e, open for reading, when
// its inode is what copying e (source inode st, open) would make: the old
// copy was made from this very source inode (same path, device and inode
// number), which has not changed since (its ctime is strictly earlier
// than the old file's birth), the old file was born no later than the
// old layer was committed, and it has the size, mtime, mode and owner the
// copy gives and no extended attribute. Any doubt is false.
func (c *copier) reusable(e *entry, st *unix.Stat_t) (int, bool) {
	if c.reuseRoot < 0 || st.Size < MinReuseSize {
		return -1, false
	}
	was, ok := c.op.Reuse.Files[e.dst]
	if !ok || was.Path != e.src || was.Dev != uint64(st.Dev) || was.Ino != st.Ino {
		return -1, false
	}
	fd, err := unix.Openat2(c.reuseRoot, e.dst, &unix.OpenHow{
		Flags:   unix.O_RDONLY | unix.O_NONBLOCK | unix.O_NOFOLLOW | unix.O_CLOEXEC,
		Resolve: resolveStrict,
	})
	if err != nil {
		return -1, false
	}
	if !c.sameAsCopy(fd, st) {
		unix.Close(fd)
		return -1, false
	}
	return fd, true
}

// sameAsCopy checks the old file open at fd against source st (see
// reusable).
func (c *copier) sameAsCopy(fd int, st *unix.Stat_t) bool {
	var sx unix.Statx_t
	const want = unix.STATX_BASIC_STATS | unix.STATX_BTIME
	if statx(fd, "", unix.AT_EMPTY_PATH|unix.AT_SYMLINK_NOFOLLOW, want, &sx) != nil ||
		sx.Mask&want != want {
		return false
	}
	born := sx.Btime.Sec*1e9 + int64(sx.Btime.Nsec)
	changed := st.Ctim.Sec*1e9 + st.Ctim.Nsec
	switch {
	case uint32(sx.Mode)&unix.S_IFMT != unix.S_IFREG,
		unix.Mkdev(sx.Dev_major, sx.Dev_minor) != c.upperDev,
		int64(sx.Size) != st.Size,
		sx.Mtime.Sec != st.Mtim.Sec || int64(sx.Mtime.Nsec) != st.Mtim.Nsec,
		uint32(sx.Mode)&0o7777 != perm(st.Mode, c.op.Mode),
		int(sx.Uid) != c.dest.uid || int(sx.Gid) != c.dest.gid,
		!(changed < born), born > c.op.Reuse.Before:
		return false
	}
	n, err := unix.Flistxattr(fd, nil)
	return err == nil && n == 0
}

// planLink creates e's file empty through the overlay, checks that the
// upper dir holds that very inode, and plans to replace it there by old
// (link runs at the end of the copy). Owner, mode and times are not set:
// the inode is discarded. false: nothing is planned (and old is closed),
// the caller copies.
func (c *copier) planLink(e *entry, old int) bool {
	pfd, base, err := c.dest.parent(e.dst)
	if err == nil {
		err = c.dest.clear(pfd, base, e.dst)
	}
	var out int
	if err == nil {
		out, err = openChild(pfd, base, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL)
	}
	if err != nil {
		unix.Close(old)
		return false
	}
	defer unix.Close(out)
	up, ok := c.upperFile(out, e.dst)
	if !ok {
		unix.Close(old)
		return false
	}
	c.inPlace--
	var ust unix.Stat_t
	err = unix.Fstat(up, &ust)
	unix.Close(up)
	if err != nil {
		unix.Close(old)
		return false
	}
	if c.pending == nil {
		c.pending = map[string]*pendingLink{}
	}
	c.pending[e.dst] = &pendingLink{e: *e, old: old, ino: ust.Ino}
	return true
}

// linkPending replaces each planned file's empty upper inode by the old
// layer's, behind the overlay's back: the copy task is the overlay's
// only user, and what the step leaves is read from the upper dir. A file
// that cannot be linked (EXDEV, a refused linkat, any doubt) is copied.
func (c *copier) linkPending() error {
	for rel, p := range c.pending {
		err := c.link(p)
		unix.Close(p.old)
		delete(c.pending, rel)
		if err == nil {
			c.report.Reused++
			continue
		}
		if err := c.copyRegular(&p.e); err != nil {
			return fmt.Errorf("copy %s: %w", p.e.src, err)
		}
	}
	return nil
}

// link puts p.old at p.e.dst in the upper dir, over the empty inode
// p.ino created there: linked at reuseTmp in the same dir, then renamed.
func (c *copier) link(p *pendingLink) error {
	dir, base := path.Dir(p.e.dst), path.Base(p.e.dst)
	pfd, err := unix.Openat2(c.upper, dir, &unix.OpenHow{
		Flags: unix.O_PATH | unix.O_DIRECTORY | unix.O_CLOEXEC, Resolve: resolveStrict})
	if err != nil {
		return err
	}
	defer unix.Close(pfd)
	var st unix.Stat_t
	if err := unix.Fstatat(pfd, base, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return err
	}
	if st.Ino != p.ino || st.Mode&unix.S_IFMT != unix.S_IFREG || st.Size != 0 || st.Nlink != 1 {
		return fmt.Errorf("upper file changed")
	}
	if err := linkFd(p.old, pfd, reuseTmp); err != nil {
		return err
	}
	err = sameFile(p.old, pfd, reuseTmp)
	if err == nil {
		err = unix.Renameat(pfd, reuseTmp, pfd, base)
	}
	if err != nil {
		unix.Unlinkat(pfd, reuseTmp, 0)
	}
	return err
}

// sameFile checks that name in dirfd is the inode open at fd (a link made
// through /proc names what that path resolved to).
func sameFile(fd, dirfd int, name string) error {
	var a, b unix.Stat_t
	if err := unix.Fstat(fd, &a); err != nil {
		return err
	}
	if err := unix.Fstatat(dirfd, name, &b, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return err
	}
	if a.Dev != b.Dev || a.Ino != b.Ino {
		return fmt.Errorf("linked another file")
	}
	return nil
}

// linkFd links the file open at fd as name in dirfd: by the fd itself
// (AT_EMPTY_PATH, which the kernel may refuse to a user without
// CAP_DAC_READ_SEARCH), else through its /proc/self/fd link.
// (Linux before 6.10 refuses AT_EMPTY_PATH to a user without
// CAP_DAC_READ_SEARCH; later ones allow it for a file the caller opened.)
func linkFd(fd, dirfd int, name string) error {
	err := linkat(fd, "", dirfd, name, unix.AT_EMPTY_PATH)
	if err == unix.ENOENT || err == unix.EPERM || err == unix.EINVAL {
		err = linkat(unix.AT_FDCWD, fmt.Sprintf("/proc/self/fd/%d", fd), dirfd, name, unix.AT_SYMLINK_FOLLOW)
	}
	return err
}

// linkat is unix.Linkat; tests refuse AT_EMPTY_PATH.
var linkat = unix.Linkat
