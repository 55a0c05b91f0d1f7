package isolation

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// RunHelper runs `hull HelperArg args...` in a new user namespace with
// mapping m (as its root), feeding it stdin. It is how the store unpacks
// and removes files owned by subordinate ids.
func RunHelper(m Mapping, stdin io.Reader, args ...string) error {
	specR, specW, err := os.Pipe()
	if err != nil {
		return fmt.Errorf("helper pipe: %w", err)
	}
	var stderr strings.Builder
	cmd := &exec.Cmd{
		Path:        "/proc/self/exe",
		Args:        append([]string{"hull", HelperArg}, args...),
		Env:         os.Environ(),
		Stdin:       stdin,
		Stderr:      &stderr,
		ExtraFiles:  []*os.File{specR},
		SysProcAttr: &syscall.SysProcAttr{Cloneflags: unix.CLONE_NEWUSER, Pdeathsig: syscall.SIGKILL},
	}
	setMappings(cmd.SysProcAttr, m)
	err = cmd.Start()
	specR.Close()
	if err != nil {
		specW.Close()
		return startFailure(err)
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
