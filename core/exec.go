package core

import (
	"context"
	"fmt"
	"github.com/hull-project/hull/core/cgroup"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/hull-project/hull/core/container"
	"github.com/hull-project/hull/isolation"
	"github.com/hull-project/hull/isolation/seccomp"
)

// ExecOptions are `hull exec`'s flags.
type ExecOptions struct {
	Args        []string
	Env         []string
	EnvFiles    []string
	Workdir     string
	User        string
	Tty         bool
	Interactive bool
	Detach      bool
	// Timeout kills the process after this long; Exec then returns 124.
	Timeout time.Duration
}

// Exec runs a process in a running container with the container's own
// confinement (capabilities, seccomp, no_new_privs) and returns its exit
// code (125, 126 or 127 when it could not be run; 0 at once with Detach).
func (h *Hull) Exec(ctx context.Context, ref string, opts ExecOptions, stdio Stdio) (int, error) {
	c, err := h.running(ref)
	if err != nil {
		return ExitHullError, err
	}
	spec, err := h.execSpec(c, opts)
	if err != nil {
		return ExitHullError, err
	}
	// Docker's exec events: exec_create and exec_start name the command,
	// exec_die gives its exit code; execID ties them together.
	execID, cmd := randomID(), strings.Join(opts.Args, " ")
	if len(cmd) > 1024 {
		cmd = cmd[:1024] // an event is one atomic write of under 4 KiB
	}
	h.Containers.Emit(c, "exec_create: "+cmd, "execID", execID)
	h.Containers.Emit(c, "exec_start: "+cmd, "execID", execID)
	if opts.Detach {
		proc, err := isolation.ExecWithHooks(c.State.Pid, spec, isolation.Stdio{}, joinContainerCgroups(c))
		if err != nil {
			return ExitCode(err), err
		}
		go func() { _, _ = proc.Wait() }()
		return 0, nil
	}
	code, err := h.execAttached(ctx, c, spec, opts, stdio)
	h.Containers.Emit(c, "exec_die", "execID", execID, "exitCode", strconv.Itoa(code))
	return code, err
}

// execAttached runs the exec'd command with the caller's streams and
// returns its exit code.
func (h *Hull) execAttached(ctx context.Context, c *container.Container, spec *isolation.ExecSpec, opts ExecOptions, stdio Stdio) (int, error) {
	sess, err := newSession(opts.Tty, opts.Interactive, stdio, nil)
	if err != nil {
		return ExitHullError, err
	}
	defer sess.close()
	if spec.Terminal {
		spec.ConsoleRows, spec.ConsoleCols = sess.consoleSize()
	}
	files, err := sess.isolationStdio()
	if err != nil {
		return ExitHullError, err
	}
	// The time-out starts before the command does and kills hull's whole
	// process tree below it: nsenter and the command with its children.
	sb := &sandbox{timeout: opts.Timeout}
	tctx, cancel := sb.context(ctx)
	defer cancel()
	defer context.AfterFunc(tctx, func() {
		if tctx.Err() == context.DeadlineExceeded {
			killDescendants(os.Getpid())
		}
	})()
	proc, err := isolation.ExecWithHooks(c.State.Pid, spec, files, joinContainerCgroups(c))
	sess.started()
	if err != nil {
		return ExitCode(err), err
	}
	status, err := sess.serve(ctx, proc)
	sb.finish(tctx)
	if err != nil {
		return ExitHullError, err
	}
	return sb.exit(status)
}

// joinContainerCgroups puts an exec'd process in the container's cgroups,
// so that it counts against the container's limits.
func joinContainerCgroups(c *container.Container) isolation.Hooks {
	return isolation.Hooks{Created: func(pid int) error {
		return cgroup.Join(cgroup.Probe(), c.State.Pid, "hull-"+c.ID, pid)
	}}
}

// execSpec builds the process from the record: the container's user,
// environment and working directory unless overridden, and its
// privileges. The user is resolved in the container's live root, so that
// users the container added are found.
func (h *Hull) execSpec(c *container.Container, o ExecOptions) (*isolation.ExecSpec, error) {
	if len(o.Args) == 0 {
		return nil, fmt.Errorf("no command specified")
	}
	userSpec := c.Config.User
	if o.User != "" {
		userSpec = o.User
	}
	// The live root is the container's to change: resolve inside it.
	user, err := container.ResolveUserInRoot(userSpec, fmt.Sprintf("/proc/%d/root", c.State.Pid))
	if err != nil {
		return nil, err
	}
	caps, err := container.Capabilities(isolation.DefaultCapabilities(), c.HostConfig.CapAdd, c.HostConfig.CapDrop)
	if err != nil {
		return nil, err
	}
	sec, err := container.ParseSecurityOpts(c.HostConfig.SecurityOpt)
	if err != nil {
		return nil, err
	}
	mapping, err := h.MappingFor(c)
	if err != nil {
		return nil, err
	}
	env, err := container.UserEnv(o.EnvFiles, o.Env, os.LookupEnv)
	if err != nil {
		return nil, err
	}
	cwd := c.Config.WorkingDir
	if o.Workdir != "" {
		cwd = o.Workdir
	}
	if cwd == "" {
		cwd = "/"
	}
	progs, err := seccomp.Programs(false, sec.Seccomp, sec.SeccompProfile, caps)
	if err != nil {
		return nil, err
	}
	return &isolation.ExecSpec{
		SeccompPrograms: progs,
		Args:            o.Args,
		Env:             container.ProcessEnv(container.MergeImageEnv(env, c.Config.Env), c.Config.Hostname, o.Tty, user.Home),
		Cwd:             cwd,
		UID:             user.UID,
		GID:             user.GID,
		AdditionalGIDs:  mappedOnly(user.AdditionalGIDs, mapping.GIDs),
		KeepGroups:      c.KeepsGroups(),
		Capabilities:    caps,
		NoNewPrivileges: sec.NoNewPrivileges,
		Seccomp:         sec.Seccomp,
		Terminal:        o.Tty,
		Mapping:         mapping,
		SeccompProfile:  sec.SeccompProfile,
		Rlimits:         c.HostConfig.Rlimits(),
	}, nil
}

// mappedOnly drops the groups the mapping cannot represent, as a
// container's own start does.
func mappedOnly(gids []int, maps []isolation.IDMap) []int {
	if len(maps) == 0 {
		return gids
	}
	var out []int
	for _, g := range gids {
		for _, m := range maps {
			if g >= m.ContainerID && g < m.ContainerID+m.Size {
				out = append(out, g)
				break
			}
		}
	}
	return out
}
