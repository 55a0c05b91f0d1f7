package isolation

import (
	"debug/elf"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/hull-project/hull/isolation/role"
	"github.com/hull-project/hull/isolation/seccomp/bpfprog"
)

// ExecSpec is a process to start inside a running container (hull exec).
type ExecSpec struct {
	Args            []string `json:"args"`
	Env             []string `json:"env"`
	Cwd             string   `json:"cwd"`
	UID             int      `json:"uid"`
	GID             int      `json:"gid"`
	AdditionalGIDs  []int    `json:"additional_gids,omitempty"`
	KeepGroups      bool     `json:"keep_groups,omitempty"`
	Capabilities    []string `json:"capabilities"`
	NoNewPrivileges bool     `json:"no_new_privileges,omitempty"`
	Seccomp         bool     `json:"seccomp"`
	// SeccompProfile and Rlimits are as in Spec.
	SeccompProfile json.RawMessage `json:"seccomp_profile,omitempty"`
	// SeccompPrograms are as in Spec: the caller compiles them.
	SeccompPrograms []bpfprog.Program `json:"seccomp_programs,omitempty"`
	Rlimits         []Rlimit          `json:"rlimits,omitempty"`
	Terminal        bool              `json:"terminal,omitempty"`
	ConsoleRows     uint16            `json:"console_rows,omitempty"`
	ConsoleCols     uint16            `json:"console_cols,omitempty"`
	Mapping         Mapping           `json:"mapping"`
	// ConsoleFd is set by Exec.
	ConsoleFd int `json:"console_fd,omitempty"`
}

// Exec starts spec inside the namespaces of the container whose PID 1 has
// host pid pid, with the same kind of confinement as the container's own
// process (bounding set, seccomp, no_new_privs, user).
//
// A Go process cannot join a user or mount namespace (it is
// multithreaded), so util-linux's nsenter joins them and then executes a
// sealed in-memory copy of hull (never the binary on disk: inside the
// container, /proc/PID/exe of that stage must not lead to the user's hull,
// runc CVE-2019-5736), which makes itself non-dumpable, confines itself
// and executes the command. fds: 3 the hull copy, 4 the spec pipe, 5 the
// error pipe, 6 the console socket with Terminal.
func Exec(pid int, spec *ExecSpec, stdio Stdio) (*Process, error) {
	return ExecWithHooks(pid, spec, stdio, Hooks{})
}

