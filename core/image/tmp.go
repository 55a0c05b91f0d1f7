package image

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// tmpPrefix starts the name of every temporary file and directory. The pid
// that follows lets Open tell an abandoned temporary from one that a live
// process is still writing.
const tmpPrefix = ".tmp-"

// tmpName returns a fresh temporary name owned by this process.
func tmpName() string {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand does not fail on Linux
	}
	return fmt.Sprintf("%s%d-%s", tmpPrefix, os.Getpid(), hex.EncodeToString(b[:]))
}

// tmpOwnerAlive reports whether the process that created the temporary
// name may still be using it. Names it cannot parse count as abandoned.
func tmpOwnerAlive(name string) bool {
	rest, ok := strings.CutPrefix(name, tmpPrefix)
	if !ok {
		return false
	}
	pidStr, _, _ := strings.Cut(rest, "-")
	pid, err := strconv.Atoi(pidStr)
	if err != nil || pid <= 0 {
		return false
	}
	if pid == os.Getpid() {
		return true
	}
	// EPERM means the pid exists but belongs to someone else: keep it.
	return unix.Kill(pid, 0) != unix.ESRCH
}

// cleanTemps removes abandoned temporaries: half-written blobs and index
// files, and half-unpacked or half-deleted layer directories.
func (s *Store) cleanTemps() error {
	for _, dir := range []string{s.root, s.blobDir(), s.layerRoot(), s.metaDir()} {
		entries, err := os.ReadDir(dir)
		if err != nil {
			return err
		}
		for _, e := range entries {
			if !strings.HasPrefix(e.Name(), tmpPrefix) || tmpOwnerAlive(e.Name()) {
				continue
			}
			if err := s.removeTree(filepath.Join(dir, e.Name())); err != nil {
				return fmt.Errorf("remove leftover %s: %w", e.Name(), err)
			}
		}
	}
	return nil
}

// removeTree removes a file or a directory. Directories under layers/ may
// hold files owned by subuids, so they go through the Unpacker.
func (s *Store) removeTree(path string) error {
	st, err := os.Lstat(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if st.IsDir() && s.u != nil {
		return s.u.RemoveAll(path)
	}
	return os.RemoveAll(path)
}

// writeFileAtomic writes data to path through a synced temporary in dir,
// so that path holds either its old content or all of the new.
func writeFileAtomic(dir, path string, data []byte) error {
	tmp := filepath.Join(dir, tmpName())
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	return syncDir(dir)
}

// syncDir makes renames into dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}
