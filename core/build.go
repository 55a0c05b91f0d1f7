package core

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"github.com/hull-project/hull/core/container"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/hull-project/hull/builders"
	"github.com/hull-project/hull/core/image"
	"github.com/hull-project/hull/core/layer"
	"github.com/hull-project/hull/core/remotecache"
	"github.com/hull-project/hull/core/transfer"
	"github.com/hull-project/hull/plugins"
)

// BuildOptions are `hull build`'s inputs beyond the engine's own options.
type BuildOptions struct {
	builders.Options
	// ContextTar, when set, is the context as a tar stream (`hull build -`).
	ContextTar io.Reader
	Plugins    PluginOptions
	// Limits confine every RUN step (--memory, --pids-limit, --ulimit...).
	Limits container.Limits
	// Devices (--device, with --allow device) are given to every RUN
	// step; CDISpecDirs (--cdi-spec-dir) replace the CDI spec directories.
	Devices     []string
	CDISpecDirs []string
	// Pull pulls every image the Dockerfile names, even when stored
	// (--pull).
	Pull bool
	// ExtraHosts are --add-host lines for the RUN steps' /etc/hosts.
	ExtraHosts []string
	// ShmSize is the RUN steps' /dev/shm size in bytes (0: 64 MiB).
	ShmSize int64
	// Output, when set, exports the result (-o); without Tags the image
	// is not kept. Stdout is where a dest of "-" goes.
	Output *BuildOutput
	Stdout io.Writer
	// CacheFrom are --cache-from: their steps replay where the store's
	// cache has none; CacheTo are --cache-to, written after the build.
	CacheFrom, CacheTo []remotecache.Spec
	// ReplayOnly is the default hull's attempt at a build it cannot
	// finish without starting a plugin (plugins.CanStart is false): it
	// goes as far as the steps replay from the cache, and anything more
	// (starting a plugin, a pull, a build that cannot be a replay at all)
	// fails with plugins.ErrNeedsFullBinary before it has an effect
	// beyond derived data (unpacked layers, the context cache). The
	// caller then hands the command to the full hull (core/appbin).
	ReplayOnly bool
}

// errNotReplay is the wrapped plugins.ErrNeedsFullBinary of a ReplayOnly
// build that cannot be a pure replay of cached steps.
func errNotReplay(why string) error {
	return fmt.Errorf("build %s: %w", why, plugins.ErrNeedsFullBinary)
}

