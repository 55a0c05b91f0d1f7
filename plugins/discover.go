package plugins

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
	"unicode"

	sdk "github.com/hull-project/hull/plugins/sdk/spec"
)

// Found is one plugin candidate of a plugin directory: an executable
// regular file (other entries are skipped without a word). Err is set when
// it cannot be used (it failed to start or to answer Info); such files are
// listed so that `hull plugin ls` can say why, never fatal. PinErr is set
// by Pins.Apply when its file does not match its pin.
type Found struct {
	Path    string
	Dir     string // the search-path directory it came from
	Size    int64
	ModTime time.Time
	SHA256  string // hex
	Info    sdk.Info
	Err     error
	// Fresh: Err was seen by this Discover (the plugin was launched now);
	// false when the failure was remembered from an earlier one. Callers
	// report fresh failures, once.
	Fresh bool
	// Pin is the pin that applies (Pins.Apply), PinErr its mismatch.
	Pin    *Pin
	PinErr error
}

// PinState is what `hull plugin ls` shows of f's pin: PINNED, MISMATCH or
// unpinned.
func (f Found) PinState() string {
	switch {
	case f.Pin == nil:
		return "unpinned"
	case f.PinErr != nil:
		return "MISMATCH"
	}
	return "PINNED"
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
	// CacheFile keeps, by path and file identity (device, inode, size,
	// mtime, ctime), each plugin's sha256 and Info, or why it failed, so
	// that builds neither hash nor relaunch unchanged plugins; "" = no
	// cache.
	CacheFile string
	// Launch is the template for launching a plugin to ask its Info. Its
	// Log defaults to nothing (a failure is reported once, as Found.Err),
	// or to stderr with HULL_PLUGIN_LOG=debug.
	Launch Options
	// NoStart launches nothing: a file that would have to be launched
	// gives ErrNeedsFullBinary, as in a hull that cannot (CanStart).
	NoStart bool
	// Hull is the path of the hull whose size and mtime stamp the cache
	// (infoCache.Hull); "" is this executable. The full hull exec'd by the
	// default one (core/appbin) names the default one, so that both read
	// and write one cache.
	Hull string
	// Pins are checked before a changed file is launched: one whose path,
	// or the name it had when last seen, is pinned to another sha256 is
	// never run (Found.PinErr, with the Info it last had). Pins.Apply
	// checks the rest.
	Pins Pins
}

// Discover lists the executable files in dirs (missing dirs are skipped)
// and learns each one's sha256 and Info, from the cache or by hashing and
// launching it once. Files are sorted by name within a dir, dirs kept in
// order. The error is about the cache file, which Discover still tries
// to use, or ErrNeedsFullBinary (wrapped) when a file had to be launched
// and this hull cannot (CanStart): then the cache file is not written.
func Discover(dirs []string, opts DiscoverOptions) ([]Found, error) {
	cache := loadInfoCache(opts.CacheFile, opts.Hull)
	if opts.Launch.Log == nil && !ShowStderr() {
		opts.Launch.Log = io.Discard
	}
	var out []Found
	for _, dir := range dirs {
		entries, err := os.ReadDir(dir)
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			out = append(out, Found{Path: dir, Dir: dir, Err: err, Fresh: true})
			continue
		}
		seen := map[string]bool{}
		for _, e := range entries {
			// Hidden files, folders (network/ holds network plugins,
			// package plugins/network) and anything not an executable
			// regular file are not plugins: skipped silently.
			if strings.HasPrefix(e.Name(), ".") || e.IsDir() {
				continue
			}
			path := filepath.Join(dir, e.Name())
			f, ok := inspect(path, dir, cache, opts)
			if ok {
				seen[path] = true
				out = append(out, f)
			}
		}
		cache.prune(dir, seen)
	}
	for _, f := range out {
		if errors.Is(f.Err, ErrNeedsFullBinary) {
			// The cache is left as it was: the full hull learns these.
			return out, f.Err
		}
	}
	return out, cache.save(opts.CacheFile)
}

// identity is what tells that a file is still the one hashed and launched:
// any write changes mtime and ctime, a replacement the inode or ctime.
type identity struct {
	Dev   uint64 `json:"dev"`
	Ino   uint64 `json:"ino"`
	Size  int64  `json:"size"`
	MTime int64  `json:"mtime_ns"`
	CTime int64  `json:"ctime_ns"`
}

func identityOf(fi os.FileInfo) identity {
	id := identity{Size: fi.Size(), MTime: fi.ModTime().UnixNano()}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		id.Dev, id.Ino = uint64(st.Dev), st.Ino
		id.CTime = st.Ctim.Sec*int64(time.Second) + st.Ctim.Nsec
	}
	return id
}

