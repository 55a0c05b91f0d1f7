package core

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"sync"
	"syscall"
	"time"

	"github.com/hull-project/hull/core/container"
	"github.com/hull-project/hull/core/launch"
	"github.com/hull-project/hull/core/logfile"
	"github.com/hull-project/hull/isolation"
	"github.com/hull-project/hull/isolation/role"
)

// logName is the container's log file in its directory.
const logName = "container.log"

// monitorReport is what a monitor tells the hull that started it.
type monitorReport struct {
	Pid   int    `json:"pid,omitempty"`
	Code  int    `json:"code,omitempty"`
	Error string `json:"error,omitempty"`
}

// MonitorMain is a container monitor, role.Monitor: `hull __hull-monitor
// ROOT ID` (args are ROOT and ID), hull re-executed in a session of its
// own, with /dev/null as stdio and these descriptors:
//
//	fd 3  report pipe (write end): one JSON monitorReport, then EOF, once the
//	      container's command runs or failed to
//	fd 4  optional: a connected attach socket (start -a), served before the
//	      container starts so that no output is missed
//
// It holds the container's monitor lock for as long as the container may
// run, writes its output to the log, serves attach clients on
// RunRoot/ID/attach.sock, records the exit and returns: nil, or a
// role.Exit (125 for bad arguments, 1 when the monitor failed).
func MonitorMain(args []string) error {
	// A monitor lives as long as its container: keep its heap small.
	debug.SetGCPercent(20)
	// Caught, not ignored: an ignored signal stays ignored in every program
	// the monitor starts (the network helpers; pasta refuses to run with
	// SIGPIPE ignored), while a caught one is reset to the default there.
	signal.Notify(make(chan os.Signal, 8), syscall.SIGHUP, syscall.SIGINT, syscall.SIGPIPE, syscall.SIGTTIN, syscall.SIGTTOU)
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})).With("role", "monitor"))
	report := os.NewFile(3, "report")
	if len(args) != 2 {
		sendReport(report, monitorReport{Code: ExitHullError, Error: "usage: " + role.Monitor + " ROOT ID"})
		return &role.Exit{Code: ExitHullError}
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

func sendReport(w *os.File, r monitorReport) {
	if w == nil {
		return
	}
	_ = json.NewEncoder(w).Encode(r)
	w.Close()
}

// monitor starts the container, reports, serves it and records its end.
func monitor(root, id string, report, attached *os.File) error {
	fail := func(code int, err error) error {
		sendReport(report, monitorReport{Code: code, Error: err.Error()})
		return err
	}
	h, err := Open(root)
	if err != nil {
		return fail(ExitHullError, err)
	}
	release, err := h.Containers.HoldMonitor(id)
	if err != nil {
		return fail(ExitHullError, err)
	}
	m, err := h.newMonitor(id, attached)
	if err != nil {
		release()
		return fail(ExitHullError, err)
	}
	defer os.RemoveAll(m.stateDir)
	proc, err := m.start()
	if err != nil {
		code, err := h.startFailed(m.c, err)
		release()
		return fail(code, err)
	}
	h.record(id, func(c *container.Container) {
		c.SetRunning(proc.Pid, time.Now().UTC())
		if proc.Network != nil {
			c.SetNetwork(*proc.Network)
		}
	})
	sendReport(report, monitorReport{Pid: proc.Pid})
	// --timeout of a detached container is the monitor's to enforce.
	sctx, cancel := m.sb.context(context.Background())
	status := m.serve(sctx, proc)
	m.sb.finish(sctx)
	cancel()
	code, exitErr := m.sb.exit(status)
	h.record(id, func(c *container.Container) {
		c.SetExited(code, time.Now().UTC(), errString(exitErr))
		c.State.OOMKilled = m.sb.stats.OOMKills > 0
	})
	release()
	if m.c.HostConfig.AutoRemove {
		return h.Containers.Remove(id, false)
	}
	return nil
}

// containerMonitor is the state of one monitor.
type containerMonitor struct {
	h        *Hull
	c        *container.Container
	stateDir string
	log      *logfile.Writer
	hub      *attachHub
	// stdin is the container's stdin pipe (-i), fed by attach clients.
	stdin *os.File
	// outputs end when the container's output pipes or pty close.
	outputs sync.WaitGroup
	console *os.File
	// sb is the container's cgroup and time-out.
	sb *sandbox
}

func (h *Hull) newMonitor(id string, attached *os.File) (*containerMonitor, error) {
	c, err := h.Containers.Get(id)
	if err != nil {
		return nil, err
	}
	m := &containerMonitor{h: h, c: c, stateDir: filepath.Join(h.RunRoot, id)}
	if err := os.MkdirAll(m.stateDir, 0o700); err != nil {
		return nil, fmt.Errorf("create state dir: %w", err)
	}
	if m.log, err = logfile.Create(filepath.Join(h.Containers.Dir(id), logName), 0); err != nil {
		return nil, err
	}
	m.hub = newAttachHub(m.input, m.resize)
	if err := m.hub.listen(filepath.Join(m.stateDir, attachSocket)); err != nil {
		return nil, err
	}
	if attached != nil {
		m.hub.add(attached)
	}
	return m, nil
}

// start builds the spec and starts the container with its output going
// to the log and to attach clients.
func (m *containerMonitor) start() (*launch.Handle, error) {
	img, err := m.h.Images.Lookup(m.c.ImageID)
	if err != nil {
		return nil, fmt.Errorf("image %s of container %s: %w", m.c.Image, container.ShortID(m.c.ID), err)
	}
	layers, err := m.h.Images.LayerDirs(img)
	if err != nil {
		return nil, err
	}
	id := m.c.ID
	mapping, err := m.h.MappingFor(m.c)
	if err != nil {
		return nil, err
	}
	spec, err := m.c.Spec(container.SpecInput{Layers: layers, Mapping: mapping,
		UpperDir: m.h.Containers.UpperDir(id), WorkDir: m.h.Containers.WorkDir(id),
		MountDir: m.h.Containers.RootfsDir(id), StateDir: filepath.Join(m.stateDir, "start")})
	if err != nil {
		return nil, err
	}
	spec.ConsoleRows, spec.ConsoleCols = m.hub.size()
	stdio, childEnds, err := m.pipes(spec.Terminal)
	if err != nil {
		return nil, err
	}
	if m.sb, err = newSandbox(m.c, spec, nil, false); err != nil {
		return nil, err
	}
	net, err := networkOf(m.c, m.stateDir)
	if err != nil {
		m.sb.Close()
		return nil, err
	}
	proc, err := launch.Start(context.Background(), launch.Request{Spec: spec, Stdio: stdio, Sandbox: m.sb, Network: net})
	for _, f := range childEnds {
		f.Close()
	}
	if err != nil {
		return nil, err
	}
	if proc.Console != nil {
		m.console = proc.Console
		m.resize(m.hub.size()) // a client's size that came while starting
		m.copyOut(proc.Console, "stdout")
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
		m.copyOut(r, stream)
	}
	if m.c.Config.OpenStdin {
		r, w, err := os.Pipe()
		if err != nil {
			return st, ends, fmt.Errorf("input pipe: %w", err)
		}
		ends = append(ends, r)
		st.Stdin, m.stdin = r, w
	}
	return st, ends, nil
}

// copyOut copies one output of the container to the log and the attach
// clients until it ends.
func (m *containerMonitor) copyOut(r *os.File, stream string) {
	sw := m.log.Stream(stream)
	m.outputs.Go(func() {
		buf := make([]byte, 32<<10)
		for {
			n, err := r.Read(buf)
			if n > 0 {
				_, _ = sw.Write(buf[:n])
				m.hub.broadcast(stream, buf[:n])
			}
			if err != nil {
				break
			}
		}
		_ = sw.Flush()
		if r != m.console {
			r.Close()
		}
	})
}

// input passes attach clients' input to the container; nil closes it.
func (m *containerMonitor) input(p []byte) {
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
	if m.console != nil {
		_ = setWinsize(m.console, rows, cols)
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
	if m.console != nil {
		m.console.Close()
	}
	m.hub.close()
	proc.Close()
	_ = m.log.Close()
	return status
}

// startMonitor starts the monitor of a created or exited container and
// returns once the container runs (or failed to start: the code is then
// 125, 126 or 127). attached, when set, is the monitor's end of an attach
// connection.
func (h *Hull) startMonitor(id string, attached *os.File) (int, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return ExitHullError, fmt.Errorf("start monitor: %w", err)
	}
	defer r.Close()
	settleOwnCgroup()
	cmd := exec.Command("/proc/self/exe", role.Monitor, h.Root, id)
	cmd.Args[0] = "hull"
	cmd.ExtraFiles = []*os.File{w}
	if attached != nil {
		cmd.ExtraFiles = append(cmd.ExtraFiles, attached)
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	cmd.Dir = "/"
	err = cmd.Start()
	w.Close()
	if err != nil {
		return ExitHullError, fmt.Errorf("start monitor: %w", err)
	}
	_ = cmd.Process.Release()
	var rep monitorReport
	if err := json.NewDecoder(r).Decode(&rep); err != nil {
		if errors.Is(err, io.EOF) {
			err = errors.New("monitor exited without a report")
		}
		return ExitHullError, fmt.Errorf("start container %s: %w", container.ShortID(id), err)
	}
	if rep.Error != "" {
		return rep.Code, errors.New(rep.Error)
	}
	return 0, nil
}
