package appbin

import (
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// leanEnv carries, from the default hull to the full one it execs, the
// number of a descriptor open on the default hull's own executable. The
// full hull starts the helpers that stay beside each container (monitor,
// pod) from it, so a container that compose or kube starts costs what one
// that `hull run` starts does (~4 MB, not ~6: the full hull's package
// init is live for a process's whole life). A descriptor, not a path: it
// is the very file that was running, even if the path is replaced since.
const leanEnv = "_HULL_LEAN_EXE_FD"

// lean is /proc/self/fd/N of that descriptor, or "" (not exec'd by the
// default hull).
var lean string

// The variable is read and dropped at start, and the descriptor made
// close-on-exec, before anything can start a child that would inherit
// either.
func init() {
	v, ok := os.LookupEnv(leanEnv)
	if !ok {
		return
	}
	os.Unsetenv(leanEnv)
	fd, err := strconv.Atoi(v)
	var st unix.Stat_t
	if err != nil || fd < 3 || unix.Fstat(fd, &st) != nil || st.Mode&unix.S_IFMT != unix.S_IFREG {
		return
	}
	unix.CloseOnExec(fd)
	lean = "/proc/self/fd/" + v
}

// Helper is the executable to start a long-lived helper role (monitor,
// pod) from: the default hull when this is the full one exec'd by it,
// else this process's own (/proc/self/exe). The roles are the same in
// both builds (main.go) but the built-in plugin (role.Plugin), which only
// the full hull has: it starts its plugins from itself
// (plugins.BuiltinCommand, /proc/self/exe), never from here.
func Helper() string {
	if lean != "" {
		return lean
	}
	return "/proc/self/exe"
}

// leanFD opens this process's executable, inheritable across exec, for
// the full hull's Helper; -1 when it cannot (the full hull then starts
// helpers from itself).
func leanFD() int {
	fd, err := unix.Open("/proc/self/exe", unix.O_RDONLY, 0)
	if err != nil {
		return -1
	}
	return fd
}

// withLean is env with leanEnv set to fd (any inherited value dropped).
func withLean(env []string, fd int) []string {
	out := make([]string, 0, len(env)+1)
	for _, e := range env {
		if len(e) < len(leanEnv)+1 || e[:len(leanEnv)+1] != leanEnv+"=" {
			out = append(out, e)
		}
	}
	if fd >= 0 {
		out = append(out, leanEnv+"="+strconv.Itoa(fd))
	}
	return out
}
