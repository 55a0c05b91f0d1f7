// Package launch is hull's one start path: it turns an isolation spec into
// a running, confined container process (sandbox, network, /etc files,
// isolation) and tears all of that down again. `hull run`, `hull start`
// (the monitor), every build RUN step and every task of hull's own go
// through Start; nothing else calls isolation.Start or StartWithHooks (a
// test in the root package checks it). A feature that changes how a
// container starts adds a step here, never a copy of this path.
//
// The caller builds the spec (the record's policy) and the sandbox (its
// cgroup and limits); launch owns both from Start on: every error path
// closes what was made, and Handle.Close closes the rest.
//
// It deliberately knows nothing of records, logs or attach sessions: what
// a start is for is the caller's business.
package launch

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"syscall"

	"github.com/hull-project/hull/core/container"
	"github.com/hull-project/hull/isolation"
	"github.com/hull-project/hull/isolation/seccomp"
	"github.com/hull-project/hull/plugins/network"
	"github.com/hull-project/hull/plugins/sdk/netsdk/netspec"
)

// Sandbox confines one start: core's cgroup, made (and the spec's rlimit
// fallbacks added) before Start is called.
type Sandbox interface {
	// Enter places the container's init (pid, still waiting in its new
	// namespaces) in the sandbox. It runs first, before the network is set
	// up, so that nothing of the container runs outside its limits.
	Enter(pid int) error
	// Close removes the sandbox once the container has ended or failed to
	// start. A second call does nothing.
	Close()
}

// Network is the network of one start.
type Network struct {
	Mode    network.Mode
	Options network.OpenOptions
	// Etc is the input of the container's /etc/hostname, /etc/hosts and
	// /etc/resolv.conf; the driver's address, gateway and name servers are
	// filled in once the network is set up, and the files are merged into
	// the spec's (others there, say root emulation's, are kept).
	Etc container.EtcInput
	// Named are the named networks the container joins (hull network
	// create), attached after Mode's driver, in order: the first gives
	// the container's address and name server.
	Named []NamedAttach
}

// NamedAttach is one named network of a start and the driver serving it.
type NamedAttach struct {
	Driver   netspec.NetworkDriver
	Config   netspec.NetworkConfig
	Endpoint netspec.Endpoint // its Pid is filled in at the start
}

// Request is one start.
type Request struct {
	Spec  *isolation.Spec
	Stdio isolation.Stdio
	// Sandbox, when set, confines the container; Start owns it.
	Sandbox Sandbox
	// Network, when set, is attached to the container (none and host need
	// nothing and cost nothing); nil for a task of hull's own.
	// It must be nil when the spec joins another process's network
	// namespace (Spec.Join: a pod member, --network container:NAME): the
	// network is that process's.
	Network *Network
	// Detach asks for a container that outlives the calling process: its
	// init becomes a child of the caller's parent (isolation.Spec.Detach),
	// and what keeps its network up is handed over (Handle.Keep), so the
	// caller may exit once it started the container. Granted only where
	// that is possible (Handle.Detached says): a new pid namespace (not
	// --pid host, not a pod member) and a
	// network that needs no process of the caller (none, host,
	// slirp4netns; no named network).
	Detach bool
}

// attachment is the part of network.Attachment a start uses.
type attachment interface {
	Setup(ctx context.Context, pid int) (network.Result, error)
	Close() error
	Handover() ([]*os.File, bool)
}

// Launcher starts containers with isolation's start and the network
// package's open (fakes of both in tests). Its zero value is not usable:
// use the package's Start.
type Launcher struct {
	start func(*isolation.Spec, isolation.Stdio, isolation.Hooks) (*isolation.Process, error)
	open  func(network.Mode, network.OpenOptions) (attachment, error)
}

var std = &Launcher{start: isolation.StartWithHooks, open: openAttachment}

// openAttachment is network.Open with its nil (none, host) kept nil
// through the interface.
func openAttachment(mode network.Mode, opts network.OpenOptions) (attachment, error) {
	att, err := network.Open(mode, opts)
	if att == nil || err != nil {
		return nil, err
	}
	return att, nil
}

// Start starts req's container with hull's launcher.
func Start(ctx context.Context, req Request) (*Handle, error) { return std.Start(ctx, req) }

// Run starts req's container, waits for it and tears the start down: a
// task of hull's own, whose output is all its caller needs.
func Run(ctx context.Context, req Request) (isolation.ExitStatus, error) {
	h, err := Start(ctx, req)
	if err != nil {
		return isolation.ExitStatus{}, err
	}
	defer h.Close()
	return h.Process.Wait()
}

