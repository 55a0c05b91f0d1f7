//go:build !appsbin

package plugins

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hull-project/hull/plugins/sdk"
)

// Modes of the re-executed test binary for discovery failures (TestMain
// knows the others): an Info that panics, one with a bad keyword.
func init() {
	switch os.Getenv(modeEnv) {
	case "infopanic":
		sdk.Serve(&infoPanic{})
	case "badinfo":
		sdk.Serve(&badInfo{})
	}
}

type infoPanic struct{ hello }

func (*infoPanic) Info() sdk.Info { panic("no info today\nsecond line") }

type badInfo struct{ hello }

func (*badInfo) Info() sdk.Info { return sdk.Info{Name: "bad", Keywords: []string{"lower case"}} }

// linkPlugin puts a script into dir that re-executes the test binary as a
// plugin in mode. Each launch appends a line to path+".launches".
func linkPlugin(t *testing.T, dir, name, mode string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	script := "#!/bin/sh\necho launch >> " + p + ".launches\nexec env " + modeEnv + "=" + mode + " " + os.Args[0] + "\n"
	must(t, os.WriteFile(p, []byte(script), 0o755))
	return p
}

// launches is how many times the plugin at p was started.
func launches(t *testing.T, p string) int {
	t.Helper()
	b, err := os.ReadFile(p + ".launches")
	if os.IsNotExist(err) {
		return 0
	}
	must(t, err)
	return strings.Count(string(b), "launch")
}

// touch gives p a new mtime (and so a new ctime): another file identity.
func touch(t *testing.T, p string) {
	t.Helper()
	later := time.Now().Add(time.Hour)
	must(t, os.Chtimes(p, later, later))
}

func TestDiscoverAndRegistry(t *testing.T) {
	first, second := t.TempDir(), t.TempDir()
	a := linkPlugin(t, first, "a-hello", "hello")
	b := linkPlugin(t, second, "b-hello", "hello")
	// Not plugins, skipped without a word: a plain file (the .launches
	// logs are ones too), a folder, an executable folder, network/.
	must(t, os.WriteFile(filepath.Join(first, "readme.txt"), []byte("x"), 0o644))
	must(t, os.Mkdir(filepath.Join(first, "sub"), 0o755))
	must(t, os.Mkdir(filepath.Join(first, "network"), 0o755))
	cache := filepath.Join(t.TempDir(), "hull", "plugins.json")
	found, err := Discover([]string{first, second, "/nonexistent"}, DiscoverOptions{CacheFile: cache, Launch: testOptions(nil)})
	must(t, err)
	if len(found) != 2 {
		t.Fatalf("found %d, want the 2 plugins and nothing else: %+v", len(found), found)
	}
	if found[0].Path != a || found[0].Err != nil || found[0].Info.Name != "hello" || len(found[0].SHA256) != 64 {
		t.Errorf("found[0] = %+v", found[0])
	}
	reg := NewRegistry(map[string]sdk.Handler{"greet": &builtinGreet{}}, found)
	e, ok := reg.Lookup("hello")
	if !ok || e.Path != a || e.Builtin != "" || !e.Overrides || e.Pin != "unpinned" {
		t.Errorf("HELLO -> %+v, want the first dir's %s over the built-in", e, a)
	}
	g, ok := reg.Lookup("GREET")
	if !ok || g.Builtin != "greet" || g.Overrides {
		t.Errorf("GREET -> %+v", g)
	}
	if len(reg.Warnings) != 1 || !strings.Contains(reg.Warnings[0], b) || !strings.Contains(reg.Warnings[0], a) {
		t.Errorf("warnings = %q, want one naming both", reg.Warnings)
	}
	if o := g.Options(Options{}); o.Cmd == nil || o.Name != "builtin greet" {
		t.Errorf("builtin options = %+v", o)
	}

	// Second run: nothing is launched again; a changed file is.
	if _, err := os.Stat(cache); err != nil {
		t.Fatalf("cache not written: %v", err)
	}
	found, err = Discover([]string{first, second}, DiscoverOptions{CacheFile: cache, Launch: testOptions(nil)})
	must(t, err)
	if launches(t, a) != 1 || launches(t, b) != 1 || found[0].Info.Name != "hello" {
		t.Errorf("second discovery: launches %d, %d, found %+v; want the cache used", launches(t, a), launches(t, b), found[0])
	}
	must(t, os.WriteFile(a, []byte("#!/bin/sh\nexit 0\n"), 0o755))
	found, err = Discover([]string{first, second}, DiscoverOptions{CacheFile: cache, Launch: testOptions(nil)})
	must(t, err)
	if found[0].Err == nil || !found[0].Fresh || found[1].Err != nil || found[1].Info.Name != "hello" {
		t.Errorf("after change: a %+v, b %+v", found[0], found[1])
	}
}

