package seccomp_test

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/elastic/go-seccomp-bpf/arch"
	"github.com/hull-project/hull/isolation/seccomp"
	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// The equivalence tests run the compiler of this package and the reference,
// the go-seccomp-bpf-based compiler it replaced (gsref_*_test.go), on the
// same profiles, and both programs in x/net/bpf's interpreter on the same
// seccomp_data: every syscall number around every number a rule names, of
// every audit arch (with and without the x32 bit), with arguments at and
// around every value a condition compares, in both 32-bit halves. The
// results must be identical: a wrong filter is a containment hole.

// refABIs are the reference's tables, for the numbers to try.
var refABIs = []*arch.Info{arch.X86_64, arch.I386, arch.X32, arch.AARCH64, arch.ARM}

// auditArches are the audit arches to try: the five ABIs' and some the
// compilers have no table for.
var auditArches = []uint32{
	unix.AUDIT_ARCH_X86_64, unix.AUDIT_ARCH_I386, unix.AUDIT_ARCH_AARCH64, unix.AUDIT_ARCH_ARM,
	unix.AUDIT_ARCH_PPC64LE, unix.AUDIT_ARCH_S390X, unix.AUDIT_ARCH_MIPSEL, 0, 0xffffffff,
}

// seccompData is struct seccomp_data.
type seccompData struct {
	nr, arch uint32
	ip       uint64
	args     [6]uint64
}

// pack encodes d for x/net/bpf's interpreter, which loads words
// big-endian: each 32-bit word big-endian, each 64-bit field as (low, high)
// words, as a little-endian kernel lays seccomp_data out.
func (d *seccompData) pack(buf []byte) []byte {
	buf = buf[:0]
	buf = binary.BigEndian.AppendUint32(buf, d.nr)
	buf = binary.BigEndian.AppendUint32(buf, d.arch)
	for _, v := range append([]uint64{d.ip}, d.args[:]...) {
		buf = binary.BigEndian.AppendUint32(buf, uint32(v))
		buf = binary.BigEndian.AppendUint32(buf, uint32(v>>32))
	}
	return buf
}

func vmOf(t testing.TB, raw []bpf.RawInstruction) *bpf.VM {
	t.Helper()
	insts, ok := bpf.Disassemble(raw)
	if !ok {
		t.Fatal("program does not disassemble")
	}
	m, err := bpf.NewVM(insts)
	if err != nil {
		t.Fatalf("program rejected by the BPF VM: %v", err)
	}
	return m
}

// sameResults runs both programs on every input and fails at the first
// difference. It returns how many inputs it ran.
func sameResults(t testing.TB, what string, want, got []bpf.RawInstruction, inputs []seccompData) int {
	t.Helper()
	wm, gm := vmOf(t, want), vmOf(t, got)
	buf := make([]byte, 0, 64)
	for i := range inputs {
		d := &inputs[i]
		buf = d.pack(buf)
		w, werr := wm.Run(buf)
		g, gerr := gm.Run(buf)
		if werr != nil || gerr != nil {
			t.Fatalf("%s: run on %+v: reference %v, new %v", what, *d, werr, gerr)
		}
		if w != g {
			t.Fatalf("%s: nr %#x arch %#x args %#x: new program returns %#x, the reference %#x", what, d.nr, d.arch, d.args, uint32(g), uint32(w))
		}
	}
	return len(inputs)
}

// sameProgram reports the first instruction where the programs differ.
func sameProgram(t testing.TB, what string, want, got []bpf.RawInstruction) {
	t.Helper()
	for i := range min(len(want), len(got)) {
		if want[i] != got[i] {
			t.Errorf("%s: instruction %d is %+v, the reference has %+v", what, i, got[i], want[i])
			return
		}
	}
	if len(want) != len(got) {
		t.Errorf("%s: %d instructions, the reference has %d", what, len(got), len(want))
	}
}

// checkEquivalent compiles p with both compilers: both refuse it with the
// same error, or both programs return the same on every input.
func checkEquivalent(t testing.TB, what string, p *specs.LinuxSeccomp, rng *rand.Rand) (compiled bool, runs int) {
	t.Helper()
	ref, werr := compile(p)
	got, gerr := seccomp.CompileRaw(p)
	if fmt.Sprint(werr) != fmt.Sprint(gerr) {
		t.Fatalf("%s: new compiler: %v; reference: %v", what, gerr, werr)
	}
	if werr != nil {
		if testing.Verbose() {
			t.Logf("%s: both refuse it: %v", what, werr)
		}
		return false, 0
	}
	sameProgram(t, what, ref.raw, got)
	return true, sameResults(t, what, ref.raw, got, inputsFor(p, rng))
}

