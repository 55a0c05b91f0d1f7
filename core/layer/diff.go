package layer

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"sort"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// Diff writes to w a tar of the changes recorded in the overlay upper
// directory upperDir: overlay whiteouts (character devices 0/0) become
// ".wh.NAME" entries and opaque directories (user.overlay.opaque,
// trusted.overlay.opaque or fuse-overlayfs' user.fuseoverlayfs.opaque =
// "y") get a ".wh..wh..opq" entry. Entries come in
// lexical order, so equal trees give equal archives up to timestamps, which
// are rounded to the second. Sockets are skipped.
//
// The upper dir may belong to a running container, which can replace any
// name in it with a symlink at any moment, so nothing is looked up by host
// path below upperDir: every file is opened relative to its parent's fd
// with O_NOFOLLOW, and what is written comes from fstat and read of that
// fd. A name that changes type between stat and open is looked at again.
func Diff(upperDir string, w io.Writer) error {
	return DiffWith(upperDir, w, DiffOptions{})
}

// DiffOptions change what Diff records.
type DiffOptions struct {
	// IDs, when set, turns the owner of each file as this process sees
	// it (the host's ids, for a diff read outside the user namespace)
	// into the owner the archive records (the container's). The root uid
	// of a file capability goes through it too. A diff read inside the
	// container's user namespace needs none: the kernel maps for it.
	IDs func(uid, gid int) (int, int)
}

// DiffWith is Diff with options.
func DiffWith(upperDir string, w io.Writer, opts DiffOptions) error {
	fd, err := unix.Open(upperDir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("diff %s: %w", upperDir, &os.PathError{Op: "open", Path: upperDir, Err: err})
	}
	root := os.NewFile(uintptr(fd), upperDir)
	defer root.Close()
	d := &differ{tw: tar.NewWriter(w), links: map[fileID]string{}, buf: make([]byte, copyBufSize), ids: opts.IDs}
	if err := d.walk(root, "", false); err != nil {
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
	links map[fileID]string
	buf   []byte
	ids   func(uid, gid int) (int, int)
}

// errChanged: a name changed type between its stat and its open (a
// container renaming things while it is diffed).
var errChanged = errors.New("changed while being read")

// walk writes the entries of the open directory dir, whose name in the
// archive is rel ("" for the root), in lexical order. An opaque marker
// file (see opaqueMarker) is written only while opaqueDone is false, and
// then once: fuse-overlayfs marks a directory opaque by an xattr, a
// ".wh..wh..opq" file and a whiteout ".wh..opq" at once, and a tar with
// the same path twice is refused (tar-split) or ambiguous.
func (d *differ) walk(dir *os.File, rel string, opaqueDone bool) error {
	names, err := dir.Readdirnames(-1)
	if err != nil {
		return &os.PathError{Op: "read dir", Path: path.Join(".", rel), Err: err}
	}
	sort.Strings(names)
	dirfd := int(dir.Fd())
	for _, name := range names {
		if opaqueMarker(dirfd, name) {
			if opaqueDone {
				continue
			}
			opaqueDone = true
		}
		if err := d.visit(dirfd, name, path.Join(rel, name)); err != nil {
			return err
		}
	}
	return nil
}

// opaqueMarker reports whether dirfd's child name is written to the
// archive as the opaque whiteout ".wh..wh..opq": a file of that name (of
// any type), or a whiteout (character device 0/0) of ".wh..opq".
func opaqueMarker(dirfd int, name string) bool {
	if name == whiteoutOpaque {
		return true
	}
	if whiteoutPrefix+name != whiteoutOpaque {
		return false
	}
	var st unix.Stat_t
	err := unix.Fstatat(dirfd, name, &st, unix.AT_SYMLINK_NOFOLLOW)
	return err == nil && st.Mode&unix.S_IFMT == unix.S_IFCHR && st.Rdev == 0
}

// hasOpaqueMarker reports whether the open directory dirfd holds an
// opaque marker file.
func hasOpaqueMarker(dirfd int) bool {
	var st unix.Stat_t
	return unix.Fstatat(dirfd, whiteoutOpaque, &st, unix.AT_SYMLINK_NOFOLLOW) == nil ||
		opaqueMarker(dirfd, strings.TrimPrefix(whiteoutOpaque, whiteoutPrefix))
}

// visit writes the entries of dirfd's child name, looking again when it
// changed under us.
func (d *differ) visit(dirfd int, name, rel string) error {
	for range 3 {
		if err := d.entry(dirfd, name, rel); !errors.Is(err, errChanged) {
			return err
		}
	}
	return &os.PathError{Op: "diff", Path: rel, Err: errChanged}
}

// entry writes the tar entries for one file of the upper directory. A
// name removed meanwhile is skipped.
func (d *differ) entry(dirfd int, name, rel string) error {
	var st unix.Stat_t
	if err := unix.Fstatat(dirfd, name, &st, unix.AT_SYMLINK_NOFOLLOW); err == unix.ENOENT {
		return nil
	} else if err != nil {
		return &os.PathError{Op: "stat", Path: rel, Err: err}
	}
	hdr := d.header(rel, &st)
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFCHR:
		if st.Rdev == 0 {
			return d.whiteoutEntry(path.Join(path.Dir(rel), whiteoutPrefix+path.Base(rel)), hdr)
		}
		hdr.Typeflag = tar.TypeChar
	case unix.S_IFBLK:
		hdr.Typeflag = tar.TypeBlock
	case unix.S_IFSOCK:
		return nil
	case unix.S_IFIFO:
		hdr.Typeflag = tar.TypeFifo
	case unix.S_IFLNK:
		return d.symlinkEntry(dirfd, name, hdr)
	case unix.S_IFDIR:
		return d.dirEntry(dirfd, name, rel)
	default:
		return d.fileEntry(dirfd, name, rel)
	}
	hdr.Devmajor, hdr.Devminor = int64(unix.Major(st.Rdev)), int64(unix.Minor(st.Rdev))
	return d.tw.WriteHeader(hdr)
}

