package layer

import (
	"errors"
	"fmt"
	"os"
	"path"
	"strings"

	"golang.org/x/sys/unix"
)

// cacheParents turns the last-parent cache on; benchmarks switch it off to
// measure what it saves.
var cacheParents = true

// unpacker holds the state of one Unpack call: the root fd, the cached
// parent fd, the copy buffer and the work deferred to the end.
type unpacker struct {
	opts Options
	root int

	// cachedPath/cachedFD remember the last resolved parent directory:
	// consecutive entries of a layer usually share one. Any removal
	// invalidates it, since it could have removed or replaced the directory
	// or one of its ancestors.
	cachedPath string
	cachedFD   int

	buf  []byte
	dirs []dirMeta
	// unlocked are existing read-only directories made owner-writable to
	// change their entries (see retryAccess); their modes come back at the end.
	unlocked []unlockedDir
	// unpacked holds the names this layer created, so an opaque whiteout
	// applied directly (ApplyWhiteouts) keeps them; nil otherwise.
	unpacked map[string]struct{}
}

func newUnpacker(dir string, opts Options) (*unpacker, error) {
	root, err := unix.Open(dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: dir, Err: err}
	}
	u := &unpacker{opts: opts, root: root, cachedFD: -1, buf: make([]byte, copyBufSize)}
	if opts.ApplyWhiteouts {
		u.unpacked = map[string]struct{}{}
	}
	return u, nil
}

func (u *unpacker) close() {
	u.relock()
	u.invalidate()
	unix.Close(u.root)
}

// invalidate drops the cached parent fd.
func (u *unpacker) invalidate() {
	if u.cachedFD >= 0 {
		unix.Close(u.cachedFD)
	}
	u.cachedPath, u.cachedFD = "", -1
}

// markUnpacked records name and its ancestors as created by this layer: an
// opaque marker keeps an existing directory this layer wrote into.
func (u *unpacker) markUnpacked(name string) {
	if u.unpacked == nil {
		return
	}
	for ; name != "."; name = path.Dir(name) {
		if _, ok := u.unpacked[name]; ok {
			return
		}
		u.unpacked[name] = struct{}{}
	}
}

// parent returns an O_PATH fd of directory p (clean, relative to the root),
// owned by the unpacker: callers must not close it. Missing directories are
// created with mode 0755 when create is set.
func (u *unpacker) parent(p string, create bool) (int, error) {
	if p == "." {
		return u.root, nil
	}
	if cacheParents && p == u.cachedPath && u.cachedFD >= 0 {
		return u.cachedFD, nil
	}
	fd, err := u.openDir(p)
	if errors.Is(err, unix.ENOENT) && create {
		fd, err = u.mkdirAll(p)
	}
	if err != nil {
		return -1, err
	}
	u.invalidate()
	u.cachedPath, u.cachedFD = p, fd
	return fd, nil
}

// openDir resolves directory p inside the root. RESOLVE_IN_ROOT makes the
// kernel treat the root fd as "/" for "..", absolute symlinks and all, so
// the result can never lie outside it.
func (u *unpacker) openDir(p string) (int, error) {
	how := unix.OpenHow{
		Flags:   unix.O_PATH | unix.O_DIRECTORY | unix.O_CLOEXEC,
		Resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS,
	}
	for range 16 {
		fd, err := unix.Openat2(u.root, p, &how)
		if err == unix.EAGAIN || err == unix.EINTR {
			continue // a concurrent rename or mount: the kernel asks to retry
		}
		if err != nil {
			return -1, &os.PathError{Op: "resolve", Path: p, Err: err}
		}
		return fd, nil
	}
	return -1, &os.PathError{Op: "resolve", Path: p, Err: unix.EAGAIN}
}

