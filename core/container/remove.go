package container

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/hull-project/hull/core/lockfile"
)

// removeLock is the file in a container's directory that `rm -f` of a
// running container keeps flock'ed from before its SIGKILL until it has
// recorded the end and removed the container. A monitor whose container's
// PID 1 ended while it is held makes no exited call (a whole hull process)
// and lets go at once: the end is rm's to record (moncall.Plan.RemoveLock,
// moncall.Held). A start that finds it held fails (ErrRemoving), and
// ps and wait read a running record without a monitor as one whose end
// rm is recording. Every removal of a container that has run writes the
// last run's exit code into the file first, for a wait that holds the
// file open (Removal, tellRemoved).
const removeLock = "remove.lock"

// ErrRemoving: rm -f is removing the container, so it cannot be started
// ("removal of container X is already in progress", as Docker's).
var ErrRemoving = errors.New("already in progress")

// removeGrace is how long rm -f waits for the container's monitor to let
// go once it has killed the container's PID 1.
const removeGrace = 10 * time.Second

// RemoveLockPath is the container's remove lock, for its monitor.
func (s *Store) RemoveLockPath(id string) string { return filepath.Join(s.Dir(id), removeLock) }

// Removing reports whether rm -f is removing the container now.
func (s *Store) Removing(id string) bool { return lockHeld(s.RemoveLockPath(id)) }

// RemovingError is what a start, stop or kill of a container that rm -f
// is removing fails with.
func RemovingError(id string) error {
	return fmt.Errorf("removal of container %s is %w", ShortID(id), ErrRemoving)
}

// EndHook is what rm -f runs on c, still running, before it kills it:
// it returns what releases what a start left that the record does not
// (the cgroup, found from the running init) and reports whether the
// kernel OOM-killed a process of it, run if rm records the end itself.
type EndHook func(c *Container) (release func() (oomKilled bool))

// SetEndHook sets the hook rm -f runs when it records a container's end.
func (s *Store) SetEndHook(h EndHook) { s.ended = h }

// removeRunning is rm -f of a container whose monitor holds it: it takes
// the remove lock (from then on no start begins) and then acts on the
// record as it is now, not on what the caller read before: a restart may
// have ended the run the caller saw and started another. Each round, under
// the store lock, it marks the container stopped by the user (no restart)
// and, when it runs, opens its PID 1 (a pidfd, checked to be the start the
// record names: a pid from an old record may be another process now);
// then it kills it and waits for the monitor, never polling while the
// container runs. A start in progress (the monitor holds the lock, the
// record says not running yet) is waited out round by round. Once the
// monitor is gone, either it saw the remove lock held and let go without
// recording (then the end is recorded here), or it had made its exited
// call first (then the record says so already, and it is left as it is):
// recordKilled looks at the record under the store lock, so Docker's die
// is logged once, before destroy.
func (s *Store) removeRunning(id string, autoRemove bool) error {
	lock, err := os.OpenFile(s.RemoveLockPath(id), os.O_RDWR|os.O_CREATE|unix.O_CLOEXEC, 0o600)
	if errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	if err != nil {
		return fmt.Errorf("lock container %s: %w", ShortID(id), err)
	}
	defer lock.Close() // closing drops the lock
	if err := lockfile.Flock(lock, unix.LOCK_EX); err != nil {
		return fmt.Errorf("lock container %s: %w", ShortID(id), err)
	}
	var end func() bool
	killed, deadline := 0, time.Now().Add(removeGrace)
	for s.MonitorAlive(id) {
		if time.Now().After(deadline) {
			return fmt.Errorf("remove container %s: its monitor did not exit", ShortID(id))
		}
		c, pidfd, err := s.stopTarget(id)
		if err != nil {
			return removed(err, autoRemove)
		}
		if pidfd < 0 {
			// Not running (yet): a start or an end in progress.
			s.WaitMonitor(id, 50*time.Millisecond)
			continue
		}
		if c.State.Pid != killed {
			if s.ended != nil {
				end = s.ended(c)
			}
			s.Emit(c, "kill", "signal", strconv.Itoa(int(unix.SIGKILL)))
			killed = c.State.Pid
		}
		err = unix.PidfdSendSignal(pidfd, unix.SIGKILL, nil, 0)
		unix.Close(pidfd)
		if err != nil && err != unix.ESRCH {
			return fmt.Errorf("kill container %s: %w", ShortID(id), err)
		}
		s.WaitMonitor(id, time.Until(deadline))
	}
	err = s.recordKilled(id, end)
	if err == nil {
		err = s.remove(id) // which tells a wait the code (tellRemoved)
	}
	return removed(err, autoRemove)
}

// removed is rm -f's result: a --rm container that is gone was removed
// by its end's exited call, which is what rm -f asked for.
func removed(err error, autoRemove bool) error {
	if autoRemove && errors.Is(err, ErrNotFound) {
		return nil
	}
	return err
}

