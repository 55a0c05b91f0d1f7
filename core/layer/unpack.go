package layer

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/bzip2"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"

	"golang.org/x/sys/unix"
)

// Options controls how Unpack treats ownership and whiteouts.
type Options struct {
	// Chown applies the tar header's uid/gid (lchown). Set when running
	// inside a user namespace with a full subuid mapping; ids the namespace
	// cannot map (EINVAL) fall back to 0:0. When false ownership is left as
	// the extracting user.
	Chown bool
	// ApplyWhiteouts applies whiteouts to dir instead of turning them into
	// overlayfs whiteouts: NAME (or the directory's previous contents) is
	// removed. Used when flattening layers into one directory.
	ApplyWhiteouts bool
}

const (
	whiteoutPrefix = ".wh."
	whiteoutMeta   = ".wh..wh."
	whiteoutOpaque = ".wh..wh..opq"
	copyBufSize    = 1 << 20
)

// errEscape marks an entry whose name or link target leaves the target dir.
var errEscape = errors.New("path escapes the target directory")

// Unpack extracts the tar stream r (plain, gzip or bzip2, detected by magic
// bytes) into dir, which must exist. Errors name the entry they concern.
func Unpack(r io.Reader, dir string, opts Options) error {
	tr, closeFn, err := decompress(r)
	if err != nil {
		return fmt.Errorf("unpack %s: %w", dir, err)
	}
	defer closeFn()
	u, err := newUnpacker(dir, opts)
	if err != nil {
		return fmt.Errorf("unpack %s: %w", dir, err)
	}
	defer u.close()
	if err := u.run(tar.NewReader(tr)); err != nil {
		return err
	}
	// Directory modes from the layer win over the restored ones.
	if err := u.relock(); err != nil {
		return fmt.Errorf("unpack %s: %w", dir, err)
	}
	return u.finishDirs()
}

// decompress sniffs the stream's magic bytes and returns a reader of the
// plain tar plus a function releasing the decompressor.
func decompress(r io.Reader) (io.Reader, func(), error) {
	br := bufio.NewReaderSize(r, 64<<10)
	magic, _ := br.Peek(4) // a short or empty stream is left to the tar reader
	switch {
	case bytes.HasPrefix(magic, []byte{0x1f, 0x8b}):
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, nil, fmt.Errorf("gzip: %w", err)
		}
		return zr, func() { zr.Close() }, nil
	case bytes.HasPrefix(magic, []byte("BZh")):
		return bzip2.NewReader(br), func() {}, nil
	case bytes.HasPrefix(magic, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		return nil, nil, errors.New("zstd-compressed layers are not supported")
	}
	return br, func() {}, nil
}

// run extracts every entry of tr in order.
func (u *unpacker) run(tr *tar.Reader) error {
	prev := "(start of archive)"
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("unpack entry after %s: %w", prev, err)
		}
		prev = hdr.Name
		if err := u.entry(hdr, tr); err != nil {
			return fmt.Errorf("unpack %s: %w", hdr.Name, err)
		}
	}
}

// entry extracts one tar entry, dispatching on whiteouts and type.
func (u *unpacker) entry(hdr *tar.Header, r io.Reader) error {
	if hdr.Typeflag == tar.TypeXGlobalHeader {
		return nil
	}
	name, err := cleanName(hdr.Name)
	if err != nil {
		return err
	}
	if name == "." {
		if hdr.Typeflag != tar.TypeDir {
			return errors.New("a non-directory entry names the root")
		}
		u.deferDir(name, hdr)
		return nil
	}
	parent, base := path.Dir(name), path.Base(name)
	if strings.HasPrefix(base, whiteoutPrefix) {
		return u.whiteout(parent, base, hdr)
	}
	switch hdr.Typeflag {
	case tar.TypeChar, tar.TypeBlock:
		return nil // device nodes are never created from a layer
	case tar.TypeDir, tar.TypeReg, tar.TypeRegA, tar.TypeSymlink, tar.TypeLink, tar.TypeFifo:
	default:
		return fmt.Errorf("unsupported tar entry type %q", hdr.Typeflag)
	}
	pfd, err := u.parent(parent, true)
	if err != nil {
		return err
	}
	u.markUnpacked(name)
	return u.create(pfd, name, base, hdr, r)
}

// create makes the entry base in the parent directory pfd.
func (u *unpacker) create(pfd int, name, base string, hdr *tar.Header, r io.Reader) error {
	switch hdr.Typeflag {
	case tar.TypeDir:
		return u.mkdir(pfd, name, base, hdr)
	case tar.TypeSymlink:
		return u.symlink(pfd, base, hdr)
	case tar.TypeLink:
		return u.hardlink(pfd, base, hdr)
	case tar.TypeFifo:
		return u.fifo(pfd, base, hdr)
	}
	return u.file(pfd, base, hdr, r)
}

// cleanName turns a tar entry name into a clean path relative to the target
// directory, rejecting names that climb out of it.
func cleanName(name string) (string, error) {
	for {
		switch {
		case strings.HasPrefix(name, "/"):
			name = name[1:]
		case strings.HasPrefix(name, "./"):
			name = name[2:]
		default:
			name = path.Clean(name)
			if name == ".." || strings.HasPrefix(name, "../") {
				return "", fmt.Errorf("%q: %w", name, errEscape)
			}
			return name, nil
		}
	}
}

// ignoreErr reports whether err is one of errs, so callers can list the
// errno values a step tolerates.
func ignoreErr(err error, errs ...unix.Errno) bool {
	for _, e := range errs {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}
