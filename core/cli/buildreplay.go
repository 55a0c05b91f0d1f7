package cli

import (
	"bytes"
	"errors"
	"io"
	"os"
	"sync"

	"github.com/urfave/cli/v2"

	"github.com/hull-project/hull/core"
	"github.com/hull-project/hull/core/appbin"
	"github.com/hull-project/hull/core/image"
	"github.com/hull-project/hull/plugins"
)

// The default hull of `make build` links no plugin client (gRPC,
// go-plugin: plugins.CanStart is false), so it cannot run a step; the
// full hull it embeds can (core/appbin). A rebuild whose steps all come
// from the cache starts no plugin, so the default hull tries that first,
// with its output held back: when the build completes, the output is
// let through and the command ends as usual; when a step (or discovery,
// or a pull) would need the full hull, the held output is dropped and
// the full hull runs the command from the start, with the same argv and
// environment. The attempt leaves nothing behind but derived data
// (unpacked layers, the context cache), so the user sees one build.

// replayable reports whether the build c asks for can be tried as a
// replay: not when it reads stdin (it cannot be read twice), nor when it
// asks not to use the cache or to pull, nor when steps come from an
// imported cache.
func replayable(c *cli.Context) bool {
	return c.Args().First() != "-" && c.String("file") != "-" && !c.Bool("f-") && !c.Bool("no-cache") &&
		!c.Bool("pull") && len(c.StringSlice("cache-from")) == 0
}

// handOverBuild execs the full hull at once when this hull cannot start
// plugins and the build cannot be a replay, or when the build's --device
// names a CDI device, which only the full hull resolves
// (handOverDevices); it returns false otherwise.
func handOverBuild(c *cli.Context) (bool, error) {
	if full, err := handOverDevices(c); full {
		return full, err
	}
	if plugins.CanStart || !appbin.Embedded() || replayable(c) {
		return false, nil
	}
	return true, appbin.Exec(os.Args, os.Environ())
}

// runBuild runs the build here, as a replay with its output held where
// this hull cannot start plugins (see above).
func runBuild(c *cli.Context, h *core.Hull, opts core.BuildOptions) (*image.Image, error) {
	if plugins.CanStart || !appbin.Embedded() {
		return h.Build(c.Context, opts)
	}
	held := &heldOutput{to: opts.Out}
	opts.Out, opts.Plugins.Log, opts.ReplayOnly = held, held, true
	img, err := h.Build(c.Context, opts)
	if errors.Is(err, plugins.ErrNeedsFullBinary) || errors.Is(err, appbin.ErrNeedsFullHull) {
		return nil, inFullHull(err)
	}
	if ferr := held.release(); err == nil && ferr != nil {
		return nil, ferr
	}
	return img, err
}

// heldOutput keeps what a build writes until release. Fd is the held
// writer's, when it is a file, so that the build's progress picks its
// terminal mode and width as it would writing there.
type heldOutput struct {
	mu  sync.Mutex
	to  io.Writer
	buf bytes.Buffer
}

func (o *heldOutput) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.Write(p)
}

// Fd is the fd of the writer the output is held for, or an invalid one.
func (o *heldOutput) Fd() uintptr {
	if f, ok := o.to.(interface{ Fd() uintptr }); ok {
		return f.Fd()
	}
	return ^uintptr(0)
}

// release writes what was held.
func (o *heldOutput) release() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.to == nil {
		return nil
	}
	_, err := o.to.Write(o.buf.Bytes())
	o.buf.Reset()
	return err
}

// inFullHull hands the command to the full hull when err says that this
// one cannot start the plugin it needs, or does not link what the
// command needs (a pull: appbin.ErrNeedsFullHull), and has the full hull
// to hand it to; it returns err otherwise.
func inFullHull(err error) error {
	if (errors.Is(err, plugins.ErrNeedsFullBinary) || errors.Is(err, appbin.ErrNeedsFullHull)) && appbin.Embedded() {
		return appbin.Exec(os.Args, os.Environ())
	}
	return err
}
