package isolation

import (
	"fmt"
	"os"
	"os/exec"
	"syscall"

	"golang.org/x/sys/unix"
)

// Unshare runs `hull HelperArg args...` as RunHelper does, in a new user
// namespace with mapping m, but with the caller's stdio and without
// waiting in a buffer: `hull unshare` runs a shell there. It returns the
// helper's exit status.
func Unshare(m Mapping, stdio Stdio, args ...string) (ExitStatus, error) {
	specR, specW, err := os.Pipe()
	if err != nil {
		return ExitStatus{}, fmt.Errorf("helper pipe: %w", err)
	}
	cmd := &exec.Cmd{
		Path:        "/proc/self/exe",
		Args:        append([]string{"hull", HelperArg}, args...),
		Env:         os.Environ(),
		Stdin:       stdio.Stdin,
		Stdout:      stdio.Stdout,
		Stderr:      stdio.Stderr,
		ExtraFiles:  []*os.File{specR},
		SysProcAttr: &syscall.SysProcAttr{Cloneflags: unix.CLONE_NEWUSER, Pdeathsig: syscall.SIGKILL},
	}
	setMappings(cmd.SysProcAttr, m)
	err = cmd.Start()
	specR.Close()
	if err != nil {
		specW.Close()
		return ExitStatus{}, startFailure(err)
	}
	if m.IsFull() {
		err = writeMaps(cmd.Process.Pid, m)
	}
	if err == nil {
		_, err = specW.Write([]byte{'m'})
	}
	specW.Close()
	if err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return ExitStatus{}, fmt.Errorf("user namespace: %w", err)
	}
	return waitCmd(cmd)
}
