package builders

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"time"

	"github.com/hull-project/hull/builders/dockerfile"
	"github.com/hull-project/hull/builders/instructions"
	sdk "github.com/hull-project/hull/plugins/sdk/spec"
	"golang.org/x/sys/unix"
)

// The file-system calls of a plugin's Host. Each runs the "fs" task
// (fsops.go) in the step's namespaces, on the step's root filesystem; a
// failure the request caused comes back as an *os.PathError holding the
// errno, which the plugin sees as a typed error (sdk.ErrNotFound...).

// fs runs one fs task request and returns its answer; content, when not
// nil, receives what follows the answer (read).
func (h *stepHost) fs(ctx context.Context, op string, a fsArgs, content io.Writer) (fsResult, error) {
	if h.closed {
		return fsResult{}, fmt.Errorf("%s: the step is over", op)
	}
	if err := h.ws.ensure(); err != nil {
		return fsResult{}, err
	}
	var out bytes.Buffer
	if err := h.b.runTask(ctx, h.st, h.ws, "fs", a, nil, &limitWriter{w: &out, n: sdk.MaxMessage}); err != nil {
		return fsResult{}, fmt.Errorf("%s %s: %w", op, a.Path, err)
	}
	r := bufio.NewReader(&out)
	line, err := r.ReadBytes('\n')
	var res fsResult
	if err == nil {
		err = json.Unmarshal(line, &res)
	}
	if err != nil {
		return fsResult{}, fmt.Errorf("%s %s: bad answer from the fs task: %v", op, a.Path, err)
	}
	switch {
	case res.Errno != 0:
		return res, &os.PathError{Op: op, Path: a.Path, Err: unix.Errno(res.Errno)}
	case res.Msg != "":
		return res, fmt.Errorf("%s %s: %s", op, a.Path, res.Msg)
	}
	if content != nil {
		if _, err := io.Copy(content, r); err != nil {
			return res, err
		}
	}
	return res, nil
}

// fileInfo converts the task's entry; modes are Linux st_mode bits.
func fileInfo(e *fsEntry) sdk.FileInfo {
	if e == nil {
		return sdk.FileInfo{}
	}
	mode := fs.FileMode(e.Mode & 0o777)
	switch e.Mode & unix.S_IFMT {
	case unix.S_IFDIR:
		mode |= fs.ModeDir
	case unix.S_IFLNK:
		mode |= fs.ModeSymlink
	case unix.S_IFIFO:
		mode |= fs.ModeNamedPipe
	case unix.S_IFSOCK:
		mode |= fs.ModeSocket
	case unix.S_IFBLK:
		mode |= fs.ModeDevice
	case unix.S_IFCHR:
		mode |= fs.ModeDevice | fs.ModeCharDevice
	}
	if e.Mode&unix.S_ISUID != 0 {
		mode |= fs.ModeSetuid
	}
	if e.Mode&unix.S_ISGID != 0 {
		mode |= fs.ModeSetgid
	}
	if e.Mode&unix.S_ISVTX != 0 {
		mode |= fs.ModeSticky
	}
	return sdk.FileInfo{Name: e.Name, Size: e.Size, Mode: mode, ModTime: time.Unix(0, e.MTime),
		UID: e.UID, GID: e.GID, LinkTarget: e.Link}
}

// abs resolves a relative path against the stage's WORKDIR, as WriteFile
// does (the wire only carries absolute paths; in-process callers may not).
func (h *stepHost) abs(p string) string {
	if path.IsAbs(p) {
		return p
	}
	return path.Join("/", h.st.config.WorkingDir, p)
}

// Stat returns a file's metadata, following symlinks inside the root.
func (h *stepHost) Stat(ctx context.Context, p string) (sdk.FileInfo, error) {
	res, err := h.fs(ctx, "stat", fsArgs{Op: "stat", Path: h.abs(p)}, nil)
	return fileInfo(res.Info), err
}

// Lstat is Stat without following a final symlink.
func (h *stepHost) Lstat(ctx context.Context, p string) (sdk.FileInfo, error) {
	res, err := h.fs(ctx, "lstat", fsArgs{Op: "lstat", Path: h.abs(p)}, nil)
	return fileInfo(res.Info), err
}

