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

// stopNamespace sends SIGSTOP to every process of the container whose
// init is initPid: those of its pid namespace and their descendants (in
// pid namespaces the container made), rescanning until a scan finds no
// process it has not seen (one forked meanwhile), then waits until they
// are all stopped. On error the processes stopped so far are resumed.
func stopNamespace(initPid int) (stoppedProcs, error) {
	ns, err := containerPidNS(initPid)
	if err != nil || ns == "" {
		return nil, err
	}
	var stopped stoppedProcs
	seen, members := map[int]bool{}, map[int]bool{}
	for fresh := true; fresh; {
		fresh = false
		for _, pid := range containerProcs(ns, members) {
			if seen[pid] {
				continue
			}
			seen[pid], fresh = true, true
			fd, err := stopProcess(pid, ns, members)
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

// containerProcs lists the processes whose pid namespace is ns or whose
// parent is a member (a process found in the container before).
func containerProcs(ns string, members map[int]bool) []int {
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	var out []int
	for _, d := range dirs {
		pid, err := strconv.Atoi(filepath.Base(d))
		if err != nil {
			continue
		}
		if inContainer(pid, ns, members) {
			out = append(out, pid)
		}
	}
	return out
}

func inContainer(pid int, ns string, members map[int]bool) bool {
	if link, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/pid", pid)); err == nil && link == ns {
		return true
	}
	return members[parentPid(pid)]
}

// stopProcess opens a pidfd of pid, checks (after the open, so that the
// pidfd is the process checked) that it still belongs to the container
// and is not stopped already, records it as a member and sends it
// SIGSTOP. It returns -1 for a process that is gone, no member, or was
// stopped already.
func stopProcess(pid int, ns string, members map[int]bool) (int, error) {
	fd, err := unix.PidfdOpen(pid, 0)
	if err == unix.ESRCH {
		return -1, nil
	}
	if err != nil {
		return -1, fmt.Errorf("pidfd of process %d: %w", pid, err)
	}
	if !inContainer(pid, ns, members) {
		unix.Close(fd)
		return -1, nil
	}
	members[pid] = true
	if procState(pid) == 'T' {
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
	f := statFields(pid)
	if len(f) < 1 || f[0] == "" {
		return 0
	}
	return f[0][0]
}

// parentPid is pid's parent; 0 when unknown.
func parentPid(pid int) int {
	f := statFields(pid)
	if len(f) < 2 {
		return 0
	}
	n, _ := strconv.Atoi(f[1])
	return n
}

// statFields are the fields of /proc/PID/stat after "PID (COMM)" (COMM
// may hold spaces and parentheses): state, ppid, ….
func statFields(pid int) []string {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return nil
	}
	return strings.Fields(string(data[strings.LastIndexByte(string(data), ')')+1:]))
}

// Pause freezes every process of a running container until Unpause, as
// docker pause: the cgroup freezer where hull made the container a
// cgroup, else SIGSTOP to each of its processes. The record says paused
// (ps, inspect) until Unpause or the container's end.
func (h *Hull) Pause(ref string) error {
	c, err := h.Containers.Lookup(ref)
	if err != nil {
		return err
	}
	switch {
	case !c.State.Running:
		return fmt.Errorf("pause container %s: container is not running", c.Name)
	case c.State.Paused:
		return fmt.Errorf("pause container %s: container is already paused", c.Name)
	}
	// The resume function is dropped: unpause is another process, which
	// thaws the group or continues the processes it finds.
	if _, err := h.pauseContainer(c); err != nil {
		return err
	}
	_, err = h.Containers.Modify(c.ID, func(c *container.Container) error {
		c.State.Paused, c.State.Status = true, container.StatusPaused
		return nil
	})
	if err != nil {
		_ = h.resumeContainer(c)
		return fmt.Errorf("pause container %s: %w", c.Name, err)
	}
	return nil
}

// Unpause resumes a container Pause paused.
func (h *Hull) Unpause(ref string) error {
	c, err := h.Containers.Lookup(ref)
	if err != nil {
		return err
	}
	if !c.State.Running || !c.State.Paused {
		return fmt.Errorf("unpause container %s: container is not paused", c.Name)
	}
	if err := h.resumeContainer(c); err != nil {
		return fmt.Errorf("unpause container %s: %w", c.Name, err)
	}
	_, err = h.Containers.Modify(c.ID, func(c *container.Container) error {
		c.State.Paused, c.State.Status = false, container.StatusRunning
		return nil
	})
	return err
}

// resumeContainer thaws the container's cgroup, or sends SIGCONT to
// every process of its pid namespace and their descendants (through
// pidfds checked after opening, so that a reused pid is not signalled).
func (h *Hull) resumeContainer(c *container.Container) error {
	err := cgroup.Thaw(cgroup.Probe(), cgroupLayout(), "hull-"+c.ID)
	if !errors.Is(err, cgroup.ErrNoFreezer) {
		return err
	}
	ns, err := containerPidNS(c.State.Pid)
	if err != nil || ns == "" {
		return err
	}
	members := map[int]bool{}
	var first error
	// Two passes: descendants in nested namespaces are found by parent.
	for pass := 0; pass < 2; pass++ {
		for _, pid := range containerProcs(ns, members) {
			members[pid] = true
		}
	}
	for pid := range members {
		fd, err := unix.PidfdOpen(pid, 0)
		if err != nil {
			continue // gone
		}
		if inContainer(pid, ns, members) {
			if err := unix.PidfdSendSignal(fd, unix.SIGCONT, nil, 0); err != nil && err != unix.ESRCH && first == nil {
				first = fmt.Errorf("resume process %d: %w", pid, err)
			}
		}
		unix.Close(fd)
	}
	return first
}
