package core

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/moby/term"
	"golang.org/x/sys/unix"

	"github.com/hull-project/hull/core/attach"
	"github.com/hull-project/hull/core/container"
	"github.com/hull-project/hull/core/events"
	"github.com/hull-project/hull/core/logfile"
)

// DefaultStopTimeout is how long stop waits before SIGKILL, as Docker.
const DefaultStopTimeout = 10 * time.Second

// ErrNotRunning: the operation needs a running container.
var ErrNotRunning = errors.New("is not running")

// Create creates a container from opts without starting it (hull create)
// and returns its id.
func (h *Hull) Create(opts RunOptions) (string, error) {
	opts.createOnly = true
	c, _, err := h.create(opts)
	if err != nil {
		return "", err
	}
	return c.ID, nil
}

// RunDetached creates a container and starts it under a monitor (run -d).
// It returns the id once the container runs; a start failure gives 125,
// 126 or 127 as for run.
func (h *Hull) RunDetached(opts RunOptions) (string, int, error) {
	c, _, err := h.create(opts)
	if err != nil {
		return "", ExitHullError, err
	}
	warnLimits(c, opts.Warnings)
	code, err := h.startMonitor(c.ID, nil)
	if err != nil && c.HostConfig.AutoRemove {
		_ = h.Containers.Remove(c.ID, true)
	}
	return c.ID, code, err
}

// StartOptions are `hull start`'s flags.
type StartOptions struct {
	Attach      bool
	Interactive bool
	DetachKeys  string // with Attach; "" is DefaultDetachKeys
	// NoSigProxy (--sig-proxy=false), with Attach: signals hull receives
	// are not passed on; one that would end hull detaches instead.
	NoSigProxy bool
	// sigs, with Attach, holds the signals caught since before the create
	// (run -it): the attach client relays them once the container runs.
	sigs chan os.Signal
}

// AttachOptions are `hull attach`'s flags.
type AttachOptions struct {
	DetachKeys string // "" is DefaultDetachKeys
	// NoStdin leaves the container's stdin alone (attach --no-stdin).
	NoStdin bool
	// NoSigProxy is --sig-proxy=false: SIGINT, SIGTERM and the other
	// signals attach would pass on detach instead, leaving the container
	// running, as Docker's Ctrl-C does then.
	NoSigProxy bool
}

// DefaultDetachKeys end an attach without stopping the container, as
// Docker's: typed on an attached stdin, they are not passed on.
const DefaultDetachKeys = "ctrl-p,ctrl-q"

// Start starts a created or stopped container on its own upper dir. With
// Attach it relays the container's output (and input with Interactive)
// and returns the container's exit code. A running container is left as
// it is.
func (h *Hull) Start(ctx context.Context, ref string, opts StartOptions, stdio Stdio) (int, error) {
	c, err := h.Containers.Lookup(ref)
	if err != nil {
		return ExitHullError, err
	}
	if h.Containers.Removing(c.ID) {
		return ExitHullError, container.RemovingError(c.ID)
	}
	if c.State.Running {
		if opts.Attach {
			return h.Attach(ctx, c.ID, AttachOptions{DetachKeys: opts.DetachKeys, NoSigProxy: opts.NoSigProxy}, stdio)
		}
		return 0, nil
	}
	if !opts.Attach {
		return h.startMonitor(c.ID, nil)
	}
	keys, err := detachKeys(opts.DetachKeys)
	if err != nil {
		return ExitHullError, err
	}
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return ExitHullError, fmt.Errorf("attach socket: %w", err)
	}
	mine, theirs := os.NewFile(uintptr(fds[0]), "attach"), os.NewFile(uintptr(fds[1]), "attach")
	conn, err := net.FileConn(mine)
	mine.Close()
	if err != nil {
		theirs.Close()
		return ExitHullError, fmt.Errorf("attach socket: %w", err)
	}
	cl := &attachClient{h: h, id: c.ID, conn: conn, tty: c.Config.Tty, interactive: opts.Interactive && c.Config.OpenStdin,
		stdio: stdio, detachKeys: keys, noSigProxy: opts.NoSigProxy, sigs: opts.sigs}
	cl.sendSize()
	code, err := h.startMonitor(c.ID, theirs)
	theirs.Close()
	if err != nil {
		conn.Close()
		return code, err
	}
	return cl.run(ctx)
}

