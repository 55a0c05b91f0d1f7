// Package monitor is the per-container monitor of a detached container
// (role.Monitor, `hull __hull-monitor ROOT ID`): hull re-executed in a
// session of its own that starts the container through core (and so
// core/launch), writes its output to the log, serves attach clients and
// records how it ended. Only main imports it, for its role table.
package monitor

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"sync"
	"syscall"
	"time"

	"github.com/hull-project/hull/core"
	"github.com/hull-project/hull/core/attach"
	"github.com/hull-project/hull/core/container"
	"github.com/hull-project/hull/core/launch"
	"github.com/hull-project/hull/core/logfile"
	"github.com/hull-project/hull/isolation"
	"github.com/hull-project/hull/isolation/role"
)

// outputDrain bounds the wait for the last output after the container's
// PID 1 exited: a process that escaped into the background may keep the
// pty open forever.
const outputDrain = 2 * time.Second

// Main is a container monitor, role.Monitor: `hull __hull-monitor
// ROOT ID` (args are ROOT and ID), hull re-executed in a session of its
// own, with /dev/null as stdio and these descriptors:
//
//	fd 3  report pipe (write end): one JSON core.MonitorReport, then EOF, once the
//	      container's command runs or failed to
//	fd 4  optional: a connected attach socket (start -a), served before the
//	      container starts so that no output is missed
//
// It holds the container's monitor lock for as long as the container may
// run, writes its output to the log, serves attach clients on
// RunRoot/ID/attach.sock, records the exit and returns: nil, or a
// role.Exit (125 for bad arguments, 1 when the monitor failed).
func Main(args []string) error {
	// A monitor lives as long as its container: keep its heap small.
	debug.SetGCPercent(20)
	// Caught, not ignored: an ignored signal stays ignored in every program
	// the monitor starts (the network helpers; pasta refuses to run with
	// SIGPIPE ignored), while a caught one is reset to the default there.
	signal.Notify(make(chan os.Signal, 8), syscall.SIGHUP, syscall.SIGINT, syscall.SIGPIPE, syscall.SIGTTIN, syscall.SIGTTOU)
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})).With("role", "monitor"))
	report := os.NewFile(3, "report")
	if len(args) != 2 {
		sendReport(report, core.MonitorReport{Code: core.ExitHullError, Error: "usage: " + role.Monitor + " ROOT ID"})
		return &role.Exit{Code: core.ExitHullError}
	}
	var attached *os.File
	if _, err := os.Stat("/proc/self/fd/4"); err == nil {
		attached = os.NewFile(4, "attach")
	}
	if err := monitor(args[0], args[1], report, attached); err != nil {
		slog.Warn("monitor", "id", args[1], "err", err)
		return &role.Exit{Code: 1}
	}
	return nil
}

func sendReport(w *os.File, r core.MonitorReport) {
	if w == nil {
		return
	}
	_ = json.NewEncoder(w).Encode(r)
	w.Close()
}

// monitor starts the container, reports, serves it and records its end;
// then, as the container's restart policy says, starts it again after a
// back-off, each time through core (and so core/launch).
func monitor(root, id string, report, attached *os.File) error {
	fail := func(code int, err error) error {
		sendReport(report, core.MonitorReport{Code: code, Error: err.Error()})
		return err
	}
	h, err := core.Open(root)
	if err != nil {
		return fail(core.ExitHullError, err)
	}
	release, err := h.Containers.HoldMonitor(id)
	if err != nil {
		return fail(core.ExitHullError, err)
	}
	m, err := newMonitor(h, id, attached)
	if err != nil {
		release()
		return fail(core.ExitHullError, err)
	}
	defer os.RemoveAll(m.stateDir)
	// A start by the user: a stop before it no longer holds, and the
	// restarts are counted afresh, as Docker does.
	h.Record(id, func(c *container.Container) { c.HasBeenManuallyStopped, c.RestartCount = false, 0 })
	proc, err := m.start()
	if err != nil {
		code, err := h.StartFailed(m.c, err)
		release()
		return fail(code, err)
	}
	sendReport(report, core.MonitorReport{Pid: proc.Pid})
	var backoff restartBackoff
	for {
		started := time.Now()
		m.run(proc)
		if !m.restart(backoff.next(time.Since(started))) {
			break
		}
		if proc, err = m.start(); err != nil {
			_, err = h.StartFailed(m.c, err)
			slog.Warn("restart container", "id", id, "err", err)
			break
		}
		if c, err := h.Containers.Get(id); err == nil && c.HasBeenManuallyStopped {
			// Stopped by the user while it was being started again.
			_ = proc.Signal(syscall.SIGKILL)
		}
	}
	m.close()
	release()
	if m.c.HostConfig.AutoRemove {
		return h.Containers.Remove(id, false)
	}
	return nil
}

