package core

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/hull-project/hull/core/cgroup"
	"github.com/hull-project/hull/core/container"
)

// stopWait bounds how long pauseContainer waits for a stopped process to
// reach its stopped state.
const stopWait = 5 * time.Second

// pauseContainer stops every process of running container c (for a
// commit) and returns what resumes them. It freezes the container's
// cgroup where hull made one under a delegation, else it sends SIGSTOP to
// every process of the container's pid namespace and resume sends them
// SIGCONT. Processes already stopped by someone else are left stopped. A
// container whose init is gone has nothing to pause.
func (h *Hull) pauseContainer(c *container.Container) (resume func() error, err error) {
	env := cgroup.Probe()
	thaw, err := cgroup.Freeze(env, cgroupLayout(), "hull-"+c.ID)
	if err == nil {
		return thaw, nil
	}
	if !errors.Is(err, cgroup.ErrNoFreezer) {
		return nil, fmt.Errorf("pause container %s: %w", container.ShortID(c.ID), err)
	}
	procs, err := stopNamespace(c.State.Pid)
	if err != nil {
		return nil, fmt.Errorf("pause container %s: %w", container.ShortID(c.ID), err)
	}
	return procs.resume, nil
}

// stoppedProcs are the processes stopNamespace stopped, held by pidfd so
// that SIGCONT can never reach a process that reused a pid.
type stoppedProcs []int

// resume sends SIGCONT to every process and closes the pidfds; it goes on
// past errors and returns the first.
func (s stoppedProcs) resume() error {
	var first error
	for _, fd := range s {
		if err := unix.PidfdSendSignal(fd, unix.SIGCONT, nil, 0); err != nil && err != unix.ESRCH && first == nil {
			first = fmt.Errorf("resume container process: %w", err)
		}
		unix.Close(fd)
	}
	return first
}

// stopNamespace sends SIGSTOP to every process in the pid namespace whose
// init is initPid, rescanning until a scan finds no process it has not
// seen (one forked meanwhile), then waits until they are all stopped. On
// error the processes stopped so far are resumed.
func stopNamespace(initPid int) (stoppedProcs, error) {
	ns, err := containerPidNS(initPid)
	if err != nil || ns == "" {
		return nil, err
	}
	var stopped stoppedProcs
	seen := map[int]bool{}
	for fresh := true; fresh; {
		fresh = false
		for _, pid := range nsPids(ns) {
			if seen[pid] {
				continue
			}
			seen[pid], fresh = true, true
			fd, err := stopProcess(pid, ns)
			if err != nil {
				stopped.resume()
				return nil, err
			}
			if fd >= 0 {
				stopped = append(stopped, fd)
			}
		}
	}
	if err := waitStopped(stopped); err != nil {
		stopped.resume()
		return nil, err
	}
	return stopped, nil
}

// containerPidNS is the pid namespace of initPid, checked to be a
// container's: another namespace than ours, with initPid its pid 1. ""
// when the process is gone.
func containerPidNS(initPid int) (string, error) {
	if initPid <= 0 {
		return "", nil
	}
	ns, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/pid", initPid))
	if errors.Is(err, os.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	own, err := os.Readlink("/proc/self/ns/pid")
	if err != nil {
		return "", err
	}
	if ns == own || nsPid(initPid) != 1 {
		return "", fmt.Errorf("process %d is not the init of a container's pid namespace", initPid)
	}
	return ns, nil
}

// nsPid is pid's pid in its innermost namespace (the last NSpid field of
// /proc/PID/status); 0 when unknown.
func nsPid(pid int) int {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "NSpid:"); ok {
			f := strings.Fields(rest)
			if len(f) == 0 {
				return 0
			}
			n, _ := strconv.Atoi(f[len(f)-1])
			return n
		}
	}
	return 0
}

// nsPids lists the processes whose pid namespace is ns.
func nsPids(ns string) []int {
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	var out []int
	for _, d := range dirs {
		pid, err := strconv.Atoi(filepath.Base(d))
		if err != nil {
			continue
		}
		if link, err := os.Readlink(d + "/ns/pid"); err == nil && link == ns {
			out = append(out, pid)
		}
	}
	return out
}

// stopProcess opens a pidfd of pid, checks (after the open, so that the
// pidfd is the process checked) that it is still in namespace ns and not
// already stopped, and sends it SIGSTOP. It returns -1 for a process
// that is gone, left the namespace's pid, or was stopped already.
func stopProcess(pid int, ns string) (int, error) {
	fd, err := unix.PidfdOpen(pid, 0)
	if err == unix.ESRCH {
		return -1, nil
	}
	if err != nil {
		return -1, fmt.Errorf("pidfd of process %d: %w", pid, err)
	}
	link, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/pid", pid))
	if err != nil || link != ns || procState(pid) == 'T' {
		unix.Close(fd)
		return -1, nil
	}
	if err := unix.PidfdSendSignal(fd, unix.SIGSTOP, nil, 0); err != nil {
		unix.Close(fd)
		if err == unix.ESRCH {
			return -1, nil
		}
		return -1, fmt.Errorf("stop process %d: %w", pid, err)
	}
	return fd, nil
}

// waitStopped waits until every process is stopped (or gone): SIGSTOP
// is delivered asynchronously.
func waitStopped(fds stoppedProcs) error {
	deadline := time.Now().Add(stopWait)
	for _, fd := range fds {
		pid := pidOfPidfd(fd)
		for pid > 0 {
			switch procState(pid) {
			case 'T', 'Z', 'X', 0:
				pid = 0
				continue
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("process %d did not stop within %s", pid, stopWait)
			}
			time.Sleep(2 * time.Millisecond)
		}
	}
	return nil
}

// pidOfPidfd reads the pid a pidfd refers to (its fdinfo's "Pid:"); 0
// when the process is gone.
func pidOfPidfd(fd int) int {
	data, err := os.ReadFile(fmt.Sprintf("/proc/self/fdinfo/%d", fd))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "Pid:"); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(v))
			return max(n, 0)
		}
	}
	return 0
}

// procState is the state letter of /proc/PID/stat; 0 when the process
// is gone.
func procState(pid int) byte {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// "PID (COMM) STATE …"; COMM may hold spaces and parentheses.
	rest := strings.TrimLeft(string(data[strings.LastIndexByte(string(data), ')')+1:]), " ")
	if rest == "" {
		return 0
	}
	return rest[0]
}
