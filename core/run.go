package core

import (
	"context"
	"errors"
	"fmt"
	"github.com/hull-project/hull/plugins"
	"github.com/hull-project/hull/plugins/network"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"syscall"
	"time"

	"github.com/moby/term"

	"github.com/hull-project/hull/core/container"
	"github.com/hull-project/hull/core/image"
	"github.com/hull-project/hull/core/launch"
	"github.com/hull-project/hull/core/transfer"
	"github.com/hull-project/hull/isolation"
)

// Exit codes hull itself returns, as Docker does.
const (
	ExitHullError       = 125 // hull could not create or start the container
	ExitNotInvokable    = 126 // the command exists but cannot be executed
	ExitCommandNotFound = 127 // the command does not exist
)

// RunOptions are the options of `hull run`.
type RunOptions struct {
	container.Options
	Image  string // name or id, as given
	Detach bool
	Pull   string               // PullAlways, PullMissing ("") or PullNever
	Puller transfer.PullOptions // how a missing image is pulled
	// Result, when set, is a file that gets the run's Result as JSON.
	Result string
	// Warnings gets limits that cannot be enforced as asked (detached
	// runs; a foreground run warns on its stderr).
	Warnings io.Writer
	// CIDFile, when set, gets the new container's id (--cidfile).
	CIDFile string
	// DetachKeys end a foreground run -it's attach, leaving the container
	// running ("" is DefaultDetachKeys).
	DetachKeys string
	// NoSigProxy is --sig-proxy=false: the container runs under its
	// monitor and this process attaches to it without passing signals on,
	// so that a signal ends only hull (exit 128+n) and the container goes
	// on, as Docker's client does.
	NoSigProxy bool
	// createOnly: hull create, which starts nothing (a container whose
	// namespaces it joins need not run yet).
	createOnly bool
}

// Stdio are the caller's streams. Without -t they are handed to the
// container as they are (byte-exact, no copying), except terminals, which
// are relayed through pipes.
type Stdio struct {
	In, Out, Err *os.File
}

// Run creates a container from opts, runs it in the foreground and returns
// its exit code. When hull itself fails, the code is 125 (126 or 127 when
// the command cannot be run) and err says why.
func (h *Hull) Run(ctx context.Context, opts RunOptions, stdio Stdio) (int, error) {
	if opts.Detach {
		_, code, err := h.RunDetached(opts)
		return code, err
	}
	if opts.NoSigProxy || opts.Tty && opts.Interactive && opts.Result == "" && stdio.In != nil && term.IsTerminal(stdio.In.Fd()) {
		return h.runAttached(ctx, opts, stdio)
	}
	if opts.Result != "" {
		_ = os.Remove(opts.Result) // a stale result must not pass for this run's
	}
	// The image is pulled, if need be, before signals are caught: Ctrl-C
	// during a pull ends hull there, as Docker's CLI, with nothing created
	// yet. From the create on, a signal is kept for the container.
	img, err := h.image(ctx, opts)
	if err != nil {
		return ExitHullError, h.resultFailed(opts.Result, err)
	}
	sigs := catchSignals()
	// A reader gone away must not end hull between the create and the
	// end of a --rm run (a warning to a closed stderr raises SIGPIPE, fatal
	// to a Go program on fds 1 and 2): caught, it is a write error.
	// Caught, not ignored: the container would inherit an ignored one.
	signal.Notify(make(chan os.Signal, 1), syscall.SIGPIPE)
	c, layers, err := h.createFrom(opts, img)
	if err != nil {
		stopCatching(sigs)
		return ExitHullError, h.resultFailed(opts.Result, err)
	}
	code, gone, err := h.runCreated(ctx, c, layers, stdio, opts.Result, sigs)
	if c.HostConfig.AutoRemove && !gone {
		if rmErr := h.Containers.Remove(c.ID, true); rmErr != nil && err == nil {
			return ExitHullError, rmErr
		}
	}
	return code, err
}