// Start opens the network, starts the container with the sandbox entered
// and the network set up from isolation's Created hook, and returns once
// the container's command runs (or failed to: everything is then closed).
// Missing programs, bad options and busy host ports are reported by the
// network's open, before the container exists.
func (l *Launcher) Start(ctx context.Context, req Request) (*Handle, error) {
	h := &Handle{sandbox: req.Sandbox}
	s := req.Spec
	progs, err := seccomp.Programs(s.RootEmulation, s.Seccomp, s.SeccompProfile, s.Capabilities)
	if err != nil {
		h.Close()
		return nil, err
	}
	s.SeccompPrograms = progs
	if req.Spec.Join.Joins("net") && req.Network != nil {
		// A pod member's network is its infra's, already set up.
		h.Close()
		return nil, errors.New("a container that joins another's namespaces cannot have a network of its own")
	}
	if n := req.Network; n != nil {
		att, err := l.open(n.Mode, n.Options)
		if err != nil {
			h.Close()
			return nil, err
		}
		h.att, h.netName = att, n.Mode.Name
	}
	// Only the init of a new pid namespace survives Go's parent-death
	// check in a CLONE_PARENT child (isolation.Spec.Detach).
	newPidNS := req.Spec.Join == nil && req.Spec.Task == nil && !req.Spec.HostPID
	if req.Detach && newPidNS && (req.Network == nil || len(req.Network.Named) == 0) {
		ok := true
		if h.att != nil {
			_, ok = h.att.Handover() // whether it can: the network is set up during the start
		}
		h.Detached, req.Spec.Detach = ok, ok
	}
	proc, err := l.start(req.Spec, req.Stdio, h.hooks(ctx, req))
	if err != nil {
		h.Close()
		return nil, err
	}
	h.Process = proc
	if h.Detached && h.att != nil {
		h.Keep, _ = h.att.Handover()
	}
	return h, nil
}

// Handle is a started container.
type Handle struct {
	*isolation.Process
	// Network is what the network driver reported; nil without a
	// user-mode network.
	Network *network.Result
	// Detached is set when Request.Detach was granted: the init is the
	// caller's parent's child (Wait cannot wait for it), and Keep holds
	// the descriptors that keep its network up; closing them is the
	// network's teardown. The caller then exits without Close; the cgroup
	// is the sandbox owner's to remove.
	Detached bool
	Keep     []*os.File

	sandbox   Sandbox
	att       attachment
	attached  []NamedAttach
	netName   string
	closed    bool
	netClosed bool
}

// hooks composes the start's Created hook: the sandbox first, then the
// network, then the /etc files with the network's addresses.
func (h *Handle) hooks(ctx context.Context, req Request) isolation.Hooks {
	if h.sandbox == nil && h.att == nil && (req.Network == nil || len(req.Network.Named) == 0) {
		return isolation.Hooks{}
	}
	return isolation.Hooks{Created: func(pid int) error {
		if h.sandbox != nil {
			if err := h.sandbox.Enter(pid); err != nil {
				return err
			}
		}
		if req.Network == nil || (h.att == nil && len(req.Network.Named) == 0) {
			return nil
		}
		var res network.Result
		if h.att != nil {
			var err error
			if res, err = h.att.Setup(ctx, pid); err != nil {
				return err
			}
		}
		etc := req.Network.Etc
		etc.IP, etc.Gateway, etc.DNS = res.IP(), res.Gateway, res.DNS
		for i, n := range req.Network.Named {
			n.Endpoint.Pid = pid
			nres, err := n.Driver.Attach(ctx, n.Config, n.Endpoint)
			if err != nil {
				return fmt.Errorf("network %s: %w", n.Config.Name, err)
			}
			h.attached = append(h.attached, n)
			if i == 0 {
				etc.IP = nres.IP()
				if h.att == nil {
					etc.Gateway = nres.Gateway
				}
				if len(nres.DNS) > 0 {
					etc.DNS = nres.DNS
				}
			}
		}
		files, err := container.NetworkEtcFiles(etc)
		if err != nil {
			return err
		}
		if req.Spec.Files == nil {
			req.Spec.Files = map[string]string{}
		}
		maps.Copy(req.Spec.Files, files)
		if h.att != nil {
			h.Network = &res
		}
		return nil
	}}
}

// Wait waits for the container's PID 1 to exit. The end of ctx kills it
// (its pid namespace, and so every process of the container, ends with
// it).
func (h *Handle) Wait(ctx context.Context) (isolation.ExitStatus, error) {
	stop := context.AfterFunc(ctx, func() { _ = h.Signal(syscall.SIGKILL) })
	defer stop()
	return h.Process.Wait()
}

// Close tears the start down in the reverse order of its making: the
// network, then the sandbox. A network that fails to come down is only
// logged: the container's outcome matters more. A second call does
// nothing.
func (h *Handle) Close() {
	if h.closed {
		return
	}
	h.CloseNetwork()
	h.closed = true
	if h.sandbox != nil {
		h.sandbox.Close()
	}
}

// CloseNetwork tears down the network only: a detached container's
// starter that had to stay (Detached false) does it once the container
// ended, and leaves the sandbox to its owner. A second call does nothing.
func (h *Handle) CloseNetwork() {
	if h.closed || h.netClosed {
		return
	}
	h.netClosed = true
	for _, n := range h.attached {
		// The network drops a container whose init ended by itself; this
		// makes it so before a restart can attach it again.
		_ = n.Driver.Detach(context.Background(), n.Config, n.Endpoint.ContainerID)
	}
	if h.att != nil {
		if err := h.att.Close(); err != nil {
			slog.Warn("tear down network", "network", h.netName, "err", err)
		}
	}
}
