package core

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sort"
	"time"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/hull-project/hull/core/container"
	"github.com/hull-project/hull/core/image"
	"github.com/hull-project/hull/core/launch"
	"github.com/hull-project/hull/core/layer"
	"github.com/hull-project/hull/isolation"
	"golang.org/x/sys/unix"
)

// CommitOptions are `hull commit`'s flags.
type CommitOptions struct {
	Changes []string // Dockerfile instructions (-c)
	Message string   // -m
	Author  string   // -a
	// Pause stops the container's processes while its changes are read
	// (-p, the default), so that none can change or swap files meanwhile.
	Pause bool
}

// Commit makes an image of the container's image plus its upper dir (the
// changes the container made), with the container's configuration and
// the given changes, and names it ref when ref is set. A running
// container is paused while its upper dir is read, unless opts.Pause is
// off: then files it writes meanwhile may be caught half written (the
// read never follows a symlink it swaps in, either way).
func (h *Hull) Commit(ref, name string, opts CommitOptions) (*image.Image, error) {
	c, err := h.Containers.Lookup(ref)
	if err != nil {
		return nil, err
	}
	base, err := h.Images.Lookup(c.ImageID)
	if err != nil {
		return nil, fmt.Errorf("image of container %s: %w", container.ShortID(c.ID), err)
	}
	cfg := base.Config
	applyContainerConfig(&cfg.Config, c)
	if err := image.ApplyChanges(&cfg.Config, opts.Changes); err != nil {
		return nil, err
	}
	l, err := h.writeUpperLayerPaused(c, opts.Pause)
	if err != nil {
		return nil, err
	}
	now := time.Now().UTC()
	cfg.Created = &now
	cfg.Author = opts.Author
	cfg.History = append(cfg.History, ocispec.History{Created: &now, Author: opts.Author,
		Comment: opts.Message, CreatedBy: c.Command()})
	var names []string
	if name != "" {
		names = append(names, name)
	}
	img, err := h.Images.AddImageExtras(append(h.Images.ImageLayers(base), l), cfg, base.Extras, names...)
	if err != nil {
		return nil, err
	}
	h.Containers.Emit(c, "commit", "comment", opts.Message, "imageID", img.ID, "imageRef", name)
	return img, nil
}

// applyContainerConfig carries what the container was run with into the
// new image, as docker commit does.
func applyContainerConfig(cfg *ocispec.ImageConfig, c *container.Container) {
	cfg.Env = c.Config.Env
	cfg.Cmd = c.Config.Cmd
	cfg.Entrypoint = c.Config.Entrypoint
	cfg.WorkingDir = c.Config.WorkingDir
	cfg.User = c.Config.User
	cfg.Labels = c.Config.Labels
	cfg.StopSignal = c.Config.StopSignal
}

// writeUpperLayerPaused is writeUpperLayer with a running container's
// processes stopped (when pause is set) and resumed afterwards, also on
// error.
func (h *Hull) writeUpperLayerPaused(c *container.Container, pause bool) (*image.Layer, error) {
	if !pause || !c.State.Running || c.State.Paused { // a paused one stays as hull pause left it
		return h.writeUpperLayer(c)
	}
	resume, err := h.pauseContainer(c)
	if err != nil {
		return nil, fmt.Errorf("%w (commit --pause=false does not pause)", err)
	}
	l, err := h.writeUpperLayer(c)
	if rerr := resume(); rerr != nil && err == nil {
		err = fmt.Errorf("commit container %s: %w", container.ShortID(c.ID), rerr)
	}
	return l, err
}

