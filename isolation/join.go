package isolation

import (
	"fmt"
	"os/exec"
	"strconv"
	"syscall"

	"github.com/hull-project/hull/isolation/role"
)

// joinCommand turns the init's command into one that starts inside the
// namespaces of spec.Join.Pid (a pod's infra). A Go process cannot enter
// a user namespace (it is multithreaded), so util-linux's nsenter, as for
// exec, enters the owner's user namespace (where the caller, its owner,
// may act as root) and its pid namespace (forking once), then executes the
// init from a sealed memfd as fd 5. The init's first step joins the
// network, IPC and UTS namespaces and unshares its own mount and cgroup
// namespaces (isolation/child's joinNamespaces). No new user namespace
// means no id maps to write: the owner's are in place.
func joinCommand(cmd *exec.Cmd, spec *Spec) (*exec.Cmd, error) {
	if spec.Task != nil {
		return nil, fmt.Errorf("join namespaces of %d: a task cannot join", spec.Join.Pid)
	}
	nsenter, err := nsenterPath()
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
	cmd.Args = []string{nsenter, "--target", strconv.Itoa(spec.Join.Pid), "--user", "--pid",
		"--preserve-credentials", "--", "/proc/self/fd/5", role.Init}
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	return cmd, nil
}
