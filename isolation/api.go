package isolation

import (
	"errors"
	"io"
	"os"
	"syscall"
)

// Sentinel errors returned (wrapped) by Start when the container's command
// cannot run; the CLI maps them to Docker's exit codes 127 and 126.
var (
	ErrCommandNotFound     = errors.New("executable file not found")
	ErrCommandNotInvokable = errors.New("permission denied")
	// ErrUserNamespaces means the host forbids unprivileged user namespaces.
	ErrUserNamespaces = errors.New("unprivileged user namespaces are not allowed")
)

// Stdio is what the container's process gets as fds 0-2 when Spec.Terminal
// is false. Nil means /dev/null. Files are passed as they are (no copy
// goroutine, byte-exact); other readers and writers go through pipes.
type Stdio struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
}

// Hooks run in the parent at fixed points of Start.
type Hooks struct {
	// Created runs once the child's namespaces exist and its id maps are
	// written, before it sets anything up: the place to attach a network
	// (the child's network namespace is /proc/PID/ns/net, its user
	// namespace /proc/PID/ns/user). The child waits until it returns; an
	// error aborts the start. The spec is sent to the child after the hook,
	// so changes the hook makes to it (say, /etc/hosts with the address it
	// got) reach the container.
	Created func(pid int) error
}

// ExitStatus is how the container's first process ended.
type ExitStatus struct {
	Code   int            // exit code, or 128+signal as Docker reports it
	Signal syscall.Signal // non-zero when killed by a signal
}

// Process is a started container.
type Process struct {
	// Pid is the host pid of the container's PID 1.
	Pid int
	// Console is the pty master when Spec.Terminal is set.
	Console *os.File

	wait func() (ExitStatus, error)
}

// Wait blocks until the container's PID 1 exits.
func (p *Process) Wait() (ExitStatus, error) { return p.wait() }

// Signal sends sig to the container's PID 1.
func (p *Process) Signal(sig syscall.Signal) error { return syscall.Kill(p.Pid, sig) }
