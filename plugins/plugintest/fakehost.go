package plugintest

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hull-project/hull/plugins/sdk"
)

// FakeHost is an sdk.Host over an in-memory root filesystem, for plugin
// tests: files, directories and symlinks behave as the core's do (paths
// must be absolute and clean, symlinks resolve inside the root, errors
// match sdk.ErrNotFound, sdk.ErrExist... with errors.Is). Run and Builtin
// do what RunFunc and BuiltinFunc say; Copy only records its request.
// Chown takes numeric uid[:gid] only (a name counts as root).
// The zero value is not usable: call NewFakeHost. It is safe for
// concurrent use.
type FakeHost struct {
	// RunFunc answers Run (nil: exit code 0, no output).
	RunFunc func(ctx context.Context, r sdk.RunRequest) (sdk.RunResult, error)
	// BuiltinFunc answers Builtin (nil: an error wrapping
	// errors.ErrUnsupported). Pass it hull's behaviour when a test needs it.
	BuiltinFunc func(ctx context.Context, req sdk.Request, host sdk.Host) (sdk.Response, error)

	mu     sync.Mutex
	files  map[string]*fakeFile // by clean absolute path; "/" always exists
	logs   []string
	runs   []sdk.RunRequest
	copies []sdk.CopyRequest
	now    time.Time
}

type fakeFile struct {
	mode     fs.FileMode
	data     []byte
	target   string // symlink text
	uid, gid int
	mtime    time.Time
}

var _ sdk.Host = (*FakeHost)(nil)

// NewFakeHost returns a FakeHost whose root holds files (path to
// content, each written as by WriteFile with mode 0644).
func NewFakeHost(files map[string]string) *FakeHost {
	h := &FakeHost{files: map[string]*fakeFile{}, now: time.Unix(1700000000, 0)}
	h.files["/"] = &fakeFile{mode: fs.ModeDir | 0o755, mtime: h.now}
	names := make([]string, 0, len(files))
	for p := range files {
		names = append(names, p)
	}
	sort.Strings(names)
	for _, p := range names {
		if err := h.WriteFile(context.Background(), sdk.WriteFileRequest{Path: p, Content: []byte(files[p])}); err != nil {
			panic(fmt.Sprintf("NewFakeHost: %v", err))
		}
	}
	return h
}

// File returns the content of the regular file at p (symlinks followed)
// and whether there is one.
func (h *FakeHost) File(p string) ([]byte, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	rp, err := h.resolve(p, true)
	if err != nil {
		return nil, false
	}
	f, ok := h.files[rp]
	if !ok || !f.mode.IsRegular() {
		return nil, false
	}
	return append([]byte(nil), f.data...), true
}

// Logs returns the lines logged so far.
func (h *FakeHost) Logs() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.logs...)
}

// Runs returns the Run requests so far.
func (h *FakeHost) Runs() []sdk.RunRequest {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]sdk.RunRequest(nil), h.runs...)
}

// Copies returns the Copy requests so far.
func (h *FakeHost) Copies() []sdk.CopyRequest {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]sdk.CopyRequest(nil), h.copies...)
}

func pathErr(op, p string, kind error) error { return &fs.PathError{Op: op, Path: p, Err: kind} }

// checkPath is the core's rule: absolute, clean, no NUL.
func checkPath(op, p string) error {
	if !path.IsAbs(p) || strings.ContainsRune(p, 0) || (path.Clean(p) != p && path.Clean(p)+"/" != p) {
		return pathErr(op, p, sdk.ErrInvalid)
	}
	return nil
}

// resolve returns the symlink-free path p names inside the root,
// following a final symlink when followLast. A missing last component is
// no error (the caller decides); a missing or non-directory parent is.
func (h *FakeHost) resolve(p string, followLast bool) (string, error) {
	todo := splitPath(p)
	cur, hops := "/", 0
	for len(todo) > 0 {
		name := todo[0]
		todo = todo[1:]
		if name == ".." {
			cur = path.Dir(cur)
			continue
		}
		next := path.Join(cur, name)
		f, ok := h.files[next]
		if !ok {
			if len(todo) == 0 {
				return next, nil
			}
			return "", sdk.ErrNotFound
		}
		if f.mode&fs.ModeSymlink != 0 && (len(todo) > 0 || followLast) {
			if hops++; hops > 40 {
				return "", sdk.ErrInvalid
			}
			if strings.HasPrefix(f.target, "/") {
				cur = "/"
			}
			todo = append(splitPath(f.target), todo...)
			continue
		}
		if len(todo) > 0 && !f.mode.IsDir() {
			return "", sdk.ErrNotDir
		}
		cur = next
	}
	return cur, nil
}

func splitPath(p string) []string {
	var out []string
	for _, c := range strings.Split(p, "/") {
		if c != "" && c != "." {
			out = append(out, c)
		}
	}
	return out
}

