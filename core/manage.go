package core

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/hull-project/hull/core/image"
)

// RemoveContainer removes the container named by id, name or id prefix;
// a running one only with force (it is killed first). It returns the
// full id.
func (h *Hull) RemoveContainer(ref string, force bool) (string, error) {
	c, err := h.Containers.Lookup(ref)
	if err != nil {
		return "", err
	}
	if err := h.Containers.Remove(c.ID, force); err != nil {
		return c.ID, err
	}
	// A monitor killed with -9 leaves its runtime dir behind.
	if err := os.RemoveAll(filepath.Join(h.RunRoot, c.ID)); err != nil {
		return c.ID, fmt.Errorf("remove runtime state of %s: %w", c.ID[:12], err)
	}
	return c.ID, nil
}

// RemoveImage untags or deletes an image with Docker's rules; an image a
// container was created from is protected unless force (and even then its
// layers stay until that container is gone).
func (h *Hull) RemoveImage(ref string, force bool) ([]image.RemoveResult, error) {
	return h.Images.Remove(ref, image.RemoveOptions{Force: force, InUse: h.imageInUse, UsedBy: h.imageUser})
}

// PruneImages deletes dangling images (all unused ones with all) and
// returns what went and the bytes freed in the blob store.
func (h *Hull) PruneImages(all bool) ([]image.RemoveResult, int64, error) {
	before := dirSize(filepath.Join(h.Root, "blobs", "sha256"))
	res, err := h.Images.Prune(all, h.imageInUse)
	after := dirSize(filepath.Join(h.Root, "blobs", "sha256"))
	if before < after {
		before = after // another process added blobs meanwhile
	}
	h.event("image", "prune", "", "reclaimed", strconv.FormatInt(before-after, 10))
	return res, before - after, err
}

// dirSize adds up the sizes of the files directly in dir.
func dirSize(dir string) int64 {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return 0
	}
	var n int64
	for _, e := range entries {
		if fi, err := e.Info(); err == nil && fi.Mode().IsRegular() {
			n += fi.Size()
		}
	}
	return n
}
