package builders

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sync"

	"github.com/hull-project/hull/builders/copier"
	"golang.org/x/sys/unix"
)

// contextHash is the content hash of the context paths a step declared,
// selected exactly as the copy will select them (.dockerignore included).
// File digests come from the stat cache when size, inode, mtime and ctime
// are unchanged, so an unchanged context is not read again; timestamps
// alone never change the hash, content does.
func (b *build) contextHash(paths []string) (string, error) {
	b.statOnce.Do(func() { b.stats = loadStatCache(b.env.CacheDir, b.opts.ContextDir) })
	return copier.HashCached(b.opts.ContextDir, copier.Op{Sources: paths, Ignore: b.ignore}, b.stats)
}

// statEntry is what identifies an unchanged file.
type statEntry struct {
	Size  int64  `json:"s"`
	Ino   uint64 `json:"i"`
	Mtime int64  `json:"m"`
	Ctime int64  `json:"c"`
	Sum   string `json:"h"`
}

// statCache is copier.SumCache over a JSON file per context directory.
type statCache struct {
	mu      sync.Mutex
	file    string
	entries map[string]statEntry
	dirty   bool
}

var _ copier.SumCache = (*statCache)(nil)

func loadStatCache(cacheDir, ctxDir string) *statCache {
	c := &statCache{file: filepath.Join(cacheDir, "context", shortHash(ctxDir)+".json"), entries: map[string]statEntry{}}
	if data, err := os.ReadFile(c.file); err == nil {
		_ = json.Unmarshal(data, &c.entries) // a damaged cache only costs a re-read
	}
	return c
}

func entryOf(st *unix.Stat_t) statEntry {
	return statEntry{Size: st.Size, Ino: st.Ino, Mtime: st.Mtim.Nano(), Ctime: st.Ctim.Nano()}
}

func (c *statCache) Get(path string, st *unix.Stat_t) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[path]
	want := entryOf(st)
	if !ok || e.Size != want.Size || e.Ino != want.Ino || e.Mtime != want.Mtime || e.Ctime != want.Ctime {
		return "", false
	}
	return e.Sum, true
}

func (c *statCache) Put(path string, st *unix.Stat_t, sum string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := entryOf(st)
	e.Sum = sum
	c.entries[path] = e
	c.dirty = true
}

// save writes the cache back when it changed (temp file + rename).
func (c *statCache) save() error {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.dirty {
		return nil
	}
	data, err := json.Marshal(c.entries)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(c.file), 0o700); err != nil {
		return err
	}
	return writeFileAtomic(c.file, data)
}
