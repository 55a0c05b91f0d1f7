package core

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/hull-project/hull/builders"
	"github.com/hull-project/hull/builders/instructions"
	"github.com/hull-project/hull/core/appbin"
	"github.com/hull-project/hull/plugins"
	"github.com/hull-project/hull/plugins/network"
	sdk "github.com/hull-project/hull/plugins/sdk/spec"
)

// BuiltinHandlers are the instruction handlers hull serves itself, by
// plugin name; main.go serves them when re-executed as a plugin.
func BuiltinHandlers() map[string]sdk.Handler {
	out := map[string]sdk.Handler{}
	for _, h := range instructions.Builtins() {
		out[h.Info().Name] = h
	}
	return out
}

// PluginOptions are where external plugins come from.
type PluginOptions struct {
	Dirs []string     // --plugin-dir
	Pins plugins.Pins // --plugin-checksum NAME=SHA256 (Source plugins.FlagPinSource)
	// PinFile is the pin file read besides Pins; "" is
	// plugins.DefaultPinFile, "-" none.
	PinFile string
	// CacheFile is Discover's cache; "" is plugins.DefaultCacheFile, "-"
	// none.
	CacheFile string
	Log       io.Writer // plugin stderr and go-plugin warnings
	// NoStart starts no plugin process, for discovery or a step: doing
	// so fails with plugins.ErrNeedsFullBinary (BuildOptions.ReplayOnly).
	NoStart bool
}

// PluginSet is what Plugins found: the keyword registry and every
// candidate file, with the failures Discover saw for the first time.
type PluginSet struct {
	*plugins.Registry
	Found []plugins.Found
}

// FreshFailures are one-line warnings for the plugins that failed to be
// discovered just now; a failure remembered from an earlier run is not
// repeated (`hull plugin ls` lists them all).
func (s PluginSet) FreshFailures() []string {
	var out []string
	for _, f := range s.Found {
		if f.Err != nil && f.Fresh {
			out = append(out, DiscoveryWarning(f))
		}
	}
	return out
}

// DiscoveryWarning is the one-line warning about a plugin file that
// cannot be used.
func DiscoveryWarning(f plugins.Found) string {
	msg := plugins.OneLine(f.Err.Error())
	if !strings.Contains(msg, f.Path) {
		msg = f.Path + ": " + msg
	}
	return msg + " (not used until the file changes)"
}

// Plugins discovers the instruction plugins: hull's built-ins and the
// executables in the plugin search path, checked against the pins of the
// pin file and of opts.Pins. A flag pin that names no plugin found is an
// error (a typo would otherwise pin nothing).
func Plugins(opts PluginOptions) (PluginSet, error) {
	cacheFile := opts.CacheFile
	switch cacheFile {
	case "":
		cacheFile = plugins.DefaultCacheFile()
	case "-":
		cacheFile = ""
	}
	pinFile := opts.PinFile
	switch pinFile {
	case "":
		pinFile = plugins.DefaultPinFile()
	case "-":
		pinFile = ""
	}
	pins, err := plugins.LoadPins(pinFile)
	if err != nil {
		return PluginSet{}, err
	}
	for name, pin := range opts.Pins {
		pins[name] = pin
	}
	found, err := plugins.Discover(plugins.SearchPath(opts.Dirs), plugins.DiscoverOptions{CacheFile: cacheFile, Pins: pins,
		NoStart: opts.NoStart, Hull: appbin.Helper()})
	if errors.Is(err, plugins.ErrNeedsFullBinary) {
		return PluginSet{}, err
	}
	if err != nil {
		// The cache only saves work; discovery went on without it.
		fmt.Fprintf(logOf(opts.Log), "WARNING: %v\n", err)
	}
	if bad := pins.Unmatched(plugins.FlagPinSource, found); len(bad) > 0 {
		return PluginSet{}, fmt.Errorf("--plugin-checksum %s: no plugin of that name or path was found (see `hull plugin ls`)", strings.Join(bad, ", "))
	}
	pins.Apply(found)
	return PluginSet{Registry: plugins.NewRegistry(BuiltinHandlers(), found), Found: found}, nil
}

func logOf(w io.Writer) io.Writer {
	if w == nil {
		return os.Stderr
	}
	return w
}

// NetworkPlugin is one external network plugin: DIR/network/NAME in the
// plugin search path (the first of a name wins).
type NetworkPlugin struct {
	Name, Path, SHA256 string
	Pin                string // PINNED, MISMATCH or unpinned
	Shadowed           bool   // an earlier directory has one of that name
}

