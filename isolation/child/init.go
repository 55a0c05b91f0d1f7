package child

import (
	"github.com/hull-project/hull/isolation"
	"os"
	"os/signal"
	"syscall"

	"golang.org/x/sys/unix"
)

// runInit keeps this process as PID 1 (docker run --init): it starts the
// command, forwards signals to it, reaps every orphan and exits with the
// command's status. It runs from a sealed memfd copy of hull, is made
// non-dumpable (no ptrace, no /proc/1/mem or /proc/1/exe for the container)
// and holds no descriptor beyond stdio.
func runInit(spec *isolation.Spec, c *command) error {
	sigs := make(chan os.Signal, 32)
	signal.Notify(sigs)
	if spec.InitFd > 0 {
		unix.Close(spec.InitFd) // the sealed copy of our own binary
	}
	closeInheritedFds()
	defaultSignals()
	pid, err := syscall.ForkExec(c.path, c.args, &syscall.ProcAttr{
		Env:   c.env,
		Files: []uintptr{0, 1, 2},
		Sys:   &syscall.SysProcAttr{Setpgid: false},
	})
	if err != nil {
		return (&command{path: c.path}).execError(err)
	}
	// The command runs: close the error pipe so that Start returns.
	unix.Close(4)
	_ = unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0)
	for sig := range sigs {
		if sig == syscall.SIGCHLD {
			if code, done := reap(pid); done {
				os.Exit(code)
			}
			continue
		}
		_ = syscall.Kill(pid, sig.(syscall.Signal))
	}
	return nil
}

// reap collects every exited child; done reports the command's own exit.
func reap(pid int) (code int, done bool) {
	for {
		var ws syscall.WaitStatus
		p, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
		if err != nil || p <= 0 {
			return code, done
		}
		if p == pid {
			done = true
			code = ws.ExitStatus()
			if ws.Signaled() {
				code = 128 + int(ws.Signal())
			}
		}
	}
}