// mkdirAll creates the missing directories of p one component at a time,
// each in the resolved fd of its own parent.
func (u *unpacker) mkdirAll(p string) (int, error) {
	cur := u.root
	parts := strings.Split(p, "/")
	for i, part := range parts {
		prefix := strings.Join(parts[:i+1], "/")
		fd, err := u.openDir(prefix)
		if errors.Is(err, unix.ENOENT) {
			fd, err = u.mkdirOne(cur, prefix, part)
		}
		if cur != u.root {
			unix.Close(cur)
		}
		if err != nil {
			return -1, err
		}
		cur = fd
	}
	return cur, nil
}

// mkdirOne creates the implicit directory name (0755) in pfd and opens it.
func (u *unpacker) mkdirOne(pfd int, prefix, name string) (int, error) {
	err := u.retryAccess(pfd, func() error { return unix.Mkdirat(pfd, name, 0o755) })
	if err != nil && err != unix.EEXIST {
		return -1, &os.PathError{Op: "mkdir", Path: prefix, Err: err}
	}
	if err == nil {
		if err := unix.Fchmodat(pfd, name, 0o755, 0); err != nil { // undo the umask
			return -1, &os.PathError{Op: "chmod", Path: prefix, Err: err}
		}
		u.markUnpacked(prefix)
	}
	fd, err := u.openDir(prefix)
	if errors.Is(err, unix.ENOENT) {
		return -1, fmt.Errorf("parent %s is a dangling symlink", prefix)
	}
	return fd, err
}

// makeAt runs mk, which creates base in pfd and fails with EEXIST if base
// exists (never following a symlink there). On EEXIST the existing entry is
// replaced the way Docker does and mk runs again: a directory over a
// directory merges (a second EEXIST then means success), anything else is
// removed first. Trying first saves a stat per entry in the common case.
func (u *unpacker) makeAt(pfd int, base string, isDir bool, mk func() error) error {
	err := u.retryAccess(pfd, mk)
	if err != unix.EEXIST {
		return err
	}
	if err := u.retryAccess(pfd, func() error { return u.replace(pfd, base, isDir) }); err != nil {
		return err
	}
	err = mk()
	if isDir && err == unix.EEXIST {
		return nil
	}
	return err
}

// replace clears the way for a new entry base in pfd: an existing
// directory stays when isDir is set, anything else is removed.
func (u *unpacker) replace(pfd int, base string, isDir bool) error {
	var st unix.Stat_t
	err := unix.Fstatat(pfd, base, &st, unix.AT_SYMLINK_NOFOLLOW)
	if err == unix.ENOENT {
		return nil
	}
	if err != nil {
		return &os.PathError{Op: "lstat", Path: base, Err: err}
	}
	if isDir && st.Mode&unix.S_IFMT == unix.S_IFDIR {
		return nil
	}
	// The removal may take the cached directory with it if that lies
	// below base. When pfd is the cached fd it stays valid (and in use).
	if pfd != u.cachedFD {
		u.invalidate()
	}
	return removeAllAt(pfd, base)
}

// removeAllAt removes name in dirfd and, for a directory, everything below
// it, never following a symlink.
func removeAllAt(dirfd int, name string) error {
	err := unix.Unlinkat(dirfd, name, 0)
	if err == nil || err == unix.ENOENT {
		return nil
	}
	if err != unix.EISDIR && err != unix.EPERM {
		return &os.PathError{Op: "unlink", Path: name, Err: err}
	}
	if err := clearDirAt(dirfd, name, nil); err != nil {
		return err
	}
	if err := unix.Unlinkat(dirfd, name, unix.AT_REMOVEDIR); err != nil && err != unix.ENOENT {
		return &os.PathError{Op: "rmdir", Path: name, Err: err}
	}
	return nil
}

