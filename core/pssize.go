package core

import "github.com/hull-project/hull/core/container"

// ContainerSize is ps -s's SIZE: the bytes of c's writable layer (as
// system df counts them) and, virtual, those plus its image's.
func (h *Hull) ContainerSize(c *container.Container) (rw, virtual int64) {
	rw = treeSize(h.Containers.UpperDir(c.ID))
	virtual = rw
	if img, err := h.Images.Lookup(c.ImageID); err == nil {
		virtual += img.Size
	}
	return rw, virtual
}