// Attach connects the caller's streams to a running container until it
// exits, and returns its exit code.
func (h *Hull) Attach(ctx context.Context, ref string, opts AttachOptions, stdio Stdio) (int, error) {
	keys, err := detachKeys(opts.DetachKeys)
	if err != nil {
		return ExitHullError, err
	}
	c, err := h.running(ref)
	if err != nil {
		return ExitHullError, err
	}
	var conn net.Conn
	err = attach.ShortPath(h.runPath(c.ID, attach.Socket), func(p string) error {
		conn, err = net.Dial("unix", p)
		return err
	})
	if err != nil {
		return ExitHullError, fmt.Errorf("attach to %s: %w", container.ShortID(c.ID), err)
	}
	cl := &attachClient{h: h, id: c.ID, conn: conn, tty: c.Config.Tty, interactive: c.Config.OpenStdin && !opts.NoStdin,
		stdio: stdio, detachKeys: keys, noSigProxy: opts.NoSigProxy}
	cl.sendSize()
	return cl.run(ctx)
}

// detachKeys parses a --detach-keys value ("ctrl-p,ctrl-q", "ctrl-x,x").
func detachKeys(spec string) ([]byte, error) {
	if spec == "" {
		spec = DefaultDetachKeys
	}
	keys, err := term.ToBytes(spec)
	if err != nil {
		return nil, fmt.Errorf("invalid detach keys %q: %w", spec, err)
	}
	return keys, nil
}

func (h *Hull) runPath(id, name string) string { return h.RunRoot + "/" + id + "/" + name }

// running looks up a container that must be running.
func (h *Hull) running(ref string) (*container.Container, error) {
	c, err := h.Containers.Lookup(ref)
	if err != nil {
		return nil, err
	}
	if !c.State.Running {
		return nil, fmt.Errorf("container %s %w", container.ShortID(c.ID), ErrNotRunning)
	}
	return c, nil
}

// Stop sends the container's stop signal (the image's STOPSIGNAL, else
// SIGTERM), waits up to timeout for it to exit, then kills it. It returns
// once the container's end is recorded. A stopped container is left as
// it is.
func (h *Hull) Stop(ref string, timeout time.Duration) error {
	return h.StopWith(ref, StopOptions{Timeout: &timeout})
}

// StopOptions are stop's -t and -s; nil and "" take the container's
// --stop-timeout and --stop-signal (else the image's STOPSIGNAL), and then
// Docker's defaults, 10 seconds and SIGTERM.
type StopOptions struct {
	Timeout *time.Duration
	Signal  string
}

// StopWith is Stop with stop's options.
func (h *Hull) StopWith(ref string, opts StopOptions) error {
	c, err := h.Containers.Lookup(ref)
	if err != nil {
		return err
	}
	if h.Containers.Removing(c.ID) {
		// rm -f kills it and records the end; its pid may be stale.
		return container.RemovingError(c.ID)
	}
	if !c.State.Running {
		if c.State.Restarting && h.markStopped(c.ID) {
			// Waiting out the restart back-off: the monitor ends instead.
			h.Containers.WaitMonitor(c.ID, 30*time.Second)
		}
		return nil
	}
	sig, name := unix.SIGTERM, c.Config.StopSignal
	if opts.Signal != "" {
		name = opts.Signal
	}
	if name != "" {
		if sig, err = ParseSignal(name); err != nil {
			return err
		}
	}
	timeout := DefaultStopTimeout
	switch {
	case opts.Timeout != nil:
		timeout = *opts.Timeout
	case c.Config.StopTimeout != nil:
		timeout = time.Duration(*c.Config.StopTimeout) * time.Second
	}
	c, p, err := h.Containers.Target(c.ID)
	if err != nil {
		return err
	}
	if p != nil {
		defer p.Close()
		// Docker's events of a stop: kill (each signal), die (the
		// monitor's), stop.
		if err := h.signal(c, p, sig); err != nil {
			return err
		}
		if timeout < 0 || !h.Containers.WaitMonitor(c.ID, timeout) {
			if err := h.signal(c, p, unix.SIGKILL); err != nil {
				return err
			}
			if !h.Containers.WaitMonitor(c.ID, 30*time.Second) {
				return fmt.Errorf("stop container %s: it did not exit after SIGKILL", container.ShortID(c.ID))
			}
		}
	}
	h.Containers.Emit(c, "stop")
	return nil
}