// An unchanged file is neither hashed nor launched again: what the cache
// says of its identity is taken. Any change of identity drops the entry.
func TestDiscoverCacheByIdentity(t *testing.T) {
	dir := t.TempDir()
	p := linkPlugin(t, dir, "hello", "hello")
	cache := filepath.Join(t.TempDir(), "plugins.json")
	opts := DiscoverOptions{CacheFile: cache, Launch: testOptions(nil)}
	found, err := Discover([]string{dir}, opts)
	must(t, err)
	real := found[0].SHA256
	// Doctor the cache's sha256: a rediscovery that hashed would not see it.
	var c infoCache
	b, err := os.ReadFile(cache)
	must(t, err)
	must(t, json.Unmarshal(b, &c))
	e := c.Plugins[p]
	if e.Ino == 0 || e.CTime == 0 || e.MTime == 0 || e.Size == 0 {
		t.Fatalf("cache entry lacks the file identity: %+v", e)
	}
	e.SHA256 = strings.Repeat("f", 64)
	c.Plugins[p] = e
	b, _ = json.Marshal(c)
	must(t, os.WriteFile(cache, b, 0o600))
	found, err = Discover([]string{dir}, opts)
	must(t, err)
	if found[0].SHA256 != e.SHA256 || launches(t, p) != 1 {
		t.Errorf("unchanged file: sha256 %s, %d launches; want the cached sum and no launch", found[0].SHA256, launches(t, p))
	}
	// chmod changes only the ctime: a new identity.
	must(t, os.Chmod(p, 0o700))
	found, err = Discover([]string{dir}, opts)
	must(t, err)
	if found[0].SHA256 != real || launches(t, p) != 2 {
		t.Errorf("after chmod: sha256 %s, %d launches; want it hashed and launched again", found[0].SHA256, launches(t, p))
	}
	// A file that went away leaves the cache.
	must(t, os.Remove(p))
	_, err = Discover([]string{dir}, opts)
	must(t, err)
	if loadInfoCache(cache, "").Plugins[p].SHA256 != "" {
		t.Error("the removed plugin is still in the cache")
	}
}

