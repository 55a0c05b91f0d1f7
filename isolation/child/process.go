package child

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"unsafe"

	"github.com/hull-project/hull/isolation"
	"golang.org/x/sys/unix"
)

const defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// command is the container's process, resolved inside the new root.
type command struct {
	path string
	args []string
	env  []string
	// limits are the spec's rlimits, checked, and the default open-files
	// limit; applied right before the execve (see checkRlimits).
	limits []rlimit
	// userLimits: the spec asked for limits of its own.
	userLimits bool
}

// prepareCommand enters the working directory and finds the executable.
// Precondition: the root is pivoted, so paths are container paths.
func prepareCommand(spec *isolation.Spec) (*command, error) {
	if err := enterWorkdir(spec); err != nil {
		return nil, &isolation.StartError{Code: 125, Msg: err.Error()}
	}
	if len(spec.Args) == 0 {
		return nil, &isolation.StartError{Code: 125, Msg: "no command specified"}
	}
	path, err := lookPath(spec.Args[0], envPath(spec.Env))
	if err != nil {
		return nil, err
	}
	limits, err := checkRlimits(spec.Rlimits)
	if err != nil {
		return nil, &isolation.StartError{Code: 125, Msg: err.Error()}
	}
	return &command{path: path, args: spec.Args, env: spec.Env, limits: defaultNofile(limits), userLimits: len(limits) > 0}, nil
}

// enterWorkdir changes into the working directory. It refuses anything that
// does not resolve inside the new root: no descriptor inherited from the
// host is reachable through /proc/self/fd (runc CVE-2024-21626), because
// all of them are close-on-exec or closed and the check below catches a
// cwd outside the root.
func enterWorkdir(spec *isolation.Spec) error {
	cwd := spec.Cwd
	if cwd == "" {
		cwd = "/"
	}
	if !filepath.IsAbs(cwd) {
		return fmt.Errorf("working directory %q is not an absolute path", cwd)
	}
	if spec.CreateCwd && !strings.HasPrefix(filepath.Clean(cwd), "/proc") {
		f, err := inRoot("/", cwd, false)
		if err != nil {
			return fmt.Errorf("create working directory %q: %w", cwd, err)
		}
		f.Close()
	}
	if err := unix.Chdir(cwd); err != nil {
		return fmt.Errorf("chdir to working directory %q: %w", cwd, err)
	}
	got, err := os.Getwd()
	if err != nil || !filepath.IsAbs(got) {
		return fmt.Errorf("working directory %q is outside the container", cwd)
	}
	return nil
}

func envPath(env []string) string {
	for _, e := range env {
		if strings.HasPrefix(e, "PATH=") {
			return e[5:]
		}
	}
	return defaultPath
}

// lookPath finds name like execvp does, reporting Docker's 127 and 126.
func lookPath(name, path string) (string, error) {
	if strings.Contains(name, "/") {
		return name, checkExecutable(name)
	}
	var denied error
	for _, dir := range filepath.SplitList(path) {
		if dir == "" {
			dir = "."
		}
		p := filepath.Join(dir, name)
		err := checkExecutable(p)
		if err == nil {
			return p, nil
		}
		var se *isolation.StartError
		if errors.As(err, &se) && se.Code == 126 && denied == nil {
			denied = err
		}
	}
	if denied != nil {
		return "", denied
	}
	return "", &isolation.StartError{Code: 127, Msg: fmt.Sprintf("exec: %q: executable file not found in $PATH", name)}
}

func checkExecutable(p string) error {
	fi, err := os.Stat(p)
	if err != nil {
		return &isolation.StartError{Code: 127, Msg: fmt.Sprintf("exec: %q: no such file or directory", p)}
	}
	if fi.IsDir() {
		return &isolation.StartError{Code: 126, Msg: fmt.Sprintf("exec: %q: is a directory", p)}
	}
	if err := unix.Access(p, unix.X_OK); err != nil || fi.Mode()&0o111 == 0 {
		return &isolation.StartError{Code: 126, Msg: fmt.Sprintf("exec: %q: permission denied", p)}
	}
	return nil
}

// exec replaces this process with the command. On success the error pipe
// closes (close-on-exec) and the parent knows the command started.
func (c *command) exec() error {
	closeInheritedFds()
	defaultSignals()
	return c.execve(c.args, c.env)
}

// execve executes the command with its limits; it returns only on failure.
func (c *command) execve(args, env []string) error {
	err := execWithLimits(c.path, args, env, c.limits)
	if _, ok := err.(*isolation.StartError); ok {
		return err
	}
	return c.execError(err)
}

func (c *command) execError(err error) error {
	code := 126
	if errors.Is(err, unix.ENOENT) {
		code = 127
	}
	return &isolation.StartError{Code: code, Msg: fmt.Sprintf("exec %q: %v", c.path, err)}
}

// closeInheritedFds marks every descriptor above stderr close-on-exec, so
// that nothing of hull's survives into the container's process.
func closeInheritedFds() {
	if err := unix.CloseRange(3, ^uint(0), unix.CLOSE_RANGE_CLOEXEC); err != nil {
		entries, _ := os.ReadDir("/proc/self/fd")
		for _, e := range entries {
			var fd int
			if _, err := fmt.Sscan(e.Name(), &fd); err == nil && fd > 2 {
				unix.CloseOnExec(fd)
			}
		}
	}
}

// defaultSignals makes every signal's disposition the default in the
// command: signals ignored by whoever started hull (nohup, a CI runner, a
// monitor) would otherwise stay ignored across execve. A signal with a
// handler is reset by execve itself; an ignored one is reset here, right
// before the execve (the Go runtime's own handlers are left alone).
func defaultSignals() {
	for sig := 1; sig <= 64; sig++ {
		if sig == int(unix.SIGKILL) || sig == int(unix.SIGSTOP) {
			continue
		}
		var old kernelSigaction
		if _, _, errno := unix.RawSyscall6(unix.SYS_RT_SIGACTION, uintptr(sig), 0,
			uintptr(unsafe.Pointer(&old)), 8, 0, 0); errno != 0 || old.handler != sigIgn {
			continue
		}
		def := kernelSigaction{}
		unix.RawSyscall6(unix.SYS_RT_SIGACTION, uintptr(sig), uintptr(unsafe.Pointer(&def)), 0, 8, 0, 0)
	}
}

// kernelSigaction is the kernel's struct sigaction (x86-64, arm64).
type kernelSigaction struct {
	handler  uintptr
	flags    uint64
	restorer uintptr
	mask     uint64
}

const sigIgn = 1 // SIG_IGN