// signal sends sig to the container's PID 1 and logs Docker's kill event
// first, so that it comes before the die it causes.
func (h *Hull) signal(c *container.Container, p *container.Process, sig unix.Signal) error {
	h.Containers.Emit(c, "kill", "signal", strconv.Itoa(int(sig)))
	return p.Signal(sig)
}

// Restart stops the container (if it runs) and starts it again.
func (h *Hull) Restart(ref string, timeout time.Duration) error {
	if err := h.Stop(ref, timeout); err != nil {
		return err
	}
	if _, err := h.Start(context.Background(), ref, StartOptions{}, Stdio{}); err != nil {
		return err
	}
	if c, err := h.Containers.Lookup(ref); err == nil {
		h.Containers.Emit(c, "restart")
	}
	return nil
}

// Kill sends sig to the container's PID 1.
func (h *Hull) Kill(ref string, sig unix.Signal) error {
	c, err := h.running(ref)
	if err != nil {
		return fmt.Errorf("cannot kill container: %w", err)
	}
	if h.Containers.Removing(c.ID) {
		return fmt.Errorf("cannot kill container: %w", container.RemovingError(c.ID))
	}
	c, p, err := h.Containers.Target(c.ID)
	if err != nil {
		return fmt.Errorf("cannot kill container: %w", err)
	}
	if p == nil {
		return nil // it ended since: as a signal to a process gone
	}
	defer p.Close()
	return h.signal(c, p, sig)
}

// markStopped records that the user stopped (or killed) the container, so
// that its restart policy does not start it again, as Docker's
// HasBeenManuallyStopped; false when the container is gone.
func (h *Hull) markStopped(id string) bool {
	_, err := h.Containers.Modify(id, func(c *container.Container) error {
		c.HasBeenManuallyStopped = true
		return nil
	})
	return err == nil
}

// Wait blocks until the container's run in progress has ended and returns
// its exit code, also when the restart policy starts it again (Docker's
// wait). A created container is waited for until it has run.
func (h *Hull) Wait(ref string) (int, error) {
	c, err := h.Containers.Lookup(ref)
	if err != nil {
		return 0, err
	}
	for c.State.Status == container.StatusCreated {
		time.Sleep(100 * time.Millisecond)
		if c, err = h.Containers.Lookup(c.ID); err != nil {
			return 0, err
		}
	}
	if !c.State.Running && !c.State.Restarting {
		return c.State.ExitCode, nil
	}
	if c.HostConfig.AutoRemove {
		// --rm: the record is gone by the time the monitor lets go (the
		// call that records the end removes it); the monitor tells the
		// code to its attach clients.
		if code, ok := h.monitorExit(c.ID); ok {
			return code, nil
		}
	}
	// The run in progress (or, while restarting, the next one) ends when
	// a new exit is recorded: with a restart policy the monitor lives on
	// and starts the container again, and Docker's wait returns the code
	// of the run that ended all the same. The monitor's end says it at
	// once; the record is polled for the exits it survives.
	var last time.Time
	if c.LastExit != nil {
		last = c.LastExit.At
	}
	// rm -f kills it and records the end (137) after its monitor let go;
	// it may have removed the record by the time this looks.
	rm := h.Containers.WatchRemoval(c.ID)
	defer rm.Close()
	gone := make(chan struct{})
	go func() {
		h.Containers.WaitMonitor(c.ID, -1)
		close(gone)
	}()
	monitorGone := false
	for {
		select {
		case <-gone:
			monitorGone, gone = true, nil
		case <-time.After(waitPoll):
		}
		id, autoRemove := c.ID, c.HostConfig.AutoRemove
		if c, err = h.Containers.Lookup(id); err != nil {
			if code, ok := rm.Code(); ok && errors.Is(err, container.ErrNotFound) {
				return code, nil
			}
			// --rm: ended and removed between the first look and the
			// monitor's socket; its "die" event kept the code.
			if autoRemove && errors.Is(err, container.ErrNotFound) {
				if code, ok := h.diedWith(id); ok {
					return code, nil
				}
			}
			return 0, err
		}
		if e := c.LastExit; e != nil && !e.At.Equal(last) {
			return e.Code, nil
		}
		if c.State.Running && monitorGone && rm.InProgress() {
			if code, ok := rm.Code(); ok {
				return code, nil
			}
			continue // rm -f failed: the record says what is left
		}
		// A monitor killed before it recorded the exit (the record reads
		// as exited then), or a foreground run, which has none.
		if !c.State.Running && !c.State.Restarting && (monitorGone || !h.Containers.MonitorAlive(c.ID)) {
			return c.State.ExitCode, nil
		}
	}
}

