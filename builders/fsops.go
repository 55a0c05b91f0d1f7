package builders

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"sort"
	"strings"

	"golang.org/x/sys/unix"
)

// The "fs" task performs one plugin Host request on the step's root
// filesystem (stat, lstat, listdir, remove, mkdir, symlink, read), inside
// the step's user namespace, where files of every mapped owner can be
// read and changed. Every path is resolved from one fd of the root with
// openat2 RESOLVE_IN_ROOT: "..", absolute symlinks and symlinked parents
// stay below it, and the last component of remove, lstat, mkdir and
// symlink is never followed. Nothing is ever opened through a host path
// joined with a container path.
//
// The task writes one JSON fsResult line to stdout; a failure the plugin
// caused (a missing file, a non-empty directory) is an fsResult with an
// errno, not a task failure, so the host side can hand the plugin a typed
// error. For read, the file's bytes follow the line.

// fsArgs is one request of the fs task.
type fsArgs struct {
	Op        string `json:"op"`
	Path      string `json:"path"`
	Target    string `json:"target,omitempty"`    // symlink: the link's text
	Mode      uint32 `json:"mode,omitempty"`      // mkdir: permission bits
	Parents   bool   `json:"parents,omitempty"`   // mkdir -p
	Recursive bool   `json:"recursive,omitempty"` // remove a tree
	UID       *int   `json:"uid,omitempty"`       // mkdir, symlink: owner
	GID       *int   `json:"gid,omitempty"`
	Limit     int64  `json:"limit,omitempty"` // read: the largest file
}

// fsResult is the task's answer.
type fsResult struct {
	Errno   int       `json:"errno,omitempty"` // the failure's errno, 0 = success
	Msg     string    `json:"msg,omitempty"`   // the failure without an errno
	Info    *fsEntry  `json:"info,omitempty"`  // stat, lstat
	Entries []fsEntry `json:"entries,omitempty"`
	Size    int64     `json:"size,omitempty"` // read: bytes that follow
}

// fsEntry is one file's metadata, as lstat or stat sees it inside the
// user namespace.
type fsEntry struct {
	Name  string `json:"name"`
	Size  int64  `json:"size"`
	Mode  uint32 `json:"mode"` // st_mode: type and permission bits
	MTime int64  `json:"mtime"`
	UID   int    `json:"uid"`
	GID   int    `json:"gid"`
	Link  string `json:"link,omitempty"` // a symlink's text
}

// maxDirEntries bounds a listdir answer.
const maxDirEntries = 100000

// fsTask runs in the step's namespaces (see Tasks).
func fsTask(rootfs string, _ []string, args json.RawMessage) error {
	var a fsArgs
	if err := json.Unmarshal(args, &a); err != nil {
		return err
	}
	return fsDo(rootfs, a, os.Stdout)
}

// fsDo performs a on the tree at rootfs and writes the answer to w.
func fsDo(rootfs string, a fsArgs, w io.Writer) error {
	rfd, err := unix.Open(rootfs, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return &os.PathError{Op: "open", Path: rootfs, Err: err}
	}
	defer unix.Close(rfd)
	var res fsResult
	var content *os.File
	switch a.Op {
	case "stat":
		res.Info, err = fsStat(rfd, a.Path)
	case "lstat":
		res.Info, err = fsLstat(rfd, a.Path)
	case "listdir":
		res.Entries, err = fsListDir(rfd, a.Path)
	case "remove":
		err = fsRemove(rfd, a.Path, a.Recursive)
	case "mkdir":
		err = fsMkdir(rfd, a)
	case "symlink":
		err = fsSymlink(rfd, a)
	case "read":
		content, res.Size, err = fsOpenRead(rfd, a.Path, a.Limit)
		if content != nil {
			defer content.Close()
		}
	default:
		return fmt.Errorf("unknown fs op %q", a.Op)
	}
	if err != nil {
		var errno unix.Errno
		if errors.As(err, &errno) {
			res.Errno = int(errno)
		} else {
			res.Msg = err.Error()
		}
		res.Info, res.Entries, res.Size = nil, nil, 0
	}
	line, err := json.Marshal(res)
	if err != nil {
		return err
	}
	if _, err := w.Write(append(line, '\n')); err != nil {
		return err
	}
	if content != nil && res.Errno == 0 && res.Msg == "" {
		_, err = io.Copy(w, io.LimitReader(content, res.Size))
	}
	return err
}