// header is baseHeader with the owner mapped through d.ids.
func (d *differ) header(rel string, st *unix.Stat_t) *tar.Header {
	hdr := baseHeader(rel, st)
	if d.ids != nil {
		hdr.Uid, hdr.Gid = d.ids(hdr.Uid, hdr.Gid)
	}
	return hdr
}

// baseHeader fills the fields common to every entry type.
func baseHeader(rel string, st *unix.Stat_t) *tar.Header {
	return &tar.Header{
		Name:    rel,
		Mode:    int64(st.Mode & 0o7777),
		Uid:     int(st.Uid),
		Gid:     int(st.Gid),
		ModTime: time.Unix(st.Mtim.Sec, st.Mtim.Nsec),
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

func (d *differ) symlinkEntry(dirfd int, name string, hdr *tar.Header) error {
	target, err := readlinkAt(dirfd, name)
	if err == unix.EINVAL || err == unix.ENOENT {
		return errChanged
	}
	if err != nil {
		return &os.PathError{Op: "readlink", Path: hdr.Name, Err: err}
	}
	hdr.Typeflag, hdr.Linkname = tar.TypeSymlink, target
	return d.tw.WriteHeader(hdr)
}

// readlinkAt reads the symlink dirfd/name, however long its target.
func readlinkAt(dirfd int, name string) (string, error) {
	for size := 256; ; size *= 2 {
		buf := make([]byte, size)
		n, err := unix.Readlinkat(dirfd, name, buf)
		if err != nil {
			return "", err
		}
		if n < size {
			return string(buf[:n]), nil
		}
	}
}

// openChild opens dirfd's child name with flags plus O_NOFOLLOW and
// checks that it has the file type typ; errChanged when it has not (or is
// a symlink now, or gone).
func openChild(dirfd int, name, rel string, flags int, typ uint32) (*os.File, *unix.Stat_t, error) {
	fd, err := unix.Openat(dirfd, name, flags|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	switch {
	case err == unix.ELOOP || err == unix.ENOTDIR || err == unix.ENOENT || err == unix.ENXIO:
		return nil, nil, errChanged
	case err != nil:
		return nil, nil, &os.PathError{Op: "open", Path: rel, Err: err}
	}
	f := os.NewFile(uintptr(fd), rel)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		f.Close()
		return nil, nil, &os.PathError{Op: "fstat", Path: rel, Err: err}
	}
	if st.Mode&unix.S_IFMT != typ {
		f.Close()
		return nil, nil, errChanged
	}
	return f, &st, nil
}

// dirEntry writes a directory and, if overlayfs marked it opaque (by an
// xattr or a marker file, see walk), its opaque whiteout right after it,
// once, then its contents.
func (d *differ) dirEntry(dirfd int, name, rel string) error {
	f, st, err := openChild(dirfd, name, rel, unix.O_RDONLY|unix.O_DIRECTORY, unix.S_IFDIR)
	if err != nil {
		return err
	}
	defer f.Close()
	hdr := d.header(rel+"/", st)
	hdr.Typeflag = tar.TypeDir
	if err := d.addXattrs(int(f.Fd()), hdr); err != nil {
		return err
	}
	if err := d.tw.WriteHeader(hdr); err != nil {
		return err
	}
	opaque := isOpaque(int(f.Fd())) || hasOpaqueMarker(int(f.Fd()))
	if opaque {
		if err := d.whiteoutEntry(path.Join(rel, whiteoutOpaque), hdr); err != nil {
			return err
		}
	}
	return d.walk(f, rel, opaque)
}

// fileEntry writes a regular file, or a hardlink to the first name seen of
// the same inode. O_NONBLOCK: a FIFO swapped in must not block the open.
func (d *differ) fileEntry(dirfd int, name, rel string) error {
	f, st, err := openChild(dirfd, name, rel, unix.O_RDONLY|unix.O_NONBLOCK, unix.S_IFREG)
	if err != nil {
		return err
	}
	defer f.Close()
	hdr := d.header(rel, st)
	if st.Nlink > 1 {
		id := fileID{uint64(st.Dev), st.Ino}
		if first, ok := d.links[id]; ok {
			hdr.Typeflag, hdr.Linkname = tar.TypeLink, first
			return d.tw.WriteHeader(hdr)
		}
		d.links[id] = hdr.Name
	}
	hdr.Typeflag, hdr.Size = tar.TypeReg, st.Size
	if err := d.addXattrs(int(f.Fd()), hdr); err != nil {
		return err
	}
	if err := d.tw.WriteHeader(hdr); err != nil {
		return err
	}
	// A file that shrinks meanwhile fails the copy (the header promised
	// Size bytes), naming the file; one that grows is cut at Size. Not
	// errChanged: with the header written, visit cannot look again.
	n, err := io.CopyBuffer(d.tw, io.LimitReader(f, st.Size), d.buf)
	if err == nil && n < st.Size {
		err = &os.PathError{Op: "diff", Path: rel, Err: errShrank}
	}
	return err
}

// errShrank: a file was cut short while its content was copied (a commit
// --pause=false of a container writing it).
var errShrank = errors.New("changed while being read: it shrank while its content was copied")

// isOpaque reports whether overlayfs (or fuse-overlayfs) marked directory
// fd opaque.
func isOpaque(fd int) bool {
	for _, name := range []string{opaqueXattr, trustedOpaque, fuseOpaque} {
		buf := make([]byte, 8)
		n, err := unix.Fgetxattr(fd, name, buf)
		if err == nil && string(buf[:n]) == "y" {
			return true
		}
	}
	return false
}

// addXattrs records fd's user.* xattrs (not overlayfs' own) and its file
// capabilities as PAX records.
func (d *differ) addXattrs(fd int, hdr *tar.Header) error {
	names, err := listXattrs(fd, hdr.Name)
	if err != nil {
		return err
	}
	for _, name := range names {
		if !wantXattr(paxXattr + name) {
			continue
		}
		val, err := getXattr(fd, hdr.Name, name)
		if err != nil {
			return err
		}
		if name == capXattr && d.ids != nil {
			val = mapCapRoot(val, func(uid int) int { u, _ := d.ids(uid, 0); return u })
		}
		if hdr.PAXRecords == nil {
			hdr.PAXRecords = map[string]string{}
		}
		hdr.PAXRecords[paxXattr+name] = string(val)
	}
	return nil
}

// listXattrs returns fd's xattr names, sorted; none where unsupported.
// p names the file in errors.
func listXattrs(fd int, p string) ([]string, error) {
	sz, err := unix.Flistxattr(fd, nil)
	if errors.Is(err, unix.EOPNOTSUPP) || sz == 0 {
		return nil, nil
	}
	if err != nil {
		return nil, &os.PathError{Op: "listxattr", Path: p, Err: err}
	}
	buf := make([]byte, sz)
	sz, err = unix.Flistxattr(fd, buf)
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

func getXattr(fd int, p, name string) ([]byte, error) {
	sz, err := unix.Fgetxattr(fd, name, nil)
	if err != nil {
		return nil, &os.PathError{Op: "getxattr " + name, Path: p, Err: err}
	}
	buf := make([]byte, sz)
	sz, err = unix.Fgetxattr(fd, name, buf)
	if err != nil {
		return nil, &os.PathError{Op: "getxattr " + name, Path: p, Err: err}
	}
	return buf[:sz], nil
}