// run serves one start of the container until it ends (its health check
// running meanwhile) and records the end, and whether the restart policy
// starts it again.
func (m *containerMonitor) run(proc *launch.Handle) {
	hctx, stopHealth := context.WithCancel(context.Background())
	if m.c.HealthProbe() != nil {
		go m.h.WatchHealth(hctx, m.c.ID, proc.Pid)
	}
	// --timeout of a detached container is the monitor's to enforce.
	sctx, cancel := m.cur.Context(context.Background())
	status := m.serve(sctx, proc)
	code, oomKilled, exitErr := m.cur.Finish(sctx, status)
	cancel()
	stopHealth()
	m.exitCode = code
	m.h.Record(m.c.ID, func(c *container.Container) {
		c.SetExited(code, time.Now().UTC(), errString(exitErr))
		c.State.OOMKilled = oomKilled
		// Decided with the exit, so that no one sees an exited container
		// that is about to start again.
		if c.HostConfig.RestartPolicy.ShouldRestart(code, c.RestartCount, c.HasBeenManuallyStopped) {
			c.State.Status, c.State.Restarting = statusRestarting, true
		}
	})
}

// restart waits out delay when the restart policy chose, at the exit, to
// start the container again (State.Restarting), and counts the restart:
// a stop or kill by the user, or the record's removal, ends the wait (and
// the monitor).
func (m *containerMonitor) restart(delay time.Duration) bool {
	c, err := m.h.Containers.Get(m.c.ID)
	if err != nil || !c.State.Restarting {
		return false
	}
	deadline := time.Now().Add(delay)
	for {
		c, err = m.h.Containers.Get(c.ID)
		if err != nil {
			return false
		}
		if c.HasBeenManuallyStopped {
			m.h.Record(c.ID, func(c *container.Container) {
				c.State.Status, c.State.Restarting = container.StatusExited, false
			})
			return false
		}
		left := time.Until(deadline)
		if left <= 0 {
			break
		}
		time.Sleep(min(left, restartPoll))
	}
	m.h.Record(c.ID, func(c *container.Container) { c.RestartCount++ })
	m.c = c
	return true
}

// statusRestarting is State.Status while the monitor waits to restart.
const statusRestarting = "restarting"

// restartPoll is how often a restart's back-off looks for a stop.
const restartPoll = 50 * time.Millisecond

// Docker's restart back-off: 100 ms, doubled at each restart up to a
// minute, back to 100 ms once the container ran for 10 s.
const (
	restartFirstDelay = 100 * time.Millisecond
	restartMaxDelay   = time.Minute
	restartResetAfter = 10 * time.Second
)

// restartBackoff is the delay before the next restart.
type restartBackoff struct{ delay time.Duration }

// next is the delay before restarting a container that ran for ran.
func (b *restartBackoff) next(ran time.Duration) time.Duration {
	switch {
	case ran >= restartResetAfter || b.delay == 0:
		b.delay = restartFirstDelay
	default:
		b.delay = min(2*b.delay, restartMaxDelay)
	}
	return b.delay
}

// containerMonitor is the state of one monitor.
type containerMonitor struct {
	h        *core.Hull
	c        *container.Container
	stateDir string
	log      *logfile.Writer
	// exitCode is the last start's, sent to attach clients at the end.
	exitCode int
	hub      *attach.Hub
	// outputs end when the container's output pipes or pty close.
	outputs sync.WaitGroup
	// ioMu guards stdin and console, which attach clients use while
	// starts come and go.
	ioMu sync.Mutex
	// stdin is the current start's stdin pipe (-i), fed by attach clients.
	stdin *os.File
	// console is the current start's pty master (-t).
	console *os.File
	// cur is the current start: spec, cgroup, time-out.
	cur *core.DetachedStart
}

func newMonitor(h *core.Hull, id string, attached *os.File) (*containerMonitor, error) {
	c, err := h.Containers.Get(id)
	if err != nil {
		return nil, err
	}
	m := &containerMonitor{h: h, c: c, stateDir: filepath.Join(h.RunRoot, id)}
	if err := os.MkdirAll(m.stateDir, 0o700); err != nil {
		return nil, fmt.Errorf("create state dir: %w", err)
	}
	if m.log, err = h.OpenLog(c); err != nil {
		return nil, err
	}
	m.hub = attach.NewHub(m.input, m.resize)
	if err := m.hub.Listen(filepath.Join(m.stateDir, attach.Socket)); err != nil {
		return nil, err
	}
	if attached != nil {
		m.hub.Add(attached)
	}
	return m, nil
}

