// Package bpfprog holds an assembled seccomp BPF program as the kernel reads
// it and loads it into the calling process. It compiles nothing: hull
// compiles profiles (package seccomp) before it starts a container and sends
// the programs in the spec, so that the container init, which runs on every
// start, links neither the profile compiler nor its syscall tables.
package bpfprog

import (
	"errors"
	"fmt"
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Program is a seccomp BPF program: struct sock_filter instructions in the
// host's byte order, 8 bytes each, as the kernel reads them.
type Program []byte

// insnSize is sizeof(struct sock_filter).
const insnSize = int(unsafe.Sizeof(unix.SockFilter{}))

// maxInsns is the kernel's BPF_MAXINSNS.
const maxInsns = 4096

// Load installs p for the whole process: SECCOMP_FILTER_FLAG_TSYNC puts it
// on every thread, not only the calling one, because a Go process has
// several and any of them may run code before the init's execve (or after
// a failed one). Load does not set no_new_privs: when the container asked
// for it the caller sets it first, otherwise the kernel requires
// CAP_SYS_ADMIN in the current user namespace. An empty program is refused:
// "no filter" is the caller's decision, not a program.
func (p Program) Load() error {
	if len(p) == 0 || len(p)%insnSize != 0 || len(p)/insnSize > maxInsns {
		return fmt.Errorf("load seccomp filter: %d bytes is not a program", len(p))
	}
	// A copy in memory aligned for sock_filter (a []byte need not be).
	insns := make([]unix.SockFilter, len(p)/insnSize)
	copy(unsafe.Slice((*byte)(unsafe.Pointer(&insns[0])), len(p)), p)
	prog := unix.SockFprog{
		Len:    uint16(len(insns)),
		Filter: &insns[0],
	}
	r, _, errno := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER,
		unix.SECCOMP_FILTER_FLAG_TSYNC, uintptr(unsafe.Pointer(&prog)))
	runtime.KeepAlive(insns)
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
