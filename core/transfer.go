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
	return registry.Pull(ctx, h.Images, ref, opts)
}

// Push uploads the local image ref to the registry its name points at.
func (h *Hull) Push(ctx context.Context, ref string, opts registry.PushOptions) (*registry.Pushed, error) {
	return registry.Push(ctx, h.Images, ref, opts)
}

// Save writes images to an archive or layout (see archive.Save).
func (h *Hull) Save(refs []string, opts archive.SaveOptions, w io.Writer) error {
	return archive.Save(h.Images, refs, opts, w)
}

// Load stores the images of an archive or layout (see archive.Load).
func (h *Hull) Load(path string, r io.Reader, p registry.Progress) ([]archive.Loaded, error) {
	return archive.Load(h.Images, path, r, p)
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