// clearDirAt removes the contents of directory name in dirfd. When keep is
// non-nil it is called with each child's path relative to the directory and
// decides whether that child stays (a kept directory is cleared in turn).
func clearDirAt(dirfd int, name string, keep func(rel string) bool) error {
	fd, err := openDirNoFollow(dirfd, name)
	if err != nil {
		return err
	}
	d := os.NewFile(uintptr(fd), name)
	defer d.Close()
	restore, err := ensureWritable(fd, name)
	if err != nil {
		return err
	}
	defer restore()
	names, err := d.Readdirnames(-1)
	if err != nil {
		return &os.PathError{Op: "readdir", Path: name, Err: err}
	}
	for _, child := range names {
		if err := clearChild(fd, child, keep); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	return nil
}

// clearChild removes child of dirfd unless keep says otherwise.
func clearChild(dirfd int, child string, keep func(rel string) bool) error {
	if keep == nil || !keep(child) {
		return removeAllAt(dirfd, child)
	}
	var st unix.Stat_t
	if err := unix.Fstatat(dirfd, child, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return &os.PathError{Op: "lstat", Path: child, Err: err}
	}
	if st.Mode&unix.S_IFMT != unix.S_IFDIR {
		return nil
	}
	return clearDirAt(dirfd, child, func(rel string) bool { return keep(path.Join(child, rel)) })
}

// openDirNoFollow opens directory name in dirfd for reading, making it
// owner-accessible first if it is not (an unprivileged user may still
// remove a directory it owns with mode 0).
func openDirNoFollow(dirfd int, name string) (int, error) {
	const flags = unix.O_RDONLY | unix.O_DIRECTORY | unix.O_NOFOLLOW | unix.O_CLOEXEC
	fd, err := unix.Openat(dirfd, name, flags, 0)
	if err == unix.EACCES {
		// O_NOFOLLOW above proved name is no symlink, so this chmod hits it.
		if cerr := unix.Fchmodat(dirfd, name, 0o700, 0); cerr == nil {
			fd, err = unix.Openat(dirfd, name, flags, 0)
		}
	}
	if err != nil {
		return -1, &os.PathError{Op: "open", Path: name, Err: err}
	}
	return fd, nil
}

// ensureWritable gives the owner rwx on directory fd so an unprivileged
// user can remove its children, and returns a function restoring the mode.
func ensureWritable(fd int, name string) (func(), error) {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return nil, &os.PathError{Op: "stat", Path: name, Err: err}
	}
	mode := st.Mode & 0o7777
	if mode&0o700 == 0o700 {
		return func() {}, nil
	}
	if err := unix.Fchmod(fd, mode|0o700); err != nil {
		return nil, &os.PathError{Op: "chmod", Path: name, Err: err}
	}
	return func() { unix.Fchmod(fd, mode) }, nil
}

// unlockedDir is a directory made owner-writable and its original mode.
type unlockedDir struct {
	fd   int
	mode uint32
}

// retryAccess runs op, a change to directory pfd's entries. If the kernel
// refuses with EACCES because pfd lacks owner write/search permission (a
// read-only directory of a lower layer when flattening, for a user without
// CAP_DAC_OVERRIDE), pfd is made owner-writable and op runs once more.
func (u *unpacker) retryAccess(pfd int, op func() error) error {
	err := op()
	if !errors.Is(err, unix.EACCES) || !u.unlock(pfd) {
		return err
	}
	return op()
}

// unlock adds owner rwx to directory pfd, keeping an fd to restore it.
func (u *unpacker) unlock(pfd int) bool {
	var st unix.Stat_t
	if unix.Fstat(pfd, &st) != nil || st.Mode&0o300 == 0o300 {
		return false
	}
	fd, err := unix.Openat(pfd, ".", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return false
	}
	if unix.Fchmod(fd, st.Mode&0o7777|0o700) != nil {
		unix.Close(fd)
		return false
	}
	u.unlocked = append(u.unlocked, unlockedDir{fd: fd, mode: st.Mode & 0o7777})
	return true
}

// relock restores the modes of unlocked directories, last first.
func (u *unpacker) relock() error {
	var first error
	for i := len(u.unlocked) - 1; i >= 0; i-- {
		d := u.unlocked[i]
		if err := unix.Fchmod(d.fd, d.mode); err != nil && first == nil {
			first = fmt.Errorf("restore directory mode: %w", err)
		}
		unix.Close(d.fd)
	}
	u.unlocked = nil
	return first
}
