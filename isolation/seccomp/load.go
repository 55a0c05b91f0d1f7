package seccomp

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Load installs f for the whole process: SECCOMP_FILTER_FLAG_TSYNC puts it
// on every thread, not only the calling one, because a Go process has
// several and any of them may run code before the init's execve (or after
// a failed one). Load does not set no_new_privs: when the container asked
// for it the caller sets it first, otherwise the kernel requires
// CAP_SYS_ADMIN in the current user namespace. Loading a nil Filter does
// nothing (see FromProfileJSON).
func (f *Filter) Load() error {
	if f == nil {
		return nil
	}
	prog := unix.SockFprog{
		Len:    uint16(len(f.prog)),
		Filter: (*unix.SockFilter)(unsafe.Pointer(&f.prog[0])),
	}
	r, _, errno := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER,
		unix.SECCOMP_FILTER_FLAG_TSYNC, uintptr(unsafe.Pointer(&prog)))
	runtime.KeepAlive(f)
	switch {
	case errors.Is(errno, unix.EACCES):
		return fmt.Errorf("load seccomp filter: %w (needs no_new_privs or CAP_SYS_ADMIN)", errno)
	case errno != 0:
		return fmt.Errorf("load seccomp filter: %w", errno)
	case r != 0:
		// With TSYNC a positive return is a thread that could not be
		// synchronised (it has an unrelated filter).
		return fmt.Errorf("load seccomp filter: thread %d cannot be synchronised", r)
	}
	return nil
}

// Supported reports whether the kernel can load these filters: seccomp
// filter mode with the kill-process action (Linux 4.14), which also means
// TSYNC (3.17). It is false where seccomp is compiled out or where an outer
// filter forbids seccomp(2).
func Supported() bool { return supported() }

var supported = sync.OnceValue(func() bool {
	action := uint32(unix.SECCOMP_RET_KILL_PROCESS)
	_, _, errno := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_GET_ACTION_AVAIL, 0, uintptr(unsafe.Pointer(&action)))
	return errno == 0
})