// A plugin that fails discovery is reported once (Fresh), in one line,
// and not launched again until its file changes.
func TestDiscoverFailureRemembered(t *testing.T) {
	for _, mode := range []string{"infopanic", "badinfo", "version2", "crash-at-start", "hang"} {
		t.Run(mode, func(t *testing.T) {
			dir := t.TempDir()
			p := filepath.Join(dir, "broken")
			switch mode {
			case "crash-at-start":
				must(t, os.WriteFile(p, []byte("#!/bin/sh\necho launch >> "+p+".launches\necho 'line one' >&2\necho 'line two' >&2\nexit 3\n"), 0o755))
			case "hang":
				must(t, os.WriteFile(p, []byte("#!/bin/sh\necho launch >> "+p+".launches\nexec sleep 60\n"), 0o755))
			default:
				linkPlugin(t, dir, "broken", mode)
			}
			opts := DiscoverOptions{CacheFile: filepath.Join(t.TempDir(), "plugins.json"), Launch: testOptions(nil)}
			if mode == "hang" {
				// Only the hang waits its StartTimeout out; the others fail
				// on their own, given time to (not as a timeout under load).
				opts.Launch.StartTimeout = time.Second
			}
			found, err := Discover([]string{dir}, opts)
			must(t, err)
			if len(found) != 1 || found[0].Err == nil || !found[0].Fresh {
				t.Fatalf("first discovery: %+v, want a fresh failure", found)
			}
			if msg := OneLine(found[0].Err.Error()); strings.Contains(msg, "\n") || !strings.Contains(msg, p) {
				t.Errorf("warning %q: want one line naming %s", msg, p)
			}
			cause := found[0].Err.Error()
			t.Logf("warning: %s", OneLine(cause))
			found, err = Discover([]string{dir}, opts)
			must(t, err)
			if found[0].Err == nil || found[0].Fresh || launches(t, p) != 1 {
				t.Errorf("second discovery: %+v after %d launches; want the remembered failure, no launch", found[0], launches(t, p))
			}
			if got := found[0].Err.Error(); !strings.Contains(got, p) || !strings.Contains(OneLine(cause), firstWords(got)) {
				t.Errorf("remembered failure %q does not say what the first one said: %q", got, cause)
			}
			reg := NewRegistry(nil, found)
			if len(reg.Entries()) != 0 {
				t.Errorf("a broken plugin is in the registry: %+v", reg.Entries())
			}
			touch(t, p)
			found, err = Discover([]string{dir}, opts)
			must(t, err)
			if found[0].Err == nil || !found[0].Fresh || launches(t, p) != 2 {
				t.Errorf("changed file: %+v after %d launches; want it retried", found[0], launches(t, p))
			}
		})
	}
}

// firstWords is the start of a remembered failure, after the path.
func firstWords(s string) string {
	_, rest, _ := strings.Cut(s, "broken: ")
	if len(rest) > 30 {
		rest = rest[:30]
	}
	return rest
}

func TestPins(t *testing.T) {
	if _, _, err := ParsePin("x=abc"); err == nil {
		t.Error("short sum accepted")
	}
	name, sum, err := ParsePin("hello=sha256:" + strings.Repeat("AB", 32))
	if err != nil || name != "hello" || sum != strings.Repeat("ab", 32) {
		t.Fatalf("ParsePin = %q %q %v", name, sum, err)
	}
	file := filepath.Join(t.TempDir(), "plugins.pin")
	other := strings.Repeat("cd", 32)
	must(t, os.WriteFile(file, []byte("# pins\nhello="+sum+"\n/p/byname="+other+"\n"), 0o644))
	pins, err := LoadPins(file)
	if err != nil || pins["hello"] != (Pin{SHA256: sum, Source: file}) {
		t.Fatalf("LoadPins = %v, %v", pins, err)
	}
	found := []Found{
		{Path: "/p/hello", SHA256: other, Info: sdk.Info{Name: "hello", Keywords: []string{"HELLO"}}},
		{Path: "/p/byname", SHA256: other, Info: sdk.Info{Name: "x", Keywords: []string{"X"}}},
		{Path: "/p/free", SHA256: other, Info: sdk.Info{Name: "free", Keywords: []string{"FREE"}}},
	}
	pins.Apply(found)
	err = found[0].PinErr
	if err == nil || found[0].PinState() != "MISMATCH" {
		t.Fatalf("mismatch not seen: %+v", found[0])
	}
	for _, w := range []string{"/p/hello", file, sum, other, "checksum mismatch"} {
		if !strings.Contains(err.Error(), w) || strings.Contains(err.Error(), "\n") {
			t.Errorf("pin error %q: want one line with %q", err, w)
		}
	}
	if found[1].PinErr != nil || found[1].PinState() != "PINNED" || found[2].PinState() != "unpinned" {
		t.Errorf("pin states %s %s, want PINNED (by path) and unpinned", found[1].PinState(), found[2].PinState())
	}
	reg := NewRegistry(nil, found)
	if e, ok := reg.Lookup("HELLO"); !ok || e.Refused == nil || e.Pin != "MISMATCH" {
		t.Errorf("HELLO -> %+v, want a refused entry", e)
	}
	if e, _ := reg.Lookup("X"); e.Refused != nil || e.Pin != "PINNED" {
		t.Errorf("X -> %+v", e)
	}
	pins["nosuch"] = Pin{SHA256: sum, Source: FlagPinSource}
	pins["/p/free"] = Pin{SHA256: other, Source: FlagPinSource}
	if got := pins.Unmatched(FlagPinSource, found); len(got) != 1 || got[0] != "nosuch" {
		t.Errorf("Unmatched = %q, want [nosuch]", got)
	}
	if _, err := LoadPins(filepath.Join(t.TempDir(), "none")); err != nil {
		t.Errorf("a missing pin file: %v", err)
	}
	must(t, os.WriteFile(file, []byte("hello=beef\n"), 0o644))
	if _, err := LoadPins(file); err == nil || !strings.Contains(err.Error(), file+":1") {
		t.Errorf("a bad pin line: %v", err)
	}
}

