//go:build !appsbin

package core

import (
	"context"
	"io"

	"github.com/hull-project/hull/core/archive"
	"github.com/hull-project/hull/core/image"
	"github.com/hull-project/hull/core/registry"
	"github.com/hull-project/hull/core/transfer"
)

// The commands that move images through registries and archives. The
// default hull of `make build` links none of their libraries (net/http,
// crypto/tls, go-containerregistry): its commands hand these to the full
// hull, and its Pull and Save answer appbin.ErrNeedsFullHull
// (transfer_lean.go).

// Pull downloads ref from its registry into the store (see registry.Pull).
func (h *Hull) Pull(ctx context.Context, ref string, opts transfer.PullOptions) (*image.Image, error) {
	img, err := registry.Pull(ctx, h.Images, ref, opts)
	if err == nil {
		h.imageRefEvent("pull", ref)
	}
	return img, err
}

// Push uploads the local image ref to the registry its name points at.
func (h *Hull) Push(ctx context.Context, ref string, opts transfer.PushOptions) (*transfer.Pushed, error) {
	p, err := registry.Push(ctx, h.Images, ref, opts)
	if err == nil {
		h.imageRefEvent("push", ref)
	}
	return p, err
}

// Save writes images to an archive or layout (see archive.Save).
func (h *Hull) Save(refs []string, opts transfer.SaveOptions, w io.Writer) error {
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
func (h *Hull) Load(path string, r io.Reader, p transfer.Progress) ([]transfer.Loaded, error) {
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

// Search lists the repositories of registry's catalog whose names contain
// term (hull search).
func (h *Hull) Search(ctx context.Context, registryHost, term string, insecure bool) ([]string, error) {
	return registry.Search(ctx, registryHost, term, insecure)
}

// Login checks the credentials against the registry and stores them
// in the Docker config (or its credential helper), as `docker login`
// does; it returns the server name it stored them under.
func Login(ctx context.Context, o transfer.LoginOptions) (string, error) {
	return registry.Login(ctx, o)
}

// Logout removes the stored credentials of server (Docker Hub when
// empty) and returns their key.
func Logout(server string) (string, error) { return registry.Logout(server) }
