package container

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"

	"github.com/hull-project/hull/core/lockfile"
)

// monitorLock is the file in a container's directory that whoever holds
// the container (the monitor of a detached container, or `hull run` in the
// foreground) keeps flock'ed while the container may be running. The
// kernel drops the lock when that process dies, however it dies, and no
// lock survives a reboot: a "running" record whose lock is free is a
// container whose monitor is gone, never a ghost.
const monitorLock = "monitor.lock"

// ReasonMonitorDied is the State.Error of a container whose monitor died
// before it could record the end (kill -9, or the host rebooted).
const ReasonMonitorDied = "container monitor died (killed, or the host rebooted)"

// ExitMonitorDied is the exit code shown for such a container, Docker's
// code for an exit the daemon could not observe.
const ExitMonitorDied = 255

// HoldMonitor takes the container's monitor lock for the calling process
// and returns its release. ErrRunning means another process holds it.
func (s *Store) HoldMonitor(id string) (func(), error) {
	f, err := s.TakeMonitor(id)
	if err != nil {
		return nil, err
	}
	return func() { f.Close() }, nil
}

// TakeMonitor takes the container's monitor lock and returns the locked
// file: the lock lasts until every copy of the descriptor is closed, so
// it can be handed to the monitor process (which holds it from then on).
// ErrRunning means another process holds it; ErrRemoving that rm -f is
// removing the container.
func (s *Store) TakeMonitor(id string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(s.Dir(id), monitorLock), os.O_RDWR|os.O_CREATE|unix.O_CLOEXEC, 0o600)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	if err != nil {
		return nil, fmt.Errorf("lock container %s: %w", ShortID(id), err)
	}
	if err := takeExclusive(f); err != nil {
		f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil, fmt.Errorf("container %s: %w", ShortID(id), ErrRunning)
		}
		return nil, fmt.Errorf("lock container %s: %w", ShortID(id), err)
	}
	// rm -f takes the remove lock, then looks for a monitor: one of the
	// two sees the other.
	if s.Removing(id) {
		f.Close()
		return nil, RemovingError(id)
	}
	return f, nil
}

// sharedGrace is how long takeExclusive waits out shared holders.
const sharedGrace = 2 * time.Second

// takeExclusive takes f's lock exclusively without waiting for a monitor.
// Only a monitor holds the lock exclusively; shared holders are other hull
// processes looking (MonitorAlive, WaitMonitor), each for an instant. A
// start right after its container ended (restart, a restart policy, a
// script's `start`) must not fail because some `ps` or the ended
// monitor's own last calls looked just then: while the lock can still be
// had shared, no monitor holds it, so this retries for a moment. EWOULDBLOCK
// means a monitor holds it.
func takeExclusive(f *os.File) error {
	deadline := time.Now().Add(sharedGrace)
	for {
		err := lockfile.Flock(f, unix.LOCK_EX|unix.LOCK_NB)
		if !errors.Is(err, unix.EWOULDBLOCK) {
			return err
		}
		// Shared holders only? Then taking it shared works (and is
		// dropped at once: flock converts, so unlock).
		if lockfile.Flock(f, unix.LOCK_SH|unix.LOCK_NB) != nil || time.Now().After(deadline) {
			return err
		}
		_ = lockfile.Flock(f, unix.LOCK_UN)
		time.Sleep(2 * time.Millisecond)
	}
}

// MonitorAlive reports whether a process holds the container's monitor
// lock.
func (s *Store) MonitorAlive(id string) bool { return lockHeld(filepath.Join(s.Dir(id), monitorLock)) }

// lockHeld reports whether a process holds a flock on the file at path
// (one that is gone is not held).
func lockHeld(path string) bool {
	f, err := os.OpenFile(path, os.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return false
	}
	defer f.Close()
	return errors.Is(lockfile.Flock(f, unix.LOCK_SH|unix.LOCK_NB), unix.EWOULDBLOCK)
}

// WaitMonitor blocks until no process holds the container's monitor lock
// or timeout passes (timeout < 0: no limit), and reports whether the lock
// is free. Once it is, the record holds the container's final state.
func (s *Store) WaitMonitor(id string, timeout time.Duration) bool {
	f, err := os.OpenFile(filepath.Join(s.Dir(id), monitorLock), os.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return true
	}
	freed := make(chan struct{})
	go func() {
		_ = lockfile.Flock(f, unix.LOCK_SH)
		// The shared lock taken here goes before the caller hears the
		// lock is free: a start right after (restart) takes it
		// exclusively, and would find this one still held.
		f.Close()
		close(freed)
	}()
	if timeout < 0 {
		<-freed
		return true
	}
	select {
	case <-freed:
		return true
	case <-time.After(timeout):
		return false
	}
}

// refresh shows a running record whose monitor is gone as exited, unless
// rm -f holds its remove lock: then the monitor let go because rm records
// the end (the SIGKILL's), and until it has, the record is shown as it is.
// rm may have recorded the end, or removed the container, and let go since
// c was read: the record is read again before it is called a death.
func (s *Store) refresh(c *Container) {
	if !(c.State.Running || c.State.Restarting) || s.MonitorAlive(c.ID) || s.Removing(c.ID) {
		return
	}
	now, err := readRecord(s.Dir(c.ID))
	if errors.Is(err, os.ErrNotExist) {
		return // removed since: shown as it was
	}
	if err == nil && !now.State.Running && !now.State.Restarting {
		*c = *now
		return
	}
	c.SetExited(ExitMonitorDied, c.State.StartedAt, ReasonMonitorDied)
	c.State.Restarting = false
}