// FROM and ARG are the engine's: claims on them are dropped and listed.
func TestRegistryUnclaimable(t *testing.T) {
	found := []Found{{Path: "/p/f", SHA256: strings.Repeat("a", 64),
		Info: sdk.Info{Name: "f", Keywords: []string{"FROM", "ARG", "FETCH"}}}}
	reg := NewRegistry(nil, found)
	if _, ok := reg.Lookup("FROM"); ok {
		t.Error("a claim on FROM is registered")
	}
	if _, ok := reg.Lookup("ARG"); ok {
		t.Error("a claim on ARG is registered")
	}
	if _, ok := reg.Lookup("FETCH"); !ok || len(reg.Ignored) != 2 || !strings.Contains(reg.Ignored[0], "/p/f") {
		t.Errorf("FETCH missing or ignored claims %q", reg.Ignored)
	}
}

type builtinGreet struct{ hello }

func (*builtinGreet) Info() sdk.Info {
	return sdk.Info{Name: "greet", Version: "1", Keywords: []string{"GREET", "HELLO"}}
}

// A pinned plugin whose file was replaced is not launched, not even to ask
// its Info: the pin of its path, or of the name it had, refuses it first.
func TestDiscoverPinnedNotLaunched(t *testing.T) {
	dir := t.TempDir()
	p := linkPlugin(t, dir, "hello", "hello")
	cache := filepath.Join(t.TempDir(), "plugins.json")
	found, err := Discover([]string{dir}, DiscoverOptions{CacheFile: cache, Launch: testOptions(nil)})
	must(t, err)
	good := found[0].SHA256
	pins := Pins{"hello": {SHA256: good, Source: "/cfg/plugins.pin"}}
	// The swap: another program under the same path.
	must(t, os.WriteFile(p, []byte("#!/bin/sh\necho launch >> "+p+".launches\necho evil > "+p+".evil\nexit 1\n"), 0o755))
	found, err = Discover([]string{dir}, DiscoverOptions{CacheFile: cache, Launch: testOptions(nil), Pins: pins})
	must(t, err)
	if launches(t, p) != 1 {
		t.Errorf("the replaced pinned plugin was launched (%d launches)", launches(t, p))
	}
	if _, err := os.Stat(p + ".evil"); err == nil {
		t.Error("the replaced pinned plugin ran")
	}
	f := found[0]
	if f.PinErr == nil || f.PinState() != "MISMATCH" || f.Info.Name != "hello" || !strings.Contains(f.PinErr.Error(), good) {
		t.Fatalf("found %+v, want refused by the pin of hello", f)
	}
	pins.Apply(found) // keeps the refusal
	if e, ok := NewRegistry(nil, found).Lookup("HELLO"); !ok || e.Refused == nil {
		t.Errorf("HELLO -> %+v, want refused", e)
	}
	// A file never seen, pinned by path: refused unlaunched too.
	q := filepath.Join(dir, "fresh")
	must(t, os.WriteFile(q, []byte("#!/bin/sh\necho launch >> "+q+".launches\nexit 1\n"), 0o755))
	pins[q] = Pin{SHA256: good, Source: FlagPinSource}
	found, err = Discover([]string{dir}, DiscoverOptions{CacheFile: cache, Launch: testOptions(nil), Pins: pins})
	must(t, err)
	if launches(t, q) != 0 || found[0].Path != q || found[0].PinErr == nil {
		t.Errorf("path-pinned new file: %d launches, %+v", launches(t, q), found[0])
	}
}

