// Package child is the container side of isolation: the steps hull's
// re-executed init takes inside the new namespaces, in order, before it
// executes the container's command. Each step is a small function with one
// precondition stated in its comment; Main reads top to bottom.
//
// It deliberately knows nothing of images, flags or the store: everything
// comes from the isolation.Spec the parent sends on fd 3.
package child

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"runtime"

	"github.com/hull-project/hull/isolation"
	"github.com/hull-project/hull/isolation/role"
	"golang.org/x/sys/unix"
)

// Main runs the container init (role.Init). tasks are the operations a
// Spec.Task may name (main.go registers them). On success it does not
// return: the container's command replaces it. It returns nil when a
// task is done, a role.Exit with the command's status when the --init
// init's command ended, and a role.Exit with the status of the failure
// it reported on the error pipe otherwise.
func Main(tasks map[string]TaskFunc) error {
	// Every namespace, credential and capability change below applies to
	// this thread, which will execve the command.
	runtime.LockOSThread()
	errPipe := os.NewFile(4, "error-pipe")
	spec, err := readSpec()
	// Only now: the second stage of AwaitMapping must inherit fd 4.
	unix.CloseOnExec(4)
	if err == nil {
		if spec.Task != nil {
			err = setupTask(spec, tasks)
		} else {
			err = setup(spec)
		}
	}
	var end *role.Exit
	if err == nil || errors.As(err, &end) {
		return err
	}
	return reportFailure(errPipe, err)
}

// reportFailure sends err on the error pipe as a StartError (125 unless
// it is one) and returns the role's exit for it.
func reportFailure(errPipe *os.File, err error) error {
	var se *isolation.StartError
	if !errors.As(err, &se) {
		se = &isolation.StartError{Code: 125, Msg: err.Error()}
	}
	isolation.ReportError(errPipe, se)
	return &role.Exit{Code: se.Code}
}

func readSpec() (*isolation.Spec, error) {
	f, err := isolation.AwaitMapping()
	if err != nil {
		return nil, err
	}
	defer f.Close()
	// Room for a usual spec (17 KB with the default seccomp filter) at
	// once: io.ReadAll would grow its buffer from 512 bytes.
	var buf bytes.Buffer
	buf.Grow(32 << 10)
	if _, err := buf.ReadFrom(f); err != nil {
		return nil, fmt.Errorf("read spec: %w", err)
	}
	spec, err := isolation.DecodeSpec(buf.Bytes())
	if err != nil {
		return nil, fmt.Errorf("decode spec: %w", err)
	}
	return spec, nil
}

// setup is the checklist, in the order the kernel requires it.
func setup(spec *isolation.Spec) error {
	steps := []struct {
		name string
		fn   func(*isolation.Spec) error
	}{
		{"join namespaces", joinNamespaces},
		{"set hostname", setHostname},
		{"bring up loopback", loopbackUp},
		{"make mounts private", makePrivate},
		{"mount root filesystem", mountRootfs},
		{"record mount stubs", startStubs},
		{"check /proc, /sys and /dev", checkMountPoints},
		{"start a new session", newSession},
		{"mount /proc", mountProc},
		{"mount /dev", mountDev},
		{"set up console", setupConsole},
		{"mount /sys", mountSys},
		{"write sysctls", writeSysctls},
		{"mount volumes", mountVolumes},
		{"write /etc files", mountFiles},
		{"mask paths", maskPaths},
		{"make root read-only", readonlyRoot},
		{"write mount stubs", writeStubs},
		{"pivot root", pivotRoot},
	}
	for _, s := range steps {
		if err := s.fn(spec); err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
	}
	cmd, err := prepareCommand(spec)
	if err != nil {
		return err
	}
	if err := dropPrivileges(spec); err != nil {
		return fmt.Errorf("drop privileges: %w", err)
	}
	reportJoined(spec)
	if spec.Init {
		return runInit(spec, cmd)
	}
	return cmd.exec()
}

// setupTask mounts what a task needs and runs it instead of a command.
func setupTask(spec *isolation.Spec, tasks map[string]TaskFunc) error {
	if err := makePrivate(spec); err != nil {
		return fmt.Errorf("make mounts private: %w", err)
	}
	if err := newSession(spec); err != nil {
		return fmt.Errorf("start a new session: %w", err)
	}
	if spec.Rootfs.MountDir != "" {
		if err := mountRootfs(spec); err != nil {
			return fmt.Errorf("mount root filesystem: %w", err)
		}
	}
	if err := runTask(spec, tasks); err != nil {
		return fmt.Errorf("%s: %w", spec.Task.Name, err)
	}
	return nil
}

func setHostname(spec *isolation.Spec) error {
	if spec.Hostname == "" || joins(spec, "uts") || spec.HostUTS {
		return nil
	}
	return unix.Sethostname([]byte(spec.Hostname))
}

// newSession detaches the container from the caller's session and its
// controlling terminal: a process that kept the user's terminal could read
// its keystrokes and push input into the user's shell with TIOCSTI
// (CVE-2017-5226). With a terminal, setupConsole makes the session and
// gives it the container's own pty instead.
func newSession(spec *isolation.Spec) error {
	if spec.Terminal {
		return nil
	}
	if _, err := unix.Setsid(); err != nil && unix.Getpid() != mustGetsid() {
		return err
	}
	return nil
}

func mustGetsid() int {
	sid, _ := unix.Getsid(0)
	return sid
}

// startStubs starts recording the mount targets the steps below create,
// when the spec asks for it (builds).
func startStubs(spec *isolation.Spec) error {
	if spec.RecordStubs {
		stubs = &[]isolation.Stub{}
	}
	return nil
}

// writeStubs hands the record to the parent through the state dir.
// Precondition: the host's tree is still reachable (before pivot_root).
func writeStubs(spec *isolation.Spec) error {
	if stubs == nil || len(*stubs) == 0 {
		return nil
	}
	return isolation.WriteStubs(spec.StateDir, *stubs)
}

// makePrivate stops mount events propagating back to the host.
func makePrivate(*isolation.Spec) error {
	return unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, "")
}
