package core

import (
	"io"

	"github.com/hull-project/hull/core/container"
	"github.com/hull-project/hull/core/image"
)

// The store's records as the CLI reads and names them: thin calls, so
// that core/cli talks to core only and never reaches into the stores.

// ListContainers is every container record, as the container store
// lists them.
func (h *Hull) ListContainers() ([]*container.Container, error) { return h.Containers.List() }

// ListImages is every image of the store, newest first.
func (h *Hull) ListImages() ([]*image.Image, error) { return h.Images.Images() }

// LookupImage finds an image by name, id or id prefix (image.ErrNotFound
// when none matches).
func (h *Hull) LookupImage(ref string) (*image.Image, error) { return h.Images.Lookup(ref) }

// Import turns the root filesystem tarball r into a one-layer image, as
// `docker import` does.
func (h *Hull) Import(r io.Reader, opts image.ImportOptions) (*image.Image, error) {
	img, err := h.Images.Import(r, opts)
	if err == nil {
		name := img.ID
		if opts.Ref != "" {
			name = opts.Ref
		}
		h.event("image", "import", img.ID, "name", name)
	}
	return img, err
}

// Tag gives the image src the name dst.
func (h *Hull) Tag(src, dst string) error { return h.Images.Tag(src, dst) }
