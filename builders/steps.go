package builders

import (
	"context"

	"github.com/hull-project/hull/isolation"
	"github.com/hull-project/hull/plugins/network"
)

// StepRunner starts the build's containers, RUN steps and tasks alike,
// through hull's one start path (core implements it, with the build's
// limits): the engine builds the spec and never starts a container itself.
type StepRunner interface {
	// StartStep starts s's container and returns once its command runs
	// (or failed to: nothing of the start is then left). For a RUN step,
	// the end of ctx kills the container.
	StartStep(ctx context.Context, s StepSpec) (StepProcess, error)
}

// StepSpec is one container of the build.
type StepSpec struct {
	Spec  *isolation.Spec
	Stdio isolation.Stdio
	// Network and Hostname are a RUN step's: the network it attaches and
	// the name its /etc/hostname and /etc/hosts give it (the runner adds
	// those files, and /etc/resolv.conf, to Spec.Files, as `hull run`
	// makes them). A task (Spec.Task set) is hull's own code: it runs with
	// neither a network nor the build's limits.
	Network  network.Mode
	Hostname string
}

// StepProcess is a started step.
type StepProcess interface {
	// Wait waits for the container's PID 1 to exit and tears its start
	// down (cgroup, network).
	Wait() (isolation.ExitStatus, error)
}