// fsRel is the clean path relative to the root ("." for the root): ".."
// cannot climb above it.
func fsRel(p string) string {
	rel := strings.TrimPrefix(path.Clean("/"+p), "/")
	if rel == "" {
		return "."
	}
	return rel
}

// fsResolve opens p inside the root rfd, following symlinks inside it.
func fsResolve(rfd int, p string, flags int) (int, error) {
	how := &unix.OpenHow{Flags: uint64(flags | unix.O_CLOEXEC), Resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS}
	for i := 0; ; i++ {
		fd, err := unix.Openat2(rfd, fsRel(p), how)
		if (err == unix.EAGAIN || err == unix.EINTR) && i < 16 {
			continue
		}
		return fd, err
	}
}

// fsParent opens the directory holding p inside the root and returns it
// with p's last component, which the caller acts on without following
// it. The root itself has no parent: EBUSY, as rmdir("/") says.
func fsParent(rfd int, p string) (int, string, error) {
	rel := fsRel(p)
	if rel == "." {
		return -1, "", unix.EBUSY
	}
	dir, base := path.Split(rel)
	fd, err := fsResolve(rfd, dir, unix.O_PATH|unix.O_DIRECTORY)
	return fd, base, err
}

func fsEntryOf(name string, st *unix.Stat_t) *fsEntry {
	return &fsEntry{Name: name, Size: st.Size, Mode: st.Mode, MTime: st.Mtim.Nano(), UID: int(st.Uid), GID: int(st.Gid)}
}

func fsStat(rfd int, p string) (*fsEntry, error) {
	fd, err := fsResolve(rfd, p, unix.O_PATH)
	if err != nil {
		return nil, err
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return nil, err
	}
	return fsEntryOf(path.Base(path.Clean("/"+p)), &st), nil
}

func fsLstat(rfd int, p string) (*fsEntry, error) {
	if fsRel(p) == "." {
		return fsStat(rfd, "/")
	}
	dfd, base, err := fsParent(rfd, p)
	if err != nil {
		return nil, err
	}
	defer unix.Close(dfd)
	return fsLstatAt(dfd, base)
}

// fsLstatAt stats name in the directory dfd without following it.
func fsLstatAt(dfd int, name string) (*fsEntry, error) {
	var st unix.Stat_t
	if err := unix.Fstatat(dfd, name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return nil, err
	}
	e := fsEntryOf(name, &st)
	if st.Mode&unix.S_IFMT == unix.S_IFLNK {
		buf := make([]byte, unix.PathMax)
		n, err := unix.Readlinkat(dfd, name, buf)
		if err != nil {
			return nil, err
		}
		e.Link = string(buf[:n])
	}
	return e, nil
}

func fsListDir(rfd int, p string) ([]fsEntry, error) {
	fd, err := fsResolve(rfd, p, unix.O_RDONLY|unix.O_DIRECTORY)
	if err != nil {
		return nil, err
	}
	dir := os.NewFile(uintptr(fd), p)
	defer dir.Close()
	names, err := dir.Readdirnames(maxDirEntries + 1)
	if err != nil && err != io.EOF {
		return nil, err
	}
	if len(names) > maxDirEntries {
		return nil, fmt.Errorf("directory %s has more than %d entries", p, maxDirEntries)
	}
	sort.Strings(names)
	out := make([]fsEntry, 0, len(names))
	for _, n := range names {
		e, err := fsLstatAt(fd, n)
		if errors.Is(err, unix.ENOENT) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, *e)
	}
	return out, nil
}

func fsRemove(rfd int, p string, recursive bool) error {
	dfd, base, err := fsParent(rfd, p)
	if err != nil {
		return err
	}
	defer unix.Close(dfd)
	if recursive {
		return fsRemoveAll(dfd, base, 0)
	}
	err = unix.Unlinkat(dfd, base, 0)
	if err == unix.EISDIR {
		err = unix.Unlinkat(dfd, base, unix.AT_REMOVEDIR)
	}
	return err
}

