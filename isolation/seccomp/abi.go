package seccomp

import (
	"fmt"
	"runtime"
	"sort"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// abi is one system call ABI the compiler has a syscall table for.
type abi struct {
	name string
	id   uint32 // the audit arch in seccomp_data.arch
	// mask is ORed into the table's numbers to give seccomp_data.nr: x32
	// shares x86_64's audit arch and sets the x32 bit.
	mask  uint32
	names []syscallNr // zsyscalls.go, sorted by name
}

// syscallNr is one syscall table entry. The tables are generated
// (zsyscalls.go) as constant literals that the linker lays out: building
// maps at package init would cost every hull process.
type syscallNr struct {
	name string
	nr   uint32
}

var (
	abiX86_64  = &abi{name: "x86_64", id: unix.AUDIT_ARCH_X86_64, names: syscallsX86_64}
	abiI386    = &abi{name: "i386", id: unix.AUDIT_ARCH_I386, names: syscallsI386}
	abiX32     = &abi{name: "x32", id: unix.AUDIT_ARCH_X86_64, mask: x32Bit, names: syscallsX32}
	abiAARCH64 = &abi{name: "aarch64", id: unix.AUDIT_ARCH_AARCH64, names: syscallsAARCH64}
	abiARM     = &abi{name: "arm", id: unix.AUDIT_ARCH_ARM, names: syscallsARM}
)

// nr is syscall name's number as it appears in seccomp_data.nr (x32 ones
// with the x32 bit); false when the ABI has no such syscall.
func (a *abi) nr(name string) (uint32, bool) {
	i := sort.Search(len(a.names), func(i int) bool { return a.names[i].name >= name })
	if i == len(a.names) || a.names[i].name != name {
		return 0, false
	}
	return a.names[i].nr | a.mask, true
}

// abiOf is the ABI of an OCI architecture, or nil for one without a table.
func abiOf(a specs.Arch) *abi {
	switch a {
	case specs.ArchX86_64:
		return abiX86_64
	case specs.ArchX86:
		return abiI386
	case specs.ArchX32:
		return abiX32
	case specs.ArchAARCH64:
		return abiAARCH64
	case specs.ArchARM:
		return abiARM
	}
	return nil
}

// nativeABI is the ABI hull itself runs as.
func nativeABI() (*abi, error) {
	switch runtime.GOARCH {
	case "amd64":
		return abiX86_64, nil
	case "386":
		return abiI386, nil
	case "arm64":
		return abiAARCH64, nil
	case "arm":
		return abiARM, nil
	}
	return nil, fmt.Errorf("unsupported arch: %v", runtime.GOARCH)
}
