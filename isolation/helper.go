package isolation

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"

	"github.com/hull-project/hull/isolation/role"
	"golang.org/x/sys/unix"
)

// RunHelper runs `hull __hull-userns args...` (role.Userns) in a new user namespace with
// mapping m (as its root), feeding it stdin. It is how the store unpacks
// and removes files owned by subordinate ids. The helper's stderr becomes
// the error when it fails.
func RunHelper(m Mapping, stdin io.Reader, args ...string) error {
	return RunHelperOutput(m, stdin, nil, args...)
}

// RunHelperOutput is RunHelper with the helper's stdout written to
// stdout (nil: discarded).
func RunHelperOutput(m Mapping, stdin io.Reader, stdout io.Writer, args ...string) error {
	var stderr strings.Builder
	cmd, err := startHelper(m, Stdio{Stdin: stdin, Stdout: stdout, Stderr: &stderr}, args)
	if err != nil {
		return fmt.Errorf("user namespace helper %s: %w", args[0], err)
	}
	if err := cmd.Wait(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = err.Error()
		}
		return fmt.Errorf("%s", msg)
	}
	return nil
}

// Unshare runs `hull __hull-userns args...` as RunHelper does but with the
// caller's stdio (`hull unshare` runs a shell there), and returns the
// helper's exit status.
func Unshare(m Mapping, stdio Stdio, args ...string) (ExitStatus, error) {
	cmd, err := startHelper(m, stdio, args)
	if err != nil {
		return ExitStatus{}, fmt.Errorf("user namespace: %w", err)
	}
	return waitCmd(cmd)
}

// startHelper starts the helper, writes its id maps and releases it.
func startHelper(m Mapping, stdio Stdio, args []string) (*exec.Cmd, error) {
	specR, specW, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("helper pipe: %w", err)
	}
	cmd := &exec.Cmd{
		Path:        "/proc/self/exe",
		Args:        append([]string{"hull", role.Userns}, args...),
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
		return nil, startFailure(err)
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
		return nil, err
	}
	return cmd, nil
}