// parent resolves p's parent directory (following links) and returns
// the path p's last component has in it.
func (h *FakeHost) parent(op, p string) (string, error) {
	if err := checkPath(op, p); err != nil {
		return "", err
	}
	clean := path.Clean(p)
	if clean == "/" {
		return "", pathErr(op, p, sdk.ErrInvalid)
	}
	dir, err := h.resolve(path.Dir(clean), true)
	if err != nil {
		return "", pathErr(op, p, err)
	}
	d, ok := h.files[dir]
	if !ok {
		return "", pathErr(op, p, sdk.ErrNotFound)
	}
	if !d.mode.IsDir() {
		return "", pathErr(op, p, sdk.ErrNotDir)
	}
	return path.Join(dir, path.Base(clean)), nil
}

func owner(chown string) (int, int) {
	u, g, _ := strings.Cut(chown, ":")
	uid, _ := strconv.Atoi(u)
	gid := uid
	if g != "" {
		gid, _ = strconv.Atoi(g)
	}
	return uid, gid
}

func (h *FakeHost) info(name string, f *fakeFile) sdk.FileInfo {
	fi := sdk.FileInfo{Name: name, Mode: f.mode, ModTime: f.mtime, UID: f.uid, GID: f.gid, LinkTarget: f.target}
	switch {
	case f.mode.IsRegular():
		fi.Size = int64(len(f.data))
	case f.mode&fs.ModeSymlink != 0:
		fi.Size = int64(len(f.target))
	}
	return fi
}

// Run records r and answers with RunFunc.
func (h *FakeHost) Run(ctx context.Context, r sdk.RunRequest) (sdk.RunResult, error) {
	h.mu.Lock()
	h.runs = append(h.runs, r)
	run := h.RunFunc
	h.mu.Unlock()
	if len(r.Args) == 0 || r.Args[0] == "" {
		return sdk.RunResult{}, &sdk.HostError{Op: "run", Msg: "no command", Kind: sdk.ErrInvalid}
	}
	if run == nil {
		return sdk.RunResult{}, nil
	}
	return run(ctx, r)
}

// Copy records r; nothing is copied.
func (h *FakeHost) Copy(_ context.Context, r sdk.CopyRequest) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.copies = append(h.copies, r)
	return nil
}

// ReadFile reads a regular file, following symlinks.
func (h *FakeHost) ReadFile(_ context.Context, p string) ([]byte, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if err := checkPath("read", p); err != nil {
		return nil, err
	}
	rp, err := h.resolve(p, true)
	if err != nil {
		return nil, pathErr("read", p, err)
	}
	f, ok := h.files[rp]
	switch {
	case !ok:
		return nil, pathErr("read", p, sdk.ErrNotFound)
	case f.mode.IsDir():
		return nil, pathErr("read", p, sdk.ErrIsDir)
	case !f.mode.IsRegular():
		return nil, pathErr("read", p, sdk.ErrInvalid)
	}
	return append([]byte(nil), f.data...), nil
}

// WriteFile writes a regular file, creating missing parent directories;
// a symlink in its place is followed, inside the root.
func (h *FakeHost) WriteFile(_ context.Context, r sdk.WriteFileRequest) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if err := checkPath("write", r.Path); err != nil || strings.HasSuffix(r.Path, "/") || r.Path == "/" {
		return pathErr("write", r.Path, sdk.ErrInvalid)
	}
	uid, gid := owner(r.Chown)
	if err := h.mkdirAll(path.Dir(r.Path), 0o755, 0, 0); err != nil {
		return pathErr("write", r.Path, err)
	}
	rp, err := h.resolve(r.Path, true)
	if err != nil {
		return pathErr("write", r.Path, err)
	}
	if f, ok := h.files[rp]; ok && f.mode.IsDir() {
		return pathErr("write", r.Path, sdk.ErrIsDir)
	}
	mode := fs.FileMode(r.Mode & 0o777)
	if r.Mode == 0 {
		mode = 0o644
	}
	h.files[rp] = &fakeFile{mode: mode, data: append([]byte(nil), r.Content...), uid: uid, gid: gid, mtime: h.now}
	return nil
}

// Log records a line.
func (h *FakeHost) Log(_ context.Context, msg string) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.logs = append(h.logs, msg)
	return nil
}

// Stat follows symlinks.
func (h *FakeHost) Stat(_ context.Context, p string) (sdk.FileInfo, error) {
	return h.stat("stat", p, true)
}

// Lstat does not follow a final symlink.
func (h *FakeHost) Lstat(_ context.Context, p string) (sdk.FileInfo, error) {
	return h.stat("lstat", p, false)
}

