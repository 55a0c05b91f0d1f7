package core

import (
	"github.com/hull-project/hull/core/container"
	"github.com/hull-project/hull/core/image"
	"github.com/hull-project/hull/isolation"
)

// Hull is one user's hull: the store and runtime directories, the image
// store, the container records and the id mapping containers get. It is the
// one place where these are wired together.
type Hull struct {
	Paths
	Images     *image.Store
	Containers *container.Store
	Mapping    isolation.Mapping
}

// Open finds the directories (see DefaultPaths; root is --root or ""),
// creates them, detects the id mapping and opens both stores with the same
// unpacker, so that files owned by subordinate ids can be removed from
// layers and container upper dirs alike.
func Open(root string) (*Hull, error) {
	p, err := DefaultPaths(root)
	if err != nil {
		return nil, err
	}
	if err := p.Ensure(); err != nil {
		return nil, err
	}
	m, err := isolation.DetectMapping()
	if err != nil {
		return nil, err
	}
	u := NewUnpacker(m)
	images, err := image.Open(p.Root, u)
	if err != nil {
		return nil, err
	}
	containers, err := container.Open(p.Root, u)
	if err != nil {
		return nil, err
	}
	h := &Hull{Paths: p, Images: images, Containers: containers, Mapping: m}
	containers.SetVolumeHooks(volumeHooks{h})
	containers.SetEndHook(endOfKilled)
	return h, nil
}

// imageInUse reports whether a container was created from the image; the
// image store asks it before deleting an image.
func (h *Hull) imageInUse(imageID string) bool {
	ids, err := h.Containers.ImageUsers(imageID)
	return err != nil || len(ids) > 0 // unsure means in use: never delete layers a container may need
}

// imageUser names a container created from the image as Docker's rmi
// refusal does ("running container 1a2b3c4d5e6f"), a running one first;
// "" when none is found.
func (h *Hull) imageUser(imageID string) string {
	ids, err := h.Containers.ImageUsers(imageID)
	if err != nil || len(ids) == 0 {
		return ""
	}
	user := ""
	for _, id := range ids {
		c, err := h.Containers.Get(id)
		if err != nil {
			continue
		}
		if c.State.Running {
			return "running container " + container.ShortID(id)
		}
		if user == "" {
			user = "stopped container " + container.ShortID(id)
		}
	}
	return user
}
