package core

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/hull-project/hull/core/appbin"
	"github.com/hull-project/hull/core/cgroup"
	"github.com/hull-project/hull/core/container"
	"github.com/hull-project/hull/core/launch"
	"github.com/hull-project/hull/core/moncall"
	"github.com/hull-project/hull/isolation"
	"github.com/hull-project/hull/isolation/role"
)

// MonitorCallMain is role.MonitorCall, `hull __hull-mon ROOT ID OP
// [ARGS]`: one thing a detached container's monitor asks of hull (start,
// record the end and remove a --rm container, probe the health), on the socket at fd 3
// (package moncall has the protocol). The monitor is a small binary of
// its own that links none of this; every start still goes through
// core/launch, here.
func MonitorCallMain(args []string) error {
	if len(args) < 3 {
		return &role.Exit{Code: ExitHullError, Msg: "usage: " + role.MonitorCall + " ROOT ID OP [ARGS]"}
	}
	root, id, op, rest := args[0], args[1], args[2], args[3:]
	sock := os.NewFile(3, "moncall")
	h, err := Open(root)
	if err == nil {
		switch op {
		case moncall.OpStart:
			err = h.monitorStart(sock, id, rest)
		case moncall.OpExited:
			err = h.monitorExited(sock, id, rest)
		case moncall.OpHealth:
			err = h.monitorHealth(id, rest)
		default:
			err = fmt.Errorf("unknown operation %q", op)
		}
	}
	if err != nil {
		return &role.Exit{Code: 1, Msg: fmt.Sprintf("hull: monitor call %s %s: %v\n", op, container.ShortID(id), err)}
	}
	return nil
}

// monitorStart is one start of container id for its monitor, through
// core/launch: it sends the Plan, gets the stdio, starts the container
// detached from itself when it can (the monitor is then the init's parent
// and this process exits), and stays its parent otherwise.
func (h *Hull) monitorStart(sock *os.File, id string, args []string) error {
	fail := func(code int, err error) error {
		_ = moncall.Send(sock, moncall.Plan{Code: code, Error: err.Error()})
		return nil
	}
	kind := moncall.StartFirst
	if len(args) > 0 {
		kind = args[0]
	}
	c, err := h.Containers.Get(id)
	if err != nil {
		return fail(ExitHullError, err)
	}
	if devicesInFullHull(c) {
		// Before anything is recorded: the full hull runs this call
		// from the start, on the same socket.
		return fail(ExitHullError, appbin.Exec(os.Args, os.Environ()))
	}
	if kind == moncall.StartRestart && c.HasBeenManuallyStopped {
		h.record(id, func(c *container.Container) { c.State.Status, c.State.Restarting = container.StatusExited, false })
		return moncall.Send(sock, moncall.Plan{Stopped: true})
	}
	h.record(id, func(c *container.Container) {
		if kind == moncall.StartRestart {
			c.RestartCount++
			return
		}
		// A start by the user: a stop before it no longer holds, and
		// the restarts are counted afresh, as Docker does.
		c.HasBeenManuallyStopped, c.RestartCount = false, 0
	})
	if c, err = h.Containers.Get(id); err != nil {
		return fail(ExitHullError, err)
	}
	stateDir := filepath.Join(h.RunRoot, id)
	if err := os.MkdirAll(stateDir, 0o700); err != nil {
		return fail(ExitHullError, fmt.Errorf("create state dir: %w", err))
	}
	// A restart's spec starts from clean per-start state.
	if err := os.RemoveAll(filepath.Join(stateDir, "start")); err != nil {
		return fail(ExitHullError, err)
	}
	st, err := h.PrepareStart(c, stateDir)
	if err != nil {
		code, err := h.StartFailed(c, err)
		return fail(code, err)
	}
	if err := moncall.Send(sock, h.monitorPlan(c, st.Spec, stateDir)); err != nil {
		return err
	}
	var g moncall.Go
	files, err := moncall.Recv(sock, &g)
	if err != nil {
		return err
	}
	defer moncall.CloseAll(files)
	st.Spec.ConsoleRows, st.Spec.ConsoleCols = g.Rows, g.Cols
	st.Detach = true
	proc, err := st.Launch(stdioOf(g, files))
	moncall.CloseAll(files)
	if err != nil {
		code, err := h.StartFailed(c, err)
		return moncall.Send(sock, moncall.Started{Code: code, Error: err.Error()})
	}
	h.record(id, func(c *container.Container) {
		c.SetRunning(proc.Pid, time.Now().UTC())
		if proc.Network != nil {
			c.SetNetwork(*proc.Network)
		}
	})
	if c, err := h.Containers.Get(id); err == nil && c.HasBeenManuallyStopped {
		// Stopped by the user while it was being started again.
		_ = proc.Signal(syscall.SIGKILL)
	}
	var pass []*os.File
	if proc.Console != nil {
		pass = append(pass, proc.Console)
	}
	pass = append(pass, proc.Keep...)
	err = moncall.Send(sock, moncall.Started{Pid: proc.Pid, Detached: proc.Detached, Console: proc.Console != nil}, pass...)
	if proc.Detached {
		// The monitor holds the init (its child) and the network now.
		return err
	}
	return stayWithStart(sock, proc)
}

// stayWithStart is the start's process for as long as its container runs,
// when it could not detach from it: it reports how the init ended and
// tears the network down once the monitor, done with the output, closes
// the socket (the cgroup is the end's record: monitorExited).
func stayWithStart(sock *os.File, proc *launch.Handle) error {
	status, err := proc.Process.Wait()
	if err != nil {
		status.Code = ExitHullError
	}
	_ = moncall.Send(sock, moncall.Exited{Code: status.Code, Signal: int(status.Signal)})
	var done struct{}
	_, _ = moncall.Recv(sock, &done)
	proc.CloseNetwork()
	return nil
}

