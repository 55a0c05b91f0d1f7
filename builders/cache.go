package builders

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	sdk "github.com/hull-project/hull/plugins/sdk/spec"
	"golang.org/x/sys/unix"
)

// cacheRecord is the result of one step: enough to replay it without
// running it.
type cacheRecord struct {
	DiffID  string     `json:"diff_id,omitempty"` // "" when the step changed no files
	Config  sdk.Config `json:"config"`
	History string     `json:"history"`
	Created time.Time  `json:"created"`
	Lost    []string   `json:"lost,omitempty"` // owners given to root (rootemu.go)
}

// cache is the step cache: key -> record, in CacheDir/index.json. Records
// are written as steps finish (temp file + rename under a lock, merged
// with what other builds wrote meanwhile).
type cache struct {
	dir     string
	mu      sync.Mutex
	records map[string]cacheRecord
}

func openCache(dir string) (*cache, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("open build cache: %w", err)
	}
	c := &cache{dir: dir}
	recs, err := c.read()
	if err != nil {
		return nil, err
	}
	c.records = recs
	return c, nil
}

func (c *cache) path() string { return filepath.Join(c.dir, "index.json") }

func (c *cache) read() (map[string]cacheRecord, error) {
	recs := map[string]cacheRecord{}
	data, err := os.ReadFile(c.path())
	if os.IsNotExist(err) {
		return recs, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read build cache: %w", err)
	}
	if err := json.Unmarshal(data, &recs); err != nil {
		// A damaged cache costs a rebuild, never a failed build.
		return map[string]cacheRecord{}, nil
	}
	return recs, nil
}

func (c *cache) get(key string) (cacheRecord, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	r, ok := c.records[key]
	return r, ok
}

func (c *cache) put(key string, rec cacheRecord) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.records[key] = rec
	lock, err := os.OpenFile(filepath.Join(c.dir, "index.lock"), os.O_CREATE|os.O_RDWR|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return err
	}
	defer lock.Close()
	if err := unix.Flock(int(lock.Fd()), unix.LOCK_EX); err != nil {
		return err
	}
	onDisk, err := c.read()
	if err != nil {
		return err
	}
	onDisk[key] = rec
	data, err := json.Marshal(onDisk)
	if err != nil {
		return err
	}
	return writeFileAtomic(c.path(), data)
}

// writeFileAtomic replaces path with data through a temporary file in the
// same directory and a rename, so a reader never sees half a file. No
// fsync: caches are rebuilt when lost.
func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// CacheLayers returns the layers the step cache refers to: diff ID ->
// when a step last made it (the newest record's time).
func CacheLayers(dir string) (map[string]time.Time, error) {
	recs, err := (&cache{dir: dir}).read()
	if err != nil {
		return nil, err
	}
	out := map[string]time.Time{}
	for _, r := range recs {
		if r.DiffID != "" && r.Created.After(out[r.DiffID]) {
			out[r.DiffID] = r.Created
		}
	}
	return out, nil
}

// CachePrune says what PruneCache removes.
type CachePrune struct {
	// Before keeps what was made or used at or after it (zero: no limit),
	// as `builder prune --filter until=`.
	Before time.Time
	// DropLayer says whether the records of a layer go; records of
	// steps that changed no files go by Before alone.
	DropLayer func(diffID string) bool
	// Internal removes the context stat caches too (`builder prune -a`):
	// they only spare re-reading unchanged context files.
	Internal bool
	// RemoveAll removes a tree that may hold files of subordinate ids.
	RemoveAll func(dir string) error
	// Size sizes a tree, for the bytes freed (nil: not counted).
	Size func(dir string) int64
}

// CacheUsage is what the cache dir holds besides the layers: RUN
// --mount=type=cache dirs, context stat caches and the index.
type CacheUsage struct {
	Mounts int
	Size   int64
}

// old reports whether t is before the prune's limit.
func (p CachePrune) old(t time.Time) bool { return p.Before.IsZero() || t.Before(p.Before) }

// DirUsage adds up the cache dir (without the layers, which the image
// store holds) with size, which sizes a tree.
func DirUsage(dir string, size func(string) int64) CacheUsage {
	var u CacheUsage
	if es, err := os.ReadDir(filepath.Join(dir, "mounts")); err == nil {
		u.Mounts = len(es)
	}
	u.Size = size(dir)
	return u
}

// PruneCache removes the step records, cache mounts and context stat
// caches p selects, and returns the bytes it freed. The caller makes sure
// no build runs meanwhile (core holds the build-cache lock).
func PruneCache(dir string, p CachePrune) (int64, error) {
	var freed int64
	var errs []error
	c := &cache{dir: dir}
	if err := c.rewrite(func(recs map[string]cacheRecord) {
		for k, r := range recs {
			if !p.old(r.Created) {
				continue
			}
			if r.DiffID == "" || p.DropLayer == nil || p.DropLayer(r.DiffID) {
				delete(recs, k)
			}
		}
	}); err != nil {
		errs = append(errs, err)
	}
	remove := p.RemoveAll
	if remove == nil {
		remove = os.RemoveAll
	}
	subs := []string{"mounts", "reuse"}
	if p.Internal {
		subs = append(subs, "context")
	}
	for _, sub := range subs {
		es, err := os.ReadDir(filepath.Join(dir, sub))
		if err != nil && !os.IsNotExist(err) {
			errs = append(errs, err)
		}
		for _, e := range es {
			// The entries are hull's own names (hashes) in the store.
			path := filepath.Join(dir, sub, e.Name())
			fi, err := e.Info()
			if err != nil || !p.old(fi.ModTime()) {
				continue
			}
			var size int64
			if p.Size != nil {
				size = p.Size(path)
			}
			if err := remove(path); err != nil {
				errs = append(errs, fmt.Errorf("remove build cache %s/%s: %w", sub, e.Name(), err))
				continue
			}
			freed += size
		}
	}
	return freed, errors.Join(errs...)
}

// rewrite changes the index on disk under its lock.
func (c *cache) rewrite(fn func(map[string]cacheRecord)) error {
	if _, err := os.Stat(c.dir); os.IsNotExist(err) {
		return nil
	}
	lock, err := os.OpenFile(filepath.Join(c.dir, "index.lock"), os.O_CREATE|os.O_RDWR|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return err
	}
	defer lock.Close()
	if err := unix.Flock(int(lock.Fd()), unix.LOCK_EX); err != nil {
		return err
	}
	recs, err := c.read()
	if err != nil {
		return err
	}
	fn(recs)
	if len(recs) == 0 {
		if err := os.Remove(c.path()); err != nil && !os.IsNotExist(err) {
			return err
		}
		return nil
	}
	data, err := json.Marshal(recs)
	if err != nil {
		return err
	}
	return writeFileAtomic(c.path(), data)
}
