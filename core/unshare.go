package core

import (
	"fmt"
	"os"
	"os/exec"
	"syscall"

	"github.com/hull-project/hull/isolation"
	"github.com/hull-project/hull/isolation/role"
)

// unshareOp is the helper operation of `hull unshare`.
const unshareOp = "unshare"

// Unshare runs args (default: $SHELL, else /bin/sh) in a user namespace
// with the store's mapping, as root there, the way `podman unshare`
// does: files of the store owned by subordinate ids can be inspected and
// removed. It returns the command's exit code.
func (h *Hull) Unshare(args []string, stdio Stdio) (int, error) {
	if len(args) == 0 {
		shell := os.Getenv("SHELL")
		if shell == "" {
			shell = "/bin/sh"
		}
		args = []string{shell}
	}
	os.Setenv("HULL_UNSHARE_ROOT", h.Root)
	st, err := isolation.Unshare(h.Mapping, isolation.Stdio{Stdin: stdio.In, Stdout: stdio.Out, Stderr: stdio.Err},
		append([]string{unshareOp}, args...)...)
	if err != nil {
		return ExitHullError, err
	}
	return st.Code, nil
}

// unshareExec replaces the helper with the command (argv after the
// operation). It returns only when it cannot: 127 when the command is
// not found, 126 when it cannot be executed.
func unshareExec(args []string) error {
	path, err := exec.LookPath(args[0])
	if err != nil {
		return &role.Exit{Code: ExitCommandNotFound, Msg: fmt.Sprintf("hull: unshare: %v", err)}
	}
	err = syscall.Exec(path, args, os.Environ())
	return &role.Exit{Code: ExitNotInvokable, Msg: fmt.Sprintf("hull: unshare: %v", err)}
}