// A cache written by another hull binary (or format) is not trusted: a
// newer hull may read Info fields the older one did not keep.
func TestInfoCacheOtherHull(t *testing.T) {
	file := filepath.Join(t.TempDir(), "plugins.json")
	entry := cachedInfo{SHA256: strings.Repeat("a", 64), Info: &sdk.Info{Name: "x"}}
	for _, c := range []infoCache{
		{Version: cacheVersion, Hull: "other", Plugins: map[string]cachedInfo{"/p/x": entry}},
		{Version: cacheVersion - 1, Hull: selfStamp(), Plugins: map[string]cachedInfo{"/p/x": entry}},
	} {
		b, err := json.Marshal(c)
		must(t, err)
		must(t, os.WriteFile(file, b, 0o600))
		if got := loadInfoCache(file, ""); len(got.Plugins) != 0 || !got.dirty {
			t.Errorf("cache of hull %q, version %d: kept %v", c.Hull, c.Version, got.Plugins)
		}
	}
	good := infoCache{Version: cacheVersion, Hull: selfStamp(), Plugins: map[string]cachedInfo{"/p/x": entry}}
	b, _ := json.Marshal(good)
	must(t, os.WriteFile(file, b, 0o600))
	if got := loadInfoCache(file, ""); len(got.Plugins) != 1 || selfStamp() == "" {
		t.Errorf("this hull's cache was dropped (stamp %q)", selfStamp())
	}
}

// A hull that cannot start plugins (NoStart, or the default hull of
// `make build`) learns nothing by itself: discovery of a file it would
// have to launch answers ErrNeedsFullBinary, launches nothing and leaves
// the cache as it was, so that the full hull, which then discovers it,
// reports a failure as fresh. What the cache holds is used as usual.
func TestDiscoverNoStart(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "broken")
	must(t, os.WriteFile(p, []byte("#!/bin/sh\necho launch >> "+p+".launches\nexit 3\n"), 0o755))
	cache := filepath.Join(t.TempDir(), "plugins.json")
	opts := DiscoverOptions{CacheFile: cache, Launch: testOptions(nil), NoStart: true}
	_, err := Discover([]string{dir}, opts)
	if !errors.Is(err, ErrNeedsFullBinary) || launches(t, p) != 0 {
		t.Fatalf("NoStart discovery: %v after %d launches; want ErrNeedsFullBinary and none", err, launches(t, p))
	}
	if _, err := os.Stat(cache); !os.IsNotExist(err) {
		t.Fatalf("NoStart discovery wrote the cache: %v", err)
	}
	opts.NoStart = false
	found, err := Discover([]string{dir}, opts)
	must(t, err)
	if len(found) != 1 || found[0].Err == nil || !found[0].Fresh || launches(t, p) != 1 {
		t.Fatalf("full discovery: %+v after %d launches; want one fresh failure", found, launches(t, p))
	}
	opts.NoStart = true
	found, err = Discover([]string{dir}, opts)
	must(t, err)
	if len(found) != 1 || found[0].Err == nil || found[0].Fresh || launches(t, p) != 1 {
		t.Fatalf("NoStart after the full discovery: %+v, %d launches; want the remembered failure", found, launches(t, p))
	}
}

// A plugin's text is shown on one line, its control characters escaped.
func TestOneLineEscapesControls(t *testing.T) {
	got := OneLine("bad\nline2 \x1b[31mred\x1b[0m\x00")
	if got != `bad line2 \x1b[31mred\x1b[0m\x00` {
		t.Errorf("OneLine = %q", got)
	}
}
