package core

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/hull-project/hull/core/archive"
	"github.com/hull-project/hull/core/image"
	"github.com/hull-project/hull/core/registry"
)

// Pull policies of `hull run --pull` and FROM in builds, as Docker's.
const (
	PullAlways  = "always"  // pull even when the image is present
	PullMissing = "missing" // pull only when it is not (the default)
	PullNever   = "never"   // never pull
)

// Pull downloads ref from its registry into the store (see registry.Pull).
func (h *Hull) Pull(ctx context.Context, ref string, opts registry.PullOptions) (*image.Image, error) {
	img, err := registry.Pull(ctx, h.Images, ref, opts)
	if err == nil {
		h.imageRefEvent("pull", ref)
	}
	return img, err
}

// Push uploads the local image ref to the registry its name points at.
func (h *Hull) Push(ctx context.Context, ref string, opts registry.PushOptions) (*registry.Pushed, error) {
	p, err := registry.Push(ctx, h.Images, ref, opts)
	if err == nil {
		h.imageRefEvent("push", ref)
	}
	return p, err
}

// Save writes images to an archive or layout (see archive.Save).
func (h *Hull) Save(refs []string, opts archive.SaveOptions, w io.Writer) error {
	if err := archive.Save(h.Images, refs, opts, w); err != nil {
		return err
	}
	for _, ref := range refs {
		if img, err := h.Images.Lookup(ref); err == nil {
			h.event("image", "save", img.ID, "name", ref)
		}
	}
	return nil
}

// Load stores the images of an archive or layout (see archive.Load).
func (h *Hull) Load(path string, r io.Reader, p registry.Progress) ([]archive.Loaded, error) {
	loaded, err := archive.Load(h.Images, path, r, p)
	for _, l := range loaded {
		name := l.ID
		if len(l.Names) > 0 {
			name = l.Names[0]
		}
		h.event("image", "load", l.ID, "name", name)
	}
	return loaded, err
}

// ImageFor finds ref locally or pulls it, following policy ("" is
// PullMissing).
func (h *Hull) ImageFor(ctx context.Context, ref, policy string, opts registry.PullOptions) (*image.Image, error) {
	switch policy {
	case PullAlways:
		return h.Pull(ctx, ref, opts)
	case "", PullMissing, PullNever:
	default:
		return nil, fmt.Errorf("invalid pull policy %q: always, missing or never", policy)
	}
	img, err := h.Images.Lookup(ref)
	if !errors.Is(err, image.ErrNotFound) || policy == PullNever {
		return img, err
	}
	if _, nerr := image.NormalizeRef(ref); nerr != nil {
		return nil, err // an id prefix, not a name to pull
	}
	return h.Pull(ctx, ref, opts)
}

// Login checks the credentials against the registry and stores them
// in the Docker config (or its credential helper), as `docker login`
// does; it returns the server name it stored them under.
func Login(ctx context.Context, o registry.LoginOptions) (string, error) {
	return registry.Login(ctx, o)
}

// Logout removes the stored credentials of server (Docker Hub when
// empty) and returns their key.
func Logout(server string) (string, error) { return registry.Logout(server) }
