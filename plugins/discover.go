package plugins

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/hull-project/hull/plugins/sdk"
)

// Found is one file in a plugin directory. Err is set when it cannot be
// used (not executable, not a plugin, checksum pin mismatch...); such files
// are listed so `hull plugin ls` can say why, never fatal.
type Found struct {
	Path    string
	Dir     string // the search-path directory it came from
	Size    int64
	ModTime time.Time
	SHA256  string // hex
	Info    sdk.Info
	Err     error
}

// SearchPath is where external plugins are looked for, first wins:
// --plugin-dir values, then HULL_PLUGIN_PATH (colon-separated), then
// $XDG_CONFIG_HOME/hull/plugins (default ~/.config/hull/plugins).
func SearchPath(flagDirs []string) []string {
	dirs := append([]string(nil), flagDirs...)
	for _, d := range filepath.SplitList(os.Getenv("HULL_PLUGIN_PATH")) {
		if d != "" {
			dirs = append(dirs, d)
		}
	}
	if cfg, err := os.UserConfigDir(); err == nil {
		dirs = append(dirs, filepath.Join(cfg, "hull", "plugins"))
	}
	return dirs
}

// DefaultCacheFile is $XDG_CACHE_HOME/hull/plugins.json, or "" without a
// cache directory.
func DefaultCacheFile() string {
	dir, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(dir, "hull", "plugins.json")
}

// DiscoverOptions tune Discover.
type DiscoverOptions struct {
	// CacheFile keeps each plugin's Info by path, size, mtime and sha256 so
	// builds do not relaunch every plugin; "" = no cache.
	CacheFile string
	// Launch is the template for launching a plugin to ask its Info.
	Launch Options
}

// Discover lists the files in dirs (missing dirs are skipped), hashes each
// and learns its Info, from the cache or by launching it once. Files are
// sorted by name within a dir, dirs kept in order. The error is only about
// the cache file, which Discover still tries to use.
func Discover(dirs []string, opts DiscoverOptions) ([]Found, error) {
	cache := loadInfoCache(opts.CacheFile)
	var out []Found
	for _, dir := range dirs {
		entries, err := os.ReadDir(dir)
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			out = append(out, Found{Path: dir, Dir: dir, Err: err})
			continue
		}
		for _, e := range entries {
			// The network/ folder holds network plugins (package
			// plugins/network), not instruction plugins.
			if strings.HasPrefix(e.Name(), ".") || (e.Name() == "network" && e.IsDir()) {
				continue
			}
			out = append(out, inspect(filepath.Join(dir, e.Name()), dir, cache, opts.Launch))
		}
	}
	return out, cache.save(opts.CacheFile)
}

func inspect(path, dir string, cache *infoCache, launch Options) Found {
	f := Found{Path: path, Dir: dir}
	fi, err := os.Stat(path)
	if err != nil {
		f.Err = err
		return f
	}
	f.Size, f.ModTime = fi.Size(), fi.ModTime()
	if err := checkExecutable(path); err != nil {
		f.Err = &Error{Plugin: path, Op: "discover", Err: err}
		return f
	}
	if f.SHA256, err = fileSHA256(path); err != nil {
		f.Err = err
		return f
	}
	if info, ok := cache.get(f); ok {
		f.Info = info
		return f
	}
	launch.Cmd, launch.Path, launch.Name, launch.SHA256 = nil, path, "", f.SHA256
	c, err := Start(launch)
	if err != nil {
		f.Err = err
		return f
	}
	c.Kill()
	f.Info = c.Info()
	cache.put(f)
	return f
}

func fileSHA256(path string) (string, error) {
	fh, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer fh.Close()
	h := sha256.New()
	if _, err := io.Copy(h, fh); err != nil {
		return "", fmt.Errorf("hash %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// infoCache is the plugins.json file: Info by path, valid while size,
// mtime and sha256 match.
type infoCache struct {
	Plugins map[string]cachedInfo `json:"plugins"`
	dirty   bool
}

type cachedInfo struct {
	Size    int64     `json:"size"`
	ModTime time.Time `json:"mtime"`
	SHA256  string    `json:"sha256"`
	Info    sdk.Info  `json:"info"`
}

// loadInfoCache reads the cache; a missing or corrupt one is empty.
func loadInfoCache(file string) *infoCache {
	c := &infoCache{Plugins: map[string]cachedInfo{}}
	if file == "" {
		return c
	}
	if b, err := os.ReadFile(file); err == nil {
		if json.Unmarshal(b, c) != nil || c.Plugins == nil {
			c.Plugins, c.dirty = map[string]cachedInfo{}, true
		}
	}
	return c
}

func (c *infoCache) get(f Found) (sdk.Info, bool) {
	e, ok := c.Plugins[f.Path]
	if !ok || e.Size != f.Size || !e.ModTime.Equal(f.ModTime) || e.SHA256 != f.SHA256 {
		return sdk.Info{}, false
	}
	return e.Info, true
}

func (c *infoCache) put(f Found) {
	c.Plugins[f.Path] = cachedInfo{Size: f.Size, ModTime: f.ModTime, SHA256: f.SHA256, Info: f.Info}
	c.dirty = true
}

// save writes the cache atomically (temp file + rename) when it changed.
func (c *infoCache) save(file string) error {
	if file == "" || !c.dirty {
		return nil
	}
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return fmt.Errorf("plugin cache: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
		return fmt.Errorf("plugin cache: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(file), ".plugins-*.json")
	if err != nil {
		return fmt.Errorf("plugin cache: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return fmt.Errorf("plugin cache %s: %w", file, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("plugin cache %s: %w", file, err)
	}
	if err := os.Rename(tmp.Name(), file); err != nil {
		return fmt.Errorf("plugin cache %s: %w", file, err)
	}
	return nil
}
