package container

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"golang.org/x/sys/unix"

	"github.com/hull-project/hull/core/lockfile"
)

// removeLock is the file in a container's directory that `rm -f` of a
// running container keeps flock'ed from before its SIGKILL until it has
// recorded the end. A monitor whose container's PID 1 ended while it is
// held makes no exited call (a whole hull process) and lets go at once:
// the end is rm's to record (moncall.Plan.RemoveLock, moncall.Held).
const removeLock = "remove.lock"

// RemoveLockPath is the container's remove lock, for its monitor.
func (s *Store) RemoveLockPath(id string) string { return filepath.Join(s.Dir(id), removeLock) }

// EndHook is what rm -f runs on c, still running, before it kills it:
// it returns what releases what a start left that the record does not
// (the cgroup, found from the running init) and reports whether the
// kernel OOM-killed a process of it, run if rm records the end itself.
type EndHook func(c *Container) (release func() (oomKilled bool))

// SetEndHook sets the hook rm -f runs when it records a container's end.
func (s *Store) SetEndHook(h EndHook) { s.ended = h }

// removeRunning is rm -f of a running container: it takes the remove
// lock, marks the container stopped by the user (no restart), kills its
// PID 1 and waits for the monitor lock, never polling. Either the monitor
// saw the remove lock held and let go without recording (then the end is
// recorded here), or it had made its exited call first (then the record
// says so already, and it is left as it is): recordKilled looks at the
// record under the store lock after the monitor is gone, so Docker's die
// is logged once, before destroy.
func (s *Store) removeRunning(c *Container) error {
	release, err := lockfile.Lock(s.RemoveLockPath(c.ID), "container "+ShortID(c.ID))
	if errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("%w: %s", ErrNotFound, c.ID)
	}
	if err != nil {
		return err
	}
	defer release()
	if _, err := s.Modify(c.ID, func(c *Container) error { c.HasBeenManuallyStopped = true; return nil }); err != nil {
		return err
	}
	var end func() bool
	if s.ended != nil {
		end = s.ended(c)
	}
	s.Emit(c, "kill", "signal", strconv.Itoa(int(unix.SIGKILL)))
	if c.State.Pid > 0 { // never our own process group
		if err := unix.Kill(c.State.Pid, unix.SIGKILL); err != nil && err != unix.ESRCH {
			return fmt.Errorf("kill container %s: %w", ShortID(c.ID), err)
		}
	}
	if !s.WaitMonitor(c.ID, 10*time.Second) {
		return fmt.Errorf("remove container %s: its monitor did not exit", ShortID(c.ID))
	}
	err = s.recordKilled(c.ID, end)
	if err == nil {
		err = s.Remove(c.ID, false)
	}
	if c.HostConfig.AutoRemove && errors.Is(err, ErrNotFound) {
		return nil // --rm: its end's exited call removed it, which is what rm -f asked for
	}
	return err
}

// recordKilled records the end of a container that rm -f killed, unless
// it is recorded already (then end is not run: that recorder released it
// all). Its monitor is gone.
func (s *Store) recordKilled(id string, end func() bool) error {
	_, err := s.Modify(id, func(c *Container) error {
		if !c.State.Running {
			return nil
		}
		oom := end != nil && end()
		c.SetExited(128+int(unix.SIGKILL), time.Now().UTC(), "")
		c.State.Restarting, c.State.OOMKilled = false, oom
		return nil
	})
	return err
}
