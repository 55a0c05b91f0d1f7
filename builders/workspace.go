package builders

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/hull-project/hull/builders/copier"
	"github.com/hull-project/hull/core/layer"
)

// workspace is one step's scratch: the overlay upper dir that becomes the
// step's layer, overlay's work dir and the mount point.
type workspace struct {
	dir     string
	created bool
	// bound are the bind mounts the step's cache key covers; unkeyed is
	// set when a run of the step bound anything else, and the step's
	// result is then not cached.
	bound   bindKeys
	unkeyed bool
	// lost are the owners the step gave to root under root emulation
	// (rootemu.go).
	lost []string
	// reuse is what copies from the context may link from the step's
	// last layer (nil: copy everything); copied what they reported
	// (reuse.go).
	reuse  *copier.Reuse
	copied map[string]copier.Source
}

func (b *build) newWorkspace(n int) *workspace {
	return &workspace{dir: filepath.Join(b.dir, fmt.Sprint(n))}
}

func (w *workspace) upper() string  { return filepath.Join(w.dir, "upper") }
func (w *workspace) work() string   { return filepath.Join(w.dir, "work") }
func (w *workspace) rootfs() string { return filepath.Join(w.dir, "rootfs") }

// stateDir is the private state dir of one start of the step's kind
// (run, diff, a task). Stages run in parallel, so it is the workspace's
// own: a start's records (mount stubs, sync files) must never meet
// another step's.
func (w *workspace) stateDir(b *build, kind string) string {
	return filepath.Join(b.env.StateDir, b.id, kind+"-"+filepath.Base(w.dir))
}

// scratch is a new, empty dir for the discarded writes of the step's
// mount n (RUN --mount=type=bind,rw): the workspace's, on the file
// system the step's own overlay upper dir is on, and never part of the
// layer (only upper() is diffed).
func (w *workspace) scratch(n int) (string, error) {
	if err := w.ensure(); err != nil {
		return "", err
	}
	d, err := os.MkdirTemp(w.dir, fmt.Sprintf("mount%d-", n))
	if err != nil {
		return "", fmt.Errorf("create scratch dir of --mount %d: %w", n, err)
	}
	return d, nil
}

// ensure creates the dirs on first use. The upper dir is 0755: overlay
// shows its root's attributes as the container's "/".
func (w *workspace) ensure() error {
	if w.created {
		return nil
	}
	for _, d := range []string{w.upper(), w.work(), w.rootfs()} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return fmt.Errorf("create step dir: %w", err)
		}
	}
	if err := os.Chmod(w.upper(), 0o755); err != nil {
		return fmt.Errorf("create step dir: %w", err)
	}
	w.created = true
	return nil
}

// commitLayer turns the step's upper dir into a layer: its tar (diffed
// in-process with the owners mapped back to the container's ids, or
// inside the user namespace when the step left files the user cannot
// read) is the layer's content, and the dir itself becomes the layer's
// unpacked directory: it holds what unpacking the tar would make.
// rec.DiffID stays empty when nothing changed.
func (b *build) commitLayer(ctx context.Context, st *stageState, ws *workspace, rec *cacheRecord) (string, error) {
	if !ws.created {
		return "", nil
	}
	if entries, err := os.ReadDir(ws.upper()); err != nil || len(entries) == 0 {
		return "", err
	}
	opts := layer.DiffOptions{IDs: b.env.Mapping.ContainerIDs}
	l, err := b.env.Images.CommitLayer(func(w io.Writer) error { return layer.DiffWith(ws.upper(), w, opts) }, ws.upper())
	if errors.Is(err, fs.ErrPermission) && b.env.Mapping.IsFull() {
		l, err = b.env.Images.CommitLayer(func(w io.Writer) error { return b.diffTask(ctx, ws, w) }, ws.upper())
	}
	if err != nil {
		return "", err
	}
	rec.DiffID = l.DiffID
	return l.Dir, nil
}