// runAttached is run -it on a terminal (or --sig-proxy=false): the container runs under its
// monitor, as a detached one, and this process attaches to it (start -ai),
// so that the detach keys (Ctrl-P Ctrl-Q, --detach-keys) can leave it
// running, as Docker's. A --rm container is removed by the call that
// records its end, before the monitor sends the exit code: as with
// Docker's CLI, the next command does not find it.
//
// As the foreground run's, the image is pulled before signals are caught,
// and they are caught from before the create: one that comes before the
// attach is relayed to the container once it runs, instead of ending hull
// with a --rm container left Created, or running with no one attached.
func (h *Hull) runAttached(ctx context.Context, opts RunOptions, stdio Stdio) (int, error) {
	img, err := h.image(ctx, opts)
	if err != nil {
		return ExitHullError, err
	}
	sigs := catchSignals()
	c, _, err := h.createFrom(opts, img)
	if err != nil {
		stopCatching(sigs)
		return ExitHullError, err
	}
	warnLimits(c, opts.Warnings)
	code, err := h.Start(ctx, c.ID, StartOptions{Attach: true, Interactive: opts.Interactive, DetachKeys: opts.DetachKeys,
		NoSigProxy: opts.NoSigProxy, sigs: sigs}, stdio)
	if err != nil {
		if c.HostConfig.AutoRemove {
			_ = h.Containers.Remove(c.ID, true)
		}
		stopCatching(sigs)
	}
	return code, err
}

// image resolves opts' image by its pull policy.
func (h *Hull) image(ctx context.Context, opts RunOptions) (*image.Image, error) {
	img, err := h.ImageFor(ctx, opts.Image, opts.Pull, opts.Puller)
	if errors.Is(err, image.ErrNotFound) {
		return nil, fmt.Errorf("unable to find image '%s' locally", image.FamiliarString(opts.Image))
	}
	return img, err
}

// create resolves the image, builds the record and stores it.
func (h *Hull) create(opts RunOptions) (*container.Container, []string, error) {
	img, err := h.image(context.Background(), opts)
	if err != nil {
		return nil, nil, err
	}
	return h.createFrom(opts, img)
}

// createFrom builds the record of a container of img and stores it.
func (h *Hull) createFrom(opts RunOptions, img *image.Image) (*container.Container, []string, error) {
	layers, err := h.Images.LayerDirs(img)
	if err != nil {
		return nil, nil, err
	}
	if err := h.podOptions(&opts.Options); err != nil {
		return nil, nil, err
	}
	ref := container.ImageRef{Name: opts.Image, ID: img.ID, Config: img.Config.Config, Healthcheck: imageHealthcheck(img)}
	c, err := container.New(opts.Options, ref, os.LookupEnv, time.Now())
	if err != nil {
		return nil, nil, err
	}
	if err := h.resolveJoin(c, !opts.createOnly); err != nil {
		return nil, nil, err
	}
	// An unknown network is refused before anything is recorded.
	if _, joins := c.HostConfig.Joins(); !slices.Contains(joins, "net") {
		err = network.Check(c.HostConfig.NetworkMode, plugins.SearchPath(nil))
	}
	if err != nil {
		return nil, nil, err
	}
	if err := checkDevices(c, opts.Warnings); err != nil {
		return nil, nil, err
	}
	if err := h.Containers.Create(c); err != nil {
		return nil, nil, err
	}
	if err := writeCIDFile(opts.CIDFile, c.ID); err != nil {
		_ = h.Containers.Remove(c.ID, true)
		return nil, nil, err
	}
	slog.Debug("container created", "id", c.ID, "name", c.Name, "image", img.ID)
	return c, layers, nil
}

