package container

import (
	"fmt"
	"time"

	"golang.org/x/sys/unix"
)

// Process is a container's PID 1 held by a pidfd, opened under the store
// lock and checked to be the start the record names, so that a signal
// never reaches another process that took a reaped PID 1's number.
type Process struct {
	Pid int
	fd  int
}

// Target marks the container stopped by the user (stop, kill: its restart
// policy does not start it again) and returns its PID 1; nil when it does
// not run (any more), or its monitor is gone.
func (s *Store) Target(id string) (*Container, *Process, error) {
	return s.process(id, true)
}

// Process returns the container's PID 1 as Target does, without marking
// it stopped (a signal relayed by attach).
func (s *Store) Process(id string) (*Process, error) {
	_, p, err := s.process(id, false)
	return p, err
}

func (s *Store) process(id string, stopped bool) (*Container, *Process, error) {
	c, fd, err := s.pid1(id, stopped)
	if err != nil || fd < 0 {
		return c, nil, err
	}
	return c, &Process{Pid: c.State.Pid, fd: fd}, nil
}

// Signal sends sig to the process; one that has ended meanwhile is not
// an error.
func (p *Process) Signal(sig unix.Signal) error {
	if err := unix.PidfdSendSignal(p.fd, sig, nil, 0); err != nil && err != unix.ESRCH {
		return fmt.Errorf("signal container process %d: %w", p.Pid, err)
	}
	return nil
}

// Close lets go of the pidfd.
func (p *Process) Close() error { return unix.Close(p.fd) }

// OpenProcess holds pid by a pidfd if it is still the process a start
// recorded at startedAt (taken once it had launched it); nil when it has
// ended, or its pid now belongs to a process that began after that. For
// processes outside a container record (a pod's infra), whose owner's
// lock is checked by the caller.
func OpenProcess(pid int, startedAt time.Time) (*Process, error) {
	if pid <= 0 {
		return nil, nil
	}
	fd, err := unix.PidfdOpen(pid, 0)
	if err == unix.ESRCH {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("open process %d: %w", pid, err)
	}
	if !startedBy(pid, startedAt) {
		unix.Close(fd)
		return nil, nil
	}
	return &Process{Pid: pid, fd: fd}, nil
}