// fsRemoveAll removes name below dfd and everything under it, never
// following a symlink: a link is removed, not what it names.
func fsRemoveAll(dfd int, name string, depth int) error {
	if depth > 4096 {
		return unix.ELOOP
	}
	unlinkErr := unix.Unlinkat(dfd, name, 0)
	if unlinkErr != unix.EISDIR && unlinkErr != unix.EPERM {
		return unlinkErr
	}
	fd, err := unix.Openat(dfd, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err == unix.ENOTDIR || err == unix.ELOOP {
		return unlinkErr // not a directory: the unlink's own refusal
	}
	if err != nil {
		return err
	}
	dir := os.NewFile(uintptr(fd), name)
	defer dir.Close()
	for {
		names, err := dir.Readdirnames(1024)
		for _, n := range names {
			if err := fsRemoveAll(fd, n, depth+1); err != nil && err != unix.ENOENT {
				return err
			}
		}
		if err == io.EOF || len(names) == 0 {
			break
		}
		if err != nil {
			return err
		}
		// Entries were removed: read the directory again from the start.
		if _, err := unix.Seek(fd, 0, io.SeekStart); err != nil {
			return err
		}
	}
	return unix.Unlinkat(dfd, name, unix.AT_REMOVEDIR)
}

func fsMkdir(rfd int, a fsArgs) error {
	mode := a.Mode
	if mode == 0 {
		mode = 0o755
	}
	if !a.Parents {
		return fsMkdirOne(rfd, a.Path, mode, a.UID, a.GID)
	}
	rel := fsRel(a.Path)
	if rel == "." {
		return nil
	}
	parts := strings.Split(rel, "/")
	for i := range parts {
		prefix := strings.Join(parts[:i+1], "/")
		err := fsMkdirOne(rfd, prefix, mode, a.UID, a.GID)
		if err != unix.EEXIST {
			if err != nil {
				return err
			}
			continue
		}
		// What exists must be a directory, or a link to one inside the
		// root, as for mkdir -p.
		fd, err := fsResolve(rfd, prefix, unix.O_PATH|unix.O_DIRECTORY)
		if err != nil {
			return err
		}
		unix.Close(fd)
	}
	return nil
}

// fsMkdirOne creates the directory p (its parent must exist) with mode
// and owner.
func fsMkdirOne(rfd int, p string, mode uint32, uid, gid *int) error {
	dfd, base, err := fsParent(rfd, p)
	if err == unix.EBUSY {
		return unix.EEXIST
	}
	if err != nil {
		return err
	}
	defer unix.Close(dfd)
	if err := unix.Mkdirat(dfd, base, 0o700); err != nil {
		return err
	}
	fd, err := unix.Openat(dfd, base, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	if uid != nil && gid != nil {
		if err := unix.Fchown(fd, *uid, *gid); err != nil {
			return err
		}
	}
	return unix.Fchmod(fd, mode)
}

func fsSymlink(rfd int, a fsArgs) error {
	if a.Target == "" || strings.ContainsRune(a.Target, 0) || len(a.Target) >= unix.PathMax {
		return unix.EINVAL
	}
	dfd, base, err := fsParent(rfd, a.Path)
	if err == unix.EBUSY {
		return unix.EEXIST
	}
	if err != nil {
		return err
	}
	defer unix.Close(dfd)
	if err := unix.Symlinkat(a.Target, dfd, base); err != nil {
		return err
	}
	if a.UID != nil && a.GID != nil {
		return unix.Fchownat(dfd, base, *a.UID, *a.GID, unix.AT_SYMLINK_NOFOLLOW)
	}
	return nil
}

// fsOpenRead opens a regular file for reading. O_NONBLOCK keeps a FIFO
// from blocking the open; anything but a regular file is refused.
func fsOpenRead(rfd int, p string, limit int64) (*os.File, int64, error) {
	fd, err := fsResolve(rfd, p, unix.O_RDONLY|unix.O_NONBLOCK)
	if err != nil {
		return nil, 0, err
	}
	f := os.NewFile(uintptr(fd), p)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		f.Close()
		return nil, 0, err
	}
	switch {
	case st.Mode&unix.S_IFMT == unix.S_IFDIR:
		f.Close()
		return nil, 0, unix.EISDIR
	case st.Mode&unix.S_IFMT != unix.S_IFREG:
		f.Close()
		return nil, 0, fmt.Errorf("%s is not a regular file", p)
	case limit > 0 && st.Size > limit:
		f.Close()
		return nil, 0, unix.EFBIG
	}
	return f, st.Size, nil
}