// start builds the spec and starts the container through core (and so
// core/launch) with its output going to the log and to attach clients.
func (m *containerMonitor) start() (*launch.Handle, error) {
	// A restart's spec starts from clean per-start state.
	if err := os.RemoveAll(filepath.Join(m.stateDir, "start")); err != nil {
		return nil, err
	}
	st, err := m.h.PrepareStart(m.c, m.stateDir)
	if err != nil {
		return nil, err
	}
	m.cur = st
	st.Spec.ConsoleRows, st.Spec.ConsoleCols = m.hub.Size()
	stdio, childEnds, err := m.pipes(st.Spec.Terminal)
	if err != nil {
		return nil, err
	}
	proc, err := st.Launch(stdio)
	for _, f := range childEnds {
		f.Close()
	}
	if err != nil {
		return nil, err
	}
	m.h.Record(m.c.ID, func(c *container.Container) {
		c.SetRunning(proc.Pid, time.Now().UTC())
		if proc.Network != nil {
			c.SetNetwork(*proc.Network)
		}
	})
	if proc.Console != nil {
		m.ioMu.Lock()
		m.console = proc.Console
		m.ioMu.Unlock()
		m.resize(m.hub.Size()) // a client's size that came while starting
		m.copyOut(proc.Console, "stdout", false)
	}
	return proc, nil
}

// pipes makes the container's stdio (without a terminal): output pipes
// copied to the log, and a stdin pipe kept open with -i.
func (m *containerMonitor) pipes(tty bool) (isolation.Stdio, []*os.File, error) {
	var st isolation.Stdio
	if tty {
		return st, nil, nil
	}
	var ends []*os.File
	for _, stream := range []string{"stdout", "stderr"} {
		r, w, err := os.Pipe()
		if err != nil {
			return st, ends, fmt.Errorf("output pipe: %w", err)
		}
		ends = append(ends, w)
		if stream == "stdout" {
			st.Stdout = w
		} else {
			st.Stderr = w
		}
		m.copyOut(r, stream, true)
	}
	if m.c.Config.OpenStdin {
		r, w, err := os.Pipe()
		if err != nil {
			return st, ends, fmt.Errorf("input pipe: %w", err)
		}
		ends = append(ends, r)
		m.ioMu.Lock()
		st.Stdin, m.stdin = r, w
		m.ioMu.Unlock()
	}
	return st, ends, nil
}

// copyOut copies one output of the container to the log and the attach
// clients until it ends, and closes r when owned (a pipe; serve closes the
// console).
func (m *containerMonitor) copyOut(r *os.File, stream string, owned bool) {
	sw := m.log.Stream(stream)
	m.outputs.Go(func() {
		buf := make([]byte, 32<<10)
		for {
			n, err := r.Read(buf)
			if n > 0 {
				_, _ = sw.Write(buf[:n])
				m.hub.Broadcast(stream, buf[:n])
			}
			if err != nil {
				break
			}
		}
		_ = sw.Flush()
		if owned {
			r.Close()
		}
	})
}

// input passes attach clients' input to the container; nil closes it.
func (m *containerMonitor) input(p []byte) {
	m.ioMu.Lock()
	defer m.ioMu.Unlock()
	w := m.stdin
	if m.console != nil {
		w = m.console
	}
	if w == nil {
		return
	}
	if p == nil {
		if w == m.stdin {
			m.stdin.Close()
			m.stdin = nil
		}
		return
	}
	_, _ = w.Write(p)
}

func (m *containerMonitor) resize(rows, cols uint16) {
	m.ioMu.Lock()
	defer m.ioMu.Unlock()
	if m.console != nil {
		_ = attach.SetWinsize(m.console, rows, cols)
	}
}

// serve waits for the container's PID 1 (killed at the end of ctx) and
// for its output to drain, and tears the start down.
func (m *containerMonitor) serve(ctx context.Context, proc *launch.Handle) isolation.ExitStatus {
	debug.FreeOSMemory()
	status, err := proc.Wait(ctx)
	if err != nil {
		slog.Warn("wait for container", "id", m.c.ID, "err", err)
	}
	drained := make(chan struct{})
	go func() { m.outputs.Wait(); close(drained) }()
	select {
	case <-drained:
	case <-time.After(outputDrain):
	}
	m.ioMu.Lock()
	if m.console != nil {
		m.console.Close()
		m.console = nil
	}
	if m.stdin != nil {
		m.stdin.Close()
		m.stdin = nil
	}
	m.ioMu.Unlock()
	proc.Close()
	return status
}

// close ends the attach connections and the log, once the container will
// not start again.
func (m *containerMonitor) close() {
	m.hub.CloseWithExit(m.exitCode)
	_ = m.log.Close()
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
