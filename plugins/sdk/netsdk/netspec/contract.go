package netspec

import "context"

// Driver is what a network implements, a plugin or one of hull's own.
// One Driver value serves one container start: Setup is called once,
// Teardown once after it.
type Driver interface {
	// Setup attaches a network to the container's namespaces. They exist
	// and the container's id maps are written; its command has not
	// started. Whatever Setup starts must keep running until Teardown and
	// must end when the plugin process ends (hull kills the plugin after
	// Teardown, or when hull itself dies).
	Setup(ctx context.Context, req Request) (Result, error)
	// Teardown releases what Setup set up; the namespaces may be gone
	// already. It is called after a failed Setup too.
	Teardown(ctx context.Context, containerID string) error
}

// Request is what Setup gets.
type Request struct {
	ContainerID string
	// Pid is the container's init on the host; NetNS and UserNS are its
	// namespaces (/proc/PID/ns/net, /proc/PID/ns/user). Entering NetNS
	// needs entering UserNS first, which a multithreaded program (any Go
	// program) cannot do: start a helper (slirp4netns --userns-path, a
	// small C program) for that.
	Pid    int
	NetNS  string
	UserNS string
	// StateDir is a private directory for this start (sockets, pid files);
	// hull removes it when the container ends.
	StateDir string
	// Ports are the -p publications, host ports already checked free.
	// A driver that cannot publish ports must refuse them.
	Ports []PortMapping
	// Options are the KEY=VALUE pairs after --network NAME:.
	Options map[string]string
}
