package child

import (
	"fmt"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/hull-project/hull/isolation"
)

// rlimitByName maps --ulimit's names to the kernel's resources.
var rlimitByName = map[string]int{
	"as": unix.RLIMIT_AS, "core": unix.RLIMIT_CORE, "cpu": unix.RLIMIT_CPU, "data": unix.RLIMIT_DATA,
	"fsize": unix.RLIMIT_FSIZE, "locks": unix.RLIMIT_LOCKS, "memlock": unix.RLIMIT_MEMLOCK,
	"msgqueue": unix.RLIMIT_MSGQUEUE, "nice": unix.RLIMIT_NICE, "nofile": unix.RLIMIT_NOFILE,
	"nproc": unix.RLIMIT_NPROC, "rss": unix.RLIMIT_RSS, "rtprio": unix.RLIMIT_RTPRIO,
	"rttime": unix.RLIMIT_RTTIME, "sigpending": unix.RLIMIT_SIGPENDING, "stack": unix.RLIMIT_STACK,
}

// setRlimits applies the spec's resource limits to this process; the
// command inherits them across execve. Raising a hard limit needs
// CAP_SYS_RESOURCE in the host's namespace, which a rootless container
// never has: that fails here rather than being ignored.
// Precondition: before seccomp and the switch to the container's user.
func setRlimits(limits []isolation.Rlimit) error {
	for _, l := range limits {
		res, ok := rlimitByName[strings.TrimPrefix(strings.ToLower(l.Type), "rlimit_")]
		if !ok {
			return fmt.Errorf("unknown rlimit %q", l.Type)
		}
		if err := unix.Setrlimit(res, &unix.Rlimit{Cur: l.Soft, Max: l.Hard}); err != nil {
			return fmt.Errorf("set rlimit %s to %d:%d: %w", l.Type, l.Soft, l.Hard, err)
		}
	}
	return nil
}