// inspect learns one candidate; ok=false when it is not one (not an
// executable regular file, or gone).
func inspect(path, dir string, cache *infoCache, opts DiscoverOptions) (Found, bool) {
	launch := opts.Launch
	f := Found{Path: path, Dir: dir}
	fi, err := os.Stat(path)
	if err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm()&0o111 == 0 {
		return f, false
	}
	f.Size, f.ModTime = fi.Size(), fi.ModTime()
	id := identityOf(fi)
	if e, ok := cache.get(path, id); ok {
		f.SHA256 = e.SHA256
		if e.Err != "" {
			op, cause, ok := strings.Cut(e.Err, ": ")
			if !ok {
				op, cause = "discover", e.Err
			}
			f.Err = &Error{Plugin: path, Op: op, Err: errors.New(cause)}
		} else if e.Info != nil {
			f.Info = *e.Info
		}
		return f, true
	}
	if f.SHA256, err = FileSHA256(path); err != nil {
		f.Err, f.Fresh = err, true
		return f, true
	}
	// A pinned plugin replaced by another binary is not even asked its
	// Info: the name it had here says which pin applies.
	var last sdk.Info
	if e, ok := cache.Plugins[path]; ok && e.Info != nil {
		last = *e.Info
	}
	if pin, key, ok := opts.Pins.Lookup(path, last.Name); ok && pin.SHA256 != f.SHA256 {
		f.Info, f.Pin, f.PinErr = last, &pin, pinError(f, pin, key)
		return f, true
	}
	launch.Cmd, launch.Path, launch.Name, launch.SHA256 = nil, path, "", f.SHA256
	var c *Client
	if opts.NoStart {
		err = &Error{Plugin: path, Op: "start", Err: ErrNeedsFullBinary}
	} else {
		c, err = Start(launch)
	}
	if errors.Is(err, ErrNeedsFullBinary) {
		// Not the plugin's failure: nothing is cached, and Discover
		// answers this error so that the full hull discovers it.
		f.Err, f.Fresh = err, true
		return f, true
	}
	if err != nil {
		f.Err, f.Fresh = err, true
		cache.put(path, cachedInfo{identity: id, SHA256: f.SHA256, Err: OneLine(causeOf(err, path))})
		return f, true
	}
	c.Kill()
	f.Info = c.Info()
	info := f.Info
	cache.put(path, cachedInfo{identity: id, SHA256: f.SHA256, Info: &info})
	return f, true
}

// causeOf is err's text without the "plugin PATH: " its *Error puts first
// (the cache re-wraps it).
func causeOf(err error, path string) string {
	var e *Error
	if errors.As(err, &e) && e.Plugin == path && e.Where == "" {
		return e.Op + ": " + e.Err.Error()
	}
	return err.Error()
}

// OneLine flattens s (a plugin's error may quote its multi-line stderr)
// to one line of at most 400 characters.
func OneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	// What is left of the control characters (a terminal's escapes, say)
	// is shown, not sent: the text comes from a plugin.
	if strings.IndexFunc(s, unicode.IsControl) >= 0 {
		var b strings.Builder
		for _, r := range s {
			if unicode.IsControl(r) {
				fmt.Fprintf(&b, "\\x%02x", r)
				continue
			}
			b.WriteRune(r)
		}
		s = b.String()
	}
	if r := []rune(s); len(r) > 400 {
		s = string(r[:399]) + "…"
	}
	return s
}

// FileSHA256 is the hex sha256 of the file at path.
func FileSHA256(path string) (string, error) {
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

// cacheVersion changes when an entry's meaning does; an older file is
// dropped.
const cacheVersion = 2

// infoCache is the plugins.json file: by path, what Discover learnt of a
// file with that identity.
type infoCache struct {
	Version int `json:"version"`
	// Hull identifies the hull binary that wrote the cache: a new hull may
	// read fields of Info an older one did not keep, so it starts afresh.
	Hull    string                `json:"hull"`
	Plugins map[string]cachedInfo `json:"plugins"`
	dirty   bool
}

// selfStamp identifies this executable by size and mtime ("" when unknown).
var selfStamp = sync.OnceValue(func() string {
	exe, err := os.Executable()
	if err != nil {
		return ""
	}
	return stamp(exe)
})

// stamp identifies the executable at path by size and mtime ("" when
// unknown).
func stamp(path string) string {
	fi, err := os.Stat(path)
	if err != nil {
		return ""
	}
	return fmt.Sprintf("%d-%d", fi.Size(), fi.ModTime().UnixNano())
}

type cachedInfo struct {
	identity
	SHA256 string    `json:"sha256"`
	Info   *sdk.Info `json:"info,omitempty"`
	Err    string    `json:"error,omitempty"` // why it cannot be used
}

// loadInfoCache reads the cache; a missing, corrupt or older one is empty.
func loadInfoCache(file, hull string) *infoCache {
	self := selfStamp()
	if hull != "" {
		self = stamp(hull)
	}
	c := &infoCache{Version: cacheVersion, Hull: self, Plugins: map[string]cachedInfo{}}
	if file == "" {
		return c
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return c
	}
	var read infoCache
	if json.Unmarshal(b, &read) != nil || read.Version != cacheVersion || read.Hull != c.Hull || read.Plugins == nil {
		c.dirty = true
		return c
	}
	c.Plugins = read.Plugins
	return c
}

func (c *infoCache) get(path string, id identity) (cachedInfo, bool) {
	e, ok := c.Plugins[path]
	if !ok || e.identity != id || len(e.SHA256) != 64 || (e.Info == nil && e.Err == "") {
		return cachedInfo{}, false
	}
	return e, true
}

func (c *infoCache) put(path string, e cachedInfo) {
	c.Plugins[path] = e
	c.dirty = true
}

// prune forgets the files of dir that are gone.
func (c *infoCache) prune(dir string, seen map[string]bool) {
	for p := range c.Plugins {
		if filepath.Dir(p) == dir && !seen[p] {
			delete(c.Plugins, p)
			c.dirty = true
		}
	}
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