// stopTarget marks the container stopped by the user and, when its
// record says it runs, returns a pidfd of its PID 1 (-1 when it does not
// run, or that process is gone). It runs under the store lock: the
// monitor records a start or an end under it, so the record is the
// current one while the pidfd is opened and checked.
func (s *Store) stopTarget(id string) (*Container, int, error) {
	return s.pid1(id, true)
}

// pid1 is stopTarget, marking the container stopped by the user only
// when stopped is true.
func (s *Store) pid1(id string, stopped bool) (*Container, int, error) {
	var pidfd = -1
	c, err := s.Modify(id, func(c *Container) error {
		if stopped {
			c.HasBeenManuallyStopped = true
		}
		if !c.State.Running || c.State.Pid <= 0 || !s.MonitorAlive(id) {
			return nil
		}
		fd, err := unix.PidfdOpen(c.State.Pid, 0)
		if err == unix.ESRCH {
			return nil
		}
		if err != nil {
			return fmt.Errorf("open process %d of container %s: %w", c.State.Pid, ShortID(id), err)
		}
		if !startedBy(c.State.Pid, c.State.StartedAt) {
			// Reaped (its monitor lets go now) and the pid taken by
			// another process since.
			unix.Close(fd)
			return nil
		}
		pidfd = fd
		return nil
	})
	if err != nil {
		if pidfd >= 0 {
			unix.Close(pidfd)
		}
		return nil, -1, err
	}
	return c, pidfd, nil
}

// startSlack allows for the clock tick of /proc's start times.
const startSlack = 100 * time.Millisecond

// startedBy reports whether process pid began no later than at, the time
// a start recorded once it had launched it: a process that took the pid
// of a container's reaped PID 1 began after that. The caller holds a
// pidfd of pid, so the process read here is that one (unless it is gone
// too: then the signal does nothing).
func startedBy(pid int, at time.Time) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	// Field 22, starttime in clock ticks since boot; fields after the
	// command, which may hold spaces, are counted from its ")".
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return false
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 20 {
		return false
	}
	ticks, err := strconv.ParseUint(f[19], 10, 64)
	if err != nil {
		return false
	}
	var boot unix.Timespec
	if unix.ClockGettime(unix.CLOCK_BOOTTIME, &boot) != nil {
		return false
	}
	const userHZ = 100 // USER_HZ, /proc's clock tick on Linux
	sinceStart := time.Duration(boot.Nano()) - time.Duration(ticks)*time.Second/userHZ
	began := time.Now().Add(-sinceStart)
	return !began.After(at.Add(startSlack))
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

// tellRemoved writes the exit code of c's last run into its remove lock
// before c is removed, for a wait that holds the file open (Removal) and
// finds the record gone: it looked too late to read it.
func (s *Store) tellRemoved(c *Container) {
	f, err := os.OpenFile(s.RemoveLockPath(c.ID), os.O_WRONLY|os.O_CREATE|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return
	}
	_, _ = f.WriteAt([]byte(strconv.Itoa(c.LastExit.Code)), 0)
	f.Close()
}

// Removal is a wait's look at a container's remove lock, open from before
// the container could be removed, so that the code its removal wrote
// into it can be read once the container is gone.
type Removal struct{ f *os.File }

// WatchRemoval opens the container's remove lock; nil when it cannot.
func (s *Store) WatchRemoval(id string) *Removal {
	f, err := os.OpenFile(s.RemoveLockPath(id), os.O_RDONLY|os.O_CREATE|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return nil
	}
	return &Removal{f: f}
}

// InProgress reports whether rm -f holds the lock now.
func (r *Removal) InProgress() bool {
	if r == nil {
		return false
	}
	if err := lockfile.Flock(r.f, unix.LOCK_SH|unix.LOCK_NB); err != nil {
		return errors.Is(err, unix.EWOULDBLOCK)
	}
	_ = lockfile.Flock(r.f, unix.LOCK_UN)
	return false
}

// Code waits until no rm -f holds the lock and returns the exit code of
// the last run, as the container's removal wrote it; false when none
// wrote it (not removed, or rm -f failed).
func (r *Removal) Code() (int, bool) {
	if r == nil || lockfile.Flock(r.f, unix.LOCK_SH) != nil {
		return 0, false
	}
	defer lockfile.Flock(r.f, unix.LOCK_UN) //nolint:errcheck // dropped with the file anyway
	b := make([]byte, 16)
	n, _ := r.f.ReadAt(b, 0)
	code, err := strconv.Atoi(string(b[:n]))
	return code, err == nil
}

// Close lets go of the file.
func (r *Removal) Close() {
	if r != nil {
		r.f.Close()
	}
}
