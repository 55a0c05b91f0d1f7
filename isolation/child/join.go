package child

import (
	"fmt"
	"os"
	"slices"

	"github.com/hull-project/hull/isolation"
	"golang.org/x/sys/unix"
)

// joinFlags are the namespaces a Spec.Join may name, by their /proc/PID/ns
// names.
var joinFlags = map[string]int{"net": unix.CLONE_NEWNET, "ipc": unix.CLONE_NEWIPC, "uts": unix.CLONE_NEWUTS}

// joinNamespaces enters the namespaces of spec.Join.Pid that the spec
// names (a pod's network, IPC and UTS) and makes the container's own
// mount and cgroup namespaces, which a multithreaded process may do for
// the thread that executes the command. It ties the init's life to its
// parent's, as a cloned init's Pdeathsig does. Precondition: nsenter put
// this process in the owner's user and pid namespaces, where it is root
// with every capability; the thread is locked; /proc is still the host's.
func joinNamespaces(spec *isolation.Spec) error {
	if spec.Join == nil {
		return nil
	}
	if err := unix.Prctl(unix.PR_SET_PDEATHSIG, uintptr(unix.SIGKILL), 0, 0, 0); err != nil {
		return fmt.Errorf("set parent death signal: %w", err)
	}
	for _, name := range spec.Join.Namespaces {
		if err := setns(spec.Join.Pid, name); err != nil {
			return err
		}
	}
	if err := unix.Unshare(unix.CLONE_NEWNS | unix.CLONE_NEWCGROUP); err != nil {
		return fmt.Errorf("unshare mount and cgroup namespaces: %w", err)
	}
	return nil
}

func setns(pid int, name string) error {
	flag, ok := joinFlags[name]
	if !ok {
		return fmt.Errorf("cannot join a %q namespace", name)
	}
	path := fmt.Sprintf("/proc/%d/ns/%s", pid, name)
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open %s: %w", path, err)
	}
	defer unix.Close(fd)
	if err := unix.Setns(fd, flag); err != nil {
		return fmt.Errorf("setns %s: %w", path, err)
	}
	return nil
}

// joins reports whether the spec joins another process's namespace name.
func joins(spec *isolation.Spec, name string) bool {
	return spec.Join != nil && slices.Contains(spec.Join.Namespaces, name)
}

// reportJoined tells the parent that the command is about to run: a
// joined init's parent is nsenter, which holds the error pipe open, so
// the execve's EOF never comes (exec's stage does the same). Precondition:
// every check that can fail before the execve is done.
func reportJoined(spec *isolation.Spec) {
	if spec.Join != nil {
		isolation.ReportError(os.NewFile(4, "error-pipe"), &isolation.StartError{Code: 0})
	}
}