// writeUpperLayer stores the tar of the container's upper dir, read
// in-process (owners mapped back to the container's ids) or, when it
// holds files only the container's users can read, inside the user
// namespace.
func (h *Hull) writeUpperLayer(c *container.Container) (*image.Layer, error) {
	m, err := h.MappingFor(c)
	if err != nil {
		return nil, err
	}
	upper := h.Containers.UpperDir(c.ID)
	l, err := h.writeDiff(func(w io.Writer) error {
		return layer.DiffWith(upper, w, layer.DiffOptions{IDs: m.ContainerIDs})
	})
	if errors.Is(err, fs.ErrPermission) && m.IsFull() {
		l, err = h.writeDiff(func(w io.Writer) error { return h.diffInUserns(c, m, upper, w) })
	}
	if err != nil {
		return nil, fmt.Errorf("commit container %s: %w", container.ShortID(c.ID), err)
	}
	return l, nil
}

func (h *Hull) writeDiff(diff func(io.Writer) error) (*image.Layer, error) {
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(diff(pw)) }()
	l, err := h.Images.WriteLayer(pr)
	pr.CloseWithError(io.ErrClosedPipe)
	return l, err
}

// diffInUserns runs the build's "diff" task, which tars a directory as
// root of the user namespace.
func (h *Hull) diffInUserns(c *container.Container, m isolation.Mapping, upper string, w io.Writer) error {
	data, _ := json.Marshal(struct {
		Dir string `json:"dir"`
	}{upper})
	stateDir, err := os.MkdirTemp(h.RunRoot, "diff-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(stateDir)
	spec := &isolation.Spec{ID: c.ID, Mapping: m, StateDir: stateDir,
		Task: &isolation.Task{Name: "diff", Args: data}}
	st, err := launch.Run(context.Background(), launch.Request{Spec: spec, Stdio: isolation.Stdio{Stdout: w}})
	if err == nil && st.Code != 0 {
		err = fmt.Errorf("diff task: exit code %d", st.Code)
	}
	return err
}

// Change is one line of `hull diff`: Kind is "A", "C" or "D".
type Change struct {
	Kind string
	Path string
}

// Diff lists what the container changed against its image, from its upper
// dir: a path only in the upper dir was added (A), one also in an image
// layer changed (C), an overlay whiteout deleted (D); directories above a
// change are changed.
func (h *Hull) Diff(ref string) ([]Change, error) {
	c, err := h.Containers.Lookup(ref)
	if err != nil {
		return nil, err
	}
	img, err := h.Images.Lookup(c.ImageID)
	if err != nil {
		return nil, err
	}
	layers, err := h.Images.LayerDirs(img)
	if err != nil {
		return nil, err
	}
	upper := h.Containers.UpperDir(c.ID)
	kinds := map[string]string{}
	// The container may run and change its upper dir meanwhile: walk it
	// through descriptors, and look into the layers without following
	// any link.
	err = layer.Walk(upper, func(rel string, st *unix.Stat_t) error {
		if mountPointOnly(rel, st, layers) {
			return nil
		}
		abs := "/" + rel
		switch {
		case st.Mode&unix.S_IFMT == unix.S_IFCHR && st.Rdev == 0:
			kinds[abs] = "D"
		case inLayers(layers, rel):
			kinds[abs] = "C"
		default:
			kinds[abs] = "A"
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("diff container %s: %w", container.ShortID(c.ID), err)
	}
	return sortedChanges(kinds), nil
}

func sortedChanges(kinds map[string]string) []Change {
	out := make([]Change, 0, len(kinds))
	for p, k := range kinds {
		out = append(out, Change{Kind: k, Path: p})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

func inLayers(layers []string, rel string) bool {
	for _, l := range layers {
		if layer.Exists(l, rel) {
			return true
		}
	}
	return false
}

// mountPointOnly: the empty files the container's start created to bind
// /etc/hosts, /etc/hostname and /etc/resolv.conf over are not changes.
func mountPointOnly(rel string, st *unix.Stat_t, layers []string) bool {
	switch rel {
	case "etc/hosts", "etc/hostname", "etc/resolv.conf":
	default:
		return false
	}
	return st.Mode&unix.S_IFMT == unix.S_IFREG && st.Size == 0 && !inLayers(layers, rel)
}
