package core

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"

	"github.com/hull-project/hull/core/appbin"
	"github.com/hull-project/hull/core/container"
	"github.com/hull-project/hull/core/launch"
	"github.com/hull-project/hull/isolation"
	"github.com/hull-project/hull/isolation/role"
)

// The application side of a detached container's monitor (package
// core/monitor, role.Monitor): what starts the monitor, and what the
// monitor asks of core for each start of its container.

// logName is the container's log file in its directory.
const logName = "container.log"

// LogPath is the container's json-file log.
func (h *Hull) LogPath(id string) string { return filepath.Join(h.Containers.Dir(id), logName) }

// MonitorReport is what a monitor tells the hull that started it, once,
// on its report pipe (fd 3): the container's pid once its command runs,
// or the code and error of a start that failed.
type MonitorReport struct {
	Pid   int    `json:"pid,omitempty"`
	Code  int    `json:"code,omitempty"`
	Error string `json:"error,omitempty"`
}

// Record changes the stored state of container id (see record).
func (h *Hull) Record(id string, fn func(c *container.Container)) { h.record(id, fn) }

// StartFailed records why c never ran and returns the exit code and err.
func (h *Hull) StartFailed(c *container.Container, err error) (int, error) {
	return h.startFailed(c, err)
}

// DetachedStart is one start of a container by its monitor: the spec,
// then the sandbox and network the launch made for it.
type DetachedStart struct {
	// Spec is the container's spec; the monitor sets the console size and
	// hands the stdio to Launch.
	Spec     *isolation.Spec
	h        *Hull
	c        *container.Container
	stateDir string
	sb       *sandbox
}

// PrepareStart builds c's spec for one start whose per-start state is in
// stateDir (RunRoot/ID).
func (h *Hull) PrepareStart(c *container.Container, stateDir string) (*DetachedStart, error) {
	img, err := h.Images.Lookup(c.ImageID)
	if err != nil {
		return nil, fmt.Errorf("image %s of container %s: %w", c.Image, container.ShortID(c.ID), err)
	}
	layers, err := h.Images.LayerDirs(img)
	if err != nil {
		return nil, err
	}
	mapping, err := h.MappingFor(c)
	if err != nil {
		return nil, err
	}
	spec, err := c.Spec(container.SpecInput{Layers: layers, Mapping: mapping,
		UpperDir: h.Containers.UpperDir(c.ID), WorkDir: h.Containers.WorkDir(c.ID),
		MountDir: h.Containers.RootfsDir(c.ID), StateDir: filepath.Join(stateDir, "start")})
	if err == nil {
		err = c.ApplyDevices(spec, layers)
	}
	if err != nil {
		return nil, err
	}
	if c.HostConfig.Pod != "" {
		if err := h.joinPod(c, spec); err != nil {
			return nil, err
		}
	}
	return &DetachedStart{Spec: spec, h: h, c: c, stateDir: stateDir}, nil
}

// Launch makes the sandbox and the network and starts the container
// through core/launch, the one start path.
func (s *DetachedStart) Launch(stdio isolation.Stdio) (*launch.Handle, error) {
	sb, err := newSandbox(s.c, s.Spec, nil, false)
	if err != nil {
		return nil, err
	}
	s.sb = sb
	var net *launch.Network // a pod member joins its infra's (PrepareStart)
	if s.Spec.Join == nil {
		net, err = s.h.networkOf(s.c, s.stateDir)
	}
	if err != nil {
		sb.Close()
		return nil, err
	}
	return launch.Start(context.Background(), launch.Request{Spec: s.Spec, Stdio: stdio, Sandbox: sb, Network: net})
}

// Context ends at the container's --timeout, if it has one.
func (s *DetachedStart) Context(ctx context.Context) (context.Context, context.CancelFunc) {
	return s.sb.context(ctx)
}

// Finish closes the sandbox once the container ended and returns the exit
// code and error to record (124 and ErrTimeout when --timeout killed it)
// and whether the kernel's OOM killer ended a process of it; ctx is the
// one Context returned.
func (s *DetachedStart) Finish(ctx context.Context, status isolation.ExitStatus) (code int, oomKilled bool, err error) {
	s.sb.finish(ctx)
	code, err = s.sb.exit(status)
	return code, s.sb.stats.OOMKills > 0, err
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
	cmd := exec.Command(appbin.Helper(), role.Monitor, h.Root, id) // the default hull, even from compose/kube
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
	var rep MonitorReport
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
