package core

import (
	"context"
	"io"
	"maps"
	"path/filepath"
	"sync"

	"github.com/hull-project/hull/builders"
	"github.com/hull-project/hull/core/container"
	"github.com/hull-project/hull/core/device"
	"github.com/hull-project/hull/core/launch"
	"github.com/hull-project/hull/isolation"
	"github.com/hull-project/hull/plugins/network"
)

// buildSteps starts a build's containers through the one start path and
// confines its RUN steps as `hull run` confines a container: a cgroup per
// step for the limits it can enforce, rlimits (--ulimit and the
// fallbacks) for the rest. Warnings are printed once per build.
type buildSteps struct {
	limits  container.Limits
	confine bool // some limit is set
	out     io.Writer
	once    sync.Once
	// devices are `hull build --device`'s, given to every RUN step.
	devices *device.Plan
	// extraHosts are --add-host NAME:IP lines.
	extraHosts []string
	shmSize    int64
}

var _ builders.StepRunner = (*buildSteps)(nil)

// withDevices gives every RUN step the devices of plan (nil: none).
func (r *buildSteps) withDevices(plan *device.Plan) *buildSteps {
	r.devices = plan
	return r
}

// withHosts adds `hull build --add-host`'s lines to every RUN step's
// /etc/hosts, and gives each a /dev/shm of shmSize bytes (0: 64 MiB).
func (r *buildSteps) withHosts(hosts []string, shmSize int64) *buildSteps {
	r.extraHosts, r.shmSize = hosts, shmSize
	return r
}

func newBuildSteps(l container.Limits, out io.Writer) *buildSteps {
	confine := l.Memory != 0 || l.MemorySwap != 0 || l.NanoCPUs != 0 || l.CPUShares != 0 ||
		l.PidsLimit != 0 || len(l.Ulimits) > 0
	return &buildSteps{limits: l, confine: confine, out: out}
}

// StartStep starts a RUN step with the build's limits, its network and
// its /etc/hostname, /etc/hosts and /etc/resolv.conf (those of a network
// without an address; launch writes them again with the network's), or a
// task bare.
func (r *buildSteps) StartStep(ctx context.Context, s builders.StepSpec) (builders.StepProcess, error) {
	req := launch.Request{Spec: s.Spec, Stdio: s.Stdio}
	if s.Spec.Task != nil {
		h, err := launch.Start(ctx, req)
		if err != nil {
			return nil, err
		}
		return &buildStep{h: h, ctx: context.Background()}, nil
	}
	etc := container.EtcInput{Hostname: s.Hostname, Network: s.Network.String(), ExtraHosts: r.extraHosts}
	files, err := container.NetworkEtcFiles(etc)
	if err != nil {
		return nil, err
	}
	if s.Spec.Files == nil {
		s.Spec.Files = map[string]string{}
	}
	maps.Copy(s.Spec.Files, files)
	if r.devices != nil {
		r.devices.Apply(s.Spec)
	}
	s.Spec.ShmSize = r.shmSize
	if r.confine {
		sb, err := r.sandbox(s.Spec)
		if err != nil {
			return nil, err
		}
		req.Sandbox = sb
	}
	req.Network = &launch.Network{Mode: s.Network,
		Options: network.OpenOptions{ContainerID: s.Spec.ID, StateDir: s.Spec.StateDir},
		Etc:     etc}
	h, err := launch.Start(ctx, req)
	if err != nil {
		return nil, err
	}
	return &buildStep{h: h, ctx: ctx}, nil
}

// sandbox makes one RUN step's cgroup and adds its rlimits to spec.
func (r *buildSteps) sandbox(spec *isolation.Spec) (*sandbox, error) {
	var warn io.Writer
	r.once.Do(func() { warn = r.out })
	id := filepath.Base(spec.StateDir) + "-" + randomHex()[:8]
	c := &container.Container{ID: "build-" + id, HostConfig: container.HostConfig{Limits: r.limits}}
	s, err := newSandbox(c, spec, warn, false)
	if err != nil {
		return nil, err
	}
	spec.Rlimits = append(spec.Rlimits, r.limits.Rlimits()...)
	return s, nil
}

// buildStep is a started build container; the end of ctx kills it.
type buildStep struct {
	h   *launch.Handle
	ctx context.Context
}

func (s *buildStep) Wait() (isolation.ExitStatus, error) {
	defer s.h.Close()
	return s.h.Wait(s.ctx)
}