// monitorExit connects to the container's monitor as an attach client
// that sends nothing and returns the exit code it sends when the
// container's run ends; false when it could not connect or the monitor
// ended without one (killed).
func (h *Hull) monitorExit(id string) (int, bool) {
	var conn net.Conn
	err := attach.ShortPath(h.runPath(id, attach.Socket), func(p string) error {
		var err error
		conn, err = net.Dial("unix", p)
		return err
	})
	if err != nil {
		return 0, false
	}
	defer conn.Close()
	code, ok := 0, false
	for {
		kind, p, err := attach.ReadFrame(conn)
		if err != nil {
			return code, ok
		}
		if kind == attach.Exit && len(p) == 4 {
			code, ok = int(binary.BigEndian.Uint32(p)), true
		}
	}
}

// diedWith is the exit code of the last "die" event logged for container
// id.
func (h *Hull) diedWith(id string) (int, bool) {
	evs, _, err := events.Read(h.Root)
	if err != nil {
		return 0, false
	}
	for i := len(evs) - 1; i >= 0; i-- {
		e := evs[i]
		if e.Type == "container" && e.Action == "die" && e.Actor.ID == id {
			code, err := strconv.Atoi(e.Actor.Attributes["exitCode"])
			return code, err == nil
		}
	}
	return 0, false
}

// waitPoll is how often Wait reads the record of a container whose
// monitor outlives its runs.
const waitPoll = 200 * time.Millisecond

// Rename gives a container a new name.
func (h *Hull) Rename(ref, name string) error {
	c, err := h.Containers.Lookup(ref)
	if err != nil {
		return err
	}
	return h.Containers.Rename(c.ID, name)
}

// PruneContainers removes every container that is not running and
// returns their ids.
func (h *Hull) PruneContainers() ([]string, error) {
	all, err := h.Containers.List()
	if err != nil {
		return nil, err
	}
	var gone []string
	for _, c := range all {
		if c.State.Running {
			continue
		}
		if err := h.Containers.Remove(c.ID, false); err != nil && !errors.Is(err, container.ErrNotFound) {
			return gone, err
		}
		gone = append(gone, c.ID)
	}
	// Docker's prune event; hull does not measure what the removal freed.
	h.event("container", "prune", "")
	return gone, nil
}

// Logs writes the container's log to stdout and stderr by stream. With
// Follow it goes on until the container has stopped.
func (h *Hull) Logs(ref string, opts logfile.ReadOptions, stdout, stderr *os.File) error {
	c, err := h.Containers.Lookup(ref)
	if err != nil {
		return err
	}
	if c.HostConfig.LogDriver() == container.LogNone {
		return fmt.Errorf("logs of %s: %w", container.ShortID(c.ID), ErrLogNone)
	}
	id := c.ID
	opts.Done = func() bool { return !h.Containers.MonitorAlive(id) }
	return logfile.Read(h.LogPath(id), opts, stdout, stderr)
}

// ParseSignal accepts "TERM", "SIGTERM" or a number.
func ParseSignal(s string) (unix.Signal, error) {
	if n, err := strconv.Atoi(s); err == nil && n > 0 && n < 65 {
		return unix.Signal(n), nil
	}
	name := strings.ToUpper(s)
	if !strings.HasPrefix(name, "SIG") {
		name = "SIG" + name
	}
	if sig := unix.SignalNum(name); sig != 0 {
		return sig, nil
	}
	return 0, fmt.Errorf("invalid signal: %s", s)
}

// attachClient is the caller's side of an attach connection.
type attachClient struct {
	h                *Hull
	id               string
	conn             net.Conn
	tty, interactive bool
	stdio            Stdio
	mu               sync.Mutex
	// detachKeys, read on stdin, end the attach and leave the container
	// running; detached says they were.
	detachKeys []byte
	detached   atomic.Bool
	// noSigProxy: a signal detaches (signalled holds it) instead of
	// being passed on.
	noSigProxy bool
	signalled  atomic.Int32
	// sigs, when set, were caught before the container was created.
	sigs chan os.Signal
}

func (a *attachClient) send(kind byte, p []byte) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	return attach.WriteFrame(a.conn, kind, p)
}