// inputsFor are the seccomp_data to run p's programs on: every audit arch
// with every number around one a rule names in any table, and the numbers
// a rule with conditions names, under their own audit arch, with arguments
// around the values compared.
func inputsFor(p *specs.LinuxSeccomp, rng *rand.Rand) []seccompData {
	type call struct{ arch, nr uint32 }
	nrs := []uint32{0, 1, 2, 1000, x32Bit - 1, x32Bit, x32Bit + 1, x32Bit | 1000, 0x7fffffff, 0x80000000, 0xffffffff, rng.Uint32()}
	conds := map[call][]specs.LinuxSeccompArg{}
	for _, abi := range refABIs {
		for _, s := range p.Syscalls {
			for _, name := range s.Names {
				n, ok := abi.SyscallNames[name]
				if !ok {
					continue
				}
				nr := uint32(n | abi.SeccompMask)
				nrs = append(nrs, nr-1, nr, nr+1, nr^x32Bit)
				if len(s.Args) > 0 {
					c := call{uint32(abi.ID), nr}
					conds[c] = append(conds[c], s.Args...)
				}
			}
		}
		// The numbers x32 cannot use: go-seccomp-bpf's x32 table lists
		// them too.
		for n := range abi.SyscallNumbers {
			if abi == arch.X32 && n < 512 && rng.IntN(8) == 0 {
				nrs = append(nrs, uint32(n|abi.SeccompMask))
			}
		}
	}
	slices.Sort(nrs)
	nrs = slices.Compact(nrs)
	var out []seccompData
	for _, audit := range auditArches {
		for _, nr := range nrs {
			d := seccompData{nr: nr, arch: audit, ip: rng.Uint64()}
			out = append(out, d)
			d.args = [6]uint64{^uint64(0), ^uint64(0), ^uint64(0), ^uint64(0), ^uint64(0), ^uint64(0)}
			out = append(out, d)
			for i := range d.args {
				d.args[i] = rng.Uint64()
			}
			out = append(out, d)
		}
	}
	for c, cs := range conds {
		for _, args := range argVectors(cs, rng) {
			out = append(out, seccompData{nr: c.nr, arch: c.arch, args: args})
		}
	}
	return out
}

// argVectors are arguments at and around every value conds compare, one
// argument at a time and several at once.
func argVectors(conds []specs.LinuxSeccompArg, rng *rand.Rand) [][6]uint64 {
	if len(conds) == 0 {
		return nil
	}
	var out [][6]uint64
	base := func() [6]uint64 {
		var a [6]uint64
		if rng.IntN(2) == 0 {
			for i := range a {
				a[i] = rng.Uint64()
			}
		}
		return a
	}
	for _, c := range conds {
		if c.Index > 5 {
			continue
		}
		for _, x := range around(c.Value, rng) {
			a := base()
			a[c.Index] = x
			out = append(out, a)
		}
	}
	// Several conditions at once, each at one of its boundaries.
	for range 8 * len(conds) {
		a := base()
		for _, c := range conds {
			if c.Index <= 5 && rng.IntN(5) != 0 {
				vs := around(c.Value, rng)
				a[c.Index] = vs[rng.IntN(len(vs))]
			}
		}
		out = append(out, a)
	}
	return out
}

// around are values at and around v: each 32-bit half on its own and
// both, off by one either way, and with bits of v or others set or clear.
func around(v uint64, rng *rand.Rand) []uint64 {
	hi, lo := v>>32, v&0xffffffff
	r := rng.Uint64()
	return []uint64{
		v, v - 1, v + 1, ^v, 0, ^uint64(0),
		lo, hi << 32, (hi+1)<<32 | lo, (hi-1)<<32 | lo, hi<<32 | (lo+1)&0xffffffff, hi<<32 | (lo-1)&0xffffffff,
		v ^ 1<<32, v ^ 1, v &^ (v - 1), v & r, v | r, v &^ r, r,
		lo<<32 | hi, 1 << 32, 1<<32 - 1,
	}
}