// stdioOf is the container's stdio as the monitor sent it.
func stdioOf(g moncall.Go, files []*os.File) isolation.Stdio {
	var st isolation.Stdio
	i := 0
	next := func() *os.File {
		if i >= len(files) {
			return nil
		}
		i++
		return files[i-1]
	}
	if g.Stdio[0] {
		if f := next(); f != nil {
			st.Stdin = f
		}
	}
	if g.Stdio[1] {
		if f := next(); f != nil {
			st.Stdout = f
		}
	}
	if g.Stdio[2] {
		if f := next(); f != nil {
			st.Stderr = f
		}
	}
	return st
}

// monitorPlan is what c's monitor needs to know of its next start.
func (h *Hull) monitorPlan(c *container.Container, spec *isolation.Spec, stateDir string) moncall.Plan {
	p := moncall.Plan{Tty: spec.Terminal, OpenStdin: c.Config.OpenStdin, StateDir: stateDir,
		Record: filepath.Join(h.Containers.Dir(c.ID), "container.json"), Timeout: c.HostConfig.Timeout,
		RemoveLock: h.Containers.RemoveLockPath(c.ID)}
	if c.HostConfig.LogDriver() == container.LogNone {
		p.Log.None = true
	} else {
		p.Log.Path = h.LogPath(c.ID)
		p.Log.MaxSize, p.Log.MaxFiles = c.HostConfig.LogRotation()
	}
	if c.HealthProbe() != nil {
		p.HealthInterval, _, _, _ = c.HealthTiming()
	}
	return p
}

// monitorExited records the end of a start (args: the exit code, the
// signal that ended the init or 0, and "timeout" when --timeout killed
// it): the cgroup's OOM count, then removed; the exit; whether the restart
// policy starts it again; and removes a --rm container that stays
// stopped, all before the monitor lets go of it: whoever waits for the
// monitor (run --rm, stop) finds it removed. It answers Finished.
func (h *Hull) monitorExited(sock *os.File, id string, args []string) error {
	if len(args) != 3 {
		return fmt.Errorf("exited: want CODE SIGNAL TIMEDOUT, got %q", args)
	}
	code, err1 := strconv.Atoi(args[0])
	sig, err2 := strconv.Atoi(args[1])
	if err1 != nil || err2 != nil {
		return fmt.Errorf("exited: bad status %q", args)
	}
	c, err := h.Containers.Get(id)
	if err != nil {
		return err
	}
	sb := reopenSandbox(c)
	sb.timedOut = args[2] == "timeout"
	sb.Close()
	code, exitErr := sb.exit(isolation.ExitStatus{Code: code, Signal: syscall.Signal(sig)})
	var fin moncall.Finished
	h.record(id, func(c *container.Container) {
		c.SetExited(code, time.Now().UTC(), errString(exitErr))
		c.State.OOMKilled = sb.stats.OOMKills > 0
		// Decided with the exit, so that no one sees an exited container
		// that is about to start again.
		if c.HostConfig.RestartPolicy.ShouldRestart(code, c.RestartCount, c.HasBeenManuallyStopped) {
			c.State.Status, c.State.Restarting = "restarting", true
		}
		fin.Restart = c.State.Restarting
	})
	fin.Code = code
	var rmErr error
	if c.HostConfig.AutoRemove && !fin.Restart {
		if rmErr = h.Containers.Remove(id, false); errors.Is(rmErr, container.ErrNotFound) {
			rmErr = nil
		}
	}
	if err := moncall.Send(sock, fin); err != nil {
		return err
	}
	return rmErr
}

// endOfKilled is the container store's EndHook: rm -f, which records the
// end of a container it killed when its monitor did not, releases the
// cgroup as monitorExited does. The group is found from the init before
// the kill, not from this process's layout: rm may run in another cgroup
// than the one the container was started from (a job's own).
func endOfKilled(c *container.Container) func() bool {
	g := cgroup.Member(cgroup.Probe(), c.State.Pid, "hull-"+c.ID)
	return func() bool {
		if g == nil {
			return false
		}
		oom := g.Stats().OOMKills > 0
		g.Kill()
		if err := g.Remove(); err != nil {
			slog.Warn("remove cgroup", "id", container.ShortID(c.ID), "err", err)
		}
		return oom
	}
}

// reopenSandbox is the sandbox a start of c made (its cgroup, when its
// limits needed one), seen from the hull that records its end.
func reopenSandbox(c *container.Container) *sandbox {
	s := &sandbox{timeout: c.HostConfig.Timeout}
	layout := cgroupLayout()
	plan, err := planLimits(c.HostConfig.Limits, layout, false)
	if err != nil || len(plan.ctrls) == 0 {
		return s
	}
	s.group = cgroup.Open(layout, "hull-"+c.ID, plan.ctrls)
	return s
}

// monitorHealth runs one probe of id's health check (args: the pid of the
// start it is for) and records it; SIGTERM, the monitor's when the start
// ended, cancels it.
func (h *Hull) monitorHealth(id string, args []string) error {
	if len(args) != 1 {
		return fmt.Errorf("health: want PID, got %q", args)
	}
	pid, err := strconv.Atoi(args[0])
	if err != nil {
		return fmt.Errorf("health: bad pid %q", args[0])
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	c, err := h.Containers.Get(id)
	if err != nil || !c.State.Running || c.State.Pid != pid || c.HealthProbe() == nil {
		return err
	}
	h.checkHealth(ctx, c)
	return nil
}
