package child

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/hull-project/hull/isolation"
	"github.com/hull-project/hull/isolation/role"
	"golang.org/x/sys/unix"
)

// runInit keeps this process as PID 1 (docker run --init): it starts the
// command, forwards signals to it, reaps every orphan and, once the
// command ended, returns a role.Exit with its status. It runs from a sealed memfd copy of hull, is made
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
	// The init lives on under Go's runtime, which the command's limits
	// would starve (see checkRlimits): a fresh copy of this binary takes
	// them and executes the command. Without limits of the user's the
	// init takes the default open-files limit itself, which the command
	// inherits (Setrlimit also stops the standard library from putting
	// back the soft limit Go found at start).
	path, args := c.path, c.args
	if c.userLimits {
		path = "/proc/self/exe"
		args = append([]string{"hull", role.Limits, encodeLimits(c.limits), c.path}, c.args...)
	} else {
		for _, l := range c.limits {
			if err := syscall.Setrlimit(l.resource, &syscall.Rlimit{Cur: l.lim.Cur, Max: l.lim.Max}); err != nil {
				return &isolation.StartError{Code: 125, Msg: fmt.Sprintf("set rlimit %s: %v", l.name, err)}
			}
		}
	}
	pid, err := syscall.ForkExec(path, args, &syscall.ProcAttr{
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
				return &role.Exit{Code: code}
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
