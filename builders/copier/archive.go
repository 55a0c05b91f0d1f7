package copier

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/bzip2"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/hull-project/hull/core/layer"
	"golang.org/x/sys/unix"
)

var xzMagic = []byte{0xfd, '7', 'z', 'X', 'Z', 0x00}

// openTop opens a top-level source file for reading, following it inside
// the source root.
func (c *copier) openTop(t top) (*os.File, error) {
	fd, err := openIn(c.sel.root, t.rel, unix.O_RDONLY|unix.O_NONBLOCK)
	if err != nil {
		return nil, &pathError{"open", t.rel, err}
	}
	return os.NewFile(uintptr(fd), t.rel), nil
}

// isArchive reports whether t is a (possibly compressed) tar, as Docker's
// ADD decides it: the decompressed stream must start with a valid tar
// header. Anything else is copied as a plain file.
func (c *copier) isArchive(t top) bool {
	if t.st.Mode&unix.S_IFMT != unix.S_IFREG {
		return false
	}
	f, err := c.openTop(t)
	if err != nil {
		return false
	}
	defer f.Close()
	r, err := decompress(f)
	if err != nil {
		return false
	}
	_, err = tar.NewReader(r).Next()
	return err == nil
}

// decompress returns the plain tar stream of r, detecting gzip, bzip2 and
// xz by their magic bytes.
func decompress(r io.Reader) (io.Reader, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	magic, _ := br.Peek(6)
	switch {
	case bytes.HasPrefix(magic, []byte{0x1f, 0x8b}):
		return gzip.NewReader(br)
	case bytes.HasPrefix(magic, []byte("BZh")):
		return bzip2.NewReader(br), nil
	case bytes.HasPrefix(magic, xzMagic):
		return xzReader(br)
	}
	return br, nil
}

// extract unpacks archive t into directory destRel through core/layer's
// secure extraction (which resolves every entry inside the directory), then
// applies --chown to what the archive named: without it the archive's own
// ownership stays, as in Docker.
func (c *copier) extract(t top, destRel string) error {
	dirfd, err := c.dest.ensureDir(destRel)
	if err != nil {
		return fmt.Errorf("extract %s: %w", t.rel, err)
	}
	// The directory is handed over as its fd's /proc path, so nothing is
	// resolved again by name.
	dir := "/proc/self/fd/" + strconv.Itoa(dirfd)
	err = c.withArchive(t, func(r io.Reader) error {
		return layer.Unpack(r, dir, layer.Options{Chown: true, ApplyWhiteouts: true})
	})
	if err != nil {
		return fmt.Errorf("extract %s: %w", t.rel, err)
	}
	if c.op.UID == nil && c.op.GID == nil {
		return nil
	}
	if err := c.withArchive(t, func(r io.Reader) error { return c.chownArchive(dirfd, r) }); err != nil {
		return fmt.Errorf("extract %s: %w", t.rel, err)
	}
	return nil
}

func (c *copier) withArchive(t top, fn func(io.Reader) error) error {
	f, err := c.openTop(t)
	if err != nil {
		return err
	}
	defer f.Close()
	r, err := decompress(f)
	if err != nil {
		return err
	}
	return fn(r)
}

// chownArchive gives every entry the archive names the copy's owner.
func (c *copier) chownArchive(dirfd int, r io.Reader) error {
	tr := tar.NewReader(r)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		name := cleanRel(hdr.Name)
		if name == "." || strings.HasPrefix(path0(name), ".wh.") {
			continue
		}
		if err := c.chownIn(dirfd, name); err != nil {
			return err
		}
	}
}

// chownIn chowns name inside dirfd without following its last component,
// keeping setuid/setgid bits that chown clears.
func (c *copier) chownIn(dirfd int, name string) error {
	fd, err := openIn(dirfd, name, unix.O_PATH|unix.O_NOFOLLOW)
	if isErrno(err, unix.ENOENT) {
		return nil // skipped by the extraction (a device, a whiteout)
	}
	if err != nil {
		return &pathError{"open", name, err}
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return &pathError{"stat", name, err}
	}
	if err := unix.Fchownat(fd, "", c.dest.uid, c.dest.gid, unix.AT_EMPTY_PATH|unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return &pathError{"chown", name, err}
	}
	if st.Mode&unix.S_IFMT == unix.S_IFREG && st.Mode&(unix.S_ISUID|unix.S_ISGID) != 0 {
		if err := unix.Fchmodat(unix.AT_FDCWD, "/proc/self/fd/"+strconv.Itoa(fd), st.Mode&0o7777, 0); err != nil {
			return &pathError{"chmod", name, err}
		}
	}
	return nil
}

// path0 is the last component of name.
func path0(name string) string {
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		return name[i+1:]
	}
	return name
}