// sendSize tells the monitor the caller's window size (with -t).
func (a *attachClient) sendSize() {
	if !a.tty {
		return
	}
	for _, f := range []*os.File{a.stdio.Out, a.stdio.In} {
		if f == nil || !term.IsTerminal(f.Fd()) {
			continue
		}
		if ws, err := term.GetWinsize(f.Fd()); err == nil {
			p := []byte{byte(ws.Height >> 8), byte(ws.Height), byte(ws.Width >> 8), byte(ws.Width)}
			_ = a.send(attach.Resize, p)
			return
		}
	}
}

// run relays until the monitor closes the connection, then returns the
// recorded exit code.
func (a *attachClient) run(ctx context.Context) (int, error) {
	defer a.conn.Close()
	sigs := a.sigs
	if sigs == nil {
		sigs = make(chan os.Signal, 8)
	}
	signal.Notify(sigs, append([]os.Signal{unix.SIGWINCH}, forwardedSignals...)...)
	defer signal.Stop(sigs)
	go a.relaySignals(sigs)
	if a.interactive && a.stdio.In != nil {
		if a.tty && term.IsTerminal(a.stdio.In.Fd()) {
			if state, err := term.MakeRaw(a.stdio.In.Fd()); err == nil {
				defer func() { _ = term.RestoreTerminal(a.stdio.In.Fd(), state) }()
			}
		}
		defer func() {
			// As Docker's CLI, once the terminal is itself again.
			if a.detached.Load() && a.stdio.Err != nil {
				fmt.Fprintln(a.stdio.Err, "read escape sequence")
			}
		}()
		go a.copyIn()
	}
	exit := -1
	for {
		kind, p, err := attach.ReadFrame(a.conn)
		if err != nil {
			break
		}
		if kind == attach.Exit {
			if len(p) == 4 {
				exit = int(binary.BigEndian.Uint32(p))
			}
			continue
		}
		w := a.stdio.Out
		if kind == attach.Stderr {
			w = a.stdio.Err
		}
		if w != nil {
			_, _ = w.Write(p)
		}
	}
	if n := a.signalled.Load(); n != 0 {
		// As Docker's CLI ended by a signal: 128+n, the container goes on.
		return 128 + int(n), nil
	}
	if a.detached.Load() {
		return 0, nil
	}
	a.h.Containers.WaitMonitor(a.id, 30*time.Second)
	if exit >= 0 {
		return exit, nil
	}
	c, err := a.h.Containers.Get(a.id)
	if errors.Is(err, container.ErrNotFound) {
		return 0, nil // removed on exit (--rm)
	}
	if err != nil {
		return ExitHullError, err
	}
	return c.State.ExitCode, nil
}

func (a *attachClient) copyIn() {
	// As Docker, only a terminal's keys detach: piped input passes as it is.
	var in io.Reader = a.stdio.In
	if a.tty {
		in = term.NewEscapeProxy(in, a.detachKeys)
	}
	buf := make([]byte, 32<<10)
	for {
		n, err := in.Read(buf)
		if n > 0 && a.send(attach.Stdin, buf[:n]) != nil {
			return
		}
		if errors.As(err, new(term.EscapeError)) {
			// The monitor keeps the container (and its stdin) as they are.
			a.detached.Store(true)
			a.conn.Close()
			return
		}
		if err != nil {
			if !a.tty {
				_ = a.send(attach.StdinClose, nil)
			}
			return
		}
	}
}

// relaySignals resizes the terminal on SIGWINCH and passes other signals
// to the container, as docker attach's --sig-proxy.
func (a *attachClient) relaySignals(sigs chan os.Signal) {
	for sig := range sigs {
		if sig == unix.SIGWINCH {
			a.sendSize()
			continue
		}
		if a.noSigProxy {
			a.signalled.CompareAndSwap(0, int32(sig.(unix.Signal)))
			a.conn.Close()
			continue
		}
		if p, err := a.h.Containers.Process(a.id); err == nil && p != nil {
			_ = p.Signal(sig.(unix.Signal))
			p.Close()
		}
	}
}

// containerPids are the host pids in the pid namespace of pid1.
func containerPids(pid1 int) map[string]bool {
	ns, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/pid", pid1))
	pids := map[string]bool{strconv.Itoa(pid1): true}
	if err != nil {
		return pids
	}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		if l, err := os.Readlink("/proc/" + e.Name() + "/ns/pid"); err == nil && l == ns {
			pids[e.Name()] = true
		}
	}
	return pids
}
