package core

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"time"

	"golang.org/x/sys/unix"

	"github.com/hull-project/hull/builders"
	"github.com/hull-project/hull/core/lockfile"
)

// The build cache is everything a build leaves for the next one: each
// step's layer, pinned in the image store (blob and unpacked dir) with its
// record in buildcache/index.json, the RUN --mount=type=cache dirs
// (buildcache/mounts), the context stat caches (buildcache/context) and,
// after a build was killed, its scratch dir under builds/ until a sweep.
//
// A build holds buildcache.lock shared for as long as it runs; a prune
// takes it exclusive, so it never removes a layer or a cache mount that a
// running build has looked up and is about to use.

func (h *Hull) buildCacheDir() string  { return filepath.Join(h.Root, "buildcache") }
func (h *Hull) buildCacheLock() string { return filepath.Join(h.Root, "buildcache.lock") }

// holdBuildCache takes the build-cache lock shared for a build.
func (h *Hull) holdBuildCache() (func(), error) {
	return h.lockBuildCache(unix.LOCK_SH, nil)
}

// errBuildsRunning is returned by lockBuildCache without a wait writer
// when a build holds the lock.
var errBuildsRunning = errors.New("a build is running")

// lockBuildCache flocks the build-cache lock file with how. With
// LOCK_EX, a held lock waits, saying so on wait, or fails with
// errBuildsRunning when wait is nil.
func (h *Hull) lockBuildCache(how int, wait io.Writer) (func(), error) {
	f, err := os.OpenFile(h.buildCacheLock(), os.O_CREATE|os.O_RDWR|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock build cache: %w", err)
	}
	if how == unix.LOCK_EX {
		err = lockfile.Flock(f, how|unix.LOCK_NB)
		if errors.Is(err, unix.EWOULDBLOCK) {
			if wait == nil {
				f.Close()
				return nil, errBuildsRunning
			}
			fmt.Fprintln(wait, "waiting for the running builds to finish...")
			err = lockfile.Flock(f, how)
		}
	} else {
		err = lockfile.Flock(f, how)
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("lock build cache: %w", err)
	}
	return func() { f.Close() }, nil
}

// BuildCachePruneOptions are `hull builder prune`'s.
type BuildCachePruneOptions struct {
	// All removes the cache of layers images use too, and the context
	// stat caches; without it, what no image needs goes.
	All bool
	// Until keeps what was made or used after it (zero: no limit).
	Until time.Time
	// Wait receives a line when running builds hold the cache and the
	// prune waits for them; nil does not wait (Skipped).
	Wait io.Writer
}

// BuildCachePruneResult is what a build-cache prune removed.
type BuildCachePruneResult struct {
	Layers []string // diff IDs of the layers unpinned
	Freed  int64
	// Skipped is set when a build was running and the prune did not wait.
	Skipped bool
}

// PruneBuildCache removes the build cache o selects (see above) and the
// scratch dirs of killed builds.
func (h *Hull) PruneBuildCache(o BuildCachePruneOptions) (BuildCachePruneResult, error) {
	var res BuildCachePruneResult
	u := NewUnpacker(h.Mapping)
	release, err := h.lockBuildCache(unix.LOCK_EX, o.Wait)
	if errors.Is(err, errBuildsRunning) {
		// The cache stays whole; killed builds' scratch dirs still go
		// (a running build's are locked).
		res.Skipped = true
		res.Freed, err = h.sweepBuildScratch(u)
		return res, err
	}
	if err != nil {
		return res, err
	}
	defer release()
	layers, err := h.Images.BuildCacheLayers()
	if err != nil {
		return res, fmt.Errorf("prune build cache: %w", err)
	}
	made, err := builders.CacheLayers(h.buildCacheDir())
	if err != nil {
		return res, fmt.Errorf("prune build cache: %w", err)
	}
	inImage := map[string]bool{}
	for _, l := range layers {
		inImage[l.DiffID] = l.InImage
	}
	drop := func(diffID string) bool {
		if !o.All && inImage[diffID] {
			return false
		}
		// A layer without a record (its record was lost) is as old as
		// can be.
		return o.Until.IsZero() || made[diffID].Before(o.Until)
	}
	for _, l := range layers {
		if drop(l.DiffID) {
			res.Layers = append(res.Layers, l.DiffID)
			if !l.InImage {
				res.Freed += l.Size + dirSizeOf(l.Dir)
			}
		}
	}
	sort.Strings(res.Layers)
	var errs []error
	if _, err := h.Images.PruneBuildCache(drop); err != nil {
		errs = append(errs, fmt.Errorf("prune build cache layers: %w", err))
	}
	freed, err := builders.PruneCache(h.buildCacheDir(), builders.CachePrune{Before: o.Until, DropLayer: drop,
		Internal: o.All, RemoveAll: u.RemoveAll, Size: treeSize})
	res.Freed += freed
	errs = append(errs, err)
	swept, err := h.sweepBuildScratch(u)
	res.Freed += swept
	return res, errors.Join(append(errs, err)...)
}

// sweepBuildScratch removes killed builds' scratch dirs (a running
// build's are locked and stay) and returns the bytes freed.
func (h *Hull) sweepBuildScratch(u interface{ RemoveAll(string) error }) (int64, error) {
	scratch := h.buildScratch()
	before := treeSize(scratch)
	_, err := builders.SweepWorkDirs(scratch, filepath.Join(h.RunRoot, "builds"), u.RemoveAll)
	return max(0, before-treeSize(scratch)), err
}

// buildCacheUsage adds the build cache to du: the pinned layers no image
// uses, the cache dir and leftover scratch dirs. All of it is reclaimable
// by `builder prune -a`.
func (h *Hull) buildCacheUsage(du *DiskUsage) error {
	layers, err := h.Images.BuildCacheLayers()
	if err != nil {
		return fmt.Errorf("build cache usage: %w", err)
	}
	for _, l := range layers {
		du.BuildCache++
		if !l.InImage {
			du.BuildCacheSize += l.Size + dirSizeOf(l.Dir)
		}
	}
	cu := builders.DirUsage(h.buildCacheDir(), treeSize)
	du.BuildCache += cu.Mounts
	du.BuildCacheSize += cu.Size + treeSize(filepath.Join(h.Root, "builds"))
	du.BuildCacheReclaimable = du.BuildCacheSize
	return nil
}
