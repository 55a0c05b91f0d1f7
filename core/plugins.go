package core

import (
	"fmt"
	"io"
	"sync"

	"github.com/hull-project/hull/builders"
	"github.com/hull-project/hull/builders/instructions"
	"github.com/hull-project/hull/plugins"
	"github.com/hull-project/hull/plugins/sdk"
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
	Dirs []string          // --plugin-dir
	Pins map[string]string // --plugin-checksum NAME=SHA256
	Log  io.Writer         // plugin stderr and go-plugin warnings
}

// Plugins discovers the instruction plugins: hull's built-ins and the
// executables in the plugin search path.
func Plugins(opts PluginOptions) (*plugins.Registry, []plugins.Found, error) {
	found, err := plugins.Discover(plugins.SearchPath(opts.Dirs), plugins.DiscoverOptions{
		CacheFile: plugins.DefaultCacheFile(), Launch: plugins.Options{Log: opts.Log}})
	if err != nil {
		return nil, nil, err
	}
	return plugins.NewRegistry(BuiltinHandlers(), found), found, nil
}

// pluginSet launches each plugin a build needs once, on first use, and
// kills them all when the build ends.
type pluginSet struct {
	reg  *plugins.Registry
	opts PluginOptions
	mu   sync.Mutex
	live map[string]*plugins.Client // by builtin name or path
}

func (p *pluginSet) handler(keyword string) (builders.Handler, bool, error) {
	e, ok := p.reg.Lookup(keyword)
	if !ok {
		return builders.Handler{}, false, nil
	}
	id := e.Path
	if e.Builtin != "" {
		id = "builtin:" + e.Builtin
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	c, ok := p.live[id]
	if !ok {
		opts := e.Options(plugins.Options{Log: p.opts.Log})
		if sum, pinned := p.opts.Pins[e.Info.Name]; pinned && e.Builtin == "" {
			if sum != e.SHA256 {
				return builders.Handler{}, false, fmt.Errorf("plugin %s (%s): sha256 %s does not match the pinned %s", e.Info.Name, e.Path, e.SHA256, sum)
			}
		}
		var err error
		if c, err = plugins.Start(opts); err != nil {
			return builders.Handler{}, false, err
		}
		p.live[id] = c
	}
	return builders.Handler{Handler: c, Plugin: e.Info.Name, Version: e.Info.Version, SHA256: e.SHA256,
		NoCache: e.Builtin == "" && plugins.DevMode()}, true, nil
}

func (p *pluginSet) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.live {
		c.Kill()
	}
	p.live = nil
}
