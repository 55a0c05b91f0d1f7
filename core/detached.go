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
	"github.com/hull-project/hull/core/moncall"
	"github.com/hull-project/hull/isolation"
	"github.com/hull-project/hull/isolation/role"
)

// The application side of a detached container's monitor (package
// core/monitor, role.Monitor): what starts the monitor; what the monitor
// asks of hull is monitorcall.go.

// logName is the container's log file in its directory.
const logName = "container.log"

// LogPath is the container's json-file log.
func (h *Hull) LogPath(id string) string { return filepath.Join(h.Containers.Dir(id), logName) }

// MonitorReport is what a monitor tells the hull that started it, once,
// on its report pipe (fd 3).
type MonitorReport = moncall.Report

// StartFailed records why c never ran and returns the exit code and err.
func (h *Hull) StartFailed(c *container.Container, err error) (int, error) {
	return h.startFailed(c, err)
}

// DetachedStart is one start of a container by its monitor: the spec,
// then the sandbox and network the launch made for it.
type DetachedStart struct {
	// Spec is the container's spec; the monitor sets the console size and
	// hands the stdio to Launch.
	Spec *isolation.Spec
	// Detach starts the container detached from this process where it
	// can (launch.Request.Detach): a monitor call that exits once the
	// container runs.
	Detach   bool
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
		err = h.joinPod(c, spec)
	} else {
		err = h.joinContainer(c, spec)
	}
	if err != nil {
		return nil, err
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
	if !s.Spec.Join.Joins("net") {
		net, err = s.h.networkOf(s.c, s.stateDir)
	}
	if err != nil {
		sb.Close()
		return nil, err
	}
	return launch.Start(context.Background(), launch.Request{Spec: s.Spec, Stdio: stdio, Sandbox: sb, Network: net, Detach: s.Detach})
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
	lock, err := h.Containers.TakeMonitor(id)
	if err != nil {
		w.Close()
		return ExitHullError, err
	}
	defer lock.Close()                    // the monitor's copy holds the lock from here on
	self, err := os.Open(appbin.Helper()) // the default hull, even from compose/kube
	if err != nil {
		w.Close()
		return ExitHullError, fmt.Errorf("start monitor: %w", err)
	}
	defer self.Close()
	path, bin, err := monitorExe(h.RunRoot)
	if err != nil {
		w.Close()
		return ExitHullError, err
	}
	cmd := exec.Command(path, h.Root, id)
	cmd.Args = []string{"hull", role.Monitor, h.Root, id}
	// role.Monitor's descriptors: 3 report, 4 hull, 5 lock, 6 attach (or
	// none), 7 the monitor's own binary (none: hull itself).
	cmd.ExtraFiles = []*os.File{w, self, lock, attached}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	cmd.Dir = "/"
	if bin != nil {
		cmd.ExtraFiles = append(cmd.ExtraFiles, bin)
		cmd, err = isolation.StartCached(cmd, len(cmd.ExtraFiles)-1, func() (*os.File, error) {
			return isolation.SealedMemfd("hull-monitor", monitorBinary)
		})
		cmd.ExtraFiles[len(cmd.ExtraFiles)-1].Close()
	} else {
		err = cmd.Start()
	}
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
