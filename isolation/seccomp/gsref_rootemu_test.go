// The go-seccomp-bpf-based compiler hull used before it emitted the BPF itself
// (rootemu.go as of 24b0a2a), kept as the reference for the equivalence tests
// (equiv_test.go): test files only, so that no hull binary links go-seccomp-bpf.

package seccomp_test

import (
	"fmt"
	"sync"

	"github.com/elastic/go-seccomp-bpf/arch"
	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// fakedNames are the syscalls RootEmulation turns into successful no-ops
// whatever their arguments: changing ownership and changing ids. In a
// user namespace that maps one id, every id but the mapped one is invalid,
// so these fail (EINVAL, or EPERM for setgroups) where a build expects
// root to succeed. The *32 names are i386's (and arm's) 32-bit-id variants;
// names an ABI lacks are skipped.
//
// capset is deliberately not here, although charliecloud fakes it: its
// result does not depend on the id mapping (capabilities in a user
// namespace work the same with one id or 65536), so it never fails for the
// reason this filter exists, and faking it would turn a real capability
// drop into a no-op and let a program believe it holds capabilities the
// container was not given.
var fakedNames = []string{
	"chown", "fchown", "lchown", "fchownat",
	"chown32", "fchown32", "lchown32",
	"setuid", "setgid", "setreuid", "setregid",
	"setresuid", "setresgid", "setfsuid", "setfsgid", "setgroups",
	"setuid32", "setgid32", "setreuid32", "setregid32",
	"setresuid32", "setresgid32", "setfsuid32", "setfsgid32", "setgroups32",
}

const (
	// fakeSuccess is SECCOMP_RET_ERRNO with errno 0: the kernel skips the
	// syscall and returns 0 from it.
	fakeSuccess = uint32(unix.SECCOMP_RET_ERRNO)
	retAllow    = uint32(unix.SECCOMP_RET_ALLOW)
)

// emulatedABIs are the ABIs RootEmulation covers; any other audit arch is
// allowed through (the profile loaded beside it kills foreign arches).
// x32 shares x86_64's audit arch and is folded into its section.
var emulatedABIs = []*arch.Info{arch.X86_64, arch.I386, arch.AARCH64, arch.ARM}

// RootEmulation returns the filter that fakes success for the syscalls a
// user namespace with a single-id mapping cannot honour, for builds whose
// steps expect to be root (apt, dpkg, useradd, make install with chown):
//
//   - chown, fchown, lchown, fchownat (and i386's chown32, fchown32,
//     lchown32), whatever the ids: nothing changes ownership;
//   - setuid, setgid, setreuid, setregid, setresuid, setresgid, setfsuid,
//     setfsgid, setgroups (and their i386 *32 variants): ids and groups
//     stay as they are;
//   - mknod and mknodat only when the mode's file type is S_IFCHR or
//     S_IFBLK: no device node is created. Regular files, FIFOs and
//     sockets go to the kernel and are created for real.
//
// Faked calls return 0 without doing anything (SECCOMP_RET_ERRNO with
// errno 0). Every other syscall, and every syscall of an ABI other than
// x86_64, x32, i386, aarch64 and arm, is allowed: the filter is meant to be
// loaded in addition to the container's profile, never instead of it.
//
// Stacking: the kernel runs every loaded filter and keeps the result with
// the lowest action (compared as signed 32-bit values, data ignored), so
// ERRNO beats ALLOW and KILL beats ERRNO whatever the order. Between two
// ERRNO results the most recently loaded filter's errno wins. Load
// RootEmulation first and the profile after it, so that a profile that
// refuses one of these syscalls keeps its errno; Docker's default profile
// allows all of them, so with it the order does not change the outcome.
//
// The result is built once and shared; it is not for containers that run
// services (programs that drop privileges would believe they had).
func RootEmulation() (*Filter, error) { return rootEmulation() }

var rootEmulation = sync.OnceValues(func() (*Filter, error) {
	secs := make([]section, 0, len(emulatedABIs))
	for _, abi := range emulatedABIs {
		nums := emulatedNums(abi)
		if abi == arch.X86_64 {
			x32 := emulatedNums(arch.X32)
			nums.faked = append(nums.faked, x32.faked...)
			nums.mknod = append(nums.mknod, x32.mknod...)
			nums.mknodat = append(nums.mknodat, x32.mknodat...)
		}
		body, err := emulationBody(nums)
		if err != nil {
			return nil, fmt.Errorf("root emulation filter for %s: %w", abi.Name, err)
		}
		secs = append(secs, section{abi.ID, body})
	}
	return newFilter(allowOtherArches(secs)), nil
})

// abiNums are one ABI's syscall numbers the filter tests, as they appear
// in seccomp_data.nr (x32 ones with the x32 bit).
type abiNums struct {
	faked, mknod, mknodat []uint32
}

func emulatedNums(abi *arch.Info) abiNums {
	names := namesOf(abi)
	nr := func(name string) []uint32 {
		n, ok := names[name]
		if !ok {
			return nil
		}
		return []uint32{uint32(n | abi.SeccompMask)}
	}
	var out abiNums
	for _, name := range fakedNames {
		out.faked = append(out.faked, nr(name)...)
	}
	out.mknod, out.mknodat = nr("mknod"), nr("mknodat")
	return out
}

// emulationBody is one section: it loads the syscall number, returns
// fakeSuccess for the faked ones, sends mknod and mknodat to the device
// test with their mode argument in A, and allows everything else.
//
// The mode is read from the low word of its argument only, as the kernel
// does (it truncates the mode to umode_t), and the low word comes first
// because every ABI covered here is little-endian.
func emulationBody(n abiNums) ([]bpf.RawInstruction, error) {
	var (
		checks    = len(n.faked) + len(n.mknod) + len(n.mknodat)
		mknodArg  = 1 + checks + 1 // after ld nr, the checks, ret allow
		mknodatAt = mknodArg + 2
		fake      = mknodatAt + 5
	)
	var a asm
	a.emit(loadNr)
	for _, nr := range n.faked {
		a.jeqTo(nr, fake)
	}
	for _, nr := range n.mknod {
		a.jeqTo(nr, mknodArg)
	}
	for _, nr := range n.mknodat {
		a.jeqTo(nr, mknodatAt)
	}
	a.emit(ret(retAllow))
	a.emit(loadArgLow(1), longJump(1)) // mknod(path, mode, dev)
	a.emit(loadArgLow(2))              // mknodat(dirfd, path, mode, dev)
	a.emit(andK(unix.S_IFMT))
	a.jeqTo(unix.S_IFCHR, fake)
	a.jeqTo(unix.S_IFBLK, fake)
	a.emit(ret(retAllow))
	if len(a.prog) != fake {
		return nil, fmt.Errorf("layout: fake success at %d, want %d", len(a.prog), fake)
	}
	a.emit(ret(fakeSuccess))
	return a.prog, a.err
}

// allowOtherArches puts the arch dispatch in front of the sections, as
// layout does for profiles, but an unknown audit arch is allowed.
func allowOtherArches(secs []section) []bpf.RawInstruction {
	head := 1 + 2*len(secs) + 1
	prog := []bpf.RawInstruction{loadArch}
	start := head
	for _, s := range secs {
		prog = append(prog, jump(bpf.JumpEqual, uint32(s.id), 0, 1))
		prog = append(prog, longJump(start-len(prog)-1))
		start += len(s.body)
	}
	prog = append(prog, ret(retAllow))
	for _, s := range secs {
		prog = append(prog, s.body...)
	}
	return prog
}

// asm appends instructions and resolves forward conditional jumps to
// absolute positions in the section, recording the first jump that does
// not fit in 8 bits.
type asm struct {
	prog []bpf.RawInstruction
	err  error
}

func (a *asm) emit(insts ...bpf.RawInstruction) { a.prog = append(a.prog, insts...) }

// jeqTo jumps to target when A == val and falls through otherwise.
func (a *asm) jeqTo(val uint32, target int) {
	skip := target - len(a.prog) - 1
	if (skip < 0 || skip > 255) && a.err == nil {
		a.err = fmt.Errorf("jump from %d to %d out of range", len(a.prog), target)
	}
	a.emit(jump(bpf.JumpEqual, val, uint8(skip), 0))
}

// loadArgLow loads the low 32 bits of syscall argument i (little-endian
// seccomp_data).
func loadArgLow(i uint32) bpf.RawInstruction { return load(16 + 8*i) }

func andK(val uint32) bpf.RawInstruction {
	r, _ := bpf.ALUOpConstant{Op: bpf.ALUOpAnd, Val: val}.Assemble()
	return r
}
