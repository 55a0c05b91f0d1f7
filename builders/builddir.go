package builders

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// A build's scratch dirs (Env.WorkDir/<id>, and the context a tar on stdin
// is unpacked to) belong to the hull process running the build, which
// holds an flock on each for as long as it runs. The kernel drops the lock
// when that process dies however it dies, so a dir that nobody holds is
// the leftover of a killed build, and SweepWorkDirs removes it; a dir of a
// build running in another hull process is always locked and never
// touched.

// newDirPrefix names a dir being created: it is locked before it gets its
// real name, so a sweep never sees it unlocked. The pid after the prefix
// tells a sweep whether its creator still lives.
const newDirPrefix = ".new-"

// WorkDir is a locked scratch dir; Release drops the lock (after the dir
// is removed, or to hand it to a sweep).
type WorkDir struct {
	Path string
	lock *os.File
}

// NewWorkDir creates parent/name (0700) locked by this process.
func NewWorkDir(parent, name string) (*WorkDir, error) {
	tmp := filepath.Join(parent, fmt.Sprintf("%s%d-%s", newDirPrefix, os.Getpid(), name))
	if err := os.Mkdir(tmp, 0o700); err != nil {
		return nil, fmt.Errorf("create build dir: %w", err)
	}
	f, err := lockDir(tmp, unix.LOCK_EX|unix.LOCK_NB)
	if err == nil {
		final := filepath.Join(parent, name)
		if err = os.Rename(tmp, final); err == nil {
			return &WorkDir{Path: final, lock: f}, nil
		}
		f.Close()
	}
	os.Remove(tmp)
	return nil, fmt.Errorf("create build dir: %w", err)
}

// Release drops the lock.
func (w *WorkDir) Release() {
	if w != nil && w.lock != nil {
		w.lock.Close()
		w.lock = nil
	}
}

// lockDir opens dir and flocks it (how: LOCK_EX, with LOCK_NB not to wait).
// The fd is close-on-exec: no container or plugin may keep the lock.
func lockDir(dir string, how int) (*os.File, error) {
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: dir, Err: err}
	}
	if err := unix.Flock(fd, how); err != nil {
		unix.Close(fd)
		return nil, &os.PathError{Op: "lock", Path: dir, Err: err}
	}
	return os.NewFile(uintptr(fd), dir), nil
}

// SweepWorkDirs removes the dirs in parent whose build is gone (see
// above) with remove, which can delete files of subordinate ids, and
// their runtime state in stateParent/<name> ("" for none). It returns the
// names it removed. A missing parent holds nothing.
func SweepWorkDirs(parent, stateParent string, remove func(string) error) ([]string, error) {
	entries, err := os.ReadDir(parent)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var removed []string
	var errs []error
	for _, e := range entries {
		name := e.Name()
		if !e.IsDir() || strings.HasPrefix(name, newDirPrefix) && creatorAlive(name) {
			continue
		}
		dir := filepath.Join(parent, name)
		f, err := lockDir(dir, unix.LOCK_EX|unix.LOCK_NB)
		if err != nil {
			continue // a live build holds it, or it went meanwhile
		}
		err = remove(dir)
		f.Close()
		if err != nil {
			errs = append(errs, fmt.Errorf("remove build dir %s: %w", name, err))
			continue
		}
		if stateParent != "" {
			os.RemoveAll(filepath.Join(stateParent, name))
		}
		removed = append(removed, name)
	}
	// stateParent is not swept on its own: the runtime dir is the user's,
	// shared by every store, so a state dir without a build dir here may
	// well be a running build's of another store.
	return removed, errors.Join(errs...)
}

// creatorAlive reports whether the process named in a ".new-PID-..." dir
// may still be creating it.
func creatorAlive(name string) bool {
	pidStr, _, _ := strings.Cut(strings.TrimPrefix(name, newDirPrefix), "-")
	pid, err := strconv.Atoi(pidStr)
	if err != nil || pid <= 0 {
		return false
	}
	return pid == os.Getpid() || unix.Kill(pid, 0) != unix.ESRCH
}