func (h *FakeHost) stat(op, p string, follow bool) (sdk.FileInfo, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if err := checkPath(op, p); err != nil {
		return sdk.FileInfo{}, err
	}
	rp, err := h.resolve(p, follow)
	if err != nil {
		return sdk.FileInfo{}, pathErr(op, p, err)
	}
	f, ok := h.files[rp]
	if !ok {
		return sdk.FileInfo{}, pathErr(op, p, sdk.ErrNotFound)
	}
	return h.info(path.Base(path.Clean(p)), f), nil
}

// ListDir lists a directory, sorted by name.
func (h *FakeHost) ListDir(_ context.Context, p string) ([]sdk.FileInfo, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if err := checkPath("list dir", p); err != nil {
		return nil, err
	}
	rp, err := h.resolve(p, true)
	if err != nil {
		return nil, pathErr("list dir", p, err)
	}
	d, ok := h.files[rp]
	if !ok {
		return nil, pathErr("list dir", p, sdk.ErrNotFound)
	}
	if !d.mode.IsDir() {
		return nil, pathErr("list dir", p, sdk.ErrNotDir)
	}
	out := []sdk.FileInfo{}
	for q, f := range h.files {
		if q != "/" && path.Dir(q) == rp {
			out = append(out, h.info(path.Base(q), f))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Remove removes a file, a symlink or an empty directory; with
// Recursive, a tree.
func (h *FakeHost) Remove(_ context.Context, r sdk.RemoveRequest) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	target, err := h.parent("remove", r.Path)
	if err != nil {
		return err
	}
	f, ok := h.files[target]
	if !ok {
		return pathErr("remove", r.Path, sdk.ErrNotFound)
	}
	if f.mode.IsDir() {
		var below []string
		for q := range h.files {
			if strings.HasPrefix(q, target+"/") {
				below = append(below, q)
			}
		}
		if len(below) > 0 && !r.Recursive {
			return pathErr("remove", r.Path, sdk.ErrNotEmpty)
		}
		for _, q := range below {
			delete(h.files, q)
		}
	}
	delete(h.files, target)
	return nil
}

// Mkdir creates a directory.
func (h *FakeHost) Mkdir(_ context.Context, r sdk.MkdirRequest) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if err := checkPath("mkdir", r.Path); err != nil {
		return err
	}
	mode := fs.FileMode(r.Mode & 0o7777)
	if r.Mode == 0 {
		mode = 0o755
	}
	uid, gid := owner(r.Chown)
	if r.Parents {
		if err := h.mkdirAll(r.Path, mode, uid, gid); err != nil {
			return pathErr("mkdir", r.Path, err)
		}
		return nil
	}
	target, err := h.parent("mkdir", r.Path)
	if err != nil {
		return err
	}
	if _, ok := h.files[target]; ok {
		return pathErr("mkdir", r.Path, sdk.ErrExist)
	}
	h.files[target] = &fakeFile{mode: fs.ModeDir | mode, uid: uid, gid: gid, mtime: h.now}
	return nil
}

// mkdirAll is mkdir -p: existing directories (or links to them) are fine.
func (h *FakeHost) mkdirAll(p string, mode fs.FileMode, uid, gid int) error {
	cur := "/"
	for _, name := range splitPath(p) {
		next, err := h.resolve(path.Join(cur, name), true)
		if err != nil {
			return err
		}
		f, ok := h.files[next]
		switch {
		case !ok:
			h.files[next] = &fakeFile{mode: fs.ModeDir | mode, uid: uid, gid: gid, mtime: h.now}
		case !f.mode.IsDir():
			return sdk.ErrNotDir
		}
		cur = next
	}
	return nil
}

// Symlink creates a symlink; its target is stored as given.
func (h *FakeHost) Symlink(_ context.Context, r sdk.SymlinkRequest) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if r.Target == "" || strings.ContainsRune(r.Target, 0) {
		return pathErr("symlink", r.Path, sdk.ErrInvalid)
	}
	target, err := h.parent("symlink", r.Path)
	if err != nil {
		return err
	}
	if _, ok := h.files[target]; ok {
		return pathErr("symlink", r.Path, sdk.ErrExist)
	}
	uid, gid := owner(r.Chown)
	h.files[target] = &fakeFile{mode: fs.ModeSymlink | 0o777, target: r.Target, uid: uid, gid: gid, mtime: h.now}
	return nil
}

// Builtin answers with BuiltinFunc.
func (h *FakeHost) Builtin(ctx context.Context, req sdk.Request) (sdk.Response, error) {
	h.mu.Lock()
	fn := h.BuiltinFunc
	h.mu.Unlock()
	if fn == nil {
		return sdk.Response{}, fmt.Errorf("host builtin %s: %w", req.Instruction.Keyword, errors.ErrUnsupported)
	}
	return fn(ctx, req, h)
}