// ListDir lists a directory of the root filesystem.
func (h *stepHost) ListDir(ctx context.Context, p string) ([]sdk.FileInfo, error) {
	res, err := h.fs(ctx, "list dir", fsArgs{Op: "listdir", Path: h.abs(p)}, nil)
	if err != nil {
		return nil, err
	}
	out := make([]sdk.FileInfo, 0, len(res.Entries))
	for i := range res.Entries {
		out = append(out, fileInfo(&res.Entries[i]))
	}
	return out, nil
}

// Remove removes a file, a symlink or a directory (tree).
func (h *stepHost) Remove(ctx context.Context, r sdk.RemoveRequest) error {
	p := h.abs(r.Path)
	if path.Clean(p) == "/" {
		return &os.PathError{Op: "remove", Path: r.Path, Err: unix.EBUSY}
	}
	_, err := h.fs(ctx, "remove", fsArgs{Op: "remove", Path: p, Recursive: r.Recursive}, nil)
	return err
}

// Mkdir creates a directory, owned by Chown.
func (h *stepHost) Mkdir(ctx context.Context, r sdk.MkdirRequest) error {
	a := fsArgs{Op: "mkdir", Path: h.abs(r.Path), Mode: r.Mode, Parents: r.Parents}
	if r.Chown != "" {
		if err := h.ws.ensure(); err != nil {
			return err
		}
		uid, gid, err := h.resolveOwner(r.Chown)
		if err != nil {
			return err
		}
		a.UID, a.GID = &uid, &gid
	}
	_, err := h.fs(ctx, "mkdir", a, nil)
	return err
}

// Symlink creates a symlink; its target is stored as given (it is always
// resolved inside the root, by the core and in the container).
func (h *stepHost) Symlink(ctx context.Context, r sdk.SymlinkRequest) error {
	a := fsArgs{Op: "symlink", Path: h.abs(r.Path), Target: r.Target}
	if r.Chown != "" {
		if err := h.ws.ensure(); err != nil {
			return err
		}
		uid, gid, err := h.resolveOwner(r.Chown)
		if err != nil {
			return err
		}
		a.UID, a.GID = &uid, &gid
	}
	_, err := h.fs(ctx, "symlink", a, nil)
	return err
}

// Builtin runs hull's built-in handler for the request's keyword in
// process, with this Host: a plugin that overrides COPY delegates to the
// real COPY and sees the same Host calls succeed or fail.
func (h *stepHost) Builtin(ctx context.Context, req sdk.Request) (sdk.Response, error) {
	if h.closed {
		return sdk.Response{}, fmt.Errorf("builtin: the step is over")
	}
	return builtinHandler().Execute(ctx, req, h)
}

// builtinHandler is hull's built-in instruction handler.
func builtinHandler() sdk.Handler { return instructions.Builtins()[0] }

// addBuiltinInputs merges what the built-in handler names for req into
// in, for a plugin that set CacheInputs.Builtin: the step then misses the
// cache whenever the built-in's result could change.
func addBuiltinInputs(ctx context.Context, req sdk.Request, in *sdk.CacheInputs) error {
	if !in.Builtin {
		return nil
	}
	// The plugin's own flags are not the built-in's: it removes them
	// before it delegates, and so does this.
	flags := req.Instruction.Flags
	req.Instruction.Flags = nil
	for _, f := range flags {
		if dockerfile.KnownFlag(req.Instruction.Keyword, f.Name) {
			req.Instruction.Flags = append(req.Instruction.Flags, f)
		}
	}
	b, err := builtinHandler().CacheInputs(ctx, req)
	if err != nil {
		return err
	}
	in.ContextPaths = append(in.ContextPaths, b.ContextPaths...)
	if in.From == "" {
		in.From = b.From
	} else if b.From != "" && b.From != in.From {
		return errors.New("the plugin's CacheInputs.From and the built-in's differ")
	}
	in.Extra = append(in.Extra, "builtin="+instructions.Version)
	in.Extra = append(in.Extra, b.Extra...)
	in.NoCache = in.NoCache || b.NoCache
	return nil
}