// ExecWithHooks is Exec with hooks.Created called with the host pid of the
// in-container stage before it starts the command (to put it in the
// container's cgroups, say).
func ExecWithHooks(pid int, spec *ExecSpec, stdio Stdio, hooks Hooks) (*Process, error) {
	nsenter, err := nsenterPath()
	if err != nil {
		return nil, err
	}
	if len(initBinary) == 0 {
		if err := checkStatic(); err != nil {
			return nil, err
		}
	}
	mem, _, err := sealedInit()
	if err != nil {
		return nil, err
	}
	defer mem.Close()
	specR, specW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	defer specR.Close()
	errR, errW, err := os.Pipe()
	if err != nil {
		specW.Close()
		return nil, err
	}
	args := []string{nsenter, "--target", strconv.Itoa(pid), "--user", "--mount", "--cgroup",
		"--preserve-credentials", "--root"}
	// A container with --network, --ipc, --uts or --pid host shares ours,
	// which belongs to no user namespace of its own: setns would be
	// refused, and there is nothing to enter. nsenter forks the stage only
	// into a pid namespace; else it executes it itself.
	hostPID := sameNamespace(pid, "pid")
	for _, ns := range []string{"net", "uts", "ipc", "pid"} {
		if !sameNamespace(pid, ns) {
			args = append(args, "--"+ns)
		}
	}
	args = append(args, "--", "/proc/self/fd/3", role.Exec)
	cmd := &exec.Cmd{Path: nsenter, Args: args, Env: []string{},
		ExtraFiles:  []*os.File{mem, specR, errW},
		SysProcAttr: &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}}
	proc := &Process{}
	var consoleSock *os.File
	if spec.Terminal {
		var child *os.File
		if consoleSock, child, err = socketPair(); err != nil {
			closeAll(specW, errR, errW)
			return nil, err
		}
		defer consoleSock.Close()
		defer child.Close()
		cmd.ExtraFiles = append(cmd.ExtraFiles, child)
		spec.ConsoleFd = 6
		// nsenter forks; the terminal is made the controlling one inside.
	} else {
		cmd.Stdin, cmd.Stdout, cmd.Stderr = stdio.Stdin, stdio.Stdout, stdio.Stderr
	}
	err = cmd.Start()
	errW.Close()
	if err != nil {
		closeAll(specW, errR)
		return nil, fmt.Errorf("exec: start nsenter: %w", err)
	}
	proc.Pid = cmd.Process.Pid
	proc.wait = func() (ExitStatus, error) { return waitCmd(cmd) }
	if hooks.Created != nil {
		// nsenter forks the stage once it has joined the namespaces; the
		// stage waits for its spec, so it is still doing nothing here.
		stage, err := cmd.Process.Pid, error(nil)
		if !hostPID {
			stage, err = childOf(cmd.Process.Pid)
		}
		if err == nil {
			err = hooks.Created(stage)
		}
		if err != nil {
			closeAll(specW, errR)
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			return nil, fmt.Errorf("exec: %w", err)
		}
	}
	data, err := json.Marshal(spec)
	if err == nil {
		_, err = specW.Write(data)
	}
	specW.Close()
	if err != nil {
		errR.Close()
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return nil, fmt.Errorf("exec: send spec: %w", err)
	}
	if consoleSock != nil {
		closeAll(cmd.ExtraFiles[len(cmd.ExtraFiles)-1])
		proc.Console, _ = recvConsole(consoleSock)
	}
	err = readStartResult(errR)
	errR.Close()
	if err != nil {
		_ = cmd.Wait()
		closeAll(proc.Console)
		return nil, err
	}
	return proc, nil
}

// nsenterPath finds util-linux's nsenter, which exec and joining a pod
// need.
func nsenterPath() (string, error) { return utilLinux("nsenter") }

// utilLinux finds one of util-linux's programs (nsenter, unshare) on PATH
// or where Debian installs them.
func utilLinux(name string) (string, error) {
	p, err := exec.LookPath(name)
	if err == nil {
		return p, nil
	}
	for _, p := range []string{"/usr/bin/" + name, "/bin/" + name} {
		if _, serr := os.Stat(p); serr == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("exec, pods and joined namespaces need %s (util-linux): %w", name, err)
}

// sameNamespace reports whether pid shares our namespace of that kind.
func sameNamespace(pid int, kind string) bool {
	a, err1 := os.Readlink(fmt.Sprintf("/proc/%d/ns/%s", pid, kind))
	b, err2 := os.Readlink("/proc/self/ns/" + kind)
	return err1 == nil && err2 == nil && a == b
}

// childOf waits (briefly) for the first child of pid and returns it.
func childOf(pid int) (int, error) {
	path := fmt.Sprintf("/proc/%d/task/%d/children", pid, pid)
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Microsecond) {
		data, err := os.ReadFile(path)
		if err != nil {
			return 0, fmt.Errorf("find exec stage: %w", err)
		}
		if f := strings.Fields(string(data)); len(f) > 0 {
			return strconv.Atoi(f[0])
		}
	}
	return 0, fmt.Errorf("find exec stage: nsenter started no process")
}

// checkStatic refuses a dynamically linked hull: its in-container stage
// runs inside the container's root, where the host's dynamic loader and
// libraries are not.
func checkStatic() error {
	f, err := elf.Open("/proc/self/exe")
	if err != nil {
		return nil // not ELF we can read: let the exec say what is wrong
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return fmt.Errorf("exec needs a statically linked hull (build it with make build, or CGO_ENABLED=0 go build)")
		}
	}
	return nil
}