// NetworkPlugins lists the external network plugins in the search path,
// with their pins (by name or path). Files that are not executable and
// folders are skipped.
func NetworkPlugins(dirs []string, pinFile string) ([]NetworkPlugin, error) {
	if pinFile == "" {
		pinFile = plugins.DefaultPinFile()
	}
	pins, err := plugins.LoadPins(pinFile)
	if err != nil {
		return nil, err
	}
	var out []NetworkPlugin
	seen := map[string]bool{}
	for _, dir := range plugins.SearchPath(dirs) {
		sub := filepath.Join(dir, network.PluginSubdir)
		entries, err := os.ReadDir(sub)
		if err != nil {
			continue
		}
		for _, e := range entries {
			p := filepath.Join(sub, e.Name())
			fi, err := os.Stat(p)
			if strings.HasPrefix(e.Name(), ".") || err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm()&0o111 == 0 {
				continue
			}
			np := NetworkPlugin{Name: e.Name(), Path: p, Shadowed: seen[e.Name()], Pin: "unpinned"}
			seen[e.Name()] = true
			np.SHA256, _ = plugins.FileSHA256(p)
			if pin, _, ok := pins.Lookup(p, np.Name); ok {
				np.Pin = "PINNED"
				if pin.SHA256 != np.SHA256 {
					np.Pin = "MISMATCH"
				}
			}
			out = append(out, np)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// pluginSet launches each plugin a build needs once, on first use, and
// kills them all when the build ends.
type pluginSet struct {
	reg  *plugins.Registry
	opts PluginOptions
	mu   sync.Mutex
	live map[string]*plugins.Client // by builtin name or path
}

// pluginKeywords returns the keywords external plugins handle (all), and
// those of them whose plugin takes here-documents (sdk.Info.Heredocs;
// RUN, COPY and ADD always do).
func pluginKeywords(reg *plugins.Registry) (heredocs, all []string) {
	for _, e := range reg.Entries() {
		if e.Builtin != "" {
			continue
		}
		all = append(all, e.Keyword)
		if e.Info.Heredocs {
			heredocs = append(heredocs, e.Keyword)
		}
	}
	return heredocs, all
}

// resolve says, without launching anything, whether keyword has a plugin
// and whether that plugin may run.
func (p *pluginSet) resolve(keyword string) (bool, error) {
	e, ok := p.reg.Lookup(keyword)
	if !ok {
		return false, nil
	}
	return true, e.Refused
}

func (p *pluginSet) handler(keyword string) (builders.Handler, bool, error) {
	e, ok := p.reg.Lookup(keyword)
	if !ok {
		return builders.Handler{}, false, nil
	}
	if e.Refused != nil {
		return builders.Handler{}, false, e.Refused
	}
	out := builders.Handler{Plugin: e.Info.Name, Version: e.Info.Version, SHA256: e.SHA256,
		NoCache: e.Builtin == "" && plugins.DevMode()}
	if local, ok := builtinHandlers()[e.Builtin]; ok {
		out.Handler = &lazyBuiltin{local: local, name: "builtin " + e.Builtin, start: func() (*plugins.Client, error) {
			return p.client(e)
		}}
		return out, true, nil
	}
	c, err := p.client(e)
	if err != nil {
		return builders.Handler{}, false, err
	}
	out.Handler = c
	return out, true, nil
}

// client is e's plugin process, launched on first use.
func (p *pluginSet) client(e plugins.Entry) (*plugins.Client, error) {
	id := e.Path
	if e.Builtin != "" {
		id = "builtin:" + e.Builtin
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if c, ok := p.live[id]; ok {
		return c, nil
	}
	if p.live == nil {
		return nil, fmt.Errorf("start plugin %s: the build has ended", e.Info.Name)
	}
	if p.opts.NoStart {
		return nil, errNotReplay("step of plugin " + e.Info.Name)
	}
	c, err := plugins.Start(e.Options(plugins.Options{Log: p.opts.Log}))
	if err != nil {
		return nil, err
	}
	p.live[id] = c
	return c, nil
}

// builtinHandlers are this hull's own handlers, made once per process.
var builtinHandlers = sync.OnceValue(BuiltinHandlers)

// lazyBuiltin is a built-in handler whose CacheInputs runs in this process
// and whose Execute runs in its plugin process, started on the first
// Execute. CacheInputs has no side effects and no Host: it is the same
// code the plugin process would run on the same request (the engine already
// calls it in process for plugins that delegate to a built-in), so a
// rebuild whose steps all come from the cache starts no process at all
// (bench/build.sh no-op: the plugin process was half its CPU).
type lazyBuiltin struct {
	local sdk.Handler
	name  string // as the plugin's errors name it: "builtin NAME"
	start func() (*plugins.Client, error)
}

func (l *lazyBuiltin) Info() sdk.Info { return l.local.Info() }

func (l *lazyBuiltin) CacheInputs(ctx context.Context, req sdk.Request) (sdk.CacheInputs, error) {
	in, err := l.local.CacheInputs(ctx, req)
	if err != nil {
		// Worded as the plugin process's answer would be.
		return sdk.CacheInputs{}, &plugins.Error{Plugin: l.name, Op: "cache inputs",
			Where: instructionWhere(req.Instruction), Err: err, Handler: true}
	}
	return in, nil
}

func (l *lazyBuiltin) Execute(ctx context.Context, req sdk.Request, host sdk.Host) (sdk.Response, error) {
	c, err := l.start()
	if err != nil {
		return sdk.Response{}, err
	}
	return c.Execute(ctx, req, host)
}

// instructionWhere is where an instruction is, as plugin errors say it.
func instructionWhere(i sdk.Instruction) string {
	switch {
	case i.File != "" && i.Line > 0:
		return fmt.Sprintf("%s:%d", i.File, i.Line)
	case i.Line > 0:
		return fmt.Sprintf("line %d", i.Line)
	}
	return ""
}

func (p *pluginSet) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.live {
		c.Kill()
	}
	p.live = nil
}
