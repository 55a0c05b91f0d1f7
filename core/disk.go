package core

import (
	"errors"
	"io/fs"
	"path/filepath"

	"github.com/hull-project/hull/core/container"
	"github.com/hull-project/hull/core/image"
)

// DiskUsage is what `hull system df` shows: sizes in bytes, reclaimable
// being what `system prune -a` would free.
type DiskUsage struct {
	Images, ActiveImages                  int
	ImagesSize, ImagesReclaimable         int64
	Containers, ActiveContainers          int
	ContainersSize, ContainersReclaimable int64
	// Volumes in use are those a container (running or not) mounts;
	// reclaimable is what `volume prune -a` would free.
	Volumes, ActiveVolumes          int
	VolumesSize, VolumesReclaimable int64
	// BuildCache counts the cached steps' layers and cache mounts; its
	// size is what only the build cache holds (buildcache.go).
	BuildCache                            int
	BuildCacheSize, BuildCacheReclaimable int64
}

// DiskUsage adds up the store: images by what their layers take on disk
// (blob or tar-split metadata, and unpacked directory; a layer shared by
// several images counts once), containers by their writable layers.
func (h *Hull) DiskUsage() (DiskUsage, error) {
	var du DiskUsage
	imgs, err := h.Images.Images()
	if err != nil {
		return du, err
	}
	cs, err := h.Containers.List()
	if err != nil {
		return du, err
	}
	used := map[string]bool{}
	for _, c := range cs {
		used[c.ImageID] = true
		size := treeSize(h.Containers.UpperDir(c.ID))
		du.Containers++
		du.ContainersSize += size
		if c.State.Running {
			du.ActiveContainers++
		} else {
			du.ContainersReclaimable += size
		}
	}
	all, active := map[string]bool{}, map[string]bool{}
	for _, img := range imgs {
		du.Images++
		if used[img.ID] {
			du.ActiveImages++
		}
		for _, l := range img.Manifest.Layers {
			all[l.Digest.String()] = true
			if used[img.ID] {
				active[l.Digest.String()] = true
			}
		}
	}
	for d := range all {
		size := h.layerUsage(d)
		du.ImagesSize += size
		if !active[d] {
			du.ImagesReclaimable += size
		}
	}
	if err := h.buildCacheUsage(&du); err != nil {
		return du, err
	}
	return du, h.volumeUsage(&du, cs)
}

// layerUsage is what one layer takes on disk: its blob or tar-split
// metadata, and its unpacked directory.
func (h *Hull) layerUsage(diffID string) int64 {
	files, dir := h.Images.LayerUsage(diffID)
	return files + dirSizeOf(dir)
}

// volumeUsage adds the volumes to du; cs are all the containers.
func (h *Hull) volumeUsage(du *DiskUsage, cs []*container.Container) error {
	vs, err := h.VolumeStore()
	if err != nil {
		return err
	}
	vols, err := vs.List()
	if err != nil {
		return err
	}
	used := map[string]bool{}
	for _, c := range cs {
		for _, m := range c.Volumes() {
			used[m.Name] = true
		}
	}
	for _, v := range vols {
		size := treeSize(v.Mountpoint)
		du.Volumes++
		du.VolumesSize += size
		if used[v.Name] {
			du.ActiveVolumes++
		} else {
			du.VolumesReclaimable += size
		}
	}
	return nil
}

// PruneResult is what `hull system prune` removed.
type PruneResult struct {
	Containers []string
	Images     []image.RemoveResult
	Volumes    []string // with volumes: the anonymous volumes no container used
	BuildCache BuildCachePruneResult
	Freed      int64 // bytes of blobs (and volumes) freed
}

// SystemPrune removes stopped containers, then dangling images (every
// image no container uses with all), then the blobs and layers no image
// references, the scratch dirs of builds that were killed and, with
// volumes, the anonymous volumes no container uses (as Docker's
// `system prune --volumes`). Running containers and builds, and what they
// use, stay.
func (h *Hull) SystemPrune(all, volumes bool) (PruneResult, error) {
	var res PruneResult
	cs, err := h.Containers.List()
	if err != nil {
		return res, err
	}
	var errs []error
	for _, c := range cs {
		if c.State.Running {
			continue
		}
		if err := h.Containers.Remove(c.ID, false); err != nil {
			if !errors.Is(err, container.ErrRunning) {
				errs = append(errs, err)
			}
			continue
		}
		res.Containers = append(res.Containers, c.ID)
	}
	h.event("container", "prune", "") // as PruneContainers; images and volumes log theirs
	res.Images, res.Freed, err = h.PruneImages(all)
	errs = append(errs, err)
	if volumes {
		var freed int64
		res.Volumes, freed, err = h.PruneVolumes(false, nil)
		res.Freed += freed
		errs = append(errs, err)
	}
	// The build cache as Docker's system prune: what no image needs, all
	// of it with all; also the scratch dirs of builds that were killed.
	// While a build runs (in any hull process) the cache stays whole.
	res.BuildCache, err = h.PruneBuildCache(BuildCachePruneOptions{All: all})
	res.Freed += res.BuildCache.Freed
	return res, errors.Join(append(errs, err)...)
}

// treeSize adds up the regular files under dir (0 when unreadable).
func treeSize(dir string) int64 {
	var n int64
	filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if fi, err := d.Info(); err == nil {
				n += fi.Size()
			}
		}
		return nil
	})
	return n
}

// dirSizeOf is treeSize, 0 for "" (no directory).
func dirSizeOf(dir string) int64 {
	if dir == "" {
		return 0
	}
	return treeSize(dir)
}