// Build runs a Dockerfile build and returns the image.
func (h *Hull) Build(ctx context.Context, opts BuildOptions) (*image.Image, error) {
	if opts.ReplayOnly {
		switch {
		case opts.ContextTar != nil:
			return nil, errNotReplay("with the context on stdin")
		case opts.NoCache:
			return nil, errNotReplay("without the cache")
		case opts.Pull:
			return nil, errNotReplay("with --pull")
		case len(opts.CacheFrom) > 0:
			return nil, errNotReplay("from an imported cache")
		case opts.Output != nil && (opts.Output.Type == "docker" || opts.Output.Type == "oci"):
			return nil, errNotReplay("exported as an image archive") // archive.Save: the full hull's
		case slices.ContainsFunc(opts.CacheTo, func(s remotecache.Spec) bool { return s.Type == "registry" }):
			return nil, errNotReplay("with a registry cache") // go-containerregistry: the full hull's
		}
	}
	opts.Plugins.NoStart = opts.Plugins.NoStart || opts.ReplayOnly
	scratch := filepath.Join(h.Root, "builds")
	if err := os.MkdirAll(scratch, 0o700); err != nil {
		return nil, fmt.Errorf("create build dir: %w", err)
	}
	// The cache this build looks up stays until it ends (buildcache.go).
	release, err := h.holdBuildCache()
	if err != nil {
		return nil, err
	}
	defer release()
	u := NewUnpacker(h.Mapping)
	// Leftovers of killed builds go first; running ones hold their dirs.
	_, _ = builders.SweepWorkDirs(scratch, filepath.Join(h.RunRoot, "builds"), u.RemoveAll)
	ctx, stop := interruptible(ctx)
	defer stop()
	if opts.ContextTar != nil {
		wd, err := builders.NewWorkDir(scratch, "context-"+randomHex())
		if err != nil {
			return nil, err
		}
		defer wd.Release()
		defer removeTree(wd.Path)
		if err := layer.Unpack(opts.ContextTar, wd.Path, layer.Options{}); err != nil {
			return nil, fmt.Errorf("read build context from stdin: %w", err)
		}
		opts.ContextDir = wd.Path
	}
	if st, err := os.Stat(opts.ContextDir); err != nil || !st.IsDir() {
		return nil, fmt.Errorf("build context %q is not a directory", opts.ContextDir)
	}
	devices, err := buildDevices(opts.Devices, opts.CDISpecDirs, opts.Allow, opts.Out)
	if err != nil {
		return nil, err
	}
	ps, err := Plugins(opts.Plugins)
	if err != nil {
		return nil, err
	}
	for _, w := range append(ps.FreshFailures(), ps.Warnings...) {
		fmt.Fprintf(opts.Out, "WARNING: %s\n", w)
	}
	set := &pluginSet{reg: ps.Registry, opts: opts.Plugins, live: map[string]*plugins.Client{}}
	defer set.close()
	pull := func(ctx context.Context, ref string) (*image.Image, error) {
		if opts.ReplayOnly {
			return nil, errNotReplay("pulling " + ref)
		}
		return h.Pull(ctx, ref, transfer.PullOptions{Platform: opts.Platform})
	}
	env := builders.Env{
		Images:     &buildImages{store: h.Images, pull: pull, always: opts.Pull},
		Containers: buildContainers{},
		Mapping:    h.Mapping,
		WorkDir:    scratch,
		StateDir:   filepath.Join(h.RunRoot, "builds"),
		CacheDir:   filepath.Join(h.Root, "buildcache"),
		Handler:    set.handler,
		Resolve:    set.resolve,
		RemoveAll:  u.RemoveAll,
		Steps:      newBuildSteps(opts.Limits, opts.Out).withDevices(devices).withHosts(opts.ExtraHosts, opts.ShmSize),
	}
	if len(opts.CacheFrom) > 0 && !opts.NoCache {
		ic := importCaches(ctx, h.Images, opts.CacheFrom, false, opts.Out)
		defer ic.close()
		env.CacheFrom = ic
	}
	opts.ExportCache = len(opts.CacheTo) > 0
	// Those plugins' Info came from discovery: nothing is launched.
	env.HeredocKeywords, env.PluginKeywords = pluginKeywords(ps.Registry)
	res, err := builders.Build(ctx, env, opts.Options)
	if err != nil && ctx.Err() != nil {
		return nil, context.Cause(ctx) // the build's dirs are gone
	}
	if err != nil {
		return nil, err
	}
	// The cache goes out first: a failed export leaves no image.
	if err := exportCaches(ctx, h.Images, opts.CacheTo, res.Cache, false, opts.Out); err != nil {
		return nil, err
	}
	img, err := commitBuild(h.Images, res, opts.Tags)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(opts.Tags))
	for _, t := range opts.Tags {
		n, _ := image.NormalizeRef(t)
		names = append(names, n)
	}
	res.Committed(img.ID, names)
	if opts.Output != nil {
		if err := h.exportBuild(img, opts.Tags, *opts.Output, opts.Stdout); err != nil {
			return nil, err
		}
		if len(opts.Tags) == 0 {
			h.dropUnnamed(img.ID)
		}
	}
	return img, nil
}

// dropUnnamed removes the image id when it has no name (-o without -t:
// the result went to the output, as Docker keeps no image then). Its
// layers stay as build cache.
func (h *Hull) dropUnnamed(id string) {
	if img, err := h.Images.Lookup(id); err == nil && len(img.Names) == 0 {
		_, _ = h.Images.Remove(id, image.RemoveOptions{InUse: h.imageInUse})
	}
}

// interruptible returns ctx cancelled by SIGINT, SIGTERM or SIGPIPE (the
// output's reader went away), so that an interrupted build stops its step
// and removes its dirs instead of dying with them in place. The cause
// names the signal. stop ends the catching.
func interruptible(ctx context.Context) (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(ctx)
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGPIPE)
	done := make(chan struct{})
	go func() {
		for {
			select {
			case sig := <-sigs:
				// With SIGPIPE caught, a write to any broken pipe or
				// socket raises it (a plugin that died, say): only a
				// broken stdout or stderr ends the build.
				if sig == syscall.SIGPIPE && !outputBroken() {
					continue
				}
				cancel(fmt.Errorf("build interrupted by %s", unix.SignalName(sig.(syscall.Signal))))
				return
			case <-done:
				return
			}
		}
	}()
	return ctx, func() {
		signal.Stop(sigs)
		close(done)
		cancel(nil)
	}
}

// outputBroken reports whether stdout or stderr is a pipe or socket whose
// reader is gone.
func outputBroken() bool {
	fds := []unix.PollFd{{Fd: 1}, {Fd: 2}}
	if _, err := unix.Poll(fds, 0); err != nil {
		return false
	}
	for _, f := range fds {
		if f.Revents&(unix.POLLERR|unix.POLLHUP) != 0 {
			return true
		}
	}
	return false
}

func randomHex() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
