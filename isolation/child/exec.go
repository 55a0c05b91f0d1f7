package child

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"

	"github.com/hull-project/hull/isolation"
	"golang.org/x/sys/unix"
)

// ExecMain is the in-container stage of isolation.Exec (role.Exec):
// nsenter has put this process in every namespace of the container. On
// success the command replaces it; otherwise it reports the failure on
// the error pipe and returns a role.Exit with its status.
func ExecMain() error {
	runtime.LockOSThread()
	// First of all: nothing in the container may ptrace us or open our
	// /proc files while we still hold capabilities.
	_ = unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0)
	unix.Close(3) // the sealed copy of hull we run from
	errPipe := os.NewFile(5, "error-pipe")
	unix.CloseOnExec(5)
	return reportFailure(errPipe, execStage(errPipe))
}

func execStage(errPipe *os.File) error {
	f := os.NewFile(4, "spec-pipe")
	data, err := io.ReadAll(f)
	f.Close()
	if err != nil {
		return fmt.Errorf("read exec spec: %w", err)
	}
	var es isolation.ExecSpec
	if err := json.Unmarshal(data, &es); err != nil {
		return fmt.Errorf("decode exec spec: %w", err)
	}
	spec := &isolation.Spec{Args: es.Args, Env: es.Env, Cwd: es.Cwd, UID: es.UID, GID: es.GID,
		AdditionalGIDs: es.AdditionalGIDs, KeepGroups: es.KeepGroups, Capabilities: es.Capabilities, NoNewPrivileges: es.NoNewPrivileges,
		Seccomp: es.Seccomp, SeccompProfile: es.SeccompProfile, SeccompPrograms: es.SeccompPrograms, Rlimits: es.Rlimits, Mapping: es.Mapping, Terminal: es.Terminal, ConsoleFd: es.ConsoleFd,
		ConsoleRows: es.ConsoleRows, ConsoleCols: es.ConsoleCols, Rootfs: isolation.Rootfs{MountDir: "/"}}
	if err := newSession(spec); err != nil {
		return fmt.Errorf("start a new session: %w", err)
	}
	if err := execConsole(spec); err != nil {
		return fmt.Errorf("set up console: %w", err)
	}
	cmd, err := prepareCommand(spec)
	if err != nil {
		return err
	}
	if err := dropPrivileges(spec); err != nil {
		return fmt.Errorf("drop privileges: %w", err)
	}
	// nsenter keeps its own copy of the error pipe open until the command
	// ends, so EOF cannot mean "started" here: say so explicitly. The
	// executable was checked above; should execve still fail, the exit
	// code (126/127) tells the caller.
	isolation.ReportError(errPipe, &isolation.StartError{Code: 0})
	return cmd.exec()
}

// execConsole is setupConsole without the /dev/console bind: the
// container's console is its first process's.
func execConsole(spec *isolation.Spec) error {
	if !spec.Terminal {
		return nil
	}
	return openConsole(spec, false)
}
