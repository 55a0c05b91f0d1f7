package layer

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// Diff writes to w a tar of the changes recorded in the overlay upper
// directory upperDir: overlay whiteouts (character devices 0/0) become
// ".wh.NAME" entries and opaque directories (user.overlay.opaque or
// trusted.overlay.opaque = "y") get a ".wh..wh..opq" entry. Entries come in
// lexical order, so equal trees give equal archives up to timestamps, which
// are rounded to the second. Sockets are skipped.
func Diff(upperDir string, w io.Writer) error {
	d := &differ{tw: tar.NewWriter(w), root: upperDir, links: map[fileID]string{}, buf: make([]byte, copyBufSize)}
	if err := filepath.WalkDir(upperDir, d.visit); err != nil {
		return fmt.Errorf("diff %s: %w", upperDir, err)
	}
	if err := d.tw.Close(); err != nil {
		return fmt.Errorf("diff %s: %w", upperDir, err)
	}
	return nil
}

type fileID struct{ dev, ino uint64 }

// differ holds the state of one Diff: the writer, and the first name seen
// of each multiply-linked file so later names become hardlinks.
type differ struct {
	tw    *tar.Writer
	root  string
	links map[fileID]string
	buf   []byte
}

func (d *differ) visit(p string, _ fs.DirEntry, err error) error {
	if err != nil {
		return err
	}
	rel, err := filepath.Rel(d.root, p)
	if err != nil || rel == "." {
		return err
	}
	rel = filepath.ToSlash(rel)
	fi, err := os.Lstat(p)
	if err != nil {
		return err
	}
	if err := d.entry(p, rel, fi); err != nil {
		return fmt.Errorf("%s: %w", rel, err)
	}
	return nil
}

// entry writes the tar entries for one file of the upper directory.
func (d *differ) entry(p, rel string, fi os.FileInfo) error {
	st := fi.Sys().(*syscall.Stat_t)
	hdr := baseHeader(rel, fi, st)
	switch fi.Mode().Type() {
	case fs.ModeDevice | fs.ModeCharDevice:
		if st.Rdev == 0 {
			return d.whiteoutEntry(path.Join(path.Dir(rel), whiteoutPrefix+path.Base(rel)), hdr)
		}
		hdr.Typeflag = tar.TypeChar
	case fs.ModeDevice:
		hdr.Typeflag = tar.TypeBlock
	case fs.ModeSocket:
		return nil
	case fs.ModeNamedPipe:
		hdr.Typeflag = tar.TypeFifo
	case fs.ModeSymlink:
		return d.symlinkEntry(p, hdr)
	case fs.ModeDir:
		return d.dirEntry(p, rel, hdr)
	default:
		return d.fileEntry(p, hdr, st)
	}
	hdr.Devmajor, hdr.Devminor = int64(unix.Major(st.Rdev)), int64(unix.Minor(st.Rdev))
	return d.tw.WriteHeader(hdr)
}

// baseHeader fills the fields common to every entry type.
func baseHeader(rel string, fi os.FileInfo, st *syscall.Stat_t) *tar.Header {
	return &tar.Header{
		Name:    rel,
		Mode:    int64(st.Mode & 0o7777),
		Uid:     int(st.Uid),
		Gid:     int(st.Gid),
		ModTime: fi.ModTime(),
	}
}

// whiteoutEntry writes an empty regular file name with hdr's metadata.
func (d *differ) whiteoutEntry(name string, hdr *tar.Header) error {
	return d.tw.WriteHeader(&tar.Header{
		Typeflag: tar.TypeReg,
		Name:     name,
		Mode:     hdr.Mode & 0o777,
		Uid:      hdr.Uid,
		Gid:      hdr.Gid,
		ModTime:  hdr.ModTime,
	})
}

func (d *differ) symlinkEntry(p string, hdr *tar.Header) error {
	target, err := os.Readlink(p)
	if err != nil {
		return err
	}
	hdr.Typeflag, hdr.Linkname = tar.TypeSymlink, target
	return d.tw.WriteHeader(hdr)
}

// dirEntry writes a directory and, if overlayfs marked it opaque, its
// opaque whiteout right after it.
func (d *differ) dirEntry(p, rel string, hdr *tar.Header) error {
	hdr.Typeflag, hdr.Name = tar.TypeDir, rel+"/"
	if err := addXattrs(p, hdr); err != nil {
		return err
	}
	if err := d.tw.WriteHeader(hdr); err != nil {
		return err
	}
	if !isOpaque(p) {
		return nil
	}
	return d.whiteoutEntry(path.Join(rel, whiteoutOpaque), hdr)
}

// fileEntry writes a regular file, or a hardlink to the first name seen of
// the same inode.
func (d *differ) fileEntry(p string, hdr *tar.Header, st *syscall.Stat_t) error {
	if st.Nlink > 1 {
		id := fileID{uint64(st.Dev), st.Ino}
		if first, ok := d.links[id]; ok {
			hdr.Typeflag, hdr.Linkname = tar.TypeLink, first
			return d.tw.WriteHeader(hdr)
		}
		d.links[id] = hdr.Name
	}
	hdr.Typeflag, hdr.Size = tar.TypeReg, st.Size
	if err := addXattrs(p, hdr); err != nil {
		return err
	}
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := d.tw.WriteHeader(hdr); err != nil {
		return err
	}
	_, err = io.CopyBuffer(d.tw, io.LimitReader(f, st.Size), d.buf)
	return err
}

// isOpaque reports whether overlayfs marked directory p opaque.
func isOpaque(p string) bool {
	for _, name := range []string{opaqueXattr, trustedOpaque} {
		buf := make([]byte, 8)
		n, err := unix.Lgetxattr(p, name, buf)
		if err == nil && string(buf[:n]) == "y" {
			return true
		}
	}
	return false
}

// addXattrs records p's user.* xattrs (not overlayfs' own) as PAX records.
func addXattrs(p string, hdr *tar.Header) error {
	names, err := listXattrs(p)
	if err != nil {
		return err
	}
	for _, name := range names {
		if !strings.HasPrefix(name, userXattr) || strings.HasPrefix(name, overlayXattr) {
			continue
		}
		val, err := getXattr(p, name)
		if err != nil {
			return err
		}
		if hdr.PAXRecords == nil {
			hdr.PAXRecords = map[string]string{}
		}
		hdr.PAXRecords[paxXattr+name] = string(val)
	}
	return nil
}

// listXattrs returns p's xattr names, sorted; none where unsupported.
func listXattrs(p string) ([]string, error) {
	sz, err := unix.Llistxattr(p, nil)
	if errors.Is(err, unix.EOPNOTSUPP) || sz == 0 {
		return nil, nil
	}
	if err != nil {
		return nil, &os.PathError{Op: "listxattr", Path: p, Err: err}
	}
	buf := make([]byte, sz)
	sz, err = unix.Llistxattr(p, buf)
	if err != nil {
		return nil, &os.PathError{Op: "listxattr", Path: p, Err: err}
	}
	var names []string
	for _, n := range strings.Split(string(buf[:sz]), "\x00") {
		if n != "" {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names, nil
}

func getXattr(p, name string) ([]byte, error) {
	sz, err := unix.Lgetxattr(p, name, nil)
	if err != nil {
		return nil, &os.PathError{Op: "getxattr " + name, Path: p, Err: err}
	}
	buf := make([]byte, sz)
	sz, err = unix.Lgetxattr(p, name, buf)
	if err != nil {
		return nil, &os.PathError{Op: "getxattr " + name, Path: p, Err: err}
	}
	return buf[:sz], nil
}
