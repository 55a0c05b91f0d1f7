package child

import (
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"unsafe"

	"github.com/hull-project/hull/isolation"
	"github.com/hull-project/hull/isolation/role"
	"golang.org/x/sys/unix"
)

// rlimitByName maps --ulimit's names to the kernel's resources.
var rlimitByName = map[string]int{
	"as": unix.RLIMIT_AS, "core": unix.RLIMIT_CORE, "cpu": unix.RLIMIT_CPU, "data": unix.RLIMIT_DATA,
	"fsize": unix.RLIMIT_FSIZE, "locks": unix.RLIMIT_LOCKS, "memlock": unix.RLIMIT_MEMLOCK,
	"msgqueue": unix.RLIMIT_MSGQUEUE, "nice": unix.RLIMIT_NICE, "nofile": unix.RLIMIT_NOFILE,
	"nproc": unix.RLIMIT_NPROC, "rss": unix.RLIMIT_RSS, "rtprio": unix.RLIMIT_RTPRIO,
	"rttime": unix.RLIMIT_RTTIME, "sigpending": unix.RLIMIT_SIGPENDING, "stack": unix.RLIMIT_STACK,
}

// rlimit is one resolved limit, ready for the raw system call.
type rlimit struct {
	name     string
	resource int
	lim      unix.Rlimit
}

// checkRlimits resolves the spec's limits and refuses, while an error can
// still be reported cleanly, any that this process could not set:
// raising a hard limit needs CAP_SYS_RESOURCE in the host's namespace,
// which a rootless container never has, and that fails here rather than
// being ignored.
//
// The limits are not applied here. hull's init is a Go program, and the Go
// runtime cannot live under the limits a user asks for: it cannot even
// start below about 600 MiB of address space (RLIMIT_AS), and it makes
// threads (RLIMIT_NPROC) and maps memory at moments of its own choosing.
// So they are applied by execWithLimits, between the last allocation and
// the execve, and --init hands them to a fresh process (role.Limits) instead
// of taking them itself.
func checkRlimits(limits []isolation.Rlimit) ([]rlimit, error) {
	var out []rlimit
	for _, l := range limits {
		name := strings.TrimPrefix(strings.ToLower(l.Type), "rlimit_")
		res, ok := rlimitByName[name]
		if !ok {
			return nil, fmt.Errorf("unknown rlimit %q", l.Type)
		}
		if l.Soft > l.Hard {
			return nil, fmt.Errorf("set rlimit %s to %d:%d: soft limit above the hard limit", l.Type, l.Soft, l.Hard)
		}
		var cur unix.Rlimit
		if err := unix.Getrlimit(res, &cur); err != nil {
			return nil, fmt.Errorf("read rlimit %s: %w", l.Type, err)
		}
		if l.Hard > cur.Max {
			return nil, fmt.Errorf("set rlimit %s to %d:%d: %w (the hard limit here is %d)", l.Type, l.Soft, l.Hard, unix.EPERM, cur.Max)
		}
		out = append(out, rlimit{name: name, resource: res, lim: unix.Rlimit{Cur: l.Soft, Max: l.Hard}})
	}
	return out, nil
}

// defaultNofile is the open-files limit a command gets when the user set
// none: the hard limit hull was given, as both limits, which is what
// rootless Podman does (Docker's daemon gives its own, usually 1048576 for
// both). Go raises its own soft limit to one below the hard one at start,
// and only the standard library's exec knew the value it replaced; the
// command gets a stated value instead of that artefact.
func defaultNofile(limits []rlimit) []rlimit {
	for _, l := range limits {
		if l.resource == unix.RLIMIT_NOFILE {
			return limits
		}
	}
	var cur unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &cur); err != nil {
		return limits
	}
	return append(limits, rlimit{name: "nofile", resource: unix.RLIMIT_NOFILE, lim: unix.Rlimit{Cur: cur.Max, Max: cur.Max}})
}

