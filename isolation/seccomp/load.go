package seccomp

import (
	"slices"
	"sync"
	"unsafe"

	"github.com/hull-project/hull/isolation/seccomp/bpfprog"
	"golang.org/x/sys/unix"
)

// Load installs f for the whole process (bpfprog.Program.Load: on every
// thread, without setting no_new_privs). Loading a nil Filter does nothing
// (see FromProfileJSON).
func (f *Filter) Load() error {
	if f == nil {
		return nil
	}
	return f.Program().Load()
}

// Program is f as the bytes the kernel reads, for a process that loads it
// without this package (the container init); nil for a nil Filter.
func (f *Filter) Program() bpfprog.Program {
	if f == nil || len(f.prog) == 0 {
		return nil
	}
	b := unsafe.Slice((*byte)(unsafe.Pointer(&f.prog[0])), len(f.prog)*int(unsafe.Sizeof(sockFilter{})))
	return bpfprog.Program(slices.Clone(b))
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