// TestEquivalentDefault: Docker's default profile, for several capability
// sets, on this machine's ABIs and on all five.
func TestEquivalentDefault(t *testing.T) {
	all := append([]string{"CAP_SYS_ADMIN", "CAP_SYS_PTRACE", "CAP_SYS_BOOT", "CAP_SYSLOG", "CAP_SYS_MODULE",
		"CAP_SYS_RAWIO", "CAP_SYS_TIME", "CAP_SYS_PACCT", "CAP_SYS_NICE", "CAP_SYS_TTY_CONFIG", "CAP_BPF",
		"CAP_PERFMON", "CAP_DAC_READ_SEARCH"}, seccomp.DockerCaps...)
	rng := rand.New(rand.NewPCG(1, 2))
	for _, caps := range [][]string{nil, seccomp.DockerCaps, append([]string{"CAP_SYS_ADMIN"}, seccomp.DockerCaps...), all} {
		p, err := seccomp.DefaultProfileFor(caps)
		if err != nil {
			t.Fatal(err)
		}
		for _, archs := range [][]specs.Arch{p.Architectures, {specs.ArchX86_64, specs.ArchX86, specs.ArchX32, specs.ArchAARCH64, specs.ArchARM}} {
			p.Architectures = archs
			what := fmt.Sprintf("default profile, %d caps, arches %v", len(caps), archs)
			ok, runs := checkEquivalent(t, what, p, rng)
			if !ok {
				t.Fatalf("%s: does not compile", what)
			}
			t.Logf("%s: %d inputs", what, runs)
		}
	}
}

// TestEquivalentRootEmulation: the root emulation filter.
func TestEquivalentRootEmulation(t *testing.T) {
	ref, err := rootEmulation()
	if err != nil {
		t.Fatal(err)
	}
	got, err := seccomp.RootEmulationRaw()
	if err != nil {
		t.Fatal(err)
	}
	sameProgram(t, "root emulation", ref.raw, got)
	names := append([]string{"mknod", "mknodat", "capset", "read"}, fakedNames...)
	p := &specs.LinuxSeccomp{Syscalls: []specs.LinuxSyscall{{Names: names, Args: []specs.LinuxSeccompArg{
		{Index: 1, Value: unix.S_IFCHR}, {Index: 1, Value: unix.S_IFBLK}, {Index: 2, Value: unix.S_IFCHR},
		{Index: 2, Value: unix.S_IFBLK}, {Index: 1, Value: unix.S_IFMT}, {Index: 2, Value: unix.S_IFREG | 0o644},
	}}}}
	runs := sameResults(t, "root emulation", ref.raw, got, inputsFor(p, rand.New(rand.NewPCG(3, 4))))
	t.Logf("%d inputs", runs)
}

// TestEquivalentRandom: random profiles with rules of every action and
// conditions of every operator, on random sets of architectures.
func TestEquivalentRandom(t *testing.T) {
	n := 120
	if testing.Short() {
		n = 30
	}
	compiled, runs := 0, 0
	for seed := range uint64(n) {
		ok, r := checkRandom(t, seed)
		if ok {
			compiled++
		}
		runs += r
	}
	t.Logf("%d of %d random profiles compiled, %d inputs", compiled, n, runs)
	if compiled < n/2 {
		t.Errorf("only %d of %d random profiles compiled: the generator tests little", compiled, n)
	}
}

// FuzzEquivalent is TestEquivalentRandom for any seed.
func FuzzEquivalent(f *testing.F) {
	f.Add(uint64(0))
	f.Add(uint64(1) << 40)
	f.Fuzz(func(t *testing.T, seed uint64) { checkRandom(t, seed) })
}

func checkRandom(t testing.TB, seed uint64) (bool, int) {
	rng := rand.New(rand.NewPCG(seed, 0x5eccc0))
	return checkEquivalent(t, fmt.Sprintf("random profile %d", seed), randomProfile(rng), rng)
}

var (
	ociArches = []specs.Arch{specs.ArchX86_64, specs.ArchX86, specs.ArchX32, specs.ArchAARCH64, specs.ArchARM,
		specs.ArchPPC64LE, specs.ArchS390X}
	ociActions = []specs.LinuxSeccompAction{specs.ActAllow, specs.ActLog, specs.ActKill, specs.ActKillThread,
		specs.ActKillProcess, specs.ActTrap, specs.ActErrno, specs.ActErrno, specs.ActTrace}
	ociOps = []specs.LinuxSeccompOperator{specs.OpEqualTo, specs.OpNotEqual, specs.OpLessThan, specs.OpLessEqual,
		specs.OpGreaterThan, specs.OpGreaterEqual, specs.OpMaskedEqual}
	// nameSample are syscalls of every table and some of none.
	nameSample = func() []string {
		var names []string
		for _, abi := range refABIs {
			for name := range abi.SyscallNames {
				names = append(names, name)
			}
		}
		slices.Sort(names)
		return append(slices.Compact(names), "no_such_syscall", "")
	}()
)

