package isolation

import (
	"fmt"
	"os/exec"
	"slices"
	"strconv"
	"syscall"

	"github.com/hull-project/hull/isolation/role"
)

// joinCommand turns the init's command into one that starts inside the
// namespaces of spec.Join.Pid (a pod's infra, or the container named by
// --pid/--ipc/--uts/--network container:NAME). A Go process cannot enter
// a user namespace (it is multithreaded), so util-linux's nsenter, as for
// exec, enters the owner's user namespace (where the caller, its owner,
// may act as root). The pid, network, IPC and UTS namespaces the spec
// neither joins nor keeps the caller's of (ownNamespaces) are made there
// by util-linux's unshare, which nsenter executes, and which forks the
// init into a new pid namespace; a joined pid namespace is entered last,
// by a second nsenter that forks the init into it. So every namespace
// exists before Start's Created hook runs, which sets the network up in
// the init's network namespace. The init runs from a sealed memfd as
// fd 5, the child of the process Start started (initForks).
// Its first step joins the network, IPC and UTS namespaces the spec names
// and unshares its own mount and cgroup namespaces (isolation/child's
// joinNamespaces). No new user namespace means no id maps to write: the
// owner's are in place.
func joinCommand(cmd *exec.Cmd, spec *Spec) (*exec.Cmd, error) {
	if spec.Task != nil {
		return nil, fmt.Errorf("join namespaces of %d: a task cannot join", spec.Join.Pid)
	}
	nsenter, err := utilLinux("nsenter")
	if err != nil {
		return nil, err
	}
	mem, _, err := sealedInit()
	if err != nil {
		return nil, err
	}
	cmd.ExtraFiles = append(cmd.ExtraFiles, mem)
	spec.InitFd = 5
	cmd.Path = nsenter
	target := strconv.Itoa(spec.Join.Pid)
	cmd.Args = []string{nsenter, "--target", target, "--user", "--preserve-credentials", "--"}
	own := ownNamespaces(spec)
	if len(own) > 0 {
		unshare, err := utilLinux("unshare")
		if err != nil {
			return nil, err
		}
		cmd.Args = append(cmd.Args, unshare)
		if slices.Contains(own, "pid") {
			// --kill-child: the init dies with unshare, as with nsenter's fork.
			cmd.Args = append(cmd.Args, "--fork", "--kill-child")
		}
		for _, ns := range own {
			cmd.Args = append(cmd.Args, "--"+ns)
		}
		cmd.Args = append(cmd.Args, "--")
	}
	if spec.Join.Joins("pid") {
		// Entered last, so that no helper shows among the joined
		// container's processes; nsenter forks the init into it.
		cmd.Args = append(cmd.Args, nsenter, "--target", target, "--pid", "--")
	}
	cmd.Args = append(cmd.Args, "/proc/self/fd/5", role.Init)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	return cmd, nil
}

// ownNamespaces are the namespaces, as unshare's options name them, that
// a joining spec gets new ones of: those it neither joins nor keeps the
// caller's of (--pid, --network, --ipc, --uts host).
func ownNamespaces(spec *Spec) []string {
	var own []string
	for _, k := range []struct {
		ns, flag string
		host     bool
	}{{"pid", "pid", spec.HostPID}, {"net", "net", spec.HostNetwork}, {"ipc", "ipc", spec.HostIPC}, {"uts", "uts", spec.HostUTS}} {
		if !k.host && !spec.Join.Joins(k.ns) {
			own = append(own, k.flag)
		}
	}
	return own
}

// initForks reports whether a joining spec's init is a child of the
// process Start started, forked into its pid namespace (by unshare into a
// new one, by nsenter into a joined one), rather than that process itself
// (--pid host).
func initForks(spec *Spec) bool {
	return spec.Join.Joins("pid") || !spec.HostPID
}