// execWithLimits applies limits and executes path. Everything that
// allocates happens before the first limit is set; from there on only
// raw system calls run, with the collector off, so that nothing in the
// Go runtime needs memory or a thread the limits would refuse it.
func execWithLimits(path string, args, env []string, limits []rlimit) error {
	argv0, err := unix.BytePtrFromString(path)
	if err != nil {
		return err
	}
	argv, err := cStrings(args)
	if err != nil {
		return err
	}
	envv, err := cStrings(env)
	if err != nil {
		return err
	}
	debug.SetGCPercent(-1)
	for i := range limits {
		l := &limits[i]
		if _, _, errno := unix.RawSyscall6(unix.SYS_PRLIMIT64, 0, uintptr(l.resource),
			uintptr(unsafe.Pointer(&l.lim)), 0, 0, 0); errno != 0 {
			return &isolation.StartError{Code: 125, Msg: fmt.Sprintf("set rlimit %s to %d:%d: %v", l.name, l.lim.Cur, l.lim.Max, errno)}
		}
	}
	_, _, errno := unix.RawSyscall(unix.SYS_EXECVE, uintptr(unsafe.Pointer(argv0)),
		uintptr(unsafe.Pointer(&argv[0])), uintptr(unsafe.Pointer(&envv[0])))
	runtime.KeepAlive(argv0)
	runtime.KeepAlive(argv)
	runtime.KeepAlive(envv)
	return errno
}

// cStrings is ss as a NULL-terminated array of C strings.
func cStrings(ss []string) ([]*byte, error) {
	out := make([]*byte, len(ss)+1)
	for i, s := range ss {
		p, err := unix.BytePtrFromString(s)
		if err != nil {
			return nil, err
		}
		out[i] = p
	}
	return out, nil
}

func encodeLimits(limits []rlimit) string {
	parts := make([]string, len(limits))
	for i, l := range limits {
		parts[i] = l.name + "=" + strconv.FormatUint(l.lim.Cur, 10) + ":" + strconv.FormatUint(l.lim.Max, 10)
	}
	return strings.Join(parts, ",")
}

func decodeLimits(s string) ([]isolation.Rlimit, error) {
	var out []isolation.Rlimit
	for _, p := range strings.Split(s, ",") {
		if p == "" {
			continue
		}
		name, vals, ok1 := strings.Cut(p, "=")
		soft, hard, ok2 := strings.Cut(vals, ":")
		s, err1 := strconv.ParseUint(soft, 10, 64)
		h, err2 := strconv.ParseUint(hard, 10, 64)
		if !ok1 || !ok2 || err1 != nil || err2 != nil {
			return nil, fmt.Errorf("bad limit %q", p)
		}
		out = append(out, isolation.Rlimit{Type: name, Soft: s, Hard: h})
	}
	return out, nil
}

// LimitsMain is role.Limits, the process --init starts its command
// through when the command has limits: a fresh copy of this binary that
// sets them and executes the command, so that the init itself, which
// lives on as PID 1, stays outside them. args are argv[2:]: the encoded
// limits, the command's path, its arguments. On success the command
// replaces it; its errors are a role.Exit with Docker's exit codes and
// the message for stderr, since the init has already told hull that the
// command started.
func LimitsMain(args []string) error {
	if len(args) < 2 {
		return &role.Exit{Code: 125, Msg: "hull: limits stage: missing arguments"}
	}
	defaultSignals()
	specs, err := decodeLimits(args[0])
	var limits []rlimit
	if err == nil {
		limits, err = checkRlimits(specs)
	}
	if err == nil {
		err = (&command{path: args[1], limits: limits}).execve(args[2:], os.Environ())
	}
	code := 125
	if se, ok := err.(*isolation.StartError); ok {
		code = se.Code
	}
	return &role.Exit{Code: code, Msg: "hull: " + err.Error()}
}
