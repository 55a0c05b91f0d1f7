package spec

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"syscall"
	"time"
)

// FileInfo is one file of the root filesystem, as Host.Stat, Host.Lstat
// and Host.ListDir see it (owners are the container's ids).
type FileInfo struct {
	Name       string
	Size       int64
	Mode       fs.FileMode // type and permission bits, as os.FileInfo's
	ModTime    time.Time
	UID, GID   int
	LinkTarget string // a symlink's text (Lstat, ListDir)
}

// IsDir reports whether the file is a directory.
func (fi FileInfo) IsDir() bool { return fi.Mode.IsDir() }

// RemoveRequest removes a file, symlink or directory.
type RemoveRequest struct {
	Path      string
	Recursive bool // a directory and everything below it, like rm -r
}

// MkdirRequest creates a directory.
type MkdirRequest struct {
	Path    string
	Mode    uint32 // permission bits; 0 = 0755
	Parents bool   // create missing parents, and no error if it exists (mkdir -p)
	Chown   string // user[:group] of what is created; "" = root
}

// SymlinkRequest creates a symbolic link at Path whose text is Target.
type SymlinkRequest struct {
	Path   string
	Target string
	Chown  string // user[:group]; "" = root
}

// The kinds of Host errors. A Host call's error matches at most one with
// errors.Is; ErrNotFound, ErrPermission, ErrExist and ErrInvalid are the
// io/fs errors, so errors.Is(err, fs.ErrNotExist) works as well.
var (
	ErrNotFound   = fs.ErrNotExist
	ErrPermission = fs.ErrPermission
	ErrExist      = fs.ErrExist
	ErrNotDir     = errors.New("not a directory")
	ErrIsDir      = errors.New("is a directory")
	ErrNotEmpty   = errors.New("directory not empty")
	ErrInvalid    = fs.ErrInvalid
	ErrTooLarge   = errors.New("too large")
)

// Kinds are the Err values above, in the order ErrorKind tries them.
var Kinds = []error{ErrNotFound, ErrPermission, ErrNotEmpty, ErrExist, ErrNotDir, ErrIsDir, ErrInvalid, ErrTooLarge}

// HostError is a failed Host call as a plugin sees it: Msg is the core's
// message, Kind one of the Err values above (nil for anything else).
type HostError struct {
	Op   string // the call: "stat", "read file"...
	Msg  string
	Kind error
}

func (e *HostError) Error() string { return "host " + e.Op + ": " + e.Msg }
func (e *HostError) Unwrap() error { return e.Kind }

// ErrorKind returns the kind of err: one of the Err values, from an
// errors.Is match or a syscall errno in its chain; nil when none fits.
func ErrorKind(err error) error {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		switch errno {
		case syscall.ENOENT:
			return ErrNotFound
		case syscall.EACCES, syscall.EPERM, syscall.EROFS:
			return ErrPermission
		case syscall.EEXIST:
			return ErrExist
		case syscall.ENOTEMPTY:
			return ErrNotEmpty
		case syscall.ENOTDIR:
			return ErrNotDir
		case syscall.EISDIR:
			return ErrIsDir
		case syscall.EINVAL, syscall.ELOOP, syscall.EBUSY, syscall.ENAMETOOLONG:
			return ErrInvalid
		case syscall.EFBIG, syscall.E2BIG:
			return ErrTooLarge
		}
		return nil
	}
	for _, k := range Kinds {
		if errors.Is(err, k) {
			return k
		}
	}
	return nil
}

// UnimplementedHost answers every Host call with an ErrUnsupported error.
// Embed it in a test double that implements only what a test needs, so
// the double keeps compiling when Host grows.
type UnimplementedHost struct{}

var _ Host = UnimplementedHost{}

func unsupported(op string) error { return fmt.Errorf("host %s: %w", op, errors.ErrUnsupported) }

func (UnimplementedHost) Run(context.Context, RunRequest) (RunResult, error) {
	return RunResult{}, unsupported("run")
}
func (UnimplementedHost) Copy(context.Context, CopyRequest) error { return unsupported("copy") }
func (UnimplementedHost) ReadFile(context.Context, string) ([]byte, error) {
	return nil, unsupported("read file")
}
func (UnimplementedHost) WriteFile(context.Context, WriteFileRequest) error {
	return unsupported("write file")
}
func (UnimplementedHost) Log(context.Context, string) error { return unsupported("log") }
func (UnimplementedHost) Stat(context.Context, string) (FileInfo, error) {
	return FileInfo{}, unsupported("stat")
}
func (UnimplementedHost) Lstat(context.Context, string) (FileInfo, error) {
	return FileInfo{}, unsupported("lstat")
}
func (UnimplementedHost) ListDir(context.Context, string) ([]FileInfo, error) {
	return nil, unsupported("list dir")
}
func (UnimplementedHost) Remove(context.Context, RemoveRequest) error { return unsupported("remove") }
func (UnimplementedHost) Mkdir(context.Context, MkdirRequest) error   { return unsupported("mkdir") }
func (UnimplementedHost) Symlink(context.Context, SymlinkRequest) error {
	return unsupported("symlink")
}
func (UnimplementedHost) Builtin(context.Context, Request) (Response, error) {
	return Response{}, unsupported("builtin")
}