// randomProfile draws a profile: a default action, some architectures, and
// rules over a small set of names, so that syscalls get several rules.
func randomProfile(rng *rand.Rand) *specs.LinuxSeccomp {
	p := &specs.LinuxSeccomp{DefaultAction: ociActions[rng.IntN(len(ociActions))], DefaultErrnoRet: errnoRet(rng)}
	for _, a := range ociArches {
		if rng.IntN(2) == 0 {
			p.Architectures = append(p.Architectures, a)
		}
	}
	names := make([]string, 4+rng.IntN(60))
	for i := range names {
		names[i] = nameSample[rng.IntN(len(nameSample))]
	}
	slices.Sort(names)
	names = slices.Compact(names)
	// Every x32 syscall of its own numbers, now and then: those names
	// have two numbers in go-seccomp-bpf's table.
	if rng.IntN(4) == 0 {
		names = append(names, "rt_sigaction", "ioctl", "readv", "execve", "recvmsg", "preadv2")
	}
	for range rng.IntN(40) {
		k := rng.IntN(len(ociActions))
		s := specs.LinuxSyscall{Action: ociActions[k], ErrnoRet: errnoRet(rng)}
		if rng.IntN(3) != 0 {
			for range 1 + rng.IntN(6) {
				s.Names = append(s.Names, names[rng.IntN(len(names))])
			}
			for range 1 + rng.IntN(4) {
				s.Args = append(s.Args, randomArg(rng))
			}
		} else {
			// An unconditional rule names syscalls of its action's share
			// of the names, or most profiles would be refused for
			// conflicting actions (ociActions has ERRNO twice: one with
			// the default errno, one with another).
			s.ErrnoRet = nil
			if k == 7 {
				e := uint(13)
				s.ErrnoRet = &e
			}
			if rng.IntN(20) == 0 {
				s.ErrnoRet = errnoRet(rng)
			}
			for range 1 + rng.IntN(6) {
				if i := k + len(ociActions)*rng.IntN(len(names)/len(ociActions)+1); i < len(names) {
					s.Names = append(s.Names, names[i])
				}
			}
		}
		p.Syscalls = append(p.Syscalls, s)
	}
	if rng.IntN(10) == 0 {
		addRefused(p, rng)
	}
	return p
}

// addRefused adds something both compilers refuse, for the error paths.
func addRefused(p *specs.LinuxSeccomp, rng *rand.Rand) {
	bad := specs.LinuxSyscall{Names: []string{nameSample[rng.IntN(len(nameSample))]}, Action: specs.ActAllow}
	arg := randomArg(rng)
	switch rng.IntN(7) {
	case 0:
		bad.Action = specs.ActNotify
	case 1:
		e := uint(rng.IntN(2)) * 0x10000 // 0, or beyond 16 bits
		bad.Action, bad.ErrnoRet = specs.ActErrno, &e
	case 2:
		arg.Index = 6 + uint(rng.IntN(3))
	case 3:
		arg.Op = "SCMP_CMP_LIKE"
	case 4:
		arg.Op, arg.Value, arg.ValueTwo = specs.OpMaskedEqual, 6, 2
	case 5:
		arg.Op, arg.Value, arg.ValueTwo = specs.OpMaskedEqual, 0xffffffff, 0xffffffff
	case 6:
		e := uint(0)
		p.DefaultErrnoRet = &e
		p.DefaultAction = specs.ActErrno
	}
	bad.Args = append(bad.Args, arg)
	p.Syscalls = slices.Insert(p.Syscalls, rng.IntN(len(p.Syscalls)+1), bad)
}

func errnoRet(rng *rand.Rand) *uint {
	var e uint
	switch rng.IntN(4) {
	case 0, 1:
		return nil
	case 2:
		e = 0xffff
	default:
		e = 1 + uint(rng.IntN(4095))
	}
	return &e
}

func randomArg(rng *rand.Rand) specs.LinuxSeccompArg {
	a := specs.LinuxSeccompArg{Index: uint(rng.IntN(6)), Op: ociOps[rng.IntN(len(ociOps))], Value: randomValue(rng)}
	if a.Op == specs.OpMaskedEqual {
		// The two forms supported: (arg & bit) == bit, (arg & mask) == 0.
		if rng.IntN(3) == 0 {
			a.Value = 1 << rng.IntN(64)
			a.ValueTwo = a.Value
		}
	}
	return a
}

// randomValue favours the values where split 64-bit comparisons go wrong.
func randomValue(rng *rand.Rand) uint64 {
	switch rng.IntN(10) {
	case 0:
		return 0
	case 1:
		return ^uint64(0)
	case 2:
		return 0xffffffff
	case 3:
		return 1 << 32
	case 4:
		return uint64(rng.Uint32())
	case 5:
		return uint64(rng.Uint32()) << 32
	case 6:
		return uint64(rng.IntN(64))
	case 7:
		v := uint64(rng.Uint32())
		return v<<32 | v
	}
	return rng.Uint64()
}
