package builders

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/hull-project/hull/plugins/sdk"
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

// Prune forgets every cached step (`hull builder prune`).
func PruneCache(dir string) error {
	err := os.Remove(filepath.Join(dir, "index.json"))
	if os.IsNotExist(err) {
		return nil
	}
	return err
}