// runCreated starts a created container, waits for it and records how it
// ended. A --rm container whose end it recorded is removed with that
// record (gone); after a failure it is left for the caller to remove.
func (h *Hull) runCreated(ctx context.Context, c *container.Container, layers []string, stdio Stdio, resultFile string, sigs chan os.Signal) (code int, gone bool, err error) {
	defer signal.Stop(sigs) // the session's close stops them too
	if resultFile != "" {
		defer func() { err = h.resultFailed(resultFile, err) }()
	}
	stateDir := filepath.Join(h.RunRoot, c.ID)
	if err := os.MkdirAll(stateDir, 0o700); err != nil {
		return h.runFailed(c, fmt.Errorf("create state dir: %w", err))
	}
	defer os.RemoveAll(stateDir)
	// hull run is the monitor of a foreground container: ps and rm see it
	// as running exactly while this lock is held.
	release, err := h.Containers.HoldMonitor(c.ID)
	if err != nil {
		return h.runFailed(c, err)
	}
	defer release()
	mapping, err := h.MappingFor(c)
	if err != nil {
		return h.runFailed(c, err)
	}
	spec, err := c.Spec(container.SpecInput{Layers: layers, Mapping: mapping,
		UpperDir: h.Containers.UpperDir(c.ID), WorkDir: h.Containers.WorkDir(c.ID),
		MountDir: h.Containers.RootfsDir(c.ID), StateDir: stateDir})
	if err == nil {
		err = c.ApplyDevices(spec, layers)
	}
	if err != nil {
		return h.runFailed(c, err)
	}
	sess, err := newSession(c.Config.Tty, c.Config.OpenStdin, stdio, sigs)
	if err != nil {
		return h.runFailed(c, err)
	}
	defer sess.close()
	sess.ownPIDs = !spec.HostPID && !spec.Join.Joins("pid")
	if !c.HostConfig.AutoRemove {
		// Logged as a detached container is; --rm keeps the direct path.
		lw, err := h.OpenLog(c)
		if err != nil {
			return h.runFailed(c, err)
		}
		defer lw.Close()
		sess.logTo(lw)
	}
	if spec.Terminal {
		spec.ConsoleRows, spec.ConsoleCols = sess.consoleSize()
	}
	stdioFiles, err := sess.isolationStdio()
	if err != nil {
		return h.runFailed(c, err)
	}
	sb, err := newSandbox(c, spec, stdio.Err, resultFile != "")
	if err != nil {
		return h.runFailed(c, err)
	}
	net, err := h.networkFor(c, spec, stateDir)
	if err != nil {
		sb.Close()
		return h.runFailed(c, err)
	}
	run, err := launch.Start(ctx, launch.Request{Spec: spec, Stdio: stdioFiles, Sandbox: sb, Network: net})
	sess.started()
	if err != nil {
		return h.runFailed(c, err)
	}
	defer run.Close()
	slog.Debug("container started", "id", c.ID, "pid", run.Pid)
	h.record(c.ID, func(c *container.Container) {
		c.SetRunning(run.Pid, time.Now().UTC())
		if run.Network != nil {
			c.SetNetwork(*run.Network)
		}
	})
	// hull run is the monitor of its container: it runs the health check.
	hctx, stopHealth := context.WithCancel(ctx)
	defer stopHealth()
	if c.HealthProbe() != nil {
		go h.WatchHealth(hctx, c.ID, run.Pid)
	}
	sctx, cancel := sb.context(ctx)
	defer cancel()
	status, err := sess.serve(sctx, run.Process)
	sb.finish(sctx)
	if err != nil {
		return ExitHullError, false, err
	}
	code, err = sb.exit(status)
	end := func(c *container.Container) {
		c.SetExited(code, time.Now().UTC(), errString(err))
		c.State.OOMKilled = sb.stats.OOMKills > 0
	}
	if c.HostConfig.AutoRemove {
		// The end is logged and told to a wait as it goes: the exited
		// record is not written, since the container goes at once.
		if rmErr := h.Containers.EndAndRemove(c.ID, end); rmErr != nil && !errors.Is(rmErr, container.ErrNotFound) {
			h.record(c.ID, end) // still there if its removal failed first
			if err == nil {
				code, err = ExitHullError, rmErr
			}
		}
		gone = true
	} else {
		h.record(c.ID, end)
	}
	if resultFile != "" {
		if err := h.writeRunResult(resultFile, c, sb.result(status)); err != nil {
			return code, gone, err
		}
	}
	return code, gone, err
}

// runFailed is startFailed for runCreated: the container is left.
func (h *Hull) runFailed(c *container.Container, err error) (int, bool, error) {
	code, err := h.startFailed(c, err)
	return code, false, err
}

// startFailed records why the container never ran, leaving it "created"
// with the exit code and error, as Docker does, and returns both.
func (h *Hull) startFailed(c *container.Container, err error) (int, error) {
	code := ExitCode(err)
	h.record(c.ID, func(c *container.Container) {
		c.State.ExitCode = code
		c.State.Error = err.Error()
	})
	return code, err
}

// record changes the stored state. A container removed meanwhile (rm -f
// from another shell) is not an error; other failures are logged, since
// the container's outcome matters more than its bookkeeping.
func (h *Hull) record(id string, fn func(c *container.Container)) {
	_, err := h.Containers.Modify(id, func(c *container.Container) error { fn(c); return nil })
	if err != nil && !errors.Is(err, container.ErrNotFound) {
		slog.Warn("record container state", "id", id, "err", err)
	}
}

// ExitCode is the exit code for a hull error: 127 and 126 when the
// container's command is missing or not executable, else 125.
func ExitCode(err error) int {
	switch {
	case errors.Is(err, isolation.ErrCommandNotFound):
		return ExitCommandNotFound
	case errors.Is(err, isolation.ErrCommandNotInvokable):
		return ExitNotInvokable
	}
	return ExitHullError
}
